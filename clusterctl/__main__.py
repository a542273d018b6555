"""``python -m clusterctl`` and the ``clusterctl`` console script."""

from __future__ import annotations

import gc
import signal
import sys


def main() -> None:
    """Run the command line."""
    # A run is short and builds many small objects (100,000 call summaries at scale); the cyclic
    # garbage collector would re-scan them again and again for nothing it could free.
    gc.disable()
    # Writing past RLIMIT_FSIZE must become an error we report, not a silent kill by SIGXFSZ.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if sys.argv[1:] == ["--version"]:
        # Answered before Typer builds the command tree: scripts and shells call this a lot.
        from clusterctl import __version__

        print(f"clusterctl {__version__}")
        return
    from clusterctl.app import app
    from clusterctl.commands import register_commands

    register_commands(sys.argv[1:])
    app(prog_name="clusterctl")


if __name__ == "__main__":
    main()
