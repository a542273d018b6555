"""Looking after the store and the settings: ``check``, ``migrate``, ``config``."""

from __future__ import annotations

import typer

from clusterctl.cli.base import command

#: Sub-command groups of this module and their help.
GROUPS = {"config": "Show the config file's location and settings."}


@command("check", action="clusterctl.actions.admin:check_store")
def check_command(ctx: typer.Context) -> None:
    """Validate the whole store: files parse, ids unique, dates valid, extensions consistent.

    Lists every problem and exits 1 if there is any. Example: clusterctl check
    """


@command("migrate", action="clusterctl.actions.admin:migrate_store")
def migrate_command(ctx: typer.Context) -> None:
    """Upgrade a store written by an older clusterctl to the current schema (keeps a backup).

    Example: clusterctl migrate
    """


@command("path", action="clusterctl.actions.admin:print_config_path", group="config")
def config_path_command(ctx: typer.Context) -> None:
    """Print where the config file is read from ($CLUSTERCTL_CONFIG overrides).

    Example: clusterctl config path
    """


@command("show", action="clusterctl.actions.admin:print_config", group="config")
def config_show_command(ctx: typer.Context) -> None:
    """Print the config file's settings as JSON (secrets masked) and the store in use.

    Example: clusterctl config show
    """
