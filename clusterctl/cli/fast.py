"""A Typer-free route for plain command lines, read from the generated ``argspec``.

Importing Typer and building the command tree costs about 50 ms, more than adding a call to a
10,000-call store. When a command line is plain - known options, each given once, values that
do not start with ``-``, a valid choice, nothing that runs a callback - this module reads it
itself and calls the command's action, exactly as the Typer command would. Anything else
(``--help``, a typo, a missing option, shell completion, ``-dVALUE`` forms) returns None and
Typer handles the run with its usual help and messages: this route never decides what an
unusual command line means.

Everything it knows about the options comes from ``clusterctl.cli.argspec``, generated from
the Typer app; adding an option there and regenerating is the whole change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from clusterctl.actions.context import AppContext
from clusterctl.cli import argspec
from clusterctl.cli.handler import action_of, guarded
from clusterctl.fileread import path_text
from clusterctl.lazyre import LazyPattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Spec = Mapping[str, Any]

# Click accepts more spellings ('1e3', ' 5', 'nan', '+3'); those go the Typer route.
_PLAIN_NUMBER = LazyPattern(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_PLAIN_INTEGER = LazyPattern(r"[0-9]+")


class Invocation:
    """A parsed plain command line: the global options, the command, its values."""

    __slots__ = ("command", "globals", "values")

    def __init__(self, command: str, globals_: dict[str, Any], values: dict[str, Any]) -> None:
        self.command = command
        self.globals = globals_
        self.values = values


def _option_named(options: Sequence[Spec], name: str) -> Spec | None:
    for option in options:
        if name in option["names"]:
            return option
    return None


def _convert(spec: Spec, text: str) -> tuple[bool, Any]:
    """``text`` as Click would hand it to the command: (plain?, value)."""
    kind = spec["kind"]
    if kind == "text":
        return True, text
    if kind == "choice":
        return text in spec.get("choices", ()), text  # Typer names the valid choices
    if kind in ("float", "int"):
        if not (_PLAIN_NUMBER if kind == "float" else _PLAIN_INTEGER).fullmatch(text):
            return False, None
        value = float(text) if kind == "float" else int(text)
        low, high = spec.get("min"), spec.get("max")
        return (low is None or value >= low) and (high is None or value <= high), value
    if kind == "path":
        # Typer's Path(readable=True) refuses an unreadable path, and '' means something else.
        # The text Typer's Path would have, as a string: importing pathlib costs ~3.4 ms.
        plain = text != "" and (not os.path.exists(text) or os.access(text, os.R_OK))
        return plain, path_text(text)
    return False, None


def _read(
    options: Sequence[Spec],
    arguments: Sequence[Spec],
    words: Sequence[str],
    environ: Mapping[str, str],
    *,
    stop_at_word: bool,
) -> tuple[dict[str, Any], int] | None:
    """Read ``words`` as these options and arguments; None if anything is not plain.

    With ``stop_at_word`` the first positional word ends the reading (the command name after
    the global options); returns the values and how many words were read.
    """
    given: dict[str, Any] = {}
    positionals: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if not word.startswith("-") or word == "-":
            if stop_at_word:
                break
            positionals.append(word)
            index += 1
            continue
        name, has_inline, inline = word.partition("=")
        # '-dVALUE' and '-d=VALUE' mean different things to Click; only '--long=value' is plain.
        if has_inline and not name.startswith("--"):
            return None
        option = _option_named(options, name)
        if option is None:
            return None
        if option["kind"] == "flag":
            if has_inline:
                return None
            value: Any = True
            index += 1
        else:
            if has_inline:
                text = inline
                index += 1
            elif index + 1 >= len(words) or words[index + 1].startswith("-"):
                return None
            else:
                text = words[index + 1]
                index += 2
            plain, value = _convert(option, text)
            if not plain:
                return None
        dest = option["dest"]
        if option.get("multiple"):
            given.setdefault(dest, []).append(value)
        elif dest in given:
            return None  # given twice: Click keeps the last; leave that to it
        else:
            given[dest] = value
    if len(positionals) != len(arguments):
        return None
    for option in options:
        if option["dest"] in given:
            continue
        env = environ.get(option.get("envvar") or "")
        if env:  # Click ignores an empty variable
            if option["kind"] == "flag" or option.get("multiple"):
                return None  # Click's own splitting and boolean words
            plain, value = _convert(option, env)
            if not plain:
                return None
            given[option["dest"]] = value
        elif option.get("required"):
            return None
        else:
            default = option.get("default")
            given[option["dest"]] = list(default) if isinstance(default, tuple) else default
    for argument, text in zip(arguments, positionals, strict=True):
        plain, value = _convert(argument, text)
        if not plain:
            return None
        given[argument["dest"]] = value
    return given, index


def parse(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Invocation | None:
    """The plain command line ``argv`` as an Invocation, or None for the Typer route."""
    environ = os.environ if environ is None else environ
    if any(name.endswith("_COMPLETE") for name in environ):
        return None  # shell completion is Typer's
    read = _read(argspec.GLOBAL, (), argv, environ, stop_at_word=True)
    if read is None:
        return None
    globals_, used = read
    if used >= len(argv) or argv[used] not in argspec.COMMANDS:
        return None
    command = argv[used]
    spec = argspec.COMMANDS[command]
    words = argv[used + 1 :]
    read = _read(spec["options"], spec["arguments"], words, environ, stop_at_word=False)
    if read is None:
        return None
    return Invocation(command, globals_, read[0])


def run(invocation: Invocation) -> int:
    """Carry out a parsed command line as the Typer command would; return the exit code."""
    action = action_of(argspec.COMMANDS[invocation.command]["action"])
    app_ctx = AppContext.from_options(**invocation.globals)
    return guarded(lambda: action(app_ctx, **invocation.values))


def dispatch(argv: Sequence[str]) -> int | None:
    """Run ``argv`` on the fast route and return its exit code, or None when Typer must."""
    invocation = parse(argv)
    if invocation is None:
        return None
    return run(invocation)
