"""Data problems are located as file:row:column (row = line in the CSV, header = line 1),
every problem is reported at once, and nothing is dropped silently.

Each test copies data/changshou-rural/2023 into tmp_path, breaks one or more lines, and
checks what kaohe says about it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from kaohe.dataset import load_dataset
from kaohe.engine import score
from kaohe.errors import KaoheError, Problem
from kaohe.pipeline import load, run

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
DATA = ROOT / "data" / "changshou-rural" / "2023"


@pytest.fixture()
def data(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    return d


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def line_of(path: Path, prefix: str) -> int:
    """1-based line number of the first line starting with ``prefix`` (header = 1)."""
    return next(i + 1 for i, ln in enumerate(read_lines(path)) if ln.startswith(prefix))


def edit(path: Path, line: int, old: str, new: str) -> None:
    lines = read_lines(path)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    write_lines(path, lines)


def refused(fn, *args) -> list[Problem]:
    with pytest.raises(KaoheError) as info:
        fn(*args)
    return info.value.problems


def at(problems: list[Problem], file: Path, row: int | str, column: str) -> list[str]:
    """Messages of the problems located exactly at file:row:column."""
    return [p.message for p in problems
            if p.file == str(file) and p.row == str(row) and p.column == column]


def scored(directory: Path):
    loaded, ds = load(PARAMS, directory)
    return score(loaded.rubric, ds, loaded.path)


# -- the bundled data ----------------------------------------------------------------


def test_bundled_data_loads_with_refs():
    ds = load_dataset(DATA)
    assert ds.sample is True and "示例数据" in ds.description
    assert len(ds.units) == 19
    obs = ds.observations
    # line 1 is the header, so the first data row is line 2
    assert obs["ref"].iloc[0] == "observations.csv:2"
    assert obs["ref"].iloc[-1] == f"observations.csv:{len(read_lines(DATA / 'observations.csv'))}"
    assert set(ds.hashes) == {"units.csv", "observations.csv", "events.csv", "dataset.yaml"}


# -- file:row:column -----------------------------------------------------------------


def test_unknown_unit(data):
    obs = data / "observations.csv"
    n = line_of(obs, "fengcheng,r01,")
    edit(obs, n, "fengcheng,", "nowhere,")
    problems = refused(load, PARAMS, data)
    assert len(problems) == 1
    (msg,) = at(problems, obs, n, "unit_id")
    assert "nowhere" in msg and "units.csv" in msg


def test_unknown_indicator(data):
    obs = data / "observations.csv"
    n = line_of(obs, "fengcheng,r02,")
    edit(obs, n, ",r02,", ",r99,")
    problems = refused(load, PARAMS, data)
    assert len(problems) == 1
    (msg,) = at(problems, obs, n, "indicator_id")
    assert "r99" in msg


def test_value_not_a_number_is_located_once(data):
    obs = data / "observations.csv"
    n = line_of(obs, "fengcheng,r05,")
    assert n == 6  # header on line 1, fengcheng r01 … r05 on lines 2 … 6
    edit(obs, n, ",4.6,", ",四点五,")
    problems = refused(load_dataset, data)
    # reported once as "not a number", not a second time as "blank"
    assert [str(p) for p in problems] == [f"{obs}:6:value: 应为数字，实为“四点五”"]


def test_lines_count_blank_lines_and_line_breaks_in_cells(data):
    """An Excel cell with Alt+Enter and a blank line: later rows keep their true line."""
    obs = data / "observations.csv"
    lines = read_lines(obs)
    lines[1] = lines[1].replace("年度工作部署未细化到村", '"年度工作部署\n未细化到村"')
    lines.insert(3, "")
    write_lines(obs, lines)
    # file now: 1 header, 2-3 fengcheng r01 (two lines), 4 r02, 5 blank, 6 r03, 7 r04, 8 r05
    assert read_lines(obs)[7].startswith("fengcheng,r05,")
    edit(obs, 8, ",4.6,", ",abc,")
    problems = refused(load_dataset, data)
    assert [(p.row, p.column) for p in problems] == [("8", "value")]
    edit(obs, 8, ",abc,", ",4.6,")
    ds = load_dataset(data)
    refs = dict(zip(ds.observations["unit_id"] + "," + ds.observations["indicator_id"],
                    ds.observations["ref"], strict=True))
    assert refs["fengcheng,r01"] == "observations.csv:2"
    assert refs["fengcheng,r02"] == "observations.csv:4"
    assert refs["fengcheng,r03"] == "observations.csv:6"
    assert refs["fengcheng,r05"] == "observations.csv:8"
    note = ds.observations.loc[ds.observations["ref"] == "observations.csv:2", "note"].iloc[0]
    assert note == "年度工作部署\n未细化到村"


def test_duplicate_keys_name_both_lines(data):
    obs = data / "observations.csv"
    lines = read_lines(obs)
    n = line_of(obs, "fengcheng,r07a,")
    lines.append(lines[n - 1])  # the same unit × indicator × source × item again
    write_lines(obs, lines)
    last = len(lines)
    problems = refused(load_dataset, data)
    assert {p.row for p in problems} == {str(n), str(last)}
    assert all("重复" in p.message for p in problems)
    assert all(p.file == str(obs) for p in problems)


def test_duplicate_unit_id(data):
    units = data / "units.csv"
    n = line_of(units, "yanjia,")
    edit(units, n, "yanjia,晏家街道", "fengcheng,晏家街道")
    problems = refused(load_dataset, data)
    assert at(problems, units, 2, "unit_id") and at(problems, units, n, "unit_id")


def test_missing_column_is_on_the_header_line(data):
    obs = data / "observations.csv"
    write_lines(obs, [ln.rsplit(",", 1)[0] for ln in read_lines(obs)])  # drop `note`
    problems = refused(load_dataset, data)
    assert [str(p) for p in problems] == [f"{obs}:1:note: 缺少必需的列"]


def test_extra_column_refused_in_strict_tables_allowed_in_units(data):
    ev = data / "events.csv"
    write_lines(ev, [ln + ",x" for ln in read_lines(ev)])  # header gets a column "x"
    units = data / "units.csv"
    lines = read_lines(units)
    write_lines(units, [lines[0] + ",region"] + [ln + ",长寿区" for ln in lines[1:]])
    problems = refused(load_dataset, data)
    assert len(problems) == 1
    assert problems[0].file == str(ev) and problems[0].column == "x"
    assert "多出未定义的列" in problems[0].message


def test_empty_file(data):
    na = data / "not_applicable.csv"
    na.write_text("", encoding="utf-8")
    problems = refused(load_dataset, data)
    assert [str(p) for p in problems] == [f"{na}:1:: 文件为空，至少须有表头行"]


def test_header_only_file_is_an_empty_table(data):
    (data / "not_applicable.csv").write_text("unit_id,indicator_id,reason\n", encoding="utf-8")
    (data / "events.csv").write_text(
        "unit_id,indicator_id,type,work,value,date,description\n", encoding="utf-8")
    ds = load_dataset(data)
    assert len(ds.not_applicable) == 0 and len(ds.events) == 0
    totals = scored(data).totals.set_index("unit_id")
    # no events: no bonus, no inspections, no veto; jiangnan keeps its base 93.788
    assert totals.at["jiangnan", "bonus"] == 0.0
    assert totals.at["jiangnan", "total"] == pytest.approx(93.788, abs=1e-9)
    assert not totals["vetoed"].any()


def test_missing_required_file_and_directory(data, tmp_path):
    (data / "units.csv").unlink()
    problems = refused(load_dataset, data)
    assert [(p.file, p.message) for p in problems] == [(str(data / "units.csv"), "缺少必需的数据文件")]
    problems = refused(load_dataset, tmp_path / "nowhere")
    assert "数据目录不存在" in problems[0].message


# -- encodings -----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_gb18030_and_bom_read_like_utf8(data, encoding):
    for name in ("units.csv", "observations.csv", "events.csv"):
        path = data / name
        text = path.read_text(encoding="utf-8")
        path.write_bytes(text.encode(encoding))
        assert path.read_bytes() != (DATA / name).read_bytes()
    plain, other = load_dataset(DATA), load_dataset(data)
    for name in ("units", "observations", "events"):
        assert_frame_equal(plain.tables[name], other.tables[name])
    assert_frame_equal(scored(DATA).totals, scored(data).totals)


def test_undecodable_file(data):
    (data / "events.csv").write_bytes(b"unit_id,indicator_id\n\xff\xfe\xff\n")
    problems = refused(load_dataset, data)
    assert [p.message for p in problems] == ["无法识别文件编码（支持 UTF-8、GB18030）"]


# -- rows checked against the rubric -------------------------------------------------


def test_unknown_event_type(data):
    ev = data / "events.csv"
    n = line_of(ev, "jiangnan,bonus,national_pilot,")
    edit(ev, n, "national_pilot", "world_pilot")
    problems = refused(load, PARAMS, data)
    (msg,) = at(problems, ev, n, "type")
    assert "world_pilot" in msg and "national_pilot" in msg  # says what would be right


def test_rows_in_the_wrong_table(data):
    ev, obs = data / "events.csv", data / "observations.csv"
    lines = read_lines(ev)
    lines.append("jiangnan,r01,national_pilot,,,2023-05-01,评分指标不读事件")
    write_lines(ev, lines)
    n_ev = len(lines)
    n_obs = line_of(obs, "jiangnan,r01,")
    edit(obs, n_obs, ",r01,", ",bonus,")
    problems = refused(load, PARAMS, data)
    assert "observations.csv" in at(problems, ev, n_ev, "indicator_id")[0]
    assert "events.csv" in at(problems, obs, n_obs, "indicator_id")[0]


def test_observation_for_an_indicator_that_does_not_apply(data):
    """Row 22 does not apply to 凤城街道: its row is refused, not ignored."""
    obs = data / "observations.csv"
    lines = read_lines(obs)
    lines.append("fengcheng,r22,区乡村振兴局,,2,")
    write_lines(obs, lines)
    # and a not_applicable.csv that takes r21 away from 石堰镇, whose r21 row is still there
    (data / "not_applicable.csv").write_text(
        "unit_id,indicator_id,reason\nshiyan,r21,本年度无衔接资金项目\n", encoding="utf-8")
    n_shiyan = line_of(obs, "shiyan,r21,")
    problems = refused(run, PARAMS, data)
    assert len(problems) == 2
    (msg,) = at(problems, obs, len(lines), "indicator_id")
    assert "r22" in msg and "fengcheng" in msg and "不适用" in msg
    (msg,) = at(problems, obs, n_shiyan, "indicator_id")
    assert "r21" in msg and "shiyan" in msg


def test_not_applicable_row_is_used(data):
    (data / "not_applicable.csv").write_text(
        "unit_id,indicator_id,reason\nshiyan,r21,本年度无衔接资金项目\n", encoding="utf-8")
    obs = data / "observations.csv"
    lines = read_lines(obs)
    write_lines(obs, [ln for ln in lines if not ln.startswith("shiyan,r21,")])
    s = scored(data)
    t = s.totals.set_index("unit_id")
    # 石堰镇 without r21 (5 points, it had 4.4): 90.06 − 4.4 = 85.66 of 95, × 100 / 95
    assert t.at["shiyan", "base_max"] == 95
    assert t.at["shiyan", "rescaled"] == pytest.approx((90.06 - 4.4) / 95 * 100, abs=1e-9)
    d = s.details.set_index(["unit_id", "indicator_id"])
    assert not d.at[("shiyan", "r21"), "applicable"]
    assert "本年度无衔接资金项目" in d.at[("shiyan", "r21"), "reason"]


def test_missing_rater_scores_are_located_by_the_engine(data):
    obs = data / "observations.csv"
    lines = read_lines(obs)
    write_lines(obs, [ln for ln in lines
                      if not ln.startswith(("yanjia,r08,", "honghu,r18,"))])
    loaded, ds = load(PARAMS, data)  # the rows that are there are all fine
    problems = refused(score, loaded.rubric, ds, loaded.path)
    assert len(problems) == 2
    assert all(p.file == f"{ds.directory}/observations.csv" and p.column == "unit_id"
               for p in problems)
    text = "\n".join(p.message for p in problems)
    assert "yanjia" in text and "晏家街道" in text and "r08 饮水安全保障成果巩固" in text
    assert "honghu" in text and "洪湖镇" in text and "r18 镇街交叉检查结果运用" in text
    assert all("缺少评分" in p.message for p in problems)


# -- blank is not zero ---------------------------------------------------------------


def test_blank_value_is_refused(data):
    obs = data / "observations.csv"
    n = line_of(obs, "jiangnan,r01,")
    edit(obs, n, ",3,", ",,")
    problems = refused(load_dataset, data)
    assert [(p.row, p.column) for p in problems] == [(str(n), "value")]
    assert "不能为空" in problems[0].message


def test_explicit_zero_is_a_score_of_zero(data):
    obs = data / "observations.csv"
    n = line_of(obs, "jiangnan,r01,")
    edit(obs, n, ",3,", ",0,")
    s = scored(data)
    d = s.details.set_index(["unit_id", "indicator_id"])
    row = d.loc[("jiangnan", "r01")]
    # r01 is worth 3; a score of 0 loses all 3
    assert row["points"] == 0.0 and row["lost"] == 3.0
    assert "扣3分" in row["reason"] and row["refs"] == f"observations.csv:{n}"
    t = s.totals.set_index("unit_id")
    assert t.at["jiangnan", "base"] == pytest.approx(93.788 - 3, abs=1e-9)


def test_blank_text_cells_are_missing_not_empty_strings():
    ds = load_dataset(DATA)
    assert ds.observations["item"].isna().all()
    ev = ds.events
    shiyan = ev[(ev["unit_id"] == "shiyan")]
    changshouhu = ev[(ev["unit_id"] == "changshouhu")]
    assert shiyan["value"].tolist() == [0.5, 0.3, 0.1]
    assert changshouhu["value"].isna().all()  # blank: no points lost, not "0 read as text"
    assert shiyan["work"].isna().all()
    assert ev.loc[ev["unit_id"] == "jiangnan", "work"].notna().all()


def test_blank_and_zero_mean_the_same_for_points_lost_in_inspections(data):
    """events.value blank or 0: the higher level deducted nothing, the round's credit stays."""
    ev = data / "events.csv"
    n = line_of(ev, "changshouhu,inspections,municipal_inspection,")
    edit(ev, n, ",,2023-08-16,", ",0,2023-08-16,")
    t = scored(data).totals.set_index("unit_id")
    # 长寿湖镇: municipal inspection 0.2 (value 0) + third-party evaluation 0.3 (blank)
    assert t.at["changshouhu", "inspections"] == pytest.approx(0.2 + 0.3)


# -- every problem at once -----------------------------------------------------------


def test_all_table_problems_at_once(data):
    units, obs, ev, na = (data / f for f in
                          ("units.csv", "observations.csv", "events.csv", "not_applicable.csv"))
    n_unit = line_of(units, "bake,")
    edit(units, n_unit, "八颗街道", "凤城街道")  # a name used twice
    n_obs = line_of(obs, "duzhou,r03,")
    edit(obs, n_obs, ",5,", ",五,")
    n_ev = line_of(ev, "yuntai,r16,")
    edit(ev, n_ev, ",实地评估发现1户监测户因帮扶措施落实不到位返贫", ",")  # no description
    na.write_text("", encoding="utf-8")
    problems = refused(load_dataset, data)
    assert at(problems, units, n_unit, "name")
    assert at(problems, units, 2, "name")
    assert at(problems, obs, n_obs, "value")
    assert at(problems, ev, n_ev, "description")
    assert at(problems, na, 1, "")
    assert len(problems) == 5


def test_all_cross_check_problems_at_once(data):
    units, obs, ev = data / "units.csv", data / "observations.csv", data / "events.csv"
    n_unit = line_of(units, "bake,")
    edit(units, n_unit, ",street", ",village")
    n1 = line_of(obs, "fengcheng,r01,")
    edit(obs, n1, "fengcheng,", "nowhere,")
    n2 = line_of(obs, "fengcheng,r02,")
    edit(obs, n2, ",r02,", ",r99,")
    n3 = line_of(ev, "jiangnan,bonus,national_pilot,")
    edit(ev, n3, "national_pilot", "world_pilot")
    (data / "not_applicable.csv").write_text(
        "unit_id,indicator_id,reason\nnobody,r22,无任务\n", encoding="utf-8")
    problems = refused(load, PARAMS, data)
    located = {(Path(p.file).name, p.row, p.column) for p in problems}
    assert located == {
        ("units.csv", str(n_unit), "kind"),
        ("observations.csv", str(n1), "unit_id"),
        ("observations.csv", str(n2), "indicator_id"),
        ("events.csv", str(n3), "type"),
        ("not_applicable.csv", "2", "unit_id"),
    }


# -- dataset.yaml --------------------------------------------------------------------


def test_dataset_yaml(data):
    assert load_dataset(data).sample is True
    (data / "dataset.yaml").write_text("sample: false\ndescription: 2023年正式数据\n",
                                       encoding="utf-8")
    ds = load_dataset(data)
    assert ds.sample is False and ds.description == "2023年正式数据"
    (data / "dataset.yaml").unlink()
    assert load_dataset(data).sample is False
    (data / "dataset.yaml").write_text("sample: [true\n", encoding="utf-8")
    problems = refused(load_dataset, data)
    assert problems[0].file == str(data / "dataset.yaml") and "YAML" in problems[0].message


def test_loading_does_not_import_dask_dataframe():
    """pandera's schemas are built without importing dask.dataframe (0.35–0.55 s per
    process, kaohe.schemas._pandera_without_dask), and dask stays importable afterwards
    (the Dask executor needs it). In a process of its own: pytest may have imported dask."""
    script = (
        "import sys\n"
        "from kaohe.pipeline import load\n"
        f"load({str(PARAMS)!r})\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'dask'], 'dask imported'\n"
        "import dask.dataframe\n"
        "import distributed\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_reader_codes_stand_for_the_cells():
    """``Dataset.factorize`` answers from the reader's codes (a table the fast path read) as
    ``pd.factorize`` would: each row's code names its cell, -1 exactly where it is blank;
    a table replaced since is factorized again. ``positions`` are groupby's indices."""
    import numpy as np
    import pandas as pd

    from kaohe.dataset import positions

    got = load_dataset(ROOT / "data" / "guangyuan-reform" / "2022")
    assert {"units", "observations", "roles", "self_scores"} <= set(got.coded)
    for table, (frame, cols) in got.coded.items():
        assert frame is got.tables[table]
        for col in cols:
            codes, values = got.factorize(table, col)
            cells = frame[col]
            assert (codes == -1).tolist() == cells.isna().tolist()
            assert values[codes[codes >= 0]].tolist() == cells.dropna().tolist()
            at = dict(zip(values, positions(codes, len(values)), strict=True))
            expected = cells.groupby(cells, sort=False).indices
            assert {k: v.tolist() for k, v in at.items() if len(v)} == \
                {k: v.tolist() for k, v in expected.items()}
    obs = got.observations
    changed = {**got.tables, "observations": obs.iloc[::-1].reset_index(drop=True)}
    other = type(got)(got.directory, got.sample, got.description, changed, got.hashes,
                      got.notes, got.coded)
    codes, values = other.factorize("observations", "indicator_id")
    assert values[codes].tolist() == obs["indicator_id"].iloc[::-1].tolist()
    assert positions(np.array([-1, 1, -1, 0, 1]), 3)[0].tolist() == [3]
    assert [p.tolist() for p in positions(np.array([-1, 1, -1, 0, 1]), 3)] == [[3], [1, 4], []]
    assert positions(pd.Series([], dtype=np.intp).to_numpy(), 0) == []
