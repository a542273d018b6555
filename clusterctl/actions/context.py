"""The per-run context: the global options, resolved lazily, with no command-line framework.

Both routes into a command build it with :meth:`AppContext.from_options` from the global options
and hand it to the action: the Typer app (``clusterctl.cli.typer_app``) and the Typer-free fast
route (``clusterctl.cli.fast``).
"""

from __future__ import annotations

import math
import os
import sys
from datetime import UTC, datetime

from clusterctl.config import Config, load_config, user_dir
from clusterctl.errors import StoreError, UsageError
from clusterctl.fileread import exists, expand_user
from clusterctl.layout import Terminal
from clusterctl.render import color_wanted, terminal_of
from clusterctl.store import Store
from clusterctl.timeparse import parse_now
from clusterctl.zones import DEFAULT_ZONE, canonical_zone_name


class AppContext:
    """Everything a command needs from the global options, resolved lazily.

    ``store_option`` is kept as a string: the fast route gives one, the Typer route a Path.
    """

    __slots__ = ("_config", "lock_timeout_option", "no_color", "store_option")

    def __init__(
        self,
        store_option: str | os.PathLike[str] | None = None,
        lock_timeout_option: float | None = None,
        no_color: bool = False,
    ) -> None:
        self.store_option = None if store_option is None else os.fspath(store_option)
        self.lock_timeout_option = lock_timeout_option
        self.no_color = no_color
        self._config: Config | None = None

    @classmethod
    def from_options(
        cls,
        *,
        store: str | os.PathLike[str] | None = None,
        lock_timeout: float | None = None,
        no_color: bool = False,
    ) -> AppContext:
        """The context for the global options, keyed by their parameter names."""
        return cls(store_option=store, lock_timeout_option=lock_timeout, no_color=no_color)

    @property
    def config(self) -> Config:
        """The user's config file (empty defaults when it does not exist)."""
        if self._config is None:
            self._config = load_config()
        return self._config

    def store_path(self) -> tuple[str, str]:
        """Where the store is and which rule chose it."""
        if self.store_option is not None:
            try:
                return expand_user(self.store_option), "--store / CLUSTERCTL_STORE"
            except RuntimeError:  # '~someone' with no such user: pathlib's error, not a crash
                raise UsageError(
                    f"store {os.fspath(self.store_option)!r}: no home directory for its '~'"
                ) from None
        if self.config.store is not None:
            return self.config.store, f"config file {self.config.path}"
        return os.path.join(user_dir("data"), "store"), "default"

    def store(self) -> Store:
        """The Store the command works on."""
        timeout = self.lock_timeout_option
        if timeout is not None and math.isnan(timeout):  # Click's FloatRange lets 'nan' through
            raise UsageError("--lock-timeout must be a number of seconds, not 'nan'")
        if timeout is None:
            timeout = self.config.lock_timeout if self.config.lock_timeout is not None else 10.0
        return Store(self.store_path()[0], lock_timeout=timeout)

    def existing_store(self) -> Store:
        """The Store, which must exist if the user named it (--store, $CLUSTERCTL_STORE, the
        config file): only ``add`` and ``import`` create one, so a path that does not exist is
        a mistyped one, not an empty store."""
        store = self.store()
        # The per-user default is made by the first add: before that, there are no calls yet.
        if not exists(store.root) and self.store_path()[1] != "default":
            raise StoreError(
                f"{store.root}: no clusterctl store there (check --store, $CLUSTERCTL_STORE "
                "or the config file; clusterctl add or import creates one)"
            )
        return store

    def now(self, at: str | None, tz_option: str | None = None) -> datetime:
        """``--at`` parsed, else the clock, once.

        A time without a zone in ``--at`` (and a bare date, which means 00:00) is read in the
        viewer's zone: --tz, else the config file's, else Europe/Brussels.
        """
        if at is None:
            return datetime.now(UTC)
        return parse_now(at, self.display_zone(tz_option) or DEFAULT_ZONE).astimezone(UTC)

    def display_zone(self, option: str | None) -> str | None:
        """The viewer's zone from --tz or the config file; None shows each call's own zone."""
        name = option or self.config.timezone
        return canonical_zone_name(name) if name else None

    def color(self) -> bool:
        """Whether to colour stdout."""
        return color_wanted(sys.stdout, self.no_color)

    def terminal(self) -> Terminal | None:
        """The terminal stdout is (its width, colour, encoding), else None (plain output)."""
        return terminal_of(sys.stdout, self.no_color)
