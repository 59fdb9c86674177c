"""Gaussian-process regression on one pivotal Cholesky per likelihood evaluation.

:class:`GaussianProcessRegressor` has scikit-learn's signature, methods and
fitted attributes, so switching is one import line; it adds ``method``,
``jitter_``, ``factorization_`` and ``fit_report_``.

Numerics (Rasmussen & Williams 2006, Alg. 2.1 and eq. 5.9):

- **One Cholesky per evaluation** of the log marginal likelihood (LML),
  ``K + (alpha + jitter) I = U^T U`` by LAPACK ``potrf`` in ``K``'s own memory
  (the symmetric C-ordered ``K`` is its Fortran-ordered transpose: no copy);
  ``log det`` from its diagonal and ``alpha = K^{-1} y`` by two triangular
  solves.  A ``K`` whose diagonal lies outside ``(1e-100, 1e100)`` goes through
  :class:`pivotal.Cholesky` instead, which scales it into LAPACK's safe range;
  the fitted ``factorization_`` is always a :class:`pivotal.Cholesky`.
- **Gradient without an n x n x p tensor.**  ``dLML/dtheta_j =
  1/2 sum_ik W_ik dK_ik/dtheta_j`` with ``W = alpha alpha^T - m K^{-1}`` (``m``
  targets).  ``K^{-1}`` overwrites the factor (LAPACK ``potri``: ``2 n^3 / 3``
  flops, against ``2 n^3`` for ``potrs`` on an identity), so ``K``, ``U`` and
  ``W`` share one ``n x n`` array.  The kernel contracts ``W`` against its own
  analytic derivative in row blocks
  (:meth:`pivotal.ml.kernels.Kernel.contract_gradient`): for ARD RBF and Matern,
  all length scales at once by one GEMM per block, ``(W * h(K)) [Z, Z^2, 1]``
  (``dK/dlog l_j = h(s) (z_ij - z_kj)^2``), with a measured fallback to exact
  differences where that form would cancel; a constant factor's derivative
  comes from the same pass.  Memory ``O(n^2)`` instead of scikit-learn's
  ``O(n^2 p)``.  Measured at n = 2000, d = 8, ARD RBF + White (p = 10) on the
  shared 2-core AMD EPYC development machine, one BLAS thread, load average
  about 14 (``python benchmarks/bench_gp.py components --n 2000 --d 8``):
  ``K^{-1}`` by ``potri`` 0.31 s against 0.87 s by ``potrs(L, I)``; figures in
  ``benchmarks/RESULTS.md`` ("Issue 13 fit speed").  No exact method avoids
  ``K^{-1}``: ``tr(K^{-1} dK_j)`` by solves costs ``p`` times more.
- **Not positive definite.**  When ``K + alpha I`` fails to factor, a jitter
  ``tau`` is added on top of ``alpha``: ``tau = 10 max(alpha, eps m_K)``,
  then times 10 each try, up to :data:`JITTER_BOUND` ``* m_K`` (``m_K`` the
  mean of ``diag K``).  The jitter used is ``jitter_`` and a warning names
  it; past the bound, :class:`pivotal.NotPositiveDefiniteError` names
  ``alpha`` and the failing index.  The jitter found at the starting
  hyperparameters is held fixed during the optimisation, so that the
  objective stays one smooth function.
- **A failed evaluation inside the optimiser** (Cholesky fails, or the kernel
  overflows) raises out of the optimiser run: it is never reported as a
  ``-inf`` likelihood with a zero gradient.  The run then returns the best
  point it had evaluated successfully, marked not converged, and the failure
  is counted in ``fit_report_``; if no run evaluated any point, ``fit``
  raises ``NotPositiveDefiniteError``.
- **Prediction** uses one triangular solve ``V = L^{-1} K(X_train, X)``
  (never ``K^{-1}``); variances ``k(x, x) - |v|^2`` below zero by more than
  rounding (``n eps max k(x, x)``) are clamped at 0 with a warning.
  ``sample_y`` factors the posterior covariance by Cholesky with escalating
  jitter (from ``eps`` times its mean diagonal, times 10, up to
  :data:`JITTER_BOUND` times it), not by SVD.

**Large n: ``method="cg"``** never forms ``K``: preconditioned CG on
row-blocked kernel products, the log determinant by stochastic Lanczos
quadrature and the gradient's trace by Hutchinson probes, drawn once per fit
from ``random_state`` (:mod:`pivotal.ml._gp_iterative`).  ``method="auto"``
chooses between the two by a measured cost model (:mod:`pivotal.ml._gp_cost`)
and records why in ``fit_report_.method_reason``.

**PyTorch input.**  ``fit``, ``predict``, ``sample_y``, ``score`` and the kernels accept
PyTorch tensors (CPU or CUDA).  The computation runs on the host in float64 NumPy: tensors
are copied there at the boundary, and ``predict`` / ``sample_y`` / the kernels return float64
tensors on the input's device.  The hyperparameters (``theta``, the optimiser, the gradient of
the LML) are NumPy on the host.  JAX and CuPy arrays are refused with a TypeError.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize

from .._backends import get_backend
from ..diagnostics import backward_error
from ..errors import IllConditionedWarning, LinAlgWarning, NotPositiveDefiniteError
from ..factorizations import Cholesky
from ._estimator import Estimator, check_samples, check_targets
from ._gp_cost import choose_method
from ._gp_iterative import CG_DEFAULTS, KernelOperator, Probes, iterative_lml, solve, store_kernel_choice
from .kernels import RBF, ConstantKernel, Kernel
from .kernels.base import as_like, for_row_blocks, host_array, tensor_of

__all__ = ["JITTER_BOUND", "METHODS", "FitReport", "GaussianProcessRegressor"]

#: The methods accepted by ``method=``.
METHODS = ("auto", "cholesky", "cg")

#: Largest jitter tried, relative to the mean of ``diag K``.
JITTER_BOUND = 1e-6

_EPS = float(np.finfo(float).eps)

#: Largest diagonal of ``K + alpha I`` factored by LAPACK directly inside the likelihood; outside
#: ``(_SAFE_LOW, _SAFE_HIGH)`` it goes through :class:`pivotal.Cholesky`, which scales into range.
_SAFE_LOW, _SAFE_HIGH = 1e-100, 1e100


@dataclass
class FitReport:
    """What :meth:`GaussianProcessRegressor.fit` did.

    Attributes
    ----------
    method : str
        The linear-algebra path used (``"cholesky"`` or ``"cg"``), and ``method_reason`` why
        (for ``"auto"``: the cost model's estimates).
    evaluations, failed_evaluations : int
        Likelihood evaluations during the optimisation, and how many failed
        (Cholesky or overflow); a failure ends its optimiser run.
    jitter : float
        Jitter added on top of ``alpha`` (0 when none was needed).
    rcond : float
        Estimated reciprocal condition number (1-norm) of the final ``K + (alpha + jitter) I``.
    backward_error : float
        Normwise backward error of the final solve ``K alpha_ = y`` (largest over targets).
    runs : list of dict
        One per optimiser start: ``start`` (theta), ``theta``, ``lml``, ``converged``,
        ``message``, ``nit`` and ``failed`` (the failure, or None).
    restarts : int
        Restarts from random starts (``n_restarts_optimizer``).
    iterative : dict or None
        With ``method="cg"``, at the fitted hyperparameters: ``probes``, ``rank`` (of the
        pivoted-Cholesky preconditioner), ``schur_max`` (its largest remaining diagonal),
        ``iterations`` (largest over the CG columns) and ``iterations_mean``,
        ``relative_residual`` (largest true ``||b - K x|| / ||b||``), ``converged``,
        ``logdet_stderr`` and ``lml_stderr`` (standard errors of the stochastic estimates);
        over the optimisation, ``iterations_max`` and ``unconverged_evaluations``; and the
        ``cg_options`` used.  rcond is not estimated (NaN); ``backward_error`` is that of the
        final CG solve, in the infinity norm, with ``||K||_inf`` from one pass over ``K``'s rows.
    """

    method: str = "cholesky"
    method_reason: str = ""
    evaluations: int = 0
    failed_evaluations: int = 0
    jitter: float = 0.0
    rcond: float = math.nan
    backward_error: float = math.nan
    runs: list = field(default_factory=list)
    restarts: int = 0
    iterative: dict | None = None

    @property
    def converged(self) -> bool:
        """Whether the optimiser run that gave the final hyperparameters converged (True without one)."""
        ok = [r for r in self.runs if r["lml"] is not None]
        return max(ok, key=lambda r: r["lml"])["converged"] if ok else not self.runs


class _EvaluationFailed(Exception):
    """Raised out of the optimiser when one likelihood evaluation fails."""

    def __init__(self, theta: np.ndarray, reason: str, index: int):
        super().__init__(reason)
        self.theta = theta
        self.reason = reason
        self.index = index


def _jitter_steps(alpha_max: float, mean_diag: float):
    """The jitters tried after ``alpha`` fails: ``10 max(alpha, eps m), x10, ...`` up to ``JITTER_BOUND m``."""
    bound = JITTER_BOUND * mean_diag
    tau = 10.0 * max(alpha_max, _EPS * mean_diag)
    while tau <= bound * (1 + 1e-12):
        yield tau
        tau *= 10.0


def _samples(estimator: Any, X: Any, *, reset: bool) -> np.ndarray:
    """``X`` by the estimators' shared validator, as float64 (the kernels' working precision).

    A PyTorch tensor (CPU or CUDA) is copied to the host: the kernels and the Cholesky run in
    NumPy (docs/gp.md, "PyTorch input"); JAX and CuPy arrays are refused with a TypeError.
    """
    return check_samples(estimator, host_array(X), reset=reset).astype(float, copy=False)


def _targets(estimator: Any, y: Any, n: int) -> np.ndarray:
    return check_targets(estimator, host_array(y), n).astype(float, copy=False)


def _outputs_like(out: Any, like: Any) -> Any:
    """Each array of ``out`` (an array or a tuple) as a float64 tensor on ``like``'s device, if a tensor."""
    if like is None:
        return out
    if isinstance(out, tuple):
        return tuple(as_like(o, like) for o in out)
    return as_like(out, like)


def _random_state(seed: Any) -> np.random.RandomState | np.random.Generator:
    if seed is None:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(int(seed))
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    raise ValueError(f"random_state={seed!r} must be None, an int, a RandomState or a Generator.")


class GaussianProcessRegressor(Estimator):
    """Gaussian-process regression with scikit-learn's interface, on pivotal's Cholesky.

    Parameters
    ----------
    kernel : Kernel, optional
        A :mod:`pivotal.ml.kernels` kernel (or a scikit-learn kernel, whose
        gradient then goes through its ``n x n x p`` array).  Default as
        scikit-learn: ``ConstantKernel() * RBF()`` (free hyperparameters) for
        ``fit``, and ``ConstantKernel(1.0, "fixed") * RBF(1.0, "fixed")`` for the
        prior of an unfitted model.
    alpha : float or (n_samples,) array, keyword-only
        Added to the diagonal of ``K`` (noise variance); default 1e-10.
    optimizer : "fmin_l_bfgs_b", callable or None, keyword-only
        As in scikit-learn: a callable is called as
        ``optimizer(obj_func, initial_theta, bounds=bounds)`` and returns
        ``(theta_opt, func_min)``; ``obj_func(theta, eval_gradient=True)``
        returns ``(-lml, -gradient)``.
    n_restarts_optimizer : int, keyword-only
        Extra starts drawn log-uniformly within the bounds (needs finite bounds).
    normalize_y, copy_X_train, n_targets, random_state : keyword-only
        As in scikit-learn.
    method : {"auto", "cholesky", "cg"}, keyword-only
        The linear-algebra path: the exact Cholesky, or matrix-free preconditioned CG with
        stochastic log-determinant and trace estimates (see the module notes, docs/gp.md);
        ``"auto"`` chooses by a measured cost model and records why in ``fit_report_``.
    cg_options : dict, keyword-only
        For ``method="cg"`` (or ``"auto"`` choosing it): ``probes`` (16), ``rank`` of the
        pivoted-Cholesky preconditioner (100), CG's ``rtol`` (1e-6) and ``maxiter`` (1000), and
        ``store_kernel`` (``"auto"``): keep ``K + alpha I`` in memory (``8 n^2`` bytes) so that each
        CG product is one GEMM, or recompute its row blocks in every product (memory
        ``O(n x block)``); ``"auto"`` stores it when it fits a quarter of the physical memory, and
        ``fit_report_.iterative["kernel_storage"]`` says which.  Refused with ``method="cholesky"``.

    Attributes
    ----------
    kernel_, L_, alpha_, log_marginal_likelihood_value_, X_train_, y_train_, n_features_in_
        As in scikit-learn (``L_`` is lower triangular).
    factorization_ : pivotal.Cholesky
        The factorization of ``K + (alpha + jitter_) I``.
    jitter_ : float
        Jitter added on top of ``alpha`` (0 when ``K + alpha I`` factored).
    fit_report_ : FitReport

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import GaussianProcessRegressor, RBF, WhiteKernel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, (40, 1)); y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(40)
    >>> gp = GaussianProcessRegressor(RBF(0.6) + WhiteKernel(0.01), random_state=0).fit(X, y)
    >>> mean, std = gp.predict(np.array([[0.3]]), return_std=True)
    >>> bool(abs(mean[0] - np.sin(0.9)) < 3 * std[0] + 0.2), gp.fit_report_.failed_evaluations
    (True, 0)

    The matrix-free path on the same data, at the fitted hyperparameters: its LML is a
    stochastic estimate with a reported standard error.

    >>> cg = GaussianProcessRegressor(gp.kernel_, optimizer=None, method="cg", random_state=0).fit(X, y)
    >>> rep = cg.fit_report_.iterative
    >>> bool(abs(cg.log_marginal_likelihood_value_ - gp.log_marginal_likelihood_value_) < 6 * rep["lml_stderr"] + 1e-6)
    True
    """

    _requires_fit = False  # predict before fit draws from the prior, as in scikit-learn

    def __init__(
        self,
        kernel: Kernel | None = None,
        *,
        alpha: Any = 1e-10,
        optimizer: Any = "fmin_l_bfgs_b",
        n_restarts_optimizer: int = 0,
        normalize_y: bool = False,
        copy_X_train: bool = True,
        n_targets: int | None = None,
        random_state: Any = None,
        method: str = "auto",
        cg_options: dict | None = None,
    ):
        self.kernel = kernel
        self.alpha = alpha
        self.optimizer = optimizer
        self.n_restarts_optimizer = n_restarts_optimizer
        self.normalize_y = normalize_y
        self.copy_X_train = copy_X_train
        self.n_targets = n_targets
        self.random_state = random_state
        self.method = method
        self.cg_options = cg_options

    # ---------------------------------------------------------------- estimator protocol
    @property
    def factorization_(self) -> Cholesky:
        """The :class:`pivotal.Cholesky` factorization of ``K + (alpha + jitter_) I``."""
        F = self.__dict__.get("_factorization")
        if F is None:
            if getattr(self, "_method", None) == "cg":
                raise AttributeError("factorization_ does not exist with method='cg' (K is never factored).")
            raise AttributeError("factorization_ exists after fit.")
        return F

    # ---------------------------------------------------------------- validation
    def _checked_method(self) -> None:
        if not isinstance(self.method, str) or self.method not in METHODS:
            raise ValueError(f"method={self.method!r} is not one of {METHODS}.")
        if self.method == "cholesky" and self.cg_options is not None:
            raise ValueError(
                "cg_options is for method='cg' (or 'auto'); with method='cholesky' it would do nothing."
            )

    def _checked_cg_options(self) -> dict:
        opts = dict(CG_DEFAULTS)
        given = {} if self.cg_options is None else self.cg_options
        if not isinstance(given, dict):
            raise TypeError(f"cg_options must be a dict, got {type(given).__name__}.")
        unknown = set(given) - set(CG_DEFAULTS)
        if unknown:
            raise ValueError(f"cg_options has unknown keys {sorted(unknown)}; known: {sorted(CG_DEFAULTS)}.")
        opts.update(given)
        for key, low in (("probes", 2), ("rank", 0), ("maxiter", 1)):
            v = opts[key]
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
                raise ValueError(f"cg_options[{key!r}]={v!r} must be an int >= {low}.")
        if not (isinstance(opts["rtol"], numbers.Real) and 0 < opts["rtol"] < 1):
            raise ValueError(f"cg_options['rtol']={opts['rtol']!r} must be in (0, 1).")
        if not (opts["store_kernel"] == "auto" or isinstance(opts["store_kernel"], bool)):
            raise ValueError(
                f"cg_options['store_kernel']={opts['store_kernel']!r} must be 'auto', True (keep K in memory) "
                "or False (recompute its row blocks in every product)."
            )
        return opts

    def _resolve_method(self, X: np.ndarray, m: int) -> tuple[str, str]:
        """``(method, reason)``; for ``"cg"`` or ``"auto"`` it first sets ``_store_kernel`` (cg's storage)."""
        if self.method == "cholesky":
            return self.method, "requested"
        self._store_kernel = store_kernel_choice(X.shape[0], self._cg_opts["store_kernel"])
        if self.method == "auto":
            return choose_method(self.kernel_, X, m, self._cg_opts["probes"], self._store_kernel[0])
        return self.method, "requested"

    def _checked_alpha(self, n: int) -> np.ndarray | float:
        a = np.asarray(self.alpha, dtype=float)
        if a.ndim == 0 or a.shape == (1,):
            a = float(a.reshape(()))
            if not a >= 0:
                raise ValueError(f"alpha={self.alpha!r} must be a non-negative number (the noise variance).")
            return a
        if a.shape != (n,):
            raise ValueError(
                f"alpha must be a scalar or an array with same number of entries as y ({a.shape[0]} != {n})."
            )
        if not (a >= 0).all():
            raise ValueError("alpha must be non-negative (the noise variance of each sample).")
        return a

    def _check_X_predict(self, X: Any) -> np.ndarray:
        # unfitted, predict draws from the prior: any number of features
        return _samples(self, X, reset=False)

    # ---------------------------------------------------------------- the likelihood
    def _evaluate(self, kernel: Any, eval_gradient: bool, diag_add: Any):
        """``(lml, gradient or None)`` at ``kernel``'s hyperparameters, by the fitted method."""
        if self._method != "cg":
            return self._evaluate_exact(kernel, eval_gradient, diag_add)
        res = self._evaluate_cg(kernel, eval_gradient, diag_add)
        return res.lml, res.gradient

    def _evaluate_cg(self, kernel: Any, eval_gradient: bool, diag_add: Any, residual: bool = False):
        y = self.y_train_ if self.y_train_.ndim == 2 else self.y_train_[:, None]
        o = self._cg_opts
        res = iterative_lml(
            kernel,
            self.X_train_,
            y,
            diag_add,
            self._probes,
            rank=o["rank"],
            rtol=o["rtol"],
            maxiter=o["maxiter"],
            eval_gradient=eval_gradient,
            store=self._store_kernel[0],
            residual=residual,
        )
        tally = self.__dict__.setdefault("_cg_tally", {"iterations_max": 0, "unconverged_evaluations": 0})
        tally["iterations_max"] = max(tally["iterations_max"], res.stats["iterations"])
        tally["unconverged_evaluations"] += not res.stats["converged"]
        return res

    def _evaluate_exact(self, kernel: Any, eval_gradient: bool, diag_add: Any):
        """``(lml, gradient or None)`` at ``kernel``'s hyperparameters; one Cholesky."""
        X = self.X_train_
        K = kernel(X)
        if not (isinstance(kernel, Kernel) and K.dtype == np.float64 and K.flags.c_contiguous):
            K = np.array(K, dtype=float, order="C")  # a pivotal kernel's matrix is a new array: no copy
        if not np.isfinite(K).all():
            raise NotPositiveDefiniteError(
                0, f"the kernel matrix has non-finite entries at theta={kernel.theta!r} (overflow)."
            )
        y = self.y_train_ if self.y_train_.ndim == 2 else self.y_train_[:, None]
        n, m = y.shape
        K[np.diag_indices_from(K)] += diag_add
        dmax = float(np.max(np.diag(K), initial=1.0))
        if not (_SAFE_LOW < dmax < _SAFE_HIGH):  # far from 1: pivotal's Cholesky scales into range
            return self._evaluate_by_cholesky_object(K, kernel, eval_gradient, y)
        # The symmetric K in C order is its transpose in Fortran order: LAPACK potrf factors it in
        # place as U^T U (K's memory then holds U in Fortran order, L = U^T in C order).
        backend = get_backend(K)
        U, info = backend.vendor_potrf(K.T, lower=False)
        if info:
            raise NotPositiveDefiniteError(info - 1)
        logdet = 2.0 * float(np.sum(np.log(np.diagonal(U))))
        A = np.array(y, dtype=float, order="F")  # alpha = U^{-1} U^{-T} y: two triangular solves
        backend.trsm_inplace(U, A, lower=False, trans=1)
        backend.trsm_inplace(U, A, lower=False, trans=0)
        lml = float(
            -0.5 * np.einsum("ik,ik->", y, A) - 0.5 * m * logdet - 0.5 * m * n * math.log(2 * math.pi)
        )
        if not eval_gradient:
            return lml, None
        # K^{-1} overwrites the factor: LAPACK potri (2n^3/3 flops; module notes), both triangles.
        W = backend.cholesky_inverse_inplace(U, lower=False).T  # symmetric: the C-ordered view
        return lml, 0.5 * self._contract(kernel, X, W, A, m)

    def _evaluate_by_cholesky_object(self, Kd: np.ndarray, kernel: Any, eval_gradient: bool, y: np.ndarray):
        """:meth:`_evaluate_exact` through :class:`pivotal.Cholesky` (which scales ``Kd`` into range)."""
        F = Cholesky(Kd.T, lower=True, overwrite_a=True, check_finite=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IllConditionedWarning)  # reported once, by fit, at the optimum
            A = F.solve(y, check_finite=False)
        n, m = y.shape
        lml = float(
            -0.5 * np.einsum("ik,ik->", y, A)
            - 0.5 * m * float(F.logdet())
            - 0.5 * m * n * math.log(2 * math.pi)
        )
        if not eval_gradient:
            return lml, None
        W = get_backend(F.L).cholesky_inverse(F.L, lower=True)
        return lml, 0.5 * self._contract(kernel, self.X_train_, W, A, m)

    @staticmethod
    def _contract(kernel: Any, X: np.ndarray, W: np.ndarray, A: np.ndarray, m: int) -> np.ndarray:
        """``sum_ik (A A^T - m K^{-1})_ik dK_ik/dtheta_j``, with ``W = K^{-1}`` overwritten."""
        W *= -float(m)

        def add_outer(i0: int, i1: int) -> None:  # + A A^T by row blocks: no second n x n temporary
            W[i0:i1] += A[i0:i1] @ A.T

        for_row_blocks(add_outer, W.shape[0], W.shape[0])
        if hasattr(kernel, "contract_gradient"):
            return kernel.contract_gradient(X, W)
        return np.einsum("ik,ikj->j", W, kernel(X, eval_gradient=True)[1])  # a scikit-learn kernel

    def log_marginal_likelihood(
        self, theta: Any = None, eval_gradient: bool = False, clone_kernel: bool = True
    ):
        """Log marginal likelihood of ``theta`` (and its gradient), as scikit-learn's.

        With ``theta=None``, the value at the fitted hyperparameters.  The
        diagonal added is ``alpha + jitter_`` (the jitter found by ``fit``).
        Where ``K`` is not positive definite this raises
        :class:`pivotal.NotPositiveDefiniteError` instead of returning ``-inf``.
        """
        if theta is None:
            if eval_gradient:
                raise ValueError("Gradient can only be evaluated for theta!=None")
            return self.log_marginal_likelihood_value_
        theta = np.asarray(host_array(theta), dtype=float)  # hyperparameters live on the host
        if clone_kernel:
            kernel = self.kernel_.clone_with_theta(theta)
        else:
            kernel = self.kernel_
            kernel.theta = theta
        lml, g = self._evaluate(kernel, eval_gradient, self._diag_add())
        return (lml, g) if eval_gradient else lml

    def _diag_add(self) -> Any:
        return self._alpha + self.jitter_

    def _factor_with_jitter(self, kernel: Any) -> tuple[Cholesky, np.ndarray, float]:
        """Factor ``K + alpha I``, escalating the jitter on failure; returns ``(F, K + diag, jitter)``."""
        X = self.X_train_
        K = np.array(kernel(X), dtype=float, order="C")
        if not np.isfinite(K).all():
            raise NotPositiveDefiniteError(
                0, f"the kernel matrix has non-finite entries at theta={kernel.theta!r} (overflow)."
            )
        mean_diag = float(np.mean(np.diag(K)))
        alpha_max = float(np.max(self._alpha))
        tried = []
        for tau in [0.0, *_jitter_steps(alpha_max, abs(mean_diag))]:
            Kd = K.copy()
            Kd[np.diag_indices_from(Kd)] += self._alpha + tau
            try:
                F = Cholesky(Kd.copy().T, lower=True, overwrite_a=True, check_finite=False)  # Fortran order
            except NotPositiveDefiniteError as err:
                tried.append((tau, err.index))
                continue
            if tau > 0:
                warnings.warn(
                    LinAlgWarning(
                        f"K + alpha*I (alpha={self.alpha!r}) is not positive definite (Cholesky failed at index "
                        f"{tried[0][1]}); added jitter_={tau:.3g} to the diagonal. Increase alpha (the noise "
                        "variance) or add a WhiteKernel to model the noise."
                    ),
                    stacklevel=3,
                )
            return F, Kd, tau
        last_tau, index = tried[-1]
        raise NotPositiveDefiniteError(
            index,
            f"K + alpha*I is not positive definite with alpha={self.alpha!r}: Cholesky failed at index {index}, "
            f"and still fails with jitter up to {last_tau:.3g} (bound {JITTER_BOUND:g} x mean diag K = "
            f"{JITTER_BOUND * mean_diag:.3g}). Increase alpha (the noise variance), add a WhiteKernel, or "
            "remove duplicated training points.",
        )

    # ---------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any) -> GaussianProcessRegressor:
        """Fit the hyperparameters (maximum likelihood) and factor the kernel matrix.

        Parameters
        ----------
        X : (n_samples, n_features) array_like
        y : (n_samples,) or (n_samples, n_targets) array_like

        Returns
        -------
        self
        """
        self._checked_method()
        self._cg_opts = self._checked_cg_options()
        # scikit-learn fits ConstantKernel() * RBF() with free hyperparameters when kernel=None
        # (its fixed version is only the unfitted prior); so do we.
        self.kernel_ = ConstantKernel() * RBF() if self.kernel is None else _clone(self.kernel)
        self._rng = _random_state(self.random_state)
        X = _samples(self, X, reset=True)
        y = _targets(self, y, X.shape[0])
        n_targets_seen = y.shape[1] if y.ndim > 1 else 1
        if self.n_targets is not None and n_targets_seen != self.n_targets:
            raise ValueError(
                "The number of targets seen in `y` is different from the parameter "
                f"`n_targets`. Got {n_targets_seen} != {self.n_targets}."
            )
        if isinstance(self.n_restarts_optimizer, bool) or not (
            isinstance(self.n_restarts_optimizer, numbers.Integral) and self.n_restarts_optimizer >= 0
        ):
            raise ValueError(
                f"n_restarts_optimizer={self.n_restarts_optimizer!r} must be a non-negative int."
            )
        if not (self.optimizer is None or self.optimizer == "fmin_l_bfgs_b" or callable(self.optimizer)):
            raise ValueError(f"optimizer={self.optimizer!r} must be 'fmin_l_bfgs_b', a callable or None.")
        self._alpha = self._checked_alpha(X.shape[0])
        if self.normalize_y:
            self._y_train_mean = np.mean(y, axis=0)
            std = np.std(y, axis=0)
            self._y_train_std = np.where(
                std < 10 * _EPS * np.maximum(np.abs(self._y_train_mean), 1.0), 1.0, std
            )
            y = (y - self._y_train_mean) / self._y_train_std
        else:
            shape = (y.shape[1],) if y.ndim == 2 else 1
            self._y_train_mean = np.zeros(shape)
            self._y_train_std = np.ones(shape)
        self.X_train_ = np.copy(X) if self.copy_X_train else X
        self.y_train_ = np.copy(y) if self.copy_X_train else y
        for stale in ("_factorization", "L_", "_preconditioner", "_cg_tally", "_store_kernel"):
            self.__dict__.pop(stale, None)
        self._method, reason = self._resolve_method(X, n_targets_seen)
        report = FitReport(method=self._method, method_reason=reason, restarts=int(self.n_restarts_optimizer))
        if self._method == "cg":
            return self._fit_cg(report)

        # The jitter at the starting hyperparameters, held fixed while optimising.
        _, _, self.jitter_ = self._factor_with_jitter(self.kernel_)
        if self.optimizer is not None and self.kernel_.n_dims > 0:
            self._optimize(report)
        else:
            self.log_marginal_likelihood_value_ = self._evaluate(self.kernel_, False, self._diag_add())[0]

        F, Kd, tau = self._factor_with_jitter(self.kernel_)
        if tau != self.jitter_:
            self.jitter_ = tau
            self.log_marginal_likelihood_value_ = self._evaluate(self.kernel_, False, self._diag_add())[0]
        self._factorization = F
        self.L_ = F.L
        self.alpha_ = F.solve(self.y_train_, check_finite=False)
        report.jitter = self.jitter_
        report.rcond = F.rcond()
        report.backward_error = float(np.max(backward_error(Kd, self.alpha_, self.y_train_)))
        self.fit_report_ = report
        return self

    def _fit_cg(self, report: FitReport) -> GaussianProcessRegressor:
        """The matrix-free fit: probes drawn once from ``random_state``, then as the exact fit."""
        if not hasattr(self.kernel_, "matmul"):
            raise TypeError(
                "method='cg' needs a pivotal.ml.kernels kernel (matrix-free products and gradient "
                f"contractions); got {type(self.kernel_).__name__}. Use method='cholesky' or a pivotal kernel."
            )
        n = self.X_train_.shape[0]
        o = self._cg_opts
        self._probes = Probes.draw(self._rng, n, min(o["rank"], n), o["probes"])
        self.jitter_ = 0.0  # no jitter escalation: a kernel that is not positive definite raises
        if self.optimizer is not None and self.kernel_.n_dims > 0:
            self._optimize(report)
        res = self._evaluate_cg(self.kernel_, False, self._diag_add(), residual=True)
        self.log_marginal_likelihood_value_ = res.lml
        self.alpha_ = res.alpha if self.y_train_.ndim == 2 else res.alpha[:, 0]
        self._preconditioner = res.preconditioner
        y2 = self.y_train_.reshape(n, -1)
        report.backward_error = float(
            np.max(
                np.abs(res.residual).max(axis=0)
                / (res.k_inf * np.abs(res.alpha).max(axis=0) + np.abs(y2).max(axis=0))
            )
        )
        report.iterative = {
            **res.stats,
            **self._cg_tally,
            "kernel_storage": self._store_kernel[1],
            "cg_options": dict(o),
        }
        self.fit_report_ = report
        if not res.stats["converged"]:
            warnings.warn(
                f"CG did not converge to rtol={o['rtol']:g} in {o['maxiter']} iterations at the fitted "
                f"hyperparameters (relative residual {res.stats['relative_residual']:.3g}); raise "
                "cg_options['maxiter'] or 'rank', or use method='cholesky'.",
                LinAlgWarning,
                stacklevel=2,
            )
        return self

    def _cg_solve(self, B: np.ndarray) -> np.ndarray:
        """``(K + alpha I)^{-1} B`` at the fitted hyperparameters, by preconditioned CG, in column chunks."""
        op = KernelOperator(self.kernel_, self.X_train_, self._diag_add(), store=self._store_kernel[0])
        o = self._cg_opts
        out = np.empty_like(B)
        for j in range(0, B.shape[1], 256):
            out[:, j : j + 256] = solve(
                op, self._preconditioner, B[:, j : j + 256], rtol=o["rtol"], maxiter=o["maxiter"]
            )[0]
        return out

    def _optimize(self, report: FitReport) -> None:
        diag_add = self._diag_add()
        kernel = self.kernel_
        best = {"f": math.inf, "theta": None}

        def obj_func(theta, eval_gradient=True):
            report.evaluations += 1
            kernel.theta = theta
            try:
                lml, g = self._evaluate(kernel, eval_gradient, diag_add)
            except NotPositiveDefiniteError as err:
                report.failed_evaluations += 1
                raise _EvaluationFailed(np.array(theta, dtype=float), str(err), err.index) from err
            if -lml < best["f"]:
                best["f"], best["theta"] = -lml, np.array(theta, dtype=float)
            return (-lml, -g) if eval_gradient else -lml

        starts = [kernel.theta]
        if self.n_restarts_optimizer > 0:
            bounds = kernel.bounds
            if not np.isfinite(bounds).all():
                raise ValueError(
                    "Multiple optimizer restarts (n_restarts_optimizer>0) requires that all bounds are finite."
                )
            starts += [
                self._rng.uniform(bounds[:, 0], bounds[:, 1]) for _ in range(self.n_restarts_optimizer)
            ]
        for start in starts:
            best["f"], best["theta"] = math.inf, None
            run = {
                "start": np.array(start),
                "theta": None,
                "lml": None,
                "converged": False,
                "message": "",
                "nit": 0,
            }
            run["failed"] = None
            try:
                ftol = self._cg_ftol(kernel, start, diag_add) if self._method == "cg" else None
                if ftol is not None:
                    run["ftol"] = ftol
                theta, fmin, run["converged"], run["message"], run["nit"] = self._run_optimizer(
                    obj_func, start, kernel.bounds, ftol
                )
                run["theta"], run["lml"] = np.asarray(theta, dtype=float), -float(fmin)
            except _EvaluationFailed as fail:
                run["failed"] = f"evaluation at theta={fail.theta!r} failed: {fail.reason}"
                run["message"] = "aborted: a likelihood evaluation failed; kept the best point evaluated"
                if best["theta"] is not None:
                    run["theta"], run["lml"] = best["theta"], -best["f"]
            report.runs.append(run)
        ok = [r for r in report.runs if r["lml"] is not None]
        if not ok:
            raise NotPositiveDefiniteError(
                0,
                f"no likelihood evaluation succeeded during the optimisation with alpha={self.alpha!r} "
                f"(jitter {self.jitter_:.3g}); first failure: {report.runs[0]['failed']}. Increase alpha or "
                "tighten the kernel's bounds.",
            )
        chosen = max(ok, key=lambda r: r["lml"])
        kernel.theta = chosen["theta"]
        self.log_marginal_likelihood_value_ = chosen["lml"]
        if not chosen["converged"]:
            warnings.warn(
                f"the optimiser run that gave the fitted hyperparameters did not converge: {chosen['message']}",
                RuntimeWarning,
                stacklevel=3,
            )

    def _cg_ftol(self, kernel: Any, start: Any, diag_add: Any) -> float:
        """L-BFGS-B's ``ftol`` for the stochastic LML: a tenth of its relative standard error at ``start``.

        Changes below the estimate's noise are not progress; the default ``ftol`` (2.2e-9) would
        let the optimiser wander on the estimator's fluctuations (measured: 90+ evaluations at
        n = 200 without stopping).  One extra evaluation, without gradient.
        """
        kernel.theta = start
        res = self._evaluate_cg(kernel, False, diag_add)
        return max(2.2e-9, 0.1 * res.stats["lml_stderr"] / max(abs(res.lml), 1.0))

    def _run_optimizer(self, obj_func, start, bounds, ftol=None):
        if self.optimizer == "fmin_l_bfgs_b":
            options = None if ftol is None else {"ftol": ftol}
            res = scipy.optimize.minimize(
                obj_func, start, method="L-BFGS-B", jac=True, bounds=bounds, options=options
            )
            return res.x, res.fun, bool(res.success), str(res.message), int(res.nit)
        theta, fmin = self.optimizer(obj_func, start, bounds=bounds)
        return theta, fmin, True, "callable optimizer returned", 0

    # ---------------------------------------------------------------- predict
    def predict(self, X: Any, return_std: bool = False, return_cov: bool = False):
        """Posterior (or, unfitted, prior) mean, and optionally its std or covariance, at ``X``.

        A PyTorch ``X`` (CPU or CUDA) gives float64 tensors on its device; the computation runs
        on the host in NumPy (``X`` is copied there and the results back).

        Returns
        -------
        y_mean : (n,) or (n, n_targets) ndarray
        y_std : (n,) or (n, n_targets) ndarray, with ``return_std``
        y_cov : (n, n) or (n, n, n_targets) ndarray, with ``return_cov``
        """
        return _outputs_like(self._predict(host_array(X), return_std, return_cov), tensor_of(X))

    def _predict(self, X: Any, return_std: bool, return_cov: bool):
        if return_std and return_cov:
            raise RuntimeError("At most one of return_std or return_cov can be requested.")
        X = self._check_X_predict(X)
        if not hasattr(self, "X_train_"):
            return self._predict_prior(X, return_std, return_cov)
        K_trans = self.kernel_(X, self.X_train_)
        y_mean = K_trans @ self.alpha_
        y_mean = self._y_train_std * y_mean + self._y_train_mean
        if y_mean.ndim > 1 and y_mean.shape[1] == 1:
            y_mean = y_mean[:, 0]
        if not (return_std or return_cov):
            return y_mean
        scale2 = np.atleast_1d(self._y_train_std) ** 2
        if self._method == "cg":
            # K_*^T (K + alpha I)^{-1} K_* by CG on the columns of K_*: the error of each quadratic
            # form is ||k_*|| ||r|| / lambda_min <= rtol ||k_*||^2 / lambda_min.
            S = self._cg_solve(K_trans.T.copy())
            if return_cov:
                quad = K_trans @ S
                quad = 0.5 * (quad + quad.T)
            else:
                quad_diag = np.einsum("ij,ji->i", K_trans, S)
        else:
            V = np.array(K_trans.T, order="F")  # one triangular solve: V = L^{-1} K(X_train, X)
            get_backend(self.L_).trsm_inplace(self.L_, V, lower=True)
            if return_cov:
                quad = V.T @ V
            else:
                quad_diag = np.einsum("ij,ij->j", V, V)
        if return_cov:
            y_cov = self.kernel_(X) - quad
            y_cov = y_cov[:, :, None] * scale2
            return y_mean, (y_cov[:, :, 0] if y_cov.shape[2] == 1 else y_cov)
        kdiag = self.kernel_.diag(X)
        y_var = kdiag - quad_diag
        tol = 10 * self.X_train_.shape[0] * _EPS * float(np.max(np.abs(kdiag), initial=0.0))
        if self._method == "cg":  # and the CG error, relative to the prior variance
            tol += 10 * self._cg_opts["rtol"] * float(np.max(np.abs(kdiag), initial=0.0))
        if np.any(y_var < -tol):
            warnings.warn(
                f"predicted variances below zero beyond rounding (min {y_var.min():.3g}, rounding level "
                f"{tol:.3g}): set to 0. The kernel matrix is ill-conditioned (rcond "
                f"{self.fit_report_.rcond:.3g}); increase alpha"
                + (" or tighten cg_options['rtol']." if self._method == "cg" else "."),
                LinAlgWarning,
                stacklevel=2,
            )
        np.maximum(y_var, 0.0, out=y_var)
        y_var = y_var[:, None] * scale2
        return y_mean, np.sqrt(y_var[:, 0] if y_var.shape[1] == 1 else y_var)

    def _prior_kernel(self) -> Any:
        """The unfitted model's kernel (scikit-learn: fixed ``1.0 * RBF(1.0)`` when ``kernel=None``)."""
        if self.kernel is not None:
            return self.kernel
        return ConstantKernel(1.0, constant_value_bounds="fixed") * RBF(1.0, length_scale_bounds="fixed")

    def _predict_prior(self, X, return_std, return_cov):
        kernel = self._prior_kernel()
        m = self.n_targets if self.n_targets is not None else 1
        y_mean = np.zeros((X.shape[0], m)).squeeze()
        if return_cov:
            cov = kernel(X)
            return y_mean, (np.repeat(cov[:, :, None], m, axis=2) if m > 1 else cov)
        if return_std:
            var = kernel.diag(X)
            return y_mean, np.sqrt(np.repeat(var[:, None], m, axis=1) if m > 1 else var)
        return y_mean

    def sample_y(self, X: Any, n_samples: int = 1, random_state: Any = 0) -> np.ndarray:
        """Draw ``n_samples`` functions from the posterior at ``X``, through a Cholesky of the covariance.

        A PyTorch ``X`` gives a float64 tensor on its device (computed on the host, as ``predict``).

        Returns
        -------
        (n, n_samples) or (n, n_targets, n_samples) ndarray
        """
        return _outputs_like(self._sample_y(host_array(X), n_samples, random_state), tensor_of(X))

    def _sample_y(self, X: Any, n_samples: int, random_state: Any) -> np.ndarray:
        rng = _random_state(random_state)
        y_mean, y_cov = self._predict(X, False, True)
        X = self._check_X_predict(X)
        kernel = self.kernel_ if hasattr(self, "kernel_") else self._prior_kernel()
        # The covariance k(X, X) - V^T V is computed with cancellation relative to the prior
        # variance: the jitter scale is the prior's mean diagonal (per target: times y_std^2).
        prior = (
            float(np.mean(kernel.diag(X)))
            * np.atleast_1d(self._y_train_std if hasattr(self, "X_train_") else 1.0) ** 2
        )
        z = lambda: rng.standard_normal((y_cov.shape[0], n_samples))  # noqa: E731
        if y_mean.ndim == 1:
            return y_mean[:, None] + self._cov_factor(y_cov, float(prior[0])) @ z()
        out = [
            (
                y_mean[:, t, None]
                + self._cov_factor(y_cov[..., t], float(prior[min(t, prior.size - 1)])) @ z()
            )[:, None]
            for t in range(y_mean.shape[1])
        ]
        return np.hstack(out)

    @staticmethod
    def _cov_factor(C: np.ndarray, scale: float) -> np.ndarray:
        """Lower Cholesky factor of a covariance; jitter ``eps s``, times 10, up to ``JITTER_BOUND s``.

        ``s`` is the prior variance scale, relative to which ``C`` was computed.
        """
        scale = max(abs(scale), np.finfo(float).tiny)
        taus = [0.0]
        tau = _EPS * scale
        while tau <= JITTER_BOUND * scale * (1 + 1e-12):
            taus.append(tau)
            tau *= 10.0
        err = None
        for tau in taus:
            Cj = C.copy()
            Cj[np.diag_indices_from(Cj)] += tau
            try:
                return Cholesky(Cj, lower=True, overwrite_a=True, check_finite=False).L
            except NotPositiveDefiniteError as e:
                err = e
        raise NotPositiveDefiniteError(
            err.index,
            f"the posterior covariance is not positive semidefinite within jitter {taus[-1]:.3g} "
            f"(Cholesky failed at index {err.index}); increase alpha.",
        )

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Coefficient of determination R^2 of ``predict(X)`` (averaged uniformly over targets)."""
        pred = self._predict(host_array(X), False, False)
        y = _targets(self, y, len(pred))
        y2 = y.reshape(len(y), -1)
        p2 = np.asarray(pred).reshape(len(y), -1)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        mean = np.average(y2, axis=0, weights=w)
        ss_res = (w[:, None] * (y2 - p2) ** 2).sum(axis=0)
        ss_tot = (w[:, None] * (y2 - mean) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res > 0, 0.0, 1.0))
        return float(np.mean(r2))


def _clone(kernel: Any) -> Any:
    import copy

    return copy.deepcopy(kernel)
