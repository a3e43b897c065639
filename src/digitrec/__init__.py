"""digitrec: handwritten digit and number recognition, trained with Keras and served with ONNX Runtime."""

__version__ = "1.0.0"
