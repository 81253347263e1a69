"""Helpers shared by the sample-data generators: deterministic CSV and metadata writing."""

from __future__ import annotations

import csv
from pathlib import Path

SAMPLE_NOTE = "示例数据：由仓库中的生成脚本按固定随机种子生成，仅用于演示和测试，非真实考核数据。"


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    """UTF-8 CSV with LF line endings; numbers written without float noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([_cell(x) for x in row])
    return path


def _cell(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{round(x, 4):.4f}".rstrip("0").rstrip(".")
    return str(x)


def write_meta(directory: Path, generator: str, seed: int, description: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    meta = directory / "dataset.yaml"
    meta.write_text(
        "# 本目录为示例数据（sample data），非真实考核数据。\n"
        "sample: true\n"
        f"generator: {generator}\n"
        f"seed: {seed}\n"
        f"description: {description}\n",
        encoding="utf-8",
    )
    readme = directory / "README.md"
    readme.write_text(
        f"# 示例数据（sample data）\n\n{description}\n\n{SAMPLE_NOTE}\n\n"
        f"重新生成：`python data/generate.py`（生成器 `{generator}`，随机种子 {seed}）。\n"
        "各表的含义见 `docs/data.md`。\n",
        encoding="utf-8",
    )
    return [meta, readme]
