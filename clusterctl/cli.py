"""The assembled command line: the app from ``clusterctl.app`` with every command registered."""

from clusterctl.app import app
from clusterctl.commands import register_commands

register_commands()

__all__ = ["app"]
