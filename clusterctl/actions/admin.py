"""What ``check``, ``migrate`` and ``config`` do once their options are parsed."""

from __future__ import annotations

import os
import sys

from clusterctl.actions.context import AppContext
from clusterctl.config import config_path, masked
from clusterctl.errors import ClusterctlError, StoreError
from clusterctl.render import echo, write_json


def check_store(app_ctx: AppContext) -> str:
    """List every problem of the store on stderr and fail if there is any."""
    store = app_ctx.store()
    if not store.exists():  # a mistyped path must not pass as a healthy store
        raise StoreError(f"{store.root}: no clusterctl store there")
    problems, count = store.survey()
    if problems:
        for problem in problems:
            echo(f"problem: {problem}", err=True)
        plural = "s" if len(problems) != 1 else ""
        raise ClusterctlError(f"{len(problems)} problem{plural} in {store.root}")
    return f"ok: {count} call{'s' if count != 1 else ''} in {store.root}, no problems"


def migrate_store(app_ctx: AppContext) -> str:
    """Upgrade the store's schema, keeping a backup; say what was done."""
    start, end, backup = app_ctx.store().migrate()
    if backup is None:
        return f"schema version {end} is current; nothing to do"
    return f"migrated schema {start} -> {end}; previous store kept in {backup}"


def print_config_path(app_ctx: AppContext) -> None:
    """Print exactly the config file's path, whatever bytes it holds."""
    # Exactly the path: scripts use $(clusterctl config path).
    sys.stdout.flush()
    sys.stdout.buffer.write(os.fsencode(config_path()) + b"\n")
    sys.stdout.buffer.flush()


def print_config(app_ctx: AppContext) -> None:
    """Print the effective settings as JSON, secrets masked, with the store in use."""
    settings = masked(app_ctx.config)
    path, source = app_ctx.store_path()
    settings["effective_store"] = {"path": str(path), "chosen_by": source}
    write_json(settings, sys.stdout)
