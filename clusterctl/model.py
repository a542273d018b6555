"""Calls, their deadline stages and extensions: pure domain logic, no I/O.

Every datetime here is timezone-aware. Stage deadlines and ``opens`` carry the call's own
``ZoneInfo``; ``Extension.recorded`` is in UTC. Comparisons are between exact instants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property

from clusterctl.errors import ConflictError, UsageError
from clusterctl.history import EXTENSION, Extension, Kind, Track, replay
from clusterctl.lazyre import LazyPattern
from clusterctl.records import NamedTuple
from clusterctl.summary import CallSummary, Status
from clusterctl.value import Value
from clusterctl.zones import get_zone, readings, wall_text

# The history entry lives in clusterctl.history, the summary in clusterctl.summary.
__all__ = ["CallSummary", "Extension", "Kind", "Status"]

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
URL_CONTROL = LazyPattern(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_url(url: str) -> str:
    """Return ``url`` if it is empty or an http(s) URL without control characters.

    Anything else is a mistyped option or a hostile file; raise UsageError.
    """
    if url and not url.startswith(("http://", "https://")):
        raise UsageError(f"invalid URL {url!r}: it must start with http:// or https://")
    if url and URL_CONTROL.search(url):
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


class Stage(Value):
    """One deadline of a call (single-deadline calls have one stage labelled '').

    ``original`` is None when the notice gave only the extended deadline (``add --extended``);
    the history then starts with an extension from an unstated deadline. ``aoe``: the original
    was entered in AoE (Anywhere on Earth), which is shown beside it.
    """

    __slots__ = ("aoe", "extra", "label", "original")
    FIELDS = ("label", "original", "aoe", "extra")
    COMPARED = ("label", "original", "aoe")
    label: str
    original: datetime | None
    aoe: bool
    extra: dict

    def __init__(
        self, label: str, original: datetime | None, aoe: bool = False, extra: dict | None = None
    ) -> None:
        self._set(label=label, original=original, aoe=aoe, extra={} if extra is None else extra)


class StageView(NamedTuple):
    """A stage with its effective deadline after its history (a tuple: one is built per stage
    of every call a listing reads).

    ``extended``: an extension moved it later; ``brought_forward``: an announcement moved it
    earlier; ``last_move`` is the kind of the latest of those ('' if never moved);
    ``corrected``: the user corrected its original deadline. ``aoe``: the effective deadline
    was entered in AoE. ``origin`` is its label before any correction (stable calendar UIDs),
    ``entries`` the indices of the history entries about it, and ``warn_key`` the (label,
    moment) its warnings are keyed by (see ``history.Track.anchor``).
    """

    label: str
    original: datetime | None
    deadline: datetime
    extended: bool
    brought_forward: bool = False
    last_move: str = ""
    corrected: bool = False
    aoe: bool = False
    origin: str = ""
    entries: tuple[int, ...] = ()
    warn_key: tuple[str, datetime] | None = None

    @property
    def moved(self) -> bool:
        """True when an announcement (extension or bringing forward) moved this deadline."""
        return self.extended or self.brought_forward

    @property
    def first(self) -> datetime:
        """The earliest deadline the stage is known to have had (for ``opens`` checks)."""
        return self.deadline if self.original is None else self.original


def _plain_view(stage: Stage) -> StageView:
    """The view of a stage that has no history."""
    if stage.original is None:
        return _view(Track(stage.label, stage.label, None, None))
    return StageView(
        label=stage.label,
        original=stage.original,
        deadline=stage.original,
        extended=False,
        aoe=stage.aoe,
        origin=stage.label,
        warn_key=(stage.label, stage.original),
    )


def _view(track: Track) -> StageView:
    if track.deadline is None:
        raise ValueError(
            f"stage {track.label!r} has no deadline: neither its 'deadline' nor an extension "
            "states one"
        )
    label, moment = track.anchor
    return StageView(
        label=track.label,
        original=track.original,
        deadline=track.deadline,
        extended=track.extended,
        brought_forward=track.brought_forward,
        last_move=track.last_move,
        corrected=track.corrected,
        aoe=track.aoe,
        origin=track.origin,
        entries=tuple(track.entries),
        warn_key=(label, moment or track.deadline),
    )


class Call(Value):
    """A funding call and its deadline history (``extra``: keys this version does not know)."""

    # No __slots__: the cached replay lives in the instance's __dict__.
    FIELDS = (
        "id", "title", "timezone", "stages", "extensions", "programme", "url", "tags", "note",
        "opens", "extra",
    )  # fmt: skip
    COMPARED = FIELDS[:-1]
    id: str
    title: str
    timezone: str
    stages: tuple[Stage, ...]
    extensions: tuple[Extension, ...]
    programme: str
    url: str
    tags: tuple[str, ...]
    note: str
    opens: datetime | None
    extra: dict

    def __init__(
        self,
        id: str,
        title: str,
        timezone: str,
        stages: tuple[Stage, ...],
        extensions: tuple[Extension, ...] = (),
        programme: str = "",
        url: str = "",
        tags: tuple[str, ...] = (),
        note: str = "",
        opens: datetime | None = None,
        extra: dict | None = None,
    ) -> None:
        self._set(
            id=id,
            title=title,
            timezone=timezone,
            stages=stages,
            extensions=extensions,
            programme=programme,
            url=url,
            tags=tags,
            note=note,
            opens=opens,
            extra={} if extra is None else extra,
        )

    # --- deadlines -------------------------------------------------------------------------

    @cached_property
    def _replayed(self) -> tuple[list[Track], list[str]]:
        return replay(
            [(s.label, s.original, s.aoe) for s in self.stages], self.extensions, self.timezone
        )

    def stage_views(self) -> list[StageView]:
        """Every stage with its effective deadline after its history, in stage order.

        Raise ValueError for a stage that no deadline is stated for (a hand-edited file).
        """
        if not self.extensions:  # most calls: no replay needed
            return [_plain_view(s) for s in self.stages]
        return [_view(track) for track in self._replayed[0]]

    def history_problems(self) -> list[str]:
        """Inconsistencies of the history (an entry that does not chain), without the id."""
        return list(self._replayed[1]) if self.extensions else []

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
        """True when any stage's deadline was ever extended (moved later by an announcement)."""
        return any(ext.kind is EXTENSION for ext in self.extensions)

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
        aoe: bool = False,
    ) -> Call:
        """Return a copy with an extension of ``stage`` (default: the next open one) to ``to``.

        With ``allow_earlier`` an earlier ``to`` is recorded as brought forward.
        """
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
        later = to.timestamp() > view.deadline.timestamp()
        ext = Extension(
            stage=view.label,
            from_=view.deadline,
            to=to.astimezone(view.deadline.tzinfo),
            recorded=recorded.astimezone(UTC),
            reason=reason,
            source=source,
            kind=Kind.EXTENSION if later else Kind.BROUGHT_FORWARD,
            aoe=aoe,
        )
        return self.replace(extensions=(*self.extensions, ext))

    def correct_deadline(
        self,
        to: datetime,
        *,
        recorded: datetime,
        stage: str | None = None,
        aoe: bool = False,
    ) -> Call:
        """Return a copy whose ``stage``'s original deadline is ``to``, recorded as a correction.

        Extensions recorded before or after still chain (see ``history.replay``). A call with
        several stages must name one.
        """
        if stage is None:
            if len(self.stages) > 1:
                names = ", ".join(repr(s.label) for s in self.stages)
                raise UsageError(
                    f"call {self.id} has several stages ({names}); name one with --stage"
                )
            target = self.stages[0]
        else:
            target = self.find_stage(stage)
        old = target.original
        zone = get_zone(self.timezone)
        if old is not None and old.timestamp() == to.timestamp():
            raise ConflictError(
                f"call {self.id}: the deadline is already {to.isoformat()}; nothing to correct"
            )
        new = to.astimezone(zone)
        stages = tuple(s.replace(original=new, aoe=aoe) if s is target else s for s in self.stages)
        ext = Extension(
            stage=target.label,
            from_=old,
            to=new,
            recorded=recorded.astimezone(UTC),
            kind=Kind.CORRECTION,
            corrects="deadline",
            aoe=aoe,
        )
        return self.replace(stages=stages, extensions=(*self.extensions, ext))

    def correct_timezone(self, zone: str, *, recorded: datetime) -> Call:
        """Return a copy in ``zone`` that keeps every wall time (17:00 stays 17:00).

        ``zone`` must be canonical (``zones.canonical_zone_name``). Raise UsageError for a wall
        time that does not exist in ``zone``.
        """
        if zone == self.timezone:
            raise ConflictError(
                f"call {self.id}: the time zone is already {zone}; nothing to correct"
            )
        tz = get_zone(zone)

        def moved(dt: datetime | None) -> datetime | None:
            if dt is None:
                return None
            wall = dt.replace(tzinfo=None)
            status, first, second = readings(wall, tz)
            if status == "gap":
                raise UsageError(
                    f"call {self.id}: {wall_text(wall)} does not exist in {zone} "
                    "(clocks go forward); correct that deadline first"
                )
            return second if status == "fold" and dt.fold else first

        ext = Extension(
            stage="",
            from_=None,
            to=None,
            recorded=recorded.astimezone(UTC),
            kind=Kind.CORRECTION,
            corrects="timezone",
            old=self.timezone,
            new=zone,
        )
        return self.replace(
            timezone=zone,
            opens=moved(self.opens),
            stages=tuple(s.replace(original=moved(s.original)) for s in self.stages),
            extensions=(
                *(e.replace(from_=moved(e.from_), to=moved(e.to)) for e in self.extensions),
                ext,
            ),
        )

    def correct_label(self, old: str, new: str, *, recorded: datetime) -> Call:
        """Return a copy whose stage ``old`` is labelled ``new``, recorded as a correction."""
        target = self.find_stage(old)
        if not new.strip():
            raise UsageError("a stage label must not be empty")
        if new == old:
            raise ConflictError(f"call {self.id}: stage {old!r} is already called that")
        if any(s.label == new for s in self.stages):
            raise UsageError(f"call {self.id} already has a stage {new!r}")
        ext = Extension(
            stage=old,
            from_=None,
            to=None,
            recorded=recorded.astimezone(UTC),
            kind=Kind.CORRECTION,
            corrects="label",
            old=old,
            new=new,
        )
        stages = tuple(s.replace(label=new) if s is target else s for s in self.stages)
        return self.replace(stages=stages, extensions=(*self.extensions, ext))


def make_stages(
    deadlines: Sequence[tuple[str, datetime]], aoe: Sequence[bool] = ()
) -> tuple[Stage, ...]:
    """Stages from (label, deadline) pairs, in time order (``aoe``: which were given in AoE).

    Several unlabelled deadlines are named 'Stage 1', 'Stage 2'... in time order; a single one
    keeps the empty label. Labels must be unique.
    """
    if not deadlines:
        raise UsageError("a call needs at least one --deadline")
    flags = list(aoe) + [False] * (len(deadlines) - len(aoe))
    ordered = sorted(
        ((label, when, flag) for (label, when), flag in zip(deadlines, flags, strict=True)),
        key=lambda triple: triple[1].timestamp(),
    )
    unlabelled = [triple for triple in ordered if not triple[0]]
    if len(ordered) > 1 and unlabelled:
        taken = {label for label, _, _ in ordered}
        names = iter(f"Stage {n}" for n in range(1, 1000) if f"Stage {n}" not in taken)
        ordered = [(label or next(names), when, flag) for label, when, flag in ordered]
    instants = [when.timestamp() for _, when, _ in ordered]
    if len(set(instants)) != len(instants):
        raise UsageError("two deadlines of one call are the same moment")
    labels = [label for label, _, _ in ordered]
    if len(set(labels)) != len(labels):
        raise UsageError(f"deadline labels must be unique: {labels}")
    return tuple(Stage(label=label, original=when, aoe=flag) for label, when, flag in ordered)


def consistency_problems(call: Call) -> list[str]:
    """Every internal inconsistency of one call, as one-line messages (for ``check``)."""
    problems: list[str] = []
    labels = [s.label for s in call.stages]
    if not call.stages:
        problems.append(f"{call.id}: has no deadline")
    if len(set(labels)) != len(labels):
        problems.append(f"{call.id}: stage labels are not unique: {labels}")
    if call.stages and call.opens is not None:
        first = min(v.first.timestamp() for v in call.stage_views())
        if call.opens.timestamp() >= first:
            problems.append(
                f"{call.id}: opens {call.opens.isoformat()} is not before its first deadline"
            )
    problems.extend(f"{call.id}: {problem}" for problem in call.history_problems())
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
    instants = [s.original.timestamp() for s in call.stages if s.original is not None]
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
            for key, text in (
                ("stage", ext.stage),
                ("reason", ext.reason),
                ("source", ext.source),
                ("old", ext.old),
                ("new", ext.new),
            )
        ]
    return texts
