"""/metrics names the model each worker serves: digitrec_model_info{name, version} 1.

Under gunicorn the gauge counts live workers only, so after a SIGHUP promotion the old version
leaves /metrics as its workers exit.
"""

from __future__ import annotations

import flask
from prometheus_client import Gauge


def init_app(app: flask.Flask) -> None:
    """After metrics.init_app and the recogniser: record the served model's name and version."""
    gauge = Gauge(
        "digitrec_model_info",
        "The model served (value 1 for each name and version a live worker serves).",
        ["name", "version"],
        registry=app.extensions["digitrec_metrics"].registry,
        multiprocess_mode="livemax",
    )
    card = app.extensions["digitrec"].card
    gauge.labels(card.name, card.version).set(1)
