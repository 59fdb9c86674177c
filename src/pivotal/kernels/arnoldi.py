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

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._array import backend_name, from_numpy, is_complex, namespace, to_numpy
from .givens import lartg_scalar

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
    if isinstance(w, np.ndarray):
        if w.shape[0] == 1:
            return np.array([np.linalg.norm(w[0])], dtype=np.float64)
        return np.linalg.norm(w, axis=-1).astype(np.float64, copy=False)
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


#: Up to this many columns the Hessenberg least-squares problems are updated column by column on
#: Python scalars (a few microseconds per rotation); beyond, on (k,) arrays (one NumPy call each).
_SCALAR_COLUMNS = 8


class _ColumnsLS:
    """The rotated Hessenberg matrices and right-hand sides, one column at a time, on Python scalars."""

    def __init__(self, beta: np.ndarray, cplx: bool):
        self.cplx = cplx
        self.k = beta.size
        self.H: list[list[list[Any]]] = [[] for _ in range(self.k)]  # H[c][j]: column j of R_c
        self.g: list[list[Any]] = [[float(v)] for v in beta]
        self.rots: list[list[tuple[Any, Any, Any]]] = [[] for _ in range(self.k)]

    def add_column(self, col: np.ndarray, hn: np.ndarray, live: np.ndarray) -> np.ndarray:
        """Append column ``j`` (``col[c]``, subdiagonal ``hn[c]``) to the live columns; ``|g_{j+1}|``."""
        res = np.zeros(self.k)
        cplx = self.cplx
        for c in range(self.k):
            if not live[c]:
                continue
            e = [complex(v) for v in col[c]] if cplx else [float(v) for v in col[c]]
            e.append(float(hn[c]))
            for i, (cs, sn, snc) in enumerate(self.rots[c]):  # the earlier rotations
                e0, e1 = e[i], e[i + 1]
                e[i] = cs * e0 + sn * e1
                e[i + 1] = cs * e1 - snc * e0
            j = len(e) - 2
            cs, sn, r = lartg_scalar(e[j], e[j + 1])
            snc = sn.conjugate() if cplx else sn
            self.rots[c].append((cs, sn, snc))
            e[j], e[j + 1] = r, 0.0
            self.H[c].append(e)
            g = self.g[c]
            gj = g[j]
            g.append(-snc * gj)
            g[j] = cs * gj
            res[c] = abs(g[j + 1])
        return res

    def triangle(self, c: int, kc: int) -> tuple[np.ndarray, np.ndarray]:
        R = np.zeros((kc, kc), dtype=np.complex128 if self.cplx else np.float64)
        for jj in range(kc):
            R[: jj + 1, jj] = self.H[c][jj][: jj + 1]
        return R, np.asarray(self.g[c][:kc], dtype=R.dtype)


class _VectorLS:
    """As :class:`_ColumnsLS`, each entry a ``(k,)`` array: one NumPy operation serves all columns."""

    def __init__(self, beta: np.ndarray, cplx: bool):
        self.host = np.complex128 if cplx else np.float64
        self.cplx = cplx
        self.H: list[list[np.ndarray]] = []
        self.g: list[np.ndarray] = [beta.astype(self.host)]
        self.rots: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add_column(self, col: np.ndarray, hn: np.ndarray, live: np.ndarray) -> np.ndarray:
        e = [np.where(live, col[:, i], 0) for i in range(col.shape[1])] + [hn.astype(np.float64)]
        for i, (cs, sn, snc) in enumerate(self.rots):
            e0, e1 = e[i], e[i + 1]
            e[i] = cs * e0 + sn * e1
            e[i + 1] = cs * e1 - snc * e0
        j = len(e) - 2
        cs, sn, r = _lartg(e[j], e[j + 1])
        snc = sn.conjugate() if self.cplx else sn
        self.rots.append((cs, sn, snc))
        e[j], e[j + 1] = r, np.zeros_like(r)
        self.H.append(e)
        gj = self.g[j]
        self.g.append(-snc * gj)
        self.g[j] = cs * gj
        return np.abs(self.g[j + 1])

    def triangle(self, c: int, kc: int) -> tuple[np.ndarray, np.ndarray]:
        R = np.zeros((kc, kc), dtype=self.host)
        for jj in range(kc):
            for i in range(jj + 1):
                R[i, jj] = self.H[jj][i][c]
        return R, np.asarray([self.g[i][c] for i in range(kc)], dtype=self.host)


def _lartg(f: np.ndarray, g: np.ndarray):
    """Rotations ``[c s; -conj(s) c]`` mapping ``[f; g]`` to ``[r; 0]``, on (k,) arrays.

    ``g`` is real and ``>= 0`` here (a subdiagonal ``h_{j+1,j} = ||w||``).
    """
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

    def to_dev(v: np.ndarray) -> Any:
        return _to_dev(v, z)

    if k == 1:
        return _one_column(apply, z, float(beta[0]), float(ptol[0]), m=m, eps=eps, on_step=on_step)
    inv = np.where(run, 1.0 / np.where(run, beta, 1.0), 0.0)
    basis = _Basis(xp, k, m + 1, n, z)
    basis.append(z.T * to_dev(inv)[:, None])
    ls = (_ColumnsLS if k <= _SCALAR_COLUMNS else _VectorLS)(presid, cplx)
    live = run.copy()
    steps = 0
    for j in range(m):
        W = apply(basis.row(j).T)  # B v_j, (n, k)
        w = W.T  # (k, n)
        w, col = _orthogonalize(xp, basis.upto(j + 1), w, cplx)
        col = col.astype(host, copy=False)[:, : j + 1]  # (k, j + 1)
        hnext = _row_norms(xp, w)
        h0 = np.hypot(np.linalg.norm(col, axis=1), hnext)  # ||B v_j||, from its components
        ok = np.isfinite(h0)
        brk = live & ok & (hnext <= eps * h0)
        hn = np.where(brk | ~live, 0.0, hnext)
        res = ls.add_column(col, hn, live)
        steps = j + 1
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
    Y = np.zeros((k, steps), dtype=host)
    for c in np.flatnonzero(run & finite):
        kc = int(its[c])
        if kc > 0:
            R, gc = ls.triangle(c, kc)
            Y[c, :kc] = _triangular_or_lstsq(R, gc)
    # A column that met NaN/Inf keeps Y = 0: no correction from it.
    dx_rows = basis.combine(to_dev(Y))
    return CycleResult(dx_rows.T, its, presid, happy, finite)


def _one_column(
    apply: Callable[[Any], Any], z: Any, beta: float, ptol: float, *, m: int, eps: float, on_step
) -> CycleResult:
    """:func:`gmres_cycle` for one column (``beta > 0``): the same steps, the bookkeeping on Python scalars.

    GMRES-IR's case: its cost per step is then that of the products and of
    the rotations, as in a scalar implementation.
    """
    xp = namespace(z)
    cplx = is_complex(z.dtype)
    basis = _Basis(xp, 1, m + 1, int(z.shape[0]), z)
    basis.append(z.T / beta)
    ls = _ColumnsLS(np.array([beta]), cplx)
    one = np.ones(1, dtype=bool)
    steps, presid, happy, finite = 0, beta, False, True
    for j in range(m):
        w = apply(basis.row(j).T).T  # B v_j, (1, n)
        w, col = _orthogonalize(xp, basis.upto(j + 1), w, cplx)
        hnext = float(_row_norms(xp, w)[0])
        h0 = math.hypot(float(np.linalg.norm(col[0, : j + 1])), hnext)  # ||B v_j||
        finite = math.isfinite(h0)
        happy = finite and hnext <= eps * h0
        presid = float(ls.add_column(col[:, : j + 1], np.array([0.0 if happy else hnext]), one)[0])
        steps = j + 1
        if on_step is not None:
            on_step(np.array([presid]), one.copy())
        if not finite or happy or presid <= ptol or not math.isfinite(presid) or steps == m:
            break
        basis.append(w / hnext)
    Y = np.zeros((1, steps), dtype=np.complex128 if cplx else np.float64)
    if finite:
        Y[0] = _triangular_or_lstsq(*ls.triangle(0, steps))
    dx = basis.combine(_to_dev(Y, z))
    return CycleResult(dx.T, np.array([steps]), np.array([presid]), np.array([happy]), np.array([finite]))


def _to_dev(v: np.ndarray, like: Any) -> Any:
    """A host array in ``like``'s backend, device and dtype."""
    if backend_name(like) != "numpy":
        return from_numpy(np.ascontiguousarray(v), like, like.dtype)
    return v.astype(like.dtype)


def _orthogonalize(xp, V: Any, w: Any, cplx: bool) -> tuple[Any, np.ndarray]:
    """CGS2: ``w`` (k, n) made orthogonal to the rows of ``V`` (k, j, n); returns ``(w, h)``, h on the host.

    One column goes through 2-D products (BLAS ``gemv``); several through
    batched ones.
    """
    if V.shape[0] == 1:
        V2, w1 = V[0], w[0]
        Vh = xp.conj(V2) if cplx else V2
        h = Vh @ w1
        w1 = w1 - h @ V2
        h2 = Vh @ w1
        w1 = w1 - h2 @ V2
        return w1[None, :], _host(h + h2)[None, :]
    Vh = xp.conj(V) if cplx else V
    h = (Vh @ w[:, :, None])[:, :, 0]
    w = w - (h[:, None, :] @ V)[:, 0, :]
    h2 = (Vh @ w[:, :, None])[:, :, 0]
    w = w - (h2[:, None, :] @ V)[:, 0, :]
    return w, _host(h + h2)


def _triangular_or_lstsq(R: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``R^{-1} g`` for the rotated Hessenberg ``R``; least squares if ``R`` is singular."""
    if np.all(np.diagonal(R) != 0):
        y = scipy.linalg.solve_triangular(R, g, check_finite=False)
        if np.all(np.isfinite(y)):
            return y
    return np.linalg.lstsq(R, g, rcond=None)[0]
