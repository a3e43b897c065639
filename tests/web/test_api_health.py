"""The served model's card, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from conftest import png_bytes, render_digit
from prometheus_client.parser import text_string_to_metric_families

from .api_client import predict_raw

SEVEN = png_bytes(render_digit(7))


def test_model_card_is_the_served_models_with_its_photos_model_s(api, app):
    card = api.get("/api/v1/model").get_json()
    recogniser = app.extensions["digitrec"]
    photos = card.pop("photos_model")
    assert card == recogniser.card.raw and photos == recogniser.photo_reader.card.raw


def test_healthz_is_ok(api):
    assert api.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_after_the_self_test_reads_the_bundled_seven(api, app):
    answer = api.get("/readyz").get_json()
    assert answer["status"] == "ready"
    assert answer["model"]["name"] == app.extensions["digitrec"].card.name


def test_readyz_is_503_while_the_self_test_fails(api, app, monkeypatch):
    from digitrec.web import health

    def broken(images):
        raise RuntimeError("model gone")

    monkeypatch.setattr(app.extensions["digitrec"], "recognise", broken)
    health.run_self_test(app)
    response = api.get("/readyz")
    assert response.status_code == 503
    assert "model gone" in response.get_json()["detail"]


def metric_samples(api) -> dict:
    response = api.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_requests_latency_and_digits(api):
    predict_raw(api, SEVEN)
    predict_raw(api, b"", content_type="image/png")
    samples = metric_samples(api)
    route = ("route", "/api/v1/predict")
    assert (
        samples[("digitrec_http_requests_total", (("method", "POST"), route, ("status", "200")))]
        == 1
    )
    assert (
        samples[("digitrec_http_requests_total", (("method", "POST"), route, ("status", "400")))]
        == 1
    )
    assert samples[("digitrec_http_request_duration_seconds_count", (route,))] == 2
    assert samples[("digitrec_predictions_total", (("digit", "7"), ("is_digit", "true")))] == 1


def test_metrics_label_a_wrong_method_with_its_route_and_an_unknown_path_as_other(api):
    assert api.get("/api/v1/predict").status_code == 405
    assert api.post("/api/v1/nowhere").status_code == 404
    samples = metric_samples(api)
    wrong_method = (("method", "GET"), ("route", "/api/v1/predict"), ("status", "405"))
    assert samples[("digitrec_http_requests_total", wrong_method)] == 1
    unknown = (("method", "POST"), ("route", "other"), ("status", "404"))
    assert samples[("digitrec_http_requests_total", unknown)] == 1
