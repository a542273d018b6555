"""What every value derived from a call file depends on besides the file's bytes.

A call file keeps each moment as a wall time and its zone; the instant it means comes from the
time zone data, and what is derived from it from this program's code. So the summary cache and
every derived file (``derived.py``) hold only while both are what they were: after a zone-data
update or an upgrade, a cached deadline could be hours off. ``zone_tag`` names both.
"""

from __future__ import annotations

import contextlib
import os
import zoneinfo

from clusterctl import __version__


def zone_tag() -> str:
    """This program's version and the identity of the time zone data zoneinfo reads."""
    zones = ""
    for base in zoneinfo.TZPATH:  # the system's zone data, which zoneinfo reads first
        with contextlib.suppress(OSError):
            # The directory changes when a package update replaces its files; tzdata.zi, where
            # there is one, when its contents do.
            top = os.stat(base)
            zones = f"{base}-{top.st_mtime_ns}-{top.st_ctime_ns}"
            with contextlib.suppress(OSError):
                info = os.stat(os.path.join(base, "tzdata.zi"))
                zones += f"-{info.st_mtime_ns}-{info.st_size}"
            break
    if not zones:
        with contextlib.suppress(ImportError):
            # Only without system zone data: the package zoneinfo then falls back on.
            import tzdata  # type: ignore[import-untyped]

            zones = str(tzdata.IANA_VERSION)
    return f"{__version__} {zones}"
