"""Shared fixtures: an isolated environment per test, a CliRunner, a store directory, a store
with one call; and clusterctl run as a real process."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from clusterctl.cli.typer_app import click_command
from tests.store.helpers import add

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# CliRunner.invoke builds the whole Click tree from the Typer app on every call (about 16 ms of
# a 20 ms run); every test shares the one tree the app builds once per process instead.
_build_command = typer.testing._get_command
typer.testing._get_command = lambda typer_app: (  # type: ignore[assignment]
    click_command() if typer_app is app else _build_command(typer_app)
)


def isolate(monkeypatch: pytest.MonkeyPatch, base: Path) -> None:
    """Keep the developer's config, cache, store and SMTP settings away; use ``base`` instead."""
    for name in list(os.environ):
        # PYTHONUNBUFFERED too: a real shell buffers stdout, and a full disk or a reader that
        # went away then shows up only at the final flush, which the tests must see.
        # Proxy variables too: httpx honours them, and loopback test servers are not behind one.
        proxy = name.lower() in ("http_proxy", "https_proxy", "all_proxy")
        if (
            name.startswith("CLUSTERCTL_")
            or proxy
            or name in ("NO_COLOR", "TZ", "PYTHONUNBUFFERED")
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(base / "no-config.toml"))
    monkeypatch.setenv("CLUSTERCTL_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))
    # Nor the machine's CA certificates: every server the tests reach is on loopback, without
    # TLS (TLS refused by a plain server fails before any certificate is read). Python reads
    # SSL_CERT_FILE for each new SSL context, which the mail code makes per delivery and httpx
    # per client: with one test certificate instead of the system's ~150 that takes ~1 ms, not
    # ~25 ms (~80 contexts a run).
    monkeypatch.setenv("SSL_CERT_FILE", str(FIXTURES / "test-ca.pem"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config, cache, store or SMTP settings."""
    isolate(monkeypatch, tmp_path)


@contextmanager
def isolated(base: Path) -> Iterator[None]:
    """The environment ``isolated_env`` gives a test, under ``base``, while a fixture shared by
    several tests builds what each of them then copies (such a fixture is set up before the
    test's own ``isolated_env``)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, base)
        yield


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """A path for a store that does not exist yet."""
    return tmp_path / "store"


@pytest.fixture
def seeded_store(tmp_path: Path) -> Path:
    """A copy of the shipped data/ store."""
    target = tmp_path / "seeded"
    shutil.copytree(ROOT / "data", target)
    return target


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with one call, CALL-1 (deadline 2031-03-08 17:00 Brussels)."""
    root = tmp_path / "store"
    add(root, "CALL-1")
    return root


@pytest.fixture
def cli(store_dir: Path) -> Callable[..., Result]:
    """Run clusterctl in-process against ``store_dir``: cli("calls", "--all")."""
    runner = CliRunner()

    def run(*args: str, store: Path | None = None, input: str | None = None) -> Result:
        argv: Sequence[str] = ["--store", str(store or store_dir), *args]
        return runner.invoke(app, list(argv), input=input, catch_exceptions=False)

    return run


def clusterctl_exe() -> list[str]:
    """The installed console script (or python -m clusterctl next to this interpreter)."""
    exe = shutil.which("clusterctl", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "clusterctl"]


def run(store: Path, *args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess:
    """``clusterctl --store STORE ARGS`` as a real process."""
    return subprocess.run(
        [*clusterctl_exe(), "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def start(store: Path, *args: str) -> subprocess.Popen:
    """``clusterctl --store STORE ARGS`` started as a real process, its output piped."""
    return subprocess.Popen(
        [*clusterctl_exe(), "--store", str(store), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def script_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``clusterctl ARGS`` through the console script's own main() in this process, for tests
    that need nothing of a process (no real streams, signals, start-up or hang protection):
    its routing (the fast route, else Typer), flush and exit code, as a CompletedProcess.
    Only prepare_process is left out: its process-wide settings (the garbage collector off,
    SIGXFSZ ignored) would outlive the test."""
    from clusterctl import __main__ as entry

    monkeypatch.setattr(entry, "prepare_process", lambda: None)

    def main(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr("sys.argv", ["clusterctl", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            entry.main()
        out, err = capsys.readouterr()
        assert isinstance(exited.value.code, int), exited.value.code
        return subprocess.CompletedProcess(["clusterctl", *args], exited.value.code, out, err)

    return main


def run_main_then(argv: Sequence[str], then: str) -> list[str]:
    """Run ``clusterctl argv`` through main() in a fresh interpreter, then the code ``then``
    (which may inspect ``sys.modules``); return the lines printed on stdout."""
    code = (
        f"import sys; sys.argv = ['clusterctl', *{list(argv)!r}]\n"
        "from clusterctl.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    print('exit', exc.code)\n"
        f"{then}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.splitlines()


def terminal_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a run on a pseudo-terminal: 250 x 50 unless ``env`` says otherwise."""
    return {**os.environ, "TERM": "xterm-256color", "COLUMNS": "250", "LINES": "50", **(env or {})}


def run_on_terminal(
    command: Sequence[str], env: dict[str, str] | None = None, answer: bytes | None = None
) -> tuple[int, bytes]:
    """Run ``command`` with stdin, stdout and stderr on a pseudo-terminal (250 x 50 unless
    ``env`` says otherwise); type ``answer`` at the first '?'; return (code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        list(command),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=terminal_env(env),
        close_fds=True,
    )
    os.close(slave)
    return read_terminal(master, proc, answer)


def read_terminal(master: int, proc: Any, answer: bytes | None = None) -> tuple[int, bytes]:
    """What the process ``proc`` (with poll() and wait(timeout)) writes on the terminal whose
    master side is ``master``, until it closes it; type ``answer`` at the first '?'. Closes
    ``master``; returns (exit code, output)."""
    output = b""
    answered = answer is None
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"?" in output:
                os.write(master, answer)  # type: ignore[arg-type]
                answered = True
    finally:
        os.close(master)
        code = proc.wait(timeout=30)
    return code, output
