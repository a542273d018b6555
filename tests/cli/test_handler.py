"""The console script: usage errors, unwritable output and odd terminals end in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import without_notices
from tests.conftest import clusterctl_exe, run


def _run(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*clusterctl_exe(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["calls", "--bogus"],
            "error: No such option: --bogus (Possible options: --columns) "
            "(see 'clusterctl calls --help')",
        ),
        (["nocmd"], "error: No such command 'nocmd'. (see 'clusterctl --help')"),
        (["show"], "error: Missing argument 'ID'. (see 'clusterctl show --help')"),
        (
            ["calls", "-f", "xml"],
            "error: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'json', "
            "'csv'. (see 'clusterctl calls --help')",
        ),
    ],
)
def test_usage_errors_are_exactly_one_line(
    seeded_store: Path, args: list[str], expected: str
) -> None:
    result = _run("--store", str(seeded_store), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == expected + "\n"


def test_no_arguments_print_the_help_and_a_missing_command_is_one_line(
    seeded_store: Path,
) -> None:
    result = _run()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: clusterctl [OPTIONS] COMMAND")
    missing = _run("--store", str(seeded_store))
    assert (missing.returncode, missing.stderr) == (
        2,
        "error: Missing command. (see 'clusterctl --help')\n",
    )


def _run_onto_full_disk(*argv: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [*clusterctl_exe(), *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )


FULL_DISK = "error: cannot write the output: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_full_disk_on_stdout_is_one_line(seeded_store: Path, fmt: str) -> None:
    result = _run_onto_full_disk("--store", str(seeded_store), "calls", "--all", "-f", fmt)
    assert (result.returncode, result.stderr) == (1, FULL_DISK)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("through_typer", [False, True], ids=["fast-route", "typer-route"])
def test_a_full_disk_after_a_change_is_one_line(tmp_path: Path, through_typer: bool) -> None:
    # Giving --title twice is not plain: the same change then goes through Typer.
    extra = ["--title", "T"] if through_typer else []
    store = tmp_path / "s"
    result = _run_onto_full_disk(
        "--store", str(store), "add", "F-1", "--title", "T", *extra, "-d", "2030-01-01"
    )
    assert (result.returncode, without_notices(result.stderr)) == (1, FULL_DISK)
    assert (store / "calls" / "F-1.toml").exists()  # the change itself was made


def test_a_terminal_encoding_without_the_characters_gets_escapes(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    added = _run("--store", store, "add", "U-1", "--title", "Zürich – Ελλάδα", "-d", "2030-01-01")
    assert added.returncode == 0, added.stderr
    result = _run("--store", store, "calls", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "Z\\xfcrich \\u2013 \\u0395" in result.stdout


def test_a_closed_stdout_is_not_a_crash(seeded_store: Path) -> None:
    closed = subprocess.run(
        f"exec {' '.join(clusterctl_exe())} --store {seeded_store} calls --all >&-",
        shell=True,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    assert closed.returncode == 0, closed.stderr
    assert "Traceback" not in closed.stderr


def test_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    records = [
        {
            "id": f"P-{n:05d}",
            "title": "A call with a long enough title to fill the pipe " * 3,
            "timezone": "Europe/Brussels",
            "deadlines": [{"label": "", "deadline": "2030-01-01T17:00:00+01:00"}],
        }
        for n in range(3000)
    ]
    source = tmp_path / "many.json"
    source.write_text(json.dumps(records))
    store = tmp_path / "s"
    assert _run("--store", str(store), "import", str(source)).returncode == 0
    exe = " ".join(clusterctl_exe())
    result = subprocess.run(
        f"{exe} --store {store} calls --all -f json | head -c 10 >/dev/null;"
        " exit ${PIPESTATUS[0]}",
        shell=True,
        executable="/bin/bash",
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


def _run_bytes(*args: str | bytes) -> subprocess.CompletedProcess[str]:
    """Run with raw bytes in argv, as a shell in a non-UTF-8 locale would pass them."""
    argv = [*map(os.fsencode, clusterctl_exe()), *(os.fsencode(a) for a in args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["add", "L-1", "--title", b"Z\xfcrich", "-d", "2030-01-01"], "--title"),
        (["add", "L-1", "--title", "T", "-d", b"Etape \xe9=2030-01-01"], "--deadline"),
        (["add", "L-1", "--title", "T", "-d", "2030-01-01", "-t", b"\xff"], "--tag"),
        (["edit", "ESCP-S3-EOI", "--note", b"caf\xe9"], "--note"),
        (["extend", "ESCP-S3-EOI", "--by", "1d", "--reason", b"\xe9"], "--reason"),
        # Not plain (given twice): the same refusal on the Typer route.
        (["edit", "ESCP-S3-EOI", "--note", "x", "--note", b"caf\xe9"], "--note"),
    ],
)
def test_text_that_is_not_utf8_is_refused_in_one_line(
    seeded_store: Path, args: list[str | bytes], option: str
) -> None:
    before = {p.name: p.read_bytes() for p in (seeded_store / "calls").iterdir()}
    result = _run_bytes("--store", str(seeded_store), *args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {option}: not valid UTF-8 text (is the terminal or script in another encoding?)\n"
    )
    assert {p.name: p.read_bytes() for p in (seeded_store / "calls").iterdir()} == before


@pytest.mark.parametrize("through_typer", [False, True], ids=["fast-route", "typer-route"])
def test_an_ascii_terminal_gets_escapes_after_a_change(tmp_path: Path, through_typer: bool) -> None:
    extra = ["--title", "T"] if through_typer else []  # given twice: not plain, Typer's route
    result = _run(
        *["--store", str(tmp_path / "s"), "add", "U-1", "--title", "T", *extra],
        *["-d", "Étape 1=2030-01-08", "-d", "Étape 2=2030-06-01"],
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert (result.returncode, without_notices(result.stderr)) == (0, "")
    assert result.stdout == (
        "Added U-1: deadline \\xc9tape 1: 2030-01-08 17:00 CET, "
        "\\xc9tape 2: 2030-06-01 17:00 CEST\n"
    )


def test_a_nan_lock_timeout_is_refused(seeded_store: Path) -> None:
    # Click's FloatRange(min=0) lets 'nan' through; waiting "nan seconds" would never end.
    result = _run(
        "--store", str(seeded_store), "--lock-timeout", "nan", "extend", "X", "--by", "1d"
    )
    assert (result.returncode, result.stderr) == (
        2,
        "error: --lock-timeout must be a number of seconds, not 'nan'\n",
    )


def test_ctrl_c_while_modules_load_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from clusterctl import __main__ as entry
    from clusterctl.cli import fast as fastpath

    def interrupted(argv: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fastpath, "dispatch", interrupted)
    # Its process-wide settings (the garbage collector off, SIGXFSZ ignored) would outlive
    # the test in this pytest worker.
    monkeypatch.setattr(entry, "prepare_process", lambda: None)
    monkeypatch.setattr("sys.argv", ["clusterctl", "calls"])
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_an_escaped_os_error_names_its_file() -> None:
    from clusterctl.cli.handler import output_failure

    denied = PermissionError(13, "Permission denied", "/srv/store/clusterctl.toml")
    assert output_failure(denied) == "/srv/store/clusterctl.toml: Permission denied"
    full = OSError(28, "No space left on device")
    assert output_failure(full) == "cannot write the output: No space left on device"


def _bash(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("args", [["show", "ESCP-S3-EOI"], ["calls", "--all", "-f", "json"]])
def test_a_reader_that_left_before_a_small_output_ends_quietly(
    seeded_store: Path, args: list[str]
) -> None:
    # The whole output fits the buffer: the broken pipe shows only when it is flushed.
    exe = " ".join(clusterctl_exe())
    result = _bash(
        f"{exe} --store {seeded_store} {' '.join(args)} | (exec 0<&-; true); "
        "exit ${PIPESTATUS[0]}"
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_a_closed_stderr_never_puts_messages_on_stdout(seeded_store: Path) -> None:
    exe = " ".join(clusterctl_exe())
    missing = _bash(f"{exe} --store {seeded_store} show NOPE -f json 2>&-")
    assert (missing.returncode, missing.stdout) == (3, "")
    warned = _bash(
        f"{exe} --store {seeded_store} warn -n -e team@example.org -f json "
        "--at 2017-03-30T09:00 2>&-"
    )
    assert warned.returncode == 0
    assert json.loads(warned.stdout)  # only the JSON: the dry-run note went nowhere


def test_a_note_on_stderr_follows_the_output_it_sums_up(seeded_store: Path) -> None:
    # cron mails stdout and stderr as one stream: the summary must come after the warnings.
    argv = ["warn", "-n", "-e", "team@example.org", "--at", "2017-03-30T09:00"]
    result = subprocess.run(
        [*clusterctl_exe(), "--store", str(seeded_store), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    lines = result.stdout.splitlines()
    assert len(lines) > 1 and "ESCP-S3-EOI" in result.stdout
    assert lines[-1] == "dry run: would e-mail 1 warning to team@example.org"


def test_json_and_csv_stay_machine_readable_on_an_ascii_stream(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    title = "Zürich – Ελλάδα"
    assert (
        _run("--store", store, "add", "U-1", "--title", title, "-d", "2030-01-01").returncode == 0
    )
    ascii_env = {"PYTHONIOENCODING": "ascii"}
    as_json = _run("--store", store, "calls", "-f", "json", env=ascii_env)
    assert as_json.stdout.isascii()  # \u escapes, which JSON readers decode
    assert json.loads(as_json.stdout)[0]["title"] == title
    as_csv = subprocess.run(
        [*clusterctl_exe(), "--store", store, "calls", "-f", "csv"],
        capture_output=True,
        timeout=60,
        env={**os.environ, **ascii_env},
    )
    assert as_csv.returncode == 0
    assert title.encode() in as_csv.stdout  # UTF-8, as CSV readers and `import` expect


def test_config_path_prints_the_path_exactly(tmp_path: Path) -> None:
    odd = tmp_path / "zürich" / "a\tb.toml"
    result = subprocess.run(
        [*clusterctl_exe(), "config", "path"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "CLUSTERCTL_CONFIG": str(odd), "PYTHONIOENCODING": "ascii"},
    )
    assert (result.returncode, result.stdout) == (0, os.fsencode(odd) + b"\n")


# --- the console script's end -------------------------------------------------------------------


def _console_with(body: str) -> subprocess.CompletedProcess[str]:
    """``console()`` in a fresh interpreter, with ``main`` replaced by ``body`` (its lines)."""
    code = (
        "import sys\n"
        "from clusterctl import __main__ as entry\n"
        "def main():\n"
        + "".join(f"    {line}\n" for line in body.splitlines())
        + "entry.main = main\n"
        "entry.console()\n"
        "print('never reached')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("body", "code", "err"),
    [
        ("print('out')", 0, ""),
        ("print('out'); sys.exit(None)", 0, ""),
        ("print('out'); sys.exit(3)", 3, ""),
        ("print('out'); sys.exit('said and failed')", 1, "said and failed\n"),
    ],
)
def test_the_console_script_ends_as_sys_exit_would_with_all_output_out(
    body: str, code: int, err: str
) -> None:
    done = _console_with(body)
    # Buffered output is flushed before the process ends without its teardown.
    assert (done.returncode, done.stdout, done.stderr) == (code, "out\n", err)


def test_a_bug_that_escapes_main_still_ends_with_its_traceback() -> None:
    done = _console_with("print('out')\nraise RuntimeError('a bug')")
    assert done.returncode == 1
    assert done.stdout == "out\n"
    assert "Traceback" in done.stderr and "RuntimeError: a bug" in done.stderr


def test_the_installed_script_and_python_m_deliver_a_large_output_whole(
    seeded_store: Path,
) -> None:
    # Far more than a pipe's buffer: every byte must be out before the process ends.
    many = "\n".join(f"  note line {n:05d} " + "x" * 60 for n in range(800))  # 64,000 chars
    big = [f"BIG-{n}" for n in range(1, 6)]
    for call_id in big:
        added = run(
            seeded_store,
            "add",
            call_id,
            "--title",
            "Big",
            "--deadline",
            "2030-01-01",
            "--note",
            many,
        )
        assert added.returncode == 0, added.stderr
    expected = None
    for argv in (clusterctl_exe(), [sys.executable, "-m", "clusterctl"]):
        done = subprocess.run(
            [*argv, "--store", str(seeded_store), "calls", "--all", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        calls = json.loads(done.stdout)
        assert [c["note"] for c in calls if c["id"] in big] == [many] * len(big)
        expected = expected or done.stdout
        assert done.stdout == expected


def test_version_on_output_that_cannot_be_written_is_one_line_or_quiet() -> None:
    exe = " ".join(clusterctl_exe())
    full = _bash(f"{exe} --version > /dev/full")
    assert (full.returncode, full.stderr) == (
        1,
        "error: cannot write the output: No space left on device\n",
    )
    gone = _bash(f"{exe} --version | (exec 0<&-; true); exit ${{PIPESTATUS[0]}}")
    assert (gone.returncode, gone.stderr) == (0, "")
