"""The store: a directory of call files, read and changed only through Store and Transaction.

The one place that knows the files. Each concern has a module of its own:

    layout       where everything lives, and the rule that names a call's file after its id
    schema       the marker file that makes a directory a store, and its schema version
    tomlfile     the TOML of a call file
    files        atomic replacement of one file
    journal      changes to several files at once, and finishing one that a crash interrupted
    lock         the flock locks in ``.state/``
    cache        the derived cache of call summaries
    signature    what says a call file is unchanged, taken of every file by every listing
    forkmap      work on every file of a large store done on every core (forked workers)
    derived      other values derived from call files (a call's JSON, what check finds in
                 it, what warn needs of it), remembered per file
    pickling     what the cache and derived files are pickled with (loaded only to use them)
    zonetag      the program version and zone data that everything remembered depends on
    idindex      the names in calls/ as the last listing found them (ids that differ in case)
    ledger       the ledger of delivered warnings
    transaction  changes staged under the lock and written as one
    maintenance  check and migrate

Imported when used: a ``show`` or an ``extend`` needs neither the summary cache nor the
ledger, check, derived values or the id index (3.5 of a ``show``'s 61 ms of CPU, measured in
benchmarks/README.md, "Measured 2026-12-03, fourth"), so Store imports each of those in the
methods that use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from clusterctl.errors import ConflictError, NotFoundError, StoreError
from clusterctl.fileread import UnreadableFile, exists, is_file, path_text, read_bounded
from clusterctl.limits import MAX_CALL_FILE_BYTES
from clusterctl.model import Call, CallSummary, validate_id
from clusterctl.store.files import atomic_write
from clusterctl.store.journal import recover, settle
from clusterctl.store.layout import (
    GITIGNORE,
    SUFFIX,
    WARN_LOCK,
    Layout,
    call_name,
    has_entries,
    id_of,
)
from clusterctl.store.lock import flock
from clusterctl.store.schema import (
    MIGRATIONS,
    check_root,
    ensure_store,
    marker_version,
    require_schema,
    store_exists,
)
from clusterctl.store.tomlfile import TomlFileError, Unreadable, call_bytes, read_call

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from clusterctl.store.cache import CacheFile
    from clusterctl.store.files import StrPath
    from clusterctl.store.idindex import IdIndex
    from clusterctl.store.ledger import Ledger
    from clusterctl.store.transaction import Transaction

    T = TypeVar("T")


__all__ = [
    "GITIGNORE",
    "MAX_CALL_FILE_BYTES",
    "MIGRATIONS",
    "Store",
    "TomlFileError",
    "Unreadable",
    "UnreadableFile",
    "atomic_write",
    "read_bounded",
]


class Store:
    """A store directory. Reads never create it; the first change does.

    ``clock``: what the summary cache takes as the moment it is built (see cache.scan); a test
    passes a later moment instead of waiting for one.

    Its paths are strings, ``root`` as pathlib would write it (``fileread.path_text``): a Path
    given (a test's) is taken as its text.
    """

    def __init__(
        self,
        root: StrPath,
        lock_timeout: float = 10.0,
        cache_dir: StrPath | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.root = path_text(root)
        self.lock_timeout = lock_timeout
        self.cache_dir = None if cache_dir is None else os.fspath(cache_dir)
        self.clock = clock
        self.layout = Layout(self.root)
        self._summaries_by: dict[str, list[CallSummary]] = {}
        self._resolved_root: str | None = None
        self._unreadable: list[Unreadable] = []

    def __repr__(self) -> str:
        return f"Store(root={self.root!r}, lock_timeout={self.lock_timeout!r})"

    @property
    def calls_dir(self) -> str:
        return self.layout.calls_dir

    @property
    def state_dir(self) -> str:
        return self.layout.state_dir

    def call_path(self, call_id: str) -> str:
        """The file of ``call_id`` (validated first: an id is never used as a path unchecked)."""
        return self.layout.call_path(call_id)

    # --- schema ------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when the store directory holds a store marker (or anything at all)."""
        return store_exists(self.layout)

    def schema_version(self) -> int:
        """The schema version in the marker file; StoreError if missing or malformed."""
        return marker_version(self.layout)

    # --- reading -------------------------------------------------------------------------------

    def get(self, call_id: str) -> Call:
        """Read one call straight from its file."""
        path = self.call_path(call_id)
        if not self.exists():
            raise NotFoundError(f"no call {call_id!r}: there is no store at {self.root} yet")
        require_schema(self.layout)
        settle(self.layout, self.lock_timeout)
        try:
            return read_call(path)
        except FileNotFoundError:
            twin = self.case_twins([call_id]).get(call_id)
            hint = f"; did you mean {twin!r}?" if twin else ""
            raise NotFoundError(f"no call {call_id!r} in {self.root}{hint}") from None

    def find(self, call_id: str) -> Call | None:
        """The call, or None if it does not exist."""
        try:
            return self.get(call_id)
        except NotFoundError:
            return None

    def get_many(
        self, call_ids: Iterable[str], *, unreadable: list[Unreadable] | None = None
    ) -> list[Call]:
        """Read several calls from their files, in the given order (schema checked once).

        Strict unless given ``unreadable``: then a file that cannot be read is added to it (see
        ``summaries``) and one that vanished since it was listed is left out, not an error.
        """
        ids = list(call_ids)
        if not ids:
            return []
        if not self.exists():
            raise NotFoundError(f"no call {ids[0]!r}: there is no store at {self.root} yet")
        require_schema(self.layout)
        settle(self.layout, self.lock_timeout)
        calls = []
        for call_id in ids:
            path = self.call_path(call_id)
            try:
                calls.append(read_call(path))
            except FileNotFoundError:
                if unreadable is None:
                    raise NotFoundError(f"no call {call_id!r} in {self.root}") from None
                # Removed since it was listed (a concurrent remove, a git pull): gone, not broken.
            except TomlFileError as exc:
                _hand_over([Unreadable(path, exc.reason)], unreadable)
        return calls

    def derive(
        self,
        call_ids: Iterable[str],
        kind: str,
        make: Callable[[Call], T],
        *,
        unreadable: list[Unreadable],
    ) -> list[T]:
        """``make(call)`` for each call that can be read, in order, remembered across runs while
        its file is unchanged (store/derived.py; ``kind`` names what ``make`` makes, with its
        version). Lenient as ``get_many`` with ``unreadable``."""
        ids = list(call_ids)
        if not ids:
            return []
        require_schema(self.layout)
        settle(self.layout, self.lock_timeout)
        named = self._derive([call_name(i) for i in ids], kind, make, unreadable)
        return [value for _, value in named]

    def derive_every(
        self, kind: str, make: Callable[[Call], T], *, unreadable: list[Unreadable]
    ) -> list[tuple[str, T]]:
        """(id, ``make(call)``) for every call of the store that can be read, in no particular
        order; remembered and lenient as ``derive``. For an export that needs nothing else of
        each call, not even its summary."""
        names = self._names()
        if names is None:
            return []
        cut = -len(SUFFIX)  # id_of, without a call for each of 100,000 names
        return self._derive(names, kind, make, unreadable, [name[:cut] for name in names])

    def _derive(
        self,
        names: list[str],
        kind: str,
        make: Callable[[Call], T],
        unreadable: list[Unreadable],
        labels: list[str] | None = None,
    ) -> list[tuple[str, T]]:
        from clusterctl.store.derived import DerivedFile, derive  # see the module docstring
        from clusterctl.store.zonetag import zone_tag  # see the module docstring

        file = DerivedFile(self._cache_file(), kind, zone_tag())
        found: list[Unreadable] = []
        calls_dir, present = self.calls_dir, self.layout.call_names
        named = derive(calls_dir, names, file, make, found, present, self.clock, labels)
        _hand_over(found, unreadable)
        return named

    def summaries(
        self, *, open_at: float | None = None, unreadable: list[Unreadable] | None = None
    ) -> list[CallSummary]:
        """Call summaries, from the cache where it is provably fresh, else from the files.

        With ``open_at`` (a POSIX time) the result may leave out calls that had closed for good
        before the cache was built and are therefore closed at ``open_at``: listings of open or
        forthcoming calls then never load the (usually many) closed ones.

        Strict unless given ``unreadable``: the first call file that cannot be read raises its
        TomlFileError. A lenient read adds each such file to ``unreadable`` (once, however many
        reads find it) and returns the summaries of all the others; the caller must report them.
        """
        known = self._summaries_by
        if "all" in known:
            found = known["all"]
        elif open_at is not None and "live" in known:
            found = known["live"]
        else:
            by_key, broken = self._scan(open_at)
            known.update(by_key)
            calls_dir = self.calls_dir
            self._unreadable = [
                Unreadable(os.path.join(calls_dir, n), r) for n, r in sorted(broken.items())
            ]
            found = known["all"] if "all" in known else known["live"]
        _hand_over(self._unreadable, unreadable)
        return found

    def forget_summaries(self) -> None:
        """Drop the summaries this Store keeps between calls of ``summaries`` (to free memory:
        100,000 take 90 MB); the next call reads them again."""
        self._summaries_by = {}

    def all_calls(self) -> list[Call]:
        """Every call, parsed from its file."""
        return self.get_many(s.id for s in self.summaries())

    def ids(self) -> list[str]:
        """Every call id, sorted (for completion and scripts)."""
        if not self.exists():
            return []
        return sorted(id_of(name) for name in self.layout.call_names())

    def _real_root(self) -> str:
        """The store's real path (symbolic links resolved): what its cache is keyed by."""
        if self._resolved_root is None:
            real = os.path.realpath(self.root)
            try:  # as Path.resolve(): a loop of links is an error, not a path
                os.stat(real)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise RuntimeError(f"Symlink loop from {exc.filename!r}") from exc
            self._resolved_root = real
        return self._resolved_root

    def _readable(self) -> bool:
        """True when there is a store with calls to read: its schema checked, an interrupted
        change finished (journal.settle)."""
        if not exists(self.root):
            return False
        check_root(self.root)
        if not exists(self.layout.marker) and not exists(self.calls_dir):
            return False
        require_schema(self.layout)
        settle(self.layout, self.lock_timeout)
        return True

    def _names(self) -> list[str] | None:
        """The names of the call files, None when there is no store (or no calls/) to read."""
        if not self._readable():
            return None
        names, listed, remember = self._listing()
        if listed:
            remember(names, False)
        return names

    def _listing(self) -> tuple[list[str], bool, Callable[[list[str], bool], None]]:
        """The names of the call files of a readable store; whether calls/ had to be listed for
        them; and what records names in the index, ``(names, replace)`` as ``IdIndex.refresh``
        takes them: what was listed anyway spares the next run a listing of calls/."""
        from clusterctl.store.idindex import signature  # see the module docstring

        listed_ns = time.time_ns()
        sig = signature(self.calls_dir)  # before the listing: a later change changes it
        index = self._id_index()
        # The names of calls/ as the last listing found them, while calls/ provably has not
        # changed since (idindex.py): listing 100,000 names again was 0.1 s of every listing.
        names = index.name_list(sig)
        listed = names is None
        if names is None:
            names = self.layout.call_names()

        def remember(order: list[str], replace: bool) -> None:
            index.refresh(sig, listed_ns, order, replace=replace)

        return names, listed, remember

    def _scan(self, open_at: float | None) -> tuple[dict[str, list[CallSummary]], dict[str, str]]:
        """Validate the cache against every call file; re-read what changed; save if needed."""
        from clusterctl.store.cache import scan  # see the module docstring

        if not self._readable():
            return {"all": []}, {}
        names, listed, remember = self._listing()
        if not names:
            return {"all": []}, {}
        summaries, broken, aligned = scan(
            self.calls_dir, names, self._cache_file(), open_at, self.clock
        )
        if listed or aligned is not None:
            # In the order the cache holds them, the next listing need not align them to it.
            remember(names if aligned is None else aligned, aligned is not None)
        return summaries, broken

    def case_twins(self, call_ids: Iterable[str]) -> dict[str, str]:
        """id -> the existing id it equals but for case, for each such id of ``call_ids``."""
        from clusterctl.store.idindex import case_twins  # see the module docstring

        return case_twins(self.layout, self._id_index(), call_ids)

    def _cache_file(self) -> CacheFile:
        """The file of this store's summary cache, beside which its derived files are kept."""
        from clusterctl.store.cache import CacheFile  # see the module docstring

        return CacheFile.of(self._real_root(), self.cache_dir)

    def _id_index(self) -> IdIndex:
        from clusterctl.store.idindex import IdIndex  # see the module docstring

        return IdIndex.of(self._real_root(), self.cache_dir)

    # --- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock the store, yield a Transaction, and write its changes atomically on success.

        The first change creates the store; nothing is created or locked for a store that this
        program cannot read (missing marker beside calls/, newer or older schema).
        """
        from clusterctl.store.transaction import Transaction  # see the docstring

        check_root(self.root)
        if self.exists():
            require_schema(self.layout)
        with flock(self.layout, self.lock_timeout):
            ensure_store(self.layout, create=False)  # again under the lock: writers may race
            recover(self.layout)
            txn = Transaction(self.layout, self.case_twins)
            yield txn
            bulk = len(txn.written_ids()) >= BULK_WRITE
            into_empty = bulk and not has_entries(self.calls_dir)
            txn.commit()
            if bulk:
                self._warm_cache(txn, into_empty)
        self._summaries_by = {}

    def _warm_cache(self, txn: Transaction, into_empty: bool) -> None:
        """Put what ``txn`` just wrote into the summary cache (under the lock, after the commit),
        so that the next listing need not parse it (cache.record_writes). An existing cache is
        updated; a new one is made only by a write into an empty calls/ (an import).

        Only bulk writes do this (``BULK_WRITE``): for one call, updating the cache costs the
        writer more (every file's stat, the live half re-pickled) than parsing that one file
        costs the next listing (measured at 10,000 calls: add +0.08 s, the listing -0.05 s)."""
        if not txn.changed():
            return
        try:
            written = txn.take_written()
        except (ValueError, OverflowError):  # a summary that cannot be made: readers will say
            return
        # The cache is only an accelerator: a write that is committed never fails because of it.
        from clusterctl.store.cache import record_writes  # see the module docstring

        with contextlib.suppress(OSError, StoreError):
            cache_file = self._cache_file()
            deleted = {call_name(i) for i in txn.deleted_ids()}
            listing = self.layout.call_names if into_empty else None

            # Never later than the real clock (a test's clock may run ahead): a writer must not
            # trust its own files sooner than real time allows.
            def clock() -> int:
                return min(self.clock(), time.time_ns())

            unseen = txn.signed_unseen
            record_writes(self.calls_dir, cache_file, written, deleted, clock, listing, unseen)

    def _require_existing(self, call_id: str) -> None:
        validate_id(call_id)  # before taking the lock: a bad id changes nothing, not even it
        if not self.exists():  # changing a call of a store that does not exist creates nothing
            raise NotFoundError(f"no call {call_id!r}: there is no store at {self.root} yet")

    def add(self, call: Call, *, replace: bool = False) -> None:
        """Add one call; ConflictError if its id exists (unless ``replace``)."""
        call_bytes(call)  # before taking the lock: a call beyond the limits creates nothing
        with self.transaction() as txn:
            # Read, not just test: a file that does not parse is refused, never overwritten.
            if txn.find(call.id) is not None and not replace:
                raise ConflictError(f"a call with id {call.id!r} already exists")
            txn.put(call)

    def update(self, call_id: str, change: Callable[[Call], Call]) -> Call:
        """Apply ``change`` to the freshly read call under the lock and store the result."""
        self._require_existing(call_id)
        with self.transaction() as txn:
            new = change(txn.get(call_id))
            txn.put(new)
        return new

    def remove(self, call_id: str) -> Call | None:
        """Delete one call's file and return what it held: None if it could not be read.

        A file that does not parse (a conflict marker, a typo, a wrong id) is removed all the
        same: removing it is how it gets cleaned up. Anything but a file (a directory named like
        one) is refused as unreadable.
        """
        self._require_existing(call_id)
        with self.transaction() as txn:
            try:
                old: Call | None = txn.get(call_id)
            except TomlFileError:
                if not is_file(self.call_path(call_id)):  # follows a link, as reads do
                    raise
                old = None
            txn.delete(call_id)
        return old

    # --- warnings ledger -------------------------------------------------------------------

    def read_ledger(self) -> Ledger:
        """The ledger, read without the lock (for a dry run, which changes nothing)."""
        from clusterctl.store.ledger import Ledger  # see the module docstring

        if not self.exists():
            return Ledger(path=self.layout.ledger, sent={})
        return Ledger.load(self.layout.ledger, self._ledger_fallback())

    def _ledger_fallback(self) -> str:
        """Where delivered warnings go when the ledger cannot be written (another disk, often)."""
        # Not at the top: config takes 2 ms to import (see CacheFile.of).
        from clusterctl.config import user_dir
        from clusterctl.store.cache import store_key  # see the module docstring

        name = f"undelivered-ledger-{store_key(self._real_root())}.json"
        return os.path.join(user_dir("state"), name)

    @contextlib.contextmanager
    def warning_ledger(self) -> Iterator[Ledger]:
        """Hold the warn lock and yield the ledger of delivered warnings; saved if changed."""
        from clusterctl.store.ledger import Ledger  # see the module docstring

        if not self.exists():
            yield Ledger(path=self.layout.ledger, sent={})
            return
        require_schema(self.layout)
        with flock(self.layout, self.lock_timeout, WARN_LOCK, "the warnings ledger"):
            ledger = Ledger.load(self.layout.ledger, self._ledger_fallback())
            yield ledger
            if ledger.dirty:
                ledger.save()

    # --- portal syncs -------------------------------------------------------------------------

    def sync_history(self) -> list[dict[str, Any]]:
        """Every recorded portal sync, oldest first (local state, not shared through git)."""
        from clusterctl.store.history import read_history  # see the module docstring

        return read_history(self.layout.sync_history) if self.exists() else []

    def record_syncs(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append ``entries`` (one per search run) to the sync history, under the store's lock."""
        from clusterctl.store.history import append_history  # see the module docstring

        with flock(self.layout, self.lock_timeout):
            append_history(self.layout.sync_history, entries)

    # --- check and migrate -------------------------------------------------------------------

    def check(self) -> list[str]:
        """Every problem in the store, as one-line messages; empty when the store is sound."""
        return self.survey()[0]

    def survey(self) -> tuple[list[str], int]:
        """``check``'s problems, and how many calls the store holds."""
        from clusterctl.store.derived import DerivedFile  # see the module docstring
        from clusterctl.store.maintenance import check_tag, survey_store  # see the docstring

        remembered = DerivedFile(self._cache_file(), "check", check_tag())
        return survey_store(self.layout, self.lock_timeout, remembered, self.clock)

    def migrate(self, now: datetime | None = None) -> tuple[int, int, str | None]:
        """Upgrade an older schema step by step, keeping a backup; return (from, to, backup)."""
        from clusterctl.store.maintenance import migrate_store  # see the module docstring

        result = migrate_store(self.layout, self.lock_timeout, now)
        if result[2] is not None:
            self._summaries_by = {}
        return result


#: How many files a write must write to update the summary cache itself (an import, a sync):
#: fewer are parsed by the next listing in less time than the update takes (Store._warm_cache).
BULK_WRITE = 100


def _hand_over(found: list[Unreadable], into: list[Unreadable] | None) -> None:
    """Add the unreadable files ``found`` to ``into`` (a lenient read), each file once; with no
    ``into`` (a strict read), raise the error of the first one."""
    if into is None:
        if found:
            raise found[0].error()
        return
    known = {u.path for u in into}
    into.extend(u for u in found if u.path not in known)
