"""The page where things are less kind, in Debian's Chromium: a phone's width, a laptop's fold,
no network, and no JavaScript."""

from __future__ import annotations

import pytest

from .in_chromium import (
    ANSWER_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_TESTS,
    DESKTOP,
    PHONE,
    SEVEN_STROKES,
    draw_with_mouse,
    wait_for_digit,
)

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = BROWSER_TESTS


def test_the_api_page_fits_a_phone_and_its_code_scrolls_inside_itself(browser, live_server):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/api")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
        code = page.locator("pre").first
        assert code.evaluate("pre => pre.scrollWidth > pre.clientWidth")
        assert code.evaluate("pre => getComputedStyle(pre).overflowX") == "auto"
        page.screenshot(path=ARTIFACTS / "phone-light-api.png")
    finally:
        context.close()


def test_at_1280x800_the_upload_button_and_the_samples_are_above_the_fold(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("html.js")
        page.screenshot(path=ARTIFACTS / "desktop-1280x800-light.png")
        for selector in (".file-button", "button.sample >> nth=-1"):
            box = page.locator(selector).bounding_box()
            assert box["y"] + box["height"] <= 800, f"{selector} is below the fold"
    finally:
        context.close()


def test_offline_the_page_says_so_in_plain_words_and_can_try_again(browser, live_server):
    context = browser.new_context(**DESKTOP)
    problems = []
    page = context.new_page()
    # The browser logs the failed request itself; anything else is a fault of the page.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "ERR_INTERNET_DISCONNECTED" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("html.js")
        context.set_offline(True)
        draw_with_mouse(page, SEVEN_STROKES)
        expect(page.locator("#problem-title")).to_have_text(
            "Could not reach the server", timeout=ANSWER_TIMEOUT_MS
        )
        assert "Failed to fetch" not in page.locator("#result").inner_text()
        retry = page.locator("#retry")
        expect(retry).to_be_visible()
        context.set_offline(False)
        retry.click()
        assert wait_for_digit(page) == "7"
    finally:
        context.close()
    assert not problems, f"console errors: {problems}"


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(**DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    yield page
    context.close()


def test_without_javascript_the_file_control_looks_like_the_pages_buttons(no_js_page):
    selector_button = no_js_page.locator("#file").evaluate(
        "input => { const style = getComputedStyle(input, '::file-selector-button');"
        " return [style.borderRadius, style.backgroundColor]; }"
    )
    assert selector_button == ["12px", "rgb(236, 234, 253)"]  # --accent-soft


@pytest.mark.parametrize(
    ("file", "words"),
    [
        (None, "Choose an image first"),
        ({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}, "picture"),
    ],
)
def test_without_javascript_errors_show_in_the_form_in_plain_words(no_js_page, file, words):
    page = no_js_page
    if file:
        page.set_input_files("#file", files=[file])
    with page.expect_navigation() as answered:
        page.locator("button.no-js-only").click()
    assert 400 <= answered.value.status < 500
    error = page.locator("#form-error")
    expect(error).to_be_visible()
    assert words in error.inner_text()
    assert "multipart" not in error.inner_text() and "`" not in error.inner_text()
    expect(page.locator("#read-form #file")).to_be_visible()  # the form is still there
    assert page.locator("#file").get_attribute("aria-describedby") == "form-error"
    page.screenshot(path=ARTIFACTS / "desktop-light-no-js-error.png")
