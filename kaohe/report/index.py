"""Index pages: one per scheme-year (its bulletin and every unit's report) and one over
everything built into the output directory. Jinja2 with autoescape: every text from data
and params is escaped. Links are relative, so the tree works opened from the file system."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from . import files
from .data import ReportData
from .html import num
from .plan import STYLESHEET, TOP_INDEX, SchemeYear, bulletin_title, pdf_path, relative

PAGES = Path(__file__).resolve().parent / "templates" / "pages"
SAMPLE_NOTE = "示例数据：本页所列报告由示例数据生成，不是真实考核结果，仅供演示和检验。"
DATA_FILES = [("总分（totals.csv）", "totals.csv"), ("指标得分（details.csv）", "details.csv"),
              ("加扣分理由（reasons.csv）", "reasons.csv"), ("来源信息（provenance.json）",
                                                         "provenance.json")]


def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(PAGES)), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def _sort_key(key: str) -> tuple:
    """2021 < 2021-Q1 < 2021-Q2 < 2022: by year, then the period text."""
    head, _, tail = key.partition("-")
    return (int(head) if head.isdigit() else 10**6, head, tail)


def scheme_year_page(sy: SchemeYear, data: ReportData, built: set[str]) -> str:
    """The scheme-year's index: bulletin link, data links, and each unit's report link."""
    here = sy.index
    totals = data.totals.set_index("unit_id", drop=False)
    labels = data.group_labels()
    has_grade = "grade" in totals.columns and bool(data.rubric.results.grades)
    groups = []
    for label in dict.fromkeys(labels.reindex(totals.index)):
        members = totals[labels.reindex(totals.index) == label].sort_values(
            ["rank", "total"], ascending=[True, False], kind="mergesort")
        units = []
        for u, r in members.iterrows():
            page = sy.unit_page(u)
            pdf = pdf_path(page)
            units.append({"rank": int(r["rank"]), "name": r["name"], "total": num(r["total"]),
                          "grade": r["grade"] if has_grade and isinstance(r["grade"], str) else "",
                          "page": relative(here, page) if str(page) in built else "",
                          "pdf": relative(here, pdf) if str(page) in built
                          and str(pdf) in built else ""})
        groups.append({"title": f"{label or '全部单位'}（{len(members)}个）", "units": units})
    p = data.provenance
    prov = [("评分细则", p.get("rubric", "")), ("评分细则 SHA-256", p.get("rubric_sha256", "")),
            ("数据目录", p.get("data", "")), ("kaohe 版本", p.get("kaohe_version", "")),
            ("代码提交", p.get("commit", ""))]
    bulletin = relative(here, sy.bulletin) if str(sy.bulletin) in built else ""
    # print documents: the bulletin's PDF and Word draft, the rubric attachment
    documents = [(label, relative(here, path)) for label, path in (
        ("通报（PDF，公文格式）", pdf_path(sy.bulletin)), ("通报（Word 稿，可编辑）", sy.bulletin_docx),
        ("考核指标体系（Word）", sy.rubric_docx), ("考核指标体系（Excel）", sy.rubric_xlsx))
        if str(path) in built]
    return _env().get_template("scheme_year.html.j2").render(
        title=data.rubric.title, here=data.rubric.title, css=relative(here, STYLESHEET),
        crumbs=[("全部报告", relative(here, TOP_INDEX))], sample=data.sample,
        sample_note=SAMPLE_NOTE, authority=data.rubric.authority, bulletin=bulletin,
        bulletin_title=bulletin_title(data.rubric.title),
        data_links=[(label, relative(here, sy.data / f)) for label, f in DATA_FILES],
        groups=groups, has_grade=has_grade, provenance=prov, documents=documents)


MANIFEST = "report.json"


def manifest(sy: SchemeYear, data: ReportData) -> str:
    """What the top index shows of a scheme-year: names in Chinese, whose office."""
    return json.dumps({"scheme": sy.scheme, "key": sy.key, "title": data.rubric.title,
                       "authority": data.rubric.authority}, ensure_ascii=False, indent=2,
                      sort_keys=True) + "\n"


def top_page(out: Path) -> str:
    """Everything built into ``out`` so far, found by its provenance files."""
    schemes: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for prov_path in sorted(out.glob("*/*/data/provenance.json")):
        root = prov_path.parent.parent
        scheme, key = root.parent.name, root.name
        p = json.loads(prov_path.read_text(encoding="utf-8"))
        meta_path = prov_path.parent / MANIFEST
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        if meta.get("authority"):
            names.setdefault(scheme, f"{meta['authority']}（{scheme}）")
        sy = SchemeYear(scheme, key, p.get("title", key))
        totals = pd.read_csv(prov_path.parent / "totals.csv", encoding="utf-8-sig", dtype=str,
                             keep_default_na=False)
        pages = sorted((root / "units").glob("*.html")) if (root / "units").is_dir() else []
        schemes.setdefault(scheme, []).append({
            "key": key, "title": sy.title, "index": relative(TOP_INDEX, sy.index),
            "bulletin": relative(TOP_INDEX, sy.bulletin) if (root / "bulletin.html").exists()
            else "", "units": f"{len(pages)}/{len(totals)}", "sample": bool(p.get("sample_data"))})
    listed: list[dict[str, Any]] = [{"name": names.get(scheme, scheme),
               "entries": sorted(entries, key=lambda e: _sort_key(e["key"]))}
              for scheme, entries in sorted(schemes.items())]
    sample = any(e["sample"] for s in listed for e in s["entries"])
    return _env().get_template("top.html.j2").render(
        title="考核结果报告", here="全部报告", css=relative(TOP_INDEX, STYLESHEET), crumbs=[],
        sample=sample, sample_note=SAMPLE_NOTE, schemes=listed)


def write(path: Path, text: str) -> Path:
    """Write a page atomically (``kaohe.report.files``)."""
    files.write_text(path, text)
    return path


__all__ = ["scheme_year_page", "top_page", "write"]
