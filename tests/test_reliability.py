"""Nothing lost, nobody surprised (issue 5): real processes, real crashes, hostile input.

Concurrency and lock tests start the installed ``clusterctl`` as separate processes. Crash tests
fork a writer that already has the program imported and kill it with SIGKILL at a random moment
inside the write (a fresh interpreter would spend the whole window starting up). Write errors use a
real RLIMIT_FSIZE and real permissions (as root, the child drops CAP_DAC_OVERRIDE so permissions
bite). Everything else goes through the CLI in-process (CliRunner, catch_exceptions=False), so a
traceback fails the test.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from clusterctl import store as store_mod
from clusterctl.cli import app
from clusterctl.errors import ClusterctlError
from clusterctl.store import MAX_CALL_FILE_BYTES
from tests.cli.helpers import without_notices
from tests.conftest import clusterctl_exe

ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)
AT = "2030-01-15 12:00"  # every command that records or compares a time pins the clock
EXIT_CODES = {0} | {cls.exit_code for cls in (ClusterctlError, *ClusterctlError.__subclasses__())}


# --- helpers ------------------------------------------------------------------------------------


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
    return subprocess.Popen(
        [*clusterctl_exe(), "--store", str(store), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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


def tree(root: Path, *, strict: bool = True) -> dict[str, tuple]:
    """Every path under ``root``: mode, size, mtime, inode and bytes of each file.

    ``strict=False`` (after a refused change) leaves out ``.state/lock``, where every attempt
    writes its pid, and the mtimes of directories, which a removed temporary file touches.
    """
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


def temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def call_text(
    call_id: str, title: str = "A call", deadline: str = "2031-03-08T17:00:00+01:00"
) -> str:
    return (
        f'id = "{call_id}"\ntitle = "{title}"\ntimezone = "Europe/Brussels"\n\n'
        f"[[deadlines]]\ndeadline = {deadline}\n"
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with one call, CALL-1 (deadline 2031-03-08 17:00 Brussels)."""
    root = tmp_path / "store"
    add(root, "CALL-1")
    return root


# --- concurrency: real processes ------------------------------------------------------------------


def test_twenty_processes_adding_distinct_calls_all_land(tmp_path: Path) -> None:
    root = tmp_path / "store"  # does not exist yet: the racers also create it together
    racers = [
        start(root, "add", f"RACE-{n:02d}", "--title", f"Race {n}", "-d", "2031-03-08")
        for n in range(20)
    ]
    results = [(without_notices(p.communicate(timeout=120)[1]), p.returncode) for p in racers]
    assert results == [("", 0)] * 20
    assert sorted(listing(root, "--all")) == [f"RACE-{n:02d}" for n in range(20)]
    assert ok(run(root, "check")) == f"ok: 20 calls in {root}, no problems\n"
    assert (root / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert temp_files(root) == []


@pytest.mark.parametrize("how", ["by", "to"])
def test_twenty_processes_extending_one_call_all_land_in_a_chain(store: Path, how: str) -> None:
    original = "2031-03-08T17:00:00+01:00"
    if how == "by":
        args = [["--by", "1d"] for _ in range(20)]
    else:  # distinct moments, in whatever order the racers get the lock
        args = [["--to", f"2031-04-{n + 1:02d} 12:00", "--allow-earlier"] for n in range(20)]
    racers = [
        start(store, "extend", "CALL-1", *a, "--reason", f"racer {n}") for n, a in enumerate(args)
    ]
    results = [(p.communicate(timeout=120)[1], p.returncode) for p in racers]
    assert [code for _, code in results] == [0] * 20, results
    record = listing(store, "--all")["CALL-1"]
    extensions = record["extensions"]
    assert sorted(e["reason"] for e in extensions) == sorted(f"racer {n}" for n in range(20))
    previous = original
    for ext in extensions:
        assert ext["from"] == previous
        previous = ext["to"]
    assert record["deadline"] == previous
    if how == "by":
        assert previous == "2031-03-28T17:00:00+01:00"  # 20 days later, nothing lost
    else:
        assert sorted(e["to"] for e in extensions) == [
            f"2031-04-{n + 1:02d}T12:00:00+02:00" for n in range(20)
        ]
    assert ok(run(store, "check")) == f"ok: 1 call in {store}, no problems\n"


# --- the lock ---------------------------------------------------------------------------------

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def lock_holder(store: Path) -> Iterator[subprocess.Popen]:
    """A live process holding the store's lock (as another clusterctl would)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store / ".state" / "lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    yield holder
    if holder.poll() is None:
        holder.kill()
    holder.wait(timeout=10)
    holder.stdout.close()


@pytest.mark.parametrize(
    "args",
    [
        ("add", "CALL-2", "--title", "T", "-d", "2031-03-08"),
        ("extend", "CALL-1", "--by", "1d"),
        ("remove", "CALL-1", "--yes"),
    ],
)
def test_a_live_lock_holder_makes_a_change_fail_in_bounded_time(
    store: Path, lock_holder: subprocess.Popen, args: tuple[str, ...]
) -> None:
    before = tree(store / "calls")
    started = time.monotonic()
    result = run(store, "--lock-timeout", "0.5", *args, timeout=30)
    elapsed = time.monotonic() - started
    assert one_error(result, 6) == (
        f"error: {store / '.state' / 'lock'}: the store is locked by another clusterctl "
        f"process (pid {lock_holder.pid}) for more than 0.5 s; try again or raise --lock-timeout"
    )
    assert 0.5 <= elapsed < 10
    assert tree(store / "calls") == before
    # Reading does not wait for the lock.
    assert ok(run(store, "calls", "--all", "--format", "json", timeout=30)).count('"id"') == 1


def test_a_lock_holder_killed_with_sigkill_does_not_block(
    store: Path, lock_holder: subprocess.Popen
) -> None:
    lock_holder.send_signal(signal.SIGKILL)
    lock_holder.wait(timeout=10)
    started = time.monotonic()
    ok(run(store, "--lock-timeout", "0.5", "add", "CALL-2", "--title", "T", "-d", "2031-03-08"))
    assert time.monotonic() - started < 10
    assert sorted(listing(store, "--all")) == ["CALL-1", "CALL-2"]


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


def files_of(root: Path) -> dict[str, bytes]:
    calls = root / "calls"
    return {p.name: p.read_bytes() for p in calls.iterdir() if not p.name.startswith(".")}


def crash_many(tmp_path: Path, base: Path, argv: list[str], runs: int, seed: int) -> dict[str, int]:
    """Kill ``clusterctl ARGV`` (run on a fresh copy of ``base``) at random moments ``runs`` times.

    After every kill: each call file holds its old or its new bytes, a reader sees the whole
    change or none of it, ``check`` passes, and the next change sweeps leftover temporary files.
    """
    rng = random.Random(seed)
    before = files_of(base)
    # The state after the change, and how long the change takes (modules already imported).
    durations = []
    for n in range(3):
        done = tmp_path / f"done-{seed}-{n}"
        shutil.copytree(base, done)
        started = time.monotonic()
        pid = fork_cli(["--store", str(done), *argv])
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        durations.append(time.monotonic() - started)
    after = files_of(done)
    assert after != before
    # Spread the kills evenly over a typical run and a little beyond (randomly within each slot),
    # so that every run of the test kills early, in the middle and at the very end.
    window = sorted(durations)[1] * 1.3
    delays = [window * (n + rng.random()) / runs for n in range(runs)]
    rng.shuffle(delays)
    seen_before, seen_after = listing(base, "--all"), listing(done, "--all")
    outcomes = {"before": 0, "after": 0, "mixed-on-disk": 0, "temp-left": 0, "finished": 0}
    outcomes["window-ms"] = round(window * 1000)
    for n in range(runs):
        root = tmp_path / f"run-{seed}-{n}"
        shutil.copytree(base, root)
        pid = fork_cli(["--store", str(root), *argv])
        time.sleep(delays[n])
        os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        if os.waitstatus_to_exitcode(status) == 0:
            outcomes["finished"] += 1
        on_disk = files_of(root)
        assert set(on_disk) <= set(before) | set(after), f"run {n} (seed {seed})"
        for name, data in on_disk.items():
            assert data in (before.get(name), after.get(name)), f"run {n}: torn {name}"
        mixed = on_disk not in (before, after)
        journal = (root / ".state" / "commit.json").exists()
        assert journal or not mixed, f"run {n}: a mixed state without a journal"
        outcomes["mixed-on-disk"] += mixed
        outcomes["temp-left"] += bool(temp_files(root / "calls"))
        if temp_files(root / "calls"):  # what the kill left, the next change is told to sweep
            assert (root / ".state" / "writing").exists(), f"run {n} (seed {seed})"
        seen = listing(root, "--all")  # a reader finishes a journalled change first
        assert seen in (seen_before, seen_after), f"run {n} (seed {seed})"
        outcomes["before" if seen == seen_before else "after"] += 1
        assert files_of(root) in (before, after)
        assert ok(invoke(root, "check")).startswith("ok: ")
        add(root, "LATER-1")  # the next change sweeps temporary files
        assert temp_files(root / "calls") == []
        shutil.rmtree(root)
    return outcomes


@pytest.fixture
def warm_cli(tmp_path: Path) -> None:
    """Import everything the writers use, so a forked writer starts working at once."""
    scratch = tmp_path / "warm"
    add(scratch, "WARM-1")
    ok(invoke(scratch, "extend", "WARM-1", "--by", "1d", "--at", AT))
    source = tmp_path / "warm.json"
    source.write_text(ok(invoke(scratch, "calls", "--format", "json", "--all", "--at", AT)))
    ok(invoke(scratch, "import", str(source), "--replace"))
    ok(invoke(scratch, "check"))
    shutil.rmtree(scratch)


def test_sigkill_during_a_bulk_import_leaves_before_or_after(
    tmp_path: Path, warm_cli: None
) -> None:
    base = tmp_path / "base"
    for n in range(30):
        (base / "calls").mkdir(parents=True, exist_ok=True)
        (base / "calls" / f"OLD-{n:03d}.toml").write_text(call_text(f"OLD-{n:03d}", f"old {n}"))
    (base / "clusterctl.toml").write_text("schema_version = 1\n")
    records = [
        {
            "id": f"{'OLD' if n < 30 else 'NEW'}-{n:03d}",
            "title": f"imported {n} " + "x" * 300,
            "timezone": "Europe/Brussels",
            "deadlines": [{"label": "", "deadline": "2032-01-01T17:00:00+01:00"}],
        }
        for n in range(90)
    ]
    source = tmp_path / "import.json"
    source.write_text(json.dumps(records))
    outcomes = crash_many(
        tmp_path, base, ["import", str(source), "--replace"], runs=30, seed=20300115
    )
    # Some kills stopped the writer, some of them between its first temporary file and the end.
    assert outcomes["before"] > 0 and outcomes["finished"] < 30, outcomes
    assert outcomes["temp-left"] + outcomes["mixed-on-disk"] > 0, outcomes


def test_sigkill_during_an_extend_leaves_before_or_after(tmp_path: Path, warm_cli: None) -> None:
    base = tmp_path / "base"
    add(base, "CALL-1", "--note", "n" * 2000)
    argv = ["extend", "CALL-1", "--by", "14d", "--reason", "r" * 2000, "--at", AT]
    outcomes = crash_many(tmp_path, base, argv, runs=30, seed=5)
    assert outcomes["before"] > 0 and outcomes["finished"] < 30, outcomes


# --- write errors: a full disk (RLIMIT_FSIZE) and a read-only directory --------------------------


def small_files(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def no_bytecode() -> dict[str, str]:
    """This test's environment, and no .pyc writes that the size limit would break."""
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("add", "BIG-1", "--title", "T", "-d", "2031-03-08", "--note", "x" * 9000), "BIG-1"),
        (("extend", "CALL-1", "--by", "1d", "--reason", "r" * 9000), "CALL-1"),
        (("edit", "CALL-1", "--note", "n" * 9000), "CALL-1"),
    ],
)
def test_a_file_size_limit_fails_cleanly_and_changes_nothing(
    store: Path, args: tuple[str, ...], culprit: str
) -> None:
    before = tree(store, strict=False)
    result = run(store, *args, preexec_fn=small_files(4096), env=no_bytecode())
    assert one_error(result, 5) == (
        f"error: {store / 'calls' / (culprit + '.toml')}: cannot write: file too large for this "
        "system's limits; the store is unchanged"
    )
    assert tree(store, strict=False) == before
    assert temp_files(store) == []


@pytest.mark.parametrize(("limit", "culprit"), [(4096, "calls/NEW-07.toml"), (1500, None)])
def test_a_file_size_limit_during_an_import_imports_nothing(
    store: Path, tmp_path: Path, limit: int, culprit: str | None
) -> None:
    records = [
        {
            "id": f"NEW-{n:02d}",
            "title": "big " * 2000 if n == 7 and culprit else f"small {n}",
            "timezone": "Europe/Brussels",
            "deadlines": [{"label": "", "deadline": "2032-01-01T17:00:00+01:00"}],
        }
        for n in range(40)
    ]
    source = tmp_path / "import.json"
    source.write_text(json.dumps(records))
    before = tree(store, strict=False)
    result = run(store, "import", str(source), preexec_fn=small_files(limit), env=no_bytecode())
    # At 1500 bytes every call file fits, but the journal listing 40 renames does not.
    where = store / (culprit or ".state/commit.json")
    assert one_error(result, 5) == (
        f"error: {where}: cannot write: file too large for this system's limits; "
        "the store is unchanged"
    )
    assert tree(store, strict=False) == before
    assert temp_files(store / "calls") == []
    assert not (store / ".state" / "commit.json").exists()


def drop_root_privileges() -> Callable[[], None] | None:
    """A preexec_fn that makes permissions apply to root, or None when not root."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        # PR_CAPBSET_DROP: the exec'd program loses CAP_DAC_OVERRIDE, _READ_SEARCH and FOWNER.
        for cap in (1, 2, 3):
            if libc.prctl(24, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    probe = tempfile.mkdtemp()
    try:
        os.chmod(probe, 0o555)
        touched = subprocess.run(
            ["touch", os.path.join(probe, "x")], preexec_fn=preexec, capture_output=True
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: permissions not enforced")
    finally:
        os.chmod(probe, 0o755)
        shutil.rmtree(probe)
    if touched.returncode == 0:
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: permissions not enforced")
    return preexec


@pytest.fixture
def read_only(store: Path) -> Iterator[Callable[..., subprocess.CompletedProcess]]:
    """Run clusterctl on ``store`` with permissions enforced; restores the modes afterwards."""
    preexec = drop_root_privileges()
    changed: list[tuple[Path, int]] = []

    def protect(path: Path, mode: int) -> None:
        changed.append((path, path.stat().st_mode & 0o7777))
        path.chmod(mode)

    def runner(*args: str) -> subprocess.CompletedProcess:
        return run(store, *args, preexec_fn=preexec)

    runner.protect = protect  # type: ignore[attr-defined]
    yield runner
    for path, mode in reversed(changed):
        path.chmod(mode)


def test_a_read_only_calls_directory_refuses_changes_cleanly(store: Path, read_only: Any) -> None:
    read_only.protect(store / "calls", 0o555)
    before = tree(store / "calls")
    for args in (
        ("add", "CALL-2", "--title", "T", "-d", "2031-03-08"),
        ("extend", "CALL-1", "--by", "1d"),
        ("edit", "CALL-1", "--note", "x"),
    ):
        message = one_error(read_only(*args), 5)
        assert message.startswith(f"error: {store / 'calls'}")
        assert message.endswith(": cannot write: Permission denied; the store is unchanged")
    assert tree(store / "calls") == before
    assert temp_files(store) == []
    assert "CALL-1" in ok(read_only("calls", "--all"))


def test_a_read_only_store_can_be_read_but_not_changed(store: Path, read_only: Any) -> None:
    add(store, "CALL-2")
    for path in [*(store / "calls").iterdir(), store / "clusterctl.toml", store / ".gitignore"]:
        read_only.protect(path, 0o444)
    read_only.protect(store / ".state" / "lock", 0o444)
    for path in (store / "calls", store / ".state", store):
        read_only.protect(path, 0o555)
    before = tree(store)
    assert "CALL-1" in ok(read_only("calls", "--all"))
    assert json.loads(ok(read_only("show", "CALL-2", "--format", "json")))["id"] == "CALL-2"
    assert ok(read_only("check")) == f"ok: 2 calls in {store}, no problems\n"
    ok(read_only("warn", "--dry-run", "--at", AT))
    assert "BEGIN:VCALENDAR" in ok(read_only("export", "ics", "--all"))
    assert one_error(read_only("add", "CALL-3", "--title", "T", "-d", "2031-03-08"), 5) == (
        f"error: {store}: cannot change the store: Permission denied"
    )
    assert tree(store) == before


def test_an_interrupted_import_is_finished_by_the_next_reader_who_can_write(
    store: Path, read_only: Any
) -> None:
    # What a writer killed right after its commit point leaves: temporary files and the journal.
    calls = store / "calls"
    temps = {}
    for call_id in ("NEW-1", "NEW-2"):
        temps[call_id] = calls / f".{call_id}.toml.k1ll3d.tmp"
        temps[call_id].write_text(call_text(call_id, f"imported {call_id}"))
    journal = store / ".state" / "commit.json"
    journal.write_text(
        json.dumps(
            {
                "version": 1,
                "renames": [[f"calls/{t.name}", f"calls/{i}.toml"] for i, t in temps.items()],
                "removals": ["calls/CALL-1.toml"],
            }
        )
    )
    read_only.protect(store / ".state" / "lock", 0o444)
    read_only.protect(calls, 0o555)
    assert one_error(read_only("calls", "--all"), 5) == (
        f"error: {journal}: a change to the store was interrupted and cannot be finished by "
        f"this process ({store}: cannot change the store: Permission denied); run clusterctl "
        "check as a user who can write the store"
    )
    assert journal.exists() and all(t.exists() for t in temps.values())
    (store / ".state" / "lock").chmod(0o644)
    calls.chmod(0o755)
    assert {i: r["title"] for i, r in listing(store, "--all").items()} == {
        "NEW-1": "imported NEW-1",
        "NEW-2": "imported NEW-2",
    }
    assert not journal.exists() and temp_files(store) == []


# --- reads never write; a missing store is created by the first change only ---------------------

READS = [
    ("calls",),
    ("calls", "--all", "--format", "json"),
    ("calls", "--all", "--format", "csv"),
    ("show", "CALL-1"),
    ("show", "CALL-1", "--format", "json"),
    ("check",),
    ("warn", "--dry-run", "--at", "2031-03-01"),
    ("export", "ics", "--all"),
    ("import", "-", "--dry-run"),
]


def test_reading_commands_never_write_into_the_store(store: Path) -> None:
    ok(invoke(store, "extend", "CALL-1", "--by", "1d", "--at", AT))
    time.sleep(0.01)
    before = tree(store)
    for args in READS:
        result = invoke(store, *args, input="[]" if args[0] == "import" else None)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    assert tree(store) == before


@pytest.mark.parametrize(
    "args",
    [
        ("calls",),
        ("calls", "--format", "json"),
        ("show", "CALL-1"),
        ("check",),
        ("warn", "--dry-run"),
        ("warn",),
        ("export", "ics"),
        ("migrate",),
        ("import", "-", "--dry-run"),
        ("extend", "CALL-1", "--by", "1d"),
        ("remove", "CALL-1", "--yes"),
    ],
)
def test_a_missing_store_is_not_created_by_reads(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = tmp_path / "nowhere" / "store"
    result = invoke(root, *args, input="[]")
    assert result.exit_code in (0, 1, 3, 5), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert not root.parent.exists()


def test_the_first_change_creates_the_store(tmp_path: Path) -> None:
    root = tmp_path / "nowhere" / "store"
    add(root, "CALL-1")
    assert (root / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert sorted(p.name for p in (root / "calls").iterdir()) == ["CALL-1.toml"]


# --- never overwrite what cannot be read ----------------------------------------------------------

UNREADABLE = [
    pytest.param(
        b'id = "CALL-1"\ntitle = \n', "invalid TOML: Invalid value (at line 2, column 9)", id="toml"
    ),
    pytest.param(
        b'id = "CALL-1"\n<<<<<<< HEAD\ntitle = "ours"\n=======\ntitle = "theirs"\n'
        b">>>>>>> feature\n",
        "unresolved git merge conflict at line 2, column 1; resolve it by hand, then run "
        "clusterctl check",
        id="conflict",
    ),
]


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


@pytest.mark.parametrize(("content", "message"), UNREADABLE)
def test_an_unreadable_call_file_is_refused_everywhere_and_left_alone(
    store: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "replacement.json"
    source.write_text(json.dumps([{**listing(store, "--all")["CALL-1"], "title": "new"}]))
    path = store / "calls" / "CALL-1.toml"
    path.write_bytes(content)
    before = tree(store, strict=False)
    for args in every_command(source):
        assert one_error(invoke(store, *args), 5) == f"error: {path}: {message}", args
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"problem: {path}: {message}",
        f"error: 1 problem in {store}",
    ]
    assert tree(store, strict=False) == before


def test_a_newer_schema_is_refused_everywhere_and_left_alone(store: Path, tmp_path: Path) -> None:
    source = tmp_path / "replacement.json"
    source.write_text(json.dumps([{**listing(store, "--all")["CALL-1"], "title": "new"}]))
    marker = store / "clusterctl.toml"
    marker.write_text("schema_version = 99\n")
    message = (
        f"error: {marker}: schema version 99 is newer than this clusterctl understands (1); "
        "upgrade clusterctl. Nothing was changed."
    )
    before = tree(store)
    for args in [*every_command(source), ("add", "NEW-1", "--title", "T", "-d", "2031-03-08")]:
        assert one_error(invoke(store, *args), 5) == message, args
    assert one_error(invoke(store, "migrate"), 5) == message
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message.replace("error: ", "problem: ")
    assert tree(store) == before


def test_migrate_from_an_older_schema_keeps_a_backup(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rename_name_to_title(root: Path) -> None:
        for path in (root / "calls").glob("*.toml"):
            store_mod.atomic_write(path, path.read_bytes().replace(b"name = ", b"title = "))

    monkeypatch.setitem(store_mod.MIGRATIONS, 0, rename_name_to_title)
    path = store / "calls" / "CALL-1.toml"
    old_call = path.read_text().replace("title = ", "name = ")
    path.write_text(old_call)
    (store / "clusterctl.toml").write_text("schema_version = 0\n")
    assert one_error(invoke(store, "calls"), 5) == (
        f"error: {store / 'clusterctl.toml'}: schema version 0 is older than 1; run "
        "`clusterctl migrate` (a backup is kept)"
    )
    out = ok(invoke(store, "migrate"))
    assert out.startswith(f"migrated schema 0 -> 1; previous store kept in {store}/.state/backups/")
    backup = Path(out.strip().rsplit(" ", 1)[1])
    assert (backup / "clusterctl.toml").read_text() == "schema_version = 0\n"
    assert (backup / "calls" / "CALL-1.toml").read_text() == old_call
    assert (store / "clusterctl.toml").read_text() == "schema_version = 1\n"
    assert listing(store, "--all")["CALL-1"]["title"] == "Title of CALL-1"
    assert ok(invoke(store, "migrate")) == "schema version 1 is current; nothing to do\n"


# --- hand edits survive, symlinks, deterministic bytes --------------------------------------------

HAND_EDITED = """\
id = "CALL-1"
title = "Hand edited"
owner = "anna"
timezone = "Europe/Brussels"
review = { by = "board", round = 2 }

[[deadlines]]
deadline = 2031-03-08T17:00:00+01:00
room = "B.12"

[[extensions]]
from = 2031-03-08T17:00:00+01:00
to = 2031-03-15T17:00:00+01:00
recorded = 2030-01-01T00:00:00Z
ticket = "EXT-7"

[budget]
total = 1_500_000
[budget.split]
lead = 0.6
"""


def test_hand_added_keys_survive_extend_and_edit(store: Path) -> None:
    path = store / "calls" / "CALL-1.toml"
    path.write_text(HAND_EDITED)
    ok(invoke(store, "extend", "CALL-1", "--by", "7d", "--reason", "again", "--at", AT))
    ok(invoke(store, "edit", "CALL-1", "--note", "edited", "--add-tag", "ours"))
    record = tomllib.loads(path.read_text())
    assert record["owner"] == "anna"
    assert record["review"] == {"by": "board", "round": 2}
    assert record["budget"] == {"total": 1_500_000, "split": {"lead": 0.6}}
    assert record["deadlines"][0]["room"] == "B.12"
    assert record["extensions"][0]["ticket"] == "EXT-7"
    assert [e.get("reason") for e in record["extensions"]] == [None, "again"]
    assert (record["note"], record["tags"]) == ("edited", ["ours"])
    assert ok(invoke(store, "check")).startswith("ok: 1 call")


def test_a_symlinked_call_file_is_written_through_keeping_its_mode(
    store: Path, tmp_path: Path
) -> None:
    target = tmp_path / "shared" / "CALL-1.toml"
    target.parent.mkdir()
    link = store / "calls" / "CALL-1.toml"
    shutil.move(link, target)
    target.chmod(0o640)
    link.symlink_to(target)
    ok(invoke(store, "extend", "CALL-1", "--by", "1d", "--at", AT))
    ok(invoke(store, "edit", "CALL-1", "--note", "through the link"))
    assert link.is_symlink() and link.resolve() == target
    assert target.stat().st_mode & 0o7777 == 0o640
    record = tomllib.loads(target.read_text())
    assert record["note"] == "through the link" and len(record["extensions"]) == 1
    assert temp_files(tmp_path) == []


def test_a_symlinked_store_directory_is_written_through(store: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-store"
    link.symlink_to(store)
    (store / "calls" / "CALL-1.toml").chmod(0o640)
    ok(invoke(link, "edit", "CALL-1", "--note", "via the link"))
    add(link, "CALL-2")
    assert link.is_symlink()
    assert sorted(p.name for p in (store / "calls").iterdir()) == ["CALL-1.toml", "CALL-2.toml"]
    assert (store / "calls" / "CALL-1.toml").stat().st_mode & 0o7777 == 0o640
    assert listing(store, "--all")["CALL-1"]["note"] == "via the link"


def test_the_same_content_is_written_as_the_same_bytes(tmp_path: Path) -> None:
    args = ("--programme", "COSME", "--tag", "b", "--tag", "a", "--url", "https://x.example/")
    one, two = tmp_path / "one", tmp_path / "two"
    add(one, "CALL-1", *args)
    add(two, "CALL-1", *args)
    path = Path("calls") / "CALL-1.toml"
    first = (one / path).read_bytes()
    assert (two / path).read_bytes() == first
    ok(invoke(one, "edit", "CALL-1", "--title", "Title of CALL-1"))
    assert (one / path).read_bytes() == first
    keys = [line.split(" = ")[0] for line in first.decode().splitlines() if " = " in line]
    assert keys == ["id", "title", "programme", "url", "tags", "timezone", "deadline"]


# --- hostile and odd input ------------------------------------------------------------------------

TITLES = [
    "Ünïcödé café — “quotes” ½ ß",
    "مرحبا بالعالم: دعوة لتقديم المقترحات",
    "שלום עולם \u202eevil\u202c reversed",
    "emoji 🇪🇺🚀👩‍🔬✨",
    "漢字とかなの題名",
    "t" * 5000,
]


@pytest.mark.parametrize("title", TITLES, ids=["latin", "arabic", "hebrew", "emoji", "cjk", "long"])
def test_odd_titles_round_trip(store: Path, title: str) -> None:
    ok(invoke(store, "add", "ODD-1", "--title", title, "-d", "2031-03-08"))
    assert listing(store)["ODD-1"]["title"] == title
    shown = json.loads(ok(invoke(store, "show", "ODD-1", "--format", "json")))
    assert shown["title"] == title
    plain = ok(invoke(store, "show", "ODD-1"))
    assert any(line.startswith("Title") for line in plain.splitlines())
    assert ok(invoke(store, "check")).startswith("ok: 2 calls")


def test_line_breaks_are_stored_exactly_and_shown_on_one_line(store: Path) -> None:
    title, note, reason = "first\r\nsecond", "note one\nnote two\rthree", "why\r\nbecause"
    ok(invoke(store, "add", "CRLF-1", "--title", title, "--note", note, "-d", "2031-03-08"))
    ok(invoke(store, "extend", "CRLF-1", "--by", "1d", "--reason", reason, "--at", AT))
    raw = (store / "calls" / "CRLF-1.toml").read_bytes()
    assert b"\r" not in raw and b"second\n" not in raw
    record = listing(store)["CRLF-1"]
    assert (record["title"], record["note"], record["extensions"][0]["reason"]) == (
        title,
        note,
        reason,
    )
    shown = ok(invoke(store, "show", "CRLF-1", "--at", AT)).splitlines()
    assert [line for line in shown if line.startswith("Title")] == ["Title        first second"]
    assert [line for line in shown if line.startswith("Note")] == [
        "Note         note one note two three"
    ]
    assert any(line.endswith("reason: why because") for line in shown)
    assert not any(line.startswith(("second", "note two", "three", "because")) for line in shown)
    rows = ok(invoke(store, "calls", "--at", AT)).splitlines()
    assert len(rows) == 3 and "first second" in rows[1] + rows[2]


def test_nul_and_escape_sequences_from_an_import_are_kept_and_shown_inert(
    store: Path, tmp_path: Path
) -> None:
    title = "a\x00b \x1b[2J\x1b]8;;http://evil\x07 [bold]c[/bold]"
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            [
                {
                    "id": "NUL-1",
                    "title": title,
                    "timezone": "Europe/Brussels",
                    "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
                }
            ]
        )
    )
    ok(invoke(store, "import", str(source)))
    assert listing(store)["NUL-1"]["title"] == title
    for args in (("show", "NUL-1"), ("calls",)):
        out = ok(invoke(store, *args, "--at", AT))
        assert "\x00" not in out and "\x1b" not in out and "\x07" not in out
        assert "a\\x00b \\x1b[2J\\x1b]8;;http://evil\\x07 [bold]c[/bold]" in out


BAD_IDS = ["a b", "a/b", "../etc", "..", "a..b", "$(touch x)", "a;rm -rf", "`id`", "x|y", "é", ""]


@pytest.mark.parametrize("bad", [*BAD_IDS, ".hidden", "-dash", "x" * 121], ids=repr)
def test_ids_that_are_not_safe_file_names_are_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "store"
    result = invoke(root, "add", "--title", "T", "-d", "2031-03-08", "--", bad)
    assert one_error(result, 2) == f"error: invalid id {bad!r}: {ID_RULE}"
    assert not root.exists()


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_bad_ids_are_refused_by_every_command_that_takes_one(store: Path, bad: str) -> None:
    before = tree(store)
    for args in (("show",), ("extend", "--by", "1d"), ("edit", "--note", "x"), ("remove", "-y")):
        assert one_error(invoke(store, *args, "--", bad), 2) == (
            f"error: invalid id {bad!r}: {ID_RULE}"
        )
    assert tree(store) == before


def test_a_bad_id_in_an_import_file_is_refused(store: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            [
                {
                    "id": "../../escaped",
                    "title": "x",
                    "timezone": "Europe/Brussels",
                    "deadlines": [{"deadline": "2031-03-08T17:00:00+01:00"}],
                }
            ]
        )
    )
    before = tree(store)
    message = one_error(invoke(store, "import", str(source)), 2)
    assert message.startswith(f"error: {source}: record 1 (../../escaped): invalid id")
    assert tree(store) == before
    assert not (tmp_path / "escaped.toml").exists()


def strange_files() -> list[Any]:
    rng = random.Random(1)
    return [
        pytest.param("empty", "'id' is missing or empty", id="empty"),
        pytest.param(
            bytes(rng.getrandbits(8) for _ in range(4096)), "not UTF-8 text (at line", id="binary"
        ),
        pytest.param(
            b"# padding\n" * (MAX_CALL_FILE_BYTES // 10 + 1),
            f"too large ({(MAX_CALL_FILE_BYTES // 10 + 1) * 10} bytes; at most "
            f"{MAX_CALL_FILE_BYTES})",
            id="huge",
        ),
        pytest.param("directory", "is a directory, not a TOML file", id="directory"),
        pytest.param("fifo", "not a regular file", id="fifo"),
    ]


@pytest.mark.parametrize(("content", "message"), strange_files())
def test_strange_call_files_give_clear_errors(
    store: Path, content: bytes | str, message: str
) -> None:
    path = store / "calls" / "ODD-1.toml"
    if content == "empty":
        path.write_bytes(b"")
    elif content == "directory":
        path.mkdir()
    elif content == "fifo":
        os.mkfifo(path)
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    for args in (("calls",), ("show", "ODD-1")):
        result = run(store, *args, timeout=30)  # a real process: a FIFO must not hang it
        line = one_error(result, 5)
        assert line.startswith(f"error: {path}: ") and message in line, line
    result = run(store, "check", timeout=30)
    assert result.returncode == 1
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(ok(invoke(store, "show", "CALL-1", "--format", "json")))["id"] == "CALL-1"


def test_check_reports_duplicates_wrong_ids_and_broken_chains(store: Path) -> None:
    ok(invoke(store, "extend", "CALL-1", "--by", "7d", "--at", AT))
    calls = store / "calls"
    shutil.copy(calls / "CALL-1.toml", calls / "COPY-1.toml")
    text = (calls / "CALL-1.toml").read_text()
    (calls / "CALL-2.toml").write_text(
        text.replace('id = "CALL-1"', 'id = "CALL-2"').replace(
            "from = 2031-03-08 17:00:00+01:00", "from = 2031-03-01 17:00:00+01:00"
        )
    )
    (calls / "CALL-3.toml").write_text(call_text("OTHER-3"))
    result = invoke(store, "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"problem: {calls / 'CALL-2.toml'}: CALL-2: extension 1 says it moved the deadline "
        "from 2031-03-01T17:00:00+01:00, but the deadline then was 2031-03-08T17:00:00+01:00",
        f"problem: {calls / 'CALL-3.toml'}: declares id 'OTHER-3' but the file name says 'CALL-3'",
        f"problem: {calls / 'COPY-1.toml'}: declares id 'CALL-1' but the file name says 'COPY-1'",
        f"problem: {calls / 'COPY-1.toml'}: duplicate id 'CALL-1' (also in "
        f"{calls / 'CALL-1.toml'})",
        f"error: 4 problems in {store}",
    ]


@pytest.mark.parametrize(
    "deadline",
    [
        "9999-12-31T12:00:00+01:00",
        "9999-12-31T23:59:00+01:00",
        "9999-12-31T23:59:59.999999",
        "0001-01-01T00:00:00",
        "0001-01-02T12:00:00",
    ],
)
def test_a_deadline_at_the_edge_of_time_never_causes_a_traceback(
    store: Path, deadline: str
) -> None:
    path = store / "calls" / "EDGE-1.toml"
    path.write_text(call_text("EDGE-1", deadline=deadline))
    for args, allowed in [
        (("calls", "--all"), {0, 5}),
        (("show", "EDGE-1"), {0, 5}),
        (("warn", "--dry-run"), {0, 5}),
        (("export", "ics", "--all"), {0, 5}),
        (("extend", "EDGE-1", "--by", "1d"), {0, 2, 4, 5}),
        (("extend", "EDGE-1", "--by", "1d", "--allow-earlier", "--to", "9999-12-31"), {0, 2, 4, 5}),
    ]:
        result = invoke(store, *args, "--at", AT)
        assert result.exit_code in allowed, (args, result.exit_code, result.stderr)
        if result.exit_code:
            one_error(result, result.exit_code)


# --- the cache is never stale ---------------------------------------------------------------------


def test_listing_sees_hand_edits_made_in_the_same_second(store: Path) -> None:
    add(store, "CALL-2")
    assert set(listing(store)) == {"CALL-1", "CALL-2"}
    path = store / "calls" / "CALL-1.toml"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes().replace(b"2031-03-08", b"2021-03-08"))  # now closed
    assert path.stat().st_size == size
    assert set(listing(store)) == {"CALL-2"}  # the default listing hides closed calls
    assert "2021-03-08" in ok(invoke(store, "calls", "--all", "--at", AT))
    (store / "calls" / "CALL-2.toml").unlink()
    assert listing(store) == {}
    (store / "calls" / "HAND-9.toml").write_text(call_text("HAND-9", "By hand"))
    assert listing(store)["HAND-9"]["title"] == "By hand"


def test_listing_sees_an_edit_that_restored_the_old_mtime(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_mod.cache, "RACY_SECONDS", 0.05)  # trust the cache after 50 ms
    time.sleep(0.1)
    assert ok(invoke(store, "calls", "--at", AT)).count("\nCALL-1 ") == 1  # builds the cache
    time.sleep(0.1)
    path = store / "calls" / "CALL-1.toml"
    old = path.stat()
    with open(path, "r+b") as handle:
        data = handle.read()
        handle.seek(data.index(b"2031-03-08"))
        handle.write(b"2021")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert path.stat().st_mtime_ns == old.st_mtime_ns and path.stat().st_size == old.st_size
    assert listing(store) == {}
    assert "2021-03-08 17:00" in ok(invoke(store, "calls", "--all", "--at", AT))


# --- fuzz: nothing a file can hold makes a traceback --------------------------------------------

OFFSETS = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
EDGES = [datetime.min, datetime.max, datetime(1, 1, 1, 12), datetime(9999, 12, 31, 12)]
ANY_TIME = st.one_of(
    st.sampled_from(EDGES),
    st.sampled_from(EDGES).flatmap(lambda d: OFFSETS.map(lambda tz: d.replace(tzinfo=tz))),
    st.datetimes(),
    st.datetimes(timezones=OFFSETS),
    st.dates(),
    st.times(),
)
SCALARS = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    st.booleans(),
    ANY_TIME,
    st.sampled_from(["Europe/Brussels", "UTC", "AoE", "Mars/Olympus", "", "../etc/passwd"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["id", "title", "timezone", "opens", "note", "tags", "programme", "url", "extra"]
)
TABLE_KEYS = st.sampled_from(["deadline", "label", "from", "to", "recorded", "stage", "reason"])


@st.composite
def call_records(draw: st.DrawFn) -> dict:
    """Mostly valid call records with some values replaced by anything TOML can hold."""
    deadline = draw(st.one_of(ANY_TIME, st.just(datetime(2031, 3, 8, 17, 0))))
    record: dict[str, Any] = {
        "id": "FUZZ-1",
        "title": "fuzz",
        "timezone": "Europe/Brussels",
        "deadlines": [{"deadline": deadline}],
    }
    if draw(st.booleans()):
        record["extensions"] = [
            {
                "from": deadline,
                "to": draw(ANY_TIME),
                "recorded": draw(ANY_TIME),
                **draw(st.dictionaries(TABLE_KEYS, VALUES, max_size=2)),
            }
        ]
    for key, value in draw(st.dictionaries(KEYS, VALUES, max_size=3)).items():
        record[key] = value
    for key, value in draw(st.dictionaries(TABLE_KEYS, VALUES, max_size=2)).items():
        record["deadlines"][0][key] = value
    if draw(st.booleans()):
        record["deadlines"] = draw(VALUES)
    return record


def toml_bytes(record: dict) -> bytes:
    try:
        return tomli_w.dumps(record).encode()
    except (TypeError, ValueError):
        return b'id = "FUZZ-1"\n'


TOMLISH_LINES = st.sampled_from(
    [
        'id = "FUZZ-1"',
        'title = "t"',
        'timezone = "Europe/Brussels"',
        "[[deadlines]]",
        "[[extensions]]",
        "deadline = 2031-03-08T17:00:00+01:00",
        "deadline = 0001-01-01T00:00:00",
        "deadline = 9999-12-31T23:59:59-12:00",
        "from = 2031-03-08T17:00:00+01:00",
        "to = 2031-03-09T17:00:00+01:00",
        "recorded = 2030-01-01T00:00:00Z",
        "schema_version = 1",
        "schema_version = 2",
        "schema_version = -1",
        "<<<<<<< HEAD",
        "=======",
        ">>>>>>> other",
        "a = " + "[" * 500 + "]" * 500,
        'x = """',
        "[deadlines]",
        "tags = [1, 2]",
        "\ufeff",
        "",
    ]
)
SKELETON = call_text("FUZZ-1").splitlines()


@st.composite
def tomlish(draw: st.DrawFn) -> bytes:
    """A valid call file with a few lines inserted, replaced or deleted."""
    lines = list(SKELETON)
    for _ in range(draw(st.integers(0, 4))):
        line = draw(st.one_of(TOMLISH_LINES, st.text(max_size=20)))
        at = draw(st.integers(0, len(lines)))
        operation = draw(st.sampled_from(["insert", "replace", "delete"]))
        if operation == "insert" or at == len(lines):
            lines.insert(at, line)
        elif operation == "replace":
            lines[at] = line
        else:
            del lines[at]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


TOMLISH = tomlish()
FILE_CONTENT = st.one_of(st.binary(max_size=600), TOMLISH, call_records().map(toml_bytes))


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic examples (the same every run) and no shrinking, which can take minutes."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def assert_clean(result: Result, allowed: set[int]) -> None:
    assert result.exit_code in allowed & EXIT_CODES, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code:
        assert result.stderr.startswith(("error: ", "problem: ")), result.stderr


def test_fuzzed_call_files_never_cause_a_traceback(store: Path) -> None:
    path = store / "calls" / "FUZZ-1.toml"

    @fuzz_settings(max_examples=120)
    @given(content=FILE_CONTENT)
    def fuzz(content: bytes) -> None:
        path.write_bytes(content)
        assert_clean(invoke(store, "calls", "--all", "--at", AT), {0, 5})
        assert_clean(invoke(store, "show", "FUZZ-1", "--format", "json", "--at", AT), {0, 5})
        assert_clean(invoke(store, "check"), {0, 1})
        assert_clean(invoke(store, "extend", "FUZZ-1", "--by", "1d", "--at", AT), {0, 2, 4, 5})

    fuzz()


def test_a_fuzzed_marker_never_causes_a_traceback(store: Path) -> None:
    marker = store / "clusterctl.toml"

    @fuzz_settings(max_examples=80)
    @given(content=st.one_of(st.binary(max_size=300), TOMLISH))
    def fuzz(content: bytes) -> None:
        marker.write_bytes(content)
        assert_clean(invoke(store, "calls", "--at", AT), {0, 5})
        assert_clean(invoke(store, "check"), {0, 1})
        assert_clean(invoke(store, "edit", "CALL-1", "--note", "n"), {0, 5})
        if invoke(store, "calls").exit_code == 5:
            assert marker.read_bytes() == content  # refused: left exactly as it was

    fuzz()
