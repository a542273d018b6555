"""The marker file: what makes a directory a store, and which schema its files follow."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.fileread import exists, is_dir, is_symlink, make_dir
from clusterctl.store.files import atomic_write
from clusterctl.store.layout import GITIGNORE, Layout
from clusterctl.store.tomlfile import parse_toml, read_toml_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clusterctl.store.files import StrPath

SCHEMA_VERSION = 1

#: The marker as ``marker_bytes`` writes it, read without the TOML parser (2 ms to import, which
#: a listing answered from the cache need not pay); any other text is parsed as TOML.
_AS_WRITTEN = re.compile(rb"schema_version = (0|[1-9][0-9]{0,8})\n")

#: Schema migrations: MIGRATIONS[n] turns a store of schema n into one of schema n + 1, given
#: the store's directory (a string).
MIGRATIONS: dict[int, Callable[[str], None]] = {}


def check_root(root: StrPath) -> None:
    """StoreError if ``root`` exists but is no directory this user can read."""
    try:
        info = os.stat(root)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise StoreError(f"{root}: cannot open: {describe_os_error(exc)}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{root}: is a file; a clusterctl store is a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise StoreError(f"{root}: permission denied: this user cannot read the store")


def store_exists(layout: Layout) -> bool:
    """True when the store directory holds a store marker (or anything at all)."""
    check_root(layout.root)
    return is_dir(layout.root) and (exists(layout.marker) or exists(layout.calls_dir))


def marker_bytes(version: int) -> bytes:
    """The marker file of a store of schema ``version``."""
    return f"schema_version = {version}\n".encode()


def marker_version(layout: Layout) -> int:
    """The schema version in the marker file; StoreError if missing or malformed."""
    marker = layout.marker
    try:
        raw = read_toml_bytes(marker, str(marker))
    except FileNotFoundError:
        if exists(layout.calls_dir):
            raise StoreError(
                f"{marker}: missing, but {layout.calls_dir} exists; restore the marker "
                f"(schema_version = {SCHEMA_VERSION}) before changing this store"
            ) from None
        raise StoreError(
            f"{marker}: missing; {layout.root} is not a clusterctl store "
            f"(create one with clusterctl add, or point --store elsewhere)"
        ) from None
    as_written = _AS_WRITTEN.fullmatch(raw)
    if as_written:
        return int(as_written[1])
    version = parse_toml(raw, str(marker)).get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise StoreError(f"{marker}: 'schema_version' must be a whole number")
    return version


def require_schema(layout: Layout) -> None:
    """StoreError unless the store's schema is the one this program reads and writes."""
    version = marker_version(layout)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{layout.marker}: schema version {version} is newer than this clusterctl "
            f"understands ({SCHEMA_VERSION}); upgrade clusterctl. Nothing was changed."
        )
    if version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise StoreError(
                f"{layout.marker}: schema version {version} was never written by "
                f"clusterctl (the first schema is 1); fix the marker by hand"
            )
        raise StoreError(
            f"{layout.marker}: schema version {version} is older than "
            f"{SCHEMA_VERSION}; run `clusterctl migrate` (a backup is kept)"
        )


def ensure_store(layout: Layout, *, create: bool) -> list[str]:
    """Under the lock: insist on a schema this program knows; ``create`` a fresh store.

    Return what was created (for ``undo_create``): nothing unless the store is new.
    """
    marker = layout.marker
    if exists(marker) or is_symlink(marker) or exists(layout.calls_dir):
        require_schema(layout)  # never adopts a calls/ directory whose marker is missing
        fresh = False
    else:
        fresh = True
    created: list[str] = []
    if not create:
        return created
    try:
        if fresh:
            # The marker first: a reader that sees calls/ can then always read its schema.
            atomic_write(marker, marker_bytes(SCHEMA_VERSION))
            created.append(marker)
            gitignore = layout.under(".gitignore")
            if not exists(gitignore):
                atomic_write(gitignore, GITIGNORE.encode())
                created.append(gitignore)
        make_dir(layout.calls_dir)
        if fresh:
            created.append(layout.calls_dir)
    except OSError as exc:
        undo_create(created)
        raise StoreError(
            f"{layout.root}: cannot create the store: {describe_os_error(exc)}"
        ) from None
    return created


def undo_create(created: list[str]) -> None:
    """Under the lock: remove what ``ensure_store`` created for a first change that then failed,
    so that it leaves no store behind; calls/ last, and only while it is empty."""
    for path in reversed(created):
        try:
            if is_dir(path):
                os.rmdir(path)
            else:
                os.unlink(path)
        except OSError:
            return  # calls/ holds files after all: keep the store they belong to
