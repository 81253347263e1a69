"""Period rubrics read by an annual rubric (广元: quarterly 现场比武 at 40% of the year).

The rule ``period_results`` turns period totals into points (pure, tested on hand-built
contexts); the pipeline scores the period rubrics first and hands their totals over (tested
on a tiny scheme written to a temporary directory). Expected numbers are worked out in the
comments.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import check_invariant, ctx, obs, pts, run_rule, texts
from pydantic import ValidationError

from kaohe.cli import main
from kaohe.dataset import load_dataset
from kaohe.engine import score
from kaohe.errors import KaoheError
from kaohe.pipeline import load, period_stems, run
from kaohe.rubric import load_rubric
from kaohe.rules import REGISTRY, PeriodTotals, Rule, RuleResult
from kaohe.rules.points import MissingDataError


def period(stem: str, rows: list[tuple[str, float, int, int]], advanced: tuple[str, ...] = (),
           name: str = "流动红旗") -> PeriodTotals:
    """A period's totals: (unit_id, total, rank, group_size) per unit."""
    t = pd.DataFrame(rows, columns=["unit_id", "total", "rank", "group_size"])
    t["advanced"] = t["unit_id"].isin(advanced)
    return PeriodTotals(stem, f"{stem}现场比武", f"params/t/{stem}.yaml", t,
                        advanced_name=name, data=f"data/t/{stem}")


Q1 = period("2021-Q1", [("a", 80.0, 2, 3), ("b", 90.0, 1, 3), ("c", 70.0, 3, 3)], ("b",))
Q2 = period("2021-Q2", [("a", 90.0, 1, 3), ("b", 85.0, 2, 3), ("c", 60.0, 3, 3)], ("a",))
PERIODS = {"2021-Q1": Q1, "2021-Q2": Q2}


# -- the rule ------------------------------------------------------------------------------


def test_by_total_mean_of_the_periods_on_the_items_points():
    # a: (80 + 90) / 2 = 85 of 100 → 85 / 100 × 40 = 34; c: (70 + 60) / 2 = 65 → 26
    p = {"periods": ["2021-Q1", "2021-Q2"], "what": "季度现场比武"}
    r = run_rule("period_results", p, ctx(["a", "c"], 40, periods=PERIODS))
    assert pts(r) == {"a": 34.0, "c": 26.0}
    assert texts(r, "a") == [
        "2021-Q1现场比武：得分80分，排第2名（共3个）",
        "2021-Q2现场比武：得分90分，排第1名（共3个），获流动红旗",
        "2期季度现场比武得分平均85分（100分制），折合34分，扣6分",
    ]
    assert list(r.lines.loc[r.lines["unit_id"] == "a", "ref"])[:2] == [
        "params/t/2021-Q1.yaml", "params/t/2021-Q2.yaml"]
    assert r.inputs["a"] == "季度现场比武名次：第2、1名"


def test_by_rank_points_per_place_with_a_floor():
    # first 100, step 4: rank 1 → 100, 2 → 96, 3 → 92; floor 93 lifts rank 3 to 93
    # b: (100 + 96) / 2 = 98; c: (93 + 93) / 2 = 93 → of 100, on 20 points: 19.6 and 18.6
    p = {"periods": ["2021-Q1", "2021-Q2"], "by": "rank", "first": 100, "step": 4, "floor": 93}
    r = run_rule("period_results", p, ctx(["b", "c"], 20, periods=PERIODS))
    assert pts(r) == {"b": 19.6, "c": 18.6}
    assert texts(r, "c")[0] == "2021-Q1现场比武：得分70分，排第3名（共3个），按名次计93分"
    assert texts(r, "c")[-1] == "2期分期考核名次得分平均93分（100分制），折合18.6分，扣1.4分"


def test_tied_ranks_share_the_points_and_full_marks_lose_nothing():
    q = period("2021-Q3", [("a", 88.0, 1, 2), ("b", 88.0, 1, 2)])
    p = {"periods": ["2021-Q3"], "by": "rank", "first": 100, "step": 10}
    r = run_rule("period_results", p, ctx(["a", "b"], 100, periods={"2021-Q3": q}))
    assert pts(r) == {"a": 100.0, "b": 100.0}  # both rank 1
    assert texts(r, "b")[-1] == "1期分期考核名次得分平均100分（100分制），折合100分"


def test_a_unit_missing_from_a_period_is_located_in_that_periods_units():
    p = {"periods": ["2021-Q1", "2021-Q2"]}
    with pytest.raises(MissingDataError) as exc:
        run_rule("period_results", p, ctx(["a", "d"], 40, periods=PERIODS))
    assert exc.value.units == ["d"]
    assert exc.value.file == "data/t/2021-Q1/units.csv"
    # missing: zero counts it 0 and says so
    r = run_rule("period_results", {**p, "missing": "zero"}, ctx(["d"], 40, periods=PERIODS))
    assert pts(r) == {"d": 0.0}
    assert texts(r, "d") == ["无分期考核结果，按0分计"]


def test_no_unit_at_all():
    r = run_rule("period_results", {"periods": ["2021-Q1"]}, ctx([], 40, periods=PERIODS))
    assert r.points.empty and r.lines.empty


@pytest.mark.parametrize("bad", [
    {"periods": []},
    {"periods": ["2021-Q1", "2021-Q1"]},
    {"periods": ["2021-Q1"], "by": "rank"},  # no points for rank 1
    {"periods": ["2021-Q1"], "by": "rank", "first": 120},  # above the scale
    {"periods": ["2021-Q1"], "by": "rank", "first": 90, "floor": 95},
])
def test_parameters_refused(bad):
    with pytest.raises(ValidationError):
        REGISTRY["period_results"].model_validate(bad)


def test_only_period_results_asks_for_periods():
    # every other rule keeps the base answer (no period rubric to score first)
    asking = {name for name, cls in REGISTRY.items()
              if cls.period_stems is not Rule.period_stems}
    assert asking == {"period_results"}


# -- deductions that cite their rows, self-assessment without -0 -----------------------------


def test_deductions_cite_the_bulletin_and_what_it_found():
    # 2 problems × 2 + 1 serious × 10 = 14 off 100 → 86
    rows = obs([("a", "problem", 2, "2021年第3期督导通报（3月）", "台账不全；信息报送迟"),
                ("a", "serious", 1, "2021年第5期督导通报（5月）", "已约谈分管领导")])
    p = {"cite": True, "kinds": [{"id": "problem", "name": "督导通报问题", "cost": 2, "unit": "个"},
                                 {"id": "serious", "name": "情节严重的问题", "cost": 10, "unit": "个"}]}
    r = run_rule("deductions", p, ctx(["a"], 100, obs_frame=rows))
    assert pts(r) == {"a": 86.0}
    assert texts(r, "a") == [
        "2021年第3期督导通报（3月）：督导通报问题2个，每个扣2分，扣4分（台账不全；信息报送迟）",
        "2021年第5期督导通报（5月）：情节严重的问题1个，每个扣10分，扣10分（已约谈分管领导）",
    ]
    plain = run_rule("deductions", {**p, "cite": False}, ctx(["a"], 100, obs_frame=rows))
    assert texts(plain, "a")[0] == "督导通报问题2个，每个扣2分，扣4分"  # the default is unchanged


def test_self_assessment_without_deduction_is_a_plain_zero():
    r = run_rule("self_assessment", {"penalty": 3}, ctx(["a"], 0))
    assert math.copysign(1.0, float(r.points["a"])) == 1.0  # 0.0, not -0.0 ("-0.0000" in CSVs)


# -- the pipeline: a tiny scheme with two quarters and a year ---------------------------------

QUARTER = """\
scheme: tiny
year: 2020
period: {period}
title: 2020年{period}现场比武
full_score: 100
unit_kinds: [{{id: county, name: 县}}]
groups: [pool]
indicators:
  - {{id: S, name: 现场打分, points: 100, rule: {{kind: rater_points, combine: trimmed_mean}}}}
results:
  ranking: {{within: [pool]}}
  advanced: [{{top_n: 1, within: [pool], name: 流动红旗}}]
"""
YEAR = """\
scheme: tiny
year: 2020
title: 2020年度考核
full_score: 100
unit_kinds: [{{id: county, name: 县}}]
groups: [pool]
indicators:
  - id: A
    name: 年度评估
    points: 60
    rule: {{kind: rater_points}}
  - id: Q
    name: 季度现场比武
    points: 40
    rule: {{kind: period_results, periods: [{periods}], what: 季度现场比武}}
"""
UNITS = "unit_id,name,kind,pool\na,甲县,county,县\nb,乙县,county,县\nc,丙县,county,县\n"
# raters r1..r3 per unit: trimmed mean = the middle one. Q1: a 80, b 90, c 70; Q2: a 90, b 70, c 60
RATINGS = {"2020-Q1": {"a": (75, 80, 95), "b": (90, 85, 99), "c": (70, 60, 71)},
           "2020-Q2": {"a": (90, 91, 50), "b": (70, 65, 72), "c": (60, 60, 60)}}


def write_tiny(root: Path, periods: str = "2020-Q1, 2020-Q2", year_of_q2: int = 2020) -> Path:
    params = root / "params" / "tiny"
    params.mkdir(parents=True)
    for stem, by_unit in RATINGS.items():
        text = QUARTER.format(period=stem[-2:])
        if stem == "2020-Q2":
            text = text.replace("year: 2020", f"year: {year_of_q2}")
        (params / f"{stem}.yaml").write_text(text, encoding="utf-8")
        data = root / "data" / "tiny" / stem
        data.mkdir(parents=True)
        (data / "units.csv").write_text(UNITS, encoding="utf-8")
        rows = ["unit_id,indicator_id,source,item,value,note"]
        rows += [f"{u},S,r{i},,{v}," for u, vs in by_unit.items() for i, v in enumerate(vs)]
        (data / "observations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (params / "2020.yaml").write_text(YEAR.format(periods=periods), encoding="utf-8")
    data = root / "data" / "tiny" / "2020"
    data.mkdir(parents=True)
    (data / "units.csv").write_text(UNITS, encoding="utf-8")
    (data / "observations.csv").write_text(
        "unit_id,indicator_id,source,item,value,note\na,A,办公室,,50,\nb,A,办公室,,60,\n"
        "c,A,办公室,,55,\n", encoding="utf-8")
    return params / "2020.yaml"


def test_the_pipeline_scores_the_periods_first_and_hands_over_their_totals(tmp_path):
    annual = write_tiny(tmp_path)
    result = run(annual)
    totals = result.scores.totals.set_index("unit_id")["total"]
    # a: 50 + (80 + 90) / 2 / 100 × 40 = 50 + 34 = 84; b: 60 + (90 + 70) / 2 × 0.4 = 92;
    # c: 55 + (70 + 60) / 2 × 0.4 = 81
    assert totals.round(9).to_dict() == {"a": 84.0, "b": 92.0, "c": 81.0}
    assert [Path(p.loaded.path).stem for p in result.periods] == ["2020-Q1", "2020-Q2"]
    flags = {Path(p.loaded.path).stem: p.scores.totals.set_index("unit_id")["advanced"].to_dict()
             for p in result.periods}
    assert flags == {"2020-Q1": {"a": False, "b": True, "c": False},
                     "2020-Q2": {"a": True, "b": False, "c": False}}
    prov = result.provenance["periods"]
    assert [p["period"] for p in prov] == ["Q1", "Q2"]
    assert all(p["rubric_sha256"] and p["data_sha256"] for p in prov)
    check_invariant(_rule_result(result, "Q"), 40)  # points == 40 + sum of the lines' deltas


def _rule_result(result, leaf_id: str) -> RuleResult:
    """The period leaf's result rebuilt from the details, for the invariant check."""
    d = result.scores.details.set_index("unit_id")
    d = d[d["indicator_id"] == leaf_id]
    lines = result.scores.lines[result.scores.lines["indicator_id"] == leaf_id]
    return RuleResult("max", d["points"].astype(float), lines[["unit_id", "delta", "text", "ref"]],
                      d["inputs"])


def test_each_period_rubric_is_scorable_alone(tmp_path):
    write_tiny(tmp_path)
    q1 = run(tmp_path / "params" / "tiny" / "2020-Q1.yaml")
    t = q1.scores.totals.set_index("unit_id")
    assert t["total"].to_dict() == {"a": 80.0, "b": 90.0, "c": 70.0}
    assert t["rank"].to_dict() == {"a": 2, "b": 1, "c": 3}
    assert q1.periods == () and "periods" not in q1.provenance


def test_the_engine_alone_refuses_a_period_leaf_without_its_periods(tmp_path):
    annual = write_tiny(tmp_path)
    loaded, data = load(annual)
    assert period_stems(loaded.rubric) == [("Q", "2020-Q1"), ("Q", "2020-Q2")]
    with pytest.raises(KaoheError) as exc:
        score(loaded.rubric, data, loaded.path)
    assert {(p.row, p.message.split("：")[0]) for p in exc.value.problems} == {
        ("Q.rule.periods", "指标“Q 季度现场比武”需要分期评分细则“2020-Q1”的结果"),
        ("Q.rule.periods", "指标“Q 季度现场比武”需要分期评分细则“2020-Q2”的结果"),
    }


def test_a_missing_period_file_is_reported(tmp_path):
    annual = write_tiny(tmp_path, periods="2020-Q1, 2020-Q3")
    with pytest.raises(KaoheError) as exc:
        run(annual)
    [problem] = exc.value.problems
    assert problem.row == "Q.rule.periods"
    assert problem.message.startswith("分期评分细则“2020-Q3”不存在")


def test_a_period_of_another_year_is_refused(tmp_path):
    annual = write_tiny(tmp_path, year_of_q2=2019)
    with pytest.raises(KaoheError) as exc:
        run(annual)
    [problem] = exc.value.problems
    # refused when the file is read: its year is not the year of its name
    assert problem.file.endswith("2020-Q2.yaml") and problem.row == "year"
    assert "评分细则中的年度 2019 与文件名“2020-Q2.yaml”的年度 2020 不符" in problem.message


def test_a_period_that_reads_itself_is_a_cycle(tmp_path):
    write_tiny(tmp_path)
    q1 = tmp_path / "params" / "tiny" / "2020-Q1.yaml"
    q1.write_text(q1.read_text(encoding="utf-8").replace(
        "  - {id: S, name: 现场打分, points: 100, rule: {kind: rater_points, combine: trimmed_mean}}",
        "  - {id: S, name: 现场打分, points: 100, rule: {kind: period_results, periods: [2020-Q1]}}"),
        encoding="utf-8")
    (tmp_path / "data" / "tiny" / "2020-Q1" / "observations.csv").write_text(
        "unit_id,indicator_id,source,item,value,note\n", encoding="utf-8")
    with pytest.raises(KaoheError) as exc:
        run(q1)
    assert "形成循环" in exc.value.problems[0].message


def test_rows_for_a_period_leaf_are_refused(tmp_path):
    annual = write_tiny(tmp_path)
    obs_file = tmp_path / "data" / "tiny" / "2020" / "observations.csv"
    obs_file.write_text(obs_file.read_text(encoding="utf-8") + "a,Q,办公室,,90,\n",
                        encoding="utf-8")
    with pytest.raises(KaoheError) as exc:
        load(annual)
    [problem] = exc.value.problems
    assert problem.row == "5" and problem.column == "indicator_id"
    assert "取自其他指标或分期考核的结果" in problem.message


def test_cli_validate_and_score_run_the_periods(tmp_path, capsys):
    annual = write_tiny(tmp_path)
    assert main(["validate", str(annual)]) == 0
    assert main(["score", str(annual), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "分期结果：已先按分期评分细则 2020-Q1、2020-Q2 计分" in out
    totals = pd.read_csv(tmp_path / "out" / "totals.csv").set_index("unit_id")["total"]
    assert totals.to_dict() == {"a": 84.0, "b": 92.0, "c": 81.0}


def test_the_tiny_scheme_itself_is_valid(tmp_path):
    # so that the refusals above fail only for the reason they test
    annual = write_tiny(tmp_path)
    assert load_rubric(annual).rubric.year == 2020
    assert len(load_dataset(tmp_path / "data" / "tiny" / "2020").units) == 3


# -- --data reaches the period rubrics' data, beside it by stem ------------------------------


def test_data_option_reads_the_quarters_beside_it(tmp_path, capsys):
    import shutil
    root = Path(__file__).resolve().parents[1]
    params = root / "params" / "guangyuan-reform" / "2021.yaml"
    for d in (root / "data" / "guangyuan-reform").glob("2021*"):
        shutil.copytree(d, tmp_path / d.name)
    bundled = run(params).scores.totals.set_index("unit_id")
    # in the copy, 利州区 scores 0 in the first quarter's contest: last of 8 instead of its place
    q1 = tmp_path / "2021-Q1" / "observations.csv"
    lines = q1.read_text(encoding="utf-8-sig").splitlines()
    lines = [",".join(p[:4] + ["0"] + p[5:]) if (p := ln.split(","))[0] == "lizhou" else ln
             for ln in lines]
    q1.write_text("\n".join(lines) + "\n", encoding="utf-8")
    copy = run(params, tmp_path / "2021")
    assert [p.data.directory for p in copy.periods] == [
        str(tmp_path / f"2021-Q{i}") for i in range(1, 5)]
    totals = copy.scores.totals.set_index("unit_id")
    assert totals.at["lizhou", "total"] < bundled.at["lizhou", "total"] - 0.1
    assert main(["score", str(params), "--data", str(tmp_path / "2021"),
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"读取的数据目录：{tmp_path / '2021'}" in out
    assert f"数据 {tmp_path / '2021-Q1'}" in out


def test_data_option_without_the_quarters_beside_it_is_refused(tmp_path, capsys):
    import shutil
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "data" / "guangyuan-reform" / "2021", tmp_path / "2021")
    params = root / "params" / "guangyuan-reform" / "2021.yaml"
    assert main(["score", str(params), "--data", str(tmp_path / "2021"),
                 "--out", str(tmp_path / "out")]) == 1
    assert f"{tmp_path / '2021-Q1'}::: 数据目录不存在" in capsys.readouterr().err
