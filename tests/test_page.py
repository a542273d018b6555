"""The members' page as text: escaping, completeness, determinism and its security policy."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clusterctl.codec import call_from_record
from clusterctl.errors import UsageError
from clusterctl.model import Call, Extension, Stage
from clusterctl.page import render_page, safe_href

ROOT = Path(__file__).resolve().parent.parent
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2018, 3, 1, 0, 0, tzinfo=BRUSSELS)


def brussels(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def make_call(call_id: str = "C-1", **fields: object) -> Call:
    values: dict = {
        "id": call_id,
        "title": f"Call {call_id}",
        "timezone": "Europe/Brussels",
        "stages": (Stage("", brussels(2018, 3, 8, 17, 0)),),
    }
    values.update(fields)
    return Call(**values)


def shipped_calls() -> list[Call]:
    files = sorted((ROOT / "data" / "calls").glob("*.toml"))
    return [call_from_record(tomllib.loads(f.read_text(encoding="utf-8"))) for f in files]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of script and style elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def attr(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.tags if name in a]


# --- escaping -----------------------------------------------------------------------------------

HOSTILE_URLS = [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "https://",
    "http:///path-without-host",
    "https://exa mple.org/",
    "ftp://example.org/file",
    "https://[::1/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_safe_href_refuses_anything_but_web_addresses(url: str) -> None:
    assert safe_href(url) is None


@pytest.mark.parametrize(
    "url", ["https://ec.europa.eu/x?a=1&b=2#top", "HTTP://EXAMPLE.ORG", " https://a.example/ "]
)
def test_safe_href_keeps_web_addresses(url: str) -> None:
    assert safe_href(url) == url.strip()


def test_hostile_title_note_and_tags_stay_text() -> None:
    call = make_call(
        title="<script>alert(1)</script>",
        note='<b>bold</b><img src=x onerror="alert(2)">\n"quoted" & more',
        programme="<i>P</i>",
        tags=('<a href="javascript:x">t</a>', "x\"' onmouseover=alert(3)"),
    )
    html = render_page([call, make_call("C-2")], now=NOW)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    parsed = Tags(html)
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert not [t for t, _ in parsed.tags if t in ("img", "b", "i")]
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    # The tag's text survives whole, as a filter value and in the data the script reads.
    assert "x\"' onmouseover=alert(3)" in parsed.attr("value")


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_no_hostile_url_becomes_a_link(url: str) -> None:
    ext = Extension(
        stage="",
        from_=brussels(2018, 3, 8, 17, 0),
        to=brussels(2018, 3, 15, 17, 0),
        recorded=datetime(2018, 3, 1, tzinfo=UTC),
        source=url,
    )
    html = render_page([make_call(url=url, extensions=(ext,))], now=NOW, ics_url=None)
    hrefs = Tags(html).attr("href")
    assert hrefs == ["#C-1"]
    assert "Address (not a web link)" in html


def test_ics_url_must_be_a_web_address() -> None:
    html = render_page([make_call()], now=NOW, ics_url="https://example.org/calls.ics")
    assert '<a class="subscribe" href="https://example.org/calls.ics">' in html
    with pytest.raises(UsageError, match="--ics-url must be an http"):
        render_page([make_call()], now=NOW, ics_url="javascript:alert(1)")


def test_control_characters_are_dropped_and_title_is_text() -> None:
    html = render_page([make_call(title="A\x00B\x1b[31mC\x7f")], now=NOW, title="<Members>")
    assert "AB[31mC" in html
    assert "\x00" not in html and "\x1b" not in html and "\x7f" not in html
    assert "<title>&lt;Members&gt;</title>" in html and "<h1>&lt;Members&gt;</h1>" in html


# --- content ------------------------------------------------------------------------------------


def multi_stage_call() -> Call:
    first = Extension(
        stage="Stage 1",
        from_=brussels(2018, 3, 14, 17, 0),
        to=brussels(2018, 3, 21, 17, 0),
        recorded=datetime(2018, 2, 20, 10, 12, tzinfo=UTC),
        reason="Portal outage",
        source="https://ec.europa.eu/notice-1",
    )
    second = Extension(
        stage="Stage 1",
        from_=brussels(2018, 3, 21, 17, 0),
        to=brussels(2018, 3, 28, 12, 0),
        recorded=datetime(2018, 3, 2, 9, 0, tzinfo=UTC),
        reason="Second outage",
        source="notice on paper",
    )
    return make_call(
        "H2020-INNOSUP-2018-01",
        programme="Horizon 2020",
        url="https://ec.europa.eu/topic",
        tags=("innovation", "SME"),
        opens=brussels(2017, 11, 7, 9, 0),
        note="Two stages.",
        stages=(
            Stage("Stage 1", brussels(2018, 3, 14, 17, 0)),
            Stage("Stage 2", brussels(2018, 6, 26, 17, 0)),
        ),
        extensions=(first, second),
    )


def test_every_stage_and_extension_is_shown() -> None:
    html = render_page([multi_stage_call()], now=NOW)
    for text in (
        "Stage 1",
        "2018-03-28 12:00 CEST",  # stage 1 now, after the switch to summer time
        "extended; originally 2018-03-14 17:00 CET",
        "Stage 2",
        "2018-06-26 17:00 CEST",
        "in 27 days 11 h",
        "in 117 days 16 h",
        'Extended <span dir="auto">Stage 1</span> from 2018-03-14 17:00 CET to 2018-03-21 17:00'
        ' CET — <span dir="auto">Portal outage</span>, <a href="https://ec.europa.eu/notice-1">'
        "source</a> <small>(recorded 2018-02-20 11:12 CET)</small>",
        "from 2018-03-21 17:00 CET to 2018-03-28 12:00 CEST",
        'source: <code dir="auto">notice on paper</code>',
        'Opens <time datetime="2017-11-07T09:00:00+01:00">2017-11-07 09:00 CET</time>',
        '<a href="https://ec.europa.eu/topic">Call H2020-INNOSUP-2018-01</a>',
        "Horizon 2020",
        "Two stages.",
        'data-until="2018-03-28T10:00:00Z"',
        'data-until="2018-06-26T15:00:00Z"',
    ):
        assert text in html
    assert html.count('class="countdown"') == 2


def test_shipped_call_reads_as_in_the_issue() -> None:
    html = render_page(shipped_calls(), now=NOW)
    assert 'id="COS-CLUSTPARTNS-2017-3-02"' in html
    assert "2018-03-08 17:00 CET" in html
    assert ">in 7 days 17 h</span>" in html
    # The closed call of 2017 is there too (the caller selects), after the open one.
    assert html.index('id="COS-CLUSTPARTNS-2017-3-02"') < html.index('id="ESCP-S3-EOI"')
    assert "closed 334 days 8 h ago" in html


def test_calls_are_soonest_first_whatever_the_input_order() -> None:
    later = make_call("LATER", stages=(Stage("", brussels(2018, 5, 1, 17, 0)),))
    sooner = make_call("SOONER", stages=(Stage("", brussels(2018, 3, 2, 17, 0)),))
    closed = make_call("CLOSED", stages=(Stage("", brussels(2018, 2, 1, 17, 0)),))
    first = render_page([later, closed, sooner], now=NOW)
    assert first == render_page([sooner, later, closed], now=NOW)
    ids = re.findall(r'<article class="call panel" id="([^"]+)"', first)
    assert ids == ["SOONER", "LATER", "CLOSED"]
    assert 'data-urgency="urgent"' in first  # 2 March 17:00 is within 2 days


def test_output_is_deterministic_for_a_fixed_now() -> None:
    calls = [*shipped_calls(), multi_stage_call()]
    first = render_page(calls, now=NOW, display_zone="America/New_York", ics_url="https://e.org/c")
    again = render_page(calls, now=NOW, display_zone="America/New_York", ics_url="https://e.org/c")
    assert first.encode() == again.encode()
    assert render_page(calls, now=brussels(2018, 3, 1, 0, 1)) != render_page(calls, now=NOW)


def test_display_zone_is_shown_beside_the_call_zone() -> None:
    html = render_page([make_call()], now=NOW, display_zone="America/New_York")
    assert "2018-03-08 17:00 CET" in html and "= 2018-03-08 11:00 EST" in html
    assert 'Generated <time datetime="2018-02-28T18:00:00-05:00">2018-02-28 18:00 EST' in html
    assert "= 2018" not in render_page([make_call()], now=NOW, display_zone="Europe/Brussels")


def test_no_calls_is_a_page_too() -> None:
    html = render_page([], now=NOW)
    assert "No calls to show." in html and "<svg" not in html


def test_filters_offer_only_values_that_separate_calls() -> None:
    a = make_call("A", tags=("clusters", "SME"), programme="COSME")
    b = make_call("B", tags=("SME",), programme="COSME")
    html = render_page([a, b], now=NOW)
    assert Tags(html).attr("value") == ["clusters"]
    assert 'data-tags="[&#34;clusters&#34;, &#34;SME&#34;]"' in html
    assert 'id="page:filters" class="panel" hidden' in html  # shown by the script only
    assert 'id="page:filters"' not in render_page([b], now=NOW)


# --- the timeline -------------------------------------------------------------------------------


def test_timeline_has_a_bar_per_call_a_today_line_and_month_ticks() -> None:
    far = make_call(
        "FAR", opens=brussels(2018, 4, 1, 9, 0), stages=(Stage("", brussels(2019, 1, 10, 17, 0)),)
    )
    gone = make_call("GONE", stages=(Stage("", brussels(2017, 3, 31, 17, 0)),))
    html = render_page([multi_stage_call(), far, gone, make_call()], now=NOW)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert re.findall(r'data-bar="([^"]+)">', svg) == ["C-1", "H2020-INNOSUP-2018-01", "FAR"]
    # February to August 2018: today (1 March) is 28 of 212 days in.
    assert '<line class="today" x1="13.21%"' in svg
    assert re.findall(r'class="tick"[^>]*>([^<]+)<', svg) == [
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
    ]
    assert "Today, 1 Mar" in svg
    # Clamped at the window's end, with an arrow; the unknown opening is drawn dashed.
    assert re.search(r'<rect class="bar" x="27.99%" y="\d+" width="72.01%"', svg)
    assert 'FAR <tspan class="when">10 Jan 2019 →</tspan>' in svg
    assert '<rect class="bar approx" x="0.00%"' in svg
    assert "1 call outside this window not shown." in html
    # The legend names the kinds of bar drawn, and only those.
    legend = re.findall(r"</svg>([^<]+)</li>", html)
    assert legend == ["open", "forthcoming", "opening date not recorded"]
    assert svg.count('class="stage"') == 3  # C-1, two stages of INNOSUP; FAR's is beyond


# --- the security policy ------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_csp_allows_exactly_the_inline_script_and_style() -> None:
    html = render_page([multi_stage_call()], now=NOW)
    parsed = Tags(html)
    (csp,) = [
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp is not None
    (script,), (style,) = parsed.raw["script"], parsed.raw["style"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives == {
        "default-src": "'none'",
        "script-src": _sha256(script),
        "style-src": _sha256(style),
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert "unsafe" not in csp
    # Nothing the policy would block: no style attributes, no external resources.
    assert not parsed.attr("style") and not parsed.attr("src")
    assert "<link" not in html and "@import" not in style and "url(" not in style
    assert "</script" not in script.lower() and "</style" not in style.lower()


def test_ids_are_unique_and_page_ids_cannot_clash_with_call_ids() -> None:
    html = render_page([make_call("timeline"), make_call("calls")], now=NOW)
    ids = Tags(html).attr("id")
    assert len(ids) == len(set(ids))
    assert all(i.startswith("page:") for i in ids if i not in ("timeline", "calls"))


def test_ordinary_commands_never_import_jinja2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "clusterctl", "--store", str(tmp_path), "calls"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert " jinja2" not in result.stderr and "clusterctl.page" not in result.stderr
