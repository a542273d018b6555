"""A store's transaction: changes staged under its lock, written as one change (journal)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator

from clusterctl.errors import ConflictError, NotFoundError, UsageError
from clusterctl.limits import check_limits
from clusterctl.model import Call, validate_id
from clusterctl.store.forkmap import fork_ahead
from clusterctl.store.journal import commit_files
from clusterctl.store.layout import SUFFIX, Layout, has_entries
from clusterctl.store.reread import Written, content_digest
from clusterctl.store.schema import ensure_store, undo_create
from clusterctl.store.tomlfile import checked_call_bytes, read_call


class Transaction:
    """Changes staged under the store's lock; written together when the block ends cleanly."""

    def __init__(
        self, layout: Layout, case_twins: Callable[[list[str]], dict[str, str]] | None = None
    ) -> None:
        self._layout = layout
        self._case_twins = case_twins
        #: Called as progress(done, total) while a commit writes files (for a progress display).
        self.progress: Callable[[int, int], None] | None = None
        self._puts: dict[str, Call] = {}
        self._deletes: set[str] = set()
        self._digests: dict[str, bytes] = {}  # of each file written, once committed
        self._signatures: dict[str, bytes] = {}  # of each file written, once in place
        self._none_yet: bool | None = None  # calls/ held no file at the first call not found
        #: Whether the files written were signed before they were in calls/ (commit_files).
        self.signed_unseen = False

    def get(self, call_id: str) -> Call:
        """The call as it is now (staged changes included); NotFoundError if absent."""
        if call_id in self._puts:
            return self._puts[call_id]
        if call_id in self._deletes or self._none_yet:
            raise NotFoundError(f"no call {call_id!r} in {self._layout.root}")
        try:
            return read_call(self._layout.call_path(call_id))
        except FileNotFoundError:
            # Under the lock no other writer adds a call: once a call is not found in an empty
            # calls/, an import asks after the rest without a failed open each (1 s of 100,000).
            if self._none_yet is None:
                self._none_yet = not has_entries(self._layout.calls_dir)
            raise NotFoundError(f"no call {call_id!r} in {self._layout.root}") from None

    def find(self, call_id: str) -> Call | None:
        """The call, or None if it does not exist."""
        try:
            return self.get(call_id)
        except NotFoundError:
            return None

    def put(self, call: Call) -> None:
        """Stage writing ``call`` (created or replaced).

        Checked now, so that a call beyond the limits is refused before the transaction
        writes anything; encoded as it is written (``commit``).
        """
        validate_id(call.id)
        check_limits(call)
        self._deletes.discard(call.id)
        self._puts[call.id] = call

    def delete(self, call_id: str) -> None:
        """Stage removing ``call_id``."""
        self._puts.pop(call_id, None)
        self._deletes.add(call_id)

    def changed(self) -> bool:
        """True when the transaction writes or removes any file."""
        return bool(self._puts or self._deletes)

    def written_ids(self) -> list[str]:
        """The ids of the calls the transaction writes."""
        return list(self._puts)

    def deleted_ids(self) -> list[str]:
        """The ids of the calls the transaction removes."""
        return list(self._deletes)

    def take_written(self) -> dict[str, Written]:
        """File name -> the summary, the digest of the bytes and the file's signature when it
        took its place, of each call written (for the cache), once ``commit`` wrote them.

        The transaction lets go of the calls as it goes (it is done with them): an import of
        100,000 calls builds the cache in 40 MB less.
        """
        written = {}
        puts = self._puts
        # Each id was validated by put: f"{id}{SUFFIX}" is its file's name (Layout.call_path).
        for call_id in list(puts):
            summary = puts.pop(call_id).summary()
            written[f"{call_id}{SUFFIX}"] = (
                summary,
                self._digests[call_id],
                self._signatures[call_id],
            )
        return written

    def commit(self) -> None:
        """Write the staged changes as one change (``Store.transaction`` does, on success)."""
        layout = self._layout
        ids = sorted(self._puts)
        signatures = array("q")
        self._refuse_case_twins(ids)
        created = ensure_store(layout, create=True) if self._puts else []  # the first change
        puts = self._puts
        try:
            # Encoding is pure CPU work: a forked worker does it ahead of the writing, on the
            # other core (forkmap.fork_ahead). Forked before commit_files starts any thread.
            with fork_ahead(_encoded, [puts[i] for i in ids]) as (encoded, ahead):
                self.signed_unseen = commit_files(
                    layout,
                    self._contents(ids, encoded),
                    len(ids),
                    (layout.call_path(i) for i in sorted(self._deletes)),
                    self.progress,
                    signatures,
                    writer_thread=not ahead,
                )
        except UsageError:  # a file too large (_contents): nothing was written, not even a store
            undo_create(created)
            raise
        self._signatures = {i: signatures[4 * k : 4 * k + 4].tobytes() for k, i in enumerate(ids)}

    def _contents(
        self, ids: list[str], encoded: Iterator[tuple[bytes, bytes]]
    ) -> Iterator[tuple[str, bytes]]:
        """The path and bytes of the file of each call of ``ids`` (``encoded``: its bytes and
        their digest, made as they are needed), so that the encoding overlaps the writing
        (journal.commit_files) and only the digests stay (at 100,000 calls the bytes are
        60 MB). UsageError if a file would be too large: nothing has taken its place yet."""
        for call_id, (data, digest) in zip(ids, encoded, strict=True):
            self._digests[call_id] = digest
            yield self._layout.call_path(call_id), data

    def _refuse_case_twins(self, ids: list[str]) -> None:
        """ConflictError if an id to write equals another one or an existing one but for case:
        on a case-insensitive file system they are one file, and in people's heads one call."""
        seen: dict[str, str] = {}
        for call_id in ids:
            other = seen.setdefault(call_id.lower(), call_id)
            if other != call_id:
                raise ConflictError(
                    f"ids {other!r} and {call_id!r} differ only in case; nothing was written"
                )
        if self._none_yet:  # calls/ was empty when looked in (an import's plan): no twin there
            return  # (a lexists per id was 0.8 s of an import of 100,000 calls)
        # Only a new file can make a twin (a change to an existing call lists nothing).
        new = [i for i in ids if not os.path.lexists(self._layout.call_path(i))]
        twins = self._case_twins(new) if self._case_twins is not None and new else {}
        for call_id in new:
            if call_id in twins:
                raise ConflictError(
                    f"a call with id {twins[call_id]!r} already exists; {call_id!r} differs "
                    "from it only in case"
                )


def _encoded(call: Call) -> tuple[bytes, bytes]:
    """The bytes of the file of ``call``, already within the limits, and their digest."""
    data = checked_call_bytes(call)
    return data, content_digest(data)
