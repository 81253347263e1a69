"""Make the shared builders in ``tests/helpers.py`` importable from ``tests/rules``.

The tests have no ``__init__.py`` (pytest's rootdir-less layout), so only a test file's own
directory is on ``sys.path``; the rule tests and the totals tests share one set of builders.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
