"""``pivotal lab``: the course's stability experiments, measured with pivotal's code, as an HTML report.

:func:`run_lab` runs the registered experiments (``pivotal.lab.experiments``)
and writes ``index.html`` (one self-contained page), ``results.json``
(schema ``pivotal/schemas/lab-results.schema.json``) and one PNG per
figure.  Importing this package imports neither matplotlib nor the
experiments; :func:`run_lab` does, and needs the ``lab`` extra
(``pip install "pivotal[lab]"``).  See ``docs/lab.md``.
"""

from __future__ import annotations

from ._record import Claim, Experiment, Figure, Outcome, Settings, Table, experiment, registered, registry
from ._report import results_schema
from ._runner import MISSING_MATPLOTLIB, ExperimentRun, LabResult, all_experiments, run_lab

__all__ = [
    "MISSING_MATPLOTLIB",
    "Claim",
    "Experiment",
    "ExperimentRun",
    "Figure",
    "LabResult",
    "Outcome",
    "Settings",
    "Table",
    "all_experiments",
    "experiment",
    "registered",
    "registry",
    "results_schema",
    "run_lab",
]
