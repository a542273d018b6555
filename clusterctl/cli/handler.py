"""The one error handler of both routes: one ``error:`` line on stderr and an exit code.

A command's work runs inside :func:`guarded`, on the fast route and on the Typer route alike;
nothing else turns exceptions into exit codes. A traceback reaching a user is a bug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib import import_module

from clusterctl.errors import ClusterctlError, describe_os_error
from clusterctl.render import echo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: What an action returns: a line to print, an exit code, or None (it printed what it had).
Outcome = str | int | None


def action_of(reference: str) -> Callable[..., Any]:
    """The action a reference ``"module:function"`` names, its module imported now."""
    module, name = reference.split(":")
    action: Callable[..., Any] = getattr(import_module(module), name)
    return action


def report_error(message: str) -> None:
    """Print ``error: message`` on stderr, with control characters made visible."""
    echo(f"error: {message}", err=True)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the final flush at exit cannot fail (Python's recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def emit(outcome: Outcome) -> int:
    """Print an action's line; return its exit code (0 unless it returned one)."""
    if isinstance(outcome, str):
        echo(outcome)
        return 0
    return outcome or 0


def guarded(action: Callable[[], Outcome]) -> int:
    """Run ``action``, print its outcome and return the exit code; failures become one line.

    A ClusterctlError exits with its own code, Ctrl-C with 130. A reader that went away
    (``| head``) ends the run quietly with 0, as Unix tools do; any other failure to write the
    output (a full disk) is one line and exit 1.
    """
    try:
        code = emit(action())
        # Inside: a full disk or a reader that went away is reported here, not at interpreter exit.
        sys.stdout.flush()
    except ClusterctlError as exc:
        report_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        report_error("interrupted")
        return 130
    except BrokenPipeError:
        silence_stdout()
        return 0
    except OSError as exc:
        report_error(output_failure(exc))
        if exc.filename is None:
            silence_stdout()  # what is still buffered cannot be written either: drop it quietly
        return 1
    return code


def output_failure(exc: OSError) -> str:
    """The message for an OSError that escaped a command: writing the output, or else a file."""
    reason = describe_os_error(exc)
    if exc.filename is not None:  # not stdout: some file the command touched
        return f"{exc.filename}: {reason}"
    return f"cannot write the output: {reason}"
