"""The README matches a fresh clone (issue 15, §5): its examples on the shipped store are what
the program prints, and the files its tour names exist."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterctl.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_examples() -> list[tuple[str, str]]:
    """(command line, output) of every ``$ clusterctl ...`` in the README's console blocks."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for chunk in re.split(r"\n(?=\$ )", block.strip("\n")):
            command, _, output = chunk.partition("\n")
            found.append((command.removeprefix("$ "), output.strip("\n") + "\n"))
    return found


ON_DATA = [(c, o) for c, o in console_examples() if c.startswith("clusterctl --store data ")]


def test_the_readme_shows_the_shipped_store() -> None:
    assert len(ON_DATA) == 3


@pytest.mark.parametrize(("command", "output"), ON_DATA, ids=[c for c, _ in ON_DATA])
def test_an_example_on_the_shipped_store_is_what_the_program_prints(
    tmp_path: Path, command: str, output: str
) -> None:
    store = tmp_path / "data"
    shutil.copytree(ROOT / "data", store)
    args = shlex.split(command)[1:]
    args[args.index("data")] = str(store)
    result = CliRunner().invoke(app, args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == output


def test_the_files_the_tour_names_exist() -> None:
    imports = re.findall(r"\$ clusterctl import (\S+) --from eu-portal", README)
    assert "examples/eu-portal-search-page.json" in imports
    for path in imports:
        if path != "newer-response.json":  # said to be the sample a day later
            assert (ROOT / path).is_file(), path


def test_the_set_up_puts_clusterctl_on_the_path() -> None:
    setup = README[README.index("## Set up and run") : README.index("## Run the tests")]
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in setup
