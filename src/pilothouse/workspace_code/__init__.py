"""Operations as code: the workspace's configuration as a directory of YAML/Markdown files.

``export`` writes statuses, custom fields, scoring formulas, launch and experiment
templates, the workspace settings, automation rules, playbooks and dashboards, one file per
object; ``plan`` shows what applying a directory would change; ``apply`` makes it so
through each domain's services, in the caller's transaction. See
docs/workspace-as-code.md.
"""

from pilothouse.workspace_code.engine import KINDS, Change, Plan, apply, export, plan

__all__ = ["KINDS", "Change", "Plan", "apply", "export", "plan"]
