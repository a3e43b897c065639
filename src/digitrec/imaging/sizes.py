"""The one size every imaging step agrees on.

An image longer than LARGE_LONG_SIDE is large: it is box-reduced in its own mode before any other
work (`reduce.working_copy`), a colour JPEG that long is decoded as grey (`decode`), a PNG
that long is not composited by the fast reader (`png`: reducing then compositing rounds otherwise
than the reverse), and a number's ink map is made at most this long (`digitrec.numbers.reading`).
Keeping them equal means each image takes one path through all of them.
"""

LARGE_LONG_SIDE = 1024
