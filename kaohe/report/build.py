"""``kaohe build``: score each scheme-year once, execute its notebooks, export HTML pages
and write the index pages. The same inputs give byte-identical output trees."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KaoheError, Problem, display_path
from ..pipeline import Run
from ..rubric import load_rubric
from . import index
from .data import prepare, read_scores
from .execute import execute
from .export import STATIC, Exporter
from .plan import STYLESHEET, TOP_INDEX, SchemeYear, pages


def default_notebooks() -> Path:
    """``notebooks/`` of the working directory, else of the source checkout kaohe runs from."""
    here = Path.cwd() / "notebooks"
    if (here / "bulletin.ipynb").exists():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


@dataclass
class BuildResult:
    """What a build wrote: pages per kind, and the scheme-years built."""

    out: Path
    scheme_years: list[str] = field(default_factory=list)
    bulletins: int = 0
    units: int = 0
    sample: bool = False

    @property
    def reports(self) -> int:
        return self.bulletins + self.units


def _ordered(params: Sequence[Path]) -> list[Path]:
    """Scheme by scheme, earlier years first, so an earlier year scored for a trend is
    reused when its own turn comes; duplicates once."""
    uniq = {str(p.resolve()): p for p in params}
    return sorted(uniq.values(), key=lambda p: (p.parent.name, index._sort_key(p.stem)))


def build(params: Sequence[Path | str], out: Path | str, *, notebooks: Path | None = None,
          units: Collection[str] | None = None, jobs: int | None = 1,
          log: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Build the bulletin and the unit reports of every rubric file into ``out``.

    ``units`` limits the unit reports to those ids (the bulletin is always built).
    ``jobs`` pages are rendered at once in worker processes (None: one per core). A page
    that fails does not stop the others; every failure is reported at the end."""
    out = Path(out)
    nb_dir = notebooks or default_notebooks()
    for name in ("bulletin.ipynb", "unit.ipynb"):
        if not (nb_dir / name).exists():
            raise KaoheError([Problem(display_path(nb_dir / name), "", "", "找不到报告笔记本")])
    files = _ordered([Path(p) for p in params])
    wanted = set(units) if units else None
    if wanted is not None:
        _check_units(files, wanted)
    out.mkdir(parents=True, exist_ok=True)
    (out / STYLESHEET).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STATIC / "kaohe.css", out / STYLESHEET)
    exporter = Exporter()
    runs: dict[str, Run] = {}
    result = BuildResult(out)
    failures: list[Problem] = []
    pool = _pool(jobs)
    try:
        _build_files(files, out, nb_dir, wanted, runs, result, failures, pool, exporter, log)
    finally:
        if pool is not None:
            pool.shutdown()
    index.write(out / TOP_INDEX, index.top_page(out))
    if failures:
        raise KaoheError(failures)
    return result


def _build_files(files, out, nb_dir, wanted, runs, result, failures, pool, exporter, log):
    for path in files:
        started = time.monotonic()
        loaded = load_rubric(path)
        sy = SchemeYear(loaded.rubric.scheme, path.stem, loaded.rubric.title)
        root = out / sy.root
        if (out / sy.data / "provenance.json").exists():
            shutil.rmtree(root)  # a previous build of this scheme-year: no stale pages
        prepare(path, out / sy.data, runs)
        data = read_scores(out / sy.data, loaded.rubric)
        chosen = [(u, n) for u, n in zip(data.totals["unit_id"], data.totals["name"],
                                          strict=True) if wanted is None or u in wanted]
        built: set[str] = set()
        tasks = [(nb_dir / page.notebook, page.parameters, page.title, out / page.path,
                  page.resources()) for page in pages(sy, path, out / sy.data, chosen)]
        for (_, _, _, target, _), problems in zip(tasks, _render_all(tasks, pool, exporter),
                                                  strict=True):
            if problems:
                failures.extend(problems)
            else:
                built.add(str(target.relative_to(out).as_posix()))
        index.write(out / sy.index, index.scheme_year_page(sy, data, built))
        index.write(out / sy.data / index.MANIFEST, index.manifest(sy, data))
        result.scheme_years.append(str(sy.root))
        result.bulletins += 1
        result.units += len(chosen)
        result.sample |= data.sample
        log(f"{sy.root}：通报 1 份，单位反馈 {len(chosen)} 份"
            f"（{time.monotonic() - started:.1f} 秒）")


# -- rendering pages, in this process or in worker processes --------------------------------

_WORKER_EXPORTER: Exporter | None = None


def _render(task) -> list[Problem]:
    """Execute one page's notebook and write its HTML; the problems instead of raising, so
    one failing report does not stop the others."""
    global _WORKER_EXPORTER
    if _WORKER_EXPORTER is None:
        _WORKER_EXPORTER = Exporter()
    return _render_with(task, _WORKER_EXPORTER)


def _render_with(task, exporter: Exporter) -> list[Problem]:
    notebook, parameters, title, target, resources = task
    try:
        nb = execute(notebook, parameters, title)
        index.write(target, exporter.export(nb, resources))
    except KaoheError as exc:
        return list(exc.problems)
    return []


def _render_all(tasks, pool, exporter: Exporter):
    if pool is None:
        return [_render_with(t, exporter) for t in tasks]
    return list(pool.map(_render, tasks))


def _pool(jobs: int | None):
    """Worker processes for ``jobs`` > 1. Spawned, not forked: each worker starts its own
    kernels from its own process (kernels started from forked copies race for ports)."""
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    if n <= 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))


def _check_units(files: Sequence[Path], wanted: set[str]) -> None:
    """Every id given with --units must be a unit of at least one scheme-year built."""
    from ..dataset import default_data_dir, read_csv_text

    seen: set[str] = set()
    for path in files:
        loaded = load_rubric(path)
        units_csv = default_data_dir(path, loaded.rubric) / "units.csv"
        if units_csv.exists():
            seen |= set(read_csv_text(units_csv, display_path(units_csv))["unit_id"])
    unknown = sorted(wanted - seen)
    if unknown:
        raise KaoheError([Problem("--units", "", "", f"单位“{u}”不在所选方案年度的 units.csv 中")
                          for u in unknown])
