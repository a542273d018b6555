"""What the store's tests share: a call to store, views of the files a store left on disk, the
CLI run in-process against a store directory, and SIGKILL at random moments.

The CLI helpers (``invoke``, ``ok``, ``one_error``, ``listing``, ``add``) take the store's path
rather than the ``cli`` fixture, so that a test can drive several stores, or one it did not
create; tests/cli/test_hostile_input.py uses them too. ``run`` and ``start`` (real processes)
and the ``store`` fixture (one call, CALL-1) are in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from clusterctl.cli import app
from clusterctl.model import Call, Stage
from clusterctl.store import Store, tomlfile

BRU = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2031, 3, 8, 17, 0, tzinfo=BRU)
RECORDED = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)


def spy_on_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the call files parsed from now on, in order: every read of a call, whole
    or as a summary, parses its bytes with parse_call."""
    return spy_on_files(monkeypatch, tomlfile, "parse_call")


def skip_unless_one_clock(path: str | Path) -> None:
    """Skip a test of ``signature.Trust``'s file-system rule where it is off for ``path``: off
    Linux, or on a file system whose ctimes are not all this kernel's (``ONE_CLOCK``)."""
    from clusterctl.store.signature import NO_REFERENCE, reference

    if reference(str(path), 0) == NO_REFERENCE:
        pytest.skip(f"{path}: not on a file system of one clock; the file system's rule is off")


def spy_on_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files whose racy entry the summary cache checks by content from now
    on, in order."""
    from clusterctl.store import cache as cache_module

    checked: list[str] = []
    real = cache_module.verified

    def spy(calls_dir: str, name: str, digest: bytes | None) -> bool:
        checked.append(name)
        return real(calls_dir, name, digest)

    monkeypatch.setattr(cache_module, "verified", spy)
    return checked


def spy_on_files(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[str]:
    """The names of the files that ``owner.name(raw, path)`` is called for from now on, in
    order (the store's paths are strings)."""
    seen: list[str] = []
    real = getattr(owner, name)

    def spy(raw: bytes, path: str) -> object:
        seen.append(os.path.basename(path))
        return real(raw, path)

    monkeypatch.setattr(owner, name, spy)
    return seen


def make_call(call_id: str = "CALL-1", *, title: str = "A call", **changes: object) -> Call:
    call = Call(
        id=call_id,
        title=title,
        timezone="Europe/Brussels",
        stages=(Stage("", DEADLINE),),
        programme="COSME",
    )
    return call.replace(**changes)  # type: ignore[arg-type]


def call_files(root: str | Path) -> dict[str, bytes]:
    """name -> bytes of every call file (what a reader of calls/ would consider).

    ``root`` may be a string: the store's paths are (``Store.root``)."""
    calls = Path(root) / "calls"
    if not calls.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(calls.iterdir()) if not p.name.startswith(".")}


def tree(root: str | Path) -> dict[str, bytes | str | None]:
    """Every path under ``root``, .state/ included: file bytes, None for a directory."""
    root = Path(root)
    if not root.exists():
        return {}
    found: dict[str, bytes | str | None] = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            found[str(p.relative_to(root))] = f"-> {os.readlink(p)}"
        elif p.is_dir():
            found[str(p.relative_to(root))] = None
        elif p.is_file():
            found[str(p.relative_to(root))] = p.read_bytes()
        else:  # a FIFO or device: never read it
            found[str(p.relative_to(root))] = "special"
    return found


def stat_tree(root: str | Path, *, strict: bool = True) -> dict[str, tuple]:
    """Every path under ``root``: mode, size, mtime, inode and bytes of each file.

    Stricter than ``tree``: a file rewritten with the same bytes shows too. ``strict=False``
    (after a refused change) leaves out ``.state/lock``, where every attempt writes its pid, and
    the mtimes of directories, which a removed temporary file touches.
    """
    root = Path(root)
    found = {}
    for p in sorted(root.rglob("*")):
        if not strict and p == root / ".state" / "lock":
            continue
        info = p.lstat()
        if p.is_dir() and not p.is_symlink():
            found[str(p.relative_to(root))] = (
                (info.st_mode, info.st_mtime_ns) if strict else (info.st_mode,)
            )
            continue
        data = p.read_bytes() if p.is_file() and not p.is_symlink() else None
        found[str(p.relative_to(root))] = (
            info.st_mode,
            info.st_size,
            info.st_mtime_ns,
            info.st_ino,
            data,
        )
    return found


def temp_files(root: str | Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*.tmp"))


def refusals(store: Store) -> list[Callable[[], object]]:
    return [
        store.summaries,
        lambda: store.get("CALL-1"),
        lambda: store.update("CALL-1", lambda c: c.replace(note="x")),
        lambda: store.add(make_call(), replace=True),
        lambda: store.add(make_call()),
        lambda: store.remove("CALL-1"),
    ]


# --- the CLI in-process, against a store directory ------------------------------------------

AT = "2030-01-15 12:00"  # every command that records or compares a time pins the clock


def invoke(store: Path, *args: str, input: str | None = None) -> Result:
    """The CLI in-process; any exception other than a clean exit fails the test."""
    return CliRunner().invoke(
        app, ["--store", str(store), *args], input=input, catch_exceptions=False
    )


def ok(result: Result | subprocess.CompletedProcess) -> str:
    code = result.exit_code if isinstance(result, Result) else result.returncode
    assert code == 0, (code, result.stdout, result.stderr)
    return result.stdout


def one_error(result: Result | subprocess.CompletedProcess, code: int) -> str:
    """The single ``error: ...`` line of a failed run (no traceback, nothing on stdout)."""
    got = result.exit_code if isinstance(result, Result) else result.returncode
    assert got == code, (got, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def listing(store: Path, *args: str) -> dict[str, dict]:
    """id -> JSON record of ``calls --format json ARGS`` (default: open and forthcoming)."""
    records = json.loads(ok(invoke(store, "calls", "--format", "json", "--at", AT, *args)))
    return {r["id"]: r for r in records}


def add(store: Path, call_id: str, *args: str) -> None:
    ok(invoke(store, "add", call_id, "--title", f"Title of {call_id}", "-d", "2031-03-08", *args))


def call_text(
    call_id: str, title: str = "A call", deadline: str = "2031-03-08T17:00:00+01:00"
) -> str:
    return (
        f'id = "{call_id}"\ntitle = "{title}"\ntimezone = "Europe/Brussels"\n\n'
        f"[[deadlines]]\ndeadline = {deadline}\n"
    )


def every_command(source: Path) -> list[tuple[str, ...]]:
    return [
        ("calls",),
        ("calls", "--format", "json"),
        ("show", "CALL-1"),
        ("extend", "CALL-1", "--by", "1d"),
        ("edit", "CALL-1", "--note", "x"),
        ("remove", "CALL-1", "--yes"),
        ("add", "CALL-1", "--title", "T", "-d", "2031-03-08", "--replace"),
        ("add", "CALL-1", "--title", "T", "-d", "2031-03-08"),
        ("import", str(source), "--replace"),
        ("export", "ics"),
        ("warn", "--dry-run"),
        ("warn",),
    ]


# --- SIGKILL at random moments ------------------------------------------------------------------


def fork_cli(argv: list[str]) -> int:
    """Run the CLI in a forked child (modules already imported); return its pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            app(argv, prog_name="clusterctl")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code = 70
        os._exit(code)
    return pid


def crash_many(tmp_path: Path, base: Path, argv: list[str], runs: int, seed: int) -> dict[str, int]:
    """Kill ``clusterctl ARGV`` (run on a fresh copy of ``base``) at random moments ``runs`` times.

    After every kill: each call file holds its old or its new bytes, a reader sees the whole
    change or none of it, ``check`` passes, and the next change sweeps leftover temporary files.
    """
    rng = random.Random(seed)
    before = call_files(base)
    # The state after the change, and how long the change takes (modules already imported).
    durations = []
    for n in range(3):
        done = tmp_path / f"done-{seed}-{n}"
        shutil.copytree(base, done)
        started = time.monotonic()
        pid = fork_cli(["--store", str(done), *argv])
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        durations.append(time.monotonic() - started)
    after = call_files(done)
    assert after != before
    # Spread the kills evenly over a typical run and a little beyond (randomly within each slot),
    # so that every run of the test kills early, in the middle and at the very end.
    window = sorted(durations)[1] * 1.3
    delays = [window * (n + rng.random()) / runs for n in range(runs)]
    rng.shuffle(delays)
    seen_before, seen_after = listing(base, "--all"), listing(done, "--all")
    outcomes = {"before": 0, "after": 0, "mixed-on-disk": 0, "temp-left": 0, "finished": 0}
    outcomes["staging-left"] = 0  # a first import's half-filled directory (store/fill.py)
    outcomes["window-ms"] = round(window * 1000)
    for n in range(runs):
        root = tmp_path / f"run-{seed}-{n}"
        shutil.copytree(base, root)
        pid = fork_cli(["--store", str(root), *argv])
        time.sleep(delays[n])  # the random moment of the kill is the point of the test
        os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        if os.waitstatus_to_exitcode(status) == 0:
            outcomes["finished"] += 1
        on_disk = call_files(root)
        assert set(on_disk) <= set(before) | set(after), f"run {n} (seed {seed})"
        for name, data in on_disk.items():
            assert data in (before.get(name), after.get(name)), f"run {n}: torn {name}"
        mixed = on_disk not in (before, after)
        journal = (root / ".state" / "commit.json").exists()
        assert journal or not mixed, f"run {n}: a mixed state without a journal"
        outcomes["mixed-on-disk"] += mixed
        outcomes["temp-left"] += bool(temp_files(root / "calls"))
        staging = root / ".state" / "calls.new"
        outcomes["staging-left"] += staging.exists()
        if staging.exists():
            assert (root / ".state" / "writing").exists(), f"run {n} (seed {seed})"
        if temp_files(root / "calls"):  # what the kill left, the next change is told to sweep
            assert (root / ".state" / "writing").exists(), f"run {n} (seed {seed})"
        seen = listing(root, "--all")  # a reader finishes a journalled change first
        assert seen in (seen_before, seen_after), f"run {n} (seed {seed})"
        outcomes["before" if seen == seen_before else "after"] += 1
        assert call_files(root) in (before, after)
        assert ok(invoke(root, "check")).startswith("ok: ")
        add(root, "LATER-1")  # the next change sweeps temporary files
        assert temp_files(root / "calls") == [] and not staging.exists()
        shutil.rmtree(root)
    return outcomes


# --- real crashes: a forked child stopped with os._exit at a chosen step ---------------------

CRASHED = 99  # exit status of a child stopped at the injected crash point


def view(root: Path) -> dict[str, tuple[str, list[str]]]:
    """What a reader sees: id -> (title, effective deadlines), through summaries and files."""
    store = Store(root)
    seen = {
        c.id: (c.title, [v.deadline.isoformat() for v in c.stage_views()])
        for c in store.all_calls()
    }
    assert sorted(seen) == store.ids()
    return seen


def in_child(action: Callable[[], None]) -> int:
    """Run ``action`` in a forked child; its exit status (0 ok, 70 exception, else its own)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            action()
        except BaseException:
            code = 70
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def crash_on_call(module: object, name: str, after: int) -> None:
    """In a child: replace ``module.name`` so that its call number ``after`` kills the process."""
    real = getattr(module, name)
    done = 0

    def crashing(*args: object, **kwargs: object) -> object:
        nonlocal done
        if done == after:
            os._exit(CRASHED)
        done += 1
        return real(*args, **kwargs)

    setattr(module, name, crashing)


#: What a full disk raises (tests/store/test_journal.py, test_fill.py).
FULL_DISK = OSError(28, "No space left on device")


def full_disk_refusal(path: Path) -> str:
    """The one line a change that hit a full disk at ``path`` fails with."""
    return f"{path}: cannot write: No space left on device; the store is unchanged"
