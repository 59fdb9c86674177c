r"""Strong rank-revealing QR (Gu and Eisenstat 1996).

For a target rank ``k`` a permutation ``perm`` is chosen so that

.. math::

    A[:, perm] = Q R = Q \begin{bmatrix} R_{11} & R_{12} \\ 0 & R_{22} \end{bmatrix},
    \qquad R_{11} \in \mathbb{C}^{k \times k},

with, for a parameter ``f > 1``,

* ``|(R11^{-1} R12)_{ij}| <= f`` for all ``i, j`` (up to rounding), and
* ``sigma_i(R11) >= sigma_i(A) / sqrt(1 + f^2 k (n - k))``, ``1 <= i <= k``;
* ``sigma_j(R22) <= sigma_{k+j}(A) sqrt(1 + f^2 k (n - k))``,
  ``1 <= j <= min(m, n) - k``

(Gu and Eisenstat, Theorem 3.2; always ``sigma_i(R11) <= sigma_i(A)`` and
``sigma_j(R22) >= sigma_{k+j}(A)`` by interlacing).  So the leading ``k``
columns capture the ``k`` largest singular values up to a factor that is
polynomial in ``n``, which plain QRCP cannot guarantee: on Kahan's matrix
(:func:`pivotal.gallery.kahan`) QRCP makes no interchange and its
``|R[n-1, n-1]|`` overestimates ``sigma_min`` by ``~4e3`` for ``n = 30``.

Algorithm
---------
Start from QRCP (:func:`~pivotal.kernels.qrcp.qrcp`).  While some pair
``(i, j)`` has

``rho_ij^2 = |(R11^{-1} R12)_{ij}|^2 + (gamma_j(R22) / omega_i(R11))^2 > f^2``

(``gamma_j`` the 2-norm of column ``j`` of ``R22``, ``1/omega_i`` the
2-norm of row ``i`` of ``R11^{-1}``), interchange column ``i`` of the
leading block with column ``k + j`` and restore the triangular form.  Each
interchange multiplies ``|det R11|`` by ``rho_ij > f`` (Lemma 3.1), so the
loop terminates after at most ``log_f(prod_i sigma_i(A) / |det R11^{(0)}|)``
interchanges -- in practice very few, since QRCP is usually strong already.
The interchange works on the ``min(m, n) x n`` triangle ``R`` only: column
``i`` is cycled to position ``k - 1`` and column ``k + j`` to position
``k``, the resulting Hessenberg blocks are re-triangularized by Givens
rotations (``O(n^2)`` per interchange), and the two columns are swapped
with one more rotation.  The criterion is then recomputed from ``R11``,
``R12`` and ``R22`` directly (``O(k^2 n)`` per interchange, instead of the
``O(k (n - k))`` updating formulas of the paper): simple and accurate, and
cheap for ``n`` up to a few hundred, the size where a strong RRQR is worth
its cost.  This small loop runs on the host in double precision.

Finally, when an interchange happened, the compact factors of ``A[:, perm]``
are recomputed by Householder QR of the permuted original columns, so that
``Q`` and ``R`` are consistent with ``perm`` to working accuracy.

References
----------
.. [1] M. Gu and S. C. Eisenstat, "Efficient algorithms for computing a
   strong rank-revealing QR factorization", SIAM J. Sci. Comput. 17(4),
   pp. 848-869, 1996.
.. [2] W. Kahan, "Numerical linear algebra", Canad. Math. Bull. 9, 1966.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import backend_name, namespace, to_numpy
from .._backends import get_backend
from .householder import householder_qr
from .qrcp import numerical_rank, qrcp

__all__ = ["MAX_INTERCHANGES_FACTOR", "rrqr_interchanges", "strong_rrqr"]

MAX_INTERCHANGES_FACTOR = 64
"""Safety cap: at most ``MAX_INTERCHANGES_FACTOR * n`` interchanges (never reached in practice)."""


def _check_f(f: Any) -> float:
    try:
        fv = float(f)
    except (TypeError, ValueError):
        raise ValueError(f"f must be a real number > 1, got {f!r}.") from None
    if not (fv > 1.0 and math.isfinite(fv)):
        raise ValueError(
            f"f must be a finite number > 1 (Gu-Eisenstat's bound on |R11^-1 R12|; "
            f"f = 2 is customary), got {f!r}."
        )
    return fv


def _rotate(r: np.ndarray, r1: int, r2: int, col: int) -> None:
    """Givens rotation of rows ``r1, r2`` of ``r`` zeroing ``r[r2, col]`` (columns ``col:``)."""
    b = r[r2, col]
    if b == 0:
        return
    a = r[r1, col]
    nrm = math.hypot(abs(a), abs(b))
    if a == 0:
        c = 0.0
        s = np.conj(b) / abs(b)
    else:
        c = abs(a) / nrm
        s = (a / abs(a)) * np.conj(b) / nrm
    x = r[r1, col:].copy()
    y = r[r2, col:]
    r[r1, col:] = c * x + s * y
    r[r2, col:] = c * y - np.conj(s) * x
    r[r2, col] = 0


def _criterion(r: np.ndarray, k: int):
    """``(rho^2, AB)`` with ``rho^2_ij = |AB_ij|^2 + (gamma_j / omega_i)^2``, or None if R11 is singular."""
    p, n = r.shape
    r11 = r[:k, :k]
    if np.any(np.diagonal(r11) == 0):
        return None
    backend = get_backend(r11)
    inv = np.eye(k, dtype=r.dtype)
    backend.trsm_inplace(r11, inv, lower=False)
    ab = inv @ r[:k, k:]
    omega_inv = np.linalg.norm(inv, axis=1)
    if k < p:
        gamma = np.linalg.norm(r[k:, k:], axis=0)
    else:
        gamma = np.zeros(n - k)
    with np.errstate(over="ignore", invalid="ignore"):
        rho2 = np.abs(ab) ** 2 + (omega_inv[:, None] * gamma[None, :]) ** 2
    return rho2, ab


def _interchange(r: np.ndarray, perm: np.ndarray, k: int, i: int, j: int) -> None:
    """Swap column ``i < k`` with column ``k + j`` and re-triangularize ``r`` in place."""
    p = r.shape[0]
    # (a) cycle column i to position k-1; R11 becomes upper Hessenberg in columns i..k-2.
    if i < k - 1:
        order = np.r_[i + 1 : k, i]
        r[:, i:k] = r[:, order]
        perm[i:k] = perm[order]
        for l in range(i, k - 1):
            _rotate(r, l, l + 1, l)
    # (b) cycle column k+j to position k; zero its entries below row k bottom-up.
    c = k + j
    if j > 0:
        order = np.r_[c, k:c]
        r[:, k : c + 1] = r[:, order]
        perm[k : c + 1] = perm[order]
        for l in range(min(c, p - 1), k, -1):
            _rotate(r, l - 1, l, k)
    # (c) swap columns k-1 and k, one rotation restores the triangle.
    r[:, [k - 1, k]] = r[:, [k, k - 1]]
    perm[[k - 1, k]] = perm[[k, k - 1]]
    if k < p:
        _rotate(r, k - 1, k, k - 1)


def rrqr_interchanges(r: Any, k: int, f: float = 2.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Gu–Eisenstat interchanges on an upper trapezoidal ``R`` for target rank ``k``.

    Parameters
    ----------
    r : (p, n) array
        Upper trapezoidal (``p = min(m, n)`` rows), typically the ``R`` of
        QRCP; only its upper triangle is read.
    k : int
        Target rank, ``0 <= k <= p``.
    f : float, optional
        Bound ``> 1`` on the entries of ``R11^{-1} R12`` (default 2).

    Returns
    -------
    r_new : (p, n) numpy.ndarray
        Upper trapezoidal ``R`` of ``R[:, perm]`` (double precision, host).
    perm : numpy.ndarray
        Column permutation (host ``int64``) relative to the input ``R``.
    interchanges : int
        Number of interchanges made.

    Raises
    ------
    ValueError
        For ``f <= 1`` or ``k`` out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.rrqr import rrqr_interchanges
    >>> R = gallery.kahan(30)            # its own QRCP factor: no pivoting happens
    >>> R2, perm, swaps = rrqr_interchanges(R, 29)
    >>> swaps >= 1, bool(abs(R2[29, 29]) < 10 * np.linalg.svd(R, compute_uv=False)[-1])
    (True, True)
    """
    f = _check_f(f)
    rh = to_numpy(r)
    wide = np.complex128 if np.iscomplexobj(rh) else np.float64
    rh = np.triu(np.array(rh, dtype=wide))
    p, n = rh.shape
    k = int(k)
    if not 0 <= k <= p:
        raise ValueError(f"k must satisfy 0 <= k <= {p}, got {k}.")
    perm = np.arange(n, dtype=np.int64)
    swaps = 0
    if k == 0 or k == n:
        return rh, perm, 0
    f2 = f * f
    cap = MAX_INTERCHANGES_FACTOR * n
    while swaps < cap:
        crit = _criterion(rh, k)
        if crit is None:
            break
        rho2 = crit[0]
        flat = int(np.nanargmax(np.where(np.isnan(rho2), -np.inf, rho2)))
        i, j = divmod(flat, n - k)
        if not rho2[i, j] > f2:
            break
        _interchange(rh, perm, k, i, j)
        swaps += 1
    return rh, perm, swaps


def _permute_columns(a: Any, src: Any, perm: np.ndarray) -> None:
    if backend_name(a) == "torch":
        import torch

        a.copy_(src[:, torch.as_tensor(perm, device=src.device)])
    else:
        a[...] = src[:, perm]


def strong_rrqr(
    a: Any,
    *,
    rank: int | None = None,
    tol: float | None = None,
    f: float = 2.0,
) -> tuple[Any, Any, np.ndarray, int]:
    r"""Strong rank-revealing QR in place: ``A[:, perm] = Q R`` with a strong rank-``k`` split.

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch, real or complex
        Overwritten with the compact Householder factors of ``A[:, perm]``
        (LAPACK ``?geqrf`` layout; use
        :func:`~pivotal.kernels.householder.form_q` /
        :func:`~pivotal.kernels.householder.apply_q` for ``Q``).
    rank : int, optional
        Target rank ``k``, ``0 <= k <= min(m, n)``.
    tol : float, optional
        If ``rank`` is not given, ``k`` is the numerical rank of the QRCP
        factor with this absolute tolerance on ``|R_jj|``
        (:func:`~pivotal.kernels.qrcp.numerical_rank`; its default
        ``max(m, n) eps |R_00|`` when ``tol`` is None too).
    f : float, optional
        ``> 1``; bound on ``|(R11^{-1} R12)_{ij}|`` (default 2).  Smaller
        values give tighter bounds and more interchanges.

    Returns
    -------
    qr : (m, n) array
        ``a`` itself, holding the compact factors.
    tau : (min(m, n),) array
    perm : numpy.ndarray
        Host ``int64`` column permutation.
    rank : int
        The ``k`` used.

    Raises
    ------
    ValueError
        For ``f <= 1``, a ``rank`` out of range, or both ``rank`` and
        ``tol`` given.

    Notes
    -----
    Guarantees (Gu and Eisenstat, Thm. 3.2), with ``R11 = R[:k, :k]``,
    ``R12 = R[:k, k:]``, ``R22 = R[k:, k:]``:

    * ``|(R11^{-1} R12)_{ij}| <= f``;
    * ``sigma_i(R11) >= sigma_i(A) / sqrt(1 + f^2 k (n - k))``;
    * ``sigma_j(R22) <= sigma_{k+j}(A) sqrt(1 + f^2 k (n - k))``;

    in floating point up to perturbations of order ``u ||A||`` (the final
    factors come from a backward stable Householder QR of ``A[:, perm]``).
    Cost: one QRCP, ``O(n^2)`` per interchange plus ``O(k^2 n)`` to
    re-evaluate the criterion, and one more Householder QR when an
    interchange happened; intended for ``n`` up to a few hundred (or where
    QRCP's pivots are known to mislead).  The interchange loop runs on the
    host.

    References
    ----------
    .. [1] M. Gu and S. C. Eisenstat, "Efficient algorithms for computing a
       strong rank-revealing QR factorization", SIAM J. Sci. Comput. 17(4),
       1996.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.rrqr import strong_rrqr
    >>> A = gallery.kahan(30)
    >>> qr, tau, perm, k = strong_rrqr(A.copy(), rank=29)
    >>> smin = np.linalg.svd(A, compute_uv=False)[-1]
    >>> k, bool(abs(qr[29, 29]) < 10 * smin)
    (29, True)
    """
    f = _check_f(f)
    if rank is not None and tol is not None:
        raise ValueError("pass either rank or tol, not both.")
    m, n = a.shape
    p = min(m, n)
    if rank is not None:
        try:
            k = int(rank)
        except (TypeError, ValueError):
            raise ValueError(f"rank must be an integer, got {rank!r}.") from None
        if k != rank or not 0 <= k <= p:
            raise ValueError(f"rank must be an integer with 0 <= rank <= min(m, n) = {p}, got {rank!r}.")
    xp = namespace(a)
    original = xp.asarray(a, copy=True)
    tau, perm = qrcp(a)
    if rank is None:
        diag = xp.abs(xp.linalg.diagonal(a)) if p else xp.zeros(0)
        k = numerical_rank(diag, m, n, tol)
    if k == 0 or k == n:
        return a, tau, perm, k
    r = xp.triu(a[:p, :])
    _, local, swaps = rrqr_interchanges(r, k, f)
    if swaps == 0:
        return a, tau, perm, k
    perm = perm[local]
    _permute_columns(a, original, perm)
    tau = householder_qr(a)
    return a, tau, perm, k
