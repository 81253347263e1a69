"""What the print documents cost: ``kaohe build`` with and without PDFs, in the same run.

Not a test: run it by hand (``.venv/bin/python benchmarks/print_cost.py``); the figures go
into ``docs/performance.md``. By default it builds every bundled scheme-year (what
``make reports`` builds) into temporary directories:

(a) ``kaohe build --no-pdf --jobs 2``: HTML pages only, from an empty directory;
(b) ``kaohe build --jobs 2``: the same plus a PDF of every page, the Word bulletin and the
    rubric attachment, from an empty directory;
(c) (b) again with nothing changed (the no-change rebuild);

and prints the times and (b)/(a) − 1, the share PDFs add. ``--engines N`` also times the
PDF engines on N unit pages of (a), one page after another in one warm process each:
WeasyPrint (what kaohe uses) and Chromium's ``Page.printToPDF`` over the DevTools protocol
(Debian's ``chromium``, when installed), so the choice of engine can be checked here.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KAOHE = Path(sys.executable).parent / "kaohe"


def build(params: list[str], out: Path, jobs: int, *extra: str) -> float:
    started = time.monotonic()
    subprocess.run([str(KAOHE), "build", *params, "--out", str(out), "--jobs", str(jobs),
                    "--no-progress", *extra], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def weasyprint_times(pages: list[Path]) -> list[float]:
    from kaohe.report.pdf import fonts_resource, renderer

    times = []
    for page in pages:
        res = {"print": {"header": page.stem, "fonts": fonts_resource(None)}}
        started = time.monotonic()
        renderer().render(page.read_text(encoding="utf-8"), res)
        times.append(time.monotonic() - started)
    return times


def chromium_times(pages: list[Path]) -> list[float] | None:
    """Page.printToPDF in one headless Chromium, a page after another."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None
    import websocket

    profile = tempfile.mkdtemp(prefix="kaohe-chromium-")
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "about:blank"], stderr=subprocess.PIPE, text=True)
    try:
        url = next(m.group(1) for line in proc.stderr
                   if (m := re.search(r"(ws://\S+)", line)))
        ws = websocket.create_connection(url)
        seq = [0]

        def call(method: str, params: dict | None = None, session: str | None = None) -> dict:
            seq[0] += 1
            msg = {"id": seq[0], "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            ws.send(json.dumps(msg))
            while True:
                reply = json.loads(ws.recv())
                if reply.get("id") == seq[0]:
                    return reply

        target = call("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True}
                       )["result"]["sessionId"]
        call("Page.enable", None, session)
        times = []
        for page in pages:
            started = time.monotonic()
            call("Page.navigate", {"url": page.resolve().as_uri()}, session)
            while json.loads(ws.recv()).get("method") != "Page.loadEventFired":
                pass
            data = call("Page.printToPDF", {"preferCSSPageSize": True,
                                            "generateDocumentOutline": True}, session)
            base64.b64decode(data["result"]["data"])
            times.append(time.monotonic() - started)
        return times
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", nargs="*", help="rubric files (default: params/*/*.yaml)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--engines", type=int, default=0, metavar="N",
                    help="also time WeasyPrint and Chromium on N unit pages")
    args = ap.parse_args()
    params = args.params or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("params/*/*.yaml"))
    print(f"{len(params)} scheme-years, --jobs {args.jobs}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="kaohe-print-") as tmp:
        html_only, with_pdf = Path(tmp) / "html", Path(tmp) / "pdf"
        a = build(params, html_only, args.jobs, "--no-pdf")
        print(f"(a) HTML only:            {a:7.1f} s")
        b = build(params, with_pdf, args.jobs)
        pdfs = len(list(with_pdf.rglob("*.pdf")))
        print(f"(b) HTML + PDF + Word:    {b:7.1f} s  ({pdfs} PDFs)")
        c = build(params, with_pdf, args.jobs)
        print(f"(c) no-change rebuild:    {c:7.1f} s")
        print(f"PDFs add {100 * (b / a - 1):.0f}% to the build (b/a − 1); "
              f"load average {os.getloadavg()[0]:.1f} at the end")
        if args.engines:
            pages = sorted((html_only).rglob("units/*.html"))[: args.engines]
            w = weasyprint_times(pages)
            print(f"WeasyPrint: median {statistics.median(w):.2f} s per unit page "
                  f"({len(w)} pages, first {w[0]:.2f} s)")
            ch = chromium_times(pages)
            if ch is None:
                print("Chromium: not installed")
            else:
                print(f"Chromium:   median {statistics.median(ch):.2f} s per unit page "
                      f"({len(ch)} pages, first {ch[0]:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
