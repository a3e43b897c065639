"""Feedback benchmark: writes per second, fine-tuning time, and the gate on a simulated round.

    .venv/bin/python bench/bench_feedback.py --data-dir ../shared/mnist [--corrections 500]

1. Feedback writes per second: `digitrec serve --workers 2` on a new SQLite file, WRITERS
   client threads posting 280x280 PNG corrections (each is also read by the model, as every
   correction is); the count written must equal the count read back.
2. A simulated round. Corrections come from a style the bundled model reads worst, chosen
   among bench/hard_styles.py's on 500 MNIST test digits: MNIST training digits (from the end
   of the set) drawn in that style and misread by the bundled model, labelled with their true
   digit and accepted; enough that --corrections of them are learnt after the gate's held-out
   fifth is set aside. Then, timed as a user runs it:
       digitrec train --init-from <bundled model.onnx> --feedback <db> --epochs 1
   and the gate, `digitrec evaluate --candidate <new> --against <bundled> --feedback <db>`.
   The style's accuracy before and after is measured on 1,000 MNIST test digits drawn in it.
Prints one markdown section on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import hard_styles
import loadgen
import numpy as np
from servers import ROOT, free_port, stop, wait_for_answer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

WRITERS = 8
WRITES = 400
STYLE_TEST_DIGITS = 1000
TRAIN_SEED, TEST_SEED = 11, 12


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def digitrec(*arguments: str, env: dict | None = None, **options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digitrec.cli", *arguments],
        env={**os.environ, **(env or {})},
        text=True,
        capture_output=True,
        **options,
    )


def measure_writes(work: Path) -> dict:
    """Corrections posted to a 2-worker server on SQLite by WRITERS threads."""
    url = f"sqlite:///{work}/writes.sqlite3"
    port = free_port()
    env = {
        **os.environ,
        "DIGITREC_DATABASE_URL": url,
        "DIGITREC_FEEDBACK_RATE_LIMIT": "1000000 per minute",
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [sys.executable, "-m", "digitrec.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    body = loadgen.render_digit_png(3)  # a 280x280 drawing-pad PNG
    failures, done = [], []
    try:
        ready, _ = wait_for_answer(process, port, "/api/v1/predict", body, time.perf_counter(), 60)
        if ready is None:
            raise RuntimeError("the server did not answer within 60 s")

        def write(count: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(count):
                connection.request(
                    "POST",
                    "/api/v1/feedback?label=8",
                    body=body,
                    headers={"Content-Type": "image/png"},
                )
                response = connection.getresponse()
                response.read()
                (done if response.status == 201 else failures).append(response.status)
            connection.close()

        threads = [
            threading.Thread(target=write, args=(WRITES // WRITERS,)) for _ in range(WRITERS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        stop(process)
    from digitrec.feedback import database
    from digitrec.feedback.store import FeedbackStore

    engine = database.create_engine(url)
    read_back = FeedbackStore(engine).count()
    engine.dispose()
    return {
        "written": len(done),
        "failed": len(failures),
        "read_back": read_back,
        "seconds": seconds,
        "per_second": len(done) / seconds,
    }


def simulated_corrections(store, recogniser, style: str, train, wanted: int) -> int:
    """Add and accept misread training digits in `style` until `wanted` are outside the
    held-out fifth; returns how many were added in all."""
    from digitrec.feedback.examples import is_held_out
    from digitrec.feedback.store import NewCorrection

    learnt = added = 0
    order = np.arange(len(train))[::-1]  # from the end of the set
    for start in range(0, len(order), 500):
        chosen = order[start : start + 500]
        images = hard_styles.render(style, train.images[chosen], TRAIN_SEED + start)
        answers = recogniser.recognise(images)
        for image, label, answer in zip(images, train.labels[chosen], answers, strict=True):
            read = answer.prediction.digit if answer.prediction.is_digit else None
            if read == int(label):
                continue
            correction_id = store.add(
                NewCorrection(
                    image, "digit", "" if read is None else str(read), str(int(label)),
                    recogniser.name, recogniser.version,
                )
            )  # fmt: skip
            store.review([correction_id], "accepted")
            added += 1
            learnt += not is_held_out(correction_id)
            if learnt == wanted:
                return added
    return added


def simulated_round(work: Path, data_dir: str, wanted: int) -> dict:
    from digitrec.feedback import database, schema_version
    from digitrec.feedback.store import FeedbackStore
    from digitrec.inference import Recogniser, bundled_model_path
    from digitrec.training import data

    train, test = data.load_mnist(data_dir)
    bundled = Recogniser()
    styles = hard_styles.worst_style(bundled, test.images[:500], test.labels[:500], TEST_SEED)
    style = next(iter(styles))
    log(f"style accuracy of the bundled model: {styles}; using {style}")

    url = f"sqlite:///{work}/round.sqlite3"
    engine = database.create_engine(url)
    schema_version.upgrade(engine)
    added = simulated_corrections(FeedbackStore(engine), bundled, style, train, wanted)
    engine.dispose()
    log(f"{added} corrections accepted; fine-tuning")

    out = work / "tuned"
    started = time.perf_counter()
    trained = digitrec(
        "train", "--init-from", str(bundled_model_path()), "--feedback", url, "--epochs", "1",
        "--data-dir", data_dir, "--out", str(out),
    )  # fmt: skip
    train_seconds = time.perf_counter() - started
    if trained.returncode != 0:
        raise RuntimeError(f"digitrec train failed:\n{trained.stderr[-3000:]}")
    log(f"fine-tuned in {train_seconds:.0f} s; the gate")
    gate = digitrec(
        "evaluate", "--candidate", str(out / "model.onnx"), "--against", str(bundled_model_path()),
        "--feedback", url, "--data-dir", data_dir,
    )  # fmt: skip
    tuned = Recogniser(out / "model.onnx")
    style_test = test.images[-STYLE_TEST_DIGITS:], test.labels[-STYLE_TEST_DIGITS:]
    style_images = hard_styles.render(style, style_test[0], TEST_SEED + 1)
    card = json.loads((out / "model.json").read_text())
    return {
        "style": style,
        "styles": styles,
        "corrections_added": added,
        "learnt": card["training"]["feedback"]["corrections"],
        "held_out": card["training"]["feedback"]["held_out_for_the_gate"],
        "repeats": card["training"]["feedback"]["repeats"],
        "train_seconds": train_seconds,
        "fit_seconds": card["training"]["seconds"],
        "gate_table": gate.stdout.strip(),
        "gate_exit": gate.returncode,
        "style_before": hard_styles.accuracy(bundled, style_images, style_test[1]),
        "style_after": hard_styles.accuracy(tuned, style_images, style_test[1]),
        "mnist_before": bundled.card.raw["evaluation"]["accuracy"],
        "mnist_after": card["evaluation"]["accuracy"],
    }


def markdown(writes: dict, round_: dict, corrections: int) -> str:
    cpus = os.cpu_count()
    return "\n".join(
        [
            "## Feedback",
            "",
            f"`bench/bench_feedback.py`, {cpus} cores.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| feedback writes per second, 2 workers, SQLite ({WRITERS} clients, {writes['written']} "
            f"writes, each also read by the model) | **{writes['per_second']:.0f}/s**; "
            f"{writes['failed']} failed; {writes['read_back']} read back |",
            f"| fine-tuning on {round_['learnt']} corrections (`digitrec train --init-from "
            f"--feedback --epochs 1`, wall time incl. export, calibration, evaluation) | "
            f"**{round_['train_seconds'] / 60:.1f} min** (fit {round_['fit_seconds']:.0f} s; "
            f"target <= 5 min) |",
            f"| the round's style: {round_['style']} (bundled model on 500 test digits: "
            + ", ".join(f"{k} {v:.1%}" for k, v in round_["styles"].items())
            + ") | "
            f"{round_['style_before']:.1%} -> **{round_['style_after']:.1%}** on "
            f"{STYLE_TEST_DIGITS:,} MNIST test digits in that style |",
            f"| MNIST test accuracy | {round_['mnist_before']:.2%} -> "
            f"**{round_['mnist_after']:.2%}** |",
            "",
            f"The gate ({round_['corrections_added']} misread training digits accepted as "
            f"corrections, {round_['held_out']} held out; corrections repeated "
            f"{round_['repeats']}x; exit status {round_['gate_exit']}):",
            "",
            "```",
            round_["gate_table"],
            "```",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/mnist", help="MNIST IDX directory")
    parser.add_argument("--corrections", type=int, default=500, help="corrections to learn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digitrec-bench-feedback-") as directory:
        work = Path(directory)
        os.environ["XDG_DATA_HOME"] = str(work)  # the servers' default database stays here
        log("feedback writes per second")
        writes = measure_writes(work)
        log(f"{writes}")
        round_ = simulated_round(work, args.data_dir, args.corrections)
    print(markdown(writes, round_, args.corrections))
    return 0 if writes["failed"] == 0 and writes["read_back"] == writes["written"] else 1


if __name__ == "__main__":
    sys.exit(main())
