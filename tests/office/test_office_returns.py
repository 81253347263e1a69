"""Returns (材料报送), template digests and the import's 未变 / --force, on the bundled
changshou-rural 2023 scheme-year (``ws``: its rubric and units, no data yet)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from excel_helpers import CS_DATA, CS_PARAMS, bundled, fill, template

from kaohe.cli import main
from kaohe.office.corrections import compare
from kaohe.office.returns import MISSING, REFUSED, RETURNED, STALE, status
from kaohe.rubric import load_rubric


def _import(capsys, *args) -> tuple[int, str, str]:
    code = main(["import", str(CS_PARAMS), *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, out, err


def _states(ws: Path) -> dict[str, str]:
    rubric = load_rubric(ws / CS_PARAMS).rubric
    return {x.indicator_id: x.state for x in status(rubric, ws / CS_DATA).lines}


def test_unchanged_template_reimported_is_unchanged(ws, capsys):
    path = fill(template(ws, "区民政局"))
    assert _import(capsys, path)[0] == 0
    obs = (ws / CS_DATA / "observations.csv").read_bytes()
    code, out, _ = _import(capsys, path)
    assert code == 0
    assert "未变：19 行与数据目录中的相同，未重复写入。" in out
    assert "没有新的或修改的数据行，数据文件未改动。" in out
    assert (ws / CS_DATA / "observations.csv").read_bytes() == obs
    assert _states(ws)["r04"] == RETURNED


def test_force_replaces_in_place_and_keeps_every_other_line(ws, capsys):
    path = fill(template(ws, "区乡村振兴局"))
    assert _import(capsys, path)[0] == 0
    target = ws / CS_DATA / "observations.csv"
    before = target.read_text(encoding="utf-8").splitlines()
    rows = [r for r in bundled("observations.csv") if r["indicator_id"] == "r02"][:2]
    fix = ws / "fix.csv"
    fix.write_text("unit_id,indicator_id,source,item,value,note\n" + "".join(
        f"{r['unit_id']},r02,{r['source']},,1.5,复核更正\n" for r in rows), encoding="utf-8")
    code, _, err = _import(capsys, fix)
    assert code == 1 and "--force" in err
    assert target.read_text(encoding="utf-8").splitlines() == before
    code, out, _ = _import(capsys, fix, "--force")
    assert code == 0
    for r in rows:
        assert f"{r['unit_id']}、r02：{r['value']}（{r['note']}） → 1.5（复核更正）" in out
    after = target.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [after[i] for i in changed] == [f"{r['unit_id']},r02,{r['source']},,1.5,复核更正"
                                           for r in rows]
    assert all(before[i].startswith(f"{r['unit_id']},r02,") for i, r in zip(changed, rows, strict=True))


def test_stale_template_is_refused_naming_what_changed(ws, capsys):
    path = fill(template(ws, "区人力社保局"))
    rubric = ws / CS_PARAMS
    text = rubric.read_text(encoding="utf-8")
    rubric.write_text(text.replace("        points: 5\n        department: 区人力社保局",
                                   "        points: 4\n        department: 区人力社保局").replace(
        "        points: 3\n        department: 区农业农村委",
        "        points: 4\n        department: 区农业农村委", 1), encoding="utf-8")
    code, out, err = _import(capsys, path)
    assert code == 1
    assert ("指标“r10”（脱贫户及监测对象稳岗就业）在模板生成后已修改（满分 5 → 4）："
            "模板已过期，不导入。请用 kaohe template params/changshou-rural/2023.yaml --out <目录> "
            "生成新模板，按新模板重新填报") in err
    assert not (ws / CS_DATA / "observations.csv").exists()
    assert _states(ws)["r10"] == REFUSED  # the department's only import was refused
    log = [json.loads(x) for x in (ws / CS_DATA / "audit.jsonl").read_text("utf-8").splitlines()]
    assert log[-1]["outcome"] == "refused" and log[-1]["departments"] == ["区人力社保局"]


def test_a_parameter_change_is_named_too(ws, capsys):
    path = fill(template(ws, "区农业农村委"))
    rubric = ws / CS_PARAMS
    text = rubric.read_text(encoding="utf-8")
    assert "rule: {kind: rater_points}" in text
    lines = text.splitlines(keepends=True)
    i = next(n for n, ln in enumerate(lines) if ln.strip() == "- id: r11")
    j = next(n for n in range(i, len(lines)) if "rule: {kind: rater_points}" in lines[n])
    lines[j] = lines[j].replace("{kind: rater_points}", "{kind: rater_points, scale: 100}")
    rubric.write_text("".join(lines), encoding="utf-8")
    code, _, err = _import(capsys, path)
    assert code == 1
    assert "指标“r11”（产业可持续发展）在模板生成后已修改（参数 scale：— → 100）" in err


def test_status_returned_none_to_report_stale_and_missing(ws, capsys):
    path = fill(template(ws, "未注明责任单位"), events=[])  # bonus and veto: nothing to report
    assert _import(capsys, path)[0] == 0
    returns = pd.read_csv(ws / CS_DATA / "returns.csv", dtype=str, keep_default_na=False)
    assert list(returns["indicator_id"]) == ["bonus", "veto"]
    assert list(returns["none_to_report"]) == ["1", "1"] and list(returns["rows"]) == ["0", "0"]
    # a row added by hand, with no digest, counts as returned; a wrong digest is stale
    with (ws / CS_DATA / "returns.csv").open("a", encoding="utf-8") as f:
        f.write("区民政局,r04,民政.csv,,19,0,2024-01-20,\n")
        f.write("区教委,r05,教委.xlsx,,19,0,2024-01-20,0000000000000000\n")
    states = _states(ws)
    assert (states["bonus"], states["veto"], states["r04"], states["r05"], states["r06"]) == \
        (RETURNED, RETURNED, RETURNED, STALE, MISSING)
    code = main(["status", str(CS_PARAMS)])
    out = capsys.readouterr().out
    assert code == 1
    assert "veto 一票否决：已报送" in out and "无相关情形（已确认）" in out
    assert "区教委：r05 已过期" in out and "区住建委：r06 未报送" in out


def test_missing_returns_make_a_draft(ws, capsys, tmp_path):
    for name in ("observations.csv", "events.csv"):
        (ws / CS_DATA / name).write_bytes((Path(__file__).parents[2] / CS_DATA / name).read_bytes())
    code = main(["score", str(CS_PARAMS), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "草稿（材料未齐）：区乡村振兴局：r01 未报送" in out
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["returns"]["complete"] is False and len(prov["returns"]["lacking"]) == 12


def _validate_appeals(ws: Path, capsys, *rows: str) -> tuple[int, str]:
    (ws / CS_DATA / "appeals.csv").write_text(
        "unit_id,indicator_id,received,claim,decision,decided_by,decided,reason\n"
        + "".join(r + "\n" for r in rows), encoding="utf-8")
    code = main(["validate", str(CS_PARAMS)])
    return code, capsys.readouterr().err


def test_bad_appeals_are_refused_with_file_row_and_column(ws, capsys):
    for name in ("observations.csv", "events.csv", "returns.csv"):
        (ws / CS_DATA / name).write_bytes((Path(__file__).parents[2] / CS_DATA / name).read_bytes())
    first = ["nowhere,r10,2024-02-01,漏统计,采纳,复核组,2024-02-05,核实",
             "fengcheng,r99,2024-02-01,漏统计,,,,"]
    code, err = _validate_appeals(ws, capsys, *first, "yanjia,r10,2024-02-01,漏统计,驳回,,,",
                                  "duzhou,r10,2/1/2024,漏统计,维持,复核组,,理由")
    assert code == 1
    shown = "data/changshou-rural/2023/appeals.csv"
    for where in (f"{shown}:4:decision", f"{shown}:5:received"):
        assert where in err, where
    # with the schema problems fixed, the references and the missing decision fields
    code, err = _validate_appeals(ws, capsys, *first, "duzhou,r10,2024-02-01,漏统计,维持,复核组,,理由")
    assert code == 1
    assert f"{shown}:2:unit_id: 单位“nowhere”不在 units.csv 中" in err
    assert f"{shown}:3:indicator_id: 指标“r99”不在评分细则中" in err
    assert f"{shown}:4:decided: 已作出决定的申诉须填写此项" in err


def test_correction_lists_each_changed_result():
    rubric = load_rubric(Path(__file__).parents[2] / CS_PARAMS).rubric
    cols = ["unit_id", "name", "total", "rank", "grade", "advanced", "vetoed", "barred"]
    before = pd.DataFrame([["a", "甲镇", "96.2500", "1", "好", "True", "False", "False"],
                           ["b", "乙镇", "95.9500", "2", "好", "False", "False", "False"],
                           ["c", "丙镇", "90.0000", "3", "较好", "False", "False", "False"]],
                          columns=cols)
    after = before.copy()
    after.loc[1, ["total", "rank", "advanced"]] = ["96.3000", "1", "True"]
    after.loc[0, ["rank", "advanced"]] = ["2", "False"]
    got = compare(rubric, before, after, {"b": "申诉采纳"}, "据申诉复核更正")
    assert got[["unit_id", "what", "before", "after"]].to_numpy().tolist() == [
        ["a", "名次", "1", "2"], ["a", "通报表扬", "是", "否"],
        ["b", "总分", "95.95", "96.30"], ["b", "名次", "2", "1"], ["b", "通报表扬", "否", "是"]]
    assert set(got.loc[got["unit_id"] == "b", "why"]) == {"申诉采纳；据申诉复核更正"}
    assert set(got.loc[got["unit_id"] == "a", "why"]) == {"因其他单位的结果更正而变化；据申诉复核更正"}


class _Doc:
    """What the office's sections read of a report ``Doc``."""

    def __init__(self, unit_id, provenance, correction=None, appeals=None):
        from types import SimpleNamespace

        self.unit_id = unit_id
        self.data = SimpleNamespace(provenance=provenance,
                                    correction=correction if correction is not None else pd.DataFrame(),
                                    appeals=appeals if appeals is not None else pd.DataFrame())
        self.n = 0

    def heading(self, text):
        self.n += 1
        return f"<h2>{text}</h2>"

    def caption(self, text):
        return text


def test_report_sections_draft_correction_and_appeals():
    from kaohe.office import sections

    draft = {"returns": {"complete": False, "lacking": ["区商务委：r12 未报送"],
                         "departments": {"区商务委": 1}}}
    assert "草稿（材料未齐）" in sections.notices(_Doc(None, draft)).html
    assert "尚缺：区商务委（1项指标）。" in sections.notices(_Doc(None, draft)).html
    assert "区商务委" not in sections.notices(_Doc("a", draft)).html  # units: the mark only
    assert sections.notices(_Doc("a", {"returns": {"complete": True}})) is None
    corr = pd.DataFrame([["b", "乙镇", "总分", "95.95", "96.25", "申诉<采纳>"]],
                        columns=["unit_id", "name", "what", "before", "after", "why"])
    done = {"returns": {"complete": True}}
    assert sections.notices(_Doc("a", done, corr)) is None
    assert "已更正：总分 95.95 → 96.25。原因：申诉&lt;采纳&gt;" in sections.notices(_Doc("b", done, corr)).html
    assert "1 个单位的结果（乙镇）" in sections.notices(_Doc(None, done, corr)).html
    appeals = pd.DataFrame([["b", "乙镇", "r10 就业", "2025-02-10", "漏统计", "采纳", "复核组",
                             "2025-02-20", "核实"]],
                           columns=["unit_id", "unit", "indicator", "received", "claim",
                                    "decision", "decided_by", "decided", "reason"])
    html = sections.appeals(_Doc("b", done, appeals=appeals)).html
    assert "申诉与复核" in html and "漏统计" in html and "采纳" in html
    assert sections.appeals(_Doc("a", done, appeals=appeals)) is None


@pytest.mark.parametrize("command, example", [
    ("status", "kaohe status params/changshou-rural/2024.yaml"),
    ("publish", "kaohe publish params/changshou-rural/2024.yaml --out published/"),
    ("verify", "kaohe verify published/changshou-rural/2024/v1")])
def test_office_commands_have_an_example(command, example, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "示例" in out and example in out


def test_verify_of_a_folder_that_is_no_version(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 1
    assert "不是发布版本目录（缺少 manifest.json）" in capsys.readouterr().err
