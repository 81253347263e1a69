"""kaohe.csvout writes the bytes DataFrame.to_csv writes, on every edge a score table has."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kaohe import csvout


def _pandas(df: pd.DataFrame, path, float_format) -> bytes:
    df.to_csv(path, index=False, encoding="utf-8-sig", float_format=float_format,
              lineterminator="\n")
    return path.read_bytes()


def _both(df: pd.DataFrame, tmp_path, float_format="%.4f") -> tuple[bytes, bytes]:
    csvout.write_csv(df, tmp_path / "fast.csv", float_format)
    return (tmp_path / "fast.csv").read_bytes(), _pandas(df, tmp_path / "pandas.csv",
                                                          float_format)


def test_quoting_set_is_the_csv_modules():
    """Every character that makes Python's csv writer quote a cell, and only those."""
    quoted = set()
    for code in range(0x3100):
        if 0xD800 <= code < 0xE000:
            continue
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([f"a{chr(code)}b", "x"])
        if buf.getvalue().startswith('"'):
            quoted.add(chr(code))
    assert quoted == {",", '"', "\n"}
    assert set(csvout.NEEDS_QUOTES) == {",", '"', "\n"}


EDGE_FLOATS = [0.1 + 0.2, 1e-7, -0.0, 0.0, np.nan, 1e16, -1e-5, 2.5e-5, 0.00005, 0.00015,
               123456789.123456, np.inf, -np.inf, 3.4, 1 / 3, -2.00005, 5e-324]
EDGE_TEXT = ["", None, "plain", "a,b", 'say "hi"', "line\nbreak", "cr\ronly", "crlf\r\n",
             " padded ", "，全角逗号", "“引号”", '"', ",", "\n", np.nan, pd.NA, "tab\tx",
             "observations.csv:2,5,9", "=SUM(A1)", "emoji 😀", "\u3000全角空格"]


@pytest.mark.parametrize("float_format", ["%.4f", None, "%.2f"])
def test_edge_cells(tmp_path, float_format):
    n = max(len(EDGE_FLOATS), len(EDGE_TEXT))
    df = pd.DataFrame({
        "unit_id": [f"u{i}" for i in range(n)],
        "value": (EDGE_FLOATS * 2)[:n],
        "text": pd.Series((EDGE_TEXT * 2)[:n], dtype=object),
        "str": pd.Series(([t for t in EDGE_TEXT if t is not pd.NA] * 2)[:n], dtype="str"),
        "n": np.arange(n, dtype=np.int64) - 3,
        "flag": [bool(i % 2) for i in range(n)],
        "small": np.arange(n, dtype=np.int32),
    })
    fast, slow = _both(df, tmp_path, float_format)
    assert fast == slow


def test_random_frames_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(csvout, "CHUNK", 7)
    rng = np.random.default_rng(16)
    for trial in range(20):
        n = int(rng.integers(0, 60))
        pool = np.array(EDGE_TEXT, dtype=object)
        floats = np.array(EDGE_FLOATS)
        df = pd.DataFrame({
            "a": pool[rng.integers(0, len(pool), n)],
            "b, quoted": np.where(rng.random(n) < 0.3, floats[rng.integers(0, len(floats), n)],
                                  rng.normal(0, 100, n).round(int(rng.integers(0, 8)))),
            "c": rng.integers(-5, 5, n),
            "d": rng.random(n) < 0.5,
            "e": pd.Series(pool[rng.integers(0, len(pool), n)], dtype=object).astype("str"),
        })
        fast, slow = _both(df, tmp_path, "%.4f" if trial % 2 else None)
        assert fast == slow, trial


def test_tables_it_leaves_to_pandas(tmp_path):
    """Mixed objects, a single column, nullable dtypes: written by to_csv, the same bytes."""
    frames = [
        pd.DataFrame({"a": ["x", 1.5, True, None], "b": [1.0, 2.0, 3.0, 4.0]}),
        pd.DataFrame({"only": ["", "x", None, "y"]}),
        pd.DataFrame({"a": pd.array([1, None, 3, 4], dtype="Int64"), "b": ["p", "q", "r", "s"]}),
        pd.DataFrame({"a": pd.Categorical(["x", "y", "x", None]), "b": [1, 2, 3, 4]}),
        pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype=float)}),
    ]
    for df in frames:
        fast, slow = _both(df, tmp_path)
        assert fast == slow


def test_score_tables_of_a_bundled_year(tmp_path):
    from kaohe import pipeline

    run = pipeline.run("params/changshou-rural/2023.yaml")
    for attr in pipeline.OUTPUTS.values():
        df = getattr(run.scores, attr)
        for ff in ("%.4f", None):
            fast, slow = _both(df, tmp_path, ff)
            assert fast == slow, attr


def test_text_of_few_distinct_values(tmp_path, monkeypatch):
    """Ids and names (few texts, many rows, blanks of every kind, quotes and commas) across
    chunk borders."""
    monkeypatch.setattr(csvout, "CHUNK", 1000)
    rng = np.random.default_rng(7)
    pool = np.array(EDGE_TEXT, dtype=object)
    n = 5000
    df = pd.DataFrame({
        "unit_id": pool[rng.integers(0, len(pool), n)],
        "name": pd.Series(pool[rng.integers(0, len(pool), n)]).astype("str"),
        "points": rng.integers(0, 40, n) / 4,
    })
    fast, slow = _both(df, tmp_path)
    assert fast == slow


ARROW_TEXT = [pd.StringDtype("pyarrow"), pd.StringDtype("pyarrow", na_value=np.nan),
              pd.ArrowDtype(pa.string()), pd.ArrowDtype(pa.large_string())]


@pytest.mark.parametrize("dtype", ARROW_TEXT, ids=str)
def test_arrow_backed_text(tmp_path, monkeypatch, dtype):
    """Text pandas keeps in Arrow (refs, texts) is written from its Arrow buffers, the
    same bytes as the same text held as Python objects, also when the column is several
    Arrow chunks cut across the writer's chunks."""
    monkeypatch.setattr(csvout, "CHUNK", 7)
    cells = [t for t in EDGE_TEXT if t is not pd.NA] * 3
    text = pd.Series(cells, dtype=object)
    pieces = [text.iloc[:10], text.iloc[10:11], text.iloc[11:40], text.iloc[40:]]
    arrow = pd.concat([p.astype(dtype) for p in pieces], ignore_index=True)
    assert isinstance(pa.array(arrow.array), pa.ChunkedArray)
    assert pa.array(arrow.array).num_chunks > 1
    as_objects = pd.DataFrame({"ref": text, "n": np.arange(len(text)) / 3})
    as_arrow = pd.DataFrame({"ref": arrow, "n": np.arange(len(text)) / 3})
    fast, slow = _both(as_arrow, tmp_path)
    assert fast == slow
    csvout.write_csv(as_objects, tmp_path / "objects.csv", "%.4f")
    assert fast == (tmp_path / "objects.csv").read_bytes()
    assert csvout._arrow_text(as_arrow["ref"]) is not None  # taken without Python strings


@pytest.mark.parametrize("digits", [0, 1, 2, 4, 6])
def test_fixed_point_text_is_pythons(digits):
    """The vectorised ``%.Nf`` writes what Python's ``%`` writes for every value: ties
    (k/32, k/2^n: written to even), values a hair either side of a tie, negatives rounding
    to zero, -0.0, huge and non-finite values, and random floats of every magnitude."""
    rng = np.random.default_rng(digits)
    ties = np.arange(-200, 200) / 32.0
    values = np.concatenate([
        ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf),
        np.arange(-1000, 1000) / 2.0 ** 14,
        rng.normal(0, 100, 20000), rng.normal(0, 1e-4, 2000), rng.random(2000).round(digits + 1),
        10.0 ** rng.uniform(-12, 16, 5000) * rng.choice([-1, 1], 5000),
        [0.0, -0.0, -1e-9, 1e-9, 0.5, 1.5, 2.5, -2.5, 0.125, 2.0 ** 40, 1e15, 1e300, 5e-324,
         np.inf, -np.inf, np.nan, 0.1 + 0.2, 2.675, 1.005],
    ])
    fmt = f"%.{digits}f"
    expected = ["" if np.isnan(v) else fmt % v for v in values.tolist()]
    assert csvout._fixed(values, digits).to_pylist() == expected
