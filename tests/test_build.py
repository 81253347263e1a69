"""kaohe build at scale: warm kernels isolate reports, keys skip unchanged pages, failures
stay with their page, a killed build leaves whole files, Dask renders the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kaohe.errors import KaoheError
from kaohe.report.build import FAILED_DIR, build
from kaohe.report.data import prepare, read_scores
from kaohe.report.plan import SchemeYear, pages
from kaohe.report.progress import Progress
from kaohe.report.views import unit_digests, unit_view, view_digest
from kaohe.report.worker import PageTask, Renderer, RenderOptions
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
SCHEME = "changshou-rural"
UNITS = ["fengcheng", "yanjia", "jiangnan", "duzhou"]
YEAR_PAGES = 2  # a scheme-year's bulletin and its internal page (考核办内部分析)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of one scheme's rubric, data and notebooks, free to change."""
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    shutil.copytree(ROOT / "params" / SCHEME, tmp_path / "params" / SCHEME)
    shutil.copytree(ROOT / "data" / SCHEME, tmp_path / "data" / SCHEME)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    return tmp_path


def _params(project: Path) -> Path:
    return project / "params" / SCHEME / "2023.yaml"


def _build(project: Path, **kw):
    kw.setdefault("units", UNITS)
    kw.setdefault("jobs", 1)
    kw.setdefault("pdf", False)  # print documents: tests/test_print.py
    return build([_params(project)], project / "out", notebooks=project / "notebooks", **kw)


def _pages(out: Path) -> dict[str, bytes]:
    """The finished pages under `out`; a build's staging files (`.kaohe-tmp-*`) are not pages
    and may vanish while a running build renames them into place."""
    pages = {}
    for p in sorted(out.rglob("*.html")):
        if p.name.startswith(".kaohe-tmp-"):
            continue
        try:
            pages[p.relative_to(out).as_posix()] = p.read_bytes()
        except FileNotFoundError:  # replaced between listing and reading
            continue
    return pages


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _edit_note(project: Path, unit: str, new: str) -> None:
    """Change the note of the unit's first observation (its reasons change, no points)."""
    path = project / "data" / SCHEME / "2023" / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.startswith(unit + ","))
    head, _, _ = lines[i].rstrip("\n").rpartition(",")
    lines[i] = f"{head},{new}\n"
    path.write_text("".join(lines), encoding="utf-8")


# -- warm kernels --------------------------------------------------------------------------

def test_warm_kernel_pages_equal_fresh_ones_in_any_order(tmp_path):
    """The same page, byte for byte, from a fresh kernel per page and from reused kernels
    (reversed order, restarted every 2 pages, so pages follow each other in one kernel)."""
    params = ROOT / "params" / SCHEME / "2023.yaml"
    scores = tmp_path / "scores"
    prepare(params, scores)
    sy = SchemeYear(SCHEME, "2023", load_rubric(params).rubric.title)
    chosen = [(u, u) for u in UNITS]
    tasks = [PageTask(str(ROOT / "notebooks" / p.notebook), p.parameters, p.title,
                      p.resources(), str(p.path), "") for p in pages(sy, params, scores, chosen)]
    fresh = Renderer(RenderOptions(fresh=True))
    warm = Renderer(RenderOptions(restart_every=2))
    try:
        a = {t.path: fresh.render(t) for t in tasks}
        b = {t.path: warm.render(t) for t in reversed(tasks)}
        assert warm.kernel.starts == 3  # 5 pages, a new kernel every 2
    finally:
        fresh.close()
        warm.close()
    assert all(r.ok for r in a.values()) and all(r.ok for r in b.values())
    assert {p: r.html for p, r in a.items()} == {p: r.html for p, r in b.items()}


def test_a_report_that_changes_the_kernel_does_not_change_the_next(tmp_path):
    """A notebook that leaves globals, rcParams, warnings filters and a new cwd behind: the
    next page in the same kernel is the page a fresh kernel makes."""
    params = ROOT / "params" / SCHEME / "2023.yaml"
    scores = tmp_path / "scores"
    prepare(params, scores)
    messy = json.loads((ROOT / "notebooks" / "unit.ipynb").read_text(encoding="utf-8"))
    messy["cells"].append({"cell_type": "code", "id": "messy", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": [
                               "import os, warnings, matplotlib\n",
                               "matplotlib.rcParams['font.size'] = 30\n",
                               "warnings.simplefilter('ignore')\n",
                               "os.chdir('/')\n",
                               "present = None\n"]})
    (tmp_path / "messy.ipynb").write_text(json.dumps(messy), encoding="utf-8")
    sy = SchemeYear(SCHEME, "2023", "t")
    unit = pages(sy, params, scores, [("yanjia", "yanjia")])[1]
    page = PageTask(str(ROOT / "notebooks" / "unit.ipynb"), unit.parameters, unit.title,
                    unit.resources(), "a", "")
    dirty = PageTask(str(tmp_path / "messy.ipynb"), unit.parameters, unit.title,
                     unit.resources(), "b", "")
    warm, fresh = Renderer(RenderOptions()), Renderer(RenderOptions(fresh=True))
    try:
        assert warm.render(dirty).ok
        after = warm.render(page)
        assert warm.kernel.starts == 1
        expected = fresh.render(page)
    finally:
        warm.close()
        fresh.close()
    assert after.ok and after.html == expected.html


# -- incremental builds --------------------------------------------------------------------

def test_unchanged_inputs_render_nothing_and_one_unit_renders_itself_and_the_bulletin(project):
    first = _build(project)
    assert (first.rendered, first.kept, first.scored) == (len(UNITS) + YEAR_PAGES, 0, 1)
    before = _pages(project / "out")
    again = _build(project)
    assert (again.rendered, again.kept, again.scored) == (0, len(UNITS) + YEAR_PAGES, 0)
    assert _pages(project / "out") == before

    _edit_note(project, "yanjia", "材料已补充（复核）")
    third = _build(project)
    assert (third.rendered, third.kept, third.scored) == (1 + YEAR_PAGES, len(UNITS) - 1, 1)
    after = _pages(project / "out")
    changed = {p for p in after if after[p] != before[p]}
    assert {f"{SCHEME}/2023/units/yanjia.html", f"{SCHEME}/2023/bulletin.html"} <= changed
    assert "材料已补充（复核）" in after[f"{SCHEME}/2023/units/yanjia.html"].decode()
    for u in set(UNITS) - {"yanjia"}:
        assert after[f"{SCHEME}/2023/units/{u}.html"] == before[f"{SCHEME}/2023/units/{u}.html"]


def _save_as_jupyterlab_would(nb_path: Path) -> None:
    """Outputs, execution counts, cell metadata and notebook metadata, as after a run and a
    save in JupyterLab; the markdown note edited too (it is not part of a page)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for n, cell in enumerate(nb["cells"], start=1):
        cell.setdefault("metadata", {})["collapsed"] = False
        cell["metadata"]["execution"] = {"iopub.status.idle": "2026-11-27T10:00:00.000Z"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
            cell["outputs"] = [{"output_type": "execute_result", "execution_count": n,
                                "metadata": {}, "data": {"text/plain": [f"'{n}'"]}}]
        else:
            cell["source"] = ["# 单位考核结果反馈（已在 JupyterLab 中打开）\n"]
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7"}
    nb["metadata"]["widgets"] = {"state": {}}
    nb_path.write_text(json.dumps(nb, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_changed_notebook_or_force_renders_again(project):
    _build(project)
    assert _build(project, force=True).rendered == len(UNITS) + YEAR_PAGES
    nb = project / "notebooks" / "unit.ipynb"
    original = nb.read_bytes()
    _save_as_jupyterlab_would(nb)
    saved = _build(project)
    assert (saved.rendered, saved.kept) == (0, len(UNITS) + YEAR_PAGES)
    nb.write_bytes(original)
    assert _build(project).rendered == 0
    cells = json.loads(original)
    code = next(c for c in cells["cells"] if c["cell_type"] == "code"
                and "parameters" not in c["metadata"].get("tags", []))
    code["source"] = ["# 说明：本行只改代码单元格\n", *code["source"]]
    nb.write_text(json.dumps(cells, ensure_ascii=False, indent=1), encoding="utf-8")
    again = _build(project)
    assert (again.rendered, again.kept, again.scored) == (len(UNITS), YEAR_PAGES, 0)


def test_a_notebook_saved_in_jupyterlab_gives_the_same_page_bytes(project):
    """The key may ignore outputs and metadata only because the pages ignore them too."""
    _build(project, units=UNITS[:1])
    before = _pages(project / "out")
    _save_as_jupyterlab_would(project / "notebooks" / "unit.ipynb")
    _build(project, units=UNITS[:1], force=True)
    assert _pages(project / "out") == before


def test_unit_digest_is_the_digest_of_its_view_in_every_scheme(tmp_path):
    for params in ["changshou-rural/2023", "sichuan-poverty/2018", "guangyuan-reform/2022",
                   "anfu-reform/2017", "guangyuan-reform/2021-Q2"]:
        path = ROOT / "params" / f"{params}.yaml"
        prepare(path, tmp_path / params)
        data = read_scores(tmp_path / params, load_rubric(path).rubric)
        digests = unit_digests(data)
        assert len(set(digests.values())) == len(digests) == len(data.totals)
        for u in data.unit_ids():
            assert view_digest(unit_view(data, u), u) == digests[u], (params, u)


def test_unit_view_holds_the_group_points_but_not_other_units_reasons(tmp_path):
    path = ROOT / "params" / SCHEME / "2023.yaml"
    prepare(path, tmp_path)
    data = read_scores(tmp_path, load_rubric(path).rubric)
    view = unit_view(data, "yanjia")
    assert set(view.lines["unit_id"]) == {"yanjia"} and set(view.details["unit_id"]) == {"yanjia"}
    assert "data_sha256" not in view.provenance
    assert view.totals["total"].notna().sum() == 1  # peers: which group, not their scores
    top = view.nodes[view.nodes["node_id"].isin(data.top_ids)]
    assert len(top) == len(data.nodes[data.nodes["node_id"].isin(data.top_ids)])
    before = unit_digests(data)
    # another unit's reason text: not in yanjia's view
    lines = data.lines.copy()
    lines.loc[lines["unit_id"] == "fengcheng", "text"] = "改过"
    import dataclasses

    after = unit_digests(dataclasses.replace(data, lines=lines))
    assert after["yanjia"] == before["yanjia"] and after["fengcheng"] != before["fengcheng"]
    # another unit's first-level points move the group mean: in every view
    nodes = data.nodes.copy()
    first = (nodes["unit_id"] == "fengcheng") & nodes["node_id"].isin(data.top_ids)
    nodes.loc[nodes.index[first][0], "earned"] -= 0.5
    after = unit_digests(dataclasses.replace(data, nodes=nodes))
    assert all(after[u] != before[u] for u in before)


# -- failures ------------------------------------------------------------------------------

def _break_unit_notebook(project: Path, unit: str) -> None:
    nb_path = project / "notebooks" / "unit.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"].insert(3, {"cell_type": "code", "id": "broken", "metadata": {}, "outputs": [],
                           "execution_count": None,
                           "source": [f"if unit_id == {unit!r}:\n",
                                      "    raise ValueError('故意出错')\n"]})
    nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_a_failing_page_keeps_its_notebook_and_the_others_are_built(project):
    _build(project)
    out = project / "out" / SCHEME / "2023"
    assert (out / "units" / "jiangnan.html").exists()
    good = (project / "notebooks" / "unit.ipynb").read_bytes()
    _break_unit_notebook(project, "jiangnan")
    with pytest.raises(KaoheError) as err:
        _build(project)
    text = "\n".join(str(p) for p in err.value.problems)
    assert "ValueError: 故意出错" in text and "jiangnan" in text
    failed = out / FAILED_DIR / "units" / "jiangnan.ipynb"
    kept = json.loads(failed.read_text(encoding="utf-8"))
    assert "papermill-error-cell-tag" in kept["cells"][0]["metadata"]["tags"]
    assert not (out / "units" / "jiangnan.html").exists()  # no stale page passed off as new
    for u in set(UNITS) - {"jiangnan"}:
        assert (out / "units" / f"{u}.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="units/jiangnan.html"' not in index and 'href="units/yanjia.html"' in index
    # fixed: only the failed page (and the pages of the restored notebook) render again
    (project / "notebooks" / "unit.ipynb").write_bytes(good)
    again = _build(project)
    assert again.failed == 0 and (out / "units" / "jiangnan.html").exists()
    assert not failed.exists()


def test_cli_exits_non_zero_with_the_list_of_failures(project):
    """Through the command line, with a fresh kernel per page (the audited path)."""
    _break_unit_notebook(project, "duzhou")
    proc = subprocess.run(
        [sys.executable, "-m", "kaohe", "build", str(_params(project)), "--out",
         str(project / "out"), "--units", ",".join(UNITS), "--jobs", "1", "--notebooks",
         str(project / "notebooks"), "--fresh-kernels"], capture_output=True, text=True,
        cwd=project)
    assert proc.returncode == 1
    assert "故意出错" in proc.stdout + proc.stderr
    assert "failed/units/duzhou.ipynb" in proc.stdout + proc.stderr
    kept = json.loads((project / "out" / SCHEME / "2023" / FAILED_DIR / "units" /
                       "duzhou.ipynb").read_text(encoding="utf-8"))
    assert "papermill-error-cell-tag" in kept["cells"][0]["metadata"]["tags"]
    assert len(list((project / "out" / SCHEME / "2023" / "units").glob("*.html"))) == 3


# -- a killed build ------------------------------------------------------------------------

def test_a_killed_build_leaves_every_file_whole(project, monkeypatch):
    """Kill a build (and its kernels) while it writes pages: each page is the previous
    build's or a complete new one, and the next build finishes the job."""
    monkeypatch.chdir(project)  # paths in provenance are shown relative to the cwd
    _build(project, units=None)
    out = project / "out"
    before = _pages(out)
    rubric = _params(project)
    rubric.write_text(rubric.read_text(encoding="utf-8").replace("title: ", "title: 修订版", 1),
                      encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kaohe", "build", str(rubric), "--out", str(out), "--jobs", "1",
         "--notebooks", str(project / "notebooks")], cwd=project, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    written = {p: _inode(out / p) for p in before}  # a page is replaced by a rename
    try:
        deadline = time.monotonic() + 300  # a loaded machine starts kernels slowly
        while time.monotonic() < deadline:
            if sum(_inode(out / p) != i for p, i in written.items()) >= 3:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the build wrote no page in time")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    now = _pages(out)
    assert set(now) == set(before)
    new = [p for p in now if now[p] != before[p]]
    old = [p for p in now if now[p] == before[p]]
    assert new and old, "killed in the middle"
    for p in new:
        assert now[p].rstrip().endswith(b"</html>") and "修订版".encode() in now[p]
    result = build([rubric], out, notebooks=project / "notebooks", jobs=1)
    assert result.rendered >= len(old)  # at least the pages the killed build had not written
    assert not list(out.rglob(".kaohe-tmp-*"))
    clean = project / "clean"
    build([rubric], clean, notebooks=project / "notebooks", jobs=1)
    assert _pages(out) == _pages(clean)


# -- Dask ----------------------------------------------------------------------------------

def test_dask_cluster_renders_the_same_pages(project):
    from distributed import LocalCluster

    local = _build(project, units=UNITS[:3])
    assert local.rendered == 3 + YEAR_PAGES
    expected = _pages(project / "out")
    shutil.rmtree(project / "out")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = _build(project, units=UNITS[:3], executor="dask",
                        scheduler=cluster.scheduler_address, batch=2)
    assert (result.rendered, result.failed) == (3 + YEAR_PAGES, 0)
    assert _pages(project / "out") == expected


def test_dask_needs_a_scheduler(project):
    with pytest.raises(KaoheError, match="调度器"):
        _build(project, executor="dask")


# -- progress ------------------------------------------------------------------------------

def test_progress_prints_plain_lines_off_a_terminal():
    lines: list[str] = []
    bar = Progress(lines.append, enabled=False)
    bar.add(4)
    for _ in range(4):
        bar.advance()
    bar.close()
    assert lines[-1].startswith("进度 4/4（100%），已用 ")


def test_atomic_writes_keep_the_old_file_and_sweep_removes_leftovers(tmp_path):
    from kaohe.report import files

    target = tmp_path / "a" / "page.html"
    files.write_text(target, "旧")
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text("半", encoding="utf-8")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "旧"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
    # what a SIGKILL leaves: a temporary file and a staging directory with tables in it
    (tmp_path / "a" / f"{files.TMP_PREFIX}x.html").write_text("半", encoding="utf-8")
    staging = tmp_path / f"{files.TMP_PREFIX}data"
    staging.mkdir()
    (staging / "totals.csv").write_text("unit_id\n", encoding="utf-8")
    assert files.sweep(tmp_path) == 2
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "a", "a/page.html"]


def test_a_warm_kernel_reads_a_scheme_year_once_until_its_files_change(tmp_path):
    from kaohe.report import data as report_data
    from kaohe.report import files

    params = ROOT / "params" / SCHEME / "2023.yaml"
    prepare(params, tmp_path)
    first = report_data.load(params, tmp_path)
    assert report_data.load(params, tmp_path) is first
    totals = tmp_path / "totals.csv"
    files.write_bytes(totals, totals.read_bytes().replace("凤城街道".encode(), "凤城".encode()))
    again = report_data.load(params, tmp_path)
    assert again is not first and "凤城" in set(again.totals["name"])


# -- one build per output folder; Ctrl-C --------------------------------------------------------


def _as_a_shell_starts_it() -> None:
    """A command started from a shell has Ctrl-C at its default and no signal blocked; a
    child of the test process would inherit whatever the test process has (an ignored or
    blocked SIGINT makes Python install no KeyboardInterrupt handler)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli_build(project: Path, out: Path, *extra: str, units: list[str] | None = UNITS
               ) -> subprocess.Popen:
    chosen = ["--units", ",".join(units)] if units else []
    return subprocess.Popen(
        [sys.executable, "-m", "kaohe", "build", str(_params(project)), "--out", str(out),
         "--notebooks", str(project / "notebooks"), *chosen, *extra],
        cwd=project, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=_as_a_shell_starts_it)


def test_a_second_build_into_the_same_folder_is_refused(project, tmp_path):
    """Two checkouts with different data build into one folder: the second is refused,
    naming the first, and the folder holds the first build's pages only."""
    other = tmp_path / "checkout-2"
    shutil.copytree(project, other)
    _edit_note(other, "fengcheng", "另一份数据")
    out = tmp_path / "shared-out"
    first = _cli_build(project, out, "--jobs", "1")
    try:
        deadline = time.monotonic() + 60
        while not ((out / ".kaohe" / "lock").exists() and (out / ".kaohe" / "lock").read_text()):
            assert time.monotonic() < deadline and first.poll() is None, "no lock taken"
            time.sleep(0.05)
        second = _cli_build(other, out, "--jobs", "1")
        _, err = second.communicate(timeout=120)
        assert second.returncode == 1
        assert f"输出目录正被另一次运行使用：kaohe build {_params(project)}（进程 {first.pid}，" in err
        assert f"工作目录 {project}）" in err
        assert first.wait(timeout=300) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    pages = _pages(out)
    assert pages and not any("另一份数据".encode() in b for b in pages.values())


def test_ctrl_c_prints_one_line_and_the_next_build_equals_a_clean_one(project, monkeypatch):
    monkeypatch.chdir(project)  # paths in provenance are shown relative to the cwd
    out = project / "out"
    # every unit (21 pages): with four, a loaded machine could finish the build between the
    # first page and the signal
    proc = _cli_build(project, out, "--jobs", "2", units=None)
    deadline = time.monotonic() + 180
    while not _pages(out):
        assert time.monotonic() < deadline and proc.poll() is None, "no page written in time"
        time.sleep(0.05)
    # what the test process has (a child inherits an ignored or blocked SIGINT): said if
    # the build does not stop
    here = (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, []))
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, (err, here, sorted(_pages(out)))
    assert err == ("已中断（Ctrl-C）：已生成的报告完整保留，未完成的没有写入；再次运行同一命令即可补齐\n"), err
    assert not list(out.rglob(".kaohe-tmp-*"))
    build([_params(project)], out, notebooks=project / "notebooks", jobs=2)
    clean = project / "clean"
    build([_params(project)], clean, notebooks=project / "notebooks", jobs=2)
    assert _pages(out) == _pages(clean)
