"""Moving calls in and out: ``import`` and ``export ics``."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clusterctl.app import App, AtOption, app, context
from clusterctl.commands.listing import (
    AllFlag,
    ClosedFlag,
    ForthcomingFlag,
    OpenFlag,
    ProgrammeOption,
    SearchOption,
    TagOption,
    WithinOption,
)
from clusterctl.context import AppContext
from clusterctl.errors import UsageError, describe_os_error
from clusterctl.views import filter_options


class ImportFormat(StrEnum):
    """What an import file holds."""

    auto = "auto"
    json = "json"
    csv = "csv"
    eu_portal = "eu-portal"


def _read_input(file: Path) -> bytes:
    try:
        return sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {describe_os_error(exc)}") from None


def _records_to_calls(records: object, source: str) -> list:
    from clusterctl.codec import RecordError, call_from_json

    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise UsageError(
            f"{source}: expected a JSON array of calls, as `calls --format json` writes"
        )
    calls = []
    for n, record in enumerate(records, start=1):
        try:
            calls.append(call_from_json(record))
        except RecordError as exc:
            rid = record.get("id") if isinstance(record, dict) else None
            named = f" ({rid})" if isinstance(rid, str) and rid else ""
            raise UsageError(f"{source}: record {n}{named}: {exc}; nothing was imported") from None
    return calls


def _looks_like_csv(name: str, raw: bytes) -> bool:
    """By the file's extension when it has a telling one, else by content (stdin, .txt):
    JSON starts with an array or an object, clusterctl CSV with its header line."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("csv", "json"):
        return suffix == "csv"
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"[", b"{")


def _looks_like_portal(data: object) -> bool:
    pages = data if isinstance(data, list) else [data]
    return bool(pages) and all(isinstance(p, dict) and "results" in p for p in pages)


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="File to read ('-' for stdin).")],
    source: Annotated[
        ImportFormat,
        typer.Option(
            "--from",
            help="json / csv as `calls --format` writes them, or eu-portal (a saved search-API "
            "response); auto guesses from the content.",
        ),
    ] = ImportFormat.auto,
    replace_: Annotated[
        bool, typer.Option("--replace", help="json/csv: overwrite calls whose id exists.")
    ] = False,
    allow_earlier: Annotated[
        bool,
        typer.Option("--allow-earlier", help="eu-portal: accept deadlines brought forward."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show what would change; write nothing.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="One line per call.")] = False,
    at: AtOption = None,
) -> None:
    """Import calls, all or nothing.

    Example: clusterctl import search-response.json --from eu-portal --dry-run
    """
    from clusterctl import importer
    from clusterctl.render import TerminalProgress, echo, read_calls_csv

    app_ctx = context(ctx)
    now = app_ctx.now(at)
    name = "stdin" if str(file) == "-" else str(file)
    raw = _read_input(file)
    kind = source
    data: object = None
    if kind is ImportFormat.csv or (kind is ImportFormat.auto and _looks_like_csv(name, raw)):
        kind = ImportFormat.csv
        try:
            records = read_calls_csv(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"{name}: {exc}") from None
        calls = _records_to_calls(records, name)
    else:
        from clusterctl.portal import decode_json

        data = decode_json(raw, name)
        if kind is ImportFormat.auto:
            kind = ImportFormat.eu_portal if _looks_like_portal(data) else ImportFormat.json
        if kind is ImportFormat.eu_portal:
            from clusterctl.portal import parse_portal

            calls = parse_portal(data, name)
        else:
            calls = _records_to_calls(data, name)

    def make_plan(lookup: importer.Lookup) -> importer.ImportPlan:
        if kind is ImportFormat.eu_portal:
            return importer.plan_portal(calls, lookup, now=now, allow_earlier=allow_earlier)
        return importer.plan_records(calls, lookup, replace_existing=replace_, source=name)

    store = app_ctx.store()
    if dry_run:
        plan = make_plan(store.find)
    else:
        with store.transaction() as txn:
            plan = make_plan(txn.find)
            for call in plan.writes:
                txn.put(call)
            txn.progress = TerminalProgress("writing calls", len(plan.writes))
    for message in plan.messages:
        if verbose or dry_run or message.startswith("conflict"):
            echo(message, err=message.startswith("conflict"))
    prefix = "dry run, nothing written: " if dry_run else "imported: "
    echo(prefix + plan.summary())


export_app = App(help="Export calls to other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("ics")
def export_ics_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (atomically) instead of stdout.",
            show_default=False,
        ),
    ] = None,
    thresholds: Annotated[
        str | None,
        typer.Option(
            "--thresholds",
            metavar="LIST",
            help="Reminder alarms, e.g. 14d,3d,12h (default: the warn thresholds).",
            show_default=False,
        ),
    ] = None,
    open_: OpenFlag = False,
    closed: ClosedFlag = False,
    forthcoming: ForthcomingFlag = False,
    all_: AllFlag = False,
    within: WithinOption = None,
    programme: ProgrammeOption = None,
    tag: TagOption = None,
    search: SearchOption = None,
    at: AtOption = None,
) -> None:
    """Write an iCalendar (RFC 5545) file: one event per deadline, alarms at the thresholds.

    Example: clusterctl export ics --all -o ~/calendars/calls.ics
    """
    from clusterctl import query
    from clusterctl.ics import calendar_bytes
    from clusterctl.model import Status
    from clusterctl.render import echo
    from clusterctl.store import atomic_write

    app_ctx = context(ctx)
    now = app_ctx.now(at)
    flt = filter_options(open_, closed, forthcoming, all_, within, programme, tag, search)
    store = app_ctx.store()
    open_at = None if Status.CLOSED in flt.statuses else now.timestamp()
    chosen = query.select(store.summaries(open_at=open_at), flt, now.timestamp())
    data = calendar_bytes(
        store.get_many(s.id for s in chosen),
        thresholds=thresholds_option(app_ctx, thresholds),
        now=now,
    )
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return
    try:
        atomic_write(output.expanduser(), data)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {describe_os_error(exc)}") from None
    plural = "" if len(chosen) == 1 else "s"
    echo(f"Wrote {len(chosen)} call{plural} to {output}", err=True)


def thresholds_option(app_ctx: AppContext, option: str | None) -> list[timedelta]:
    """The warning thresholds from --thresholds, else the config file, else the defaults."""
    from clusterctl.timeparse import parse_thresholds
    from clusterctl.warn import DEFAULT_THRESHOLDS

    # An explicit but empty --thresholds (e.g. from an unset shell variable) is an error,
    # not a silent fallback to the defaults.
    text = option if option is not None else app_ctx.config.warn_thresholds
    return parse_thresholds(text) if text is not None else list(DEFAULT_THRESHOLDS)
