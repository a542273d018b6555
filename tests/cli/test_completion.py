"""Shell completion through Typer: scripts for bash, zsh and fish, and call ids completed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clusterctl_exe


def _complete(shell: str, words: str, cword: int, store: Path) -> str:
    env = dict(os.environ)
    env["_CLUSTERCTL_COMPLETE"] = f"complete_{shell}"
    env["COMP_WORDS"] = words
    env["COMP_CWORD"] = str(cword)
    env["_TYPER_COMPLETE_ARGS"] = words
    env["CLUSTERCTL_STORE"] = str(store)
    result = subprocess.run(
        clusterctl_exe(), env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", ["show", "extend", "edit", "remove"])
def test_bash_completes_call_ids(seeded_store: Path, command: str) -> None:
    out = _complete("bash", f"clusterctl {command} C", 2, seeded_store)
    assert out.split() == ["COS-CLUSTPARTNS-2017-3-02"]


def test_bash_completes_every_id_for_an_empty_prefix(seeded_store: Path) -> None:
    out = _complete("bash", "clusterctl show ", 2, seeded_store)
    assert sorted(out.split()) == ["COS-CLUSTPARTNS-2017-3-02", "ESCP-S3-EOI"]


def test_zsh_completes_call_ids(seeded_store: Path) -> None:
    out = _complete("zsh", "clusterctl show ", 2, seeded_store)
    assert '"COS-CLUSTPARTNS-2017-3-02"' in out
    assert '"ESCP-S3-EOI"' in out


def test_completion_of_ids_is_silent_without_a_store(tmp_path: Path) -> None:
    out = _complete("bash", "clusterctl show ", 2, tmp_path / "missing")
    assert out.strip() == ""


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_printed(shell: str) -> None:
    result = subprocess.run(
        [*clusterctl_exe(), "--show-completion", shell],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "_CLUSTERCTL_COMPLETE" in result.stdout
