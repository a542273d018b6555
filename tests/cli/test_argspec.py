"""The fast route's spec is generated from the Typer app and must never drift from it."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest
import typer.main

from clusterctl.cli import argspec, specgen
from clusterctl.cli.typer_app import app

COMMITTED = specgen.SPEC_FILE.read_text(encoding="utf-8")


def _fresh_root() -> Any:
    """A Click command tree of its own, to mutate without touching the cached one."""
    return typer.main.get_command(app)


def _param(root: Any, command: str, name: str) -> Any:
    return next(p for p in root.commands[command].params if p.name == name)


def _spec_option(spec: dict[str, Any], command: str, dest: str) -> dict[str, Any]:
    return next(o for o in spec["COMMANDS"][command]["options"] if o["dest"] == dest)


def test_the_committed_spec_is_what_typer_generates() -> None:
    assert specgen.generate() == COMMITTED, "run: python -m clusterctl.cli.argspec --write"


def _set_envvar(root: Any) -> None:
    _param(root, "add", "tz").envvar = "CLUSTERCTL_TZ"


def _set_default(root: Any) -> None:
    _param(root, "add", "tz").default = "Asia/Tokyo"


def _set_choices(root: Any) -> None:
    _param(root, "calls", "fmt").type.choices = ["table", "json"]


def _unset_flag(root: Any) -> None:
    param = _param(root, "calls", "open_")
    param.is_flag = param.is_bool_flag = False
    param.type = typer.main.get_click_type(annotation=str, parameter_info=typer.models.OptionInfo())


@pytest.mark.parametrize(
    "mutate", [_set_envvar, _set_default, _set_choices, _unset_flag], ids=lambda f: f.__name__
)
def test_any_difference_in_an_option_makes_the_spec_stale(mutate: Callable[[Any], None]) -> None:
    root = _fresh_root()
    assert specgen.render(specgen.build(root, app)) == COMMITTED
    mutate(root)
    assert specgen.render(specgen.build(root, app)) != COMMITTED


def test_the_route_reads_an_option_from_its_environment_variable() -> None:
    # The reproducer of issue 13: an envvar added in the signature reaches the fast route too.
    root = _fresh_root()
    _set_envvar(root)
    assert _spec_option(specgen.build(root, app), "add", "tz")["envvar"] == "CLUSTERCTL_TZ"


def test_a_callback_leaves_the_command_to_typer() -> None:
    root = _fresh_root()
    _param(root, "show", "at").callback = lambda ctx, param, value: value
    spec = specgen.build(root, app)
    assert "show" not in spec["COMMANDS"] and "calls" in spec["COMMANDS"]


def test_every_action_takes_the_values_the_route_passes() -> None:
    for name, command in argspec.COMMANDS.items():
        module, function = command["action"].split(":")
        action = getattr(importlib.import_module(module), function)
        parameters = inspect.signature(action).parameters
        dests = [a["dest"] for a in command["arguments"]] + [o["dest"] for o in command["options"]]
        first, *rest = parameters
        assert first == "app_ctx", name
        assert set(dests) == set(rest) - {"confirm"}, name


def test_the_generator_rewrites_and_checks(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "argspec.py"
    monkeypatch.setattr(specgen, "SPEC_FILE", target)
    specgen.main(["--write"])
    assert target.read_text(encoding="utf-8") == COMMITTED
    specgen.main(["--check"])
    target.write_text("stale", encoding="utf-8")
    with pytest.raises(SystemExit, match="stale"):
        specgen.main(["--check"])


def test_the_committed_help_is_what_typer_prints() -> None:
    committed = specgen.HELP_FILE.read_text(encoding="utf-8")
    assert specgen.generate_help() == committed, "run: python -m clusterctl.cli.argspec --write"
