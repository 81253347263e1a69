"""A unit's input rows and digests of rows: what a scheme-year's score tables record of
each unit's inputs (``unit_inputs.csv``: rows and digest per data file; ``unit_rows.csv``:
the rows themselves, for its report's appendix 本单位原始数据).

Written with the scores (``kaohe.report.data.write_report_data``) and hashed again by the
unit views (``kaohe.report.views``); it imports neither, so report/ has no import cycle."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd


def _row_hashes(df: pd.DataFrame) -> np.ndarray:
    if df.empty:
        return np.zeros(0, dtype=np.uint64)
    # NaN and None hash alike; columns in a fixed order, their names hashed separately
    return pd.util.hash_pandas_object(df.astype(object).where(df.notna(), None),
                                      index=False).to_numpy()


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def _columns(df: pd.DataFrame) -> bytes:
    return json.dumps([str(c) for c in df.columns], ensure_ascii=False).encode()


def unit_inputs(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> pd.DataFrame:
    """Per unit and data file: how many rows the unit has there and their digest, for a
    unit report's provenance (the bulletin shows the whole files' SHA-256)."""
    rows = []
    for name, df in tables.items():
        if df.empty or "unit_id" not in df.columns:
            continue
        h = _row_hashes(df)
        for u, pos in df.groupby("unit_id", sort=False).indices.items():
            rows.append({"unit_id": u, "file": files[name], "rows": len(pos),
                         "sha256": _sha(_columns(df), h[pos].tobytes())})
    out = pd.DataFrame(rows, columns=["unit_id", "file", "rows", "sha256"])
    return out.sort_values(["unit_id", "file"], kind="mergesort").reset_index(drop=True)


# what each data table's rows are called in a unit report's appendix (本单位原始数据)
ROW_TABLES = {"observations": "考核数据", "events": "事项记录", "self_scores": "自评分",
              "not_applicable": "不适用说明"}
UNIT_ROW_COLUMNS = ["unit_id", "ref", "table", "indicator_id", "source", "item", "value", "note"]


def unit_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every input row that belongs to a unit, in words a unit can check against what it
    reported: the table, the indicator, who reported it, the item (by name), the value and
    the note. ``ref`` (file:line) ties each row to the losses and reasons that cite it."""
    items = tables.get("items")
    names = dict(zip(items["item_id"], items["name"], strict=True)) \
        if items is not None and not items.empty else {}
    frames = []
    for name, label in ROW_TABLES.items():
        df = tables.get(name)
        if df is None or df.empty or "unit_id" not in df.columns:
            continue
        df = df[df["unit_id"].notna() & (df["unit_id"].astype(str) != "")]

        def col(c: str, frame: pd.DataFrame = df) -> pd.Series:
            return frame[c] if c in frame.columns else pd.Series("", index=frame.index)

        if name == "events":  # the item is the kind of event (a report names it by the rule)
            work = col("work").fillna("").astype(str).map(lambda w: names.get(w, w))
            note = (col("description").fillna("").astype(str)
                    + work.map(lambda w: f"（{w}）" if w else "")
                    + col("date").fillna("").astype(str).map(lambda d: f"（{d}）" if d else ""))
            item = col("type")
        elif name == "not_applicable":
            note, item = col("reason"), pd.Series("", index=df.index)
        else:
            note, item = col("note"), col("item")
        value = col("points") if name == "self_scores" else col("value")
        frames.append(pd.DataFrame({
            "unit_id": df["unit_id"].astype(str), "ref": col("ref").astype(str), "table": label,
            "indicator_id": col("indicator_id").astype(str), "source": col("source"),
            "item": item.map(lambda i: names.get(i, i)), "value": value, "note": note}))
    if not frames:
        return pd.DataFrame(columns=UNIT_ROW_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[UNIT_ROW_COLUMNS]
    return out.sort_values("unit_id", kind="mergesort").reset_index(drop=True)
