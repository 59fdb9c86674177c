"""Ridge regression with a solver chosen by conditioning, leave-one-out ``RidgeCV`` from one decomposition.

Ridge minimises ``||X w - y||^2 + alpha ||w||^2`` (per target, with an
unpenalised intercept handled by centring).  The three solvers and when
``solver="auto"`` picks each:

``"cholesky"``
    Normal equations ``(X^T X + alpha I) w = X^T y`` when ``n >= d``, or the
    dual ``(X X^T + alpha I) c = y``, ``w = X^T c`` when ``d > n``, through
    pivotal's Cholesky.  The cheapest, but the error of forming the Gram
    matrix is amplified by ``kappa(X^T X + alpha I)``, the square of the
    data's conditioning when ``alpha`` is small.  ``"auto"`` takes it when
    the Cholesky factor's estimated ``rcond`` is at least ``u^(1/3)``
    (``6e-6`` in float64): the answer then keeps two thirds of the digits.
``"qr"``
    Householder QR of the augmented ``[X; sqrt(alpha) I]``: error
    proportional to ``kappa([X; sqrt(alpha) I])``, the square root of the
    above.  ``"auto"`` takes it for an ill-conditioned problem with one
    ``alpha`` and ``n >= d``.
``"svd"``
    One thin SVD for every ``alpha`` (filter factors ``s / (s^2 + alpha)``);
    singular values below ``max(n, d) u s_max`` count as zero, so
    ``alpha = 0`` gives the minimum-norm least-squares solution.  ``"auto"``
    takes it for an ill-conditioned problem with several alphas or
    ``d > n``, and it is the fallback when the Cholesky factorization fails.

The solver that ran is ``solver_`` and the reason ``solver_reason_``: a
fallback is reported as what ran (scikit-learn reports ``"cholesky"`` after
falling back, scikit-learn#35016).

``RidgeCV`` selects ``alpha`` by the efficient leave-one-out error (what
scikit-learn's ``RidgeCV`` calls GCV) from one decomposition of the centred
``X``, whatever the number of alphas: the eigendecomposition of the smaller
Gram matrix (``X^T X`` when ``n > d``, provided ``kappa(X)^2 u <= sqrt(u)``,
checked on its eigenvalues; ``X X^T`` when ``d >= n``), else one thin SVD.
For ``n > d`` the Gram route costs about a seventh of the SVD (measured at
20000 x 500) and scikit-learn always takes the SVD there.  The LOO residual ``(y - H y) / (1 - diag H)`` is
evaluated as ``r_perp + U diag(alpha / (s^2 + alpha)) U^T y`` over
``d_perp + sum U^2 alpha / (s^2 + alpha)``, where ``r_perp`` and ``d_perp``
belong to the complement of the data's range and do not depend on
``alpha``: nothing cancels as ``alpha -> 0`` (stable down to 1e-14, where
the textbook ``1 - h`` loses every digit: scikit-learn#32459).  Singular
values at rounding level count as zero (in the eigen route, eigenvalues
below ``n u lambda_max``), and with an intercept the constant direction is
deflated exactly by a Householder reflection before the eigendecomposition.

``LinearProbe`` is the classifier for frozen embeddings: ridge (or
minimum-norm least squares) on one-hot targets.

This step is NumPy only (float32 and float64); PyTorch input is converted to
NumPy (the fitted attributes are NumPy arrays).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..errors import LinAlgWarning, warn_user
from ..factorizations import QR, Cholesky
from ..least_squares import lstsq
from ..spectral import eigh, svd
from ._estimator import DataConversionWarning, Estimator, check_samples, check_targets, host

__all__ = ["LinearProbe", "Ridge", "RidgeCV"]

SOLVERS = ("auto", "cholesky", "qr", "svd")
GCV_MODES = ("auto", "svd", "eigen")


# ----------------------------------------------------------------------------- shared preparation
def _weights(sample_weight: Any, n: int, dtype: Any) -> np.ndarray | None:
    if sample_weight is None:
        return None
    sw = np.asarray(host(sample_weight), dtype=dtype)
    if sw.ndim == 0:
        sw = np.full(n, sw, dtype=dtype)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},) (one weight per sample), got {sw.shape}.")
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    if not sw.any():
        raise ValueError("sample_weight is zero everywhere: at least one sample must have a positive weight.")
    return sw


def _centred(X: np.ndarray, Y: np.ndarray, sw: np.ndarray | None, fit_intercept: bool):
    """``(Xs, Ys, x_offset, y_offset)``: weighted-centred data, rows scaled by ``sqrt(sw)``."""
    d, k = X.shape[1], Y.shape[1]
    if fit_intercept:
        x_off = np.average(X, axis=0, weights=sw)
        y_off = np.average(Y, axis=0, weights=sw)
        Xs, Ys = X - x_off, Y - y_off
    else:
        x_off, y_off = np.zeros(d, X.dtype), np.zeros(k, Y.dtype)
        Xs, Ys = X, Y
    if sw is not None:
        root = np.sqrt(sw)[:, None]
        Xs, Ys = Xs * root, Ys * root
    return Xs, Ys, x_off, y_off


def _alphas_per_target(alpha: Any, k: int, dtype: Any, *, positive: bool = False) -> np.ndarray:
    a = np.asarray(alpha, dtype=np.float64)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] not in (1, k)):
        raise ValueError(f"alpha must be a scalar or have one entry per target ({k}), got shape {a.shape}.")
    if not np.isfinite(a).all() or (a < 0).any() or (positive and (a <= 0).any()):
        bound = "positive" if positive else "non-negative"
        raise ValueError(f"alpha must be finite and {bound}, got {alpha!r}.")
    return np.broadcast_to(a, (k,)).astype(dtype)


def _groups(alphas: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """The distinct alphas and the target columns that use each."""
    values, inverse = np.unique(alphas, return_inverse=True)
    return [(float(v), np.flatnonzero(inverse == i)) for i, v in enumerate(values)]


def _shifted(G: np.ndarray, alpha: float) -> np.ndarray:
    S = G.copy()
    S.flat[:: S.shape[0] + 1] += alpha
    return S


def _unit_roundoff(dtype: Any) -> float:
    return float(np.finfo(dtype).eps) / 2


# ----------------------------------------------------------------------------- the three solvers
class _NotPositiveDefinite(Exception):
    pass


def _gram(Xs: np.ndarray) -> np.ndarray:
    n, d = Xs.shape
    return Xs.T @ Xs if n >= d else Xs @ Xs.T


def _solve_cholesky(Xs, Ys, groups, G=None, factors=None) -> np.ndarray:
    n, d = Xs.shape
    primal = n >= d
    G = _gram(Xs) if G is None else G
    rhs = Xs.T @ Ys if primal else Ys
    W = np.empty((d, Ys.shape[1]), dtype=Xs.dtype)
    for alpha, cols in groups:
        F = (factors or {}).get(alpha)
        if F is None:
            F = Cholesky(_shifted(G, alpha), check=False, check_finite=False)
        if not F.issuccess():
            raise _NotPositiveDefinite(alpha)
        Z = F.solve(rhs[:, cols], check_finite=False)
        W[:, cols] = Z if primal else Xs.T @ Z
    return W


def _solve_qr(Xs, Ys, groups) -> np.ndarray:
    d = Xs.shape[1]
    W = np.empty((d, Ys.shape[1]), dtype=Xs.dtype)
    for alpha, cols in groups:
        if alpha == 0:  # no regularisation: the minimum-norm least-squares solution (QR with pivoting)
            W[:, cols] = lstsq(Xs, Ys[:, cols], check_finite=False)[0]
            continue
        A = np.vstack([Xs, math.sqrt(alpha) * np.eye(d, dtype=Xs.dtype)])
        B = np.vstack([Ys[:, cols], np.zeros((d, cols.size), dtype=Ys.dtype)])
        W[:, cols] = QR(A, check_finite=False).lstsq(B)
    return W


def _solve_svd(Xs, Ys, groups) -> np.ndarray:
    n, d = Xs.shape
    U, s, Vt = svd(Xs, full_matrices=False, check_finite=False)
    keep = s > max(n, d) * _unit_roundoff(Xs.dtype) * 2 * (s[0] if s.size else 0)
    UtY = U.T @ Ys
    W = np.empty((d, Ys.shape[1]), dtype=Xs.dtype)
    for alpha, cols in groups:
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(keep, s / (s * s + alpha), 0)
        W[:, cols] = Vt.T @ (f[:, None] * UtY[:, cols])
    return W


def _choose(Xs: np.ndarray, groups) -> tuple[str, str, dict]:
    """``solver="auto"``: Cholesky when it is accurate, else QR or SVD; returns the reason and reusable work."""
    n, d = Xs.shape
    G = _gram(Xs)
    gram = "X^T X" if n >= d else "X X^T"
    alpha = groups[0][0]  # the smallest: the worst conditioned
    F = Cholesky(_shifted(G, alpha), check=False, check_finite=False)
    threshold = _unit_roundoff(Xs.dtype) ** (1 / 3)
    if F.issuccess():
        rc = F.rcond()
        if rc >= threshold:
            return (
                "cholesky",
                (
                    f"rcond({gram} + alpha I) = {rc:.1e} >= u^(1/3) = {threshold:.1e}: the normal "
                    "equations keep at least two thirds of the digits"
                ),
                {"G": G, "factors": {alpha: F}},
            )
        why = f"rcond({gram} + alpha I) = {rc:.1e} < u^(1/3) = {threshold:.1e}: the normal equations would lose "
    else:
        why = f"{gram} + alpha I is not numerically positive definite (Cholesky failed): "
    if n >= d and len(groups) == 1:
        return "qr", why + "QR of the augmented [X; sqrt(alpha) I] instead", {}
    what = "several alphas share one SVD" if len(groups) > 1 else "d > n"
    return "svd", why + f"thin SVD instead ({what})", {}


def _fit_coefficients(Xs, Ys, groups, solver: str) -> tuple[np.ndarray, str, str]:
    work: dict = {}
    if solver == "auto":
        solver, reason, work = _choose(Xs, groups)
    else:
        reason = "requested"
    if solver == "cholesky":
        try:
            return _solve_cholesky(Xs, Ys, groups, **work), "cholesky", reason
        except _NotPositiveDefinite as exc:
            reason = (
                f"Cholesky of the Gram matrix + alpha I failed for alpha = {exc.args[0]:g} (not numerically "
                "positive definite): fell back to the thin SVD"
            )
            warn_user(LinAlgWarning(f"Ridge: {reason}."))
            solver = "svd"
    if solver == "qr":
        return _solve_qr(Xs, Ys, groups), "qr", reason
    return _solve_svd(Xs, Ys, groups), "svd", reason


# ----------------------------------------------------------------------------- the estimators
class _LinearModel(Estimator):
    def _set_coefficients(self, W: np.ndarray, x_off, y_off, one_target: bool) -> None:
        coef = W.T
        intercept = y_off - x_off @ W if self.fit_intercept else np.zeros(W.shape[1], dtype=W.dtype)
        if one_target:
            self.coef_ = coef[0]
            self.intercept_ = float(intercept[0]) if self.fit_intercept else 0.0
        else:
            self.coef_, self.intercept_ = coef, intercept

    def predict(self, X: Any) -> np.ndarray:
        """``X @ coef_.T + intercept_``."""
        self._check_fitted("coef_")
        X = check_samples(self, host(X), reset=False)
        return X @ self.coef_.T + self.intercept_

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R^2 of ``predict(X)``, averaged uniformly over targets."""
        pred = self.predict(X)
        y = check_targets(self, host(y), pred.shape[0]).reshape(pred.shape[0], -1)
        pred = pred.reshape(y.shape)
        sw = _weights(sample_weight, y.shape[0], np.float64)
        w = np.ones(y.shape[0]) if sw is None else sw
        mean = np.average(y, axis=0, weights=w)
        ss_res = (w[:, None] * (y - pred) ** 2).sum(axis=0)
        ss_tot = (w[:, None] * (y - mean) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res > 0, 0.0, 1.0))
        return float(np.mean(r2))


class Ridge(_LinearModel):
    """Linear least squares with an L2 penalty, solved by the most accurate affordable factorization.

    Parameters
    ----------
    alpha : float or array of shape (n_targets,), default 1.0
        Penalty strength (non-negative; one per target allowed).  ``0``
        gives (minimum-norm) least squares.
    fit_intercept : bool, default True
        Fit an unpenalised intercept (the data are centred first).
    solver : {"auto", "cholesky", "qr", "svd"}, default "auto"
        See the module documentation; ``"auto"`` chooses by the estimated
        condition of the shifted Gram matrix and the shape.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    solver_ : str
        The solver that ran (after any fallback).
    solver_reason_ : str
        Why it ran.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import Ridge
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
    >>> y = np.array([1.0, 2.0, 3.0, 5.0])
    >>> model = Ridge(alpha=1e-12).fit(X, y)
    >>> np.round(model.coef_, 6).tolist(), round(model.intercept_, 6), model.solver_
    ([2.0, 1.0], 0.0, 'cholesky')
    """

    def __init__(self, alpha: Any = 1.0, *, fit_intercept: bool = True, solver: str = "auto"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Ridge:
        """Fit the coefficients; ``sample_weight`` (one non-negative weight per sample) is optional."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}.")
        X = check_samples(self, host(X), reset=True)
        y = check_targets(self, host(y), X.shape[0])
        dtype = np.result_type(X.dtype, y.dtype, np.float32)
        X, Y = X.astype(dtype, copy=False), y.reshape(X.shape[0], -1).astype(dtype, copy=False)
        sw = _weights(sample_weight, X.shape[0], dtype)
        alphas = _alphas_per_target(self.alpha, Y.shape[1], dtype)
        Xs, Ys, x_off, y_off = _centred(X, Y, sw, self.fit_intercept)
        W, self.solver_, self.solver_reason_ = _fit_coefficients(Xs, Ys, _groups(alphas), self.solver)
        self._set_coefficients(W, x_off, y_off, y.ndim == 1)
        return self


class _LeaveOneOut:
    """The spectral data of the centred ``X`` from which every alpha's LOO error follows.

    With an intercept, the constant direction (orthogonal to the centred
    rows in exact arithmetic) is deflated exactly first: a Householder
    reflection ``H`` maps the unit constant vector to ``-e_1``, and the
    decomposition runs on the last ``n - 1`` rows of ``H Xc``.  ``E`` (the
    last ``n - 1`` columns of ``H``, or ``I``) maps back.  Then ``U`` spans
    the data's range and ``lam`` holds the squared singular values; the
    complement enters through ``r_perp`` (the part of ``Y`` outside the range)
    and ``d_perp`` (``1 - diag`` of the projector onto the range and the
    constant): taken from the dropped singular or eigen vectors when the
    decomposition has them all (then both are exactly zero for data that
    interpolate), else from ``1 - 1/n - rowsum(U^2)``.
    """

    def __init__(self, Xc: np.ndarray, Yc: np.ndarray, mode: str, fit_intercept: bool):
        n, d = Xc.shape
        u = _unit_roundoff(Xc.dtype)
        self._reflector = _constant_reflector(n, Xc.dtype) if fit_intercept and n > 1 else None
        Xr = self._reduce(Xc)
        m = Xr.shape[0]
        if mode == "auto":
            mode = "eigen"
            if m > d:  # X^T X is accurate enough when kappa(X)^2 u <= sqrt(u): else the SVD
                lam, Q = eigh(Xr.T @ Xr, check_finite=False)
                if not lam[0] >= math.sqrt(u) * lam[-1]:
                    mode, lam, Q = "svd", None, None
            else:
                lam, Q = None, None
        else:
            lam, Q = None, None
        self.mode = mode
        if mode == "svd":
            Ur, s, Vt = svd(Xr, full_matrices=False, check_finite=False)
            keep = s > 2 * max(m, d) * u * (s[0] if s.size else 0)
            V = Vt[keep].T
            s_kept = s[keep]
        elif m > d:  # the smaller Gram matrix is X^T X: U = X V / s
            if lam is None:
                lam, Q = eigh(Xr.T @ Xr, check_finite=False)
            lam, Q = lam[::-1], Q[:, ::-1]
            keep = lam > 2 * m * u * (lam[0] if lam.size else 0)
            s_kept = np.sqrt(lam[keep])
            V = Q[:, keep]
            Ur = (Xr @ V) / s_kept
            keep = np.ones(s_kept.size, dtype=bool)
        else:  # the smaller Gram matrix is X X^T: V = X^T U / s
            lam, Q = eigh(Xr @ Xr.T, check_finite=False)
            lam, Ur = lam[::-1], Q[:, ::-1]  # descending, like the SVD
            keep = lam > 2 * m * u * (lam[0] if lam.size else 0)
            s_kept = np.sqrt(lam[keep])
            V = (Xr.T @ Ur[:, keep]) / s_kept
        self.U = self._expand(Ur[:, keep])
        self.s, self.V, self.lam = s_kept, V, s_kept * s_kept
        self.UtY = self.U.T @ Yc
        if Ur.shape[1] == m:  # the whole reduced space: the complement is the dropped vectors
            W = self._expand(Ur[:, ~keep])
            self.r_perp = W @ (W.T @ Yc)
            self.d_perp = np.einsum("ij,ij->i", W, W)
        else:
            self.r_perp = Yc - self.U @ self.UtY
            rows = np.einsum("ij,ij->i", self.U, self.U)
            self.d_perp = np.maximum(1 - (1 / n if fit_intercept else 0) - rows, 0)
        self.U2 = self.U * self.U

    def _reduce(self, M: np.ndarray) -> np.ndarray:
        if self._reflector is None:
            return M
        w, beta = self._reflector
        return (M - beta * np.outer(w, w @ M))[1:]

    def _expand(self, M: np.ndarray) -> np.ndarray:
        if self._reflector is None:
            return M
        w, beta = self._reflector
        full = np.vstack([np.zeros((1, M.shape[1]), dtype=M.dtype), M])
        return full - beta * np.outer(w, w @ full)

    def squared_errors(self, alpha: float) -> np.ndarray:
        """``n x k`` squared leave-one-out errors at ``alpha``."""
        g = alpha / (self.lam + alpha)
        resid = self.r_perp + self.U @ (g[:, None] * self.UtY)
        denom = self.d_perp + self.U2 @ g
        with np.errstate(divide="ignore", invalid="ignore"):
            return (resid / denom[:, None]) ** 2

    def coefficients(self, alphas: np.ndarray) -> np.ndarray:
        f = self.s[:, None] / (self.lam[:, None] + alphas[None, :])  # r x k filter factors per target
        return self.V @ (f * self.UtY)


def _constant_reflector(n: int, dtype: Any) -> tuple[np.ndarray, float]:
    """``(w, beta)`` with ``H = I - beta w w^T`` mapping the unit constant vector to ``-e_1``."""
    w = np.full(n, 1 / math.sqrt(n), dtype=dtype)
    w[0] += 1.0
    return w, 2 / float(w @ w)


class RidgeCV(_LinearModel):
    """Ridge with ``alpha`` chosen by efficient leave-one-out cross-validation, from one decomposition.

    Parameters
    ----------
    alphas : array_like of positive floats, default (0.1, 1.0, 10.0)
        The grid.  One SVD (or one eigendecomposition) serves all of it.
    fit_intercept : bool, default True
    gcv_mode : {"auto", "svd", "eigen"}, default "auto"
        ``"svd"``: thin SVD of the centred ``X``; ``"eigen"``:
        eigendecomposition of the smaller Gram matrix (``X^T X`` or
        ``X X^T``; singular values below ``sqrt(n u)`` times the largest are
        not resolved by it, and scikit-learn's ``"eigen"`` always uses
        ``X X^T``); ``"auto"``: ``"eigen"`` unless ``n > d`` and
        ``kappa(X)^2 > u^(-1/2)``, then ``"svd"``.
    alpha_per_target : bool, default False
        Choose one alpha per target column instead of one for all.
    store_cv_results : bool, default False
        Keep the squared LOO errors as ``cv_results_``.

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
    best_score_ : float or ndarray
        The negative mean squared LOO error at ``alpha_`` (scikit-learn's sign).
    coef_, intercept_ : as for :class:`Ridge`
    gcv_mode_ : str
        The decomposition that ran.
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
        Only with ``store_cv_results=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import RidgeCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(50)
    >>> model = RidgeCV(alphas=np.logspace(-6, 2, 9)).fit(X, y)
    >>> bool(model.alpha_ <= 1e-2), model.gcv_mode_
    (True, 'eigen')
    """

    def __init__(
        self,
        alphas: Any = (0.1, 1.0, 10.0),
        *,
        fit_intercept: bool = True,
        gcv_mode: str = "auto",
        alpha_per_target: bool = False,
        store_cv_results: bool = False,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.gcv_mode = gcv_mode
        self.alpha_per_target = alpha_per_target
        self.store_cv_results = store_cv_results

    def fit(self, X: Any, y: Any) -> RidgeCV:
        """Choose ``alpha_`` by leave-one-out error and fit the coefficients at it."""
        if self.gcv_mode not in GCV_MODES:
            raise ValueError(f"gcv_mode must be one of {GCV_MODES}, got {self.gcv_mode!r}.")
        grid = np.asarray(self.alphas, dtype=np.float64).ravel()
        if grid.size == 0 or not np.isfinite(grid).all() or (grid <= 0).any():
            raise ValueError(
                f"alphas must be a non-empty list of positive finite floats (leave-one-out needs alpha > 0), "
                f"got {self.alphas!r}."
            )
        X = check_samples(self, host(X), reset=True)
        y = check_targets(self, host(y), X.shape[0])
        if X.shape[0] < 2:
            raise ValueError(
                "RidgeCV needs at least 2 samples for leave-one-out cross-validation, got 1 sample."
            )
        dtype = np.result_type(X.dtype, y.dtype, np.float32)
        X, Y = X.astype(dtype, copy=False), y.reshape(X.shape[0], -1).astype(dtype, copy=False)
        Xc, Yc, x_off, y_off = _centred(X, Y, None, self.fit_intercept)
        loo = _LeaveOneOut(Xc, Yc, self.gcv_mode, self.fit_intercept)
        errors = np.stack([loo.squared_errors(a) for a in grid], axis=-1)  # n x k x n_alphas
        mse = errors.mean(axis=0)  # k x n_alphas
        if self.alpha_per_target:
            best = np.argmin(mse, axis=1)
            chosen = grid[best]
            score = -mse[np.arange(mse.shape[0]), best]
        else:
            best_one = int(np.argmin(mse.mean(axis=0)))
            chosen = np.full(Y.shape[1], grid[best_one])
            score = -mse[:, best_one].mean()
        W = loo.coefficients(chosen.astype(dtype))
        self._set_coefficients(W, x_off, y_off, y.ndim == 1)
        one = y.ndim == 1
        if self.alpha_per_target and not one:
            self.alpha_, self.best_score_ = chosen, score
        else:
            self.alpha_ = float(chosen[0])
            self.best_score_ = float(np.mean(score))
        self.gcv_mode_ = loo.mode
        if self.store_cv_results:
            self.cv_results_ = errors[:, 0, :] if one else errors
        return self


class LinearProbe(_LinearModel):
    """Linear classifier for frozen embeddings: ridge or least squares on one-hot targets.

    Parameters
    ----------
    alpha : float, optional
        Ridge penalty for ``method="ridge"`` (default 1.0).  Not used by
        ``method="lstsq"``, which refuses it.
    method : {"ridge", "lstsq"}, default "ridge"
        ``"ridge"``: :class:`Ridge` with ``solver="auto"`` on the one-hot
        targets; ``"lstsq"``: the minimum-norm least-squares fit.
    fit_intercept : bool, default True

    Attributes
    ----------
    classes_ : ndarray
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    solver_ : str
        What solved it (``"lstsq"`` or the ridge solver).

    Notes
    -----
    ``predict_proba`` is the softmax of the scores: a monotone map that sums
    to one, **not** a calibrated probability (least squares on one-hot
    targets does not model probabilities).  For two classes
    ``decision_function`` returns the positive class's score minus the
    negative's (scikit-learn's binary shape).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import LinearProbe
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [0.9, 1.0], [0.0, 1.0], [0.1, 0.9]])
    >>> y = np.array(["a", "a", "b", "b", "c", "c"])
    >>> probe = LinearProbe(alpha=1e-3).fit(X, y)
    >>> probe.predict(X).tolist()
    ['a', 'a', 'b', 'b', 'c', 'c']
    """

    _estimator_type = "classifier"

    def __init__(self, alpha: float | None = None, *, method: str = "ridge", fit_intercept: bool = True):
        self.alpha = alpha
        self.method = method
        self.fit_intercept = fit_intercept

    def fit(self, X: Any, y: Any) -> LinearProbe:
        """Fit one linear score per class to the one-hot encoding of ``y``."""
        if self.method not in ("ridge", "lstsq"):
            raise ValueError(f"method must be 'ridge' or 'lstsq', got {self.method!r}.")
        if self.method == "lstsq" and self.alpha is not None:
            raise ValueError("alpha is used only by method='ridge'; leave it None with method='lstsq'.")
        X = check_samples(self, host(X), reset=True)
        labels = check_targets(self, host(y), X.shape[0], numeric=False)
        if labels.ndim == 2 and labels.shape[1] == 1:
            warnings.warn(
                DataConversionWarning(
                    "A column-vector y was passed when a 1d array was expected: raveled to shape "
                    f"({labels.shape[0]},). Pass y.ravel() to silence this."
                ),
                stacklevel=2,
            )
            labels = labels.ravel()
        if labels.ndim != 1:
            raise ValueError(f"y must be a 1-D array of class labels, got shape {labels.shape}.")
        if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
            raise ValueError(
                "Unknown label type: continuous. LinearProbe is a classifier and needs class labels; "
                "use Ridge for a continuous target."
            )
        self.classes_, codes = np.unique(labels, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"LinearProbe needs at least 2 classes, got {self.classes_.size} class.")
        dtype = np.result_type(X.dtype, np.float32)
        X = X.astype(dtype, copy=False)
        Y = np.zeros((X.shape[0], self.classes_.size), dtype=dtype)
        Y[np.arange(X.shape[0]), codes] = 1
        if self.method == "ridge":
            alpha = 1.0 if self.alpha is None else self.alpha
            model = Ridge(alpha, fit_intercept=self.fit_intercept).fit(X, Y)
            self.coef_, self.intercept_, self.solver_ = model.coef_, model.intercept_, model.solver_
        else:
            Xs, Ys, x_off, y_off = _centred(X, Y, None, self.fit_intercept)
            W = lstsq(Xs, Ys, check_finite=False)[0]
            self._set_coefficients(W, x_off, y_off, False)
            self.solver_ = "lstsq"
        return self

    def _scores(self, X: Any) -> np.ndarray:
        self._check_fitted("coef_")
        X = check_samples(self, host(X), reset=False)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores, ``(n_samples, n_classes)``; for two classes the difference, ``(n_samples,)``."""
        s = self._scores(X)
        return s[:, 1] - s[:, 0] if self.classes_.size == 2 else s

    def predict(self, X: Any) -> np.ndarray:
        """The class of the largest score."""
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the scores (uncalibrated: see the class notes)."""
        s = self._scores(X)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy (weighted by ``sample_weight`` when given)."""
        pred = self.predict(X)
        labels = np.asarray(host(y))
        if labels.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape}, got {labels.shape}.")
        sw = _weights(sample_weight, pred.shape[0], np.float64)
        return float(np.average(pred == labels, weights=sw))
