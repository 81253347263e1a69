"""Make ``tests/excel_helpers.py`` importable from ``tests/office`` (as ``tests/rules`` does
for its helpers: the tests have no ``__init__.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
