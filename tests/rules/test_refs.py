"""The input rows of a unit, joined for its line: ``observations.csv:2,5,9,11`` (more than
three rows of one file) or the refs whole (``a.csv:2；a.csv:5``). Refs are joined on the
bytes of Arrow text (loaded refs are Arrow text; Python text is made so first); the result
must be ``_join_refs`` of each group, the definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kaohe import columnar
from kaohe.dataset import load_dataset
from kaohe.rules.base import _join_refs, join_refs


def arrow_refs(file: str, lines: list[int] | np.ndarray) -> pd.Series:
    lines = np.asarray(lines, dtype=np.int64)
    return columnar.ref_series(columnar.refs(file, lines), pd.RangeIndex(len(lines)))


def test_more_than_three_rows_of_a_file_are_one_ref_with_their_lines():
    refs = arrow_refs("observations.csv", [2, 5, 9, 11, 3, 4])
    keys = pd.Series(["a", "a", "a", "a", "b", "b"])
    assert join_refs(keys, refs).to_dict() == {
        "a": "observations.csv:2,5,9,11", "b": "observations.csv:3；observations.csv:4"}


def test_rows_of_a_unit_apart_in_the_file_are_joined_in_file_order():
    refs = arrow_refs("观测:表.csv", [7, 2, 8, 3, 9, 4, 10, 5])
    keys = pd.Series(["u2", "u1"] * 4)
    assert join_refs(keys, refs).to_dict() == {"u2": "观测:表.csv:7,8,9,10",
                                               "u1": "观测:表.csv:2,3,4,5"}


@pytest.mark.parametrize("seed", range(40))
def test_refs_join_as_the_definition_does(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    lines = rng.permutation(np.arange(2, 2 + 3 * n))[:n]
    refs = arrow_refs("observations.csv" if seed % 2 else "数据:a.csv", lines)
    keys = pd.Series([f"u{k}" for k in rng.integers(0, int(rng.integers(1, 15)), n)],
                     dtype=object)
    if seed % 4 == 0:
        keys = keys.sort_values(kind="stable").reset_index(drop=True)
    if seed % 5 == 0:
        keys[keys == "u1"] = None  # rows without a unit are left out, as groupby does
    expected = refs.astype(object).groupby(keys, sort=False).agg(_join_refs)
    for held in (refs, refs.astype(object)):  # Arrow text as loaded, Python text
        joined = join_refs(keys, held)
        assert joined.tolist() == expected.tolist()
        assert joined.index.tolist() == expected.index.tolist()


def test_rows_of_two_files_are_shown_whole():
    refs = pd.Series(["a.csv:2", "a.csv:3", "b.csv:4", "a.csv:5", "a.csv:6", "a.csv:7"],
                     dtype=object)
    keys = pd.Series(["u", "u", "u", "u", "v", "v"])
    assert join_refs(keys, refs).to_dict() == {"u": "a.csv:2；a.csv:3；b.csv:4；a.csv:5",
                                               "v": "a.csv:6；a.csv:7"}


def test_loaded_refs_are_arrow_text_with_file_and_line(tmp_path):
    (tmp_path / "units.csv").write_text("unit_id,name,kind\nu1,甲,town\nu2,乙,town\n",
                                        encoding="utf-8")
    data = load_dataset(tmp_path)
    refs = data.units["ref"]
    assert isinstance(refs.dtype, pd.StringDtype) and refs.dtype.storage == "pyarrow"
    assert refs.tolist() == ["units.csv:2", "units.csv:3"]
