"""From measurements to advice: the findings, the factorization to use and the precision advice.

Every function here reads the numbers :mod:`pivotal.doctor.measure` put in a
:class:`DoctorReport` and writes the judgement: :attr:`DoctorReport.findings`,
``recommendation``/``reasons``/``alternatives`` and the precision fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import is_complex, unit_roundoff
from .._report_values import fmt
from ._values import (
    FLOAT32_SAFE,
    GMRES_IR_LIMIT,
    IR_LIMIT,
    LEVELS,
    SCALE_RATIO,
    U32,
    is_single,
    single_name,
)
from .measure import scale_ratio
from .report import DoctorReport, Finding


def add(report: DoctorReport, level: str, code: str, message: str) -> None:
    """Append a :class:`Finding`."""
    report.findings.append(Finding(level, code, message))


def sort_findings(report: DoctorReport) -> None:
    """Errors first, then warnings, then information (stable within a level)."""
    order = {level: i for i, level in enumerate(LEVELS)}
    report.findings.sort(key=lambda f: order.get(f.level, len(order)))


# ---------------------------------------------------------------------------- entries


def nonfinite_finding(report: DoctorReport) -> None:
    """The ``"nonfinite"`` error for a matrix with NaN/Inf entries."""
    parts = [
        f"{count} {name}" for count, name in ((report.nan_count, "NaN"), (report.inf_count, "Inf")) if count
    ]
    add(
        report,
        "error",
        "nonfinite",
        f"the matrix contains {' and '.join(parts)} entries: every factorization would raise "
        "(check_finite) or return garbage. Find where they come from (a division by zero, "
        "an overflow, missing data) and clean the input; the numerical analyses were skipped.",
    )


def all_zero_finding(report: DoctorReport) -> None:
    """The ``"all_zero"`` error."""
    add(
        report,
        "error",
        "all_zero",
        "the matrix is all zeros: it has rank 0 and no system with it can be solved.",
    )


def zero_line_findings(report: DoctorReport, zero_rows: int, zero_cols: int) -> None:
    """Zero rows/columns of a matrix that is not all zero."""
    if report.nnz == 0 or report.nan_count or report.inf_count:
        return
    m, n = report.shape
    if zero_rows:
        add(
            report,
            "error" if m <= n else "warning",
            "zero_rows",
            f"{zero_rows} row(s) are entirely zero: "
            + ("the matrix is singular." if m == n else "those equations read 0 = b_i."),
        )
    if zero_cols:
        add(
            report,
            "error" if n <= m else "warning",
            "zero_columns",
            f"{zero_cols} column(s) are entirely zero: the matching unknowns do not enter the equations "
            "(rank deficient; lstsq sets them to 0).",
        )


# ---------------------------------------------------------------------------- dense verdict


@dataclass
class Verdict:
    """What the conditioning numbers say about a dense matrix."""

    kappa: float | None
    rank: int | None
    deficient: bool
    scaling: bool
    failed: bool
    singular: bool
    numerically: bool
    k: int = 0

    @property
    def nrank(self) -> str:
        """``"numerical rank r of k"``, or ``""`` when no rank was computed."""
        return "" if self.rank is None else f"numerical rank {self.rank} of {self.k}"


def scaling_explains(report: DoctorReport, u: float) -> bool:
    """The matrix is ill-conditioned only because of its row/column scaling.

    True when equilibration (powers-of-two row and column scaling) brings
    the ``kappa_1`` estimate below ``1/sqrt(u)`` and at least 100 times down.
    """
    keq = report.condest_equilibrated
    if keq is None or not math.isfinite(keq) or report.condest is None:
        return False
    kappa = max(report.condest, report.cond2 or 0.0)
    return keq * math.sqrt(u) < 1 and kappa > 100 * keq


def _verdict(report: DoctorReport, F: Any, u: float) -> Verdict:
    m, n = report.shape
    kappa = report.cond2 if report.cond2 is not None else report.condest
    ranks = [r for r in (report.rank_svd, report.rank_qrcp) if r is not None]
    rank = min(ranks) if ranks else None
    scaling = scaling_explains(report, u)
    failed = m == n and not F.issuccess()
    v = Verdict(
        kappa=kappa,
        rank=rank,
        deficient=rank is not None and rank < min(m, n),
        scaling=scaling,
        failed=failed,
        singular=failed or report.nnz == 0 or (kappa is not None and math.isinf(kappa)),
        numerically=kappa is not None and not math.isinf(kappa) and kappa * u >= 1,
        k=min(m, n),
    )
    if scaling and not failed:  # the scaling, not the matrix, is the problem: see "badly_scaled"
        v.singular = v.numerically = v.deficient = False
    return v


def _double_hint(report: DoctorReport, kappa: float | None) -> str:
    """For single-precision input that double precision would save: a sentence saying so."""
    u64 = unit_roundoff(np.float64)
    single = is_single(np.dtype(report.working_dtype))
    if single and kappa is not None and math.isfinite(kappa) and kappa * u64 < 1:
        return f" Or solve in double precision: kappa * u_64 = {fmt(kappa * u64)}."
    return ""


def recommend_dense(report: DoctorReport, A: np.ndarray, F: Any, info: Any, u: float) -> None:
    """The factorization to use for a finite dense matrix and every finding about its conditioning."""
    from ..factorizations.factorize import select_factorization

    report.recommendation = type(F).__name__
    report.reasons = list(getattr(F, "path", []) or select_factorization(A).reasons)
    v = _verdict(report, F, u)
    hint = _double_hint(report, v.kappa)
    _rank_disagreement(report, v)
    m, n = report.shape
    if m == n:
        _square_findings(report, F, v, u, hint)
        _growth_findings(report, v)
        _unstable_trial(report, F, v, u)
    else:
        _rectangular_findings(report, v, hint)
    _ill_conditioned(report, v, u, hint)
    _badly_scaled(report, v)
    _nearly_symmetric(report, A, info, u)


def _rank_disagreement(report: DoctorReport, v: Verdict) -> None:
    svd, qrcp = report.rank_svd, report.rank_qrcp
    if svd is None or qrcp is None or svd == qrcp or v.scaling:
        return
    add(
        report,
        "warning",
        "rank_disagreement",
        f"QR with column pivoting finds rank {qrcp} but the SVD finds {svd}: "
        "greedy pivoting was fooled (a Kahan-type matrix). Trust the SVD, or use strong RRQR: "
        "pivotal.QRPivoted(A, rank_reveal='strong').",
    )


def _square_findings(report: DoctorReport, F: Any, v: Verdict, u: float, hint: str) -> None:
    if v.singular and report.nnz > 0:
        where = f" ({type(F).__name__} failed at index {F.info - 1})" if v.failed and F.info > 0 else ""
        add(
            report,
            "error",
            "singular",
            f"the matrix is exactly singular{where}: A x = b has no solution or infinitely many. "
            "Use pivotal.lstsq for the minimum-norm least-squares solution, or fix the model.",
        )
    elif v.numerically:
        add(
            report,
            "error",
            "numerically_singular",
            f"kappa ~ {fmt(v.kappa)} >= 1/u = {fmt(1 / u)}: the matrix is singular to working precision "
            f"({report.working_dtype}); a solve may have no correct digits. Use a rank-revealing "
            "least-squares solve (pivotal.lstsq), regularise (e.g. Tikhonov), or reformulate." + hint,
        )
    elif v.deficient and report.nnz > 0:
        add(
            report,
            "warning",
            "rank_deficient",
            f"{v.nrank} (singular values below max(M, N) eps sigma_max, NumPy's matrix_rank rule): "
            "the matrix is singular to working precision for solving purposes.",
        )
    if v.singular or v.numerically or v.deficient:
        report.recommendation = "QRPivoted"
        report.reasons.append(
            f"singular to working precision ({v.nrank or 'kappa u >= 1'}): rank-revealing QR "
            "(pivotal.lstsq) gives the minimum-norm least-squares answer with a rank cut-off"
        )
        report.alternatives.append("pivotal.lstsq(A, b) (QR with column pivoting, or method='svd')")


def _growth_findings(report: DoctorReport, v: Verdict) -> None:
    n = report.shape[1]
    rho, rook = report.growth_factor, report.growth_rook
    if rho is None or rho <= max(100.0, float(n)) or v.singular or v.numerically:
        return
    u = unit_roundoff(np.dtype(report.working_dtype))
    msg = f"LU with partial pivoting has element growth {fmt(rho)} (backward error up to ~ n rho u = {fmt(n * rho * u)})"
    if rook is not None:
        msg += f"; rook pivoting grows only {fmt(rook)}"
    msg += (
        ". Use pivotal.LU(A, pivoting='rook') or pivoting='complete', or QR (no growth), "
        "and check the backward error of the solve (pivotal.solve refines when it is large)."
    )
    add(report, "warning", "large_growth", msg)
    if report.recommendation == "LU":
        if rook is not None and rook <= max(100.0, float(n)):
            report.recommendation = "LU (rook pivoting)"
            report.reasons.append(f"partial pivoting growth {fmt(rho)}; rook pivoting growth {fmt(rook)}")
        else:
            report.recommendation = "QR"
            report.reasons.append(f"partial pivoting growth {fmt(rho)}: Householder QR has no element growth")
    report.alternatives.extend(
        ["pivotal.LU(A, pivoting='complete')", "pivotal.QR(A) (Householder, backward stable)"]
    )


def _unstable_trial(report: DoctorReport, F: Any, v: Verdict, u: float) -> None:
    n = report.shape[0]
    trial = report.trial
    if trial is None or trial["backward_error"] <= 100 * n * u or v.singular or v.numerically:
        return
    add(
        report,
        "warning",
        "unstable_solve",
        f"a trial solve with a random b had normwise backward error {fmt(trial['backward_error'])} >> "
        f"n u = {fmt(n * u)}: {type(F).__name__} was not backward stable on this matrix; refine "
        "(pivotal.solve(..., refine=True)) or use the factorization recommended above.",
    )


def _rectangular_findings(report: DoctorReport, v: Verdict, hint: str) -> None:
    if v.deficient and report.nnz > 0:
        add(
            report,
            "warning",
            "rank_deficient",
            f"{v.nrank}: least-squares solutions are not unique. pivotal.lstsq returns the minimum-norm "
            "one (QR with column pivoting, or method='svd').",
        )
        report.recommendation = "QRPivoted"
        report.alternatives.append("pivotal.lstsq(A, b)")
    elif v.numerically:
        add(
            report,
            "error",
            "numerically_singular",
            f"kappa ~ {fmt(v.kappa)} >= 1/u: the columns are dependent to working precision; use pivotal.lstsq."
            + hint,
        )


def _ill_conditioned(report: DoctorReport, v: Verdict, u: float, hint: str) -> None:
    kappa = v.kappa
    if kappa is None or v.scaling or math.isinf(kappa) or kappa * u >= 1 or kappa < 1 / math.sqrt(u):
        return
    add(
        report,
        "warning",
        "ill_conditioned",
        f"ill-conditioned: kappa ~ {fmt(kappa)}, so about {fmt(math.log10(kappa), '.1f')} of the "
        f"{fmt(-math.log10(u), '.1f')} digits of {report.working_dtype} can be lost in a solve. "
        "Ask for the certified solve (pivotal.solve(A, b, return_report=True)) and read its error bound."
        + hint,
    )


def _badly_scaled(report: DoctorReport, v: Verdict) -> None:
    ratio = scale_ratio(report)
    if ratio < SCALE_RATIO:
        return
    which = "rows" if (report.row_scale_ratio or 1) >= (report.col_scale_ratio or 1) else "columns"
    msg = f"badly scaled: the {which} differ in size by a factor {fmt(ratio)} (max/min of their max-norms)"
    keq = report.condest_equilibrated
    if keq is not None and report.condest is not None:
        msg += f"; scaling rows and columns by powers of 2 takes kappa_1 from ~ {fmt(report.condest)} to ~ {fmt(keq)}"
    if v.scaling:
        msg += ": the ill-conditioning comes from the scaling, not from the matrix"
        report.reasons.append(f"equilibrate first: kappa_1 ~ {fmt(report.condest)} -> {fmt(keq)}")
    msg += ". Equilibrate (solve (D_r A D_c) y = D_r b, x = D_c y) or rescale the units of the model."
    add(report, "warning", "badly_scaled", msg)


def _nearly_symmetric(report: DoctorReport, A: np.ndarray, info: Any, u: float) -> None:
    """Square, not exactly symmetric (Hermitian for complex), but ``||A - A^H|| / ||A|| <= sqrt(u)``."""
    from ..factorizations.factorize import select_factorization

    m, n = report.shape
    if m != n or report.asymmetry is None:
        return
    cplx = A.dtype.kind == "c"
    exact = info.hermitian if cplx else info.symmetric
    if exact or not 0 < report.asymmetry <= math.sqrt(u):
        return
    H = (A + (A.conj().T if cplx else A.T)) / 2
    then = select_factorization(H).factorization
    kind = "Hermitian" if cplx else "symmetric"
    add(
        report,
        "warning",
        "nearly_symmetric",
        f"nearly {kind}: ||A - A^{'H' if cplx else 'T'}|| / ||A|| = {fmt(report.asymmetry)} "
        f"(small, but not zero). If it is meant to be {kind}, symmetrise with "
        f"(A + A.{'conj().T' if cplx else 'T'}) / 2: pivotal would then use {then} "
        "(about half the cost of LU); the change is a perturbation of that relative size.",
    )


# ---------------------------------------------------------------------------- sparse and non-finite


def recommend_sparse_large(report: DoctorReport, S: Any, info: Any, failure: str | None) -> None:
    """pivotal's sparse factorizations for a sparse matrix too large to densify."""
    m, n = S.shape
    herm = info.hermitian if is_complex(S.dtype) else info.symmetric
    tags = ", ".join(report.structure)
    report.recommendation = _sparse_recommendation(m, n, herm and info.positive_diagonal)
    if m != n:
        why = (
            f"sparse rectangular {m}x{n}: pivotal.lstsq routes it to sparse QR (the sparse extra) or to "
            "LSQR/LSMR, preconditioned by a sketch where that helps"
        )
    elif herm and info.positive_diagonal:
        why = (
            "sparse symmetric with positive diagonal: SparseCholesky (PARDISO or CHOLMOD with the sparse extra, "
            "SuperLU otherwise); pivotal.factorize falls back to SparseLU if it is not positive definite"
        )
    else:
        why = "sparse square: SparseLU (SuperLU) with a fill-reducing ordering"
    report.reasons = [tags, why] + ([failure] if failure else [])


def _sparse_recommendation(m: int, n: int, spd_candidate: bool) -> str:
    if m != n:
        return "pivotal.lstsq"
    return "pivotal.SparseCholesky" if spd_candidate else "pivotal.SparseLU"


def recommend_nonfinite(report: DoctorReport, dense: np.ndarray | None) -> None:
    """What pivotal would use once the NaN/Inf are cleaned (nothing was factored)."""
    from ..factorizations.factorize import select_factorization

    m, n = report.shape
    if dense is not None:
        sel = select_factorization(dense)
        report.recommendation, report.reasons = sel.factorization, list(sel.reasons)
    else:
        report.recommendation = _sparse_recommendation(m, n, False)
        report.reasons = [", ".join(report.structure)]
    report.reasons.append("(no factorization attempted: clean the NaN/Inf first)")


# ---------------------------------------------------------------------------- precision


def _advice_kappa(report: DoctorReport, u: float) -> tuple[float | None, str | None]:
    if scaling_explains(report, u):
        return report.condest_equilibrated, "kappa_1 estimate after equilibration"
    if report.cond2 is not None:
        return report.cond2, "kappa_2 (SVD)"
    if report.condest is not None:
        return report.condest, "kappa_1 estimate"
    return None, None


def precision_advice(report: DoctorReport, wdt: np.dtype, u: float) -> None:
    """Digits lost, whether single precision is safe, and which refinement pays."""
    kappa, report.kappa_source = _advice_kappa(report, u)
    report.kappa = kappa
    if kappa is None:
        return
    u64 = unit_roundoff(np.float64)
    report.digits_lost = math.inf if math.isinf(kappa) else math.log10(max(kappa, 1.0))
    report.float32_safe = bool(kappa * U32 <= FLOAT32_SAFE)
    if math.isinf(kappa) or kappa * u64 >= 1 or (kappa * u >= 1 and not is_single(wdt)):
        report.refinement = "none"
        report.refinement_advice = (
            "no refinement can help: the matrix is singular to working precision; "
            "use a rank-revealing least-squares solve or more precision."
        )
    elif is_single(wdt):
        _single_precision_advice(report, wdt, kappa)
    elif report.shape[0] != report.shape[1]:
        _least_squares_advice(report, kappa)
    elif report.backend == "scipy.sparse":
        _sparse_refinement_advice(report)
    else:
        _refinement_advice(report, wdt, kappa)


def _single_precision_advice(report: DoctorReport, wdt: np.dtype, kappa: float) -> None:
    u64 = unit_roundoff(np.float64)
    if report.float32_safe:
        report.refinement = "not needed"
        report.refinement_advice = (
            f"{single_name(wdt)} gives about {fmt(-math.log10(kappa * U32), '.1f')} correct digits."
        )
    else:
        double = "complex128" if wdt.kind == "c" else "float64"
        report.refinement = "double"
        report.refinement_advice = (
            f"kappa * u_32 = {fmt(kappa * U32)}: cast to {double} and solve in double precision "
            f"(kappa * u_64 = {fmt(kappa * u64)}), or refine with double-precision residuals."
        )


def _least_squares_advice(report: DoctorReport, kappa: float) -> None:
    """Rectangular input: pivotal.solve (and its refinement) is for square systems only."""
    m, n = report.shape
    kind = "a least-squares" if m > n else "an underdetermined (minimum-norm)"
    error = "kappa * u + kappa^2 * u * (residual / ||A|| ||x||)" if m > n else "kappa * u"
    report.refinement = "working precision"
    report.refinement_advice = (
        f"a {m} x {n} matrix poses {kind} problem: pivotal.solve and its mixed-precision refinement "
        f"are for square systems. Use pivotal.lstsq in {report.working_dtype} (Householder QR is backward "
        f"stable; the relative error grows like {error})."
    )


def _sparse_refinement_advice(report: DoctorReport) -> None:
    """Sparse input: the sparse factorizations run in working precision (no mixed-precision route)."""
    report.refinement = "working precision"
    report.refinement_advice = (
        f"the sparse factorizations run in {report.working_dtype}; pivotal.solve(A, b, return_report=True) "
        "refines in fixed precision when its backward error asks for it (mixed precision is for dense matrices)."
    )


def _refinement_advice(report: DoctorReport, wdt: np.dtype, kappa: float) -> None:
    single = single_name(wdt)
    n = report.shape[0]
    rho = report.growth_factor
    if rho is not None and rho > max(100.0, float(n)):
        # The refinement limits assume the modest growth of practice.  With growth rho a
        # single-precision LU has backward error up to ~ n rho u_32 (Wilkinson), so its solves
        # neither converge classic refinement nor precondition GMRES-IR reliably.
        report.refinement = "working precision"
        report.refinement_advice = (
            f"LU with partial pivoting grows by {fmt(rho)} on this matrix: a {single} LU would have backward "
            f"error up to n rho u_32 = {fmt(n * rho * U32)}, so mixed-precision refinement cannot be trusted. "
            f"Factor in {report.working_dtype} with the factorization recommended above (rook pivoting or QR), "
            "and refine in fixed precision (refine=True) where the backward error asks for it."
        )
        return
    if kappa <= IR_LIMIT:
        report.refinement = "mixed"
        report.refinement_advice = (
            f"mixed-precision iterative refinement converges: factor in {single} (about twice as fast, half the "
            "memory), compute residuals in double, and reach double-precision accuracy in a few steps "
            "(pivotal.solve(A, b, refine='mixed'))."
        )
        if max(report.shape) < 500:
            report.refinement_advice += " At this size the saving is negligible."
    elif kappa <= GMRES_IR_LIMIT:
        report.refinement = "gmres-ir"
        report.refinement_advice = (
            f"classic refinement with {single} factors may stall (kappa * u_32 = {fmt(kappa * U32)}); "
            f"GMRES-IR with the {single} LU factors as preconditioner still converges (Carson & Higham, 2018)."
        )
    else:
        report.refinement = "working precision"
        report.refinement_advice = (
            f"kappa ~ {fmt(kappa)} is beyond mixed precision: factor in {report.working_dtype}; fixed-precision "
            "refinement (refine=True) only improves the componentwise backward error."
        )
