"""Specs of the factorization objects: LU, Cholesky, LDL, Triangular, Banded, Diagonal, QR, ..."""

from __future__ import annotations

import numpy as np

import pivotal as pv

from .. import checks as ck
from ..arith import (
    THRESH,
    ct,
    host,
    wide,
)
from .common import (
    check_det,
    check_factorization_solves,
    factorization_solves,
    matrix_of,
    matrix_only,
    square_rhs,
    tall_rhs,
)
from .registry import spec

# ---------------------------------------------------------------------- factorization objects


def _factor_spec(name, kind, extra=None, **kwargs):
    def call(c):
        F = getattr(pv, name)(c.args[0], **c.kwargs)
        return F, factorization_solves(F, c.args[1]), F.det()

    def check(c, res):
        F, xs, d = res
        a, b = c.ref[0], c.ref[1]
        check_factorization_solves(c, F, xs, a, b)
        check_det(c, d, a, f"{name}.det()")
        if extra:
            extra(c, F)

    spec(name, build=square_rhs(kind, **kwargs), call=call, check=check)


def _lu_extra(c, F):
    ck.reconstruction(
        c, wide(F.P) @ matrix_of(c), wide(F.L) @ wide(F.U), "LU: P A - L U"
    )  # documented: P A = L U


_factor_spec("LU", "general", _lu_extra)
_factor_spec("Cholesky", "spd")
_factor_spec("LDL", "hermitian_indefinite")
_factor_spec("Triangular", "upper")
_factor_spec("Banded", "tridiagonal")
_factor_spec("Diagonal", "diagonal")


def _call_factorize(c):
    F = pv.factorize(c.args[0], **c.kwargs)
    return F, factorization_solves(F, c.args[1]), F.det()


def _check_factorize(c, res):
    F, xs, d = res
    check_factorization_solves(c, F, xs, c.ref[0], c.ref[1])
    check_det(c, d, c.ref[0], "factorize(...).det()")


spec("factorize", build=square_rhs("general"), call=_call_factorize, check=_check_factorize)
spec("factorize[spd]", build=square_rhs("spd"), call=_call_factorize, check=_check_factorize)


def _call_qr_object(c):
    F = pv.QR(c.args[0], **c.kwargs)
    return F, F.lstsq(c.args[1]), F.Q, F.R


def _check_qr_object(c, res):
    _, x, q, r = res
    a, b = c.ref[0], c.ref[1]
    ck.least_squares(c, a, x, b, "QR.lstsq")
    ck.orthonormal(c, q, "QR.Q")
    ck.upper_triangular(r, "QR.R")
    ck.reconstruction(c, a, wide(q) @ wide(r), "QR: Q R")


spec("QR", build=tall_rhs(), call=_call_qr_object, check=_check_qr_object, rhs_check_finite=False)


def _call_qrp(c):
    F = pv.QRPivoted(c.args[0], **c.kwargs)
    return F, F.Q, F.R, F.p


def _check_qrp(c, res):
    F, q, r, p = res
    a = matrix_of(c)
    ck.orthonormal(c, q, "QRPivoted.Q")
    ck.upper_triangular(r, "QRPivoted.R")
    ck.reconstruction(c, a[:, np.asarray(host(p), dtype=int)], wide(q) @ wide(r), "A[:, p] - Q R")
    d = np.abs(np.diag(wide(r)))
    if d.size and not (d[1:] <= d[:-1] * (1 + THRESH * c.u * max(a.shape))).all():
        ck.fail("QRPivoted: |diag(R)| is not non-increasing")
    if F.rank != c.meta["rank"]:
        ck.fail(f"QRPivoted.rank = {F.rank}, expected {c.meta['rank']}")


spec("QRPivoted", build=matrix_only("lowrank"), call=_call_qrp, check=_check_qrp)
spec("QRPivoted[kernel]", build=matrix_only("lowrank", method="kernel"), call=_call_qrp, check=_check_qrp)


def _call_pchol(c):
    F = pv.PivotedCholesky(c.args[0], **c.kwargs)
    return F, F.L, F.p


def _check_pchol(c, res):
    """Exact-rank PSD data: rank found, and ``A[p][:, p] = L L^H`` to rounding (Higham, Thm 10.14)."""
    F, l, p = res
    a = matrix_of(c)
    if F.rank != c.meta["rank"]:
        ck.fail(f"PivotedCholesky.rank = {F.rank}, expected {c.meta['rank']}")
    pi = np.asarray(host(p), dtype=int)
    lw = wide(l)
    ck.reconstruction(c, a[np.ix_(pi, pi)], lw @ ct(lw), "PivotedCholesky: L L^H")


spec("PivotedCholesky", build=matrix_only("psd_lowrank"), call=_call_pchol, check=_check_pchol)
