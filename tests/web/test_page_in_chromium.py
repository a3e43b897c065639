"""The page as a new user finds it (issue "The page, finished"), in Debian's Chromium.

Each test is one defect a user hit: the drawing in the dark theme, a mode switch, keyboard
focus, a phone, a pending answer, the brush, every advertised format in number mode, several
digits in digit mode, a file too large, no network, and the form without JavaScript.
"""

# ruff: noqa: F811 (pytest hands the browser fixtures imported below to tests by name)
from __future__ import annotations

import io

import pytest
from conftest import png_bytes, render_digit
from PIL import Image
from test_browser import (  # noqa: F401 (the fixtures browser and open_page)
    ANSWER_TIMEOUT_MS,
    ARTIFACTS,
    CHROMIUM,
    DESKTOP,
    PHONE,
    browser,
    draw_with_mouse,
    open_page,
    pad_box,
    wait_for_digit,
)

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

SEVEN_STROKES = [[(0.22, 0.2), (0.78, 0.2), (0.5, 0.85)]]


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


def number_image(text: str = "2026") -> Image.Image:
    return render_digit(text, size=(560, 200), scale=0.55)


@pytest.mark.parametrize(
    ("format", "suffix", "content_type"),
    [
        ("TIFF", "tif", "image/tiff"),
        ("BMP", "bmp", "image/bmp"),
        ("WEBP", "webp", "image/webp"),
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
