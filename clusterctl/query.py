"""Selecting and ordering calls for listings: pure functions over CallSummary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from clusterctl.errors import UsageError
from clusterctl.records import NamedTuple
from clusterctl.summary import CallSummary, Status, status_at

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
    """The matching summaries, upcoming deadlines first (soonest first), then closed ones: in
    the order of ``sort_key``."""
    by_status = flt.by_moments() and flt.within is None  # the status alone decides
    statuses = flt.statuses
    # (next deadline, id, summary) of each call with one ahead, then (-last deadline, id,
    # summary) of the others, sorted as plain tuples (ids are unique: summaries are never
    # compared), a call of one stage looked at without a method call: at 100,000 calls
    # (56,883 live) 0.13 s, where a key function per call took 0.25 s (in-process).
    ahead: list[tuple[float, str, CallSummary]] = []
    past: list[tuple[float, str, CallSummary]] = []
    for s in summaries:
        stages = s.stages
        if len(stages) == 1 and by_status:
            last = stages[0][1]
            if status_at(s.opens, last, now) not in statuses:
                continue
            upcoming = last if last > now else None
        else:
            if not flt.matches(s, now):
                continue
            last = s.last_deadline()[1]
            next_one = s.next_deadline(now)
            upcoming = None if next_one is None else next_one[1]
        if upcoming is not None:
            ahead.append((upcoming, s.id, s))
        else:
            past.append((-last, s.id, s))
    ahead.sort()
    past.sort()
    return [item[2] for item in ahead] + [item[2] for item in past]


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
