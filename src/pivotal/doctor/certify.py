"""The certified solve doctor runs when it is given a right-hand side."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import backend_name, from_numpy, to_numpy
from .measure import Clock
from .report import DoctorReport, Finding


def certified_solve(
    report: DoctorReport, a_user: Any, dense: np.ndarray | None, b: Any, clock: Clock, sparse: bool
) -> None:
    """``pivotal.solve(a, b, return_report=True)`` on the user's backend, recorded in ``report.solve``."""
    from ..errors import LinAlgError
    from ..linsolve import solve

    m, n = report.shape
    if m != n:
        report.skipped["solve"] = "rectangular matrix: use pivotal.lstsq for least squares"
        return
    if not _finite_rhs(report, b):
        return
    if sparse and dense is None:
        report.skipped["solve"] = (
            "large sparse matrix: use scipy.sparse.linalg.spsolve (dense certified solve skipped)"
        )
        return
    a_solve = dense if sparse else a_user
    with clock("solve"):
        try:
            x, rep = solve(a_solve, _rhs_like(b, a_solve), return_report=True)
        except (LinAlgError, np.linalg.LinAlgError) as exc:
            report.findings.append(Finding("error", "solve_failed", f"the certified solve failed: {exc}"))
            return
    report.solution = x
    report.solve_report = rep
    report.solve = dict(rep.to_dict())
    bound = rep.forward_error_bound
    if math.isfinite(bound) and bound > 0:
        report.solve["correct_digits"] = max(0.0, -math.log10(bound))


def _host(x: Any) -> np.ndarray:
    return to_numpy(x) if backend_name(x) != "numpy" else np.asarray(x)


def _finite_rhs(report: DoctorReport, b: Any) -> bool:
    b_host = _host(b)
    if b_host.dtype.kind not in "fc" or np.isfinite(b_host).all():
        return True
    report.findings.append(
        Finding(
            "error",
            "nonfinite_rhs",
            f"b contains {int(np.isnan(b_host).sum())} NaN and {int(np.isinf(b_host).sum())} Inf entries; "
            "the solve was skipped. Clean the right-hand side.",
        )
    )
    report.skipped["solve"] = "b contains NaN/Inf"
    return False


def _rhs_like(b: Any, a_solve: Any) -> Any:
    """``b`` on ``a_solve``'s backend (detached from autograd)."""
    target = backend_name(a_solve) if hasattr(a_solve, "shape") else "numpy"
    if backend_name(b) == "torch":
        b = b.detach()
    if backend_name(b) == target:
        return b
    host = _host(b)
    return host if target == "numpy" else from_numpy(host, like=a_solve)
