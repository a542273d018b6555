"""What ``calls`` and ``show`` print, apart from parsing their options.

Like ``clusterctl.actions.changes``, nothing here imports the command-line framework: both
routes (``clusterctl.cli``) run the same code. ``fmt`` is 'table', 'json' or
'csv' (the Typer commands pass their OutputFormat, a str enum with those values).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime

from clusterctl import query, render
from clusterctl.actions.context import AppContext
from clusterctl.actions.unreadable import report_unreadable
from clusterctl.errors import UsageError
from clusterctl.query import CallFilter, status_filter
from clusterctl.store import Store, Unreadable
from clusterctl.summary import CallSummary, Status
from clusterctl.timeparse import parse_duration


def filter_options(
    open_: bool,
    closed: bool,
    forthcoming: bool,
    all_: bool,
    within: str | None,
    programme: str | None,
    tag: Sequence[str] | None,
    search: str | None,
) -> CallFilter:
    """Build a CallFilter from the listing flags shared by ``calls`` and the exports."""
    return CallFilter(
        statuses=status_filter(open_=open_, closed=closed, forthcoming=forthcoming, all_=all_),
        within=parse_duration(within) if within is not None else None,
        programme=programme,
        tags=tuple(tag or ()),
        search=search,
    )


def list_calls(
    app_ctx: AppContext,
    *,
    open_: bool = False,
    closed: bool = False,
    forthcoming: bool = False,
    all_: bool = False,
    within: str | None = None,
    programme: str | None = None,
    tag: Sequence[str] | None = None,
    search: str | None = None,
    at: str | None = None,
    tz: str | None = None,
    fmt: str = "table",
    columns: str | None = None,
    wide: bool = False,
) -> None:
    """Print the calls the ``calls`` options select, soonest deadline first."""
    names = table_columns(columns, wide, fmt)
    now = app_ctx.now(at, tz)
    flt = filter_options(open_, closed, forthcoming, all_, within, programme, tag, search)
    zone = app_ctx.display_zone(tz)
    store = app_ctx.existing_store()
    now_ts = now.timestamp()
    wants_closed = Status.CLOSED in flt.statuses
    unreadable: list[Unreadable] = []  # reported once the listing is out
    open_at = None if wants_closed else now_ts
    if fmt == "json" and render.is_utf8(sys.stdout):
        _write_json(store, flt, open_at, now_ts, unreadable)
        report_unreadable(unreadable)
        return
    chosen = query.select(store.summaries(open_at=open_at, unreadable=unreadable), flt, now_ts)
    if fmt == "json":  # \u escapes for a stream that is not UTF-8: made afresh, rarely needed
        from clusterctl.codec import call_to_json  # see _write_json

        calls = store.get_many((s.id for s in chosen), unreadable=unreadable)
        render.write_json([call_to_json(c, now) for c in calls], sys.stdout)
    elif fmt == "csv":
        calls = store.get_many((s.id for s in chosen), unreadable=unreadable)
        render.write_calls_csv(calls, now, sys.stdout)
    else:
        _print_table(app_ctx, store, chosen, flt, now, zone, unreadable, names, wide)
    report_unreadable(unreadable)


def _write_json(
    store: Store,
    flt: CallFilter,
    open_at: float | None,
    now_ts: float,
    unreadable: list[Unreadable],
) -> None:
    """The calls ``flt`` selects as JSON, from the templates the store keeps (jsontext)."""
    from clusterctl import jsontext  # ~2 ms that a table from the cache never needs

    if flt.by_moments():
        # A template holds its call's moments, enough to select and order by, so the
        # summaries are not needed: every file's signature is taken once, not once for them
        # and again for the templates. With no cache, an export of all 100,000 calls parses
        # each file once, not twice (16.3-19.8 -> 10.3-11.7 s, 206-212 -> 186-187 MB). Warm,
        # since templates are compared all at once (ac99f27) and ordered without a key function
        # a call (jsontext.select), the open calls too are quicker so than through the summary
        # cache's live half: 1.52 -> 1.39 s, --within 14d 0.93 -> 0.80 s, --forthcoming 1.03 ->
        # 0.92 s (100,000 calls, half of them open, nine interleaved rounds).
        named = store.derive_every(jsontext.KIND, jsontext.call_template, unreadable=unreadable)
        chosen = jsontext.select(named, flt, now_ts)
        del named
    else:
        summaries = query.select(
            store.summaries(open_at=open_at, unreadable=unreadable), flt, now_ts
        )
        # The summaries are done with once their ids are known: at 100,000 calls, freeing them
        # before the templates load took the export's peak from 280 MB to 160. The ids are
        # copied out through one string: kept, the summaries' own id strings would keep the
        # memory of all the others from being released (they are scattered through it).
        joined = "\n".join(s.id for s in summaries)
        del summaries
        store.forget_summaries()
        ids = joined.split("\n") if joined else []
        del joined
        templates = store.derive(ids, jsontext.KIND, jsontext.call_template, unreadable=unreadable)
        chosen = jsontext.in_order(templates, now_ts)
    jsontext.write_listing(chosen, sys.stdout)
    sys.stdout.write("\n")


def _print_table(
    app_ctx: AppContext,
    store: Store,
    chosen: list[CallSummary],
    flt: CallFilter,
    now: datetime,
    zone: str | None,
    unreadable: list[Unreadable],
    names: tuple[str, ...] | None,
    wide: bool,
) -> None:
    now_ts = now.timestamp()
    if not chosen:
        summaries = store.summaries(unreadable=unreadable)  # closed ones too, for the hint
        message = "No calls match." if summaries or unreadable else f"No calls yet in {store.root}."
        hidden = query.hidden_closed(summaries, flt, now_ts)
        if hidden:
            plural = "s" if hidden != 1 else ""
            message += f" {hidden} closed call{plural} hidden; use --all or --closed to see them."
        render.echo(message)
        return
    rows = render.make_rows(chosen, now, zone)
    render.print_rows(rows, sys.stdout, app_ctx.terminal(), names=names, wide=wide)


def table_columns(columns: str | None, wide: bool, fmt: str) -> tuple[str, ...] | None:
    """The column names --columns gives (None: the defaults), checked against the other options."""
    if columns is not None and wide:
        raise UsageError("--columns already names the columns to show; drop --wide")
    if fmt != "table" and (columns is not None or wide):
        option = "--columns" if columns is not None else "--wide"
        raise UsageError(f"{option} chooses table columns; --format {fmt} has every field")
    return render.parse_columns(columns) if columns is not None else None


def show_call(
    app_ctx: AppContext,
    call_id: str,
    *,
    at: str | None = None,
    tz: str | None = None,
    fmt: str = "table",
) -> None:
    """Print one call with its full deadline and extension history."""
    from clusterctl.codec import call_to_json  # see list_calls; reading the call loads it anyway

    now = app_ctx.now(at, tz)
    call = app_ctx.store().get(call_id)
    if fmt == "json":
        render.write_json(call_to_json(call, now), sys.stdout)
        return
    if fmt == "csv":
        render.write_calls_csv([call], now, sys.stdout)
        return
    lines = render.call_detail_lines(call, now, app_ctx.display_zone(tz))
    render.print_detail(lines, app_ctx.terminal(), sys.stdout)
