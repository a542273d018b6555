"""The two tools under test: which clusterctl to run, Taskwarrior, their isolated environments."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Generated data sets and measurement sessions (git-ignored).
WORK = HERE / "work"
TERMINAL = (40, 120)  # rows, columns of the pseudo-terminal for commands run "on a terminal"

TASKRC = """\
# Isolated Taskwarrior configuration for the clusterctl benchmark.
data.location={data}
confirmation=off
verbose=nothing
# gc stays on (the default): reports renumber and move completed tasks out of pending.data.
gc=on
hooks=off
recurrence=off
news.version=9.9.9
"""


def drop_page_cache() -> None:
    """Write out what is dirty, then empty the kernel's page, inode and dentry caches (root,
    Linux): the next reads come from the disk, as after a reboot."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as control:
        control.write("3\n")


def default_clusterctl() -> list[str]:
    """The console script next to this Python (e.g. the venv's), else ``python -m clusterctl``."""
    exe = shutil.which("clusterctl", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "clusterctl"]


def clusterctl_env(cache_dir: Path) -> dict[str, str]:
    """No user config, a private summary cache, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERCTL_")}
    env.update(
        CLUSTERCTL_CONFIG=str(cache_dir.parent / "no-config.toml"),  # never created: defaults
        CLUSTERCTL_CACHE_DIR=str(cache_dir),
        NO_COLOR="1",
    )
    return env


def taskwarrior_env(target: Path, model: str) -> dict[str, str]:
    """An isolated TASKDATA (``target/taskdata-<model>``) and TASKRC for one data model."""
    taskdata = target / f"taskdata-{model}"
    taskdata.mkdir(parents=True, exist_ok=True)
    taskrc = target / f"taskrc-{model}"
    taskrc.write_text(TASKRC.format(data=taskdata), encoding="utf-8")
    return {**os.environ, "TASKDATA": str(taskdata), "TASKRC": str(taskrc)}


def terminal_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` as a person's terminal has it: colour allowed, a common TERM."""
    return {**{k: v for k, v in env.items() if k != "NO_COLOR"}, "TERM": "xterm-256color"}


def clusterctl_import(
    data: Path, target: Path, cc: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that import ``data`` into ``target/store``."""
    argv = [*cc, "--store", str(target / "store"), "import", str(data / "calls.json")]
    return argv, clusterctl_env(target / "cache")


def task_import(data: Path, target: Path, model: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that import ``data`` into ``target/taskdata-<model>``."""
    return ["task", "import", str(data / f"tasks-{model}.json")], taskwarrior_env(target, model)


def version(argv: Sequence[str], env: dict[str, str] | None = None) -> str:
    """The first line ``argv`` prints (e.g. a ``--version``), or why it could not run."""
    try:
        done = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return f"cannot run: {exc}"
    return (done.stdout.strip().splitlines() or ["?"])[0]


def install_taskwarrior() -> bool:
    """``apt-get install -y taskwarrior`` (through sudo unless root); say what happened."""
    apt = shutil.which("apt-get")
    if apt is None:
        print("install: apt-get is not available; install Taskwarrior by hand", file=sys.stderr)
        return False
    argv = [apt, "install", "-y", "taskwarrior"]
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            print("install: not root and no sudo: cannot install Taskwarrior", file=sys.stderr)
            return False
        argv.insert(0, "sudo")
    print("install: $", " ".join(argv), flush=True)
    done = subprocess.run(argv)
    if done.returncode != 0:
        print(
            f"install: failed (exit {done.returncode}); `apt-get update` first may help",
            file=sys.stderr,
        )
    return shutil.which("task") is not None


# --- running and measuring one command ------------------------------------------------------

#: Starts every measured command. On Linux a child's ru_maxrss includes the memory of the process
#: it was spawned from, so this small separate Python spawns them, not the benchmark (which may
#: hold 100,000 parsed calls); its own size, measured with `true`, is the floor of every figure.
SPAWNER = r"""
import fcntl, json, os, struct, sys, termios, time
for line in sys.stdin:
    req = json.loads(line)
    out = (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)
    master = None
    if req["pty"]:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *req["pty"], 0, 0))
        out = (os.POSIX_SPAWN_DUP2, slave, 1)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        out,
        (os.POSIX_SPAWN_OPEN, 2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    try:
        pid = os.posix_spawnp(req["argv"][0], req["argv"], req["env"], file_actions=actions)
    except OSError as exc:
        if master is not None:
            os.close(master)
            os.close(slave)
        print(json.dumps({"error": str(exc)}), flush=True)
        continue
    shown = 0
    if master is not None:
        os.close(slave)
        kept = open(req["keep"], "wb") if req.get("keep") else None
        while True:  # drain it: a long listing would block on a full terminal buffer
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not chunk:
                break
            shown += len(chunk)
            if kept:
                kept.write(chunk)
        if kept:
            kept.close()
        os.close(master)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    reply = {"s": seconds, "code": code, "rss": usage.ru_maxrss, "bytes": shown}
    print(json.dumps(reply), flush=True)
"""


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: its numbers would be meaningless."""


@dataclass
class Run:
    """One finished child process."""

    seconds: float
    peak_kb: int
    returncode: int
    stderr: str
    shown_bytes: int  # written to the pseudo-terminal (0 when stdout was /dev/null)

    def must(self, what: str) -> Run:
        """Raise CommandFailed unless the command succeeded."""
        if self.returncode != 0:
            raise CommandFailed(f"{what} exited {self.returncode}: {self.stderr.strip()[-2000:]}")
        return self


class Spawner:
    """A small child Python that runs commands for us and reports time and peak RSS."""

    def __init__(self) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-E", "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=WORK,
        )
        fd, name = tempfile.mkstemp(prefix="clusterctl-bench-", suffix=".stderr")
        os.close(fd)
        self._stderr = Path(name)

    def run(
        self, argv: Sequence[str], env: dict[str, str], pty: bool = False, keep: str = ""
    ) -> Run:
        """Run ``argv`` to completion, stdout to /dev/null or to a pseudo-terminal (what it
        shows there written to the file ``keep``, if given)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        request = {"argv": list(argv), "env": env, "stderr": str(self._stderr), "keep": keep}
        request["pty"] = list(TERMINAL) if pty else None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        if "error" in reply:
            raise CommandFailed(f"cannot start {argv[0]}: {reply['error']}")
        stderr = self._stderr.read_text(encoding="utf-8", errors="replace")
        # ru_maxrss is in KiB on Linux, in bytes on macOS.
        peak = reply["rss"] // 1024 if sys.platform == "darwin" else reply["rss"]
        return Run(reply["s"], peak, reply["code"], stderr, reply["bytes"])

    def close(self) -> None:
        """Stop the spawner and remove its scratch file."""
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        self._stderr.unlink(missing_ok=True)


def capture(argv: Sequence[str], env: dict[str, str]) -> str:
    """An untimed helper command's stdout."""
    done = subprocess.run(list(argv), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CommandFailed(f"{shlex.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


# --- source trees side by side (phases.py, inprocess.py) ------------------------------------


def main_in_child(before: str = "", after: str = "") -> str:
    """Code for ``python -c``: ``clusterctl.__main__.main()`` run on the child's own arguments,
    its output discarded, with ``before`` and ``after`` around it (``sys`` is imported)."""
    return f"""
import contextlib, io, sys
{before}
sys.argv = ["clusterctl", *sys.argv[1:]]
from clusterctl.__main__ import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
{after}
"""


def trees_parser(
    doc: str | None,
    rounds: int,
    metavar: str = "NAME=DIR",
    build_help: str = "a build to measure: a name and the directory holding its clusterctl package",
) -> argparse.ArgumentParser:
    """The arguments of a script that measures builds side by side on a session's store: the
    session, ``--build NAME=DIR`` (repeated; another ``metavar`` and ``build_help`` for builds
    given otherwise) and ``--rounds``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("session", type=Path, help="a session directory made by run.py")
    parser.add_argument("--build", action="append", required=True, metavar=metavar, help=build_help)
    parser.add_argument(
        "--rounds", type=int, default=rounds, help=f"timed rounds (default {rounds})"
    )
    return parser


def trees(texts: Sequence[str]) -> list[tuple[str, Path]]:
    """The ``--build NAME=PATH`` values (a source tree, an executable) as (name, absolute path)."""
    # Absolute: the spawner and the children run in other directories than the caller's.
    return [(text.split("=", 1)[0], Path(text.split("=", 1)[1]).absolute()) for text in texts]


def tree_env(session: Path, source: Path, cache: Path) -> dict[str, str]:
    """The environment of a child running the build in ``source`` on ``session``'s store: the
    build first on PYTHONPATH, ``cache`` its cache, no user config. Bytecode written and used,
    as by an installed clusterctl: without it every run of a checkout compiles its modules again
    (tens of ms that no user pays)."""
    return {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPATH": str(source.resolve()),
        "CLUSTERCTL_CACHE_DIR": str(cache.resolve()),
        "CLUSTERCTL_CONFIG": str((session / "no-config.toml").resolve()),
    }
