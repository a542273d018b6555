"""value.Value, the base of the model's records: immutable, compared by their compared fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clusterctl.history import Extension, Kind
from clusterctl.model import Call, Stage

WHEN = datetime(2027, 3, 1, 16, tzinfo=UTC)


def test_fields_cannot_be_assigned_or_deleted() -> None:
    stage = Stage("A", WHEN)
    with pytest.raises(AttributeError, match="immutable"):
        stage.label = "B"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del stage.label


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    stage = Stage("A", WHEN, aoe=True)
    moved = stage.replace(label="B")
    assert (moved.label, moved.original, moved.aoe) == ("B", WHEN, True)
    assert stage.label == "A"
    with pytest.raises(TypeError):
        stage.replace(colour="red")


def test_extra_keys_and_inference_marks_do_not_take_part_in_equality() -> None:
    assert Stage("A", WHEN, extra={"x": 1}) == Stage("A", WHEN)
    assert hash(Stage("A", WHEN, extra={"x": 1})) == hash(Stage("A", WHEN))
    assert Stage("A", WHEN) != Stage("A", WHEN, aoe=True)
    entry = Extension("", WHEN, WHEN, WHEN, kind=Kind.EXTENSION)
    assert entry == entry.replace(kind_stated=False, extra={"y": 2})
    assert entry != entry.replace(reason="portal")


def test_records_of_different_classes_are_never_equal() -> None:
    assert Stage("A", WHEN) != ("A", WHEN, False)
    assert Stage("A", WHEN).__eq__(object()) is NotImplemented


def test_repr_names_every_field() -> None:
    assert repr(Stage("A", None)) == "Stage(label='A', original=None, aoe=False, extra={})"


def test_a_call_caches_its_replay_and_stays_comparable() -> None:
    call = Call(id="X", title="T", timezone="UTC", stages=(Stage("", WHEN),))
    extended = call.extend(datetime(2027, 4, 1, 16, tzinfo=UTC), recorded=WHEN)
    assert extended.stage_views()[0].deadline == datetime(2027, 4, 1, 16, tzinfo=UTC)
    assert extended.stage_views() == extended.stage_views()
    assert extended != call and extended == extended.replace()
    assert call.replace(extra={"k": 1}) == call


def test_a_pickled_call_comes_back_equal_with_every_field() -> None:
    import pickle
    from zoneinfo import ZoneInfo

    brussels = ZoneInfo("Europe/Brussels")
    call = Call(
        "P-1",
        "T",
        "Europe/Brussels",
        (Stage("A", WHEN.astimezone(brussels), aoe=True, extra={"x": 1}),),
        extensions=(
            Extension("A", WHEN, WHEN.replace(month=4), WHEN, reason="r", kind=Kind.EXTENSION),
        ),
        tags=("t",),
        extra={"k": [1, 2]},
    )
    back = pickle.loads(pickle.dumps(call, pickle.HIGHEST_PROTOCOL))
    assert back == call and back.extra == call.extra and back.stages[0].extra == {"x": 1}
    assert back.stages[0].original.tzinfo is brussels  # one zone object, as when decoded
    assert back.summary() == call.summary()
