"""Looking after the store and the settings: ``check``, ``migrate``, ``config``."""

from __future__ import annotations

import os
import sys

import typer

from clusterctl.app import App, app, context
from clusterctl.errors import StoreError


@app.command("check")
def check_command(ctx: typer.Context) -> None:
    """Validate the whole store: files parse, ids unique, dates valid, extensions consistent.

    Lists every problem and exits 1 if there is any. Example: clusterctl check
    """
    from clusterctl.render import echo

    store = context(ctx).store()
    if not store.exists():  # a mistyped path must not pass as a healthy store
        raise StoreError(f"{store.root}: no clusterctl store there")
    problems = store.check()
    if problems:
        for problem in problems:
            echo(f"problem: {problem}", err=True)
        plural = "s" if len(problems) != 1 else ""
        echo(f"error: {len(problems)} problem{plural} in {store.root}", err=True)
        raise typer.Exit(1)
    count = len(store.summaries())
    echo(f"ok: {count} call{'s' if count != 1 else ''} in {store.root}, no problems")


@app.command("migrate")
def migrate_command(ctx: typer.Context) -> None:
    """Upgrade a store written by an older clusterctl to the current schema (keeps a backup).

    Example: clusterctl migrate
    """
    from clusterctl.render import echo

    start, end, backup = context(ctx).store().migrate()
    if backup is None:
        echo(f"schema version {end} is current; nothing to do")
    else:
        echo(f"migrated schema {start} -> {end}; previous store kept in {backup}")


config_app = App(help="Show the config file's location and settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("path")
def config_path_command() -> None:
    """Print where the config file is read from ($CLUSTERCTL_CONFIG overrides).

    Example: clusterctl config path
    """
    from clusterctl.config import config_path

    # Exactly the path, whatever it holds: scripts use $(clusterctl config path).
    sys.stdout.flush()
    sys.stdout.buffer.write(os.fsencode(config_path()) + b"\n")
    sys.stdout.buffer.flush()


@config_app.command("show")
def config_show_command(ctx: typer.Context) -> None:
    """Print the config file's settings as JSON (secrets masked) and the store in use.

    Example: clusterctl config show
    """
    from clusterctl.config import masked
    from clusterctl.render import write_json

    app_ctx = context(ctx)
    settings = masked(app_ctx.config)
    path, source = app_ctx.store_path()
    settings["effective_store"] = {"path": str(path), "chosen_by": source}
    write_json(settings, sys.stdout)
