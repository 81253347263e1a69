"""得分核对: every unit report and every bulletin of every bundled scheme-year re-adds.

A program reads the pages as a unit would: ``table.reconcile`` from ``data-start`` through
each ``data-delta`` to ``data-total``; the bulletin's ranking rows from 0 through each
column's ``data-delta`` to ``data-total``; and both must equal totals.csv's total (to
0.005, the half-cent a printed total may be off by). The numbers from the issue were
worked by hand from the scheme documents and the sample data."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from kaohe.reconcile import reconcile
from kaohe.report.data import prepare, read_scores
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
TOL = 0.005


class _Tables(HTMLParser):
    """Rows of the tables with reconcile data: [(attrs of tr, [attrs of each td])]."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth, self.tables = cls, 0, []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            if self.depth or self.cls in (a.get("class") or "").split():
                self.depth += 1
                if self.depth == 1:
                    self.tables.append([])
        elif self.depth == 1 and tag == "tr":
            self.tables[-1].append((a, []))
        elif self.depth == 1 and tag == "td" and self.tables[-1]:
            self.tables[-1][-1][1].append(a)

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1


def _tables(html: str, cls: str) -> list:
    p = _Tables(cls)
    p.feed(html)
    return p.tables


def _unit_reports(out: Path):
    for sy in sorted(p.parent for p in out.glob("*/*/bulletin.html")):
        totals = pd.read_csv(sy / "data" / "totals.csv", dtype={"unit_id": str})
        yield sy, totals


def test_every_unit_report_re_adds_to_its_total(built_all):
    checked = 0
    for sy, totals in _unit_reports(built_all):
        from kaohe.report.plan import page_name

        for _, row in totals.iterrows():
            html = (sy / "units" / f"{page_name(row['unit_id'])}.html").read_text(encoding="utf-8")
            tables = _tables(html, "reconcile")
            assert len(tables) == 1, (sy, row["unit_id"])
            rows = [tr for tr, _ in tables[0] if tr]
            start = float(rows[0]["data-start"])
            deltas = [float(tr["data-delta"]) for tr in rows[1:-1]]
            total = float(rows[-1]["data-total"])
            assert "data-start" not in rows[-1] and all("data-delta" in tr for tr in rows[1:-1])
            assert abs(start + sum(deltas) - total) < TOL, (sy, row["unit_id"])
            assert abs(total - row["total"]) < TOL, (sy, row["unit_id"])
            checked += 1
    # 19 changshou + 24 anfu + 5 sichuan years + guangyuan's 2 years and 8 quarters
    assert checked >= 373


def test_every_bulletin_ranking_row_re_adds_to_its_total(built_all):
    for sy, totals in _unit_reports(built_all):
        html = (sy / "bulletin.html").read_text(encoding="utf-8")
        seen = {}
        for t in _tables(html, "ranking"):
            for tr, tds in t:
                if "data-start" not in tr:
                    continue
                deltas = [float(td["data-delta"]) for td in tds if "data-delta" in td]
                total = [float(td["data-total"]) for td in tds if "data-total" in td]
                assert len(total) == 1
                assert abs(float(tr["data-start"]) + sum(deltas) - total[0]) < TOL, (sy, tr)
                seen[tr["data-unit"]] = total[0]
        expected = dict(zip(totals["unit_id"], totals["total"], strict=True))
        assert seen.keys() == expected.keys(), sy
        assert all(abs(seen[u] - expected[u]) < TOL for u in seen), sy


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Scores of the scheme-years the issue's examples come from."""
    out = {}
    for rel in ("sichuan-poverty/2020", "guangyuan-reform/2022", "anfu-reform/2017",
                "changshou-rural/2023"):
        params = ROOT / "params" / f"{rel}.yaml"
        d = tmp_path_factory.mktemp(rel.replace("/", "-"))
        prepare(params, d)
        out[rel] = read_scores(d, load_rubric(params).rubric)
    return out


def _rec(data, name: str):
    t = data.totals
    row = t[t["name"] == name].iloc[0]
    return reconcile(data.rubric, row, data.nodes[data.nodes["unit_id"] == row["unit_id"]])


@pytest.mark.parametrize("rel", ["sichuan-poverty/2020", "guangyuan-reform/2022",
                                 "anfu-reform/2017", "changshou-rural/2023"])
def test_steps_explain_every_total_exactly(scored, rel):
    data = scored[rel]
    for _, row in data.totals.iterrows():
        rec = reconcile(data.rubric, row, data.nodes[data.nodes["unit_id"] == row["unit_id"]])
        assert abs(rec.residual()) < 1e-9, (rel, row["unit_id"])
        assert rec.total == row["total"]


def test_a_result_on_another_scale_is_read_back_in_its_row(scored):
    """guangyuan 2022: 利州区's provincial result is 87 on 100 (observations.csv line 2);
    省级指标评估结果 is 80 points: 87 ÷ 100 × 80 = 69.6, so 10.4 lost — the row shows the
    result the county knows and the conversion, not only the loss."""
    rec = _rec(scored["guangyuan-reform/2022"], "利州区")
    row = rec.steps[rec.steps["label"] == "省级指标评估结果"].iloc[0]
    assert row["path"] == "省级指标评估结果87分（100分制）× 80/100 = 69.6分，失10.4分"
    assert row["delta"] == pytest.approx(-10.4)
    # a loss that passed through weights keeps its path alone
    other = rec.steps[rec.steps["label"] == "加大政府购买服务力度"].iloc[0]
    assert other["path"] == "失0.6分 × 40%（权重） × 20/97（折合20分） = 失0.05分"
