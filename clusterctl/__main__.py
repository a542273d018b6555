"""``python -m clusterctl`` and the ``clusterctl`` console script: prepare, route, exit."""

from __future__ import annotations

# The C module under `signal`: `signal` itself builds its enums at import, ~0.45 ms of every run.
import _signal  # type: ignore[import-not-found]  # (typeshed has no stub for it)
import gc
import os
import sys


def main() -> None:
    """Run the command line; every failure ends as one ``error:`` line on stderr."""
    prepare_process()
    argv = sys.argv[1:]
    if argv == ["--version"]:
        # Answered before the fast route's modules load (~73 ms): scripts call it a lot.
        from clusterctl import __version__

        failed = _print(f"clusterctl {__version__}\n")
        if failed:
            sys.exit(failed)
        return
    try:
        if not argv or argv[-1] in ("--help", "-h"):  # helproute.HELP_FLAGS, tested
            from clusterctl.cli.helproute import text_for  # 0.2 ms no other run needs

            text = text_for(argv)  # help: Typer's text, without Typer
            if text is not None:
                sys.exit(_print(text))
        from clusterctl.cli import fast  # see --version above

        code = fast.dispatch(argv)  # a plain command line skips Typer
        if code is None:
            # Typer and every command: ~74 ms the fast route saves
            from clusterctl.cli.typer_app import run

            code = run(argv)
    except KeyboardInterrupt:  # Ctrl-C while modules load, before the error handler runs
        sys.stderr.write("error: interrupted\n")
        code = 130
    try:  # a failure already reported may have left output that cannot be flushed either
        sys.stdout.flush()
    except OSError:
        from clusterctl.cli.handler import silence_stdout  # see --version above

        silence_stdout()
    sys.exit(code)


def _print(text: str) -> int:
    """Write ``text`` to stdout; the exit code. A reader gone or a full disk is reported as
    for any command's output (``handler.guarded``)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        from clusterctl.cli.handler import guarded  # see --version above

        error = exc

        def failed() -> None:
            raise error

        return guarded(failed)
    return 0


#: Libraries whose objects do work when they are freed, which only the interpreter's teardown
#: may get to: a Matrix channel of Apprise that failed is caught in a reference cycle (the
#: collector is off, ``prepare_process``), and only its ``__del__`` logs its session out, so
#: every failed ``warn --notify matrix://`` left one more login on the homeserver.
CLEANS_UP_AT_EXIT = ("apprise",)


def console() -> None:
    """The ``clusterctl`` console script and ``python -m clusterctl``: ``main``, then the
    process ends without the interpreter's teardown.

    Tearing down frees every object and module one by one, which a command that has written
    and flushed everything no longer needs: 8 ms of a ``show`` (71.5 -> 63.6 ms) and 13 ms of
    ``calls --open`` (102 -> 89 ms) at 1,000 calls (60 alternating runs each). No command
    leaves a thread or a file to finish at exit (the writer thread is joined, every file is
    closed by its ``with``). A bug that escapes ``main`` still ends as Python ends it, with
    its traceback, and so does a run that loaded a library in ``CLEANS_UP_AT_EXIT``.
    """
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    if any(name in sys.modules for name in CLEANS_UP_AT_EXIT):
        sys.exit(code)
    if not isinstance(code, int):  # as sys.exit: None is success, a text is said, then 1
        if code is not None:
            sys.stderr.write(f"{code}\n")
        code = 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        # main has flushed stdout, or silenced it when it could not be. (Not contextlib: it is
        # not loaded for --version.)
        try:  # noqa: SIM105
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def prepare_process() -> None:
    """Settings for a short command-line process, made before any command runs."""
    # A run is short and builds many small objects (100,000 call summaries at scale); the cyclic
    # garbage collector would re-scan them again and again for nothing it could free.
    gc.disable()
    # Writing past RLIMIT_FSIZE must become an error we report, not a silent kill by SIGXFSZ.
    if hasattr(_signal, "SIGXFSZ"):
        _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)
    # Started with stdin closed (`<&-`): it reads as empty, as from /dev/null, so a command that
    # would ask refuses as on any other stream that is not a terminal. Opened first, it takes
    # descriptor 0, which no file the command opens later can then be mistaken for.
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
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


if __name__ == "__main__":
    console()
