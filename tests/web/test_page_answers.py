"""The page's answers in Debian's Chromium: every advertised file format, numbers with their
boxes, a file too large, numbers that are not numbers, why this digit, and the rounding shown."""

from __future__ import annotations

import pytest
from conftest import png_bytes, render_digit
from PIL import Image

from .in_chromium import (
    ANSWER_TIMEOUT_MS,
    ARTIFACTS,
    BROWSER_TESTS,
    PHONE,
    SEVEN_STROKES,
    draw_with_mouse,
    wait_for_digit,
)

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = BROWSER_TESTS


def number_image(text: str = "2026") -> Image.Image:
    return render_digit(text, size=(560, 200), scale=0.55)


@pytest.mark.parametrize(
    ("format", "suffix", "content_type"),
    [
        ("TIFF", "tif", "image/tiff"),
        ("BMP", "bmp", "image/bmp"),
        ("WEBP", "webp", "image/webp"),
        ("HEIF", "heic", "image/heic"),
        ("GIF", "gif", "image/gif"),
        ("JPEG", "jpg", "image/jpeg"),
    ],
)
def test_every_advertised_format_is_read_and_shown_with_its_boxes_in_number_mode(
    open_page, format, suffix, content_type
):
    page = open_page()
    page.locator('label[for="mode-number"]').click()
    image = png_bytes(number_image(), format=format)
    page.set_input_files(
        "#file", files=[{"name": f"number.{suffix}", "mimeType": content_type, "buffer": image}]
    )
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#big-number").inner_text() == "2026"
    expect(page.locator("#reading-figure")).to_be_visible()
    assert page.locator("#reading .box").count() == 4
    shown = page.locator("#reading image").evaluate(
        "image => new Promise(resolve => { const probe = new Image();"
        " probe.onload = () => resolve(probe.naturalWidth); probe.onerror = () => resolve(0);"
        " probe.src = image.getAttribute('href'); })"
    )
    assert shown > 0, "the browser cannot show the image the boxes are drawn on"


def test_a_tiff_is_read_in_digit_mode_too(open_page):
    page = open_page()
    image = png_bytes(render_digit(7), format="TIFF")
    page.set_input_files(
        "#file", files=[{"name": "seven.tif", "mimeType": "image/tiff", "buffer": image}]
    )
    assert wait_for_digit(page) == "7"


def test_a_file_over_the_limit_is_refused_before_it_is_sent(open_page):
    page = open_page()
    sent = []
    page.on("request", lambda request: sent.append(request.url))
    too_large = b"\x89PNG" + bytes(14 * 2**20)
    page.set_input_files(
        "#file", files=[{"name": "huge.png", "mimeType": "image/png", "buffer": too_large}]
    )
    expect(page.locator("#problem-title")).to_have_text("This file is too large")
    assert "14.0 MB" in page.locator("#problem-detail").inner_text()
    assert not [url for url in sent if "/api/v1/predict" in url]


def test_letters_in_number_mode_show_that_the_whole_number_is_doubtful(open_page):
    page = open_page()
    page.locator('label[for="mode-number"]').click()
    letters = png_bytes(render_digit("Hi!", size=(560, 200), scale=0.55))
    page.set_input_files(
        "#file", files=[{"name": "hi.png", "mimeType": "image/png", "buffer": letters}]
    )
    expect(page.locator("#number-verdict")).to_have_class(
        "number-verdict is-unsure", timeout=ANSWER_TIMEOUT_MS
    )
    assert "Not sure this is a number" in page.locator("#number-confidence").inner_text()

    number = png_bytes(number_image())
    page.set_input_files(
        "#file", files=[{"name": "2026.png", "mimeType": "image/png", "buffer": number}]
    )
    expect(page.locator("#number-confidence")).to_contain_text(
        "sure of the whole number", timeout=ANSWER_TIMEOUT_MS
    )
    expect(page.locator("#number-verdict")).to_have_class("number-verdict")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_why_this_digit_overlays_a_heatmap_that_the_keyboard_toggles(open_page, color_scheme):
    page = open_page(color_scheme=color_scheme)
    draw_with_mouse(page, SEVEN_STROKES)
    assert wait_for_digit(page) == "7"
    heatmap = page.locator(".step-mnist .heatmap")
    expect(heatmap).to_be_visible()
    mnist = page.locator(".step-mnist img:not(.heatmap)")
    assert heatmap.bounding_box() == mnist.bounding_box()  # exactly over the 28x28 input
    assert heatmap.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [28, 28]
    runner_up = page.locator("#runner-up")
    expect(runner_up).to_contain_text("Second most likely")
    assert runner_up.locator("strong").inner_text() != "7"
    page.screenshot(path=ARTIFACTS / f"desktop-{color_scheme}-why.png", full_page=True)

    page.locator("#show-why").focus()
    page.keyboard.press("Space")
    expect(heatmap).to_be_hidden()
    page.keyboard.press("Space")
    expect(heatmap).to_be_visible()


def test_why_this_digit_on_a_phone_in_the_dark(open_page):
    page = open_page(PHONE, color_scheme="dark")
    page.locator('button.sample[value="digit-3"]').click()
    assert wait_for_digit(page) == "3"
    expect(page.locator(".step-mnist .heatmap")).to_be_visible()
    page.locator("#steps").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "phone-dark-why.png", full_page=True)


def test_the_scripts_round_like_the_server_page(open_page):
    page = open_page()
    shown = page.evaluate(
        """async () => {
            const { percent } = await import('/static/result.js');
            return [1.0, 0.9996, 0.9951, 0.42, 0.05, 0.004].map(percent);
        }"""
    )
    assert shown == ["100%", ">99.9%", "99.5%", "42%", "5.0%", "<1%"]
