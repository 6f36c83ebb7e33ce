"""The demo test runs synthesis on ~1,500 texts: embed them once per session, not per backend."""

from tests.feedback.themes.conftest import memo_embedder  # noqa: F401  (autouse, session-wide)
