"""Values derived from call files (a call's JSON text), remembered across runs.

A JSON export used to parse every call file and build its JSON again on each run: ~2 s of
CPU at 10,000 calls against 0.3 s for ``task export``. This file, beside the summary cache and
as disposable, maps each call file to what was derived from it, with the file's signature
(mtime, size, inode, ctime), the moment it was read, the newest ctime of the files looked at
before (``signature.looked_at``) and the digest of the bytes read.

An entry is used only while its file provably holds those bytes: the same signature, and not
racy (``signature.Trust``: a later edit within the file system's time granularity could keep
the signature: then the bytes are read and their digest compared, as for racy entries of the
summary cache, cache.py). Everything else is derived again from the file.

The file keeps its entries in order, with their files' signatures packed in that order and the
names of the racy ones. A run that names every file remembered (an export of every call,
``check``; in any order, new files too) looks at them in that order, compares all their
signatures at once and looks at an entry on its own only where its file changed, is new or is
racy; a run that names fewer looks at each entry on its own.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Sequence

from clusterctl.model import Call
from clusterctl.store.cache import RACY_SECONDS, CacheFile, patch_limit
from clusterctl.store.files import read_private, write_private
from clusterctl.store.forkmap import fork_map
from clusterctl.store.readahead import advise
from clusterctl.store.reread import content_digest
from clusterctl.store.signature import differing, looked_at, racy, reference
from clusterctl.store.signature import of as signature_of
from clusterctl.store.tomlfile import (
    TomlFileError,
    Unreadable,
    parse_call,
    read_call_bytes,
    read_toml_file,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")
    Entries = dict[str, tuple[bytes, Any]]
    #: The entries, their signatures packed in their order, the names of the racy ones.
    Remembered = tuple[Entries, bytes, set[str]]
    #: What making one file's value gave: its entry (as ``Entries``), or (display, reason) of
    #: a file that cannot be read, or None for one that is not there.
    _Made = tuple[bytes, Any] | tuple[str, str] | None


#: Bump when what an entry holds changes; a file of another format is ignored and replaced.
#: 3: the entries' signatures packed in their order, and the racy names; 4: 3 could keep a
#: value under the signature of no file (7d76c22, 3995b8d^..): never trusted again; 5: the
#: file system's reference of each entry.
DERIVED_FORMAT = 5

RACY_NS = int(RACY_SECONDS * 1e9)

#: name -> (the file's signature (mtime, size, inode, ctime), when it was read (ns) and the
#: newest ctime of the files looked at before (``Trust.fs_ns``), packed as ``_META``, then the
#: digest of the bytes read; the derived value). Packed: 100,000 entries of tuples and ints
#: took 40 MB more.
_META = struct.Struct("<6q")
_SIG = struct.Struct("<4q")  # the start of _META
_AT = struct.Struct("<2q")  # its end


class DerivedFile:
    """The file of one kind of derived value (``kind``, with its version) for one store; its
    entries hold only while ``tag`` (what else they depend on) is the same."""

    __slots__ = ("kind", "path", "root", "tag")

    def __init__(self, summaries: CacheFile, kind: str, tag: str = "") -> None:
        self.path = summaries.beside(kind)
        self.root = summaries.root
        self.kind = kind
        self.tag = tag

    def load(self) -> Remembered:
        """The entries, with the signatures of their files packed in their order and the names
        of those racy when read (``Remembered``); none when the file is missing, torn, another
        store's or not ours."""
        from clusterctl.store import pickling  # ~1.5 ms, see store/pickling.py

        try:
            # Unpickled from the file, never read whole first: at 100,000 calls the templates
            # of a JSON export are 116 MB of pickle.
            data = read_private(self.path, lambda handle: pickling.PlainUnpickler(handle).load())
            if data is None:
                return {}, b"", set()
            if (
                isinstance(data, dict)
                and data.get("format") == DERIVED_FORMAT
                and data.get("root") == self.root
                and data.get("kind") == self.kind
                and data.get("tag", "") == self.tag
                and isinstance(data.get("entries"), dict)
                and isinstance(data.get("sigs"), bytes)
                and len(data["sigs"]) == _SIG.size * len(data["entries"])
                and isinstance(data.get("racy"), list)
            ):
                return data["entries"], data["sigs"], set(data["racy"])
        except Exception:  # derived again from the files
            pass
        return {}, b"", set()

    def save(self, entries: Entries) -> None:
        """Write ``entries`` in their order, with what ``load`` gives beside them."""
        sigs = bytearray()
        racy_names = []
        for name, entry in entries.items():
            if _shaped(entry):
                sigs += entry[0][: _SIG.size]
                if not _racy(entry[0]):
                    continue
            else:  # not one this version writes (a test, a bug): looked at on its own
                sigs += bytes(_SIG.size)
            racy_names.append(name)
        data = {
            "format": DERIVED_FORMAT,
            "root": self.root,
            "kind": self.kind,
            "tag": self.tag,
            "entries": entries,
            "sigs": bytes(sigs),
            "racy": racy_names,
        }
        from clusterctl.store import pickling  # ~1.5 ms, see store/pickling.py

        # Only an accelerator: a read-only or full cache directory is not an error.
        with contextlib.suppress(OSError):
            write_private(self.path, lambda out: pickling.dump_without_memo(data, out))


def derive(
    calls_dir: str,
    names: Iterable[str],
    file: DerivedFile,
    make: Callable[[Call], T],
    unreadable: list[Unreadable],
    present: Callable[[], Collection[str]],
    clock: Callable[[], int] = time.time_ns,
    labels: Sequence[str] | None = None,
) -> list[tuple[str, T]]:
    """(label, ``make(call)``) for the call in each file of ``names`` that can be read, in
    order, labelled by its name or by the same place in ``labels``.

    A file that cannot be read is added to ``unreadable``, as is one whose call ``make`` cannot
    take (ValueError, OverflowError: a moment out of range, as ``parse_summary`` says); one that
    is gone is left out. ``present()`` lists the store's files: entries of files no longer
    there are dropped. ``clock()`` stamps when a file is read (nanoseconds, the clock of file
    times).
    """

    def made(raw: bytes, path: str) -> T:
        call = parse_call(raw, path)
        try:
            return make(call)
        except (ValueError, OverflowError) as exc:
            raise TomlFileError(path, str(exc)) from None

    names = list(names)
    results, read = _derived(calls_dir, names, file, made, present, clock, labels)
    # Only a file read now can be gone or unreadable: the others are not looked at one by one
    # (at 100,000 calls that pass was 0.05 s of every warm export).
    left_out = {n for n in read if _left_out(results[n][1])}
    for n in sorted(left_out):
        value = results[n][1]
        if isinstance(value, TomlFileError):
            unreadable.append(Unreadable(os.path.join(calls_dir, names[n]), value.reason))
    if left_out:
        return [result for n, result in enumerate(results) if n not in left_out]  # type: ignore[misc]
    return results  # type: ignore[return-value]


#: What ``derive_from_bytes`` gives for a file that is not there (removed since it was listed).
GONE: Any = object()


def derive_from_bytes(
    calls_dir: str,
    names: Iterable[str],
    file: DerivedFile,
    make: Callable[[bytes, str], T],
    present: Callable[[], Collection[str]],
    clock: Callable[[], int] = time.time_ns,
) -> list[tuple[str, T | TomlFileError]]:
    """(name, ``make(bytes, path)``) for each file of ``names``, in order, remembered as
    ``derive`` remembers; a file that cannot be read, or whose ``make`` raises TomlFileError,
    gives that error (not remembered), and one that is not there gives ``GONE``.
    """
    return _derived(calls_dir, list(names), file, make, present, clock, None)[0]


def _derived(
    calls_dir: str,
    names: list[str],
    file: DerivedFile,
    make: Callable[[bytes, str], T],
    present: Callable[[], Collection[str]],
    clock: Callable[[], int],
    labels: Sequence[str] | None,
) -> tuple[list[tuple[str, T | TomlFileError]], array[int]]:
    """``derive_from_bytes`` labelled as ``derive`` labels, and the places of the files read
    now: the only ones that can be gone or unreadable."""
    labels = names if labels is None else labels
    loaded: list[Remembered] = []
    # Mostly taken by a worker while this process loads what is remembered (0.17 s at 100,000
    # calls): an export's remembered templates took 0.44 s instead of 0.58 (phases.py --export,
    # medians of 15 interleaved rounds).
    sigs, newest = looked_at(calls_dir, names, lambda: loaded.append(file.load()))
    fs_ns = reference(calls_dir, newest)
    remembered = loaded[0]
    order = list(remembered[0])  # the remembered names, in their order
    turn = _saved_order(names, order)
    if turn is None:
        return _derived_in_order(
            calls_dir, names, labels, (sigs, fs_ns), file, remembered, order, make, present, clock
        )
    # Every remembered file named, in another order (all open calls in order of deadline, a
    # listing after an add): looked at in the remembered order, given back in the one asked.
    turned = array("q")
    for k in turn:
        turned.extend(sigs[4 * k : 4 * k + 4])
    results, read = _derived_in_order(
        calls_dir,
        [names[k] for k in turn],
        [labels[k] for k in turn],
        (turned, fs_ns),
        file,
        remembered,
        order,
        make,
        present,
        clock,
    )
    given: list[Any] = [None] * len(names)
    for place, k in enumerate(turn):
        given[k] = results[place]
    return given, array("q", sorted(turn[place] for place in read))


def _saved_order(names: list[str], order: list[str]) -> list[int] | None:
    """The places in ``names`` of the remembered names in their ``order``, then of the others,
    when ``names`` are not already in that order but hold every one of them; else None."""
    if names[: len(order)] == order or len(names) < len(order):
        return None
    where = {name: k for k, name in enumerate(names)}
    if len(where) < len(names):  # a name given twice
        return None
    turn = [where.get(name, -1) for name in order]
    if -1 in turn:  # not all of them (a few calls, or one removed): each entry looked at
        return None
    saved = set(order)
    turn.extend(k for k, name in enumerate(names) if name not in saved)
    return turn


def _derived_in_order(
    calls_dir: str,
    names: list[str],
    labels: Sequence[str],
    looked: tuple[array[int], int],
    file: DerivedFile,
    remembered: Remembered,
    order: list[str],
    make: Callable[[bytes, str], T],
    present: Callable[[], Collection[str]],
    clock: Callable[[], int],
) -> tuple[list[tuple[str, T | TomlFileError]], array[int]]:
    """``_derived`` of ``names`` as given, with their signatures and the newest ctime among them
    (``looked``, ``signature.looked_at``) taken before any is read, and what ``file`` remembers
    (``order``: the names of its entries, in their order)."""
    sigs, fs_ns = looked
    entries, saved_sigs, racy_names = remembered
    pruned = False
    made_again = 0  # entries made or stamped again
    # Entries of other files too (more of them, or as many with one not named, as after a
    # remove and an add): are they all still there?
    if len(entries) > len(names) or (
        names[: len(order)] != order and not set(names).issuperset(order)
    ):
        there = set(present())
        if any(name not in there for name in entries):
            entries = {name: entry for name, entry in entries.items() if name in there}
            order, saved_sigs = list(entries), b""  # each looked at below
            pruned = True
    # Updated in place, not copied: the loaded entries are this run's own (a copy of 100,000
    # is 5 MB more at the peak of an export).
    kept = entries
    packed = _packed(sigs)
    results = covered = _remembered(names, labels, order, entries)
    if results is not None:
        # Named in the order remembered (new files last): every signature compared at once, an
        # entry looked at on its own only where its file differs or is racy. At 100,000 calls
        # looking at each took 0.2 s of every warm export.
        differ = differing(saved_sigs, packed, len(names))
        assert differ is not None  # no limit: every place may differ
        if racy_names:
            differ.extend(n for n, name in enumerate(order) if name in racy_names)
        suspects = sorted(set(differ))
    else:
        results = [(label, GONE) for label in labels]
        suspects = list(range(len(names)))
    misses = array("q")  # the positions in names (and results) of the files to read
    for n in suspects:
        name = names[n]
        sig: bytes | None = packed[32 * n : 32 * n + 32]
        if sig == _GONE_SIG:
            sig = None
        entry = entries.get(name)
        if not _shaped(entry):
            entry = None  # not one this version writes: made again
        if sig is not None and entry is not None and entry[0].startswith(sig):
            digest = entry[0][_META.size :]
            if not _racy(entry[0]):
                results[n] = (labels[n], entry[1])
                continue
            # Changed shortly before it was read: trusted only by its bytes. Checked now,
            # the entry is stamped now (git's racy-index rule), so this is done once (for a
            # few entries, patch_limit, once a run until the file is next saved).
            read_at = clock()
            raw = _bytes(os.path.join(calls_dir, name))
            if raw is not None and content_digest(raw) == digest:
                kept[name] = (sig + _AT.pack(read_at, fs_ns) + digest, entry[1])
                results[n] = (labels[n], entry[1])
                made_again += 1
                continue
        misses.append(n)
        results[n] = (labels[n], GONE)  # filled below
        # Never used again: let go before the new values are made (after every file changed,
        # 100,000 old templates beside the new took an export to 269 MB).
        kept.pop(name, None)

    def made(place: int) -> _Made:
        path = os.path.join(calls_dir, names[place])
        sig = packed[32 * place : 32 * place + 32]  # taken above, before the bytes are read
        read_at = clock()
        try:
            raw, info = read_toml_file(path, path)
            if sig != _SIG.pack(*signature_of(info)):
                # Not the file looked at above (no file then, a link to none, replaced since):
                # its signature vouches for nothing, so the value is given but not kept.
                sig = _GONE_SIG
            return (sig + _AT.pack(read_at, fs_ns) + content_digest(raw), make(raw, path))
        except FileNotFoundError:  # removed since it was listed: gone, not broken
            return None
        except TomlFileError as exc:
            return (exc.display, exc.reason)

    # A first export after an import parses every file: on every core (store/forkmap.py).
    def ahead(places: Sequence[int]) -> None:  # see store/readahead.py
        advise(calls_dir, [names[place] for place in places])

    for place, result in zip(misses, fork_map(made, misses, ahead), strict=True):
        name = names[place]
        if result is None or isinstance(result[0], str):
            kept.pop(name, None)
            if result is not None:
                results[place] = (labels[place], TomlFileError(*result))
        else:
            results[place] = (labels[place], result[1])
            # A file that was not there when looked at (removed and written again since, as a
            # checkout does) has no signature to trust its value by: made again next time.
            if not result[0].startswith(_GONE_SIG):
                kept[name] = result
                made_again += 1
    # A few new entries are made again by the next run rather than saved: saving re-pickles
    # every entry, 0.3-0.5 s for an export of 100,000 calls after a single extend (as the
    # summary cache does, cache.patch_limit). When these names hold every entry (in the
    # remembered order, the new ones last), they are saved in that order: those made again
    # here went last, and the next such run compares all signatures at once.
    if pruned or made_again > patch_limit(len(names)):
        file.save(kept if covered is None else _ordered(kept, names))
    return results, misses


def _remembered(
    names: list[str], labels: Sequence[str], order: list[str], entries: Entries
) -> list[tuple[str, Any]] | None:
    """(label, remembered value) for each of ``names``, GONE for the new ones, when ``names``
    start with the entries' names in their ``order``; else None."""
    if names[: len(order)] != order:
        return None
    try:
        remembered = zip(labels[: len(order)], entries.values(), strict=True)
        results = [(label, entry[1]) for label, entry in remembered]
    except (TypeError, IndexError, KeyError):  # an entry of another shape: each looked at
        return None
    results.extend((label, GONE) for label in labels[len(order) :])
    return results


def _left_out(value: object) -> bool:
    return value is GONE or isinstance(value, TomlFileError)


def _ordered(entries: Entries, first: list[str]) -> Entries:
    """``entries`` of the names ``first`` in that order, then the others in theirs."""
    if len(entries) == len(first) and list(entries) == first:  # as made: no copy (10 MB)
        return entries
    ordered = {name: entries[name] for name in first if name in entries}
    if len(ordered) < len(entries):
        ordered.update((name, entry) for name, entry in entries.items() if name not in ordered)
    return ordered


def _racy(meta: bytes) -> bool:
    """Whether the entry whose ``_META`` starts ``meta`` is racy (``signature.Trust``)."""
    mtime, _, _, ctime, read_at, fs_ns = _META.unpack_from(meta)
    return mtime == -1 or racy(mtime, ctime, read_at - RACY_NS, fs_ns)


def _shaped(entry: object) -> bool:
    """True if ``entry`` has the shape of the entries this version writes."""
    return (
        isinstance(entry, tuple)
        and len(entry) == 2
        and isinstance(entry[0], bytes)
        and len(entry[0]) > _META.size
    )


_GONE_SIG = _SIG.pack(-1, -1, -1, -1)


def _packed(sigs: array[int]) -> bytes:
    """The signatures of ``signatures`` as ``_SIG`` packs them, one after the other."""
    if sys.byteorder != "little":
        sigs.byteswap()
    return sigs.tobytes()


def _bytes(path: str) -> bytes | None:
    try:
        return read_call_bytes(path)
    except (OSError, TomlFileError):
        return None
