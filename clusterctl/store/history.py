"""The history of portal syncs (``.state/sync-history.json``): local, newest last, bounded."""

from __future__ import annotations

import os
from collections.abc import Sequence

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.fileread import make_dir
from clusterctl.store.files import atomic_write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Runs kept: a daily cron job with a few saved searches keeps more than a year of them.
KEEP = 2000


def read_history(path: str) -> list[dict[str, Any]]:
    """Every recorded sync, oldest first; a missing file is an empty history."""
    import json  # 1.6 ms, for `sync` only (see store/ledger.py)

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read())
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable sync history: {exc}") from None
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        raise StoreError(f"{path}: unreadable sync history: no 'runs' list")
    return [run for run in runs if isinstance(run, dict)]


def append_history(path: str, entries: Sequence[dict[str, Any]]) -> None:
    """Add ``entries`` to the history, keeping the newest ``KEEP``."""
    import json  # see read_history

    runs = [*read_history(path), *entries][-KEEP:]
    data = json.dumps({"version": 1, "runs": runs}, indent=1, ensure_ascii=False) + "\n"
    try:
        make_dir(os.path.dirname(path) or ".", parents=True)
        atomic_write(path, data.encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"{path}: cannot record the sync: {describe_os_error(exc)}") from None
