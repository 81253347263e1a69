"""docs/rules.md documents every rule an analyst can name in a rubric."""

from pathlib import Path

from kaohe.rules import REGISTRY

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def test_every_registered_rule_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in REGISTRY if f"`{name}`" not in text]
    assert missing == []


def test_no_documented_rule_is_unknown():
    import re

    text = DOC.read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if re.match(r"^\| \d+ \| `", ln)]
    named = {re.match(r"^\| \d+ \| `([a-z_]+)`", ln).group(1) for ln in rows}
    assert named and named <= set(REGISTRY)
