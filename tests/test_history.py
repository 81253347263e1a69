"""The history mechanism: rules over consecutive years read earlier results, which the
pipeline computes from the earlier years' rubrics when the data has no history.csv.

A tiny scheme of three units scored by one rater, three years, written to a temporary
project (params/<scheme>/<year>.yaml, data/<scheme>/<year>/). Per year the totals are the
rater's points, so the ranks are known by hand:

    2021: a 90, b 80, c 70   → c last,   a advanced (top 1)
    2022: a 95, b 60, c 50   → c last,   a advanced
    2023: a 85, b 88, c 40   → c last,   b advanced

Flags: ``last2`` (last two years running), ``adv3`` (advanced three years running).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import kaohe.pipeline as pipeline
from kaohe.cli import main
from kaohe.errors import KaoheError
from kaohe.pipeline import history_from_runs, history_years, row_accounting, run, write_scores
from kaohe.rubric import Rubric

SCORES = {2021: {"a": 90, "b": 80, "c": 70}, 2022: {"a": 95, "b": 60, "c": 50},
          2023: {"a": 85, "b": 88, "c": 40}}

RUBRIC = """\
scheme: tiny
year: {year}
title: 测试考核{year}
unit_kinds: [{{id: town, name: 镇}}]
indicators:
  - id: A
    name: 工作
    points: 100
    children:
      - {{id: a1, name: 评分, points: 100, rule: {{kind: rater_points}}}}
order: []
results:
  advanced: {{top_n: 1}}
  history_flags:
    - {{id: last2, name: 连续两年末位, years: 2, when: last_in_group}}
    - {{id: adv3, name: 连续三年先进, years: 3, when: advanced}}
"""


def write_project(root: Path, scores: dict[int, dict[str, int]] = SCORES) -> Path:
    params = root / "params" / "tiny"
    params.mkdir(parents=True)
    for year in scores:
        (params / f"{year}.yaml").write_text(RUBRIC.format(year=year), encoding="utf-8")
        data = root / "data" / "tiny" / str(year)
        data.mkdir(parents=True)
        (data / "units.csv").write_text("unit_id,name,kind\na,甲镇,town\nb,乙镇,town\n"
                                        "c,丙镇,town\n", encoding="utf-8")
        rows = "".join(f"{u},a1,考评组,,{v},\n" for u, v in scores[year].items())
        (data / "observations.csv").write_text("unit_id,indicator_id,source,item,value,note\n"
                                               + rows, encoding="utf-8")
    return params


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path)


def flags(result) -> dict[str, list[str]]:
    t = result.scores.totals
    return {f: sorted(t.loc[t[f], "unit_id"]) for f in ("last2", "adv3")}


def test_history_years_is_what_the_flags_look_back():
    rubric = Rubric.model_validate(yaml.safe_load(RUBRIC.format(year=2023)))
    assert history_years(rubric) == 2  # adv3 needs 2021 and 2022
    bare = rubric.model_copy(update={"results": rubric.results.model_copy(
        update={"history_flags": []})})
    assert history_years(bare) == 0


def test_earlier_years_are_scored_and_become_the_history(project):
    r = run(project / "2023.yaml")
    assert [e.loaded.rubric.year for e in r.earlier] == [2022, 2021]
    h = r.data.history.set_index(["year", "unit_id"])
    # hand: 2021 ranks a 1, b 2, c 3; 2022 the same order
    assert h.loc[(2021, "c"), ["total", "rank", "group_size"]].tolist() == [70, 3, 3]
    assert h.loc[(2022, "a"), ["total", "rank", "advanced"]].tolist() == [95, 1, True]
    assert not h.loc[(2022, "b"), "advanced"]
    assert len(h) == 6
    # c last in 2022 and 2023 → last2; a advanced 2021, 2022 but not 2023 (b is) → no adv3
    assert flags(r) == {"last2": ["c"], "adv3": []}
    assert r.provenance["history"]["source"] == "computed"
    assert [x["year"] for x in r.provenance["history"]["runs"]] == [2022, 2021]
    # the computed history is not counted as rows read from the data directory
    assert "history" not in row_accounting(r.data)


def test_each_earlier_year_is_scored_once(project, monkeypatch):
    calls: list[int] = []
    real = pipeline.score

    def counting(rubric, *args, **kwargs):
        calls.append(rubric.year)
        return real(rubric, *args, **kwargs)

    monkeypatch.setattr(pipeline, "score", counting)
    run(project / "2023.yaml")
    # 2023 reads 2022 and 2021; 2022 reads 2021 again, from the cache
    assert sorted(calls) == [2021, 2022, 2023]
    calls.clear()
    cache: dict = {}
    for year in (2021, 2022, 2023):
        run(project / f"{year}.yaml", cache=cache)
    assert sorted(calls) == [2021, 2022, 2023]  # shared between calls (kaohe validate)


def test_an_earlier_year_that_is_advanced_twice_running(project):
    r = run(project / "2022.yaml")
    assert [e.loaded.rubric.year for e in r.earlier] == [2021]  # 2020 does not exist
    # a advanced 2021 and 2022 but adv3 needs 2020 too: nothing; c last 2021 and 2022
    assert flags(r) == {"last2": ["c"], "adv3": []}


def test_three_years_running_from_computed_history(tmp_path):
    params = write_project(tmp_path, {**SCORES, 2023: {"a": 99, "b": 88, "c": 40}})
    r = run(params / "2023.yaml")
    assert flags(r) == {"last2": ["c"], "adv3": ["a"]}  # a first in 2021, 2022 and 2023
    assert "2021、2022、2023年连续评为先进" in r.scores.totals.set_index("unit_id").at["a",
                                                                               "explain"]


def test_an_explicit_history_csv_wins(project):
    data = project.parent.parent / "data" / "tiny" / "2023"
    # the file says b, not c, was last in 2022, and a was advanced in 2021 and 2022
    (data / "history.csv").write_text(
        "year,unit_id,total,rank,group_size,grade,advanced\n"
        "2021,a,90,1,3,,1\n2022,a,95,1,3,,1\n2022,b,50,3,3,,0\n2022,c,60,2,3,,0\n",
        encoding="utf-8")
    r = run(project / "2023.yaml")
    assert r.earlier == ()
    assert r.provenance["history"] == {"source": "history.csv"}
    assert flags(r) == {"last2": [], "adv3": []}  # c last in 2023 but not in 2022; a not 2023
    assert row_accounting(r.data)["history"] == 4


def test_a_gap_stops_the_look_back(project):
    (project / "2022.yaml").unlink()
    r = run(project / "2023.yaml")
    assert r.earlier == ()
    assert r.data.history.empty
    assert flags(r) == {"last2": [], "adv3": []}
    assert r.provenance["history"] == {"source": "none"}


def test_an_earlier_file_of_the_wrong_year_is_refused(project):
    (project / "2022.yaml").write_text(RUBRIC.format(year=2021), encoding="utf-8")
    with pytest.raises(KaoheError) as exc:
        run(project / "2023.yaml")
    # refused when the file is read: its year is not the year of its name
    assert "评分细则中的年度 2021 与文件名“2022.yaml”的年度 2022 不符" in str(exc.value.problems[0])


def test_history_from_runs_shapes_the_table(project):
    runs = run(project / "2023.yaml").earlier
    h = history_from_runs(runs)
    assert list(h.columns) == ["year", "unit_id", "total", "rank", "group_size", "grade",
                               "advanced", "ref"]
    assert h["year"].tolist() == [2021] * 3 + [2022] * 3  # oldest first
    assert h["grade"].isna().all()  # the tiny rubric has no grades
    assert h["ref"].iloc[0].endswith("2021.yaml（2021年度计算结果）")
    empty = history_from_runs([])
    assert empty.empty and "advanced" in empty.columns


def test_scores_are_deterministic_and_record_the_history(project, tmp_path, capsys):
    r = run(project / "2023.yaml")
    one = write_scores(r, tmp_path / "one")
    two = write_scores(run(project / "2023.yaml"), tmp_path / "two")
    assert [p.name for p in one] == [p.name for p in two]
    assert "history_used.csv" in [p.name for p in one]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    used = pd.read_csv(tmp_path / "one" / "history_used.csv", encoding="utf-8-sig")
    assert len(used) == 6
    assert main(["score", str(project / "2023.yaml"), "--out", str(tmp_path / "cli")]) == 0
    assert "往年结果：数据目录无 history.csv，已按 2022、2021 年度评分细则和数据计算" in \
        capsys.readouterr().out


def test_a_rubric_without_history_flags_scores_no_earlier_year(project):
    text = (project / "2023.yaml").read_text(encoding="utf-8")
    head = text.split("  history_flags:")[0]
    (project / "2023.yaml").write_text(textwrap.dedent(head), encoding="utf-8")
    r = run(project / "2023.yaml")
    assert r.earlier == () and r.data.history.empty
