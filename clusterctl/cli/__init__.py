"""The command line: the Typer app, its commands, and the fast route that can skip Typer.

``clusterctl.cli.typer_app`` holds the Typer app, loaded on first use of ``clusterctl.cli.app``
(``from clusterctl.cli import app``): ``clusterctl.cli.fast`` lives in this package too and must
not pay for importing Typer.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        # Typer and every command: ~74 ms the fast route saves
        from clusterctl.cli.typer_app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
