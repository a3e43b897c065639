"""A line of digits -> pieces -> one reading: `read_number(recogniser, image)` is the entry point.

The way through, in the order the data flows: `reading` (the entry point: ink map, then boxes in
the original image) -> `segment` (chooses the pieces) -> `candidates` (the pieces on offer, cut
by `seams` from groups of `components`) -> `chains` (the best left-to-right chain of them).
"""

from digitrec.numbers.reading import (
    NOT_A_DIGIT,
    DigitReading,
    NumberReading,
    choose_mode,
    read_number,
)

__all__ = ["NOT_A_DIGIT", "DigitReading", "NumberReading", "choose_mode", "read_number"]
