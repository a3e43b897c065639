"""The page in a real browser: Debian's Chromium driven by Playwright against `digitrec serve`.

Draws digits with pointer events (mouse and touch), uploads a file, switches to number mode,
checks that nothing logs an error, and saves desktop and phone screenshots, light and dark,
into test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from conftest import png_bytes, render_digit, serving

from .in_chromium import (
    ANSWER_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_TESTS,
    DESKTOP,
    ONE_STROKE,
    PHONE,
    SEVEN_STROKES,
    draw_with_mouse,
    draw_with_touch,
    pad_box,
    wait_for_digit,
)

pytestmark = BROWSER_TESTS


def test_drawing_a_seven_shows_the_digit_and_the_28x28_input(open_page):
    page = open_page()
    draw_with_mouse(page, SEVEN_STROKES)
    assert re.fullmatch(r"[0-9?]", wait_for_digit(page))
    mnist = page.locator(".step-mnist img:not(.heatmap)")
    assert mnist.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [28, 28]
    assert mnist.evaluate("image => getComputedStyle(image).imageRendering") == "pixelated"
    assert page.locator("#chart .bar").count() == 10
    assert (
        "sure" in page.locator("#confidence").inner_text()
        or page.locator("#verdict.is-unsure").count()
    )
    assert page.locator("#announce").inner_text()
    page.screenshot(path=ARTIFACTS / "desktop-light-drawn.png", full_page=True)

    page.locator("#undo").click()
    page.wait_for_selector("#result-empty:not([hidden])")
    assert page.locator("#clear").is_disabled()


def test_uploading_a_file_reads_it(open_page, tmp_path):
    page = open_page(color_scheme="dark")
    image = tmp_path / "seven.png"
    image.write_bytes(png_bytes(render_digit(7)))
    page.set_input_files("#file", str(image))
    assert wait_for_digit(page) == "7"
    page.screenshot(path=ARTIFACTS / "desktop-dark-upload.png", full_page=True)


def test_an_image_dropped_anywhere_or_pasted_is_read(open_page):
    page = open_page()
    make_file = """async () => {
        const blob = await (await fetch('/static/samples/digit-3.png')).blob();
        const transfer = new DataTransfer();
        transfer.items.add(new File([blob], 'three.png', {type: 'image/png'}));
        return transfer;
    }"""
    dropped = page.evaluate_handle(make_file)
    page.dispatch_event("footer", "dragenter", {"dataTransfer": dropped})
    assert page.locator("#drop-overlay").is_visible()
    page.dispatch_event("footer", "drop", {"dataTransfer": dropped})
    assert wait_for_digit(page) == "3"
    assert page.locator("#drop-overlay").is_hidden()

    page.locator("#clear").focus()
    pasted = page.evaluate_handle(make_file.replace("digit-3", "digit-8"))
    page.evaluate(
        "data => document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data}))",
        pasted,
    )
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect(page.locator("#big-digit")).to_have_text("8", timeout=ANSWER_TIMEOUT_MS)


def test_a_sample_is_one_click(open_page):
    page = open_page()
    page.locator('button.sample[value="digit-3"]').click()
    assert wait_for_digit(page) == "3"


def test_drawing_with_a_finger_on_a_phone_does_not_scroll_the_page(open_page):
    page = open_page(PHONE)
    page.locator("#pad-canvas").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert page.locator("#pad-canvas").evaluate("c => getComputedStyle(c).touchAction") == "none"
    draw_with_touch(page, ONE_STROKE)
    assert re.fullmatch(r"[0-9?]", wait_for_digit(page))
    assert page.evaluate("window.scrollY") == scrolled
    page.screenshot(path=ARTIFACTS / "phone-light-drawn.png", full_page=True)


def test_number_mode_widens_the_pad_and_boxes_each_digit(open_page):

    page = open_page(PHONE, color_scheme="dark")
    square = pad_box(page)
    page.locator('label[for="mode-number"]').click()
    page.wait_for_selector('#workspace[data-mode="number"]')
    wide = pad_box(page)
    assert wide["width"] / wide["height"] > 1.9 > 1.1 > square["width"] / square["height"]
    draw_with_mouse(page, [[(0.15, 0.2), (0.15, 0.85)], [(0.55, 0.2), (0.75, 0.2), (0.62, 0.85)]])
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    # The first stroke alone may be read first (the pad reads as strokes end): wait for both.
    playwright_api = pytest.importorskip("playwright.sync_api")
    boxes = page.locator("#pad-boxes .box")
    playwright_api.expect(boxes).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    assert re.fullmatch(r"[0-9?]{2}", page.locator("#big-number").inner_text())
    page.screenshot(path=ARTIFACTS / "phone-dark-number.png", full_page=True)


PAGE_TOKEN = "a-token-for-the-browser-test-0123"


@pytest.fixture(scope="module")
def token_server():
    """`digitrec serve` started with DIGITREC_API_TOKEN."""
    with serving(workers=1, env={"DIGITREC_API_TOKEN": PAGE_TOKEN}) as server:
        yield server


def test_with_a_token_the_page_asks_for_it_once_and_keeps_it_for_the_tab(browser, token_server):
    expect = pytest.importorskip("playwright.sync_api").expect
    context = browser.new_context(**DESKTOP)
    problems = []
    page = context.new_page()
    # The browser logs each refused request itself; anything else is a fault of the page.
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "401" not in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{token_server.url}/")
        page.wait_for_selector("html.js")
        token_row, token = page.locator("#token-row"), page.locator("#token")
        assert token_row.is_hidden()

        page.locator('button.sample[value="digit-3"]').click()
        expect(token_row).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#problem-title")).to_have_text("Access token needed")
        assert token.evaluate("input => input === document.activeElement")
        page.screenshot(path=ARTIFACTS / "desktop-light-token-asked.png", full_page=True)
        token.fill("not-the-token-not-the-token")
        token.press("Enter")
        expect(page.locator("#problem-title")).to_have_text(
            "Token not accepted", timeout=ANSWER_TIMEOUT_MS
        )
        token.fill(PAGE_TOKEN)
        token.press("Enter")
        assert wait_for_digit(page) == "3"
        assert token_row.is_hidden()

        page.reload()
        page.wait_for_selector("html.js")
        page.locator('button.sample[value="digit-8"]').click()
        assert wait_for_digit(page) == "8"
        assert token_row.is_hidden()
    finally:
        context.close()
    assert not problems, f"console errors: {problems}"
