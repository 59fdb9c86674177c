"""Whitening and PCA on pivotal's eigen, SVD and randomized SVD, with their numerics stated.

``Whitening`` maps centred data to identity covariance.  The covariance's
eigendecomposition (``eigh`` of ``Xc^T Xc / (n - 1)`` when ``n > d``, a thin
SVD of the centred data when ``d >= n``, which never forms the ``d x d``
covariance's square of the condition number) gives ``Sigma = V diag(lam) V^T``:

* ``"zca"``: ``W = V diag(1/sqrt(lam + eps)) V^T`` (the whitening closest to
  the data: output in the input's coordinates);
* ``"pca"``: ``W = V diag(1/sqrt(lam + eps))`` (output on the principal axes);
* ``"cholesky"``: ``W = L^{-T}`` with ``Sigma + eps I = L L^T`` (triangular,
  cheapest to apply; needs a positive definite covariance).

Eigenvalues that rounding made negative are clamped to zero.  Eigenvalues at
or below ``max(n, d) u lambda_max`` are rounding noise: the covariance is
rank-deficient, a ``LinAlgWarning`` says so with the rank, and with
``eps = 0`` those directions are mapped to zero (a pseudo-inverse square
root) instead of being divided by noise.

``PCA`` follows scikit-learn's ``PCA`` (attributes, sign convention: the
largest entry of each component is positive).  ``svd_solver="randomized"``
runs a block Krylov iteration on the centred data seen through its products,
``X v - 1 (mean^T v)`` (:mod:`pivotal.ml._pca_krylov`): ``X - mean`` is
never formed, so sparse ``X`` stays sparse, and a dense one is not copied.
Depth ``q`` costs ``2 q + 1`` products with ``X`` against scikit-learn's 16
(7 power iterations), and by default the depth adapts (3 to 7) until the
explained variance has converged to a relative ``1e-4``; ``path_`` records
the block, the depth and why it stopped.  The total variance (for
``explained_variance_ratio_``) is summed blockwise without forming
``X - mean`` either.

``PCA`` also fits a ``dask.array.Array`` chunked by rows, never gathered on
one worker:

* one pass computes the mean and the total variance together: each chunk
  reports its column means and centred sums of squares, combined on the
  client by Chan, Golub & LeVeque's pairwise update (no cancellation);
* ``"randomized"`` runs the Dask :func:`pivotal.rsvd` (subspace iteration,
  ``iterated_power`` its ``n_iter``, ``n_oversamples`` its own) on the lazy
  ``X - mean``: each task centres its own chunk as it reads it, so the
  centred matrix is never stored, only one chunk-sized temporary per task.
  (Not the block Krylov of in-memory input, whose blocks ``X Z`` would
  need one pass each; on well-separated spectra both converge to the same
  components, to rounding.)
* ``"full"`` takes the TSQR :func:`pivotal.kernels.tsqr.tsqr` of the lazily
  centred ``X`` (one pass, only the ``d x d`` triangle ``R`` reaches the
  client) and the SVD of ``R``: the singular values and right singular
  vectors of the centred data, backward stable like the in-memory SVD.  It
  needs the ``d x d`` matrix on the client.

``transform`` and ``inverse_transform`` of a dask array are lazy dask arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse
from array_api_compat import is_dask_array

from ..decompositions import cholesky, solve_triangular
from ..errors import LinAlgWarning, NotPositiveDefiniteError, warn_user
from ..kernels.tsqr import tsqr
from ..randomized import rsvd
from ..spectral import eigh, svd
from ._estimator import Estimator, check_samples, host
from ._pca_krylov import block_size, check_iterated_power, check_n_oversamples, krylov_pca

__all__ = ["PCA", "Whitening"]


def _centred_spectrum(Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lam, V)``: covariance eigenvalues (descending, clamped at 0) and eigenvectors (columns)."""
    n, d = Xc.shape
    if n > d:
        lam, V = eigh(Xc.T @ Xc / (n - 1), check_finite=False)
        lam, V = lam[::-1], V[:, ::-1]
    else:
        _, s, Vt = svd(Xc, full_matrices=False, check_finite=False)
        lam, V = s * s / (n - 1), Vt.T
    return np.maximum(lam, 0), np.ascontiguousarray(V)


class Whitening(Estimator):
    """Transform data to zero mean and identity covariance (ZCA, PCA or Cholesky whitening).

    Parameters
    ----------
    method : {"zca", "pca", "cholesky"}, default "zca"
        See the module documentation.
    eps : float, default 0.0
        Added to the covariance's eigenvalues (to its diagonal for
        ``"cholesky"``): regularised whitening.  With ``eps = 0`` directions
        of zero variance map to zero (and a warning names the rank).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    eigenvalues_ : ndarray
        Covariance eigenvalues, descending (``"zca"``, ``"pca"``).
    components_ : ndarray of shape (n_components, n_features)
        Principal axes as rows (``"zca"``, ``"pca"``).
    rank_ : int
        Numerical rank of the covariance.
    whitening_matrix_ : ndarray
        ``W`` with ``transform(X) = (X - mean_) @ W`` (``"zca"``: d x d;
        ``"pca"``: d x n_components, where ``eps = 0`` drops the
        zero-variance directions).
    cholesky_factor_ : ndarray
        ``L`` with ``Sigma + eps I = L L^T`` (``"cholesky"`` only: the
        transform solves with it instead of forming ``L^{-T}``).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import Whitening
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0.5, 0.1]])
    >>> Z = Whitening("zca").fit_transform(X)
    >>> bool(np.allclose(np.cov(Z, rowvar=False), np.eye(3)))
    True
    """

    _estimator_type = "transformer"

    def __init__(self, method: str = "zca", *, eps: float = 0.0):
        self.method = method
        self.eps = eps

    def fit(self, X: Any, y: Any = None) -> Whitening:
        """Estimate the mean and the whitening transform (``y`` is ignored, for pipelines)."""
        if self.method not in ("zca", "pca", "cholesky"):
            raise ValueError(f"method must be 'zca', 'pca' or 'cholesky', got {self.method!r}.")
        eps = float(self.eps)
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f"eps must be finite and non-negative, got {self.eps!r}.")
        X = check_samples(self, host(X), reset=True)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"Whitening needs at least 2 samples to estimate a covariance, got {n} sample.")
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        u = float(np.finfo(X.dtype).eps) / 2
        if self.method == "cholesky":
            cov = Xc.T @ Xc / (n - 1)
            cov.flat[:: d + 1] += eps
            try:
                L = cholesky(cov, lower=True, check_finite=False)
                # a pivot at rounding level is a zero-variance direction, not a tiny variance
                small = np.flatnonzero(np.diagonal(L) ** 2 <= max(n, d) * u * np.max(np.diagonal(cov)))
                failed = int(small[0]) if small.size else None
            except NotPositiveDefiniteError as exc:
                failed = exc.index
            if failed is not None:
                why = "d > n - 1" if d > n - 1 else "rank-deficient data"
                raise NotPositiveDefiniteError(
                    failed,
                    "the covariance (+ eps I) is not numerically positive definite: Cholesky failed or met a "
                    f"rounding-level pivot at column {failed} ({why}). Pass eps > 0, or use method='zca' or "
                    "'pca', which map the zero-variance directions to zero.",
                )
            self.cholesky_factor_ = L
            self.rank_ = d
            return self
        lam, V = _centred_spectrum(Xc)
        tol = max(n, d) * u * (lam[0] if lam.size else 0)
        self.rank_ = int(np.count_nonzero(lam > tol))
        if self.rank_ < d:
            how = "regularised by eps" if eps > 0 else "mapped to zero"
            warn_user(
                LinAlgWarning(
                    f"Whitening: the covariance is rank-deficient (rank {self.rank_} of {d}; eigenvalues at or "
                    f"below {tol:.1e} are rounding noise): those directions are {how}, and the output "
                    "covariance is not the identity there."
                )
            )
        kept = lam > tol if eps == 0 else np.ones(lam.size, dtype=bool)
        if self.method == "pca":
            lam, V = lam[kept], V[:, kept]
            scale = 1 / np.sqrt(lam + eps)
        else:
            with np.errstate(divide="ignore"):
                scale = np.where(kept, 1 / np.sqrt(lam + eps), 0)
        self.eigenvalues_, self.components_ = lam, V.T
        self._scale = scale
        self.whitening_matrix_ = (V * scale) @ V.T if self.method == "zca" else V * scale
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Whitened data ``(X - mean_) @ W``."""
        self._check_fitted("mean_")
        Xc = check_samples(self, host(X), reset=False) - self.mean_
        if self.method == "cholesky":
            return solve_triangular(self.cholesky_factor_, Xc.T, lower=True, check_finite=False).T
        return Xc @ self.whitening_matrix_

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X, y).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Map whitened data back (exact for full-rank covariances; zero-variance directions are lost)."""
        self._check_fitted("mean_")
        Z = np.asarray(host(Z))
        if self.method == "cholesky":
            return Z @ self.cholesky_factor_.T + self.mean_
        V = self.components_.T
        with np.errstate(divide="ignore"):
            back = np.where(self._scale > 0, 1 / self._scale, 0)
        if self.method == "zca":
            return (Z @ V) * back @ V.T + self.mean_
        return (Z * back) @ V.T + self.mean_


# ----------------------------------------------------------------------------------------- PCA
def _flip_signs(Vt: np.ndarray) -> np.ndarray:
    """scikit-learn's convention: the largest-magnitude entry of each component (row of Vt) is positive."""
    signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1
    return Vt * signs[:, None]


def _chunk_moments(block: np.ndarray) -> np.ndarray:
    """``[[rows, ...], column means, centred column sums of squares]`` of one row chunk (float64)."""
    b = np.asarray(block, dtype=np.float64)
    out = np.zeros((3, b.shape[1]))
    out[0] = b.shape[0]
    if b.shape[0]:
        out[1] = b.mean(axis=0)
        out[2] = np.sum((b - out[1]) ** 2, axis=0)
    return out


def _dask_mean_and_variance(X: Any) -> tuple[np.ndarray, float]:
    """The column means and the total variance (ddof 1) of a dask ``X`` in one pass (module notes).

    Chunks combine by Chan, Golub & LeVeque's update ``M2 = M2_a + M2_b +
    n_a n_b / (n_a + n_b) (mean_a - mean_b)^2``, here for all chunks at once:
    ``M2 = sum_i M2_i + sum_i n_i (mean_i - mean)^2``.
    """
    p = X.numblocks[0]
    parts = X.map_blocks(_chunk_moments, chunks=((3,) * p, X.chunks[1]), dtype=np.float64).compute()
    counts, means, m2 = parts[0::3, :1], parts[1::3], parts[2::3]
    n = float(counts.sum())
    mean = (counts * means).sum(axis=0) / n
    total = float(m2.sum() + np.sum(counts * (means - mean) ** 2))
    if not (np.isfinite(mean).all() and math.isfinite(total)):
        raise ValueError("Input X contains NaN or infinity; remove or impute those entries first.")
    return mean, total / (n - 1)


def _check_dask(X: Any, estimator: Any) -> Any:
    """A row-chunked dask ``X`` in its working float dtype, one column chunk (lazy); records ``n_features_in_``."""
    if X.ndim != 2 or min(X.shape) < 1:
        raise ValueError(f"Found array with shape {X.shape}: PCA needs a 2-D matrix with samples.")
    if any(math.isnan(c) for cs in X.chunks for c in cs):
        raise ValueError(
            "X has unknown chunk sizes; call X.compute_chunk_sizes() (or build it with known chunks) first."
        )
    dt = np.dtype(X.dtype)
    if dt.kind == "c":
        raise ValueError("Complex data not supported: PCA needs real X.")
    if dt.kind in "biu":
        X = X.astype(np.float64)
    elif dt.kind != "f":
        raise ValueError(f"X must be numeric, got dtype {dt}.")
    elif dt.itemsize < 4:
        X = X.astype(np.float32)
    estimator.n_features_in_ = int(X.shape[1])
    return X.rechunk({1: -1}) if X.numblocks[1] != 1 else X


def _total_variance(X: Any, mean: np.ndarray, block_bytes: int = 1 << 20) -> float:
    """``sum_j var(X[:, j])`` (ddof 1) without forming ``X - mean`` (sparse: over the nonzeros)."""
    n = X.shape[0]
    if scipy.sparse.issparse(X):
        C = scipy.sparse.csc_array(X)
        total = 0.0
        counts = np.diff(C.indptr)
        cols = np.repeat(np.arange(C.shape[1]), counts)
        total = float(np.sum((C.data - mean[cols]) ** 2)) + float(np.sum((n - counts) * mean**2))
        return total / (n - 1)
    total = 0.0
    block_rows = max(1, block_bytes // max(X.shape[1] * X.itemsize, 1))
    for i in range(0, n, block_rows):
        D = np.asarray(X[i : i + block_rows] - mean, dtype=np.float64).ravel()  # float32: sum in float64
        total += float(np.dot(D, D))
    return total / (n - 1)


def _centred_products(X: Any, mean: np.ndarray) -> tuple[Any, Any]:
    """``Z -> (X - 1 mean^T) Z`` and ``Y -> (X - 1 mean^T)^T Y`` without forming ``X - mean``."""

    def matmat(Z: np.ndarray) -> np.ndarray:
        Y = np.asarray(X @ Z)
        Y -= mean @ Z
        return Y

    def rmatmat(Y: np.ndarray) -> np.ndarray:
        W = np.asarray(X.T @ Y)
        W -= np.outer(mean, Y.sum(axis=0))
        return W

    return matmat, rmatmat


class PCA(Estimator):
    """Principal component analysis, scikit-learn-compatible, with a randomized solver that never centres X.

    Parameters
    ----------
    n_components : int, float or None, default None
        Number of components (``1 <= k <= min(n, d)``); a float in ``(0, 1)``
        keeps the fewest components explaining that fraction of the variance
        (``"full"`` solver); None keeps ``min(n, d)``.
    svd_solver : {"auto", "full", "randomized"}, default "auto"
        ``"full"``: thin SVD (LAPACK) of the centred data.  ``"randomized"``:
        block Krylov Rayleigh-Ritz on the implicitly centred data (module
        notes).  ``"auto"``: scikit-learn's rule: ``"full"`` when
        ``max(n, d) <= 500`` or ``n_components`` is a fraction or at least
        ``0.8 min(n, d)``, else ``"randomized"``.  Sparse ``X`` needs the
        randomized solver.  A ``dask.array.Array`` chunked by rows works with
        both: ``"randomized"`` through the Dask :func:`pivotal.rsvd`,
        ``"full"`` through a TSQR (module notes).
    whiten : bool, default False
        Scale the projected data to unit variance.
    iterated_power : int or "auto", default "auto"
        Randomized solver: the block Krylov depth ``q`` (``2 q + 1``
        products with ``X``; the space ``span{Omega, A Omega, ..., A^q
        Omega}`` with ``A = Xc^T Xc``).  ``"auto"``: 3 to 7 steps, until the
        extrapolated deficit of the explained variance is at most ``1e-4``
        relative.  For a Dask array it is the ``n_iter`` (power iterations)
        of the Dask :func:`pivotal.rsvd`.
    n_oversamples : int, default 10
        Randomized solver: the Krylov block has ``n_components +
        n_oversamples`` columns (at most ``min(n, d)``).
    random_state : None, int or numpy.random.Generator
        Seed of the randomized solver.  The full solver has no randomness
        and does not read it, nor ``iterated_power`` and ``n_oversamples``
        (accepted, like scikit-learn's, so that ``set_random_state`` and
        parameter grids apply to every solver).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)
    noise_variance_ : float
        Mean of the discarded variances (scikit-learn's probabilistic-PCA estimate).
    n_components_, n_samples_, n_features_in_ : int
    svd_solver_ : str
        The solver that ran.
    n_iter_ : int or None
        Block Krylov depth of the randomized solver (None for ``"full"`` and
        for Dask input).
    path_ : str
        The route taken: solver, block, depth, products with ``X``, why the
        iteration stopped and how the Ritz pairs were computed.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import PCA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2)) @ np.array([[3.0, 1.0], [0.0, 0.5]])
    >>> pca = PCA(1).fit(X)
    >>> bool(pca.explained_variance_ratio_[0] > 0.95), pca.svd_solver_
    (True, 'full')
    """

    _estimator_type = "transformer"
    _accepts_sparse = True

    def __init__(
        self,
        n_components: Any = None,
        *,
        svd_solver: str = "auto",
        whiten: bool = False,
        iterated_power: int | str = "auto",
        n_oversamples: int = 10,
        random_state: Any = None,
    ):
        self.n_components = n_components
        self.svd_solver = svd_solver
        self.whiten = whiten
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.random_state = random_state

    def _validate(self, X: Any) -> tuple[Any, int, str]:
        if self.svd_solver not in ("auto", "full", "randomized"):
            raise ValueError(f"svd_solver must be 'auto', 'full' or 'randomized', got {self.svd_solver!r}.")
        check_iterated_power(self.iterated_power)
        check_n_oversamples(self.n_oversamples)
        sparse = scipy.sparse.issparse(X)
        if is_dask_array(X):
            X = _check_dask(X, self)
        elif sparse:
            X = scipy.sparse.csr_array(X)  # any format (dok, lil, coo, ...): rows for the products
            if X.ndim != 2 or min(X.shape) < 1:
                raise ValueError(f"Found array with shape {X.shape}: PCA needs a 2-D matrix with samples.")
            if not np.isfinite(X.data).all():
                raise ValueError("Input X contains NaN or infinity; remove or impute those entries first.")
            self.n_features_in_ = X.shape[1]
            X = X.astype(np.result_type(X.dtype, np.float32))
        else:
            X = check_samples(self, host(X), reset=True)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA needs at least 2 samples to estimate variances, got {n} sample.")
        k = self.n_components
        fraction = isinstance(k, (float, np.floating)) and 0 < k < 1
        if k is None:
            k_int = min(n, d)
        elif fraction:
            k_int = -1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 1 <= k <= min(n, d):
            k_int = int(k)
        else:
            raise ValueError(
                f"n_components must be None, an int in [1, min(n_samples, n_features)] = [1, {min(n, d)}] "
                f"or a float in (0, 1), got {k!r}."
            )
        solver = self.svd_solver
        if solver == "auto":
            full = max(n, d) <= 500 or k_int < 0 or k_int >= 0.8 * min(n, d)
            solver = "full" if full and not sparse else "randomized"
        if solver == "randomized" and k_int < 0:
            raise ValueError("a fractional n_components needs svd_solver='full'.")
        if solver == "full" and sparse:
            raise TypeError(
                "svd_solver='full' needs dense X; sparse X is supported by svd_solver='randomized'."
            )
        return X, k_int, solver

    def fit(self, X: Any, y: Any = None) -> PCA:
        """Compute the principal axes (``y`` is ignored, for pipelines)."""
        X, k, solver = self._validate(X)
        n, d = X.shape
        distributed = is_dask_array(X)
        if distributed:  # one pass; X - mean below stays lazy, centred chunk by chunk
            mean, total = _dask_mean_and_variance(X)
            mean = mean.astype(X.dtype)
        else:
            mean = np.asarray(X.mean(axis=0)).ravel()
        if solver == "full":
            if distributed:  # TSQR of the centred rows; the SVD of R has the singular values and Vt
                R = tsqr(X - mean, check_finite=False)[1].compute()
                _, s, Vt = svd(R, full_matrices=False, check_finite=False)
            else:
                _, s, Vt = svd(X - mean, full_matrices=False, check_finite=False)
            total = float(np.sum(s * s)) / (n - 1)
            if k < 0:  # the fewest components explaining the fraction
                ratio = np.cumsum(s * s) / (total * (n - 1))
                k = int(np.searchsorted(ratio, self.n_components, side="right") + 1)
                k = min(k, s.size)
            all_var = s * s / (n - 1)
            s, Vt = s[:k], Vt[:k]
            self.n_iter_ = None
            path = "full: TSQR of the lazily centred X, SVD of R" if distributed else "full: SVD of X - mean"
        elif distributed:  # subspace iteration of the Dask rsvd on the lazily centred chunks
            n_iter = check_iterated_power(self.iterated_power)
            _, s, Vt = rsvd(
                X - mean,
                k,
                n_oversamples=check_n_oversamples(self.n_oversamples),
                n_iter=n_iter,
                random_state=self.random_state,
                check_finite=False,
            )
            all_var = None
            self.n_iter_ = None
            path = f"randomized (dask): pivotal.rsvd subspace iteration of X - mean, n_iter={n_iter!r}"
        else:
            b = block_size(k, check_n_oversamples(self.n_oversamples), (n, d))
            found = krylov_pca(
                *_centred_products(X, mean),
                (n, d),
                X.dtype,
                k,
                block=b,
                depth=check_iterated_power(self.iterated_power),
                random_state=self.random_state,
            )
            s, Vt = found.s.astype(X.dtype), found.Vt.astype(X.dtype)
            total = _total_variance(X, mean)
            all_var = None
            self.n_iter_ = found.depth
            path = (
                f"randomized: block Krylov of the implicitly centred X, block {found.block}, depth "
                f"{found.depth} ({found.products} products; {found.why}), Rayleigh-Ritz from "
                + ("the Gram matrix" if found.rayleigh_ritz == "gram" else "a QR of X Z (wide spread)")
            )
        Vt = _flip_signs(np.asarray(Vt))
        self.mean_, self.components_, self.singular_values_ = mean, Vt, s
        self.explained_variance_ = s * s / (n - 1)
        self.explained_variance_ratio_ = self.explained_variance_ / total if total > 0 else np.zeros_like(s)
        rest = min(n, d) - k
        if rest > 0:
            left = (
                float(np.sum(all_var[k:]))
                if all_var is not None
                else total - float(self.explained_variance_.sum())
            )
            self.noise_variance_ = max(left, 0.0) / rest
        else:
            self.noise_variance_ = 0.0
        self.n_components_, self.n_samples_, self.svd_solver_ = k, n, solver
        self.path_ = path
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Project onto the components (scaled to unit variance with ``whiten=True``)."""
        self._check_fitted("components_")
        if is_dask_array(X):
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has shape {X.shape}, but PCA is expecting {self.n_features_in_} features."
                )
            Z = (X - self.mean_.astype(X.dtype)) @ self.components_.T.astype(X.dtype)
        elif scipy.sparse.issparse(X):
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but PCA is expecting {self.n_features_in_}.")
            Z = np.asarray(X @ self.components_.T) - self.mean_ @ self.components_.T
        else:
            Z = (check_samples(self, host(X), reset=False) - self.mean_) @ self.components_.T
        if self.whiten:  # scale floored at eps, as scikit-learn: a component without variance projects to 0
            scale = np.sqrt(self.explained_variance_)
            Z = Z / np.maximum(scale, np.finfo(scale.dtype).eps)
        return Z

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X, y).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Map projected data back to feature space (the best rank-``k`` reconstruction)."""
        self._check_fitted("components_")
        Z = Z if is_dask_array(Z) else np.asarray(host(Z))
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_
