"""Score tables written as CSV at national scale, byte for byte as ``DataFrame.to_csv``
writes them (``index=False``, UTF-8 with BOM, ``lineterminator="\\n"``, minimal quoting).

A national year's ``reasons.csv`` has six million rows: ``to_csv`` formats and quotes them
cell by cell in Python (about 30 s of CPU for ``details.csv`` and ``reasons.csv``). Here
each column becomes one pyarrow string array and the rows are joined in C++:

- numbers and booleans: each distinct value (floats by their bits, so ``-0.0`` and every
  NaN keep their own text) is formatted once, as pandas formats it (floats: the
  ``float_format`` %-format, or numpy's ``str``; others: ``to_csv`` of the distinct
  values), then handed out by code;
- text: taken as it is where pandas keeps it in Arrow (``string[pyarrow]``, ``ArrowDtype``),
  made Arrow a chunk at a time from Python strings otherwise; pyarrow quotes a cell exactly
  where Python's ``csv`` writer does (a comma, a double quote or a line feed in it;
  ``tests/test_csvout.py`` checks the set against the ``csv`` module), doubling its quotes,
  and only in a chunk whose bytes hold one of them at all; blank (``None``, NaN) is an
  empty cell.

A table this writer does not know how to write exactly (a column of another dtype, text
mixed with other objects, a single column, a non-text header) is written by ``to_csv``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

BOM = "\ufeff".encode()
NEEDS_QUOTES = (",", '"', "\n")  # what makes Python's csv writer (QUOTE_MINIMAL) quote a cell
BLANK_NULLS = pc.JoinOptions(null_handling="replace", null_replacement="")  # blank cells
CHUNK = 1 << 16  # rows joined at a time: bounded memory for millions of rows

Part = Callable[[int, int], pa.Array]  # (start, stop) → the column's cells as CSV text


def write_csv(df: pd.DataFrame, path: Path | str, float_format: str | None) -> None:
    """``df.to_csv(path, index=False, encoding="utf-8-sig", float_format=float_format,
    lineterminator="\\n")``, the same bytes, in C++ where the table allows it."""
    parts = _parts(df, float_format)
    if parts is None:
        df.to_csv(path, index=False, encoding="utf-8-sig", float_format=float_format,
                  lineterminator="\n")
        return
    header = ",".join(_quote_text(str(c)) for c in df.columns) + "\n"

    def rows(start: int) -> pa.Array:
        # the last column's cells end with the line feed: one join with "," as separator
        # (a scalar argument between the cells would cost as much again as the cells)
        cells = [part(start, min(start + CHUNK, len(df))) for part in parts]
        return pc.binary_join_element_wise(*cells, ",", options=BLANK_NULLS)

    with open(path, "wb") as f, ThreadPoolExecutor(max_workers=2) as pool:
        f.write(BOM + header.encode("utf-8"))
        # pyarrow's kernels run without the GIL: the next chunk is made while one is written
        pending: deque[Future] = deque()
        for start in range(0, len(df), CHUNK):
            pending.append(pool.submit(rows, start))
            if len(pending) > 2:
                _write(f, pending.popleft().result())
        while pending:
            _write(f, pending.popleft().result())
    pa.default_memory_pool().release_unused()  # pyarrow's buffers back to the system


def _parts(df: pd.DataFrame, float_format: str | None) -> list[Part] | None:
    """One producer of CSV cells per column, or None when ``to_csv`` must write the table.
    The last column's cells end with the line feed."""
    if len(df.columns) < 2 or not all(isinstance(c, str) for c in df.columns) \
            or df.columns.has_duplicates:
        return None  # a single empty cell is written '""'; leave such tables to pandas
    parts: list[Part] = []
    for k in range(len(df.columns)):
        part = _part(df.iloc[:, k], float_format, "\n" if k == len(df.columns) - 1 else "")
        if part is None:
            return None
        parts.append(part)
    return parts


def _part(column: pd.Series, float_format: str | None, end: str) -> Part | None:
    """The column's producer of cells, each followed by ``end``; None for a dtype whose text
    only ``to_csv`` knows."""
    arrow = _arrow_text(column)
    if arrow is not None:  # text already in Arrow (string[pyarrow], ArrowDtype): no copy
        return _arrow_part(arrow, end)
    if isinstance(column.dtype, pd.StringDtype):  # pandas' text dtype: str, blank NaN
        return _text_part(column.to_numpy(dtype=object), end)
    if not isinstance(column.dtype, np.dtype):
        return None  # other extension dtypes (nullable, categorical): pandas' own text
    values = column.to_numpy()
    if values.dtype == object:
        if len(values) and infer_dtype(values, skipna=True) not in ("string", "empty"):
            return None  # numbers, booleans or other objects in a text column
        return _text_part(values, end)
    if values.dtype.kind in "fiub":
        return _number_part(values, float_format, end)
    return None


def _arrow_text(column: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow strings when pandas keeps them in Arrow, else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" or \
            isinstance(dtype, pd.ArrowDtype) and dtype.pyarrow_dtype in (pa.string(),
                                                                          pa.large_string()):
        arrow = pa.array(column.array)
        return arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])
    return None


def _arrow_part(arrow: pa.ChunkedArray, end: str) -> Part:
    def part(start: int, stop: int) -> pa.Array:
        rows = arrow.slice(start, stop - start)
        text = rows.chunk(0) if rows.num_chunks == 1 else pa.concat_arrays(rows.chunks)
        return _quoted(text.cast(pa.string()) if text.type != pa.string() else text, end)
    return part


def _text_part(values: np.ndarray, end: str) -> Part:
    """Text cells of Python strings: made Arrow strings a chunk at a time (an object column
    of any kind of text costs the same as a hash of it, and most of a score table's text
    is mostly distinct), quoted where the ``csv`` module quotes them, blank where missing."""
    def part(start: int, stop: int) -> pa.Array:
        return _quoted(pa.array(values[start:stop], type=pa.string(), from_pandas=True), end)
    return part


def _quoted(text: pa.Array, end: str) -> pa.Array:
    """Cells quoted where needed and followed by ``end``; nulls stay null (the row join
    writes them blank) unless an ``end`` follows them. Most columns hold no comma, quote
    or line feed at all: one memchr per character over the chunk's bytes tells, before
    any per-cell work; and the cells are searched only for the characters the chunk
    holds (refs: commas only; a plain substring search is several times faster than a
    regular expression of the three). The quotes are joined around the cells in one
    pass, never a quoted copy of every cell chosen from afterwards."""
    data = _text_bytes(text)
    raw = b"" if data is None else bytes(data)  # bytes' `in` is a memchr for one byte
    present = [c for c in NEEDS_QUOTES if c.encode() in raw]
    if not present:
        return pc.binary_join_element_wise(text, end, "", options=BLANK_NULLS) if end \
            else text
    needs = pc.match_substring(text, present[0])
    for c in present[1:]:
        needs = pc.or_(needs, pc.match_substring(text, c))
    if text.null_count:
        needs = pc.fill_null(needs, False)
    doubled = pc.replace_substring(text, '"', '""') if '"' in present else text
    return pc.binary_join_element_wise(pc.if_else(needs, '"', ""), doubled,
                                       pc.if_else(needs, '"' + end, end), "",
                                       options=BLANK_NULLS)


def _number_part(values: np.ndarray, float_format: str | None, end: str) -> Part | None:
    """Numbers by code: each distinct value formatted once, as ``to_csv`` formats it."""
    key = values.view(np.int64) if values.dtype == np.float64 else values
    codes, distinct = pd.factorize(key)
    if values.dtype == np.float64:
        distinct = np.asarray(distinct).view(np.float64)
    texts = _formatted(np.asarray(distinct, dtype=values.dtype), float_format)
    if texts is None:
        return None
    if end:
        texts = pc.binary_join_element_wise(texts, end, "")
    indices = codes.astype(np.int32)

    def part(start: int, stop: int) -> pa.Array:
        return texts.take(pa.array(indices[start:stop]))
    return part


def _formatted(distinct: np.ndarray, float_format: str | None) -> pa.Array | None:
    """The text ``to_csv`` writes for each value: floats as pandas formats them for a CSV
    (``float_format % v``, or numpy's ``str`` without a format; NaN blank); integers in
    decimal and booleans ``True``/``False``, as numpy's ``str`` writes them; other numbers
    (float32) by ``to_csv`` itself (a second column keeps a blank cell from being written
    as ``""``). None where a text would hold a separator: ``to_csv`` quotes it."""
    if distinct.dtype == np.float64:
        digits = _fixed_digits(float_format)
        if digits is not None:
            return _fixed(distinct, digits)
        if float_format is None:
            texts = distinct.astype(str).tolist()
        else:
            texts = [float_format % v for v in distinct.tolist()]
        for k in np.flatnonzero(np.isnan(distinct)).tolist():
            texts[k] = ""
        ok = not any(("," in t or '"' in t or "\n" in t) for t in texts)
        return pa.array(texts, pa.string()) if ok else None
    if distinct.dtype.kind == "b":
        return pa.array(["True" if v else "False" for v in distinct.tolist()], pa.string())
    if distinct.dtype.kind in "iu":
        return pc.cast(pa.array(distinct), pa.string())
    frame = pd.DataFrame({"v": distinct, "w": np.zeros(len(distinct), dtype=np.int8)})
    out = frame.to_csv(index=False, header=False, float_format=float_format,
                       lineterminator="\n").split("\n")[:-1]
    if len(out) != len(distinct) or not all(line.endswith(",0") for line in out):
        return None
    return pa.array([line[:-2] for line in out], pa.string())


def _fixed_digits(float_format: str | None) -> int | None:
    """N of a ``%.Nf`` format (the score tables' ``%.4f``), else None."""
    match = re.fullmatch(r"%\.([0-9])f", float_format or "")
    return int(match.group(1)) if match else None


def _fixed(values: np.ndarray, digits: int) -> pa.Array:
    """``"%.{digits}f" % v`` of each value (NaN blank) in a few vectorised passes instead
    of a Python call per value (a national totals table has half a million distinct
    floats). |v|·10^digits is rounded to the nearest integer from its float product,
    whose error is below 2^-13 while the product is under 2^40: the rounding is the
    exact value's wherever the fraction is not within 10^-3 of a half. Values near a tie
    (1/32 at 4 digits is an exact one, written to even), huge, infinite or NaN take
    Python's ``%`` as before."""
    scale = 10 ** digits
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(values) * scale
        whole = np.floor(scaled)
        fraction = scaled - whole
        python = ~(scaled < 2.0 ** 40) | (np.abs(fraction - 0.5) < 1e-3)
        rounded = np.where(python, 0, whole + (fraction > 0.5)).astype(np.int64)
    sign = pc.if_else(pa.array(np.signbit(values)), "-", "")  # -0.0 and -0.00001: "-0.0…"
    units = pc.cast(pa.array(rounded // scale), pa.string())
    if digits:
        decimals = pc.utf8_lpad(pc.cast(pa.array(rounded % scale), pa.string()), digits, "0")
        texts = pc.binary_join_element_wise(sign, units, ".", decimals, "")
    else:
        texts = pc.binary_join_element_wise(sign, units, "")
    if python.any():
        exact = ["" if v != v else f"%.{digits}f" % v for v in values[python].tolist()]
        texts = pc.replace_with_mask(texts, pa.array(python), pa.array(exact, pa.string()))
    return texts


def _quote_text(text: str) -> str:
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write(f: BinaryIO, rows: pa.Array) -> None:
    data = _text_bytes(rows)
    if data is not None:
        f.write(data)


def _text_bytes(rows: pa.Array) -> memoryview | None:
    """The UTF-8 bytes of a string array's values, back to back (None if it has none)."""
    _, offsets, data = rows.buffers()
    if data is None or not len(rows):
        return None
    at = np.frombuffer(offsets, dtype=np.int32)[rows.offset:rows.offset + len(rows) + 1]
    return memoryview(data)[int(at[0]):int(at[-1])]


__all__ = ["write_csv"]
