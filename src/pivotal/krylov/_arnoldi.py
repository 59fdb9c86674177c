"""One GMRES cycle, batched over columns: the core of :func:`~pivotal.krylov.gmres` and of GMRES-IR.

:func:`gmres_cycle` runs Arnoldi on an operator ``B`` (``B = M A`` for
left-preconditioned GMRES) from starting vectors ``z`` (``z = M r``), one
independent Krylov space per column, and returns the correction
``dx = V_j y_j`` minimising ``||z - B dx||`` over each column's space.

* Orthogonalization: classical Gram-Schmidt with one full
  reorthogonalization (CGS2: two BLAS-2 passes per step, orthogonal to
  working precision like Householder Arnoldi; Giraud, Langou and Rozloznik
  2005).  The basis of all columns is one ``(k, m + 1, n)`` array, so both
  passes are batched matrix-vector products.
* The small Hessenberg least-squares problems are solved on the host, in
  float64 (complex128), by Givens rotations (LAPACK's ``xLARTG``): their
  ``O(m^2)`` scalars per column are what a stopping decision needs anyway.
  With one column the rotations run on Python scalars (as fast as the
  arithmetic allows); with ``k`` columns on ``(k,)`` arrays.
* A column stops when its preconditioned residual ``|g_{j+1}|`` reaches
  its ``ptol``, on a happy breakdown (``h_{j+1,j} <= eps ||B v_j||``, the
  space is invariant), or on a non-finite value; the others go on.

Nothing here writes into ``z`` or into arrays of the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._array import backend_name, from_numpy, is_complex, namespace, to_numpy
from ..kernels.givens import lartg_scalar

__all__ = ["CycleResult", "gmres_cycle"]


@dataclass
class CycleResult:
    """Outcome of one cycle; every array but ``dx`` is a host ``(k,)`` array."""

    dx: Any  # (n, k) in z's namespace
    iterations: np.ndarray  # Arnoldi steps per column
    presid: np.ndarray  # |g_{j+1}|: the preconditioned residual norm estimate
    happy: np.ndarray  # the Krylov space became invariant
    finite: np.ndarray  # no NaN/Inf met


def _host(x: Any) -> np.ndarray:
    return np.asarray(to_numpy(x))


def _row_norms(xp, w: Any) -> np.ndarray:
    return _host(xp.linalg.vector_norm(w, axis=-1)).astype(np.float64)


class _Basis:
    """The Arnoldi vectors of all columns as rows ``V[c, i, :]``, in one ``(k, m, n)`` array.

    NumPy and PyTorch fill it in place and hand out the filled rows.  JAX
    arrays are immutable, and every new shape costs an eager JAX operation
    a compilation; there the whole array (zeros beyond the filled rows) is
    handed out, so the shapes stay fixed, at the price of products with the
    empty rows.
    """

    def __init__(self, xp, k: int, m: int, n: int, like: Any):
        self.xp = xp
        self.m = m
        self.jax = backend_name(like) == "jax"
        kw = {"device": like.device} if backend_name(like) == "torch" else {}
        self.V = (
            xp.zeros((k, m, n), dtype=like.dtype, **kw)
            if self.jax
            else xp.empty((k, m, n), dtype=like.dtype, **kw)
        )
        self.count = 0

    def append(self, w: Any) -> None:  # w: (k, n)
        if self.jax:
            self.V = self.V.at[:, self.count, :].set(w)
        else:
            self.V[:, self.count, :] = w
        self.count += 1

    def row(self, j: int) -> Any:  # (k, n)
        return self.V[:, j, :]

    def upto(self, j: int) -> Any:  # (k, j', n), j' = j (m on JAX: zero rows beyond j)
        return self.V if self.jax else self.V[:, :j, :]

    def combine(self, Y: Any) -> Any:  # sum_i Y[c, i] V[c, i, :] for Y (k, j): (k, n)
        if self.jax:
            Y = self.xp.concat([Y, self.xp.zeros((Y.shape[0], self.m - Y.shape[1]), dtype=Y.dtype)], axis=1)
        return (Y[:, None, :] @ self.upto(Y.shape[1]))[:, 0, :]


def _lartg(f: Any, g: Any):
    """Rotations ``[c s; -conj(s) c]`` mapping ``[f; g]`` to ``[r; 0]``: scalars (LAPACK) or (k,) arrays."""
    if not isinstance(f, np.ndarray):
        return lartg_scalar(f, g)
    # g is real and >= 0 here (a subdiagonal h_{j+1,j} = ||w||).
    af = np.abs(f)
    r = np.hypot(af, g)
    safe = np.where(r > 0, r, 1.0)
    zero_f = af == 0
    phase = np.where(zero_f, 1.0, f / np.where(zero_f, 1.0, af))
    c = np.where(r > 0, af / safe, 1.0)
    s = np.where(r > 0, phase * g / safe, 0.0)
    return c, s, phase * r


def gmres_cycle(
    apply: Callable[[Any], Any],
    z: Any,
    beta: np.ndarray,
    ptol: np.ndarray,
    *,
    m: int,
    eps: float,
    active: np.ndarray | None = None,
    on_step: Callable[[np.ndarray, np.ndarray], None] | None = None,
) -> CycleResult:
    """Up to ``m`` Arnoldi steps on ``apply`` from ``z`` (``(n, k)``), with ``||z_c|| = beta[c]``.

    ``ptol[c]`` is column ``c``'s target for ``|g_{j+1}|``; ``active``
    (default all) selects the columns to iterate (the others get
    ``dx = 0``).  ``on_step(presid, live)`` is called after every step with
    the current estimates and the columns that were still iterating.
    """
    xp = namespace(z)
    n, k = int(z.shape[0]), int(z.shape[1])
    cplx = is_complex(z.dtype)
    host = np.complex128 if cplx else np.float64
    beta = np.asarray(beta, dtype=np.float64)
    run = (beta > 0) & np.isfinite(beta)
    if active is not None:
        run &= active
    its = np.zeros(k, dtype=np.int64)
    presid = np.where(run, beta, 0.0)
    happy = np.zeros(k, dtype=bool)
    finite = np.isfinite(beta) | ~(active if active is not None else np.ones(k, bool))
    m = max(0, min(int(m), n))
    if not run.any() or m == 0:
        return CycleResult(xp.zeros_like(z), its, presid, happy, finite)
    scalar = k == 1

    def to_dev(v: np.ndarray) -> Any:
        return (
            from_numpy(np.ascontiguousarray(v), z, z.dtype)
            if backend_name(z) != "numpy"
            else v.astype(z.dtype)
        )

    inv = np.where(run, 1.0 / np.where(run, beta, 1.0), 0.0)
    basis = _Basis(xp, k, m + 1, n, z)
    basis.append(z.T * to_dev(inv)[:, None])
    # H[j] is column j of the (rotated) Hessenberg matrices: a list of j + 2 entries, each a Python
    # scalar (one column) or a (k,) array; g the rotated right-hand side.
    H: list[list[Any]] = []
    g: list[Any] = [float(presid[0]) if scalar else presid.astype(host)]
    rots: list[tuple[Any, Any]] = []
    live = run.copy()
    steps = 0
    for j in range(m):
        W = apply(basis.row(j).T)  # B v_j, (n, k)
        w = W.T  # (k, n)
        h0 = _row_norms(xp, w)
        Vj = basis.upto(j + 1)  # (k, j + 1, n)
        Vh = xp.conj(Vj) if cplx else Vj
        h = (Vh @ w[:, :, None])[:, :, 0]
        w = w - (h[:, None, :] @ Vj)[:, 0, :]
        h2 = (Vh @ w[:, :, None])[:, :, 0]
        w = w - (h2[:, None, :] @ Vj)[:, 0, :]
        col = _host(h + h2).astype(host)[:, : j + 1]  # (k, j + 1)
        hnext = _row_norms(xp, w)
        ok = np.isfinite(hnext) & np.isfinite(col).all(axis=1) & np.isfinite(h0)
        brk = live & ok & (hnext <= eps * h0)
        hn = np.where(brk | ~live, 0.0, hnext)
        if scalar:
            entries: list[Any] = [complex(v) if cplx else float(v) for v in col[0]] + [float(hn[0])]
        else:
            entries = [np.where(live, col[:, i], 0) for i in range(j + 1)] + [hn.astype(np.float64)]
        for i, (c, s) in enumerate(rots):
            t = c * entries[i] + s * entries[i + 1]
            entries[i + 1] = -_conj(s) * entries[i] + c * entries[i + 1]
            entries[i] = t
        c, s, r = _lartg(entries[j], entries[j + 1])
        rots.append((c, s))
        entries[j], entries[j + 1] = r, 0.0 * r
        H.append(entries)
        gj = g[j]
        g.append(-_conj(s) * gj)
        g[j] = c * gj
        steps = j + 1
        res = np.abs(np.asarray(g[j + 1], dtype=host)).reshape(k)
        presid = np.where(live, res, presid)
        its += live
        finite &= ok | ~live
        happy |= brk
        stop = live & (~ok | brk | (res <= ptol) | ~np.isfinite(res))
        if on_step is not None:
            on_step(presid.copy(), live.copy())
        live &= ~stop
        if not live.any() or j + 1 == m:
            break
        scale = np.where(live, 1.0 / np.where(live, hnext, 1.0), 0.0)
        basis.append(w * to_dev(scale)[:, None])
    # Back substitution R y = g per column, over the steps each column took.
    R = np.zeros((k, steps, steps), dtype=host)
    gv = np.zeros((k, steps), dtype=host)
    for jj, entries in enumerate(H):
        for i in range(jj + 1):
            R[:, i, jj] = entries[i]
    for i in range(steps):
        gv[:, i] = g[i]
    Y = np.zeros((k, steps), dtype=host)
    for c in np.flatnonzero(run & finite):
        kc = int(its[c])
        if kc == 0:
            continue
        Y[c, :kc] = _triangular_or_lstsq(R[c, :kc, :kc], gv[c, :kc])
    # A column that met NaN/Inf keeps Y = 0: no correction from it.
    dx_rows = basis.combine(to_dev(Y))
    return CycleResult(dx_rows.T, its, presid, happy, finite)


def _conj(s: Any) -> Any:
    return s.conjugate() if isinstance(s, (complex, np.ndarray)) else s


def _triangular_or_lstsq(R: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``R^{-1} g`` for the rotated Hessenberg ``R``; least squares if ``R`` is singular."""
    if np.all(np.diagonal(R) != 0):
        y = scipy.linalg.solve_triangular(R, g, check_finite=False)
        if np.all(np.isfinite(y)):
            return y
    return np.linalg.lstsq(R, g, rcond=None)[0]
