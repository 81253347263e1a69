"""Year-over-year sections of the reports: 评分细则变化 (kaohe.diff against the previous
year's rubric) and 名次稳健性 (kaohe.robustness with its seeded defaults), on sichuan-poverty
2017 (the sample data), whose folder also holds the 2016 rubric.

Numbers asserted here are worked out by hand from params/sichuan-poverty/2016.yaml and
2017.yaml; each assertion says how."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.pipeline import run
from kaohe.report import sections as present
from kaohe.report.data import (
    ROBUSTNESS_FILE,
    RUBRIC_CHANGES_FILE,
    prepare,
    previous_params,
    read_scores,
    write_rubric_changes,
)
from kaohe.robustness import rank_robustness
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "params" / "sichuan-poverty"
PARAMS = FOLDER / "2017.yaml"


@pytest.fixture(scope="module")
def scores_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("scores")
    prepare(PARAMS, d)
    return d


@pytest.fixture(scope="module")
def data(scores_dir):
    return read_scores(scores_dir, load_rubric(PARAMS).rubric)


def test_previous_rubric_is_the_same_file_a_year_earlier():
    assert previous_params(FOLDER / "2020.yaml") == FOLDER / "2019.yaml"
    assert previous_params(Path("params/x/2022-Q1.yaml")) == Path("params/x/2021-Q1.yaml")
    assert previous_params(Path("params/x/draft.yaml")) is None


def test_no_previous_rubric_no_section(tmp_path):
    # 2015.yaml does not exist beside 2016.yaml: nothing written, the section is left out
    assert write_rubric_changes(FOLDER / "2016.yaml", tmp_path) == []
    assert not (tmp_path / RUBRIC_CHANGES_FILE).exists()


def test_rubric_changes_section(data):
    html = present.rubric_changes(present.internal(data)).html
    assert "评分细则变化</h2>" in html and "与2016年评分细则相比" in html
    # 2016.yaml → 2017.yaml: year, title, and d13 资金监管's cost of 违规使用扶贫资金 per case
    # (kinds[0], id misuse) raised from 0.5 to 1 point; the file keeps the terminal's sentence
    # (ids for the analyst), the page the one in words
    assert "<td>年度由2016改为2017</td>" in html
    assert "指标“资金监管”评分规则中“违规使用扶贫资金”的每次扣分由0.5改为1" in html
    assert "指标“d13 资金监管”评分规则参数 kinds[0].cost 由0.5改为1" in \
        data.rubric_changes["text"].tolist()
    n = len(data.rubric_changes)
    assert f"共有{n}处变化" in html and html.count("<tr>") == n + 1  # header + one row each


def test_robustness_file_is_the_analysis_with_exact_floats(scores_dir, data):
    expected = rank_robustness(run(PARAMS).scores).units
    got = data.robustness
    assert list(got["unit_id"]) == list(expected["unit_id"])
    assert list(got["p_advanced"]) == list(expected["p_advanced"])  # exact, not rounded
    assert list(got["total"]) == list(expected["total"])
    assert (scores_dir / ROBUSTNESS_FILE).exists()


def test_robustness_in_the_bulletin(data):
    rob = data.robustness.set_index("unit_id")
    # 21 cities, advanced = top 1/3: 21 × 0.333… = 7 (6 when rounded down); 自贡市 ranks 18–19
    # in every draw, never in the top 7: probability 0; 成都市 is 2nd in every draw: always in
    assert (rob.at["zigong", "rank_min"], rob.at["zigong", "rank_max"]) == (18, 19)
    assert rob.at["zigong", "p_advanced"] == 0.0
    assert (rob.at["chengdu", "rank_min"], rob.at["chengdu", "rank_max"]) == (2, 2)
    assert rob.at["chengdu", "p_advanced"] == 1.0
    html = present.robustness(present.bulletin(data)).html
    assert "名次稳健性</h2>" in html and "1000次模拟" in html
    shown = rob[rob["advanced_could_change"]]
    assert len(shown) > 0 and f"以下{len(shown)}个单位" in html
    for _, r in shown.iterrows():  # each with its interval and probability to two decimals
        row = re.search(rf"<tr><td class=\"nw\">{r['name']}</td>(.*?)</tr>", html).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert cells == [str(r["rank"]), f"{r['rank_min']}–{r['rank_max']}",
                         f"{r['p_advanced']:.2f}"]
    assert "自贡市" not in html and "成都市" not in html  # firm either way: not listed


def test_robustness_in_a_unit_report(data):
    html = present.robustness(present.feedback(data, "zigong")).html
    assert "本单位（本次第19名）名次在第18至第19名之间" in html
    assert "列入先进市（州）的概率0.00" in html


def test_sections_absent_without_their_files(data):
    import dataclasses

    import pandas as pd

    bare = dataclasses.replace(data, robustness=pd.DataFrame(), rubric_changes=pd.DataFrame())
    assert present.rubric_changes(present.bulletin(bare)) is None
    assert present.robustness(present.bulletin(bare)) is None
    assert present.robustness(present.feedback(bare, "zigong")) is None


# -- 历年情况: which years' rubric changed from the year before ------------------------------


def test_rubric_years_count_only_changes_that_can_alter_scores(tmp_path):
    from kaohe.newyear import replace_year
    from kaohe.report.data import rubric_years

    got = rubric_years(FOLDER / "2018.yaml", [2016, 2017, 2018])
    # 2016: no 2015.yaml, left out. 2016→2017: year, title, notes, d13's ours text (wording)
    # and d13 kinds[0].cost 0.5→1: 1. 2017→2018: year, title, notes, two ours texts, a42 target
    # 10→9.5 and c12 kinds[0].cost 0.2→0.3: 2
    assert got.to_dict("records") == [{"year": 2017, "changed": True, "n_changes": 1},
                                      {"year": 2018, "changed": True, "n_changes": 2}]
    # a copy of 2017 with only its year replaced: nothing that can alter scores
    (tmp_path / "2017.yaml").write_bytes(PARAMS.read_bytes())
    (tmp_path / "2018.yaml").write_bytes(replace_year(PARAMS.read_bytes(), 2017, 2018))
    assert rubric_years(tmp_path / "2018.yaml", [2018]).to_dict("records") == \
        [{"year": 2018, "changed": False, "n_changes": 0}]


def _trend_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]


def test_trend_marks_the_2017_rubric_change(scores_dir, data):
    from kaohe.report.data import RUBRIC_YEARS_FILE

    # history of 2017 is 2016 alone; 2015.yaml does not exist, so only 2017 is known
    assert (scores_dir / RUBRIC_YEARS_FILE).read_text(encoding="utf-8-sig") == \
        "year,changed,n_changes\n2017,True,1\n"
    html = present.trend(present.feedback(data, "zigong")).html
    rows = _trend_rows(html)
    assert [r[0] for r in rows] == ["2016年", "2017年*"]
    assert [r[-1] for r in rows] == ["—", "有变化（1处）"]
    assert "评分细则</th>" in html
    assert "年度后标“*”的" in html


@pytest.fixture(scope="module")
def data_2018(tmp_path_factory):
    d = tmp_path_factory.mktemp("scores2018")
    params = FOLDER / "2018.yaml"
    prepare(params, d)
    return read_scores(d, load_rubric(params).rubric)


def test_trend_2018_marks_both_years(data_2018):
    html = present.trend(present.feedback(data_2018, "zigong")).html
    rows = _trend_rows(html)
    # the pipeline's history for 2018 is 2017 alone (诫勉谈话 looks two years back);
    # 2017 vs 2016: 1 change (d13 cost); 2018 vs 2017: 2 (a42 target, c12 cost)
    assert [(r[0], r[-1]) for r in rows] == [("2017年*", "有变化（1处）"),
                                             ("2018年*", "有变化（2处）")]
    again = present.trend(present.feedback(data_2018, "zigong")).html
    assert again == html  # deterministic


def test_trend_without_rubric_years_keeps_its_columns(data):
    import dataclasses

    import pandas as pd

    bare = dataclasses.replace(data, rubric_years=pd.DataFrame())
    html = present.trend(present.feedback(bare, "zigong")).html
    assert "评分细则" not in html and "年度后标" not in html
    assert [r[0] for r in _trend_rows(html)] == ["2016年", "2017年"]
    assert [len(r) for r in _trend_rows(html)] == [5, 5]
