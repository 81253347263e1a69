"""Errors are types with codes: tests match the code and the place, not the Chinese text.
Rubric problems carry the YAML line and column of their key beside the key path; data problems
are grouped by file and department when there are many; ``--rubric-only`` checks a rubric
being written without its data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kaohe.cli import main
from kaohe.errors import Code, DataError, KaoheError, RubricError
from kaohe.pipeline import load, run
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
DATA = ROOT / "data" / "changshou-rural" / "2023"


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln)


def test_rubric_problems_have_codes_and_the_yaml_line(tmp_path):
    text = PARAMS.read_text(encoding="utf-8")
    text = text.replace("kind: rate_to_points", "kind: rate_to_pionts", 1)
    text = text.replace("    points: 33\n", "    points: 34\n", 1)
    path = tmp_path / "2023.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as exc:
        load_rubric(path)
    by_code = {p.code: p for p in exc.value.problems}
    assert set(by_code) == {Code.RUBRIC_UNKNOWN_RULE, Code.RUBRIC_INCONSISTENT}
    wrong = by_code[Code.RUBRIC_UNKNOWN_RULE]
    assert wrong.row.endswith(".rule.kind")  # the key path, apart from the line
    assert wrong.line == line_of(text, "kind: rate_to_pionts") and wrong.col > 1
    assert str(wrong).startswith(f"{path}:{wrong.line}:{wrong.col}: {wrong.row}: ")
    assert all(p.line > 0 for p in exc.value.problems)


def test_an_invalid_value_is_coded_invalid(tmp_path):
    raw = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    raw["results"]["ranking"]["method"] = "average"
    path = tmp_path / "2023.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(RubricError) as exc:
        load_rubric(path)
    assert exc.value.codes == {Code.RUBRIC_INVALID}
    [p] = exc.value.problems
    assert p.row == "results.ranking.method"
    assert p.line == line_of(path.read_text(encoding="utf-8"), "method: average")


def copy_data(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "2023")
    return tmp_path / "2023"


def append(path: Path, rows: list[str]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in rows))


def test_data_problems_are_data_errors_with_codes(tmp_path):
    data = copy_data(tmp_path)
    append(data / "observations.csv", [
        ",r19,电话调查,,0.5,",            # no unit for a unit-level rule
        "fengcheng,r19,复核,复核,0.5,",     # an item for a rule that reads none
        "fengcheng,r17,另一评分人,,5,",     # 5 of 3 points
        "nobody,r17,区乡村振兴局,,1,",      # no such unit
    ])
    with pytest.raises(DataError) as exc:
        load(PARAMS, data)
    got = {(p.row, p.code) for p in exc.value.problems}
    n = len((data / "observations.csv").read_text(encoding="utf-8").splitlines())
    assert got == {(str(n - 3), Code.ROW_NOT_READ), (str(n - 2), Code.ROW_NOT_READ),
                   (str(n - 1), Code.VALUE_OUT_OF_RANGE), (str(n), Code.DATA_REFERENCE)}
    assert {p.department for p in exc.value.problems if p.code != Code.DATA_REFERENCE} == {
        "区乡村振兴局"}


def test_a_missing_input_is_coded(tmp_path):
    data = copy_data(tmp_path)
    obs = data / "observations.csv"
    lines = obs.read_text(encoding="utf-8-sig").splitlines()
    obs.write_text("\n".join(ln for ln in lines if not ln.startswith("fengcheng,r17,")) + "\n",
                   encoding="utf-8")
    with pytest.raises(KaoheError) as exc:
        run(PARAMS, data)
    assert isinstance(exc.value, DataError)
    assert exc.value.codes == {Code.INPUT_MISSING}


def test_many_data_problems_are_counted_by_file_and_department_first(tmp_path, capsys):
    data = copy_data(tmp_path)
    append(data / "observations.csv", [f"fengcheng,r17,评分人{i},,9,"for i in range(12)])
    assert main(["validate", str(PARAMS), "--data", str(data)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "问题分布（按文件和责任单位）："
    assert err[1].strip() == f"{data}/observations.csv（区乡村振兴局）：12 个问题"
    assert err[2] == "逐条列出："
    assert err[-1] == "共发现 12 个问题。"


def test_rubric_only_checks_a_new_rubric_without_data(tmp_path, capsys):
    text = PARAMS.read_text(encoding="utf-8").replace("year: 2023", "year: 2024", 1)
    (tmp_path / "params" / "changshou-rural").mkdir(parents=True)
    path = tmp_path / "params" / "changshou-rural" / "2024.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1  # no data for 2024 yet
    capsys.readouterr()
    assert main(["validate", str(path), "--rubric-only"]) == 0
    assert capsys.readouterr().out.startswith("通过（仅评分细则）")
    path.write_text(text.replace("kind: rater_points", "kind: rater_point", 1), encoding="utf-8")
    assert main(["validate", str(path), "--rubric-only"]) == 1
    assert "rule.kind: 未知的评分规则" in capsys.readouterr().err
