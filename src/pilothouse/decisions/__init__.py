"""The decision log: decisions with context, options, the choice, rationale, people,
status (proposed → decided → superseded), links to what they are about, and an
immutable revision for every change.

Other domains use it through ``decisions.linking.decisions_about`` (which decisions
are about this object?) and the JSON API; decisions link to other objects with core
links of type ``decision``.
"""

from pilothouse.decisions.models import Decision, DecisionRevision, DecisionStatus

__all__ = ["Decision", "DecisionRevision", "DecisionStatus"]
