"""Drawing on the page's pad in Debian's Chromium: ink that stands out in both themes, modes that
keep the drawing, keyboard focus, the pending cue, the brush, and drawings that are no digit."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from .in_chromium import (
    ANSWER_TIMEOUT_MS,
    BROWSER_TESTS,
    SEVEN_STROKES,
    draw_with_mouse,
    pad_box,
    wait_for_digit,
)

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = BROWSER_TESTS


def luminance(rgb) -> float:
    """WCAG relative luminance of an (r, g, b) in 0..255."""
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def canvas_pixel(page, x: float, y: float) -> list[int]:
    """The pad canvas's RGBA at (x, y) in fractions of its size."""
    return page.locator("#pad-canvas").evaluate(
        """(canvas, [x, y]) => Array.from(canvas.getContext('2d').getImageData(
            Math.floor(x * canvas.width), Math.floor(y * canvas.height), 1, 1).data)""",
        [x, y],
    )


def inked_pixels(page) -> int:
    return page.locator("#pad-canvas").evaluate(
        """canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 128) count++;
            return count;
        }"""
    )


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_drawing_stands_out_in_both_themes_and_the_server_gets_dark_ink_on_white(
    open_page, color_scheme
):
    page = open_page(color_scheme=color_scheme)
    sent = []  # the bodies of requests to the API: a route sees them whole

    def keep_body(route):
        sent.append(route.request.post_data_buffer)
        route.continue_()

    page.route("**/api/v1/predict*", keep_body)
    draw_with_mouse(page, SEVEN_STROKES)
    wait_for_digit(page)

    ink = canvas_pixel(page, 0.5, 0.2)
    assert ink[3] == 255, "no ink where the stroke was drawn"
    paper = page.locator("#pad").evaluate(
        "pad => getComputedStyle(pad).backgroundColor.match(/\\d+/g).map(Number)"
    )
    assert contrast(ink[:3], paper[:3]) >= 7, f"ink {ink} on paper {paper}"

    sent_image = Image.open(io.BytesIO(sent[-1])).convert("L")
    width, height = sent_image.size
    assert sent_image.getpixel((width // 2, height // 5)) < 64  # the stroke: dark
    assert sent_image.getpixel((5, height - 5)) == 255  # the paper: white


def test_switching_from_number_to_digit_mode_keeps_the_whole_drawing(open_page):
    page = open_page()
    page.locator('label[for="mode-number"]').click()
    page.wait_for_selector('#workspace[data-mode="number"]')
    # A 1 on the right half of the wide pad: outside the square that digit mode keeps.
    draw_with_mouse(page, [[(0.85, 0.15), (0.85, 0.85)]])
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)

    page.locator('label[for="mode-digit"]').click()
    page.wait_for_selector('#workspace[data-mode="digit"]')
    assert inked_pixels(page) > 0
    assert wait_for_digit(page) == "1"


def test_switching_from_digit_to_number_mode_keeps_the_drawing_where_it_was(open_page):
    page = open_page()
    draw_with_mouse(page, [[(0.5, 0.15), (0.5, 0.85)]])
    wait_for_digit(page)
    page.locator('label[for="mode-number"]').click()
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#big-number").inner_text() == "1"
    assert canvas_pixel(page, 0.25, 0.5)[3] == 255  # the left square of the wide pad


@pytest.mark.parametrize("button", ["undo", "clear"])
def test_focus_moves_to_the_pad_when_undo_or_clear_empties_it(open_page, button):
    page = open_page()
    draw_with_mouse(page, SEVEN_STROKES)
    wait_for_digit(page)
    page.locator(f"#{button}").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-empty:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "pad-canvas"
    page.keyboard.press("Tab")  # and the keyboard goes on from there
    assert page.evaluate("document.activeElement.name") == "brush"


def test_undo_that_leaves_strokes_keeps_focus_on_undo(open_page):
    page = open_page()
    draw_with_mouse(page, [*SEVEN_STROKES, [(0.35, 0.55), (0.65, 0.55)]])
    wait_for_digit(page)
    page.locator("#undo").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "undo"


def test_a_new_stroke_marks_the_answer_as_pending_until_the_drawing_is_read(open_page):
    page = open_page()
    draw_with_mouse(page, [[(0.5, 0.15), (0.5, 0.85)]])
    assert wait_for_digit(page) == "1"
    cue = page.locator("#pending-cue")
    expect(cue).to_be_hidden()

    box = pad_box(page)
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.2 * box["height"], steps=5)
    expect(cue).to_be_visible()
    expect(page.locator("#result")).to_have_class("result is-pending")
    # Longer than the pause after a stroke: a half-drawn digit is never read as final.
    page.wait_for_timeout(800)
    expect(cue).to_be_visible()
    page.mouse.up()
    expect(cue).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#result")).not_to_have_class("result is-pending")


def test_the_brush_size_is_chosen_by_keyboard_and_changes_the_stroke(open_page):
    page = open_page()
    stroke = [[(0.5, 0.15), (0.5, 0.85)]]
    page.locator("#brush-medium").focus()
    page.keyboard.press("ArrowLeft")
    assert page.locator("#brush-thin").is_checked()
    draw_with_mouse(page, stroke)
    wait_for_digit(page)
    thin = inked_pixels(page)

    page.locator("#clear").click()
    page.locator("#brush-thin").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator("#brush-thick").is_checked()
    draw_with_mouse(page, stroke)
    wait_for_digit(page)
    assert inked_pixels(page) > 2 * thin


def test_several_digits_in_digit_mode_offer_to_read_them_as_a_number(open_page):
    page = open_page()
    draw_with_mouse(page, [[(0.2, 0.25), (0.2, 0.75)], [(0.45, 0.25), (0.8, 0.25), (0.6, 0.75)]])
    offer = page.locator("#read-as-number")
    expect(offer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert "clearer" not in page.locator("#verdict-note").inner_text()
    offer.click()
    page.wait_for_selector('#workspace[data-mode="number"]')
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#big-number").inner_text() == "17"
    assert page.locator("#mode-number").is_checked()


def test_a_tap_on_the_pad_is_no_digit(open_page):
    page = open_page()
    box = pad_box(page)
    page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    expect(page.locator("#confidence")).to_have_text("No digit found", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#big-digit").inner_text() == "\u2013"  # an en dash: no digit


def test_a_digit_drawn_too_small_is_not_sure(open_page):
    page = open_page()
    tiny_two = [(0.45, 0.45), (0.5, 0.43), (0.54, 0.46), (0.46, 0.56), (0.56, 0.56)]
    draw_with_mouse(page, [tiny_two])
    expect(page.locator("#confidence")).to_have_text(
        "Not sure this is a digit", timeout=ANSWER_TIMEOUT_MS
    )
    assert page.locator("#big-digit").inner_text() == "?"
