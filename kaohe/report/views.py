"""What one unit's feedback report reads of its scheme-year, and a digest of it per unit.

A unit's report (反馈) shows its own rows of the score tables, its group's first-level
points (for the group mean and best), the rubric and the scheme-year's provenance. It
never reads other units' reasons, totals or data hashes. ``unit_view`` cuts a scheme-year's
``ReportData`` down to exactly that, and ``kaohe.report.sections.feedback`` renders from the view,
so a report is a function of its view by construction.

``unit_digests`` computes, for every unit at once, a digest that changes when and only
when the unit's view changes (``view_digest`` of the view itself gives the same value; a
test checks it). ``kaohe build`` keys each unit report on it: correcting one unit's data
rebuilds that unit's report, and every report whose numbers it moves (group means,
ranks), but no other.

Digests hash rows with ``pandas.util.hash_pandas_object`` (64 bits a row, by value, not by
position) and combine them with SHA-256: a unit's own rows in table order; rows shared by
its group in a canonical (unit, indicator) order.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from .data import ReportData
from .rows import _columns, _row_hashes, _sha

# Tables of which a unit's report reads the unit's own rows only.
OWN_TABLES = ("details", "lines", "flags", "self_check", "history", "robustness", "unit_inputs",
              "appeals", "correction", "unit_rows")
PEER_NODE_COLUMNS = ["unit_id", "node_id", "earned", "max"]
INPUT_FILES_KEY = "data_sha256"  # provenance entry a unit report does not show


def identity_columns(data: ReportData) -> list[str]:
    """Totals columns that say which group a unit is in (and nothing of its score)."""
    cols = ["unit_id", "kind", *data.rubric.results.ranking.within]
    return [c for c in dict.fromkeys(cols) if c in data.totals.columns]


def unit_provenance(provenance: dict) -> dict:
    """The scheme-year's provenance without the hashes of its data files: a unit's report
    names the data directory and its own input rows (``unit_inputs``) instead, so one
    unit's corrected data does not change every other unit's report."""
    return {k: v for k, v in provenance.items() if k != INPUT_FILES_KEY}


def _own(df: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    if df.empty or "unit_id" not in df.columns:
        return df
    return df[df["unit_id"].to_numpy() == unit_id]


def _group_of(data: ReportData, unit_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit's group: its identity rows of the totals and its first-level points, in
    table order (found once per group and kept with ``data``)."""
    labels = data.group_labels()
    label = labels.loc[unit_id]
    key = ("group", label)
    if key not in data._memo:
        peers = labels.index[labels.to_numpy() == label]
        t = data.totals
        n = data.nodes
        top = n["node_id"].isin(data.top_ids).to_numpy() & n["unit_id"].isin(peers).to_numpy()
        data._memo[key] = (t.loc[t["unit_id"].isin(peers).to_numpy(), identity_columns(data)],
                           n.loc[top, PEER_NODE_COLUMNS])
    return data._memo[key]


def unit_view(data: ReportData, unit_id: str) -> ReportData:
    """The part of ``data`` that ``unit_id``'s feedback report shows."""
    ident, top = _group_of(data, unit_id)
    own_totals = data.rows_of("totals", unit_id)
    totals = pd.concat([own_totals, ident[ident["unit_id"].to_numpy() != unit_id]])
    totals = totals.loc[ident.index]  # the original order of the group
    own_nodes = data.rows_of("nodes", unit_id)
    nodes = pd.concat([own_nodes, top[top["unit_id"].to_numpy() != unit_id]])
    nodes = nodes.sort_index(kind="mergesort")
    return replace(
        data, provenance=unit_provenance(data.provenance), totals=totals, nodes=nodes,
        rubric_changes=pd.DataFrame(),
        **{name: data.rows_of(name, unit_id) for name in OWN_TABLES})


# -- digests ------------------------------------------------------------------------------

def context_digest(data: ReportData) -> str:
    """What every unit report of a scheme-year shares: rubric, provenance without the data
    hashes, and which years' rubrics changed."""
    prov = json.dumps(unit_provenance(data.provenance), ensure_ascii=False, sort_keys=True)
    years = data.rubric_years
    return _sha(prov.encode(), _columns(years), _row_hashes(years).tobytes(),
                str(data.top_ids).encode())


def _peer_parts(data: ReportData, totals: pd.DataFrame, nodes: pd.DataFrame) -> tuple:
    """Group rows in canonical order: identity columns of the group's totals and its
    first-level points (both include the unit itself)."""
    ident = totals[identity_columns(data)].sort_values("unit_id", kind="mergesort")
    top = nodes.loc[nodes["node_id"].isin(data.top_ids), PEER_NODE_COLUMNS]
    top = top.sort_values(["unit_id", "node_id"], kind="mergesort")
    return ident, top


def view_digest(view: ReportData, unit_id: str) -> str:
    """The digest of one unit's view (see the module docstring)."""
    ident, top = _peer_parts(view, view.totals, view.nodes)
    parts = [context_digest(view).encode(),
             _row_hashes(_own(view.totals, unit_id)).tobytes(),
             _row_hashes(_own(view.nodes, unit_id)).tobytes(),
             _row_hashes(ident).tobytes(), _row_hashes(top).tobytes()]
    for name in OWN_TABLES:
        df = getattr(view, name)
        parts += [_columns(df), _row_hashes(_own(df, unit_id)).tobytes()]
    return _sha(*parts)


def _by_unit(df: pd.DataFrame, units: list[str]) -> dict[str, bytes]:
    """Each unit's rows' hashes in table order, as bytes (empty for a unit with none)."""
    out = dict.fromkeys(units, b"")
    if df.empty or "unit_id" not in df.columns:
        return out
    h = _row_hashes(df)
    for u, pos in df.groupby("unit_id", sort=False).indices.items():
        if u in out:
            out[u] = h[pos].tobytes()
    return out


def unit_digests(data: ReportData) -> dict[str, str]:
    """``view_digest(unit_view(data, u), u)`` for every unit, computed for all at once."""
    units = data.unit_ids()
    labels = data.group_labels().reindex(data.totals["unit_id"])
    context = context_digest(data).encode()
    own_totals = _by_unit(data.totals, units)
    own_nodes = _by_unit(data.nodes, units)
    group_parts: dict[str, tuple[bytes, bytes]] = {}
    for label in dict.fromkeys(labels):
        members = labels.index[labels.to_numpy() == label]
        t = data.totals[data.totals["unit_id"].isin(members)]
        n = data.nodes[data.nodes["unit_id"].isin(members)]
        ident, top = _peer_parts(data, t, n)
        group_parts[label] = (_row_hashes(ident).tobytes(), _row_hashes(top).tobytes())
    own = {}
    for name in OWN_TABLES:
        df = getattr(data, name)
        own[name] = (_columns(df), _by_unit(df, units))
    out = {}
    for u, label in zip(units, labels, strict=True):
        parts = [context, own_totals[u], own_nodes[u], *group_parts[label]]
        for name in OWN_TABLES:
            cols, rows = own[name]
            parts += [cols, rows[u]]
        out[u] = _sha(*parts)
    return out
