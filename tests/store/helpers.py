"""What the store's tests share: a call to store, and views of the files a store left on disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from clusterctl.model import Call, Stage
from clusterctl.store import Store

BRU = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2031, 3, 8, 17, 0, tzinfo=BRU)
RECORDED = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)


def make_call(call_id: str = "CALL-1", *, title: str = "A call", **changes: object) -> Call:
    call = Call(
        id=call_id,
        title=title,
        timezone="Europe/Brussels",
        stages=(Stage("", DEADLINE),),
        programme="COSME",
    )
    return replace(call, **changes)  # type: ignore[arg-type]


def call_files(root: Path) -> dict[str, bytes]:
    """name -> bytes of every call file (what a reader of calls/ would consider)."""
    calls = root / "calls"
    if not calls.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(calls.iterdir()) if not p.name.startswith(".")}


def tree(root: Path) -> dict[str, bytes | str | None]:
    """Every path under ``root``, .state/ included: file bytes, None for a directory."""
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


def temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def refusals(store: Store) -> list[Callable[[], object]]:
    return [
        store.summaries,
        lambda: store.get("CALL-1"),
        lambda: store.update("CALL-1", lambda c: replace(c, note="x")),
        lambda: store.add(make_call(), replace=True),
        lambda: store.add(make_call()),
        lambda: store.remove("CALL-1"),
    ]
