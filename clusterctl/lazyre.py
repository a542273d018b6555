"""Regular expressions compiled on first use.

Compiling a pattern costs 0.02-0.5 ms (a class of Unicode ranges the most); a module's patterns
compiled when it loads are paid by every run that imports it, whether it matches anything or
not. A pattern that most runs never use is a ``LazyPattern``: compiled when first used, then
as fast as a compiled one.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled when one of its methods is first looked up."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # Called only for a name the instance lacks: what the compiled pattern gives is kept
        # on the instance, so the next lookup of it is an attribute's, not this call.
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(*self._args)
        value = getattr(compiled, name)
        self.__dict__[name] = value
        return value
