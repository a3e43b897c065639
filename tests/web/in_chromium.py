"""What the browser tests share: where Chromium is, the screens they open the page on, drawing
on the pad with a mouse or a finger, and waiting for the answer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
ANSWER_TIMEOUT_MS = 10_000
# Every browser test module: `pytestmark = BROWSER_TESTS`.
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def pad_box(page) -> dict:
    return page.locator("#pad-canvas").bounding_box()


def draw_with_mouse(page, strokes) -> None:
    """strokes: lists of (x, y) in fractions of the pad's width and height."""
    box = pad_box(page)
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=8)
        page.mouse.up()


def draw_with_touch(page, stroke) -> None:
    """One finger stroke through real touch events (Chromium turns them into pointer events)."""
    box = pad_box(page)
    session = page.context.new_cdp_session(page)
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    session.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]},
    )
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for step in range(1, 9):
            x, y = x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8
            session.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
            )
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


SEVEN_STROKES = [[(0.22, 0.2), (0.78, 0.2), (0.5, 0.85)]]
ONE_STROKE = [(0.5, 0.15), (0.5, 0.85)]


def wait_for_digit(page) -> str:
    page.wait_for_selector("#answer-digit:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_selector(".step-mnist img", timeout=ANSWER_TIMEOUT_MS)
    return page.locator("#big-digit").inner_text()
