"""Diagnostics: how accurate an answer is, and how well a factorization did its job.

=========================== ================================================
``backward_error``          normwise (Rigal-Gaches) or componentwise
                            (Oettli-Prager) backward error of ``x`` for
                            ``A x = b``
``forward_error_bound``     LAPACK ``xGERFS``-style bound on
                            ``||x - x_true||_inf / ||x||_inf`` (FERR)
``condest``                 Hager-Higham estimate of ``kappa_1(A)`` or
                            ``kappa_inf(A)`` from a factorization
``cond``                    exact condition number (``numpy.linalg.cond``)
``growth_factor``           element growth of Gaussian elimination
``orthogonality_error``     ``||Q^H Q - I||`` of a basis
=========================== ================================================

The residual-based measures (``backward_error``, ``forward_error_bound``)
return a Python float for a single right-hand side and a NumPy array with
one value per column (and batch element) otherwise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._array import (
    astype,
    backend_name,
    conj_transpose,
    namespace,
    promote_dtypes,
    to_float,
    to_numpy,
    unit_roundoff,
    validate_matrix,
    validate_rhs,
    working_dtype,
)
from ._scaling import times_power_of_two
from .factorizations.lu import LU

__all__ = [
    "backward_error",
    "cond",
    "condest",
    "forward_error_bound",
    "growth_factor",
    "orthogonality_error",
    "residual",
]

BACKWARD_ERROR_KINDS = ("normwise", "componentwise")


def _operands(a: Any, x: Any, b: Any):
    """Validate ``a`` (..., n, n) or (..., m, n), ``x`` and ``b``; return 2-D/batched views and ``vector``."""
    a = validate_matrix(a, check_finite=False)
    m, n = a.shape[-2], a.shape[-1]
    x = validate_rhs(x, n, "x", check_finite=False)
    b = validate_rhs(b, m, "b", check_finite=False)
    if backend_name(x) != backend_name(a) or backend_name(b) != backend_name(a):
        raise TypeError("a, x and b must be arrays of the same backend (NumPy, PyTorch or JAX).")
    vector = len(x.shape) == 1 and len(b.shape) == 1
    xp = namespace(a)
    if len(x.shape) == 1:
        x = xp.reshape(x, (n, 1))
    if len(b.shape) == 1:
        b = xp.reshape(b, (m, 1))
    dtype = promote_dtypes(working_dtype(a), working_dtype(x), working_dtype(b))
    a, x, b = (xp.astype(t, dtype) if t.dtype != dtype else t for t in (a, x, b))
    return xp, a, x, b, vector


def residual(a: Any, x: Any, b: Any) -> Any:
    """``b - A x`` in the promoted working dtype of the three operands.

    Parameters
    ----------
    a : (..., M, N) array
    x : (N,) or (..., N, K) array
    b : (M,) or (..., M, K) array

    Returns
    -------
    r : array with the shape of ``b`` (``(M,)`` for vectors).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> pv.residual(np.eye(2), np.ones(2), np.array([1.0, 3.0]))
    array([0., 2.])
    """
    xp, a, x, b, vector = _operands(a, x, b)
    r = b - a @ x
    return xp.reshape(r, (r.shape[-2],)) if vector else r


def _per_column(values: Any, vector: bool):
    out = to_numpy(values).astype(np.float64)
    return float(out.reshape(-1)[0]) if vector else out


def _colnorm_inf(xp, v):
    """Max-abs over the row axis: ``(..., n, k) -> (..., k)`` (0 for empty)."""
    if v.shape[-2] == 0:
        return xp.zeros(v.shape[:-2] + (v.shape[-1],), dtype=xp.abs(v[..., :1, :]).dtype)
    return xp.max(xp.abs(v), axis=-2)


def _matnorm_inf(xp, a):
    """``||A||_inf`` per batch element, shape ``(..., 1)``."""
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        return xp.zeros(a.shape[:-2] + (1,), dtype=xp.abs(a[..., :1, :1]).dtype)[..., :1]
    return xp.max(xp.sum(xp.abs(a), axis=-1), axis=-1)[..., None]


def _safe_ratio(xp, num, den):
    """``num / den`` with ``0/0 = 0`` and ``nonzero/0 = inf`` (no warnings)."""
    zero = den == 0
    safe = xp.where(zero, xp.ones_like(den), den)
    ratio = num / safe
    inf = xp.full_like(ratio, math.inf)
    return xp.where(zero, xp.where(num == 0, xp.zeros_like(ratio), inf), ratio)


def _unit_scaled(a: Any, safe: int = 500) -> tuple[Any, int]:
    """``(s, e)`` with ``a == s * 2**e`` exactly, in the working dtype; ``e = 0`` for ordinary data.

    When ``max|a|`` lies outside ``[2**-safe, 2**safe]``, ``s`` has ``max|s|``
    in ``[0.5, 1)``.  The scale-invariant diagnostics (``kappa(A)``, the
    growth factor, the forward error bound with ``b`` scaled alike) work on
    ``s``: then neither ``||A^{-1}||`` overflows for tiny ``A`` (``1e-300``,
    subnormals) nor do the vendor kernels see subnormal data, which some
    BLAS flush to zero.  Inside the range nothing can over- or underflow
    for a matrix that is not numerically singular, and ``a`` is left as is.
    """
    a = astype(a, working_dtype(a))
    if math.prod(a.shape) == 0:
        return a, 0
    xp = namespace(a)
    peak = to_float(xp.max(xp.abs(a)))
    if not 0 < peak < math.inf:
        return a, 0
    e = math.frexp(peak)[1]
    return (times_power_of_two(a, -e), e) if abs(e) > safe else (a, 0)


def backward_error(a: Any, x: Any, b: Any, kind: str = "normwise") -> Any:
    """Backward error of an approximate solution ``x`` of ``A x = b``.

    ``normwise`` (Rigal and Gaches 1967): the smallest ``eta`` such that
    ``(A + dA) x = b + db`` with ``||dA|| <= eta ||A||`` and
    ``||db|| <= eta ||b||``, in the infinity norm::

        eta = ||r||_inf / (||A||_inf ||x||_inf + ||b||_inf),   r = b - A x

    ``componentwise`` (Oettli and Prager 1964): the smallest ``omega`` with
    ``|dA| <= omega |A|`` and ``|db| <= omega |b|``::

        omega = max_i |r_i| / (|A| |x| + |b|)_i

    (LAPACK's ``BERR``), with ``0/0 = 0`` and ``nonzero/0 = inf``.  A value
    near the unit roundoff means ``x`` is the exact solution of a problem
    within rounding of the one given: the solver was backward stable.

    Parameters
    ----------
    a : (..., M, N) array_like
    x : (N,) or (..., N, K) array_like
    b : (M,) or (..., M, K) array_like
        NumPy arrays, PyTorch tensors or JAX arrays (all of one backend).
    kind : {"normwise", "componentwise"}

    Returns
    -------
    float or numpy.ndarray
        A float for vectors ``x``, ``b``; else one value per column, shape
        ``(..., K)``.  The residual is computed in the promoted dtype of the
        operands, so values below about ``n`` times its unit roundoff are
        rounding noise.

    References
    ----------
    J. L. Rigal and J. Gaches, "On the compatibility of a given solution
    with the data of a linear system", J. ACM 14(3), 1967.
    W. Oettli and W. Prager, "Compatibility of approximate solution of
    linear equations with given error bounds for coefficients and
    right-hand sides", Numer. Math. 6, 1964.
    N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd
    ed., SIAM, 2002, Thms. 7.1 and 7.3.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]]); b = np.array([1.0, 2.0])
    >>> x = np.linalg.solve(A, b)
    >>> small = 30 * 2 * 2**-53  # LAPACK's test ratio: below THRESH n u for a stable solve
    >>> pv.backward_error(A, x, b) < small, pv.backward_error(A, x, b, "componentwise") < small
    (True, True)
    >>> round(pv.backward_error(A, np.zeros(2), b), 3)   # x = 0: eta = 1
    1.0
    """
    if kind not in BACKWARD_ERROR_KINDS:
        raise ValueError(f"kind={kind!r} is not one of {BACKWARD_ERROR_KINDS}.")
    xp, a, x, b, vector = _operands(a, x, b)
    r = b - a @ x
    if kind == "normwise":
        num = _colnorm_inf(xp, r)
        den = _matnorm_inf(xp, a) * _colnorm_inf(xp, x) + _colnorm_inf(xp, b)
        return _per_column(_safe_ratio(xp, num, den), vector)
    den = xp.abs(a) @ xp.abs(x) + xp.abs(b)
    ratios = _safe_ratio(xp, xp.abs(r), den)
    return _per_column(_colnorm_inf(xp, ratios), vector)


def normwise_backward_error_bound(xp: Any, a: Any, x: Any, b: Any, threshold: float) -> float:
    """Normwise backward error of ``x``, or a bound below ``threshold`` when that settles the question.

    ``||A||_inf >= ||A x||_inf / ||x||_inf = ||b - r||_inf / ||x||_inf``, so
    ``||r|| / (||b - r|| + ||b||)`` bounds the backward error from above at
    the cost of the residual alone; ``||A||_inf`` (a pass over ``|A|``) is
    computed only when that bound is not already below ``threshold``.
    Used by :func:`pivotal.solve` to decide whether refinement is needed.
    """
    r = b - a @ x
    rn, bn, xn = _colnorm_inf(xp, r), _colnorm_inf(xp, b), _colnorm_inf(xp, x)
    upper = float(np.max(to_numpy(_safe_ratio(xp, rn, _colnorm_inf(xp, b - r) + bn))))
    if upper <= threshold:
        return upper
    return float(np.max(to_numpy(_safe_ratio(xp, rn, _matnorm_inf(xp, a) * xn + bn))))


def _factorization_of(a: Any, factorization: Any):
    from .factorizations.base import Factorization
    from .factorizations.factorize import factorize

    if factorization is None:
        return factorize(a, check=False, check_finite=False)
    if not isinstance(factorization, Factorization):
        raise TypeError(
            f"factorization must be a pivotal Factorization (e.g. pivotal.factorize(A)), "
            f"got {type(factorization).__name__}."
        )
    return factorization


def forward_error_bound(
    a: Any,
    x: Any,
    b: Any,
    *,
    factorization: Any = None,
    trans: Any = 0,
) -> Any:
    """LAPACK-style bound on the relative forward error of ``x`` (``xGERFS``'s FERR).

    Bounds ``||x - x_true||_inf / ||x||_inf`` by::

        || |A^{-1}| (|r| + (n+1) u (|A| |x| + |b|)) ||_inf / ||x||_inf

    where ``r = b - A x`` is computed in working precision ``u`` and the
    ``(n+1) u`` term covers the rounding errors in computing ``r``.  The
    norm of ``|A^{-1}| w`` equals ``||A^{-1} diag(w)||_inf``, which is
    estimated with the Hager-Higham estimator (LAPACK ``xLACN2``) from a few
    solves with a factorization of ``A``.  Like LAPACK's FERR it is an
    estimate of a bound: in practice it almost always bounds the true error,
    usually by a modest factor.

    Parameters
    ----------
    a : (N, N) array_like
    x : (N,) or (N, K) array_like
    b : (N,) or (N, K) array_like
    factorization : Factorization, optional
        A factorization of ``a`` to reuse (e.g. from :func:`pivotal.factorize`);
        computed when not given.
    trans : {0, 1, 2, 'N', 'T', 'C'}, optional
        Bound the error of a solution of ``op(A) x = b``.

    Returns
    -------
    float or numpy.ndarray
        One bound per column (a float for vector ``x``); ``inf`` when ``A``
        is singular to working precision, 0 for a zero ``x`` that solves the
        system exactly.

    References
    ----------
    E. Anderson et al., *LAPACK Users' Guide*, 3rd ed., SIAM, 1999,
    sec. 4.4 (error bounds for linear equation solving).
    M. Arioli, J. W. Demmel and I. S. Duff, "Solving sparse linear systems
    with sparse backward error", SIAM J. Matrix Anal. Appl. 10(2), 1989.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = pv.gallery.hilbert(8); x_true = np.ones(8); b = A @ x_true
    >>> x = np.linalg.solve(A, b)
    >>> err = np.max(np.abs(x - x_true)) / np.max(np.abs(x))
    >>> bound = pv.forward_error_bound(A, x, b)
    >>> bool(err <= bound < 30 * 8 * 2**-53 * np.linalg.cond(A, np.inf))  # <~ THRESH n u kappa
    True
    """
    from .factorizations.base import normalize_trans

    t = normalize_trans(trans)
    a = validate_matrix(a, square=True, check_finite=False, batch=False)
    e = 0
    if factorization is None:  # the bound is invariant when A and b are scaled alike
        a, e = _unit_scaled(a)
    F = _factorization_of(a, factorization)
    if tuple(F.shape) != tuple(a.shape):
        raise ValueError(f"the factorization is of a {F.shape} matrix but a has shape {tuple(a.shape)}.")
    xp, a2, x2, b2, vector = _operands(a, x, b)
    if e:
        b2 = times_power_of_two(b2, -e)
    if t == 1:
        a2 = a2.T if backend_name(a2) != "torch" else a2.mT
    elif t == 2:
        a2 = conj_transpose(a2)
    n, k = x2.shape
    if n == 0 or k == 0:
        return _per_column(xp.zeros((k,), dtype=xp.abs(x2[:1]).dtype), vector) if k else np.zeros(0)
    if not F.issuccess():
        return _per_column(xp.full((k,), math.inf, dtype=xp.abs(x2[:1, 0]).dtype), vector)
    r = b2 - a2 @ x2
    w_all = ferr_weights(xp, a2, x2, b2, r)
    solve_op, solve_op_h = op_solvers(F, t, xp)
    bounds = ferr_columns(solve_op, solve_op_h, xp, w_all, x2)
    return float(bounds[0]) if vector else np.asarray(bounds)


def ferr_weights(xp: Any, a: Any, x: Any, b: Any, r: Any, abs_ax: Any = None) -> Any:
    """``|r| + (n+1) u (|A| |x| + |b|)``: the vector FERR multiplies by ``|A^{-1}|``."""
    n = a.shape[-1]
    u = unit_roundoff(x.dtype)
    if abs_ax is None:
        abs_ax = xp.abs(a) @ xp.abs(x)
    return xp.abs(r) + (n + 1) * u * (abs_ax + xp.abs(b))


def op_solvers(F: Any, t: int, xp: Any):
    """``(X -> op(A)^{-1} X, X -> op(A)^{-H} X)`` from a factorization of ``A``."""

    def solve_op(X):
        return F.solve(X, trans=t, check_finite=False)

    def solve_op_h(X):
        if t == 1:  # (A^T)^H = conj(A): conj(A)^{-1} X = conj(A^{-1} conj(X))
            return xp.conj(F.solve(xp.conj(X), trans=0, check_finite=False))
        return F.solve(X, trans=2 if t == 0 else 0, check_finite=False)

    return solve_op, solve_op_h


def ferr_columns(solve_op: Any, solve_op_h: Any, xp: Any, w_all: Any, x: Any) -> list[float]:
    """``||op(A)^{-1} diag(w_j)||_inf / ||x_j||_inf`` per column, by Hager-Higham estimation.

    ``B = diag(w) op(A)^{-H}`` has ``||B||_1 = ||op(A)^{-1} diag(w)||_inf``
    and ``B^H = op(A)^{-1} diag(w)``; :func:`~pivotal.kernels.condest.onenormest`
    estimates it from a few solves.
    """
    from .kernels.condest import onenormest

    n = x.shape[0]
    xnorm = _colnorm_inf(xp, x)
    bounds = []
    for j in range(x.shape[1]):
        w = w_all[:, j : j + 1]
        wn = float(to_float(xp.max(w)))
        if not math.isfinite(wn):
            bounds.append(math.inf)
            continue
        if wn == 0:
            bounds.append(0.0)
            continue

        def apply(X, w=w):
            return w * solve_op_h(X)

        def apply_h(X, w=w):
            return solve_op(w * X)

        est = onenormest(apply, apply_h, n, dtype=x.dtype, like=x)
        xn = float(to_float(xnorm[j]))
        bounds.append(math.inf if xn == 0 else est / xn)
    return bounds


def _abs_matmul(xp: Any, a: Any, v: Any) -> Any:
    """``|A| @ v``; on NumPy by row blocks of ~2M entries, so ``|A|`` never exists as a whole.

    The blocks stay large: OpenBLAS wakes its threads for every product, and
    after a factorization many small products cost far more than a few big ones.
    """
    block = max(1, (1 << 21) // max(a.shape[1], 1))
    if backend_name(a) != "numpy" or a.shape[0] <= block:
        return xp.abs(a) @ v
    out = np.empty((a.shape[0], v.shape[1]), dtype=np.result_type(np.abs(a[:1, :1]), v))
    for i in range(0, a.shape[0], block):
        np.matmul(np.abs(a[i : i + block]), v, out=out[i : i + block])
    return out


def error_measures(a: Any, x: Any, b: Any, solvers: Any = None) -> dict[str, float]:
    """The certificate of a solve, worst case over the columns: one pass over ``|A|``.

    ``a`` (n, n), ``x`` and ``b`` (n, k) are arrays of one backend and dtype
    (``a`` being ``op(A)`` already).  Returns ``residual_norm`` (``max_j
    ||r_j||_inf``), ``backward_error`` (normwise), ``componentwise_backward_error``
    and, when ``solvers = (solve_op, solve_op_h)`` is given,
    ``forward_error_bound``.
    """
    xp = namespace(a)
    r = b - a @ x
    k = x.shape[1]
    # One product with |A| gives both |A| |x| and the row sums (||A||_inf).
    both = _abs_matmul(xp, a, xp.concat([xp.abs(x), xp.abs(xp.ones_like(x[:, :1]))], axis=1))
    abs_ax, rowsums = both[:, :k], both[:, k]
    out = {}
    if x.shape[0] == 0 or x.shape[1] == 0:
        out = {"residual_norm": 0.0, "backward_error": 0.0, "componentwise_backward_error": 0.0}
        if solvers is not None:
            out["forward_error_bound"] = 0.0
        return out
    rnorm = _colnorm_inf(xp, r)
    den = xp.max(rowsums) * _colnorm_inf(xp, x) + _colnorm_inf(xp, b)
    comp = _colnorm_inf(xp, _safe_ratio(xp, xp.abs(r), abs_ax + xp.abs(b)))
    out["residual_norm"] = float(np.max(to_numpy(rnorm)))
    out["backward_error"] = float(np.max(to_numpy(_safe_ratio(xp, rnorm, den))))
    out["componentwise_backward_error"] = float(np.max(to_numpy(comp)))
    if solvers is not None:
        w_all = ferr_weights(xp, a, x, b, r, abs_ax)
        out["forward_error_bound"] = float(max(ferr_columns(*solvers, xp, w_all, x)))
    return out


def condest(a: Any, norm: Any = 1) -> float:
    """Estimate the condition number ``kappa(A) = ||A|| ||A^{-1}||`` in the 1- or inf-norm.

    Uses the Hager-Higham estimator (LAPACK ``xLACN2``, as in ``xGECON`` and
    MATLAB's ``condest``) on solves with a factorization, so it costs
    ``O(n^2)`` after the factorization.  The estimate is a lower bound of
    the true ``kappa``, almost always within a factor 3.

    Parameters
    ----------
    a : (N, N) array_like or Factorization
        A matrix (factored with :func:`pivotal.factorize`) or a square
        factorization to reuse.
    norm : {1, inf, "1", "inf"}, optional

    Returns
    -------
    float
        ``inf`` for a matrix singular to working precision, ``1.0`` for an
        empty one.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = pv.gallery.hilbert(6)
    >>> k = pv.condest(A)
    >>> bool(0.3 * np.linalg.cond(A, 1) <= k <= 1.0001 * np.linalg.cond(A, 1))
    True
    >>> F = pv.factorize(A); pv.condest(F) == k
    True
    """
    from .factorizations.base import Factorization

    if norm in (1, "1"):
        which = 1
    elif norm in (math.inf, "inf", "Inf", np.inf):
        which = math.inf
    else:
        raise ValueError(
            f"norm must be 1 or inf for an estimate, got {norm!r}; use pivotal.cond for 2-norms."
        )
    if isinstance(a, Factorization):
        F = a
        if which != 1:
            raise ValueError(
                "a factorization records ||A||_1 only; for the inf-norm estimate pass the "
                "matrix itself (condest(A, norm=inf)), or use norm=1 on A.T."
            )
        if F.shape[0] != F.shape[1]:
            raise ValueError(
                f"condest needs a square matrix, the factorization is {F.shape[0]}x{F.shape[1]}."
            )
    else:
        a = validate_matrix(a, square=True, check_finite=True, batch=False)
        a, _ = _unit_scaled(a)  # kappa is scale invariant; ||A^{-1}|| of a tiny A would overflow
        F = _factorization_of(a, None)
    if which == 1:
        return F.cond()
    return _condest_inf(F, a)


def _condest_inf(F: Any, a: Any) -> float:
    """``kappa_inf(A) = ||A||_inf ||A^{-1}||_inf = kappa_1(A^H)``: the estimate uses solves with ``A^H``."""
    from .kernels.condest import inv_onenormest

    n = F.shape[0]
    if n == 0:
        return 1.0
    if not F.issuccess():
        return math.inf
    xp = namespace(a)
    anorm = to_float(xp.max(xp.sum(xp.abs(a), axis=-1)))
    est = inv_onenormest(
        lambda X: F.solve(X, trans=2, check_finite=False),
        lambda X: F.solve(X, trans=0, check_finite=False),
        n,
        dtype=F.dtype,
        like=F._sample(),
    )
    return math.inf if est == 0 or anorm == 0 else anorm * est


COND_NORMS = (None, 1, -1, 2, -2, math.inf, -math.inf, "fro", "nuc")


def cond(a: Any, p: Any = None) -> Any:
    """Exact condition number ``||A||_p ||A^{-1}||_p`` (``numpy.linalg.cond``'s signature).

    Computed by the array's own library (``numpy.linalg.cond``,
    ``torch.linalg.cond``, ``jax.numpy.linalg.cond``): an SVD for
    ``p in (None, 2, -2)`` (``sigma_max / sigma_min``, which also works for
    rectangular ``a``) and an explicit inverse otherwise, so it costs
    ``O(n^3)``.  For an ``O(n^2)`` estimate from a factorization use
    :func:`condest`.

    Parameters
    ----------
    a : (..., M, N) array_like
    p : {None, 1, -1, 2, -2, inf, -inf, 'fro', 'nuc'}, optional

    Returns
    -------
    float or array
        For one NumPy matrix a NumPy scalar of its real dtype (as
        ``numpy.linalg.cond``), a float for one PyTorch or JAX matrix, an
        array of the input's backend for a batch.
        ``inf`` (``0`` for ``p=-2``) when LU with partial pivoting of the
        square matrix meets an exactly zero pivot: a zero row or column,
        equal rows, and every other singularity that elimination exposes
        exactly.  A singular matrix whose pivots are only rounded to tiny
        nonzero values gets a finite result of order ``1/u`` or more, as
        from NumPy: the SVD of a singular matrix need not return an exactly
        zero ``sigma_min``, and how close it comes depends on the BLAS
        kernel.  Rectangular input (``p`` in ``None, 2, -2``) gets the SVD's
        ratio only.

    Raises
    ------
    numpy.linalg.LinAlgError
        For an empty matrix (as NumPy).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> round(float(pv.cond(np.diag([1.0, 1e-3]))), 6)
    1000.0
    >>> float(pv.cond(np.array([[1.0, 1.0], [1.0, 1.0]]), 1)), float(pv.cond(np.ones((2, 2))))
    (inf, inf)
    """
    if p not in COND_NORMS:
        raise ValueError(f"p={p!r} is not one of {COND_NORMS}.")
    a = validate_matrix(a, check_finite=False)
    if p not in (None, 2, -2) and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cond with p={p!r} needs square matrices, got shape {tuple(a.shape)}; use p=2.")
    if a.shape[-1] * a.shape[-2] == 0:  # NumPy's rule
        raise np.linalg.LinAlgError(f"cond is not defined on empty arrays (got shape {tuple(a.shape)}).")
    name = backend_name(a)
    if name == "torch":
        import torch

        try:
            out = torch.linalg.cond(a, p)
        except torch.linalg.LinAlgError:  # the SVD refuses NaN/Inf input
            out = torch.full(tuple(a.shape[:-2]), math.nan, dtype=a.abs().dtype, device=a.device)
        out = _inf_for_singular(out, a)
    elif name == "jax":
        import jax.numpy as jnp

        out = _inf_for_singular(jnp.linalg.cond(a, p), a)
    else:
        import warnings

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                out = np.linalg.cond(a, p)
            except np.linalg.LinAlgError:  # NaN/Inf input (SVD), or 'nuc' of a singular matrix
                out = np.full(a.shape[:-2], np.nan)
        out = _inf_for_singular(out, a)
    out = _exactly_singular(out, a, p)
    if len(a.shape) == 2:  # NumPy returns a scalar of the input's real dtype
        return out[()] if name == "numpy" else to_float(out)
    return out


def _exactly_singular(value: Any, a: Any, p: Any) -> Any:
    """``inf`` (``0`` for ``p=-2``) where LU with partial pivoting of ``a`` has an exactly zero pivot.

    The SVD rarely returns an exactly zero ``sigma_min`` for a singular matrix
    (``cond(ones((2, 2)))`` is ``inf`` or ``6e16`` depending on the BLAS
    kernel), but a zero pivot is exact in any summation order for the
    singular matrices it detects, so the promise rests on it: ``slogdet``'s
    sign is 0 exactly when ``getrf`` reports a zero pivot.
    """
    if a.shape[-1] != a.shape[-2] or a.shape[-1] == 0:
        return value
    xp = namespace(a)
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        sign = xp.linalg.slogdet(a)[0]
    singular = (sign == 0) & xp.all(xp.isfinite(a), axis=(-2, -1))  # torch's sign of NaN is 0
    fill = xp.zeros_like(value) if p == -2 else xp.full_like(value, math.inf)
    return xp.where(singular, fill, value)


def _inf_for_singular(value: Any, a: Any) -> Any:
    """One rule on every backend: NaN for a matrix holding a NaN, else a NaN result means singular (``inf``).

    (0/0 from an exactly singular matrix, or an inverse full of inf, gives NaN, which
    ``numpy.linalg.cond`` turns into inf and torch and JAX return as is; torch's
    inverse-based norms give inf for NaN input.)
    """
    xp = namespace(a)
    has_nan = xp.any(xp.isnan(a), axis=(-2, -1))
    value = xp.where(xp.isnan(value) & ~has_nan, xp.full_like(value, math.inf), value)
    return xp.where(has_nan, xp.full_like(value, math.nan), value)


def orthogonality_error(q: Any, norm: Any = "fro") -> float:
    """Loss of orthogonality ``||Q^H Q - I||`` of the columns of ``q``.

    For Householder QR this stays ``O(u)``; for classical Gram-Schmidt it
    grows like ``u kappa(A)^2`` and for modified Gram-Schmidt like
    ``u kappa(A)`` (Higham 2002, ch. 19).

    Parameters
    ----------
    q : (M, K) array_like
        The basis (columns).
    norm : {"fro", 2, 1}, optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((50, 5)))
    >>> pv.orthogonality_error(Q) < 30 * 50 * 2**-53  # LAPACK's ratio: THRESH m u
    True
    >>> pv.orthogonality_error(np.ones((3, 2)))   # ||[[2, 3], [3, 2]]||_F
    5.0990195135927845
    """
    if norm not in ("fro", 2, 1):
        raise ValueError(f"norm={norm!r} is not one of ('fro', 2, 1).")
    q = validate_matrix(q, check_finite=False, batch=False)
    q = astype(q, working_dtype(q))  # float16, bool and integers are promoted (SciPy's rule)
    xp = namespace(q)
    k = q.shape[-1]
    if k == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported as inf below
        g = conj_transpose(q) @ q
    g = g - xp.eye(
        k, dtype=g.dtype, device=getattr(g, "device", None) if backend_name(g) == "torch" else None
    )
    g = to_numpy(g)
    if not np.isfinite(g).all() and np.isfinite(to_numpy(q)).all():
        # Q^H Q overflowed (to inf, or to NaN as inf - inf inside a dot product): by Cauchy-Schwarz a
        # diagonal entry sum |q_ij|^2 is at least as large as any partial sum, so ||Q^H Q - I|| overflows.
        return math.inf
    g, e = _unit_scaled(g, safe=0)  # squaring in the norm may overflow where ||g|| does not
    with np.errstate(over="ignore"):
        return float(np.ldexp(np.linalg.norm(g, norm), e))


def growth_factor(
    a: Any, pivoting: str = "partial", *, block_size: int | None = None, method: str = "auto"
) -> float:
    """Element growth ``rho = max|U| / max|A|`` of Gaussian elimination on ``a``.

    Wilkinson's backward error bound for LU grows with ``rho``; partial
    pivoting keeps ``rho <= 2^(n-1)`` (attained by :func:`pivotal.gallery.gfpp`),
    rook pivoting and complete pivoting keep it small in practice.  This is
    the growth of the final factor ``U`` (Higham, §9.3), the quantity LAPACK's
    ``xGESVX`` reports as reciprocal pivot growth.

    Parameters
    ----------
    a : (M, N) array_like
        Matrix to factor (NumPy or PyTorch).
    pivoting : {"partial", "rook", "complete", "none"}
    block_size, method
        Passed to :class:`pivotal.LU`.

    Returns
    -------
    float
        ``max|U| / max|A|``; 1.0 for a zero matrix.

    Examples
    --------
    >>> import pivotal as pv
    >>> A = pv.gallery.gfpp(10)
    >>> pv.growth_factor(A)
    512.0
    >>> pv.growth_factor(A, pivoting="complete") < 3
    True
    """
    import warnings

    from .errors import PivotGrowthWarning

    a, _ = _unit_scaled(validate_matrix(a, check_finite=True, batch=False))  # rho is scale invariant
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PivotGrowthWarning)
        F = LU(a, pivoting=pivoting, block_size=block_size, method=method, check=False)
    return F.growth_factor()
