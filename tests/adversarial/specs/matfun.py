"""Specs of the matrix functions and norms: expm, logm, sqrtm, funm, fractional_matrix_power, matrix_power, norm.

Matrix functions of a Hermitian ``A = Q diag(λ) Q^H`` are ``Q diag(f(λ)) Q^H``: the checks compare the
eigenvalues of the (Hermitian part of the) result with ``f`` of the reference eigenvalues, with the
perturbation bound of each function, or the defining identity (``X X = A``) in wide arithmetic.
"""

from __future__ import annotations

import numpy as np

from .. import checks as ck
from ..arith import THRESH, cond2, ct, eigvalsh, norm1, normmax, ratio, wide
from ..matrices import KINDS
from ..variants import NotApplicable, Problem
from .common import dims, matrix_only, overflows
from .registry import spec


def _hermitian_part(x):
    w = wide(x)
    return (w + ct(w)) / 2


def _eigen_check(c, x, f, what, rel_to_max=True, kappa=1.0):
    """Eigenvalues of ``X`` vs ``f(λ)``: ``|μ - f(λ)| <= THRESH n u (1 + ||A||_2) max|f(λ)| κ``."""
    a = c.ref[0]
    n = max(a.shape[0], 1)
    lam = eigvalsh(a)
    if lam.size == 0:
        ck.expect_shape(x, a.shape, what)
        return
    with np.errstate(over="ignore"):
        want = f(lam.astype(np.float64))
    if overflows(c, np.max(np.abs(want))) or not np.all(np.isfinite(want)):
        raise NotApplicable(f"{what}: the exact result overflows the working precision")
    ck.expect_shape(x, a.shape, what)
    h = _hermitian_part(x)
    got = eigvalsh(h)
    scale = max(float(np.max(np.abs(want))), np.finfo(np.float64).tiny)
    norm_a = float(np.max(np.abs(lam)))
    err = float(np.max(np.abs(np.sort(got.astype(np.float64)) - np.sort(want)))) / scale
    tol = THRESH * n * c.u * (1.0 + norm_a) * kappa
    if not err <= tol:
        ck.fail(f"{what}: eigenvalue error {err:.3g} > {tol:.3g} (THRESH n u (1 + ||A||) max|f|)")


spec("expm", build=matrix_only("hermitian_indefinite"), check=lambda c, x: _eigen_check(c, x, np.exp, "expm"))
spec(
    "funm",
    build=matrix_only("hermitian_indefinite", func=np.exp),
    check=lambda c, x: _eigen_check(c, x, np.exp, "funm"),
)


def _check_logm(c, x):
    """log of the eigenvalues: |δ log λ| <= |δλ| / λ <= n u ||A|| / λ_min = n u κ_2(A), absolute."""
    a = c.ref[0]
    n = max(a.shape[0], 1)
    lam = eigvalsh(a)
    ck.expect_shape(x, a.shape, "logm")
    if lam.size == 0:
        return
    got = np.sort(eigvalsh(_hermitian_part(x)).astype(np.float64))
    want = np.sort(np.log(lam.astype(np.float64)))
    err = float(np.max(np.abs(got - want)))
    tol = THRESH * n * c.u * cond2(a)
    if not err <= tol:
        ck.fail(f"logm: eigenvalue error {err:.3g} > {tol:.3g} (THRESH n u κ_2(A))")


spec("logm", build=matrix_only("spd"), check=_check_logm)


def _check_sqrt(c, x, what):
    """``||X X - A||_1 / (n ||X||_1^2 u)`` (the Schur method's residual bound, Higham 2008, sec. 6.2)."""
    a = c.ref[0]
    ck.expect_shape(x, a.shape, what)
    if a.size == 0:
        return
    xw = wide(x)
    ck.reconstruction(c, a, xw @ xw, f"{what}: X X", norm_scale=norm1(xw) ** 2)


spec("sqrtm", build=matrix_only("spd"), check=lambda c, x: _check_sqrt(c, x, "sqrtm"))


def _fractional(rng, field, size):
    a = KINDS["spd"](rng, field, size)
    return Problem([a, 0.5], data=(0,), meta={"dims": dims(a)})


spec(
    "fractional_matrix_power",
    build=_fractional,
    check=lambda c, x: _check_sqrt(c, x, "fractional_matrix_power(A, 0.5)"),
)


def _power(rng, field, size):
    a = KINDS["general"](rng, field, size)
    return Problem([a, 3], data=(0,), degrees=(1,), meta={"dims": dims(a)})


def _check_power(c, x):
    """``|fl(A^3) - A^3| <= 2 gamma_n |A|^3`` entrywise (two products): compared in max norm."""
    a = wide(c.ref[0])
    ck.expect_shape(x, a.shape, "matrix_power")
    if a.size == 0:
        return
    exact = a @ a @ a
    bound = np.abs(a) @ np.abs(a) @ np.abs(a)
    if overflows(c, np.max(np.abs(exact))):
        raise NotApplicable("matrix_power: A^3 overflows the working precision")
    n = a.shape[0]
    # plus gradual underflow: each of the n-term sums of the two products can lose n subnormal units
    tiny = 2 * n * n * float(np.finfo(c.working).smallest_subnormal)
    err = ratio(normmax(wide(x) - exact), normmax(bound) * 2 * n * c.u + tiny)
    if not err <= THRESH:
        ck.fail(f"matrix_power: error ratio {err:.3g} > {THRESH} (|A^3 - X| / (2 n u |A|^3))")


spec("matrix_power", build=_power, check=_check_power)


def _check_norm(c, r):
    """Frobenius norm: relative error <= n u (a sum of n^2 squares, then a square root)."""
    a = wide(c.ref[0])
    want = np.sqrt(np.sum(np.abs(a) ** 2))
    n = max(a.size, 1)
    ck.close(r, want, THRESH * n * c.u, "norm(A)", scale=max(want, np.finfo(np.float64).tiny))


spec("norm", build=matrix_only("general"), check=_check_norm)
