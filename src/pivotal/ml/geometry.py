"""Geometry for ML: Haar rotations, Procrustes, projectors, Gram/covariance/distances, Gaussian sampling.

Each function states its numerics:

* :func:`random_rotation` draws from the Haar measure on SO(n): QR of a
  Gaussian matrix with the signs of ``R``'s diagonal moved into ``Q`` (without
  that correction QR's sign convention biases the draw; Mezzadri 2007), then
  one column negated when ``det Q = -1``.
* :func:`procrustes` solves ``min ||A R - B||_F`` over orthogonal ``R`` by one
  SVD of ``A^T B`` (Schönemann 1966).
* :func:`projection` returns the orthogonal projector onto ``range(A)`` as an
  operator ``x -> Q (Q^T x)``: ``Q Q^T`` is formed only when asked, and the
  certificate ``||Q^T Q - I||_2`` bounds both ``||P^2 - P||`` and the
  asymmetry of the computed products.
* :func:`pairwise_distances` uses ``|x|^2 + |y|^2 - 2 x.y`` on data centred
  by their mean (distances are translation invariant; centring removes the
  offset that makes the expansion cancel), clamps at zero, and recomputes
  directly the entries where cancellation left fewer than half the digits, so
  identical rows give exact zeros and near neighbours keep their accuracy.
  Work is blocked by rows.
* :func:`gram` and :func:`covariance` are exactly symmetric (one triangle
  computed and mirrored), and the covariance centres first (two passes, no
  ``E[x^2] - mean^2`` cancellation).
* :func:`sample_mvn` draws through Cholesky, or pivoted Cholesky for a
  singular (positive semidefinite) covariance, and says which it used.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse.linalg

from .._array import to_numpy
from .._seeding import as_generator
from ..errors import LinAlgWarning, NotPositiveDefiniteError, warn_user
from ..factorizations import PivotedCholesky
from ..least_squares import orth
from ..spectral import svd
from ._estimator import host

__all__ = [
    "MVNSample",
    "Projection",
    "covariance",
    "gram",
    "pairwise_distances",
    "procrustes",
    "projection",
    "random_rotation",
    "sample_mvn",
]


def _matrix(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(host(x))
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}.")
    if arr.dtype.kind not in "fc":
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or Inf.")
    return arr


# ---------------------------------------------------------------------------------------- rotations
def random_rotation(n: int, *, random_state: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """A Haar-distributed rotation: orthogonal with determinant +1.

    Parameters
    ----------
    n : int
        Dimension (``n >= 1``).
    random_state : None, int or numpy.random.Generator
    dtype : float32 or float64

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import random_rotation
    >>> R = random_rotation(4, random_state=0)
    >>> bool(np.allclose(R.T @ R, np.eye(4))), bool(np.isclose(np.linalg.det(R), 1.0))
    (True, True)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    Z = as_generator(random_state).standard_normal((n, n))
    Q, R = np.linalg.qr(Z)
    signs = np.sign(np.diagonal(R))
    signs[signs == 0] = 1
    Q = Q * signs  # Haar on O(n) (Mezzadri 2007)
    if np.linalg.det(Q) < 0:  # Haar on O(n) restricted by a fixed reflection: Haar on SO(n)
        Q[:, 0] = -Q[:, 0]
    return Q.astype(dtype, copy=False)


def procrustes(A: Any, B: Any, *, scaling: bool = False) -> tuple[np.ndarray, float]:
    """Orthogonal Procrustes: the orthogonal ``R`` (and scale ``s``) minimising ``||s A R - B||_F``.

    ``A^T B = U S V^T`` gives ``R = U V^T``; with ``scaling``,
    ``s = trace(S) / ||A||_F^2``, otherwise ``s = 1``.

    Returns
    -------
    R : (n, n) ndarray
    scale : float

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import procrustes, random_rotation
    >>> A = np.random.default_rng(0).standard_normal((10, 3))
    >>> R0 = random_rotation(3, random_state=1)
    >>> R, s = procrustes(A, 2.0 * A @ R0, scaling=True)
    >>> bool(np.allclose(R, R0)), round(s, 12)
    (True, 2.0)
    """
    A, B = _matrix(A, "A"), _matrix(B, "B")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}.")
    U, S, Vt = svd(A.T.conj() @ B, full_matrices=False, check_finite=False)
    R = U @ Vt
    if not scaling:
        return R, 1.0
    norm2 = float(np.sum(np.abs(A) ** 2))
    return R, (float(np.sum(S)) / norm2 if norm2 > 0 else 0.0)


# ---------------------------------------------------------------------------------------- projectors
class Projection(scipy.sparse.linalg.LinearOperator):
    """The orthogonal projector ``P = Q Q^H`` onto ``range(A)``, applied without forming it.

    A ``scipy.sparse.linalg.LinearOperator`` (so ``P @ x``, ``P.matvec``,
    ``pivotal.krylov`` and ``scipy.sparse.linalg`` accept it).

    Attributes
    ----------
    basis : (m, r) ndarray
        Orthonormal basis ``Q`` of the range.
    rank : int
    method : str
    orthonormality_error : float
        ``||Q^H Q - I||_2``: the certificate.  ``||P^2 - P||_2`` and the
        asymmetry ``|<P x, y> - <x, P y>| / (|x| |y|)`` are both at most
        about this (plus rounding of the products).
    """

    def __init__(self, Q: np.ndarray, method: str):
        m = Q.shape[0]
        super().__init__(dtype=Q.dtype, shape=(m, m))
        self.basis, self.rank, self.method = Q, Q.shape[1], method
        G = Q.conj().T @ Q
        G[np.diag_indices_from(G)] -= 1
        self.orthonormality_error = float(np.linalg.norm(G, 2)) if G.size else 0.0

    def _matmat(self, X):
        return self.basis @ (self.basis.conj().T @ X)

    def _matvec(self, x):
        return self._matmat(np.reshape(x, (-1, 1))).reshape(np.shape(x))

    def _adjoint(self):
        return self

    def complement(self, x: Any) -> np.ndarray:
        """``(I - P) x``: the component orthogonal to the range."""
        x = np.asarray(host(x))
        return x - self.matmat(x) if x.ndim == 2 else x - self.matvec(x)

    def matrix(self) -> np.ndarray:
        """``Q Q^H`` formed explicitly (``m x m``: only when asked)."""
        return self.basis @ self.basis.conj().T


def projection(A: Any, *, method: str = "qr", rcond: float | None = None) -> Projection:
    """The orthogonal projector onto ``range(A)`` as an operator, with its certificate.

    Parameters
    ----------
    A : (m, n) array_like
    method : {"qr", "svd"}
        Column-pivoted QR (cheaper) or SVD (the most reliable rank) to find
        the basis; both reveal the numerical rank with ``rcond``.
    rcond : float, optional
        Relative threshold of the rank decision (default ``max(m, n) eps``).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import projection
    >>> A = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    >>> P = projection(A)
    >>> P.rank, np.round(P @ np.array([1.0, 0.0, 1.0]), 12).tolist()
    (1, [0.5, 0.5, 0.0])
    >>> P.orthonormality_error < 1e-15
    True
    """
    if method not in ("qr", "svd"):
        raise ValueError(f"method must be 'qr' or 'svd', got {method!r}.")
    A = _matrix(A, "A")
    Q = to_numpy(orth(A, rcond, method="qrcp" if method == "qr" else "svd"))
    return Projection(np.ascontiguousarray(Q), method)


# ---------------------------------------------------------------------------- Gram, covariance, distances
def _symmetrize_from_upper(G: np.ndarray) -> np.ndarray:
    iu = np.triu_indices_from(G, 1)
    G[(iu[1], iu[0])] = G[iu].conj()
    return G


def gram(X: Any, Y: Any = None) -> np.ndarray:
    """``X Y^H`` (rows' inner products); with ``Y=None`` ``X X^H``, exactly Hermitian with a real diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import gram
    >>> G = gram(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> G.tolist(), bool(np.array_equal(G, G.T))
    ([[5.0, 11.0], [11.0, 25.0]], True)
    """
    X = _matrix(X, "X")
    if Y is not None:
        Y = _matrix(Y, "Y")
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"X and Y must have the same number of columns, got {X.shape[1]} and {Y.shape[1]}."
            )
        return X @ Y.conj().T
    G = _symmetrize_from_upper(X @ X.conj().T)
    if np.iscomplexobj(G):
        G[np.diag_indices_from(G)] = G.diagonal().real
    return G


def covariance(X: Any, *, ddof: int = 1) -> np.ndarray:
    """Covariance of the columns of ``X`` (rows are samples), centred first, exactly symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import covariance
    >>> X = 1e8 + np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])  # E[x^2] - mean^2 would cancel
    >>> covariance(X).tolist()
    [[1.0, 2.0], [2.0, 4.0]]
    """
    X = _matrix(X, "X")
    n = X.shape[0]
    if not isinstance(ddof, (int, np.integer)) or not 0 <= ddof < n:
        raise ValueError(f"ddof must be an integer in [0, n_samples) = [0, {n}), got {ddof!r}.")
    Xc = X - X.mean(axis=0)
    return gram(Xc.T) / (n - ddof)


def pairwise_distances(X: Any, Y: Any = None, *, squared: bool = False, block_rows: int = 1024) -> np.ndarray:
    """Euclidean distances between the rows of ``X`` and ``Y`` (default ``Y = X``), safely and in blocks.

    Parameters
    ----------
    X : (n, d) array_like
    Y : (m, d) array_like, optional
    squared : bool
        Return squared distances.
    block_rows : int
        Rows of ``X`` per block (memory ``O(block_rows * m)`` besides the output).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import pairwise_distances
    >>> X = 1e6 + np.array([[0.0, 0.0], [3e-6, 4e-6], [0.0, 0.0]])
    >>> D = pairwise_distances(X)
    >>> float(D[0, 2]), round(float(D[0, 1]) * 1e6, 12)   # exact zero; 5e-6 to full accuracy
    (0.0, 5.0)
    """
    X = _matrix(X, "X")
    same = Y is None
    Y = X if same else _matrix(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got {X.shape[1]} and {Y.shape[1]}.")
    if not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
        raise ValueError(f"block_rows must be a positive integer, got {block_rows!r}.")
    shift = X.mean(axis=0) if X.shape[0] else 0
    Xc, Yc = X - shift, (Y - shift if not same else None)
    Yc = Xc if same else Yc
    xx = np.sum(np.abs(Xc) ** 2, axis=1)
    yy = xx if same else np.sum(np.abs(Yc) ** 2, axis=1)
    u = float(np.finfo(np.result_type(X.dtype, np.float32)).eps) / 2
    out = np.empty((X.shape[0], Y.shape[0]), dtype=np.result_type(xx.dtype, yy.dtype))
    for i in range(0, X.shape[0], block_rows):
        rows = slice(i, i + block_rows)
        D = xx[rows, None] + yy[None, :] - 2 * (Xc[rows] @ Yc.conj().T).real
        np.maximum(D, 0, out=D)
        # fewer than half the digits survived where D <= sqrt(u) (|x|^2 + |y|^2): recompute those directly
        scale = xx[rows, None] + yy[None, :]
        bad_i, bad_j = np.nonzero(4 * math.sqrt(u) * scale >= D)
        if bad_i.size:
            diff = Xc[rows][bad_i] - Yc[bad_j]
            D[bad_i, bad_j] = np.sum(np.abs(diff) ** 2, axis=1)
        out[rows] = D
    if same:
        np.fill_diagonal(out, 0)
        out = np.minimum(out, out.T)  # exactly symmetric (both triangles hold the same rounding bound)
    return out if squared else np.sqrt(out)


# -------------------------------------------------------------------------------------------- sampling
class MVNSample(NamedTuple):
    """Samples of a multivariate normal and how they were drawn."""

    samples: np.ndarray
    method: str  # "cholesky" or "pivoted cholesky (rank r)"


def sample_mvn(mean: Any, cov: Any, size: int | tuple = 1, *, random_state: Any = None) -> MVNSample:
    """Draw from ``N(mean, cov)`` as ``mean + L z`` with ``cov = L L^T``.

    A positive definite ``cov`` uses Cholesky.  A positive semidefinite
    (singular) one uses pivoted Cholesky, whose ``r`` columns span the
    covariance's range, so the samples lie exactly in it; a ``LinAlgWarning``
    names the rank.  An indefinite ``cov`` (beyond rounding) raises
    ``NotPositiveDefiniteError``.

    Returns
    -------
    MVNSample
        ``samples`` of shape ``(*size, d)`` and ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import sample_mvn
    >>> draw = sample_mvn([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], 5, random_state=0)
    >>> draw.method, bool(np.allclose(draw.samples[:, 0], draw.samples[:, 1]))
    ('pivoted cholesky (rank 1)', True)
    """
    from ..decompositions import cholesky

    cov = _matrix(cov, "cov")
    d = cov.shape[0]
    if cov.shape != (d, d):
        raise ValueError(f"cov must be square, got shape {cov.shape}.")
    mean = np.broadcast_to(np.asarray(host(mean), dtype=cov.dtype), (d,))
    shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    if any(s < 0 for s in shape):
        raise ValueError(f"size must be non-negative, got {size!r}.")
    if not np.allclose(cov, cov.conj().T, rtol=0, atol=8 * d * np.finfo(cov.dtype).eps * np.abs(cov).max()):
        raise ValueError("cov must be symmetric (Hermitian) to rounding; symmetrise it as (cov + cov.T) / 2.")
    try:
        L = cholesky(cov, lower=True, check_finite=False)
        # a pivot at rounding level is a zero-variance direction: the pivoted factorization handles it
        definite = bool(
            np.all(np.diagonal(L).real ** 2 > d * np.finfo(cov.dtype).eps * np.max(cov.diagonal().real))
        )
    except NotPositiveDefiniteError:
        definite = False
    method = "cholesky"
    if not definite:
        F = PivotedCholesky(cov, check_finite=False)  # raises NotPositiveDefiniteError for an indefinite cov
        L = np.empty((d, F.rank), dtype=cov.dtype)
        L[F.p] = F.L  # cov[p][:, p] = F.L F.L^H
        method = f"pivoted cholesky (rank {F.rank})"
        warn_user(
            LinAlgWarning(
                f"sample_mvn: cov is singular (numerical rank {F.rank} of {d}): samples lie in its range."
            )
        )
    z = as_generator(random_state).standard_normal((*shape, L.shape[1]))
    return MVNSample(mean + z @ L.T, method)
