"""What the report notebooks show, one module per document: ``bulletin`` (通报),
``feedback`` (反馈), ``internal`` (考核办内部分析), and ``common`` (what they share).

Notebooks stay thin: a parameters cell, ``load`` and one call per section, in the order of
``BULLETIN_SECTIONS``, ``FEEDBACK_SECTIONS`` and ``INTERNAL_SECTIONS`` (tests/test_reports.py
checks the notebooks call exactly those). Every section takes a ``Doc`` and returns a
``Fragment`` of escaped HTML, so the logic is tested here, not in notebooks."""

from __future__ import annotations

from ..data import ReportData
from ..html import Fragment, join
from .bulletin import (  # noqa: F401  (re-exported: notebooks call sections.<name>)
    COMMON_LOSSES,
    bulletin,
    bulletin_header,
    change,
    common_losses,
    conversion,
    grade_distribution,
    heatmaps,
    history_flags,
    honours,
    overview,
    previous_year,
    ranking_chart,
    ranking_table,
    rankings,
    vetoes,
    warnings_list,
)
from .common import (  # noqa: F401  (re-exported: notebooks call sections.<name>)
    EPS,
    HEATMAP_NUMBERS,
    ITEM_WORDS,
    SAMPLE_NOTE,
    Doc,
    load,
    masthead,
    provenance,
    provenance_line,
)
from .feedback import (  # noqa: F401  (re-exported: notebooks call sections.<name>)
    adjustments,
    feedback,
    feedback_header,
    full_marks,
    indicators,
    inputs_appendix,
    losses,
    lost_points,
    reconciliation,
    result,
    self_check,
    trend,
)
from .internal import (  # noqa: F401  (re-exported: notebooks call sections.<name>)
    internal,
    internal_header,
    robustness,
    rubric_changes,
    self_check_gaps,
)

# Each document's sections, in order: the notebooks call exactly these, one per cell
# (tests/test_reports.py checks), and the one-call documents below follow the same lists.
BULLETIN_SECTIONS = ("bulletin_header", "overview", "honours", "warnings_list", "history_flags",
                     "vetoes", "common_losses", "rankings", "conversion", "heatmaps", "change",
                     "provenance_line")


FEEDBACK_SECTIONS = ("feedback_header", "result", "reconciliation", "losses", "full_marks",
                     "indicators", "adjustments", "self_check", "trend", "inputs_appendix", "provenance_line")


INTERNAL_SECTIONS = ("internal_header", "robustness", "self_check_gaps", "rubric_changes",
                     "provenance")


def _document(doc: Doc, sections: tuple[str, ...], what: str) -> Fragment:
    return join([globals()[name](doc) for name in sections], what)


def bulletin_document(data: ReportData) -> Fragment:
    return _document(bulletin(data), BULLETIN_SECTIONS, "考核结果通报")


def feedback_document(data: ReportData, unit_id: str | None = None) -> Fragment:
    return _document(feedback(data, unit_id), FEEDBACK_SECTIONS, "考核结果反馈")


def internal_document(data: ReportData) -> Fragment:
    return _document(internal(data), INTERNAL_SECTIONS, "考核办内部分析")


__all__ = ["BULLETIN_SECTIONS", "COMMON_LOSSES", "Doc", "EPS", "FEEDBACK_SECTIONS", "HEATMAP_NUMBERS", "INTERNAL_SECTIONS", "ITEM_WORDS", "SAMPLE_NOTE", "adjustments", "bulletin", "bulletin_document", "bulletin_header", "change", "common_losses", "conversion", "feedback", "feedback_document", "feedback_header", "full_marks", "grade_distribution", "heatmaps", "history_flags", "honours", "indicators", "inputs_appendix", "internal", "internal_document", "internal_header", "load", "losses", "lost_points", "masthead", "overview", "previous_year", "provenance", "provenance_line", "ranking_chart", "ranking_table", "rankings", "reconciliation", "result", "robustness", "rubric_changes", "self_check", "self_check_gaps", "trend", "vetoes", "warnings_list"]
