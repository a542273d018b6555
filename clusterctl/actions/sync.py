"""What ``sync`` does: fetch saved portal searches, then merge every topic in one transaction.

All or nothing: every page of every search is fetched before the store is touched, so a portal
that fails half-way changes nothing. The merge is ``import --from eu-portal``'s.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime

from clusterctl import importer
from clusterctl.actions.context import AppContext
from clusterctl.errors import CONFLICTS_LEFT, UsageError
from clusterctl.model import Call
from clusterctl.portal_search import (
    ADHOC_NAME,
    DEFAULT_ENDPOINT,
    FetchResult,
    ProgressCallback,
    SavedSearch,
    adhoc_search,
    fetch_search,
    open_client,
    rich_progress,
    saved_searches_from_config,
)
from clusterctl.render import echo
from clusterctl.timeparse import utc_stamp

#: The tag every call that `sync` brings carries, beside its search's name.
PORTAL_TAG = "portal"
DEFAULT_TIMEOUT = 30.0


def sync_portal(
    app_ctx: AppContext,
    *,
    search: str | None = None,
    text: str | None = None,
    status: str | None = None,
    filter_: Sequence[str] | None = None,
    endpoint: str | None = None,
    timeout: float | None = None,
    retries: int = 3,
    allow_earlier: bool = False,
    dry_run: bool = False,
    history: bool = False,
    verbose: bool = False,
    at: str | None = None,
) -> int | None:
    """Run the chosen portal searches and merge what they bring; silent when nothing changed.

    Return ``CONFLICTS_LEFT`` when topics that disagree with the store were left alone (each
    said on stderr), as ``import`` does.
    """
    if history:
        _print_history(app_ctx)
        return None
    now = app_ctx.now(at)
    searches = _chosen(app_ctx, search, text, status, filter_ or ())
    url = endpoint or app_ctx.config.portal_endpoint or DEFAULT_ENDPOINT
    seconds = timeout if timeout is not None else app_ctx.config.portal_timeout
    store = app_ctx.store()
    results = _fetch_all(
        searches, url, seconds if seconds is not None else DEFAULT_TIMEOUT, retries
    )
    for result in results:
        if warning := result.cap_warning():
            echo(f"warning: {warning}", err=True)
    calls = _tagged_calls(results)
    if dry_run:
        plan = importer.plan_portal(calls, store.find, now=now, allow_earlier=allow_earlier)
    else:
        with store.transaction() as txn:
            plan = importer.plan_portal(calls, txn.find, now=now, allow_earlier=allow_earlier)
            for call in plan.writes:
                txn.put(call)
        store.record_syncs([_history_entry(r, now, url, plan.summary()) for r in results])
    changed = any(plan.counts[k] for k in ("new", "extended", "updated", "conflicting"))
    for message in plan.messages:
        conflict = message.startswith("conflict")
        if verbose or conflict or not message.startswith("unchanged"):
            echo(message, err=conflict)
    if changed or verbose or dry_run:
        prefix = "dry run, nothing written: " if dry_run else "synced: "
        echo(prefix + plan.summary())
    return CONFLICTS_LEFT if plan.counts["conflicting"] else None


def _chosen(
    app_ctx: AppContext,
    name: str | None,
    text: str | None,
    status: str | None,
    filters: Sequence[str],
) -> list[SavedSearch]:
    """The searches to run: an ad-hoc one, one saved one, or every saved one."""
    if text is not None:
        if name is not None:
            raise UsageError("give --search NAME or --text TEXT, not both")
        return [adhoc_search(text, status, filters)]
    if status is not None or filters:
        raise UsageError("--status and --filter go with --text (a saved search has its own)")
    config = app_ctx.config
    saved = saved_searches_from_config(list(config.portal_searches), path=config.path)
    if name is not None:
        chosen = [s for s in saved if s.name == name]
        if not chosen:
            names = ", ".join(s.name for s in saved) or "none"
            raise UsageError(f"no saved search {name!r} in {config.path} (saved: {names})")
        return chosen
    if not saved:
        raise UsageError(
            f"no saved searches: add [[portal.search]] to {config.path}, or use --text TEXT"
        )
    return saved


def _fetch_all(
    searches: Sequence[SavedSearch], endpoint: str, timeout: float, retries: int
) -> list[FetchResult]:
    """Every page of every search, before anything is written."""
    with open_client() as client:
        results = []
        for search in searches:
            with _progress(f"search {search.name!r}") as progress:
                results.append(
                    fetch_search(
                        search,
                        endpoint=endpoint,
                        session=client,
                        timeout=timeout,
                        retries=retries,
                        progress=progress,
                    )
                )
        return results


@contextlib.contextmanager
def _progress(description: str) -> Iterator[ProgressCallback | None]:
    """Rich's progress bar on a terminal's stderr; nothing for cron."""
    if not sys.stderr.isatty():
        yield None
        return
    with rich_progress(description) as progress:
        yield progress


def _tagged_calls(results: Sequence[FetchResult]) -> list[Call]:
    """Each topic once (the first search that found it), tagged 'portal' and its search's name."""
    seen: set[str] = set()
    calls = []
    for result in results:
        extra = (
            (PORTAL_TAG,) if result.search.name == ADHOC_NAME else (PORTAL_TAG, result.search.name)
        )
        for call in result.calls():
            if call.id in seen:
                continue
            seen.add(call.id)
            calls.append(call.replace(tags=tuple(dict.fromkeys((*call.tags, *extra)))))
    return calls


def _history_entry(result: FetchResult, now: datetime, endpoint: str, summary: str) -> dict:
    return {
        "search": result.search.name,
        "when": utc_stamp(now),
        "topics": sum(len(page.get("results", ())) for page in result.pages),
        "total_results": result.total_results,
        "pages": result.pages_fetched,
        "capped": result.capped,
        "endpoint": endpoint,
        "changes": summary,
    }


def _print_history(app_ctx: AppContext) -> None:
    runs = app_ctx.store().sync_history()
    if not runs:
        echo("No syncs yet.")
        return
    for run in runs:
        capped = " (capped: the portal serves at most 10,000)" if run.get("capped") else ""
        echo(
            f"{run.get('when', '?')}  {run.get('search', '?')}: {run.get('topics', '?')} topics "
            f"of {run.get('total_results', '?')}{capped}; {run.get('changes', '')}"
        )
