"""What a correction may say: one digit in digit mode, a string of digits in number mode."""

from __future__ import annotations

from digitrec.errors import MalformedRequestError

MODES = ("digit", "number")
# A number is read from at most this many separate marks (the number reader's own limit).
MAX_NUMBER_DIGITS = 32


def checked_mode(mode: object) -> str:
    """The mode, or MalformedRequestError naming the two there are."""
    if mode not in MODES:
        raise MalformedRequestError(
            f"mode {mode!r} cannot be corrected: use mode=digit or mode=number"
        )
    return mode


def checked_label(label: object, mode: str) -> str:
    """The label, stripped; MalformedRequestError when it is missing or not what `mode` reads."""
    if label is None:
        raise MalformedRequestError(
            "no label: send `label`, the digit (or in number mode the number) that was written"
        )
    if not isinstance(label, str | int) or isinstance(label, bool):
        raise MalformedRequestError("`label` must be a string of digits")
    text = str(label).strip()
    if mode == "digit" and not (len(text) == 1 and text in "0123456789"):
        raise MalformedRequestError(
            f"label {text[:40]!r} is not a digit: in digit mode send one of 0-9"
        )
    if mode == "number" and not (
        text.isascii() and text.isdigit() and 1 <= len(text) <= MAX_NUMBER_DIGITS
    ):
        raise MalformedRequestError(
            f"label {text[:40]!r} is not a number: in number mode send 1 to "
            f"{MAX_NUMBER_DIGITS} digits 0-9, nothing else"
        )
    return text
