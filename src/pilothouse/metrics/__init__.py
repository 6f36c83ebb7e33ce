"""Metrics: event sources and ingestion, the embedded event store, metric definitions,
the SQL compiler and warehouse connections."""
