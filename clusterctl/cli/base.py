"""What every command module shares: the command marker, the context, shared options.

A command module defines functions marked with :func:`command`; ``clusterctl.cli.typer_app``
registers them. A command with an ``action`` has no body of its own: its parameters are the
options, and the run calls the action with the AppContext and those values, on the Typer route
and on the fast route alike (``clusterctl.cli.argspec`` records the action for the latter). The
action is named as ``"module:function"`` and imported only when its command runs: ``--help``
and a usage error import none (``sync``'s alone pulls in the portal client and e-mail parsing).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clusterctl.actions.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])


class Marked:
    """What :func:`command` records on a command function."""

    __slots__ = ("action", "group", "name")

    def __init__(self, name: str, action: str | None, group: str | None) -> None:
        self.name = name
        self.action = action
        self.group = group


def command(name: str, *, action: str | None = None, group: str | None = None) -> Callable[[F], F]:
    """Mark a function as the command ``name`` (in ``group``, e.g. 'export').

    With ``action`` (``"module:function"``) the function's body is never run: the action is
    called with the run's AppContext and the parsed values, keyed by the function's parameter
    names. Without one, the function takes ``ctx: typer.Context`` and does the (Typer-only)
    work itself.
    """

    def mark(func: F) -> F:
        func.__dict__["command"] = Marked(name, action, group)
        return func

    return mark


def marked(func: object) -> Marked | None:
    """The :class:`Marked` record of a command function, or None."""
    record = getattr(func, "__dict__", {}).get("command")
    return record if isinstance(record, Marked) else None


class App(typer.Typer):
    """A Typer app with plain Click help and errors.

    Errors stay short lines on stderr that scripts and cron mail can read, and ``--help`` does
    not pay for importing Rich.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("pretty_exceptions_enable", False)
        super().__init__(**kwargs)


def context(ctx: typer.Context) -> AppContext:
    """The AppContext of this run (set by the app's callback)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the callback (tests)
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj


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

# The selection options of `calls`, shared by `export ics` and `export html`.
OpenFlag = Annotated[bool, typer.Option("--open", help="Only open calls.")]
ClosedFlag = Annotated[bool, typer.Option("--closed", help="Only closed calls.")]
ForthcomingFlag = Annotated[
    bool, typer.Option("--forthcoming", help="Only calls that have not opened yet.")
]
AllFlag = Annotated[
    bool, typer.Option("--all", "-a", help="Every call (default: open and forthcoming).")
]
WithinOption = Annotated[
    str | None,
    typer.Option(
        "--within",
        metavar="DURATION",
        help="Next deadline within this from now: 36h, 14d, 2w, 1d12h.",
        show_default=False,
    ),
]
ProgrammeOption = Annotated[
    str | None,
    typer.Option("--programme", "-p", help="Programme contains this text.", show_default=False),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", help="Has this tag (repeat: has all).", show_default=False),
]
SearchOption = Annotated[
    str | None,
    typer.Option(
        "--search", "-s", help="Text in id, title, programme, tags or note.", show_default=False
    ),
]
