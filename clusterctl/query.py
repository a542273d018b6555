"""Selecting and ordering calls for listings: pure functions over CallSummary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from clusterctl.errors import UsageError
from clusterctl.records import NamedTuple
from clusterctl.summary import CallSummary, Status, sort_key

DEFAULT_STATUSES = frozenset({Status.OPEN, Status.FORTHCOMING})
ALL_STATUSES = frozenset(Status)


class CallFilter(NamedTuple):
    """What a listing asks for; every given criterion must hold."""

    statuses: frozenset[Status] = DEFAULT_STATUSES
    within: timedelta | None = None
    programme: str | None = None
    tags: tuple[str, ...] = ()
    search: str | None = None

    def by_moments(self) -> bool:
        """True when only the status and --within select: what a call's moments alone answer
        (its opening and deadlines), with none of its text."""
        return self.programme is None and not self.tags and self.search is None

    def matches(self, summary: CallSummary, now: float) -> bool:
        """True if ``summary`` passes every criterion at ``now`` (a POSIX timestamp)."""
        if summary.status(now) not in self.statuses:
            return False
        if self.within is not None:
            upcoming = summary.next_deadline(now)
            if upcoming is None or upcoming[1] - now > self.within.total_seconds():
                return False
        if self.programme and self.programme.casefold() not in summary.programme.casefold():
            return False
        if self.tags:
            have = {t.casefold() for t in summary.tags}
            if not all(t.casefold() in have for t in self.tags):
                return False
        if self.search:
            needle = self.search.casefold()
            haystack = " ".join(
                (summary.id, summary.title, summary.programme, summary.note, *summary.tags)
            ).casefold()
            if needle not in haystack:
                return False
        return True


def status_filter(
    *, open_: bool = False, closed: bool = False, forthcoming: bool = False, all_: bool = False
) -> frozenset[Status]:
    """The statuses asked for by --open/--closed/--forthcoming/--all (default open, forthcoming)."""
    if all_:
        if open_ or closed or forthcoming:
            raise UsageError("--all already shows every status; drop --open/--closed/--forthcoming")
        return ALL_STATUSES
    chosen = {
        status
        for status, wanted in (
            (Status.OPEN, open_),
            (Status.CLOSED, closed),
            (Status.FORTHCOMING, forthcoming),
        )
        if wanted
    }
    return frozenset(chosen) or DEFAULT_STATUSES


def select(summaries: Iterable[CallSummary], flt: CallFilter, now: float) -> list[CallSummary]:
    """The matching summaries, upcoming deadlines first (soonest first), then closed ones."""
    chosen = [s for s in summaries if flt.matches(s, now)]
    chosen.sort(key=lambda s: sort_key(s, now))
    return chosen


def hidden_closed(summaries: Sequence[CallSummary], flt: CallFilter, now: float) -> int:
    """How many closed calls would match if closed calls were shown (for the --all hint)."""
    # --within asks for a deadline ahead, which a closed call never has: --all would not help.
    if Status.CLOSED in flt.statuses or flt.within is not None:
        return 0
    widened = CallFilter(
        statuses=frozenset({Status.CLOSED}),
        programme=flt.programme,
        tags=flt.tags,
        search=flt.search,
    )
    return sum(1 for s in summaries if widened.matches(s, now))
