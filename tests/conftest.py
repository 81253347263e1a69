"""Fixtures shared by the Excel and bad-input tests: a working directory holding a copy of the
bundled changshou-rural scheme-year (``ws``) or of a three-unit mini scheme (``mini_ws``)."""

from pathlib import Path

import pytest
from excel_helpers import changshou, mini


@pytest.fixture()
def ws(tmp_path, monkeypatch) -> Path:
    changshou(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def mini_ws(tmp_path, monkeypatch) -> Path:
    mini(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def built_all(tmp_path_factory) -> Path:
    """Every bundled scheme-year (params/*/*.yaml) built once per test session: the pages a
    reviewer reads. Tests that read built pages share this tree; none may write into it."""
    from kaohe.report.build import build

    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("built-all")
    # HTML only: tests/test_print.py checks the print documents on smaller builds
    result = build(sorted((root / "params").glob("*/*.yaml")), out, jobs=None, pdf=False)
    assert result.failed == 0
    return out
