"""``kaohe build``: score each scheme-year once, render its pages, write the index pages.

The flow, one way: rubric + data → score tables (``data/``) → page keys → pages to render
→ executor (warm kernels in worker processes, or a Dask cluster) → HTML written by this
process alone, atomically → index pages.

- Incremental: a scheme-year is scored again only when its inputs changed, and a page is
  rendered again only when its key changed (``kaohe.report.keys``); ``force`` renders all.
- Fault-isolated: a failing page does not stop the others; its notebook is kept under
  ``<scheme>/<key>/failed/`` with papermill's error cell, its old page is removed, and
  the build ends with every failure listed.
- Atomic: every file is written to a temporary name and moved into place
  (``kaohe.report.files``), so a build killed at any moment leaves whole files.

The same inputs give byte-identical output trees whatever the executor, the number of
jobs, the order pages ran in, or whether kernels were fresh or reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..errors import BuildError, KaoheError, Problem, display_path
from ..pipeline import Run
from ..rubric import Rubric, load_rubric
from . import files, index, keys
from .data import ReportData, prepare, read_scores
from .executors import Executor, make_executor
from .export import STATIC, STYLE
from .plan import STYLESHEET, TOP_INDEX, Page, SchemeYear, pages, pdf_path
from .progress import Progress
from .views import unit_digests
from .worker import RESTART_EVERY, PageResult, PageTask, RenderOptions

STATE_DIR = ".kaohe"  # build records, outside the published pages
FAILED_DIR = "failed"  # notebooks of pages that failed, per scheme-year
PAGES_PER_WORKER = 8  # ours: pages that justify starting one more worker process
CHECKPOINT_SECONDS = 30.0  # how often build records are saved during a long scheme-year


NOTEBOOKS = ("bulletin.ipynb", "internal.ipynb", "unit.ipynb")
STYLE_SHA256 = hashlib.sha256(STYLE.encode("utf-8")).hexdigest()


def default_notebooks() -> Path:
    """``notebooks/`` of the working directory, else of the source checkout kaohe runs from."""
    here = Path.cwd() / "notebooks"
    if (here / "bulletin.ipynb").exists():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


@dataclass
class BuildResult:
    """What a build did: pages per kind, how many were rendered, kept or failed."""

    out: Path
    scheme_years: list[str] = field(default_factory=list)
    bulletins: int = 0
    units: int = 0
    rendered: int = 0
    kept: int = 0
    failed: int = 0
    scored: int = 0  # scheme-years scored (the others' score tables were unchanged)
    sample: bool = False

    @property
    def reports(self) -> int:
        return self.bulletins + self.units


@dataclass
class _SchemeYearBuild:
    """One scheme-year in a build: its record and the pages still being rendered."""

    sy: SchemeYear
    path: Path
    rubric: Rubric
    state: dict
    state_path: Path
    planned: set[str]
    data: ReportData | None = None  # what the index page needs, when this build scored
    pending: int = 0
    changed: bool = False  # anything written: the index page is written again
    saved_at: float = field(default_factory=time.monotonic)

    def save(self) -> None:
        files.write_text(self.state_path, keys.state_text(self.state))
        self.saved_at = time.monotonic()


def published(out: Path) -> list[Path]:
    """The files of a build a reader gets (relative paths): all but the build records."""
    return sorted(p.relative_to(out) for p in out.rglob("*")
                  if p.is_file() and STATE_DIR not in p.relative_to(out).parts)


def _ordered(params: Sequence[Path]) -> list[Path]:
    """Scheme by scheme, earlier years first, so an earlier year scored for a trend is
    reused when its own turn comes; duplicates once."""
    uniq = {str(p.resolve()): p for p in params}
    return sorted(uniq.values(), key=lambda p: (p.parent.name, index._sort_key(p.stem)))


def build(params: Sequence[Path | str], out: Path | str, **options) -> BuildResult:
    """``_build`` holding ``out``'s lock (``kaohe.outdir.locked``): two builds into one
    folder would leave pages of one under the build record of the other."""
    from ..outdir import locked

    with locked(out, "kaohe build " + " ".join(str(p) for p in params)):
        return _build(params, out, **options)


def _build(params: Sequence[Path | str], out: Path | str, *, notebooks: Path | None = None,
          units: Collection[str] | None = None, jobs: int | None = 1,
          fresh_kernels: bool = False, restart_every: int = RESTART_EVERY,
          executor: str = "local", scheduler: str | None = None, batch: int | None = None,
          force: bool = False, progress: bool | None = None, pdf: bool = True,
          log: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Build the bulletin and the unit reports of every rubric file into ``out``.

    ``units`` limits the unit reports to those ids (the bulletin is always built).
    ``jobs`` worker processes render pages (None: one per core), each with a warm kernel
    restarted every ``restart_every`` pages (``fresh_kernels``: a new kernel per page).
    ``executor="dask"`` sends batches of ``batch`` pages to the Dask scheduler at
    ``scheduler`` instead. ``progress``: a progress bar (None: on a terminal only; plain
    lines through ``log`` otherwise). ``pdf``: a print document (PDF) beside every page, and
    the Word bulletin and rubric attachment beside the bulletin."""
    out = Path(out)
    nb_dir = notebooks or default_notebooks()
    for name in NOTEBOOKS:
        if not (nb_dir / name).exists():
            raise KaoheError([Problem(display_path(nb_dir / name), "", "", "找不到报告笔记本")])
    paths = _ordered([Path(p) for p in params])
    wanted = set(units) if units else None
    if wanted is not None:
        _check_units(paths, wanted)
    out.mkdir(parents=True, exist_ok=True)
    files.sweep(out)  # temporary files of a build that was killed
    files.write_bytes(out / STYLESHEET, (STATIC / "kaohe.css").read_bytes())
    notebook_sha = {name: keys.notebook_digest(nb_dir / name) for name in NOTEBOOKS}
    options = RenderOptions(fresh=fresh_kernels, restart_every=restart_every,
                            cwd=str(Path.cwd()))
    result = BuildResult(out)
    failures: list[Problem] = []
    runs: dict[str, Run] = {}
    builds: dict[str, _SchemeYearBuild] = {}
    owner: dict[str, _SchemeYearBuild] = {}  # page path → its scheme-year

    def on_done(res: PageResult) -> None:
        b = owner[res.path]
        _write_page(out, b, res, failures, result)
        b.pending -= 1
        if b.pending == 0 or time.monotonic() - b.saved_at > CHECKPOINT_SECONDS:
            b.save()
        bar.advance(1)

    planned: list[PageTask] = []
    for path in paths:
        b, tasks = _plan(path, out, nb_dir, notebook_sha, wanted, runs, force, pdf, result,
                         log)
        builds[str(b.sy.root)] = b
        for t in tasks:
            owner[t.path] = b
        b.pending = len(tasks)
        planned += tasks
    bar = Progress(log, enabled=progress)
    bar.add(len(planned))
    if planned:
        pool: Executor = make_executor(executor, jobs=_workers(jobs, len(planned)),
                                       scheduler=scheduler, options=options, batch=batch)
        try:
            pool.submit(planned, on_done)
            pool.drain(on_done)
        finally:
            pool.close()
    bar.close()
    for b in builds.values():
        _finish(out, b, wanted, pdf)
    index.write(out / TOP_INDEX, index.top_page(out))
    result.failed = len({p.file for p in failures})
    if failures:
        raise BuildError(failures)
    return result


def _workers(jobs: int | None, pages: int) -> int:
    """Worker processes for ``pages``: at most ``jobs`` (None: one per core), and no more
    than one per PAGES_PER_WORKER pages, since starting a worker and its kernel costs about
    as much as that many pages (a one-page rebuild runs here, with no worker at all)."""
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    return max(1, min(n, -(-pages // PAGES_PER_WORKER)))


def _plan(path: Path, out: Path, nb_dir: Path, notebook_sha: dict[str, str],
          wanted: set[str] | None, runs: dict[str, Run], force: bool, pdf: bool,
          result: BuildResult, log: Callable[[str], None]
          ) -> tuple[_SchemeYearBuild, list[PageTask]]:
    """Score the scheme-year if its inputs changed; the pages whose key changed."""
    from ..dataset import default_data_dir

    loaded = load_rubric(path)
    sy = SchemeYear(loaded.rubric.scheme, path.stem, loaded.rubric.title)
    state_path = out / STATE_DIR / sy.scheme / f"{sy.key}.json"
    state = keys.read_state(state_path)
    data_dir = out / sy.data
    ikey = keys.inputs_key(path, default_data_dir(path, loaded.rubric))
    b = _SchemeYearBuild(sy, path, loaded.rubric, state, state_path, planned=set())
    if force or state.get("inputs") != ikey or not (data_dir / "provenance.json").exists():
        started = time.monotonic()
        _score(path, data_dir, runs)
        data = read_scores(data_dir, loaded.rubric)
        b.data = _index_part(data)
        score_files = sorted(p for p in data_dir.iterdir() if p.is_file()
                             and p.name not in (index.MANIFEST,))
        state.update(inputs=ikey, units=[[u, n] for u, n in zip(
            data.totals["unit_id"], data.totals["name"], strict=True)],
            digests=unit_digests(data), bulletin=keys.files_digest(score_files),
            sample=data.sample)
        state.setdefault("pages", {})
        b.changed = True
        b.save()
        result.scored += 1
        log(f"{sy.root}：已计分（{time.monotonic() - started:.1f} 秒）")
    chosen = [(u, n) for u, n in state["units"] if wanted is None or u in wanted]
    tasks = []
    names = dict(chosen)
    printing = _printing(loaded.rubric, path) if pdf else None
    for page in pages(sy, path, data_dir, chosen):
        rel = str(page.path)
        b.planned.add(rel)
        unit = page.parameters.get("unit_id")
        digest = state["bulletin"] if unit is None else state["digests"][unit]
        resources = {**page.resources(), "style_sha256": STYLE_SHA256}  # CSS is inlined
        if printing is not None:
            resources["print"] = _print_spec(page, printing, names.get(unit, ""))
        key = keys.page_key(notebook_sha[page.notebook], page.parameters, resources, digest)
        if not force and state["pages"].get(rel) == key and os.path.exists(f"{out}/{rel}") \
                and (not pdf or os.path.exists(f"{out}/{pdf_path(rel)}")):
            result.kept += 1
            continue
        tasks.append(PageTask(str(nb_dir / page.notebook), page.parameters, page.title,
                              resources, rel, key))
    result.scheme_years.append(str(sy.root))
    result.bulletins += 1
    result.units += len(chosen)
    result.sample |= bool(state.get("sample"))
    return b, tasks


def _printing(rubric: Rubric, params: Path) -> dict:
    """What every PDF of a scheme-year shares: the font files (with digests of an office's
    own) and the publication details as printed; worked out once, not per page."""
    from ..publication import office_fonts, printed
    from .pdf import fonts_resource

    return {"fonts": fonts_resource(office_fonts(rubric.publication, params.parent)),
            "publication": printed(rubric.publication)}


def _print_spec(page: Page, printing: dict, unit_name: str) -> dict:
    """What the page's PDF needs beyond its HTML (part of its build key): the bulletin's
    publication details as printed, a unit report's running header, the font files."""
    if page.kind == "bulletin":
        return {"publication": printing["publication"], "fonts": printing["fonts"]}
    return {"header": f"{unit_name}　考核结果反馈" if unit_name else page.title,
            "fonts": printing["fonts"]}


def _index_part(data: ReportData) -> ReportData:
    """The totals and provenance the index page shows; the large tables are let go while
    the pages render."""
    empty = pd.DataFrame()
    return replace(data, details=empty, lines=empty, nodes=empty, flags=empty,
                   self_check=empty, history=empty, robustness=empty, rubric_changes=empty,
                   rubric_years=empty, unit_inputs=empty, unit_rows=empty)


def _score(path: Path, data_dir: Path, runs: dict[str, Run]) -> None:
    """Score into a staging directory, then move each table into ``data_dir`` atomically
    and remove tables the new scores no longer have."""
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=files.TMP_PREFIX, dir=data_dir.parent))
    try:
        prepare(path, staging, runs)
        new = {p.name for p in staging.iterdir()}
        for p in sorted(staging.iterdir()):
            os.replace(p, data_dir / p.name)
        for p in data_dir.iterdir():
            if p.is_file() and p.name not in new and p.name != index.MANIFEST:
                p.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _failed_path(out: Path, page: str) -> Path:
    """``<scheme>/<key>/units/x.html`` → ``<scheme>/<key>/failed/units/x.ipynb``."""
    parts = Path(page).parts
    return out.joinpath(*parts[:2], FAILED_DIR, *parts[2:]).with_suffix(".ipynb")


def _write_page(out: Path, b: _SchemeYearBuild, res: PageResult, failures: list[Problem],
                result: BuildResult) -> None:
    """Write a rendered page (or record its failure) and its key."""
    target = out / res.path
    failed = _failed_path(out, res.path)
    b.changed = True
    pdf = out / pdf_path(res.path)
    if res.ok and res.html is not None:
        files.write_text(target, res.html)
        if res.pdf is not None:
            files.write_bytes(pdf, res.pdf)
        elif pdf.exists():  # a build without PDFs: last build's would not match the page
            pdf.unlink()
        b.state["pages"][res.path] = res.key
        if failed.exists():
            failed.unlink()
        result.rendered += 1
        return
    failures.extend(res.problems)
    b.state["pages"].pop(res.path, None)
    for old in (target, pdf):  # an old page would show last build's numbers as this build's
        if old.exists():
            old.unlink()
    if res.failed_notebook is not None:
        files.write_text(failed, res.failed_notebook)
        failures.append(Problem(display_path(failed), "", "",
                                "保留了出错的笔记本（含 papermill 的出错说明），可在 JupyterLab 中打开查看"))


def _finish(out: Path, b: _SchemeYearBuild, wanted: set[str] | None, pdf: bool) -> None:
    """Remove pages of units no longer in the data; write the Word documents and the
    scheme-year's index page."""
    root = out / b.sy.root
    if wanted is None:
        for page in sorted((root / "units").glob("*.html")):
            rel = page.relative_to(out).as_posix()
            if rel not in b.planned:
                page.unlink()
                pdf_page = out / pdf_path(rel)
                if pdf_page.exists():
                    pdf_page.unlink()
                b.changed = True
        for rel in [p for p in b.state["pages"] if p not in b.planned]:
            b.state["pages"].pop(rel)
    index_path = out / b.sy.index
    documents = [out / b.sy.bulletin_docx, out / b.sy.rubric_docx, out / b.sy.rubric_xlsx]
    if not b.changed and index_path.exists() and all(d.exists() == pdf for d in documents):
        return
    data = b.data if b.data is not None else read_scores(out / b.sy.data, b.rubric)
    _office_documents(out, b, pdf)
    built = {p for p in b.planned if (out / p).exists()}
    built |= {p.relative_to(out).as_posix() for p in (root / "units").glob("*.html")} \
        if (root / "units").is_dir() else set()
    built |= {str(pdf_path(p)) for p in built if (out / pdf_path(p)).exists()}
    built |= {str(d) for d in (b.sy.bulletin_docx, b.sy.rubric_docx, b.sy.rubric_xlsx)
              if (out / d).exists()}
    index.write(index_path, index.scheme_year_page(b.sy, data, built))
    index.write(out / b.sy.data / index.MANIFEST, index.manifest(b.sy, data))
    b.save()


def _office_documents(out: Path, b: _SchemeYearBuild, pdf: bool) -> None:
    """The Word bulletin and the rubric attachment (Word and Excel), made from the score
    tables and the rubric, not from the pages; removed in a build without them."""
    from .word import write_bulletin_docx, write_rubric_attachment

    targets = [out / b.sy.bulletin_docx, out / b.sy.rubric_docx, out / b.sy.rubric_xlsx]
    if not pdf:
        for t in targets:
            if t.exists():
                t.unlink()
        return
    full = read_scores(out / b.sy.data, b.rubric)
    write_bulletin_docx(targets[0], full)
    write_rubric_attachment(targets[1], targets[2], b.rubric)


def _check_units(paths: Sequence[Path], wanted: set[str]) -> None:
    """Every id given with --units must be a unit of at least one scheme-year built."""
    from ..dataset import default_data_dir, read_csv_text

    seen: set[str] = set()
    for path in paths:
        loaded = load_rubric(path)
        units_csv = default_data_dir(path, loaded.rubric) / "units.csv"
        if units_csv.exists():
            seen |= set(read_csv_text(units_csv, display_path(units_csv))["unit_id"])
    unknown = sorted(wanted - seen)
    if unknown:
        raise KaoheError([Problem("--units", "", "", f"单位“{u}”不在所选方案年度的 units.csv 中")
                          for u in unknown])
