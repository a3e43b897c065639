"""POST /api/v1/feedback and the admin API behind /review, on both database engines."""

from __future__ import annotations

import base64
import os
import time

import pytest
from conftest import photo_of_digit, png_bytes, render_digit

from digitrec.feedback import database
from digitrec.feedback.store import FeedbackStore
from digitrec.web import create_app

TOKEN = "feedback-test-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SEVEN = png_bytes(render_digit(7))


def make_app(database_url: str, **config):
    if not database_url.startswith("sqlite"):
        from digitrec.feedback import schema_version

        schema_version.upgrade(database.create_engine(database_url))
    return create_app({"TESTING": True, "DIGITREC_DATABASE_URL": database_url, **config})


@pytest.fixture
def app(database_url):
    return make_app(database_url, DIGITREC_API_TOKEN=TOKEN)


@pytest.fixture
def client(app):
    return app.test_client()


def stored(app) -> FeedbackStore:
    return app.extensions["digitrec_feedback"]


def send(client, image=SEVEN, label="1", mode=None, headers=ADMIN):
    query = f"?label={label}" + (f"&mode={mode}" if mode else "")
    return client.post(
        f"/api/v1/feedback{query}", data=image, headers={**headers, "Content-Type": "image/png"}
    )


def test_a_correction_is_stored_with_the_models_answer_and_returns_201_with_its_id(app, client):
    response = send(client, label="1")
    assert response.status_code == 201
    body = response.get_json()
    record = stored(app).get(body["id"])
    assert (record.answer, record.label, record.mode, record.status) == (
        "7",
        "1",
        "digit",
        "pending",
    )
    served = app.extensions["digitrec"]
    assert body["model"] == {"name": served.name, "version": served.version}
    assert (record.model_name, record.model_version) == (served.name, served.version)
    assert stored(app).image(body["id"]) == SEVEN


def test_a_correction_of_a_photo_records_the_photos_model_that_answered(app, client):
    response = send(client, image=photo_of_digit(4), label="9")
    assert response.status_code == 201
    body = response.get_json()
    photos = app.extensions["digitrec"].photo_reader
    assert photos.version != app.extensions["digitrec"].version
    assert body["answer"] == "4"
    assert body["model"] == {"name": photos.name, "version": photos.version}
    record = stored(app).get(body["id"])
    assert record.as_dict()["model"] == body["model"]
    # The same photo read as a number is answered, and recorded, by the served model.
    number = send(client, image=photo_of_digit(4), label="9", mode="number").get_json()
    assert number["model"]["version"] == app.extensions["digitrec"].version


@pytest.mark.parametrize("form", ["multipart", "json", "data-url"])
def test_the_image_comes_in_the_same_forms_as_predict(app, client, form):
    if form == "multipart":
        response = client.post(
            "/api/v1/feedback",
            data={"file": (__import__("io").BytesIO(SEVEN), "seven.png"), "label": "7"},
            headers=ADMIN,
        )
    else:
        encoded = base64.b64encode(SEVEN).decode()
        image = f"data:image/png;base64,{encoded}" if form == "data-url" else encoded
        response = client.post(
            "/api/v1/feedback", json={"image": image, "label": "7"}, headers=ADMIN
        )
    assert response.status_code == 201, response.get_json()
    assert stored(app).image(response.get_json()["id"]) == SEVEN


def test_number_mode_takes_a_number_string(app, client):
    image = png_bytes(render_digit("2026", size=(560, 200), scale=0.5))
    response = send(client, image, label="2029", mode="number")
    assert response.status_code == 201
    record = stored(app).get(response.get_json()["id"])
    assert (record.mode, record.label, record.answer) == ("number", "2029", "2026")


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("", "no label"),
        ("?label=", "is not a digit"),
        ("?label=12", "is not a digit"),
        ("?label=x", "is not a digit"),
        ("?label=7&mode=number&", None),  # valid: a one-digit number
        ("?label=12a&mode=number", "is not a number"),
        ("?label=" + "1" * 33 + "&mode=number", "1 to 32 digits"),
        ("?label=7&mode=auto", "cannot be corrected"),
    ],
)
def test_a_missing_or_invalid_label_is_400_problem_json(client, query, detail):
    response = client.post(
        f"/api/v1/feedback{query}", data=SEVEN, headers={**ADMIN, "Content-Type": "image/png"}
    )
    if detail is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert detail in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "image/png", 400),
        (b"not an image at all", "image/png", 415),
        (SEVEN[:60], "image/png", 422),
        (SEVEN, "text/plain", 415),
    ],
)
def test_a_bad_image_follows_predicts_rules_and_nothing_is_stored(
    app, client, body, content_type, status
):
    response = client.post(
        "/api/v1/feedback?label=7", data=body, headers={**ADMIN, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert stored(app).count() == 0


def test_a_batch_is_refused(client):
    encoded = base64.b64encode(SEVEN).decode()
    response = client.post(
        "/api/v1/feedback", json={"images": [encoded, encoded], "label": "7"}, headers=ADMIN
    )
    assert response.status_code == 400


def test_feedback_off_is_404_everywhere_and_the_page_offers_no_correction(database_url):
    app = make_app(database_url, DIGITREC_FEEDBACK=False, DIGITREC_API_TOKEN=TOKEN)
    client = app.test_client()
    assert send(client).status_code == 404
    assert client.get("/api/v1/feedback", headers=ADMIN).status_code == 404
    assert client.get("/review").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert "Wrong?" not in page and "images are never stored" in page
    assert "nothing is stored.</p>" in client.get("/api").get_data(as_text=True)


def test_the_page_says_what_is_kept_when_feedback_is_on(client):
    page = client.get("/").get_data(as_text=True)
    assert "Wrong? Tell us what you wrote." in page
    assert "no address or cookie" in page and "Nothing is kept unless you send it" in page
    assert "images are never stored" not in page
    assert "nothing is stored unless you send a correction" in client.get("/api").get_data(
        as_text=True
    )


def test_a_flood_from_one_client_is_429_with_retry_after(database_url):
    app = make_app(database_url, DIGITREC_FEEDBACK_RATE_LIMIT="3 per minute")
    client = app.test_client()
    assert [send(client, headers={}).status_code for _ in range(3)] == [201] * 3
    refused = send(client, headers={})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert "at most 3 per minute" in refused.get_json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    other = client.post(
        "/api/v1/feedback?label=1",
        data=SEVEN,
        headers={"Content-Type": "image/png"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert other.status_code == 201
    assert stored(app).count() == 4


def test_the_limit_holds_across_apps_sharing_a_database_as_workers_do(database_url):
    workers = [
        make_app(database_url, DIGITREC_FEEDBACK_RATE_LIMIT="2 per minute") for _ in range(2)
    ]
    answers = [send(app.test_client(), headers={}).status_code for app in workers * 2]
    assert answers == [201, 201, 429, 429]


def test_past_the_size_cap_new_feedback_is_507_and_nothing_stored_is_lost(database_url):
    app = make_app(database_url, DIGITREC_FEEDBACK_MAX_MB=1)
    client = app.test_client()
    big = png_bytes(render_digit(7, size=(700, 700)), compress_level=0)
    assert 350_000 < len(big) < 524_288
    assert [send(client, big, headers={}).status_code for _ in range(3)] == [201, 201, 507]
    refused = send(client, big, headers={})
    assert refused.get_json()["title"] == "Feedback store full"
    assert stored(app).count() == 2
    assert all(stored(app).image(r.id) == big for r in stored(app).list())


def test_with_a_token_set_sending_feedback_needs_it_like_predict(client):
    assert send(client, headers={}).status_code == 401
    assert send(client).status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/feedback"),
        ("GET", "/api/v1/feedback/abc/image"),
        ("POST", "/api/v1/feedback/review"),
    ],
)
def test_review_requires_the_token(client, method, path):
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}):
        response = client.open(path, method=method, headers=headers, json={"accept": []})
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_without_a_token_configured_nobody_may_review(database_url):
    client = make_app(database_url).test_client()
    response = client.get("/api/v1/feedback")
    assert response.status_code == 403
    assert "DIGITREC_API_TOKEN" in response.get_json()["detail"]
    assert client.get("/review").status_code == 200  # the page, which shows nothing by itself


def test_an_admin_lists_pending_corrections_sees_images_and_decides_in_bulk(app, client):
    ids = [send(client, label=str(d)).get_json()["id"] for d in (1, 2, 3)]
    listing = client.get("/api/v1/feedback?status=pending", headers=ADMIN).get_json()
    assert listing["total"] == 3
    assert [c["id"] for c in listing["corrections"]] == ids
    assert {c["answer"] for c in listing["corrections"]} == {"7"}
    image = client.get(f"/api/v1/feedback/{ids[0]}/image", headers=ADMIN)
    assert (image.status_code, image.mimetype, image.data) == (200, "image/png", SEVEN)
    decided = client.post(
        "/api/v1/feedback/review",
        json={"accept": ids[:2], "reject": [ids[2], "unknown-id"]},
        headers=ADMIN,
    ).get_json()
    assert decided == {"changed": {"accepted": 2, "rejected": 1}, "unknown": ["unknown-id"]}
    accepted = client.get("/api/v1/feedback?status=accepted", headers=ADMIN).get_json()
    assert [c["label"] for c in accepted["corrections"]] == ["1", "2"]
    assert client.get("/api/v1/feedback?status=pending", headers=ADMIN).get_json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [None, [], {}, {"approve": ["x"]}, {"accept": "x"}, {"accept": [1]}],
)
def test_a_malformed_decision_is_400(client, body):
    response = client.post("/api/v1/feedback/review", json=body, headers=ADMIN)
    assert response.status_code == 400


def test_an_unknown_image_is_404(client):
    assert client.get("/api/v1/feedback/nope/image", headers=ADMIN).status_code == 404


def test_a_server_whose_schema_is_behind_refuses_to_start(database_url):
    from digitrec.feedback.schema_version import SchemaBehindError

    if database_url.startswith("sqlite"):
        import sqlalchemy

        engine = database.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE unrelated (x INTEGER)"))
    with pytest.raises(SchemaBehindError, match="digitrec db upgrade"):
        create_app({"TESTING": True, "DIGITREC_DATABASE_URL": database_url})


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_with_redis_configured_the_limit_is_counted_there_across_workers(tmp_path):
    url = "redis://127.0.0.1:6379"
    if not redis_answers(url):
        pytest.skip("no Redis answers on 127.0.0.1:6379")
    database_url = f"sqlite:///{tmp_path}/feedback.sqlite3"
    config = {
        "DIGITREC_FEEDBACK_RATE_LIMIT": "2 per minute",
        "DIGITREC_RATE_LIMIT_STORAGE_URL": url,
    }
    workers = [make_app(database_url, **config) for _ in range(2)]
    client_address = {"REMOTE_ADDR": f"10.9.{os.getpid() % 250}.{time.time_ns() % 250}"}
    answers = [
        app.test_client()
        .post(
            "/api/v1/feedback?label=1",
            data=SEVEN,
            headers={"Content-Type": "image/png"},
            environ_base=client_address,
        )
        .status_code
        for app in workers * 2
    ]
    assert answers == [201, 201, 429, 429]
    engine = database.create_engine(database_url)
    with engine.connect() as connection:  # the database held no counters: Redis did
        assert connection.exec_driver_sql("SELECT count(*) FROM rate_limits").scalar() == 0
    engine.dispose()


def test_nothing_about_the_sender_is_kept_not_even_in_the_rate_limiters_counters(app, client):
    import sqlalchemy

    response = client.post(
        "/api/v1/feedback?label=1",
        data=SEVEN,
        headers={**ADMIN, "Content-Type": "image/png", "Cookie": "session=abc"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 201 and "Set-Cookie" not in response.headers
    engine = stored(app).engine
    columns = {column["name"] for column in sqlalchemy.inspect(engine).get_columns("corrections")}
    assert columns == {
        "id", "created_at", "mode", "answer", "label", "model_name", "model_version",
        "image", "image_bytes", "status", "reviewed_at",
    }  # fmt: skip
    with engine.connect() as connection:
        keys = [row[0] for row in connection.exec_driver_sql("SELECT key FROM rate_limits")]
    assert keys and not any("203.0.113.7" in key for key in keys)
