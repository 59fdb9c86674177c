"""The matrix-free Gaussian-process likelihood: preconditioned CG, stochastic Lanczos quadrature, Hutchinson.

``K_hat = K(X, X) + diag_add`` is never formed.  One evaluation of the log
marginal likelihood (LML) and its gradient (Gardner, Pleiss, Bindel,
Weinberger and Wilson 2018, "GPyTorch: blackbox matrix-matrix Gaussian
process inference with GPU acceleration", NeurIPS; their mBCG) is:

1. **Preconditioner.**  A rank-``k`` pivoted Cholesky of ``K_hat`` from its
   diagonal and ``k`` of its columns (:func:`pivoted_cholesky_columns`),
   ``K_hat[p][:, p] ~ L L^T``, and ``P = L L^T + D`` with ``D`` the diagonal
   of the Schur complement (exact on the diagonal: ``diag P = diag K_hat``;
   on the ``k`` pivots, where the Schur complement is 0, ``D`` takes its
   smallest off-pivot value).  ``P^{-1}`` is applied by Woodbury through the
   ``k x k`` Cholesky of ``C = I + L^T D^{-1} L``, and ``log det P =
   sum log D + log det C`` exactly.
2. **Probes** ``z_i = L e_i + D^{1/2} f_i`` (``i = 1..t``), so ``z ~ N(0, P)``;
   ``e_i, f_i`` are standard normal, drawn once per fit: every evaluation
   uses the same ones, so the optimiser sees one deterministic function.
3. **One batched CG** (:func:`pivotal.krylov.cg`, preconditioner ``P^{-1}``)
   on the right-hand sides ``[y, z_1..z_t]``: ``alpha = K_hat^{-1} y`` and
   ``u_i = K_hat^{-1} z_i``, each product ``K_hat V`` a row-blocked kernel
   product (:meth:`Kernel.matmul`, memory ``O(block x n)``).
4. **log det by stochastic Lanczos quadrature** (Ubaru, Chen and Saad 2017)
   with the preconditioner's exact part: ``log det K_hat = log det P +
   tr log(P^{-1/2} K_hat P^{-1/2})``, and with ``w_i = P^{-1/2} z_i ~
   N(0, I)`` the trace is ``E[w^T log(.) w] ~ (1/t) sum_i ||w_i||^2 e_1^T
   log(T_i) e_1``, ``T_i`` the Lanczos tridiagonal read off the CG
   coefficients of column ``i`` (``info.extra["lanczos"]``) and
   ``||w_i||^2 = z_i^T P^{-1} z_i``.  No extra products.
5. **Gradient traces by Hutchinson** with the same probes, the preconditioner
   as a control variate: ``tr(K_hat^{-1} dK) = tr(P^{-1} dK) + E[(P^{-1} z)^T
   dK (K_hat^{-1} z - P^{-1} z)]``, the first term exact.  So
   ``dLML/dtheta_j = 1/2 sum_ik W_ik dK_ik/dtheta_j`` with
   ``W = alpha alpha^T - m P^{-1} - (m/t) V (U - V)^T`` (``U = K_hat^{-1} Z``,
   ``V = P^{-1} Z``) and ``P^{-1} = D^{-1} - G (D^{-1} L)^T``, a rank
   ``m + t + k`` matrix plus a diagonal, contracted by the kernel in row
   blocks without forming ``W`` (:meth:`Kernel.contract_gradient` with a
   triple ``(A, B, d)``).

**Error.**  The quadratic term ``y^T alpha`` has the CG error (``rtol``).
The log determinant's estimate is unbiased up to the Lanczos truncation;
its standard error is ``std(gamma_i) / sqrt(t)`` (``gamma_i`` the per-probe
estimates), reported as ``logdet_stderr``, and it is small because
``P^{-1/2} K_hat P^{-1/2}`` is near ``I`` (a good preconditioner shrinks the
variance, not only the iterations).  The gradient's trace term has standard
deviation ``sqrt(2/t) ||sym(C^{-1} dK_j (K_hat^{-1} - P^{-1}) C)||_F`` per
component (``P = C C^T``; Hutchinson with Gaussian probes): it vanishes as
``P`` approaches ``K_hat``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from ..errors import NotPositiveDefiniteError
from ..kernels.pivoted_cholesky import pivoted_cholesky_columns
from ..krylov import cg
from . import _gp_cost
from .kernels.base import for_row_blocks

__all__ = [
    "CG_DEFAULTS",
    "STORE_FRACTION",
    "IterativeLML",
    "KernelOperator",
    "LowRankPlusDiagonal",
    "Probes",
    "iterative_lml",
    "solve",
    "store_kernel_choice",
]

#: Defaults of ``cg_options``: probes ``t``, preconditioner rank ``k``, CG's relative tolerance and iteration
#: cap, and whether ``K_hat`` is stored (``"auto"``: when it fits :data:`STORE_FRACTION` of the memory).
CG_DEFAULTS = {"probes": 16, "rank": 100, "rtol": 1e-6, "maxiter": 1000, "store_kernel": "auto"}

#: ``store_kernel="auto"`` stores ``K_hat`` (``8 n^2`` bytes) when that is at most this fraction of the
#: physical memory.
STORE_FRACTION = 0.25


def store_kernel_choice(n: int, setting: Any) -> tuple[bool, str]:
    """``(store, why)`` for ``cg_options["store_kernel"]`` (``"auto"``, ``True`` or ``False``).

    A stored ``K_hat`` turns each CG product into one BLAS-3 product (``2 n^2 c`` flops for ``c``
    columns) instead of recomputing the ``n^2`` kernel entries (an ``exp`` each, about 10 ns on a
    machine without a vectorised ``exp``): at ``n = 4000`` one product with 17 columns took 0.04 s
    against 0.13 s per ``n = 2000`` pass recomputed.  Memory is then ``8 n^2`` bytes instead of
    ``O(n x block)``; ``"auto"`` stores only when that fits :data:`STORE_FRACTION` of the memory.
    """
    need = 8.0 * n * n
    mem = _gp_cost.physical_memory()
    size = f"{need / 2**20:.0f} MiB"
    if setting == "auto":
        if need <= STORE_FRACTION * mem:
            return True, f"stored ({size}, auto: at most {STORE_FRACTION:g} of {mem / 2**30:.0f} GiB memory)"
        return False, f"row blocks (auto: storing would take {size}, over {STORE_FRACTION:g} of the memory)"
    if setting:
        return True, f"stored ({size}, requested)"
    return False, "row blocks (requested)"


class KernelOperator:
    """``K_hat = K(X, X) + diag(diag_add)`` for :func:`pivotal.krylov.cg`: stored, or as row-block products.

    With ``store=True`` the matrix is computed once (``8 n^2`` bytes) and every
    product is one GEMM; otherwise each product recomputes ``K``'s row blocks
    (memory ``O(block x n)``).  Both give the products of the same matrix
    ``self.kernel(X)`` up to the GEMM's rounding.
    """

    def __init__(self, kernel: Any, X: np.ndarray, diag_add: Any, *, store: bool = False):
        self.kernel, self.X = kernel, X
        n = X.shape[0]
        self.diag_add = np.broadcast_to(np.asarray(diag_add, dtype=float), (n,))
        self.shape = (n, n)
        self.dtype = np.dtype(float)
        self.K = None
        if store:
            K = np.require(kernel._matrix(X, None), dtype=float, requirements=["C", "W", "O"])
            K.flat[:: n + 1] += self.diag_add
            self.K = K

    def matmat(self, V: np.ndarray) -> np.ndarray:
        if self.K is not None:
            return self.K @ V
        out = self.kernel.matmul(self.X, V)
        out += self.diag_add[:, None] * V
        return out

    def column(self, i: int) -> np.ndarray:
        if self.K is not None:
            return self.K[i].copy()  # symmetric: row i, contiguous
        c = self.kernel._rows(self.X, i, i + 1)[0].copy()
        c[i] += self.diag_add[i]
        return c

    def diagonal(self) -> np.ndarray:
        if self.K is not None:
            return self.K.diagonal().copy()
        return np.asarray(self.kernel.diag(self.X), dtype=float) + self.diag_add

    def row_abs_sums(self) -> np.ndarray:
        """``sum_k |K_hat_ik|`` for every row (one pass over row blocks): ``||K_hat||_inf`` is the max."""
        n = self.shape[0]
        out = np.empty(n)

        def block(i0: int, i1: int) -> None:
            if self.K is not None:
                blk = np.abs(self.K[i0:i1])
            else:
                blk = self.kernel._rows(self.X, i0, i1)
                blk[np.arange(i1 - i0), np.arange(i0, i1)] += self.diag_add[i0:i1]
                np.abs(blk, out=blk)
            out[i0:i1] = blk.sum(axis=1)

        for_row_blocks(block, n, n)
        return out


class LowRankPlusDiagonal:
    """``P = L L^T + diag(d)`` (``L`` of shape ``(n, k)``, ``d > 0``), applied as ``P^{-1}`` by Woodbury."""

    def __init__(self, L: np.ndarray, d: np.ndarray):
        self.L, self.d = L, d
        self.shape = (L.shape[0], L.shape[0])
        self.dtype = np.dtype(float)
        self._Ld = L / d[:, None]  # D^{-1} L
        C = np.eye(L.shape[1]) + L.T @ self._Ld
        self._C = scipy.linalg.cho_factor(C, lower=True, check_finite=False)
        self.logdet = float(np.sum(np.log(d)) + 2.0 * np.sum(np.log(np.diag(self._C[0]))))

    def matmat(self, R: np.ndarray) -> np.ndarray:
        """``P^{-1} R = D^{-1} R - D^{-1} L C^{-1} L^T D^{-1} R``."""
        out = R / self.d[:, None]
        if self.L.shape[1]:
            out -= self._Ld @ scipy.linalg.cho_solve(self._C, self._Ld.T @ R, check_finite=False)
        return out

    def low_rank_inverse_part(self) -> np.ndarray:
        """``G = D^{-1} L C^{-1}``: ``P^{-1} = D^{-1} - G (D^{-1} L)^T``."""
        if not self.L.shape[1]:
            return np.empty_like(self.L)
        return scipy.linalg.cho_solve(self._C, self._Ld.T, check_finite=False).T

    def sample(self, e: np.ndarray, f: np.ndarray) -> np.ndarray:
        """``L e + D^{1/2} f``: ``N(0, P)`` for standard normal ``e`` (``(k, t)``) and ``f`` (``(n, t)``)."""
        return self.L @ e + np.sqrt(self.d)[:, None] * f


@dataclass(frozen=True)
class Probes:
    """The standard normal draws behind the probes, fixed for a fit: ``e`` (``(rank, t)``), ``f`` (``(n, t)``)."""

    e: np.ndarray
    f: np.ndarray

    @classmethod
    def draw(cls, rng: Any, n: int, rank: int, t: int) -> Probes:
        return cls(rng.standard_normal((rank, t)), rng.standard_normal((n, t)))


def pivoted_preconditioner(op: KernelOperator, rank: int) -> tuple[LowRankPlusDiagonal, dict]:
    """``P = L L^T + D`` from a rank-``rank`` pivoted Cholesky of ``K_hat`` (module notes, step 1)."""
    n = op.shape[0]
    diag = op.diagonal()
    res = pivoted_cholesky_columns(diag, op.column, n, rank=min(rank, n))
    if res.stop_reason == "not_psd":
        raise NotPositiveDefiniteError(
            int(res.perm[res.rank]) if res.rank < n else 0,
            f"K + alpha*I is not positive semidefinite: the pivoted Cholesky preconditioner found {res.failure}",
        )
    k = res.rank
    L = np.empty((n, k))
    L[res.perm] = res.L
    d = np.empty(n)
    rest = np.asarray(res.residual_diag, dtype=float)
    d[res.perm[k:]] = rest
    # On the pivots the Schur complement is exactly 0; D takes the smallest remaining value there,
    # floored at u * max(diag K_hat) so that D^{-1} is finite (a numerically low-rank K_hat).
    floor = float(np.finfo(float).eps * np.max(diag))
    fill = float(rest.min()) if rest.size else float(np.min(diag))
    d[res.perm[:k]] = max(fill, floor)
    np.maximum(d, floor, out=d)
    return LowRankPlusDiagonal(L, d), {"rank": k, "stop": res.stop_reason, "schur_max": res.residual_max}


@dataclass
class IterativeLML:
    """One matrix-free evaluation: the LML, its gradient, ``alpha = K_hat^{-1} y`` and what it took.

    With ``iterative_lml(..., residual=True)``, also ``residual = y - K_hat alpha`` and
    ``k_inf = ||K_hat||_inf`` (a backward error's ingredients); ``None`` otherwise.
    """

    lml: float
    gradient: np.ndarray | None
    alpha: np.ndarray
    stats: dict
    preconditioner: LowRankPlusDiagonal
    residual: np.ndarray | None = None
    k_inf: float | None = None


def _gauss_log(d: np.ndarray, e: np.ndarray) -> float:
    """``e_1^T log(T) e_1`` for the symmetric tridiagonal ``T`` with diagonal ``d`` and off-diagonal ``e``."""
    if d.size == 0:
        return 0.0
    w, Q = scipy.linalg.eigh_tridiagonal(d, e)
    if w[0] <= 0:
        raise NotPositiveDefiniteError(
            0, f"a Lanczos Ritz value of the preconditioned K + alpha*I is {w[0]:.3g} <= 0."
        )
    return float(np.sum(Q[0] ** 2 * np.log(w)))


def solve(op: Any, P: LowRankPlusDiagonal, B: np.ndarray, *, rtol: float, maxiter: int):
    """``K_hat^{-1} B`` by batched preconditioned CG; a breakdown raises ``NotPositiveDefiniteError``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a CG breakdown means K_hat is not positive definite
        try:
            S, info = cg(op, B, rtol=rtol, maxiter=maxiter, M=P, return_info=True, check_finite=False)
        except Warning as w:
            raise NotPositiveDefiniteError(0, f"CG broke down on K + alpha*I: {w}") from None
    if not np.all(np.isfinite(S)):
        raise NotPositiveDefiniteError(0, "CG on K + alpha*I produced non-finite values (kernel overflow).")
    return S, info


def iterative_lml(
    kernel: Any,
    X: np.ndarray,
    Y: np.ndarray,
    diag_add: Any,
    probes: Probes,
    *,
    rank: int,
    rtol: float,
    maxiter: int,
    eval_gradient: bool,
    store: bool = False,
    residual: bool = False,
) -> IterativeLML:
    """The LML of targets ``Y`` (``(n, m)``) and its gradient, matrix-free (module notes).

    ``store``: keep ``K_hat`` in memory for the CG products (:class:`KernelOperator`); it is
    dropped on return.  ``residual``: also ``Y - K_hat alpha`` and ``||K_hat||_inf`` (one more
    product and one more pass over ``K_hat``).
    """
    n, m = Y.shape
    op = KernelOperator(kernel, X, diag_add, store=store)
    P, pinfo = pivoted_preconditioner(op, rank)
    t = probes.f.shape[1]
    Z = P.sample(probes.e[: P.L.shape[1]], probes.f)
    S, info = solve(op, P, np.hstack([Y, Z]), rtol=rtol, maxiter=maxiter)
    alpha, U = S[:, :m], S[:, m:]
    V = P.matmat(Z)  # P^{-1} z_i, and ||w_i||^2 = z_i^T P^{-1} z_i
    w2 = np.einsum("ij,ij->j", Z, V)
    gam = np.array([w2[i] * _gauss_log(*info.extra["lanczos"][m + i]) for i in range(t)])
    logdet = P.logdet + float(gam.mean())
    lml = float(
        -0.5 * np.einsum("ik,ik->", Y, alpha) - 0.5 * m * logdet - 0.5 * m * n * math.log(2 * math.pi)
    )
    bnorm = np.linalg.norm(np.hstack([Y, Z]), axis=0)
    rel = info.residual_norms / np.where(bnorm > 0, bnorm, 1.0)
    stats = {
        "rank": pinfo["rank"],
        "schur_max": pinfo["schur_max"],
        "probes": t,
        "iterations": int(info.iterations.max(initial=0)),
        "iterations_mean": float(info.iterations.mean()) if info.iterations.size else 0.0,
        "relative_residual": float(rel.max(initial=0.0)),
        "converged": bool(info.converged.all()),
        "logdet_stderr": float(gam.std(ddof=1) / math.sqrt(t)) if t > 1 else math.inf,
    }
    stats["lml_stderr"] = 0.5 * m * stats["logdet_stderr"]
    grad = None
    if eval_gradient:
        # W = alpha alpha^T - m [P^{-1} + (1/t) sum_i v_i (u_i - v_i)^T]: the preconditioner's part
        # exactly (P^{-1} = D^{-1} - D^{-1} L C^{-1} L^T D^{-1}), the probes only for K^{-1} - P^{-1}.
        G = P.low_rank_inverse_part()
        A = np.hstack([alpha, (-m / t) * V, m * G])
        B = np.hstack([alpha, U - V, P._Ld])
        grad = 0.5 * kernel.contract_gradient(X, (A, B, -m / P.d))
    out = IterativeLML(lml, grad, alpha, stats, P)
    if residual:
        out.residual = Y - op.matmat(alpha)
        out.k_inf = float(op.row_abs_sums().max())
    return out
