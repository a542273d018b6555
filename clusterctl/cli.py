"""The assembled command line: the app from ``clusterctl.app`` with every command registered."""

import importlib

from clusterctl.app import app

#: Command modules in the order their commands appear in ``--help``.
COMMAND_MODULES = ("listing", "changes", "transfer", "warnings", "admin")

for _name in COMMAND_MODULES:
    importlib.import_module(f"clusterctl.commands.{_name}")

__all__ = ["app"]
