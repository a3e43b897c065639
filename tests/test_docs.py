"""The README cannot drift: every CLI command and every API route appears in it."""

from __future__ import annotations

import re
from pathlib import Path

from digitrec.cli import main

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_cli_command_is_documented():
    for name in main.commands:
        assert f"digitrec {name}" in README, f"`digitrec {name}` is missing from README.md"


def test_every_route_is_documented(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/static"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in README, f"route {path} is missing from README.md"


def test_quick_start_is_the_two_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make serve" in quick_start and "make test" in quick_start
