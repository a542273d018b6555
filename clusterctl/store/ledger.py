"""The ledger of delivered warnings (``.state/warnings-sent.json``), local to one store copy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.store.files import atomic_write


def _ledger_deadline(key: str) -> str:
    """The deadline stamp of a ledger key 'id|stage|YYYY-MM-DDTHH:MM:SSZ|seconds' ('' if odd)."""
    parts = key.rsplit("|", 2)
    return parts[1] if len(parts) == 3 else ""


@dataclass
class Ledger:
    """Which warnings were delivered: key -> ISO time of delivery."""

    path: Path
    sent: dict[str, str]
    dirty: bool = False

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read the ledger; a missing file is an empty ledger, a broken one an error."""
        # Not at the top: json takes 1.6 ms to import, and only `warn` reads the ledger.
        import json

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path=path, sent={})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"{path}: unreadable warnings ledger: {exc}") from None
        sent = data.get("sent") if isinstance(data, dict) else None
        if not isinstance(sent, dict):
            raise StoreError(f"{path}: unreadable warnings ledger: no 'sent' table")
        return cls(path=path, sent={str(k): str(v) for k, v in sent.items()})

    def record(self, keys: Iterable[str], when: datetime) -> None:
        """Remember ``keys`` as delivered at ``when``; forget warnings for long-past deadlines."""
        # Not at the top: timeparse takes 9 ms to import, and only `warn` records deliveries.
        from clusterctl.timeparse import utc_stamp

        stamp = utc_stamp(when)
        for key in keys:
            self.sent[key] = stamp
            self.dirty = True
        self.prune(when)

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
        """Write the ledger atomically, keys sorted."""
        import json  # see load

        data = {"version": 1, "sent": dict(sorted(self.sent.items()))}
        try:
            atomic_write(self.path, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot record delivered warnings: {describe_os_error(exc)}"
            ) from None
