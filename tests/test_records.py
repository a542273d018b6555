"""``clusterctl.records.NamedTuple`` behaves as ``typing.NamedTuple`` does for our tuples."""

from __future__ import annotations

import pickle
import subprocess
import sys
import typing

import pytest

from clusterctl.records import NamedTuple


class Point(NamedTuple):
    """A point on a line, with a label."""

    x: int
    y: int = 0
    label: str = "p"

    def moved(self, by: int) -> Point:
        """The same point ``by`` further along."""
        return self._replace(x=self.x + by)

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)


class TypedPoint(typing.NamedTuple):
    """The same as Point, through typing."""

    x: int
    y: int = 0
    label: str = "p"


def test_the_fields_defaults_and_tuple_behaviour_are_typings() -> None:
    p = Point(3)
    assert p == (3, 0, "p") == TypedPoint(3)
    assert Point._fields == TypedPoint._fields == ("x", "y", "label")
    assert Point._field_defaults == TypedPoint._field_defaults == {"y": 0, "label": "p"}
    assert Point(1, 2, label="q") == (1, 2, "q")
    x, y, label = Point(5, 6)
    assert (x, y, label) == (5, 6, "p")
    assert isinstance(p, tuple)
    assert repr(Point(1, 2)) == "Point(x=1, y=2, label='p')"
    assert p._asdict() == {"x": 3, "y": 0, "label": "p"}
    assert Point._make([7, 8, "r"]) == Point(7, 8, "r")
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        p.x = 4  # type: ignore[misc]


def test_the_class_body_keeps_its_methods_docstring_and_module() -> None:
    p = Point(-2, 3)
    assert p.moved(5) == Point(3, 3)
    assert p.norm == 5
    assert Point.__doc__ == "A point on a line, with a label."
    assert Point.__module__ == __name__
    assert Point.__qualname__ == "Point"
    assert Point.__annotations__ == {"x": "int", "y": "int", "label": "str"}


def test_instances_pickle_as_namedtuples_do() -> None:
    p = Point(1, 2, "z")
    assert pickle.loads(pickle.dumps(p)) == p
    assert type(pickle.loads(pickle.dumps(p))) is Point


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Bad(NamedTuple):
            a: int = 1
            b: int


@pytest.mark.parametrize("name", ["_replace", "_make", "__new__", "_fields"])
def test_overwriting_a_namedtuple_attribute_is_refused(name: str) -> None:
    with pytest.raises(AttributeError, match=name):
        type("Bad", (NamedTuple,), {"__module__": __name__, "__annotations__": {}, name: 1})


def test_importing_records_does_not_import_typing() -> None:
    code = "import sys, clusterctl.records; print('typing' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_another_base_is_refused_not_dropped() -> None:
    class Mixin:
        pass

    with pytest.raises(TypeError, match="only inherit from NamedTuple"):
        type("Bad", (NamedTuple, Mixin), {"__module__": __name__, "__annotations__": {"a": "int"}})
