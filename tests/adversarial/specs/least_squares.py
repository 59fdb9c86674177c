"""Specs of QR, its updates, least squares, pseudo-inverse, rank and bases."""

from __future__ import annotations

import numpy as np

from .. import checks as ck
from ..arith import (
    THRESH,
    cond2,
    ct,
    host,
    norm1,
    normf,
    ratio,
    svdvals,
    wide,
)
from .common import (
    matrix_of,
    matrix_only,
    overflows,
    qr_factors,
    tall_rhs,
)
from .registry import spec

# ---------------------------------------------------------------------- QR and updates


def _check_qr(c, res, loss=0):
    """``A = Q R``, R upper, and ``||I - Q^H Q|| = O(u kappa^loss)``.

    ``loss`` is 0 for Householder, Givens, CGS2, CholeskyQR2 (kappa < u^-1/2),
    shifted CholeskyQR3, randomized CholeskyQR and TSQR; 1 for modified and 2
    for classical Gram-Schmidt (Higham 2002, §19.8; Giraud et al. 2005).
    """
    q, r = res
    a = matrix_of(c)
    ck.orthonormal(c, q, "Q", scale=cond2(a) ** loss if loss else 1.0)
    ck.upper_triangular(r, "R")
    ck.reconstruction(c, a, wide(q) @ wide(r), "Q R")


spec("qr", build=matrix_only("tall"), check=_check_qr)
for _method, _loss in [
    ("householder", 0),
    ("givens", 0),
    ("cgs", 2),
    ("mgs", 1),
    ("cgs2", 0),
    ("cholqr2", 0),
    ("shifted_cholqr3", 0),
    ("rand_cholqr", 0),
    ("tsqr", 0),
]:
    spec(
        f"qr[{_method}]",
        build=matrix_only("tall", mode="economic", method=_method),
        check=lambda c, res, loss=_loss: _check_qr(c, res, loss),
    )


def _check_qr_modified(name, target):
    def check(c, res):
        q1, r1 = res
        a1 = target(c)
        ck.orthonormal(c, q1, f"{name}: Q")
        ck.upper_triangular(r1, f"{name}: R")
        qn = norm1(c.ref[0]) * norm1(c.ref[1])
        ck.reconstruction(c, a1, wide(q1) @ wide(r1), f"{name}: Q R", norm_scale=max(qn, norm1(a1)) * 4)

    return check


def _updated(c):
    q, r, u, v = c.ref[0], c.ref[1], c.ref[2], c.ref[3]
    return q @ r + np.outer(u, np.conj(v))


def _inserted(c):
    q, r, u = c.ref[0], c.ref[1], c.ref[2]
    k = c.args[3]
    return np.insert(q @ r, k, u, axis=0)


def _deleted(c):
    q, r = c.ref[0], c.ref[1]
    return np.delete(q @ r, c.args[2], axis=0)


spec(
    "qr_update",
    build=lambda rng, f, s: qr_factors(rng, f, s, "update"),
    check=_check_qr_modified("qr_update", _updated),
)
spec(
    "qr_insert",
    build=lambda rng, f, s: qr_factors(rng, f, s, "insert"),
    check=_check_qr_modified("qr_insert", _inserted),
)
spec(
    "qr_delete",
    build=lambda rng, f, s: qr_factors(rng, f, s, "delete"),
    check=_check_qr_modified("qr_delete", _deleted),
)


# ---------------------------------------------------------------------- least squares, rank, bases


def _check_residues(c, a, x, b, residues, full):
    """SciPy's residues: ``||b_j - A x_j||_2^2`` per column when ``M > N`` and A has full rank, else empty.

    The squared norm of the residual of the returned ``x``, to the rounding of
    forming it: ``THRESH max(M, N) u (||A|| ||x|| + ||b||)^2``, plus the
    smallest normal number where it underflows; where it overflows, ``inf``.
    """
    res = ck.columns(residues).reshape(-1)
    if not full:
        if res.size:
            ck.fail(f"lstsq: residues {res} for a square or rank-deficient problem, expected empty")
        return
    xw, bw = ck.columns(x), ck.columns(b)
    r = bw - a @ xw
    want = (np.abs(r) ** 2).sum(axis=0)
    if want.size and overflows(c, want.max()):
        if not np.isinf(res).any():
            ck.fail("lstsq: the true residues overflow, got finite values")
        return
    scale = (normf(a) * normf(xw) + normf(bw)) ** 2
    err = np.abs(res - want).max() if want.size else 0
    floor = float(np.finfo(c.working).smallest_normal)  # the true value may underflow: 0 is right then
    if res.shape != want.shape or not err <= THRESH * max(a.shape) * (c.u * scale + floor):
        ck.fail(f"lstsq: residues {res} differ from ||b - A x||^2 = {want}")


def _check_lstsq(c, res):
    x, residues, rank, s = res
    a, b = c.ref[0], c.ref[1]
    m, n = a.shape
    ck.least_squares(c, a, x, b)
    _check_residues(c, a, x, b, residues, full=m > n and rank == n)
    if rank != min(m, n):
        ck.fail(f"lstsq: rank {rank}, expected {min(m, n)} (full rank)")
    if s is not None:
        ck.singular_values(c, s, svdvals(a), "lstsq: s")


spec("lstsq", build=tall_rhs(), check=_check_lstsq)
spec("lstsq[sketch]", build=tall_rhs(method="sketch"), check=_check_lstsq)


def _check_sketch_lstsq(c, x):
    ck.least_squares(c, c.ref[0], x, c.ref[1])


spec("sketch_lstsq", build=tall_rhs(random_state=0), check=_check_sketch_lstsq)


def _check_pinv(c, x):
    """The Penrose conditions ``A X A = A`` and ``X A X = X`` (backward-stable SVD: ratios O(n u))."""
    a = matrix_of(c)
    m, n = a.shape
    ck.expect_shape(x, (n, m), "pinv")
    s = svdvals(a)
    if s.size and overflows(c, 1 / s[-1]):
        if not np.isinf(wide(x)).any():
            ck.fail("pinv: the true pseudo-inverse overflows, got finite values")
        return
    xw = wide(x)
    mn = max(m, n, 1)
    r1 = ratio(norm1(a @ xw @ a - a), norm1(a) ** 2 * norm1(xw) * mn * c.u)
    r2 = ratio(norm1(xw @ a @ xw - xw), norm1(xw) ** 2 * norm1(a) * mn * c.u)
    if not (r1 <= THRESH and r2 <= THRESH):
        ck.fail(f"pinv: Penrose ratios {r1:.3g}, {r2:.3g} > {THRESH}")


spec("pinv", build=matrix_only("tall"), check=_check_pinv)


def _check_null_space(c, ns):
    a = matrix_of(c)
    m, n = a.shape
    ck.expect_shape(ns, (n, n - c.meta["rank"]), "null_space")
    ck.orthonormal(c, ns, "null_space")
    r = ratio(norm1(a @ wide(ns)), max(m, n, 1) * norm1(a) * c.u)
    if not r <= THRESH:
        ck.fail(f"null_space: ||A N|| ratio {r:.3g} > {THRESH}")


spec("null_space", build=matrix_only("lowrank"), check=_check_null_space)


def _check_orth(c, q):
    a = matrix_of(c)
    m = a.shape[0]
    ck.expect_shape(q, (m, c.meta["rank"]), "orth")
    ck.orthonormal(c, q, "orth")
    qw = wide(q)
    ck.reconstruction(c, a, qw @ (ct(qw) @ a), "Q Q^H A")


spec("orth", build=matrix_only("lowrank"), check=_check_orth)


def _check_rank(c, r):
    if int(np.asarray(host(r))) != c.meta["rank"]:
        ck.fail(f"matrix_rank = {r}, expected {c.meta['rank']} (exact rank of the data)")


spec("matrix_rank", build=matrix_only("lowrank"), check=_check_rank)  # NaN/Inf: ValueError
