"""The commands, one module per group; importing a module registers its commands on the app.

Typer builds every registered command's parameters from its signature on each run. A run of
one command (``clusterctl show X``, from a script or cron) only needs that command, so the
console script imports only its module and registers only it; help, completion and anything
unrecognised load all.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

#: Command modules in the order their commands appear in ``--help``.
COMMAND_MODULES = ("listing", "changes", "transfer", "warnings", "admin")
#: Which module defines each top-level command.
COMMAND_HOME = {
    "calls": "listing",
    "show": "listing",
    "add": "changes",
    "extend": "changes",
    "edit": "changes",
    "remove": "changes",
    "import": "transfer",
    "export": "transfer",
    "warn": "warnings",
    "check": "admin",
    "migrate": "admin",
    "config": "admin",
}


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command word in ``argv`` (after the global options), or None."""
    from clusterctl.fastpath import GLOBAL  # the one table of global options (checked in tests)

    # Global options that take a value: the word after them is not the command.
    value_options = {name for o in GLOBAL.options if not o.flag for name in o.names}
    words = iter(argv)
    for word in words:
        if word in value_options:
            next(words, None)
        elif word.startswith("-"):
            continue
        else:
            return word
    return None


def register_commands(argv: Sequence[str] = ()) -> None:
    """Import the command modules that ``argv`` needs (all of them when in doubt)."""
    from clusterctl import app

    command = invoked_command(argv) or ""
    home = COMMAND_HOME.get(command)
    completing = any(name.endswith("_COMPLETE") for name in os.environ)
    wants_all = home is None or completing or "--help" in argv or "-h" in argv
    app.only_commands = None if wants_all else {command}
    for name in COMMAND_MODULES if wants_all else (home,):
        importlib.import_module(f"clusterctl.commands.{name}")
