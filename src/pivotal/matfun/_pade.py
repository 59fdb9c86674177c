"""Padé approximants of ``exp`` and the backward-error series of Al-Mohy & Higham (2009).

The ``[m/m]`` Padé approximant ``r_m = p_m / q_m`` of ``e^x`` has
``p_m(x) = sum_j c_j x^j`` with ``c_j = (2m-j)! m! / ((2m)! j! (m-j)!)`` and
``q_m(x) = p_m(-x)``.  Al-Mohy and Higham (2009, sec. 3) write
``r_m(2^-s A)^(2^s) = e^(A + ΔA)`` with ``ΔA = 2^s h_(2m+1)(2^-s A)`` and
``h_(2m+1)(x) = log(e^-x r_m(x)) = sum_(k >= 2m+1) c_k x^k``, so that

    ||ΔA|| / ||A||  <=  h~(alpha) / ||2^-s A||,   h~(x) = sum_k |c_k| x^k,

with ``alpha = max(d_p, d_(p+1))``, ``d_k = ||(2^-s A)^k||^(1/k)`` and
``p (p - 1) <= 2m + 1`` (their Theorem 4.2).  ``θ_m`` is the largest ``alpha``
with ``h~(alpha) / alpha <= u``; their Table 3.1 lists it for ``u = 2^-53`` and
``m = 3, 5, 7, 9, 13``.  This module computes the coefficients of
``h_(2m+1)`` exactly (rational arithmetic) to evaluate the bound for the
``alpha`` actually met, and the tests check the published ``θ_m`` against it.

The single-precision table (``u = 2^-24``, ``m = 3, 5, 7``) is Higham
(2005, Table 2.3), whose ``θ_m`` satisfy the same bound.

References
----------
A. H. Al-Mohy and N. J. Higham, "A new scaling and squaring algorithm for the
matrix exponential", SIAM J. Matrix Anal. Appl. 31(3), 970-989, 2009.

N. J. Higham, "The scaling and squaring method for the matrix exponential
revisited", SIAM J. Matrix Anal. Appl. 26(4), 1179-1193, 2005.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from math import factorial

__all__ = [
    "THETA",
    "UNIT_ROUNDOFF",
    "backward_error_bound",
    "leading_coefficient",
    "pade_coefficients",
    "series_coefficients",
]

#: Al-Mohy & Higham (2009), Table 3.1 (double) and Higham (2005), Table 2.3 (single): degree -> θ_m.
THETA = {
    "double": {
        3: 1.495585217958292e-2,
        5: 2.539398330063230e-1,
        7: 9.504178996162932e-1,
        9: 2.097847961257068e0,
        13: 5.371920351148152e0,
    },
    "single": {
        3: 4.258730016922831e-1,
        5: 1.880152677804762e0,
        7: 3.925724783138660e0,
    },
}

#: The unit roundoff each table is built for.
UNIT_ROUNDOFF = {"double": 2.0**-53, "single": 2.0**-24}

#: Terms of ``h~`` summed; the tail beyond is below 1e-30 of the sum for ``alpha <= θ_m`` (checked in the tests).
_TERMS = 240


@cache
def pade_coefficients(m: int) -> tuple[float, ...]:
    """``c_0, ..., c_m`` of the numerator ``p_m`` of the ``[m/m]`` Padé approximant of ``e^x``."""
    return tuple(float(c) for c in _pade_exact(m))


def _pade_exact(m: int) -> list[Fraction]:
    f = factorial
    return [Fraction(f(2 * m - j) * f(m), f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


@cache
def series_coefficients(m: int, terms: int = _TERMS) -> tuple[float, ...]:
    """``|c_k|`` of ``h_(2m+1)(x) = log(e^-x r_m(x))`` for ``k = 0 .. terms - 1`` (exact, then rounded).

    ``log(e^-x p(x)/p(-x)) = -x + 2 odd(log p(x))``; the coefficients ``l_k``
    of ``log p`` follow from ``p (log p)' = p'``:
    ``k l_k = k p_k - sum_(j=1)^(k-1) j l_j p_(k-j)``.
    """
    p = _pade_exact(m)
    p += [Fraction(0)] * (terms - len(p))
    log_p = [Fraction(0)] * terms
    for k in range(1, terms):
        acc = k * p[k]
        for j in range(max(1, k - m), k):
            acc -= j * log_p[j] * p[k - j]
        log_p[k] = acc / k
    h = [2 * log_p[k] if k % 2 else Fraction(0) for k in range(terms)]
    h[1] -= 1
    if any(h[k] for k in range(2 * m + 1)):  # the approximant matches e^x to order 2m: exact zeros
        raise AssertionError("Padé series: a low-order coefficient is not zero")  # pragma: no cover
    return tuple(abs(float(c)) for c in h)


def leading_coefficient(m: int) -> float:
    """``|c_(2m+1)|``, the first term of ``h_(2m+1)``: ``(m!)^2 / ((2m)! (2m+1)!)``."""
    return factorial(m) ** 2 / (factorial(2 * m) * factorial(2 * m + 1))


def backward_error_bound(m: int, alpha: float, norm_scaled: float) -> float:
    """``h~(alpha) / ||2^-s A||_1``: the bound on ``||ΔA|| / ||A||`` of Al-Mohy & Higham's Theorem 4.2.

    ``alpha`` is ``max(d_p, d_(p+1))`` of the scaled matrix (as used to
    choose ``m`` and ``s``) and ``norm_scaled`` its 1-norm.  A zero matrix
    has no error: ``0.0``.
    """
    if norm_scaled == 0.0:
        return 0.0
    total = 0.0
    power = alpha ** (2 * m + 1)
    coeffs = series_coefficients(m)
    for k in range(2 * m + 1, len(coeffs)):
        total += coeffs[k] * power
        power *= alpha
    return total / norm_scaled
