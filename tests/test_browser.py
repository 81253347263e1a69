"""The built reports in a real browser: headless Chromium (Debian's chromium and
chromium-driver, installed by .ci/run) opens the top index from the file system, follows
links to the scheme-year index, the bulletin and a unit report, checks the Chinese text,
the charts, the shared stylesheet and that no link is broken, and saves screenshots.

The browser is driven over the W3C WebDriver protocol (chromedriver speaks it over HTTP on
127.0.0.1), with the standard library: no extra Python dependency. Locally the test is
skipped when Chromium is not installed; in CI (CI=true) that is a failure instead.
Screenshots go to $KAOHE_SCREENSHOTS if set, else to the test's temporary directory.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
TITLE = "长寿区2023年度巩固拓展脱贫攻坚成果同乡村振兴有效衔接考核"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1800", "--lang=zh-CN"]


def _tools() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    missing = "chromium" if not chromium else "chromedriver (chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing} is not installed; .ci/run installs it with apt-get")
    pytest.skip(f"{missing} is not installed (apt-get install chromium chromium-driver "
                "fonts-noto-cjk)")


class Browser:
    """A minimal W3C WebDriver client for one chromedriver session."""

    def __init__(self, chromium: str, driver: str, profile: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        self.session = ""
        deadline = time.monotonic() + 30
        while True:
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.2)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "pageLoadStrategy": "normal",
            "goog:chromeOptions": {"binary": chromium,
                                   "args": [*ARGS, f"--user-data-dir={profile}"]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from None

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def get(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def js(self, script: str, *args):
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    @property
    def url(self) -> str:
        return self._call("GET", self._s("/url"))

    def click_link(self, css: str) -> None:
        """Click the first element matching ``css`` and wait for the next page."""
        before = self.url
        elem = self._call("POST", self._s("/element"), {"using": "css selector", "value": css})
        self._call("POST", self._s(f"/element/{next(iter(elem.values()))}/click"), {})
        deadline = time.monotonic() + 30
        while self.url == before or self.js("return document.readyState") != "complete":
            assert time.monotonic() < deadline, f"clicking {css} did not load a page"
            time.sleep(0.1)

    def size(self, width: int, height: int = 1800) -> None:
        """A viewport of ``width`` CSS pixels: a window cannot be narrower than about 500 px,
        so a phone's width is emulated (Chrome DevTools, as chromedriver exposes it)."""
        self._call("POST", self._s("/window/rect"), {"width": max(width, 800), "height": height})
        self._call("POST", self._s("/goog/cdp/execute"), {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 600}})

    def back(self) -> None:
        self._call("POST", self._s("/back"), {})

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))
        return path

    def close(self) -> None:
        try:
            if self.session:
                self._call("DELETE", self._s(""))
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _page_checks(b: Browser) -> dict:
    """What a reader would notice: text, charts drawn, stylesheet applied, links."""
    return b.js("""
        const charts = Array.from(document.querySelectorAll('figure.chart svg')).map(s => {
            const r = s.getBoundingClientRect();
            return {w: r.width, h: r.height, marks: s.querySelectorAll('use, path').length};
        });
        const links = Array.from(document.querySelectorAll('a[href], link[href]'))
            .map(a => a.href);
        return {text: document.body.innerText, title: document.title, charts: charts,
                links: links,
                background: getComputedStyle(document.documentElement).backgroundColor,
                sheets: Array.from(document.querySelectorAll('link[rel="stylesheet"]'))
                    .map(l => l.sheet !== null)};
    """)


def _assert_page(info: dict) -> None:
    # the page's own stylesheet is applied (html background #e9e7e1), inlined, none linked
    assert info["sheets"] == [] and info["background"] == "rgb(233, 231, 225)"
    assert "示例数据" in info["text"]
    for bad in ("Traceback", "Warning", "DataFrame", "None"):
        assert bad not in info["text"], bad
    for href in info["links"]:
        url = urlparse(href)
        assert url.scheme == "file", href  # every link stays in the tree
        assert Path(unquote(url.path)).exists(), f"broken link: {href}"
    for chart in info["charts"]:  # drawn, visible, with marks (glyphs and shapes as paths)
        assert chart["w"] > 300 and chart["h"] > 80 and chart["marks"] > 20, chart


@pytest.fixture(scope="module")
def tools() -> tuple[str, str]:
    """Chromium and chromedriver, checked before anything is built."""
    return _tools()


@pytest.fixture(scope="module")
def site(tools, tmp_path_factory):
    from kaohe.report.build import build

    out = tmp_path_factory.mktemp("site")
    # every unit: the bulletin links each unit's report, and every link must resolve
    build([PARAMS], out, pdf=False)
    return out


def test_reports_in_a_real_browser(tools, site, tmp_path):
    chromium, driver = tools
    shots = Path(os.environ.get("KAOHE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    b = Browser(chromium, driver, tmp_path / "profile")
    try:
        b.get((site / "index.html").as_uri())
        top = _page_checks(b)
        _assert_page(top)
        assert top["title"] == "考核结果报告" and TITLE in top["text"]

        b.click_link('a[href="changshou-rural/2023/index.html"]')
        year = _page_checks(b)
        _assert_page(year)
        assert year["title"] == TITLE and "各单位考核结果反馈" in year["text"]

        b.click_link('a[href="bulletin.html"]')
        bulletin = _page_checks(b)
        _assert_page(bulletin)
        assert bulletin["title"] == TITLE + "结果通报"
        for words in ("中共重庆市长寿区委农村工作暨实施乡村振兴战略领导小组办公室", "一、总体情况",
                      "考核结果", "龙河镇", "通报表扬", "一票否决", "共性失分", "生成程序 kaohe"):
            assert words in bulletin["text"], words
        assert len(bulletin["charts"]) == 2  # ranked bars and the heatmap
        b.screenshot(shots / "bulletin.png")

        b.back()
        b.back()
        b.click_link('a[href="changshou-rural/2023/index.html"]')
        b.click_link('a[href="units/yuntai.html"]')
        unit = _page_checks(b)
        _assert_page(unit)
        assert unit["title"] == TITLE + "结果反馈（云台镇）"
        for words in ("被考核单位：云台镇（镇）", "第19名", "较差", "得分核对", "失分明细",
                      "原始数据第", "一票否决，按评分细则评为最后一个等次", "本单位原始数据"):
            assert words in unit["text"], words
        assert len(unit["charts"]) == 1
        b.screenshot(shots / "unit.png")

        b.click_link("nav.crumbs a")  # the breadcrumb leads back to the top index
        assert b.js("return document.title") == "考核结果报告"
    finally:
        b.close()
    for name in ("bulletin.png", "unit.png"):
        png = (shots / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000


# the pages a reviewer opens: the top index, and per scheme the bulletin and a unit report
LOOKED_AT = [("index.html", "index"),
             ("changshou-rural/2023/bulletin.html", "changshou-bulletin"),
             ("changshou-rural/2023/units/fengcheng.html", "changshou-unit"),
             ("sichuan-poverty/2020/bulletin.html", "sichuan-bulletin"),
             ("sichuan-poverty/2020/units/junlian.html", "sichuan-unit"),
             ("guangyuan-reform/2022/bulletin.html", "guangyuan-bulletin"),
             ("guangyuan-reform/2022/units/lizhou.html", "guangyuan-unit"),
             ("anfu-reform/2017/bulletin.html", "anfu-bulletin"),
             ("anfu-reform/2017/units/zhujianju.html", "anfu-unit")]

OVERFLOW = """
    const doc = document.documentElement;
    const wide = Array.from(document.querySelectorAll('body *')).filter(e => {
        const r = e.getBoundingClientRect();
        return r.right > doc.clientWidth + 1 && !e.closest('.table-scroll');
    }).map(e => e.tagName + '.' + e.className).slice(0, 5);
    return {page: doc.scrollWidth, view: doc.clientWidth, wide: wide};
"""


def test_every_scheme_at_desk_and_phone_width(tools, built_all, tmp_path):
    """1280 px and 390 px screenshots of the index, bulletins and a unit report of each
    scheme; at 390 px the page never scrolls sideways (wide tables scroll in their box)."""
    chromium, driver = tools
    shots = Path(os.environ.get("KAOHE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    b = Browser(chromium, driver, tmp_path / "profile")
    try:
        for width in (1280, 390):
            b.size(width)
            for rel, name in LOOKED_AT:
                b.get((built_all / rel).as_uri())
                info = _page_checks(b)
                assert info["background"] == "rgb(233, 231, 225)", rel
                if width == 390:
                    o = b.js(OVERFLOW)
                    assert o["page"] <= o["view"] and not o["wide"], (rel, o)
                b.screenshot(shots / f"{name}-{width}.png")
    finally:
        b.close()
    for _rel, name in LOOKED_AT:
        for width in (1280, 390):
            assert (shots / f"{name}-{width}.png").read_bytes().startswith(b"\x89PNG")


def test_a_unit_report_sent_alone_looks_the_same(tools, built_all, tmp_path):
    """反馈 goes out as one file: copied to an empty folder it keeps its styling and charts
    and draws the same as in place (same layout height, same computed styles, the same
    pixels at 1280 and 390 px)."""
    chromium, driver = tools
    page = built_all / "sichuan-poverty/2020/units/junlian.html"
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(page, alone / page.name)
    b = Browser(chromium, driver, tmp_path / "profile")
    measure = """return {h: document.documentElement.scrollHeight,
                         font: getComputedStyle(document.querySelector('h1')).fontSize,
                         bg: getComputedStyle(document.documentElement).backgroundColor,
                         charts: document.querySelectorAll('figure.chart svg').length};"""
    shots = Path(os.environ.get("KAOHE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    measured = []
    try:
        for width in (1280, 390):
            b.size(width)
            b.get(page.as_uri())
            in_place = b.js(measure)
            b.screenshot(shots / f"in-place-{width}.png")
            b.get((alone / page.name).as_uri())
            sent = b.js(measure)
            b.screenshot(shots / f"alone-{width}.png")
            measured.append((in_place, sent))
    finally:
        b.close()
    for in_place, sent in measured:
        assert sent == in_place and sent["bg"] == "rgb(233, 231, 225)" and sent["charts"] >= 1
    from PIL import Image, ImageChops

    for width in (1280, 390):
        with Image.open(shots / f"in-place-{width}.png") as a, \
                Image.open(shots / f"alone-{width}.png") as c:
            assert a.size == c.size
            assert ImageChops.difference(a.convert("RGB"), c.convert("RGB")).getbbox() is None
