"""kaohe new-year: next year's rubric is this year's text with only the year changed, and a
data directory ready to fill; nothing existing is overwritten without --force."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kaohe.cli import main
from kaohe.dataset import load_dataset
from kaohe.errors import KaoheError
from kaohe.newyear import new_year, replace_year
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the changshou-rural 2023 rubric and data in a scratch repository layout."""
    (tmp_path / "params" / "changshou-rural").mkdir(parents=True)
    shutil.copy(ROOT / "params" / "changshou-rural" / "2023.yaml",
                tmp_path / "params" / "changshou-rural" / "2023.yaml")
    shutil.copytree(ROOT / "data" / "changshou-rural" / "2023",
                    tmp_path / "data" / "changshou-rural" / "2023")
    return tmp_path


def test_only_the_year_line_changes(tree):
    old = tree / "params" / "changshou-rural" / "2023.yaml"
    made = new_year(old, 2024)
    new = tree / "params" / "changshou-rural" / "2024.yaml"
    assert made.rubric == new
    a = old.read_text(encoding="utf-8").splitlines()
    b = new.read_text(encoding="utf-8").splitlines()
    assert len(a) == len(b)
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert differ == [("year: 2023", "year: 2024")]  # comments and layout kept
    assert load_rubric(new).rubric.year == 2024
    # the title still names 2023: listed for the analyst, not rewritten
    assert any(r.startswith("第8行：title: 长寿区2023年度") for r in made.reminders)
    assert made.source_sample  # the bundled 2023 data are sample data


def test_data_directory_ready_to_fill(tree):
    made = new_year(tree / "params" / "changshou-rural" / "2023.yaml", 2024)
    d = tree / "data" / "changshou-rural" / "2024"
    assert made.data == d
    assert sorted(p.name for p in d.iterdir()) == ["dataset.yaml", "events.csv",
                                                   "observations.csv", "templates", "units.csv"]
    src = tree / "data" / "changshou-rural" / "2023" / "units.csv"
    assert (d / "units.csv").read_bytes() == src.read_bytes()
    assert (d / "observations.csv").read_text(encoding="utf-8") == \
        "unit_id,indicator_id,source,item,value,note\n"
    assert (d / "events.csv").read_text(encoding="utf-8") == \
        "unit_id,indicator_id,type,work,value,date,description\n"
    meta = yaml.safe_load((d / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["sample"] is False and "2024年度" in meta["description"]
    data = load_dataset(d)  # the loader accepts the empty directory as it is
    assert data.sample is False and len(data.units) == 19 and data.observations.empty


def test_templates_for_the_new_year(tree):
    # one workbook per 责任单位 of the new rubric, named for the new year, in <data>/templates/
    from kaohe.excel.template import departments

    made = new_year(tree / "params" / "changshou-rural" / "2023.yaml", 2024)
    t = tree / "data" / "changshou-rural" / "2024" / "templates"
    depts = departments(load_rubric(made.rubric).rubric)
    assert len(made.templates) == len(depts) > 0
    assert sorted(p.name for p in t.iterdir()) == sorted(p.name for p in made.templates)
    assert all(p.parent == t and p.name.startswith("changshou-rural-2024-")
               and p.suffix == ".xlsx" for p in made.templates)


def test_refuses_to_overwrite_without_force(tree):
    params = tree / "params" / "changshou-rural" / "2023.yaml"
    new_year(params, 2024)
    units = tree / "data" / "changshou-rural" / "2024" / "units.csv"
    units.write_text("unit_id,name,kind\nx,某镇,town\n", encoding="utf-8")
    rubric = tree / "params" / "changshou-rural" / "2024.yaml"
    rubric.write_text(rubric.read_text(encoding="utf-8") + "# 已修改\n", encoding="utf-8")
    with pytest.raises(KaoheError) as exc:
        new_year(params, 2024)
    assert len(exc.value.problems) == 5  # rubric, units, observations, events, dataset.yaml
    assert units.read_text(encoding="utf-8") == "unit_id,name,kind\nx,某镇,town\n"
    assert rubric.read_text(encoding="utf-8").endswith("# 已修改\n")
    new_year(params, 2024, force=True)
    assert "某镇" not in units.read_text(encoding="utf-8")
    assert not rubric.read_text(encoding="utf-8").endswith("# 已修改\n")


def test_a_period_rubric_keeps_its_period(tree):
    # a quarter's rubric (广元 2021-Q1.yaml) starts next year's same quarter
    src = tree / "params" / "changshou-rural"
    (src / "2023.yaml").rename(src / "2023-Q1.yaml")
    (tree / "data" / "changshou-rural" / "2023").rename(tree / "data" / "changshou-rural" / "2023-Q1")
    made = new_year(src / "2023-Q1.yaml", 2024)
    assert made.rubric == src / "2024-Q1.yaml"
    assert made.data == tree / "data" / "changshou-rural" / "2024-Q1"
    assert (made.data / "units.csv").exists()


def test_same_year_is_refused(tree):
    with pytest.raises(KaoheError, match="相同"):
        new_year(tree / "params" / "changshou-rural" / "2023.yaml", 2023)


def test_replace_year_keeps_quotes_comments_and_line_endings():
    text = b'# year: 2023 in a comment\r\nyear: "2023"  # \xe5\xb9\xb4\xe5\xba\xa6\r\nx: 1\r\n'
    assert replace_year(text, 2023, 2024) == \
        b'# year: 2023 in a comment\r\nyear: "2024"  # \xe5\xb9\xb4\xe5\xba\xa6\r\nx: 1\r\n'
    with pytest.raises(ValueError):
        replace_year(b"  year: 2023\n", 2023, 2024)  # not top level


def test_cli_new_year(tree, capsys, monkeypatch):
    monkeypatch.chdir(tree)
    assert main(["new-year", "params/changshou-rural/2023.yaml", "2024"]) == 0
    out = capsys.readouterr().out
    assert "params/changshou-rural/2024.yaml" in out and "仍含原年度" in out
    assert "Excel 填报模板" in out and "data/changshou-rural/2024/templates/" in out
    assert main(["new-year", "params/changshou-rural/2023.yaml", "2024"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["new-year", "params/changshou-rural/2023.yaml", "2024", "--force"]) == 0
