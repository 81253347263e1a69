"""``kaohe verify``: check a published version against itself, by anyone, at any time.

1. Every file's SHA-256 against manifest.json (a changed, missing or added file is named);
   the manifest's own SHA-256 against versions.json beside the versions, when present.
2. The archived rubric and data scored again (in a temporary copy: the version is never
   written to); every score table must be the same bytes as the archived one, and a table
   that differs is named with the units and columns whose numbers differ.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import KaoheError, Problem, display_path
from . import auditlog
from .publish import INPUT, MANIFEST, SCORES, VERSIONS, hashes, read_manifest, rescore

PROVENANCE_KEYS = ("scheme", "year", "period", "rubric_sha256", "data_sha256", "returns")


@dataclass
class Verified:
    """What was checked and what differs (empty: 一致)."""

    version: Path
    files: int = 0
    tables: int = 0
    differences: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(vdir: Path | str) -> Verified:
    vdir = Path(vdir)
    shown = display_path(vdir)
    if not (vdir / MANIFEST).is_file():
        raise KaoheError([Problem(shown, "", "", "不是发布版本目录（缺少 manifest.json）")])
    try:
        manifest = read_manifest(vdir)
        listed: dict[str, str] = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KaoheError([Problem(f"{shown}/{MANIFEST}", "", "", f"无法读取：{exc}")]) from exc
    out = Verified(vdir)
    out.differences += _manifest_listed(vdir, shown)
    got = hashes(vdir)
    out.files = len(listed)
    for rel in sorted(set(listed) | set(got)):
        where = f"{shown}/{rel}"
        if rel not in got:
            out.differences.append(Problem(where, "", "", "文件缺失（manifest.json 中有）"))
        elif rel not in listed:
            out.differences.append(Problem(where, "", "", "多出的文件（manifest.json 中没有）"))
        elif got[rel] != listed[rel]:
            out.differences.append(Problem(where, "", "", f"SHA-256 不一致：应为 {listed[rel]}，"
                                                          f"实为 {got[rel]}"))
    out.differences += _rescored(vdir, shown, manifest, out)
    return out


def _manifest_listed(vdir: Path, shown: str) -> list[Problem]:
    path = vdir.parent / VERSIONS
    if not path.is_file():
        return []
    try:
        listed = {v["version"]: v["manifest_sha256"] for v in json.loads(path.read_text("utf-8"))}
    except (ValueError, KeyError, TypeError):
        return [Problem(display_path(path), "", "", "无法读取版本清单")]
    n = int(vdir.name[1:]) if vdir.name[1:].isdigit() else None
    if n in listed and listed[n] != auditlog.file_sha256(vdir / MANIFEST):
        return [Problem(f"{shown}/{MANIFEST}", "", "",
                        f"SHA-256 与 {display_path(path)} 中记录的不一致（manifest.json 被修改）")]
    return []


def _rescored(vdir: Path, shown: str, manifest: dict, out: Verified) -> list[Problem]:
    """Score the archived inputs again and compare with the archived score tables."""
    if not (vdir / INPUT).is_dir():
        return [Problem(f"{shown}/{INPUT}", "", "", "缺少归档的评分细则和数据，无法重新计分")]
    with tempfile.TemporaryDirectory(prefix="kaohe-verify-") as tmp:
        work = Path(tmp)
        shutil.copytree(vdir / INPUT, work / INPUT)
        for p in (work / INPUT).rglob("*"):
            if p.is_file():
                p.chmod(0o644)
        try:
            rescore(work / INPUT, manifest["scheme"], manifest["key"], work / SCORES)
        except KaoheError as exc:
            return [Problem(f"{shown}/{INPUT}", "", "", f"归档的评分细则和数据无法重新计分：{p}")
                    for p in exc.problems]
        problems = []
        archived = vdir / SCORES
        for new in sorted((work / SCORES).iterdir()):
            old = archived / new.name
            where = f"{shown}/{SCORES}/{new.name}"
            out.tables += 1
            if not old.is_file():
                problems.append(Problem(where, "", "", "重新计分得到此表，归档中没有"))
            elif new.name == "provenance.json":
                problems += _provenance(old, new, where)
            elif old.read_bytes() != new.read_bytes():
                problems += _table_diff(old, new, where)
        return problems


def _provenance(old: Path, new: Path, where: str) -> list[Problem]:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (old, new))
    return [Problem(where, "", k, f"重新计分为 {json.dumps(b.get(k), ensure_ascii=False)}，"
                                  f"归档为 {json.dumps(a.get(k), ensure_ascii=False)}")
            for k in PROVENANCE_KEYS if a.get(k) != b.get(k)]


def _table_diff(old: Path, new: Path, where: str, limit: int = 20) -> list[Problem]:
    """The cells that differ, by unit and column, for a CSV; the file for anything else."""
    if old.suffix != ".csv":
        return [Problem(where, "", "", "重新计分的结果与归档文件不一致")]
    try:
        a = pd.read_csv(io.BytesIO(old.read_bytes()), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
        b = pd.read_csv(io.BytesIO(new.read_bytes()), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return [Problem(where, "", "", "归档文件无法读取为 CSV，与重新计分的结果不一致")]
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return [Problem(where, "", "", f"表的形状不一致：归档 {len(a)} 行 {len(a.columns)} 列，"
                                       f"重新计分 {len(b)} 行 {len(b.columns)} 列")]
    problems = []
    for col in a.columns:
        for i in a.index[a[col] != b[col]]:
            unit = a.at[i, "unit_id"] if "unit_id" in a.columns else ""
            problems.append(Problem(where, str(i + 2), col,
                                    (f"单位“{unit}”：" if unit else "")
                                    + f"归档为“{a.at[i, col]}”，重新计分为“{b.at[i, col]}”"))
    if not problems:  # same cells, different bytes (line endings, quoting)
        problems.append(Problem(where, "", "", "内容相同但字节不一致"))
    return problems[:limit] + ([Problem(where, "", "", f"另有 {len(problems) - limit} 处不一致")]
                               if len(problems) > limit else [])


__all__ = ["verify", "Verified"]
