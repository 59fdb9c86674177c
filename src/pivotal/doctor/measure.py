"""Measuring a matrix: the numbers of a :class:`DoctorReport`, and what each cost.

Everything here computes and records; nothing judges.  The findings and the
advice drawn from these numbers are :mod:`pivotal.doctor.recommend`'s.

The ``O(n^3)`` exact items (singular values for ``kappa_2`` and the SVD
rank, QR with column pivoting) are priced by :func:`exact_flops` before they
run: unless asked for (``exact=True``), doctor spends at most
:data:`EXACT_FLOPS` on each, and otherwise keeps the ``O(n^2)`` condition
estimate from the factorization it needs anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np

from .._array import is_complex
from .inputs import random_rhs
from .report import DoctorReport

#: Floating-point operations doctor spends unasked on each exact ``O(n^3)`` item (SVD, QRCP): about a
#: second at the 1-2 GFLOP/s LAPACK's SVD reaches on two cores (a 720 x 720 real or 450 x 450 complex matrix).
EXACT_FLOPS = 1e9

#: ``progress(item)`` returns a context manager entered around the step named ``item``.
Progress = Callable[[str], AbstractContextManager]


class Clock:
    """Times doctor's steps into ``report.timings``; ``progress`` may show the slow ones."""

    def __init__(self, report: DoctorReport, progress: Progress | None = None):
        self.report = report
        self.progress = progress

    @contextmanager
    def __call__(self, item: str):
        shown = self.progress(item) if self.progress is not None else nullcontext()
        t0 = time.perf_counter()
        try:
            with shown:
                yield
        finally:
            self.report.timings[item] = self.report.timings.get(item, 0.0) + time.perf_counter() - t0


def exact_flops(m: int, n: int, complex_: bool = False) -> float:
    """Flops of the singular values of an ``m x n`` matrix (the same order as QR with pivoting).

    Golub-Kahan bidiagonalization costs ``4 M N^2 - 4 N^3 / 3`` flops for
    ``M >= N`` (Golub & Van Loan, Table 8.6.1); the bidiagonal QR
    iteration is ``O(N^2)``.  A complex flop is four real ones.

    Examples
    --------
    >>> f"{exact_flops(1000, 1000):.3g}", f"{exact_flops(10, 2000):.3g}"
    ('2.67e+09', '7.99e+05')
    >>> exact_flops(100, 100, complex_=True) == 4 * exact_flops(100, 100)
    True
    """
    big, small = max(m, n), min(m, n)
    flops = 4.0 * big * small**2 - 4.0 * small**3 / 3
    return 4 * flops if complex_ else flops


def exact_skip_reason(m: int, n: int, complex_: bool, exact: bool | None, exact_limit: int) -> str | None:
    """Why the exact ``O(n^3)`` items are skipped, or ``None`` when they run.

    Examples
    --------
    >>> exact_skip_reason(100, 100, False, None, 2000) is None
    True
    >>> print(exact_skip_reason(1280, 1280, True, None, 2000))  # doctest: +ELLIPSIS
    estimated 2.2e+10 flops > 1e+09 spent unasked ...
    >>> exact_skip_reason(1280, 1280, True, True, 2000) is None
    True
    """
    if max(m, n) > exact_limit:
        return (
            f"max(M, N) = {max(m, n)} > exact_limit = {exact_limit} (O(n^3); raise exact_limit to force it)"
        )
    if exact is False:
        return "exact=False: the condition estimate stands in for kappa_2"
    flops = exact_flops(m, n, complex_)
    if exact is None and flops > EXACT_FLOPS:
        return (
            f"estimated {flops:.2g} flops > {EXACT_FLOPS:.0e} spent unasked (kappa_1 is estimated instead); "
            "ask for it with exact=True (pivotal doctor --exact)"
        )
    return None


def sparse_skip_reason(m: int, n: int, complex_: bool, exact: bool | None, exact_limit: int) -> str | None:
    """Why a sparse matrix is not densified for the dense analyses, or ``None`` when it is."""
    if max(m, n) > 2 * exact_limit:
        return f"max(M, N) > 2 * exact_limit = {2 * exact_limit}"
    flops = exact_flops(m, n, complex_)
    if exact is not True and flops > EXACT_FLOPS:
        return (
            f"its dense analyses would cost ~ {flops:.2g} flops > {EXACT_FLOPS:.0e} spent unasked "
            "(exact=True, pivotal doctor --exact, densifies it)"
        )
    return None


def _norms_dense(A: np.ndarray, absA: np.ndarray) -> dict[str, float]:
    return {
        "1": float(absA.sum(axis=0).max()),
        "inf": float(absA.sum(axis=1).max()),
        "fro": float(np.linalg.norm(A, "fro")),
        "max": float(absA.max()),
    }


def _norms_sparse(S: Any) -> dict[str, float]:
    absS = abs(S)
    data = absS.data if hasattr(absS, "data") else absS.tocoo().data
    return {
        "1": float(absS.sum(axis=0).max()),
        "inf": float(absS.sum(axis=1).max()),
        "fro": float(np.sqrt(np.sum(np.asarray(data, dtype=np.float64) ** 2))),
        "max": float(data.max()) if data.size else 0.0,
    }


def _ratio(v: np.ndarray) -> float | None:
    nz = v[v > 0]
    if nz.size == 0:
        return None
    return float(nz.max() / nz.min())


def sparse_structure(S: Any):
    """:class:`StructureInfo` of a sparse matrix from its pattern, without densifying."""
    from ..structure import StructureInfo

    m, n = S.shape
    coo = S.tocoo()
    keep = (coo.data != 0) | np.isnan(coo.data) if coo.data.dtype.kind in "fc" else coo.data != 0
    rows, cols = coo.row[keep], coo.col[keep]
    d = rows.astype(np.int64) - cols.astype(np.int64)
    kl = int(max(d.max(), 0)) if d.size else 0
    ku = int(max((-d).max(), 0)) if d.size else 0
    symmetric = hermitian = positive = False
    if m == n:
        symmetric = abs(S - S.T).count_nonzero() == 0
        hermitian = (abs(S - S.conj().T).count_nonzero() == 0) if is_complex(S.dtype) else symmetric
        diag = S.diagonal()
        positive = bool(n > 0 and np.all(np.imag(diag) == 0) and np.all(np.real(diag) > 0))
    return StructureInfo((m, n), kl, ku, bool(symmetric), bool(hermitian), positive)


def equilibrated_condest(A: np.ndarray) -> float:
    """``kappa_1`` estimate after LAPACK ``xGEEQU``-style row then column scaling by powers of two."""
    from ..diagnostics import condest

    absA = np.abs(A)
    r = absA.max(axis=1)
    r = np.exp2(-np.round(np.log2(np.where(r > 0, r, 1.0))))
    B = A * r[:, None]
    c = np.abs(B).max(axis=0)
    c = np.exp2(-np.round(np.log2(np.where(c > 0, c, 1.0))))
    return condest(B * c[None, :])


def _counts(report: DoctorReport, nnz: int, entries: np.ndarray) -> bool:
    """Record ``nnz``, the density and the NaN/Inf counts; True when the norms and scales can follow."""
    m, n = report.shape
    report.nnz = nnz
    report.density = nnz / (m * n) if m * n else 0.0
    if entries.dtype.kind in "fc":
        report.nan_count = int(np.isnan(entries).sum())
        report.inf_count = int(np.isinf(entries).sum())
    if m * n == 0:
        report.norms = {"1": 0.0, "inf": 0.0, "fro": 0.0, "max": 0.0}
    return m * n > 0


def _lines(report: DoctorReport, rowmax: np.ndarray, colmax: np.ndarray) -> tuple[int, int]:
    """Record the row and column scale ratios; return the number of zero rows and zero columns."""
    report.row_scale_ratio = _ratio(rowmax)
    report.col_scale_ratio = _ratio(colmax)
    return int(np.sum(rowmax == 0)), int(np.sum(colmax == 0))


def dense_basics(report: DoctorReport, A: np.ndarray) -> tuple[int, int]:
    """Counts, norms, scale ratios and asymmetry of a dense matrix; its zero rows and columns.

    The zero lines are counted for a finite, non-empty matrix only (else ``(0, 0)``).
    """
    m, n = A.shape
    if not _counts(report, int(np.count_nonzero(A)), A):
        return 0, 0
    absA = np.abs(A)
    report.norms = _norms_dense(A, absA)
    if report.nan_count or report.inf_count:
        return 0, 0
    zero_lines = _lines(report, absA.max(axis=1), absA.max(axis=0))
    if m == n:
        sym = A.conj().T if A.dtype.kind == "c" else A.T
        fro = report.norms["fro"]
        report.asymmetry = float(np.linalg.norm(A - sym, "fro") / fro) if fro > 0 else 0.0
    return zero_lines


def sparse_basics(report: DoctorReport, S: Any) -> tuple[int, int]:
    """:func:`dense_basics` for a sparse matrix, without densifying it."""
    m, n = S.shape
    nnz, stored = int(S.count_nonzero()), int(S.nnz)
    if stored != nnz:
        report.layout += f", {stored} stored entries"
    if not _counts(report, nnz, S.tocoo().data):
        return 0, 0
    report.norms = _norms_sparse(S)
    if report.nan_count or report.inf_count:
        return 0, 0
    absS = abs(S)
    zero_lines = _lines(
        report, np.asarray(absS.max(axis=1).todense()).ravel(), np.asarray(absS.max(axis=0).todense()).ravel()
    )
    if m == n:
        sym = S.conj().T if is_complex(S.dtype) else S.T
        fro = report.norms["fro"]
        diff = (S - sym).tocoo().data
        report.asymmetry = float(np.sqrt(np.sum(np.abs(diff) ** 2)) / fro) if fro > 0 else 0.0
    return zero_lines


# ---------------------------------------------------------------------------- dense


def measure_dense(
    report: DoctorReport,
    A: np.ndarray,
    clock: Clock,
    *,
    exact: bool | None,
    exact_limit: int,
    rng: np.random.Generator,
    want_trial: bool,
) -> Any:
    """Condition estimate, exact items within budget, growth, equilibration and a trial solve.

    Returns the factorization pivotal would use (``factorize(A)``).
    """
    m, n = A.shape
    F, Fc = _factor(A, clock)
    _estimate_condition(report, F, Fc, clock)
    skip = exact_skip_reason(m, n, A.dtype.kind == "c", exact, exact_limit)
    _singular_values(report, A, clock, skip)
    _qrcp_rank(report, A, Fc, clock, skip)
    big = max(m, n) > exact_limit
    too_big = f"max(M, N) = {max(m, n)} > exact_limit = {exact_limit} (O(n^3); raise exact_limit to force it)"
    _growth(report, A, F, clock, exact_limit, too_big if big else None)
    _equilibration(report, A, clock, too_big if big else None)
    if want_trial:
        _trial_solve(report, A, F, clock, rng)
    return F


def _factor(A: np.ndarray, clock: Clock) -> tuple[Any, Any]:
    """The factorization pivotal would use, and the one whose ``rcond`` estimates ``kappa`` (``A^H`` if wide)."""
    from ..factorizations.factorize import factorize

    m, n = A.shape
    with clock("factorization"):
        F = factorize(A, check=False, check_finite=False)
    Fc = F
    if m < n:  # kappa(A) = kappa(R) holds for the QR of the tall A^H, not for the leading block of a wide R
        with clock("factorization (A^H)"):
            Fc = factorize(A.conj().T, check=False, check_finite=False)
    return F, Fc


def _estimate_condition(report: DoctorReport, F: Any, Fc: Any, clock: Clock) -> None:
    from ..diagnostics import condest
    from ..factorizations.qr import QRPivoted

    m, n = report.shape
    with clock("condition estimate"):
        if m == n:
            report.condest = float(condest(F))
        elif isinstance(Fc, QRPivoted) and Fc.rank < min(m, n):
            report.condest = math.inf  # its rcond() is that of the leading rank x rank block only
        else:
            rc = Fc.rcond()
            report.condest = math.inf if rc == 0 else 1.0 / rc
    report.rcond = 0.0 if math.isinf(report.condest) else 1.0 / report.condest


def _singular_values(report: DoctorReport, A: np.ndarray, clock: Clock, skip: str | None) -> None:
    import scipy.linalg

    if skip is not None:
        report.skipped["svd"] = skip
        return
    with clock("svd"):
        try:
            s = scipy.linalg.svdvals(A, check_finite=False)
        except (np.linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - LAPACK non-convergence
            report.skipped["svd"] = f"the SVD did not converge ({exc})"
            return
    m, n = A.shape
    smax, smin = float(s[0]), float(s[-1])
    report.sigma_max, report.sigma_min = smax, smin
    report.cond2 = math.inf if smin == 0 else smax / smin
    tol = smax * max(m, n) * np.finfo(A.dtype).eps
    report.rank_svd = int(np.sum(s > tol))


def _qrcp_rank(report: DoctorReport, A: np.ndarray, Fc: Any, clock: Clock, skip: str | None) -> None:
    from ..factorizations.qr import QRPivoted

    if isinstance(Fc, QRPivoted):
        report.rank_qrcp = int(Fc.rank)
    elif skip is not None:
        report.skipped["qrcp"] = skip
    else:
        with clock("qrcp"):
            report.rank_qrcp = int(QRPivoted(A, check_finite=False).rank)


def _growth(
    report: DoctorReport, A: np.ndarray, F: Any, clock: Clock, exact_limit: int, too_big: str | None
) -> None:
    """Partial pivoting's growth (from ``F`` when it is that LU), and rook pivoting's when it is large."""
    from ..diagnostics import growth_factor
    from ..factorizations.lu import LU

    m, n = report.shape
    if m != n:
        report.skipped["growth"] = "rectangular matrix (LU growth is for square systems)"
        return
    if isinstance(F, LU) and getattr(F, "pivoting", "partial") == "partial":
        report.growth_factor = float(F.growth_factor())
    elif too_big is not None:
        report.skipped["growth"] = too_big
    else:
        with clock("growth"):
            report.growth_factor = float(growth_factor(A))
    rho = report.growth_factor
    if rho is not None and rho > max(100.0, float(n)):
        if n <= min(exact_limit, 1000):
            with clock("growth (rook)"):
                report.growth_rook = float(growth_factor(A, "rook"))
        else:
            report.skipped["growth (rook)"] = f"n = {n} > min(exact_limit, 1000)"


def scale_ratio(report: DoctorReport) -> float:
    """The larger of the row and column scale ratios (1 when neither is known)."""
    return max(report.row_scale_ratio or 1.0, report.col_scale_ratio or 1.0)


def _equilibration(report: DoctorReport, A: np.ndarray, clock: Clock, too_big: str | None) -> None:
    from ._values import SCALE_RATIO

    m, n = report.shape
    if m != n or scale_ratio(report) < SCALE_RATIO:
        return
    if too_big is not None:
        report.skipped["equilibration"] = too_big
        return
    with clock("equilibration"):
        report.condest_equilibrated = float(equilibrated_condest(A))


def _trial_solve(report: DoctorReport, A: np.ndarray, F: Any, clock: Clock, rng: np.random.Generator) -> None:
    from ..diagnostics import backward_error, forward_error_bound

    m, n = report.shape
    if m != n:
        report.skipped["trial solve"] = "rectangular matrix (least squares; use pivotal.lstsq)"
        return
    if not F.issuccess():
        report.skipped["trial solve"] = "the factorization failed (singular)"
        return
    with clock("trial solve"):
        bt = random_rhs(rng, m, A.dtype)
        x = F.solve(bt, check_finite=False)
        report.trial = {
            "backward_error": float(backward_error(A, x, bt)),
            "componentwise_backward_error": float(backward_error(A, x, bt, "componentwise")),
            "forward_error_bound": float(forward_error_bound(A, x, bt, factorization=F)),
        }


# ---------------------------------------------------------------------------- sparse (large)


def measure_sparse_large(
    report: DoctorReport, S: Any, clock: Clock, rng: np.random.Generator, want_trial: bool
) -> str | None:
    """``kappa_1`` estimate from SuperLU and a trial solve of a square sparse matrix.

    Returns why SuperLU failed, or ``None``.
    """
    import scipy.sparse.linalg as spla

    m, n = S.shape
    reason = "sparse matrix larger than 2 * exact_limit: the dense O(n^3) analyses are skipped"
    for item in ("svd", "qrcp", "growth"):
        report.skipped[item] = reason
    if m != n:
        report.skipped["condition estimate"] = "rectangular sparse matrix"
        return None
    dt = np.dtype(S.dtype) if np.dtype(S.dtype).kind in "fc" else np.dtype(np.float64)
    with clock("factorization"):
        try:
            lu = spla.splu(S.tocsc().astype(dt))
        except RuntimeError as exc:
            report.condest, report.rcond = math.inf, 0.0
            report.skipped["trial solve"] = "the sparse factorization failed (singular)"
            return f"splu failed: {exc}"
    with clock("condition estimate"):
        est = float(spla.onenormest(_inverse_operator(lu, n, dt)))
        report.condest = math.inf if not math.isfinite(est) else report.norms["1"] * est
        report.rcond = 0.0 if not report.condest or math.isinf(report.condest) else 1.0 / report.condest
    if want_trial:
        with clock("trial solve"):
            bt = random_rhs(rng, m, dt)
            x = lu.solve(bt)
            num = float(np.abs(bt - S @ x).max())
            den = report.norms["inf"] * float(np.abs(x).max()) + float(np.abs(bt).max())
            report.trial = {"backward_error": num / den if den else 0.0}
    return None


def _inverse_operator(lu: Any, n: int, dt: np.dtype) -> Any:
    import scipy.sparse.linalg as spla

    trans_h = "H" if dt.kind == "c" else "T"
    return spla.LinearOperator(
        (n, n),
        matvec=lu.solve,
        rmatvec=lambda v: lu.solve(np.asarray(v, dtype=dt), trans=trans_h),
        dtype=dt,
    )
