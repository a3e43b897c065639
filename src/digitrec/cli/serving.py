"""`digitrec serve`: the web page and JSON API under gunicorn."""

from __future__ import annotations

import sys

import click


class FromEnvironment(click.ParamType):
    """An option's type whose errors name the environment variable when the value came from
    one: `DIGITREC_PORT=abc` is the mistake to fix, not a `--port` nobody typed."""

    def __init__(self, inner: click.ParamType):
        self.inner = inner
        self.name = inner.name

    def convert(self, value, param, ctx):
        try:
            return self.inner.convert(value, param, ctx)
        except click.BadParameter as error:
            source = ctx.get_parameter_source(param.name) if ctx and param else None
            if source is not click.core.ParameterSource.ENVIRONMENT:
                raise
            raise click.BadParameter(
                error.message, ctx, param, param_hint=f"environment variable {param.envvar}"
            ) from None

    def get_metavar(self, param, ctx=None):
        return self.inner.get_metavar(param, ctx) if ctx else self.inner.get_metavar(param)


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="DIGITREC_HOST",
    help="Address to listen on.",
)
@click.option(
    "--port",
    type=FromEnvironment(click.IntRange(1, 65535)),
    default=5000,
    show_default=True,
    envvar="DIGITREC_PORT",
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=FromEnvironment(click.IntRange(min=1)),
    default=None,
    envvar="DIGITREC_WORKERS",
    help="gunicorn worker processes. Default: the number of CPU cores.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="DIGITREC_MODEL",
    help="ONNX model to serve. Default: the bundled model.",
)
def serve(host, port, workers, model_path):
    """Serve the web page and JSON API under gunicorn, the model loaded once per worker."""
    from digitrec.web.server import run_gunicorn

    sys.exit(run_gunicorn(host=host, port=port, workers=workers, model_path=model_path))
