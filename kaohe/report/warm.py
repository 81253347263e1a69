"""Run inside a warm report kernel: import once, then put the kernel back after each report.

``snapshot`` runs once after the kernel starts: it imports what every report needs
(pandas, matplotlib with the project's font, ``kaohe.report.sections``) and records the process
state a notebook can change. ``restore`` runs after each report (after IPython's
``%reset -f`` has cleared the user namespace and history) and puts that state back, so the
next report sees the kernel as a fresh one would have been after the same imports.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings

_STATE: dict = {}


def snapshot() -> None:
    """Import the report stack and remember the state ``restore`` puts back."""
    import matplotlib

    import kaohe.report.sections  # noqa: F401  (pandas, pandera-free report code, charts)
    from kaohe.report import charts

    charts.register_font()
    _STATE.update(
        cwd=os.getcwd(), path=list(sys.path), filters=list(warnings.filters),
        rc=dict(matplotlib.rcParams), env=dict(os.environ))
    # The imported modules live as long as the kernel: keep them out of the garbage
    # collector's scans, so the full collections of IPython's reset after every report
    # only look at what reports made (the largest part of a reset's cost otherwise).
    gc.freeze()


def restore() -> None:
    """Undo what a report may have changed outside its (already cleared) namespace."""
    import matplotlib

    if "matplotlib.pyplot" in sys.modules:  # a notebook used pyplot: close its figures
        sys.modules["matplotlib.pyplot"].close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.clear()
        matplotlib.rcParams.update(_STATE["rc"])
    warnings.filters[:] = _STATE["filters"]  # type: ignore[index]
    warnings._filters_mutated()  # type: ignore[attr-defined]  # forget warnings shown once
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    os.chdir(_STATE["cwd"])
    sys.path[:] = _STATE["path"]
    if os.environ != _STATE["env"]:
        os.environ.clear()
        os.environ.update(_STATE["env"])
    # no gc.collect() here: IPython's reset has just run a full collection
