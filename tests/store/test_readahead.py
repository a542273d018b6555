"""Reading call files ahead (store/readahead.py): asked for only when they are not in memory,
and never a failure of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clusterctl.store import readahead

pytestmark = pytest.mark.skipif(
    not readahead.AVAILABLE, reason="needs posix_fadvise and RWF_NOWAIT"
)


def files(tmp_path: Path, count: int) -> list[str]:
    names = [f"C-{n}.toml" for n in range(count)]
    for name in names:
        (tmp_path / name).write_text(f'id = "{name[:-5]}"\n')
    return names


def test_files_in_memory_are_not_asked_for(tmp_path: Path) -> None:
    names = files(tmp_path, 5)  # just written: in the page cache
    assert readahead.advise(str(tmp_path), names) == 0


def _dropped(tmp_path: Path, names: list[str]) -> bool:
    """Sync the files ``names`` and drop them from the page cache; whether the first of them
    is then out of memory (a read that must not wait fails), as on a disk and not on tmpfs."""
    dir_fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for name in names:
            fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        fd = os.open(names[0], os.O_RDONLY, dir_fd=dir_fd)
        try:
            os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT)
            return False
        except BlockingIOError:
            return True
        except OSError:  # no RWF_NOWAIT here (tmpfs): cannot tell
            return False
        finally:
            os.close(fd)
    finally:
        os.close(dir_fd)


def test_files_the_page_cache_let_go_are_found_out_and_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Synced, then dropped from the page cache (as the kernel does under pressure): the probe
    # finds it out, and all of the batch is asked for. The first file tells whether this file
    # system drops pages at all; the batch is the others, which nothing read since.
    names = files(tmp_path, 4)
    if not _dropped(tmp_path, names):
        pytest.skip("this file system keeps its pages in memory, or cannot say (tmpfs)")
    probe = readahead.in_memory
    found: list[bool] = []
    monkeypatch.setattr(
        readahead, "in_memory", lambda name, fd: found.append(probe(name, fd)) or found[-1]
    )
    assert readahead.advise(str(tmp_path), names[1:]) == 3
    assert found == [False]
    with open(tmp_path / names[1], "rb") as handle:  # what the reader then reads is the file
        assert handle.read() == b'id = "C-1"\n'


def test_files_not_in_memory_are_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = files(tmp_path, 5)
    probed: list[str] = []

    def not_there(name: str, dir_fd: int) -> bool:
        probed.append(name)
        return False

    monkeypatch.setattr(readahead, "in_memory", not_there)
    assert readahead.advise(str(tmp_path), names) == 5
    assert probed == [names[-1]], "one probe a batch: its last file"


def test_what_cannot_be_read_ahead_is_left_to_its_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = files(tmp_path, 2)
    os.mkfifo(tmp_path / "F.toml")  # opened without blocking; no advice for a pipe
    (tmp_path / "D.toml").mkdir()
    (tmp_path / "L.toml").symlink_to(tmp_path / "nowhere")
    monkeypatch.setattr(readahead, "in_memory", lambda name, dir_fd: False)
    batch = [*names, "F.toml", "D.toml", "L.toml", "gone.toml", "nul\x00.toml"]
    assert readahead.advise(str(tmp_path), batch) == 3  # the two files, and the directory
    assert readahead.advise(str(tmp_path / "no-such-dir"), batch) == 0
    assert readahead.advise(str(tmp_path / "F.toml"), batch) == 0  # not a directory: no wait
    assert readahead.advise(str(tmp_path), []) == 0


def test_a_probe_that_cannot_tell_asks_for_nothing(tmp_path: Path) -> None:
    files(tmp_path, 1)
    dir_fd = os.open(tmp_path, os.O_RDONLY)
    try:
        assert readahead.in_memory("C-0.toml", dir_fd)
        assert readahead.in_memory("gone.toml", dir_fd)
        (tmp_path / "D").mkdir()
        assert readahead.in_memory("D", dir_fd)  # a directory cannot be read: nothing to ask
    finally:
        os.close(dir_fd)
