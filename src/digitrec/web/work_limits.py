"""What one request may cost a worker: pixels decoded at once, images in number mode, seconds.

- Pixels: a colour image costs about 4 bytes a pixel while it is decoded (a HEIC 7-16, counted
  four times: DECODING_COST), so a few big images
  at once would multiply a worker's memory. Each worker has a budget of pixels being decoded
  (the largest image accepted, DIGITREC_MAX_MEGAPIXELS); a request whose biggest image does not
  fit waits up to PIXEL_WAIT_S for others to finish (if no other request is waiting already),
  then gets 503 with Retry-After. Images under SMALL_IMAGE_PIXELS (a canvas, a phone photo's
  thumbnail) are not counted, so they never wait. After a request, when no big image is being
  read, freed memory goes back to the system.
- Images in number mode: each may take seconds (a line of 31 touching digits offers some 5,000
  cuts to judge), so a request reads at most MAX_NUMBER_IMAGES of them; more is 422. Reading
  one may cost as much memory as the largest image, so each read holds the whole pixel budget.
- Seconds: recognition checks a deadline (DIGITREC_REQUEST_TIMEOUT_S after the worker had the
  request's body) before each image is decoded and, in number mode, before each lot of
  candidate pieces is read (`digitrec.numbers.segment.READ_CHUNK`, a fraction of a second);
  past it the request stops with 422, so no request holds a worker thread, or waits for its
  answer, much longer than that.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from dataclasses import dataclass

import flask
from PIL import Image

from digitrec.errors import ServerBusyError, TooMuchWorkError
from digitrec.imaging.decode import formats_for
from digitrec.memory import give_back_freed_memory

SMALL_IMAGE_PIXELS = 1_000_000
PIXEL_WAIT_S = 5.0
# Requests waiting for room in the budget at once: each waits in one of a worker's few threads,
# so more would leave none for a canvas. Any more are answered 503 at once.
MAX_WAITING = 1
# Where the worker notes (time.monotonic) when a request's body was in, before it waited for a
# thread: the request's deadline runs from then, so that no answer takes much longer than it.
RECEIVED_AT = "digitrec.received_at"
MAX_NUMBER_IMAGES = 8
# libheif holds a HEIC's colour planes beside the RGB copy it hands over: 7-9 bytes a pixel for
# a phone's 8-bit 4:2:0 photo, 16 for 12-bit 4:4:4, where others cost 4 (bench/results.md).
DECODING_COST = {"HEIF": 4}


def declared_pixels(data: bytes) -> int:
    """The pixels an image file's header declares, counted as many times as its decoding costs
    (0 if it has none: decoding will say why)."""
    try:
        with Image.open(io.BytesIO(data), formats=formats_for(data)) as image:
            return image.size[0] * image.size[1] * DECODING_COST.get(image.format, 1)
    except Exception:  # not an image, or a hostile header: refused later, with its reason
        return 0


class PixelBudget:
    """The pixels one worker process may be decoding at once, shared by its threads."""

    def __init__(self, pixels: int, wait_s: float = PIXEL_WAIT_S):
        self.total = pixels
        self.wait_s = wait_s
        self._free = pixels
        self._waiting = 0
        self._read_since_given_back = False
        self._room = threading.Condition()

    @contextlib.contextmanager
    def reserve(self, pixels: int):
        """Hold `pixels` of the budget (all of it at most) while the block runs; raises
        ServerBusyError when there is no room within wait_s."""
        if pixels < SMALL_IMAGE_PIXELS:
            yield
            return
        pixels = min(pixels, self.total)
        with self._room:
            if self._free < pixels and self._waiting >= MAX_WAITING:
                raise self._busy()
            self._waiting += 1
            try:
                if not self._room.wait_for(lambda: self._free >= pixels, timeout=self.wait_s):
                    raise self._busy()
            finally:
                self._waiting -= 1
            self._free -= pixels
        try:
            yield
        finally:
            with self._room:
                self._free += pixels
                self._read_since_given_back = True
                self._room.notify_all()

    def give_back_if_idle(self) -> bool:
        """Once a request is over: if big images or numbers were read since the last time and
        none is being read now, give freed memory back to the system. Not when a reservation
        ends: then the request's answer, or the error that stopped it and its frames' arrays,
        are still alive (measured: 9 MB more given back after a number batch cut at its
        deadline). True when it gave back."""
        with self._room:
            due = self._read_since_given_back and self._free == self.total
            if due:
                self._read_since_given_back = False
        if due:
            give_back_freed_memory()
        return due

    def _busy(self) -> ServerBusyError:
        return ServerBusyError(
            f"the server is reading other big images or numbers ({self.total / 1e6:g} megapixels "
            f"at once); try again in a few seconds, or send a smaller image"
        )


@dataclass(frozen=True)
class WorkLimits:
    """One request's limits: its deadline (time.monotonic) and its worker's pixel budget."""

    deadline: float
    seconds: float
    pixels: PixelBudget

    @classmethod
    def starting_at(cls, started: float, seconds: float, pixels: PixelBudget) -> WorkLimits:
        return cls(started + seconds, seconds, pixels)

    @classmethod
    def starting_now(cls, seconds: float, pixels: PixelBudget) -> WorkLimits:
        return cls.starting_at(time.monotonic(), seconds, pixels)

    def check_number_images(self, count: int) -> None:
        if count > MAX_NUMBER_IMAGES:
            raise TooMuchWorkError(
                f"{count} images in number mode; one request reads at most "
                f"{MAX_NUMBER_IMAGES} numbers: send the rest in further requests"
            )

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TooMuchWorkError(
                f"reading this request took over {self.seconds:g} s, the limit per request: "
                "send fewer images, or numbers of fewer digits, per request"
            )


def request_limits() -> WorkLimits:
    """The current request's limits, its deadline running from when the worker had its body
    (`digitrec serve`), else from now."""
    app = flask.current_app
    started = flask.request.environ.get(RECEIVED_AT, time.monotonic())
    return WorkLimits.starting_at(
        started, app.config["DIGITREC_REQUEST_TIMEOUT_S"], app.extensions["digitrec_pixels"]
    )
