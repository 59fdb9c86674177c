"""Block conjugate gradients for a family of shifted Hermitian systems ``(A + c_j I) x_j = b_j``.

One block Lanczos process on ``A``, started from all right-hand sides at once, builds the block Krylov
space ``K_j(A, B) = span[B, A B, ..., A^(j-1) B]``; every column takes the Galerkin (CG) solution in
that one space.  Krylov spaces do not change under a shift (``K_j(A + c I, B) = K_j(A, B)``), so the
``k`` systems share it even when each has its own shift ``c_j``.  For one column this is CG (in exact
arithmetic the same iterates); for ``k`` columns each column's space holds the other columns'
directions too, so it converges in fewer steps than ``k`` separate CG runs (it resolves the ``k j``
extreme eigenvalues after ``j`` steps, where one CG run resolves ``j``), for the same block product
per step.

References: D. P. O'Leary, "The block conjugate gradient algorithm and related methods", Linear
Algebra Appl. 29 (1980); for shifted systems in one Krylov space, A. Frommer, "BiCGStab(l) for
families of shifted linear systems", Computing 70 (2003), and the block Lanczos of G. H. Golub and
R. Underwood (1977).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import from_numpy, is_complex, to_numpy
from ._system import finish, setup

__all__ = ["block_cg"]


def _ct(xp, x: Any) -> Any:
    return xp.conj(x.T) if is_complex(x.dtype) else x.T


def _orth_block(xp, Y: Any, drop: float) -> tuple[Any, np.ndarray]:
    """``(Q, C)`` with orthonormal ``Q`` and ``Y ~ Q C``: directions of ``Y`` below ``drop`` are left out.

    QR of ``Y``, then the SVD of its small ``R`` (on the host) reveals the rank; a block whose
    singular values fall below ``drop`` has (numerically) reached an invariant subspace there.
    """
    Q, R = xp.linalg.qr(Y)
    Rn = to_numpy(R)
    u, sv, vh = np.linalg.svd(Rn)
    keep = sv > drop
    if keep.all():
        return Q, Rn
    return Q @ from_numpy(np.ascontiguousarray(u[:, keep]), Q), sv[keep, None] * vh[keep]


def block_cg(
    A: Any,
    b: Any,
    *,
    shifts: Any = None,
    rtol: float = 1e-5,
    atol: float = 0.0,
    maxiter: int | None = None,
    return_info: bool = False,
    check_finite: bool = True,
    true_residual: bool = True,
):
    """Solve ``(A + c_j I) x_j = b_j`` for every column ``j`` by block CG in one shared Krylov space.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator, object with ``matmat``, or callable
        Hermitian ``(n, n)`` operator, as for :func:`~pivotal.krylov.cg`;
        applied to blocks of up to ``k`` columns.
    b : (n,) or (n, k) array
        Right-hand sides (NumPy, PyTorch or JAX; the iteration runs in
        that namespace and on that device).
    shifts : (k,) array_like of float, optional
        ``c_j`` (default 0).  Each ``A + c_j I`` must be positive definite.
    rtol, atol : float, optional
        Column ``j`` has converged when its residual is below
        ``max(rtol * ||b_j||, atol)``.
    maxiter : int, optional
        Block steps (one block product each), ``10 n`` by default; the
        iteration also stops when the space fills ``n`` dimensions or
        becomes invariant (then it is exact to rounding).
    return_info : bool, optional (keyword-only)
        Return a :class:`~pivotal.krylov.KrylovInfo` (``iterations``: the
        block step at which each column met its test; ``residual_norms``:
        the true residuals, from one more block product) instead of the
        integer ``info``.
    check_finite : bool, optional (keyword-only)
        Refuse NaN/Inf in ``b`` and an array or sparse ``A``.
    true_residual : bool, optional (keyword-only)
        With ``return_info``: ``True`` (default) computes the true
        residuals ``||b_j - (A + c_j I) x_j||`` with one more block
        product; ``False`` reports the recurrence's residual norms (the
        stopping test's values) at no cost.  With full
        reorthogonalisation the two agree to about
        ``n u ||A|| ||x_j||``; a caller that needs the product ``A x``
        anyway can check the true residual itself.

    Returns
    -------
    x : array of ``b``'s shape
    info : int or KrylovInfo
        ``0`` when every column converged, ``maxiter`` otherwise.

    Notes
    -----
    Block Lanczos with full reorthogonalisation (two Gram-Schmidt passes
    against the whole basis: the basis has at most ``k`` columns per step,
    and the solves this serves converge in a few steps), the projected
    matrix ``T = Q^H A Q`` formed from the computed inner products, and
    column ``j``'s Galerkin solution ``x_j = Q (T + c_j I)^{-1} Q^H b_j``.
    Its residual is ``Q_next B (last block of (T + c_j I)^{-1} Q^H b_j)``,
    whose norm is the stopping test.  A direction of a new block below
    ``10 n u max(||A Q_i||, ||T||)`` (rounding, as ``||T|| <= ||A||``) is
    dropped (deflation): the space is invariant there.
    Each step costs one product with a block of at most ``k`` columns and
    ``O(n d k)`` work for a basis of ``d`` columns.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.krylov import block_cg
    >>> rng = np.random.default_rng(0)
    >>> G = rng.standard_normal((50, 50)); A = G @ G.T / 50 + np.eye(50)
    >>> B = rng.standard_normal((50, 3)); c = np.array([0.0, 1.0, 2.0])
    >>> X, info = block_cg(A, B, shifts=c, rtol=1e-12)
    >>> info, all(np.allclose(np.linalg.solve(A + ci * np.eye(50), B[:, j]), X[:, j]) for j, ci in enumerate(c))
    (0, True)
    """
    sys = setup(
        "block_cg",
        A,
        b,
        None,
        rtol=rtol,
        atol=atol,
        maxiter=maxiter,
        M=None,
        maxiter_per_n=10,
        check_finite=check_finite,
    )
    xp, n, k = sys.xp, sys.n, sys.k
    c = (
        np.zeros(k)
        if shifts is None
        else np.asarray(to_numpy(shifts) if hasattr(shifts, "shape") else shifts)
    )
    if c.shape != (k,) or not np.isrealobj(c) or not np.all(np.isfinite(c)):
        raise ValueError(f"shifts must be {k} finite real numbers (one per column of b), got {shifts!r}.")
    c = c.astype(np.float64)
    c_dev = from_numpy(c, sys.b) if k else None

    def shifted(X):
        return sys.matmat(X) + X * xp.astype(c_dev, X.dtype)[None, :]

    tol = to_numpy(sys.tol).astype(np.float64)
    iters = np.zeros(k, dtype=np.int64)
    conv = np.zeros(k, dtype=bool)
    if n == 0 or k == 0:
        return finish(sys, "block_cg", sys.zeros(), iters, ~conv, conv, sys.maxiter, return_info, shifted)
    eps = float(sys.eps)
    bnorm = float(np.linalg.norm(to_numpy(sys.bnorm)))
    Qb, C0 = _orth_block(xp, sys.b, n * eps * bnorm)
    if Qb.shape[1] == 0:  # b = 0
        conv[:] = True
        return finish(sys, "block_cg", sys.zeros(), iters, conv, ~conv, sys.maxiter, return_info, shifted)
    blocks = [Qb]
    T = np.zeros((0, 0), dtype=C0.dtype)
    Z = None
    res = np.zeros(k)
    step = 0
    while True:
        step += 1
        Qj = blocks[-1]
        W = sys.matmat(Qj)
        Qall = blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=1)
        QallH = _ct(xp, Qall)
        H = QallH @ W
        P = W - Qall @ H
        H2 = QallH @ P
        P = P - Qall @ H2
        Hn = to_numpy(H + H2)
        d_old, d = T.shape[0], int(Qall.shape[1])
        Tn = np.zeros((d, d), dtype=np.result_type(T, Hn))
        Tn[:d_old, :d_old] = T
        Tn[:, d_old:] = Hn
        Tn[d_old:, :d_old] = Hn[:d_old].conj().T
        T = (Tn + Tn.conj().T) / 2
        # Column j's Galerkin solution (T + c_j I)^{-1} Q^H b_j for every shift from one eigendecomposition
        # of the small Hermitian T (its conditioning is that of T + c_j I, as for a direct solve).
        lam, E = np.linalg.eigh(T)
        rhs = E[: C0.shape[0]].conj().T @ C0  # E^H (Q^H b): Q^H b is C0 on the first block
        denom = lam[:, None] + c[None, :]
        if np.any(denom == 0):
            raise np.linalg.LinAlgError(
                "block_cg: the projected matrix T + c_j I is exactly singular; A + c_j I must be positive definite."
            )
        Z = E @ (rhs / denom)
        # Rounding leaves directions of about u ||A|| in P (||A|| >= ||T||), whatever the size of W.
        scale = max(float(np.linalg.norm(to_numpy(W))), float(np.abs(lam).max(initial=0.0)))
        Qn, Bn = _orth_block(xp, P, 10 * n * eps * scale)
        res = np.linalg.norm(Bn @ Z[d_old:], axis=0) if Bn.shape[0] else np.zeros(k)
        new = ~conv & (res <= tol)
        iters[~conv] = step
        conv |= new
        # No new direction (an invariant space): the residuals above are 0, the solutions exact.
        if conv.all() or Bn.shape[0] == 0 or d + Bn.shape[0] > n or step >= sys.maxiter:
            break
        blocks.append(Qn)
    Qall = blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=1)
    x = Qall @ from_numpy(np.ascontiguousarray(Z), Qall)
    return finish(
        sys, "block_cg", x, iters, conv, np.zeros(k, dtype=bool), sys.maxiter, return_info, shifted,
        residuals=None if true_residual else res,
    )  # fmt: skip
