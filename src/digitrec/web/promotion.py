"""Which model the workers of `digitrec serve` load, and how a new one is promoted.

The master copies the model `--model` names (its .onnx and model.json, and the pieces and
photos models beside it) into a directory of its own after checking them, and workers load
that copy. Replacing the file therefore changes nothing by itself; promotion is explicit: a SIGHUP makes the master check the file again and,
if it passes, copy it and start new workers on it while the old ones finish the requests they
hold (gunicorn's own graceful reload). A file that fails the check is refused with one line in
the log and the server goes on serving the last good copy, so a bad promotion cannot stop it.
A worker that gunicorn replaces after a crash loads the same copy as its siblings.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from digitrec.model_card import CARD_FILENAME, COMPANION_FOLDERS

MODEL_FILENAME = "model.onnx"


class ModelSnapshots:
    """Checked copies of the served model, newest last; `current` is what workers load."""

    def __init__(self, model_path: str | Path | None, check):
        """model_path: the file to serve (None: the bundled model); check(path) -> Path raises
        when the model is missing or corrupt (server.check_model)."""
        self.model_path = model_path
        self.check = check
        self.source = check(model_path)  # the file as the user named it; raises first
        self.directory = Path(tempfile.mkdtemp(prefix="digitrec-model-"))
        self.taken = 0
        try:
            self.current = self._take(self.source)
        except Exception:  # a model of its own refused: leave no copy behind
            self.remove()
            raise

    def _take(self, checked: Path) -> Path:
        """A copy of the checked model, with the models of its own beside it (each checked
        too: one that fails refuses the whole copy)."""
        companions = [
            self.check(path)
            for path in (checked.parent / folder / MODEL_FILENAME for folder in COMPANION_FOLDERS)
            if path.is_file()
        ]
        self.taken += 1
        target = self.directory / str(self.taken)
        for model in (checked, *companions):
            into = target / model.parent.relative_to(checked.parent)
            into.mkdir(parents=True)
            shutil.copyfile(model, into / MODEL_FILENAME)
            shutil.copyfile(model.with_name(CARD_FILENAME), into / CARD_FILENAME)
        return target / MODEL_FILENAME

    def promote(self) -> Path:
        """On SIGHUP: the model file as it is now if it passes the check, else the current
        copy; says which on stderr."""
        try:
            self.source = self.check(self.model_path)
            fresh = self._take(self.source)
        except Exception as error:  # any refusal keeps the server on its last good model
            reason = " ".join(str(error).split())
            print(
                f"digitrec serve: reload refused: {reason}; still serving {describe(self.current)}",
                file=sys.stderr,
                flush=True,
            )
            return self.current
        previous, self.current = self.current, fresh
        shutil.rmtree(previous.parent, ignore_errors=True)  # old workers hold it in memory
        print(f"digitrec serve: reloading: serving {describe(fresh)}", file=sys.stderr, flush=True)
        return fresh

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def describe(model: Path) -> str:
    card = json.loads(model.with_name(CARD_FILENAME).read_text())
    return f"{card.get('name')} {card.get('version')}"
