"""The Typer app as a whole (clusterctl/cli/typer_app.py): the version, every command's help,
and the rules that hold for every command: a malformed call file is reported and never
overwritten, and output is plain unless it goes to a terminal that may have colour.

The colour test runs real processes on a pseudo-terminal so that Rich really sees a terminal.
"""

from __future__ import annotations

import inspect
import re
import shlex
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from clusterctl import __version__
from clusterctl.cli import app
from clusterctl.cli.typer_app import click_command
from tests.cli.helpers import AT, NOW, Cli, failed, ok, snapshot, succeeded
from tests.conftest import clusterctl_exe, run_main_then, run_on_terminal

# --- version and help ------------------------------------------------------------------------


def test_version(cli: Cli) -> None:
    assert ok(cli("--version")) == f"clusterctl {__version__}\n"


def _command_paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            paths.extend((name, child) for child in sub)
        else:
            paths.append((name,))
    return sorted(paths)


COMMAND_PATHS = _command_paths()


def test_every_documented_command_is_registered() -> None:
    expected = {
        ("calls",), ("show",), ("add",), ("extend",), ("edit",), ("remove",), ("import",),
        ("check",), ("migrate",), ("warn",), ("export", "ics"), ("export", "html"),
        ("config", "path"), ("config", "show"),
    }  # fmt: skip
    assert expected <= set(COMMAND_PATHS)


def test_every_action_takes_the_values_its_command_parses() -> None:
    # An action is named by text and imported when its command runs: the name must resolve,
    # and the action must take what the command's function declares (after ctx).
    from clusterctl.cli import admin, changes, listing, sync, transfer, warnings
    from clusterctl.cli.base import marked
    from clusterctl.cli.handler import action_of

    checked = []
    for module in (admin, changes, listing, sync, transfer, warnings):
        for func in vars(module).values():
            record = marked(func)
            if record is None or record.action is None:
                continue
            first, *rest = inspect.signature(action_of(record.action)).parameters
            declared = list(inspect.signature(func).parameters)
            assert (first, rest) == ("app_ctx", declared[1:]), record.name
            checked.append(record.name)
    assert len(checked) >= 12


def test_help_imports_no_action() -> None:
    *_, loaded = run_main_then(
        ["--help"], "print(sorted(m for m in sys.modules if m.startswith('clusterctl.actions.')))"
    )
    # Printed from the generated text (cli/helproute.py): not even the fast route's context.
    assert loaded == "[]"


def _paragraphs(text: str) -> list[str]:
    """Help text as paragraphs, each re-joined onto one line (help output is wrapped)."""
    blocks = re.split(r"\n\s*\n", text)
    joined = [" ".join(line.strip() for line in block.splitlines()).strip() for block in blocks]
    # The wrapper may also break after a hyphen ('--add-' / 'tag'): undo that too.
    return [re.sub(r"(?<=[A-Za-z0-9]-) (?=[a-z])", "", p) for p in joined]


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_help_has_a_one_line_summary_and_a_runnable_example(path: tuple[str, ...]) -> None:
    from typer.testing import CliRunner

    text = ok(CliRunner().invoke(app, [*path, "--help"]))
    paragraphs = _paragraphs(text)
    assert paragraphs[0].startswith(f"Usage: clusterctl {' '.join(path)} [OPTIONS]")
    summary = paragraphs[1]
    # One sentence: the docstring's first line, also shown in the parent's command list.
    assert summary.endswith("."), summary
    assert ". " not in summary, summary
    examples = [p for p in paragraphs if re.search(r"\bExample\b[^:]*:", p)]
    assert examples, f"no example in the help of {' '.join(path)}"
    found = re.search(r"\bExample\b[^:]*:.*?\b(clusterctl .*)$", examples[0])
    assert found, examples[0]
    argv = shlex.split(found.group(1))[1:]
    # The example parses as a complete command line (required options given, values valid),
    # in the Click tree the app builds once per process (parsing leaves it as it was).
    command = click_command()
    ctx = command.make_context("clusterctl", ["--store", "x", *argv], resilient_parsing=False)
    for name in path:
        assert argv.pop(0) == name
        command = command.commands[name]  # type: ignore[attr-defined]
        ctx = command.make_context(name, list(argv), parent=ctx)


def test_top_level_help_lists_every_command() -> None:
    from typer.testing import CliRunner

    text = ok(CliRunner().invoke(app, ["--help"]))
    for name in {path[0] for path in COMMAND_PATHS}:
        assert re.search(rf"^  {name}  +[A-Z]", text, re.MULTILINE), name
    assert "--store" in text and "CLUSTERCTL_STORE" in text


# --- a malformed call file ----------------------------------------------------------------------


def test_a_malformed_file_is_reported_and_never_overwritten(cli: Cli, sample: Path) -> None:
    path = sample / "calls" / "ALPHA-1.toml"
    path.write_text('id = "ALPHA-1"\ntitle = \n')
    before = snapshot(sample)
    message = f"error: {path}: invalid TOML: Invalid value (at line 2, column 9)"
    listed = cli("calls", "--at", NOW)  # the other calls, and the file named (test_degraded.py)
    assert (listed.exit_code, listed.stderr.splitlines()[0]) == (
        9,
        message.replace("error", "warning"),
    )
    assert failed(cli("show", "ALPHA-1", "--at", NOW), 5) == message
    assert failed(cli("extend", "ALPHA-1", "--by", "1d", "--at", NOW), 5) == message
    assert failed(cli("edit", "ALPHA-1", "--note", "x"), 5) == message
    assert snapshot(sample) == before


# --- colour rules -------------------------------------------------------------------------------


@pytest.fixture
def store(export_store: Path) -> Path:
    """The store the colour tests run on (conftest.py's ``export_store``)."""
    return export_store


@pytest.mark.parametrize(
    "command",
    [("calls", "--all"), ("show", "BETA-2"), ("warn", "--dry-run"), ("import", "--help")],
)
@pytest.mark.parametrize("how", ["piped", "NO_COLOR", "--no-color"])
def test_piped_output_is_plain(
    store: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], how: str
) -> None:
    # CliRunner's stdout is not a terminal: plain text, no ANSI, no borders
    args = ["--store", str(store)]
    if how == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    if how == "--no-color":
        args.insert(0, "--no-color")
    at = [] if "--help" in command else ["--at", AT]
    result = succeeded(CliRunner().invoke(app, [*args, *command, *at]))
    assert result.stdout
    assert "\x1b" not in result.stdout + result.stderr
    if "--help" not in command:
        assert not set(result.stdout) & set("│┃─━┏┓┗┛╭╮╰╯")


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run clusterctl on a 200-column pseudo-terminal; return what it wrote."""
    code, output = run_on_terminal([*clusterctl_exe(), *args], env={"COLUMNS": "200", **env})
    assert code == 0, output
    return output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_no_color_on_a_real_terminal(store: Path) -> None:
    args = ["--store", str(store), "calls", "--all", "--at", AT]
    coloured = run_on_a_terminal(args, {})
    assert b"\x1b[" in coloured  # the control: a terminal does get colour
    plain_env = run_on_a_terminal(args, {"NO_COLOR": "1"})
    plain_flag = run_on_a_terminal(["--no-color", *args], {})
    for output in (plain_env, plain_flag):
        assert b"\x1b" not in output
        # urgency still reads without colour
        assert b"in 2 days 8 h ! soon" in output
        assert b"BETA-2" in output
