"""Thick-restarted Golub-Kahan-Lanczos bidiagonalization for the largest singular triplets.

:func:`gkl_svds` finds the ``k`` largest singular triplets of ``A`` from
products ``A v`` and ``A^H u`` only (one of each per step, matrix-vector:
no ``A^H A`` operator, no block products), with full reorthogonalization
(classical Gram-Schmidt with the DGKS second pass) and the thick restart of Baglama and Reichel
(IRLBA; SIAM J. Sci. Comput. 27 (2005) 19-42).

The recurrence keeps orthonormal ``U_j`` (m x j), ``V_{j+1}`` (n x (j+1))
and a small ``j x (j+1)`` matrix ``M = U_j^H A V_{j+1}`` with

    A V_j = U_j M[:, :j],      A^H U_j = V_{j+1} M^H .

With ``M[:, :j] = P S Q^H`` (SVD) the Ritz triplets ``u = U_j p_i``,
``v = V_j q_i``, ``s_i`` satisfy ``A v = s u`` exactly and
``A^H u - s v = v_{j+1} (M[:, j]^H p_i)``, so ``|M[:, j]^H p_i|`` is the
residual of triplet ``i`` at no cost.  The iteration stops when the ``k``
largest have ``|M[:, j]^H p_i| <= tol s_1``.  A thick restart keeps the
``l = k + extra`` leading Ritz triplets: ``U_l = U_j P_l``, ``V_l = V_j Q_l``,
``v_{l+1} = v_{j+1}`` and ``M = [S_l, P_l^H M[:, j]]``, which satisfies the
same relations (``M[:, :l]`` diagonal, its last column an arrow), and the
next step continues from ``v_{l+1}``.

Why not ARPACK: SciPy's ``svds(solver="arpack")`` runs ``eigsh`` on
``A^H A``, two products per Lanczos step and the Ritz vectors of ``A^H A``
(their residuals in ``A`` about ``sqrt(eps)`` worse relative to small
singular values); here each step is one product with ``A`` and one with
``A^H``.

Repeated singular values.  Like every single-vector Krylov method
(ARPACK's included), the space from one start vector holds one direction
of each repeated singular value; the other copies enter through rounding
errors only, and the first cycle may converge to ``k`` genuine triplets
that are not the top ``k`` (``diag(1, 1, 1, 0.5, ...)``, ``k = 3``, gave
``(1, 0.5, 0.4)``).  So for ``k >= 2`` a converged result is checked:
the ``k`` triplets are locked (the arrow column, at most ``tol s_1``, is
dropped), the basis is extended by :data:`VERIFY_STEPS` steps from a fresh
random vector orthogonal to them (Golub-Kahan-Lanczos on ``A`` deflated
by the ``k`` found), and a Ritz value above ``s_k`` means a missed copy:
its direction is then in the basis and the iteration goes on (at most
``k`` such checks).  The check costs ``VERIFY_STEPS`` products with ``A``
and with ``A^H``; it finds a missed value well above ``s_k`` (the
structural repeats above), not one within the Lanczos resolution of
``s_k`` after that many steps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._seeding import as_generator

__all__ = ["gkl_svds"]

#: Residual target for ``tol=0``, in units of the unit roundoff (times ``s_1``).
GKL_TOL_FACTOR = 64.0
#: Steps of the check, after convergence, that no singular value above ``s_k`` was missed (``k >= 2``).
VERIFY_STEPS = 10
#: DGKS: reorthogonalize again when one pass leaves less than this fraction of the norm.
DGKS_ETA = 1 / math.sqrt(2)


class _Products:
    """``A @ x`` and ``A^H @ y`` for a dense array, a scipy.sparse matrix or a LinearOperator."""

    def __init__(self, A: Any) -> None:
        self.shape = tuple(int(d) for d in A.shape)
        if isinstance(A, np.ndarray):
            self._a = A
            self._ah = A.T
            self._mv = self._dense_mv
            # A^H y as conj(y^H A): no conjugated copy of a complex A.
            self._rmv = self._conj_rmv if np.iscomplexobj(A) else self._dense_rmv
        elif scipy.sparse.issparse(A):
            self._a = A.tocsr()
            self._ah = self._a.conj().T.tocsr()
            self._mv = self._dense_mv
            self._rmv = self._dense_rmv
        else:
            self._op = A
            self._mv = lambda x: np.asarray(A.matvec(x)).ravel()
            self._rmv = lambda y: np.asarray(A.rmatvec(y)).ravel()

    def _dense_mv(self, x):
        return self._a @ x

    def _dense_rmv(self, y):
        return self._ah @ y

    def _conj_rmv(self, y):
        return (y.conj() @ self._a).conj()

    def mv(self, x):
        return self._mv(x)

    def rmv(self, y):
        return self._rmv(y)


def _orth(W: np.ndarray, j: int, w: np.ndarray) -> np.ndarray:
    """``w`` minus its projection on the first ``j`` rows of ``W``: classical Gram-Schmidt with DGKS.

    A second pass runs when the first removed more than ``1 - 1/sqrt(2)`` of
    ``w``'s norm (Daniel, Gragg, Kaufman and Stewart 1976, the criterion of
    ARPACK): then ``w`` is orthogonal to the basis to ``O(u)`` relative to
    its norm.  The basis is stored by rows (C order), so ``W[:j]`` is
    contiguous and both products are GEMVs without copies.
    """
    if j == 0:
        return w
    B = W[:j]
    Bc = B.conj() if np.iscomplexobj(B) else B
    before = np.linalg.norm(w)
    w = w - (Bc @ w) @ B
    if np.linalg.norm(w) < DGKS_ETA * before:
        w = w - (Bc @ w) @ B
    return w


def _fresh(gen: Any, W: np.ndarray, j: int, size: int, dt: Any) -> np.ndarray:
    """A random unit vector orthogonal to the first ``j`` rows of ``W``; zero when they span the space.

    The rows are orthonormal, so they span the space only when ``j >= size``.  Otherwise a Gaussian
    vector keeps about ``sqrt((size - j) / size)`` of its norm (small when ``j`` is close to ``size``,
    never zero but with probability zero): it is renormalized and orthogonalized once more, which
    makes it orthogonal to ``O(u)`` whatever the part removed.
    """
    if j >= size:
        return np.zeros(size, dtype=dt)
    for _ in range(8):  # each try fails with probability below sqrt(eps size)
        w = gen.standard_normal(size).astype(dt)
        w = _orth(W, j, w / np.linalg.norm(w))
        nrm = float(np.linalg.norm(w))
        if nrm > math.sqrt(float(np.finfo(dt).eps)):
            w = _orth(W, j, w / nrm)
            return w / np.linalg.norm(w)
    raise RuntimeError(
        f"gkl_svds: no random vector outside the span of {j} basis vectors in dimension {size}."
    )


def gkl_svds(
    A: Any,
    k: int,
    *,
    tol: float = 0.0,
    ncv: int | None = None,
    maxiter: int | None = None,
    rng: Any = 0,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The ``k`` largest singular triplets of ``A`` by thick-restarted Golub-Kahan-Lanczos.

    Parameters
    ----------
    A : (M, N) ndarray, scipy.sparse matrix or LinearOperator
        Real or complex, float32 or float64 (the computation runs in
        ``dtype``, by default ``A``'s).
    k : int
        Number of triplets, ``1 <= k < min(M, N)``.
    tol : float, optional
        Stop when every returned triplet has
        ``||A^H u - s v|| <= tol_eff * s_1`` (``A v = s u`` holds to
        rounding), with ``tol_eff = max(tol, 64 u)`` (``u`` the unit
        roundoff of ``dtype``).
    ncv : int, optional
        Largest basis size before a thick restart; default
        ``min(min(M, N), max(2 k + 24, 3 k))``.
    maxiter : int, optional
        Largest number of restarts (default ``max(100, 10 k)``).
    rng : int, numpy.random.Generator or torch.Generator, optional
        Seed of the start vector (:func:`pivotal._seeding.as_generator`;
        fixed by default: the result is reproducible).
    dtype : optional
        Working dtype (float32, float64, complex64 or complex128).

    Returns
    -------
    U : (M, k) ndarray
    s : (k,) ndarray
        Descending.
    Vh : (k, N) ndarray
    info : dict
        ``steps`` (products with ``A``), ``restarts``, ``residual``
        (largest ``||A^H u - s v|| / s_1`` bound), ``converged`` (bool),
        ``verifications`` (checks that found a missed singular value; module notes).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized._gkl import gkl_svds
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((300, 200)) @ np.diag(1.0 / np.arange(1, 201))
    >>> U, s, Vh, info = gkl_svds(A, 3)
    >>> ref = np.linalg.svd(A, compute_uv=False)[:3]
    >>> bool(np.allclose(s, ref, rtol=1e-13)), info["converged"]
    (True, True)
    >>> bool(np.linalg.norm(A @ Vh.T - U * s) < 1e-13 * s[0])
    True
    """
    op = _Products(A)
    m, n = op.shape
    p = min(m, n)
    if not 1 <= k < p:
        raise ValueError(f"gkl_svds: k must satisfy 1 <= k < min(M, N) = {p}, got {k}.")
    dt = np.dtype(dtype if dtype is not None else A.dtype)
    if not np.issubdtype(dt, np.inexact):
        dt = np.dtype(np.float64)
    real_dt = np.finfo(dt).dtype
    unit = float(np.finfo(dt).eps) / 2
    tol_eff = max(float(tol), GKL_TOL_FACTOR * unit)
    nmax = int(ncv) if ncv is not None else min(p, max(2 * k + 24, 3 * k))
    nmax = max(min(nmax, p), k + 2)
    extra = max(2, min((nmax - k) // 2, k + 8))
    lmax = min(k + extra, nmax - 2)
    restarts_max = int(maxiter) if maxiter is not None else max(100, 10 * k)
    gen = as_generator(rng)

    U = np.zeros((nmax, m), dtype=dt)  # basis vectors by rows
    V = np.zeros((nmax + 1, n), dtype=dt)
    M = np.zeros((nmax, nmax + 1), dtype=dt)  # U^H A V, j x (j+1) used
    v = gen.standard_normal(n).astype(real_dt)
    if np.issubdtype(dt, np.complexfloating):
        v = v + 1j * gen.standard_normal(n).astype(real_dt)
    V[0] = (v / np.linalg.norm(v)).astype(dt)
    j = 0  # current number of u-vectors; V has j + 1 columns
    steps = 0
    restarts = 0
    anorm = 0.0  # running estimate of ||A|| (largest Ritz value)
    res = math.inf
    verifying = False  # extending a locked basis from a fresh vector (module notes)
    verifications = 0
    locked = None
    while True:
        # Extend to nmax (a verification: VERIFY_STEPS steps past the k locked triplets).
        jstop = min(nmax, k + VERIFY_STEPS) if verifying else nmax
        while j < jstop:
            w = op.mv(V[j]).astype(dt, copy=False)
            steps += 1
            w = _orth(U, j, w)
            alpha = float(np.linalg.norm(w))
            anorm = max(anorm, alpha)
            if alpha <= unit * anorm * p:  # invariant subspace: go on with a random vector
                w = _fresh(gen, U, j, m, dt)
                alpha = 0.0
            else:
                w = w / alpha
            U[j] = w
            M[j, j] = alpha
            z = op.rmv(U[j]).astype(dt, copy=False)
            z = _orth(V, j + 1, z)
            beta = float(np.linalg.norm(z))
            anorm = max(anorm, beta)
            if beta <= unit * anorm * p:
                z = _fresh(gen, V, j + 1, n, dt)
                beta = 0.0
            else:
                z = z / beta
            V[j + 1] = z
            M[j, j + 1] = beta
            j += 1
            if j >= k and not verifying:
                P, S, Qh = np.linalg.svd(M[:j, :j])
                anorm = max(anorm, float(S[0]))
                r = np.abs(M[:j, j].conj() @ P[:, :k])
                res = float(r.max()) / S[0] if S[0] > 0 else 0.0
                if res <= tol_eff:
                    break
        if verifying:
            verifying = False
            S2 = np.linalg.svd(M[:j, :j], compute_uv=False)
            if S2[k - 1] <= locked[1][k - 1] + tol_eff * S2[0]:
                break  # nothing above s_k outside the k triplets: they are the top k
            # A singular value above s_k was missed (a repeated one): its direction is in the basis now.
            verifications += 1
            locked = None
            res = math.inf
            continue
        if res <= tol_eff:
            if k < 2 or verifications >= k:
                break
            # Verify: lock the k converged triplets and extend from a fresh vector orthogonal to them.
            P, S, Qh = np.linalg.svd(M[:j, :j])
            U[:k] = P[:, :k].T @ U[:j]
            V[:k] = Qh[:k].conj() @ V[:j]
            locked = (U[:k].T.copy(), S[:k].copy(), V[:k].conj())
            M[:] = 0
            M[np.arange(k), np.arange(k)] = S[:k]  # drops A^H u_i - s_i v_i, at most tol_eff s_1
            V[k] = _fresh(gen, V, k, n, dt)
            j = k
            verifying = True
            continue
        if restarts >= restarts_max:
            break
        # Thick restart: keep the l leading Ritz triplets.
        P, S, Qh = np.linalg.svd(M[:j, :j])
        l = lmax
        rho = M[:j, j].conj() @ P[:, :l]  # (A^H u_i - s_i v_i) = rho_i v_{j+1}
        U[:l] = P[:, :l].T @ U[:j]
        Vn = Qh[:l].conj() @ V[:j]
        V[l] = V[j]
        V[:l] = Vn
        M[:] = 0
        M[np.arange(l), np.arange(l)] = S[:l]
        M[:l, l] = rho.conj()
        j = l
        restarts += 1
    if locked is not None and res <= tol_eff:
        Uk, S, Vh = locked
    else:
        P, S, Qh = np.linalg.svd(M[:j, :j])
        Uk = (P[:, :k].T @ U[:j]).T
        Vh = Qh[:k] @ V[:j].conj()
    info = {
        "steps": steps,
        "restarts": restarts,
        "residual": res,
        "converged": bool(res <= tol_eff),
        "verifications": verifications,
    }
    return np.ascontiguousarray(Uk), S[:k].astype(real_dt), Vh, info
