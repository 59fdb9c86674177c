"""``expm``: the matrix exponential (SciPy's signature), with pivotal's scaling-and-squaring report.

* NumPy: ``scipy.linalg.expm`` (Al-Mohy & Higham 2009 in C) by default;
  ``return_report=True`` runs pivotal's own implementation of the same
  algorithm (:mod:`._scaling_squaring`), whose ``m`` and ``s`` the report
  describes.
* PyTorch: ``torch.linalg.matrix_exp`` (differentiable by torch's own rule).
* JAX: ``jax.scipy.linalg.expm`` (traceable, differentiable by JAX's rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import apply_over_batch, backend_name, check_flag
from .._tracing import needs_rule
from ._common import host_only, scalar_matrix, square_matrix, working
from ._scaling_squaring import ExpmReport, expm_scaling_squaring, merge_reports

__all__ = ["ExpmReport", "expm"]


def expm(A: Any, *, return_report: bool = False, check_finite: bool = True):
    """Matrix exponential ``e^A`` (SciPy-compatible), optionally with its backward-error report.

    Parameters
    ----------
    A : (..., N, N) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a
        batch.  A scalar gives the ``1 x 1`` matrix ``[[e^A]]`` (as SciPy).
    return_report : bool, optional, keyword-only
        Also return an :class:`ExpmReport`: the Padé degree ``m``, the number
        of squarings ``s``, the 1-norms used to choose them and the bound on
        the backward error ``||ΔA||_1 / ||A||_1`` of ``X = e^(A + ΔA)``
        (Al-Mohy & Higham 2009).  Runs pivotal's own scaling-and-squaring
        (on the host for torch/JAX input; not under autograd or tracing).
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf (SciPy's ``expm`` has no check and
        returns NaN).  Needs concrete values: pass False under ``jax.jit``.

    Returns
    -------
    X : (..., N, N) array
        ``e^A`` in the working dtype (integers -> float64, float16 -> float32), same array type.
    report : ExpmReport
        Only with ``return_report=True``; for a batch, the worst case.

    Raises
    ------
    ValueError
        Fewer than two dimensions, a non-square matrix, NaN/Inf (with ``check_finite``), sparse input,
        or ``return_report=True`` with a tensor that requires grad or a traced JAX array.

    Notes
    -----
    Overflow of ``e^A`` (``||A||`` of several hundred) gives Inf, as in SciPy.

    References
    ----------
    A. H. Al-Mohy and N. J. Higham, "A new scaling and squaring algorithm for
    the matrix exponential", SIAM J. Matrix Anal. Appl. 31(3), 970-989, 2009.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> t = 0.5
    >>> X, report = pv.expm(np.array([[0.0, -t], [t, 0.0]]), return_report=True)
    >>> np.allclose(X, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    True
    >>> report.backward_error_bound <= report.unit_roundoff
    True
    """
    check_flag(return_report, "return_report")
    scalar = scalar_matrix(A)
    if scalar is not None:
        A = scalar
    a = square_matrix(A, "A", check_finite=check_finite)
    x = working(a)
    name = backend_name(x)
    if return_report:
        if name != "numpy":
            if needs_rule(x):
                raise ValueError(
                    "expm(return_report=True) runs pivotal's scaling and squaring on the host, which has no "
                    "derivative rule: call it on A.detach() (torch) or outside jax transformations, and "
                    "expm(A) without the report for the differentiable result."
                )
            reports: list[ExpmReport] = []
            X = host_only(lambda h: _numpy_with_report(h, reports), x, "A")
            return X, _merged(reports, x)
        reports = []
        X = _numpy_with_report(x, reports)
        return X, _merged(reports, x)
    if x.shape[-1] == 0 or 0 in x.shape:
        return x.copy() if name == "numpy" else x * 0
    if name == "torch":
        import torch

        return torch.linalg.matrix_exp(x)
    if name == "jax":
        import jax.scipy.linalg as jsl

        return jsl.expm(x)
    return scipy.linalg.expm(x)


def _numpy_with_report(x: np.ndarray, reports: list[ExpmReport]) -> np.ndarray:
    if 0 in x.shape:
        return np.array(x, copy=True)

    def core(a2):
        X, rep = expm_scaling_squaring(np.ascontiguousarray(a2))
        reports.append(rep)
        return X

    return apply_over_batch(core, [(x, 2)])


def _merged(reports: list[ExpmReport], x: Any) -> ExpmReport:
    if not reports:  # empty matrices or batches: nothing was computed, nothing to bound
        return ExpmReport(degree=0, squarings=0, norm1=0.0, batch_size=0)
    return merge_reports(reports)
