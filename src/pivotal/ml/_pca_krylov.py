"""Block Krylov PCA on the implicitly centred data: the randomized solver of :class:`pivotal.ml.PCA`.

The principal axes are the dominant eigenvectors of ``A = Xc^T Xc`` with
``Xc = X - 1 mean^T``.  With ``b`` Gaussian test vectors, the orthonormal
``d x b`` blocks ``Z_0, ..., Z_q`` span the block Krylov space
``{Omega, A Omega, ..., A^q Omega}`` (Musco and Musco 2015): each
``Z_{j+1}`` is ``A Z_j = Xc^T (Xc Z_j)`` orthogonalised against the earlier
blocks (two passes of block Gram-Schmidt, then a QR).  Rayleigh-Ritz on
that space is the eigendecomposition of ``T = Z^T A Z`` (``(q+1) b`` square),
whose blocks are already known from the products: ``T_ij = Z_i^T W_j`` with
``W_j = Xc^T Y_j`` and ``Y_j = Xc Z_j``, and ``T_qq = Y_q^T Y_q``.  Depth
``q`` costs ``2 q + 1`` products with ``X`` (scikit-learn's randomized PCA
takes ``2 n_iter + 2``: 16 with its default 7 power iterations) and no
product with an ``n x (q+1) b`` matrix besides ``Y_q^T Y_q``: ``U`` is never
formed, PCA does not need it.  ``X - mean`` is never formed either:
``Xc Z = X Z - 1 (mean^T Z)`` and ``Xc^T Y = X^T Y - mean (1^T Y)``, so a
sparse ``X`` stays sparse and a dense one is not copied.

Each Ritz value increases with the depth (Cauchy interlacing: ``T`` of depth
``j - 1`` is a leading block of ``T`` of depth ``j``), so the sum ``S_j`` of
the top ``k`` Ritz values (the explained variance times ``n - 1``) is
monotone.  ``depth="auto"`` runs at least :data:`AUTO_MIN_DEPTH` steps and
stops when the deficit still to come, extrapolated from the last two
increments ``c_j = S_j - S_{j-1}`` and their ratio ``rho = c_j / c_{j-1}``
(Krylov convergence accelerates: ``c_j rho / (1 - rho)``), is at most
:data:`AUTO_RTOL` ``S_j``, or after :data:`AUTO_MAX_DEPTH` steps.  On
``20000 x 2000`` data with ``k = 50``, ``b = 60`` (deficits of the top-50
variance sum relative to the exact one, scikit-learn's randomized PCA in
brackets): spectrum ``0.9^i`` stops at depth 3, exact to rounding (exact
too); ``1/sqrt(i)`` at depth 4, ``5e-6`` (``2.6e-4``); ``1/i`` at 3,
``1e-7`` (``7e-7``); ``exp(-i/50)`` at 3, ``2e-9`` (``1e-5``); 30 spikes on
a flat noise floor runs to depth 7, ``5e-5`` (``1.5e-3``).  The target is
``1e-4``, not scikit-learn's result: where its 16 products converge further
(``5000 x 1000``, ``k = 20``: ``1/i``, ``2e-8``; the 30 spikes,
``3e-16``) the auto depth 3 may stop a few ``1e-8`` short (``3e-8``,
``5e-9``); ``iterated_power=4`` reaches ``1e-11``.

**Accuracy of the Ritz values.**  ``T`` is a Gram matrix: its eigenvalues
carry absolute errors ``~ u lambda_1``, a relative error ``u lambda_1 /
lambda_k`` in the ``k``-th explained variance (the accuracy of PCA by
``eigh`` of the covariance).  When ``lambda_1 / lambda_k`` exceeds
:data:`GRAM_MAX_SPREAD` the Ritz pairs come instead from the SVD of the
triangle of a Householder QR of ``Xc Z`` (one more product, of width
``(q+1) b``): absolute errors ``~ u sigma_1`` in the singular values, as
for an SVD of the data.  For float32 ``X`` the products run in float32 but
``T`` is accumulated in float64 from the kept blocks ``Y_j`` (``n x (q+1) b``
in float32, at most the size of ``X``), so its rounding is that of the float32 products, ``~ u_32
sigma_1 sigma_i``, not ``u_32 lambda_1``.

References
----------
C. Musco and C. Musco, "Randomized block Krylov methods for stronger and
faster approximate singular value decomposition", NeurIPS 2015.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._seeding import as_generator
from ..spectral import eigh, svd

#: ``depth="auto"``: at least this many block Krylov steps (7 products with X) ...
AUTO_MIN_DEPTH = 3
#: ... and at most this many (15 products, one fewer than scikit-learn's 7 power iterations).
AUTO_MAX_DEPTH = 7
#: ``depth="auto"`` stops when the extrapolated deficit of the top-k variance sum is at most this (relative).
AUTO_RTOL = 1e-4
#: ``lambda_1 / lambda_k`` above which the Ritz pairs come from a QR of ``Xc Z`` instead of the Gram matrix.
GRAM_MAX_SPREAD = 1e6


@dataclass
class KrylovPCA:
    """Top-``k`` Ritz pairs of ``Xc^T Xc`` (module notes).

    Attributes
    ----------
    s : ndarray of shape (k,)
        Ritz approximations of the top singular values of ``Xc`` (descending, float64).
    Vt : ndarray of shape (k, d)
        Orthonormal rows: the principal axes (float64, signs not normalised).
    depth : int
        Block Krylov steps taken (``2 depth + 1`` products with ``X``, plus one for ``"qr"``).
    block : int
        Columns per block.
    rayleigh_ritz : str
        ``"gram"`` or ``"qr"`` (module notes).
    why : str
        Why the iteration stopped.
    """

    s: np.ndarray
    Vt: np.ndarray
    depth: int
    block: int
    rayleigh_ritz: str
    why: str

    @property
    def products(self) -> int:
        """Products with ``X`` or ``X^T`` of ``block`` columns (``"qr"`` adds one of ``(depth + 1) block``)."""
        return 2 * self.depth + 1


def _orthonormal_against(W: np.ndarray, basis: np.ndarray, room: int) -> np.ndarray:
    """Orthonormal columns spanning ``W`` projected off the orthonormal ``basis`` (at most ``room`` of them).

    Block Gram-Schmidt twice, a QR, and once more against ``basis`` (keeps the block orthogonal to it when
    ``W`` was nearly inside it: a breakdown, e.g. for data of low rank; the noise directions then get Ritz
    values at rounding level).  When ``room`` is smaller than the block, the ``room`` dominant directions
    of the projected block are kept.
    """
    for _ in range(2):
        W = W - basis @ (basis.T @ W)
    if room < W.shape[1]:
        W = W @ svd(W, full_matrices=False, check_finite=False)[2][:room].T
    Q = np.linalg.qr(W)[0]
    return np.linalg.qr(Q - basis @ (basis.T @ Q))[0]


def _top_sum(T: np.ndarray, k: int) -> float:
    return float(np.sum(np.linalg.eigvalsh(T)[::-1][:k]))


def krylov_pca(
    matmat: Callable[[np.ndarray], np.ndarray],
    rmatmat: Callable[[np.ndarray], np.ndarray],
    shape: tuple[int, int],
    dtype: Any,
    k: int,
    *,
    block: int,
    depth: int | str = "auto",
    random_state: Any = None,
) -> KrylovPCA:
    """Block Krylov Rayleigh-Ritz for the top ``k`` principal axes of ``Xc`` (module notes).

    Parameters
    ----------
    matmat, rmatmat : callables
        ``Z -> Xc Z`` and ``Y -> Xc^T Y`` on arrays of the working ``dtype``.
    shape : (n, d)
        Shape of ``Xc``.
    dtype : numpy dtype
        Working dtype of the products (float32 or float64).
    k : int
        Number of components, ``1 <= k <= block <= min(n, d)``.  The basis grows to at most ``d``
        columns (the last block truncated to its dominant directions).
    block : int
        Columns per Krylov block.
    depth : int or "auto"
        Block Krylov steps (``2 depth + 1`` products); ``"auto"`` as in the module notes.
    random_state : seed of the Gaussian start block.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 40)) * 0.7 ** np.arange(40) + 3.0
    >>> Xc = X - X.mean(axis=0)
    >>> found = krylov_pca(lambda Z: Xc @ Z, lambda Y: Xc.T @ Y, X.shape, X.dtype, 5, block=8, random_state=0)
    >>> exact = np.linalg.svd(Xc, compute_uv=False)[:5]
    >>> bool(np.allclose(found.s, exact, rtol=1e-12)), found.depth, found.rayleigh_ritz
    (True, 3, 'gram')
    """
    d = shape[1]
    work = np.dtype(dtype)
    keep_blocks = work != np.float64  # float32: accumulate T in float64 from the blocks Y_j
    cap = d  # the basis lives in R^d; beyond range(Xc^T) (dimension < n) the blocks are rounding noise
    auto = depth == "auto"
    max_depth = AUTO_MAX_DEPTH if auto else int(depth)
    rng = as_generator(random_state)
    Z = np.linalg.qr(rng.standard_normal((d, block)))[0]
    Zs: list[np.ndarray] = []
    Ws: list[np.ndarray] = []
    Ys: list[np.ndarray] = []
    T = np.zeros((0, 0))
    sums: list[float] = []
    why = f"depth {max_depth} (iterated_power)"
    while True:
        j = len(Zs)
        Zs.append(Z)
        Y = matmat(Z.astype(work, copy=False))
        Y64 = np.asarray(Y, dtype=np.float64)
        if keep_blocks:  # kept in the working dtype, each block raised to float64 for its products
            cross = np.vstack([Yi.astype(np.float64).T @ Y64 for Yi in Ys] or [np.zeros((0, Z.shape[1]))])
            Ys.append(Y)
        else:  # T_ij = Z_i^T W_j for i < j; T_jj = Y_j^T Y_j
            cross = (Z.T @ np.hstack(Ws)).T if Ws else np.zeros((0, Z.shape[1]))
        T = np.block([[T, cross], [cross.T, Y64.T @ Y64]])
        ncols = T.shape[0]
        if auto:
            sums.append(_top_sum(T, k))
            if j >= AUTO_MIN_DEPTH:
                c, c_old = sums[-1] - sums[-2], sums[-2] - sums[-3]
                rho = c / c_old if c_old > 0 else 0.0
                if c <= 0 or (rho < 1 and c * rho / (1 - rho) <= AUTO_RTOL * sums[-1]):
                    why = f"auto: the extrapolated deficit of the top-{k} variance is within {AUTO_RTOL:g}"
                    break
            if j >= max_depth:
                why = f"auto: the most steps ({AUTO_MAX_DEPTH})"
                break
        elif j >= max_depth:
            break
        if ncols >= cap:
            why = f"the basis spans all d = {cap} columns (Rayleigh-Ritz is exact)"
            break
        W = np.asarray(rmatmat(Y), dtype=np.float64)
        Ws.append(W)
        Z = _orthonormal_against(W, np.hstack(Zs), cap - ncols)
    basis = np.hstack(Zs)
    lam, V = eigh((T + T.T) / 2, check_finite=False)
    lam, V = lam[::-1], V[:, ::-1]
    rayleigh_ritz = "gram"
    if not (lam[k - 1] > 0 and lam[0] <= GRAM_MAX_SPREAD * lam[k - 1]):
        rayleigh_ritz = "qr"
        Yall = np.asarray(np.hstack(Ys) if keep_blocks else matmat(basis.astype(work)), dtype=np.float64)
        R = scipy.linalg.qr(Yall, mode="r", overwrite_a=True, check_finite=False)[0]
        _, s, vh = svd(R, full_matrices=False, check_finite=False)
        s, V = s[:k], vh[:k].T
    else:
        s = np.sqrt(np.maximum(lam[:k], 0))
        V = V[:, :k]
    return KrylovPCA(s, (basis @ V).T, len(Zs) - 1, block, rayleigh_ritz, why)


def check_iterated_power(value: Any) -> int | str:
    """``iterated_power``: ``"auto"`` or a non-negative int."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ValueError(f"iterated_power must be 'auto' or a non-negative int, got {value!r}.")


def check_n_oversamples(value: Any) -> int:
    """``n_oversamples``: a non-negative int."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ValueError(f"n_oversamples must be a non-negative int, got {value!r}.")


def block_size(k: int, n_oversamples: int, shape: tuple[int, int]) -> int:
    """``k + n_oversamples`` columns per block, at most ``min(n, d)``."""
    return min(k + n_oversamples, *shape)


__all__ = [
    "AUTO_MAX_DEPTH",
    "AUTO_MIN_DEPTH",
    "AUTO_RTOL",
    "GRAM_MAX_SPREAD",
    "KrylovPCA",
    "block_size",
    "check_iterated_power",
    "check_n_oversamples",
    "krylov_pca",
]
