"""The derived cache of call summaries, which spares a listing from parsing every call file.

It lives in the user's cache directory, keyed by the store's real path. It is validated on every
read against each file's (mtime, size, inode, ctime) and never trusted for files changed within
``RACY_SECONDS`` of the cache's creation, so it cannot give a stale answer; ctime catches an edit
that restored the old mtime (``touch -r``, ``cp -p``).
"""

from __future__ import annotations

import io
import os
import pickle
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.model import CallSummary
from clusterctl.store.files import write_temp
from clusterctl.store.tomlfile import read_summary

#: A cached entry whose file changed this close to the cache's creation is re-read: file
#: timestamps are coarse (a clock tick on ext4, 2 s on FAT), so a later edit could keep them.
RACY_SECONDS = 3.0
#: How many stale rows the cache's closed half may carry before it is rebuilt whole.
MAX_DROPPED = 2000
CACHE_FORMAT = 5  # 5: a stage is "extended" only by an extension (issue 15)


def scan(
    calls_dir: Path, names: list[str], cache_file: CacheFile, open_at: float | None
) -> dict[str, list[CallSummary]]:
    """The summaries of the call files ``names``: "all", or with ``open_at`` maybe only "live".

    Validates the cache against every file, re-reads what changed and saves the cache if needed.
    """
    cache = cache_file.load()
    started_ns = time.time_ns()
    sigs = _signatures(calls_dir, names)
    if cache is not None and cache.names == names and cache.sigs == sigs.tobytes():
        trusted_before = cache.built_ns - int(RACY_SECONDS * 1e9)
        if max(max(sigs[0::4]), max(sigs[3::4])) < trusted_before:
            # Every file is exactly as when the cache was built: no file is read at all.
            if open_at is not None and open_at >= cache.built_ns / 1e9:
                return {"live": cache.rows(live_only=True)}
            return {"all": cache.rows(live_only=False)}
    fresh, summaries = _rebuild(calls_dir, names, sigs, cache, started_ns, open_at)
    cache_file.save(fresh)
    return summaries


class CacheFile:
    """Where the cache of one store lives, and the store's real path, which the file records."""

    __slots__ = ("path", "root")  # a plain class, as layout.Layout

    def __init__(self, path: Path, root: str) -> None:
        self.path = path
        self.root = root

    @classmethod
    def of(cls, real_root: str, cache_dir: Path | None = None) -> CacheFile:
        """The cache file of the store at ``real_root``: in ``cache_dir``, else
        ``$CLUSTERCTL_CACHE_DIR``, else the user's cache directory."""
        base = cache_dir
        if base is None:
            env = os.environ.get("CLUSTERCTL_CACHE_DIR")
            if env:
                base = Path(env)
            else:
                # Not at the top: config takes 2 ms to import, which a store with its own cache
                # directory never needs.
                from clusterctl.config import user_dir

                base = user_dir("cache")
        return cls(base / f"summaries-{store_key(real_root)}.pickle", real_root)

    def load(self) -> _SummaryCache | None:
        """The cache, or None when it is missing, torn or another store's."""
        try:
            with open(self.path, "rb") as handle:
                data = pickle.load(handle)
            if (
                isinstance(data, dict)
                and data.get("format") == CACHE_FORMAT
                and data.get("root") == self.root
            ):
                return _SummaryCache(**data["fields"])
        except Exception:  # a missing, torn or foreign cache is simply rebuilt
            pass
        return None

    def save(self, cache: _SummaryCache) -> None:
        """Write the cache file."""
        data = {
            "format": CACHE_FORMAT,
            "root": self.root,
            "fields": cache.fields(),
        }
        try:  # the cache is only an accelerator: a read-only or full cache dir is not an error
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pending = write_temp(self.path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(pending.temp, pending.target)
        except OSError:
            pass


def store_key(text: str) -> str:
    """A stable 64-bit FNV-1a hash of ``text`` in hex (names a store's cache file).

    Not hashlib: importing it loads OpenSSL, about 3 ms of every listing. The cache also records
    the root it belongs to, so a collision could only cost a rebuild, never a wrong answer.
    """
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def _dumps_without_memo(rows: list[tuple[Any, ...]]) -> bytes:
    """Pickle plain rows without the pickler's memo, which at 100,000 rows costs over 100 MB
    of memory (the rows hold no shared or self-referencing objects that would need it)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(rows)
    return buffer.getvalue()


@dataclass
class _SummaryCache:
    """The derived cache: file names, their signatures and their summaries.

    Summaries are split by whether the call had closed for good when the cache was built, and
    each half is pickled separately with the names it holds, so a listing of open calls unpickles
    only the live half, and a change to live calls (the usual add or extend) rebuilds only that
    half while the closed half is carried over as bytes.
    """

    built_ns: int
    names: list[str]
    sigs: bytes  # array('q'): mtime, size, inode, ctime per name
    live_names: list[str]
    live_rows: bytes  # pickled list of summary tuples, aligned with live_names
    closed_names: list[str]
    closed_rows: bytes
    #: Names in the closed half whose row is stale (changed or removed since); skipped on load.
    closed_dropped: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """Plain data for pickling."""
        return dict(self.__dict__)

    def rows(self, *, live_only: bool) -> list[CallSummary]:
        """The cached summaries: the live ones, or all of them."""
        make = CallSummary._make
        rows = [make(r) for r in pickle.loads(self.live_rows)]
        if not live_only:
            closed = pickle.loads(self.closed_rows)
            if self.closed_dropped:
                dropped = set(self.closed_dropped)
                closed = [
                    r for n, r in zip(self.closed_names, closed, strict=True) if n not in dropped
                ]
            rows.extend(make(r) for r in closed)
        return rows

    def signatures(self) -> dict[str, tuple[int, ...]]:
        """name -> (mtime, size, inode, ctime) as cached."""
        sigs = array("q")
        sigs.frombytes(self.sigs)
        return {name: tuple(sigs[4 * n : 4 * n + 4]) for n, name in enumerate(self.names)}


class _CacheBuilder:
    """Collects rows for a new cache, classifying each as live or closed at ``closed_by_ns``.

    The closed half must only hold calls closed for good when the cache is built; a call may
    stay in the live half after it closed (listings filter anyway), so carrying halves over from
    an older cache classifies against that cache's time.
    """

    def __init__(self, built_ns: int, closed_by_ns: int | None = None) -> None:
        self.built_ns = built_ns
        self.closed_by_s = (built_ns if closed_by_ns is None else closed_by_ns) / 1e9
        self.live: dict[str, tuple[Any, ...]] = {}
        self.closed: dict[str, tuple[Any, ...]] = {}

    def add(self, name: str, row: tuple[Any, ...]) -> bool:
        """File ``row`` under live or closed; True if it is live."""
        summary = row if isinstance(row, CallSummary) else CallSummary._make(row)
        live = summary.last_deadline()[1] > self.closed_by_s
        (self.live if live else self.closed)[name] = tuple(row)
        return live

    def build(
        self,
        names: list[str],
        sigs: array[int],
        closed_blob: tuple[list[str], bytes, list[str]] | None = None,
    ) -> _SummaryCache:
        """The cache; ``closed_blob`` (names, rows, dropped) carries an older closed half over
        without unpickling it."""
        if closed_blob is None:
            closed_names = list(self.closed)
            closed_rows = _dumps_without_memo(list(self.closed.values()))
            dropped: list[str] = []
        else:
            closed_names, closed_rows, dropped = closed_blob
        return _SummaryCache(
            built_ns=self.built_ns,
            names=names,
            sigs=sigs.tobytes(),
            live_names=list(self.live),
            live_rows=_dumps_without_memo(list(self.live.values())),
            closed_names=closed_names,
            closed_rows=closed_rows,
            closed_dropped=dropped,
        )


def _signatures(calls_dir: Path, names: list[str]) -> array[int]:
    """(mtime, size, inode, ctime) of every file, flat, in ``names`` order."""
    sigs = array("q")
    append = sigs.extend
    try:
        dir_fd = os.open(calls_dir, os.O_RDONLY)
    except OSError as exc:
        raise StoreError(f"{calls_dir}: cannot list: {describe_os_error(exc)}") from None
    try:
        for name in names:
            try:
                st = os.stat(name, dir_fd=dir_fd)
            except FileNotFoundError:  # removed while we listed: never matches a real file
                append((-1, -1, -1, -1))
                continue
            # ctime too: an edit that put the old mtime back (touch -r, cp -p) still moves it.
            append((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))
    finally:
        os.close(dir_fd)
    return sigs


def _rebuild(
    calls_dir: Path,
    names: list[str],
    sigs: array[int],
    cache: _SummaryCache | None,
    started_ns: int,
    open_at: float | None,
) -> tuple[_SummaryCache, dict[str, list[CallSummary]]]:
    """Re-read the files whose signature changed and build the new cache.

    When every change concerns live calls, the closed half is carried over unopened.
    """
    cached = cache.signatures() if cache is not None else {}
    trusted_before = (cache.built_ns if cache else 0) - int(RACY_SECONDS * 1e9)
    present: list[str] = []
    changed: list[str] = []
    for n, name in enumerate(names):
        sig = tuple(sigs[4 * n : 4 * n + 4])
        if sig[0] == -1:
            continue
        present.append(name)
        if cached.get(name) != sig or max(sig[0], sig[3]) >= trusted_before:
            changed.append(name)
    fresh_rows = {name: read_summary(calls_dir / name) for name in changed}
    if cache is not None:
        closed_names = set(cache.closed_names)
        dropped = set(cache.closed_dropped)
        dropped |= (set(cached) - set(present)) & closed_names
        dropped |= closed_names.intersection(changed)
        if len(dropped) <= MAX_DROPPED:
            # Only the live half is rebuilt; the closed half is carried over as bytes and
            # its stale rows are skipped by name (a changed closed call is now in the live
            # half, which may hold closed calls: listings filter anyway).
            builder = _CacheBuilder(started_ns, closed_by_ns=0)
            still_there = set(present)
            for name, row in zip(cache.live_names, pickle.loads(cache.live_rows), strict=True):
                if name not in fresh_rows and name in still_there:
                    builder.add(name, row)
            for name, row in fresh_rows.items():
                builder.add(name, row)
            closed = (cache.closed_names, cache.closed_rows, sorted(dropped))
            fresh = builder.build(names, sigs, closed)
            live_only = open_at is not None and open_at >= cache.built_ns / 1e9
            key = "live" if live_only else "all"
            return fresh, {key: fresh.rows(live_only=live_only)}
    builder = _CacheBuilder(started_ns)
    old_rows: dict[str, tuple[Any, ...]] = {}
    if cache is not None:
        # Closed half first: a row it still holds for a call since moved to the live half is
        # stale, and the live half's row must win.
        for blob_names, blob in (
            (cache.closed_names, cache.closed_rows),
            (cache.live_names, cache.live_rows),
        ):
            old_rows.update(zip(blob_names, pickle.loads(blob), strict=True))
    summaries: list[CallSummary] = []
    for name in present:
        row = fresh_rows.get(name) or old_rows[name]
        builder.add(name, row)
        summaries.append(row if isinstance(row, CallSummary) else CallSummary._make(row))
    return builder.build(names, sigs), {"all": summaries}
