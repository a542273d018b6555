"""The names in calls/ as the last listing found them, so that a change need not list calls/.

``add`` and ``import`` refuse an id that differs only in case from an existing one (``OK`` and
``Ok`` are one file on a case-insensitive file system, and one call in people's heads), and
``show`` suggests the existing one. Listing a 100,000-file directory for that would cost an
``add`` more than all its other work. So every listing of the store, which lists calls/ anyway,
leaves the names it found beside the summary cache, with the signature of calls/ (mtime, ctime,
inode) taken before it listed. A change uses them while calls/ still has that signature and had
it ``cache.RACY_SECONDS`` before the listing (timestamps are coarse, see cache.py), and lists
calls/ itself otherwise. Like the cache, the file is trusted only when it is ours alone.

Ids are ASCII, so comparing them in lower case is exact.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

from clusterctl.store import cache
from clusterctl.store.files import read_private, write_private
from clusterctl.store.layout import SUFFIX, Layout

#: 2: a calls/ with a name holding a line break is not indexed (1 left the name out, and a
#: listing now reads the index: a version-1 file is never trusted).
FORMAT = b"clusterctl-ids 2"

Signature = tuple[int, int, int]  # mtime_ns, ctime_ns, inode of calls/


def signature(calls_dir: str | os.PathLike[str]) -> Signature | None:
    """The signature of calls/, or None if there is none."""
    try:
        st = os.stat(calls_dir)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class IdIndex:
    """The file that keeps the names of one store's calls/ as its last listing found them."""

    __slots__ = ("path", "root")

    def __init__(self, path: str | os.PathLike[str], root: str) -> None:
        self.path = os.fspath(path)
        self.root = root

    @classmethod
    def of(cls, real_root: str, cache_dir: str | os.PathLike[str] | None = None) -> IdIndex:
        """The index of the store at ``real_root``, beside its summary cache."""
        summaries = cache.CacheFile.of(real_root, cache_dir)
        return cls(f"{os.path.splitext(summaries.path)[0]}.ids", real_root)

    def names(self, sig: Signature | None) -> bytes | None:
        """The names, as ``b"\\nA.toml\\nB.toml\\n"``, if they are still those of calls/."""
        try:
            raw = read_private(self.path)
        except OSError:
            return None
        if raw is None:  # not ours alone: never trusted
            return None
        head, _, rest = raw.partition(b"\n")
        root, sep, names = rest.partition(b"\0\n")
        if not sep or root != os.fsencode(self.root) or not _trusted(head, sig):
            return None
        return b"\n" + names

    def name_list(self, sig: Signature | None) -> list[str] | None:
        """``names`` as ``Layout.call_names`` lists them, if they are still those of calls/."""
        raw = self.names(sig)
        return None if raw is None else os.fsdecode(raw).split("\n")[1:-1]

    def refresh(
        self, sig: Signature | None, listed_ns: int, names: list[str], *, replace: bool = False
    ) -> None:
        """Record ``names``, listed at ``listed_ns`` from calls/ whose signature was ``sig``
        (or, with ``replace``, the same names in another order), unless the file already holds
        a trusted listing of calls/ as it is and not ``replace``."""
        if sig is None:
            return
        with contextlib.suppress(OSError), open(self.path, "rb") as handle:
            if not replace and _trusted(handle.readline().rstrip(b"\n"), sig):
                return
        # A name with a line break is no id, and must neither pose as two names nor be left out
        # of a listing that reads the index (``name_list``): such a calls/ is not indexed.
        if any("\n" in n for n in names):
            return
        fields = (FORMAT, *(str(n).encode() for n in (*sig, listed_ns)))
        head = b" ".join(fields) + b"\n" + os.fsencode(self.root) + b"\0\n"
        body = os.fsencode("\n".join(names) + "\n" if names else "")
        with contextlib.suppress(OSError):  # only an accelerator, as the cache
            write_private(self.path, head + body)


def _trusted(head: bytes, sig: Signature | None) -> bool:
    """Whether the header ``head`` records a listing of calls/ with signature ``sig`` that
    happened over ``RACY_SECONDS`` after calls/ last changed."""
    fields = head.split(b" ")
    if sig is None or len(fields) != 6 or b" ".join(fields[:2]) != FORMAT:
        return False
    try:
        listed_sig = (int(fields[2]), int(fields[3]), int(fields[4]))
        listed_ns = int(fields[5])
    except ValueError:
        return False
    # Changed so shortly before the listing that a later change may have kept the timestamps.
    return listed_sig == sig and max(sig[0], sig[1]) < listed_ns - int(cache.RACY_SECONDS * 1e9)


def case_twins(layout: Layout, index: IdIndex, call_ids: Iterable[str]) -> dict[str, str]:
    """For each id of ``call_ids`` that an existing call's id equals but for case: id -> that id.

    From the index when it still describes calls/, else from a listing of calls/. Compared as
    bytes lowered in ASCII only, which keeps every offset (ids are ASCII).
    """
    ids = [i for i in call_ids if i.lower() != i.upper()]  # without letters, no twin
    if not ids:
        return {}
    names = index.names(signature(layout.calls_dir))
    if names is None:
        listed = "".join(n + "\n" for n in layout.call_names() if "\n" not in n)
        names = b"\n" + os.fsencode(listed)
    lowered = names.lower()
    found: dict[str, bytes] = {}
    if len(ids) > 8:  # an import: one pass over the names, not one search per id
        wanted = {os.fsencode(i + SUFFIX).lower(): i for i in ids}
        for low, name in zip(lowered.split(b"\n"), names.split(b"\n"), strict=True):
            call_id = wanted.get(low)
            if call_id is not None and name != os.fsencode(call_id + SUFFIX):
                found.setdefault(call_id, name)
    else:
        for call_id in ids:
            exact = os.fsencode(call_id + SUFFIX)
            line = b"\n" + exact.lower() + b"\n"
            start = lowered.find(line)
            while start != -1:
                name = names[start + 1 : start + len(line) - 1]
                if name != exact:
                    found[call_id] = name
                    break
                start = lowered.find(line, start + 1)
    return {call_id: os.fsdecode(name)[: -len(SUFFIX)] for call_id, name in found.items()}
