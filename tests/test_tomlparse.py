"""TOML parsing (tomlparse.py): the parser's verdicts; no parser for a run that parses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterctl.tomlparse import TomlSyntaxError, parse_toml_text
from tests.conftest import run_main_then

TOMLI_LOADED = "print('tomli' in sys.modules or 'tomllib' in sys.modules)"


def test_a_document_and_a_syntax_error() -> None:
    assert parse_toml_text('a = 1\n[b]\nc = "d"\n') == {"a": 1, "b": {"c": "d"}}
    with pytest.raises(TomlSyntaxError, match=r"Invalid value \(at line 1, column 5\)"):
        parse_toml_text("a = \n")
    with pytest.raises(ValueError):  # TomlSyntaxError is a ValueError, as the parser's own is
        parse_toml_text("a = 007\n")


def test_a_run_answered_from_the_cache_imports_no_parser(
    seeded_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ["--store", str(seeded_store)]
    for warming in (["calls", "--all"], ["calls", "--all", "-f", "json"]):
        run_main_then([*store, *warming], "")
    for argv in (["calls"], ["calls", "--all", "-f", "json"], ["warn", "--dry-run"]):
        *_, loaded = run_main_then([*store, *argv], TOMLI_LOADED)
        assert loaded == "False", argv
    # A call file read, or a config file, needs the parser.
    *output, loaded = run_main_then([*store, "show", "ESCP-S3-EOI"], TOMLI_LOADED)
    assert "ESCP-S3-EOI" in "\n".join(output) and loaded == "True"
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/Brussels"\n')
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(config))
    *_, loaded = run_main_then([*store, "calls"], TOMLI_LOADED)
    assert loaded == "True"
