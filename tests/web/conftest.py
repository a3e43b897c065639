"""The web tests' fixtures: the API's checked client, and one Chromium per module with pages
that fail their test on any console error."""

from __future__ import annotations

import pytest

from .api_client import SpecCheckedClient
from .in_chromium import CHROMIUM, CHROMIUM_ARGS, DESKTOP


@pytest.fixture
def api(app):
    """Flask's test client, checking every answer against the app's OpenAPI document."""
    return SpecCheckedClient(app)


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(device, color_scheme) -> a page at `/`; fails the test on any console error."""
    contexts, problems = [], []

    def open_page(device=DESKTOP, color_scheme="light"):
        context = browser.new_context(**device, color_scheme=color_scheme)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("html.js")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, f"console errors: {problems}"
