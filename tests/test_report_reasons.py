"""Every scored cell has a reason: each applicable indicator of a unit's report is either a
loss in 失分明细 (with the department that scored it, its raw value and note) or a row of
得满分指标 (with the reason and the rows read), full marks included.

sichuan-poverty 2020, 成都市 (observations.csv rows 15–18): 贫困退出程序规范 b23 is a checklist
of four steps of 0.25 points; all four are met (value 1), so 1 point of 1: "4项要求均达到，得满分",
with its four rows. 驻村帮扶在岗履职 reads deduction cases; 成都市 has none: "无扣分情形，得满分"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.report import sections as present
from kaohe.report.data import prepare, read_scores
from kaohe.report.sections.feedback import _label
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
SICHUAN = ROOT / "params" / "sichuan-poverty" / "2020.yaml"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("sc2020")
    prepare(SICHUAN, d)
    return read_scores(d, load_rubric(SICHUAN).rubric)


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]


def test_full_marks_with_their_reason_and_rows(data):
    doc = present.feedback(data, "chengdu")
    rows = {r[1]: r for r in _rows(present.full_marks(doc).html)}
    b23 = rows["精准识别 › 贫困退出程序规范"]
    assert b23[2:] == ["1.00", "脱贫攻坚督查考核办公室", "4项要求均达到，得满分", b23[5]]
    a = doc.appendix()
    nos = a.loc[a["indicator_id"] == "b23", "no"].tolist()
    assert len(nos) == 4 and b23[5] == "原始数据第" + "、".join(map(str, nos)) + "条"
    assert a.loc[a["indicator_id"] == "b23", "value"].astype(float).tolist() == [1.0] * 4
    assert rows["精准帮扶 › 驻村帮扶在岗履职"][4] == "无扣分情形，得满分"


@pytest.mark.parametrize("unit", ["chengdu", "junlian", "zigong"])
def test_every_applicable_indicator_has_a_reason(data, unit):
    doc = present.feedback(data, unit)
    d = data.details
    adjust = {a.id for a in data.rubric.adjustments}
    mine = d[(d["unit_id"] == unit) & d["applicable"] & ~d["indicator_id"].isin(adjust)
             & (d["max"] > 0)]
    lost = mine[mine["max"] - mine["points"] > 1e-9]
    full = present.full_marks(doc)
    full_rows = _rows(full.html) if full is not None else []
    assert len(full_rows) == len(mine) - len(lost)
    assert all(r[4] for r in full_rows)  # a reason in every row
    losses = present.lost_points(doc)
    assert set(losses["indicator"]) == {_label(r) for _, r in lost.iterrows()}
    # each loss names the department that scored it, as the rubric names it
    by_label = {_label(r): r["department"] for _, r in mine.iterrows()}
    assert [by_label[i] for i in losses["indicator"]] == losses["department"].tolist()
    assert losses["department"].map(bool).all()


def test_a_loss_names_its_department_and_raw_value(data):
    html = present.losses(present.feedback(data, "chengdu")).html
    head = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html)
    assert head[:6] == ["序号", "指标", "本项失分", "折合总分", "评分部门", "原因"]
    first = _rows(html)[0]
    # 两不愁三保障: 96.92% sampled, 90%–100% linear over 7 points: 7 × 0.692 = 4.84, lost 2.16
    assert first[1] == "减贫成效 › 脱贫户“两不愁三保障”达标率"
    assert first[4] == "脱贫攻坚督查考核办公室" and "96.92%" in first[5] and "扣2.16分" in first[5]
