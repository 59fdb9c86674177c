"""1-norm estimation of implicit matrices: Hager-Higham (LAPACK ``xLACN2``).

The estimators here see a matrix ``B`` only through products ``B @ X`` and
``B^H @ X``.  Their main use is the reciprocal condition number
``rcond = 1 / (||A||_1 ||A^{-1}||_1)`` of a factorized matrix, where the
products with ``B = A^{-1}`` are solves with the factors (LAPACK's
``xGECON``, ``xPOCON``, ``xTRCON`` all do this).

Algorithms
----------
* ``t=1`` (the default): Higham's refinement of Hager's method, exactly as
  LAPACK's reverse-communication routines ``DLACN2`` (real) and ``ZLACN2``
  (complex) implement it (Higham 1988, Algorithm 4.1; Higham 2002,
  Algorithm 15.4).  It starts from ``x = e/n``, alternates products with
  ``B`` and ``B^H`` while the estimate grows (at most ``max_iter``
  iterations), and finishes with the alternating-sign vector
  ``x_i = (-1)^i (1 + i/(n-1))`` as a safeguard.  The estimate costs about
  4 and at most ``2 max_iter + 1`` products with vectors, and it is
  deterministic.
* ``t >= 2``: the block algorithm of Higham and Tisseur (2000, Algorithm
  2.4), which iterates with ``t`` columns at once (products with ``(n, t)``
  blocks, BLAS-3) and is more reliable as ``t`` grows.  Its starting block
  has random ``+-1`` columns, so pass ``random_state`` for reproducible
  estimates.  With ``t >= n`` the norm is computed exactly from ``B @ I``
  (``n`` columns cost no more than ``t``).

What is guaranteed
------------------
Every estimate is ``||B x||_1 / ||x||_1`` for a vector ``x`` the algorithm
produced, so it is a *lower bound* of ``||B||_1`` (up to the rounding
errors in the products).  It is exact for ``n = 1`` and for matrices with
nonnegative entries (the first iteration then finds the largest column
sum), hence for the inverses of M-matrices.  Beyond that there is no
guaranteed factor: counterexamples exist for which the estimate is
arbitrarily poor (Higham 1988, sec. 4; Higham 2002, sec. 15.3), although in
practice it is almost always within a factor 3 of ``||B||_1`` and often
exact.

A product that is not finite ends the estimate with ``inf``.  The probe
vectors are finite, with entries of modulus at most 2, so Inf or NaN in a
product means that it overflowed -- ``||B||_1`` is then beyond the overflow
threshold over ``2n`` -- or that ``B`` itself is not finite.  For
``B = A^{-1}`` this is what LAPACK's ``xGECON`` reports as ``rcond = 0``
when its scaled solves would overflow.  (Carrying on would compare NaNs:
the iteration then stops early with a finite, wrong estimate, for example
``rcond = 0.2`` for ``I + 4 * superdiag`` of order 70 in float32, whose
``rcond`` is ``4^-69``.)

All vectors live in the backend and on the device of ``like`` (NumPy
arrays or PyTorch tensors); only scalars and, for the block algorithm,
``n``-vectors of row maxima travel to the host.

References
----------
W. W. Hager, "Condition estimates", SIAM J. Sci. Stat. Comput. 5(2),
311-316, 1984.

N. J. Higham, "FORTRAN codes for estimating the one-norm of a real or
complex matrix, with applications to condition estimation", ACM Trans.
Math. Softw. 14(4), 381-396, 1988.

N. J. Higham and F. Tisseur, "A block algorithm for matrix 1-norm
estimation, with an application to 1-norm pseudospectra", SIAM J. Matrix
Anal. Appl. 21(4), 1185-1201, 2000.

N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
SIAM, 2002, ch. 15.

LAPACK routines ``DLACN2``, ``ZLACN2`` and ``DGECON``
(https://www.netlib.org/lapack/).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    backend_name,
    check_int,
    is_complex,
    namespace,
    real_dtype,
    to_numpy,
    working_dtype,
)
from .._seeding import as_generator

__all__ = ["inv_onenormest", "onenormest", "rcond_from"]

Apply = Callable[[Any], Any]


# --------------------------------------------------------------------------- helpers


class _Space:
    """Backend, device and dtype of the probe vectors, plus a few primitives."""

    def __init__(self, n: int, dtype: Any, like: Any):
        if like is None:
            if dtype is not None and _backend_of_dtype(dtype) == "torch":
                raise TypeError(
                    "dtype is a torch dtype but like is None (which means NumPy); pass "
                    "like=<a tensor on the wanted device>."
                )
            like = np.empty(0, dtype=np.float64 if dtype is None else np.dtype(dtype))
        if backend_name(like) == "jax":
            raise TypeError("JAX arrays are not supported by the 1-norm estimator yet.")
        if dtype is not None and _backend_of_dtype(dtype) != backend_name(like):
            raise TypeError(
                f"dtype {dtype} does not belong to the backend of like ({backend_name(like)}); "
                "pass a dtype of that backend (for example torch.float64 for tensors)."
            )
        self.n = n
        self.xp = namespace(like)
        self.device = array_api_compat.device(like)
        self.dtype = working_dtype(like) if dtype is None else dtype

    def zeros(self, shape, dtype=None):
        dtype = self.dtype if dtype is None else dtype
        return self.xp.zeros(shape, dtype=dtype, device=self.device)

    def from_host(self, values: np.ndarray, dtype=None):
        return self.xp.asarray(values, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def call(self, fn: Apply, x: Any, what: str):
        """Apply ``fn``, check the shape of its result, and stop the estimate if it is not finite.

        The probes are finite (entries of modulus at most 2), so a product
        holding Inf or NaN overflowed (or ``B`` itself is not finite): the
        norm is beyond what the dtype represents, and :class:`_NotFinite`
        ends the estimate with ``inf``.  Going on would compare NaNs, which
        ends the iteration early with a finite, wrong estimate.
        """
        y = fn(x)
        if tuple(y.shape) != tuple(x.shape):
            raise ValueError(
                f"{what} returned an array of shape {tuple(y.shape)} for an input of shape "
                f"{tuple(x.shape)}; it must map (n, k) arrays to (n, k) arrays."
            )
        if backend_name(y) != backend_name(x):
            raise TypeError(
                f"{what} returned a {backend_name(y)} array for a {backend_name(x)} input; "
                "return arrays of the backend of `like`."
            )
        if not bool(self.xp.all(self.xp.isfinite(y))):
            raise _NotFinite
        return y

    def col_norms1(self, y) -> np.ndarray:
        """1-norms of the columns of ``y`` (host float64)."""
        return to_numpy(self.xp.sum(self.xp.abs(y), axis=0)).astype(np.float64)


class _NotFinite(Exception):
    """A product ``B @ X`` or ``B^H @ X`` was not finite (raised by :meth:`_Space.call`)."""


def _backend_of_dtype(dtype: Any) -> str:
    """``"torch"`` for torch dtypes, else ``"numpy"``."""
    return "torch" if type(dtype).__module__.startswith("torch") else "numpy"


def _argmax_abs(xp, z) -> int:
    """0-based ``IDAMAX`` / ``IZMAX1``: first index of the largest ``|z_i|``."""
    return int(xp.argmax(xp.abs(z)))


def _real_sign(xp, y):
    """LAPACK's real sign vector: ``+1`` where ``y >= 0`` and ``-1`` elsewhere."""
    one = xp.ones_like(y)
    return xp.where(y >= 0, one, -one)


def _complex_sign(xp, y, safmin: float):
    """``ZLACN2``'s sign: ``y/|y|`` where ``|y| > safmin`` and ``1`` elsewhere."""
    absy = xp.abs(y)
    big = absy > safmin
    safe = xp.where(big, absy, xp.ones_like(absy))
    return xp.where(big, y / xp.astype(safe, y.dtype), xp.ones_like(y))


def _safmin(dtype: Any) -> float:
    rdt = real_dtype(dtype)
    if _backend_of_dtype(rdt) == "torch":
        import torch

        return float(torch.finfo(rdt).tiny)
    return float(np.finfo(np.dtype(rdt)).tiny)


def _is_complex_array(y) -> bool:
    return is_complex(y.dtype)


def _validate_common(n: Any, max_iter: Any) -> tuple[int, int]:
    n = check_int(n, "n")
    max_iter = check_int(max_iter, "max_iter", low=None)
    if max_iter < 2:
        raise ValueError(
            f"max_iter must be at least 2 (LAPACK uses 5), got {max_iter}; the estimator "
            "needs one iteration beyond the starting vector."
        )
    return n, max_iter


# --------------------------------------------------------------------------- xLACN2


def _lacn2(apply: Apply, apply_h: Apply, space: _Space, itmax: int) -> float:
    """``DLACN2`` / ``ZLACN2`` with the reverse communication unrolled.

    Comments give the labels of the Fortran source.  The complex variant is
    chosen when the products are complex.
    """
    xp, n = space.xp, space.n
    # KASE = 0 -> 1:  x = e/n, overwritten by B x.
    x = space.zeros((n, 1)) + 1.0 / n
    v = space.call(apply, x, "apply")
    cplx = _is_complex_array(v)
    # Label 20 (ISAVE(1) = 1).
    if n == 1:
        return float(xp.abs(v[0, 0]))
    est = float(space.col_norms1(v)[0])
    if cplx:
        safmin = _safmin(v.dtype)
        xi = _complex_sign(xp, v, safmin)
    else:
        xi = _real_sign(xp, v)
    z = space.call(apply_h, xi, "apply_h")
    # Label 40 (ISAVE(1) = 2).
    j = _argmax_abs(xp, z)
    iteration = 2
    while True:
        # Label 50: x = e_j, overwritten by B x.
        x = space.zeros((n, 1), dtype=v.dtype if cplx else None)
        x[j, 0] = 1
        v = space.call(apply, x, "apply")
        # Label 70 (ISAVE(1) = 3).
        estold = est
        est = float(space.col_norms1(v)[0])
        if cplx:
            new_xi = _complex_sign(xp, v, safmin)
        else:
            new_xi = _real_sign(xp, v)
            # Repeated sign vector detected: the algorithm has converged.
            if bool(xp.all(new_xi == xi)):
                break
        # Label 90 (real) / 70 (complex): test for cycling.
        if est <= estold:
            break
        xi = new_xi
        z = space.call(apply_h, xi, "apply_h")
        # Label 110 (real) / 90 (complex) (ISAVE(1) = 4).
        jlast = j
        j = _argmax_abs(xp, z)
        zmax = float(xp.abs(z[j, 0]))
        zlast = float(xp.abs(z[jlast, 0])) if cplx else float(xp.real(z[jlast, 0]))
        if zlast != zmax and iteration < itmax:
            iteration += 1
            continue
        break
    # Label 120 (real) / 100 (complex): the alternating-sign safeguard,
    # x_i = (-1)^i (1 + i/(n-1)) for 0-based i, with ||x||_1 = 3n/2.
    i = np.arange(n, dtype=np.float64)
    alt = np.where(i % 2 == 0, 1.0, -1.0) * (1.0 + i / (n - 1))
    y = space.call(apply, space.from_host(alt[:, None], dtype=v.dtype if cplx else None), "apply")
    # Label 140 (real) / 120 (complex).
    temp = 2.0 * (float(space.col_norms1(y)[0]) / (3.0 * n))
    est = max(est, temp)
    return est


# --------------------------------------------------------------------------- Higham-Tisseur


def _needs_resampling(i: int, s: np.ndarray, s_old: np.ndarray | None) -> bool:
    """Whether column ``i`` of the +-1 ``s`` is parallel to an earlier one or to ``s_old``."""
    n = s.shape[0]
    col = s[:, i]
    if i and np.any(np.abs(col @ s[:, :i]) == n):
        return True
    return s_old is not None and bool(np.any(np.abs(col @ s_old) == n))


def _resample(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(np.array([-1.0, 1.0]), size=n)


def _block(apply: Apply, apply_h: Apply, space: _Space, t: int, itmax: int, rng) -> float:
    """Higham-Tisseur Algorithm 2.4 (the block 1-norm estimator), ``1 < t < n``.

    The steps are numbered as in the paper.  For complex products the sign
    matrix is ``Y/|Y|`` and the parallel-column tests (2) and the
    resampling of step (3) are omitted, as the paper prescribes.
    """
    xp, n = space.xp, space.n
    # Starting matrix: first column e, the others random +-1, no two parallel.
    x0 = np.ones((n, t))
    for i in range(1, t):
        x0[:, i] = _resample(rng, n)
        while _needs_resampling(i, x0, None):
            x0[:, i] = _resample(rng, n)
    x = space.from_host(x0 / n)
    ind_hist: np.ndarray = np.zeros(0, dtype=np.intp)
    ind: np.ndarray | None = None
    ind_best = -1
    est_old = 0.0
    s_old_host: np.ndarray | None = None
    k = 1
    cplx = False
    while True:
        y = space.call(apply, x, "apply")
        if k == 1:
            cplx = _is_complex_array(y)
        mags = space.col_norms1(y)
        best_j = int(np.argmax(mags))
        est = float(mags[best_j])
        if (est > est_old or k == 2) and k >= 2:
            ind_best = int(ind[best_j])
        # (1)
        if k >= 2 and est <= est_old:
            est = est_old
            break
        est_old = est
        if k > itmax:
            break
        if cplx:
            s = _complex_sign(xp, y, _safmin(y.dtype))
        else:
            s = _real_sign(xp, y)
            s_host = to_numpy(s).astype(np.float64)
            # (2) every column of S parallel to a column of S_old: converged.
            if s_old_host is not None and np.all(np.any(np.abs(s_host.T @ s_old_host) == n, axis=1)):
                break
            # (3) no column of S parallel to another one or to a column of S_old.
            changed = False
            for i in range(t):
                while _needs_resampling(i, s_host, s_old_host):
                    s_host[:, i] = _resample(rng, n)
                    changed = True
            if changed:
                s = space.from_host(s_host, dtype=y.dtype)
            s_old_host = s_host
        z = space.call(apply_h, s, "apply_h")
        h = to_numpy(xp.max(xp.abs(z), axis=1)).astype(np.float64)
        # (4)
        if k >= 2 and h.max() == h[ind_best]:
            break
        # Sort h decreasingly (ties by index) and keep the t + |hist| largest.
        ind = np.argsort(-h, kind="stable")[: t + ind_hist.shape[0]]
        # (5)
        seen = np.isin(ind, ind_hist)
        if seen[:t].all():
            break
        ind = np.concatenate((ind[~seen], ind[seen]))
        x_host = np.zeros((n, t))
        x_host[ind[:t], np.arange(t)] = 1.0
        x = space.from_host(x_host, dtype=y.dtype if cplx else None)
        ind_hist = np.concatenate((ind_hist, ind[:t][~np.isin(ind[:t], ind_hist)]))
        k += 1
    return est


def _exact(apply: Apply, space: _Space) -> float:
    """``||B||_1`` from ``B @ I`` (used by the block estimator when ``t >= n``)."""
    y = space.call(apply, space.from_host(np.eye(space.n)), "apply")
    return float(space.col_norms1(y).max())


# --------------------------------------------------------------------------- public


def onenormest(
    apply: Apply,
    apply_h: Apply,
    n: int,
    *,
    dtype: Any = None,
    like: Any = None,
    max_iter: int = 5,
    t: int = 1,
    random_state: Any = None,
) -> float:
    """Estimate ``||B||_1`` of an ``n x n`` matrix known only through products.

    Parameters
    ----------
    apply : callable
        ``apply(X)`` returns ``B @ X`` for an ``(n, k)`` array ``X`` of the
        backend (and device) of ``like``; the result must have shape ``(n, k)``.
    apply_h : callable
        ``apply_h(X)`` returns ``B^H @ X`` (the conjugate transpose; the
        transpose for real ``B``).
    n : int
        Order of ``B``.
    dtype : dtype, optional
        dtype of the probe vectors, of the backend of ``like``: a complex
        dtype for complex ``B`` (PyTorch does not mix real and complex in
        ``@``).  Default: the working dtype of ``like``, or float64.
    like : array, optional
        An array whose backend and device the probe vectors use.  Default:
        NumPy.
    max_iter : int, default 5
        Largest number of iterations (LAPACK's ``ITMAX = 5``); at least 2.
    t : int, default 1
        Number of columns.  ``1`` is LAPACK's ``xLACN2`` algorithm; ``t >= 2``
        the block algorithm of Higham and Tisseur, which costs about ``t``
        times as many products and is more reliable; ``t >= n`` computes
        the norm exactly from ``B @ I``.
    random_state : None, int or numpy.random.Generator, optional
        Source of the random starting columns of the block algorithm
        (``t >= 2``); ``None`` draws fresh entropy.  Not accepted for
        ``t=1``, which is deterministic.

    Returns
    -------
    float
        The estimate ``est <= ||B||_1`` (a lower bound, see the module
        notes); ``0.0`` when ``n == 0``; ``inf`` when a product is not
        finite (it overflowed).

    Raises
    ------
    ValueError
        ``n < 0``, ``max_iter < 2``, ``t < 1``, ``random_state`` with ``t=1``,
        or ``apply``/``apply_h`` returning the wrong shape.
    TypeError
        A torch ``dtype`` without ``like``, or products of another backend.

    See Also
    --------
    inv_onenormest : the estimate of ``||A^{-1}||_1`` from solves.
    scipy.sparse.linalg.onenormest : the block algorithm for SciPy operators.

    Notes
    -----
    The real and complex variants differ as in LAPACK: the real one also
    stops when a sign vector repeats, the complex one uses ``x/|x|`` as the
    "sign" and compares magnitudes in the convergence test.

    References
    ----------
    .. [1] N. J. Higham, "FORTRAN codes for estimating the one-norm of a
       real or complex matrix, with applications to condition estimation",
       ACM Trans. Math. Softw. 14(4), 381-396, 1988.
    .. [2] N. J. Higham and F. Tisseur, "A block algorithm for matrix 1-norm
       estimation, with an application to 1-norm pseudospectra", SIAM J.
       Matrix Anal. Appl. 21(4), 1185-1201, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.condest import onenormest
    >>> B = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [-1.0, 4.0, 2.0]])
    >>> est = onenormest(lambda X: B @ X, lambda X: B.T @ X, 3)
    >>> est, float(np.linalg.norm(B, 1))
    (6.0, 6.0)

    PyTorch tensors work the same way; the estimate stays a lower bound:

    >>> import torch
    >>> Bt = torch.tensor(B)
    >>> onenormest(lambda X: Bt @ X, lambda X: Bt.mT @ X, 3, like=Bt) <= 6.0
    True
    """
    n, max_iter = _validate_common(n, max_iter)
    t = check_int(t, "t", 1)
    if t == 1 and random_state is not None:
        raise ValueError(
            "random_state is only used by the block estimator (t >= 2); the default "
            "t=1 estimator (LAPACK xLACN2) is deterministic. Drop random_state or pass t=2."
        )
    space = _Space(n, dtype, like)
    if n == 0:
        return 0.0
    try:
        if t == 1:
            return _lacn2(apply, apply_h, space, max_iter)
        if t >= n:
            return _exact(apply, space)
        return _block(apply, apply_h, space, t, max_iter, as_generator(random_state))
    except _NotFinite:
        return math.inf


def inv_onenormest(
    solve: Apply,
    solve_h: Apply,
    n: int,
    *,
    dtype: Any = None,
    like: Any = None,
    max_iter: int = 5,
    t: int = 1,
    random_state: Any = None,
) -> float:
    """Estimate ``||A^{-1}||_1`` from solves with ``A`` and ``A^H``.

    This is :func:`onenormest` with ``B = A^{-1}``: ``solve(X)`` returns
    ``A^{-1} X`` and ``solve_h(X)`` returns ``A^{-H} X``, typically triangular
    solves with the factors of ``A``.  The arguments are those of
    :func:`onenormest`.

    Returns
    -------
    float
        A lower bound of ``||A^{-1}||_1``; ``0.0`` when ``n == 0``; ``inf``
        when a solve returned Inf or NaN (it overflowed: ``rcond_from``
        then gives 0).

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, sec. 15.3 (LAPACK's condition estimation).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import lu_factor, lu_solve
    >>> from pivotal.kernels.condest import inv_onenormest, rcond_from
    >>> A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    >>> lu = lu_factor(A)
    >>> est = inv_onenormest(lambda X: lu_solve(lu, X), lambda X: lu_solve(lu, X, trans=2), 3)
    >>> bool(np.isclose(est, np.linalg.norm(np.linalg.inv(A), 1)))
    True
    >>> rcond = rcond_from(np.linalg.norm(A, 1), est, n=3)
    >>> bool(np.isclose(1 / rcond, np.linalg.cond(A, 1)))
    True
    """
    return onenormest(
        solve,
        solve_h,
        n,
        dtype=dtype,
        like=like,
        max_iter=max_iter,
        t=t,
        random_state=random_state,
    )


def rcond_from(anorm: float, inv_norm_est: float, *, n: int | None = None) -> float:
    """Reciprocal condition number ``1 / (||A||_1 * est)`` with LAPACK's conventions.

    Parameters
    ----------
    anorm : float
        ``||A||_1`` (or the norm the estimate belongs to), nonnegative.
    inv_norm_est : float
        The estimate of ``||A^{-1}||_1``, for example from
        :func:`inv_onenormest`; nonnegative.
    n : int, optional
        Order of ``A``; only ``n == 0`` changes the result.

    Returns
    -------
    float
        Following ``DGECON``:

        * ``1.0`` when ``n == 0`` (the empty matrix is perfectly conditioned);
        * ``nan`` when ``anorm`` is NaN, and ``0.0`` when it is ``0`` or ``inf``
          (a zero or non-finite matrix is treated as singular);
        * ``0.0`` when the estimate is ``0`` (LAPACK's ``INFO = 1`` case) or
          ``inf``; ``nan`` when it is NaN;
        * otherwise ``(1 / inv_norm_est) / anorm``, computed in that order as
          LAPACK does (it can overflow to ``inf`` for a tiny estimate).

    Raises
    ------
    ValueError
        ``anorm`` or ``inv_norm_est`` negative, or ``n`` negative.

    References
    ----------
    .. [1] LAPACK ``DGECON``: https://www.netlib.org/lapack/explore-html/
       (quick return ``RCOND = 1`` for ``N = 0``, ``RCOND = 0`` for
       ``ANORM = 0``).

    Examples
    --------
    >>> from pivotal.kernels.condest import rcond_from
    >>> rcond_from(4.0, 0.5)
    0.5
    >>> rcond_from(0.0, 3.0), rcond_from(2.0, 0.0), rcond_from(0.0, 0.0, n=0)
    (0.0, 0.0, 1.0)
    """
    if n is not None:
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"n must be nonnegative, got {n}")
        if n == 0:
            return 1.0
    anorm = float(anorm)
    est = float(inv_norm_est)
    if math.isnan(anorm):
        return math.nan
    if anorm < 0:
        raise ValueError(f"anorm must be a norm (nonnegative), got {anorm}")
    if math.isnan(est):
        return math.nan
    if est < 0:
        raise ValueError(f"inv_norm_est must be a norm estimate (nonnegative), got {est}")
    if anorm == 0.0 or math.isinf(anorm) or est == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(np.float64(1.0) / np.float64(est) / np.float64(anorm))
