"""prettyjson.dumps writes exactly what json.dumps(indent=2, allow_nan=False) writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterctl import prettyjson

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(VALUES, st.booleans())
def test_the_text_is_json_dumps_text(value: object, ensure_ascii: bool) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=ensure_ascii, allow_nan=False)
    assert prettyjson.dumps(value, ensure_ascii=ensure_ascii) == expected


def test_tuples_and_subclasses_are_written_as_json_writes_them() -> None:
    from enum import IntEnum, StrEnum

    class Colour(StrEnum):
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    value = {"t": (1, "é", [None]), "s": Colour.RED, "n": Level.HIGH, "x": [1.5, {}, []]}
    for ensure_ascii in (True, False):
        assert prettyjson.dumps(value, ensure_ascii=ensure_ascii) == json.dumps(
            value, indent=2, ensure_ascii=ensure_ascii, allow_nan=False
        )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_number_is_refused_as_json_refuses_it(bad: float) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        prettyjson.dumps({"deep": [1, {"x": bad}]})


def test_keys_that_are_not_strings_and_unknown_types_behave_as_in_json() -> None:
    assert prettyjson.dumps({1: "a", None: 2}) == json.dumps({1: "a", None: 2}, indent=2)
    with pytest.raises(TypeError, match="not JSON serializable"):
        prettyjson.dumps({"when": object()})
