"""The members' page in a real browser: Debian's chromium, driven by Playwright, from file://.

One browser for the module; each test opens a fresh context (viewport, colour scheme, zone) and
installs a fake clock at the page's generation time, so countdowns are checked without sleeping.
Screenshots go to tests/artifacts/ (git-ignored) for a human to look at; the README's
docs/page.png and docs/page-phone.png are its shipped-1000.png and shipped-360.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clusterctl.model import Call, Extension, Stage
from clusterctl.page import render_page
from tests.conftest import clusterctl_exe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.access("/usr/bin/chromium", os.X_OK):
    CHROMIUM = "/usr/bin/chromium"
if CHROMIUM is None:
    pytest.skip(
        "browser tests of the HTML page SKIPPED: no chromium on PATH; "
        "install it with .ci/install-browser (Debian's chromium package)",
        allow_module_level=True,
    )
try:
    from playwright.sync_api import ConsoleMessage, Page, sync_playwright
except ImportError:
    pytest.skip(
        "browser tests of the HTML page SKIPPED: playwright is not installed; "
        "install it with pip install -e '.[test]' and the browser with .ci/install-browser",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2018, 3, 1, 10, 0, tzinfo=BRUSSELS)
NOW_S = NOW.timestamp()  # Playwright for Python reads a number as seconds


def brussels(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def demo_calls() -> list[Call]:
    def call(call_id: str, deadline: datetime, **fields: Any) -> Call:
        stages = fields.pop("stages", (Stage("", deadline),))
        return Call(id=call_id, timezone="Europe/Brussels", stages=stages, **fields)

    outage = Extension(
        stage="Stage 1",
        from_=brussels(2018, 3, 14, 17, 0),
        to=brussels(2018, 3, 21, 17, 0),
        recorded=datetime(2018, 2, 20, 10, 12, tzinfo=UTC),
        reason="Participant Portal outage",
        source="https://ec.europa.eu/notice",
    )
    return [
        call(
            "COS-CLUSTPARTNS-2017-3-02",
            brussels(2018, 3, 8, 17, 0),
            title="European Strategic Cluster Partnerships for Smart Specialisation Investments",
            programme="COSME",
            url="https://ec.europa.eu/cos",
            tags=("clusters", "SME"),
        ),
        call(
            "H2020-INNOSUP-2018-01",
            brussels(2018, 6, 26, 17, 0),
            title="Cluster facilitated projects for new industrial value chains",
            programme="Horizon 2020",
            tags=("innovation", "clusters"),
            opens=brussels(2017, 11, 7, 9, 0),
            stages=(
                Stage("Stage 1", brussels(2018, 3, 14, 17, 0)),
                Stage("Stage 2", brussels(2018, 6, 26, 17, 0)),
            ),
            extensions=(outage,),
            note="Two stages: a short proposal first.\nBudget: EUR 34 million.",
        ),
        call(
            "EIC-FTI-2018-02",
            brussels(2018, 3, 2, 17, 0),
            title="<script>alert('Fast Track')</script>",
            programme="Horizon 2020",
            url="javascript:alert(1)",
            tags=("innovation",),
        ),
        call(
            "LIFE-2018-ENV",
            brussels(2018, 11, 15, 17, 0),
            title="LIFE Environment: traditional projects",
            programme="LIFE",
            tags=("environment",),
            opens=brussels(2018, 4, 18, 9, 0),
        ),
    ]


@pytest.fixture(scope="module")
def page_html() -> str:
    return render_page(demo_calls(), now=NOW, ics_url="https://example.org/calls.ics")


@pytest.fixture(scope="module")
def page_url(page_html: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("page") / "calls.html"
    path.write_text(page_html, encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        # A chromium that is installed but cannot start is a failure, not a skip.
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


class Opened:
    """A page in its own context, with what it logged and the CSP violations it reported."""

    def __init__(
        self, browser: Any, url: str, scheme: str, now_s: float = NOW_S, **options: Any
    ) -> None:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        self.context = browser.new_context(
            color_scheme=scheme,
            locale=options.pop("locale", "en-US"),
            timezone_id=options.pop("timezone_id", "America/New_York"),
            **options,
        )
        self.page = page = self.context.new_page()
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        # Runs before the page's own script, outside its CSP: records any violation.
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        # Time stands still at the generation time until a test moves it.
        page.clock.install(time=now_s - 60)
        page.clock.pause_at(now_s)
        page.goto(url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")


@pytest.fixture(scope="module")
def pages(browser: Any, page_url: str) -> Iterator[dict[str, Opened]]:
    """One page per colour scheme, shared by the tests that leave it as they found it."""
    opened = {scheme: Opened(browser, page_url, scheme) for scheme in ("light", "dark")}
    yield opened
    for each in opened.values():
        each.context.close()


@pytest.fixture
def light(pages: dict[str, Opened]) -> Opened:
    return pages["light"]


@pytest.fixture(scope="module")
def arriving(browser: Any, page_url: str) -> Iterator[Opened]:
    """A reader in Brussels who follows a link to one call."""
    opened = Opened(browser, page_url + "#H2020-INNOSUP-2018-01", "light", timezone_id=BRUSSELS.key)
    yield opened
    opened.context.close()


@pytest.fixture
def open_page(browser: Any, page_url: str) -> Iterator[Any]:
    """A fresh page with its own options (zone, no JavaScript, a fragment in the address)."""
    opened: list[Opened] = []

    def open_(fragment: str = "", scheme: str = "light", **options: Any) -> Opened:
        opened.append(Opened(browser, page_url + fragment, scheme, **options))
        return opened[-1]

    yield open_
    for each in opened:
        each.context.close()


def texts(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent.trim())")


def visible_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "article.call", "els => els.filter(e => e.checkVisibility()).map(e => e.id)"
    )


# --- loading ------------------------------------------------------------------------------------


def test_loads_from_disk_without_errors_or_csp_violations(light: Opened) -> None:
    page = light.page
    assert light.errors == []
    assert light.violations() == []
    # The script ran: filters shown, live note, the hostile title is text.
    assert page.is_visible("#page\\:filters")
    assert page.text_content("#page\\:clock") == "Times left update live."
    assert "<script>alert('Fast Track')</script>" in texts(page, "article h3")
    assert page.eval_on_selector_all("article h3 a", "as => as.map(a => a.protocol)") == ["https:"]


def test_the_policy_is_enforced(light: Opened) -> None:
    errors = len(light.errors)
    ran = light.page.evaluate(
        """() => {
            window.injected = false;
            const s = document.createElement('script');
            s.textContent = 'window.injected = true';
            document.body.append(s);
            s.remove();
            return window.injected;
        }"""
    )
    assert ran is False
    assert any(v.startswith("script-src") for v in light.violations())
    assert any("Content Security Policy" in e for e in light.errors[errors:])
    # Leave the shared page as it was for the other tests.
    del light.errors[errors:]
    light.page.evaluate("window.__violations = []")


# --- countdowns and times -----------------------------------------------------------------------


def test_countdowns_match_the_generation_time_and_move_with_the_clock(
    open_page: Any, page_html: str
) -> None:
    page = open_page().page  # its own: the clock moves
    # At the generation time the script writes exactly what Python wrote into the file.
    written = re.findall(r'class="countdown" data-until="[^"]+">([^<]+)<', page_html)
    assert len(written) == 5 and written[0] == "in 1 day 7 h"
    assert texts(page, ".countdown") == written
    assert page.get_attribute("#EIC-FTI-2018-02 ul.stages li", "data-urgency") == "urgent"

    page.clock.fast_forward("07:00:00")  # 17:00 Brussels, the next day: 24 h before
    assert texts(page, "#EIC-FTI-2018-02 .countdown") == ["in 1 day"]
    page.clock.fast_forward("23:59:00")
    assert texts(page, "#EIC-FTI-2018-02 .countdown") == ["in 1 min 0 s"]
    page.clock.fast_forward("00:00:30")
    assert texts(page, "#EIC-FTI-2018-02 .countdown") == ["in 30 s"]
    page.clock.fast_forward("00:01:00")
    assert texts(page, "#EIC-FTI-2018-02 .countdown") == ["closed just now"]
    assert texts(page, "#EIC-FTI-2018-02 .status") == ["closed"]


def test_the_readers_local_time_is_shown_beside_the_calls(light: Opened, arriving: Opened) -> None:
    local = texts(light.page, "#COS-CLUSTPARTNS-2017-3-02 [data-local]")
    assert local == ["your time: 2018-03-08 11:00 EST"]
    # A reader in the call's own zone is not told the same time twice.
    hidden = "el => el.hidden && getComputedStyle(el).display === 'none'"
    assert arriving.page.eval_on_selector("#COS-CLUSTPARTNS-2017-3-02 [data-local]", hidden)
    assert arriving.errors == []


# --- filters and addresses ----------------------------------------------------------------------


def test_tag_filter_hides_and_shows_rows(light: Opened) -> None:
    page = light.page
    every = visible_ids(page)
    assert len(every) == 4
    page.click("label.chip-input:has(input[value='environment'])")
    assert visible_ids(page) == ["LIFE-2018-ENV"]
    assert page.text_content("#page\\:count") == "Showing 1 of 4"
    dimmed = page.eval_on_selector_all("g.dim", "gs => gs.map(g => g.dataset.bar)")
    assert sorted(dimmed) == sorted(set(every) - {"LIFE-2018-ENV"})
    page.click("label.chip-input:has(input[value='innovation'])")
    assert visible_ids(page) == ["EIC-FTI-2018-02", "H2020-INNOSUP-2018-01", "LIFE-2018-ENV"]
    page.click("label.chip-input:has(input[value='environment'])")
    page.click("label.chip-input:has(input[value='innovation'])")
    assert visible_ids(page) == every
    page.click("label.chip-input:has(input[value='Horizon 2020'])")
    assert visible_ids(page) == ["EIC-FTI-2018-02", "H2020-INNOSUP-2018-01"]
    page.click("#page\\:clear")
    assert visible_ids(page) == every
    assert light.errors == []


def test_a_fragment_targets_its_call_even_when_filtered_out(arriving: Opened) -> None:
    page = arriving.page
    assert page.evaluate("document.querySelector(':target').id") == "H2020-INNOSUP-2018-01"
    assert page.evaluate(
        "(() => { const r = document.getElementById('H2020-INNOSUP-2018-01')"
        ".getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; })()"
    )
    page.click("label.chip-input:has(input[value='environment'])")
    page.evaluate("location.hash = '#COS-CLUSTPARTNS-2017-3-02'")
    page.wait_for_function("document.getElementById('COS-CLUSTPARTNS-2017-3-02').checkVisibility()")
    assert visible_ids(page) == visible_ids(arriving.page) and len(visible_ids(page)) == 4


# --- layout -------------------------------------------------------------------------------------


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


CONTRAST_JS = """sel => [...document.querySelectorAll(sel)].map(el => {
    let bg = el, color = getComputedStyle(el).color;
    while (bg && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(bg).backgroundColor))
        bg = bg.parentElement;
    return [color, getComputedStyle(bg || document.body).backgroundColor];
})"""


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (360, "light"), (1280, "dark"), (360, "dark")]
)
def test_fits_the_width_in_both_schemes_with_readable_contrast(
    pages: dict[str, Opened], width: int, scheme: str
) -> None:
    opened = pages[scheme]
    page = opened.page
    page.set_viewport_size({"width": width, "height": 800})
    assert opened.errors == []
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    background = _luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert (background < 0.05) if scheme == "dark" else (background > 0.8)
    for selector in ("h1", "h3", ".meta", "a", ".status", ".countdown", ".note", "footer"):
        for color, back in page.evaluate(CONTRAST_JS, selector):
            lighter, darker = sorted((_luminance(color), _luminance(back)), reverse=True)
            ratio = (lighter + 0.05) / (darker + 0.05)
            assert ratio >= 4.5, f"{selector} in {scheme}: {color} on {back} is {ratio:.1f}:1"
    page.screenshot(path=ARTIFACTS / f"page-{width}-{scheme}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_without_javascript_the_page_is_complete(open_page: Any) -> None:
    page = open_page(java_script_enabled=False, viewport={"width": 360, "height": 800}).page
    assert texts(page, "#COS-CLUSTPARTNS-2017-3-02 .countdown") == ["in 7 days 7 h"]
    assert page.text_content("#page\\:clock") == "Times left are as of generation."
    assert not page.is_visible("#page\\:filters")
    assert page.is_visible("svg rect.bar")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=ARTIFACTS / "page-360-noscript.png", full_page=True)


def test_print_keeps_the_timeline_and_drops_the_controls(light: Opened) -> None:
    page = light.page
    page.emulate_media(media="print")
    try:
        assert not page.is_visible("#page\\:filters") and not page.is_visible(".subscribe")
        assert page.is_visible("svg rect.bar") and page.is_visible(".countdown")
    finally:
        page.emulate_media(media="screen")


# --- the page the command writes ----------------------------------------------------------------

#: `--at 2018-03-01` on the command line: midnight in Brussels, the shipped calls' zone.
SHIPPED_AT_S = datetime(2018, 3, 1, tzinfo=BRUSSELS).timestamp()


@pytest.fixture(scope="module")
def shipped_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`clusterctl export html` of a copy of the shipped data/ store, by the installed script."""
    base = tmp_path_factory.mktemp("shipped")
    shutil.copytree(ROOT / "data", base / "store")
    target = base / "www" / "calls.html"
    target.parent.mkdir()
    env = {**os.environ, "CLUSTERCTL_CONFIG": str(base / "no-config.toml")}
    env["CLUSTERCTL_CACHE_DIR"] = str(base / "cache")
    argv = ["--store", str(base / "store"), "export", "html", "--at", "2018-03-01",
            "--ics-url", "https://example.org/calls.ics", "-o", str(target)]  # fmt: skip
    done = subprocess.run(
        [*clusterctl_exe(), *argv], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, f"Wrote 1 call to {target}\n")
    return target.as_uri()


# 1000 and 360 are the README's screenshots (docs/page.png, docs/page-phone.png).
@pytest.mark.parametrize("width", [1280, 1000, 360])
def test_the_commands_page_for_the_shipped_store(
    browser: Any, shipped_url: str, width: int
) -> None:
    # A reader in Helsinki, one hour ahead of the call's zone, in British English.
    opened = Opened(
        browser,
        shipped_url,
        "light",
        now_s=SHIPPED_AT_S,
        viewport={"width": width, "height": 600},  # shorter than the page: shot in full
        timezone_id="Europe/Helsinki",
        locale="en-GB",
    )
    try:
        page = opened.page
        assert opened.errors == []
        assert opened.violations() == []
        assert visible_ids(page) == ["COS-CLUSTPARTNS-2017-3-02"]
        assert texts(page, ".countdown") == ["in 7 days 17 h"]
        assert texts(page, "[data-local]") == ["your time: 2018-03-08 18:00 EET"]
        assert page.text_content("#page\\:clock") == "Times left update live."
        assert page.is_visible("a.subscribe") and page.is_visible("svg rect.bar")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=ARTIFACTS / f"shipped-{width}.png", full_page=True)
    finally:
        opened.context.close()
