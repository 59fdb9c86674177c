"""Builders of well-posed problems and reference checks shared by the spec modules."""

from __future__ import annotations

import math

import numpy as np

from .. import checks as ck
from ..arith import (
    THRESH,
    WIDE,
    cond1,
    ct,
    host,
    norm1,
    normmax,
    ratio,
    slogdet,
    solve_ref,
    wide,
)
from ..matrices import KINDS, RANK, entries, orthogonal, rhs
from ..variants import Problem

# ---------------------------------------------------------------------- builders


def dims(a) -> tuple:
    return tuple(a.shape)


def square_rhs(kind: str, k: int | None = 2, **kwargs):
    def build(rng, field, size):
        a = KINDS[kind](rng, field, size)
        b = rhs(rng, field, a.shape[0], k)
        return Problem([a, b], data=(0, 1), rhs=1, kwargs=dict(kwargs), meta={"dims": dims(a)})

    return build


def matrix_only(kind: str, **kwargs):
    def build(rng, field, size):
        a = KINDS[kind](rng, field, size)
        rank = (
            min(RANK, *a.shape) if kind in ("lowrank", "psd_lowrank", "hermitian_lowrank") else min(a.shape)
        )
        return Problem([a], kwargs=dict(kwargs), meta={"dims": dims(a), "rank": rank})

    return build


def with_k(kind: str, k_fixed: int | None = None, positional=False, **kwargs):
    """``(A, k)``: ``k`` is the exact rank (or ``k_fixed``, SciPy's convention that ``k < min(A.shape)``)."""

    def build(rng, field, size):
        a = KINDS[kind](rng, field, size)
        rank = min(RANK, *a.shape)
        k = k_fixed if k_fixed is not None else rank
        if positional:
            return Problem([a, k], kwargs=dict(kwargs), meta={"dims": dims(a), "rank": rank, "k": k})
        return Problem([a], kwargs={"k": k, **kwargs}, meta={"dims": dims(a), "rank": rank, "k": k})

    return build


def perm_from_piv(piv, n):
    perm = np.arange(n)
    for i, p in enumerate(np.asarray(piv)[:n]):
        perm[[i, p]] = perm[[p, i]]
    return perm


def tall_rhs(**kwargs):
    return square_rhs("tall", **kwargs)


def lu_compact(trans=0):
    """``(lu, piv)`` of LAPACK's getrf form with small-integer L (|l| <= 1) and U, and ``b``."""

    def build(rng, field, size):
        n = 6 if size is None else size
        lo = np.tril(entries(rng, (n, n), "bool" if field == "bool" else field), -1)
        if field != "bool":
            lo = np.clip(lo.real, -1, 1) + (1j * np.clip(lo.imag, -1, 1) if field == "complex" else 0)
        up = np.triu(KINDS["upper"](rng, field, size)) if n else np.zeros((0, 0))
        lu = lo + up
        piv = np.array([rng.integers(i, n) for i in range(n)], dtype=np.int32)
        b = rhs(rng, field, n, None)
        return Problem(
            [lu, piv, b],  # the call packs (lu, piv)
            data=(0, 2),
            rhs=2,
            degrees=("upper", 1),
            kwargs={"trans": trans} if trans else {},
            meta={"dims": (n, n)},
        )

    return build


def chol_factor(rng, field, size):
    """``(c, lower=False)`` for cho_solve: upper factor with positive diagonal, junk below it."""
    n = 6 if size is None else size
    c = np.triu(KINDS["upper"](rng, field, size)) if n else np.zeros((0, 0))
    if n:
        d = np.abs(np.diag(c).real)
        c[np.diag_indices(n)] = d
        c = c + np.tril(entries(rng, (n, n), field), -1)
    b = rhs(rng, field, n, 2)
    # the call packs (c, lower); A = c^H c scales like c**2, so c takes s**0.5
    return Problem([c, False, b], data=(0, 2), rhs=2, degrees=(0.5, 1), meta={"dims": (n, n)})


def qr_factors(rng, field, size, extra: str):
    """Full ``(Q, R)`` of an ``m x n`` matrix (Q unitary, R upper) plus update data."""
    m, n = (6, 4) if size is None else (size, size)
    q = orthogonal(rng, field, m)
    r = np.triu(entries(rng, (m, n), field))
    args, data, degrees = [q, r], [0, 1], [0, 1]
    if extra == "update":
        args += [rhs(rng, field, m, None), rhs(rng, field, n, None)]
        data += [2, 3]
        degrees += [1, 0]
    elif extra == "insert":
        args += [rhs(rng, field, n, None), min(2, m)]
        data += [2]
        degrees += [1]
    else:  # delete
        args += [min(1, max(m - 1, 0))]
    return Problem(args, data=tuple(data), matrix=1, degrees=tuple(degrees), meta={"dims": (m, n)})


# ---------------------------------------------------------------------- reference helpers


def matrix_of(c):
    return c.ref[0]


def transpose(m):
    return m.T


def conj_transpose(m):
    return ct(m)


def _result_dtype(x):
    h = host(x)
    return np.finfo(h.dtype).dtype if h.dtype.kind in "fc" else np.dtype(np.float64)


def overflows(case, magnitude) -> bool:
    """True when a result of this ``magnitude`` (wide) cannot be represented in the working dtype."""
    return bool(magnitude > WIDE(np.finfo(case.working).max))


def check_det(case, d, a, what="det"):
    """``|det - det_A| <= THRESH n kappa_1 u |det_A|`` (from the LU backward error, Higham §14.6).

    Outside the dtype's range the correctly rounded determinant is ``+-inf``
    (overflow) or below the smallest normal (gradual underflow), and that is
    what must come back.
    """
    n = a.shape[0]
    sign_ref, log_ref = slogdet(a)
    dv = complex(np.asarray(host(d)).reshape(()))
    fin = np.finfo(_result_dtype(d))
    if log_ref > math.log(fin.max):
        if not (math.isinf(abs(dv)) and (dv.real > 0) == (sign_ref.real > 0)):
            ck.fail(f"{what}: true |det| = e^{log_ref:.1f} overflows; got {dv}")
        return
    if log_ref < math.log(fin.smallest_normal):
        if not abs(dv) <= 2 * fin.smallest_normal:
            ck.fail(f"{what}: true |det| = e^{log_ref:.1f} underflows; got {dv}")
        return
    tol = THRESH * max(n, 1) * cond1(a) * case.u
    if not (abs(dv) > 0 and math.isfinite(abs(dv))):
        ck.fail(f"{what}: got {dv}, expected sign {sign_ref} and log|det| {log_ref:.6g}")
    err = abs(math.log(abs(dv)) - log_ref) + abs(dv / abs(dv) - sign_ref)
    if not err <= tol:
        ck.fail(f"{what}: relative error {err:.3g} > THRESH n kappa u = {tol:.3g}")


def check_slogdet(case, res, a):
    sign, logabs = res
    sign_ref, log_ref = slogdet(a)
    n = a.shape[0]
    tol = THRESH * max(n, 1) * cond1(a) * case.u + THRESH * max(n, 1) * case.u * abs(log_ref)
    s, la = complex(np.asarray(host(sign)).reshape(())), float(np.asarray(host(logabs)).reshape(()))
    err = abs(la - log_ref) + abs(s - sign_ref)
    if not err <= tol:
        ck.fail(f"slogdet: ({s}, {la}) against ({sign_ref}, {log_ref}): error {err:.3g} > {tol:.3g}")


def check_inverse(case, x, a, what="inv"):
    """``||I - A X||_1 / (n ||A||_1 ||X||_1 u)`` (LAPACK xGET03); ``inf`` where the true inverse overflows."""
    n = a.shape[0]
    ck.expect_shape(x, a.shape, what)
    if n and overflows(case, normmax(solve_ref(a, np.eye(n)))):
        if not np.isinf(wide(x)).any():
            ck.fail(f"{what}: the true inverse overflows, got finite values")
        return
    xw = wide(x)
    r = ratio(norm1(np.eye(n, dtype=WIDE) - a @ xw), max(n, 1) * norm1(a) * norm1(xw) * case.u)
    if not r <= THRESH:
        ck.fail(f"{what}: ||I - A X|| ratio {r:.3g} > {THRESH}")


TRANS_OPS = ((0, lambda m: m), (1, lambda m: m.T), (2, ct))


def factorization_solves(F, b):
    """``F.solve(b, trans)`` for trans = 0, 1 (A^T) and 2 (A^H)."""
    return tuple(F.solve(b, trans=t) for t, _ in TRANS_OPS)


def check_factorization_solves(case, F, xs, a, b):
    """Backward errors of the three solves."""
    for (trans, op), x in zip(TRANS_OPS, xs, strict=True):
        ck.solution(case, a, x, b, f"{type(F).__name__}.solve(trans={trans})", op=op)
