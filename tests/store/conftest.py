"""Fixtures of the store tests in more than one file: clusterctl run with permissions enforced.

The ``store`` fixture (one call, CALL-1) is in tests/conftest.py, shared with the CLI tests.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clusterctl.store import cache as cache_module
from clusterctl.store import derived
from clusterctl.store.signature import NO_REFERENCE
from tests.conftest import run


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


@pytest.fixture(params=["patched", "rebuilt"])
def patching(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a cache test both ways a listing takes in a few changed files: read on top of the
    cache (``patched``, as clusterctl does in a large store) and by rebuilding the cache
    (``rebuilt``, as it does for more than ``cache.patch_limit`` files)."""
    from clusterctl.store import cache

    # The tests' stores are small: the real limit (one per thousand calls) would be 0.
    limit = 16 if request.param == "patched" else 0
    monkeypatch.setattr(cache, "patch_limit", lambda files: limit)
    return str(request.param)


@pytest.fixture
def clock_rule_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caches trust by the clock rule alone (``signature.Trust``), as when a call file
    links to another file system: every file changed within ``RACY_SECONDS`` of the moment it
    was read is racy, not only those of the newest tick. For the tests of that rule; the file
    system's rule is tested with the real reference (test_cache_racy.py, test_derived.py)."""
    real = cache_module.looked_at
    for module in (cache_module, derived):
        monkeypatch.setattr(
            module, "looked_at", lambda *args, **kw: (real(*args, **kw)[0], NO_REFERENCE)
        )
