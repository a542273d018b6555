"""Typer's route as real processes forked from a warm interpreter (test_fast_route.py).

The tests that compare the two routes on real streams and on terminals ran Typer's route as
``python -c TYPER_ROUTE ARGS``: a fresh interpreter that imports Typer and the commands and
then runs ``prepare_process(); run(ARGS)`` once (~0.18 s of CPU a run, mostly the imports).
Here one interpreter does those imports once (the same lines, with the same kind of stdin,
stdout and stderr, pipes or a terminal, and the same environment, PYTHONIOENCODING and
COLUMNS included) and forks a child per run (~0.06 s). The child is a process of its own
with real streams: it puts the run's pipes or terminal on descriptors 0, 1 and 2, takes the
run's environment, directory and argv, and then does exactly what the script does after its
imports, exiting with the run's exit code.

What a child does not redo is only what the imports did, and they read none of the settings
that differ between the runs of one warm interpreter (``PER_TEST``: the test's name and its
store, config and cache paths). The children of one interpreter share its hash seed; the
other route, the one under test, is still the installed script started afresh for every run.
"""

from __future__ import annotations

import json
import os
import pty
import select
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

#: Typer's route as a fresh interpreter runs it (``python -c TYPER_ROUTE ARGS``).
IMPORTS = (
    "import sys\n"
    "from clusterctl.__main__ import prepare_process\n"
    "from clusterctl.cli.typer_app import run\n"
)
TYPER_ROUTE = IMPORTS + "prepare_process()\nsys.exit(run(sys.argv[1:]))\n"

#: The same imports, then a fork per run: the child does the rest of TYPER_ROUTE.
SERVER = IMPORTS + (
    "import json, os, socket\n"  # imported by the lines above already
    "control = socket.socket(fileno=int(sys.argv[1]))\n"
    "while True:\n"
    "    message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)\n"
    "    if not message:\n"
    "        break\n"
    "    job = json.loads(message)\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        control.close()\n"
    "        for target, fd in enumerate(fds):\n"
    "            os.dup2(fd, target)\n"
    "        for fd in fds:\n"
    "            os.close(fd)\n"
    "        os.chdir(job['cwd'])\n"
    "        os.environ.clear()\n"
    "        os.environ.update(job['env'])\n"
    "        sys.argv = ['-c', *job['argv']]\n"
    "        prepare_process()\n"
    "        sys.exit(run(sys.argv[1:]))\n"
    "    for fd in fds:\n"
    "        os.close(fd)\n"
    "    status = os.waitpid(pid, 0)[1]\n"
    "    control.send(b'%d' % os.waitstatus_to_exitcode(status))\n"
)

#: Settings that differ from test to test and that no import reads (isolated_env's paths,
#: and the name pytest gives the test).
PER_TEST = (
    "PYTEST_CURRENT_TEST",
    "CLUSTERCTL_CONFIG",
    "CLUSTERCTL_CACHE_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
)


def startup_key(stdio: str, env: Mapping[str, str]) -> tuple[str, frozenset[tuple[str, str]]]:
    """What a warm interpreter must share with a run: the kind of streams, the environment."""
    return stdio, frozenset((k, v) for k, v in env.items() if k not in PER_TEST)


class Job:
    """A run in a forked child: poll() and wait() as for a Popen."""

    def __init__(self, control: socket.socket) -> None:
        self._control = control
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._control.setblocking(False)
            try:
                self.returncode = int(self._control.recv(64))
            except BlockingIOError:
                pass
            finally:
                self._control.setblocking(True)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._control.settimeout(timeout)
            try:
                self.returncode = int(self._control.recv(64))
            finally:
                self._control.settimeout(None)
        return self.returncode


class WarmRoute:
    """One warm interpreter: started with ``stdio`` ("pipes" or "terminal") and ``env``."""

    def __init__(self, stdio: str, env: Mapping[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._control = ours
        self._terminal: int | None = None
        streams: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        if stdio == "terminal":  # its own streams on a terminal, as a run's would be
            self._terminal, slave = pty.openpty()
            streams = {"stdin": slave, "stdout": slave, "stderr": slave}
        self._server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=dict(env),
            **streams,
        )
        theirs.close()
        if stdio == "terminal":
            os.close(streams["stdin"])

    def start(self, argv: Sequence[str], env: Mapping[str, str], fds: Sequence[int]) -> Job:
        """Run ``argv`` in a child with ``fds`` as its stdin, stdout and stderr."""
        job = {"argv": list(argv), "env": dict(env), "cwd": os.getcwd()}
        socket.send_fds(self._control, [json.dumps(job).encode()], list(fds))
        return Job(self._control)

    def run_piped(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, bytes, bytes]:
        """(exit code, stdout, stderr) of a run with stdout and stderr piped and this process's
        stdin, as ``subprocess.run(capture_output=True)`` gives a fresh interpreter."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            job = self.start(argv, env, [0, out_w, err_w])
        finally:
            os.close(out_w)
            os.close(err_w)
        output = {out_r: b"", err_r: b""}
        with selectors.DefaultSelector() as selector:
            for fd in output:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                ready = selector.select(timeout=60)
                if not ready:  # as subprocess.run(timeout=60) would
                    raise TimeoutError(f"no output for 60 s from {list(argv)}")
                for key, _ in ready:
                    chunk = os.read(key.fd, 65536)
                    if chunk:
                        output[key.fd] += chunk
                    else:
                        selector.unregister(key.fd)
                        os.close(key.fd)
        return job.wait(timeout=60), output[out_r], output[err_r]

    def close(self) -> str:
        """Stop the interpreter; what it wrote on its own stderr (nothing, normally)."""
        self._control.close()
        if self._terminal is None:
            return self._server.communicate(timeout=30)[1].decode(errors="replace")
        self._server.wait(timeout=30)
        errors = b""
        try:
            while select.select([self._terminal], [], [], 0)[0]:
                chunk = os.read(self._terminal, 65536)
                if not chunk:
                    break
                errors += chunk
        except OSError:  # EIO: nothing more
            pass
        os.close(self._terminal)
        return errors.decode(errors="replace")


@contextmanager
def warm_routes() -> Iterator[Any]:
    """A function (stdio, env) -> the WarmRoute started for that kind of run, started on first
    use; every warm interpreter stops at the end, and must have said nothing."""
    started: dict[tuple[str, frozenset[tuple[str, str]]], WarmRoute] = {}

    def route(stdio: str, env: Mapping[str, str]) -> WarmRoute:
        key = startup_key(stdio, env)
        if key not in started:
            started[key] = WarmRoute(stdio, env)
        return started[key]

    try:
        yield route
    finally:
        said = [route.close() for route in started.values()]
        assert not any(said), said
