"""The ledger of delivered warnings (``.state/warnings-sent.json``), local to one store copy.

A delivery is recorded the moment it happens (``commit``), before anything else can fail. When
the ledger cannot be written (a full disk), the delivered keys go to a fallback file in the
user's state directory, which the next run merges back, so a warning is not sent twice because
its record was lost.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import datetime, timedelta

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.fileread import make_dir
from clusterctl.store.files import atomic_write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clusterctl.store.files import StrPath


def _ledger_deadline(key: str) -> str:
    """The deadline stamp of a ledger key 'id|stage|YYYY-MM-DDTHH:MM:SSZ|seconds' ('' if odd)."""
    parts = key.rsplit("|", 2)
    return parts[1] if len(parts) == 3 else ""


def _read_entries(path: str) -> tuple[dict[str, str], dict[str, dict]] | None:
    """The 'sent' and 'digests' tables of a ledger file; None if the file does not exist."""
    # Not at the top: json takes 1.6 ms to import, and only `warn` reads the ledger.
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable warnings ledger: {exc}") from None
    sent = data.get("sent") if isinstance(data, dict) else None
    if not isinstance(sent, dict):
        raise StoreError(f"{path}: unreadable warnings ledger: no 'sent' table")
    digests = data.get("digests", {})
    if not isinstance(digests, dict):
        raise StoreError(f"{path}: unreadable warnings ledger: 'digests' is not a table")
    kept = {str(k): v for k, v in digests.items() if isinstance(v, dict)}
    return {str(k): str(v) for k, v in sent.items()}, kept


def _ledger_bytes(sent: dict[str, str], digests: dict[str, dict]) -> bytes:
    import json  # see _read_entries

    data = {"version": 1, "sent": dict(sorted(sent.items())), "digests": digests}
    return (json.dumps(data, indent=1) + "\n").encode()


class Ledger:
    """Which warnings were delivered: ``sent``, key -> ISO time of delivery.

    ``fallback``: where delivered keys go when ``path`` cannot be written (None: nowhere else).
    Both are kept as strings (any ``os.PathLike`` is accepted).
    ``digests``: per channel ('' for the output or e-mail), when its last digest went out ("at")
    and the deadlines of the calls it covered ("calls": id -> signature), to tell what changed.
    """

    def __init__(
        self,
        path: StrPath,
        sent: dict[str, str],
        dirty: bool = False,
        fallback: StrPath | None = None,
        digests: dict[str, dict] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.sent = sent
        self.dirty = dirty
        self.fallback = None if fallback is None else os.fspath(fallback)
        self.digests: dict[str, dict] = {} if digests is None else digests

    @classmethod
    def load(cls, path: StrPath, fallback: StrPath | None = None) -> Ledger:
        """Read the ledger (and what a previous run had to keep in ``fallback``).

        A missing file is an empty ledger, a broken one an error.
        """
        sent, digests = _read_entries(os.fspath(path)) or ({}, {})
        kept = _read_entries(os.fspath(fallback)) if fallback is not None else None
        ledger = cls(path=path, sent=sent, fallback=fallback, digests=digests)
        if kept:
            ledger.sent.update(kept[0])
            ledger.digests.update(kept[1])
            ledger.dirty = True  # the next save moves them into the ledger proper
        return ledger

    def last_digest(self, channel: str) -> tuple[datetime, dict[str, str]] | None:
        """When ``channel``'s last digest went out and the deadlines it covered, if ever."""
        entry = self.digests.get(channel)
        if not isinstance(entry, dict) or not isinstance(entry.get("calls"), dict):
            return None
        try:
            at = datetime.fromisoformat(str(entry.get("at")).replace("Z", "+00:00"))
        except ValueError:
            return None
        return at, {str(k): str(v) for k, v in entry["calls"].items()}

    def remember_digest(self, channel: str, when: datetime, calls: dict[str, str]) -> None:
        """Note that ``channel`` was brought up to date at ``when`` about ``calls``."""
        from clusterctl.timeparse import utc_stamp  # see record

        self.digests[channel] = {"at": utc_stamp(when), "calls": dict(sorted(calls.items()))}
        self.dirty = True

    def record(self, keys: Iterable[str], when: datetime) -> None:
        """Remember ``keys`` as delivered at ``when``; forget warnings for long-past deadlines."""
        # Not at the top: timeparse takes 9 ms to import, and only `warn` records deliveries.
        from clusterctl.timeparse import utc_stamp

        stamp = utc_stamp(when)
        for key in keys:
            self.sent[key] = stamp
            self.dirty = True
        self.prune(when)

    def commit(self, keys: Iterable[str], when: datetime) -> None:
        """Record ``keys`` as delivered at ``when`` and write it down at once (see ``save``)."""
        self.record(keys, when)
        self.save()

    #: Warnings for deadlines further back than this can never be due again: forget them, so
    #: the ledger of a store that grows for years stays small.
    KEEP = timedelta(days=400)

    def prune(self, now: datetime) -> None:
        """Drop entries whose deadline (the key's third field, UTC) is older than KEEP."""
        from clusterctl.timeparse import utc_stamp  # see record

        cutoff = utc_stamp(now - self.KEEP)
        stale = [key for key in self.sent if _ledger_deadline(key) < cutoff]
        for key in stale:
            del self.sent[key]
        self.dirty = self.dirty or bool(stale)

    def save(self) -> None:
        """Write the ledger atomically, keys sorted; on failure keep the entries elsewhere.

        Tried twice (a full disk may have freed a block); then the entries go to the fallback
        file and the StoreError says where they are, so the next run does not send them again.
        """
        data = _ledger_bytes(self.sent, self.digests)
        problem: OSError | None = None
        for _ in range(2):
            try:
                atomic_write(self.path, data)
            except OSError as exc:
                problem = exc
                continue
            self.dirty = False
            if self.fallback is not None:
                with contextlib.suppress(FileNotFoundError):  # Path.unlink(missing_ok=True)
                    os.unlink(self.fallback)
            return
        assert problem is not None
        reason = f"{self.path}: cannot record delivered warnings: {describe_os_error(problem)}"
        if self.fallback is not None:
            try:
                make_dir(os.path.dirname(self.fallback) or ".", parents=True)
                atomic_write(self.fallback, data)
            except OSError as exc:
                reason += f"; nor in {self.fallback}: {describe_os_error(exc)}"
            else:
                self.dirty = False
                raise StoreError(
                    f"{reason}; kept them in {self.fallback}, so the next run will not send "
                    "them again"
                )
        raise StoreError(f"{reason}; the next run may send them again")
