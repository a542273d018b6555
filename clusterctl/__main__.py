"""``python -m clusterctl`` and the ``clusterctl`` console script."""

from __future__ import annotations

import gc
import os
import signal
import sys


def main() -> None:
    """Run the command line; every failure ends as one ``error:`` line on stderr."""
    prepare_process()
    if sys.argv[1:] == ["--version"]:
        # Answered before Typer builds the command tree: scripts and shells call this a lot.
        from clusterctl import __version__

        print(f"clusterctl {__version__}")
        return
    try:
        from clusterctl.fastpath import dispatch

        code = dispatch(sys.argv[1:])  # a plain calls/show/add/extend/edit skips Typer
        if code is None:
            code = run(sys.argv[1:])
    except KeyboardInterrupt:  # Ctrl-C while modules load, before a command's own handler
        sys.stderr.write("error: interrupted\n")
        code = 130
    try:  # a failure already reported may have left output that cannot be flushed either
        sys.stdout.flush()
    except OSError:
        from clusterctl.exits import silence_stdout

        silence_stdout()
    sys.exit(code)


def prepare_process() -> None:
    """Settings for a short command-line process, made before any command runs."""
    # A run is short and builds many small objects (100,000 call summaries at scale); the cyclic
    # garbage collector would re-scan them again and again for nothing it could free.
    gc.disable()
    # Writing past RLIMIT_FSIZE must become an error we report, not a silent kill by SIGXFSZ.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # Started with stdout or stderr closed (`>&-`, `2>&-`): that output goes nowhere (and never
    # into the other stream, which is where print(file=None) would put it).
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for stream in (sys.stdout, sys.stderr):
        # A title the terminal's encoding cannot show becomes an escape, never a crash.
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def run(argv: list[str]) -> int:
    """Run ``clusterctl argv`` and return its exit code."""
    import typer

    from clusterctl.app import app, fail
    from clusterctl.commands import register_commands
    from clusterctl.exits import report_output_failure

    register_commands(argv)
    try:
        code = app(args=argv, prog_name="clusterctl", standalone_mode=False)
    except typer.TyperException as exc:  # Click's usage errors: one line, with where to look
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())  # `clusterctl` or `clusterctl export` alone: the help
            return 0
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        return fail(exc.format_message() + hint, getattr(exc, "exit_code", 2)).exit_code
    except typer.Abort:
        return fail("aborted", 1).exit_code
    except OSError as exc:  # writing the output failed: a full disk, a closed pipe...
        return report_output_failure(exc)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    main()
