"""The Typer application: global options, the per-run context, shared options, one error handler.

Commands live in ``clusterctl/commands/``; each parses its options, calls the domain or the store,
and hands the result to ``clusterctl.render``. Heavy modules are imported inside commands so that
``clusterctl --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clusterctl import __version__
from clusterctl.context import AppContext
from clusterctl.exits import exit_code_of, report_error

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    report_error(message)
    return typer.Exit(code)


def _guard(func: F) -> F:
    """Turn ClusterctlError into one line on stderr and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        code = exit_code_of(lambda: func(*args, **kwargs))
        if code:
            raise typer.Exit(code)

    return wrapper  # type: ignore[return-value]


class App(typer.Typer):
    """A Typer app whose commands all share the one error handler.

    Help and usage errors are plain Click text, not Rich panels: errors stay short lines on
    stderr that scripts and cron mail can read, and ``--help`` does not pay for importing Rich.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("pretty_exceptions_enable", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        register = super().command(*args, **kwargs)
        name = args[0] if args else kwargs.get("name")

        def decorator(func: F) -> F:
            if self is app and only_commands is not None and name not in only_commands:
                return func  # another command runs: Typer need not build this one's parameters
            register(_guard(func))
            return func

        return decorator


#: The top-level commands to register in this run; None registers all of them. Set by
#: ``clusterctl.commands.register_commands`` before the command modules are imported.
only_commands: set[str] | None = None


HELP = """Track funding-call deadlines exactly: list, add, extend, warn.

The store is a directory of TOML files chosen by --store, else $CLUSTERCTL_STORE, else `store`
in the config file, else the per-user data directory (see `clusterctl config path`).
"""

app = App(
    name="clusterctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def context(ctx: typer.Context) -> AppContext:
    """The AppContext of this run (set by the callback)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the callback (tests)
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"clusterctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            envvar="CLUSTERCTL_STORE",
            help="Store directory (else $CLUSTERCTL_STORE, the config file, the data dir).",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            "--lock-timeout",
            min=0,
            help="Seconds to wait for another clusterctl holding the store's lock [default: 10].",
            show_default=False,
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour (also when NO_COLOR is set).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Track funding-call deadlines exactly: list, add, extend, warn."""
    ctx.obj = AppContext(store_option=store, lock_timeout_option=lock_timeout, no_color=no_color)


# --- options shared by several commands ------------------------------------------------------


class OutputFormat(StrEnum):
    """Output formats of listing commands."""

    table = "table"
    json = "json"
    csv = "csv"


def complete_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of call ids from the store (silent on any problem)."""
    try:
        root = ctx.find_root()
        option = root.params.get("store") or os.environ.get("CLUSTERCTL_STORE")
        app_ctx = AppContext(store_option=Path(option) if option else None)
        return [i for i in app_ctx.store().ids() if i.startswith(incomplete)]
    except Exception:
        return []


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="WHEN",
        help="Evaluate as of this moment instead of now, e.g. '2018-03-01 09:00'.",
        show_default=False,
    ),
]
DisplayTzOption = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="Show deadlines in this IANA zone (e.g. Europe/Lisbon) instead of each call's own.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table (people), json or csv (scripts)."),
]
IdArgument = Annotated[
    str, typer.Argument(metavar="ID", help="The call's id.", autocompletion=complete_ids)
]
