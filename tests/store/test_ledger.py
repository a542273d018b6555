"""The ledger of delivered warnings (store/ledger.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def test_the_ledger_forgets_warnings_for_long_past_deadlines(tmp_path: Path) -> None:
    from clusterctl.store.ledger import Ledger

    ledger = Ledger(path=tmp_path / "warnings-sent.json", sent={})
    old = "OLD-1||2020-03-08T16:00:00Z|86400"
    recent = "NEW-1|Stage 1|2026-03-08T16:00:00Z|86400"
    odd = "hand-written entry"
    ledger.sent.update({old: "2020-03-07T16:00:00Z", recent: "2026-03-07T16:00:00Z", odd: "x"})
    now = datetime(2026, 11, 25, tzinfo=UTC)
    ledger.record(["A-1|a|b|c|2026-12-01T16:00:00Z|604800"], now)
    assert set(ledger.sent) == {recent, "A-1|a|b|c|2026-12-01T16:00:00Z|604800"}
    ledger.save()
    assert set(Ledger.load(ledger.path).sent) == set(ledger.sent)
