"""Tests for clusterctl.model and clusterctl.history: the kinds of deadline change, the replay
that reads them, corrections, and the key a stage's warnings keep."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from clusterctl.errors import ConflictError, UsageError
from clusterctl.history import Extension, Kind, infer_kind
from clusterctl.model import Call, Stage, consistency_problems

BRU = ZoneInfo("Europe/Brussels")
LON = ZoneInfo("Europe/London")
REC = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def at(day: int, month: int = 3, hour: int = 17, zone: ZoneInfo = BRU) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=zone)


def call(*stages: Stage, extensions: tuple[Extension, ...] = (), zone: str = "Europe/Brussels"):
    return Call(
        id="C-1",
        title="T",
        timezone=zone,
        stages=stages or (Stage("", at(8)),),
        extensions=extensions,
    )


def moved(stage: str, from_: datetime | None, to: datetime, **kw: object) -> Extension:
    return Extension(stage=stage, from_=from_, to=to, recorded=REC, **kw)  # type: ignore[arg-type]


# --- kinds ------------------------------------------------------------------------------------


def test_an_entry_without_kind_is_an_extension_or_brought_forward_by_its_direction() -> None:
    assert infer_kind(at(8), at(15)) is Kind.EXTENSION
    assert infer_kind(at(15), at(8)) is Kind.BROUGHT_FORWARD
    assert infer_kind(None, at(8)) is Kind.EXTENSION


def test_extend_records_an_extension_and_allow_earlier_a_bringing_forward() -> None:
    later = call().extend(at(15), recorded=REC)
    assert later.extensions[-1].kind is Kind.EXTENSION
    view = later.stage_views()[0]
    assert (view.extended, view.brought_forward, view.last_move) == (True, False, "extension")
    earlier = later.extend(at(10), recorded=REC, allow_earlier=True)
    assert earlier.extensions[-1].kind is Kind.BROUGHT_FORWARD
    view = earlier.stage_views()[0]
    assert (view.deadline, view.original, view.last_move) == (at(10), at(8), "brought_forward")
    assert (view.extended, view.brought_forward) == (True, True)
    only_forward = call().extend(at(5), recorded=REC, allow_earlier=True)
    assert only_forward.is_extended() is False  # brought forward is not extended
    assert only_forward.stage_views()[0].extended is False
    assert consistency_problems(earlier) == []


def test_an_extension_from_an_unstated_deadline() -> None:
    c = call(Stage("", None), extensions=(moved("", None, at(31)),))
    view = c.stage_views()[0]
    assert (view.original, view.deadline, view.extended) == (None, at(31), True)
    assert c.is_extended()
    assert consistency_problems(c) == []
    # ...and a later extension chains from the stated one.
    again = c.extend(at(7, 4), recorded=REC)
    assert again.extensions[-1].from_ == at(31)
    assert consistency_problems(again) == []


def test_a_stage_with_no_deadline_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="has no deadline"):
        call(Stage("", None)).stage_views()


@pytest.mark.parametrize(
    ("stages", "entries", "problem"),
    [
        (
            (Stage("", at(8)),),
            (moved("", at(9), at(15)),),
            "C-1: extension 1 says it moved the deadline from 2027-03-09T17:00:00+01:00, but "
            "the deadline then was 2027-03-08T17:00:00+01:00",
        ),
        (
            (Stage("", at(8)),),
            (moved("", None, at(15)),),
            "C-1: extension 1 does not state the deadline it moved, but the deadline then was "
            "2027-03-08T17:00:00+01:00",
        ),
        (
            (Stage("", at(8)),),
            (moved("", at(8), at(5), kind=Kind.EXTENSION),),
            "C-1: extension 1 is recorded as an extension but does not move it later",
        ),
        (
            (Stage("", at(8)),),
            (moved("", at(8), at(15), kind=Kind.BROUGHT_FORWARD),),
            "C-1: extension 1 is recorded as brought forward but moves it later",
        ),
        (
            (Stage("", at(8)),),
            (moved("X", at(8), at(15)),),
            "C-1: extension 1 names unknown stage 'X'",
        ),
        (  # a hand edit of the deadline after a correction: the chain no longer holds
            (Stage("", at(20)),),
            (
                moved("", at(8), at(9), kind=Kind.CORRECTION, corrects="deadline"),
                moved("", at(9), at(15)),
            ),
            "C-1: correction 1 says it set the deadline to 2027-03-09T17:00:00+01:00, but the "
            "stage's deadline after it is 2027-03-20T17:00:00+01:00",
        ),
    ],
)
def test_inconsistent_histories_are_named(
    stages: tuple[Stage, ...], entries: tuple[Extension, ...], problem: str
) -> None:
    assert problem in consistency_problems(call(*stages, extensions=entries))


# --- corrections ------------------------------------------------------------------------------


def test_a_correction_rewrites_the_original_and_later_extensions_chain_from_it() -> None:
    corrected = call().correct_deadline(at(9), recorded=REC)
    entry = corrected.extensions[-1]
    assert (entry.kind, entry.corrects, entry.from_, entry.to) == (
        Kind.CORRECTION,
        "deadline",
        at(8),
        at(9),
    )
    assert corrected.stages[0].original == at(9)
    view = corrected.stage_views()[0]
    assert (view.deadline, view.corrected, view.moved) == (at(9), True, False)
    assert not corrected.is_extended()
    extended = corrected.extend(at(20), recorded=REC)
    assert extended.extensions[-1].from_ == at(9)
    assert consistency_problems(extended) == []


def test_a_correction_after_an_extension_keeps_the_extended_deadline() -> None:
    extended = call().extend(at(20), recorded=REC)
    corrected = extended.correct_deadline(at(9), recorded=REC)
    view = corrected.stage_views()[0]
    assert (view.original, view.deadline, view.extended) == (at(9), at(20), True)
    # The extension recorded from 8 March still chains: it was the deadline then.
    assert consistency_problems(corrected) == []


def test_correcting_to_the_same_moment_or_without_a_stage_is_refused() -> None:
    with pytest.raises(ConflictError, match="nothing to correct"):
        call().correct_deadline(at(8), recorded=REC)
    two = call(Stage("Stage 1", at(8)), Stage("Stage 2", at(20)))
    with pytest.raises(UsageError, match="name one with --stage"):
        two.correct_deadline(at(9), recorded=REC)
    assert two.correct_deadline(at(21), stage="Stage 2", recorded=REC).stages[1].original == at(21)


def test_a_zone_correction_keeps_every_wall_time() -> None:
    c = call(Stage("", at(8)), extensions=(moved("", at(8), at(15)),))
    london = c.correct_timezone("Europe/London", recorded=REC)
    assert london.timezone == "Europe/London"
    assert london.stages[0].original == at(8, zone=LON)
    assert london.extensions[0].to == at(15, zone=LON)
    entry = london.extensions[-1]
    assert (entry.corrects, entry.old, entry.new) == (
        "timezone",
        "Europe/Brussels",
        "Europe/London",
    )
    assert consistency_problems(london) == []
    gap = call(Stage("", datetime(2027, 3, 28, 2, 30, tzinfo=LON)), zone="Europe/London")
    with pytest.raises(UsageError, match="does not exist in Europe/Brussels"):
        gap.correct_timezone("Europe/Brussels", recorded=REC)  # 02:30 is fine in London


def test_a_label_correction_keeps_the_history_of_the_stage() -> None:
    c = call(Stage("Stage 1", at(8)), Stage("Stage 2", at(20)))
    c = c.extend(at(10), stage="Stage 1", recorded=REC)
    renamed = c.correct_label("Stage 1", "Pre-proposal", recorded=REC)
    assert [s.label for s in renamed.stages] == ["Pre-proposal", "Stage 2"]
    view = renamed.stage_views()[0]
    assert (view.label, view.origin, view.deadline, view.entries) == (
        "Pre-proposal",
        "Stage 1",
        at(10),
        (0, 1),
    )
    assert consistency_problems(renamed) == []
    # Later changes name the stage by its new label, and chain.
    later = renamed.extend(at(12), stage="Pre-proposal", recorded=REC)
    assert consistency_problems(later) == []
    for old, new, error in [
        ("Stage 9", "X", UsageError),
        ("Stage 1", "Stage 2", UsageError),
        ("Stage 1", "", UsageError),
        ("Stage 1", "Stage 1", ConflictError),
    ]:
        with pytest.raises(error):
            c.correct_label(old, new, recorded=REC)


# --- the key of a stage's warnings ------------------------------------------------------------


def key(c: Call) -> tuple[str, float]:
    view = c.stage_views()[0]
    assert view.warn_key is not None
    return view.warn_key[0], view.warn_key[1].timestamp()


def test_extensions_re_arm_warnings_and_corrections_only_when_later() -> None:
    c = call(Stage("Stage 1", at(8)))
    assert key(c) == ("Stage 1", at(8).timestamp())
    assert key(c.extend(at(15), recorded=REC)) == ("Stage 1", at(15).timestamp())
    forward = c.extend(at(5), recorded=REC, allow_earlier=True)
    assert key(forward) == ("Stage 1", at(5).timestamp())  # announced: re-armed
    assert key(c.correct_deadline(at(7), recorded=REC)) == key(c)  # earlier typo: kept
    assert key(c.correct_deadline(at(9), recorded=REC)) == ("Stage 1", at(9).timestamp())
    assert key(c.correct_label("Stage 1", "Full", recorded=REC)) == key(c)
    # London is an hour behind Brussels: 17:00 there is later, so a correction re-arms...
    london = c.correct_timezone("Europe/London", recorded=REC)
    assert key(london) == ("Stage 1", at(8, zone=LON).timestamp())
    # ...and back to Brussels, earlier, it does not.
    assert key(london.correct_timezone("Europe/Brussels", recorded=REC)) == key(london)


def test_old_entries_keep_their_file_shape() -> None:
    entry = moved("", at(8), at(15)).replace(kind_stated=False)
    assert entry == moved("", at(8), at(15))  # whether the kind was written does not matter
