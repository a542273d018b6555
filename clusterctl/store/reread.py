"""Reading the call files the summary cache no longer vouches for (``cache.py``): their
summaries, the digests of their bytes, and why a file cannot be read."""

from __future__ import annotations

import os

# _blake2, not hashlib: importing hashlib loads OpenSSL (5 ms of every listing; see store_key).
from _blake2 import blake2b
from array import array

from clusterctl.records import NamedTuple
from clusterctl.store.forkmap import fork_map
from clusterctl.store.readahead import advise
from clusterctl.store.signature import GONE as _GONE
from clusterctl.store.signature import UNTRUSTED as _UNTRUSTED
from clusterctl.store.signature import Trust, holds
from clusterctl.store.tomlfile import (
    TomlFileError,
    parse_summary,
    read_call_bytes,
    read_toml_file,
)
from clusterctl.summary import CallSummary

_DANGLING = "a symbolic link to a file that does not exist"

#: What a writer knows of a file it wrote (``record_writes``): the summary of its call, the
#: digest of its bytes and its signature right after it took its place (as in ``sigs``), or,
#: in a first import's fresh directory (fill.py), right after it was written there.
Written = tuple[CallSummary, bytes, bytes]


class Unread(NamedTuple):
    """Why a file cannot be read, when the signature taken before does not say so: it is
    reported, and read again next time (a passing error of the system, a file replaced)."""

    reason: str


class Read(NamedTuple):
    """A file read whose summary needs more said of it: the digest of its bytes (if racy), and
    whether the signature taken before it was read is its own."""

    summary: CallSummary
    digest: bytes | None
    trusted: bool


def content_digest(raw: bytes) -> bytes:
    """The digest of a call file's bytes that a racy entry is checked against."""
    return blake2b(raw, digest_size=16).digest()


def verified(calls_dir: str, name: str, digest: bytes | None) -> bool:
    """True when the file ``name`` still holds the bytes whose digest is ``digest``."""
    if digest is None:
        return False
    try:
        raw = read_call_bytes(os.path.join(calls_dir, name))
    except (OSError, TomlFileError):
        return False
    return content_digest(raw) == digest


def read_changed(
    calls_dir: str,
    changed: dict[str, int],
    sigs: array[int],
    trust: Trust,
    digests: dict[str, bytes],
    known: dict[str, Written] | None = None,
) -> tuple[dict[str, CallSummary], dict[str, str], set[str]]:
    """Read the files ``changed`` (name -> position in ``sigs``): their summaries, the reasons
    of those that cannot be read, and the names of those that vanished meanwhile (a concurrent
    remove, a git pull), whose signature is then marked as gone.

    Each file racy by ``trust`` gets the digest of the bytes its summary was made of in
    ``digests``. A file read whose signature is not the one in ``sigs`` (a link to nothing when
    looked at whose target came back, a file replaced since) gives its summary, but its
    signature is marked untrusted: the one in ``sigs`` would vouch for other bytes. So is that
    of a file that cannot be read unless the signature taken is of what was refused. The files
    ``known`` are not read: their summary and digest are given; the few others (see
    ``cache._rebuild``) are.
    """
    rows: dict[str, CallSummary] = {}
    broken: dict[str, str] = {}
    vanished: set[str] = set()
    # Names, not (name, racy) pairs: at 100,000 files with no cache, 7 MB less at the peak.
    todo = list(changed)
    racy = {name for name, n in changed.items() if trust.racy(sigs[4 * n], sigs[4 * n + 3])}

    def read(name: str) -> CallSummary | Read | str | Unread | None:
        # Its summary (alone if trusted and not racy: most files, the least a worker hands
        # back), why it cannot be read, or None if it is not there.
        path = os.path.join(calls_dir, name)
        place = changed[name]
        try:
            raw, info = read_toml_file(path, path)
        except TomlFileError as exc:  # refused: a directory, too large, an error of the system
            lasting = exc.info is not None and holds(sigs, place, exc.info)
            return exc.reason if lasting else Unread(exc.reason)
        except FileNotFoundError:
            try:
                link = os.lstat(path)
            except FileNotFoundError:  # no file at all: gone
                return None
            # A link to nothing, which its signature says only if it was one when looked at
            # (the link's own): one whose target was away for a moment is read again.
            return _DANGLING if holds(sigs, place, link) else Unread(_DANGLING)
        try:
            summary = parse_summary(raw, path)
        except TomlFileError as exc:
            return exc.reason if holds(sigs, place, info) else Unread(exc.reason)
        trusted = holds(sigs, place, info)
        if trusted and name not in racy:
            return summary
        return Read(summary, content_digest(raw) if name in racy else None, trusted)

    def given(name: str) -> CallSummary | Read | str | Unread | None:
        if known is None or name not in known:
            return read(name)
        summary, digest, _ = known[name]
        return Read(summary, digest, True) if name in racy else summary

    # With no cache every file is parsed: on every core (store/forkmap.py), each asking for
    # its next files to be read from the disk while it parses (store/readahead.py).
    if known is None:
        results = fork_map(read, todo, ahead=lambda names: advise(calls_dir, names))
    else:
        results = [given(n) for n in todo]
    for name, result in zip(todo, results, strict=True):
        if result is None:
            vanished.add(name)
            sigs[4 * changed[name] : 4 * changed[name] + 4] = array("q", _GONE)
        elif isinstance(result, str):
            broken[name] = result
        elif isinstance(result, Unread):
            broken[name] = result.reason
            sigs[4 * changed[name] : 4 * changed[name] + 4] = array("q", _UNTRUSTED)
        elif isinstance(result, CallSummary):
            rows[name] = result
        else:
            rows[name] = result.summary
            if result.digest is not None:
                digests[name] = result.digest
            if not result.trusted:
                sigs[4 * changed[name] : 4 * changed[name] + 4] = array("q", _UNTRUSTED)
    return rows, broken, vanished
