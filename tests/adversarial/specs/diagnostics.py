"""Specs of the diagnostics: backward/forward error, residual, orthogonality, structure, doctor."""

from __future__ import annotations

import math

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
    normalized,
    normf,
    normmax,
    ratio,
    solve_ref,
    wide,
)
from ..matrices import KINDS, entries, orthogonal, rhs
from ..variants import Problem
from .common import (
    dims,
    matrix_of,
    matrix_only,
    overflows,
)
from .registry import spec

# ---------------------------------------------------------------------- diagnostics


def _error_problem(rng, field, size):
    """``(A, x, b)`` with ``b = A x0 + e``: a nontrivial, exactly known residual ``e``."""
    a = KINDS["general"](rng, field, size)
    n = a.shape[0]
    x = rhs(rng, field, n, None)
    e = rhs(rng, field, n, None)
    b = (a @ x + e) if n else np.zeros(0)
    if field == "bool":
        b = np.clip(b, 0, 1)
    return Problem([a, x, b], data=(0, 1, 2), rhs=2, degrees=(1, 0, 1), meta={"dims": dims(a)})


def _ref_eta(c, kind="normwise"):
    a, x, b = c.ref
    r = b - a @ x
    if kind == "normwise":
        return ratio(normmax(r), np.abs(a).sum(axis=1).max(initial=0) * normmax(x) + normmax(b))
    return None


def _check_backward_error(c, eta):
    n = c.ref[0].shape[0]
    ref = _ref_eta(c)
    tol = THRESH * max(n, 1) * c.u
    got = float(np.asarray(host(eta)).reshape(()))
    if not abs(got - ref) <= tol * (1 + ref):
        ck.fail(f"backward_error = {got:.6g}, reference {ref:.6g}")


spec("backward_error", build=_error_problem, check=_check_backward_error, nonfinite="propagate")


def _check_residual(c, r):
    a, x, b = c.ref
    n = a.shape[0]
    want = b - a @ x
    bound = THRESH * max(n, 1) * c.u * (np.abs(a) @ np.abs(x) + np.abs(b))
    rw = wide(r)
    ck.expect_shape(r, want.shape, "residual")
    if not (np.abs(rw - want) <= bound).all():
        ck.fail("residual: error above THRESH n u (|A||x| + |b|)")


spec("residual", build=_error_problem, check=_check_residual, nonfinite="propagate")


def _ferr_problem(rng, field, size):
    a = KINDS["general"](rng, field, size)
    n = a.shape[0]
    x0 = rhs(rng, field, n, None)
    b = a @ x0 if n else np.zeros(0)
    x = x0.copy()
    if n:  # the computed solution is off by one in its first entry (0 <-> 1 for bool data)
        x[0] = 1 - x[0] if field == "bool" else x[0] + 1
    return Problem([a, x, b], data=(0, 1, 2), rhs=2, degrees=(1, 0, 1), meta={"dims": dims(a), "x0": x0})


def _check_ferr(c, bound):
    """The bound bounds: ``||x - x_true||_inf / ||x||_inf <= FERR`` (it may be pessimistic, never optimistic)."""
    a, x, b = c.ref
    xt = solve_ref(a, b) if a.shape[0] else x
    actual = ratio(normmax(x - xt), normmax(x))
    got = float(np.asarray(host(bound)).reshape(()))
    if not actual * (1 - THRESH * c.u * cond1(a)) <= got:
        ck.fail(f"forward_error_bound = {got:.3g} below the actual forward error {actual:.3g}")


spec("forward_error_bound", build=_ferr_problem, check=_check_ferr, nonfinite="propagate")


def _orth_problem(rng, field, size):
    n = 6 if size is None else size
    q = orthogonal(rng, field, n)[:, : max(n - 2, min(n, 1))]
    if field == "bool":  # extra ones where Q has zeros
        return Problem([np.maximum(q, entries(rng, q.shape, "bool"))], meta={"dims": q.shape})
    e = entries(rng, q.shape, "real")
    return Problem([q + (e if field == "integer" else e / 4)], meta={"dims": q.shape})


def _check_orthogonality_error(c, err):
    q = matrix_of(c)
    k = q.shape[1]
    ref = normf(ct(q) @ q - np.eye(k, dtype=WIDE))
    got = float(np.asarray(host(err)).reshape(()))
    if overflows(c, ref):
        if not math.isinf(got):
            ck.fail(f"orthogonality_error: the true value overflows, got {got}")
        return
    tol = THRESH * max(q.shape[0], 1) * c.u * (normf(q) ** 2 + 1)
    if not abs(got - float(ref)) <= tol:
        ck.fail(f"orthogonality_error = {got:.6g}, reference {float(ref):.6g}")


spec(
    "orthogonality_error",
    build=_orth_problem,
    check=_check_orthogonality_error,
    nonfinite="propagate",
)


def _structure_ref(a):
    nz = np.argwhere(a != 0)
    n = a.shape[0]
    lower = int((nz[:, 0] - nz[:, 1]).max(initial=0)) if nz.size else 0
    upper = int((nz[:, 1] - nz[:, 0]).max(initial=0)) if nz.size else 0
    with np.errstate(invalid="ignore"):
        sym = bool((a == a.T).all())
        her = bool((a == np.conj(a).T).all())
        d = np.diag(a)
        posdiag = bool(n and (d.real > 0).all() and (d.imag == 0).all())
    return lower, upper, sym, her, posdiag


def _check_structure(c, info):
    a = matrix_of(c)
    lower, upper, sym, her, posdiag = _structure_ref(a)
    got = (info.lower_bandwidth, info.upper_bandwidth, info.symmetric, info.hermitian, info.positive_diagonal)
    if got != (lower, upper, sym, her, posdiag):
        ck.fail(
            f"detect_structure: (kl, ku, sym, herm, posdiag) = {got}, expected {(lower, upper, sym, her, posdiag)}"
        )


spec("detect_structure", build=matrix_only("tridiagonal"), check=_check_structure, nonfinite="checked")


def _check_selection(c, sel):
    """Structure is scale- and representation-invariant: the same choice as for the float64 data."""
    y, _ = normalized(matrix_of(c))
    want = pv.select_factorization(y)
    if sel.factorization != want.factorization:
        ck.fail(f"select_factorization chose {sel.factorization}, {want.factorization} for the float64 data")


spec("select_factorization", build=matrix_only("spd"), check=_check_selection, nonfinite="checked")


def _check_doctor(c, rep):
    a = matrix_of(c)
    m, n = a.shape
    if tuple(rep.shape) != (m, n):
        ck.fail(f"doctor: shape {rep.shape}")
    nans, infs = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    if (rep.nan_count, rep.inf_count) != (nans, infs):
        ck.fail(f"doctor: nan/inf counts {(rep.nan_count, rep.inf_count)}, expected {(nans, infs)}")
    if nans or infs:
        return
    tol = THRESH * max(n, 1) * c.u
    ck.close(np.float64(rep.norms["1"]), np.float64(norm1(a)), tol, "doctor: norms['1']")
    ck.close(np.float64(rep.norms["max"]), np.float64(normmax(a)), tol, "doctor: norms['max']")
    if rep.kappa is not None and n:  # kappa_2 by SVD (n <= exact_limit): sigma_min to n u sigma_max
        kappa = cond2(a)
        if not abs(rep.kappa - kappa) <= THRESH * n * kappa * kappa * c.u:
            ck.fail(f"doctor: kappa {rep.kappa:.6g}, kappa_2 = {kappa:.6g}")
    if rep.rank_svd is not None and rep.rank_svd != min(m, n):
        ck.fail(f"doctor: rank_svd {rep.rank_svd}, expected {min(m, n)}")


spec("doctor", build=matrix_only("general"), check=_check_doctor, nonfinite="checked")
