"""The ``kaohe`` command end to end: validate, score, help, reproducible output, and the
lines it prints for the user (problems as file:row:column, row accounting, sample notice)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe.cli import main

ROOT = Path(__file__).resolve().parents[1]
PARAMS = Path("params/changshou-rural/2023.yaml")
DATA = Path("data/changshou-rural/2023")
PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<row>[^:]*):(?P<column>[^:]*): (?P<message>.+)$")
SAMPLE_NOTICE = "注意：本数据为示例数据，非真实考核数据。"


@pytest.fixture()
def repo(monkeypatch) -> Path:
    """Run from the repository root, as a user would."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture()
def workspace(tmp_path, monkeypatch) -> Path:
    """A copy of the scheme-year laid out like the repository, as the working directory."""
    shutil.copytree(ROOT / PARAMS.parent, tmp_path / PARAMS.parent)
    shutil.copytree(ROOT / DATA, tmp_path / DATA)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def data_rows(directory: Path) -> dict[str, int]:
    """Rows of each CSV, counted here with the csv module (header excluded); the office's
    files (returns.csv, appeals.csv) record who sent the data and are not scoring input."""
    from kaohe.office.tables import OFFICE_TABLES

    office = {t.file for t in OFFICE_TABLES.values()}
    out = {}
    for path in sorted(p for p in directory.glob("*.csv") if p.name not in office):
        with path.open(encoding="utf-8-sig", newline="") as f:
            out[path.stem] = sum(1 for _ in csv.reader(f)) - 1
    return out


def problem_lines(err: str) -> list[re.Match]:
    lines = err.strip().splitlines()
    assert re.fullmatch(r"共发现 \d+ 个问题。", lines[-1]), lines[-1]
    matches = [PROBLEM.match(ln) for ln in lines[:-1]]
    assert all(matches), lines
    return matches


# -- validate ------------------------------------------------------------------------


def test_validate_bundled_params(repo, capsys):
    assert main(["validate", str(PARAMS)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows = data_rows(ROOT / DATA)  # units 19, observations 410, events 21
    assert out.strip() == (f"通过：{PARAMS}（{DATA}：units {rows['units']} 行，"
                           f"observations {rows['observations']} 行，events {rows['events']} 行）")


def test_validate_prints_every_problem_located(workspace, capsys):
    obs = workspace / DATA / "observations.csv"
    lines = obs.read_text(encoding="utf-8").splitlines()
    n1 = next(i for i, ln in enumerate(lines) if ln.startswith("fengcheng,r01,")) + 1
    n2 = next(i for i, ln in enumerate(lines) if ln.startswith("yanjia,r02,")) + 1
    lines[n1 - 1] = lines[n1 - 1].replace(",2.6,", ",二点六,")
    lines[n2 - 1] = lines[n2 - 1].replace(",1.9,", ",,")
    obs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (workspace / DATA / "not_applicable.csv").write_text("", encoding="utf-8")

    assert main(["validate", str(PARAMS)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    got = [(m["file"], m["row"], m["column"]) for m in problem_lines(err)]
    assert got == [
        (f"{DATA}/not_applicable.csv", "1", ""),
        (f"{DATA}/observations.csv", str(n1), "value"),
        (f"{DATA}/observations.csv", str(n2), "value"),
    ]
    assert "共发现 3 个问题。" in err
    assert "二点六" in err


def test_validate_broken_rubric(workspace, capsys):
    params = workspace / PARAMS
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("order: [rescale, inspections, bonus, veto]",
                                   "order: [rescale, inspections, veto]")
                      .replace("{kind: rater_points}", "{kind: rater_point}", 1), encoding="utf-8")
    assert main(["validate", str(PARAMS)]) == 1
    err = capsys.readouterr().err
    # a rubric problem: file:line:column: key path: message
    got = {m.groups() for ln in err.splitlines()
           if (m := re.match(r"^([^:]+):(\d+):(\d+): ([^:]+): ", ln))}
    lines = params.read_text(encoding="utf-8").splitlines()
    order = next(i for i, ln in enumerate(lines, start=1) if ln.startswith("order:"))
    kind = next(i for i, ln in enumerate(lines, start=1) if "{kind: rater_point}" in ln)
    assert {(f, int(line), k) for f, line, _, k in got} == {
        (str(PARAMS), order, "order"), (str(PARAMS), kind, "indicators[0].children[0].rule.kind")}


def test_validate_several_params_reports_each(workspace, capsys):
    bad = workspace / "params" / "changshou-rural" / "2022.yaml"
    bad.write_text("scheme: changshou-rural\n", encoding="utf-8")
    assert main(["validate", str(PARAMS), str(bad.relative_to(workspace))]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"通过：{PARAMS}")
    assert "params/changshou-rural/2022.yaml:year:: 缺少必填项" in err


def test_validate_data_option_needs_one_params(repo, capsys):
    assert main(["validate", str(PARAMS), str(PARAMS), "--data", str(DATA)]) == 2
    assert "--data" in capsys.readouterr().err


def test_validate_with_data_option(repo, tmp_path, capsys):
    shutil.copytree(ROOT / DATA, tmp_path / "elsewhere")
    assert main(["validate", str(PARAMS), "--data", str(tmp_path / "elsewhere")]) == 0
    assert str(tmp_path / "elsewhere") in capsys.readouterr().out


# -- score ---------------------------------------------------------------------------


def test_score_writes_outputs(repo, tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["score", str(PARAMS), "--out", str(out_dir)]) == 0
    for name in ("totals.csv", "details.csv", "reasons.csv", "provenance.json"):
        assert (out_dir / name).is_file(), name
    with (out_dir / "totals.csv").open(encoding="utf-8-sig", newline="") as f:
        totals = list(csv.DictReader(f))
    assert len(totals) == 19
    assert {"unit_id", "name", "total", "rank", "grade", "advanced"} <= set(totals[0])
    with (out_dir / "details.csv").open(encoding="utf-8-sig", newline="") as f:
        details = list(csv.DictReader(f))
    # 19 units × (23 leaves + 3 adjustments), the 8 units without row 22 included as 不适用
    assert len(details) == 19 * 26
    with (out_dir / "reasons.csv").open(encoding="utf-8-sig", newline="") as f:
        reasons = list(csv.DictReader(f))
    assert {"unit_id", "indicator_id", "delta", "text", "ref"} <= set(reasons[0])
    prov = json.loads((out_dir / "provenance.json").read_text(encoding="utf-8"))
    assert prov["scheme"] == "changshou-rural" and prov["year"] == 2023
    assert prov["sample_data"] is True
    assert prov["rubric"] == str(PARAMS)
    assert prov["rubric_sha256"] == hashlib.sha256((ROOT / PARAMS).read_bytes()).hexdigest()
    assert prov["data_sha256"]["observations.csv"] == hashlib.sha256(
        (ROOT / DATA / "observations.csv").read_bytes()).hexdigest()


def test_score_prints_row_accounting_and_sample_notice(repo, tmp_path, capsys):
    assert main(["score", str(PARAMS), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = data_rows(ROOT / DATA)
    n = sum(rows.values())  # 19 + 410 + 21 = 450
    assert f"读取 {n} 行 = 使用 {n} 行 + 拒绝 0 行（units {rows['units']}，" \
           f"observations {rows['observations']}，events {rows['events']}）" in out
    assert out[0].startswith("长寿区2023年度巩固拓展脱贫攻坚成果同乡村振兴有效衔接考核：19 个单位已计分")
    assert SAMPLE_NOTICE in out


def test_score_without_sample_flag_has_no_notice(workspace, capsys):
    (workspace / DATA / "dataset.yaml").write_text("sample: false\n", encoding="utf-8")
    assert main(["score", str(PARAMS), "--out", "out"]) == 0
    assert SAMPLE_NOTICE not in capsys.readouterr().out


def test_score_refuses_broken_data_and_writes_nothing(workspace, capsys):
    ev = workspace / DATA / "events.csv"
    lines = ev.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("national_pilot", "world_pilot")
    ev.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["score", str(PARAMS), "--out", "out"]) == 1
    err = capsys.readouterr().err
    (m,) = problem_lines(err)
    assert (m["file"], m["row"], m["column"]) == (f"{DATA}/events.csv", "2", "type")
    assert not (workspace / "out").exists()


def test_two_runs_give_identical_bytes(repo, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["score", str(PARAMS), "--out", str(a)]) == 0
    assert main(["score", str(PARAMS), "--out", str(b)]) == 0
    names = sorted(p.name for p in a.iterdir() if p.is_file())  # .kaohe/ holds the lock
    assert names == sorted(p.name for p in b.iterdir() if p.is_file())
    assert {"totals.csv", "details.csv", "reasons.csv", "provenance.json"} <= set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# -- help ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "score"])
def test_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "示例" in out
    assert f"kaohe {command} params/changshou-rural/2023.yaml" in out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["rank"])
    assert info.value.code == 2
    assert "usage: kaohe" in capsys.readouterr().err


# -- the installed entry point -------------------------------------------------------


def test_installed_command(repo):
    exe = Path(sys.executable).parent / "kaohe"
    done = subprocess.run([str(exe), "validate", str(PARAMS)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"通过：{PARAMS}")
