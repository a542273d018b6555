"""The console script loads only the invoked command's module; the table must stay complete."""

from __future__ import annotations

import pytest

from clusterctl.cli import app
from clusterctl.commands import COMMAND_HOME, COMMAND_MODULES, invoked_command
from tests.conftest import run_main_then


def test_every_registered_command_has_a_home_module() -> None:
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(COMMAND_HOME)
    assert set(COMMAND_HOME.values()) <= set(COMMAND_MODULES)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["calls", "--open"], "calls"),
        (["--store", "calls", "show", "X"], "show"),  # a store directory named 'calls'
        (["--lock-timeout", "3", "--no-color", "extend", "X"], "extend"),
        (["--version"], None),
        ([], None),
    ],
)
def test_invoked_command(argv: list[str], expected: str | None) -> None:
    assert invoked_command(argv) == expected


def test_a_single_command_run_imports_only_its_module(seeded_store) -> None:
    # Not `show`: a plain show takes the fast route and loads no command module at all.
    *output, modules, commands = run_main_then(
        ["--store", str(seeded_store), "check"],
        "print(sorted(m for m in sys.modules if m.startswith('clusterctl.commands.')))\n"
        "from clusterctl.app import app\n"
        "print(sorted(c.name for c in app.registered_commands))",
    )
    assert modules == "['clusterctl.commands.admin']"
    assert commands == "['check']"
    assert output[0].startswith("ok: 2 calls in ")
