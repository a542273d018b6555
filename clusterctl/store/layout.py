"""Where everything of a store lives, and the one rule that names a call's file after its id.

Layout of a store directory (everything but ``.state/`` is meant to be kept in git)::

    clusterctl.toml         schema_version = 1  (marks the directory as a store)
    calls/<ID>.toml         one call per file, so edits to different calls never touch one file
    .gitignore              keeps .state/ out of git
    .state/lock             advisory lock (flock) held across every read-modify-write
    .state/warn.lock        serialises `warn` runs, so two never deliver the same warning
    .state/warnings-sent.json   the ledger of delivered warnings (local, not shared)
    .state/sync-history.json    when each portal search last ran, and what it brought
    .state/commit.json      journal of a multi-file change, present only while it is applied
    .state/writing          present while a change writes temporary files in calls/
    .state/calls.new/       a first import's calls, until the directory takes calls/'s place
"""

from __future__ import annotations

import os
import re

from clusterctl.errors import StoreError, describe_os_error
from clusterctl.lazyre import LazyPattern
from clusterctl.model import validate_id

MARKER = "clusterctl.toml"
CALLS_DIR = "calls"
STATE_DIR = ".state"
SUFFIX = ".toml"
GITIGNORE = (
    "# clusterctl's local state (lock, warnings ledger): never shared through git\n/.state/\n"
)
LOCK = "lock"
WARN_LOCK = "warn.lock"
JOURNAL = "commit.json"
WRITING = "writing"
LEDGER = "warnings-sent.json"
SYNC_HISTORY = "sync-history.json"
#: Names of the temporary twin of a call file (see ``files.write_temp``).
TEMP_NAME = LazyPattern(rf"\..+{re.escape(SUFFIX)}\.[A-Za-z0-9_]+\.tmp")


def call_name(call_id: str) -> str:
    """The name of the file of ``call_id`` in calls/ (validated first, as ``call_path``).

    A string, not a Path: for 10,000 ids building paths was ~0.1 s of a JSON export."""
    return f"{validate_id(call_id)}{SUFFIX}"


class Layout:
    """The paths of the store in the directory ``root``: strings, as pathlib would write them
    (``root`` as ``fileread.path_text`` gives it; not Paths, see clusterctl/fileread.py)."""

    # A plain class: a dataclass would cost every start-up 0.5 ms to create.
    __slots__ = ("root",)

    def __init__(self, root: str) -> None:
        self.root = root

    def under(self, name: str) -> str:
        """The path of ``name`` in the store's directory (``name`` alone when that is '.')."""
        return name if self.root == "." else os.path.join(self.root, name)

    @property
    def marker(self) -> str:
        return self.under(MARKER)

    @property
    def calls_dir(self) -> str:
        return self.under(CALLS_DIR)

    @property
    def state_dir(self) -> str:
        return self.under(STATE_DIR)

    @property
    def journal(self) -> str:
        return os.path.join(self.state_dir, JOURNAL)

    @property
    def writing_marker(self) -> str:
        """The file that says a change may have left temporary files in calls/."""
        return os.path.join(self.state_dir, WRITING)

    @property
    def ledger(self) -> str:
        return os.path.join(self.state_dir, LEDGER)

    @property
    def sync_history(self) -> str:
        return os.path.join(self.state_dir, SYNC_HISTORY)

    def call_path(self, call_id: str) -> str:
        """The file of ``call_id`` (validated first: an id is never used as a path unchecked)."""
        return self.under(os.path.join(CALLS_DIR, call_name(call_id)))

    def call_names(self) -> list[str]:
        """The names of the call files in calls/ (none if there is no calls/)."""
        try:
            names = os.listdir(self.calls_dir)
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise StoreError(f"{self.calls_dir}: is not a directory") from None
        except OSError as exc:
            raise StoreError(f"{self.calls_dir}: cannot list: {describe_os_error(exc)}") from None
        return [n for n in names if n.endswith(SUFFIX) and not n.startswith(".")]


def id_of(name: str) -> str:
    """The id that the name of a call file gives."""
    return name[: -len(SUFFIX)]


def id_mismatch(call_id: str, name: str) -> str | None:
    """The problem of a call file named ``name`` that declares ``call_id``, or None."""
    expected = id_of(name)
    if call_id == expected:
        return None
    return f"declares id {call_id!r} but the file name says {expected!r}"


def has_entries(directory: str) -> bool:
    """True unless ``directory`` is missing or empty (one entry is read, not the listing)."""
    try:
        with os.scandir(directory) as entries:
            return next(entries, None) is not None
    except FileNotFoundError:
        return False
    except OSError:
        return True
