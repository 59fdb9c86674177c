"""Randomized SVD (:func:`rsvd`) and randomized Hermitian eigendecomposition (:func:`reigh`).

Both project ``A`` onto a basis from :mod:`pivotal.randomized._subspace`
and finish with a small dense factorization: for the SVD, ``Q^H A = R^H
Z^H`` comes free from the last half-step of the range finder, so
``svd(R^H)`` (an ``l x l`` matrix) gives ``U = Q U_R``, ``V = Z V_R``; for
``reigh`` the Rayleigh-Ritz matrix ``T = Q^H A Q = Q^H Z R`` is formed the
same way and ``eigh(T)`` gives the Ritz pairs.  With ``n_iter="auto"`` the
number of products with ``A`` is chosen from the convergence of the Ritz
values (see :mod:`pivotal.randomized._subspace`).  ``A`` is scaled by a
power of two into a safe range first (:mod:`pivotal.randomized._operator`)
and the singular values and eigenvalues unscaled at the end.

Sign convention
---------------
The entry of largest absolute value of each column of ``U`` (``V`` for
:func:`reigh`; the first such entry on ties) is made real and positive, and
the rows of ``Vh`` get the matching conjugate factor
(:func:`pivotal.randomized._signs.fix_signs`).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from array_api_compat import is_dask_array

from .._array import backend_name, conj_transpose, to_float, unit_roundoff
from .._tracing import needs_rule
from ..autodiff.topk_rules import Opaque, host_forward, topk_eigh, topk_svd
from . import _dask
from ._operator import _Draw, _Operator, mm
from ._random import RandomState
from ._signs import fix_signs
from ._subspace import adaptive_qb, block_krylov, check_options, check_rank, subspace_iteration

__all__ = ["reigh", "rsvd"]


def _small_svd(x: Any):
    if backend_name(x) == "torch":
        import torch

        return torch.linalg.svd(x, full_matrices=False)
    return np.linalg.svd(x, full_matrices=False)


def _empty_svd(op: _Operator, k: int):
    m, n = op.shape
    xp = op.xp
    kw = {"dtype": op.dtype}
    if op.like is not None:
        kw["device"] = op.like.device
    rdt = op.like.real.dtype if op.like is not None else np.finfo(op.dtype).dtype
    s_kw = dict(kw, dtype=rdt)
    return xp.zeros((m, k), **kw), xp.zeros((k,), **s_kw), xp.zeros((k, n), **kw)


def rsvd(
    A: Any,
    k: int | None,
    *,
    tol: float | None = None,
    n_oversamples: int = 10,
    n_iter: int | str = "auto",
    method: str = "subspace",
    random_state: RandomState = None,
    check_finite: bool = True,
) -> tuple[Any, Any, Any]:
    """Randomized truncated SVD: ``A ~ U @ diag(s) @ Vh`` of rank ``k`` (or adaptive rank).

    Parameters
    ----------
    A : (m, n) array_like, scipy.sparse matrix or LinearOperator
        NumPy array, PyTorch tensor (any device), JAX array, ``scipy.sparse``
        matrix or array, or a ``scipy.sparse.linalg.LinearOperator`` (used
        matrix-free, through ``matmat`` and ``rmatmat`` only), or a
        ``dask.array.Array`` chunked by rows (never gathered on one worker;
        see :mod:`pivotal.randomized._dask`).  Real or complex.  Any finite
        scale works: ``A`` is scaled by a power of two into a safe
        range first, and ``s`` unscaled.  A broadcast view (a stride-0 axis)
        is multiplied through its distinct row or column.
    k : int or None
        Rank of the approximation, ``0 <= k <= min(m, n)``.  With ``tol`` it
        is an upper limit on the rank (None: no limit).
    tol : float, optional
        Relative Frobenius tolerance in ``(0, 1)``: return the smallest rank
        ``r`` with ``||A - U diag(s) Vh||_F <= tol ||A||_F`` (estimated by the
        randQB_EI indicator, see :func:`range_finder`).  A ``LinAlgWarning``
        is issued when the limit ``k`` is reached first.
    n_oversamples : int, optional
        Extra test vectors (default 10): the basis has ``l = k + 10``
        columns.
    n_iter : int or "auto", optional
        Power iterations (Krylov steps for ``method="block_krylov"``).
        ``"auto"`` (default) stops when the Ritz values of the leading
        ``k`` directions are predicted to reduce the error by less than 1%
        more (1 to 20 iterations; see :func:`range_finder`).  This keeps
        ``||A - U diag(s) Vh||_2`` within about 1% of ``sigma_{k+1}`` on
        fast, slow and flat spectra, with 1-2 iterations on fast decay and
        up to 20 when the spectrum decays slowly just past ``k``.
    method : {"subspace", "block_krylov"}, optional
        Subspace iteration (default) or block Krylov (better at equal
        products for slowly decaying spectra; uses ``(q + 1) l`` columns of
        memory).  Only ``"subspace"`` with ``tol``.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed.  Ints and NumPy generators draw the test matrices on the host,
        so NumPy and PyTorch (CPU or CUDA) input give the same result, to
        rounding, for a fixed seed.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``A`` (default True).

    Returns
    -------
    U : (m, r) array
        Orthonormal left singular vectors; the entry of largest absolute
        value of each column is real and positive (see the module notes).
    s : (r,) array
        Singular values, descending, real.
    Vh : (r, n) array
        Orthonormal right singular vectors (rows).

    ``r = k`` without ``tol``.  Arrays are in ``A``'s backend and device
    (NumPy for sparse and LinearOperator input).  For a dask array ``A``,
    ``U`` is a lazy dask array chunked like ``A``'s rows and ``s``, ``Vh``
    are NumPy arrays (fixed rank, subspace iteration); with ``tol=`` or
    ``method="block_krylov"`` all three are NumPy arrays.

    Raises
    ------
    ValueError
        ``k`` out of range or missing, bad ``tol``, ``n_oversamples``,
        ``n_iter`` or ``method``, non-finite ``A``.
    TypeError
        Unsupported ``random_state`` or option types.

    See Also
    --------
    range_finder, reigh, nystrom

    Notes
    -----
    A dense PyTorch tensor that requires grad, or a JAX array under
    ``jax.grad`` / ``jax.jit``, gets the gradient of the returned triplets
    taken as the exact top-``k`` triplets of ``A`` (the matrix-free backward
    of :func:`pivotal.autodiff.svds_vjp`, ``backward="cg"``), not of the
    random iteration (``torch.svd_lowrank`` differentiates the iteration,
    pytorch#69531): accurate when the triplets are converged and ``s_k >
    s_(k+1)``.  JAX needs a fixed ``k`` there (no ``tol``).

    References
    ----------
    .. [1] N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with
       randomness", SIAM Review 53(2), 217-288, 2011.
    .. [2] C. Musco and C. Musco, "Randomized block Krylov methods for
       stronger and faster approximate singular value decomposition",
       NeurIPS 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import rsvd
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((300, 40)) @ rng.standard_normal((40, 200))   # rank 40
    >>> U, s, Vh = rsvd(A, 40, random_state=0)
    >>> bool(np.allclose(U @ np.diag(s) @ Vh, A))
    True
    >>> bool(np.allclose(s, np.linalg.svd(A, compute_uv=False)[:40]))
    True
    >>> U, s, Vh = rsvd(A, None, tol=1e-8, random_state=0)   # adaptive rank
    >>> len(s)
    40
    """
    n_oversamples, q, method, tol = check_options(
        n_oversamples=n_oversamples, n_iter=n_iter, method=method, tol=tol, func="rsvd"
    )
    if is_dask_array(A):  # see pivotal.randomized._dask
        if method == "subspace" or tol is not None:  # U lazy (rows chunked like A), s and Vh NumPy
            return _dask.rsvd(A, k, tol, n_oversamples, q, random_state, check_finite)
        A = _dask.client_operator(A, check_finite)  # block Krylov: products on the cluster, NumPy results
    if needs_rule(A):
        return _rsvd_graph(A, k, tol, n_oversamples, n_iter, method, random_state, check_finite)
    op = _Operator.of(A, check_finite=check_finite, scale=True)
    k = check_rank(k, op, allow_none=tol is not None, func="rsvd")
    m, n = op.shape
    draw = _Draw(random_state, op)
    if tol is not None:
        kmax = min(m, n) if k is None else min(k + n_oversamples, m, n)
        if kmax == 0:
            return tuple(op.out(x) for x in _empty_svd(op, 0))
        Q, B, fro2, resid2 = adaptive_qb(op, tol, kmax, q, draw)
        Ub, s, Vh = _small_svd(B)
        # ||A - U_r S_r V_r^H||_F^2 = ||A - Q B||_F^2 + sum_{i > r} s_i^2 (no cancellation).
        s2 = _host(s).astype(np.float64) ** 2
        dropped = np.r_[np.cumsum(s2[::-1])[::-1], 0.0]  # dropped[r] = sum_{i >= r} s_i^2
        ok = np.flatnonzero(resid2 + dropped <= tol**2 * fro2)
        r = int(ok[0]) if ok.size else len(s2)
        if k is not None:
            r = min(r, k)
        U = mm(Q, Ub[:, :r])
        s, Vh = s[:r], Vh[:r]
    else:
        ell = min(k + n_oversamples, m, n)
        if k == 0:
            return tuple(op.out(x) for x in _empty_svd(op, 0))
        core = block_krylov if method == "block_krylov" else subspace_iteration
        Q, Z, R = core(op, k, ell, q, draw)
        Ur, s, Wh = _small_svd(conj_transpose(R))  # Q^H A = R^H Z^H
        U = mm(Q, Ur[:, :k])
        Vh = mm(Wh[:k], conj_transpose(Z))
        s = s[:k]
    U, Vh = fix_signs(U, Vh, overwrite=True)
    return op.out(U), op.out(op.unscaled(s)), op.out(Vh)


def graph_rank(k: Any, A: Any, func: str, *, tol: Any = None) -> int | None:
    """``k`` checked before a forward that runs in a JAX callback (whose result shapes need it)."""
    p = min(int(d) for d in A.shape)
    if len(A.shape) != 2:
        raise ValueError(f"{func}: A must be 2-D, got shape {tuple(A.shape)}.")
    if backend_name(A) == "jax" and tol is not None:
        raise ValueError(
            f"{func}: tol= (adaptive rank) cannot be differentiated on a JAX array: the rank, and so the result "
            "shapes, depend on the values. Pass a fixed k and tol=None."
        )
    if k is None and tol is not None:
        return None
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= p:
        raise ValueError(f"{func}: k must be an int with 0 <= k <= min(A.shape) = {p}, got {k!r}.")
    return int(k)


def _rsvd_primal(a, *, backward, k, tol, n_oversamples, n_iter, method, random_state, check_finite):
    """The forward of the ``svds`` rule for :func:`rsvd`, on the values of ``a``."""

    def run(x):
        return rsvd(
            x, k, tol=tol, n_oversamples=n_oversamples, n_iter=n_iter, method=method,
            random_state=Opaque.unwrap(random_state), check_finite=check_finite,
        )  # fmt: skip

    m, n = (int(d) for d in a.shape)
    return host_forward(run, a, (((m, k), False), ((k,), True), ((k, n), False)))


def _rsvd_graph(A, k, tol, n_oversamples, n_iter, method, random_state, check_finite):
    k = graph_rank(k, A, "rsvd", tol=tol)
    return topk_svd(
        _rsvd_primal, A, backward="cg", k=k, tol=tol, n_oversamples=n_oversamples, n_iter=n_iter,
        method=method, random_state=Opaque.wrap(random_state), check_finite=check_finite,
    )  # fmt: skip


def _reigh_primal(a, *, backward, k, n_oversamples, n_iter, method, random_state, check_finite):
    """The forward of the ``eigsh`` rule for :func:`reigh`, on the values of ``a``."""

    def run(x):
        return reigh(
            x, k, n_oversamples=n_oversamples, n_iter=n_iter, method=method,
            random_state=Opaque.unwrap(random_state), check_finite=check_finite,
        )  # fmt: skip

    n = int(a.shape[0])
    return host_forward(run, a, (((k,), True), ((n, k), False)))


def _host(x: Any) -> np.ndarray:
    if backend_name(x) == "torch":
        return x.detach().cpu().numpy()
    return np.asarray(x)


def check_hermitian(op: _Operator, func: str, what: str = "symmetric (Hermitian)") -> None:
    """Refuse a non-square ``A``, and a dense or sparse ``A`` with ``A x != A^H x`` for a random ``x``.

    One product with each of ``A`` and ``A^H`` (not counted); skipped for a
    LinearOperator, whose ``rmatmat`` may not exist.
    """
    m, n = op.shape
    if m != n:
        raise ValueError(f"{func}: A must be square ({what}), got shape {op.shape}.")
    if op.kind == "linop" or n == 0:
        return
    x = np.random.default_rng(12345).standard_normal((n, 1))
    if op.like is not None:
        import torch

        x = torch.as_tensor(x, dtype=op.dtype, device=op.like.device)
    else:
        x = x.astype(op.dtype)
    d = op.symmetry_defect(x)
    if backend_name(d) == "torch":
        dn, xn = to_float(d.norm()), to_float(x.norm())
    else:
        dn, xn = float(np.linalg.norm(d)), float(np.linalg.norm(x))
    fro = math.sqrt(op.fro2())
    u = unit_roundoff(np.dtype(str(op.dtype).replace("torch.", "")))
    if dn > 100 * u * math.sqrt(n) * fro * xn:
        raise ValueError(
            f"{func}: A is not {what} (||A x - A^H x|| / (||A||_F ||x||) = {dn / (fro * xn):.2e} for a random x); "
            "use rsvd for general matrices, or symmetrize with (A + A^H) / 2."
        )


def reigh(
    A: Any,
    k: int,
    *,
    n_oversamples: int = 10,
    n_iter: int | str = "auto",
    method: str = "subspace",
    random_state: RandomState = None,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """Randomized eigendecomposition of a symmetric/Hermitian ``A``: the ``k`` largest-magnitude eigenpairs.

    Subspace iteration (or block Krylov) with ``A`` gives an orthonormal
    ``Q`` (``l = k + n_oversamples`` columns); the Rayleigh-Ritz matrix
    ``T = Q^H A Q`` is formed from the last product and ``eigh(T)`` gives
    the Ritz pairs, of which the ``k`` of largest ``|w|`` are returned.

    Parameters
    ----------
    A : (n, n) array_like, scipy.sparse matrix, LinearOperator or dask array
        Symmetric (Hermitian) matrix; only products ``A @ X`` are used.
        Dense and sparse input is checked with one random product (a
        ``ValueError`` if ``A x != A^H x``); a LinearOperator is trusted.  A
        ``dask.array.Array`` (chunked by rows) is used through distributed
        products; the results are then NumPy arrays.  Scaled into the safe
        range and multiplied as :func:`rsvd` does.
    k : int
        Number of eigenpairs, ``0 <= k <= n``.
    n_oversamples, n_iter, method, random_state, check_finite
        As in :func:`rsvd`.

    Returns
    -------
    w : (k,) array
        Real eigenvalues ordered by **decreasing magnitude** ``|w|`` (like
        the singular values of :func:`rsvd`; ``numpy.linalg.eigh`` orders by
        increasing value instead).
    V : (n, k) array
        Orthonormal eigenvectors, ``A V ~ V diag(w)``; the entry of largest
        absolute value of each column is real and positive.

    Raises
    ------
    ValueError
        ``A`` not square or not symmetric/Hermitian, bad ``k`` or options.

    Notes
    -----
    A dense PyTorch tensor that requires grad, or a JAX array under
    ``jax.grad`` / ``jax.jit``, gets the gradient of the returned pairs
    taken as exact (:func:`pivotal.autodiff.eigsh_vjp`, ``backward="cg"``),
    not of the random iteration (see :func:`rsvd`).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import reigh
    >>> rng = np.random.default_rng(0)
    >>> Q, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    >>> lam = np.r_[10.0, -8.0, 5.0, 0.5 ** np.arange(197)]
    >>> A = (Q * lam) @ Q.T
    >>> w, V = reigh(A, 3, random_state=0)
    >>> np.round(w, 8).tolist()
    [10.0, -8.0, 5.0]
    >>> bool(np.allclose(A @ V, V * w))
    True
    """
    n_oversamples, q, method, _ = check_options(
        n_oversamples=n_oversamples, n_iter=n_iter, method=method, tol=None, func="reigh"
    )
    if needs_rule(A):
        k = graph_rank(k, A, "reigh")
        return topk_eigh(
            _reigh_primal, A, backward="cg", k=k, n_oversamples=n_oversamples, n_iter=n_iter, method=method,
            random_state=Opaque.wrap(random_state), check_finite=check_finite,
        )  # fmt: skip
    if is_dask_array(A):  # products on the cluster, NumPy results: see pivotal.randomized._dask
        A = _dask.client_operator(A, check_finite, hermitian=True, func="reigh")
    op = _Operator.of(A, check_finite=check_finite, hermitian=True, scale=True)
    check_hermitian(op, "reigh")
    k = check_rank(k, op, allow_none=False, func="reigh")
    n = op.shape[0]
    if k == 0:
        U, s, _ = _empty_svd(op, 0)
        return op.out(s), op.out(U)
    draw = _Draw(random_state, op)
    ell = min(k + n_oversamples, n)
    core = block_krylov if method == "block_krylov" else subspace_iteration
    Q, Z, R = core(op, k, ell, q, draw)
    T = mm(conj_transpose(Q), Z) @ R  # Q^H A Q, since A Q = Z R
    T = (T + conj_transpose(T)) / 2
    if backend_name(T) == "torch":
        import torch

        w, W = torch.linalg.eigh(T)
        order = torch.argsort(w.abs(), descending=True, stable=True)[:k]
    else:
        w, W = np.linalg.eigh(T)
        order = np.argsort(-np.abs(w), kind="stable")[:k]
    w, W = w[order], W[:, order]
    V, _ = fix_signs(mm(Q, W), overwrite=True)
    return op.out(op.unscaled(w)), op.out(V)
