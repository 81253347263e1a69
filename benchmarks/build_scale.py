"""Report builds at scale: ``kaohe build`` against a plain papermill + nbconvert loop.

Not a test: run it by hand (``.venv/bin/python benchmarks/build_scale.py``); the figures
go into ``docs/performance.md``. In one run, on a synthetic scheme-year of N units (the
changshou-rural 2023 rubric and sample data, each of its 19 townships copied until there
are N units; a temporary project, nothing in the repository is touched):

(a) N unit reports by a plain loop, as a user would write it: for each unit the papermill
    CLI (``papermill notebooks/unit.ipynb out.ipynb -p ...``), then
    ``jupyter nbconvert --to html --no-input`` on the result. The score tables are prepared
    once beforehand and given to every notebook (``scores_dir``), so (a) is not charged for
    scoring;
(b) ``kaohe build --jobs 2`` from an empty output directory: scoring, the bulletin, the N
    unit reports and the index pages;
(c) the same build again with nothing changed;
(d) the same build after one unit's data changed (the note of one observation, so that
    unit's reasons change and no other unit's numbers move);
(e) ``kaohe build --units <that unit>`` into an empty directory: one report and the
    summaries (scoring, bulletin, index pages) built from nothing, to compare (d) with.

It prints each time, the ratio a/b, what one plain report and the bulletin cost (for
comparing d with "one report plus the summaries"), and the largest unit report.

``--memory M`` runs a separate build of M unit reports (default 2,000 with that option)
and samples the resident memory of the build and every process under it (workers and
their kernels) once a second, against the number of pages written so far: flat memory
means no growth per report.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEME, YEAR = "changshou-rural", "2023"
BIN = Path(sys.executable).parent


def make_project(root: Path, n: int) -> Path:
    """A project with the changshou rubric and N units cloned from its 19 (seeded data,
    so the reports say 示例数据)."""
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    src = ROOT / "data" / SCHEME / YEAR
    dst = root / "data" / SCHEME / YEAR
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.suffix != ".csv":
            shutil.copy(f, dst / f.name)
    units = _read(src / "units.csv")
    clones = [(units[i % len(units)], i // len(units)) for i in range(n)]

    def cid(unit_id: str, k: int) -> str:
        return unit_id if k == 0 else f"{unit_id}-{k}"

    def with_clones(m: re.Match) -> str:  # units named in the rubric: their clones too
        ids = [x.strip() for x in m.group(2).split(",") if x.strip()]
        ids += [cid(u["unit_id"], k) for u, k in clones if k and u["unit_id"] in ids]
        return f"{m.group(1)}[{', '.join(ids)}]"

    rubric = (ROOT / "params" / SCHEME / f"{YEAR}.yaml").read_text(encoding="utf-8")
    (root / "params" / SCHEME).mkdir(parents=True)
    (root / "params" / SCHEME / f"{YEAR}.yaml").write_text(
        re.sub(r"((?:except_)?units: )\[([^\]]*)\]", with_clones, rubric), encoding="utf-8")

    header, rows = units[0].keys(), []
    for u, k in clones:
        rows.append({**u, "unit_id": cid(u["unit_id"], k),
                     "name": u["name"] if k == 0 else f"{u['name']}{k}"})
    _write(dst / "units.csv", list(header), rows)
    for f in src.glob("*.csv"):
        if f.name == "units.csv":
            continue
        table = _read(f)
        if not table or "unit_id" not in table[0]:
            shutil.copy(f, dst / f.name)
            continue
        by_unit: dict[str, list[dict]] = {}
        for r in table:
            by_unit.setdefault(r["unit_id"], []).append(r)
        out = [{**r, "unit_id": cid(u["unit_id"], k)}
               for u, k in clones for r in by_unit.get(u["unit_id"], [])]
        _write(dst / f.name, list(table[0].keys()), out)
    return root


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def change_one_unit(project: Path) -> str:
    """Change the note of one unit's first observation; the unit's id."""
    path = project / "data" / SCHEME / YEAR / "observations.csv"
    rows = _read(path)
    rows[0]["note"] = (rows[0]["note"] or "") + "（已复核）"
    _write(path, list(rows[0].keys()), rows)
    return rows[0]["unit_id"]


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def plain_report(project: Path, notebook: str, nb: Path, parameters: list[str]) -> None:
    """One report as a user would script it: the papermill CLI, then the nbconvert CLI."""
    quiet = {"cwd": project, "check": True, "stdout": subprocess.DEVNULL,
             "stderr": subprocess.DEVNULL}
    subprocess.run([str(BIN / "papermill"), f"notebooks/{notebook}", str(nb), *parameters,
                    "-k", "python3", "--no-progress-bar"], **quiet)
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                   **quiet)


def plain_loop(project: Path, units: list[str], scores: Path, out: Path) -> float:
    """(a): papermill CLI then nbconvert CLI, one unit after another."""
    params = project / "params" / SCHEME / f"{YEAR}.yaml"
    out.mkdir()
    started = time.perf_counter()
    for u in units:
        plain_report(project, "unit.ipynb", out / f"{u}.ipynb",
                     ["-p", "params", str(params), "-p", "scores_dir", str(scores),
                      "-p", "unit_id", u])
    return time.perf_counter() - started


def plain_bulletin(project: Path, scores: Path, out: Path) -> float:
    params = project / "params" / SCHEME / f"{YEAR}.yaml"
    started = time.perf_counter()
    plain_report(project, "bulletin.ipynb", out / "bulletin.ipynb",
                 ["-p", "params", str(params), "-p", "scores_dir", str(scores)])
    return time.perf_counter() - started


def kaohe_build(project: Path, out: Path, jobs: int, *extra: str) -> float:
    params = project / "params" / SCHEME / f"{YEAR}.yaml"
    return timed([str(BIN / "kaohe"), "build", str(params), "--out", str(out), "--jobs",
                  str(jobs), "--no-progress", *extra], project)


def memory_run(project: Path, out: Path, jobs: int) -> list[tuple[float, int, float]]:
    """Build while sampling (seconds, pages written, RSS MB of the whole process tree)."""
    import psutil

    params = project / "params" / SCHEME / f"{YEAR}.yaml"
    proc = subprocess.Popen([str(BIN / "kaohe"), "build", str(params), "--out", str(out),
                             "--jobs", str(jobs), "--no-progress"], cwd=project,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[float, int, float]] = []
    units_dir = out / SCHEME / YEAR / "units"
    started = time.perf_counter()
    root = psutil.Process(proc.pid)

    def sample() -> None:
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree if p.is_running())
            except psutil.Error:
                continue
            done = sum(1 for _ in units_dir.glob("*.html")) if units_dir.is_dir() else 0
            samples.append((time.perf_counter() - started, done, rss / 2**20))
            time.sleep(1.0)

    t = threading.Thread(target=sample)
    t.start()
    proc.wait()
    t.join()
    if proc.returncode:
        raise SystemExit(f"build failed ({proc.returncode})")
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="unit reports (default 200)")
    ap.add_argument("--jobs", type=int, default=2, help="kaohe build --jobs (default 2)")
    ap.add_argument("--memory", type=int, nargs="?", const=2000, default=None, metavar="M",
                    help="also a build of M unit reports with memory sampled (default 2000)")
    ap.add_argument("--skip-plain", action="store_true",
                    help="leave out (a), the plain loop (it takes minutes)")
    args = ap.parse_args()
    base = len(_read(ROOT / "data" / SCHEME / YEAR / "units.csv"))
    for n in (args.n, args.memory or base):
        if n < base:  # the rubric names some of the 19 townships (applies_to)
            ap.error(f"at least {base} units: every township of the sample data is needed")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="kaohe-bench-") as tmp:
        tmp = Path(tmp)
        project = make_project(tmp / "project", args.n)
        params = project / "params" / SCHEME / f"{YEAR}.yaml"
        units = [r["unit_id"] for r in _read(project / "data" / SCHEME / YEAR / "units.csv")]
        print(f"scheme-year: {SCHEME} {YEAR} cloned to {len(units)} units")

        if not args.skip_plain:
            scores = tmp / "scores"
            sys.path.insert(0, str(ROOT))
            from kaohe.report.data import prepare

            cwd = os.getcwd()
            os.chdir(project)
            try:
                prepare(params, scores)
            finally:
                os.chdir(cwd)
            a = plain_loop(project, units, scores, tmp / "plain")
            print(f"(a) plain papermill + nbconvert loop, {len(units)} unit reports: {a:.1f} s "
                  f"({a / len(units):.2f} s a report)")
            bull = plain_bulletin(project, scores, tmp / "plain")
            print(f"    plain bulletin (papermill + nbconvert): {bull:.1f} s")

        out = tmp / "out"
        b = kaohe_build(project, out, args.jobs)
        pages = sorted((out / SCHEME / YEAR / "units").glob("*.html"))
        print(f"(b) kaohe build --jobs {args.jobs} from an empty cache, {len(pages)} unit "
              f"reports + bulletin + index: {b:.1f} s ({b / len(pages):.3f} s a report)")
        if not args.skip_plain:
            print(f"    ratio a/b: {a / b:.1f}")
        biggest = max(pages, key=lambda p: p.stat().st_size)
        print(f"    largest unit report: {biggest.stat().st_size / 1024:.0f} KB ({biggest.name})")
        c = kaohe_build(project, out, args.jobs)
        print(f"(c) rebuild, nothing changed: {c:.2f} s")
        unit = change_one_unit(project)
        before = {p.name: p.stat().st_mtime_ns for p in (out / SCHEME / YEAR).rglob("*.html")}
        d = kaohe_build(project, out, args.jobs)
        after = {p.name: p.stat().st_mtime_ns for p in (out / SCHEME / YEAR).rglob("*.html")}
        rewritten = sorted(n for n in after if after[n] != before.get(n))
        print(f"(d) rebuild after one unit's data changed ({unit}): {d:.2f} s; pages written: "
              f"{', '.join(rewritten)}")
        e = kaohe_build(project, tmp / "one", args.jobs, "--units", unit)
        print(f"(e) kaohe build --units {unit} into an empty directory (scoring, that unit's "
              f"report, the bulletin, the index pages): {e:.2f} s; d/e = {d / e:.2f}")
        if not args.skip_plain:
            one = a / len(units)
            print(f"    one plain report {one:.2f} s + plain bulletin {bull:.2f} s = "
                  f"{one + bull:.2f} s; d / (one report + summaries) = {d / (one + bull):.2f}")

        if args.memory:
            mproject = make_project(tmp / "memory", args.memory)
            samples = memory_run(mproject, tmp / "memory-out", args.jobs)
            print(f"memory: {args.memory} unit reports, RSS of the build and all its "
                  "processes (MB) by pages written:")
            marks = [int(args.memory * f) for f in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0)]
            for m in marks:
                s = next((s for s in samples if s[1] >= m), samples[-1])
                print(f"    {s[1]:>5} pages at {s[0]:6.1f} s: {s[2]:7.0f} MB")
            rendering = [s for s in samples if 0 < s[1] < args.memory]
            print(f"    peak while rendering {max(s[2] for s in rendering):.0f} MB; "
                  f"total {samples[-1][0]:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
