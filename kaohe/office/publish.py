"""``kaohe publish``: freeze a numbered, dated version of a scheme-year's results.

``DIR/<scheme>/<key>/v<N>/`` holds

- ``input/params/<scheme>/<key>.yaml`` and ``input/data/<scheme>/<key>/``: the rubric and
  the data directory as published (with any earlier years or period rubrics they read),
  laid out like the repository, so scoring them again needs no other file;
- ``scores/``: the score tables and results.xlsx, scored from ``input/`` (run from inside
  it, so the tables are the bytes ``kaohe score`` gives in the repository);
- ``pages/``: every page the build produced (index, bulletin, unit reports, data, style);
- ``correction.csv`` and ``correction.html`` from the second version on;
- ``internal/office.html``: returns, appeals and the log (for the office, not for units);
- ``manifest.json``: the SHA-256 of every other file, the version, the code commit, the
  publication time, the note and the appeals cited.

A version is staged in a hidden folder beside it and renamed into place whole; an existing
version is never written to. The publication time lives in the manifest and the log only:
pages and score tables stay reproducible byte for byte. ``versions.json`` and
``index.html`` beside the versions list them (with each manifest's SHA-256).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import __version__
from ..dataset import default_data_dir
from ..errors import KaoheError, Problem, display_path
from ..pipeline import Run, git_commit, run, write_scores
from . import auditlog, corrections
from .appeals import read_appeals, unchanged_upheld
from .appeals import table as appeals_table
from .returns import status

MANIFEST = "manifest.json"
VERSIONS = "versions.json"
INPUT, SCORES, PAGES, INTERNAL = "input", "scores", "pages", "internal"


@dataclass(frozen=True)
class Published:
    """A version just frozen."""

    path: Path
    version: int
    manifest: dict
    correction: pd.DataFrame


def version_dirs(root: Path) -> list[tuple[int, Path]]:
    """(N, path) of the versions under a scheme-year's publication folder, oldest first."""
    out = []
    if root.is_dir():
        for p in root.iterdir():
            if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit():
                out.append((int(p.name[1:]), p))
    return sorted(out)


def read_manifest(vdir: Path) -> dict:
    return json.loads((vdir / MANIFEST).read_text(encoding="utf-8"))


def input_rubric(vdir: Path, manifest: dict) -> Path:
    return vdir / INPUT / "params" / manifest["scheme"] / f"{manifest['key']}.yaml"


def rescore(input_root: Path, scheme: str, key: str, out: Path) -> Run:
    """Score the archived rubric and data from inside ``input_root`` (relative paths, as in
    the repository) and write the score tables into ``out``."""
    out = out.resolve()
    with contextlib.chdir(input_root):
        result = run(Path("params") / scheme / f"{key}.yaml")
        write_scores(result, out, excel=True)
    return result


def _inputs(result: Run, params: Path) -> list[tuple[Path, Path]]:
    """(rubric, data directory) of the run, of every run it read (earlier years, periods),
    and of the scheme's earlier years beside it, whose results the reports show as a trend
    and whose rubric they compare with."""
    from ..report.data import TREND_YEARS
    from ..rubric import load_rubric

    seen: dict[str, tuple[Path, Path]] = {}

    def add(r: Run, path: Path) -> None:
        key = str(path.resolve())
        if key in seen:
            return
        seen[key] = (path, Path(r.data.directory))
        for sub in (*r.earlier, *r.periods):
            add(sub, path.parent / Path(sub.loaded.path).name)

    add(result, params)
    year = result.loaded.rubric.year
    for other in sorted(params.parent.glob("*.yaml")):
        head = other.stem.split("-", 1)[0]
        if str(other.resolve()) in seen or not head.isdigit() \
                or not year - TREND_YEARS <= int(head) <= year:
            continue
        try:
            data = default_data_dir(other, load_rubric(other).rubric)
        except KaoheError:
            continue
        if data.is_dir():
            seen[str(other.resolve())] = (other, data)
    return list(seen.values())


def _copy_inputs(result: Run, params: Path, scheme: str, target: Path) -> None:
    for rubric, data in _inputs(result, params):
        dest = target / "params" / scheme / rubric.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rubric, dest)
        shutil.copytree(data, target / "data" / scheme / rubric.stem)


def hashes(vdir: Path) -> dict[str, str]:
    """SHA-256 of every file of a version but its manifest, by relative path."""
    return {p.relative_to(vdir).as_posix(): auditlog.file_sha256(p)
            for p in sorted(vdir.rglob("*"))
            if p.is_file() and p.relative_to(vdir).as_posix() != MANIFEST}


def refusals(params: Path, data_dir: Path | None, root: Path) -> tuple[Run | None, list[Problem]]:
    """Everything that stops a publication, all of it: validation, returns, appeals."""
    from ..rubric import load_rubric

    problems: list[Problem] = []
    result: Run | None = None
    try:
        result = run(params, data_dir)
    except KaoheError as exc:
        problems += exc.problems
    try:
        rubric = load_rubric(params).rubric
    except KaoheError:
        return None, problems
    directory = Path(data_dir) if data_dir else default_data_dir(params, rubric)
    st = status(rubric, directory)
    problems += st.problems
    shown = display_path(directory / "returns.csv")
    for dept, lines in st.lacking().items():
        what = "、".join(f"{x.indicator_id} {x.name}（{x.state}）" for x in lines)
        problems.append(Problem(shown, "", "", f"材料未齐，不能发布：{dept} 尚缺 {what}"))
    versions = version_dirs(root)
    if versions:
        cited = _cited(versions)
        new = [a for a in read_appeals(directory) if a.decision and a.key not in cited]
        last = versions[-1][1]
        problems += unchanged_upheld(new, directory,
                                     last / INPUT / "data" / rubric.scheme / params.stem)
    return result, problems


def _cited(versions: list[tuple[int, Path]]) -> set[str]:
    out: set[str] = set()
    for _, v in versions:
        out |= {a["key"] for a in read_manifest(v).get("appeals", [])}
    return out


def publish(params: Path | str, out: Path | str, *, note: str = "",
            data_dir: Path | str | None = None, now: dt.datetime | None = None,
            log: Callable[[str], None] = lambda _: None, jobs: int | None = None) -> Published:
    """Publish the next version, or raise KaoheError listing every reason it cannot be."""
    params = Path(params)
    data_dir = Path(data_dir) if data_dir else None
    from ..rubric import load_rubric

    loaded = load_rubric(params)
    scheme, key = loaded.rubric.scheme, params.stem
    root = Path(out) / scheme / key
    result, problems = refusals(params, data_dir, root)
    if problems or result is None:
        raise KaoheError(problems)
    rubric = result.loaded.rubric
    directory = data_dir or default_data_dir(params, rubric)
    versions = version_dirs(root)
    number = versions[-1][0] + 1 if versions else 1
    previous = versions[-1][1] if versions else None
    when = now or dt.datetime.now().astimezone()
    published = auditlog.now_text(when)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".v{number}-", dir=root))
    try:
        _copy_inputs(result, params, scheme, staging / INPUT)
        log(f"已归档评分细则和数据（{display_path(directory)}）")
        rescored = rescore(staging / INPUT, scheme, key, staging / SCORES)
        log(f"已计分：{len(rescored.scores.totals)} 个单位")
        names = dict(zip(rescored.scores.totals["unit_id"], rescored.scores.totals["name"],
                         strict=True))
        appeals = read_appeals(staging / INPUT / "data" / scheme / key)
        cited = _cited(versions)
        decided = [a.as_dict(rubric, names) for a in appeals if a.decision and a.key not in cited]
        correction = None
        if previous is not None:
            why: dict[str, str] = {}
            for a in decided:
                why.setdefault(a["unit_id"], "")
                why[a["unit_id"]] += ("；" if why[a["unit_id"]] else "") + \
                    f"{a['received']}申诉（{a['indicator']}）复核决定{a['decision']}：{a['reason']}"
            correction = corrections.compare(
                rubric, corrections.read_totals(previous / SCORES / "totals.csv"),
                corrections.read_totals(staging / SCORES / "totals.csv"), why, note)
        _build_pages(staging, scheme, key, correction, jobs, log)
        if correction is not None:
            corrections.write_csv(correction, staging / corrections.CORRECTION_CSV)
            (staging / corrections.CORRECTION_HTML).write_text(corrections.notice_html(
                correction, title=rubric.title, version=number, previous=number - 1, note=note, appeals=decided,
                css=f"{PAGES}/static/kaohe.css", authority=rubric.authority,
                sample=rescored.data.sample), encoding="utf-8")
        _internal_page(staging, rubric, directory, appeals_table(appeals, rubric, names),
                       rescored.data.sample)
        manifest = {
            "scheme": scheme, "key": key, "year": rubric.year, "title": rubric.title,
            "version": number, "previous": number - 1 if previous else None,
            "published_at": published, "note": note, "commit": git_commit(),
            "kaohe_version": __version__, "rubric_sha256": rescored.loaded.sha256,
            "data_sha256": rescored.data.hashes, "sample_data": rescored.data.sample,
            "appeals": decided,
            "corrected_units": sorted(set(correction["unit_id"])) if correction is not None else [],
            "files": hashes(staging),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2,
                                                   sort_keys=True) + "\n", encoding="utf-8")
        target = root / f"v{number}"
        try:
            os.rename(staging, target)  # whole or absent; fails if the version appeared meanwhile
        except OSError as exc:
            raise KaoheError([Problem(display_path(target), "", "",
                                      f"第{number}版已存在（另一次发布刚刚写出？），未覆盖：请重新运行"
                                      f"（{exc.strerror}）")]) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for p in target.rglob("*"):  # frozen: its files read-only on disk as well
        if p.is_file():
            p.chmod(p.stat().st_mode & ~0o222)
    manifest_sha = auditlog.file_sha256(target / MANIFEST)
    _write_versions(root, rubric, number, manifest, manifest_sha)
    auditlog.append(directory, "publish" if previous is None else "correction", "accepted",
                    files=[target / MANIFEST], now=when,
                    counts={"files": len(manifest["files"]),  # type: ignore[arg-type]
                            "units": len(names),
                            "changed_units": len(manifest["corrected_units"])},  # type: ignore[arg-type]
                    version=number, path=display_path(target), note=note,
                    appeals=[a["key"] for a in decided], manifest_sha256=manifest_sha)
    return Published(target, number, manifest,
                     correction if correction is not None else pd.DataFrame(columns=corrections.COLUMNS))


def _build_pages(staging: Path, scheme: str, key: str, correction: pd.DataFrame | None,
                 jobs: int | None, log: Callable[[str], None]) -> None:
    """Every page, built from the archived inputs (inside them, so the pages read as the
    repository's build would), into ``pages/`` without the build records."""
    from ..report.build import STATE_DIR, build, default_notebooks

    notebooks = default_notebooks().resolve()
    build_dir = (staging / "_build").resolve()
    with corrections.pending(correction), contextlib.chdir(staging / INPUT):
        build([Path("params") / scheme / f"{key}.yaml"], build_dir, notebooks=notebooks,
              jobs=jobs, log=log)
    shutil.rmtree(build_dir / STATE_DIR, ignore_errors=True)
    os.rename(build_dir, staging / PAGES)


def _internal_page(staging: Path, rubric, directory: Path, appeals: pd.DataFrame,
                   sample: bool) -> None:
    """For the office: returns at publication, every appeal, the log so far."""
    from .pages import grid, heading, page, para
    from .returns import status as returns_status

    st = returns_status(rubric, staging / INPUT / "data" / rubric.scheme / directory.name)
    body = [para("本页供考核办内部使用，不发送被考核单位。"), heading("材料报送")]
    body.append(grid(["责任单位", "指标", "状态", "名称", "说明"], nowrap=3, rows=
                     [[x.department, x.indicator_id, x.state, x.name, x.detail] for x in st.lines]))
    body.append(heading("申诉与复核"))
    body.append(grid(["单位", "指标", "收到", "申诉事项", "决定", "决定人", "决定日期", "理由"],
                     appeals[["unit", "indicator", "received", "claim", "decision", "decided_by",
                              "decided", "reason"]].to_numpy().tolist())
                if len(appeals) else para("无申诉。"))
    body.append(heading("操作日志"))
    entries = auditlog.read(staging / INPUT / "data" / rubric.scheme / directory.name)
    body.append(grid(["时间", "操作", "结果", "文件", "计数"],
                     [[e.get("time", ""), e.get("command", ""), e.get("outcome", ""),
                       "、".join(f"{f['file']}（{f['sha256'][:12]}）" for f in e.get("files", [])),
                       "，".join(f"{k} {v}" for k, v in (e.get("counts") or {}).items())]
                      for e in entries]) if entries else para("日志为空。"))
    target = staging / INTERNAL / "office.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(f"{rubric.title}　内部：报送、申诉与日志", f"{rubric.title}（内部）",
                           "".join(body), f"../{PAGES}/static/kaohe.css",
                           authority=rubric.authority, sample=sample), encoding="utf-8")


def _write_versions(root: Path, rubric, number: int, manifest: dict, manifest_sha: str) -> None:
    """versions.json and index.html beside the versions: every version, newest last."""
    from .pages import grid, page, para

    path = root / VERSIONS
    listed = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    listed = [v for v in listed if v.get("version") != number]
    listed.append({"version": number, "published_at": manifest["published_at"],
                   "note": manifest["note"], "manifest_sha256": manifest_sha,
                   "corrected_units": len(manifest["corrected_units"])})
    listed.sort(key=lambda v: v["version"])
    tmp = path.with_name(f".{VERSIONS}.tmp")
    tmp.write_text(json.dumps(listed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    from ..report.html import esc, tag

    rows, links = [], []
    for v in listed:
        n = v["version"]
        corr = f"更正 {v['corrected_units']} 个单位" if n > 1 else "首次发布"
        rows.append([f"第{n}版", v["published_at"], corr, v.get("note", "")])
        hrefs = [(f"v{n}/{PAGES}/index.html", "报告"), (f"v{n}/{MANIFEST}", "清单")]
        if n > 1:
            hrefs.insert(1, (f"v{n}/{corrections.CORRECTION_HTML}", "更正通知"))
        links.append(tag("li", raw=esc(f"第{n}版：") + "、".join(
            f'<a href="{esc(h)}">{esc(t)}</a>' for h, t in hrefs)))
    body = (para("各版本均已冻结，不再修改；以最新版本为准。")
            + grid(["版本", "发布时间", "更正", "说明"], rows, nowrap=3)
            + tag("ul", raw="".join(links), cls="links"))
    html = page(f"{rubric.title}　发布版本", f"{rubric.title}　发布版本", body,
                f"v{number}/{PAGES}/static/kaohe.css", authority=rubric.authority,
                sample=bool(manifest.get("sample_data")))
    tmp = root / ".index.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, root / "index.html")


__all__ = ["publish", "Published", "version_dirs", "read_manifest", "rescore", "hashes",
           "refusals", "MANIFEST", "INPUT", "SCORES", "PAGES"]
