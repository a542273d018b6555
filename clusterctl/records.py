"""``NamedTuple`` without importing ``typing`` when the program runs.

``import typing`` costs ~3 ms in a fresh process (Python 3.11, 21 runs, median), a tenth of what
``show`` spends before its own work, and the fast route needs nothing else from it: annotations
are strings (``from __future__ import annotations``) and other typing names are imported under
``if TYPE_CHECKING:``. mypy sees ``typing.NamedTuple``; at run time the same class statement
makes a ``collections.namedtuple`` with the class body's defaults, docstring and methods.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # What typing.NamedTuple also refuses or leaves to namedtuple().
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
        | {"_make", "_replace", "_asdict", "_source"}
    )
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(mcls, name, bases, namespace):
            if namespace.get("_is_root"):
                return super().__new__(mcls, name, bases, namespace)
            if bases != (NamedTuple,):  # as typing: a mixin would be dropped without a word
                raise TypeError(f"{name}: can only inherit from NamedTuple")
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = [namespace[f] for f in fields if f in namespace]
            if any(f in namespace for f in fields[: len(fields) - len(defaults)]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            made = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            made.__annotations__ = dict(namespace.get("__annotations__", {}))
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
                if key not in _SPECIAL and key not in fields and key != "_is_root":
                    setattr(made, key, value)
            return made

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Subclass it with annotated fields, as ``typing.NamedTuple``."""

        _is_root = True
