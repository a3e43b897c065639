"""Any image file -> the MNIST-style 28x28 the model reads, and the steps on the way.

In the order the data flows: `decode` (bytes -> a Pillow image, with `png` the fast reader of
plain PNGs) -> `preprocess` (grey, then the ink map of `ink`, then framed by `frame` as MNIST
framed its digits). numpy and Pillow only: no model, no web, no training.
"""
