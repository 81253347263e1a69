"""A broken rubric is refused with every problem at once, each naming the file, the key path
and what is wrong; the bundled rubric loads.

Each test starts from a copy of params/changshou-rural/2023.yaml, breaks it, writes it into
tmp_path and loads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kaohe.errors import KaoheError, Problem
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"

# Key paths into the bundled rubric used below (checked by test_paths_point_where_expected).
A = "indicators[0]"  # 责任落实 10 = r01 3 + r02 2 + r03 5
B_R07 = "indicators[1].children[3]"  # 医疗保障成果巩固 10 = r07a 5 + r07b 5
C = "indicators[2]"  # 工作落实: r09 … r15


@pytest.fixture()
def raw() -> dict:
    return yaml.safe_load(PARAMS.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict | str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True,
                                                               sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(KaoheError) as info:
        load_rubric(path)
    problems = info.value.problems
    assert problems, "a refused rubric must say why"
    for p in problems:
        assert p.file == str(path), p  # every problem names the file
        assert p.message
    return problems


def by_key(problems: list[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.row, []).append(p.message)
    return out


def test_bundled_rubric_loads():
    loaded = load_rubric(PARAMS)
    r = loaded.rubric
    # 22 rows of the attachment, row 7 scored by two departments: 23 leaves
    assert len(r.leaves()) == 23
    assert [t.max_points for t in r.indicators] == [10, 30, 20, 33, 7]
    assert sum(t.max_points for t in r.indicators) == 100
    assert [a.id for a in r.adjustments] == ["inspections", "bonus", "veto"]
    assert len(loaded.sha256) == 64


def test_paths_point_where_expected(raw):
    assert raw["indicators"][0]["name"] == "责任落实"
    assert raw["indicators"][1]["children"][3]["id"] == "r07"
    assert [c["id"] for c in raw["indicators"][2]["children"]] == [
        "r09", "r10", "r11", "r12", "r13", "r14", "r15"]


def test_children_must_add_up_to_parent(tmp_path, raw):
    raw["indicators"][0]["children"][0]["points"] = 4  # 4 + 2 + 5 = 11 ≠ 10
    got = by_key(problems_of(write(tmp_path, raw)))
    assert list(got) == [f"{A}.children"]
    (msg,) = got[f"{A}.children"]
    assert "11" in msg and "10" in msg and "责任落实" in msg


def test_first_level_points_must_add_up_to_full_score(tmp_path, raw):
    raw["full_score"] = 90  # 10 + 30 + 20 + 33 + 7 = 100 for both kinds
    got = by_key(problems_of(write(tmp_path, raw)))
    assert list(got) == ["indicators"]
    assert len(got["indicators"]) == 2  # once per unit kind: 街道 and 镇
    assert all("100" in m and "90" in m for m in got["indicators"])
    assert {m.split("”")[0] for m in got["indicators"]} == {"“镇", "“街道"}


def test_weights_must_sum_to_one(tmp_path, raw):
    r07 = raw["indicators"][1]["children"][3]
    r07["aggregate"] = "weighted"
    r07["children"][0]["weight"] = 0.5
    r07["children"][1]["weight"] = 0.4  # 0.5 + 0.4 = 0.9
    got = by_key(problems_of(write(tmp_path, raw)))
    assert list(got) == [f"{B_R07}.children"]
    assert "0.9" in got[f"{B_R07}.children"][0] and "应为 1" in got[f"{B_R07}.children"][0]


def test_weighted_child_without_weight(tmp_path, raw):
    r07 = raw["indicators"][1]["children"][3]
    r07["aggregate"] = "weighted"
    r07["children"][0]["weight"] = 1.0
    got = by_key(problems_of(write(tmp_path, raw)))
    assert f"{B_R07}.children[1].weight" in got
    assert "weight" in got[f"{B_R07}.children[1].weight"][0]


def test_unknown_rule_name(tmp_path, raw):
    raw["indicators"][2]["children"][0]["rule"] = {"kind": "rater_pionts"}
    got = by_key(problems_of(write(tmp_path, raw)))
    key = f"{C}.children[0].rule.kind"
    assert list(got) == [key]
    assert "rater_pionts" in got[key][0]
    assert "rater_points" in got[key][0]  # the message lists the rules there are


def test_unknown_and_invalid_rule_parameters(tmp_path, raw):
    ch = raw["indicators"][2]["children"]
    ch[0]["rule"] = {"kind": "rater_points", "scael": 100}  # unknown parameter
    ch[1]["rule"] = {"kind": "rater_points", "combine": "avg"}  # not an allowed value
    ch[2]["rule"] = {"kind": "rater_points", "scale": -1}  # out of range
    ch[3]["rule"] = {"kind": "rate_to_points", "floor": 0.9, "ceiling": 0.5}  # model check
    ch[4]["rule"] = {"kind": "checklist", "items": [  # 1 + 0.5 = 1.5 ≠ the item's 2 points
        {"id": "a", "name": "要求一", "points": 1}, {"id": "b", "name": "要求二", "points": 0.5}]}
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted([
        f"{C}.children[0].rule.scael",
        f"{C}.children[1].rule.combine",
        f"{C}.children[2].rule.scale",
        f"{C}.children[3].rule",
        f"{C}.children[4].rule",
    ])
    assert "未知的键" in got[f"{C}.children[0].rule.scael"][0]
    assert "取值不在允许范围内" in got[f"{C}.children[1].rule.combine"][0]
    assert "'mean'" in got[f"{C}.children[1].rule.combine"][0]  # says what is allowed
    assert "数值过小" in got[f"{C}.children[2].rule.scale"][0]
    assert "floor 须小于 ceiling" in got[f"{C}.children[3].rule"][0]
    assert "1.5" in got[f"{C}.children[4].rule"][0] and "2" in got[f"{C}.children[4].rule"][0]


def test_references_to_missing_indicators_and_unit_kinds(tmp_path, raw):
    raw["indicators"][2]["children"][3]["applies_to"] = {"kinds": ["village"]}
    raw["adjustments"].append({"id": "incentive", "name": "激励加分", "points": 1,
                               "rule": {"kind": "incentive", "tiers_from": "r99",
                                        "per_tier": {"优": 1}}})
    raw["order"].append("incentive")
    raw["results"]["grades"]["kinds"] = ["county"]
    raw["results"]["ranking"]["within"] = ["region"]
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted([
        f"{C}.children[3].applies_to.kinds",
        "adjustments[3].rule",
        "results.grades[0].kinds",
        "results.ranking.within",
    ])
    assert "village" in got[f"{C}.children[3].applies_to.kinds"][0]
    assert "r99" in got["adjustments[3].rule"][0] and "不存在" in got["adjustments[3].rule"][0]
    assert "county" in got["results.grades[0].kinds"][0]
    assert "region" in got["results.ranking.within"][0]


def test_duplicate_ids(tmp_path, raw):
    raw["indicators"][2]["children"][5]["id"] = "r01"  # r14 renamed to an existing id
    raw["adjustments"][0]["id"] = "r02"  # an adjustment clashing with an indicator
    raw["order"] = ["rescale", "r02", "bonus", "veto"]
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted([f"{C}.children[5].id", "adjustments[0].id"])
    assert "r01" in got[f"{C}.children[5].id"][0]
    assert "indicators[0].children[0]" in got[f"{C}.children[5].id"][0]  # where the first is
    assert "indicators[0].children[1]" in got["adjustments[0].id"][0]


def test_adjustments_must_be_in_order(tmp_path, raw):
    raw["order"] = ["rescale", "inspections", "veto", "bonsu"]  # bonus missing, a typo instead
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == ["order", "order[3]"]
    assert "bonus" in got["order"][0] and "order" in got["order"][0]
    assert "bonsu" in got["order[3]"][0]


def test_leaf_without_rule_and_group_with_rule(tmp_path, raw):
    del raw["indicators"][0]["children"][1]["rule"]
    raw["indicators"][1]["children"][3]["rule"] = {"kind": "rater_points"}
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted([f"{A}.children[1].rule", f"{B_R07}.rule"])


def test_bad_yaml_names_the_line(tmp_path):
    text = PARAMS.read_text(encoding="utf-8").splitlines()
    i = text.index("        points: 3")  # r01's points, the first of its kind
    text[i] = "        points: [3"  # an unclosed bracket on line i + 1
    path = write(tmp_path, "\n".join(text) + "\n")
    (p,) = problems_of(path)
    assert p.row.isdigit() and i + 1 <= int(p.row) <= i + 3  # where the parser notices it
    assert p.message.startswith("YAML 格式错误")


def test_not_a_mapping(tmp_path):
    (p,) = problems_of(write(tmp_path, "- scheme\n- year\n"))
    assert "映射" in p.message


def test_missing_required_key(tmp_path, raw):
    del raw["title"]
    got = by_key(problems_of(write(tmp_path, raw)))
    assert list(got) == ["title"]
    assert "缺少必填项" in got["title"][0]


def test_unknown_keys_are_reported_with_the_other_problems(tmp_path, raw):
    raw["titel"] = "拼错的键"
    raw["indicators"][0]["children"][0]["pionts"] = 3
    raw["indicators"][1]["children"][0]["points"] = 6  # 6 + 5 + 5 + 10 + 5 = 31 ≠ 30
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted(["titel", f"{A}.children[0].pionts", "indicators[1].children"])
    assert "未知的键" in got["titel"][0]
    assert "未知的键" in got[f"{A}.children[0].pionts"][0]
    assert "31" in got["indicators[1].children"][0]


def test_every_problem_at_once(tmp_path, raw):
    """One file with one of each mistake: all of them come back in one refusal."""
    ind = raw["indicators"]
    ind[0]["children"][0]["points"] = 4  # A: 4 + 2 + 5 = 11
    r07 = ind[1]["children"][3]
    r07["aggregate"] = "weighted"
    r07["children"][0]["weight"] = 0.5
    r07["children"][1]["weight"] = 0.4  # 0.9
    ind[2]["children"][0]["rule"] = {"kind": "rater_pionts"}
    ind[2]["children"][1]["rule"] = {"kind": "rater_points", "scael": 100}
    ind[2]["children"][2]["rule"] = {"kind": "rater_points", "combine": "avg"}
    ind[2]["children"][3]["applies_to"] = {"kinds": ["village"]}
    ind[2]["children"][5]["id"] = "r01"
    raw["adjustments"].append({"id": "incentive", "name": "激励加分", "points": 1,
                               "rule": {"kind": "incentive", "tiers_from": "r99",
                                        "per_tier": {"优": 1}}})  # and not in order
    got = by_key(problems_of(write(tmp_path, raw)))
    assert sorted(got) == sorted([
        f"{A}.children",
        f"{B_R07}.children",
        f"{C}.children[0].rule.kind",
        f"{C}.children[1].rule.scael",
        f"{C}.children[2].rule.combine",
        f"{C}.children[3].applies_to.kinds",
        f"{C}.children[5].id",
        "adjustments[3].rule",
        "order",
    ])


def test_problems_print_as_file_key_message(tmp_path, raw):
    raw["indicators"][0]["children"][0]["points"] = 4
    path = write(tmp_path, raw)
    (p,) = problems_of(path)
    # file:line:column of the key in the YAML, then the key path, then the message
    assert p.line > 0 and p.col > 0
    assert str(p) == f"{path}:{p.line}:{p.col}: {A}.children: {p.message}"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[p.line - 1][p.col - 1:].startswith("children")


def test_unreadable_file(tmp_path):
    (p,) = problems_of(tmp_path / "absent.yaml")
    assert "无法读取" in p.message

