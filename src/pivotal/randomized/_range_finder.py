"""The randomized range finder: :func:`range_finder`.

It validates the options, wraps ``A`` in an :class:`_Operator` (scaled into
the safe range; :mod:`pivotal.randomized._operator`) and runs one of the
cores of :mod:`pivotal.randomized._subspace` (fixed rank: subspace iteration
or block Krylov; a tolerance: blocked randQB_EI), whose module notes
describe the algorithms.  A row-chunked Dask ``A`` goes to
:mod:`pivotal.randomized._dask`.
"""

from __future__ import annotations

from typing import Any

from array_api_compat import is_dask_array

from . import _dask
from ._operator import _Draw, _Operator
from ._random import RandomState
from ._subspace import adaptive_qb, block_krylov, check_options, check_rank, subspace_iteration

__all__ = ["range_finder"]


def range_finder(
    A: Any,
    k: int | None = None,
    *,
    tol: float | None = None,
    n_oversamples: int = 10,
    n_iter: int | str = "auto",
    method: str = "subspace",
    random_state: RandomState = None,
    check_finite: bool = True,
) -> Any:
    """An orthonormal basis ``Q`` of (approximately) the dominant range of ``A``: ``A ~ Q Q^H A``.

    Parameters
    ----------
    A : (m, n) array_like, scipy.sparse matrix or LinearOperator
        NumPy array, PyTorch tensor (any device), JAX array, ``scipy.sparse``
        matrix or array, or a ``scipy.sparse.linalg.LinearOperator`` (used
        matrix-free through ``matmat`` and ``rmatmat`` only).  Dense and
        sparse ``A`` are first scaled by a power of two into a safe
        range, so any finite scale works (subnormal entries included); a
        broadcast view (a stride-0 axis) is multiplied through its distinct
        row or column.  Or a ``dask.array.Array`` (see
        :mod:`pivotal.randomized._dask`).
    k : int, optional
        Target rank.  Required unless ``tol`` is given; with ``tol`` it
        limits the rank of the basis to ``k + n_oversamples``.
    tol : float, optional
        Relative Frobenius tolerance in ``(0, 1)``: return a basis with
        ``||A - Q Q^H A||_F <= tol ||A||_F`` (blocked randQB_EI, see the
        module notes).  A ``LinAlgWarning`` is issued when the rank limit
        stops it first.
    n_oversamples : int, optional
        Extra test vectors beyond ``k`` (default 10); the basis has
        ``l = min(k + n_oversamples, m, n)`` columns (per block for
        ``method="block_krylov"``).
    n_iter : int or "auto", optional
        Power (subspace) iterations, or Krylov steps for ``block_krylov``
        (the last block is truncated so that the basis fits in
        ``min(m, n)`` columns; a basis that fills them spans the range of
        ``A``, and the result is then exact to rounding).
        ``"auto"`` (default) iterates until the Ritz values of the leading
        ``k`` directions are predicted to reduce the error by less than 1%
        more (module notes; at least 1, at most 20 iterations).  With ``tol``, the number of power iterations
        per block (``"auto"`` means 1).
    method : {"subspace", "block_krylov"}, optional
        Subspace iteration (default) or the block Krylov space of Musco and
        Musco (2015), better for slowly decaying spectra; the latter returns
        a basis of ``min((q + 1) l, m, n)`` columns.  Only ``"subspace"``
        with ``tol``.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed of the Gaussian test matrices.  Ints and NumPy generators draw
        on the host, so NumPy and PyTorch input give the same basis (to
        rounding) for a fixed seed.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``A`` (default True; not
        checked for a LinearOperator).

    Returns
    -------
    Q : (m, l) array
        Orthonormal columns, in ``A``'s backend and device (a NumPy array for
        sparse and LinearOperator input).

    Raises
    ------
    ValueError
        Bad ``k``, ``tol``, ``n_oversamples``, ``n_iter`` or ``method``.
    TypeError
        Unsupported ``random_state`` or option types.

    References
    ----------
    .. [1] N. Halko, P.-G. Martinsson and J. A. Tropp, SIAM Review 53(2),
       217-288, 2011.
    .. [2] C. Musco and C. Musco, NeurIPS 2015.
    .. [3] W. Yu, Y. Gu and Y. Li, SIAM J. Matrix Anal. Appl. 39(3),
       1339-1359, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.randomized import range_finder
    >>> A = gallery.randsvd(200, 1e12, m=300, random_state=0)   # geometric spectrum
    >>> Q = range_finder(A, 20, random_state=0)
    >>> Q.shape, bool(np.allclose(Q.T @ Q, np.eye(30)))
    ((300, 30), True)
    >>> Q = range_finder(A, tol=1e-6, random_state=0)
    >>> bool(np.linalg.norm(A - Q @ (Q.T @ A)) <= 1e-6 * np.linalg.norm(A))
    True
    """
    n_oversamples, q, method, tol = check_options(
        n_oversamples=n_oversamples, n_iter=n_iter, method=method, tol=tol, func="range_finder"
    )
    if is_dask_array(A):  # see pivotal.randomized._dask
        if method == "subspace" or tol is not None:  # a lazy dask Q
            return _dask.range_finder(A, k, tol, n_oversamples, q, random_state, check_finite)
        A = _dask.client_operator(A, check_finite)  # block Krylov: products on the cluster, NumPy Q
    op = _Operator.of(A, check_finite=check_finite, scale=True)
    k = check_rank(k, op, allow_none=tol is not None, func="range_finder")
    draw = _Draw(random_state, op)
    m, n = op.shape
    if tol is not None:
        kmax = min(m, n) if k is None else min(k + n_oversamples, m, n)
        Q = adaptive_qb(op, tol, kmax, q, draw)[0]
        return op.out(Q)
    ell = min(k + n_oversamples, m, n)
    if k == 0 or ell == 0:
        return op.out(op.zeros((m, 0)))
    if method == "block_krylov":
        Q, _, _ = block_krylov(op, k, ell, q, draw)
    else:
        Q, _, _ = subspace_iteration(op, k, ell, q, draw)
    return op.out(Q)
