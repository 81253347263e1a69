"""docs/schemes.md has, for every bundled scheme, the clause-to-key table and the list of the
project's own choices (the values marked `ours:` in its rubrics)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "schemes.md"


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {p.split(" ", 1)[0]: p for p in parts}


def test_every_scheme_has_its_section():
    schemes = sorted(p.name for p in (ROOT / "params").iterdir() if p.is_dir())
    sections = _sections()
    assert schemes and set(schemes) <= set(sections)
    for slug in schemes:
        body = sections[slug]
        assert re.search(r"^#+ .*[Cc]lause", body, flags=re.M), slug
        assert re.search(r"^#+ .*choices", body, flags=re.M), slug
        assert "`ours:`" in body or "ours" in body, slug


def test_every_rubric_marks_its_own_choices():
    for path in sorted((ROOT / "params").glob("*/*.yaml")):
        assert "ours:" in path.read_text(encoding="utf-8"), path.name
