"""Paths as plain text: the same strings and answers as pathlib's, without importing it.

The config and the store keep paths as ``str`` (importing pathlib costs every run ~3.4 ms), so
what ``clusterctl.fileread`` gives must be what pathlib gave: the messages that name a path,
and which errors mean "not there", stay as they were.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterctl import fileread
from clusterctl.fileread import (
    exists,
    expand_user,
    is_dir,
    is_file,
    is_symlink,
    make_dir,
    path_text,
)

#: Path texts made of the characters that matter to pathlib's parsing.
PATH_TEXTS = st.text(alphabet="/.~a", max_size=12)


@given(PATH_TEXTS)
def test_path_text_is_the_text_of_a_pure_path(text: str) -> None:
    assert path_text(text) == str(PurePosixPath(text))


@pytest.mark.parametrize(
    "text", ["", ".", "./", "a//b/", "/", "//", "///", "//a//b/", "///a", "/./a/.", "../a/./b/"]
)
def test_path_text_of_the_odd_spellings(text: str) -> None:
    assert path_text(text) == str(PurePosixPath(text))
    assert path_text(Path(text)) == str(Path(text))  # a Path is taken as its text


def _expanded(text: str) -> object:
    try:
        return str(Path(text).expanduser())
    except RuntimeError as exc:
        return ("RuntimeError", str(exc))


def _ours(text: str) -> object:
    try:
        return expand_user(text)
    except RuntimeError as exc:
        return ("RuntimeError", str(exc))


@given(PATH_TEXTS)
def test_expand_user_is_pathlibs_expanduser(text: str) -> None:
    assert _ours(text) == _expanded(text)


@pytest.mark.parametrize("home", ["/home/u", "/home/u/", "//h", "/", "relative/home"])
@pytest.mark.parametrize("text", ["~", "~/x", "~//x/y/", "~/./x", "x/~", "~root/x", "~no-such-u/x"])
def test_expand_user_reads_home_as_pathlib_does(
    home: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", home)
    assert _ours(text) == _expanded(text)


def test_the_predicates_answer_as_pathlib_does(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "file")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    names = ["file", "dir", "link", "dangling", "loop", "nowhere", "file/below", "a\0b"]
    for name in names:
        path = tmp_path / name
        for ours, theirs in (
            (exists, Path.exists),
            (is_dir, Path.is_dir),
            (is_file, Path.is_file),
            (is_symlink, Path.is_symlink),
        ):
            assert ours(str(path)) == theirs(path), (name, ours.__name__)


@pytest.mark.parametrize("code", [errno.EACCES, errno.ENAMETOOLONG, errno.EIO])
def test_a_failure_other_than_absence_is_raised_as_by_pathlib(
    code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.path.exists would say False; pathlib raises (root reads everything: injected here).
    def failing(path: object, **kwargs: object) -> os.stat_result:
        raise OSError(code, os.strerror(code), path)

    monkeypatch.setattr(fileread.os, "stat", failing)
    for ours in (exists, is_dir, is_file, is_symlink):
        with pytest.raises(OSError) as caught:
            ours(str(tmp_path / "x"))
        assert caught.value.errno == code


def test_make_dir_is_mkdir_with_exist_ok(tmp_path: Path) -> None:
    target = str(tmp_path / "a" / "b" / "c")
    with pytest.raises(FileNotFoundError):
        make_dir(target)  # no parents without parents=True, as Path.mkdir
    make_dir(target, 0o700, parents=True)
    make_dir(target, parents=True)  # there already: no error
    assert os.path.isdir(target)
    assert os.stat(target).st_mode & 0o777 == 0o700 & ~_umask()
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        make_dir(str(tmp_path / "file"))  # a file in the way is an error
    make_dir(".")  # the working directory is there


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- read_bounded -----------------------------------------------------------------------------

STEP = fileread._READ_STEP


@pytest.mark.parametrize(
    "size", [0, 1, 550, STEP - 1, STEP, STEP + 1, 3 * STEP + 5, 100_000, 100_001]
)
def test_read_bounded_reads_every_byte_up_to_the_limit(tmp_path: Path, size: int) -> None:
    data = bytes(n % 251 for n in range(size))
    path = tmp_path / "f"
    path.write_bytes(data)
    raw, info = fileread.read_bounded(str(path), 100_001)
    assert raw == data
    assert info.st_size == size


@pytest.mark.parametrize("size", [100_002, 100_001 + STEP, 1 << 20])
def test_read_bounded_refuses_a_file_over_the_limit(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * size)
    with pytest.raises(fileread.UnreadableFile) as caught:
        fileread.read_bounded(str(path), 100_001)
    assert (caught.value.kind, caught.value.size) == ("too large", size)


def test_read_bounded_does_not_trust_the_size_fstat_gives(tmp_path: Path) -> None:
    # /proc's files are regular files of size 0 that hold text: read to their end all the same.
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc")
    raw, info = fileread.read_bounded("/proc/self/status", 1 << 20)
    assert info.st_size == 0
    assert raw.startswith(b"Name:") and raw.endswith(b"\n")


def test_read_bounded_reads_what_a_file_gained_after_its_fstat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file grows between the fstat and the reads (a writer appending): every byte is read,
    # and the limit still holds.
    path = tmp_path / "f"
    path.write_bytes(b"a" * 100)
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        with open(path, "ab") as more:
            more.write(b"b" * (3 * STEP))
        return info

    monkeypatch.setattr(fileread.os, "fstat", fstat_then_grow)
    raw, info = fileread.read_bounded(str(path), 1 << 20)
    assert info.st_size == 100
    assert raw == b"a" * 100 + b"b" * (3 * STEP)
    path.write_bytes(b"a" * 100)
    with pytest.raises(fileread.UnreadableFile) as caught:
        fileread.read_bounded(str(path), 2 * STEP)
    assert caught.value.kind == "too large"


def test_read_bounded_refuses_a_directory_and_a_fifo(tmp_path: Path) -> None:
    with pytest.raises(fileread.UnreadableFile) as caught:
        fileread.read_bounded(str(tmp_path), 100)
    assert caught.value.kind == "directory"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(fileread.UnreadableFile) as caught:
        fileread.read_bounded(str(fifo), 100)
    assert caught.value.kind == "special"
