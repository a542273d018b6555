"""The Typer application: global options, the per-run context, shared options, one error handler.

Commands live in ``clusterctl/commands/``; each parses its options, calls the domain or the store,
and hands the result to ``clusterctl.render``. Heavy modules are imported inside commands so that
``clusterctl --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from clusterctl import __version__
from clusterctl.errors import ClusterctlError

if TYPE_CHECKING:
    from clusterctl.config import Config
    from clusterctl.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    from clusterctl.render import printable

    typer.echo(f"error: {printable(message)}", err=True)
    return typer.Exit(code)


def _guard(func: F) -> F:
    """Turn ClusterctlError into one line on stderr and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClusterctlError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except BrokenPipeError:
            # The reader went away (e.g. `| head`): stop quietly, as Unix tools do. Point stdout
            # at /dev/null so that the final flush at exit cannot fail again (Python's recipe).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None

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


@dataclass
class AppContext:
    """Everything a command needs from the global options, resolved lazily."""

    store_option: Path | None = None
    lock_timeout_option: float | None = None
    no_color: bool = False
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The user's config file (empty defaults when it does not exist)."""
        if self._config is None:
            from clusterctl.config import load_config

            self._config = load_config()
        return self._config

    def store_path(self) -> tuple[Path, str]:
        """Where the store is and which rule chose it."""
        if self.store_option is not None:
            return self.store_option.expanduser(), "--store / CLUSTERCTL_STORE"
        if self.config.store is not None:
            return self.config.store, f"config file {self.config.path}"
        from clusterctl.config import user_dir

        return user_dir("data") / "store", "default"

    def store(self) -> Store:
        """The Store the command works on."""
        from clusterctl.store import Store

        timeout = self.lock_timeout_option
        if timeout is None:
            timeout = self.config.lock_timeout if self.config.lock_timeout is not None else 10.0
        return Store(self.store_path()[0], lock_timeout=timeout)

    def now(self, at: str | None, tz_option: str | None = None) -> datetime:
        """``--at`` parsed, else the clock, once.

        A time without a zone in ``--at`` (and a bare date, which means 00:00) is read in the
        viewer's zone: --tz, else the config file's, else Europe/Brussels.
        """
        if at is None:
            return datetime.now(UTC)
        from clusterctl.timeparse import DEFAULT_ZONE, parse_now

        return parse_now(at, self.display_zone(tz_option) or DEFAULT_ZONE).astimezone(UTC)

    def display_zone(self, option: str | None) -> str | None:
        """The viewer's zone from --tz or the config file; None shows each call's own zone."""
        from clusterctl.timeparse import canonical_zone_name

        name = option or self.config.timezone
        return canonical_zone_name(name) if name else None

    def color(self) -> bool:
        """Whether to colour stdout."""
        from clusterctl.render import color_wanted

        return color_wanted(sys.stdout, self.no_color)

    def console(self) -> Any | None:
        """A Rich console when stdout is a terminal, else None (plain output)."""
        if not sys.stdout.isatty():
            return None
        from clusterctl.render import make_console

        return make_console(color=self.color())


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
