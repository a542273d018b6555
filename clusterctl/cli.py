"""The assembled command line: the app from ``clusterctl.app`` with every command registered."""

from clusterctl.app import app
from clusterctl.commands import admin, changes, listing, transfer, warnings

__all__ = ["admin", "app", "changes", "listing", "transfer", "warnings"]
