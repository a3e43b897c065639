"""Training the model with Keras 3: `data` (MNIST IDX files) and the synthetic data made from it
(`nondigits`, `digit_pairs`, `composed_numbers`, `number_pieces`) -> `model` -> `train` ->
`export` (ONNX, int8) -> `evaluate`. `from_onnx` rebuilds a shipped ONNX model as Keras to
fine-tune it. TensorFlow is imported only here, and only when a command needs it.
"""
