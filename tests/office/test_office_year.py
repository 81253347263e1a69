"""A whole year of the office, end to end, through the ``kaohe`` command: new-year →
templates → two departments return → status shows the others missing → publish refused,
naming them → all return → v1 → a stale template refused → an appeal upheld with its
corrected row → v2 with a correction listing exactly the units whose results changed →
v1 byte-identical → verify passes on v1 and v2 → one byte changed in v1 → verify fails
naming the file."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

from excel_helpers import ROOT, fill

from kaohe.cli import main
from kaohe.excel.template import departments
from kaohe.rubric import load_rubric

OLD = Path("params/changshou-rural/2023.yaml")
NEW = Path("params/changshou-rural/2024.yaml")
DATA = Path("data/changshou-rural/2024")
PUB = Path("published")


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _totals(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["unit_id"]: r for r in csv.DictReader(f)}


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_year_of_the_office(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / OLD.parent, tmp_path / OLD.parent)
    shutil.copytree(ROOT / "data/changshou-rural/2023", tmp_path / "data/changshou-rural/2023")
    monkeypatch.chdir(tmp_path)

    # new-year writes the rubric, the data directory and one template per department
    code, out, _ = _run(capsys, "new-year", OLD, "2024")
    assert code == 0, out
    rubric = load_rubric(NEW).rubric
    depts = list(departments(rubric))
    assert len(depts) == 12
    filled = tmp_path / "filled"
    filled.mkdir()
    made = {}
    for d in depts:  # each department fills its template with this year's figures
        name = next((DATA / "templates").glob(f"*-{d}.xlsx")).name
        made[d] = fill(DATA / "templates" / name, params=(tmp_path / NEW), save_as=filled / name)

    # two departments return
    code, out, err = _run(capsys, "import", NEW, made["区乡村振兴局"], made["区民政局"])
    assert code == 0, err
    assert "已记录报送（returns.csv）：区乡村振兴局、区民政局，13 个指标" in out

    # status shows the others missing
    code, out, _ = _run(capsys, "status", NEW)
    assert code == 1
    assert "区乡村振兴局（12/12 已报送）" in out and "区民政局（1/1 已报送）" in out
    missing = [d for d in depts if d not in ("区乡村振兴局", "区民政局")]
    assert f"材料未齐：{len(missing)} 个责任单位的 13 个指标尚缺" in out
    for d in missing:
        assert f"  {d}：" in out

    # scoring works but is a draft; publishing refuses, naming every missing department
    code, out, err = _run(capsys, "publish", NEW, "--out", PUB)
    assert code == 1 and not PUB.exists()
    for d in missing:
        assert f"材料未齐，不能发布：{d} 尚缺" in err
    assert "r10 脱贫户及监测对象稳岗就业（未报送）" in err

    # all return; re-sending the two already returned changes nothing (未变)
    code, out, err = _run(capsys, "import", NEW, *made.values())
    assert code == 0, err
    assert "未变：212 行与数据目录中的相同，未重复写入。" in out
    code, out, _ = _run(capsys, "status", NEW)
    assert code == 0 and "材料已齐：26 个指标均已报送。" in out

    # v1
    code, out, err = _run(capsys, "publish", NEW, "--out", PUB, "--jobs", "2")
    assert code == 0, err
    v1 = PUB / "changshou-rural/2024/v1"
    assert "已发布第1版" in out
    before_v2 = _tree(v1)
    for part in ("manifest.json", "scores/totals.csv", "scores/results.xlsx",
                 "input/params/changshou-rural/2024.yaml", "input/data/changshou-rural/2024/observations.csv",
                 "pages/changshou-rural/2024/bulletin.html", "pages/changshou-rural/2024/units/shuanglong.html",
                 "pages/index.html", "internal/office.html"):
        assert part in before_v2, part

    # a stale template: the rubric moved a point from r10 (5 → 4) to r11 (3 → 4) after it was made
    text = NEW.read_text(encoding="utf-8")
    moved = text.replace("        points: 5\n        department: 区人力社保局",
                         "        points: 4\n        department: 区人力社保局").replace(
        "        points: 3\n        department: 区农业农村委",
        "        points: 4\n        department: 区农业农村委", 1)
    NEW.write_text(moved, encoding="utf-8")
    code, out, err = _run(capsys, "import", NEW, made["区人力社保局"])
    assert code == 1
    assert "指标“r10”（脱贫户及监测对象稳岗就业）在模板生成后已修改（满分 5 → 4）" in err
    assert f"kaohe template {NEW} --out <目录>" in err
    NEW.write_text(text, encoding="utf-8")  # the change is withdrawn

    # an appeal: 双龙镇 says r10 missed 12 workers; upheld — first without the data change
    (DATA / "appeals.csv").write_text(
        "unit_id,indicator_id,received,claim,decision,decided_by,decided,reason\n"
        "shuanglong,r10,2025-02-10,务工就业人数漏统计12人,采纳,考核办复核组,2025-02-20,"
        "经核实人社部门台账漏统计，按5分计\n", encoding="utf-8")
    code, _, err = _run(capsys, "publish", NEW, "--out", PUB)
    assert code == 1
    assert "appeals.csv:2:decision: 申诉已采纳，但单位“shuanglong”指标“r10”的数据与上一版本相同" in err

    # the corrected row: shown before → after, needs --force, keeps its line
    obs = DATA / "observations.csv"
    lines_before = obs.read_text(encoding="utf-8").splitlines()
    n = next(i for i, ln in enumerate(lines_before) if ln.startswith("shuanglong,r10,"))
    fix = tmp_path / "fix.csv"
    fix.write_text("unit_id,indicator_id,source,item,value,note\n"
                   "shuanglong,r10,区人力社保局,,5,据申诉复核更正\n", encoding="utf-8")
    code, _, err = _run(capsys, "import", NEW, fix)
    assert code == 1 and "且不同：4.7（脱贫劳动力务工就业未达目标任务） → 5（据申诉复核更正）" in err
    assert obs.read_text(encoding="utf-8").splitlines() == lines_before
    code, out, err = _run(capsys, "import", NEW, fix, "--force")
    assert code == 0, err
    assert "shuanglong、r10：4.7（脱贫劳动力务工就业未达目标任务） → 5（据申诉复核更正）" in out
    lines_after = obs.read_text(encoding="utf-8").splitlines()
    assert len(lines_after) == len(lines_before)
    assert [i for i, (a, b) in enumerate(zip(lines_before, lines_after, strict=True)) if a != b] == [n]
    assert lines_after[n] == "shuanglong,r10,区人力社保局,,5,据申诉复核更正"

    # v2, with a correction listing exactly the units whose results changed
    code, out, err = _run(capsys, "publish", NEW, "--out", PUB, "--note", "据申诉复核更正", "--jobs", "2")
    assert code == 0, err
    v2 = PUB / "changshou-rural/2024/v2"
    old, new = _totals(v1 / "scores/totals.csv"), _totals(v2 / "scores/totals.csv")
    changed = {u for u in new if any(old[u][c] != new[u][c] for c in
                                     ("total", "rank", "grade", "advanced", "vetoed", "barred"))}
    with (v2 / "correction.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["unit_id"] for r in rows} == changed
    assert "shuanglong" in changed
    mine = [r for r in rows if r["unit_id"] == "shuanglong" and r["what"] == "总分"]
    assert mine and (mine[0]["before"], mine[0]["after"]) == ("95.95", "96.25")
    assert "申诉" in mine[0]["why"] and "采纳" in mine[0]["why"]
    assert (v2 / "correction.html").is_file()
    page = (v2 / "pages/changshou-rural/2024/units/shuanglong.html").read_text(encoding="utf-8")
    assert "已更正：总分 95.95 → 96.25" in page and "申诉与复核" in page
    index = (PUB / "changshou-rural/2024/index.html").read_text(encoding="utf-8")
    assert "第1版" in index and "第2版" in index

    internal = (v2 / "internal/office.html").read_text(encoding="utf-8")
    assert "务工就业人数漏统计12人" in internal and "correction" not in internal  # log: v1 only
    assert internal.count(">publish<") == 1 and ">import<" in internal

    # the manifests: version, commit, time — and the time is in no page, score table or
    # correction (only the log, the returns and the internal page showing them hold times)
    m1, m2 = (json.loads((v / "manifest.json").read_text(encoding="utf-8")) for v in (v1, v2))
    assert (m1["version"], m2["version"], m2["previous"]) == (1, 2, 1)
    assert m2["commit"] and m2["published_at"] > m1["published_at"]
    assert [a["key"] for a in m2["appeals"]] == ["shuanglong/r10/2025-02-10"]
    assert m2["files"]["scores/totals.csv"] == hashlib.sha256(
        (v2 / "scores/totals.csv").read_bytes()).hexdigest()
    for v, m in ((v1, m1), (v2, m2)):
        stamp = m["published_at"][:16]
        assert not [p for p in v.rglob("*") if p.is_file() and p.suffix in (".html", ".csv")
                    and p.relative_to(v).parts[0] not in ("input", "internal")
                    and stamp in p.read_text(encoding="utf-8", errors="replace")]

    # v1 is byte-identical to before
    assert _tree(v1) == before_v2

    # verify passes on both
    for v in (v1, v2):
        code, out, err = _run(capsys, "verify", v)
        assert code == 0, err
        assert out.startswith("一致")

    # one byte changed in v1: verify fails, naming the file
    target = v1 / "pages/changshou-rural/2024/bulletin.html"
    target.chmod(0o644)
    raw = bytearray(target.read_bytes())
    raw[-20] ^= 1
    target.write_bytes(bytes(raw))
    code, _, err = _run(capsys, "verify", v1)
    assert code == 1
    assert f"{v1}/pages/changshou-rural/2024/bulletin.html::: SHA-256 不一致" in err

    # the log kept every import and both publications
    log = (DATA / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum('"command": "publish"' in ln for ln in log) == 1
    assert sum('"command": "correction"' in ln for ln in log) == 1
    assert sum('"outcome": "refused"' in ln for ln in log) == 2  # stale template, unforced change
