"""The two tools under test: which clusterctl to run, Taskwarrior, their isolated environments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Generated data sets and measurement sessions (git-ignored).
WORK = HERE / "work"

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
