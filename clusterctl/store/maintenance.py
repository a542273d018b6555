"""Looking after a store: ``check`` reports every problem, ``migrate`` upgrades the schema."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clusterctl.errors import StoreError, UsageError, describe_os_error
from clusterctl.model import consistency_problems
from clusterctl.store.files import atomic_write
from clusterctl.store.journal import arm_sweep, settle
from clusterctl.store.layout import STATE_DIR, SUFFIX, TEMP_NAME, Layout, id_mismatch
from clusterctl.store.lock import flock
from clusterctl.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    check_root,
    marker_version,
    require_schema,
    store_exists,
)
from clusterctl.store.tomlfile import read_toml


def check_store(layout: Layout, timeout: float) -> list[str]:
    """Every problem in the store, as one-line messages; empty when the store is sound."""
    # Not at the top: codec and timeparse take 9 ms to import, which only check needs here.
    from clusterctl.codec import call_from_record
    from clusterctl.timeparse import offset_mismatch

    if not layout.root.exists():
        return []
    try:
        if not store_exists(layout):  # a directory without a marker or calls/ holds no store yet
            return []
        require_schema(layout)
        settle(layout, timeout)
    except StoreError as exc:
        return [str(exc)]
    problems: list[str] = []
    seen: dict[str, str] = {}
    folded: dict[str, str] = {}
    try:
        listing = sorted(os.listdir(layout.calls_dir))
    except FileNotFoundError:
        listing = []
    except OSError as exc:
        return [f"{layout.calls_dir}: cannot list: {describe_os_error(exc)}"]
    for name in listing:
        path = layout.calls_dir / name
        if TEMP_NAME.fullmatch(name):
            # What a killed writer leaves: never read as a call, removed by the next change.
            # The marker that asks for that sweep is not fsynced, so after a power failure
            # it may be gone while the file is not: ask again.
            with contextlib.suppress(OSError):
                arm_sweep(layout)
            continue
        if not name.endswith(SUFFIX):
            problems.append(f"{path}: not a call file (expected <ID>.toml)")
            continue
        try:
            record = read_toml(path, str(path))
            call = call_from_record(record)
        except StoreError as exc:
            problems.append(str(exc))
            continue
        except FileNotFoundError:
            problems.append(f"{path}: a symbolic link to a file that does not exist")
            continue
        except (ValueError, OverflowError, UsageError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        problem = id_mismatch(call.id, name)
        if problem:
            problems.append(f"{path}: {problem}")
        if call.id in seen:
            problems.append(f"{path}: duplicate id {call.id!r} (also in {seen[call.id]})")
        seen.setdefault(call.id, str(path))
        key = call.id.casefold()
        if key in folded and folded[key] != call.id:
            problems.append(
                f"{path}: id {call.id!r} differs only in case from {folded[key]!r}, "
                "which clashes on case-insensitive file systems"
            )
        folded.setdefault(key, call.id)
        try:
            problems.extend(f"{path}: {p}" for p in consistency_problems(call))
            for label, value in _stored_moments(record):
                if isinstance(value, datetime) and offset_mismatch(value, call.timezone):
                    problems.append(
                        f"{path}: {label} {value.isoformat()} has an offset that "
                        f"{call.timezone} does not use at that time (the wall time is kept)"
                    )
        except (ValueError, OverflowError) as exc:
            problems.append(f"{path}: {exc}")
    return problems


def migrate_store(
    layout: Layout, timeout: float, now: datetime | None = None
) -> tuple[int, int, Path | None]:
    """Upgrade an older schema step by step, keeping a backup; return (from, to, backup)."""
    import shutil  # here, not at the top: 3 ms to import, for a command run once a schema

    root = layout.root
    check_root(root)
    if marker_version(layout) > SCHEMA_VERSION:  # a missing store is an error, never created
        require_schema(layout)
    with flock(layout, timeout):
        version = marker_version(layout)
        if version > SCHEMA_VERSION:
            require_schema(layout)
        if version == SCHEMA_VERSION:
            return version, version, None
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        backup = layout.state_dir / "backups" / f"schema-{version}-{stamp}"
        n = 1
        while backup.exists():
            n += 1
            backup = backup.with_name(f"schema-{version}-{stamp}-{n}")
        try:
            shutil.copytree(root, backup, ignore=shutil.ignore_patterns(STATE_DIR), symlinks=True)
        except (OSError, shutil.Error) as exc:
            raise StoreError(f"{backup}: cannot back up the store: {exc}") from None
        start = version
        while version < SCHEMA_VERSION:
            if version not in MIGRATIONS:
                raise StoreError(f"{root}: no migration from schema version {version}")
            try:
                MIGRATIONS[version](root)
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(
                    f"{root}: migration from schema {version} failed "
                    f"({type(exc).__name__}: {exc}); the store before it is in {backup}"
                ) from None
            version += 1
            atomic_write(layout.marker, f"schema_version = {version}\n".encode())
        return start, version, backup


def _stored_moments(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield "opens", record.get("opens")
    for n, table in enumerate(record.get("deadlines") or [], start=1):
        if isinstance(table, dict):
            yield f"deadline {n}", table.get("deadline")
    for n, table in enumerate(record.get("extensions") or [], start=1):
        if isinstance(table, dict):
            yield f"extension {n} from", table.get("from")
            yield f"extension {n} to", table.get("to")
