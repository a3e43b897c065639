"""What "why this digit" costs: a digit answer with and without its occlusion saliency map.

    .venv/bin/python bench/bench_explain.py --data-dir ../shared/mnist [--digits 200]

Prints one markdown section. Held-out training digits (never the test set) are drawn as the
page sends them, dark on a white 280x280 PNG, and answered through the API's own path
(`digitrec.web.answers.read`, steps included) without and with `explained`, the two
alternating so that both see the same load. The model's runs are counted on the session: the
promise is at most one extra run per answer.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

import numpy as np
from PIL import Image

from digitrec.imaging.decode import MAX_PIXELS
from digitrec.inference import Recogniser
from digitrec.training import data
from digitrec.web import answers
from digitrec.web.config import DEFAULT_REQUEST_TIMEOUT_S
from digitrec.web.work_limits import PixelBudget, WorkLimits

PIXELS = PixelBudget(MAX_PIXELS)


class CountingSession:
    """The recogniser's ONNX Runtime session, counting runs and the images in them."""

    def __init__(self, session):
        self.session, self.runs, self.images = session, 0, 0

    def run(self, outputs, feeds):
        self.runs += 1
        self.images += len(next(iter(feeds.values())))
        return self.session.run(outputs, feeds)


def canvas_png(mnist_digit: np.ndarray) -> bytes:
    """A 28x28 MNIST digit (white on black) as the page's pad sends one: dark on white, 280 px."""
    image = Image.fromarray(255 - mnist_digit).resize((280, 280), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def answer_ms(recogniser, png: bytes, explained: bool) -> float:
    # The API's own limits, as a served request has them (none of them is reached here).
    limits = WorkLimits.starting_now(DEFAULT_REQUEST_TIMEOUT_S, PIXELS)
    started = time.perf_counter()
    answers.read(recogniser, [png], "digit", True, limits, explained=explained)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--digits", type=int, default=200, help="held-out digits to answer")
    args = parser.parse_args()

    recogniser = Recogniser(threads=1)
    train, _ = data.load_mnist(args.data_dir, download=False)
    _, held_out = data.split_validation(train, data.VALIDATION_IMAGES)
    pngs = [canvas_png(image) for image in held_out.images[: args.digits]]
    counting = CountingSession(recogniser.session)
    recogniser.session = counting

    timings = {False: [], True: []}
    runs = {False: [], True: []}  # model runs per answer
    images = {False: [], True: []}  # images through the model per answer
    for png in pngs:
        for explained in (False, True):
            before_runs, before_images = counting.runs, counting.images
            timings[explained].append(answer_ms(recogniser, png, explained))
            runs[explained].append(counting.runs - before_runs)
            images[explained].append(counting.images - before_images)

    command = "    .venv/bin/python bench/bench_explain.py " + " ".join(sys.argv[1:])
    print("## Why this digit: the cost of `explain=1`\n")
    print(command.strip().join(["```\n", "\n```\n"]))
    print(
        "| answer (one 280x280 canvas PNG, steps=1) | p50 ms | p99 ms | model runs "
        "| images through the model (median, range) |"
    )
    print("|---|---|---|---|---|")
    for explained, label in ((False, "digit"), (True, "digit with saliency (`explain=1`)")):
        ms, counts = timings[explained], images[explained]
        print(
            f"| {label} | {np.median(ms):.2f} | {np.percentile(ms, 99):.2f} "
            f"| {min(runs[explained])}-{max(runs[explained])} "
            f"| {int(np.median(counts))} ({min(counts)}-{max(counts)}) |"
        )
    print(
        f"\n{len(pngs)} held-out training digits, the two kinds of answer alternating, one "
        f"thread. Saliency blanks each inked 4x4 patch (of 169) in turn and reads all of them "
        f"with the original in one more run. Load average while measuring: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    extra_runs = max(np.subtract(runs[True], runs[False]))
    return 0 if extra_runs <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
