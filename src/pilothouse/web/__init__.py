"""The web layer: app factory, pages, JSON API, static assets. Thin: it calls services."""

from pilothouse.web.app import create_app

__all__ = ["create_app"]
