"""Text to columns at national scale: a CSV (UTF-8 bytes) or a Parquet file as text columns
read by pyarrow, with the line (CSV) or row (Parquet) each row comes from.

``kaohe.dataset`` reads every table through here first: pyarrow's CSV reader parses, trims
and converts whole columns in C++, so six million rows cost about what reading them costs.
A file this fast path cannot read exactly as the general reader (pandas' C parser and the
``csv`` module, in ``kaohe.dataset``) would — not UTF-8, a lone carriage return, a
malformed header or row — gives ``None`` here (a blank line is read as a row of blanks,
which ``kaohe.dataset`` looks for) and goes the general way, which
produces the located messages of docs/bad-inputs.md. So every answer here equals the
general reader's, only faster; ``tests/test_columnar.py`` checks both on the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from .readers.csvtext import CONTROL

# What ``str.strip()`` removes: every character for which ``str.isspace()`` holds
# (tests/test_columnar.py checks the list against Python's own).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
BOM = b"\xef\xbb\xbf"
TEXT_CODES = pa.dictionary(pa.int32(), pa.string())


@dataclass(frozen=True)
class Columns:
    """A table as text: header names (trimmed), one pyarrow array per column with blanks
    as ``""`` (cells as written, not trimmed: a CSV's columns dictionary-encoded, one
    dictionary per column; a Parquet file's text may be dictionary-encoded and its number
    columns numbers: ``text`` gives any of them as plain text), and where each row is in
    its file: ``rows[k]`` is the line (CSV, the header is line 1) or row number (Parquet,
    from 1)."""

    names: list[str]
    cells: list[pa.Array | pa.ChunkedArray]
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def csv_columns(data: bytes) -> Columns | None:
    """A UTF-8 CSV (with or without BOM) as text columns, or ``None`` when the general
    reader must read it (its answer, refusal or message would differ from pyarrow's).

    Every column is read dictionary-encoded: pyarrow parses and encodes in one parallel
    pass, and the checks that would otherwise scan every byte of the file look at the
    distinct values only. A control character (which the general reader refuses, located)
    is one of them: any cell holding one sends the file the general way."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    newline = data.find(b"\n")
    header = data if newline < 0 else data[:newline]
    if not header.strip() or b'"' in header or re.search(CONTROL.encode(), header) or (
            data.endswith(b"\r")):  # a last line ended by a carriage return alone
        return None
    try:
        raw_names = header.rstrip(b"\r").decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    if len(set(raw_names)) != len(raw_names) or any(not n for n in raw_names):
        return None  # pandas renames these ("a.1", "Unnamed: 2"); let it
    quoted = b'"' in data
    keys = [f"c{i}" for i in range(len(raw_names))]
    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(column_names=keys, skip_rows=1),
            # a blank line is a row of blanks (``has_blank_row``), not skipped unseen
            parse_options=pcsv.ParseOptions(newlines_in_values=quoted, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(keys, TEXT_CODES),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    cells = [_one_dictionary(table.column(k)) for k in keys]
    del table
    if any(pc.any(pc.match_substring_regex(c.dictionary, CONTROL)).as_py() for c in cells):
        return None
    n = len(cells[0]) if cells else 0
    # a record's cells may hold line breaks (Alt+Enter in Excel): its next record starts
    # that many lines further down (only a quoted cell can hold one)
    inside = np.zeros(n if quoted else 0, dtype=np.int64)
    for col in cells if quoted else []:
        per_value = pc.count_substring(col.dictionary, "\n").to_numpy(zero_copy_only=False)
        inside += per_value[col.indices.to_numpy(zero_copy_only=False)]
    # pyarrow ends a line at "\n", "\r\n" and a "\r" alone, which the general reader
    # refuses where it is: a file with a carriage return has its lines counted (an
    # unquoted one alone is one more line than the line feeds); without one every line
    # feed ends a row or sits in a cell (blank lines are rows of blanks, seen later)
    if b"\r" in data and (data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
                          != 1 + n + int(inside.sum())):
        return None
    rows = np.arange(2, n + 2, dtype=np.int64)
    if inside.any():
        rows[1:] += np.cumsum(inside)[:-1]
    return Columns([name.strip() for name in raw_names], cells, rows)


def _one_dictionary(col: pa.ChunkedArray) -> pa.DictionaryArray:
    """A dictionary-encoded column read in chunks (each with its own dictionary) as one
    array with one dictionary: codes comparable across the whole file."""
    if not col.num_chunks:
        return pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
    if col.num_chunks > 1:
        col = col.unify_dictionaries()
    return col.combine_chunks()


def parquet_columns(path: Path, numeric: tuple[str, ...] = ()) -> Columns:
    """A Parquet file as text columns: every column cast to text as a CSV would hold it
    (numbers in their shortest round-trip form, dates as ISO dates), missing values blank;
    rows numbered from 1 as they are stored. Text columns are read dictionary-encoded
    (as Parquet stores them) when no value is missing. A column named in ``numeric`` that is stored
    as integers or floats is kept as numbers (``stored_numbers`` reads it: the value a CSV
    of its text would give, without the round trip through six million texts). Raises
    ``pa.ArrowException`` or ``OSError`` when the file cannot be read."""
    schema = pq.read_schema(path)
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    table = pq.read_table(path, read_dictionary=strings)  # codes: encode takes them
    names = [str(n).strip() for n in table.column_names]
    cells = [col if name in numeric and _is_number(col.type) else text(col, dictionary=True)
             for name, col in zip(names, table.columns, strict=True)]
    return Columns(names, cells, np.arange(1, table.num_rows + 1, dtype=np.int64))


def has_blank_row(cols: Columns) -> bool:
    """Whether some row is blank in every column once trimmed (a row of separators only,
    which the general reader drops with a note). Told from each column's distinct values
    first: a column with no blank value (a unit id) means no such row."""
    blank_codes = []
    for col in cols.cells:
        blank = pc.equal(trim(col.dictionary), "").to_numpy(zero_copy_only=False)
        if not blank.any():
            return False
        blank_codes.append(blank)
    every = np.ones(len(cols), dtype=bool)
    for col, blank in zip(cols.cells, blank_codes, strict=True):
        every &= blank[col.indices.to_numpy(zero_copy_only=False)]
    return bool(every.any())


def may_repeat(cols: Columns, header: list[str]) -> bool:
    """Whether some row could repeat the header line: each column holds its header's text,
    as written, among its values (only then is the file searched for the line itself)."""
    return len(header) == len(cols.cells) and all(
        pc.any(pc.equal(col.dictionary, name)).as_py() for col, name in zip(cols.cells, header, strict=True))


def parquet_rows(path: Path) -> int:
    """How many rows a Parquet file holds (from its footer, without reading the data)."""
    return pq.ParquetFile(path).metadata.num_rows


def _is_number(kind: pa.DataType) -> bool:
    """Numbers whose float64 is the one their shortest text parses to (a float32's text,
    "0.1", is not its float64 value, 0.10000000149…: it goes through text)."""
    return pa.types.is_integer(kind) or kind == pa.float64()


def text(col: pa.Array | pa.ChunkedArray, dictionary: bool = False
         ) -> pa.Array | pa.ChunkedArray:
    """A stored column as the text a CSV would hold: blanks for missing values. Text
    without missing values is the column itself; so is dictionary-encoded text without
    missing values when ``dictionary`` (``encode`` takes it as it is)."""
    if not col.null_count and (pa.types.is_string(col.type) or (
            dictionary and pa.types.is_dictionary(col.type)
            and pa.types.is_string(col.type.value_type))):
        return col
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_boolean(col.type):
        col = pc.if_else(col, "1", "0")
    elif not pa.types.is_string(col.type):  # numbers, dates, large or view strings
        col = col.cast(pa.string())
    return pc.fill_null(col, "")


def stored_numbers(col: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Floats of a column stored as numbers, NaN where missing; None for text, or when a
    value is NaN or infinite (the text path refuses it, with its message). Integers and
    floats convert exactly as their shortest text would parse (both round to nearest)."""
    if not _is_number(col.type):
        return None
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    values = np.array(arr.to_numpy(zero_copy_only=False), dtype=float)  # writable
    missing = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if not np.isfinite(values[~missing]).all():
        return None
    values[missing] = np.nan
    return values


def refs(file: str, rows: np.ndarray, step: int = 1 << 19) -> pa.ChunkedArray:
    """``file:line`` (or ``file:row``) of every row as Arrow text, made in C++ a slice of
    rows at a time: no Python object per row (six million of them cost a second to make,
    memory while they live and time again when freed). ``ref_series`` hands it to pandas."""
    parts = [pc.binary_replace_slice(pa.array(rows[start:start + step], pa.int64()).cast(pa.string()),
                                     0, 0, file + ":")  # the prefix put in front of each number
             for start in range(0, len(rows), step)]
    return pa.chunked_array(parts, type=pa.string())


def ref_series(refs: pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """A ``ref`` column of pandas' Arrow-backed text (``string[pyarrow]``) over ``refs``
    without copying it: its values read as Python ``str`` one by one, and the engine joins
    them in Arrow (``kaohe.rules.base``)."""
    return pd.Series(pd.arrays.ArrowStringArray(refs), index=index)


def trim(col: pa.Array) -> pa.Array:
    """Blanks at both ends removed, as ``str.strip()`` removes them."""
    return pc.utf8_trim(col, characters=WHITESPACE)


def encode(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values) of a text column, in C++: ``values.take(codes)`` is the
    column. A column in chunks has its chunks' dictionaries unified (one code per text);
    every value is some cell's. A column read dictionary-encoded (CSV, Parquet) keeps its
    dictionary, less the values no cell uses."""
    stored = pa.types.is_dictionary(col.type)
    enc = col if stored else col.dictionary_encode()
    if isinstance(enc, pa.ChunkedArray):
        enc = _one_dictionary(enc)
    codes, values = enc.indices.to_numpy(zero_copy_only=False), enc.dictionary
    if stored:
        used = np.zeros(len(values), dtype=bool)
        used[codes] = True
        if not used.all():
            codes = (np.cumsum(used) - 1)[codes]
            values = values.filter(pa.array(used))
    return codes, values


def trimmed_codes(codes: np.ndarray, values: pa.Array
                  ) -> tuple[np.ndarray, pa.Array, np.ndarray | None]:
    """``encode`` of the trimmed column, from the codes of the column as read: only the
    distinct values are trimmed (a few thousand, not six million cells). Returns (codes,
    distinct trimmed values, which cells trimming changed or None when none did). Trimming
    only removes, so a cell changed exactly when its length did."""
    trimmed = trim(values)
    moved = pc.not_equal(pc.binary_length(values), pc.binary_length(trimmed))
    moved = moved.to_numpy(zero_copy_only=False)
    if not moved.any():
        return codes, values, None
    recode, trimmed = encode(trimmed)  # " a" and "a" are one text once trimmed
    return recode[codes], trimmed, moved[codes]


def as_objects(codes: np.ndarray, dictionary: pa.Array
               ) -> tuple[np.ndarray, np.ndarray, pa.Array, int]:
    """(object array, codes, distinct values, the code of a blank cell or -1) of a text
    column given as ``encode`` gives it (which runs without Python).

    The object array holds Python ``str``, ``None`` where blank: each distinct text is one
    object shared by its cells (a column of six million cells has a few thousand distinct
    values at most); the codes index the distinct values, for checks without Python."""
    values = dictionary.to_pylist()
    blank = values.index("") if "" in values else -1
    uniques = np.array(values + [None], dtype=object)
    if blank >= 0:
        uniques[blank] = None
    return uniques[codes], codes, dictionary, blank


def as_numbers(col: pa.Array) -> np.ndarray | None:
    """Float values of trimmed number cells, NaN where blank; ``None`` when some cell is
    not a plain decimal number (the general parser then says where and why)."""
    blank = pc.equal(col, "")
    try:
        values = pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), col), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = values.to_numpy(zero_copy_only=False)
    if not np.isfinite(out[~blank.to_numpy(zero_copy_only=False)]).all():
        return None  # "nan", "inf": refused by the general parser, with its message
    return out
