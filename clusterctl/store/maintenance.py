"""Looking after a store: ``check`` reports every problem, ``migrate`` upgrades the schema."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from clusterctl.errors import StoreError, UsageError, describe_os_error
from clusterctl.fileread import exists
from clusterctl.model import consistency_problems
from clusterctl.store.derived import GONE, DerivedFile, derive_from_bytes
from clusterctl.store.files import atomic_write
from clusterctl.store.fill import staging_dir
from clusterctl.store.journal import arm_sweep, settle
from clusterctl.store.layout import STATE_DIR, SUFFIX, TEMP_NAME, Layout, id_mismatch
from clusterctl.store.lock import flock
from clusterctl.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    check_root,
    marker_bytes,
    marker_version,
    require_schema,
    store_exists,
)
from clusterctl.store.tomlfile import parse_toml
from clusterctl.store.zonetag import zone_tag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: What ``survey_store`` finds for a name that is not a call file's.
_NOT_LISTED: Any = object()

#: Bump when check finds other problems in a call file: results remembered by an older rule
#: are then found again.
CHECK_RULES = 1


def check_tag() -> str:
    """What check's remembered results depend on besides the file (``store/derived.py``): the
    rules, this program's version and the time zone data (``zonetag``)."""
    return f"{CHECK_RULES} {zone_tag()}"


def survey_store(
    layout: Layout,
    timeout: float,
    remembered: DerivedFile,
    clock: Callable[[], int] = time.time_ns,
) -> tuple[list[str], int]:
    """Every problem in the store, as one-line messages (none when it is sound), and how many
    calls (distinct ids) its files hold: ``check`` says that count without a second look at
    every file (0.4 s at 100,000 calls).

    What check finds in a call file on its own is kept in ``remembered`` and reused while the
    file provably holds the same bytes (``derived.derive_from_bytes``): at 100,000 calls parsing
    every file took 12 s. Problems between files (the same id twice) are found on every run.
    """
    if not exists(layout.root):
        return [], 0
    try:
        if not store_exists(layout):  # a directory without a marker or calls/ holds no store yet
            return [], 0
        require_schema(layout)
        settle(layout, timeout)
    except StoreError as exc:
        return [str(exc)], 0
    problems: list[str] = []
    try:
        listing = sorted(os.listdir(layout.calls_dir))
    except FileNotFoundError:
        listing = []
    except OSError as exc:
        return [f"{layout.calls_dir}: cannot list: {describe_os_error(exc)}"], 0
    calls = [n for n in listing if n.endswith(SUFFIX) and not TEMP_NAME.fullmatch(n)]
    found = dict(
        derive_from_bytes(layout.calls_dir, calls, remembered, _file_problems, lambda: calls, clock)
    )
    seen: dict[str, str] = {}  # id -> the name of the first file that declares it
    folded: dict[str, str] = {}

    def where(name: str) -> str:
        # Only for a problem: with a path made for each file, this loop made a warm check of
        # 100,000 calls 0.2 s slower (0.86 -> 0.66 s in-process).
        return os.path.join(layout.calls_dir, name)

    if os.path.lexists(staging_dir(layout)):  # a killed first import's, the marker lost too
        with contextlib.suppress(OSError):
            arm_sweep(layout)
    for name in listing:
        result = found.get(name, _NOT_LISTED)
        if result is _NOT_LISTED:  # not in calls: a writer's temporary file, or no call file
            if TEMP_NAME.fullmatch(name):
                # What a killed writer leaves: never read as a call, removed by the next change.
                # The marker that asks for that sweep is not fsynced, so after a power failure
                # it may be gone while the file is not: ask again.
                with contextlib.suppress(OSError):
                    arm_sweep(layout)
            else:
                problems.append(f"{where(name)}: not a call file (expected <ID>.toml)")
            continue
        if isinstance(result, StoreError):
            problems.append(str(result))
            continue
        if result is GONE:
            if os.path.lexists(where(name)):
                problems.append(f"{where(name)}: a symbolic link to a file that does not exist")
            continue
        call_id, mismatch, own = result
        if call_id is None:  # not a call: why is all there is to say
            problems.extend(f"{where(name)}: {p}" for p in own)
            continue
        if mismatch:
            problems.append(f"{where(name)}: {mismatch}")
        first = seen.setdefault(call_id, name)
        if first != name:
            problems.append(f"{where(name)}: duplicate id {call_id!r} (also in {where(first)})")
        key = call_id.casefold()
        if key in folded and folded[key] != call_id:
            problems.append(
                f"{where(name)}: id {call_id!r} differs only in case from {folded[key]!r}, "
                "which clashes on case-insensitive file systems"
            )
        folded.setdefault(key, call_id)
        if own:
            problems.extend(f"{where(name)}: {p}" for p in own)
    return problems, len(seen)


def _file_problems(raw: bytes, path: str) -> tuple[str | None, str, tuple[str, ...]]:
    """What check finds in one call file on its own, each problem without the path: the id it
    declares (None if it is no call, and then why), its mismatch with the file's name (or ""),
    and its other problems. A file that is not TOML raises TomlFileError, as a read does."""
    # Not at the top: codec and timeparse take 9 ms to import, which only check needs here.
    from clusterctl.codec import call_from_record
    from clusterctl.timeparse import offset_mismatch

    record = parse_toml(raw, path)
    try:
        call = call_from_record(record)
    except (ValueError, OverflowError, UsageError) as exc:
        return None, "", (str(exc),)
    problems: list[str] = []
    try:
        problems.extend(consistency_problems(call))
        for label, value in _stored_moments(record):
            if isinstance(value, datetime) and offset_mismatch(value, call.timezone):
                problems.append(
                    f"{label} {value.isoformat()} has an offset that "
                    f"{call.timezone} does not use at that time (the wall time is kept)"
                )
    except (ValueError, OverflowError) as exc:
        problems.append(str(exc))
    return call.id, id_mismatch(call.id, os.path.basename(path)) or "", tuple(problems)


def migrate_store(
    layout: Layout, timeout: float, now: datetime | None = None
) -> tuple[int, int, str | None]:
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
        backups = os.path.join(layout.state_dir, "backups")
        backup = os.path.join(backups, f"schema-{version}-{stamp}")
        n = 1
        while exists(backup):
            n += 1
            backup = os.path.join(backups, f"schema-{version}-{stamp}-{n}")
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
            atomic_write(layout.marker, marker_bytes(version))
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
