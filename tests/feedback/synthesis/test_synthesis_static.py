"""The static (model2vec-format) embedder and its files, and the package's exports."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

import pilothouse.feedback.synthesis as synthesis
from pilothouse.feedback.synthesis import MINILM, ModelUnavailableError, StaticEmbedder
from pilothouse.feedback.synthesis.static import read_safetensors, write_safetensors


def test_safetensors_round_trip(tmp_path: Path) -> None:
    tensors = {"embeddings": np.arange(12, dtype=np.float32).reshape(4, 3)}
    write_safetensors(tmp_path / "m.safetensors", tensors)
    assert np.array_equal(
        read_safetensors(tmp_path / "m.safetensors")["embeddings"], tensors["embeddings"]
    )


def test_static_model_saves_loads_and_averages_pieces(tmp_path: Path) -> None:
    tokenizer = Tokenizer.from_file(str(MINILM.tokenizer))
    vectors = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), 16))
    model = StaticEmbedder(vectors.astype(np.float32), tokenizer, "test-static")
    model.save(tmp_path / "static")
    loaded = StaticEmbedder.load(tmp_path / "static")
    assert loaded.model_id == "test-static" and loaded.dimension == 16
    out = loaded.embed(["card arrived", "card"])
    ids = tokenizer.encode("card", add_special_tokens=False).ids
    expected = vectors[ids].mean(axis=0)
    assert np.allclose(out[1], expected / np.linalg.norm(expected), atol=1e-5)
    assert np.allclose(model.embed(["card arrived"]), out[:1], atol=1e-6)


def test_incomplete_static_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="missing"):
        StaticEmbedder.load(tmp_path)


def test_all_is_complete() -> None:
    public = {
        name
        for name, value in vars(synthesis).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(synthesis.__all__) - {"codes"}
    assert all(hasattr(synthesis, name) for name in synthesis.__all__)
