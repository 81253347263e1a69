"""What the print documents cost: ``kaohe build`` with and without PDFs, in the same run.

Not a test: run it by hand (``.venv/bin/python benchmarks/print_cost.py``); the figures go
into ``docs/performance.md``. By default it builds every bundled scheme-year (what
``make reports`` builds) into temporary directories; name rubric files to time a few
(``benchmarks/print_cost.py params/changshou-rural/2023.yaml params/anfu-reform/2017.yaml``):

(a) ``kaohe build --no-pdf --jobs 2``: HTML pages only, from an empty directory;
(b) ``kaohe build --jobs 2``: the same plus a PDF of every page, the Word bulletin and the
    rubric attachment, from an empty directory;
(c) (b) again with nothing changed (the no-change rebuild), three times, the median judged;

and prints wall and CPU seconds of each (CPU: the build and all its worker and kernel
processes), (b)/(a) − 1 — the share print documents add — against the 60 % budget, and (c)
against the 2 s budget. ``--engines N`` also times the PDF step alone on N unit pages of
(a), one page after another in one warm process: Typst (what kaohe uses) and, when Debian's
``chromium`` is installed, Chromium's ``Page.printToPDF`` over the DevTools protocol.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KAOHE = Path(sys.executable).parent / "kaohe"
PDF_BUDGET = 0.60  # issue #15: PDFs add at most 60 % to a full build
REBUILD_BUDGET = 2.0  # seconds, a no-change rebuild


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def build(params: list[str], out: Path, jobs: int, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``kaohe build`` (CPU of every process it started)."""
    cpu, started = _children_cpu(), time.monotonic()
    subprocess.run([str(KAOHE), "build", *params, "--out", str(out), "--jobs", str(jobs),
                    "--no-progress", *extra], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started, _children_cpu() - cpu


def typst_times(pages: list[Path]) -> list[tuple[float, float]]:
    """Wall and CPU seconds of each page's PDF in this process (one warm compiler)."""
    from kaohe.report.pdf import fonts_resource, renderer

    times = []
    for page in pages:
        res = {"print": {"header": page.stem, "fonts": fonts_resource(None)}}
        cpu, started = time.process_time(), time.monotonic()
        renderer().render(page.read_text(encoding="utf-8"), res)
        times.append((time.monotonic() - started, time.process_time() - cpu))
    return times


def chromium_times(pages: list[Path]) -> list[float] | None:
    """Page.printToPDF in one headless Chromium, a page after another (wall seconds)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None
    import websocket

    profile = tempfile.mkdtemp(prefix="kaohe-chromium-")
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "about:blank"], stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
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


def _verdict(ok: bool) -> str:
    return "within budget" if ok else "OVER BUDGET"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", nargs="*", help="rubric files (default: params/*/*.yaml)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--engines", type=int, default=0, metavar="N",
                    help="also time the PDF engines (Typst, Chromium) on N unit pages")
    args = ap.parse_args()
    params = args.params or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("params/*/*.yaml"))
    print(f"{len(params)} scheme-years, --jobs {args.jobs}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="kaohe-print-") as tmp:
        html_only, with_pdf = Path(tmp) / "html", Path(tmp) / "pdf"
        a = build(params, html_only, args.jobs, "--no-pdf")
        pages = len(list(html_only.rglob("*.html")))
        print(f"(a) HTML only:           {a[0]:7.1f} s wall {a[1]:7.1f} s CPU  ({pages} files)")
        b = build(params, with_pdf, args.jobs)
        pdfs = len(list(with_pdf.rglob("*.pdf")))
        docx = len(list(with_pdf.rglob("*.docx")))
        print(f"(b) HTML + PDF + Word:   {b[0]:7.1f} s wall {b[1]:7.1f} s CPU  "
              f"({pdfs} PDFs, {docx} Word files)")
        # three times: the first can overlap (b)'s kernels shutting down
        runs = sorted(build(params, with_pdf, args.jobs) for _ in range(3))
        c = runs[1]
        print(f"(c) no-change rebuild:   {c[0]:7.2f} s wall {c[1]:7.2f} s CPU  median of 3 "
              f"({', '.join(f'{w:.2f}' for w, _ in runs)} s; "
              f"budget {REBUILD_BUDGET:.0f} s wall: {_verdict(c[0] < REBUILD_BUDGET)})")
        wall, cpu = b[0] / a[0] - 1, b[1] / a[1] - 1
        print(f"print documents add (b/a − 1): {100 * wall:.0f}% wall, {100 * cpu:.0f}% CPU "
              f"(budget {100 * PDF_BUDGET:.0f}%: {_verdict(wall <= PDF_BUDGET)}); "
              f"load average {os.getloadavg()[0]:.1f} at the end")
        if args.engines:
            units = sorted(html_only.rglob("units/*.html"))[: args.engines]
            t = typst_times(units)
            print(f"Typst:    median {statistics.median(w for w, _ in t):.3f} s wall, "
                  f"{statistics.median(c for _, c in t):.3f} s CPU per unit page "
                  f"({len(t)} pages, first {t[0][0]:.2f} s wall with the fonts' loading)")
            ch = chromium_times(units)
            if ch is None:
                print("Chromium: not installed")
            else:
                print(f"Chromium: median {statistics.median(ch):.3f} s wall per unit page "
                      f"({len(ch)} pages, first {ch[0]:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
