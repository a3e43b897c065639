"""The server holds against expensive and malformed requests (issue #23), through Flask's
test client: metrics labels from fixed sets, relative redirects, data: URLs in any case, a
cut-short JPEG, the form's token trimmed, the limits on one request's work. Against the real
`digitrec serve`: tests/web/test_abuse_live.py.
"""

from __future__ import annotations

import base64
import io
import random
import re
import string
import threading
import time

import pytest
from conftest import png_bytes, render_digit, touching_digits
from PIL import Image

from digitrec.errors import ServerBusyError, TooMuchWorkError
from digitrec.web import create_app
from digitrec.web.work_limits import MAX_NUMBER_IMAGES, PixelBudget, WorkLimits, declared_pixels

SEVEN = png_bytes(render_digit(7))
TOKEN = "abuse-test-token-0123456789"


def series(client) -> set[str]:
    text = client.get("/metrics").get_data(as_text=True)
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")}


def test_a_thousand_made_up_methods_add_no_metric_series(client):
    rng = random.Random(23)
    client.open("/x", method="XFIRST")
    series(client)  # the first look at /metrics adds its own route's series
    before = series(client)
    for _ in range(1000):
        client.open("/x", method="X" + "".join(rng.choices(string.ascii_uppercase, k=10)))
    after = series(client)
    assert after == before
    assert any('method="other"' in name and 'route="other"' in name for name in after)


def test_redirects_name_only_the_path_never_the_host_header(client):
    response = client.get("/api//v1/model", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/api/v1/model"


@pytest.mark.parametrize("prefix", ["DATA:image/png;BASE64,", "data:IMAGE/PNG;Base64,"])
def test_data_urls_are_read_whatever_the_case(client, prefix):
    image = prefix + base64.b64encode(SEVEN).decode()
    response = client.post("/api/v1/predict", json={"image": image})
    assert response.status_code == 200
    assert response.get_json()["digit"] == 7


def test_a_jpeg_cut_short_is_unusable_however_big_it_claims_to_be(client):
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="JPEG")
    jpeg = buffer.getvalue()
    sof = jpeg.index(b"\xff\xc0")
    claiming = jpeg[: sof + 5] + (6000).to_bytes(2, "big") + (5000).to_bytes(2, "big")
    cut_short = claiming + jpeg[sof + 9 : 380]
    response = client.post("/api/v1/predict", data=cut_short, content_type="image/jpeg")
    assert response.status_code == 422
    assert "truncated" in response.get_json()["detail"]


def test_the_forms_token_is_trimmed_like_the_header():
    form = create_app({"TESTING": True, "DIGITREC_API_TOKEN": TOKEN}).test_client()
    page = form.post("/", data={"file": (io.BytesIO(SEVEN), "7.png"), "token": f"  {TOKEN}\t"})
    assert page.status_code == 200


# One request's work ------------------------------------------------------------------------


def test_number_mode_reads_a_limited_number_of_images_per_request(client):
    images = [base64.b64encode(SEVEN).decode()] * (MAX_NUMBER_IMAGES + 1)
    response = client.post("/api/v1/predict?mode=number", json={"images": images})
    assert response.status_code == 422
    assert f"at most {MAX_NUMBER_IMAGES}" in response.get_json()["detail"]


def test_a_request_past_its_deadline_stops_with_422(app):
    from digitrec.web import answers

    past = WorkLimits(time.monotonic() - 1, 10, PixelBudget(10**8))
    recogniser = app.extensions["digitrec"]
    for mode in ("digit", "number"):
        with pytest.raises(TooMuchWorkError, match="over 10 s"):
            answers.read(recogniser, [SEVEN], mode, False, past)


def test_a_heavy_number_request_is_cut_at_a_tiny_deadline_and_answered_422():
    # Eight lines of 29 touching digits: most of a second or more each, so the deadline falls
    # within the first images (which one depends on the machine).
    images = [base64.b64encode(touching_digits()).decode()] * MAX_NUMBER_IMAGES
    app = create_app({"TESTING": True, "DIGITREC_REQUEST_TIMEOUT_S": 1})
    response = app.test_client().post("/api/v1/predict?mode=number", json={"images": images})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/api#problem-too-much-work"
    assert re.match(r"image [1-7] of 8: reading this request took over 1 s", problem["detail"])


class StopAtCheck(WorkLimits):
    """Limits whose deadline passes at the `stop_at`-th check, however fast the machine."""

    def __init__(self, stop_at: int):
        super().__init__(time.monotonic() + 3600, 3600, PixelBudget(10**8))
        object.__setattr__(self, "checks", [])
        object.__setattr__(self, "stop_at", stop_at)

    def check_time(self) -> None:
        self.checks.append(1)
        if len(self.checks) == self.stop_at:
            raise TooMuchWorkError("deadline")


def test_digit_mode_checks_the_deadline_before_each_image_and_stops_there(app):
    from digitrec.web import answers

    limits = StopAtCheck(stop_at=3)
    with pytest.raises(TooMuchWorkError, match="deadline"):
        answers.read(app.extensions["digitrec"], [SEVEN] * 40, "digit", False, limits)
    assert len(limits.checks) == 3  # not swallowed as a bad image and read again


def test_a_deadline_passed_between_two_numbers_is_named_by_the_next(app):
    from digitrec.web import answers

    # The first check of all is the one before the first image is read.
    limits = StopAtCheck(stop_at=1)
    with pytest.raises(TooMuchWorkError, match=r"^image 1 of 2: deadline"):
        answers.read(app.extensions["digitrec"], [SEVEN] * 2, "number", False, limits)


def test_the_number_reader_checks_the_deadline_between_its_reads(recogniser):
    from digitrec.numbers import read_number

    checks = []

    def stop_at_the_second_check():
        checks.append(time.monotonic())
        if len(checks) == 2:
            raise TooMuchWorkError("deadline")

    with pytest.raises(TooMuchWorkError):
        read_number(recogniser, touching_digits(), stop_at_the_second_check)
    assert len(checks) == 2


def test_the_number_reader_reads_at_most_a_chunk_of_pieces_between_deadline_checks(
    recogniser, monkeypatch
):
    from digitrec.numbers import read_number
    from digitrec.numbers.segment import READ_CHUNK

    judge = recogniser.cut_judge
    read_since_check, most_between_checks = [0], [0]
    original_predict = judge.predict

    def counting_predict(images, threshold=None):
        read_since_check[0] += len(images)
        most_between_checks[0] = max(most_between_checks[0], read_since_check[0])
        return original_predict(images, threshold)

    def check() -> None:
        read_since_check[0] = 0

    monkeypatch.setattr(judge, "predict", counting_predict)
    read_number(recogniser, touching_digits(), check)
    # Each piece is read twice at most (the second time with thicker strokes).
    assert 0 < most_between_checks[0] <= 2 * READ_CHUNK


def test_big_images_wait_for_the_pixel_budget_and_small_ones_never_do():
    budget = PixelBudget(10_000_000, wait_s=0.1)
    with budget.reserve(8_000_000):
        with pytest.raises(ServerBusyError), budget.reserve(8_000_000):
            pass
        with budget.reserve(100_000):  # a canvas
            pass
    with budget.reserve(8_000_000):  # room again once the first is done
        pass


@pytest.mark.parametrize(("format", "counted"), [("PNG", 1), ("JPEG", 1), ("HEIF", 4)])
def test_an_image_counts_against_the_budget_as_much_as_its_decoding_costs(format, counted):
    image = png_bytes(Image.new("RGB", (640, 480), (230, 230, 230)), format)
    assert declared_pixels(image) == counted * 640 * 480
    assert declared_pixels(b"not an image") == 0


def test_memory_is_given_back_once_a_request_is_over_and_no_big_image_is_being_read():
    budget = PixelBudget(10_000_000)
    assert not budget.give_back_if_idle()  # nothing read yet
    with budget.reserve(100_000):  # a canvas: not counted
        pass
    assert not budget.give_back_if_idle()
    with budget.reserve(8_000_000):
        pass
    with budget.reserve(2_000_000):
        assert not budget.give_back_if_idle()  # another is still being read
    assert budget.give_back_if_idle()
    assert not budget.give_back_if_idle()  # once


def test_only_one_request_waits_for_the_pixel_budget_the_next_is_busy_at_once():
    budget = PixelBudget(10_000_000, wait_s=60)
    outcome = []

    def wait_for_room() -> None:
        with budget.reserve(8_000_000):
            outcome.append("read")

    with budget.reserve(8_000_000):
        waiter = threading.Thread(target=wait_for_room)
        waiter.start()
        while budget._waiting == 0:
            time.sleep(0.01)
        with pytest.raises(ServerBusyError), budget.reserve(8_000_000):
            pass  # a second waiter would hold a second thread: refused without waiting
    waiter.join()
    assert outcome == ["read"]


def test_a_digit_batch_is_read_in_lots_of_few_big_images_or_many_small_ones():
    from digitrec.web.answers import DIGIT_CHUNK, LOT_PIXELS, digit_lots

    canvas, photo = 280 * 280, 5600 * 5600
    assert digit_lots([canvas] * 40) == [(0, DIGIT_CHUNK), (DIGIT_CHUNK, 2 * DIGIT_CHUNK), (32, 40)]
    assert digit_lots([photo] * 3) == [(0, 1), (1, 2), (2, 3)]
    quarter = LOT_PIXELS // 4
    assert digit_lots([quarter] * 5 + [canvas]) == [(0, 4), (4, 6)]


def test_the_deadline_runs_from_when_the_worker_had_the_body(app):
    from digitrec.web.work_limits import RECEIVED_AT, request_limits

    queued_long_ago = {RECEIVED_AT: time.monotonic() - 3600}
    with (
        app.test_request_context("/api/v1/predict", environ_overrides=queued_long_ago),
        pytest.raises(TooMuchWorkError, match="over 10 s"),
    ):
        request_limits().check_time()
    with app.test_request_context("/api/v1/predict"):
        request_limits().check_time()  # without the worker: from now


def test_a_request_without_room_in_the_pixel_budget_is_503_with_retry_after(app):
    big = png_bytes(Image.new("L", (2000, 1000), 255))
    budget = app.extensions["digitrec_pixels"]
    budget.wait_s = 0.1
    with budget.reserve(budget.total):
        response = app.test_client().post("/api/v1/predict", data=big, content_type="image/png")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(ServerBusyError.retry_after_s)
    assert response.get_json()["type"] == "/api#problem-server-busy"
