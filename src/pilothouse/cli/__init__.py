"""The ``pilothouse`` command line: thin commands over the domain services."""
