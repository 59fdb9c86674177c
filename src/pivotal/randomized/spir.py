"""Sketch-and-precondition least squares with iterative refinement: the solver of :func:`sketch_lstsq`.

The engine (:func:`solve`) behind :func:`pivotal.randomized.sketch_lstsq`, the Dask solver and
``pivotal.lstsq(method="sketch")``; a module of its own (not private) because ``lstsq``, outside
this package, calls it with options the public function does not take.

For a tall ``A`` (``m >> n``) of full column rank, ``sketch_lstsq`` solves
``min ||A x - b||_2`` in ``O(mn log(1/u) + d n^2)`` operations instead of the
``O(m n^2)`` of a Householder QR, and returns an answer that is *backward
stable* like QR's.

Algorithm
---------
1. **Sketch.**  ``B = S A`` with a random ``d x m`` embedding ``S``
   (:func:`pivotal.randomized.sketch`; sparse sign by default).  One pass
   over ``A``.
2. **Precondition.**  ``[B, S b] = Q [R, c]`` (Householder QR, ``R`` only)
   and ``R = U_R diag(s) V^H`` (SVD of the ``n x n`` ``R``), so ``B = (Q U_R)
   diag(s) V^H``.  The preconditioner is ``P = V diag(s)^{-1}``: ``A P`` has
   singular values in ``[1/(1+eta), 1/(1-eta)]`` where ``eta`` is the
   sketch's distortion (about ``sqrt(n/d)``), whatever ``kappa(A)`` is.
   ``s`` also gives ``||A||_2 ~ s[0]``, the rank test ``s[-1]/s[0]`` and the
   backward-error estimate below.
3. **Warm start** from sketch-and-solve: ``x_0 = argmin ||S(A x - b)|| = P
   U_R^H c``.
4. **Iterate** -- SPIR, sketch-and-precondition with iterative refinement
   (Epperly, Meier & Nakatsukasa, arXiv:2406.03468 v3; their reference code
   is ``spir.m`` with ``solver='lsqr'`` in
   github.com/eepperly/Stable-Randomized-Least-Squares).  Repeat: ``r = b -
   A x`` (in working precision, from the current ``x``); solve the
   correction problem ``min ||(A P) dy - r||`` by LSQR (Paige & Saunders
   1982, written here, its recurrences batched over the columns of ``b``);
   ``x <- x + P dy``.  The first solve is plain sketch-and-precondition
   from the warm start (skipped for columns whose warm start already meets
   ``tol``); the second, the refinement step, always runs, as in SPIR (it
   costs a few iterations and brings the forward error down to Householder
   QR's level); a third runs only for columns whose backward-error estimate
   still exceeds ``tol``.  Each LSQR iteration reduces the error by about
   ``eta``, so a solve takes ``O(log(1/tol) / log(1/eta))`` iterations
   whatever ``kappa(A)`` is.  LSQR stops (per column) when the backward-error
   estimate of ``x + P y_i``, evaluated from the recurrence at the cost of
   ``O(n^2)``, meets ``tol`` (first solve) or ``tol / 4`` (refinement
   solves, so that the final check rarely fails), when its update drops
   below rounding level, or after ``maxiter`` iterations; in the first solve
   also at the forward-error floor of plain sketch-and-precondition
   (``||dy_i|| <= u (||y|| + 0.04 kappa ||r||)``, the reference code's
   rule).
5. **Check.**  The backward error of the final ``x`` is estimated from its
   true residual; columns that still miss ``tol`` are solved by Householder
   QR (as ``pivotal.lstsq(method="qr")``), and ``info`` records it.  A sketch
   that shows ``A`` to be numerically rank deficient (``s[-1] <= 10 max(n,
   10) u s[0]``) sends the problem to the minimum-norm direct solver
   (Householder QR, then the SVD of ``R``) before any iteration.

Departures from the reference code: the columns of ``A`` are not rescaled;
numerically rank-deficient problems go to the direct solver instead of a
regularized preconditioner; LSQR's stopping test is the recurrence's
backward-error estimate at every iteration (rather than the true estimate
every five iterations); at most three solves.

Why refinement
--------------
Plain sketch-and-precondition (``refine=False``) is forward stable but not
backward stable: rounding errors made while applying the ill-conditioned
``P`` leave the residual far from orthogonal to ``range(A)`` when ``kappa(A)``
and ``||r||`` are large.  Recomputing the residual of the current ``x`` in
working precision and solving for the correction is what restores backward
stability; Epperly, Meier & Nakatsukasa prove that two such solves suffice.

One pass per iteration
----------------------
An LSQR iteration needs ``A z`` and then ``A^H t`` with ``t = A z - alpha
u``.  On NumPy and PyTorch-CPU both products are formed block of rows by
block of rows, so each block of ``A`` is read from memory once per
iteration (the problem is memory bound: this halves the traffic).  On GPUs
the two products are plain matrix products.

The backward-error estimate
---------------------------
For an approximate solution ``x`` with residual ``r = b - A x`` the smallest
``||dA||_F`` such that ``x`` solves ``min ||(A + dA) x - b||`` is (Walden,
Karlson & Sun 1995) within a factor ``sqrt(2)`` of the Karlson-Walden
estimate (Karlson & Walden 1997; Gratton 1996; Grcar, Saunders & Su 2007)::

    eta_KW(x) = ||(A^H A + w^2 I)^{-1/2} A^H r|| / ||x||,   w = ||r|| / ||x||.

Here ``A^H A`` is replaced by its sketch ``V diag(s)^2 V^H`` (as in
arXiv:2406.03468), which changes the estimate by at most the sketch's
distortion, and the result is reported relative to ``||A||_2 ~ s[0]``:
``backward_error = eta_KW(x) / s[0]``.  It costs one extra pass over ``A``
(the residual and ``A^H r`` are formed together).

References
----------
C. C. Paige and M. A. Saunders, "LSQR: An algorithm for sparse linear
equations and sparse least squares", ACM TOMS 8(1), 1982.

E. N. Epperly, M. Meier and Y. Nakatsukasa, "Fast randomized least-squares
solvers can be just as accurate and stable as classical direct solvers",
arXiv:2406.03468, 2024 (to appear in Comm. Pure Appl. Math.).

R. Karlson and B. Walden, "Estimation of optimal backward perturbation
bounds for the linear least squares problem", BIT 37, 1997.

S. Gratton, "On the condition number of linear least squares problems in a
weighted Frobenius norm", BIT 36, 1996.

J. F. Grcar, M. A. Saunders and Z. Su, "Estimates of optimal backward
perturbations for linear least squares problems", 2007.

B. Walden, R. Karlson and J.-G. Sun, "Optimal backward perturbation bounds
for the linear least squares problem", Numer. Linear Algebra Appl. 2, 1995.

M. Meier, Y. Nakatsukasa, A. Townsend and M. Webb, "Are sketch-and-precondition
least squares solvers numerically stable?", SIAM J. Matrix Anal. Appl., 2024.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._array import (
    backend_name,
    conj_transpose,
    device_of,
    is_complex,
    to_numpy,
    unit_roundoff,
)
from .._direct_lstsq import solve_qr, solve_qr_svd
from .._scaling import ldexp, max_abs, scale_exponent
from ..errors import LinAlgWarning
from .sketches import SketchingOperator
from .sketches import sketch as make_sketch

__all__ = ["Ops", "SketchLstsqInfo", "check_tall", "default_sketch_size", "set_cols", "solve"]

#: Refinement solves at most (the first, plain sketch-and-precondition solve included).
MAX_SOLVES = 3

#: First solve: also stop when the LSQR update is below ``u (||y|| + 0.04 kappa ||r||)``,
#: the forward-error floor of plain sketch-and-precondition (the reference code's rule).
_FLOOR_FACTOR = 0.04

#: Bytes of ``A`` per row block of the fused ``A^H (A z - c)`` pass (cache sized).
_BLOCK_BYTES = 4 * 2**20


@dataclass
class SketchLstsqInfo:
    """What :func:`sketch_lstsq` did, returned with ``return_info=True``.

    Attributes
    ----------
    method : str
        ``"spir"`` (sketch-and-precondition with iterative refinement),
        ``"sketch-and-precondition"`` (``refine=False``), ``"qr"`` (every
        column fell back to Householder QR) or ``"qr+svd"`` (the sketch
        showed ``A`` rank deficient: minimum-norm solution by Householder QR
        and the SVD of ``R``).
    sketch : str
        Kind of sketching operator; ``"identity"`` when ``m`` is not larger
        than the sketch size, in which case ``A`` itself is factored (no
        sketch, the preconditioner is ``A``'s own QR).
    sketch_size : int
        Rows ``d`` of the sketch (``m`` for ``"identity"``).
    iterations : list of int
        LSQR iterations of each solve (the first is the plain
        sketch-and-precondition solve, the others refinement steps); for
        several right-hand sides, the largest count over the columns.
    passes : int
        Passes over ``A``: the sketch, one per LSQR iteration and one per
        residual evaluation (a fallback's factorization comes on top).
    backward_error : float
        Largest, over the columns, estimated relative backward error
        ``eta_KW(x) / ||A||_2`` of the returned solution (see the module
        notes); for the fallbacks, that of the fallback's solution.
    backward_errors : ndarray
        The same per column of ``b``.
    rcond : float
        ``s_min / s_max`` of the sketch ``S A`` (``kappa(A)^{-1}`` up to the
        sketch's distortion).
    tol : float
        The backward-error target that was used.
    converged : bool
        Whether the sketched solver met ``tol`` in every column (False when
        it fell back or, with ``refine=False``, missed ``tol``).
    fallback : str or None
        ``None``; ``"backward_error"`` (some columns still missed ``tol``
        after refinement and were solved by Householder QR) or
        ``"rank_deficient"`` (the sketch's ``rcond`` is at most ``10
        max(n, 10) u``: minimum-norm solution by Householder QR and the SVD
        of ``R``, dropping singular values below that threshold).
    fallback_columns : list of int
        Columns of ``b`` that were solved by the fallback.
    rank : int
        ``n``, or the rank found by the rank-deficient fallback.
    residual_norms : ndarray
        ``||b - A x||_2`` per column of ``b``, from the last residual
        evaluation (free: it was needed for the backward-error estimate).
    path : list of str
        Human-readable steps, for example ``"solve 1: 23 LSQR iterations,
        backward error 3.1e-12"``.
    """

    method: str = "spir"
    sketch: str = ""
    sketch_size: int = 0
    iterations: list[int] = field(default_factory=list)
    passes: int = 0
    backward_error: float = 0.0
    backward_errors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rcond: float = float("nan")
    tol: float = 0.0
    converged: bool = True
    fallback: str | None = None
    fallback_columns: list[int] = field(default_factory=list)
    rank: int = 0
    residual_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        fb = f", fallback={self.fallback!r}" if self.fallback else ""
        return (
            f"SketchLstsqInfo(method={self.method!r}, sketch={self.sketch!r}, "
            f"sketch_size={self.sketch_size}, iterations={self.iterations}, "
            f"backward_error={self.backward_error:.2e}, tol={self.tol:.1e}, "
            f"rcond={self.rcond:.2e}, converged={self.converged}{fb})"
        )


# --------------------------------------------------------------------------- backend helpers


class Ops:
    """Matrix products with ``A`` and small dense helpers, on ``A``'s backend and device."""

    def __init__(self, a: Any):
        self.a = a
        self.torch = backend_name(a) == "torch"
        self.m, self.n = int(a.shape[0]), int(a.shape[1])
        self.dtype = a.dtype
        self.complex = is_complex(a.dtype)
        self.device = device_of(a)
        itemsize = a.element_size() if self.torch else a.dtype.itemsize
        if self.torch and a.device.type != "cpu":
            self.block = self.m  # one kernel each: GPUs are not helped by cache blocking
        else:
            self.block = max(64, _BLOCK_BYTES // max(1, self.n * itemsize))
        if self.torch:
            import torch

            self.xp = torch
        else:
            self.xp = np

    # -- arrays
    def zeros(self, shape):
        if self.torch:
            return self.xp.zeros(shape, dtype=self.dtype, device=self.a.device)
        return np.zeros(shape, dtype=self.dtype)

    def host(self, x) -> np.ndarray:
        return to_numpy(x)

    def dev(self, x: np.ndarray, real: bool = True):
        """A host float64 array on ``A``'s device in the (real) working precision."""
        if self.torch:
            import torch

            rdt = self.a.real.dtype if real else self.dtype
            return torch.as_tensor(np.ascontiguousarray(x), device=self.a.device).to(rdt)
        rdt = np.finfo(self.dtype).dtype if real else self.dtype
        return np.asarray(x, dtype=rdt)

    def colnorms(self, x) -> np.ndarray:
        """2-norms of the columns of ``x`` as a host float64 array."""
        if self.torch:
            import torch

            return torch.linalg.vector_norm(x, dim=0).double().cpu().numpy()
        return np.linalg.norm(x, axis=0).astype(np.float64, copy=False)

    def take(self, x, idx: np.ndarray):
        if self.torch:
            import torch

            return x[:, torch.as_tensor(idx, device=x.device, dtype=torch.long)]
        return x[:, idx]

    # -- products with A
    def fused(self, z, c, alpha: np.ndarray | None):
        """``t = A z - c * alpha`` (``alpha`` per column) or, with ``alpha=None``, ``t = c - A z``;
        returns ``(t, A^H t)`` reading ``A`` once, block of rows by block of rows."""
        a = self.a
        k = z.shape[1]
        al = None if alpha is None else self.dev(alpha)[None, :]
        if self.block >= self.m:
            t = a @ z
            t = c - t if al is None else t - c * al
            return t, self._adj(a, t)
        t = self.zeros((self.m, k))
        w = self.zeros((self.n, k))
        for i0 in range(0, self.m, self.block):
            i1 = min(self.m, i0 + self.block)
            ab = a[i0:i1]
            tb = ab @ z
            if al is None:
                tb = c[i0:i1] - tb
            else:
                tb -= c[i0:i1] * al
            t[i0:i1] = tb
            w += self._adj(ab, tb)
        return t, w

    def _adj(self, a, t):
        """``a^H t`` without copying ``a`` (a conjugate copy of ``A`` would double the memory)."""
        if self.complex:
            return conj_transpose(conj_transpose(t) @ a)
        return a.T @ t

    def set_cols(self, x, idx: np.ndarray, val):
        """``x`` with columns ``idx`` replaced by ``val`` (in place here)."""
        return set_cols(self, x, idx, val)

    # -- the steps that differ between the in-memory and the Dask driver of solve
    #: The direct solver of the fallbacks, as the ``info.path`` messages name it.
    direct_name = "Householder QR"

    def sketch_products(self, b2, sketch, d: int, random_state, info: SketchLstsqInfo):
        """``S A`` and ``S b`` (``A`` and ``b`` themselves when ``d >= m``), recorded in ``info``."""
        if d >= self.m:
            # Sketching cannot shrink A: S = I, and the preconditioner is A's own QR.
            info.sketch, info.sketch_size = "identity", self.m
            info.path.append(f"m={self.m} <= sketch size {d}: no sketch (S = I), Householder QR of A")
            return self._products(None, b2)
        if isinstance(sketch, SketchingOperator):
            S = sketch
        else:
            S = make_sketch(sketch, d, self.m, random_state=random_state)
        info.sketch = S.kind
        info.path.append(f"sketch {S!r}")
        sa, sb = self._products(S, b2)
        info.passes += 1
        return sa, sb

    def _products(self, S: SketchingOperator | None, b2):
        """``S A`` and ``S b`` for the factorization (``A`` and ``b`` for ``S=None``)."""
        if S is None:
            return self.a, b2
        return _sketch_products(S, self.a, b2)

    def direct(self, bsub, cond: float | None) -> tuple[Any, int]:
        """Direct least squares of the columns ``bsub``: Householder QR, or with ``cond`` the
        minimum-norm solution from the SVD of ``R`` (singular values below ``cond s_max``
        dropped).  Returns ``(x, rank)``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgWarning)
            if cond is not None:
                sol = solve_qr_svd(self.a, bsub, cond)
            else:
                sol = solve_qr(self.a, bsub, 2 * unit_roundoff(self.dtype))
        return sol.x, sol.rank

    def max_abs(self, b2) -> tuple[float, float]:
        """``(max |a_ij|, max |b_ij|)``: one pass over ``A`` (and ``b``)."""
        return max_abs(self.a), max_abs(b2)

    def rescaled(self, e: int) -> Ops:
        """The operations on ``2**e A`` (``self`` for ``e == 0``; a scaled copy of ``A`` otherwise)."""
        return self if e == 0 else type(self)(ldexp(self.a, e))


class _Precond:
    """``P = V diag(s)^{-1}`` from the SVD of the sketch's ``R``."""

    def __init__(self, ops: Ops, s_host: np.ndarray, vh):
        self.ops = ops
        self.s = s_host  # host float64, descending
        self.s_dev = ops.dev(s_host)[:, None]
        self.vh = vh
        self.v = conj_transpose(vh)

    def apply(self, y):
        """``P y``."""
        return self.v @ (y / self.s_dev)

    def apply_h(self, w):
        """``P^H w``."""
        return (self.vh @ w) / self.s_dev

    def kw(self, r_norm: np.ndarray, vh_g, x_norm: np.ndarray) -> np.ndarray:
        """Karlson-Walden estimate per column from ``||r||``, ``V^H A^H r`` and ``||x||``.

        ``||(diag(s)^2 + w^2 I)^{-1/2} V^H A^H r|| / ||x||`` with ``w = ||r|| / ||x||``;
        ``||A^H r|| / ||r||`` for ``x = 0`` and 0 for ``r = 0``.
        """
        g = np.abs(self.ops.host(vh_g)).astype(np.float64, copy=False)
        out = np.zeros(r_norm.shape[0])
        zero_x = (x_norm == 0) & (r_norm > 0)
        if zero_x.any():  # x = 0 solves the perturbed problem iff (A + dA)^H b = 0
            out[zero_x] = np.linalg.norm(g[:, zero_x], axis=0) / r_norm[zero_x]
        ok = (x_norm > 0) & (r_norm > 0)
        if ok.any():
            # relative to s[0], so that the squares neither overflow nor underflow
            s0 = self.s[0]
            w = (r_norm[ok] / x_norm[ok]) / s0
            scaled = (g[:, ok] / s0) / np.sqrt((self.s[:, None] / s0) ** 2 + w[None, :] ** 2)
            out[ok] = np.linalg.norm(scaled, axis=0) / x_norm[ok]
        return out


# --------------------------------------------------------------------------- LSQR


def _lsqr(
    ops: Ops,
    pre: _Precond,
    r,
    g,
    x,
    *,
    target: float,
    maxiter: int,
    u: float,
    floor: float = 0.0,
) -> tuple[Any, np.ndarray]:
    """Preconditioned LSQR for the corrections ``min ||A P dy - r||`` (columns batched).

    ``r`` (m, k) is the current residual ``b - A x``, ``g = A^H r`` (n, k)
    and ``x`` (n, k) the current solution.  Returns ``(P dy, iterations)``.

    Stopping, per column, after iteration ``i`` (Paige & Saunders' quantities):

    * the Karlson-Walden estimate of ``x + P y_i``, computed from the
      recurrence -- ``||r_i|| = phibar`` and ``(A P)^H r_i = phibar alpha c
      v_{i+1}``, the vector behind Paige & Saunders' estimate of
      ``||(A P)^H r_i||`` -- is at most ``target`` (absolute: ``tol s[0]``
      in the first solve, ``tol s[0] / 4`` in the refinement solves);
    * or the update of ``y`` is below rounding, ``||dy_i|| <= u (||y_total||
      + floor ||r_i||)`` (``floor = 0.04 kappa`` in the first solve, else 0);
    * or ``beta`` or ``alpha`` vanished (the solution is exact);
    * or ``maxiter`` iterations were made.
    """
    k = r.shape[1]
    its = np.zeros(k, dtype=np.int64)
    dx_out = ops.zeros((ops.n, k))
    beta = ops.colnorms(r)
    # columns with r == 0 or A^H r == 0 are solved already
    v = pre.apply_h(g)
    alpha_raw = ops.colnorms(v)
    alpha = np.divide(alpha_raw, beta, out=np.zeros_like(beta), where=beta > 0)
    active = np.nonzero((beta > 0) & (alpha > 0))[0]
    if active.size == 0:
        return dx_out, its
    if active.size < k:
        r, v, x = ops.take(r, active), ops.take(v, active), ops.take(x, active)
        beta, alpha, alpha_raw = beta[active], alpha[active], alpha_raw[active]
    uvec = r / ops.dev(beta)[None, :]
    v = v / ops.dev(alpha_raw)[None, :]
    w = v
    y = ops.zeros((ops.n, active.size))
    phibar = beta.copy()
    rhobar = alpha.copy()
    y_base = pre.s_dev * (pre.vh @ x)  # y-coordinates of the current x
    done = np.zeros(active.size, dtype=bool)
    for it in range(1, maxiter + 1):
        # Golub-Kahan step, one pass over A: t = A P v - alpha u, A^H t.
        t, aht = ops.fused(pre.apply(v), uvec, alpha)
        beta = ops.colnorms(t)
        safe_b = np.where(beta > 0, beta, 1.0)
        uvec = t / ops.dev(safe_b)[None, :]
        p = pre.apply_h(aht) / ops.dev(safe_b)[None, :] - v * ops.dev(beta)[None, :]
        alpha = ops.colnorms(p)
        safe_a = np.where(alpha > 0, alpha, 1.0)
        v = p / ops.dev(safe_a)[None, :]
        # plane rotation
        rho = np.hypot(rhobar, beta)
        c = rhobar / rho
        s = beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        step = w * ops.dev(phi / rho)[None, :]
        y = y + step
        w = v - w * ops.dev(theta / rho)[None, :]
        its[active[~done]] += 1
        # stopping tests (host arithmetic on k numbers and n x k arrays)
        step_norm = ops.colnorms(step)
        y_tot_norm = ops.colnorms(y_base + y)
        x_new = x + pre.apply(y)
        x_norm = ops.colnorms(x_new)
        # (A P)^H r_i = phibar alpha c v  =>  V^H A^H r_i = diag(s) (phibar alpha c) v
        vh_g = pre.s_dev * v * ops.dev(phibar * alpha * c)[None, :]
        kw = pre.kw(phibar, vh_g, x_norm)
        stop = (kw <= target) | (step_norm <= u * (y_tot_norm + floor * phibar)) | (beta == 0) | (alpha == 0)
        newly = stop & ~done
        if newly.any() or it == maxiter:
            fin = np.nonzero(newly if it < maxiter else ~done)[0]
            dx = pre.apply(ops.take(y, fin) if fin.size < y.shape[1] else y)
            set_cols(ops, dx_out, active[fin], dx)
            done |= newly
            if done.all() or it == maxiter:
                break
            keep = np.nonzero(~done)[0]
            # compact the active set
            uvec, v, w, y, x, y_base = (ops.take(a_, keep) for a_ in (uvec, v, w, y, x, y_base))
            alpha, phibar, rhobar = alpha[keep], phibar[keep], rhobar[keep]
            active = active[keep]
            done = done[keep]
    return dx_out, its


# --------------------------------------------------------------------------- driver


def default_sketch_size(m: int, n: int) -> int:
    """``6 n`` (``8 n`` for ``m >= 200 n``, where the passes over ``A`` dominate), at least ``n + 32``."""
    return max((8 if m >= 200 * n else 6) * n, n + 32)


def _sketch_products(S: SketchingOperator, a, b):
    """``S A`` and ``S b``.

    ``A`` and ``b`` were checked for NaN/Inf (or the caller opted out) by
    :func:`sketch_lstsq`, so the operator does not scan them again.  The
    sparse sign sketch applies itself as a cache-blocked CSC product (a
    zero-copy NumPy view for CPU tensors), see :class:`SparseSignSketch`.
    """
    return S.apply_left(a, check_finite=False), S.apply_left(b, check_finite=False)


def _factor_sketch(ops: Ops, sa, sb):
    """QR of ``[S A, S b] = Q [[R, c], [0, *]]`` (``R`` only) and ``R = U_R diag(s) V^H``.

    Returns ``(s, U_R, V^H, c)`` with ``s`` as a host float64 array.
    """
    n = ops.n
    if ops.torch:
        import torch

        aug = torch.cat([sa, sb], dim=1)
        raug = torch.linalg.qr(aug, mode="r")[1]
        r, c = raug[:n, :n], raug[:n, n:]
        uu, s, vh = torch.linalg.svd(r, full_matrices=False)
    else:
        import scipy.linalg as sl

        aug = np.concatenate([sa, sb], axis=1)
        raug = sl.qr(aug, mode="r", check_finite=False, overwrite_a=True)[0]
        r, c = np.triu(raug[:n, :n]), raug[:n, n:]
        uu, s, vh = sl.svd(r, full_matrices=False, check_finite=False, lapack_driver="gesdd")
    s_host = to_numpy(s).astype(np.float64)
    return s_host, uu, vh, c


def check_tall(m: int, n: int) -> None:
    """``sketch_lstsq`` solves overdetermined problems only."""
    if m < n:
        raise ValueError(
            f"sketch_lstsq needs a tall matrix (m >= n), got A of shape {m}x{n}; for "
            "underdetermined (wide) problems use pivotal.lstsq, which returns the "
            "minimum-norm solution."
        )


def solve(
    a,
    b2,
    *,
    sketch,
    d: int,
    tol: float,
    maxiter: int | None,
    refine: bool,
    random_state,
    rank_tol: float | None = None,
    fallback_cond: float | None = None,
    scale: bool = True,
    check_finite: bool = False,
):
    """The solver on a validated 2-D ``a`` (m, n) and ``b2`` (m, k) of one working dtype.

    ``a`` is the matrix or an :class:`Ops` wrapping it: the Dask driver
    (:mod:`pivotal.randomized._dask_lstsq`) passes its ``_DaskOps``, whose
    sketch products and direct solver (TSQR) replace the in-memory ones;
    the control flow is this one.  ``rank_tol`` raises the rank threshold
    on the sketch's ``rcond`` above the default ``10 max(n, 10) u``; the
    rank-deficient fallback drops the singular values of ``A`` below
    ``fallback_cond * s_max`` (default: the rank threshold).

    ``scale``: first scale ``A`` and ``b`` by powers of two into LAPACK's
    safe range (:mod:`pivotal._scaling`; one pass over ``A``, which also
    refuses NaN/Inf with ``check_finite``), as ``xGELSD`` does, and unscale
    ``x`` and the residual norms at the end; the sketch and the
    Karlson-Walden estimate square their input.  ``pivotal.lstsq`` passes
    ``scale=False``: it scaled the problem already.  Returns ``(x, info)``.
    """
    ops = a if isinstance(a, Ops) else Ops(a)
    n, k = ops.n, int(b2.shape[1])
    info = SketchLstsqInfo(
        method="spir" if refine else "sketch-and-precondition", sketch_size=d, tol=tol, rank=n
    )
    ea = eb = 0
    if scale:
        ops, b2, ea, eb = _scaled(ops, b2, info, check_finite)
    if n == 0 or k == 0:
        info.backward_errors = np.zeros(k)
        info.residual_norms = ldexp(ops.colnorms(b2), -eb) if k else np.zeros(0)
        return ops.zeros((n, k)), info
    x, info = _spir(ops, b2, info, sketch, d, tol, maxiter, refine, random_state, rank_tol, fallback_cond)
    info.residual_norms = ldexp(np.asarray(info.residual_norms, dtype=np.float64), -eb)
    return ldexp(x, ea - eb), info


def _scaled(ops: Ops, b2, info: SketchLstsqInfo, check_finite: bool):
    """``(ops of 2**ea A, 2**eb b, ea, eb)`` in the safe range (one pass over ``A``, counted in ``info``)."""
    anrm, bnrm = ops.max_abs(b2)
    info.passes += 1
    if check_finite and not (math.isfinite(anrm) and math.isfinite(bnrm)):
        raise ValueError(
            f"array must not contain infs or NaNs (found in {'A' if not math.isfinite(anrm) else 'b'}); "
            "clean the input, or pass check_finite=False if non-finite values are intended."
        )
    ea, eb = scale_exponent(anrm, ops.dtype), scale_exponent(bnrm, ops.dtype)
    if ea or eb:
        info.path.append(f"A scaled by 2**{ea} and b by 2**{eb} into the safe range (LAPACK's xGELSD rule)")
    return ops.rescaled(ea), ldexp(b2, eb), ea, eb


def _spir(
    ops: Ops,
    b2,
    info: SketchLstsqInfo,
    sketch,
    d,
    tol,
    maxiter,
    refine,
    random_state,
    rank_tol,
    fallback_cond,
):
    """Steps 1-5 of the module notes on the (scaled) problem; returns ``(x, info)``."""
    n, k = ops.n, int(b2.shape[1])
    u = unit_roundoff(ops.dtype)
    if maxiter is None:
        eta = min(math.sqrt(n / d), 0.9) if n else 0.5
        maxiter = 10 + 2 * math.ceil(math.log(u) / math.log(eta))

    # 1-2: sketch and precondition
    sa, sb = ops.sketch_products(b2, sketch, d, random_state, info)
    s_host, uu, vh, c = _factor_sketch(ops, sa, sb)
    del sa, sb
    smax = float(s_host[0])
    info.rcond = float(s_host[-1] / smax) if smax > 0 else 0.0
    pre = _Precond(ops, s_host, vh)
    default_rank_tol = 10 * max(n, 10) * u
    rank_tol = default_rank_tol if rank_tol is None else max(float(rank_tol), default_rank_tol)
    if not info.rcond > rank_tol:
        info.path.append(
            f"rcond of the sketch {info.rcond:.2e} <= {rank_tol:.1e}: A is (numerically) rank "
            f"deficient; minimum-norm solution by {ops.direct_name} + SVD of R"
        )
        info.converged = False
        cond = rank_tol if fallback_cond is None else fallback_cond
        return _fallback(ops, b2, np.arange(k), None, info, "rank_deficient", pre, cond)
    # 3: warm start from sketch-and-solve
    x = pre.apply(conj_transpose(uu) @ c)
    r, g = ops.fused(x, b2, None)
    info.passes += 1
    be = pre.kw(ops.colnorms(r), pre.vh @ g, ops.colnorms(x)) / smax
    info.path.append(f"sketch-and-solve: rcond {info.rcond:.2e}, backward error {float(be.max()):.2e}")
    # 4: LSQR solves for the corrections (SPIR)
    target = tol * smax / 4
    for step in range(MAX_SOLVES if refine else 1):
        # SPIR's second solve (the first refinement step) runs whatever the estimate
        # says: it costs a few iterations and brings the forward error to QR's level.
        idx = np.nonzero(be > (0.0 if step == 1 else tol))[0]
        if idx.size == 0:
            break
        every = idx.size == k
        sub = (lambda z: z) if every else (lambda z, idx=idx: ops.take(z, idx))
        # First solve: also stop at the forward-error floor of plain
        # sketch-and-precondition; the refinement that follows does the rest.
        floor = _FLOOR_FACTOR * smax / float(s_host[-1]) if (refine and step == 0) else 0.0
        # The first solve aims at tol (the refinement follows anyway), the others at tol / 4.
        aim = tol * smax if step == 0 else target
        dx, its = _lsqr(ops, pre, sub(r), sub(g), sub(x), target=aim, maxiter=maxiter, u=u, floor=floor)
        info.iterations.append(int(its.max()))
        info.passes += int(its.max())
        x = x + dx if every else ops.set_cols(x, idx, ops.take(x, idx) + dx)
        # the true residual, A^H r and the estimate of the columns that moved
        ri, gi = ops.fused(sub(x), sub(b2), None)
        info.passes += 1
        be[idx] = pre.kw(ops.colnorms(ri), pre.vh @ gi, ops.colnorms(sub(x))) / smax
        r = ri if every else ops.set_cols(r, idx, ri)
        g = gi if every else ops.set_cols(g, idx, gi)
        info.path.append(
            f"solve {step + 1}: {int(its.max())} LSQR iterations, backward error {float(be[idx].max()):.2e}"
        )
    info.backward_errors = be
    info.backward_error = float(be.max())
    info.residual_norms = ops.colnorms(r)
    info.converged = bool(info.backward_error <= tol)
    if info.converged:
        return x, info
    if not refine:
        warnings.warn(
            LinAlgWarning(
                f"sketch_lstsq(refine=False): estimated backward error {info.backward_error:.2e} "
                f"exceeds tol={tol:.1e}; plain sketch-and-precondition is not backward stable "
                "for ill-conditioned problems with large residuals. Use refine=True."
            ),
            stacklevel=4,  # sketch_lstsq's caller (through solve and _spir)
        )
        return x, info
    bad = np.nonzero(be > tol)[0]
    info.path.append(
        f"backward error {info.backward_error:.2e} > tol {tol:.1e} after {len(info.iterations)} "
        f"solve(s) in column(s) {bad.tolist()}: {ops.direct_name}"
    )
    return _fallback(ops, b2, bad, x, info, "backward_error", pre, None)


def set_cols(ops: Ops, x, idx: np.ndarray, val):
    """``x[:, idx] = val`` (in place); returns ``x``."""
    if ops.torch:
        import torch

        x[:, torch.as_tensor(idx, device=x.device, dtype=torch.long)] = val
    else:
        x[:, idx] = val
    return x


def _fallback(ops: Ops, b2, cols: np.ndarray, x, info: SketchLstsqInfo, reason: str, pre: _Precond, cond):
    """Solve columns ``cols`` of ``b2`` by ``ops.direct``; returns ``(x, info)``.

    ``"rank_deficient"``: the minimum-norm solution (singular values of
    ``R`` below ``cond * s_max`` dropped); otherwise ``R^{-1} Q^H b``
    (Householder QR in memory, TSQR on Dask).  The backward error of the
    new columns is estimated with the sketch's SVD.
    """
    k = int(b2.shape[1])
    every = cols.size == k
    bsub = b2 if every else ops.take(b2, cols)
    xs, rank = ops.direct(bsub, cond if reason == "rank_deficient" else None)
    if reason == "rank_deficient":
        info.method, info.rank = "qr+svd", rank
    elif every:
        info.method = "qr"
    x = xs if x is None or every else ops.set_cols(x, cols, xs)
    info.fallback = reason
    info.fallback_columns = [int(j) for j in cols]
    rs, gs = ops.fused(xs, bsub, None)
    info.passes += 1
    be = np.array(info.backward_errors, dtype=np.float64) if len(info.backward_errors) == k else np.zeros(k)
    be[cols] = pre.kw(ops.colnorms(rs), pre.vh @ gs, ops.colnorms(xs)) / float(pre.s[0])
    rn = np.array(info.residual_norms, dtype=np.float64) if len(info.residual_norms) == k else np.zeros(k)
    rn[cols] = ops.colnorms(rs)
    info.backward_errors, info.residual_norms = be, rn
    info.backward_error = float(be.max())
    return x, info
