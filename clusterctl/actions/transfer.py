"""What ``import``, ``export ics`` and ``export html`` do once their options are parsed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from clusterctl import importer, query
from clusterctl.actions.context import AppContext
from clusterctl.actions.listing import filter_options
from clusterctl.actions.unreadable import report_unreadable
from clusterctl.actions.warnings import thresholds_of
from clusterctl.errors import CONFLICTS_LEFT, UsageError, describe_os_error
from clusterctl.model import Call, Status
from clusterctl.query import CallFilter
from clusterctl.render import TerminalProgress, echo
from clusterctl.store import Unreadable, atomic_write
from clusterctl.zones import canonical_zone_name


def import_file(
    app_ctx: AppContext,
    file: str | Path,
    *,
    source: str = "auto",
    replace_: bool = False,
    allow_earlier: bool = False,
    dry_run: bool = False,
    verbose: bool = False,
    at: str | None = None,
) -> int | None:
    """Import the calls of ``file`` ('-' for stdin), all or nothing; print what changed.

    ``file`` is a string on the fast route, a Path on Typer's.

    Return ``CONFLICTS_LEFT`` when a portal import left conflicts alone.
    """
    now = app_ctx.now(at)
    name = "stdin" if str(file) == "-" else str(file)
    try:
        if str(file) == "-":
            raw = importer.read_import(sys.stdin.buffer, name)
        else:
            with open(file, "rb") as stream:
                raw = importer.read_import(stream, name)
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {describe_os_error(exc)}") from None
    kind, calls = importer.decode_calls(raw, name, source)
    del raw  # 50 MB at 100,000 calls, not needed while they are written

    def make_plan(lookup: importer.Lookup) -> importer.ImportPlan:
        if kind == "eu-portal":
            return importer.plan_portal(calls, lookup, now=now, allow_earlier=allow_earlier)
        return importer.plan_records(calls, lookup, replace_existing=replace_, source=name)

    store = app_ctx.store()
    created = not dry_run and not Path(store.root).exists()
    if dry_run or not calls:  # nothing to write: no lock, so nothing is created either
        plan = make_plan(store.find)
    else:
        with store.transaction() as txn:
            plan = make_plan(txn.find)
            for call in plan.writes:
                txn.put(call)
            txn.progress = TerminalProgress("writing calls", len(plan.writes))
            # The transaction holds the calls from here on: dropped here, they can be let go
            # once written (Transaction.take_written; 40 MB at 100,000 calls).
            plan.writes.clear()
            calls = []
        if created and store.exists():
            echo(f"Created a new store in {store.root}", err=True)
    for message in plan.messages:
        if verbose or dry_run or message.startswith(importer.ALWAYS_SAID):
            echo(message, err=message.startswith("conflict"))
    prefix = "dry run, nothing written: " if dry_run else "imported: "
    echo(prefix + plan.summary())
    # What was safe is written; a script must still see that some calls were left alone.
    return CONFLICTS_LEFT if plan.counts["conflicting"] else None


def export_ics(
    app_ctx: AppContext,
    *,
    output: Path | None = None,
    thresholds: str | None = None,
    open_: bool = False,
    closed: bool = False,
    forthcoming: bool = False,
    all_: bool = False,
    within: str | None = None,
    programme: str | None = None,
    tag: list[str] | None = None,
    search: str | None = None,
    at: str | None = None,
) -> None:
    """Write the selected calls as an iCalendar file, or to stdout."""
    from clusterctl.ics import calendar_bytes  # icalendar: ~64 ms, for export ics only

    now = app_ctx.now(at)
    flt = filter_options(open_, closed, forthcoming, all_, within, programme, tag, search)
    alarms = thresholds_of(app_ctx, thresholds)
    _export(
        app_ctx, flt, now, output, lambda calls: calendar_bytes(calls, thresholds=alarms, now=now)
    )


def export_html(
    app_ctx: AppContext,
    *,
    output: Path | None = None,
    title: str | None = None,
    tz: str | None = None,
    ics_url: str | None = None,
    open_: bool = False,
    closed: bool = False,
    forthcoming: bool = False,
    all_: bool = False,
    within: str | None = None,
    programme: str | None = None,
    tag: list[str] | None = None,
    search: str | None = None,
    at: str | None = None,
) -> None:
    """Write the members' page of the selected calls (``clusterctl.page``), or to stdout."""
    from clusterctl import page  # jinja2 and the page: ~40 ms, for export html only

    try:  # every option is checked before the store is read
        zone = canonical_zone_name(tz) if tz is not None else None
    except UsageError as exc:
        raise UsageError(f"--tz: {exc}") from None
    if ics_url is not None:
        page.check_ics_url(ics_url)
    now = app_ctx.now(at, zone)
    flt = filter_options(open_, closed, forthcoming, all_, within, programme, tag, search)

    def render(calls: Sequence[Call]) -> bytes:
        html = page.render_page(
            calls, now=now, title=title or page.DEFAULT_TITLE, display_zone=zone, ics_url=ics_url
        )
        return html.encode("utf-8")

    _export(app_ctx, flt, now, output, render)


def _export(
    app_ctx: AppContext,
    flt: CallFilter,
    now: datetime,
    output: Path | None,
    render: Callable[[Sequence[Call]], bytes],
) -> None:
    """What every ``export`` does: select the calls as ``calls`` would, render them, write the
    bytes to stdout, or atomically to ``output`` with a count on stderr."""
    store = app_ctx.existing_store()
    open_at = None if Status.CLOSED in flt.statuses else now.timestamp()
    unreadable: list[Unreadable] = []  # reported once the output is written
    summaries = store.summaries(open_at=open_at, unreadable=unreadable)
    chosen = query.select(summaries, flt, now.timestamp())
    calls = store.get_many((s.id for s in chosen), unreadable=unreadable)
    data = render(calls)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    else:
        try:
            atomic_write(output.expanduser(), data)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write: {describe_os_error(exc)}") from None
        plural = "" if len(calls) == 1 else "s"
        echo(f"Wrote {len(calls)} call{plural} to {output}", err=True)
    report_unreadable(unreadable)
