"""Experimental int8 MiniLM for ``feedback_long_text.py``: SmoothQuant, then dynamic int8.

onnxruntime's dynamic quantisation gives each activation tensor one int8 scale, so the
few channels with large values (LayerNorm outputs reach 14x their median here) cost
every other channel its resolution: BANKING77 NMI fell to 0.827. SmoothQuant (Xiao et
al. 2023) divides each input channel by ``s = max|X|^a / max|W|^(1-a)`` and multiplies
the weight's row by the same ``s``: the product is unchanged in exact arithmetic and
the activations quantise with less error. The GELU outputs (input of the FFN's second
MatMul) are left alone: smoothing them made their range worse. Benchmark code, not
shipped: it needs the ``onnx`` package and calibration sentences.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ALPHA = 0.5


def _fold(source: Path, target: Path) -> None:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(target)
    options.log_severity_level = 3
    ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])


def _consumers(model: Any) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Initializers, and the weight MatMuls grouped by the activation they read."""
    from onnx import numpy_helper

    inits = {i.name: i for i in model.graph.initializer}
    groups: dict[str, list[Any]] = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            if numpy_helper.to_array(inits[node.input[1]]).ndim == 2:
                groups.setdefault(node.input[0], []).append(node)
    return inits, groups


def _ranges(model: Any, names: Sequence[str], embedder: Any, texts: Sequence[str]) -> dict:
    """Per-channel max |activation| of each named tensor over the calibration texts."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    probe = type(model)()
    probe.CopyFrom(model)
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), sess_options=options)
    outputs = [o.name for o in session.get_outputs()]
    peak: dict[str, np.ndarray] = {}
    ids = embedder.token_ids(texts)
    for start in range(0, len(ids), 32):
        rows = ids[start : start + 32]
        width = max(len(r) for r in rows)
        tokens = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(tokens)
        for r, row in enumerate(rows):
            tokens[r, : len(row)], mask[r, : len(row)] = row, 1
        feeds = {"input_ids": tokens, "attention_mask": mask, "token_type_ids": 0 * tokens}
        for name, value in zip(outputs, session.run(None, feeds), strict=True):
            if name in names:
                top = np.abs(value[mask.astype(bool)]).max(axis=0)
                peak[name] = np.maximum(peak.get(name, top), top)
    return peak


def _smooth(model: Any, texts: Sequence[str], embedder: Any) -> None:
    from onnx import helper, numpy_helper

    inits, groups = _consumers(model)
    names = [n for n in groups if not n.startswith("gelu")]
    peak = _ranges(model, names, embedder, texts)
    for name in names:
        nodes = groups[name]
        weights = [numpy_helper.to_array(inits[n.input[1]]) for n in nodes]
        wmax = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = np.maximum(peak[name], 1e-5) ** ALPHA / np.maximum(wmax, 1e-5) ** (1 - ALPHA)
        scale = scale.astype(np.float32)
        inverse = numpy_helper.from_array(1 / scale, f"{name}_smooth_inverse")
        model.graph.initializer.append(inverse)
        first = min(list(model.graph.node).index(n) for n in nodes)
        mul = helper.make_node("Mul", [name, inverse.name], [f"{name}_smoothed"])
        model.graph.node.insert(first, mul)
        for node, weight in zip(nodes, weights, strict=True):
            tensor = inits[node.input[1]]
            tensor.CopyFrom(numpy_helper.from_array(weight * scale[:, None], tensor.name))
            node.input[0] = f"{name}_smoothed"


def build(embedder: Any, texts: Sequence[str], *, keep_ffn_out: bool = False) -> Any:
    """An onnxruntime session of the smoothed, dynamically int8-quantised MiniLM.

    ``keep_ffn_out`` leaves the FFN's second MatMul (the 1,536-wide GELU input) in fp32:
    slower, closer to the shipped model.
    """
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from pilothouse.feedback.synthesis.models import MINILM, resolve_minilm

    with tempfile.TemporaryDirectory(prefix="pilothouse-sq-") as tmp:
        folded, smoothed, out = (Path(tmp) / f for f in ("f.onnx", "s.onnx", "q.onnx"))
        _fold(resolve_minilm(None, MINILM), folded)
        model = onnx.load(str(folded))
        _smooth(model, texts, embedder)
        _inits, groups = _consumers(model)
        fp32 = [n.name for g, nodes in groups.items() if g.startswith("gelu") for n in nodes]
        onnx.save(model, str(smoothed))
        logging.getLogger().setLevel(logging.ERROR)
        quantize_dynamic(
            smoothed, out, weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"], nodes_to_exclude=fp32 if keep_ffn_out else [],
        )  # fmt: skip
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        return ort.InferenceSession(str(out), sess_options=options)
