"""The contract every rule class keeps, checked over the whole registry: it says which rows it
reads, and every row it does not read is refused, located (a column and a message), never
dropped; its words for templates are there for every row it asks for; the values it accepts
are refused outside its bounds and accepted inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import events, obs
from test_catalogue import MINIMAL

from kaohe.normalize import ValueSpec
from kaohe.rules import REGISTRY, Rule
from kaohe.rules.rows import event_refusals, observation_refusals

ITEMS = {"A1", "A2"}
MAX = 10.0


def rule_of(kind: str) -> Rule:
    return REGISTRY[kind].model_validate(MINIMAL[kind])


def refused(found) -> dict[int, str]:
    """{row position: column} of the refusals."""
    out: dict[int, str] = {}
    for r in found:
        assert r.column, r
        texts = r.message if isinstance(r.message, pd.Series) else [r.message] * len(r.rows)
        assert len(texts) == len(r.rows)
        assert all(isinstance(t, str) and t for t in texts)
        for pos in r.rows:
            out.setdefault(int(pos), r.column)
    return out


def good_value(spec: ValueSpec) -> float:
    return spec.choices[-1] if spec.choices else float(spec.lo or 0.0)


def accepted_rows(rule: Rule) -> list[dict]:
    """One row of every kind the rule reads, with a value it can hold."""
    rows = []
    level = rule.row_level()
    if level in ("unit", "both"):
        items = sorted(ITEMS) if level == "both" else (sorted(rule.observation_items()) or [None])
        for item in items:
            rows.append({"unit_id": "u1", "item": item,
                         "value": good_value(rule.value_spec(MAX, item))})
    if level in ("item", "both"):
        rows.append({"unit_id": None, "item": "A1",
                     "value": good_value(rule.value_spec(MAX, "A1"))})
    return rows


def unused_rows(rule: Rule) -> list[tuple[dict, str]]:
    """Rows the rule does not read, with the column the refusal must name."""
    level = rule.row_level()
    out: list[tuple[dict, str]] = []
    if level == "unit":
        item = next(iter(sorted(rule.observation_items())), None)
        out.append(({"unit_id": None, "item": item, "value": 1.0}, "unit_id"))
        out.append(({"unit_id": "u1", "item": "复核", "value": 1.0}, "item"))
    if level == "item":
        out.append(({"unit_id": "u1", "item": "A1", "value": 1.0}, "unit_id"))
    if level in ("item", "both"):
        out.append(({"unit_id": None, "item": "Z9", "value": 1.0}, "item"))
        out.append(({"unit_id": None, "item": None, "value": 1.0}, "item"))
    for row in accepted_rows(rule):  # a value the rule cannot hold
        spec = rule.value_spec(MAX, row["item"])
        out.append(({**row, "value": -1.0 if not spec.choices else 0.5}, "value"))
    return out


OBSERVATION_KINDS = sorted(k for k, c in REGISTRY.items() if c.reads == "observations")
EVENT_KINDS = sorted(k for k, c in REGISTRY.items() if c.reads == "events")


def test_every_rule_reads_one_table():
    assert set(OBSERVATION_KINDS) | set(EVENT_KINDS) | {
        k for k, c in REGISTRY.items() if c.reads == "results"} == set(REGISTRY)


@pytest.mark.parametrize("kind", OBSERVATION_KINDS)
def test_rows_a_rule_does_not_read_are_refused_located(kind):
    rule = rule_of(kind)
    good = accepted_rows(rule)
    bad = unused_rows(rule)
    frame = obs(good + [row for row, _ in bad])
    got = refused(observation_refusals("x", rule, frame, MAX, ITEMS))
    assert all(pos not in got for pos in range(len(good))), got  # what it reads passes
    for k, (_, column) in enumerate(bad, start=len(good)):
        assert got.get(k) == column, (kind, bad[k - len(good)], got)


@pytest.mark.parametrize("kind", ["quota_grade"])
def test_a_unit_level_quota_refuses_a_row_without_unit(kind):
    # anfu d3_2 (县领导测评, over: units): a blank unit_id row was counted used and changed nothing
    rule = REGISTRY[kind].model_validate({"tiers": MINIMAL[kind]["tiers"]})
    assert rule.row_level() == "unit"
    frame = obs([("u1", None, 87.4), {"unit_id": None, "item": None, "value": 85.5}])
    assert refused(observation_refusals("d3_2", rule, frame, 15.0, ITEMS)) == {1: "unit_id"}


def test_a_unit_that_takes_another_units_result_has_its_own_row_refused():
    # guangyuan: 经开区's provincial result is 利州区's; its own row is refused, saying why
    rule = REGISTRY["component"].model_validate({"proxy": {"jingkai": "lizhou"}})
    frame = obs([("lizhou", None, 92.4), ("jingkai", None, 80.0)])
    found = list(observation_refusals("P", rule, frame, 80.0, set()))
    assert refused(found) == {1: "unit_id"}
    assert "lizhou" in found[0].message.iloc[0]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_events_of_a_type_the_rule_does_not_read_are_refused(kind):
    rule = rule_of(kind)
    types = sorted(rule.event_types())
    assert types and {t for t, _ in rule.event_type_names()} == set(types)
    frame = events([{"unit_id": "u1", "type": t} for t in [*types, "其他"]])
    assert refused(event_refusals("x", rule, frame)) == {len(types): "type"}


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_words_for_templates(kind):
    rule = rule_of(kind)
    assert rule.words(MAX).strip()
    if rule.reads == "observations":
        for item, _ in rule.item_rows():
            assert rule.requirement(MAX, item).strip()
    for key, header in rule.event_fields().items():
        assert key in ("work", "value") and header


@pytest.mark.parametrize("kind", OBSERVATION_KINDS)
def test_value_bounds_are_inclusive(kind):
    rule = rule_of(kind)
    for row in accepted_rows(rule):
        spec = rule.value_spec(MAX, row["item"])
        edges = list(spec.choices) or [v for v in (spec.lo, spec.hi) if v is not None]
        frame = obs([{**row, "value": v} for v in edges])
        assert not refused(observation_refusals("x", rule, frame, MAX, ITEMS)), (kind, edges)


def test_only_the_veto_carries_no_points():
    assert {k for k, c in REGISTRY.items() if not c.carries_points} == {"veto"}


def test_refusals_are_vectorised_over_many_rows():
    rule = rule_of("rater_points")
    n = 200_000
    frame = pd.DataFrame({"unit_id": np.where(np.arange(n) % 1000 == 0, None, "u1"),
                          "item": None, "value": 5.0, "ref": "observations.csv:2"})
    got = refused(observation_refusals("x", rule, frame, MAX, set()))
    assert len(got) == n // 1000


def test_units_named_and_item_roles():
    proxy = REGISTRY["component"].model_validate({"proxy": {"jingkai": "lizhou"}})
    assert proxy.units_named() == ["jingkai", "lizhou"]
    for kind in REGISTRY:
        rule = rule_of(kind)
        assert bool(rule.item_roles()) == (rule.row_level() != "unit"), kind
