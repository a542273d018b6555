"""How a run ends: one ``error:`` line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from clusterctl.errors import ClusterctlError, describe_os_error


def report_error(message: str) -> None:
    """Print ``error: message`` on stderr, with control characters made visible."""
    from clusterctl.render import echo

    echo(f"error: {message}", err=True)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the final flush at exit cannot fail (Python's recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def exit_code_of(action: Callable[[], object]) -> int:
    """Run ``action`` and return its exit code; failures are reported as one line.

    A ClusterctlError exits with its own code, Ctrl-C with 130. A reader that went away
    (``| head``) ends the run quietly with 0, as Unix tools do.
    """
    try:
        action()
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
    return 0


def report_output_failure(exc: OSError) -> int:
    """Report an OSError that escaped a command as one line; return the exit code (1)."""
    report_error(output_failure(exc))
    if exc.filename is None:
        silence_stdout()  # what is still buffered cannot be written either: drop it quietly
    return 1


def output_failure(exc: OSError) -> str:
    """The message for an OSError that escaped a command: writing the output, or else a file."""
    reason = describe_os_error(exc)
    if exc.filename is not None:  # not stdout: some file the command touched
        return f"{exc.filename}: {reason}"
    return f"cannot write the output: {reason}"
