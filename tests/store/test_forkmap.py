"""Cold reads on every core (store/forkmap.py): forked workers give exactly what one process
gives, in order, and any failure of a worker only makes the read slower, never wrong."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clusterctl.jsontext import KIND, call_template
from clusterctl.store import Store, Unreadable, forkmap
from tests.store.helpers import make_call

PARENT = os.getpid()


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork for any number of items, into three processes, however many cores there are."""
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: 3)


def in_worker() -> bool:
    return os.getpid() != PARENT


def test_results_come_back_in_order_from_every_worker(forking: None) -> None:
    items = list(range(100))
    results = forkmap.fork_map(lambda x: (x * x, os.getpid()), items)
    assert [r[0] for r in results] == [x * x for x in items]
    pids = {r[1] for r in results}
    assert (
        PARENT in pids and len(pids) == 3
    )  # this process did the first part, two workers the rest


def test_fewer_items_than_the_minimum_are_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "workers", lambda: 3)
    items = list(range(forkmap.FORK_MINIMUM - 1))
    assert {pid for pid in forkmap.fork_map(lambda _: os.getpid(), items)} == {PARENT}


def test_a_worker_that_dies_leaves_its_part_to_this_process(forking: None) -> None:
    def square(x: int) -> int:
        if in_worker() and x == 70:
            os._exit(9)  # killed mid-part, as by the OOM killer
        return x * x

    assert forkmap.fork_map(square, list(range(100))) == [x * x for x in range(100)]


def test_a_result_that_does_not_pickle_is_made_here(forking: None) -> None:
    def make(x: int) -> object:
        return (lambda: x) if in_worker() else x

    assert forkmap.fork_map(make, list(range(30))) == list(range(30))


def test_an_error_is_raised_here_as_without_workers(forking: None) -> None:
    def fail_on_seven(x: int) -> int:
        if x == 7 or x == 77:
            raise ValueError(f"bad {x}")
        return x

    with pytest.raises(ValueError, match="bad 77"):  # 77 is in a worker's part, done again here
        forkmap.fork_map(fail_on_seven, [*range(10, 100), 77])
    with pytest.raises(ValueError, match="bad 7"):  # in this process's own part
        forkmap.fork_map(fail_on_seven, list(range(100)))
    assert not _children()  # every worker was reaped


@pytest.mark.parametrize("share", [None, 0.55])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_work_done_meanwhile_comes_before_a_smaller_part_here(
    monkeypatch: pytest.MonkeyPatch, count: int, share: float | None
) -> None:
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: count)
    done: list[str] = []

    def part(items: list[int]) -> tuple[list[int], int]:
        if not in_worker():
            done.append("part")
        return [x * x for x in items], os.getpid()

    meanwhile = lambda: done.append("meanwhile")  # noqa: E731
    if share is None:
        parts = forkmap.fork_parts(part, list(range(100)), meanwhile=meanwhile)
    else:
        parts = forkmap.fork_parts(part, list(range(100)), meanwhile=meanwhile, share=share)
    assert [x for squares, _ in parts for x in squares] == [x * x for x in range(100)]
    assert done == ["meanwhile", "part"]  # called once, here, before this process's part
    assert parts[0][1] == PARENT and len({pid for _, pid in parts}) == count
    if count > 1:  # this process's part is the share (MEANWHILE_SHARE unless given) of a worker's
        share = forkmap.MEANWHILE_SHARE if share is None else share
        assert len(parts[0][0]) == int(100 * share / (count - 1 + share))
        assert len({len(squares) for squares, _ in parts[1:-1]}) <= 1  # the workers' alike


def test_work_done_meanwhile_that_fails_ends_the_workers(forking: None) -> None:
    def fail() -> None:
        raise OSError("no space left")

    with pytest.raises(OSError, match="no space left"):
        forkmap.fork_parts(lambda items: list(items), list(range(100)), meanwhile=fail)
    assert _children() == []


def test_each_process_is_told_of_its_next_items_before_it_works_on_them(
    forking: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Each process tells ``ahead`` of each batch of its part before it works on the batch
    # (the first as it starts, every later one while it works on the one before): the
    # results are those without ``ahead``.
    monkeypatch.setattr(forkmap, "AHEAD_STEP", 4)
    log = tmp_path / "log"

    def ahead(batch: list[int]) -> None:
        with open(log, "a") as out:
            out.write(f"{os.getpid()} ahead {' '.join(map(str, batch))}\n")

    def square(x: int) -> int:
        with open(log, "a") as out:
            out.write(f"{os.getpid()} work {x}\n")
        return x * x

    items = list(range(30))
    assert forkmap.fork_map(square, items, ahead) == [x * x for x in items]
    by_pid: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        pid, what = line.split(" ", 1)
        by_pid.setdefault(pid, []).append(what)
    assert len(by_pid) == 3
    told_anywhere: set[int] = set()
    for events in by_pid.values():
        told: list[int] = []
        done = 0
        for event in events:
            kind, *numbers = event.split()
            if kind == "ahead":
                assert 0 < len(numbers) <= 4
                told.extend(int(x) for x in numbers)
            else:
                assert int(numbers[0]) in told, f"worked on {numbers[0]} before it was told of"
                # told of the batch it works on and of the next one, never more
                assert len(told) <= (done // 4 + 2) * 4
                done += 1
        told_anywhere.update(told)
    assert told_anywhere == set(items)


def test_ahead_is_not_asked_without_it_or_for_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "workers", lambda: 1)  # one process: every call is seen here
    calls: list[list[int]] = []
    assert forkmap.fork_map(lambda x: x, [1, 2, 3], calls.append) == [1, 2, 3]
    assert forkmap.fork_map(lambda x: x, [], calls.append) == []
    assert calls == [[1, 2, 3]], "told of each batch once, and never of an empty one"


def test_results_made_ahead_come_in_order_from_a_worker(forking: None) -> None:
    items = list(range(forkmap.AHEAD_BATCH * 3 + 7))  # the last batch is short
    with forkmap.fork_ahead(lambda x: (x * x, os.getpid()), items) as (made, forked):
        results = list(made)
    assert forked
    assert [r[0] for r in results] == [x * x for x in items]
    assert {r[1] for r in results} != {PARENT}  # made by the worker
    assert not _children()


def test_fewer_items_than_the_minimum_are_made_here_as_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(forkmap, "workers", lambda: 3)
    with forkmap.fork_ahead(lambda _: os.getpid(), list(range(10))) as (made, _):
        assert set(made) == {PARENT}


def test_what_a_dead_worker_did_not_send_is_made_here(forking: None) -> None:
    def square(x: int) -> int:
        if in_worker() and x == forkmap.AHEAD_BATCH + 5:
            os._exit(9)  # killed mid-batch, as by the OOM killer
        return x * x

    items = list(range(forkmap.AHEAD_BATCH * 3))
    with forkmap.fork_ahead(lambda x: (square(x), os.getpid()), items) as (made, _):
        results = list(made)
    assert [r[0] for r in results] == [x * x for x in items]
    # The first batch came from the worker, the rest was made here.
    assert results[0][1] != PARENT and {r[1] for r in results[forkmap.AHEAD_BATCH :]} == {PARENT}
    assert not _children()


def test_an_error_made_ahead_is_raised_here_at_its_item(forking: None) -> None:
    def fail_on(x: int) -> int:
        if x == forkmap.AHEAD_BATCH + 3:
            raise ValueError(f"bad {x}")
        return x

    seen: list[int] = []
    with (
        pytest.raises(ValueError, match=f"bad {forkmap.AHEAD_BATCH + 3}"),
        forkmap.fork_ahead(fail_on, list(range(forkmap.AHEAD_BATCH * 2))) as (made, _),
    ):
        seen.extend(made)
    assert seen == list(range(forkmap.AHEAD_BATCH + 3))  # every item before it, in order
    assert not _children()


def test_a_block_left_early_ends_its_worker(forking: None) -> None:
    items = list(range(forkmap.AHEAD_BATCH * 50))
    with forkmap.fork_ahead(lambda x: b"x" * 1000, items) as (made, _):  # fills the pipe
        assert next(made) == b"x" * 1000
    assert not _children()


def test_no_fork_makes_everything_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.delattr(os, "fork")
    with forkmap.fork_ahead(lambda _: os.getpid(), list(range(500))) as (made, _):
        assert set(made) == {PARENT}


def _turns(count: int) -> list[int]:
    return list(range(count))


def test_turns_pair_each_item_with_what_the_worker_made(forking: None) -> None:
    batch = forkmap.TURN_BATCH
    items = _turns(batch * 4 + 7)  # the worker's second turn is full, this process's last short
    pairs = list(
        forkmap.fork_turns(lambda x: (x * x, os.getpid()), iter(items), lambda: iter(items))
    )
    assert [x for x, _ in pairs] == items
    for x, made in pairs:
        if (x // batch) % 2:
            assert made is not None and made[0] == x * x and made[1] != PARENT
        else:
            assert made is None  # for this process to make
    assert not _children()


def test_a_worker_that_fails_leaves_every_later_item_to_this_process(forking: None) -> None:
    batch = forkmap.TURN_BATCH
    items = _turns(batch * 6)

    def square(x: int) -> int:
        if x == batch * 3 + 5:
            raise ValueError("made here again, where it raises as without a worker")
        return x * x

    pairs = list(forkmap.fork_turns(square, iter(items), lambda: iter(items)))
    assert [x for x, _ in pairs] == items
    assert [x for x, made in pairs if made is not None] == list(range(batch, batch * 2))
    assert all(made == x * x for x, made in pairs if made is not None)
    assert not _children()


def test_an_error_of_the_items_here_ends_the_worker(forking: None) -> None:
    def items() -> Iterator[int]:
        yield from range(forkmap.TURN_BATCH * 3)
        raise ValueError("malformed input")

    with pytest.raises(ValueError, match="malformed input"):
        for _ in forkmap.fork_turns(lambda x: x, items(), items):
            pass
    assert not _children()


def test_without_a_worker_this_process_makes_every_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    items = _turns(forkmap.TURN_BATCH * 3)
    pairs = list(forkmap.fork_turns(lambda x: x, iter(items), lambda: iter(items)))
    assert pairs == [(x, None) for x in items]


def test_no_fork_means_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    assert forkmap.workers() == 1
    monkeypatch.undo()
    assert 1 <= forkmap.workers() <= forkmap.MAX_WORKERS


def _children() -> list[str]:
    try:
        return (Path("/proc") / str(PARENT) / "task" / str(PARENT) / "children").read_text().split()
    except OSError:
        return []


def _store_with_trouble(root: Path) -> Store:
    """Forty calls, one file that does not parse and one link to nothing."""
    store = Store(root / "store", cache_dir=root / "unused")
    for n in range(40):
        store.add(make_call(f"CALL-{n:02d}", title=f"Title {n}"))
    Path(store.call_path("CALL-13")).write_text("id = 'CALL-13'\ntitle = \n", encoding="utf-8")
    os.symlink("nowhere.toml", store.call_path("LINK-1"))
    return store


def _read(root: Path, cache: str) -> tuple[list, list[Unreadable], list, list[Unreadable]]:
    store = Store(root / "store", cache_dir=root / cache)
    bad: list[Unreadable] = []
    summaries = sorted(store.summaries(unreadable=bad))
    bad_json: list[Unreadable] = []
    templates = store.derive(store.ids(), KIND, call_template, unreadable=bad_json)
    return summaries, sorted(bad), templates, sorted(bad_json)


def test_a_cold_read_on_every_core_is_the_read_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_with_trouble(tmp_path)
    alone = _read(tmp_path, "cache-alone")
    assert len(alone[0]) == 39 and len(alone[2]) == 39
    assert [os.path.basename(u.path) for u in alone[1]] == ["CALL-13.toml", "LINK-1.toml"]
    # A link to nothing is gone for derive (summaries, which listings read first, report it).
    assert [os.path.basename(u.path) for u in alone[3]] == ["CALL-13.toml"]
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: 3)
    assert _read(tmp_path, "cache-forked") == alone
    # What the workers read is remembered as if read here: the next read parses no file but
    # those that could not be read.
    from clusterctl.store import derived, reread

    parsed: list[str] = []
    for module, name in ((reread, "parse_summary"), (derived, "parse_call")):
        monkeypatch.setattr(module, name, _spy(getattr(module, name), parsed))
    assert _read(tmp_path, "cache-forked") == alone
    assert set(parsed) == {"CALL-13.toml"}


def _spy(real: Callable[..., object], parsed: list[str]) -> Callable[..., object]:
    def spy(*args: object) -> object:
        parsed.append(os.path.basename(str(args[-1])))
        return real(*args)

    return spy


def test_signatures_on_every_core_are_those_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clusterctl.store.signature import GONE, signatures

    store = _store_with_trouble(tmp_path)
    names = [*sorted(os.listdir(store.calls_dir)), "MISSING-1.toml"]
    alone = signatures(store.calls_dir, names)
    assert tuple(alone[-4:]) == GONE and -1 not in alone[:-4]
    monkeypatch.setattr(forkmap, "FORK_MINIMUM", 1)
    monkeypatch.setattr(forkmap, "workers", lambda: 3)
    pids = []
    real = forkmap._fork

    def counted(*args: object) -> tuple[int, int]:
        pids.append(real(*args))  # type: ignore[arg-type]
        return pids[-1]

    monkeypatch.setattr(forkmap, "_fork", counted)
    assert signatures(store.calls_dir, names) == alone
    assert len(pids) == 2
