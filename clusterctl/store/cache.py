"""The derived cache of call summaries, which spares a listing from parsing every call file.

It lives in the user's cache directory, keyed by the store's real path. It is validated on every
read against each file's (mtime, size, inode, ctime), so it cannot give a stale answer; ctime
catches an edit that restored the old mtime (``touch -r``, ``cp -p``).

Racy entries are handled as git's index handles them. An entry whose file could have been
edited again in the timestamp tick it was read in (``signature.Trust``: it changed within
``RACY_SECONDS`` of the cache's stamp, the moment it was built, taken before any file was
looked at, and not before the newest ctime found then) is not trusted by its signature alone:
the cache keeps a digest of the bytes its summary was read from, and a racy entry is checked
by reading the file and comparing digests (no parse), each racy entry on its own, never the
whole store. A later save, stamped when every such entry has become old, trusts them by
signature again. Writers (``Store.transaction``) keep the cache warm with the summaries and
bytes of the files they just wrote (``record_writes``).

``$CLUSTERCTL_CACHE_DIR`` may name a directory other users can write to, so a cache file is
trusted only when it is ours alone (owned by us, writable by nobody else), and even then it is
unpickled by ``PlainUnpickler``, which rebuilds plain built-in values only: a planted file
cannot run code. The directory is created private (0700), the file 0600, and a planted link is
replaced, never written through.
"""

from __future__ import annotations

import contextlib
import os
import time
from array import array
from collections.abc import Callable

from clusterctl.fileread import path_text
from clusterctl.store import cachedata
from clusterctl.store.cachedata import CacheBuilder, RowsAhead, SummaryCache, Unusable
from clusterctl.store.files import read_private, store_key, write_private
from clusterctl.store.forkmap import fork_map
from clusterctl.store.reread import Written, read_changed, verified
from clusterctl.store.signature import (
    NO_REFERENCE,
    Recorded,
    Trust,
    differing,
    looked_at,
    reference,
)
from clusterctl.store.zonetag import zone_tag
from clusterctl.summary import CallSummary

#: A cached entry whose file changed this close to the cache's stamp is racy, checked by content:
#: file timestamps are coarse (a clock tick on ext4, 2 s on FAT), so a later edit could keep them.
RACY_SECONDS = 3.0

#: This process's part of the signatures a listing takes while it loads the cache's rows
#: (``fork_parts``' share): of 0.25, 0.4, 0.55, 0.7 and 1.0, 0.55 was quickest for the live
#: half and for all (100,000 calls, two cores, 15 alternating rounds).
ROWS_SHARE = 0.55
#: How many stale rows the cache's closed half may carry before it is rebuilt whole.
MAX_DROPPED = 2000
#: 5: "extended" only by an extension; 6: unreadable files; 7: racy digests; 8: an entry kept only
#: under the signature of the file it was read from (7 could hold one made of another file);
#: 9: the file system's reference (``fs_ns``), by which fewer entries are racy.
CACHE_FORMAT = 9


def scan(
    calls_dir: str,
    names: list[str],
    cache_file: CacheFile,
    open_at: float | None,
    clock: Callable[[], int] = time.time_ns,
) -> tuple[dict[str, list[CallSummary]], dict[str, str], list[str] | None]:
    """The summaries of the call files ``names``: "all", or with ``open_at`` maybe only "live";
    the files that cannot be read, name -> reason (``TomlFileError.reason``); and the names of
    the files there in the order the cache holds them (new ones last), if not that of ``names``:
    given in that order next time, they need no aligning (``_aligned``).

    Validates the cache against every file, re-reads what changed and saves the cache if needed.
    A file that vanishes while it is read is left out, as if it had been gone before. A cache
    built now is stamped with ``clock()`` (nanoseconds since the epoch, the clock that stamps
    file times): which calls had closed by then, and which files are too recent to trust.
    """
    cache = cache_file.load()
    listed = names
    try:
        summaries, broken, names, sigs = _scan(calls_dir, names, cache_file, cache, open_at, clock)
    except Unusable:  # a pickled half that does not load: the files are read instead
        summaries, broken, names, sigs = _scan(calls_dir, names, cache_file, None, open_at, clock)
    there = None if names is listed else [n for k, n in enumerate(names) if sigs[4 * k] != -1]
    # Once a file is gone, its name stays in the cache's until the cache is rebuilt: the names
    # listed then are already the cache's without it, and there is nothing to say.
    return summaries, broken, (None if there == listed else there)


def _scan(
    calls_dir: str,
    names: list[str],
    cache_file: CacheFile,
    cache: SummaryCache | None,
    open_at: float | None,
    clock: Callable[[], int],
) -> tuple[dict[str, list[CallSummary]], dict[str, str], list[str], array[int]]:
    started_ns = clock()
    ahead = None
    if cache is not None:
        names = _aligned(cache.names, names)
        # The rows the cache holds, unpickled while workers take most signatures (RowsAhead):
        # at 100,000 calls, in-process, 0.34 -> 0.29 s for the live half, 0.47 -> 0.40 s for
        # all (medians of 15 alternating rounds, against loading them after).
        ahead = RowsAhead(cache, open_at is not None and open_at >= cache.built_ns / 1e9)
    sigs, newest = looked_at(calls_dir, names, ahead, share=ROWS_SHARE)
    if cache is not None and cache.names == names and cache.sigs == sigs.tobytes():
        assert ahead is not None
        racy = _racy(names, sigs, _trust_of(cache))
        digests = cache.digests
        # Right after a bulk write most files are racy: read on every core (at 10,000 calls
        # 0.25 s of one, under cProfile, for each listing until a restamp trusts them).
        if all(fork_map(lambda name: verified(calls_dir, name, digests.get(name)), racy)):
            # Every file is exactly as when the cache was built (the racy ones by content): no
            # file is parsed.
            rows = ahead.rows()
            if racy:
                _restamp(cache_file, cache, names, sigs, started_ns)
            return {"live" if ahead.live_only else "all": rows}, cache.broken, names, sigs
    if cache is not None and names[: len(cache.names)] == cache.names:
        assert ahead is not None
        patched = _patched(calls_dir, names, sigs, cache, ahead)
        if patched is not None:
            return (*patched, names, sigs)
    if ahead is not None:
        ahead.drop()
    fs_ns = reference(calls_dir, newest)
    result = _rebuild(calls_dir, names, sigs, cache, started_ns, fs_ns, open_at)
    assert result is not None  # only record_writes gives up
    fresh, summaries = result
    cache_file.save(fresh)
    return summaries, fresh.broken, names, sigs


def patch_limit(files: int) -> int:
    """How many changed files a listing reads on top of a cache of ``files`` without saving it.

    Each is parsed again by every listing until the cache is saved (~0.2 ms a file); saving it
    re-pickles the live half, 0.3-0.4 s at 100,000 calls (~4 us a call), which the first listing
    after every single ``extend`` or ``add`` paid. One per thousand calls keeps what a listing
    pays for them (0.2 us a call) a twentieth of a save; below 1,000 calls every save is cheap."""
    return files // 1000


def _aligned(cached: list[str], names: list[str]) -> list[str]:
    """``names`` as the cache holds them where the same files are listed in another order (a
    writer appends the names it wrote), or the cache's names then the few new ones where only
    a few were added or removed (those removed then have the signature of a file that is gone,
    and the next cache built leaves them out); else ``names``. Signatures then compare position
    by position. Names that start with the cache's are taken as they are: a listing never names
    a file twice. Comparing the two as sets took 0.06 s at 100,000 calls, which ``scan`` spares
    the next listing by giving the order it aligned to."""
    if cached == names or names[: len(cached)] == cached:  # the order of the last listing
        return names
    listed = set(names)
    # The same files (the usual case, as after a write): one set, not two compared (0.032 ->
    # 0.016 s at 100,000 calls). Neither holds a name twice: equal lengths then say the rest.
    if len(cached) == len(names) and listed.issuperset(cached):
        return cached
    have = set(cached)
    new = listed - have
    if len(new) + len(have - listed) > patch_limit(len(names)):
        return names
    return cached + sorted(new)


def _patched(
    calls_dir: str,
    names: list[str],
    sigs: array[int],
    cache: SummaryCache,
    ahead: RowsAhead,
) -> tuple[dict[str, list[CallSummary]], dict[str, str]] | None:
    """The summaries when only a few files changed since the cache was saved (``patch_limit``;
    else None): the cache's rows (``ahead``) but theirs, and theirs read again. ``names``
    starts with the cache's names. The cache is neither rebuilt nor saved; the next rebuild
    takes them in."""
    limit = patch_limit(len(names))
    changed = differing(cache.sigs, sigs.tobytes(), limit)
    if changed is None:
        return None
    todo = {names[n]: n for n in changed}
    # The racy among the files that kept their signature were racy when the cache was built:
    # those it keeps a digest of, and unreadable ones. Not _racy's pass over every file, which
    # a changed file always triggers (0.03 s at 100,000 calls).
    racy = {name for name in cache.digests if name not in todo}
    if cache.broken:
        trust = _trust_of(cache)
        racy.update(
            name
            for n, name in enumerate(names)
            if name in cache.broken
            and name not in todo
            and trust.racy(sigs[4 * n], sigs[4 * n + 3])
        )
    # Racy entries are checked by content by every listing until a save stamps them old: only
    # a few (a bulk write just before: all of them, which a rebuild checks once and saves).
    if len(todo) + len(racy) > limit:
        return None
    racy = {name for name in racy if not verified(calls_dir, name, cache.digests.get(name))}
    if racy:  # changed by hand within a tick of the cache's stamp: read again as well
        todo.update((name, n) for n, name in enumerate(names) if name in racy)
    there = {name: n for name, n in todo.items() if sigs[4 * n] != -1}  # not removed
    fresh, broken, _ = read_changed(calls_dir, there, sigs, _NEVER, {})
    rows = ahead.rows(skip=todo.keys())
    rows.extend(fresh.values())
    broken.update((name, why) for name, why in cache.broken.items() if name not in todo)
    return {"live" if ahead.live_only else "all": rows}, broken


#: Trusts every file: nothing read by ``_patched`` needs a digest, as nothing it reads is
#: remembered.
_NEVER = Trust(2**63 - 1, 2**63 - 1)


def record_writes(
    calls_dir: str,
    cache_file: CacheFile,
    written: dict[str, Written],
    deleted: set[str],
    clock: Callable[[], int] = time.time_ns,
    listing: Callable[[], list[str]] | None = None,
    unseen: bool = False,
) -> None:
    """Keep the cache warm after a writer changed files: ``written`` maps each file it wrote
    to what it knows of it (``Written``); ``deleted`` names the files it removed; ``unseen``
    when each written file's signature was taken before it was in calls/ (journal.commit_files).

    An existing cache is updated without listing calls/ (its names, less the deleted, plus the
    written). Without one, a cache is built only when ``listing`` (of calls/ after the change)
    is given: an import into an empty store (a few other files there are read, as below).

    As git's index: each written file's signature is taken, then its bytes are read back and
    compared with what was written, and only then is the cache stamped (``clock()``); a file
    changed within ``RACY_SECONDS`` of that stamp is racy (checked by content by the next
    reader), any other is trusted by its signature. A written file whose signature or bytes are
    no longer those it took its place with was changed by someone else: that makes this give up
    and leave the cache to the next reader, as do more other files whose entry does not hold
    (changed by hand or by a single write since the cache was saved) than a listing would read
    on top of it (``patch_limit``); those few are read, as a listing reads them. Files added
    since the cache was saved are not looked for (calls/ is not listed): listings read them on
    top of the cache until it is next rebuilt.
    """
    cache = cache_file.load()
    if cache is not None:
        names = [n for n in cache.names if n not in deleted and n not in written]
        names.extend(written)
    elif listing is not None:
        names = listing()
    else:
        return
    try:
        sigs, newest = looked_at(calls_dir, names)
        fs_ns = reference(calls_dir, newest)
        mine = [(n, name) for n, name in enumerate(names) if name in written]
        if any(sigs[4 * n : 4 * n + 4].tobytes() != written[name][2] for n, name in mine):
            return  # changed by someone else since it took its place: left to the next reader
        # Read back after the signatures were taken: a file changed since it took its place
        # (however close to the rename, whatever it kept) is not vouched for. At 100,000 files
        # about 1 s of one core, so on every core; of files signed before they were in calls/,
        # only those an edit could have kept the signature of (2.3 s of an import's 20).
        if unseen:
            mine = _last_tick(mine, sigs, fs_ns)
        if not all(fork_map(lambda m: verified(calls_dir, m[1], written[m[1]][1]), mine)):
            return
        stamp_ns = clock()
        result = _rebuild(calls_dir, names, sigs, cache, stamp_ns, fs_ns, None, known=written)
    except Unusable:
        return
    if result is not None:
        cache_file.save(result[0])


def _last_tick(mine: list[tuple[int, str]], sigs: array[int], fs_ns: int) -> list[tuple[int, str]]:
    """Of ``mine`` (places in ``sigs`` and names), files each signed before it was in calls/,
    those that an edit made once it was there could have left with the signature it was
    written with: those of the newest ctime among them, as an edit since has a ctime no older;
    all of them where ``fs_ns`` (``signature.reference``) vouches for no clock."""
    if fs_ns == NO_REFERENCE:
        return mine
    ctimes = [sigs[4 * n + 3] for n, _ in mine]
    newest = max(ctimes, default=NO_REFERENCE)
    return [m for m, ctime in zip(mine, ctimes, strict=True) if ctime >= newest]


def _trust(stamp_ns: int, fs_ns: int) -> Trust:
    """The entries trusted by signature in a cache stamped ``stamp_ns`` whose files' newest
    ctime was ``fs_ns`` when they were looked at (``signature.Trust``)."""
    return Trust(stamp_ns - int(RACY_SECONDS * 1e9), fs_ns)


def _trust_of(cache: SummaryCache) -> Trust:
    """Which entries of ``cache`` their file's signature vouches for."""
    return _trust(cache.built_ns, cache.fs_ns)


def _racy(names: list[str], sigs: array[int], trust: Trust) -> list[str]:
    """The names whose file ``trust`` does not vouch for by its signature."""
    ctimes = sigs[3::4]
    if max(ctimes) < trust.fs_ns or max(max(sigs[0::4]), max(ctimes)) < trust.clock_ns:
        return []
    return [name for n, name in enumerate(names) if trust.racy(sigs[4 * n], sigs[4 * n + 3])]


def _restamp(
    cache_file: CacheFile, cache: SummaryCache, names: list[str], sigs: array[int], now_ns: int
) -> None:
    """Save ``cache`` stamped ``now_ns`` if that makes some racy entry (just checked by content)
    old: it is then trusted by signature, and only the entries still racy keep a digest."""
    if now_ns <= cache.built_ns:
        return
    still = set(_racy(names, sigs, _trust(now_ns, cache.fs_ns)))
    if len(still) == len(cache.digests):
        return
    digests = {name: d for name, d in cache.digests.items() if name in still}
    cache_file.save(SummaryCache(**{**cache.fields(), "built_ns": now_ns, "digests": digests}))


class CacheFile:
    """Where the cache of one store lives, and the store's real path, which the file records."""

    __slots__ = ("path", "root")  # a plain class, as layout.Layout

    def __init__(self, path: str | os.PathLike[str], root: str) -> None:
        self.path = os.fspath(path)
        self.root = root

    @classmethod
    def of(cls, real_root: str, cache_dir: str | os.PathLike[str] | None = None) -> CacheFile:
        """The cache file of the store at ``real_root``: in ``cache_dir``, else
        ``$CLUSTERCTL_CACHE_DIR``, else the user's cache directory."""
        base = cache_dir
        if base is None:
            base = os.environ.get("CLUSTERCTL_CACHE_DIR") or None  # empty: unset
        if base is None:
            # Not at the top: config takes 2 ms to import, which a store with its own cache
            # directory never needs.
            from clusterctl.config import user_dir

            base = user_dir("cache")
        name = f"summaries-{store_key(real_root)}.pickle"
        return cls(path_text(os.path.join(base, name)), real_root)

    def beside(self, kind: str) -> str:
        """The file of another cache of the same store (``kind``), in the same directory."""
        return os.path.join(os.path.dirname(self.path), f"{kind}-{store_key(self.root)}.pickle")

    def load(self) -> SummaryCache | None:
        """The cache, or None when it is missing, torn, another store's or not ours alone."""
        from clusterctl.store import pickling  # ~1.5 ms, see store/pickling.py

        try:
            data = read_private(self.path, lambda handle: pickling.PlainUnpickler(handle).load())
            if data is None:
                return None  # someone else wrote it, or could have: rebuild
            if (
                isinstance(data, dict)
                and data.get("format") == CACHE_FORMAT
                and data.get("root") == self.root
                and data.get("zones") == zone_tag()  # deadlines as this zone data reads them
            ):
                return SummaryCache(**data["fields"])
        except Exception:  # a missing, torn or foreign cache is simply rebuilt
            pass
        return None

    def save(self, cache: SummaryCache) -> None:
        """Write the cache file."""
        data = {"format": CACHE_FORMAT, "root": self.root, "zones": zone_tag()}
        data["fields"] = cache.fields()
        from clusterctl.store import pickling  # ~1.5 ms, see store/pickling.py

        # The cache is only an accelerator: a read-only or full cache dir is not an error.
        with contextlib.suppress(OSError):
            # Pickled straight into the file: pickle.dumps would copy the pickled halves, 30 MB
            # at 100,000 calls, at the peak of an import's memory.
            write_private(self.path, lambda out: pickling.dump(data, out))


def _rebuild(
    calls_dir: str,
    names: list[str],
    sigs: array[int],
    cache: SummaryCache | None,
    started_ns: int,
    fs_ns: int,
    open_at: float | None,
    known: dict[str, Written] | None = None,
) -> tuple[SummaryCache, dict[str, list[CallSummary]]] | None:
    """Re-read the files whose signature changed and build the new cache, stamped
    ``started_ns`` and ``fs_ns`` (``SummaryCache``).

    When every change concerns live calls, the closed half is carried over unopened. With
    ``known`` (a writer's files, see ``record_writes``) those are not read, and no summaries are
    returned; of the others only as few as a listing reads on top of the cache (``patch_limit``,
    changed since it was saved): None if more would have to be.
    """
    cached = Recorded([], b"", names) if cache is None else Recorded(cache.names, cache.sigs, names)
    old_digests = cache.digests if cache is not None else {}
    trusted = _trust_of(cache) if cache is not None else Trust(0, NO_REFERENCE)
    trust = _trust(started_ns, fs_ns)  # racy in the cache built now
    digests: dict[str, bytes] = {}
    present: list[str] = []
    changed: dict[str, int] = {}  # name -> its position in names
    for n, name in enumerate(names):
        sig = tuple(sigs[4 * n : 4 * n + 4])
        if sig[0] == -1:
            continue
        present.append(name)
        if (known is not None and name in known) or cached.get(n, name) != sig:
            changed[name] = n
        elif trusted.racy(sig[0], sig[3]) or trust.racy(sig[0], sig[3]):
            # Racy in the old cache or in this one: the old digest, if any, vouches for it (a
            # stamp earlier than the old one, as after a clock set back, makes entries racy
            # again that the old cache trusted: without a digest they are read again).
            digest = old_digests.get(name)
            if digest is not None and verified(calls_dir, name, digest):
                if trust.racy(sig[0], sig[3]):
                    digests[name] = digest
            else:
                changed[name] = n
    if known is not None and sum(name not in known for name in changed) > patch_limit(len(names)):
        return None
    fresh_rows, broken, vanished = read_changed(calls_dir, changed, sigs, trust, digests, known)
    if vanished:
        present = [name for name in present if name not in vanished]
    want = known is None
    if cache is not None:
        # A file unchanged since it was found unreadable is still unreadable.
        still = set(present)
        broken.update((n, r) for n, r in cache.broken.items() if n in still and n not in changed)
        closed_names = set(cache.closed_names)
        dropped = set(cache.closed_dropped)
        dropped |= (set(cache.names) - set(present)) & closed_names
        dropped |= closed_names.intersection(changed)
        # A writer's closed calls go to the closed half, so the whole cache is rebuilt for them.
        all_live = known is None or all(
            row.last_deadline()[1] > started_ns / 1e9 for row in fresh_rows.values()
        )
        if len(dropped) <= MAX_DROPPED and all_live:
            # Only the live half is rebuilt; the closed half is carried over as bytes and
            # its stale rows are skipped by name (a changed closed call is now in the live
            # half, which may hold closed calls: listings filter anyway).
            builder = CacheBuilder(started_ns, fs_ns, all_live=True)
            still_there = set(present)
            if any(n not in changed and n in still_there for n in cache.live_names):
                live_rows = cachedata.load_rows(cache.live_rows, cache.live_names)
                for name, row in zip(cache.live_names, live_rows, strict=True):
                    if name not in changed and name in still_there:
                        builder.add(name, row)
            for name, row in fresh_rows.items():
                builder.add(name, row)
            closed = (cache.closed_names, cache.closed_rows, sorted(dropped))
            fresh = builder.build(names, sigs, closed, broken, digests)
            live_only = open_at is not None and open_at >= cache.built_ns / 1e9
            if not want:
                return fresh, {}
            if live_only:  # the rows at hand, not unpickled again: 35 MB less at 100,000 calls
                return fresh, {"live": [CallSummary._make(r) for r in builder.live.values()]}
            return fresh, {"all": fresh.rows(live_only=False)}
    builder = CacheBuilder(started_ns, fs_ns)
    old_rows: dict[str, tuple] = {}
    # Only rows of files not read again: none if all changed (a checkout; 298 MB at 100,000).
    unread = {n for n in present if n not in fresh_rows and n not in broken}
    if cache is not None and unread:
        # Closed half first: the live half's row wins for a call that has moved to it since.
        for blob_names, blob in (
            (cache.closed_names, cache.closed_rows),
            (cache.live_names, cache.live_rows),
        ):
            rows = zip(blob_names, cachedata.load_rows(blob, blob_names), strict=True)
            old_rows.update((n, r) for n, r in rows if n in unread)
    if cache is not None:
        cache.drop_rows()  # read again or in old_rows (peak 212 -> 196 MB at 100,000, one run)
    summaries: list[CallSummary] = []
    for name in present:
        if name in broken:
            continue
        row = fresh_rows.get(name) or old_rows[name]
        builder.add(name, row)
        if want:
            summaries.append(row if isinstance(row, CallSummary) else CallSummary._make(row))
    return builder.build(names, sigs, broken=broken, digests=digests), (
        {"all": summaries} if want else {}
    )
