"""Sub-commands that are imported only when they run, so the command starts fast.

Every domain's command module imports its services, and through them SQLAlchemy,
the models of every domain, SciPy, DuckDB...: seconds of imports. Importing all of
them to print ``pilothouse --help`` or to run ``pilothouse stats analyze`` (which
needs none of them) made every command pay for all. :class:`LazyGroup` keeps a
table of ``name → "module:attribute"`` with the one line of help that the listing
shows, imports a module when its command is resolved, and shows the table's line
while it prints the listing, so ``--help`` imports no domain at all.

A new top-level command is one :class:`LazyCommand` row in ``cli/main.py``;
``tests/cli/test_lazy.py`` checks that every row loads, that its help line is the
one the loaded command would show, and which modules ``--help`` imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # Typer vendors Click as typer._click; these are its classes
    from typer._click import Command, Context, HelpFormatter

__all__ = ["LazyCommand", "LazyGroup"]


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command or group whose module is imported on first use.

    Attributes:
        name: The command's name on the command line (``user``, ``stats``).
        target: ``"module:attribute"``; the attribute is a ``typer.Typer`` (a group)
            or a command function (a single command such as ``init``).
        help: The line the listing of ``pilothouse --help`` shows for it: the first
            paragraph of the group's or function's help.
    """

    name: str
    target: str
    help: str

    def load(self) -> Command:
        """Import the module and build the Click command, named ``self.name``."""
        module_name, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            command: Command = typer.main.get_group(obj)
        else:
            single = typer.Typer(add_completion=False)
            single.command(self.name)(obj)
            command = typer.main.get_command(single)
        command.name = self.name
        return command

    def placeholder(self) -> Command:
        """What the listing shows without importing anything: the name and help line."""
        return TyperCommand(self.name, help=self.help)


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands in :attr:`lazy_commands` load on demand.

    Subclasses set :attr:`lazy_commands`. Commands registered the usual way
    (``app.command()``, ``app.add_typer()``) still work and come after the table.
    """

    lazy_commands: ClassVar[Sequence[LazyCommand]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = {entry.name: entry for entry in self.lazy_commands}
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        names = list(self._lazy)
        return names + [name for name in super().list_commands(ctx) if name not in self._lazy]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        loaded = self.commands.get(cmd_name)
        entry = self._lazy.get(cmd_name)
        if loaded is not None or entry is None:
            return loaded
        if self._listing:
            return entry.placeholder()
        command = entry.load()
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The help page; its command list comes from the table, importing nothing."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
