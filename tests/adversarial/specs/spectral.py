"""Specs of the dense spectral decompositions: svd, svdvals, eigh, eigvalsh, the SVD and Eigh objects, eig,
eigvals, schur, rsf2csf and hessenberg."""

from __future__ import annotations

import numpy as np
import scipy.linalg

import pivotal as pv

from .. import checks as ck
from ..arith import THRESH, ct, eigvalsh, host, norm1, ratio, svdvals, wide
from ..matrices import KINDS
from ..variants import Problem
from .common import (
    TRANS_OPS,
    check_det,
    dims,
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


# ---------------------------------------------------------------------- non-symmetric: eig, schur, hessenberg


def _trace_check(c, w, a, what: str) -> None:
    """``sum(w) = trace(A + E)`` for the backward error ``E`` of the QR algorithm: ``|trace E| <= n ||E||``."""
    n = max(a.shape[0], 1)
    err = abs(wide(w).sum() - a.trace()) if a.size else 0.0
    bound = THRESH * n * n * c.u * norm1(a)
    if not err <= bound:
        ck.fail(f"{what}: |sum(w) - trace(A)| = {float(err):.3g} > {float(bound):.3g}")


def _check_eig(c, res):
    """``||A V - V W|| / (n ||A|| ||V|| u)`` (xGET22, backward stability of each pair) and the trace."""
    w, v = res
    a = matrix_of(c)
    n = a.shape[0]
    ck.expect_shape(w, (n,), "eig: w")
    ck.expect_shape(v, (n, n), "eig: v")
    vw = wide(v)
    r = ratio(norm1(a @ vw - vw * wide(w)), max(n, 1) * norm1(a) * norm1(vw) * c.u)
    if not r <= THRESH:
        ck.fail(f"eig: ||A v - v w|| ratio {r:.3g} > {THRESH} (||A V - V W|| / (n ||A|| ||V|| u))")
    _trace_check(c, w, a, "eig")


spec("eig", build=matrix_only("general"), check=_check_eig)
spec("eigvals", build=matrix_only("general"), check=lambda c, w: _trace_check(c, w, matrix_of(c), "eigvals"))


def _check_schur_form(c, t, z, a, what: str, complex_form: bool) -> None:
    n = a.shape[0]
    ck.expect_shape(t, (n, n), f"{what}: T")
    tw, zw = wide(t), wide(z)
    ck.upper_triangular(tw, f"{what}: T", k=0 if complex_form else -1)
    if not complex_form and np.count_nonzero(np.diagonal(tw, -1)[1:] * np.diagonal(tw, -1)[:-1]):
        ck.fail(f"{what}: T has two adjacent nonzero subdiagonal entries (not quasi-triangular)")
    ck.orthonormal(c, zw, f"{what}: Z")
    ck.reconstruction(c, a, zw @ tw @ ct(zw), f"{what}: Z T Z^H")


def _check_schur(c, res):
    t, z = res[0], res[1]
    a = matrix_of(c)
    cplx = np.iscomplexobj(host(t))
    _check_schur_form(c, t, z, a, "schur", complex_form=cplx)
    if len(res) == 3:  # sort="lhp": the first sdim eigenvalues (of T's diagonal) have Re < 0, the others not
        sdim, re = int(host(res[2])), np.diagonal(wide(t)).real
        if not (np.all(re[:sdim] < 0) and np.all(re[sdim:] >= 0)):
            ck.fail(f"schur(sort='lhp'): sdim = {sdim} but T's diagonal has real parts {re}")


spec("schur", build=matrix_only("general"), check=_check_schur)
spec("schur[complex,lhp]", build=matrix_only("general", output="complex", sort="lhp"), check=_check_schur)


def _rsf_pair(rng, field, size):
    """``(T, Z)``: the real Schur form (float64, from SciPy) of a general matrix, for ``rsf2csf``."""
    a = KINDS["general"](rng, "real", size)
    t, z = scipy.linalg.schur(np.asarray(a, dtype=np.float64)) if a.size else (a, a)
    return Problem([t, z], data=(0, 1), degrees=(1, 0), meta={"dims": dims(t)})


def _check_rsf2csf(c, res):
    t2, z2 = res
    t, z = wide(c.ref[0]), wide(c.ref[1])
    ck.upper_triangular(t2, "rsf2csf: T2")
    ck.orthonormal(c, wide(z2), "rsf2csf: Z2")
    zw = wide(z2)
    ck.reconstruction(c, z @ t @ ct(z), zw @ wide(t2) @ ct(zw), "rsf2csf: Z2 T2 Z2^H")


spec("rsf2csf", build=_rsf_pair, check=_check_rsf2csf)


def _check_hessenberg(c, res):
    h, q = res
    a = matrix_of(c)
    ck.expect_shape(h, a.shape, "hessenberg: H")
    ck.upper_triangular(h, "hessenberg: H", k=-1)
    qw = wide(q)
    ck.orthonormal(c, qw, "hessenberg: Q")
    ck.reconstruction(c, a, qw @ wide(h) @ ct(qw), "hessenberg: Q H Q^H")


spec("hessenberg", build=matrix_only("general", calc_q=True), check=_check_hessenberg)
spec(
    "hessenberg[kernel]",
    build=matrix_only("general", calc_q=True, method="kernel"),
    check=_check_hessenberg,
)
