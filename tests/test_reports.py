"""Reports: formatting, the report sections on changshou-rural 2023, charts in a CJK font,
notebooks, and a real build (papermill + nbconvert) that is byte-identical when repeated.

Numbers asserted here are worked out by hand from data/changshou-rural/2023 (the sample
data) and params/changshou-rural/2023.yaml; each assertion says how."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import matplotlib
import nbformat
import pandas as pd
import pytest

from kaohe.report import charts, plan
from kaohe.report import sections as present
from kaohe.report.data import prepare, read_scores
from kaohe.report.execute import clean, execute, output_problems
from kaohe.report.export import STYLE
from kaohe.report.html import Column, Fragment, cn_number, esc, num, pct, signed, table
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
NOTEBOOKS = ROOT / "notebooks"
TITLE = "长寿区2023年度巩固拓展脱贫攻坚成果同乡村振兴有效衔接考核"


def _row_of(file: str, prefix: str) -> str:
    """``file:line`` of the sample data row starting with ``prefix`` (as reports cite it)."""
    path = ROOT / "data" / "changshou-rural" / "2023" / file
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if line.startswith(prefix):
            return f"{file}:{n}"
    raise AssertionError(f"no row {prefix!r} in {file}")


# 云台镇's veto: the 实地评估 found a household returned to poverty (r16, effect last_grade)
VETO_ROW = _row_of("events.csv", "yuntai,r16,return_to_poverty,")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("scores")
    prepare(PARAMS, d)
    return read_scores(d, load_rubric(PARAMS).rubric)


# -- formatting -------------------------------------------------------------------------

def test_numbers_print_with_two_decimals():
    assert num(91.21020408163265) == "91.21"
    assert num(2.0) == "2.00"
    assert num(-0.001) == "0.00"  # never "-0.00"
    assert num(float("nan")) == "—" and num(None) == "—"
    assert signed(0.5) == "+0.50" and signed(-0.9) == "-0.90" and signed(0.0) == "0.00"
    assert pct(0.9) == "90.00%" and pct(6 / 19) == "31.58%"  # 6 ÷ 19 = 0.315789…
    assert [cn_number(n) for n in (1, 9, 10, 12, 21)] == ["一", "九", "十", "十二", "二十一"]


def test_text_from_data_is_escaped():
    frag = table([Column("单位"), Column("总分", True)], [["<script>x</script>", "1.00"]])
    assert "<script>" not in frag.html and "&lt;script&gt;x&lt;/script&gt;" in frag.html
    assert '<td class="num">1.00</td>' in frag.html
    assert esc('"a" & b') == "&quot;a&quot; &amp; b"
    assert repr(Fragment("<p>机密</p>", "段落")) == "<段落>"  # a repr never shows content


# -- charts -----------------------------------------------------------------------------

def test_charts_use_the_packaged_cjk_font():
    path = charts.font_path()
    assert path.exists() and "noto_cjk_sans_otc" in str(path)
    # even where the system has its own copy (Debian's fonts-noto-cjk), ours is used
    assert Path(charts.resolved_font()) == path


def test_chinese_chart_has_no_missing_glyphs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = charts.ranked_bars(["凤城街道", "晏家街道", "龙河镇"], [91.21, 95.28, 97.86],
                                 ["较好", "较好", "好"], ["好", "较好", "一般", "较差"], "排名")
    assert not [w for w in caught if "missing" in str(w.message).lower()]
    assert "NotoSansCJKsc-Regular" in svg and "DejaVu" not in svg
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<dc:date>" not in svg


def test_the_glyph_check_can_fail():
    """Control: the same chart in a Latin-only font warns about missing glyphs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = matplotlib.figure.Figure()
        fig.add_subplot().set_title("凤城街道")
        with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
            fig.savefig(__import__("io").BytesIO(), format="svg")
    assert any("missing" in str(w.message).lower() for w in caught)


def test_charts_are_deterministic():
    args = (["责任落实", "政策落实"], [0.9, 0.91], [0.9258, 0.9253], [0.99, 0.9933], "图")
    assert charts.indicator_profile(*args) == charts.indicator_profile(*args)


def test_svg_ids_are_scoped_per_figure():
    svg = charts.ranked_bars(["凤城街道"], [91.21], ["较好"], ["较好"], "排名")
    scoped = charts.scope_ids(svg, "f2-")
    ids = re.findall(r'id="([^"]+)"', scoped)
    assert ids and all(i.startswith("f2-") for i in ids)
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', scoped)
    assert refs and set(refs) <= set(ids)  # every reference still resolves


# -- plan -------------------------------------------------------------------------------

def test_pages_and_relative_links():
    sy = plan.SchemeYear("changshou-rural", "2023", TITLE)
    assert plan.bulletin_title(TITLE) == TITLE + "结果通报"
    assert plan.page_name("fengcheng") == "fengcheng"
    assert plan.page_name("凤城街道").startswith("u-")  # not a plain slug: a stable hash
    assert plan.page_name("凤城街道") == plan.page_name("凤城街道")
    pages = plan.pages(sy, PARAMS, Path("out/x/data"), [("fengcheng", "凤城街道")])
    bulletin, internal, unit = pages
    assert str(bulletin.path) == "changshou-rural/2023/bulletin.html"
    assert str(internal.path) == "changshou-rural/2023/internal.html"
    assert internal.title == TITLE + "：考核办内部分析"
    assert bulletin.resources()["css"] == "../../static/kaohe.css"
    assert str(unit.path) == "changshou-rural/2023/units/fengcheng.html"
    assert unit.resources()["css"] == "../../../static/kaohe.css"
    assert unit.resources()["crumbs"] == [["全部报告", "../../../index.html"],
                                         [TITLE, "../index.html"]]
    assert unit.parameters["unit_id"] == "fengcheng"
    assert Path(unit.parameters["params"]).is_absolute()


# -- the bulletin's sections ------------------------------------------------------------

def test_bulletin_title_and_overview(data):
    doc = present.bulletin(data)
    head = present.bulletin_header(doc).html
    assert f'<h1 class="title">{TITLE}结果通报</h1>' in head
    assert "示例数据" in head  # sample data carry a plain banner
    over = present.overview(doc).html
    assert "一、总体情况" in over
    assert "本次考核共19个单位参加（街道7个、镇12个），统一排名" in over
    # grades by quota among the 18 units not vetoed (云台镇 is): 好 = round(0.3 × 18 = 5.4) = 5,
    # and 长寿湖镇, 双龙镇 tie at rank 5 with 95.95 → both 好 (ties: higher): 6 of 19 = 31.58%
    assert "<td>好</td><td class=\"num\">6</td><td class=\"num\">31.58%</td>" in over
    assert "<td>较差</td><td class=\"num\">1</td><td class=\"num\">5.26%</td><td>云台镇</td>" in over


def test_ranking_table_has_subtotals_adjustments_total_and_grade(data):
    doc = present.bulletin(data)
    html = present.ranking_table(doc, "").html
    for head in ("责任落实（10分）", "政策落实（30分）", "工作落实（20分）", "巩固成效（33分）",
                 "重点专项（7分）", "缺项折算后", "市级评估结果运用", "加分", "总分", "等次", "备注"):
        assert f">{head}</th>" in html
    row = re.search(r"<tr[^>]*><td class=\"num\">7</td><td class=\"nw\">"
                    r"<a href=\"units/jiangnan.html\">江南街道</a></td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    # 江南街道 bonus: 以工代赈 counted once at its highest (national pilot 1, not also the
    # municipal 0.5) + central media 0.3 + municipal commendation 0.5 + 华龙网 0.2 + district
    # commendation 0.2 = 2.2, capped at 2;
    # total = 93.788 (no rescaling, all 100 points apply) + 2 = 95.788 → 95.79
    assert cells[-4:] == ["+2.00", "95.79", "较好", ""]
    yuntai = re.search(r"<tr class=\"vetoed\"[^>]*>.*?云台镇.*?</tr>", html).group(0)
    assert "一票否决" in yuntai and ">较差<" in yuntai and '<td class="num">19</td>' in yuntai


def test_vetoes_list_the_case_and_its_data_row(data):
    html = present.vetoes(present.bulletin(data)).html
    assert "云台镇" in html and "防止返贫致贫成效" in html
    assert VETO_ROW not in html and "见该单位反馈报告附表" in html  # rows are in its report
    assert "一票否决，按评分细则评为最后一个等次" in html


def test_honours_list_the_advanced_units(data):
    html = present.honours(present.bulletin(data)).html
    # 通报表扬 = top 30% of 19, rounded half up: 5.7 → 6; ranks 1–5 with the tie at 5
    assert "共6个单位评为通报表扬" in html
    assert "龙河镇、渡舟街道、云集镇、八颗街道、长寿湖镇、双龙镇" in html


def test_heatmap_and_bars_are_svg_in_figures(data):
    doc = present.bulletin(data)
    bars = present.ranking_chart(doc, "").html
    heat = present.heatmaps(doc).html
    assert bars.count("<svg ") == 1 and heat.count("<svg ") == 1
    # titles state the finding: one of the 19 graded 较差 (6 好, 8 较好, 4 一般 above it),
    # totals from 87.42 (但渡镇) to 97.86 (龙河镇)
    t = data.totals
    assert (t["grade"] == "较差").sum() == 1
    assert "图1　全部单位（19个）中1个评为“较差”（总分87.42～97.86分，按等次着色）" in bars
    # 重点专项's mean share (91.98%) is the lowest of the five first-level indicators
    assert "图2　全部单位（19个）一级指标得分率：重点专项平均得分率最低（91.98%）" in heat


def test_change_against_last_year(data):
    history = pd.DataFrame({
        "year": pd.array([2022, 2022, 2021], dtype="Int64"), "unit_id": ["jiangnan", "yuntai",
                                                                        "jiangnan"],
        "total": [93.5, 96.0, 90.0], "rank": [10.0, 2.0, 12.0], "group_size": [19.0] * 3,
        "grade": ["较好", "好", "一般"], "advanced": [False, True, False]})
    doc = present.bulletin(dataclasses.replace(data, history=history))
    html = present.change(doc).html
    assert "与2022年度比较" in html
    row = re.search(r"<tr><td class=\"nw\">江南街道</td>(.*?)</tr>", html).group(1)
    # 95.788 − 93.5 = +2.288 → +2.29; rank 10 → 7: up 3
    assert re.findall(r"<td[^>]*>(.*?)</td>", row) == [
        "93.50", "95.79", "+2.29", "10", "7", "上升3位", "较好", "较好"]
    row = re.search(r"<tr><td class=\"nw\">云台镇</td>(.*?)</tr>", html).group(1)
    assert "下降17位" in row  # 2 → 19
    assert "上年未参加" in html  # units not in the 2022 history
    assert present.change(present.bulletin(data)) is None  # no history: no section


# -- a unit's feedback report ------------------------------------------------------------

def test_lost_points_every_one_with_reason_and_row_largest_first(data):
    doc = present.feedback(data, "fengcheng")
    lost = present.lost_points(doc)
    # 凤城街道: 21 applicable leaves below their maximum (r22 does not apply, r16 is a veto
    # with no points); total lost = applicable maximum 98 − earned 89.386 = 8.614
    assert len(lost) == 21
    assert lost["lost"].sum() == pytest.approx(98 - 89.386)
    first = lost.iloc[0]
    # largest: 镇街交叉检查 90.2 on a 100 scale → 9.02 of 10, lost 0.98
    assert first["lost"] == pytest.approx(10 - 90.2 / 100 * 10)
    assert first["indicator"] == "巩固成效 › 镇街交叉检查结果运用"
    assert "入户核查发现帮扶措施台账与实际不符" in first["reason"]
    assert first["ref"] == _row_of("observations.csv", "fengcheng,r18,")
    assert lost.iloc[1]["lost"] == pytest.approx(10 - 90.7 / 100 * 10)  # 现场实地评估, 0.93
    r01 = lost[lost["ref"] == _row_of("observations.csv", "fengcheng,r01,")].iloc[0]
    assert r01["lost"] == pytest.approx(3 - 2.6) and "年度工作部署未细化到村" in r01["reason"]
    assert list(lost["cost"].round(6)) == sorted(lost["cost"].round(6), reverse=True)  # a line each
    # 凤城街道's applicable maximum is 98 (缺项折算 to 100): each loss costs 100/98 of
    # itself in the total, 8.614 × 100/98 = 8.79
    assert lost["cost"].sum() == pytest.approx((98 - 89.386) * 100 / 98)
    assert first["cost"] == pytest.approx(first["lost"] * 100 / 98)
    html = present.losses(doc).html
    assert "本单位共有21处失分，折合总分合计8.79分" in html
    assert "重点帮扶" in html and "以下指标对本单位不适用" in html  # r22 not applicable


def test_lost_points_with_deductions_floored_at_zero(data):
    """A 扣完为止 rule: two deductions of 2 and 1.5 from 3 points, 0.5 given back at the
    floor; the report lists all three lines under the indicator, which lost 3 in all."""
    u, leaf = "fengcheng", "r01"
    d = data.details.copy()
    at = (d["unit_id"] == u) & (d["indicator_id"] == leaf)
    d.loc[at, ["points", "lost"]] = [0.0, 3.0]
    lines = data.lines[~((data.lines["unit_id"] == u) & (data.lines["indicator_id"] == leaf))]
    extra = pd.DataFrame({"unit_id": [u] * 3, "indicator_id": [leaf] * 3,
                          "delta": [-2.0, -1.5, 0.5],
                          "text": ["少报2次，扣2分", "台账缺1本，扣1.5分", "扣完为止，退回0.5分"],
                          "ref": ["events.csv:2", "events.csv:3", ""]})
    doc = present.feedback(dataclasses.replace(data, details=d,
                                               lines=pd.concat([lines, extra])), u)
    lost = present.lost_points(doc)
    top = lost.iloc[:3]  # r01 now loses most: 3 points
    assert list(top["lost"]) == [2.0, 1.5, -0.5] and top["lost"].sum() == 3.0
    assert list(top["ref"]) == ["events.csv:2", "events.csv:3", ""]
    # the total is still the applicable maximum minus the points: 98 − (89.386 − 2.6)
    assert lost["lost"].sum() == pytest.approx(98 - (89.386 - 2.6))


def test_unit_result_and_indicators(data):
    doc = present.feedback(data, "fengcheng")
    head = present.feedback_header(doc).html
    assert f"{TITLE}结果反馈" in head and "被考核单位：凤城街道（街道）" in head
    res = present.result(doc).html
    assert '<div class="v">91.21</div>' in res  # 89.386 ÷ 98 × 100 = 91.2102
    assert '<div class="v">第11名</div>' in res and "全部单位共19个" in res
    assert "折算为100分制" in res
    ind = present.indicators(doc).html
    # 责任落实 2.6 + 1.9 + 4.5 = 9.0 of 10 = 90.00%; 重点专项 4.5 of 5 (r22 not applicable)
    assert "<td>责任落实</td><td class=\"num\">10.00</td><td class=\"num\">9.00</td>" \
           "<td class=\"num\">90.00%</td>" in ind
    assert "<td>重点专项</td><td class=\"num\">5.00</td><td class=\"num\">4.50</td>" \
           "<td class=\"num\">90.00%</td>" in ind
    assert ind.count("<svg ") == 1


def test_vetoed_unit_report(data):
    doc = present.feedback(data, "yuntai")
    res = present.result(doc).html
    assert '<div class="v">较差</div>' in res and '<div class="v">一票否决</div>' in res
    adj = present.adjustments(doc).html
    # the veto's data row, numbered in the report's own appendix of its input rows
    appendix = doc.appendix()
    no = int(appendix.loc[appendix["ref"] == VETO_ROW, "no"].iloc[0])
    assert f"原始数据第{no}条" in adj and "一票否决（0.00" not in adj
    assert VETO_ROW not in adj
    app = present.inputs_appendix(doc).html
    assert f'<td class="num">{no}</td><td class="nw">事项记录</td>' in app


def test_self_check_and_trend_where_there_are_any(data):
    doc = present.feedback(data, "fengcheng")
    assert present.self_check(doc) is None and present.trend(doc) is None
    sc = pd.DataFrame({"unit_id": ["fengcheng"], "indicator_id": ["r01"], "self_points": [3.0],
                       "verified_points": [2.6], "gap": [0.4], "flagged": [True],
                       "ref": ["self_assessment.csv:2"]})
    hist = pd.DataFrame({"year": pd.array([2021, 2022], dtype="Int64"),
                         "unit_id": ["fengcheng"] * 2, "total": [88.0, 90.5],
                         "rank": [15.0, 12.0], "group_size": [19.0, 19.0],
                         "grade": ["一般", "较好"], "advanced": [False, False]})
    doc = present.feedback(dataclasses.replace(data, self_check=sc, history=hist), "fengcheng")
    html = present.self_check(doc).html
    assert "本单位自评3.00分，核定2.60分，相差+0.40分" in html
    html = present.trend(doc).html
    assert "<td>2021年</td><td class=\"num\">88.00</td><td>第15名/19</td>" in html
    assert "<td>2023年</td><td class=\"num\">91.21</td><td>第11名/19</td>" in html
    assert "<svg " in html


def test_names_from_data_are_escaped_in_sections(data):
    totals = data.totals.copy()
    totals.loc[totals["unit_id"] == "fengcheng", "name"] = "<b>凤城</b>"
    changed = dataclasses.replace(data, totals=totals)
    html = (present.feedback_header(present.feedback(changed, "fengcheng")).html
            + present.ranking_table(present.bulletin(changed), "").html)
    assert "<b>" not in html and "&lt;b&gt;凤城&lt;/b&gt;" in html


def test_provenance_block(data):
    html = present.provenance(present.bulletin(data)).html
    p = data.provenance
    for value in (p["rubric"], p["rubric_sha256"], p["kaohe_version"], p["commit"],
                  *p["data_sha256"].values()):
        assert esc(value) in html
    assert "示例数据（非真实考核数据）" in html


# -- notebooks ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, sections", [
    ("bulletin.ipynb", present.BULLETIN_SECTIONS), ("unit.ipynb", present.FEEDBACK_SECTIONS),
    ("internal.ipynb", present.INTERNAL_SECTIONS)])
def test_notebooks_follow_their_documents_section_lists(name, sections):
    """Each document's section order lives in one list (kaohe.report.sections); the notebook calls
    exactly those, one per cell, in that order."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c.source.strip() for c in nb.cells if c.cell_type == "code"][2:]
    # the office's own sections (kaohe.office: notices, appeals) sit between them
    assert [c for c in code if not c.startswith("sections.")] == \
        [f"present.{s}(doc)" for s in sections]


@pytest.mark.parametrize("name", ["bulletin.ipynb", "internal.ipynb", "unit.ipynb"])
def test_notebooks_are_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "kaohe"
    assert "papermill" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata and "papermill" not in cell.metadata
    assert "parameters" in code[0].metadata.get("tags", [])
    for call in re.findall(r"present\.(\w+)\(", "".join(c.source for c in code)):
        assert callable(getattr(present, call))


def test_output_checks_refuse_streams_errors_and_reprs():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: …"),
        nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[]),
        nbformat.v4.new_output("execute_result", data={"text/plain": "   unit_id  total"}),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>ok</p>",
                                                     "text/plain": "<段落>"}),
    ]
    nb.cells = [cell]
    problems = output_problems(nb, "unit.ipynb")
    assert len(problems) == 3  # the HTML output is the only acceptable one
    assert "FutureWarning" in problems[0].message and "KeyError" in problems[1].message


def test_clean_drops_run_times():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"start_time": "2026-01-01T00:00:00"}
    cell = nbformat.v4.new_code_cell("1", execution_count=3)
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    cell.metadata["papermill"] = {"duration": 0.1}
    nb.cells = [cell]
    out = clean(nb)
    assert "papermill" not in out.metadata and out.cells[0].execution_count is None
    assert "execution" not in out.cells[0].metadata


@pytest.mark.parametrize("name", ["bulletin.ipynb", "internal.ipynb", "unit.ipynb"])
def test_notebooks_run_top_to_bottom_with_default_parameters(name):
    """As an analyst in JupyterLab: kernel in notebooks/, no parameters given."""
    nb = execute(NOTEBOOKS / name, {}, name, cwd=NOTEBOOKS)
    html = "".join(o.data.get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs if "data" in o)
    assert TITLE in html and "示例数据" in html
    if name == "unit.ipynb":  # unit_id None: the first unit of units.csv, 凤城街道
        assert "被考核单位：凤城街道（街道）" in html


# -- a real build -----------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])


# enough pages that jobs=2 starts two worker processes (kaohe.report.build.PAGES_PER_WORKER)
BUILT_UNITS = {"yuntai", "fengcheng", "yanjia", "jiangnan", "duzhou", "xinshi", "bake",
               "puti", "dandu"}


def _build(out: Path, jobs: int) -> None:
    from kaohe.report.build import _workers, build

    assert _workers(jobs, len(BUILT_UNITS) + 1) == jobs
    result = build([PARAMS], out, units=BUILT_UNITS, jobs=jobs)
    assert (result.bulletins, result.units, result.sample) == (1, len(BUILT_UNITS), True)
    assert (result.rendered, result.kept, result.failed) == (len(BUILT_UNITS) + 2, 0, 0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two builds of the same inputs: one page after another in this process, and in two
    worker processes."""
    a, b = tmp_path_factory.mktemp("build-a"), tmp_path_factory.mktemp("build-b")
    _build(a, jobs=1)
    _build(b, jobs=2)
    return a, b


def test_two_builds_are_byte_identical(built):
    a, b = built
    from kaohe.report.build import published

    files_a, files_b = published(a), published(b)
    assert files_a == files_b
    assert Path("changshou-rural/2023/bulletin.html") in files_a
    different = [f for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()]
    assert different == []


def test_built_pages_look_like_documents(built):
    out = built[0]
    sy = out / "changshou-rural" / "2023"
    bulletin = (sy / "bulletin.html").read_text(encoding="utf-8")
    unit = (sy / "units" / "yuntai.html").read_text(encoding="utf-8")
    assert f"{TITLE}结果通报" in bulletin
    assert "被考核单位：云台镇（镇）" in unit
    for html in (bulletin, unit):
        assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
        assert "示例数据" in html
        # no code, no prompts, no lab CSS, no reprs, no warnings or tracebacks
        for bad in ("jp-InputArea", "jp-OutputPrompt", "In&nbsp;[", "Traceback", "Warning",
                    "DataFrame", "object at 0x", "<pre", "present.", "<link"):
            assert bad not in html, bad
        # the project's stylesheet inlined once (a page sent alone keeps its looks), no lab
        # CSS; the other <style>s are the SVGs' own
        assert html.count(f"<style>{STYLE}</style>") == 1
        assert len(re.findall(r"<style", html)) == html.count("<svg ") + 1
        # one provenance line: the version and a short digest, not the hashes and paths
        prov = json.loads((sy / "data" / "provenance.json").read_text(encoding="utf-8"))
        assert prov["commit"][:8] in html and prov["rubric_sha256"] not in html
        assert "生成程序 kaohe" in html
    internal = (sy / "internal.html").read_text(encoding="utf-8")
    assert prov["rubric_sha256"] in internal and "内部资料" in internal
    assert len(STYLE) < 20_000
    # one unit report with its charts under 150 KB
    assert (sy / "units" / "yuntai.html").stat().st_size < 150_000


def test_build_links_resolve_from_the_file_system(built):
    out = built[0]
    pages = sorted(out.rglob("*.html"))
    assert {p.relative_to(out).as_posix() for p in pages} == {
        "index.html", "changshou-rural/2023/index.html", "changshou-rural/2023/bulletin.html",
        "changshou-rural/2023/internal.html",
        *(f"changshou-rural/2023/units/{u}.html" for u in BUILT_UNITS)}
    linked: set[str] = set()
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.links, page
        for href in parser.links:
            assert not urlparse(href).scheme and not href.startswith("/"), href  # relative
            if page.name == "bulletin.html" and href.startswith("units/"):
                linked.add(href)  # the bulletin links every unit's report, built or not
                if href.removeprefix("units/").removesuffix(".html") not in BUILT_UNITS:
                    continue
            if (page.parent.name == "units" and "/" not in href
                    and href.removesuffix(".html") not in BUILT_UNITS):
                continue  # previous/next unit: built or not, as from the bulletin
            assert (page.parent / unquote(href)).resolve().exists(), (page, href)
    units = pd.read_csv(ROOT / "data/changshou-rural/2023/units.csv")["unit_id"]
    assert linked == {f"units/{u}.html" for u in units}
    sy_index = (out / "changshou-rural/2023/index.html").read_text(encoding="utf-8")
    assert 'href="units/yuntai.html"' in sy_index and 'href="internal.html"' in sy_index
    unit = (out / "changshou-rural/2023/units/yuntai.html").read_text(encoding="utf-8")
    assert 'href="../bulletin.html"' in unit  # a unit report links back to the bulletin
    # and to the units before and after it in its group, in the order of units.csv
    order = units.tolist()
    i = order.index("yuntai")
    assert f'<a class="prev" href="{order[i - 1]}.html">上一个单位</a>' in unit
    assert f'<a class="next" href="{order[i + 1]}.html">下一个单位</a>' in unit
    first = (out / f"changshou-rural/2023/units/{order[0]}.html").read_text(encoding="utf-8")
    assert 'class="prev"' not in first and f'<a class="next" href="{order[1]}.html">' in first
    assert "未生成" in sy_index  # units not built this time are listed without a link
    top = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="changshou-rural/2023/index.html"' in top and f"{len(BUILT_UNITS)}/19" in top
    # Chinese names only: the office, the year as a reader says it
    assert "<h2>中共重庆市长寿区委农村工作暨实施乡村振兴战略领导小组办公室</h2>" in top
    assert "<td>2023年度</td>" in top and "changshou-rural</" not in top
