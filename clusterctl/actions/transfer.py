"""What ``import`` and ``export ics`` do once their options are parsed."""

from __future__ import annotations

import sys
from pathlib import Path

from clusterctl import importer, query
from clusterctl.actions.context import AppContext
from clusterctl.actions.listing import filter_options
from clusterctl.actions.warnings import thresholds_of
from clusterctl.errors import CONFLICTS_LEFT, UsageError, describe_os_error
from clusterctl.model import Status
from clusterctl.render import TerminalProgress, echo
from clusterctl.store import atomic_write


def import_file(
    app_ctx: AppContext,
    file: Path,
    *,
    source: str = "auto",
    replace_: bool = False,
    allow_earlier: bool = False,
    dry_run: bool = False,
    verbose: bool = False,
    at: str | None = None,
) -> int | None:
    """Import the calls of ``file`` ('-' for stdin), all or nothing; print what changed.

    Return ``CONFLICTS_LEFT`` when a portal import left conflicts alone.
    """
    now = app_ctx.now(at)
    name = "stdin" if str(file) == "-" else str(file)
    try:
        if str(file) == "-":
            raw = importer.read_import(sys.stdin.buffer, name)
        else:
            with file.open("rb") as stream:
                raw = importer.read_import(stream, name)
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {describe_os_error(exc)}") from None
    kind, calls = importer.decode_calls(raw, name, source)

    def make_plan(lookup: importer.Lookup) -> importer.ImportPlan:
        if kind == "eu-portal":
            return importer.plan_portal(calls, lookup, now=now, allow_earlier=allow_earlier)
        return importer.plan_records(calls, lookup, replace_existing=replace_, source=name)

    store = app_ctx.store()
    created = not dry_run and not store.root.exists()
    if dry_run or not calls:  # nothing to write: no lock, so nothing is created either
        plan = make_plan(store.find)
    else:
        with store.transaction() as txn:
            plan = make_plan(txn.find)
            for call in plan.writes:
                txn.put(call)
            txn.progress = TerminalProgress("writing calls", len(plan.writes))
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
    store = app_ctx.existing_store()
    open_at = None if Status.CLOSED in flt.statuses else now.timestamp()
    chosen = query.select(store.summaries(open_at=open_at), flt, now.timestamp())
    data = calendar_bytes(
        store.get_many(s.id for s in chosen),
        thresholds=thresholds_of(app_ctx, thresholds),
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
