"""Nothing a call file or the marker can hold makes a traceback: calls at the edge of time, and
fuzzed files (hypothesis, deterministic examples) read by every command that reads them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from clusterctl.errors import ClusterctlError
from tests.store.helpers import AT, call_text, invoke, one_error

EXIT_CODES = {0} | {cls.exit_code for cls in (ClusterctlError, *ClusterctlError.__subclasses__())}


@pytest.mark.parametrize(
    "deadline",
    [
        "9999-12-31T12:00:00+01:00",
        "9999-12-31T23:59:00+01:00",
        "9999-12-31T23:59:59.999999",
        "0001-01-01T00:00:00",
        "0001-01-02T12:00:00",
    ],
)
def test_a_deadline_at_the_edge_of_time_never_causes_a_traceback(
    store: Path, deadline: str
) -> None:
    path = store / "calls" / "EDGE-1.toml"
    path.write_text(call_text("EDGE-1", deadline=deadline))
    for args, allowed in [
        (("calls", "--all"), {0, 9}),
        (("show", "EDGE-1"), {0, 5}),
        (("warn", "--dry-run"), {0, 9}),
        (("export", "ics", "--all"), {0, 9}),
        (("extend", "EDGE-1", "--by", "1d"), {0, 2, 4, 5}),
        (("extend", "EDGE-1", "--by", "1d", "--allow-earlier", "--to", "9999-12-31"), {0, 2, 4, 5}),
    ]:
        result = invoke(store, *args, "--at", AT)
        assert result.exit_code in allowed, (args, result.exit_code, result.stderr)
        if result.exit_code == 9:  # read the other calls, named this file (test_degraded.py)
            assert result.stderr.startswith(f"warning: {path}: "), result.stderr
        elif result.exit_code:
            one_error(result, result.exit_code)


# --- fuzz: nothing a file can hold makes a traceback ----------------------------------------------


OFFSETS = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))


EDGES = [datetime.min, datetime.max, datetime(1, 1, 1, 12), datetime(9999, 12, 31, 12)]


ANY_TIME = st.one_of(
    st.sampled_from(EDGES),
    st.sampled_from(EDGES).flatmap(lambda d: OFFSETS.map(lambda tz: d.replace(tzinfo=tz))),
    st.datetimes(),
    st.datetimes(timezones=OFFSETS),
    st.dates(),
    st.times(),
)


SCALARS = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    st.booleans(),
    ANY_TIME,
    st.sampled_from(["Europe/Brussels", "UTC", "AoE", "Mars/Olympus", "", "../etc/passwd"]),
)


VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


KEYS = st.sampled_from(
    ["id", "title", "timezone", "opens", "note", "tags", "programme", "url", "extra"]
)


TABLE_KEYS = st.sampled_from(["deadline", "label", "from", "to", "recorded", "stage", "reason"])


@st.composite
def call_records(draw: st.DrawFn) -> dict:
    """Mostly valid call records with some values replaced by anything TOML can hold."""
    deadline = draw(st.one_of(ANY_TIME, st.just(datetime(2031, 3, 8, 17, 0))))
    record: dict[str, Any] = {
        "id": "FUZZ-1",
        "title": "fuzz",
        "timezone": "Europe/Brussels",
        "deadlines": [{"deadline": deadline}],
    }
    if draw(st.booleans()):
        record["extensions"] = [
            {
                "from": deadline,
                "to": draw(ANY_TIME),
                "recorded": draw(ANY_TIME),
                **draw(st.dictionaries(TABLE_KEYS, VALUES, max_size=2)),
            }
        ]
    for key, value in draw(st.dictionaries(KEYS, VALUES, max_size=3)).items():
        record[key] = value
    for key, value in draw(st.dictionaries(TABLE_KEYS, VALUES, max_size=2)).items():
        record["deadlines"][0][key] = value
    if draw(st.booleans()):
        record["deadlines"] = draw(VALUES)
    return record


def toml_bytes(record: dict) -> bytes:
    try:
        return tomli_w.dumps(record).encode()
    except (TypeError, ValueError):
        return b'id = "FUZZ-1"\n'


TOMLISH_LINES = st.sampled_from(
    [
        'id = "FUZZ-1"',
        'title = "t"',
        'timezone = "Europe/Brussels"',
        "[[deadlines]]",
        "[[extensions]]",
        "deadline = 2031-03-08T17:00:00+01:00",
        "deadline = 0001-01-01T00:00:00",
        "deadline = 9999-12-31T23:59:59-12:00",
        "from = 2031-03-08T17:00:00+01:00",
        "to = 2031-03-09T17:00:00+01:00",
        "recorded = 2030-01-01T00:00:00Z",
        "schema_version = 1",
        "schema_version = 2",
        "schema_version = -1",
        "<<<<<<< HEAD",
        "=======",
        ">>>>>>> other",
        "a = " + "[" * 500 + "]" * 500,
        'x = """',
        "[deadlines]",
        "tags = [1, 2]",
        "\ufeff",
        "",
    ]
)


SKELETON = call_text("FUZZ-1").splitlines()


@st.composite
def tomlish(draw: st.DrawFn) -> bytes:
    """A valid call file with a few lines inserted, replaced or deleted."""
    lines = list(SKELETON)
    for _ in range(draw(st.integers(0, 4))):
        line = draw(st.one_of(TOMLISH_LINES, st.text(max_size=20)))
        at = draw(st.integers(0, len(lines)))
        operation = draw(st.sampled_from(["insert", "replace", "delete"]))
        if operation == "insert" or at == len(lines):
            lines.insert(at, line)
        elif operation == "replace":
            lines[at] = line
        else:
            del lines[at]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


TOMLISH = tomlish()


FILE_CONTENT = st.one_of(st.binary(max_size=600), TOMLISH, call_records().map(toml_bytes))


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic examples (the same every run) and no shrinking, which can take minutes."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def assert_clean(result: Result, allowed: set[int]) -> None:
    assert result.exit_code in allowed & EXIT_CODES, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code:
        assert result.stderr.startswith(("error: ", "problem: ", "warning: ")), result.stderr


def test_fuzzed_call_files_never_cause_a_traceback(store: Path) -> None:
    path = store / "calls" / "FUZZ-1.toml"

    @fuzz_settings(max_examples=120)
    @given(content=FILE_CONTENT)
    def fuzz(content: bytes) -> None:
        path.write_bytes(content)
        assert_clean(invoke(store, "calls", "--all", "--at", AT), {0, 9})
        assert_clean(invoke(store, "show", "FUZZ-1", "--format", "json", "--at", AT), {0, 5})
        assert_clean(invoke(store, "check"), {0, 1})
        assert_clean(invoke(store, "extend", "FUZZ-1", "--by", "1d", "--at", AT), {0, 2, 4, 5})

    fuzz()


def test_a_fuzzed_marker_never_causes_a_traceback(store: Path) -> None:
    marker = store / "clusterctl.toml"

    @fuzz_settings(max_examples=80)
    @given(content=st.one_of(st.binary(max_size=300), TOMLISH))
    def fuzz(content: bytes) -> None:
        marker.write_bytes(content)
        assert_clean(invoke(store, "calls", "--at", AT), {0, 5})
        assert_clean(invoke(store, "check"), {0, 1})
        assert_clean(invoke(store, "edit", "CALL-1", "--note", "n"), {0, 5})
        if invoke(store, "calls").exit_code == 5:
            assert marker.read_bytes() == content  # refused: left exactly as it was

    fuzz()
