"""pivotal's scaling-and-squaring matrix exponential (Al-Mohy & Higham 2009, Algorithm 5.1), and its report.

Our own implementation of the algorithm (written from the paper, not from
SciPy's C code): Padé degrees ``m = 3, 5, 7, 9, 13`` chosen from the
quantities ``d_k = ||A^k||_1^(1/k)`` (exact for the powers formed, the
Hager-Higham estimate of :mod:`pivotal.kernels.condest` for ``A^8`` and
``A^10``), the ``θ_m`` table of :mod:`._pade`, the ``ell`` correction that
avoids overscaling, and ``s`` squarings.  For triangular ``A`` the diagonal
(and first off-diagonal) of every squared iterate is recomputed from the
exact scalar exponentials (Al-Mohy & Higham 2009, Code Fragment 2.1 and
eq. (10.42) of Higham 2008), which removes the overscaling error there.

Single precision (``float32``/``complex64``) uses the single-precision table
(``m = 3, 5, 7``, ``u = 2^-24``) and ``m = 7`` with scaling beyond it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import scipy.linalg

from ..kernels.condest import onenormest
from ._pade import THETA, UNIT_ROUNDOFF, backward_error_bound, leading_coefficient, pade_coefficients

__all__ = ["ExpmReport", "expm_scaling_squaring"]


@dataclass(frozen=True)
class ExpmReport:
    """How :func:`pivotal.expm` computed ``e^A`` by scaling and squaring, and its backward error bound.

    The computed ``X = r_m(2^-s A)^(2^s)`` equals ``e^(A + ΔA)`` (in exact
    arithmetic) with ``||ΔA||_1 / ||A||_1 <= backward_error_bound``
    (Al-Mohy & Higham 2009, Theorem 4.2 and eq. (3.5)).  Rounding errors in
    evaluating ``r_m`` and in the squarings are not included: they are of
    the order of ``n u`` times a condition-dependent factor.

    Attributes
    ----------
    degree : int
        Padé degree ``m`` (3, 5, 7, 9 or 13; 3, 5 or 7 in single precision).
    squarings : int
        Number of squarings ``s`` (the matrix was scaled by ``2^-s``).
    norm1 : float
        ``||A||_1``.
    d : dict
        ``{k: d_k}`` with ``d_k = ||A^k||_1^(1/k)`` of the *unscaled* ``A``
        as used to choose ``m`` and ``s`` (exact for ``k = 1, 2, 4, 6``,
        Hager-Higham lower estimates for ``k = 8, 10``).
    alpha : float
        The algorithm's ``η`` for the chosen ``m``, scaled by ``2^-s``: what was compared with ``θ_m``
        (it uses estimates of ``d_8``, ``d_10`` where Algorithm 5.1 does).
    alpha_bound : float
        ``alpha_p = min_p max(d_p, d_(p+1))`` of ``2^-s A`` over the ``p`` allowed by Theorem 4.2
        (``p (p - 1) <= 2m + 1``), from exact norms and submultiplicative upper bounds: the ``alpha``
        the bound is evaluated at.  It can exceed ``alpha`` for highly nonnormal ``A``, and the
        bound then exceeds ``u``.
    theta : float
        ``θ_m`` of the table used.
    ell : int
        Extra squarings added by the ``ell`` correction (their eq. (5.1)); part of ``squarings``.
    backward_error_bound : float
        ``h~(alpha_bound) / ||2^-s A||_1``; at most ``unit_roundoff`` whenever ``alpha_bound <= θ_m``.
    unit_roundoff : float
        ``u`` of the table (``2^-53`` or ``2^-24``).
    triangular : bool
        Whether the triangular-aware squaring (exact diagonal) was used.
    batch_size : int
        Matrices summarised: for a batch the largest ``degree``, ``squarings`` and bound.
    """

    degree: int
    squarings: int
    norm1: float
    d: dict = field(default_factory=dict)
    alpha: float = 0.0
    alpha_bound: float = 0.0
    theta: float = 0.0
    ell: int = 0
    backward_error_bound: float = 0.0
    unit_roundoff: float = UNIT_ROUNDOFF["double"]
    triangular: bool = False
    batch_size: int = 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the fields."""
        return asdict(self)

    def __str__(self) -> str:
        d = ", ".join(f"d{k}={v:.3g}" for k, v in sorted(self.d.items()))
        rows = [
            ("Padé degree m", str(self.degree)),
            ("squarings s", f"{self.squarings} (ell correction {self.ell})"),
            ("||A||_1", f"{self.norm1:.3g}"),
            ("d_k = ||A^k||^(1/k)", d or "-"),
            ("eta, alpha_p, theta_m", f"{self.alpha:.3g}, {self.alpha_bound:.3g}, {self.theta:.3g}"),
            ("||dA||/||A|| <=", f"{self.backward_error_bound:.3g} (u = {self.unit_roundoff:.3g})"),
            ("triangular squaring", str(self.triangular)),
        ]
        width = max(len(k) for k, _ in rows)
        return "ExpmReport\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def merge_reports(reports: list[ExpmReport]) -> ExpmReport:
    """One report for a batch: the worst case (largest bound, degree and squarings) of each field."""
    if len(reports) == 1:
        return reports[0]
    worst = max(reports, key=lambda r: (r.backward_error_bound, r.squarings, r.degree))
    return ExpmReport(**{**asdict(worst), "batch_size": len(reports)})


def _norm1(x: np.ndarray) -> float:
    return float(np.abs(x).sum(axis=0).max()) if x.size else 0.0


def _power_estimate(factors: list[np.ndarray], n: int) -> float:
    """Hager-Higham estimate of ``||F_1 F_2 ... F_k||_1`` from products with the factors (none is formed)."""

    def apply(x):
        for f in reversed(factors):
            x = f @ x
        return x

    def apply_h(x):
        for f in factors:
            x = f.conj().T @ x
        return x

    return onenormest(apply, apply_h, n, dtype=factors[0].dtype, like=factors[0])


def _ell(a: np.ndarray, m: int, u: float) -> int:
    """Al-Mohy & Higham's ``ell(A, m)`` (eq. (5.1)): squarings needed so the first error term is below ``u``.

    ``|| |A|^(2m+1) ||_1`` of the nonnegative ``|A|`` is computed exactly as
    the largest entry of ``e^T |A|^(2m+1)`` (``2m+1`` vector-matrix products).
    """
    absa = np.abs(a)
    norm = _norm1(absa)
    if norm == 0.0:
        return 0
    row = np.ones(a.shape[0]) @ absa
    for _ in range(2 * m):
        row = row @ absa
        scale = row.max()
        if not np.isfinite(scale):
            return 0  # overflow: only possible for huge norms, where s is large anyway
    alpha = leading_coefficient(m) * float(row.max()) / norm
    if alpha == 0.0:
        return 0
    return max(math.ceil(math.log2(alpha / u) / (2 * m)), 0)


def _pade(m: int, a: np.ndarray, powers: dict[int, np.ndarray]) -> np.ndarray:
    """``r_m(A) = (-U + V)^-1 (U + V)``: Higham (2005) eq. (2.4)/(2.5) evaluation of ``p_m(A)``, ``q_m(A)``."""
    b = pade_coefficients(m)
    n = a.shape[0]
    eye = np.eye(n, dtype=a.dtype)
    if m == 9 and 8 not in powers:
        powers = {**powers, 8: powers[4] @ powers[4]}
    if m < 13:
        u_sum = b[1] * eye
        v_sum = b[0] * eye
        for j in range(2, m + 1, 2):
            u_sum = u_sum + b[j + 1] * powers[j]
            v_sum = v_sum + b[j] * powers[j]
        u = a @ u_sum
        v = v_sum
    else:
        a2, a4, a6 = powers[2], powers[4], powers[6]
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    # LU with partial pivoting, without SciPy's rcond warning: q_m(A) = V - U is well conditioned when
    # alpha <= θ_m for normal A (Higham 2005, sec. 2), and an ill-conditioned one (a huge nonnormal part)
    # is still solved backward stably; the report's bound does not depend on it.
    return scipy.linalg.lu_solve(scipy.linalg.lu_factor(v - u, check_finite=False), v + u, check_finite=False)


def _triangular_kind(a: np.ndarray) -> str | None:
    if not np.any(np.tril(a, -1)):
        return "upper"
    if not np.any(np.triu(a, 1)):
        return "lower"
    return None


def _exp_divided_difference(x: np.ndarray) -> np.ndarray:
    """``(e^(x_(i+1)) - e^(x_i)) / (x_(i+1) - x_i)`` (``e^x`` where equal), without overflow or cancellation.

    Close arguments (``|x_(i+1) - x_i| <= 2``): Higham (2008) eq. (10.42),
    ``e^((a+b)/2) sinh((b-a)/2) / ((b-a)/2)``, free of cancellation.  Distant
    ones: the difference quotient itself, whose subtraction loses at most a
    factor ``1 / (1 - e^-2)``; (10.42) would form ``0 * inf`` when ``e^a``
    underflows and ``sinh`` overflows (SciPy's GH-11839).
    """
    a, b = x[:-1], x[1:]
    diff = b - a
    near = np.abs(diff) <= 2
    half = np.where(near, diff / 2, 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        sinch = np.where(half == 0, 1.0, np.sinh(half) / np.where(half == 0, 1.0, half))
        close = np.exp((a + b) / 2) * sinch
        far = (np.exp(b) - np.exp(a)) / np.where(near, 1.0, diff)
    return np.where(near, close, far)


def _square_triangular(x: np.ndarray, a: np.ndarray, s: int, kind: str) -> np.ndarray:
    """Squarings of an upper/lower triangular ``X`` with exact diagonal and first off-diagonal (Code Fragment 2.1)."""
    diag = np.diag(a)
    off = 1 if kind == "upper" else -1
    sub = np.diag(a, k=off)
    n = a.shape[0]
    idx = np.arange(n)
    for i in range(s, -1, -1):
        if i < s:
            x = x @ x
        scale = 2.0**-i
        x[idx, idx] = np.exp(diag * scale)
        if n > 1:
            rows, cols = (idx[:-1], idx[1:]) if kind == "upper" else (idx[1:], idx[:-1])
            x[rows, cols] = _exp_divided_difference(diag * scale) * (sub * scale)
    return np.triu(x) if kind == "upper" else np.tril(x)


def expm_scaling_squaring(a: np.ndarray) -> tuple[np.ndarray, ExpmReport]:
    """``e^A`` of a finite 2-D NumPy ``a`` (float32/64, complex64/128) and the :class:`ExpmReport`.

    Al-Mohy & Higham (2009), Algorithm 5.1 (for single precision the same
    logic with the single-precision table, degrees 3, 5, 7).
    """
    n = a.shape[0]
    single = a.dtype in (np.float32, np.complex64)
    table = THETA["single" if single else "double"]
    u = UNIT_ROUNDOFF["single" if single else "double"]
    norm1 = _norm1(a)
    kind = _triangular_kind(a) if n > 1 else None
    report = {"norm1": norm1, "unit_roundoff": u, "triangular": kind is not None}
    if norm1 == 0.0 or n == 1 or not math.isfinite(norm1):
        # 1 x 1: the scalar exponential; zero: I; NaN/Inf (check_finite=False): NaN, as SciPy's products give
        x = np.exp(a) if n == 1 else np.eye(n, dtype=a.dtype)
        if not math.isfinite(norm1) and n > 1:
            x = np.full_like(x, np.nan)
        return x, ExpmReport(degree=0, squarings=0, d={1: norm1}, **report)
    m_top = 13 if 13 in table else 7

    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected below and handled by prescaling
        powers = {2: a @ a}
        powers[4] = powers[2] @ powers[2]
        powers[6] = powers[2] @ powers[4]
    exact = {k: _norm1(powers[k]) for k in (2, 4, 6)}
    if not all(math.isfinite(v) for v in exact.values()):
        return _prescaled(a, norm1, table[m_top], kind)
    d = {1: norm1, 2: exact[2] ** 0.5, 4: exact[4] ** 0.25, 6: exact[6] ** (1 / 6)}
    # Upper bounds of d_k for k = 1..6 (d_3, d_5 from submultiplicativity), for the rigorous bound.
    upper = dict(d)
    upper[3] = (norm1 * exact[2]) ** (1 / 3)
    upper[5] = (norm1 * exact[4]) ** (1 / 5)

    def finish(x, m, s, eta, ell=0):
        scale = 2.0**-s
        return x, ExpmReport(
            degree=m,
            squarings=s,
            d=dict(d),
            alpha=eta * scale,
            alpha_bound=_alpha_bound(upper, m) * scale,
            theta=table[m],
            ell=ell,
            backward_error_bound=backward_error_bound(m, _alpha_bound(upper, m) * scale, norm1 * scale),
            **report,
        )

    eta1 = max(d[4], d[6])
    if eta1 <= table[3] and _ell(a, 3, u) == 0:
        return finish(_pade(3, a, powers), 3, 0, eta1)
    if eta1 <= table[5] and _ell(a, 5, u) == 0:
        return finish(_pade(5, a, powers), 5, 0, eta1)
    d[8] = _power_estimate([powers[4], powers[4]], n) ** (1 / 8)
    eta3 = max(d[6], d[8])
    for m in (7, 9):
        if m in table and eta3 <= table[m] and _ell(a, m, u) == 0:
            return finish(_pade(m, a, powers), m, 0, eta3)
    if m_top == 13:
        d[10] = _power_estimate([powers[4], powers[6]], n) ** (1 / 10)
        eta5 = min(eta3, max(d[8], d[10]))
    else:
        eta5 = eta3
    s = max(math.ceil(math.log2(eta5 / table[m_top])), 0) if eta5 > 0 else 0
    ell = _ell(a * 2.0**-s, m_top, u)
    s += ell
    if s:
        scale = 2.0**-s
        a_s = a * scale
        powers = {k: v * scale**k for k, v in powers.items()}
    else:
        a_s = a
    x = _pade(m_top, a_s, powers)
    if kind is not None:
        x = _square_triangular(x, a, s, kind)
    else:
        for _ in range(s):
            x = x @ x
    return finish(x, m_top, s, eta5, ell)


def _prescaled(a: np.ndarray, norm1: float, theta: float, kind: str | None) -> tuple[np.ndarray, ExpmReport]:
    """``e^A`` when ``A^6`` overflows: scale by ``2^-s0`` (``||2^-s0 A||_1 <= θ_m``), then square ``s0`` times.

    ``X = e^(2^-s0 A + E)^(2^s0) = e^(A + 2^s0 E)``: the relative backward
    error and the scaled quantities (``alpha``, ``theta``) are those of the
    inner call; ``s`` and the ``d_k`` of ``A`` are scaled back.
    """
    s0 = max(math.ceil(math.log2(norm1 / theta)), 0)
    x, inner = expm_scaling_squaring(a * 2.0**-s0)
    if kind is not None:
        x = _square_triangular(x, a, s0, kind)
    else:
        for _ in range(s0):
            x = x @ x
    return x, replace(
        inner,
        squarings=inner.squarings + s0,
        norm1=norm1,
        d={k: v * 2.0**s0 for k, v in inner.d.items()},
    )


def _alpha_bound(upper: dict[int, float], m: int) -> float:
    """``min_p max(d_p, d_(p+1))`` over the ``p`` with ``p (p - 1) <= 2m + 1`` (Theorem 4.2), from upper bounds.

    Every power ``k >= p (p - 1)`` is a sum of ``p``'s and ``(p+1)``'s, so
    ``||A^k|| <= max(d_p, d_(p+1))^k`` for all the terms of ``h_(2m+1)``.
    """
    best = math.inf
    for p in range(1, 6):
        if p * (p - 1) <= 2 * m + 1:
            best = min(best, max(upper[p], upper[p + 1]))
    return best
