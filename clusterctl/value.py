"""``Value``: the base of the model's immutable records (a stage, a history entry, a call).

Plain classes rather than frozen dataclasses: ``import dataclasses`` costs ~5 ms (it imports
``inspect``) and building each frozen dataclass ~1.7 ms more, which came to ~15 ms of an ~80 ms
``show`` (Python 3.11, ``-X importtime``); these records are on every command's path.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, Self


class Value:
    """Fields named by ``FIELDS`` (constructor order), set once by ``__init__`` through ``_set``.

    Equality and hashing look at ``COMPARED`` (default: every field); ``replace`` copies with
    some fields changed. Assigning to a field afterwards raises AttributeError.
    """

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()
    COMPARED: ClassVar[tuple[str, ...] | None] = None

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: use replace() for {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.COMPARED or self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[type[Self], tuple[Any, ...]]:
        # Pickled as its fields, rebuilt by __init__ (which __setattr__ would refuse to skip):
        # calls made by a forked worker come back so (store/forkmap.py, fork_turns).
        return type(self), tuple(getattr(self, name) for name in self.FIELDS)

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied (an unknown field is a TypeError, as for __init__)."""
        values = {name: getattr(self, name) for name in self.FIELDS}
        values.update(changes)
        return type(self)(**values)
