"""Specs of the dense spectral decompositions: svd, svdvals, eigh, eigvalsh and the SVD and Eigh objects."""

from __future__ import annotations

import pivotal as pv

from .. import checks as ck
from ..arith import THRESH, ct, eigvalsh, norm1, ratio, svdvals, wide
from .common import (
    TRANS_OPS,
    check_det,
    factorization_solves,
    matrix_of,
    matrix_only,
    square_rhs,
    tall_rhs,
)
from .registry import spec

# LAPACK's own test thresholds for these drivers, in its unit ulp = 2u (TESTING/svd.in: 35, sep.in: 60, "theoretical
# limit ~500"), as multiples of the sweep's THRESH u.  MRRR (SciPy's default syevr) loses orthogonality on
# clusters up to ~110 ulp here, so orthogonality, and the solves whose residual it bounds, get the theoretical limit.
_SVD = 2 * 35.0 / THRESH
_SEP = 2 * 60.0 / THRESH
_SEP_ORTH = 2 * 500.0 / THRESH


def _check_svd(c, res):
    """``A = U S V^H`` (xBDT01), orthonormal factors (xORT01), singular values within Weyl's bound."""
    u, s, vh = res
    a = matrix_of(c)
    m, n = a.shape
    k = min(m, n)
    ck.expect_shape(u, (m, m), "svd: U")
    ck.expect_shape(vh, (n, n), "svd: Vh")
    ck.singular_values(c, s, svdvals(a), "svd: s")
    uw, vw = wide(u), wide(vh)
    ck.orthonormal(c, uw, "svd: U", scale=_SVD)
    ck.orthonormal(c, ct(vw), "svd: Vh^H", scale=_SVD)
    ck.reconstruction(c, a, (uw[:, :k] * wide(s)) @ vw[:k], "svd: U S Vh", norm_scale=_SVD * norm1(a))


spec("svd", build=matrix_only("tall"), check=_check_svd)
spec(
    "svdvals",
    build=matrix_only("lowrank"),
    check=lambda c, s: ck.singular_values(c, s, svdvals(matrix_of(c)), "svdvals"),
)


def _check_eigh(c, res):
    """Eigenvalues within ``THRESH n u ||A||`` (Weyl), ``||A V - V W|| / (n ||A|| u)`` (xSYT21), ``V`` orthonormal."""
    w, v = res
    a = matrix_of(c)
    n = a.shape[0]
    ck.singular_values(c, wide(w).real, eigvalsh(a), "eigh: w")
    vw = wide(v)
    ck.orthonormal(c, vw, "eigh: v", scale=_SEP_ORTH)
    r = ratio(norm1(a @ vw - vw * wide(w).real), max(n, 1) * norm1(a) * c.u * _SEP)
    if not r <= THRESH:
        ck.fail(
            f"eigh: ||A v - v w|| ratio {r * _SEP:.3g} > {THRESH * _SEP} (LAPACK's sep.in, in units of u)"
        )


spec("eigh", build=matrix_only("hermitian_indefinite"), check=_check_eigh)
spec(
    "eigvalsh",
    build=matrix_only("hermitian_lowrank"),
    check=lambda c, w: ck.singular_values(c, wide(w).real, eigvalsh(matrix_of(c)), "eigvalsh"),
)


def _call_svd_object(c):
    F = pv.SVD(c.args[0], **c.kwargs)
    return F, F.lstsq(c.args[1]), F.s


def _check_svd_object(c, res):
    _, x, s = res
    a, b = c.ref[0], c.ref[1]
    ck.least_squares(c, a, x, b, "SVD.lstsq")
    ck.singular_values(c, s, svdvals(a), "SVD.s")


spec("SVD", build=tall_rhs(), call=_call_svd_object, check=_check_svd_object, rhs_check_finite=False)


def _call_eigh_object(c):
    F = pv.Eigh(c.args[0], **c.kwargs)
    return F, factorization_solves(F, c.args[1]), F.det()


def _check_eigh_object(c, res):
    """Rigal-Gaches backward errors of the three solves: ``x = V W^-1 V^H b`` leaves ``b - A x`` of the order
    of the eigenvectors' loss of orthogonality times ``||b||``, so they get its threshold."""
    _, xs, d = res
    a, b = c.ref[0], c.ref[1]
    for (trans, op), x in zip(TRANS_OPS, xs, strict=True):
        aw, xw, bw = op(wide(a)), ck.columns(x), ck.columns(b)
        if ck.shape_of(x) != ck.shape_of(b):
            ck.fail(f"Eigh.solve(trans={trans}) has shape {ck.shape_of(x)}, expected {ck.shape_of(b)}")
        n = max(aw.shape[0], 1)
        for j in range(bw.shape[1]):
            eta = ratio(norm1(bw[:, j] - aw @ xw[:, j]), norm1(aw) * norm1(xw[:, j]) + norm1(bw[:, j]))
            if not eta / (n * c.u) <= THRESH * _SEP:
                ck.fail(
                    f"Eigh.solve(trans={trans}): backward error ratio {eta / (n * c.u):.3g} > {THRESH * _SEP}"
                )
    check_det(c, d, a, "Eigh.det()")


spec("Eigh", build=square_rhs("hermitian_indefinite"), call=_call_eigh_object, check=_check_eigh_object)
