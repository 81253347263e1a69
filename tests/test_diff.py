"""kaohe diff: the bundled changshou-rural 2023 rubric against modified copies; each kind of
change is reported once, with its key path, old and new values and a Chinese sentence."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from helpers import make_rubric

from kaohe.cli import main
from kaohe.diff import diff_files, diff_rubrics, format_changes

ROOT = Path(__file__).resolve().parents[1]
CHANGSHOU = ROOT / "params" / "changshou-rural" / "2023.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(CHANGSHOU.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict, name: str = "revised.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def by_path(changes) -> dict:
    return {c.path: c for c in changes}


def node(d: dict, node_id: str) -> dict:
    stack = list(d["indicators"]) + list(d.get("adjustments", []))
    while stack:
        n = stack.pop()
        if n["id"] == node_id:
            return n
        stack += n.get("children", [])
    raise KeyError(node_id)


def test_identical_rubrics_have_no_changes():
    changes = diff_files(CHANGSHOU, CHANGSHOU)
    assert changes == []
    assert "内容相同" in format_changes(changes)


def test_each_change_to_changshou_is_reported(raw, tmp_path):
    new = copy.deepcopy(raw)
    new["year"] = 2024
    # a new indicator under C (工作落实), paid for by r15: 3 → 2 points
    node(new, "r15")["points"] = 2
    node(new, "C")["children"].append({"id": "r15b", "name": "信访稳定", "points": 1,
                                      "department": "区信访办", "rule": {"kind": "rater_points"}})
    # points moved inside A: r01 3 → 4, r02 2 → 1
    node(new, "r01")["points"] = 4
    node(new, "r02")["points"] = 1
    # a rule parameter: the cross-check is scored out of 50 instead of 100
    node(new, "r18")["rule"]["scale"] = 50
    # the quota: 好 30% → 35%, 较好 50% → 45%; rounding half_up → floor
    new["results"]["grades"]["tiers"][0]["share"] = 0.35
    new["results"]["grades"]["tiers"][1]["share"] = 0.45
    new["results"]["grades"]["rounding"] = "floor"
    new["results"]["advanced"]["grade_in"] = ["好", "较好"]  # 通报表扬 widened
    changes = diff_files(CHANGSHOU, write(tmp_path, new))
    c = by_path(changes)
    assert len(changes) == 10, [x.text for x in changes]
    assert c["year"].old == 2023 and c["year"].new == 2024
    added = c["indicators[r15b]"]
    assert added.kind == "added" and added.old is None and added.new["points"] == 1
    assert added.text == "新增指标“r15b 信访稳定”（“C 工作落实”下，1分，评分规则“评分直接计分”（rater_points））"
    assert (c["indicators[r15].points"].old, c["indicators[r15].points"].new) == (3, 2)
    assert c["indicators[r01].points"].text == "指标“r01 主体责任落实”分值由3分改为4分"
    assert c["indicators[r02].points"].kind == "points"
    param = c["indicators[r18].rule.scale"]
    assert param.kind == "rule_param" and (param.old, param.new) == (100, 50)
    assert param.text == "指标“r18 镇街交叉检查结果运用”评分规则参数 scale 由100改为50"
    share = c["results.grades[all].tiers[好].share"]
    assert share.kind == "grades" and share.text == "等次“好”的比例由30%改为35%"
    assert c["results.grades[all].tiers[较好].share"].new == 0.45
    assert c["results.grades[all].rounding"].text == "等次人数取整方式由四舍五入改为向下取整"
    praise = c["results.advanced[all].grade_in"]
    assert (praise.old, praise.new) == (["好"], ["好", "较好"])
    assert praise.text == "通报表扬名单所取等次由“好”改为“好、较好”（增加较好）"
    text = format_changes(changes, "2023", "2024")
    assert text.splitlines()[0] == "评分细则对比：2023 → 2024，共 10 处变化。"
    assert "【指标】" in text and "【结果规则】" in text


def test_removed_moved_and_reordered_indicators(raw, tmp_path):
    new = copy.deepcopy(raw)
    # r12 (消费帮扶, 2 points) moves from C to E; r21 (5 points) is removed, E keeps 7 points
    c_kids = node(new, "C")["children"]
    r12 = next(k for k in c_kids if k["id"] == "r12")
    c_kids.remove(r12)
    node(new, "C")["points"] = 18
    e = node(new, "E")
    e["children"] = [k for k in e["children"] if k["id"] != "r21"] + [r12]
    node(new, "r22")["points"] = 5
    node(new, "D")["points"] = 35
    node(new, "r17")["points"] = 5
    # the first-level sections listed in another order
    new["indicators"] = [new["indicators"][1], new["indicators"][0]] + new["indicators"][2:]
    changes = diff_files(CHANGSHOU, write(tmp_path, new))
    c = by_path(changes)
    assert c["indicators[r21]"].kind == "removed"
    assert c["indicators[r21]"].text == "删除指标“r21 财政衔接资金管理使用”（原在“E 重点专项”下，5分）"
    moved = c["indicators[r12]"]
    assert moved.kind == "moved" and (moved.old, moved.new) == ("C", "E")
    assert moved.text == "指标“r12 消费帮扶”由“C 工作落实”下移至“E 重点专项”下"
    order = c["indicators"]
    assert order.kind == "reordered" and order.old[:2] == ["A", "B"] and order.new[:2] == ["B", "A"]
    assert (c["indicators[C].points"].old, c["indicators[C].points"].new) == (20, 18)
    assert (c["indicators[D].points"].old, c["indicators[D].points"].new) == (33, 35)


def test_a_default_written_out_is_not_a_change(raw, tmp_path):
    new = copy.deepcopy(raw)
    node(new, "r01")["rule"]["combine"] = "mean"  # rater_points' default
    new["results"]["ranking"]["method"] = "min"  # already min
    assert diff_files(CHANGSHOU, write(tmp_path, new)) == []


def test_rule_kind_tiers_and_adjustment_parameters(raw, tmp_path):
    new = copy.deepcopy(raw)
    node(new, "r19")["rule"] = {"kind": "rater_points"}
    node(new, "bonus")["rule"]["cap"] = 3
    node(new, "bonus")["points"] = 3
    new["results"]["grades"]["tiers"].insert(0, {"name": "优秀", "share": 0.1})
    new["results"]["grades"]["tiers"][1]["share"] = 0.2
    new["results"]["ranking"]["within"] = ["kind"]
    changes = diff_files(CHANGSHOU, write(tmp_path, new))
    c = by_path(changes)
    rule = c["indicators[r19].rule"]
    assert rule.kind == "rule" and rule.old["kind"] == "rate_to_points"
    assert rule.text.startswith("指标“r19 巩固脱贫成果群众认可度结果运用”评分规则由")
    cap = c["adjustments[bonus].rule.cap"]
    assert (cap.old, cap.new) == (2, 3)
    assert cap.text == "加减分项“bonus 加分”评分规则参数 cap 由2改为3"
    assert c["results.grades[all].tiers[优秀]"].text == "等次新增“优秀”一档"
    assert c["results.grades[all].tiers[好].share"].text == "等次“好”的比例由30%改为20%"
    assert c["results.ranking.within"].text == "排名分组由“统一排名”改为“kind”"


def test_weights_and_unit_kinds_of_built_rubrics():
    def rubric(w1: float, kinds: list[dict]) -> object:
        return make_rubric([{
            "id": "A", "name": "实绩", "points": 100, "aggregate": "weighted",
            "children": [{"id": "a1", "name": "甲", "points": 10, "weight": w1,
                          "rule": {"kind": "rater_points"}},
                         {"id": "a2", "name": "乙", "points": 10, "weight": round(1 - w1, 2),
                          "rule": {"kind": "rater_points"}}]}], unit_kinds=kinds)

    dept = [{"id": "dept", "name": "县直单位"}]
    old = rubric(0.6, dept)
    new = rubric(0.7, dept + [{"id": "town", "name": "乡镇"}])
    c = by_path(diff_rubrics(old, new))
    assert c["indicators[a1].weight"].text == "指标“a1 甲”权重由0.6改为0.7"
    assert (c["indicators[a2].weight"].old, c["indicators[a2].weight"].new) == (0.4, 0.3)
    assert c["unit_kinds[town]"].text == "新增单位类别“乡镇”（town）"
    assert len(c) == 3


def test_cli_diff_text_and_json(raw, tmp_path, capsys):
    new = copy.deepcopy(raw)
    node(new, "r18")["rule"]["scale"] = 50
    path = write(tmp_path, new)
    assert main(["diff", str(CHANGSHOU), str(path)]) == 0
    out = capsys.readouterr().out
    assert "共 1 处变化" in out and "scale 由100改为50" in out
    assert main(["diff", str(CHANGSHOU), str(path), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == [{"kind": "rule_param", "section": "指标",
                        "path": "indicators[r18].rule.scale", "old": 100.0, "new": 50.0,
                        "text": "指标“r18 镇街交叉检查结果运用”评分规则参数 scale 由100改为50"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text("scheme: x\n", encoding="utf-8")
    assert main(["diff", str(CHANGSHOU), str(bad)]) == 1
