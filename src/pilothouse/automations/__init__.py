"""Automations: rules that react to domain events (trigger → conditions → actions),
outgoing signed webhooks, and the durable deliveries that carry the actions out."""

__all__: list[str] = []
