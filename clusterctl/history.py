"""A call's deadline history: the kinds of entry, and the replay that checks and reads them.

Pure: no I/O. Every entry is a ``[[extensions]]`` table of the call's file (the name predates
the other kinds). Entries are appended, never rewritten; what they mean for each stage (the
effective deadline, whether it was extended, which warnings stay delivered) comes from
replaying them in order, which :func:`replay` does once per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from clusterctl.value import Value
from clusterctl.zones import get_zone


class Kind(StrEnum):
    """What one history entry records."""

    #: The deadline moved later, announced by the funder.
    EXTENSION = "extension"
    #: The deadline moved earlier, announced by the funder (``extend --allow-earlier``).
    BROUGHT_FORWARD = "brought_forward"
    #: The user had typed something wrong (``edit --deadline``, ``--tz``, ``--stage-label``).
    CORRECTION = "correction"


# The members as plain module names: ``Kind.CORRECTION`` costs 0.2 us on Python 3.11, and the
# replay reads them for every entry of every call a listing reads.
EXTENSION, BROUGHT_FORWARD, CORRECTION = Kind.EXTENSION, Kind.BROUGHT_FORWARD, Kind.CORRECTION

#: What a correction corrects: a stage's original deadline, the call's zone, a stage's label.
CORRECTS = ("deadline", "timezone", "label")
#: The kinds that move a stage's effective deadline.
MOVES = (EXTENSION, BROUGHT_FORWARD)


class Extension(Value):
    """One entry of a call's deadline history.

    An extension or a bringing forward moves ``stage``'s deadline from ``from_`` (None: the
    notice did not state it) to ``to``. A correction fixes what the user had typed: with
    ``corrects`` 'deadline' it sets the stage's original deadline from ``from_`` to ``to``;
    with 'timezone' or 'label' it changes the call's zone or the label of ``stage`` from
    ``old`` to ``new`` (``from_`` and ``to`` are None). ``aoe``: ``to`` was entered in AoE.
    ``kind_stated`` is False for an entry of an older file without ``kind`` (inferred from its
    direction, and left unwritten so that the file does not change under the user).
    """

    __slots__ = (
        "aoe", "corrects", "extra", "from_", "kind", "kind_stated", "new", "old", "reason",
        "recorded", "source", "stage", "to",
    )  # fmt: skip
    FIELDS = (
        "stage", "from_", "to", "recorded", "reason", "source", "kind", "corrects", "old", "new",
        "aoe", "kind_stated", "extra",
    )  # fmt: skip
    COMPARED = FIELDS[:-2]
    stage: str
    from_: datetime | None
    to: datetime | None
    recorded: datetime
    reason: str
    source: str
    kind: Kind
    corrects: str
    old: str
    new: str
    aoe: bool
    kind_stated: bool
    extra: dict

    def __init__(
        self,
        stage: str,
        from_: datetime | None,
        to: datetime | None,
        recorded: datetime,
        reason: str = "",
        source: str = "",
        kind: Kind = Kind.EXTENSION,
        corrects: str = "",
        old: str = "",
        new: str = "",
        aoe: bool = False,
        kind_stated: bool = True,
        extra: dict | None = None,
    ) -> None:
        self._set(
            stage=stage,
            from_=from_,
            to=to,
            recorded=recorded,
            reason=reason,
            source=source,
            kind=kind,
            corrects=corrects,
            old=old,
            new=new,
            aoe=aoe,
            kind_stated=kind_stated,
            extra={} if extra is None else extra,
        )


def infer_kind(from_: datetime | None, to: datetime | None) -> Kind:
    """The kind of an entry written before entries had one: by the direction it moved."""
    if from_ is not None and to is not None and to.timestamp() < from_.timestamp():
        return BROUGHT_FORWARD
    return EXTENSION


def entry_name(ext: Extension, n: int) -> str:
    """How messages name the ``n``-th entry: 'extension 2', 'correction 3'."""
    return f"{'correction' if ext.kind is CORRECTION else 'extension'} {n}"


def at_zone(dt: datetime, zone: str) -> datetime:
    """The wall time of ``dt`` read in ``zone`` (the same moment only if the zone is dt's)."""
    if getattr(dt.tzinfo, "key", None) == zone:
        return dt
    return dt.replace(tzinfo=get_zone(zone))


class Track:
    """One stage followed through the history (mutable while the replay runs).

    ``origin``: the label the stage had before any correction (stable calendar UIDs).
    ``entries``: indices (from 0) of the history entries about this stage. ``anchor``: the
    (label, moment) a warning about this stage is keyed by; it changes only when the stage is
    extended, brought forward or corrected to a later moment, which re-arms warnings.
    """

    __slots__ = (
        "anchor", "aoe", "brought_forward", "corrected", "deadline", "entries", "extended",
        "label", "last_move", "origin", "original",
    )  # fmt: skip

    def __init__(
        self,
        label: str,
        origin: str,
        original: datetime | None,
        deadline: datetime | None,
        aoe: bool = False,
        anchor: tuple[str, datetime | None] = ("", None),
    ) -> None:
        self.label = label
        self.origin = origin
        self.original = original
        self.deadline = deadline
        self.aoe = aoe
        self.extended = False
        self.brought_forward = False
        self.last_move = ""
        self.corrected = False
        self.entries: list[int] = []
        self.anchor = anchor


def _iso(dt: datetime | None) -> str:
    return "not stated" if dt is None else dt.isoformat()


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.timestamp() == b.timestamp()


def _before_corrections(
    stages: Sequence[tuple[str, datetime | None, bool]],
    entries: Sequence[Extension],
    zone: str,
    problems: list[str],
) -> tuple[dict[str, Track], str]:
    """The stages as they were before any correction, keyed by their label then; the zone."""
    # then[label at that point of the history] = current label
    then = {label: label for label, _, _ in stages}
    original = {label: (when, aoe) for label, when, aoe in stages}
    for n in range(len(entries), 0, -1):
        ext = entries[n - 1]
        if ext.kind is not CORRECTION:
            continue
        if ext.corrects == "timezone":
            zone = ext.old or zone
        elif ext.corrects == "label":
            if ext.new in then and ext.stage not in then:
                then[ext.stage] = then.pop(ext.new)
        elif ext.stage in then:
            now_label = then[ext.stage]
            if not _same(original[now_label][0], ext.to):
                problems.append(
                    f"correction {n} says it set the deadline to {_iso(ext.to)}, but the "
                    f"stage's deadline after it is {_iso(original[now_label][0])}"
                )
            original[now_label] = (ext.from_, False)
    tracks = {}
    for label_then, label in then.items():
        when, aoe = original[label]
        anchor = (label_then, None if when is None else at_zone(when, zone))
        tracks[label_then] = Track(label_then, label_then, when, when, aoe, anchor=anchor)
    return tracks, zone


def replay(
    stages: Sequence[tuple[str, datetime | None, bool]],
    entries: Sequence[Extension],
    zone: str,
) -> tuple[list[Track], list[str]]:
    """Follow every stage ``(label, original deadline, aoe)`` through ``entries``.

    Return one Track per stage, in the order of ``stages``, and the inconsistencies found, as
    messages naming the entry ('extension 2 says ...'). ``zone`` is the call's zone now; wall
    times of every entry are read in it (a zone correction keeps wall times).
    """
    problems: list[str] = []
    if any(ext.kind is CORRECTION for ext in entries):
        tracks, zone_then = _before_corrections(stages, entries, zone, problems)
    else:
        tracks, zone_then = {}, zone
        for label, when, aoe in stages:
            tracks[label] = Track(label, label, when, when, aoe, anchor=(label, when))
    for n, ext in enumerate(entries, start=1):
        if ext.kind is CORRECTION and ext.corrects == "timezone":
            for each in tracks.values():
                if each.deadline is None:
                    continue
                before = at_zone(each.deadline, zone_then)
                after = at_zone(each.deadline, ext.new)
                if after.timestamp() > before.timestamp():
                    each.anchor = (each.label, after)
            zone_then = ext.new
            continue
        found = tracks.get(ext.stage)
        if found is None:
            problems.append(f"{entry_name(ext, n)} names unknown stage {ext.stage!r}")
            continue
        track = found
        track.entries.append(n - 1)
        if ext.kind is not CORRECTION:
            _move(track, ext, n, zone_then, problems)
        elif ext.corrects == "label":
            if ext.new in tracks:
                problems.append(
                    f"correction {n} renames stage {ext.stage!r} to {ext.new!r}, "
                    "which another stage has"
                )
                continue
            tracks[ext.new] = tracks.pop(ext.stage)
            track.label = ext.new
        else:
            if not _same(ext.from_, track.original):
                problems.append(
                    f"correction {n} says the deadline was {_iso(ext.from_)}, but it was then "
                    f"{_iso(track.original)}"
                )
            track.corrected = True
            track.original = ext.to
            if not track.extended and not track.brought_forward:
                previous, track.deadline, track.aoe = track.deadline, ext.to, ext.aoe
                if ext.to is not None and (
                    previous is None or ext.to.timestamp() > previous.timestamp()
                ):
                    track.anchor = (track.label, at_zone(ext.to, zone_then))
    result = []
    for label, when, aoe in stages:
        track = tracks.get(label) or Track(label, label, when, when, aoe, anchor=(label, when))
        result.append(track)
    return result, problems


def _move(track: Track, ext: Extension, n: int, zone: str, problems: list[str]) -> None:
    """Replay an extension or a bringing forward of ``track``."""
    before = track.deadline
    if ext.from_ is None:
        if before is not None:
            problems.append(
                f"{entry_name(ext, n)} does not state the deadline it moved, but the deadline "
                f"then was {_iso(before)}"
            )
    elif before is None or ext.from_.timestamp() != before.timestamp():
        problems.append(
            f"{entry_name(ext, n)} says it moved the deadline from {_iso(ext.from_)}, but the "
            f"deadline then was {_iso(before)}"
        )
    extension = ext.kind is EXTENSION
    if ext.kind_stated and ext.from_ is not None and ext.to is not None:
        later = ext.to.timestamp() > ext.from_.timestamp()
        if extension and not later:
            problems.append(
                f"{entry_name(ext, n)} is recorded as an extension but does not move it later"
            )
        if not extension and later:
            problems.append(
                f"{entry_name(ext, n)} is recorded as brought forward but moves it later"
            )
    if extension:
        track.extended = True
    else:
        track.brought_forward = True
    track.last_move = ext.kind
    track.deadline, track.aoe = ext.to, ext.aoe
    if ext.to is not None:
        track.anchor = (track.label, at_zone(ext.to, zone))
