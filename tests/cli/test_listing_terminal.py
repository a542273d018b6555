"""``calls``, ``show`` and ``warn`` on a real pseudo-terminal at 80, 100, 120 and 160 columns,
and the --columns and --wide options (clusterctl/layout.py, render.py, actions/listing.py).

Two stores: the shipped data/ store and a realistic one of nine calls (the EU-portal sample of
the README's tour, plus a call with two labelled cut-offs, extended). On every width each row
must show its id whole on one line, the full deadline (date, time and zone together), the
status and at least 20 characters of the title, and no line may be wider than the terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clusterctl.cli import fast
from clusterctl.layout import cell_width
from tests.cli.helpers import Cli, as_json, failed, ok
from tests.conftest import FIXTURES, ROOT, clusterctl_exe, run_on_terminal

TOUR_AT = "2026-11-25"
DATA_AT = "2018-03-01"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = [80, 100, 120, 160]


@pytest.fixture(scope="module")
def tour_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README tour's store: 8 calls from the portal sample and ESCP-S3-DEMO (built once)."""
    from typer.testing import CliRunner

    from clusterctl.cli import app

    base = tmp_path_factory.mktemp("tour")
    env = {"CLUSTERCTL_CONFIG": str(base / "no-config.toml"), "NO_COLOR": None}
    env["CLUSTERCTL_CACHE_DIR"] = str(base / "cache")
    runner = CliRunner()
    store = ["--store", str(base / "store")]
    at = ["--at", TOUR_AT]
    for args in (
        ["import", str(FIXTURES / "eu-portal-search-page.json"), "--from", "eu-portal", *at],
        [
            "add", "ESCP-S3-DEMO", "--title", "Example: a call with two cut-off dates",
            "--programme", "COSME", "--tag", "demo", "--deadline", "Cut-off 1=15/01/2027 12:00",
            "--deadline", "Cut-off 2=15 June 2027", *at,
        ],
        ["extend", "ESCP-S3-DEMO", "--by", "14d", "--reason", "example", *at],
        ["edit", "ESCP-S3-DEMO", "--note", "lead: Anna", "--add-tag", "ours"],
    ):  # fmt: skip
        ok(runner.invoke(app, [*store, *args], env=env))
    return base / "store"


@pytest.fixture
def tour(tour_template: Path, tmp_path: Path) -> Path:
    """A copy of the tour's store."""
    target = tmp_path / "tour"
    shutil.copytree(tour_template, target)
    return target


def stores(name: str, tour: Path, seeded_store: Path) -> tuple[Path, str]:
    return (tour, TOUR_AT) if name == "tour" else (seeded_store, DATA_AT)


def expected_rows(cli: Cli, store: Path, at: str) -> list[dict[str, Any]]:
    """Each call's id, title, status and deadline moment, read from JSON and piped columns."""
    calls = as_json(cli("calls", "--all", "--format", "json", "--at", at, store=store))
    piped = ok(cli("calls", "--all", "--columns", "id,deadline", "--at", at, store=store))
    moments = dict(re.split(r"  +", line) for line in piped.splitlines()[1:])
    for call in calls:
        call["moment"] = moments[call["id"]].partition(" (")[0]
    return calls


def on_terminal(args: list[str], columns: int) -> str:
    """What clusterctl ``args`` shows on a pseudo-terminal ``columns`` wide, as text."""
    code, output = run_on_terminal([*clusterctl_exe(), *args], env={"COLUMNS": str(columns)})
    assert code == 0, output
    return output.decode().replace("\r\n", "\n")


def row_blocks(text: str, ids: list[str]) -> dict[str, list[str]]:
    """Each row's lines: from the line that starts with its id to the next such line."""
    lines = text.splitlines()
    starts = [
        (i, line.split()[0])
        for i, line in enumerate(lines)
        if line.split()[:1] and line.split()[0] in ids
    ]
    blocks = {}
    for n, (start, call_id) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        blocks[call_id] = lines[start:end]
    return blocks


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("store_name", ["data", "tour"])
def test_every_row_is_readable_at_each_width(
    cli: Cli, tour: Path, seeded_store: Path, store_name: str, columns: int
) -> None:
    store, at = stores(store_name, tour, seeded_store)
    calls = expected_rows(cli, store, at)
    text = on_terminal(["--no-color", "--store", str(store), "calls", "--all", "--at", at], columns)
    assert "\x1b" not in text
    lines = text.splitlines()
    assert max(cell_width(line) for line in lines) <= columns, text
    blocks = row_blocks(text, [c["id"] for c in calls])
    assert list(blocks) == [c["id"] for c in calls], text  # every call, in the listing's order
    for call in calls:
        block = blocks[call["id"]]
        assert block[0].split()[0] == call["id"]  # whole, on one line
        assert any(call["moment"] in line for line in block), (call["moment"], text)
        assert any(re.search(rf"\b{call['status']}\b", line) for line in block), text
        assert any(call["title"][:20] in line for line in block), (call["title"], text)
    assert "…" in text or columns >= 160  # titles are cut, never the rest


@pytest.mark.parametrize("columns", [80, 160])
def test_colour_adds_styles_and_nothing_else(tour: Path, columns: int) -> None:
    args = ["--store", str(tour), "calls", "--all", "--at", TOUR_AT]
    coloured = on_terminal(args, columns)
    assert "\x1b[1mID\x1b[0m" in coloured  # a bold header
    assert "\x1b[1;31min 1 day 17 h !! urgent\x1b[0m" in coloured  # the palette's urgent
    assert "\x1b[2mclosed\x1b[0m" in coloured and "\x1b[36mforthcoming\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == on_terminal(["--no-color", *args], columns)


def test_the_look_of_the_tour_store(tour: Path) -> None:
    text = on_terminal(["--no-color", "--store", str(tour), "calls", "--at", TOUR_AT], 120)
    assert text.splitlines()[:6] == [
        "ID                                       Deadline               Time left"
        "                Status       Extended",
        "  Title",
        "─" * 120,
        "HORIZON-CL6-2026-04-GOVERNANCE-01        2026-11-26 17:00 CET   in 1 day 17 h !! urgent"
        "  open",
        "  Additional activities for the European Partnership of Agriculture of Data",
        "ESCP-S3-DEMO                             2027-01-29 12:00 CET   in 65 days 12 h"
        "          open         extended",
    ]


def test_a_terminal_listing_never_imports_rich(seeded_store: Path) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['clusterctl', '--store', {str(seeded_store)!r}, 'calls', '--all']\n"
        "from clusterctl.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'typer'}))\n"
    )
    status, output = run_on_terminal([sys.executable, "-c", code], env={"COLUMNS": "120"})
    assert status == 0, output
    assert b"COS-CLUSTPARTNS-2017-3-02" in output
    assert b"LOADED []" in output


# --- show and warn ------------------------------------------------------------------------------

LONG_URL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/horizon-cl4-2027-04-digital-emerging-10?keywords=cluster"
)
LONG_ID = "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10-AND-A-SUFFIX-LONGER-THAN-A-LINE-XYZ"


@pytest.mark.parametrize("columns", [60, 80])
def test_show_wraps_a_url_and_an_id_and_never_cuts_them(
    cli: Cli, store_dir: Path, columns: int
) -> None:
    ok(cli("add", LONG_ID, "--title", "T", "-d", "2027-03-01", "--url", LONG_URL))
    text = on_terminal(
        ["--no-color", "--store", str(store_dir), "show", LONG_ID, "--at", "2026-12-01"], columns
    )
    assert "…" not in text
    lines = text.splitlines()
    assert max(cell_width(line) for line in lines) <= columns
    values: dict[str, str] = {}
    label = ""
    for line in lines:
        if not line.startswith(" "):
            label = line[:11].strip()
            values[label] = line[11:]
        else:
            values[label] += line.strip()
    assert values["ID"] == LONG_ID and values["URL"] == LONG_URL


@pytest.mark.parametrize("columns", WIDTHS)
def test_warn_follows_the_same_rules(tour: Path, columns: int) -> None:
    args = ["--no-color", "--store", str(tour), "warn", "--dry-run", "--no-email"]
    text = on_terminal([*args, "--at", "2026-11-25T09:00", "--thresholds", "30d,2d"], columns)
    lines = text.splitlines()
    assert max(cell_width(line) for line in lines) <= columns
    assert lines[0].split()[:2] == ["ID", "Deadline" if "Title" not in lines[0] else "Title"]
    assert "EXTENDED" not in text  # an empty mark column is left out
    row = next(i for i, line in enumerate(lines) if line.startswith("HORIZON-CL6-2026-04-GOV"))
    block = "\n".join(lines[row : row + 3])
    assert "2026-11-26 17:00 CET" in block and "Additional activities" in block


# --- --columns and --wide ---------------------------------------------------------------------


def test_columns_choose_and_order_the_piped_columns(cli: Cli, tour: Path) -> None:
    out = ok(
        cli("calls", "--columns", "status,id,left", "--within", "3d", "--at", TOUR_AT, store=tour)
    )
    assert out.splitlines() == [
        "Status  ID                                 Time left",
        "open    HORIZON-CL6-2026-04-GOVERNANCE-01  in 1 day 17 h !! urgent",
    ]
    named_empty = ok(
        cli("calls", "--columns", "id,extended", "--within", "3d", "--at", TOUR_AT, store=tour)
    )
    assert named_empty.splitlines()[0] == "ID                                 Extended"


def test_wide_adds_the_tags_to_piped_output(cli: Cli, tour: Path) -> None:
    out = ok(cli("calls", "--wide", "--search", "demo", "--at", TOUR_AT, store=tour))
    assert re.split(r"  +", out.splitlines()[0]) == [
        "ID", "Title", "Programme", "Tags", "Deadline", "Time left", "Status", "Extended",
    ]  # fmt: skip
    assert "demo, ours" in out.splitlines()[1]


def test_wide_on_a_narrow_terminal_keeps_programme_and_tags(tour: Path) -> None:
    args = ["--no-color", "--store", str(tour), "calls", "--wide", "--at", TOUR_AT]
    text = on_terminal(args, 100)
    assert "Programme" in text and "Tags" in text
    assert max(cell_width(line) for line in text.splitlines()) <= 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--columns", "id,dealine"],
            "error: unknown column 'dealine' in --columns; choose from id, title, programme, "
            "tags, deadline, left, status, extended",
        ),
        (["--columns", "id,id"], "error: column 'id' is named twice in --columns"),
        (
            ["--columns", "id", "--wide"],
            "error: --columns already names the columns to show; drop --wide",
        ),
        (
            ["--columns", "id", "-f", "json"],
            "error: --columns chooses table columns; --format json has every field",
        ),
        (
            ["--wide", "-f", "csv"],
            "error: --wide chooses table columns; --format csv has every field",
        ),
    ],
)
def test_column_choice_errors_are_one_line(
    cli: Cli, seeded_store: Path, args: list[str], message: str
) -> None:
    assert failed(cli("calls", *args, store=seeded_store), 2) == message


def test_both_routes_read_the_new_options(cli: Cli, seeded_store: Path) -> None:
    argv = ["calls", "--all", "--columns", "id,status", "--at", DATA_AT]
    invocation = fast.parse(["--store", str(seeded_store), *argv], environ={})
    assert invocation is not None and invocation.values["columns"] == "id,status"
    installed = subprocess.run(
        [*clusterctl_exe(), "--store", str(seeded_store), *argv],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert installed.stdout == ok(cli(*argv, store=seeded_store))
    assert installed.stdout.splitlines() == [
        "ID                         Status",
        "COS-CLUSTPARTNS-2017-3-02  open",
        "ESCP-S3-EOI                closed",
    ]


def test_help_and_readme_name_the_columns() -> None:
    helped = subprocess.run(
        [*clusterctl_exe(), "calls", "--help"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    names = "id, title, programme, tags, deadline, left (time left), status, extended"
    assert names in " ".join(helped.stdout.split()) and "--wide" in helped.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert names in " ".join(readme.split()) and "--wide" in readme
