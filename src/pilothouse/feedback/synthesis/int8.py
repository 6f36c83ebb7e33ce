"""The default MiniLM build: smoothed int8, derived from the packaged model (issue 14.7).

Why. The packaged ``model.onnx`` stores int8 weights that onnxruntime turns back
into fp32, so every MatMul computes in fp32; long tickets spent 85% of their time
there. Integer MatMuls embed 1.7x faster with the 64-piece cap, but plain dynamic
int8 lost theme quality (BANKING77 NMI 0.827, under the 0.83 bar) because a few
activation channels are 14x their median and one int8 scale per row must cover them.
SmoothQuant (Xiao et al. 2023) divides each input channel of a weight MatMul by
``s`` and multiplies the weight's row by the same ``s`` (exact in real arithmetic),
so activations quantise with less error. The FFN's second MatMul (GELU input) keeps
the packaged fp32 computation: smoothing it made its range worse.

How it ships. Only the smoothing factors ship (``data/minilm_smoothing.json``,
18 x 384 floats calibrated once on 450 UCI sentences by ``benchmarks/smoothquant.py``,
pinned by sha256). At first use the int8 graph is derived from the packaged model
in a few seconds and kept in the data folder; its sha256 is checked after every
build and every load, and a missing or altered file is rebuilt. Derivation is pure
numpy plus protobuf (already a dependency of onnxruntime) through the ONNX message
schema shipped in ``data/onnx-ml.descriptor.pb`` (ONNX, Apache-2.0), so the runtime
needs neither the ``onnx`` package nor any download.

Each rewritten MatMul becomes ``Mul(x, 1/s)`` then onnxruntime's
``com.microsoft.DynamicQuantizeMatMul`` (activations quantised per call to uint8,
weights int8 symmetric per output column, as ``quantize_dynamic(per_channel=True)``
does after fusion).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pilothouse.feedback.synthesis.models import (
    ModelUnavailableError,
    file_sha256,
    verify_file,
)

__all__ = [
    "INT8",
    "Int8Build",
    "build_int8",
    "int8_model",
    "load_smoothing",
    "onnx_messages",
    "weight_groups",
]

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Int8Build:
    """The pins of the derived int8 model.

    Attributes:
        model_id: Id stored with its vectors (never mixed with the fp32 model's).
        smoothing: The shipped smoothing factors.
        smoothing_sha256: Their sha256.
        schema: The ONNX message schema (a serialised FileDescriptorProto).
        schema_sha256: Its sha256.
        sha256: sha256 of the derived ``.onnx`` file.
        licence: Licence of the weights (the packaged model's) and the schema (ONNX).
    """

    model_id: str
    smoothing: Path
    smoothing_sha256: str | None
    schema: Path
    schema_sha256: str
    sha256: str
    licence: str


INT8 = Int8Build(
    model_id="all-MiniLM-L6-v2-onnx-sq-int8",
    smoothing=_DATA / "minilm_smoothing.json",
    smoothing_sha256="24ef677793384346b734f6c728086a6322ab53322c825a4cb365e99c6dbafd1b",
    schema=_DATA / "onnx-ml.descriptor.pb",
    schema_sha256="9624effbf57d485ebd8db5eb96c2aaf5f4fbaea486f626843f21a358d7315881",
    sha256="5ffd8f585cf8ba98b33754a0aba9d7249f04faf73564406cd3718ea5cd2136e5",
    licence="Apache-2.0 (weights: all-MiniLM-L6-v2; message schema: ONNX)",
)


def onnx_messages(build: Int8Build = INT8) -> dict[str, Any]:
    """ONNX message classes (ModelProto, TensorProto, ...) from the shipped schema."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    verify_file(build.schema, build.schema_sha256, "ONNX message schema")
    proto = descriptor_pb2.FileDescriptorProto.FromString(build.schema.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    names = ("ModelProto", "TensorProto", "NodeProto", "OperatorSetIdProto", "ValueInfoProto")
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"onnx.{name}"))
        for name in names
    }


def _array(tensor: Any) -> np.ndarray:
    """A raw-data initializer as a numpy array (the packaged file uses raw_data)."""
    dtype = {1: np.float32, 3: np.int8}[tensor.data_type]
    return np.frombuffer(tensor.raw_data, dtype=dtype).reshape(tuple(tensor.dims))


def weight_groups(model: Any) -> dict[str, list[tuple[Any, np.ndarray]]]:
    """Weight MatMuls grouped by the activation they read, with their fp32 weights.

    A weight MatMul reads ``Mul(Cast(q), scale)`` of two initializers, as the packaged
    file stores them; the weight is computed exactly as that graph does.
    """
    inits = {t.name: t for t in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}
    groups: dict[str, list[tuple[Any, np.ndarray]]] = {}
    for node in model.graph.node:
        mul = producer.get(node.input[1]) if node.op_type == "MatMul" else None
        if mul is None or mul.op_type != "Mul" or mul.input[1] not in inits:
            continue
        cast = producer.get(mul.input[0])
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in inits:
            continue
        q, scale = _array(inits[cast.input[0]]), _array(inits[mul.input[1]])
        weight = q.astype(np.float32) * scale
        groups.setdefault(node.input[0], []).append((node, weight))
    return groups


def _tensor(messages: dict[str, Any], name: str, array: np.ndarray) -> Any:
    code = {np.dtype(np.float32): 1, np.dtype(np.int8): 3}[array.dtype]
    return messages["TensorProto"](
        name=name, dims=list(array.shape), data_type=code, raw_data=array.tobytes()
    )


def _quantise(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and their per-column scale, symmetric (zero point 0)."""
    scale = (np.maximum(np.abs(weight).max(axis=0), 1e-12) / 127).astype(np.float32)
    q = np.clip(np.round(weight / scale), -127, 127).astype(np.int8)
    return q, scale


def build_int8(source: bytes, smoothing: dict[str, np.ndarray], build: Int8Build = INT8) -> bytes:
    """The smoothed int8 graph of the packaged model, serialised (deterministic).

    Args:
        source: Bytes of the packaged ``model.onnx``.
        smoothing: Per-channel factors ``s`` by activation name; groups not named
            here (the GELU inputs) keep their fp32 MatMuls.
    """
    messages = onnx_messages(build)
    model = messages["ModelProto"].FromString(source)
    groups = weight_groups(model)
    before: dict[str, Any] = {}  # first consumer's name -> the smoothing Mul
    dropped: set[str] = set()
    for name, s in smoothing.items():
        inverse = _tensor(messages, f"{name}_smooth_inverse", (1 / s).astype(np.float32))
        model.graph.initializer.append(inverse)
        mul = messages["NodeProto"](
            op_type="Mul", name=f"{name}_smooth", input=[name, inverse.name],
            output=[f"{name}_smoothed"],
        )  # fmt: skip
        before[groups[name][0][0].name] = mul
        for node, weight in groups[name]:
            q, scale = _quantise(weight * s[:, None].astype(np.float32))
            dropped.add(node.input[1])
            wq, ws = (
                _tensor(messages, f"{node.name}_wq", q),
                _tensor(messages, f"{node.name}_ws", scale),
            )
            model.graph.initializer.extend([wq, ws])
            node.op_type, node.domain = "DynamicQuantizeMatMul", "com.microsoft"
            del node.input[:]
            node.input.extend([mul.output[0], wq.name, ws.name])
    nodes = []
    for node in model.graph.node:
        if node.name in before:
            nodes.append(before[node.name])
        nodes.append(messages["NodeProto"].FromString(node.SerializeToString()))
    _replace(model.graph, _without(nodes, dropped))
    model.opset_import.append(messages["OperatorSetIdProto"](domain="com.microsoft", version=1))
    return model.SerializeToString()


def _without(nodes: list[Any], weights: set[str]) -> list[Any]:
    """Drop the Mul nodes that made the rewritten weights, then the Casts that fed them."""
    nodes = [node for node in nodes if node.output[0] not in weights]
    used = {name for node in nodes for name in node.input}
    return [node for node in nodes if node.op_type != "Cast" or node.output[0] in used]


def _replace(graph: Any, nodes: list[Any]) -> None:
    """Put ``nodes`` in the graph and keep only the initializers they read."""
    used = {name for node in nodes for name in node.input}
    inits = [type(t).FromString(t.SerializeToString()) for t in graph.initializer if t.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(inits)


def load_smoothing(build: Int8Build = INT8) -> dict[str, np.ndarray]:
    """The shipped smoothing factors, checked against their pin."""
    verify_file(build.smoothing, build.smoothing_sha256, "smoothing factors")
    data = json.loads(build.smoothing.read_text(encoding="utf-8"))
    return {name: np.asarray(values, dtype=np.float32) for name, values in data["scales"].items()}


def int8_model(source: Path, folder: Path | None, build: Int8Build = INT8) -> Path | bytes:
    """The derived int8 model: the checked file in ``folder``, rebuilt if missing or wrong.

    Without a folder the graph is built in memory (still checked by hash).

    Raises:
        ModelUnavailableError: The build does not give the pinned file (another
            packaged model, or a changed shipped file).
    """
    target = folder / f"{build.model_id}.onnx" if folder is not None else None
    if target is not None and target.is_file() and file_sha256(target) == build.sha256:
        return target
    data = build_int8(source.read_bytes(), load_smoothing(build), build)
    actual = hashlib.sha256(data).hexdigest()
    if actual != build.sha256:
        raise ModelUnavailableError(
            f"the int8 build of {source} has sha256 {actual}, expected {build.sha256}; "
            "set PILOTHOUSE_FEEDBACK_EMBEDDING=fp32 to use the packaged model as it is"
        )
    if target is None:
        return data
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)  # atomic: a concurrent reader sees the old file or the new
    return target
