"""Any image file -> the MNIST-style 28x28 the model reads, and the steps on the way.

In the order the data flows: `decode` (bytes -> a Pillow image, with `png` the fast reader of
plain PNGs and `png_bands` the band-by-band reader of big ones) -> `reduce` (a big image's
working copy) -> `preprocess` (grey, then the ink map: `ink` on a clean background, `photo` with
`light`, `lines` and `marks` on a photo) -> `frame` (as MNIST framed its digits). numpy, Pillow
and OpenCV only: no model, no web, no training.
"""
