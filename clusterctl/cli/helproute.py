"""``--help`` without Typer: the text Typer would print, from ``helptext.py`` (generated).

Help is what a newcomer types first, and Typer took most of its 110 ms to load. When a command
line only asks for help (``clusterctl [COMMAND...] --help`` or ``-h``, or ``clusterctl``
alone) and the text is the one Typer would lay out here (piped, or on a terminal of at least
``helptext.COLUMNS``), by the Typer it was made with (``helptext.TYPER``), it is printed from
the generated file; anything else goes to Typer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

#: What asks for help (the app's ``help_option_names``, cli/typer_app.py); ``__main__`` looks
#: for them before importing this module.
HELP_FLAGS = ("--help", "-h")


def text_for(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str | None:
    """What Typer prints for ``argv`` when it only asks for help and helptext.py has that text
    for this terminal's width; else None."""
    if argv and argv[-1] not in HELP_FLAGS:
        return None
    environ = os.environ if environ is None else environ
    if any(name.endswith("_COMPLETE") or name.startswith("_TYPER") for name in environ):
        return None  # shell completion and Typer's own settings are Typer's
    words = argv[:-1]
    if any(not word or " " in word for word in words):  # not a command's name
        return None
    key = " ".join(words)
    from clusterctl.cli import helptext  # 0.3 ms for ~24 KB of text no other run needs

    if key not in helptext.HELP or _columns(environ) < helptext.COLUMNS:
        return None
    if _typer_version() != helptext.TYPER:
        return None
    return helptext.HELP[key]


def _typer_version() -> str | None:
    """The version of the Typer package found first on ``sys.path``, from the name of the one
    distribution's metadata beside it (0.1 ms), without importing it (~40 ms) or
    importlib.metadata (~55 ms); None when there is none, or more than one (a stale copy left
    by an upgrade): the route then leaves help to Typer."""
    for entry in sys.path:
        place = entry or "."
        if not os.path.isdir(os.path.join(place, "typer")):
            continue
        try:
            names = os.listdir(place)
        except OSError:
            return None
        found = {
            name[len(prefix) : -len(".dist-info")]
            for name in names
            for prefix in ("typer-", "typer_slim-")
            if name.startswith(prefix) and name.endswith(".dist-info")
        }
        return found.pop() if len(found) == 1 else None
    return None


def _columns(environ: Mapping[str, str]) -> int:
    """The columns Click lays help out to: ``shutil.get_terminal_size()``'s, reckoned as it
    does (``$COLUMNS``, else the terminal's, else 80) without importing shutil, which loads
    ``re`` and three compression modules (~10 ms)."""
    try:
        columns = int(environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns
