"""Tests for clusterctl.config: real files in tmp_path, real modes, real environments."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

import clusterctl.config
from clusterctl.config import MASK, Config, config_path, load_config, masked
from clusterctl.errors import ConfigError
from clusterctl.mail import SmtpSettings, smtp_settings

PASSWORD = "s3cret-Pa$$"

FULL = f"""\
store = "~/clusterctl-store"
timezone = "Europe/Lisbon"
lock_timeout = 10

[warn]
thresholds = "30d,14d,7d,2d,1d"
email = ["team@example.org", "boss@example.net"]

[smtp]
host = "smtp.example.org"
port = 587
from = "clusterctl@example.org"
user = "bot"
password = "{PASSWORD}"
tls = "starttls"
"""


def write(tmp_path: Path, text: str | bytes, mode: int = 0o600, name: str = "config.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "\n" not in text
    assert str(path) in text
    return text


# --- loading ------------------------------------------------------------------------------


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "config.toml"
    config = load_config(path)
    assert config == Config(path=path)
    assert not config.exists
    assert (config.store, config.timezone, config.lock_timeout) == (None, None, None)
    assert (config.warn_thresholds, config.warn_email, config.smtp) == (None, (), {})


def test_empty_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.exists
    assert config.smtp == {} and config.warn_email == ()


def test_full_file(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    config = load_config(path)
    assert config.path == str(path) and config.exists  # paths are strings (no pathlib)
    assert config.store == str(Path.home() / "clusterctl-store")
    assert config.timezone == "Europe/Lisbon"
    assert config.lock_timeout == 10.0 and isinstance(config.lock_timeout, float)
    assert config.warn_thresholds == "30d,14d,7d,2d,1d"
    assert config.warn_email == ("team@example.org", "boss@example.net")
    assert config.smtp == {
        "host": "smtp.example.org",
        "port": 587,
        "from": "clusterctl@example.org",
        "user": "bot",
        "password": PASSWORD,
        "tls": "starttls",
    }
    assert PASSWORD not in repr(config)


def test_documented_example_is_valid(tmp_path: Path) -> None:
    doc = clusterctl.config.__doc__ or ""
    example = re.search(r"```toml\n(.*?)```", doc, re.DOTALL)
    assert example is not None
    config = load_config(write(tmp_path, example.group(1)))
    assert config.smtp["host"] == "smtp.example.org"
    assert config.warn_email == ("team@example.org",)


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        ("/srv/calls", Path("/srv/calls")),
        ("~/calls", Path.home() / "calls"),
        ("calls", "RELATIVE"),
        ("./calls//", "RELATIVE"),  # spelt as pathlib spelt it
        ("~//calls/.", Path.home() / "calls"),
    ],
)
def test_store_path(tmp_path: Path, store: str, expected: Path | str) -> None:
    config = load_config(write(tmp_path, f'store = "{store}"\n'))
    assert config.store == str(tmp_path / "calls" if expected == "RELATIVE" else expected)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, b'\xef\xbb\xbftimezone = "UTC"\n'))
    assert config.timezone == "UTC"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        # TOML syntax: tomllib's message, always with line and column.
        ('store = "a"\n[smtp\nhost = "x"\n', ["Expected ']'", "line 2, column 6"]),
        ("store = ", ["Invalid value", "line 1, column 9"]),
        ('timezone = "UTC"\nstore = \n', ["Invalid value", "line 2, column 9"]),
        ('store = "a"\nstore = "b"\n', ["line 2, column"]),
        ("\x00\x01\x02", ["line 1, column 1"]),
        # Unknown keys.
        ('colour = "red"\n', ["unknown key 'colour'", "expected: store, timezone"]),
        ('[smtp]\nhots = "x"\n', ["unknown key 'hots' in [smtp]", "expected: host, port"]),
        ('[warn]\nemails = ["a@b.org"]\n', ["unknown key 'emails' in [warn]"]),
        ("[smtp.extra]\nx = 1\n", ["unknown key 'extra' in [smtp]"]),
        ('smtp = "x"\n', ["smtp must be a table"]),
        ("warn = 3\n", ["warn must be a table"]),
        # Wrong types and values.
        ('[smtp]\nport = "587"\n', ["[smtp].port must be an integer from 1 to 65535, not '587'"]),
        ("[smtp]\nport = 70000\n", ["[smtp].port must be an integer from 1 to 65535, not 70000"]),
        ("[smtp]\nport = 0\n", ["[smtp].port", "not 0"]),
        ("[smtp]\nport = true\n", ["[smtp].port", "not True"]),
        ("[smtp]\nport = 587.0\n", ["[smtp].port", "not 587.0"]),
        ('[smtp]\ntls = "tls"\n', ["[smtp].tls must be one of none, starttls, ssl, not 'tls'"]),
        ('[smtp]\ntls = "STARTTLS"\n', ["[smtp].tls", "'STARTTLS'"]),
        ("[smtp]\ntls = 1\n", ["[smtp].tls", "not an integer"]),
        ('[smtp]\nhost = ""\n', ["[smtp].host must not be empty"]),
        ('[smtp]\nhost = "smtp example.org"\n', ["[smtp].host", "'smtp example.org'"]),
        ("[smtp]\nhost = 1\n", ["[smtp].host must be a string, not an integer"]),
        ('[smtp]\nfrom = "bot"\n', ["[smtp].from", "invalid e-mail address 'bot'"]),
        ('[smtp]\nuser = ["bot"]\n', ["[smtp].user must be a string, not an array"]),
        ('[warn]\nemail = "a@b.org"\n', ["[warn].email must be an array of strings"]),
        ('[warn]\nemail = ["a@b.org", 3]\n', ["[warn].email must be an array of strings"]),
        ('[warn]\nemail = ["a@b.org, c@d.org"]\n', ["[warn].email", "'a@b.org, c@d.org'"]),
        ('[warn]\nemail = ["a@b.org\\r\\nBcc: x@y.org"]\n', ["[warn].email", "\\r\\nBcc"]),
        ("[warn]\nthresholds = 30\n", ["[warn].thresholds must be a string, not an integer"]),
        ('lock_timeout = "10"\n', ["lock_timeout must be a number of seconds, not a string"]),
        ("lock_timeout = -1\n", ["lock_timeout must be a finite number of seconds >= 0"]),
        ("lock_timeout = inf\n", ["lock_timeout must be a finite number"]),
        ("lock_timeout = false\n", ["lock_timeout", "not a boolean"]),
        ('timezone = "Mars/Olympus"\n', ["timezone must be an IANA time zone", "'Mars/Olympus'"]),
        ('timezone = "../etc/passwd"\n', ["timezone must be an IANA time zone"]),
        ("timezone = 2025-01-01\n", ["timezone must be a string, not a date/time"]),
        ('store = ""\n', ["store must not be empty"]),
    ],
)
def test_malformed(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, text)
    message = config_error(path)
    assert message.startswith(f"config file {path}: ")
    for fragment in fragments:
        assert fragment in message


def test_wrong_password_type_is_not_echoed(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, "[smtp]\npassword = 123456789\n"))
    assert "[smtp].password must be a non-empty string" in message
    assert "123456789" not in message


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, b'timezone = "UTC"\nstore = "\xff\xfe"\n')
    assert config_error(path) == f"config file {path}: not valid UTF-8 text (at line 2)"


def test_directory(tmp_path: Path) -> None:
    message = config_error(tmp_path)
    assert message == f"cannot read config file {tmp_path}: it is a directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    assert config_error(fifo) == f"cannot read config file {fifo}: not a regular file"


def test_path_below_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "") / "config.toml"
    assert config_error(path).startswith(f"cannot read config file {path}: ")


@pytest.mark.skipif(
    os.name == "nt" or os.geteuid() == 0, reason="root reads any file; needs POSIX modes"
)
def test_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "", mode=0o000)
    assert config_error(path) == f"cannot read config file {path}: permission denied"


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * (1 << 20) + "\n")
    assert "larger than" in config_error(path)


# --- password safety ----------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660, 0o666])
def test_password_in_shared_file_refused(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path, FULL, mode=mode)
    message = config_error(path)
    assert message == (
        f"config file {path} holds an SMTP password but is readable by others; "
        f"run: chmod 600 {path}"
    )
    assert PASSWORD not in message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_password_in_private_file_accepted(tmp_path: Path, mode: int) -> None:
    assert load_config(write(tmp_path, FULL, mode=mode)).smtp["password"] == PASSWORD


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_chmod_hint_is_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, FULL, mode=0o644, name="my config.toml")
    assert config_error(path).endswith(f"run: chmod 600 '{path}'")


def test_shared_file_without_password_is_fine(tmp_path: Path) -> None:
    text = FULL.replace(f'password = "{PASSWORD}"\n', "").replace('user = "bot"\n', "")
    assert load_config(write(tmp_path, text, mode=0o644)).smtp["host"] == "smtp.example.org"


# --- masked -------------------------------------------------------------------------------


def test_masked(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    shown = masked(load_config(path))
    assert PASSWORD not in json.dumps(shown)
    assert shown == {
        "path": str(path),
        "exists": True,
        "store": str(Path.home() / "clusterctl-store"),
        "timezone": "Europe/Lisbon",
        "lock_timeout": 10.0,
        "warn": {
            "thresholds": "30d,14d,7d,2d,1d",
            "email": ["team@example.org", "boss@example.net"],
            "notify": [],
            "tags": [],
            "programme": None,
            "search": None,
        },
        "portal": {"endpoint": None, "timeout": None, "search": []},
        "smtp": {
            "host": "smtp.example.org",
            "port": 587,
            "from": "clusterctl@example.org",
            "user": "bot",
            "password": MASK,
            "tls": "starttls",
        },
    }


def test_masked_defaults(tmp_path: Path) -> None:
    shown = masked(load_config(tmp_path / "missing.toml"))
    assert shown["exists"] is False and shown["smtp"] == {} and shown["store"] is None
    json.dumps(shown)


# --- location -----------------------------------------------------------------------------


def test_env_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'timezone = "Asia/Tokyo"\n', name="elsewhere.toml")
    monkeypatch.setenv("CLUSTERCTL_CONFIG", str(path))
    assert config_path() == str(path)
    config = load_config()
    assert config.path == str(path) and config.timezone == "Asia/Tokyo"


def test_env_variable_expands_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path({"CLUSTERCTL_CONFIG": "~/c.toml"}) == str(Path.home() / "c.toml")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG layout")
def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERCTL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == str(tmp_path / "clusterctl" / "config.toml")
    assert config_path({"CLUSTERCTL_CONFIG": ""}) == str(tmp_path / "clusterctl" / "config.toml")
    assert load_config().exists is False


# --- smtp_settings ------------------------------------------------------------------------


def settings(tmp_path: Path, smtp: str, env: dict[str, str] | None = None) -> SmtpSettings:
    return smtp_settings(load_config(write(tmp_path, "[smtp]\n" + smtp)), env or {})


def settings_error(tmp_path: Path, smtp: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, smtp, env)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_settings_from_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert smtp_settings(config, {}) == SmtpSettings(
        host="smtp.example.org",
        port=587,
        sender="clusterctl@example.org",
        user="bot",
        password=PASSWORD,
        tls="starttls",
        timeout=30,
    )


def test_env_overrides_file(tmp_path: Path) -> None:
    env = {
        "CLUSTERCTL_SMTP_HOST": "relay.example.net",
        "CLUSTERCTL_SMTP_PORT": " 2525 ",
        "CLUSTERCTL_SMTP_FROM": "other@example.net",
        "CLUSTERCTL_SMTP_USER": "envbot",
        "CLUSTERCTL_SMTP_PASSWORD": "env-secret",
        "CLUSTERCTL_SMTP_TLS": "SSL",
    }
    result = smtp_settings(load_config(write(tmp_path, FULL)), env)
    assert result == SmtpSettings(
        "relay.example.net", 2525, "other@example.net", "envbot", "env-secret", "ssl"
    )


def test_env_alone_is_enough(tmp_path: Path) -> None:
    env = {"CLUSTERCTL_SMTP_HOST": "localhost", "CLUSTERCTL_SMTP_FROM": "bot@example.org"}
    result = smtp_settings(load_config(tmp_path / "missing.toml"), env)
    assert (result.host, result.port, result.tls) == ("localhost", 587, "starttls")
    assert result.user is None


def test_empty_env_variable_counts_as_unset(tmp_path: Path) -> None:
    env = {"CLUSTERCTL_SMTP_HOST": "", "CLUSTERCTL_SMTP_PORT": ""}
    result = settings(tmp_path, 'host = "h.example.org"\nfrom = "a@b.org"\nport = 25\n', env)
    assert (result.host, result.port, result.tls) == ("h.example.org", 25, "none")


@pytest.mark.parametrize(
    ("extra", "port", "tls"),
    [
        ("", 587, "starttls"),
        ("port = 25\n", 25, "none"),
        ("port = 465\n", 465, "ssl"),
        ("port = 2525\n", 2525, "starttls"),
        ('tls = "none"\n', 25, "none"),
        ('tls = "starttls"\n', 587, "starttls"),
        ('tls = "ssl"\n', 465, "ssl"),
        ('tls = "none"\nport = 2525\n', 2525, "none"),
        ('tls = "ssl"\nport = 25\n', 25, "ssl"),
    ],
)
def test_port_and_tls_defaults(tmp_path: Path, extra: str, port: int, tls: str) -> None:
    result = settings(tmp_path, 'host = "smtp.example.org"\nfrom = "a@b.org"\n' + extra)
    assert (result.port, result.tls) == (port, tls)


def test_no_host(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert settings_error(tmp_path, 'from = "a@b.org"\n') == (
        f"no SMTP host: set CLUSTERCTL_SMTP_HOST or [smtp].host in {path}"
    )


def test_no_host_without_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match="no SMTP host: set CLUSTERCTL_SMTP_HOST or"):
        smtp_settings(load_config(path), {})


def test_no_sender(tmp_path: Path) -> None:
    message = settings_error(tmp_path, 'host = "h.example.org"\n')
    assert message.startswith("no sender address: set CLUSTERCTL_SMTP_FROM or [smtp].from in ")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"CLUSTERCTL_SMTP_PORT": "abc"}, "CLUSTERCTL_SMTP_PORT must be an integer from 1 to"),
        ({"CLUSTERCTL_SMTP_PORT": "0"}, "CLUSTERCTL_SMTP_PORT must be an integer"),
        ({"CLUSTERCTL_SMTP_PORT": "99999"}, "not 99999"),
        ({"CLUSTERCTL_SMTP_TLS": "yes"}, "CLUSTERCTL_SMTP_TLS must be one of none, starttls, ssl"),
        ({"CLUSTERCTL_SMTP_FROM": "a@b.org\r\nBcc: x@y.org"}, "CLUSTERCTL_SMTP_FROM"),
        ({"CLUSTERCTL_SMTP_HOST": "bad host"}, "CLUSTERCTL_SMTP_HOST"),
    ],
)
def test_bad_env_values(tmp_path: Path, env: dict[str, str], fragment: str) -> None:
    message = settings_error(tmp_path, 'host = "h.example.org"\nfrom = "a@b.org"\n', env)
    assert message.startswith("environment variable ")
    assert fragment in message


def test_user_without_password(tmp_path: Path) -> None:
    message = settings_error(tmp_path, 'host = "h.example.org"\nfrom = "a@b.org"\nuser = "bot"\n')
    assert "set CLUSTERCTL_SMTP_PASSWORD or [smtp].password" in message


def test_password_without_user(tmp_path: Path) -> None:
    env = {"CLUSTERCTL_SMTP_PASSWORD": PASSWORD}
    message = settings_error(tmp_path, 'host = "h.example.org"\nfrom = "a@b.org"\n', env)
    assert "set CLUSTERCTL_SMTP_USER or [smtp].user" in message
    assert PASSWORD not in message


def test_password_from_env_completes_file_user(tmp_path: Path) -> None:
    env = {"CLUSTERCTL_SMTP_PASSWORD": PASSWORD}
    smtp = 'host = "h.example.org"\nfrom = "a@b.org"\nuser = "bot"\n'
    result = settings(tmp_path, smtp, env)
    assert (result.user, result.password) == ("bot", PASSWORD)
    assert PASSWORD not in repr(result) and PASSWORD not in str(result)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("smtp.example.org", False), ("localhost", True), ("127.0.0.1", True), ("::1", True)],
)
def test_password_never_sent_in_clear_to_remote_hosts(
    tmp_path: Path, host: str, allowed: bool
) -> None:
    env = {"CLUSTERCTL_SMTP_HOST": host, "CLUSTERCTL_SMTP_TLS": "none"}
    smtp = f'host = "x.example.org"\nfrom = "a@b.org"\nuser = "bot"\npassword = "{PASSWORD}"\n'
    if allowed:
        assert settings(tmp_path, smtp, env).tls == "none"
    else:
        message = settings_error(tmp_path, smtp, env)
        assert message.startswith("refusing to send the SMTP password to smtp.example.org")
        assert PASSWORD not in message


def test_deeply_nested_config_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="config file"):
        load_config(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG shortcut is Linux-only")
@pytest.mark.parametrize("kind", ["config", "data", "cache"])
@pytest.mark.parametrize("xdg", [None, "relative/ignored", "ABSOLUTE"])
def test_user_dir_matches_platformdirs(
    kind: str, xdg: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    from clusterctl.config import user_dir

    variable = {"config": "XDG_CONFIG_HOME", "data": "XDG_DATA_HOME", "cache": "XDG_CACHE_HOME"}
    if xdg is None:
        monkeypatch.delenv(variable[kind], raising=False)
    else:
        monkeypatch.setenv(variable[kind], str(tmp_path) if xdg == "ABSOLUTE" else xdg)
    expected = getattr(platformdirs, f"user_{kind}_dir")("clusterctl")
    assert user_dir(kind) == str(Path(expected))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('timezone = "right/UTC"\n', "timezone"),
        ('[warn]\nthresholds = "abc"\n', "thresholds"),
        ('[warn]\nthresholds = "0d"\n', "thresholds"),
    ],
)
def test_config_values_follow_the_command_line_rules(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
