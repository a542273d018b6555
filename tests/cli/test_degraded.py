"""One bad call file never silences the others, through the real command line.

``calls``, ``warn`` and ``export ics`` process every call they can read, write their output, then
name each file they could not read on stderr (``warning: FILE: REASON``) and exit 9, so that cron
still mails the problem (clusterctl/actions/unreadable.py). ``show``, ``extend`` and ``edit`` of a
broken call refuse it with file, line and column; ``remove`` cleans it up; ``check`` lists every
problem in one run. Calls that vanish while a read runs (a concurrent ``remove``) are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import AT, LEDGER, LINES_AT, Cli, failed, ledger_keys, lines, ok
from tests.conftest import clusterctl_exe, run_on_terminal
from tests.smtp_server import SmtpSink

EXIT_UNREADABLE = 9
SUMMARY = "error: 1 call file could not be read; the other calls were read"
#: The readable calls of warn_store at AT, soonest deadline first.
IDS_AT = ["BETA-2", "ALPHA-1", "LIS-3"]

TYPO = (
    b'id = "TYPO-1"\ntitle = "Typo"\ntimezone = "Europe/Brussels"\n\n'
    b"[[deadlines]]\ndeadline = 2027-04-0 17:00:00+02:00\n"
)
CONFLICT = (
    b'id = "MERGE-1"\n<<<<<<< HEAD\ntitle = "ours"\n=======\ntitle = "theirs"\n'
    b'>>>>>>> feature\ntimezone = "Europe/Brussels"\n\n'
    b"[[deadlines]]\ndeadline = 2027-04-02 17:00:00+02:00\n"
)
ZONE = (
    b'id = "ZONE-1"\ntitle = "Zone"\ntimezone = "Europe/Bruxelles"\n\n'
    b"[[deadlines]]\ndeadline = 2027-04-02 17:00:00+02:00\n"
)
PADDING = 104_858  # lines of "# padding\n": just over 1 MiB
#: name -> (content, or "copy of ALPHA-1", and the reason every command gives)
BAD = {
    "typo": (
        "TYPO-1",
        TYPO,
        "invalid TOML: Expected newline or end of document after a statement "
        "(at line 6, column 16)",
    ),
    "conflict": (
        "MERGE-1",
        CONFLICT,
        "unresolved git merge conflict at line 2, column 1; resolve it by hand, then run "
        "clusterctl check",
    ),
    "zone": (
        "ZONE-1",
        ZONE,
        "unknown time zone 'Europe/Bruxelles': use an IANA name such as Europe/Brussels",
    ),
    "copy": (
        "COPY-1",
        "copy of ALPHA-1",
        "declares id 'ALPHA-1' but the file name says 'COPY-1'; rename the file or fix the id",
    ),
    "oversized": (
        "BIG-1",
        b"# padding\n" * PADDING + ZONE.replace(b"Bruxelles", b"Brussels"),
        f"too large ({PADDING * 10 + len(ZONE) - 1} bytes; at most 1048576)",
    ),
}


def plant(store: Path, kind: str) -> tuple[str, Path, str]:
    """Put the bad file ``kind`` into ``store``; return its id, its path and its reason."""
    call_id, content, reason = BAD[kind]
    path = store / "calls" / f"{call_id}.toml"
    if content == "copy of ALPHA-1":
        content = (store / "calls" / "ALPHA-1.toml").read_bytes()
    assert isinstance(content, bytes)
    path.write_bytes(content)
    return call_id, path, reason


@pytest.fixture
def store(warn_store: Path) -> Path:
    """ALPHA-1, BETA-2 (two stages) and LIS-3, all due at AT (conftest.py's ``warn_store``)."""
    return warn_store


def degraded(result, path: Path, reason: str) -> str:  # type: ignore[no-untyped-def]
    """stdout of a run that read every good call and reported the one bad file."""
    assert result.exit_code == EXIT_UNREADABLE, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    lines_ = result.stderr.splitlines()
    assert lines_[-2:] == [f"warning: {path}: {reason}", SUMMARY], result.stderr
    return result.stdout


def csv_ids(text: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("kind", list(BAD))
def test_reads_list_every_good_call_and_name_the_bad_file(cli: Cli, store: Path, kind: str) -> None:
    ok(cli("calls", "--all", "--at", AT))  # the bad file arrives once a cache exists (git pull)
    _, path, reason = plant(store, kind)
    table = degraded(cli("calls", "--at", AT), path, reason)
    assert [line.split()[0] for line in table.splitlines()[1:]] == IDS_AT
    listed = json.loads(degraded(cli("calls", "--format", "json", "--at", AT), path, reason))
    assert [c["id"] for c in listed] == IDS_AT
    assert csv_ids(degraded(cli("calls", "--format", "csv", "--at", AT), path, reason)) == IDS_AT
    ics = degraded(cli("export", "ics", "--at", AT), path, reason)
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == 4
    dry = degraded(cli("warn", "--dry-run", "--at", AT), path, reason)
    assert [line for line in dry.splitlines() if line] == LINES_AT
    as_json = degraded(cli("warn", "--dry-run", "--format", "json", "--at", AT), path, reason)
    assert [w["id"] for w in json.loads(as_json)] == IDS_AT


def test_a_cron_warn_delivers_every_other_warning_then_exits_9(cli: Cli, store: Path) -> None:
    # Before: exit 5 and nothing at all, for every call, until someone noticed.
    _, path, reason = plant(store, "typo")
    result = cli("warn", "--at", AT)
    assert lines(result) == LINES_AT
    assert result.stderr.splitlines() == [f"warning: {path}: {reason}", SUMMARY]
    assert result.exit_code == EXIT_UNREADABLE
    assert len(ledger_keys(store)) == 3  # delivered, so remembered
    again = cli("warn", "--at", AT)  # nothing new is due, but the bad file is still named
    assert (again.exit_code, again.stdout) == (EXIT_UNREADABLE, "")
    assert again.stderr.splitlines() == [f"warning: {path}: {reason}", SUMMARY]


def test_the_digest_names_the_file_it_could_not_read(
    cli: Cli, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The people who get the mail learn of it, not only whoever reads cron's mail.
    _, path, reason = plant(store, "conflict")
    with SmtpSink() as sink:
        for key, value in sink.env().items():
            monkeypatch.setenv(key, value)
        result = cli("warn", "--at", AT, "--email", "team@example.org")
    assert result.exit_code == EXIT_UNREADABLE
    assert result.stderr.splitlines() == [
        "e-mailed 3 warnings to team@example.org",
        f"warning: {path}: {reason}",
        SUMMARY,
    ]
    (_, _, message), *others = sink.messages
    assert others == []
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert body.split("\n\n")[-2] == (
        "Could not read 1 call file; any deadlines they hold are missing above "
        f"(run clusterctl check):\n  {path}: {reason}"
    )


def test_a_warn_table_on_a_terminal_names_the_file_too(store: Path) -> None:
    _, path, reason = plant(store, "typo")
    code, output = run_on_terminal(
        [*clusterctl_exe(), "--store", str(store), "warn", "--dry-run", "--at", AT]
    )
    text = output.decode().replace("\r\n", "\n")
    assert code == EXIT_UNREADABLE
    assert "BETA-2" in text and "LIS-3" in text  # the table
    assert f"warning: {path}: {reason}\n{SUMMARY}\n" in text


def test_every_bad_file_is_named_and_counted(cli: Cli, store: Path) -> None:
    planted = sorted(plant(store, kind)[1:] for kind in BAD)
    result = cli("calls", "--at", AT)
    assert result.exit_code == EXIT_UNREADABLE
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == IDS_AT
    assert result.stderr.splitlines() == [
        *(f"warning: {path}: {reason}" for path, reason in planted),
        "error: 5 call files could not be read; the other calls were read",
    ]


def test_a_store_of_only_bad_files_is_not_called_empty(cli: Cli, store_dir: Path) -> None:
    (store_dir / "calls").mkdir(parents=True)
    (store_dir / "clusterctl.toml").write_text("schema_version = 1\n")
    _, path, reason = plant(store_dir, "typo")
    result = cli("calls", "--at", AT)
    assert degraded(result, path, reason) == "No calls match.\n"


def test_export_to_a_file_counts_the_calls_it_wrote(cli: Cli, store: Path, tmp_path: Path) -> None:
    _, path, reason = plant(store, "zone")
    target = tmp_path / "calls.ics"
    result = cli("export", "ics", "--at", AT, "-o", str(target))
    assert result.exit_code == EXIT_UNREADABLE
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Wrote 3 calls to {target}",
        f"warning: {path}: {reason}",
        SUMMARY,
    ]
    assert target.read_text().count("BEGIN:VEVENT") == 4


# --- one call: refused by name, but removable --------------------------------------------------


@pytest.mark.parametrize("kind", list(BAD))
def test_show_extend_and_edit_refuse_a_bad_call_by_file_line_and_column(
    cli: Cli, store: Path, kind: str
) -> None:
    call_id, path, reason = plant(store, kind)
    before = path.read_bytes()
    for args in (
        ("show", call_id, "--at", AT),
        ("extend", call_id, "--by", "1d", "--at", AT),
        ("edit", call_id, "--note", "x"),
    ):
        assert failed(cli(*args), 5) == f"error: {path}: {reason}", args
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", list(BAD))
def test_remove_cleans_up_a_bad_call_file(cli: Cli, store: Path, kind: str) -> None:
    call_id, path, _ = plant(store, kind)
    assert ok(cli("remove", call_id, "--yes")) == f"Removed {call_id}\n"
    assert not path.exists()
    assert [line.split()[0] for line in ok(cli("calls", "--at", AT)).splitlines()[1:]] == IDS_AT
    assert ok(cli("check")) == f"ok: 3 calls in {store}, no problems\n"


def test_remove_refuses_what_is_not_a_file(cli: Cli, store: Path) -> None:
    path = store / "calls" / "ODD-1.toml"
    path.mkdir()
    assert failed(cli("remove", "ODD-1", "--yes"), 5) == (
        f"error: {path}: is a directory, not a TOML file"
    )
    assert path.is_dir()


def test_check_lists_every_problem_in_one_run(cli: Cli, store: Path) -> None:
    planted = sorted(plant(store, kind)[1:] for kind in BAD)
    result = cli("check")
    assert result.exit_code == 1
    copy = store / "calls" / "COPY-1.toml"
    expected = [
        f"problem: {path}: {reason.removesuffix('; rename the file or fix the id')}"
        for path, reason in planted
    ]
    expected.insert(
        expected.index(f"problem: {copy}: declares id 'ALPHA-1' but the file name says 'COPY-1'")
        + 1,
        f"problem: {copy}: duplicate id 'ALPHA-1' (also in {store / 'calls' / 'ALPHA-1.toml'})",
    )
    assert result.stderr.splitlines() == [*expected, f"error: 6 problems in {store}"]


# --- calls that vanish while a read runs ---------------------------------------------------------

REMOVER = """
import sys
from clusterctl.store import Store

store = Store(__import__("pathlib").Path(sys.argv[1]))
ids = sys.argv[2:]
calls = {i: store.get(i) for i in ids}
print("ready", flush=True)
for _ in range(40):
    for i in ids:
        store.remove(i)
    for i in ids:
        store.add(calls[i])
"""


def test_warn_never_fails_while_another_process_removes_calls(
    cli: Cli, store_dir: Path, tmp_path: Path
) -> None:
    # Before: `warn --dry-run` exited 3 "no call 'W1'" in most runs while calls were removed.
    ids = [f"W{n}" for n in range(20)]
    for call_id in ids:
        ok(cli("add", call_id, "--title", f"Call {call_id}", "-d", "2027-04-02"))
    remover = subprocess.Popen(
        [sys.executable, "-c", REMOVER, str(store_dir), *ids],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert remover.stdout is not None and remover.stdout.readline() == "ready\n"
        runs = 0
        while remover.poll() is None and runs < 300:
            for args in (("warn", "--dry-run"), ("calls", "--format", "json")):
                result = cli(*args, "--at", AT)
                assert (result.exit_code, result.stderr) == (0, ""), (runs, args, result.stderr)
                if args[0] == "warn":
                    seen = [line.split()[0] for line in lines(result)]
                    assert set(seen) <= set(ids) and len(seen) == len(set(seen))
                else:
                    assert {c["id"] for c in json.loads(result.stdout)} <= set(ids)
            runs += 1
    finally:
        remover.kill() if remover.poll() is None else None
        _, errors = remover.communicate(timeout=60)
    assert remover.returncode in (0, -9), errors
    assert runs >= 3, "the reads did not overlap the removals"
    assert not (store_dir / LEDGER).exists()
