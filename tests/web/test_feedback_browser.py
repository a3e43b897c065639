"""Corrections in a real browser: sent from the page under an answer, then reviewed by keyboard
on /review, against `digitrec serve` with its own feedback database."""

from __future__ import annotations

import pytest
from conftest import png_bytes, render_digit, serving

from digitrec.feedback import database
from digitrec.feedback.store import FeedbackStore

from .in_chromium import ANSWER_TIMEOUT_MS, ARTIFACTS, BROWSER_TESTS, DESKTOP, wait_for_digit

TOKEN = "a-token-for-the-feedback-browser-test"

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def feedback_server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('feedback')}/feedback.sqlite3"
    env = {"DIGITREC_API_TOKEN": TOKEN, "DIGITREC_DATABASE_URL": url}
    with serving(workers=1, env=env) as server:
        engine = database.create_engine(url)
        yield server, FeedbackStore(engine)
        engine.dispose()


@pytest.fixture
def page(browser, feedback_server):
    """A page whose tab already holds the token (as after the token test's first prompt)."""
    server, _ = feedback_server
    context = browser.new_context(**DESKTOP)
    problems = []
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{server.url}/api")
    page.evaluate(f"sessionStorage.setItem('digitrec-token', '{TOKEN}')")
    yield page
    context.close()
    assert not problems, f"console errors: {problems}"


def test_a_correction_sent_from_the_page_stores_the_exact_image(page, feedback_server, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    server, store = feedback_server
    image = tmp_path / "seven.png"
    image.write_bytes(png_bytes(render_digit(7)))
    page.goto(f"{server.url}/")
    page.wait_for_selector("html.js")
    assert page.locator("#correction").is_hidden()  # nothing to correct before an answer
    page.set_input_files("#file", str(image))
    assert wait_for_digit(page) == "7"
    correction = page.locator("#correction")
    expect(correction).to_contain_text("Wrong? Tell us what you wrote.")
    expect(correction).to_contain_text("no address or cookie")
    before = store.count()
    correction.locator('button[data-label="1"]').click()
    expect(page.locator("#correction-status")).to_have_text(
        "Thank you: “1” is saved for review.", timeout=ANSWER_TIMEOUT_MS
    )
    page.screenshot(path=ARTIFACTS / "desktop-light-correction-sent.png", full_page=True)
    assert store.count() == before + 1
    [record] = store.list("pending")[-1:]
    assert (record.mode, record.answer, record.label) == ("digit", "7", "1")
    assert store.image(record.id) == image.read_bytes()


def test_a_number_is_corrected_by_editing_it(page, feedback_server, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    server, store = feedback_server
    image = tmp_path / "number.png"
    image.write_bytes(png_bytes(render_digit("2026", size=(560, 200), scale=0.5)))
    page.goto(f"{server.url}/?mode=number")
    page.wait_for_selector("html.js")
    page.set_input_files("#file", str(image))
    page.wait_for_selector("#answer-number:not([hidden])", timeout=ANSWER_TIMEOUT_MS)
    number = page.locator("#correction-number")
    expect(number).to_have_value("2026")
    assert page.locator("#correction-digits").is_hidden()
    number.fill("2028")
    number.press("Enter")
    expect(page.locator("#correction-status")).to_contain_text(
        "saved for review", timeout=ANSWER_TIMEOUT_MS
    )
    record = store.list("pending")[-1]
    assert (record.mode, record.answer, record.label) == ("number", "2026", "2028")


def test_corrections_are_accepted_and_rejected_by_keyboard_on_the_review_page(
    page, feedback_server
):
    expect = pytest.importorskip("playwright.sync_api").expect
    server, store = feedback_server
    from digitrec.feedback.store import NewCorrection

    ids = [
        store.add(NewCorrection(png_bytes(render_digit(d)), "digit", str(d), str(d), "m", "v"))
        for d in (4, 5, 6)
    ]
    pending_before = store.count("pending")
    page.goto(f"{server.url}/review")
    items = page.locator(".review-item")
    expect(items).to_have_count(pending_before, timeout=ANSWER_TIMEOUT_MS)
    for _ in range(pending_before - 3):
        page.keyboard.press("j")
    page.keyboard.press("a")  # accepts the 4, moves to the 5
    page.keyboard.press("r")  # rejects the 5
    page.keyboard.press("x")  # selects the 6
    page.keyboard.press("A")  # accepts the selected
    for offset, state in enumerate(["accepted", "rejected", "accepted"]):
        expect(items.nth(pending_before - 3 + offset)).to_have_attribute("data-status", state)
    page.screenshot(path=ARTIFACTS / "desktop-light-review.png", full_page=True)
    assert [store.get(i).status for i in ids] == ["accepted", "rejected", "accepted"]
