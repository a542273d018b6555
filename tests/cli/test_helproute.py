"""``--help`` from the generated text (cli/helproute.py) is Typer's, byte for byte, and only
where Typer would lay it out the same; anything else is left to Typer."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from clusterctl.cli import helproute, helptext
from clusterctl.cli.typer_app import run
from tests.conftest import clusterctl_exe, read_terminal, run_main_then

FORMS = [
    (words, flag) for words in helptext.HELP for flag in helproute.HELP_FLAGS
]  # every command and group, with either flag


def _typer(argv: list[str], columns: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What Typer's route prints for ``argv`` with ``$COLUMNS`` at ``columns``."""
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", columns)
        assert run(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


@pytest.mark.parametrize(("words", "flag"), FORMS, ids=lambda v: v or "clusterctl")
@pytest.mark.parametrize("columns", ["80", "200"])
def test_the_text_is_typers_wherever_it_is_served(
    words: str, flag: str, columns: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*words.split(), flag]
    assert helproute.text_for(argv, {"COLUMNS": columns}) == _typer(argv, columns, capsys)


def test_clusterctl_alone_prints_the_help_as_typer_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert helproute.text_for([], {"COLUMNS": "120"}) == _typer([], "120", capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["calls", "--open", "--help"],  # options before the flag: Typer reads them
        ["--store", "S", "calls", "--help"],
        ["--help", "--help"],
        ["nocmd", "--help"],  # not a command: Typer says so
        ["export ics", "--help"],  # one word holding a space
        ["", "--help"],
        ["calls"],  # a command alone runs it
        ["export"],  # a group alone: Typer's (rare; its help is the same)
        ["--help", "calls"],
    ],
)
def test_anything_but_a_plain_request_for_help_is_left_to_typer(argv: list[str]) -> None:
    assert helproute.text_for(argv, {"COLUMNS": "120"}) is None


def test_shell_completion_is_left_to_typer() -> None:
    assert helproute.text_for(["--help"], {"_CLUSTERCTL_COMPLETE": "complete_bash"}) is None


@pytest.mark.parametrize("columns", ["79", "60", "30"])
def test_a_narrower_terminal_is_left_to_typer_which_wraps_to_it(
    columns: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert helproute.text_for(["calls", "--help"], {"COLUMNS": columns}) is None
    assert _typer(["calls", "--help"], columns, capsys) != helptext.HELP["calls"]


def test_columns_are_reckoned_as_shutil_does() -> None:
    import shutil

    for columns in ("", "0", "-3", "abc", "100"):
        env = {"COLUMNS": columns} if columns else {}
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("COLUMNS", raising=False)
            patch.delenv("LINES", raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            assert helproute._columns(env) == shutil.get_terminal_size().columns, columns


@pytest.mark.parametrize("flag", helproute.HELP_FLAGS)
def test_help_loads_neither_typer_nor_any_command(flag: str) -> None:
    *output, loaded = run_main_then(
        ["calls", flag],
        "import json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " {'typer', 'rich', 'typing', 'pathlib'} or m.startswith('clusterctl.actions'))))",
    )
    assert json.loads(loaded) == [] and output[-1] == "exit 0"  # __main__ knows the flag
    assert "\n".join(output[:-1]) + "\n" == helptext.HELP["calls"]


def _on_terminal(argv: list[str], columns: int) -> tuple[int, bytes]:
    """The installed script run on a pseudo-terminal ``columns`` wide (no ``$COLUMNS``)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [*clusterctl_exe(), *argv], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    return read_terminal(master, proc)


def test_on_a_wide_terminal_the_installed_script_prints_the_text() -> None:
    code, shown = _on_terminal(["export", "ics", "-h"], 132)
    assert code == 0
    assert shown.decode().replace("\r\n", "\n") == helptext.HELP["export ics"]


def test_on_a_narrow_terminal_the_installed_script_wraps_as_typer_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, shown = _on_terminal(["calls", "--help"], 60)
    assert code == 0
    assert shown.decode().replace("\r\n", "\n") == _typer(["calls", "--help"], "60", capsys)


def test_a_full_disk_is_one_line_and_exit_1_on_both_routes() -> None:
    def to_full_disk(columns: str) -> tuple[int, str, str]:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*clusterctl_exe(), "--help"],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                env={**os.environ, "COLUMNS": columns},
            )
        return done.returncode, done.stderr, columns

    fast, typer = to_full_disk("100"), to_full_disk("70")  # 70: Typer's route
    assert fast[:2] == typer[:2] == (1, "error: cannot write the output: No space left on device\n")


def test_the_typer_found_is_the_one_imported() -> None:
    import typer

    assert helproute._typer_version() == typer.__version__


def test_another_typer_prints_its_own_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helptext, "TYPER", "0.25.0")  # the help was made with another Typer
    assert helproute.text_for(["--help"], {"COLUMNS": "120"}) is None


def test_typers_own_settings_are_left_to_typer() -> None:
    env = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    assert helproute.text_for(["--help"], env) is None


def test_a_stale_copy_of_typers_metadata_leaves_help_to_typer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "typer").mkdir()
    (tmp_path / "typer-0.28.0.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert helproute._typer_version() == "0.28.0"
    (tmp_path / "typer-0.29.1.dist-info").mkdir()  # left beside the one in use
    assert helproute._typer_version() is None
