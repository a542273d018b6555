"""Values derived from call files (store/derived.py) are made once per version of a file and
never served for a file that changed since, whatever the change kept (size, mtime)."""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable
from pathlib import Path

import pytest

from clusterctl.model import Call
from clusterctl.store import Store, Unreadable
from clusterctl.store.cache import CacheFile
from clusterctl.store.derived import DerivedFile
from clusterctl.store.signature import NO_REFERENCE
from clusterctl.store.zonetag import zone_tag
from tests.store.helpers import make_call, skip_unless_one_clock

LATER = 10 * 10**9  # a clock this far ahead: every file is old enough to trust by signature


def counting(made: list[str]):
    def make(call: Call) -> str:
        made.append(call.id)
        return f"{call.id}: {call.title}"

    return make


def store_with(tmp_path: Path, n: int, *, clock_ahead: int = 0) -> Store:
    s = Store(tmp_path / "store", cache_dir=tmp_path / "cache")
    for k in range(1, n + 1):
        s.add(make_call(f"CALL-{k}", title=f"Title {k}"))
    return Store(s.root, cache_dir=s.cache_dir, clock=lambda: time.time_ns() + clock_ahead)


def remembered_file(s: Store, kind: str = "test1") -> DerivedFile:
    """The file the store keeps ``kind`` in, as the store opens it."""
    return DerivedFile(CacheFile.of(os.path.realpath(s.root), s.cache_dir), kind, zone_tag())


def derive(s: Store, ids: list[str], made: list[str], bad: list[Unreadable] | None = None):
    return s.derive(ids, "test1", counting(made), unreadable=[] if bad is None else bad)


def test_each_file_is_derived_once_then_remembered(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    ids = ["CALL-3", "CALL-1", "CALL-2"]
    assert derive(s, ids, made) == ["CALL-3: Title 3", "CALL-1: Title 1", "CALL-2: Title 2"]
    assert made == ids
    made.clear()
    assert derive(s, ids, made) == ["CALL-3: Title 3", "CALL-1: Title 1", "CALL-2: Title 2"]
    assert made == []


def test_a_change_through_the_store_is_derived_again(tmp_path: Path) -> None:
    s = store_with(tmp_path, 2, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-1", "CALL-2"], made)
    s.update("CALL-2", lambda c: c.replace(title="Renamed"))
    made.clear()
    assert derive(s, ["CALL-1", "CALL-2"], made) == ["CALL-1: Title 1", "CALL-2: Renamed"]
    assert made == ["CALL-2"]


def test_a_hand_edit_that_keeps_size_and_mtime_is_seen(tmp_path: Path) -> None:
    # The real clock: the file was just read, so its entry is racy and checked by content.
    s = store_with(tmp_path, 1)
    made: list[str] = []
    assert derive(s, ["CALL-1"], made) == ["CALL-1: Title 1"]
    path = Path(s.call_path("CALL-1"))
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Title 1", b"Title 9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    made.clear()
    assert derive(s, ["CALL-1"], made) == ["CALL-1: Title 9"]
    assert made == ["CALL-1"]


def test_an_unchanged_racy_file_is_checked_by_content_not_derived_again(tmp_path: Path) -> None:
    s = store_with(tmp_path, 2)
    made: list[str] = []
    derive(s, ["CALL-1", "CALL-2"], made)
    made.clear()
    assert derive(s, ["CALL-1", "CALL-2"], made) == ["CALL-1: Title 1", "CALL-2: Title 2"]
    assert made == []


def test_unreadable_and_vanished_files_are_reported_or_left_out(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], made)
    Path(s.call_path("CALL-2")).write_text("id = 'CALL-2'\ntitle = \n", encoding="utf-8")
    Path(s.call_path("CALL-3")).unlink()
    bad: list[Unreadable] = []
    assert derive(s, ["CALL-1", "CALL-2", "CALL-3"], made, bad) == ["CALL-1: Title 1"]
    assert [os.path.basename(u.path) for u in bad] == ["CALL-2.toml"]
    assert "invalid TOML" in bad[0].reason


def test_entries_of_removed_calls_are_dropped(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], made)
    s.remove("CALL-3")
    s.add(make_call("CALL-3", title="Back again"))
    made.clear()
    assert derive(s, ["CALL-1"], made) == ["CALL-1: Title 1"]  # prunes CALL-3's old entry
    assert derive(s, ["CALL-3"], made) == ["CALL-3: Back again"]
    assert made == ["CALL-3"]


def test_a_cache_file_that_is_torn_foreign_or_not_ours_alone_is_ignored(tmp_path: Path) -> None:
    s = store_with(tmp_path, 1, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-1"], made)
    (derived,) = (tmp_path / "cache").glob("test1-*")
    for content, mode in ((b"\x80\x05garbage", 0o600), (derived.read_bytes(), 0o666)):
        derived.write_bytes(content)
        derived.chmod(mode)
        made.clear()
        assert derive(s, ["CALL-1"], made) == ["CALL-1: Title 1"]
        assert made == ["CALL-1"]
    assert derived.stat().st_mode & 0o777 == 0o600  # rewritten as ours alone


def test_a_read_only_cache_directory_is_no_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        cache = Path("/proc/self/no-such-cache")  # root writes anywhere else: a path nobody can
    else:
        cache = tmp_path / "ro-cache"
        cache.mkdir(mode=0o500)
    s = Store(tmp_path / "store", cache_dir=cache)
    s.add(make_call("CALL-1"))
    made: list[str] = []
    assert derive(s, ["CALL-1"], made) == ["CALL-1: A call"]
    assert derive(s, ["CALL-1"], made) == ["CALL-1: A call"]
    assert made == ["CALL-1", "CALL-1"]


@pytest.mark.parametrize(
    "entry", [("x" * 60, "stale"), (b"short", "stale"), ("only one",), 42, (b"\0" * 48, "x", 1)]
)
def test_an_entry_of_another_shape_is_made_again(tmp_path: Path, entry: object) -> None:
    # Our own file, of this format, but an entry this version never writes (a bug, an edit).
    s = store_with(tmp_path, 1, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-1"], made)
    (path,) = (tmp_path / "cache").glob("test1-*")
    file = remembered_file(s)
    assert file.path == str(path)
    file.save({"CALL-1.toml": entry})  # type: ignore[dict-item]
    made.clear()
    assert derive(s, ["CALL-1"], made) == ["CALL-1: Title 1"]
    assert made == ["CALL-1"]


def test_a_few_new_entries_are_made_again_rather_than_saved_in_a_large_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl.store import derived

    # One per thousand calls (cache.patch_limit); 1 lets three calls stand for 1,000.
    monkeypatch.setattr(derived, "patch_limit", lambda files: 1)
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    ids = ["CALL-1", "CALL-2", "CALL-3"]
    derive(s, ids, made)
    (saved,) = Path(s.cache_dir).glob("test1-*")
    before = saved.read_bytes()
    s.update("CALL-2", lambda c: c.replace(title="Renamed"))
    for _ in range(2):  # made again by each run, the file left as it was
        made.clear()
        assert derive(s, ids, made)[1] == "CALL-2: Renamed" and made == ["CALL-2"]
        assert saved.read_bytes() == before
    s.update("CALL-3", lambda c: c.replace(title="Renamed"))
    derive(s, ids, made)  # two new entries, more than the limit: saved
    made.clear()
    assert derive(s, ids, made) == ["CALL-1: Title 1", "CALL-2: Renamed", "CALL-3: Renamed"]
    assert made == []


def test_every_call_is_derived_with_its_id(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3)
    made: list[str] = []
    named = s.derive_every("test1", counting(made), unreadable=[])
    assert sorted(named) == [(f"CALL-{k}", f"CALL-{k}: Title {k}") for k in (1, 2, 3)]
    assert Store(tmp_path / "elsewhere").derive_every("test1", counting(made), unreadable=[]) == []


def test_a_call_that_cannot_be_made_into_the_value_is_reported_not_raised(tmp_path: Path) -> None:
    s = store_with(tmp_path, 2)

    def make(call: Call) -> str:
        if call.id == "CALL-2":
            raise OverflowError("date value out of range")
        return call.id

    bad: list[Unreadable] = []
    assert s.derive_every("test2", make, unreadable=bad) == [("CALL-1", "CALL-1")]
    assert [(Path(u.path).name, u.reason) for u in bad] == [
        ("CALL-2.toml", "date value out of range")
    ]


def test_an_entry_made_again_is_let_go_before_the_new_values_are_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After every file changed (a checkout), the old values beside the new ones took an export
    # of 100,000 calls to 269 MB.
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], [])
    held: list[dict] = []
    real = DerivedFile.load

    def load(self: DerivedFile) -> tuple[dict, bytes, set[str]]:
        remembered = real(self)
        held.append(remembered[0])  # the entries
        return remembered

    monkeypatch.setattr(DerivedFile, "load", load)
    later = time.time_ns() + 10**9
    for k in (1, 2, 3):
        os.utime(s.call_path(f"CALL-{k}"), ns=(later, later))
    left_when_made: list[int] = []

    def make(call: Call) -> str:
        left_when_made.append(len(held[0]))
        return call.title

    assert s.derive(["CALL-1", "CALL-2", "CALL-3"], "test1", make, unreadable=[]) == [
        "Title 1",
        "Title 2",
        "Title 3",
    ]
    assert left_when_made == [0, 0, 0]  # none of the old three is held while the new are made


@pytest.mark.usefixtures("clock_rule_only")
def test_a_racy_entry_is_checked_by_content_even_when_its_signature_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An edit within the file system's time granularity can keep a file's whole signature: the
    # entries read that close to their file's change are each looked at, while the others are
    # compared all at once.
    from clusterctl.store import derived

    s = store_with(tmp_path, 3)  # the real clock: every entry is racy when saved
    made: list[str] = []
    ids = ["CALL-1", "CALL-2", "CALL-3"]
    derive(s, ids, made)
    assert remembered_file(s).load()[2] == {f"CALL-{k}.toml" for k in (1, 2, 3)}
    then = derived.looked_at(s.calls_dir, [f"{i}.toml" for i in ids])[0]
    path = Path(s.call_path("CALL-2"))
    path.write_bytes(path.read_bytes().replace(b"Title 2", b"Title 8"))

    def as_then(
        calls_dir: str, names: list[str], meanwhile: Callable[[], object]
    ) -> tuple[array, int]:
        meanwhile()  # what is remembered is loaded as ever
        return then, NO_REFERENCE

    monkeypatch.setattr(derived, "looked_at", as_then)
    made.clear()
    assert derive(s, ids, made) == ["CALL-1: Title 1", "CALL-2: Title 8", "CALL-3: Title 3"]
    assert made == ["CALL-2"]


def test_entries_older_than_the_newest_tick_are_not_racy(tmp_path: Path) -> None:
    # The file system's rule (signature.Trust): a file whose ctime is older than the newest
    # among those looked at before it was read cannot have been edited since without a newer
    # one. CALL-3 is written again once the file system's clock has ticked (an event).
    skip_unless_one_clock(tmp_path)
    s = store_with(tmp_path, 3)
    newest = max(Path(s.call_path(f"CALL-{k}")).stat().st_ctime_ns for k in (1, 2, 3))
    probe = tmp_path / "probe"
    probe.touch()
    while probe.stat().st_ctime_ns <= newest:
        os.utime(probe)  # stamps its ctime with the file system's clock
    s.update("CALL-3", lambda c: c.replace(title="Title 3 again"))
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], [])
    assert remembered_file(s).load()[2] == {"CALL-3.toml"}


def counting_saves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each save of a derived file wrote, as it happens."""
    saves: list[int] = []
    real = DerivedFile.save

    def save(self: DerivedFile, entries: dict) -> None:
        saves.append(len(entries))
        real(self, entries)

    monkeypatch.setattr(DerivedFile, "save", save)
    return saves


def test_every_file_named_in_another_order_is_neither_made_again_nor_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An export of all open calls names them by deadline, one of every call in the store's
    # order: turn about, neither may rewrite the file (0.3-0.5 s at 100,000 calls).
    s = store_with(tmp_path, 4, clock_ahead=LATER)
    made: list[str] = []
    ids = ["CALL-3", "CALL-1", "CALL-4", "CALL-2"]
    derive(s, ids, made)
    assert list(remembered_file(s).load()[0]) == [f"CALL-{k}.toml" for k in (3, 1, 4, 2)]
    saves = counting_saves(monkeypatch)
    made.clear()
    for order in (sorted(ids), ids, list(reversed(ids)), sorted(ids)):
        assert derive(s, order, made) == [f"{i}: Title {i[5:]}" for i in order]
    assert made == [] and saves == []
    s.update("CALL-4", lambda c: c.replace(title="Renamed"))
    assert derive(s, sorted(ids), made)[3] == "CALL-4: Renamed"
    assert made == ["CALL-4"]


def looking_on_their_own(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The entries looked at on their own, as it happens; with saving off, which looks at all."""
    from clusterctl.store import derived

    looked: list[object] = []
    real = derived._shaped

    def shaped(entry: object) -> bool:
        looked.append(entry)
        return real(entry)

    monkeypatch.setattr(derived, "_shaped", shaped)
    monkeypatch.setattr(derived, "patch_limit", lambda files: 100)
    return looked


def test_with_every_file_named_only_the_changed_entries_are_looked_at_on_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    s = store_with(tmp_path, 5, clock_ahead=LATER)
    ids = [f"CALL-{k}" for k in range(1, 6)]
    derive(s, ids, [])
    s.update("CALL-2", lambda c: c.replace(title="Renamed"))
    looked = looking_on_their_own(monkeypatch)
    made: list[str] = []
    assert derive(s, list(reversed(ids)), made)[3] == "CALL-2: Renamed"
    assert made == ["CALL-2"] and len(looked) == 1  # the others compared all at once
    looked.clear()
    assert derive(s, ids[1:], [])[0] == "CALL-2: Renamed"  # a few: each looked at
    assert len(looked) == 4


def test_the_ids_of_a_whole_store_are_given_however_its_values_were_found(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    expected = [(f"CALL-{k}", f"CALL-{k}: Title {k}") for k in (1, 2, 3)]
    assert sorted(s.derive_every("test1", counting(made), unreadable=[])) == expected
    assert sorted(s.derive_every("test1", counting(made), unreadable=[])) == expected
    assert sorted(made) == ["CALL-1", "CALL-2", "CALL-3"]  # made once, then remembered


def test_a_value_made_of_a_file_that_was_not_there_when_looked_at_is_never_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Looked at in the instant it was not there (removed and written again before its bytes
    # were read, as a checkout does): its signature says "no file", which must never vouch
    # for a value, even when the file is gone again, or changed, the next time.

    from clusterctl.store import derived

    s = store_with(tmp_path, 3, clock_ahead=LATER)
    ids = ["CALL-1", "CALL-2", "CALL-3"]
    real = derived.looked_at

    def racing(
        calls_dir: str, names: list[str], meanwhile: Callable[[], object]
    ) -> tuple[array, int]:
        sigs, newest = real(calls_dir, names, meanwhile)
        n = names.index("CALL-2.toml")
        sigs[4 * n : 4 * n + 4] = array("q", [-1] * 4)
        return sigs, newest

    monkeypatch.setattr(derived, "looked_at", racing)
    assert derive(s, ids, []) == ["CALL-1: Title 1", "CALL-2: Title 2", "CALL-3: Title 3"]
    path = Path(s.call_path("CALL-2"))
    content = path.read_bytes()
    path.unlink()
    made: list[str] = []
    bad: list[Unreadable] = []
    assert derive(s, ids, made, bad) == ["CALL-1: Title 1", "CALL-3: Title 3"]
    assert bad == [] and made == []  # not there: left out, nothing made
    path.write_bytes(content.replace(b"Title 2", b"Changed"))
    made.clear()
    assert derive(s, ids, made)[1] == "CALL-2: Changed"
    assert made == ["CALL-2"]


def test_in_the_order_remembered_a_new_a_changed_and_a_removed_file_are_each_seen(
    tmp_path: Path,
) -> None:
    s = store_with(tmp_path, 4, clock_ahead=LATER)
    made: list[str] = []
    ids = ["CALL-1", "CALL-2", "CALL-3", "CALL-4"]
    derive(s, ids, made)
    s.update("CALL-2", lambda c: c.replace(title="Renamed"))
    s.remove("CALL-3")
    s.add(make_call("CALL-5", title="New"))
    made.clear()
    assert derive(s, [*ids, "CALL-5"], made) == [
        "CALL-1: Title 1",
        "CALL-2: Renamed",
        "CALL-4: Title 4",
        "CALL-5: New",
    ]
    assert made == ["CALL-2", "CALL-5"]


def test_a_value_made_of_a_file_other_than_the_one_looked_at_is_never_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A call file that is a link whose target is missing when looked at (its signature is the
    # link's) and back when read: the value must not be kept under the link's signature, which
    # holds again whenever the target is missing.
    from clusterctl.store import derived

    s = store_with(tmp_path, 3, clock_ahead=LATER)
    ids = ["CALL-1", "CALL-2", "CALL-3"]
    path = Path(s.call_path("CALL-2"))
    target = tmp_path / "CALL-2-target.toml"
    path.rename(target)
    path.symlink_to(target)
    real = derived.looked_at

    def racing(
        calls_dir: str, names: list[str], meanwhile: Callable[[], object]
    ) -> tuple[array, int]:
        target.rename(tmp_path / "away")
        try:
            return real(calls_dir, names, meanwhile)
        finally:
            (tmp_path / "away").rename(target)

    monkeypatch.setattr(derived, "looked_at", racing)
    assert derive(s, ids, [])[1] == "CALL-2: Title 2"
    monkeypatch.setattr(derived, "looked_at", real)
    target.unlink()
    made: list[str] = []
    assert derive(s, ids, made) == ["CALL-1: Title 1", "CALL-3: Title 3"]
    assert made == []


def test_ids_are_given_when_every_file_is_named_in_another_order(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    made: list[str] = []
    derive(s, ["CALL-3", "CALL-1", "CALL-2"], made)  # remembered in another order than the store's
    s.add(make_call("CALL-0", title="Title 0"))  # and a new one
    got = s.derive_every("test1", counting(made), unreadable=[])
    assert sorted(got) == [(f"CALL-{k}", f"CALL-{k}: Title {k}") for k in range(4)]


def test_a_name_given_twice_with_every_file(tmp_path: Path) -> None:
    s = store_with(tmp_path, 3, clock_ahead=LATER)
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], [])
    ids = ["CALL-3", "CALL-2", "CALL-3", "CALL-1"]
    assert derive(s, ids, []) == [f"{i}: Title {i[5:]}" for i in ids]


def test_one_removed_and_one_added_are_seen_and_the_stale_entry_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    s = store_with(tmp_path, 3, clock_ahead=LATER)
    derive(s, ["CALL-1", "CALL-2", "CALL-3"], [])
    s.remove("CALL-2")
    s.add(make_call("CALL-4", title="Title 4"))
    Path(s.call_path("CALL-1")).write_text("id = 'CALL-1'\ntitle = \n", encoding="utf-8")
    ids = ["CALL-4", "CALL-3", "CALL-1"]
    bad: list[Unreadable] = []
    assert derive(s, ids, [], bad) == ["CALL-4: Title 4", "CALL-3: Title 3"]
    assert [Path(u.path).name for u in bad] == ["CALL-1.toml"]
    assert "CALL-2.toml" not in remembered_file(s).load()[0]
    looked = looking_on_their_own(monkeypatch)
    for _ in range(2):  # every later run: the stale entry gone, the others compared at once
        assert derive(s, ids, [], []) == ["CALL-4: Title 4", "CALL-3: Title 3"]
    assert len(looked) == 2  # only the unreadable file, once a run
