"""`flask run` from the repository root serves digitrec on 127.0.0.1:5000, as the original spec
promised: Flask finds this module and calls its `create_app()` factory."""

from digitrec.web import create_app

__all__ = ["create_app"]
