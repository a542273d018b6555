"""Calls, their deadline stages and extensions: pure domain logic, no I/O.

Every datetime here is timezone-aware. Stage deadlines and ``opens`` carry the call's own
``ZoneInfo``; ``Extension.recorded`` is in UTC. Comparisons are between exact instants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from clusterctl.errors import ConflictError, UsageError
from clusterctl.limits import MAX_CHARS, YEAR_RANGE

#: What a call id may be: it becomes a file name, so it is restricted to a safe alphabet.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
ID_RULE = (
    "an id is 1-120 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"
)


def validate_id(call_id: str) -> str:
    """Return ``call_id`` if it is a valid id, else raise UsageError naming the rule."""
    if not ID_PATTERN.fullmatch(call_id) or ".." in call_id:
        raise UsageError(f"invalid id {call_id!r}: {ID_RULE}")
    return call_id


#: C0 and C1 controls, DEL and the Unicode line and paragraph separators: each can end a line of a
#: calendar file or a terminal and start content of its own; a real URL holds them %-escaped.
URL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_url(url: str) -> str:
    """Return ``url`` if it is empty or an http(s) URL without control characters.

    Anything else is a mistyped option or a hostile file; raise UsageError.
    """
    if url and not url.startswith(("http://", "https://")):
        raise UsageError(f"invalid URL {url!r}: it must start with http:// or https://")
    if URL_CONTROL.search(url):
        raise UsageError(f"invalid URL {url!r}: it must not contain control characters")
    return url


def validate_title(title: str) -> str:
    """A title must say something."""
    if not title.strip():
        raise UsageError("the title must not be empty")
    return title


def validate_tag(tag: str) -> str:
    """A tag must have some text (an empty one usually comes from an unset shell variable)."""
    if not tag.strip():
        raise UsageError("a tag must not be empty")
    return tag


def is_utf8(text: str) -> bool:
    """False for text that cannot be stored: bytes that were not UTF-8 arrive as lone surrogates
    (from a command line in another encoding, or ``"\ud800"`` in JSON)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Status(StrEnum):
    """Where a call stands at a given moment."""

    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Stage:
    """One deadline of a call (single-deadline calls have one stage labelled '')."""

    label: str
    original: datetime
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Extension:
    """A recorded move of one stage's deadline from ``from_`` to ``to``."""

    stage: str
    from_: datetime
    to: datetime
    recorded: datetime
    reason: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class StageView:
    """A stage with its effective deadline after extensions."""

    label: str
    original: datetime
    deadline: datetime
    extended: bool


@dataclass(frozen=True)
class Call:
    """A funding call and its deadline history."""

    id: str
    title: str
    timezone: str
    stages: tuple[Stage, ...]
    extensions: tuple[Extension, ...] = ()
    programme: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    note: str = ""
    opens: datetime | None = None
    extra: dict = field(default_factory=dict, compare=False)

    # --- deadlines -------------------------------------------------------------------------

    def stage_views(self) -> list[StageView]:
        """Every stage with its effective deadline (the latest extension wins), in stage order."""
        latest: dict[str, datetime] = {}
        for ext in self.extensions:
            latest[ext.stage] = ext.to
        return [
            StageView(
                label=s.label,
                original=s.original,
                deadline=latest.get(s.label, s.original),
                extended=s.label in latest,
            )
            for s in self.stages
        ]

    def next_stage(self, now: datetime) -> StageView | None:
        """The soonest stage whose effective deadline is still ahead of ``now``."""
        # Instants, not datetimes: two datetimes sharing one ZoneInfo compare by wall time.
        now_ts = now.timestamp()
        ahead = [v for v in self.stage_views() if v.deadline.timestamp() > now_ts]
        return min(ahead, key=lambda v: v.deadline.timestamp()) if ahead else None

    def last_stage(self) -> StageView:
        """The stage whose effective deadline is the latest."""
        return max(self.stage_views(), key=lambda v: v.deadline.timestamp())

    def status(self, now: datetime) -> Status:
        """Forthcoming before ``opens``; open until the last deadline; closed at and after it."""
        return self.summary().status(now.timestamp())

    def summary(self) -> CallSummary:
        """The compact, picklable form used for listing, filtering and sorting."""
        return CallSummary(
            id=self.id,
            title=self.title,
            programme=self.programme,
            tags=self.tags,
            timezone=self.timezone,
            opens=None if self.opens is None else self.opens.timestamp(),
            stages=tuple((v.label, v.deadline.timestamp(), v.extended) for v in self.stage_views()),
            note=self.note,
            extended=self.is_extended(),
        )

    def relevant_stage(self, now: datetime) -> StageView:
        """The next stage ahead of ``now``, or the last one once the call has closed."""
        return self.next_stage(now) or self.last_stage()

    def is_extended(self) -> bool:
        """True when any stage's deadline was ever moved."""
        return bool(self.extensions)

    def find_stage(self, label: str) -> Stage:
        """The stage called ``label``; raise UsageError listing the labels otherwise."""
        for stage in self.stages:
            if stage.label == label:
                return stage
        names = ", ".join(repr(s.label) for s in self.stages)
        raise UsageError(f"call {self.id} has no stage {label!r} (stages: {names})")

    def target_stage(self, stage: str | None, now: datetime) -> StageView:
        """The stage an extension applies to: ``stage`` if named, else the next open one
        (a single-stage call's only stage even after it closed)."""
        if stage is not None:
            self.find_stage(stage)
            return next(v for v in self.stage_views() if v.label == stage)
        view = self.next_stage(now)
        if view is None:
            if len(self.stages) > 1:
                raise UsageError(f"call {self.id} has no open stage; name one with --stage")
            view = self.stage_views()[0]
        return view

    # --- changes (return new Calls) ---------------------------------------------------------

    def extend(
        self,
        to: datetime,
        *,
        recorded: datetime,
        stage: str | None = None,
        reason: str = "",
        source: str = "",
        allow_earlier: bool = False,
    ) -> Call:
        """Return a copy with an extension of ``stage`` (default: the next open one) to ``to``."""
        view = self.target_stage(stage, recorded)
        if to.timestamp() == view.deadline.timestamp():
            raise ConflictError(
                f"call {self.id}: the deadline is already {to.isoformat()}; nothing to extend"
            )
        if to.timestamp() < view.deadline.timestamp() and not allow_earlier:
            raise ConflictError(
                f"call {self.id}: {to.isoformat()} is earlier than the current deadline "
                f"{view.deadline.isoformat()}; use --allow-earlier if it was brought forward"
            )
        ext = Extension(
            stage=view.label,
            from_=view.deadline,
            to=to.astimezone(view.deadline.tzinfo),
            recorded=recorded.astimezone(UTC),
            reason=reason,
            source=source,
        )
        return replace(self, extensions=(*self.extensions, ext))


class CallSummary(NamedTuple):
    """What listing needs of a call, as plain values (instants are POSIX timestamps).

    ``stages`` holds ``(label, effective deadline, extended)`` per stage. The store caches these so
    that listing 100,000 calls never builds full Call objects.
    """

    id: str
    title: str
    programme: str
    tags: tuple[str, ...]
    timezone: str
    opens: float | None
    stages: tuple[tuple[str, float, bool], ...]
    note: str
    extended: bool

    def next_deadline(self, now: float) -> tuple[str, float, bool] | None:
        """The soonest ``(label, deadline, extended)`` strictly after ``now``."""
        ahead = [s for s in self.stages if s[1] > now]
        return min(ahead, key=lambda s: s[1]) if ahead else None

    def last_deadline(self) -> tuple[str, float, bool]:
        """The stage with the latest effective deadline."""
        return max(self.stages, key=lambda s: s[1])

    def relevant_deadline(self, now: float) -> tuple[str, float, bool]:
        """The next deadline, or the last one once the call has closed."""
        return self.next_deadline(now) or self.last_deadline()

    def status(self, now: float) -> Status:
        """Forthcoming before ``opens``; open until the last deadline; closed at and after it."""
        if self.opens is not None and now < self.opens:
            return Status.FORTHCOMING
        if self.last_deadline()[1] > now:
            return Status.OPEN
        return Status.CLOSED


def make_stages(deadlines: Sequence[tuple[str, datetime]]) -> tuple[Stage, ...]:
    """Stages from (label, deadline) pairs, in time order.

    Several unlabelled deadlines are named 'Stage 1', 'Stage 2'... in time order; a single one
    keeps the empty label. Labels must be unique.
    """
    if not deadlines:
        raise UsageError("a call needs at least one --deadline")
    ordered = sorted(deadlines, key=lambda pair: pair[1].timestamp())
    unlabelled = [pair for pair in ordered if not pair[0]]
    if len(ordered) > 1 and unlabelled:
        taken = {label for label, _ in ordered}
        names = iter(f"Stage {n}" for n in range(1, 1000) if f"Stage {n}" not in taken)
        ordered = [(label or next(names), when) for label, when in ordered]
    instants = [when.timestamp() for _, when in ordered]
    if len(set(instants)) != len(instants):
        raise UsageError("two deadlines of one call are the same moment")
    labels = [label for label, _ in ordered]
    if len(set(labels)) != len(labels):
        raise UsageError(f"deadline labels must be unique: {labels}")
    return tuple(Stage(label=label, original=when) for label, when in ordered)


def sort_key(summary: CallSummary, now: float) -> tuple[int, float, str]:
    """Upcoming deadlines first, soonest first; then closed calls, most recently closed first."""
    upcoming = summary.next_deadline(now)
    if upcoming is not None:
        return (0, upcoming[1], summary.id)
    return (1, -summary.last_deadline()[1], summary.id)


def consistency_problems(call: Call) -> list[str]:
    """Every internal inconsistency of one call, as one-line messages (for ``check``)."""
    problems: list[str] = []
    labels = [s.label for s in call.stages]
    if not call.stages:
        problems.append(f"{call.id}: has no deadline")
    if len(set(labels)) != len(labels):
        problems.append(f"{call.id}: stage labels are not unique: {labels}")
    if (
        call.stages
        and call.opens is not None
        and call.opens.timestamp() >= min(s.original.timestamp() for s in call.stages)
    ):
        problems.append(
            f"{call.id}: opens {call.opens.isoformat()} is not before its first deadline"
        )
    current = {s.label: s.original for s in call.stages}
    for n, ext in enumerate(call.extensions, start=1):
        if ext.stage not in current:
            problems.append(f"{call.id}: extension {n} names unknown stage {ext.stage!r}")
            continue
        if ext.from_.timestamp() != current[ext.stage].timestamp():
            problems.append(
                f"{call.id}: extension {n} says it moved the deadline from "
                f"{ext.from_.isoformat()}, but the deadline then was "
                f"{current[ext.stage].isoformat()}"
            )
        current[ext.stage] = ext.to
    return problems


def validate_call(call: Call) -> Call:
    """Return ``call`` if ``add`` would accept each of its fields, else raise UsageError.

    The one set of rules for a new call, whether it comes from ``add`` or from an import file:
    a valid id, UTF-8 text, a non-empty title and tags, http(s) URLs without control
    characters, deadlines at distinct moments.
    """
    validate_id(call.id)
    for name, text in _texts(call):
        if not is_utf8(text):
            raise UsageError(f"{name!r}: not valid UTF-8 text")
    validate_title(call.title)
    validate_url(call.url)
    for tag in call.tags:
        validate_tag(tag)
    for ext in call.extensions:
        validate_url(ext.source)
    instants = [s.original.timestamp() for s in call.stages]
    if len(set(instants)) != len(instants):
        raise UsageError("two deadlines of one call are the same moment")
    return call


def _texts(call: Call) -> list[tuple[str, str]]:
    """Every piece of text a call holds (but its extra keys), named as in its record."""
    texts = [(key, getattr(call, key)) for key in ("title", "programme", "url", "note")]
    texts += [("tags", tag) for tag in call.tags]
    texts += [(f"deadlines[{n}].label", s.label) for n, s in enumerate(call.stages, start=1)]
    for n, ext in enumerate(call.extensions, start=1):
        texts += [
            (f"extensions[{n}].{key}", text)
            for key, text in (("stage", ext.stage), ("reason", ext.reason), ("source", ext.source))
        ]
    return texts


def limit_problem(call: Call) -> str | None:
    """What of ``call`` is beyond the limits of clusterctl/limits.py (a text too long, a moment
    outside the supported years), or None. Every input path and every read of a call file checks
    this, and the store again before it writes: a call is never written that cannot be read."""
    texts: list[tuple[str, str, str]] = [
        ("title", "title", call.title),
        ("programme", "programme", call.programme),
        ("url", "url", call.url),
        ("note", "note", call.note),
    ]
    texts += [(f"tag {n}", "tag", tag) for n, tag in enumerate(call.tags, start=1)]
    texts += [(f"label of deadline {n}", "label", s.label) for n, s in enumerate(call.stages, 1)]
    for n, ext in enumerate(call.extensions, start=1):
        texts += [
            (f"stage of extension {n}", "label", ext.stage),
            (f"reason of extension {n}", "reason", ext.reason),
            (f"source of extension {n}", "source", ext.source),
        ]
    for what, key, text in texts:
        if len(text) > MAX_CHARS[key]:
            return f"{what} too long ({len(text)} characters; at most {MAX_CHARS[key]})"
    moments: list[tuple[str, datetime | None]] = [("opens", call.opens)]
    moments += [(f"deadline {n}", s.original) for n, s in enumerate(call.stages, start=1)]
    for n, ext in enumerate(call.extensions, start=1):
        moments += [
            (f"extension {n} from", ext.from_),
            (f"extension {n} to", ext.to),
            (f"extension {n} recorded", ext.recorded),
        ]
    low, high = YEAR_RANGE
    for what, moment in moments:
        if moment is not None and not low <= moment.year <= high:
            return f"{what} {moment.isoformat()} is outside the supported years {low}-{high}"
    return None


def check_limits(call: Call) -> Call:
    """Return ``call`` if it is within the limits, else raise UsageError naming it and the field."""
    problem = limit_problem(call)
    if problem:
        raise UsageError(f"call {call.id}: {problem}")
    return call
