"""``export html`` through the real command line (clusterctl/cli/transfer.py,
actions/transfer.py): selection, atomic writing, determinism, option errors, escaping end to
end, and that no other command pays for Jinja2. What the page holds is tested on
``render_page`` in tests/test_page.py, and in a browser in tests/test_page_browser.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterctl.cli import app
from clusterctl.page import DEFAULT_TITLE
from tests.cli.helpers import AT, Cli, failed, ok, snapshot, succeeded
from tests.conftest import clusterctl_exe, run_main_then
from tests.test_page import Tags

ICS_URL = "https://example.org/calls.ics"


@pytest.fixture
def store(export_store: Path) -> Path:
    """At AT: ALPHA-1 and BETA-2 open, LIS-3 forthcoming, OLD-4 closed (conftest.py)."""
    return export_store


def page(cli: Cli, *args: str) -> str:
    """``export html ARGS --at AT`` to stdout."""
    return ok(cli("export", "html", *args, "--at", AT))


def call_ids(html: str) -> list[str]:
    """The ids of the calls on the page, in page order."""
    return re.findall(r'<article class="call panel" id="([^"]+)"', html)


# --- writing ------------------------------------------------------------------------------------


def test_writes_the_page_to_a_file(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.html"
    result = succeeded(cli("export", "html", "-o", str(target), "--at", AT))
    assert result.stdout == ""
    assert result.stderr == f"Wrote 3 calls to {target}\n"
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>\n")
    # Open and forthcoming by default, soonest deadline first.
    assert call_ids(html) == ["BETA-2", "ALPHA-1", "LIS-3"]
    assert "<title>Funding-call deadlines</title>" in html


def test_one_call_is_singular(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "one.html"
    result = succeeded(cli("export", "html", "-s", "alpha", "--output", str(target), "--at", AT))
    assert result.stderr == f"Wrote 1 call to {target}\n"


def test_replaces_the_file_atomically(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.html"
    target.write_text("old", encoding="utf-8")
    succeeded(cli("export", "html", "-o", str(target), "--at", AT))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # Nothing left beside it: the page went through a temporary file that was renamed.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("calls")) == [
        "calls.html"
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stdout_and_file_are_the_same_page(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "calls.html"
    succeeded(cli("export", "html", "--all", "-o", str(target), "--at", AT))
    assert page(cli, "--all").encode("utf-8") == target.read_bytes()


def test_a_fixed_at_gives_identical_bytes(cli: Cli, store: Path, tmp_path: Path) -> None:
    args = ("--all", "--tz", "America/New_York", "--ics-url", ICS_URL, "--at", AT)
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    succeeded(cli("export", "html", *args, "-o", str(first)))
    succeeded(cli("export", "html", *args, "-o", str(second)))
    assert first.read_bytes() == second.read_bytes()
    # ... and a moment later, the countdowns differ.
    later = ok(cli("export", "html", *args[:-1], "2027-03-30 09:01"))
    assert later.encode("utf-8") != first.read_bytes()


def test_unwritable_output_is_a_one_line_error(cli: Cli, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "calls.html"
    line = failed(cli("export", "html", "-o", str(target), "--at", AT), 2)
    assert line == f"error: {target}: cannot write: No such file or directory"


# --- selection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        ((), ["BETA-2", "ALPHA-1", "LIS-3"]),
        (("--all",), ["BETA-2", "ALPHA-1", "LIS-3", "OLD-4"]),
        (("--closed",), ["OLD-4"]),
        (("--forthcoming",), ["LIS-3"]),
        (("--open",), ["BETA-2", "ALPHA-1"]),
        (("--open", "--within", "3d"), ["BETA-2"]),
        (("--all", "--programme", "horizon"), ["BETA-2"]),
        (("--tag", "sme"), ["ALPHA-1"]),
        (("-t", "sme", "-t", "digital"), []),
        (("--search", "lisbon"), ["LIS-3"]),
    ],
)
def test_the_calls_options_select(
    cli: Cli, store: Path, args: tuple[str, ...], ids: list[str]
) -> None:
    html = page(cli, *args)
    assert call_ids(html) == ids
    if not ids:
        assert "No calls to show." in html


def test_an_empty_store_is_a_page_too(cli: Cli, store_dir: Path) -> None:
    store_dir.mkdir()  # a store path that does not exist is an error (issue 15)
    html = page(cli, "--all")
    assert call_ids(html) == [] and "No calls to show." in html
    assert list(store_dir.iterdir()) == []  # reading wrote nothing


# --- the page's own options ---------------------------------------------------------------------


def test_title_zone_and_calendar_link(cli: Cli, store: Path) -> None:
    html = page(cli, "--title", "ACME <cluster> calls", "--tz", "America/New_York", "--ics-url",
                ICS_URL)  # fmt: skip
    assert "<h1>ACME &lt;cluster&gt; calls</h1>" in html
    assert f'<a class="subscribe" href="{ICS_URL}">' in html
    # LIS-3 closes 2027-04-20 17:00 Lisbon time: shown in its zone and in the page's.
    assert "2027-04-20 17:00 WEST" in html and "= 2027-04-20 12:00 EDT" in html
    # As in `calls`, --at without a zone is read in the --tz zone.
    assert 'Generated <time datetime="2027-03-30T09:00:00-04:00">' in html
    # Without --ics-url there is no calendar link.
    assert 'class="subscribe"' not in page(cli)


def test_the_default_title_is_the_pages() -> None:
    # Typer's default (cli/transfer.py, which must not import the page) is page.DEFAULT_TITLE.
    text = ok(CliRunner().invoke(app, ["export", "html", "--help"]))
    assert f"[default: {DEFAULT_TITLE}]" in " ".join(text.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tz", "Mars/Olympus"),
         "error: --tz: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Brussels"),
        (("--tz", ""),
         "error: --tz: unknown time zone '': use an IANA name such as Europe/Brussels"),
        (("--ics-url", "javascript:alert(1)"),
         "error: --ics-url must be an http(s) address, not 'javascript:alert(1)'"),
        (("--ics-url", "calls.ics"),
         "error: --ics-url must be an http(s) address, not 'calls.ics'"),
        (("--ics-url", "https://"), "error: --ics-url must be an http(s) address, not 'https://'"),
    ],
)  # fmt: skip
def test_bad_option_values_are_one_line_errors(
    cli: Cli, store: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(store)
    target = tmp_path / "calls.html"
    assert failed(cli("export", "html", *args, "-o", str(target), "--at", AT), 2) == message
    assert not target.exists()
    assert snapshot(store) == before


# --- hostile text -------------------------------------------------------------------------------


def test_a_hostile_call_stays_text_end_to_end(cli: Cli, store_dir: Path) -> None:
    title, note = "<script>alert('title')</script>", '<img src=x onerror="alert(2)">'
    hostile = ["--title", title, "--note", note, "-t", "<b>tag</b>", "-p", "<i>P</i>"]
    succeeded(cli("add", "EVIL-1", *hostile, "-d", "2027-04-08", "--url", "https://example.org/x"))
    # A hand-edited file: `add` refuses such an address, the page must not trust the store.
    path = store_dir / "calls" / "EVIL-1.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("https://example.org/x", "javascript:alert(1)"), encoding="utf-8")
    html = page(cli)
    assert '<h3 dir="auto">&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;</h3>' in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert '<code dir="auto">javascript:alert(1)</code>' in html  # shown, never a link
    parsed = Tags(html)
    assert [tag for tag, _ in parsed.tags].count("script") == 1  # the page's own
    assert not [tag for tag, _ in parsed.tags if tag in ("img", "b", "i")]
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    assert all(href.startswith(("#", "https://")) for href in parsed.attr("href"))


# --- the installed program ----------------------------------------------------------------------


def test_the_installed_program_writes_the_page(seeded_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "www" / "calls.html"
    target.parent.mkdir()
    argv = [*clusterctl_exe(), "--store", str(seeded_store), "export", "html", "--at",
            "2018-03-01", "--ics-url", ICS_URL]  # fmt: skip
    done = subprocess.run([*argv, "-o", str(target)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", f"Wrote 1 call to {target}\n")
    html = target.read_text(encoding="utf-8")
    assert call_ids(html) == ["COS-CLUSTPARTNS-2017-3-02"]
    assert ">in 7 days 17 h</span>" in html
    piped = subprocess.run(argv, capture_output=True, timeout=60, check=True)
    assert piped.stdout == target.read_bytes()


MODULES_LOADED = (
    "import json\n"
    "print(json.dumps(sorted({'jinja2', 'markupsafe', 'clusterctl.page'} & set(sys.modules))))"
)


@pytest.mark.parametrize(
    ("argv", "loaded"),
    [
        (["calls"], []),
        (["calls", "--all", "-f", "json"], []),
        (["export", "ics", "--all"], []),  # Typer's route
        (["export", "html", "--all"], ["clusterctl.page", "jinja2", "markupsafe"]),
    ],
)
def test_only_export_html_imports_jinja2(
    seeded_store: Path, argv: list[str], loaded: list[str]
) -> None:
    *output, modules = run_main_then(["--store", str(seeded_store), *argv, "--at", "2018-03-01"],
                                     MODULES_LOADED)  # fmt: skip
    assert output[-1] == "exit 0"
    assert json.loads(modules) == loaded
