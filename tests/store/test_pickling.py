"""What the derived files are pickled with: plain values only, and only when a run needs them."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

from clusterctl.store import pickling
from tests.conftest import run_main_then


def test_plain_values_round_trip_without_the_memo() -> None:
    rows = [("A-1", "title", 1.5, None, True, b"\x00"), {"k": [1, 2]}, "x" * 3]
    blob = pickling.dumps_without_memo(rows)
    assert pickling.PlainUnpickler(io.BytesIO(blob)).load() == rows
    out = io.BytesIO()
    pickling.dump({"rows": rows}, out)
    assert pickling.PlainUnpickler(io.BytesIO(out.getvalue())).load() == {"rows": rows}


@pytest.mark.parametrize("planted", [os.system, Path("/tmp"), pickle.Pickler])
def test_every_global_is_refused(planted: object) -> None:
    blob = pickle.dumps([planted])
    with pytest.raises(pickle.UnpicklingError, match="the summary cache holds no"):
        pickling.PlainUnpickler(io.BytesIO(blob)).load()


def test_show_never_imports_pickle_and_a_listing_does(
    seeded_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERCTL_CACHE_DIR", str(tmp_path / "cache"))
    check = "print('pickle' in sys.modules)"
    shown = run_main_then(["--store", str(seeded_store), "show", "ESCP-S3-EOI"], check)
    listed = run_main_then(["--store", str(seeded_store), "calls"], check)
    assert "ESCP-S3-EOI" in "\n".join(shown)
    assert shown[-1] == "False"
    assert listed[-1] == "True"
