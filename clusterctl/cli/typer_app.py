"""The Typer app: global options, the registration of every command, the Typer route's run.

Commands live in the group modules (``listing``, ``changes``, ``transfer``, ``sync``,
``warnings``, ``admin``), marked with ``clusterctl.cli.base.command``; this module registers
them in that order, so ``--help`` lists them as the modules define them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from typer.models import TyperPath

from clusterctl import __version__
from clusterctl.actions.context import AppContext
from clusterctl.cli import admin, changes, listing, sync, transfer, warnings
from clusterctl.cli.base import App, context, marked
from clusterctl.cli.handler import Outcome, action_of, guarded, report_error
from clusterctl.errors import ClusterctlError

#: The command modules, in the order their commands appear in ``--help``.
MODULES: tuple[ModuleType, ...] = (listing, changes, transfer, sync, warnings, admin)

HELP = """Track funding-call deadlines exactly: list, add, extend, warn.

The store is a directory of TOML files chosen by --store, else $CLUSTERCTL_STORE, else `store`
in the config file, else the per-user data directory (see `clusterctl config path`).
"""

app = App(
    name="clusterctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class StorePath(TyperPath):
    """The ``--store`` directory: Typer's path, but never empty.

    ``Path("")`` is ``Path(".")``, so ``--store ""`` (an unset variable in a script) would
    quietly make a store of whatever directory the command runs in. An empty
    ``$CLUSTERCTL_STORE`` never gets here: Click treats it as unset.
    """

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if value in ("", b""):
            # Named as given: Click's own hint would add "(env var: ...)", which cannot be empty.
            raise typer.BadParameter(
                "must not be empty; use '.' for the current directory",
                ctx=ctx,
                param_hint="'--store'",
            )
        return super().convert(value, param, ctx)


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
            click_type=StorePath(),
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
    ctx.obj = AppContext.from_options(store=store, lock_timeout=lock_timeout, no_color=no_color)


def _runner(func: Callable[..., Any]) -> Callable[..., None]:
    """The callback Typer calls for ``func``: its action (or body) under the one error handler."""
    action = marked(func).action  # type: ignore[union-attr]

    @functools.wraps(func)
    def run(ctx: typer.Context, **values: Any) -> None:
        if action is not None:
            code = guarded(lambda: action_of(action)(context(ctx), **values))
        else:
            code = guarded(lambda: func(ctx, **values))
        if code:
            raise typer.Exit(code)

    return run


def _register(target: typer.Typer, modules: Sequence[ModuleType]) -> None:
    groups: dict[str, typer.Typer] = {}
    for module in modules:
        for name, help_text in getattr(module, "GROUPS", {}).items():
            groups[name] = App(help=help_text, no_args_is_help=True)
            target.add_typer(groups[name], name=name)
        for func in vars(module).values():
            record = marked(func)
            if record is not None:
                where = groups[record.group] if record.group else target
                where.command(record.name)(_runner(func))


_register(app, MODULES)


@functools.cache
def click_command() -> Any:
    """The Click command Typer builds from the app, built once per process."""
    return typer.main.get_command(app)


class CommandLineError(ClusterctlError):
    """A usage error Click found: the message says where to look, with Click's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run(argv: Sequence[str]) -> int:
    """Run ``clusterctl argv`` through Typer and return its exit code."""
    return guarded(lambda: _invoke(list(argv)))


def _invoke(argv: list[str]) -> Outcome:
    try:
        code = click_command().main(args=argv, prog_name="clusterctl", standalone_mode=False)
    except typer.TyperException as exc:  # Click's usage errors: one line, with where to look
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())  # `clusterctl` or `clusterctl export` alone: the help
            return 0
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        raise CommandLineError(exc.format_message() + hint, getattr(exc, "exit_code", 2)) from None
    except typer.Abort:
        report_error("aborted")
        return 1
    return code if isinstance(code, int) else 0
