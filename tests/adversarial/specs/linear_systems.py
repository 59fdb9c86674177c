"""Specs of the square solvers and their factorizations: solve, inv, det, LU, Cholesky, LDL, ..."""

from __future__ import annotations

import numpy as np

import pivotal as pv

from .. import checks as ck
from ..arith import (
    THRESH,
    WIDE,
    cond1,
    cond2,
    ct,
    host,
    norm1,
    normmax,
    ratio,
    solve_ref,
    wide,
)
from .common import (
    check_det,
    check_inverse,
    check_slogdet,
    chol_factor,
    conj_transpose,
    lu_compact,
    matrix_of,
    matrix_only,
    perm_from_piv,
    square_rhs,
    transpose,
)
from .registry import spec

# ---------------------------------------------------------------------- linear systems


def _solve_check(op=lambda m: m):
    def check(c, x):
        ck.solution(c, c.ref[0], x, c.ref[1], op=op)

    return check


spec("solve", build=square_rhs("general"), check=_solve_check())
spec("solve[pos]", build=square_rhs("spd", assume_a="pos"), check=_solve_check())
spec("solve[sym]", build=square_rhs("hermitian_indefinite", assume_a="her"), check=_solve_check())
spec("solve[transposed]", build=square_rhs("general", transposed=True), check=_solve_check(transpose))
spec(
    "solve[upper,transposed]",
    build=square_rhs("upper", assume_a="upper triangular", transposed=True),
    check=_solve_check(transpose),
)
spec("solve_triangular", build=square_rhs("upper"), check=_solve_check())
spec("solve_triangular[kernel]", build=square_rhs("upper", method="kernel"), check=_solve_check())
spec("solve_triangular[trans=1]", build=square_rhs("upper", trans=1), check=_solve_check(transpose))
spec("solve_triangular[trans=2]", build=square_rhs("upper", trans=2), check=_solve_check(conj_transpose))


def _refine_check(c, x):
    ck.solution(c, c.ref[0], x, c.ref[1])


spec("refine", build=square_rhs("general"), check=_refine_check)


spec(
    "inv",
    build=matrix_only("general"),
    check=lambda c, x: check_inverse(c, x, matrix_of(c)),
)
spec("det", build=matrix_only("general"), check=lambda c, d: check_det(c, d, matrix_of(c)))
spec(
    "slogdet",
    build=matrix_only("general"),
    check=lambda c, r: check_slogdet(c, r, matrix_of(c)),
    nonfinite="propagate",
)


def _check_cond(c, k):
    a = matrix_of(c)
    n = a.shape[0]
    ref = cond2(a)
    tol = THRESH * max(n, 1) * ref * c.u
    ck.close(np.asarray(host(k), dtype=np.float64).reshape(()), np.float64(ref), tol, "cond")


spec("cond", build=matrix_only("general"), check=_check_cond, nonfinite="propagate")


def _check_condest(c, est):
    """``1 <= est <= kappa_1`` in exact arithmetic (Hager-Higham returns ``||A|| ||A^{-1} x||`` with ``||x||_1 = 1``)."""
    a = matrix_of(c)
    n = a.shape[0]
    kappa = cond1(a)
    tol = THRESH * max(n, 1) * kappa * c.u
    e = float(np.asarray(host(est)).reshape(()))
    if not (1 - tol <= e <= kappa * (1 + tol)):
        ck.fail(f"condest = {e:.6g} outside [1, kappa_1 = {kappa:.6g}]")


spec("condest", build=matrix_only("general"), check=_check_condest, nonfinite="propagate")


# ---------------------------------------------------------------------- LU


def _check_lu(c, res):
    """``A = P L U`` (``A = P L U Q`` with rook/complete pivoting), L unit lower with ``|L| <= 1``."""
    p, l, u = res[:3]
    a = matrix_of(c)
    n = a.shape[0]
    pw, lw, uw = wide(p), wide(l), wide(u)
    if pw.size and not (np.isin(pw, (0, 1)).all() and (pw.sum(0) == 1).all() and (pw.sum(1) == 1).all()):
        ck.fail("P is not a permutation matrix")
    ck.lower_triangular(lw, "L")
    ck.upper_triangular(uw, "U")
    if n and not (np.diag(lw) == 1).all():
        ck.fail("L does not have a unit diagonal")
    if lw.size and not np.abs(lw).max() <= 1:
        ck.fail(f"partial pivoting gave |L| = {float(np.abs(lw).max())} > 1")
    prod = pw @ lw @ uw
    if len(res) == 4:
        qw = wide(res[3])
        if qw.size and not (np.isin(qw, (0, 1)).all() and (qw.sum(0) == 1).all() and (qw.sum(1) == 1).all()):
            ck.fail("Q is not a permutation matrix")
        prod = prod @ qw
    ck.reconstruction(c, a, prod, "P L U (Q)")


spec("lu", build=matrix_only("general"), check=_check_lu)
spec("lu[kernel]", build=matrix_only("general", method="kernel"), check=_check_lu)
spec("lu[rook]", build=matrix_only("general", pivoting="rook"), check=_check_lu)
spec("lu[complete]", build=matrix_only("general", pivoting="complete"), check=_check_lu)


def _check_lu_factor(c, res):
    lu, piv = res
    a = matrix_of(c)
    n = a.shape[0]
    luw = wide(lu)
    lw = np.tril(luw, -1) + np.eye(n, dtype=WIDE)
    uw = np.triu(luw)
    if lw.size and not np.abs(lw).max() <= 1:
        ck.fail("partial pivoting gave |L| > 1")
    perm = perm_from_piv(host(piv), n)
    ck.reconstruction(c, a[perm], lw @ uw, "A[perm] - L U")


spec("lu_factor", build=matrix_only("general"), check=_check_lu_factor)


def _lu_solve_check(op):
    def check(c, x):
        luw, piv = c.ref[0], c.args[1]
        n = luw.shape[0]
        lw = np.tril(luw, -1) + np.eye(n, dtype=WIDE)
        uw = np.triu(luw)
        perm = perm_from_piv(host(piv), n)
        a = np.empty_like(lw @ uw)
        a[perm] = lw @ uw  # A = P L U with A[perm] = L U
        # Backward error relative to ||L|| ||U|| (the factors are the data): LAPACK xGET02 with |L||U|.
        scale = norm1(np.abs(lw) @ np.abs(uw))
        xw, bw = ck.columns(x), ck.columns(c.ref[2])
        ck.expect_shape(x, ck.shape_of(c.args[2]), "x")
        am = op(a)
        for j in range(bw.shape[1]):
            r = bw[:, j] - am @ xw[:, j]
            eta = ratio(norm1(r), (scale * norm1(xw[:, j]) + norm1(bw[:, j])) * max(n, 1) * c.u)
            if not eta <= THRESH:
                ck.fail(f"lu_solve: backward error ratio {eta:.3g} > {THRESH}")

    return check


def _call_factor_solve(fn):
    def call(c):
        return fn((c.args[0], c.args[1]), c.args[2], **c.kwargs)

    return call


spec(
    "lu_solve",
    build=lu_compact(),
    call=_call_factor_solve(pv.lu_solve),
    check=_lu_solve_check(lambda m: m),
)
spec(
    "lu_solve[trans=1]",
    build=lu_compact(trans=1),
    call=_call_factor_solve(pv.lu_solve),
    check=_lu_solve_check(transpose),
)
spec(
    "lu_solve[trans=2]",
    build=lu_compact(trans=2),
    call=_call_factor_solve(pv.lu_solve),
    check=_lu_solve_check(conj_transpose),
)


def _check_growth(c, rho):
    """Against Gaussian elimination with partial pivoting run in wide arithmetic (first maximal pivot, as LAPACK)."""
    a = matrix_of(c).copy()
    n = a.shape[0]
    peak = normmax(a)
    u = a.copy()
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        u[[k, p]] = u[[p, k]]
        if u[k, k] != 0:
            u[k + 1 :, k:] -= np.outer(u[k + 1 :, k] / u[k, k], u[k, k:])
    ref = ratio(normmax(np.triu(u)), peak) if peak else 1.0
    tol = THRESH * max(n, 1) * cond1(matrix_of(c)) * c.u
    ck.close(np.float64(float(host(rho))), np.float64(ref), tol, "growth_factor")


spec("growth_factor", build=matrix_only("general"), check=_check_growth, nonfinite="propagate")


# ---------------------------------------------------------------------- Cholesky / LDL


def _check_cholesky(c, u):
    a = matrix_of(c)
    uw = wide(u)
    ck.upper_triangular(uw, "cholesky factor")
    if uw.size and not ((np.diag(uw).real > 0).all() and (np.diag(uw).imag == 0).all()):
        ck.fail("cholesky factor has a non-positive or non-real diagonal")
    ck.reconstruction(c, a, ct(uw) @ uw, "U^H U")


spec("cholesky", build=matrix_only("spd"), check=_check_cholesky)
spec("cholesky[kernel]", build=matrix_only("spd", method="kernel"), check=_check_cholesky)


def _check_cho_factor(c, res):
    cf, lower = res
    a = matrix_of(c)
    w = wide(cf)
    f = np.tril(w) if lower else np.triu(w)
    ck.reconstruction(c, a, f @ ct(f) if lower else ct(f) @ f, "cho_factor")


spec("cho_factor", build=matrix_only("spd"), check=_check_cho_factor)


def _check_cho_solve(c, x):
    r = np.triu(c.ref[0])
    a = ct(r) @ r
    xw, bw = ck.columns(x), ck.columns(c.ref[2])
    ck.expect_shape(x, ck.shape_of(c.args[2]), "x")
    n = a.shape[0]
    scale = norm1(ct(r)) * norm1(r)
    for j in range(bw.shape[1]):
        res = bw[:, j] - a @ xw[:, j]
        eta = ratio(norm1(res), (scale * norm1(xw[:, j]) + norm1(bw[:, j])) * max(n, 1) * c.u)
        if not eta <= THRESH:
            ck.fail(f"cho_solve: backward error ratio {eta:.3g} > {THRESH}")


spec(
    "cho_solve",
    build=chol_factor,
    call=_call_factor_solve(pv.cho_solve),
    check=_check_cho_solve,
)


def _check_ldl(c, res):
    lu, d, perm = res
    a = matrix_of(c)
    lw, dw = wide(lu), wide(d)
    n = a.shape[0]
    ck.lower_triangular(lw[np.asarray(host(perm), dtype=int)] if n else lw, "lu[perm]")
    if n and np.abs(np.triu(dw, 2)).any():
        ck.fail("D is not block diagonal")
    prod = lw @ dw @ ct(lw)
    scale = norm1(a) + norm1(lw) * norm1(dw) * norm1(ct(lw))  # Bunch-Kaufman: |E| <= c u |L||D||L^H|
    ck.reconstruction(c, a, prod, "lu d lu^H", norm_scale=scale)


spec("ldl", build=matrix_only("hermitian_indefinite"), check=_check_ldl)
spec("ldl[kernel]", build=matrix_only("hermitian_indefinite", method="kernel"), check=_check_ldl)


# ---------------------------------------------------------------------- inv_quad_logdet


def _check_inv_quad_logdet(c, res):
    """``q = sum_j b_j^H A^{-1} b_j`` and ``log det A`` of Hermitian positive definite ``A``.

    ``q``: the Cholesky solve's ``y = A^{-1} b`` has a forward error ``<= c n kappa u ||y||``
    (Higham, Thm 10.4 with 7.2), so ``|q - q_ref| <= THRESH n kappa_1 u ||b||_F ||y||_F``.
    ``log det``: as :func:`check_slogdet` (sign 1).
    """
    q, ld = res
    a, b = wide(c.ref[0]), wide(c.ref[1])
    n = max(a.shape[0], 1)
    y = solve_ref(a, b)
    q_ref = float(np.real(np.sum(np.conj(b) * y)))
    kappa = cond1(a)
    qv = float(np.asarray(host(q)).reshape(()))
    scale = float(np.linalg.norm(b) * np.linalg.norm(y))
    if not abs(qv - q_ref) <= THRESH * n * kappa * c.u * scale:
        ck.fail(f"inv_quad_logdet: q = {qv!r} against {q_ref!r} (scale {scale:.3g}, kappa {kappa:.3g})")
    check_slogdet(c, (np.float64(1.0), ld), c.ref[0])


spec("inv_quad_logdet", build=square_rhs("spd"), check=_check_inv_quad_logdet, nonfinite="raise")
