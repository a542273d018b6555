"""A Typer-free route for plain runs of the commands scripts and people call most.

Importing Typer and building a command costs about 30 ms, as much as listing the open calls of
10,000 or adding one (issue 6). When the arguments are plain - known options, each given once,
values that do not start with ``-``, a known choice for ``--format`` - this module parses them
itself and calls the same functions in ``clusterctl.edits`` and ``clusterctl.views`` that the
Typer commands call. Anything else (``--help``, a typo, a missing option, shell completion,
``-dVALUE`` forms) returns None, and the Typer app handles the run with its usual help and error
messages. So the fast route never decides what an unusual command line means; it only skips the
framework for the plain ones.

The option tables below must match the Typer signatures; ``tests/test_fastpath.py`` compares
them with the commands Typer builds and runs both routes on the same command lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class Opt:
    """One option of a command as Click would parse it."""

    __slots__ = ("choices", "default", "dest", "flag", "multiple", "names", "required")

    def __init__(
        self,
        dest: str,
        *names: str,
        flag: bool = False,
        multiple: bool = False,
        required: bool = False,
        default: Any = None,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.dest = dest
        self.names = names
        self.flag = flag
        self.multiple = multiple
        self.required = required
        self.default = default
        #: The values Typer accepts (an enum option); empty for free text.
        self.choices = choices


class FastCommand:
    """A command the fast route serves: its function, positional arguments and options.

    ``function`` is 'module:name' in the clusterctl package; it is called with the AppContext,
    the arguments and the options, and returns a line to print or None (it printed itself).
    """

    __slots__ = ("arguments", "function", "options")

    def __init__(self, function: str, arguments: tuple[str, ...], *options: Opt) -> None:
        self.function = function
        self.arguments = arguments
        self.options = options

    def option_named(self, name: str) -> Opt | None:
        """The option spelt ``name`` (``--title``, ``-d``), or None."""
        for option in self.options:
            if name in option.names:
                return option
        return None


AT = Opt("at", "--at")
DISPLAY_TZ = Opt("tz", "--tz")
FORMAT = Opt("fmt", "--format", "-f", default="table", choices=("table", "json", "csv"))

COMMANDS: dict[str, FastCommand] = {
    "calls": FastCommand(
        "views:list_calls",
        (),
        Opt("open_", "--open", flag=True, default=False),
        Opt("closed", "--closed", flag=True, default=False),
        Opt("forthcoming", "--forthcoming", flag=True, default=False),
        Opt("all_", "--all", "-a", flag=True, default=False),
        Opt("within", "--within"),
        Opt("programme", "--programme", "-p"),
        Opt("tag", "--tag", "-t", multiple=True),
        Opt("search", "--search", "-s"),
        AT,
        DISPLAY_TZ,
        FORMAT,
    ),
    "show": FastCommand("views:show_call", ("call_id",), AT, DISPLAY_TZ, FORMAT),
    "add": FastCommand(
        "edits:add_call",
        ("call_id",),
        Opt("title", "--title", required=True),
        Opt("deadline", "--deadline", "-d", multiple=True, required=True),
        Opt("tz", "--tz", default="Europe/Brussels"),
        Opt("opens", "--opens"),
        Opt("programme", "--programme", "-p", default=""),
        Opt("url", "--url", default=""),
        Opt("tag", "--tag", "-t", multiple=True),
        Opt("note", "--note", default=""),
        Opt("replace_", "--replace", flag=True, default=False),
        AT,
    ),
    "extend": FastCommand(
        "edits:extend_call",
        ("call_id",),
        Opt("to", "--to"),
        Opt("by", "--by"),
        Opt("stage", "--stage"),
        Opt("reason", "--reason", default=""),
        Opt("source", "--source", default=""),
        Opt("allow_earlier", "--allow-earlier", flag=True, default=False),
        AT,
    ),
    "edit": FastCommand(
        "edits:edit_call",
        ("call_id",),
        Opt("title", "--title"),
        Opt("programme", "--programme", "-p"),
        Opt("url", "--url"),
        Opt("opens", "--opens"),
        Opt("note", "--note"),
        Opt("add_tag", "--add-tag", multiple=True),
        Opt("remove_tag", "--remove-tag", multiple=True),
    ),
}

#: The app's global options this route understands; any other (--version, --help...) is Typer's.
GLOBAL = FastCommand(
    "",
    (),
    Opt("store", "--store"),
    Opt("lock_timeout", "--lock-timeout"),
    Opt("no_color", "--no-color", flag=True, default=False),
)
STORE_ENVVAR = "CLUSTERCTL_STORE"
# Click's FloatRange(min=0) accepts more spellings ('1e3', ' 5'); those go the Typer route.
_PLAIN_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


class Invocation:
    """A parsed plain command line: the global options, the command, its values."""

    __slots__ = ("command", "globals", "values")

    def __init__(self, command: str, globals_: dict[str, Any], values: dict[str, Any]) -> None:
        self.command = command
        self.globals = globals_
        self.values = values


def _parse_words(
    spec: FastCommand, words: Sequence[str], *, stop_at_word: bool
) -> tuple[dict[str, Any], int] | None:
    """Read ``words`` as ``spec``'s options and arguments; None if anything is not plain.

    With ``stop_at_word`` the first positional word ends the reading (the command name after
    the global options); returns the values and how many words were read.
    """
    values: dict[str, Any] = {}
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
        option = spec.option_named(name)
        if option is None:
            return None
        if option.flag:
            if has_inline:
                return None
            value: Any = True
            index += 1
        elif has_inline:
            value = inline
            index += 1
        else:
            if index + 1 >= len(words) or words[index + 1].startswith("-"):
                return None
            value = words[index + 1]
            index += 2
        if option.choices and value not in option.choices:
            return None  # Typer names the valid choices
        if option.multiple:
            values.setdefault(option.dest, []).append(value)
        elif option.dest in values:
            return None  # given twice: Click keeps the last; leave that to it
        else:
            values[option.dest] = value
    if len(positionals) != len(spec.arguments):
        return None
    for option in spec.options:
        if option.dest not in values:
            if option.required:
                return None
            values[option.dest] = option.default
    values.update(zip(spec.arguments, positionals, strict=True))
    return values, index


def parse(argv: Sequence[str], environ: dict[str, str] | None = None) -> Invocation | None:
    """The plain command line ``argv`` as an Invocation, or None for the Typer route."""
    environ = os.environ if environ is None else environ
    if any(name.endswith("_COMPLETE") for name in environ):
        return None  # shell completion is Typer's
    read = _parse_words(GLOBAL, argv, stop_at_word=True)
    if read is None:
        return None
    globals_, used = read
    if used >= len(argv) or argv[used] not in COMMANDS:
        return None
    timeout = globals_["lock_timeout"]
    if timeout is not None and not _PLAIN_SECONDS.fullmatch(timeout):
        return None
    if globals_["store"] == "":
        return None
    command = argv[used]
    read = _parse_words(COMMANDS[command], argv[used + 1 :], stop_at_word=False)
    if read is None:
        return None
    store = globals_["store"] = globals_["store"] or environ.get(STORE_ENVVAR) or None
    if store is not None and os.path.exists(store) and not os.access(store, os.R_OK):
        return None  # Typer's Path(readable=True) refuses it with a usage error
    return Invocation(command, globals_, read[0])


def run(invocation: Invocation) -> int:
    """Carry out a parsed command line as the Typer command would; return the exit code."""
    from importlib import import_module

    from clusterctl.context import AppContext
    from clusterctl.exits import exit_code_of, report_output_failure
    from clusterctl.render import echo

    options = invocation.globals
    timeout = options["lock_timeout"]
    app_ctx = AppContext(
        store_option=Path(options["store"]) if options["store"] else None,
        lock_timeout_option=float(timeout) if timeout is not None else None,
        no_color=options["no_color"],
    )
    spec = COMMANDS[invocation.command]
    module, name = spec.function.split(":")
    function: Callable[..., str | None] = getattr(import_module(f"clusterctl.{module}"), name)
    values = dict(invocation.values)
    arguments = [values.pop(argument) for argument in spec.arguments]

    def action() -> None:
        line = function(app_ctx, *arguments, **values)
        if line is not None:
            echo(line)

    try:
        return exit_code_of(action)
    except OSError as exc:  # writing the output failed: a full disk, a closed pipe...
        return report_output_failure(exc)


def dispatch(argv: Sequence[str]) -> int | None:
    """Run ``argv`` on the fast route and return its exit code, or None when Typer must."""
    invocation = parse(argv)
    if invocation is None:
        return None
    return run(invocation)
