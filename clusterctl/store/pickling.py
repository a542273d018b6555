"""What the derived files (the summary cache, the remembered JSON and findings) are pickled with.

Imported only by the functions that read or write those files: ``import pickle`` costs ~1.5 ms
(fresh process, 21 runs, median), which a ``show``, an ``--version`` or a refusal never needs.
"""

from __future__ import annotations

import io
import pickle

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO


class PlainUnpickler(pickle.Unpickler):
    """Unpickles plain built-in values only (dict, list, tuple, str, bytes, int, float, bool,
    None), which is all the cache holds: pickle rebuilds those without looking up any global,
    and every global (a class, a function such as os.system) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the summary cache holds no {module}.{name}")


def dumps_without_memo(rows: Any) -> bytes:
    """Pickle plain rows without the pickler's memo, which at 100,000 rows costs over 100 MB
    of memory (the rows hold no shared or self-referencing objects that would need it)."""
    buffer = io.BytesIO()
    dump_without_memo(rows, buffer)
    return buffer.getvalue()


def dump_without_memo(rows: Any, out: BinaryIO) -> None:
    """``dumps_without_memo`` written to ``out`` as it goes (the pickle is never all in memory:
    the JSON templates of 100,000 calls are 97 MB of it)."""
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(rows)


def dump(data: object, out: BinaryIO) -> None:
    """Pickle ``data`` straight into ``out``, in the newest protocol."""
    pickle.dump(data, out, pickle.HIGHEST_PROTOCOL)
