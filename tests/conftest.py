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
