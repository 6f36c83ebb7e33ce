"""The web layer: app factory (``pilothouse.web.app.create_app``), pages, JSON API and
static assets. Thin: it calls domain services.

Nothing is imported here, so that domain route modules can use ``web.deps`` without
pulling in the app factory (which imports every domain's routes) first.
"""

__all__: list[str] = []
