"""Rebuild a digitrec CNN (or an ensemble of them) as Keras from its exported ONNX graph.

Why this exists: fine-tuning (`digitrec train --init-from`) continues a Keras model, but the
shipped `models/model.onnx` is all that is kept of the bundled model: its Keras checkpoint was
not. This reads the weights back out of the ONNX graph (dequantising an int8 QDQ graph made by
`digitrec.training.export.quantize_onnx`; a float graph works too) into `digitrec.training.model.build_cnn()`
members averaged by `digitrec.training.model.average_of`, so training can continue from the shipped
model itself.

The export folded each convolution's batch normalisation into its kernel and an offset, so
those BatchNormalization layers come back as the identity plus that offset (gamma 1, mean 0,
variance 1 - epsilon, beta the offset); the dense layer's batch normalisation, kept in the
graph as a multiply and an add, comes back as gamma = the multiplier, beta = the addend. Every
BatchNormalization layer is frozen (`trainable = False`), which Keras 3 also takes to mean
"normalise in inference mode during fit", so the folded statistics stay right while the
convolution kernels and dense layers train. The int8 graph's weights are rounded and its
activations are quantised, so the Keras model answers close to, not exactly as, ONNX Runtime.

The converter follows the graph (which node consumes which tensor) rather than tensor names,
and raises `UnknownGraphError` (a ValueError) for any graph that is not a digitrec CNN it
understands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# ONNX ops that only carry a tensor along (a Relu is noted, not dropped: see _Graph.source).
_PASS_THROUGH = ("QuantizeLinear", "DequantizeLinear", "Relu", "Identity")


class UnknownGraphError(ValueError):
    """The file is not an ONNX graph of digitrec's CNN (or an average of several)."""


def keras_model_from_onnx(path: str | Path):
    """The Keras model (`keras.Model`) whose weights are those of the digitrec ONNX graph at
    `path`: one `build_cnn()` member, or several averaged by `average_of`.

    Raises UnknownGraphError when `path` is not an ONNX graph of digitrec's CNN or an average of
    several (an MLP, a foreign model, a damaged file).
    """
    from digitrec.training.model import average_of

    members = keras_members_from_onnx(path)
    return members[0] if len(members) == 1 else average_of(members)


def keras_members_from_onnx(path: str | Path) -> list:
    """The `build_cnn()` members of the digitrec ONNX graph at `path`, in the order it averages
    them, as `keras_model_from_onnx` rebuilds them."""
    import keras
    import onnx

    from digitrec.training.model import build_cnn

    path = Path(path)
    try:
        proto = onnx.load(str(path))
    except Exception as error:  # protobuf's DecodeError and friends
        raise UnknownGraphError(f"{path}: not a readable ONNX model ({error})") from error
    graph = _Graph(proto, path)
    probabilities = graph.member_outputs()
    members = []
    for tensor in probabilities:
        member = build_cnn()
        _load_member(graph, tensor, member)
        for layer in member.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        members.append(member)
    return members


class _Graph:
    """An ONNX graph indexed for walking from a tensor back to what produced it."""

    def __init__(self, proto, path: Path):
        from onnx import numpy_helper

        self.path = path
        self.graph = proto.graph
        self.initializers = {
            tensor.name: numpy_helper.to_array(tensor) for tensor in self.graph.initializer
        }
        self.producer = {output: node for node in self.graph.node for output in node.output}
        self.inputs = [i.name for i in self.graph.input if i.name not in self.initializers]

    def fail(self, reason: str) -> UnknownGraphError:
        return UnknownGraphError(
            f"{self.path}: not a digitrec CNN graph this converter understands: {reason}"
        )

    def is_constant(self, name: str) -> bool:
        if name in self.initializers:
            return True
        node = self.producer.get(name)
        return (
            node is not None
            and node.op_type == "DequantizeLinear"
            and all(i in self.initializers for i in node.input if i)
        )

    def constant(self, name: str) -> np.ndarray:
        """A weight as float32: an initializer, or an initializer's DequantizeLinear."""
        if name in self.initializers:
            return np.asarray(self.initializers[name], np.float32)
        if not self.is_constant(name):
            raise self.fail(f"{name!r} should be a weight but is computed")
        node = self.producer[name]
        values = self.initializers[node.input[0]]
        scale = self.initializers[node.input[1]]
        zero_point = (
            self.initializers[node.input[2]] if len(node.input) > 2 and node.input[2] else 0
        )
        attributes = _attributes(node)
        if attributes.get("block_size", 0):
            raise self.fail(f"{name!r} uses blocked quantisation")
        return _dequantize(values, scale, zero_point, attributes.get("axis", 1))

    def source(self, name: str) -> tuple[str, str | None]:
        """Step back from `name` over quantise/dequantise pairs, Relu and Identity nodes.

        Returns the tensor behind them and what rectifies it on the way: "Relu", or
        "QuantizeLinear" for a uint8 one with zero point 0 (it clamps negatives to 0, which is
        why ONNX Runtime's quantiser drops the Relu before it), or None.
        """
        rectified = None
        while (node := self.producer.get(name)) is not None and node.op_type in _PASS_THROUGH:
            if node.op_type == "DequantizeLinear" and self.is_constant(name):
                break
            if node.op_type == "Relu":
                rectified = "Relu"
            if node.op_type == "QuantizeLinear":
                has_zero_point = len(node.input) > 2 and node.input[2]
                zero_point = self.initializers.get(node.input[2]) if has_zero_point else np.uint8(0)
                if (
                    zero_point is not None
                    and zero_point.dtype == np.uint8
                    and not np.any(zero_point)
                ):
                    rectified = rectified or "QuantizeLinear"
            name = node.input[0]
        return name, rectified

    def node(self, name: str, *op_types: str, rectified: tuple[str, ...] = ()):
        """The node computing `name` (passing over quantisation), which must be one of
        `op_types`; when it is one of `rectified`, a Relu (or its quantised stand-in) must
        come after it, and when it is not, no Relu may.
        """
        tensor, was_rectified = self.source(name)
        node = self.producer.get(tensor)
        op_type = node.op_type if node is not None else "a graph input"
        if op_type not in op_types:
            raise self.fail(f"expected {' or '.join(op_types)} computing {name!r}, found {op_type}")
        if op_type in rectified and not was_rectified:
            raise self.fail(f"expected a Relu after {op_type} {tensor!r}")
        # A quantiser that clamps at 0 where no Relu is due only means calibration saw no
        # negative values there; a Relu node is structure build_cnn() does not have.
        if op_type not in rectified and was_rectified == "Relu":
            raise self.fail(f"unexpected Relu after {op_type} {tensor!r}")
        return node

    def data_and_weight(self, node) -> tuple[str, np.ndarray]:
        """For a binary node with one computed and one constant input: (computed, constant)."""
        first, second = node.input[:2]
        if self.is_constant(second) and not self.is_constant(first):
            return first, self.constant(second)
        if self.is_constant(first) and not self.is_constant(second):
            return second, self.constant(first)
        raise self.fail(f"{node.op_type} {node.name!r} should combine a tensor and a weight")

    def member_outputs(self) -> list[str]:
        """The members' softmax outputs, in the order the graph averages them."""
        if len(self.graph.output) != 1 or len(self.inputs) != 1:
            raise self.fail("expected one input and one output")
        output = self.graph.output[0].name
        top = self.node(output, "Softmax", "Mul", "Div")
        if top.op_type == "Softmax":
            return [output]
        total, factor = self.data_and_weight(top)
        leaves = self._summands(total)
        expected = 1 / len(leaves) if top.op_type == "Mul" else len(leaves)
        # The quantised factor (0.5 for two members) is rounded to the output's uint8 grid.
        if factor.size != 1 or abs(float(factor.ravel()[0]) - expected) > 0.02 * expected:
            raise self.fail(f"the output is not the mean of its {len(leaves)} members")
        return leaves

    def _summands(self, name: str) -> list[str]:
        node = self.node(name, "Add", "Sum", "Softmax")
        if node.op_type == "Softmax":
            return [name]
        if any(self.is_constant(i) for i in node.input):
            raise self.fail(f"{node.op_type} {node.name!r} adds a constant to the members")
        return [leaf for i in node.input for leaf in self._summands(i)]


def _attributes(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _dequantize(values, scale, zero_point, axis: int) -> np.ndarray:
    """(q - zero_point) * scale; per channel along `axis` when scale is a vector."""
    values = np.asarray(values).astype(np.float32)
    scale = np.asarray(scale, np.float32)
    zero_point = np.asarray(zero_point).astype(np.float32)
    if scale.ndim == 1:
        shape = [1] * values.ndim
        shape[axis] = -1
        scale, zero_point = scale.reshape(shape), np.broadcast_to(zero_point, scale.shape)
        zero_point = zero_point.reshape(shape)
    return (values - zero_point) * scale


def _load_member(graph: _Graph, probabilities: str, member) -> None:
    """Fill `member` (a fresh build_cnn()) with the weights of the member computing
    `probabilities`, walking back from its softmax to the image."""
    import keras

    softmax = graph.node(probabilities, "Softmax")
    features, output_kernel, output_bias = _dense_with_bias(graph, softmax.input[0])

    # Dense -> BatchNormalization (x * mul + sub) -> Relu, before the output layer.
    shift = graph.node(features, "Add", rectified=("Add",))
    scaled, dense_beta = graph.data_and_weight(shift)
    multiply = graph.node(scaled, "Mul")
    matmul_output, dense_gamma = graph.data_and_weight(multiply)
    matmul = graph.node(matmul_output, "MatMul")
    pooled, dense_kernel = matmul.input[0], graph.constant(matmul.input[1])  # x @ kernel
    squeeze = graph.node(pooled, "Squeeze", "Reshape", "Flatten")
    pool = graph.node(squeeze.input[0], "GlobalAveragePool")

    # The convolution blocks, last first, down to the image.
    layers_seen, convolutions = [], []
    tensor = pool.input[0]
    while True:
        node = graph.node(tensor, "Conv", "MaxPool", "Reshape", "Transpose", rectified=("Conv",))
        if node.op_type in ("Reshape", "Transpose"):
            break
        layers_seen.append(node.op_type)
        attributes = _attributes(node)
        if node.op_type == "Conv":
            _check_same_3x3(graph, node, attributes)
            kernel = graph.constant(node.input[1])
            bias = graph.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            convolutions.append((kernel, bias))
        elif (
            attributes.get("kernel_shape") != [2, 2]
            or attributes.get("strides") != [2, 2]
            or any(attributes.get("pads", [0]))
        ):
            raise graph.fail(f"MaxPool {node.name!r} is not a 2x2 pool with stride 2")
        tensor = node.input[0]
    _check_image_layout(graph, node)
    layers_seen.reverse()
    convolutions.reverse()

    expected = [
        "Conv" if isinstance(layer, keras.layers.Conv2D) else "MaxPool"
        for layer in member.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.MaxPooling2D)
    ]
    if layers_seen != expected:
        raise graph.fail(f"layers {layers_seen} are not build_cnn()'s {expected}")

    conv_layers = [layer for layer in member.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in member.layers if isinstance(layer, keras.layers.BatchNormalization)]
    dense_layers = [layer for layer in member.layers if isinstance(layer, keras.layers.Dense)]
    if len(norms) != len(conv_layers) + 1 or len(dense_layers) != 2:
        raise graph.fail("build_cnn() no longer has the layers this converter fills")
    try:
        for conv_layer, norm, (kernel, bias) in zip(
            conv_layers, norms[:-1], convolutions, strict=True
        ):
            conv_layer.set_weights([kernel.transpose(2, 3, 1, 0)])  # OIHW -> HWIO
            offset = bias if bias is not None else np.zeros(kernel.shape[0], np.float32)
            _set_norm(norm, np.ones_like(offset), offset)
        dense_layers[0].set_weights([dense_kernel])
        width = dense_kernel.shape[-1]
        _set_norm(norms[-1], _vector(dense_gamma, width), _vector(dense_beta, width))
        dense_layers[1].set_weights([output_kernel, output_bias])
    except ValueError as error:  # a shape that build_cnn()'s layers do not have
        raise graph.fail(f"weights do not fit build_cnn(): {error}") from error


def _dense_with_bias(graph: _Graph, name: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The output layer computing `name`: (its input, kernel (in, out), bias (out,)).

    The int8 graph has it as one Gemm; the float export as MatMul + Add, or a bare MatMul
    when the bias is all zeros (a new model's).
    """
    node = graph.node(name, "Gemm", "Add", "MatMul")
    if node.op_type == "Gemm":
        attributes = _attributes(node)
        if attributes.get("alpha", 1.0) != 1.0 or attributes.get("beta", 1.0) != 1.0:
            raise graph.fail(f"Gemm {node.name!r} scales its terms")
        if attributes.get("transA", 0):
            raise graph.fail(f"Gemm {node.name!r} transposes its input")
        kernel = graph.constant(node.input[1])
        if attributes.get("transB", 0):
            kernel = kernel.T
        bias = graph.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else 0.0
        features = node.input[0]
    else:
        bias = 0.0
        if node.op_type == "Add":
            product, bias = graph.data_and_weight(node)
            node = graph.node(product, "MatMul")
        features, kernel = node.input[0], graph.constant(node.input[1])
    if kernel.ndim != 2:
        raise graph.fail(f"the output layer's kernel has shape {kernel.shape}")
    try:
        bias = np.broadcast_to(np.asarray(bias, np.float32), kernel.shape[1:])
    except ValueError as error:
        raise graph.fail(f"the output layer's bias does not fit its kernel: {error}") from error
    return features, kernel, bias.astype(np.float32)


def _vector(values: np.ndarray, width: int) -> np.ndarray:
    """A per-unit weight of the dense layer's batch normalisation, as a (width,) vector."""
    values = np.asarray(values, np.float32)
    if values.size == 1:
        return np.full(width, values.ravel()[0], np.float32)
    if values.size != width:
        raise ValueError(f"{values.shape} does not fit {width} units")
    return values.reshape(width)


def _set_norm(layer, gamma, beta) -> None:
    """gamma * x + beta in inference mode: mean 0 and variance + epsilon 1."""
    gamma = np.asarray(gamma, np.float32)
    layer.set_weights(
        [
            gamma,
            np.asarray(beta, np.float32),
            np.zeros_like(gamma),
            np.full_like(gamma, 1.0 - layer.epsilon),
        ]
    )


def _check_same_3x3(graph: _Graph, node, attributes: dict) -> None:
    same = attributes.get("pads") == [1, 1, 1, 1] or attributes.get("auto_pad") in (
        b"SAME_UPPER",
        b"SAME_LOWER",
    )
    if (
        attributes.get("kernel_shape", [3, 3]) != [3, 3]
        or attributes.get("strides", [1, 1]) != [1, 1]
        or attributes.get("dilations", [1, 1]) != [1, 1]
        or attributes.get("group", 1) != 1
        or not same
    ):
        raise graph.fail(f"Conv {node.name!r} is not a 3x3 'same' convolution")


def _check_image_layout(graph: _Graph, node) -> None:
    """The first convolution reads the (n, 28, 28, 1) image as NCHW (n, 1, 28, 28)."""
    if graph.source(node.input[0])[0] not in graph.inputs:
        raise graph.fail(f"{node.op_type} {node.name!r} does not read the graph's input")
    if node.op_type == "Transpose":
        ok = _attributes(node).get("perm") == [0, 3, 1, 2]
    else:
        shape = graph.initializers.get(node.input[1])
        ok = shape is not None and list(shape)[1:] == [1, 28, 28]
    if not ok:
        raise graph.fail(f"{node.op_type} {node.name!r} does not make an NCHW 28x28 image")
