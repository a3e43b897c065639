"""Prometheus metrics at /metrics: requests by status, latency, and predictions by digit.

Under gunicorn every worker writes its samples to PROMETHEUS_MULTIPROC_DIR (set up by
`server.run_gunicorn`) and /metrics sums them across workers; the Flask development server
and tests keep them in memory, one registry per app.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from dataclasses import dataclass

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from werkzeug.exceptions import HTTPException, MethodNotAllowed

# Seconds; single-image predictions take a few milliseconds, batches and photos longer.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Label values come from fixed sets, so that no request can add a series: a method outside
# HTTP's standard ones and a path matching no route are both counted as OTHER.
STANDARD_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
OTHER = "other"

blueprint = flask.Blueprint("metrics", __name__)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    predictions: Counter


def init_app(app: flask.Flask) -> None:
    registry = CollectorRegistry()
    app.extensions["digitrec_metrics"] = Metrics(
        registry=registry,
        requests=Counter(
            "digitrec_http_requests",
            "HTTP requests answered, by method, route and status code.",
            ["method", "route", "status"],
            registry=registry,
        ),
        latency=Histogram(
            "digitrec_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        ),
        predictions=Counter(
            "digitrec_predictions",
            "Digits read, by digit ('none' for a blank image) and whether the model was sure.",
            ["digit", "is_digit"],
            registry=registry,
        ),
    )
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(blueprint)


def _route() -> str:
    """The matched rule; for a 405, the rule the path matched with another method (a bounded
    set of labels either way); OTHER for a 404."""
    request = flask.request
    if request.url_rule is not None:
        return request.url_rule.rule
    wrong_method = request.routing_exception
    if isinstance(wrong_method, MethodNotAllowed) and wrong_method.valid_methods:
        adapter = flask.current_app.url_map.bind("localhost")
        with contextlib.suppress(HTTPException):
            rule, _ = adapter.match(
                request.path, method=wrong_method.valid_methods[0], return_rule=True
            )
            return rule.rule
    return OTHER


def _method() -> str:
    method = flask.request.method
    return method if method in STANDARD_METHODS else OTHER


def _start_timer() -> None:
    flask.g.request_started = time.perf_counter()


def _observe(response: flask.Response) -> flask.Response:
    started = flask.g.get("request_started")
    metrics = flask.current_app.extensions["digitrec_metrics"]
    route = _route()
    metrics.requests.labels(_method(), route, str(response.status_code)).inc()
    if started is not None:
        metrics.latency.labels(route).observe(time.perf_counter() - started)
    return response


def count_answers(answers: list[dict]) -> None:
    """Count every digit read in these API answers (each digit of a number counts)."""
    predictions = flask.current_app.extensions["digitrec_metrics"].predictions
    for answer in answers:
        for digit in answer.get("digits", [answer]):
            label = "none" if digit["digit"] is None else str(digit["digit"])
            predictions.labels(label, str(bool(digit["is_digit"])).lower()).inc()


class WorkerSamples:
    """prometheus_client's MultiProcessCollector, skipping a samples file a starting worker
    has created but not yet sized: reading one fails, and a worker starts on every SIGHUP
    promotion (web/promotion.py) while the others answer /metrics."""

    def __init__(self, path: str):
        self.path = path

    def collect(self):
        files = []
        for path in glob.glob(os.path.join(self.path, "*.db")):
            with contextlib.suppress(OSError):  # gone: a dead worker's live gauge
                if os.path.getsize(path) > 0:
                    files.append(path)
        return multiprocess.MultiProcessCollector.merge(files, accumulate=True)


@blueprint.get("/metrics")
def metrics_text():
    multiproc_dir = flask.current_app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        registry = CollectorRegistry()
        registry.register(WorkerSamples(multiproc_dir))
    else:
        registry = flask.current_app.extensions["digitrec_metrics"].registry
    return flask.Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
