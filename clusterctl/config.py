"""The user's config file: defaults for the store, display zone, warnings and SMTP delivery.

Location: ``$CLUSTERCTL_CONFIG`` if set, else ``config.toml`` in the platform's user config
directory (``~/.config/clusterctl/config.toml`` on Linux). A missing file means "no settings".
Every key is optional; unknown keys and wrongly typed values are errors naming the key and file.

```toml
store = "~/clusterctl-store"          # default store directory ("~" expanded; a relative
                                      # path is relative to this file's directory)
timezone = "Europe/Lisbon"            # IANA zone deadlines are displayed in (the viewer's zone)
lock_timeout = 10                     # seconds to wait for the store's lock

[warn]
thresholds = "30d,14d,7d,2d,1d"       # default for --thresholds, same syntax
email = ["team@example.org"]          # default digest recipients (plain addresses)
notify = ["ntfy://ntfy.sh/our-calls"] # default chat channels (Apprise URLs)
tags = ["ours"]                       # warn only about calls with all these tags
programme = "HORIZON"                 # ... whose programme contains this
search = "cluster"                    # ... that contain this text

[portal]
endpoint = "https://..."              # the search API (default: the EU portal's)
timeout = 30                          # seconds per request
[[portal.search]]                     # saved searches that `clusterctl sync` runs
name = "clusters"
text = "cluster"
status = ["open", "forthcoming"]
filters = { frameworkProgramme = ["43108390"] }

[smtp]
host = "smtp.example.org"
port = 587                            # default: 25 for none, 587 for starttls, 465 for ssl
from = "clusterctl@example.org"
user = "bot"                          # user and password go together
password = "secret"                   # only if the file is readable by its owner alone (chmod 600)
tls = "starttls"                      # none | starttls | ssl; default: by port (25 none,
                                      # 465 ssl, otherwise starttls)
```

Environment variables override the ``[smtp]`` table key by key: ``CLUSTERCTL_SMTP_HOST``,
``CLUSTERCTL_SMTP_PORT``, ``CLUSTERCTL_SMTP_FROM``, ``CLUSTERCTL_SMTP_USER``,
``CLUSTERCTL_SMTP_PASSWORD`` and ``CLUSTERCTL_SMTP_TLS`` (an empty variable counts as unset).
A password is never sent unencrypted except to a loopback host.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping

from clusterctl.errors import ConfigError, UsageError
from clusterctl.fileread import UnreadableFile, expand_user, path_text, read_bounded
from clusterctl.timeparse import parse_thresholds
from clusterctl.tomlparse import TomlSyntaxError, parse_toml_text
from clusterctl.zones import canonical_zone_name

#: Environment variable naming the config file.
CONFIG_ENV = "CLUSTERCTL_CONFIG"
#: What ``masked`` shows instead of the SMTP password.
MASK = "********"
TLS_MODES = ("none", "starttls", "ssl")

# A config file is a few hundred bytes; refusing big ones keeps a wrong path from eating memory.
_MAX_BYTES = 1 << 20


class Config:
    """The settings read from the config file (``exists`` is False when there is no file).

    ``path`` and ``store`` are strings (any ``os.PathLike`` is accepted), as pathlib writes them.
    A plain class rather than a dataclass: generating a 15-field frozen dataclass costs ~5 ms
    of every run, more than reading the file.
    """

    __slots__ = _FIELDS = (
        "path",
        "exists",
        "store",
        "timezone",
        "lock_timeout",
        "warn_thresholds",
        "warn_email",
        "warn_notify",
        "warn_tags",
        "warn_programme",
        "warn_search",
        "portal_endpoint",
        "portal_timeout",
        "portal_searches",
        "smtp",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        exists: bool = False,
        store: str | os.PathLike[str] | None = None,
        timezone: str | None = None,
        lock_timeout: float | None = None,
        warn_thresholds: str | None = None,
        warn_email: tuple[str, ...] = (),
        warn_notify: tuple[str, ...] = (),
        warn_tags: tuple[str, ...] = (),
        warn_programme: str | None = None,
        warn_search: str | None = None,
        portal_endpoint: str | None = None,
        portal_timeout: float | None = None,
        portal_searches: tuple[object, ...] = (),
        smtp: dict[str, object] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.exists = exists
        self.store = None if store is None else os.fspath(store)
        self.timezone = timezone
        self.lock_timeout = lock_timeout
        self.warn_thresholds = warn_thresholds
        self.warn_email = warn_email
        self.warn_notify = warn_notify
        self.warn_tags = warn_tags
        self.warn_programme = warn_programme
        self.warn_search = warn_search
        self.portal_endpoint = portal_endpoint
        self.portal_timeout = portal_timeout
        #: The raw ``[[portal.search]]`` array: checked by ``portal_search`` when `sync` runs.
        self.portal_searches = portal_searches
        # The raw [smtp] table holds the password: Config has no repr that would show it.
        self.smtp: dict[str, object] = smtp if smtp is not None else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]


class _Invalid(Exception):
    """A value failed validation; the argument says what it must be."""


def config_path(env: Mapping[str, str] | None = None) -> str:
    """Return the config file's path: ``$CLUSTERCTL_CONFIG`` or the platform default."""
    env = os.environ if env is None else env
    value = env.get(CONFIG_ENV)
    if value:
        try:
            return expand_user(value)
        except RuntimeError:  # '~someone' with no such user
            raise UsageError(f"${CONFIG_ENV} {value!r}: no home directory for its '~'") from None
    return os.path.join(user_dir("config"), "config.toml")


_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "state": ("XDG_STATE_HOME", ".local/state"),
}


def user_dir(kind: str) -> str:
    """The per-user ``config``, ``data``, ``cache`` or ``state`` directory of clusterctl.

    On Linux this is the XDG rule, computed here because importing platformdirs (and the
    ``platform`` module it pulls in) costs more than many whole commands; elsewhere platformdirs
    knows the platform's convention.
    """
    if sys.platform.startswith("linux"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "")
        root = base if base and os.path.isabs(base) else os.path.join(expand_user("~"), default)
        return path_text(os.path.join(root, "clusterctl"))
    import platformdirs  # ~6 ms, only off Linux

    finder = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
        "state": platformdirs.user_state_dir,
    }[kind]
    return path_text(finder("clusterctl"))


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config file at ``path`` (default: ``config_path()``)."""
    path = config_path() if path is None else path_text(path)
    read = _read(path)
    if read is None:
        return Config(path=path)
    raw, mode = read
    try:
        # utf-8-sig: editors on Windows like to prepend a byte order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"config file {path}: not valid UTF-8 text (at line {line})") from None
    try:
        data = parse_toml_text(text)
    except TomlSyntaxError as exc:
        raise ConfigError(f"config file {path}: {_toml_message(exc, text)}") from None
    except RecursionError:
        raise ConfigError(f"config file {path}: nested too deeply") from None
    config = _build(path, data)
    if "password" in config.smtp and os.name != "nt" and mode & 0o077:
        import shlex  # ~0.3 ms, for this refusal only

        quoted = shlex.quote(path)
        raise ConfigError(
            f"config file {path} holds an SMTP password but is readable by others; "
            f"run: chmod 600 {quoted}"
        )
    return config


def masked(config: Config) -> dict:
    """Return the config's settings as a plain dict, the SMTP password replaced by ``MASK``."""
    from clusterctl.channels import mask_url  # ~0.8 ms, for `config show` only

    return {
        "path": str(config.path),
        "exists": config.exists,
        "store": None if config.store is None else str(config.store),
        "timezone": config.timezone,
        "lock_timeout": config.lock_timeout,
        "warn": {
            "thresholds": config.warn_thresholds,
            "email": list(config.warn_email),
            "notify": [mask_url(url) for url in config.warn_notify],
            "tags": list(config.warn_tags),
            "programme": config.warn_programme,
            "search": config.warn_search,
        },
        "portal": {
            "endpoint": config.portal_endpoint,
            "timeout": config.portal_timeout,
            "search": [dict(s) for s in config.portal_searches if isinstance(s, dict)],
        },
        "smtp": {key: MASK if key == "password" else value for key, value in config.smtp.items()},
    }


def smtp_values(config: Config, env: Mapping[str, str]) -> dict[str, object]:
    """The ``[smtp]`` values, overridden key by key by ``CLUSTERCTL_SMTP_*`` variables (checked)."""
    values: dict[str, object] = {}
    for key, check in _SMTP_KEYS.items():
        name = smtp_env_name(key)
        text = env.get(name)
        if text:
            try:
                values[key] = check(_env_value(key, text))
            except _Invalid as exc:
                raise ConfigError(f"environment variable {name} {exc}") from None
        elif key in config.smtp:
            values[key] = config.smtp[key]
    return values


def smtp_env_name(key: str) -> str:
    """The environment variable that overrides ``[smtp].<key>``."""
    return f"CLUSTERCTL_SMTP_{key.upper()}"


# --- reading --------------------------------------------------------------------------------


def _read(path: str) -> tuple[bytes, int] | None:
    """Return the file's bytes and mode, None if it does not exist; ConfigError otherwise."""
    try:
        raw, info = read_bounded(path, _MAX_BYTES)
    except FileNotFoundError:
        return None
    except UnreadableFile as exc:
        if exc.kind == "too large":
            raise ConfigError(f"config file {path}: larger than {_MAX_BYTES} bytes") from None
        reason = {"directory": "it is a directory", "special": "not a regular file"}
        why = reason.get(exc.kind, exc.detail.lower())
        raise ConfigError(f"cannot read config file {path}: {why}") from None
    return raw, info.st_mode


def _toml_message(exc: TomlSyntaxError, text: str) -> str:
    """The parser's message, with line and column also when it says 'at end of document'."""
    message = str(exc)
    if "(at end of document)" in message:
        line = text.count("\n") + 1
        column = len(text) - text.rfind("\n")
        message = message.replace(
            "(at end of document)", f"(at end of document, line {line}, column {column})"
        )
    return message


# --- validation -----------------------------------------------------------------------------


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), "a date/time")


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {_type_name(value)}")
    if not value.strip():
        raise _Invalid("must not be empty")
    return value


def _secret(value: object) -> str:
    # Never echo the value: it is a password.
    if not isinstance(value, str) or not value:
        raise _Invalid("must be a non-empty string")
    return value


def _host(value: object) -> str:
    host = _string(value)
    if any(ch.isspace() or not ch.isprintable() for ch in host):
        raise _Invalid(f"must be a host name without spaces or control characters, not {host!r}")
    return host


def _port(value: object) -> int:
    if type(value) is not int or not 1 <= value <= 65535:
        shown = repr(value) if isinstance(value, int | float | str) else _type_name(value)
        raise _Invalid(f"must be an integer from 1 to 65535, not {shown}")
    return value


def _tls(value: object) -> str:
    if value not in TLS_MODES:
        shown = repr(value) if isinstance(value, str) else _type_name(value)
        raise _Invalid(f"must be one of {', '.join(TLS_MODES)}, not {shown}")
    return str(value)


def _address(value: object) -> str:
    # Not at the top: email.utils takes 11 ms to import, and most config files hold no address.
    from clusterctl.address import check_address

    address = _string(value)
    try:
        return check_address(address)
    except UsageError as exc:
        raise _Invalid(f"is not usable: {exc}") from None


def _addresses(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid('must be an array of strings, like ["team@example.org"]')
    return tuple(_address(item) for item in value)


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"must be a number of seconds, not {_type_name(value)}")
    if not math.isfinite(value) or value < 0:
        raise _Invalid(f"must be a finite number of seconds >= 0, not {value!r}")
    return float(value)


def _zone(value: object) -> str:
    name = _string(value)
    try:  # the same rule as --tz, so a zone the CLI refuses is refused here, naming the file
        return canonical_zone_name(name)
    except UsageError:
        raise _Invalid(f"must be an IANA time zone like 'Europe/Brussels', not {name!r}") from None


def _thresholds(value: object) -> str:
    text = _string(value)
    try:
        parse_thresholds(text)
    except UsageError as exc:
        raise _Invalid(str(exc)) from None
    return text


_SMTP_KEYS: dict[str, Callable[[object], object]] = {
    "host": _host,
    "port": _port,
    "from": _address,
    "user": _string,
    "password": _secret,
    "tls": _tls,
}


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid('must be an array of strings, like ["ours"]')
    return tuple(_string(item) for item in value)


def _url(value: object) -> str:
    text = _string(value)
    if not text.startswith(("http://", "https://")) or any(not c.isprintable() for c in text):
        raise _Invalid(f"must be an http:// or https:// URL, not {text!r}")
    return text


def _searches(value: object) -> tuple[object, ...]:
    if not isinstance(value, list):
        raise _Invalid("must be an array of tables ([[portal.search]])")
    return tuple(value)


_WARN_KEYS: dict[str, Callable[[object], object]] = {
    "thresholds": _thresholds,
    "email": _addresses,
    "notify": _strings,
    "tags": _strings,
    "programme": _string,
    "search": _string,
}
_PORTAL_KEYS: dict[str, Callable[[object], object]] = {
    "endpoint": _url,
    "timeout": _seconds,
    "search": _searches,
}
_TOP_KEYS = ("store", "timezone", "lock_timeout", "warn", "smtp", "portal")


def _env_value(key: str, text: str) -> object:
    """Turn an environment variable's text into the type its config key has."""
    if key == "port":
        try:
            return int(text.strip())
        except ValueError:
            raise _Invalid(f"must be an integer from 1 to 65535, not {text!r}") from None
    if key == "tls":
        return text.strip().lower()
    return text


def _checked_table(
    path: str, data: dict, name: str, keys: Mapping[str, Callable[[object], object]]
) -> dict[str, object]:
    """Validate table ``[name]`` of ``data`` against ``keys``; return the checked values."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: {name} must be a table ([{name}]), not a value")
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown key {unknown[0]!r} in [{name}] "
            f"(expected: {', '.join(keys)})"
        )
    checked = {}
    for key, value in table.items():
        try:
            checked[key] = keys[key](value)
        except _Invalid as exc:
            raise ConfigError(f"config file {path}: [{name}].{key} {exc}") from None
    return checked


def _build(path: str, data: dict) -> Config:
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown key {unknown[0]!r} (expected: {', '.join(_TOP_KEYS)})"
        )

    def top(key: str, check: Callable[[object], object]) -> object:
        if key not in data:
            return None
        try:
            return check(data[key])
        except _Invalid as exc:
            raise ConfigError(f"config file {path}: {key} {exc}") from None

    warn = _checked_table(path, data, "warn", _WARN_KEYS)
    smtp = _checked_table(path, data, "smtp", _SMTP_KEYS)
    portal = _checked_table(path, data, "portal", _PORTAL_KEYS)
    store = top("store", _string)
    store_path = None
    if isinstance(store, str):
        # Relative to the file, not the working directory, so cron jobs see the same store.
        try:
            store_path = path_text(os.path.join(os.path.dirname(path), expand_user(store)))
        except RuntimeError:  # '~someone' with no such user
            raise ConfigError(
                f"config file {path}: store {store!r}: no home directory for its '~'"
            ) from None
    return Config(
        path=path,
        exists=True,
        store=store_path,
        timezone=top("timezone", _zone),  # type: ignore[arg-type]
        lock_timeout=top("lock_timeout", _seconds),  # type: ignore[arg-type]
        warn_thresholds=warn.get("thresholds"),  # type: ignore[arg-type]
        warn_email=warn.get("email", ()),  # type: ignore[arg-type]
        warn_notify=warn.get("notify", ()),  # type: ignore[arg-type]
        warn_tags=warn.get("tags", ()),  # type: ignore[arg-type]
        warn_programme=warn.get("programme"),  # type: ignore[arg-type]
        warn_search=warn.get("search"),  # type: ignore[arg-type]
        portal_endpoint=portal.get("endpoint"),  # type: ignore[arg-type]
        portal_timeout=portal.get("timeout"),  # type: ignore[arg-type]
        portal_searches=portal.get("search", ()),  # type: ignore[arg-type]
        smtp=smtp,
    )
