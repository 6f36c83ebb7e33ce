"""Operations: how the product process itself is doing, computed from what Pilothouse
records (``ops/health/``) and the dashboards built on it. Each sub-package declares its
own ``__all__``."""

__all__: list[str] = []
