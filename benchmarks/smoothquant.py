"""Calibrate the smoothing factors of the shipped int8 MiniLM (issue 14.7).

Writes ``src/pilothouse/feedback/synthesis/data/minilm_smoothing.json``, the only
calibration data the int8 build ships (see ``feedback/synthesis/int8.py`` for why
SmoothQuant). For each weight MatMul group of the packaged model except the GELU
inputs: ``s = max|X|^a / max|W|^(1-a)`` per input channel with ``a = 0.5``, where
``max|X|`` is the largest activation over the first 150 sentences of each UCI
sentiment file (450 sentences, 64-piece cap) and ``max|W|`` the largest weight of
the channel's row. Deterministic: the same data and model give the same file.
After running it, pin the printed sha256s in ``int8.py`` (``INT8``).

    .venv/bin/python benchmarks/smoothquant.py
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pilothouse.feedback.synthesis import EmbedderConfig, OnnxEmbedder
from pilothouse.feedback.synthesis.int8 import (
    INT8,
    build_int8,
    load_smoothing,
    onnx_messages,
    weight_groups,
)
from pilothouse.feedback.synthesis.models import MINILM, resolve_minilm

ALPHA = 0.5
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "feedback"


def calibration_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((DATA / "uci_sentiment").glob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[:150]
        texts += [line.rpartition("\t")[0] for line in lines]
    return texts


def peaks(source: bytes, names: Sequence[str], texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-channel max |activation| of each named tensor over the texts."""
    import onnxruntime as ort

    messages = onnx_messages()
    probe = messages["ModelProto"].FromString(source)
    for name in names:
        output = probe.graph.output.add()
        output.name = name
        output.type.tensor_type.elem_type = 1
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), sess_options=options)
    outputs = [o.name for o in session.get_outputs()]
    ids = OnnxEmbedder(EmbedderConfig(backend="minilm", precision="fp32")).token_ids(texts)
    peak: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), 32):
        rows = ids[start : start + 32]
        tokens = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
        mask = np.zeros_like(tokens)
        for r, row in enumerate(rows):
            tokens[r, : len(row)], mask[r, : len(row)] = row, 1
        feeds = {"input_ids": tokens, "attention_mask": mask, "token_type_ids": 0 * tokens}
        for name, value in zip(outputs, session.run(None, feeds), strict=True):
            if name in names:
                top = np.abs(value[mask.astype(bool)]).max(axis=0)
                peak[name] = np.maximum(peak.get(name, top), top)
    return peak


def main() -> None:
    source = resolve_minilm(None, MINILM).read_bytes()
    groups = weight_groups(onnx_messages()["ModelProto"].FromString(source))
    names = [name for name in groups if not name.startswith("gelu")]
    peak = peaks(source, names, calibration_texts())
    scales = {}
    for name in names:
        wmax = np.max([np.abs(w).max(axis=1) for _, w in groups[name]], axis=0)
        s = np.maximum(peak[name], 1e-5) ** ALPHA / np.maximum(wmax, 1e-5) ** (1 - ALPHA)
        scales[name] = [float(v) for v in s.astype(np.float32)]
    document = {
        "alpha": ALPHA,
        "calibration": "first 150 sentences of each UCI Sentiment Labelled Sentences file "
        "(Kotzias et al. 2015, CC BY 4.0), 64 word pieces",
        "model_sha256": MINILM.sha256,
        "scales": scales,
    }
    INT8.smoothing.write_text(json.dumps(document, indent=0) + "\n", encoding="utf-8")
    print("smoothing_sha256", hashlib.sha256(INT8.smoothing.read_bytes()).hexdigest())
    built = build_int8(
        source, load_smoothing(INT8.__class__(**{**INT8.__dict__, "smoothing_sha256": None}))
    )
    print("sha256", hashlib.sha256(built).hexdigest(), f"{len(built) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
