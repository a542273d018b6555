"""LazyPattern: compiled on first use, then the compiled pattern's own methods."""

from __future__ import annotations

import re

import pytest

from clusterctl import layout, model, render
from clusterctl.lazyre import LazyPattern


def test_nothing_is_compiled_until_a_method_is_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[tuple[object, int]] = []
    real = re.compile

    def counting(pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append((pattern, flags))
        return real(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    lazy = LazyPattern(r"[0-9]+", re.ASCII)
    assert compiled == []
    assert lazy.fullmatch("2026") is not None
    assert compiled == [(r"[0-9]+", re.ASCII)]
    lazy.search("x1")
    lazy.fullmatch("7")
    assert compiled == [(r"[0-9]+", re.ASCII)]  # once, whatever is used after


def test_a_method_once_used_is_the_compiled_patterns_own() -> None:
    lazy = LazyPattern(r"a+")
    assert "sub" not in vars(lazy)
    assert lazy.sub("-", "baaad") == "b-d"
    assert vars(lazy)["sub"] == re.compile(r"a+").sub  # found without __getattr__ from now on
    assert lazy.pattern == "a+" and lazy.flags == re.compile(r"a+").flags


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (r"(?i)\bcet\b", 0, "17:00 CET"),
        (rb"^<<<<<<< ", re.MULTILINE, b"x\n<<<<<<< HEAD\n"),
        (r"[\x00-\x1f\u2028]", 0, "a\u2028b"),
    ],
)
def test_it_answers_as_the_compiled_pattern(pattern: str, flags: int, text: str) -> None:
    lazy, compiled = LazyPattern(pattern, flags), re.compile(pattern, flags)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.split(text) == compiled.split(text)


def test_a_bad_pattern_fails_when_first_used() -> None:
    lazy = LazyPattern(r"(unclosed")
    with pytest.raises(re.error):
        lazy.search("x")


def test_the_patterns_most_runs_never_use_are_lazy() -> None:
    # Each was compiled by every run that imported its module: 0.05-0.5 ms each.
    assert isinstance(model.URL_CONTROL, LazyPattern)
    assert model.validate_url("") == ""  # an empty URL is not searched at all
    assert isinstance(render._CONTROL, LazyPattern)
    assert render.printable("a\tb\x07") == "a b\\x07"
    assert isinstance(layout._WORDS, LazyPattern)
