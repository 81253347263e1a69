"""Start next year's rubric and data directory from this year's (``kaohe new-year``).

Most of a rubric carries over from one year to the next, so the analyst should only edit
what changed. The rubric is copied byte for byte — comments, layout, quoting and line
endings kept — with only the top-level ``year:`` value replaced; lines that still mention
the old year (title, notes …) are listed for the analyst to check, never rewritten, because
only the new document can say what they should read. The data directory gets this year's
units, empty tables with their headers, and a dataset.yaml saying the data are real
(``sample: false``) and where the unit list came from, and ``templates/`` the departments'
Excel workbooks for the new year (as ``kaohe template`` writes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .dataset import default_data_dir
from .errors import KaoheError, Problem, display_path
from .rubric import load_rubric
from .schemas import TABLES, columns_of

YEAR_LINE = re.compile(rb"^year:([ \t]*)([\"']?)(\d{4})([\"']?)", re.MULTILINE)
EMPTY_TABLES = ("observations", "events")


@dataclass(frozen=True)
class NewYear:
    """What ``new_year`` wrote, and what the analyst should look at next."""

    rubric: Path
    data: Path
    written: list[Path]
    reminders: list[str]  # lines of the new rubric still mentioning the old year
    source_sample: bool  # the units were copied from sample data
    templates: tuple[Path, ...] = ()  # Excel templates written into <data>/templates/


def replace_year(text: bytes, old: int, new: int) -> bytes:
    """The rubric text with only the top-level ``year:`` value changed."""
    matches = list(YEAR_LINE.finditer(text))
    if len(matches) != 1 or int(matches[0].group(3)) != old:
        raise ValueError(f"未找到唯一的顶层“year: {old}”行")
    m = matches[0]
    return text[:m.start(3)] + str(new).encode() + text[m.end(3):]


def old_year_lines(text: bytes, old: int) -> list[str]:
    """Lines (other than ``year:``) that still mention the old year, as reminders."""
    out = []
    for i, line in enumerate(text.decode("utf-8-sig").splitlines(), 1):
        if str(old) in line and not line.startswith("year:"):
            out.append(f"第{i}行：{line.strip()}")
    return out


def new_stem(stem: str, old: int, new: int) -> str:
    """``2023`` → ``2024``; a period rubric keeps its period: ``2021-Q1`` → ``2022-Q1``."""
    return stem.replace(str(old), str(new), 1) if str(old) in stem else str(new)


def plan(params: Path | str, year: int, data_dir: Path | str | None = None) -> dict[Path, bytes]:
    """Every file to write (path → bytes), without writing; raises KaoheError if the
    source cannot be used."""
    params = Path(params)
    loaded = load_rubric(params)
    rubric = loaded.rubric
    shown = display_path(params)
    if year == rubric.year:
        raise KaoheError([Problem(shown, "year", "", f"新年度 {year} 与原评分细则年度相同")])
    text = params.read_bytes()
    try:
        new_text = replace_year(text, rubric.year, year)
    except ValueError as exc:
        raise KaoheError([Problem(shown, "year", "", str(exc))]) from exc
    expected = yaml.safe_load(text.decode("utf-8-sig")) | {"year": year}
    if yaml.safe_load(new_text.decode("utf-8-sig")) != expected:
        raise KaoheError([Problem(shown, "year", "", "替换年度后内容有其他变化，请手工复制")])
    target = params.parent / f"{new_stem(params.stem, rubric.year, year)}.yaml"
    source_data = default_data_dir(params, rubric)
    units = source_data / TABLES["units"].file
    if not units.is_file():
        raise KaoheError([Problem(display_path(units), "", "", "缺少单位名单，无法复制到新年度")])
    new_data = Path(data_dir) if data_dir else default_data_dir(target, rubric)
    files = {target: new_text, new_data / TABLES["units"].file: units.read_bytes()}
    for name in EMPTY_TABLES:
        header = ",".join(columns_of(TABLES[name].model)) + "\n"
        files[new_data / TABLES[name].file] = header.encode("utf-8")
    meta = {
        "sample": False,
        "description": (f"{rubric.scheme} 方案{year}年度的考核数据（评分细则复制自{rubric.year}年度）。"
                        f"单位名单复制自{display_path(units)}，请按本年度情况核对；"
                        "observations.csv、events.csv 只有表头，待填写。"),
        "created_from": display_path(source_data),
    }
    files[new_data / "dataset.yaml"] = (
        f"# {year}年度考核数据目录，由 kaohe new-year 从{rubric.year}年度创建。\n"
        + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    ).encode("utf-8")
    return files


def new_year(params: Path | str, year: int, *, force: bool = False,
             data_dir: Path | str | None = None) -> NewYear:
    """Write next year's rubric and data directory; refuse to overwrite unless ``force``.

    Nothing is written when any target exists (without ``force``), so a refused run leaves
    the tree as it was."""
    params = Path(params)
    files = plan(params, year, data_dir)
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise KaoheError([Problem(display_path(p), "", "", "文件已存在；如需覆盖请加 --force")
                          for p in existing])
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    paths = list(files)
    rubric_path, data = paths[0], paths[1].parent
    old = load_rubric(params).rubric
    # the issue asks for the new data directory "with its templates": the departments'
    # Excel workbooks (as ``kaohe template`` writes them) for this year's units
    from .excel.template import write_templates

    templates = tuple(w.path for w in write_templates(rubric_path, data / "templates", data))
    return NewYear(rubric_path, data, paths, old_year_lines(files[rubric_path], old.year),
                   _is_sample(default_data_dir(params, old)), templates)


def _is_sample(directory: Path) -> bool:
    """Whether the source data directory says it holds sample data."""
    meta = directory / "dataset.yaml"
    if not meta.is_file():
        return False
    try:
        raw = yaml.safe_load(meta.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(raw, dict) and bool(raw.get("sample", False))


__all__ = ["NewYear", "new_year", "new_stem", "plan", "replace_year", "old_year_lines"]
