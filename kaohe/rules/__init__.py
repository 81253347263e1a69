"""The rule catalogue. Importing this package registers every rule class in ``REGISTRY``.

One module per family: ``points`` (values to points), ``deductions`` (扣完为止),
``events`` (levels, same-work-highest, credits, veto), ``quota`` (强制分布, incentive),
``selfcheck`` (self-assessment), ``periods`` (results of period rubrics: quarters, months).
Totals-level rules (rescale, ranking, grades, advanced, conversion, multi-year) live in
``kaohe.results``.
"""

from . import deductions, events, periods, points, quota, selfcheck  # noqa: F401  (registration)
from .base import (
    REGISTRY,
    LeafContext,
    Params,
    PeriodTotals,
    Rule,
    RuleResult,
    tiers_by_quota,
)

__all__ = ["REGISTRY", "LeafContext", "Params", "PeriodTotals", "Rule", "RuleResult",
           "tiers_by_quota"]
