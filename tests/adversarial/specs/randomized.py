"""Specs of the spectral and randomized functions, the interpolative decomposition and the sketches."""

from __future__ import annotations

import numpy as np

import pivotal as pv
import pivotal.randomized as pvr

from .. import checks as ck
from ..arith import (
    THRESH,
    ct,
    eigvalsh,
    host,
    norm1,
    ratio,
    svdvals,
    wide,
)
from ..matrices import KINDS, entries
from ..variants import Problem
from .common import (
    matrix_of,
    matrix_only,
    with_k,
)
from .registry import spec

# ---------------------------------------------------------------------- spectral and randomized


def _check_eigsh(c, res):
    w, v = res
    a = matrix_of(c)
    n = a.shape[0]
    k = min(c.meta["k"], n)  # SciPy: k >= N computes all N eigenpairs (with a warning)
    lam = eigvalsh(a)
    top = np.sort(lam[np.argsort(np.abs(lam))[::-1][:k]])
    ck.singular_values(c, np.sort(wide(w).real)[::-1], top[::-1], "eigsh: w")
    vw = wide(v)
    ck.orthonormal(c, vw, "eigsh: v")
    r = ratio(norm1(a @ vw - vw * wide(w)), max(n, 1) * norm1(a) * c.u)
    if not r <= THRESH:
        ck.fail(f"eigsh: ||A v - v w|| ratio {r:.3g} > {THRESH}")


spec(
    "eigsh",
    build=with_k("hermitian_indefinite", k_fixed=2, rng=0),
    check=_check_eigsh,
    nonfinite="raise",
)


def _check_svds(c, res):
    u, s, vh = res
    a = matrix_of(c)
    m, n = a.shape
    ref = svdvals(a)[: c.meta["k"]]
    ck.singular_values(c, s, ref, "svds: s")
    ck.orthonormal(c, u, "svds: u")
    ck.orthonormal(c, ct(wide(vh)), "svds: vh^H")
    r = ratio(norm1(a @ ct(wide(vh)) - wide(u) * wide(s)), max(m, n, 1) * norm1(a) * c.u)
    if not r <= THRESH:
        ck.fail(f"svds: ||A v - u s|| ratio {r:.3g} > {THRESH}")


spec("svds", build=with_k("tall", k_fixed=2, random_state=0), check=_check_svds)


def _check_rsvd(c, res):
    """Exact rank-``k`` data: the range finder captures the range exactly (HMT 2011, §1.5), so
    the singular values agree to a backward-stable SVD's accuracy and ``A = U S V^H`` to rounding."""
    u, s, vh = res
    a = matrix_of(c)
    ref = svdvals(a)[: c.meta["k"]]
    ck.singular_values(c, s, ref, "rsvd: s")
    ck.orthonormal(c, u, "rsvd: U")
    ck.orthonormal(c, ct(wide(vh)), "rsvd: Vh^H")
    ck.reconstruction(c, a, (wide(u) * wide(s)) @ wide(vh), "rsvd: U S Vh")


spec("rsvd", build=with_k("lowrank", random_state=0), check=_check_rsvd)


def _check_reigh(c, res):
    w, v = res
    a = matrix_of(c)
    k = c.meta["k"]
    lam = eigvalsh(a)
    top = lam[np.argsort(np.abs(lam))[::-1][:k]]
    ck.singular_values(c, np.abs(wide(w)), np.abs(top), "reigh: |w|")
    if (np.sign(np.sort(wide(w).real)) != np.sign(np.sort(top.real))).any():
        ck.fail("reigh: eigenvalue signs differ from the reference")
    vw = wide(v)
    ck.orthonormal(c, vw, "reigh: V")
    ck.reconstruction(c, a, (vw * wide(w)) @ ct(vw), "reigh: V W V^H")


spec("reigh", build=with_k("hermitian_lowrank", random_state=0), check=_check_reigh)


def _check_nystrom(c, res):
    u, lam = res
    a = matrix_of(c)
    k = c.meta["k"]
    ref = eigvalsh(a)[::-1][:k]
    ck.singular_values(c, lam, ref, "nystrom: lam")
    uw = wide(u)
    ck.orthonormal(c, uw, "nystrom: U")
    ck.reconstruction(c, a, (uw * wide(lam)) @ ct(uw), "nystrom: U diag(lam) U^H")


spec("nystrom", build=with_k("psd_lowrank", random_state=0), check=_check_nystrom)


def _check_range_finder(c, q):
    a = matrix_of(c)
    ck.orthonormal(c, q, "range_finder: Q")
    qw = wide(q)
    ck.reconstruction(c, a, qw @ (ct(qw) @ a), "range_finder: Q Q^H A")


spec("range_finder", build=with_k("lowrank", random_state=0), check=_check_range_finder)


def _check_rqrcp(c, res):
    q, r, p = res[0], res[1], res[2]
    a = matrix_of(c)
    ck.orthonormal(c, q, "rqrcp: Q")
    ck.upper_triangular(r, "rqrcp: R")
    ck.reconstruction(c, a[:, np.asarray(host(p), dtype=int)], wide(q) @ wide(r), "rqrcp: A[:, P] - Q R")


spec("rqrcp", build=matrix_only("tall", random_state=0), check=_check_rqrcp)


def _check_cur(c, res):
    cm, um, rm = res
    a = matrix_of(c)
    cols, rows = np.asarray(host(res.cols), dtype=int), np.asarray(host(res.rows), dtype=int)
    if not (np.array_equal(wide(cm), a[:, cols]) and np.array_equal(wide(rm), a[rows])):
        ck.fail("cur: C and R are not the selected columns and rows of A")
    cw, uw, rw = wide(cm), wide(um), wide(rm)
    scale = norm1(a) + norm1(cw) * norm1(uw) * norm1(rw)
    ck.reconstruction(c, a, cw @ uw @ rw, "cur: C U R", norm_scale=scale)


spec("cur", build=with_k("lowrank", positional=True, random_state=0), check=_check_cur)


def _interp_matrix(idx, proj, k, n):
    p = np.zeros((k, n), dtype=proj.dtype)
    p[:, idx[:k]] = np.eye(k)
    p[:, idx[k:]] = proj
    return p


def _check_id(c, res):
    if len(res) == 3:  # tolerance mode (eps_or_k < 1): (k, idx, proj)
        k, idx, proj = res
    else:
        (idx, proj), k = res, c.meta["k"]
    a = matrix_of(c)
    n = a.shape[1]
    idx = np.asarray(host(idx), dtype=int)
    if sorted(idx.tolist()) != list(range(n)):
        ck.fail("interpolative: idx is not a permutation")
    pw = _interp_matrix(idx, wide(proj), k, n)
    b = a[:, idx[:k]]
    ck.reconstruction(c, a, b @ pw, "ID: A[:, idx[:k]] P", norm_scale=norm1(a) + norm1(b) * norm1(pw))


spec("interpolative", build=with_k("lowrank", positional=True, random_state=0), check=_check_id)
spec("interp_decomp", build=with_k("lowrank", positional=True, rng=0), check=_check_id)


def _interp_args(rng, field, size):
    n = 6 if size is None else size
    k = min(2, n)
    idx = rng.permutation(n).astype(np.int64)
    proj = entries(rng, (k, n - k), field)
    return Problem([idx, proj], data=(1,), matrix=1, meta={"dims": (k, n), "k": k})


def _check_interp_matrix(c, p):
    idx, proj = c.args[0], c.ref[1]
    k, n = c.meta["dims"]
    want = _interp_matrix(idx, proj, k, n)
    if not np.array_equal(wide(p), want):
        ck.fail("reconstruct_interp_matrix: P[:, idx] != [I, proj]")


spec(
    "reconstruct_interp_matrix",
    "randomized.reconstruct_interp_matrix",
    build=_interp_args,
    check=_check_interp_matrix,
    nonfinite="propagate",
    exact=True,
)


def _from_id_args(rng, field, size):
    p = _interp_args(rng, field, size)
    idx, proj = p.args
    k, n = p.meta["dims"]
    b = entries(rng, (8 if size is None else size, k), field)
    return Problem(
        [b, idx, proj], data=(0, 2), matrix=0, degrees=(1, 0), meta={"dims": (b.shape[0], n), "k": k}
    )


def _check_from_id(c, res):
    b, idx, proj = c.ref[0], c.args[1], c.ref[2]
    k = c.meta["k"]
    pw = _interp_matrix(idx, proj, k, idx.size)
    want = b @ pw
    ck.reconstruction(c, want, res, "B P", norm_scale=norm1(b) * norm1(pw))


spec(
    "reconstruct_matrix_from_id",
    "randomized.reconstruct_matrix_from_id",
    build=_from_id_args,
    check=_check_from_id,
    nonfinite="propagate",
)


def _skel_args(rng, field, size):
    a = KINDS["lowrank"](rng, field, size)
    n = a.shape[1]
    k = min(2, n)
    return Problem([a, k, rng.permutation(n).astype(np.int64)], meta={"dims": a.shape, "k": k})


def _check_skel(c, b):
    a, k, idx = c.ref[0], c.args[1], c.args[2]
    if not np.array_equal(wide(b), a[:, idx[:k]]):
        ck.fail("reconstruct_skel_matrix: not A[:, idx[:k]]")


spec(
    "reconstruct_skel_matrix",
    "randomized.reconstruct_skel_matrix",
    build=_skel_args,
    check=_check_skel,
    nonfinite="propagate",
    exact=True,
)


# ---------------------------------------------------------------------- sketches


def _sketch_spec(name, target, make):
    def call(c):
        a = c.args[0]
        m = len(a) if isinstance(a, list) else a.shape[0]
        op = make(max(1, min(4, m)), m)
        return op, op.apply_left(a, **c.kwargs)

    def check(c, res):
        op, y = res
        a = matrix_of(c)
        s = wide(op.to_dense(c.working))  # documented: float32 input gets S drawn in float32
        want = s @ a
        scale = norm1(s) * norm1(a)
        ck.reconstruction(c, want, y, f"{name}: S A", norm_scale=scale)

    spec(name, target, build=matrix_only("tall"), call=call, check=check, check_finite=True)


_sketch_spec("sketch", "sketch", lambda d, m: pv.sketch("gaussian", d, m, random_state=0))
_sketch_spec(
    "GaussianSketch", "randomized.GaussianSketch", lambda d, m: pvr.GaussianSketch(d, m, random_state=0)
)
_sketch_spec("SRHTSketch", "randomized.SRHTSketch", lambda d, m: pvr.SRHTSketch(d, m, random_state=0))
_sketch_spec(
    "SparseSignSketch", "randomized.SparseSignSketch", lambda d, m: pvr.SparseSignSketch(d, m, random_state=0)
)
