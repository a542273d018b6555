"""Renderers: the terminal-only progress counter and terminal-safe text."""

from __future__ import annotations

import io

import pytest

from clusterctl.render import TerminalProgress, printable


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_on_a_terminal() -> None:
    out = _Terminal()
    progress = TerminalProgress("writing calls", 1000, out)
    progress(500, 1000)
    progress(1000, 1000)
    assert out.getvalue() == "\rwriting calls: 500/1000\rwriting calls: 1000/1000\n"


def test_progress_is_silent_when_not_a_terminal_or_for_small_work() -> None:
    piped = io.StringIO()
    TerminalProgress("writing calls", 10_000, piped)(10_000, 10_000)
    small = _Terminal()
    TerminalProgress("writing calls", 10, small)(10, 10)
    assert piped.getvalue() == "" and small.getvalue() == ""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[bold]x[/]", "[bold]x[/]"),
        ("a\r\nb\tc", "a b c"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]8;;http://evil\x07", "\\x1b]8;;http://evil\\x07"),
    ],
)
def test_printable_keeps_text_literal(text: str, shown: str) -> None:
    assert printable(text) == shown
