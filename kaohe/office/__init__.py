"""The office's year around the scoring: returns from departments (材料报送), template
digests, the audit log, publication of frozen versions, corrections (更正), appeals (申诉)
and verification of what was published.

Scoring stays in ``kaohe.pipeline``; this package records who sent what, and freezes and
checks what went out.
"""
