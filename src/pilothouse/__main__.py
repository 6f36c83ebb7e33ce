"""``python -m pilothouse`` runs the command line."""

from pilothouse.cli.main import app

app()
