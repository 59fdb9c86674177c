"""The cores of the randomized range finders: an orthonormal basis ``Q`` with ``A ~ Q Q^H A``.

Three algorithms share the machinery here, on an :class:`_Operator`
(:mod:`pivotal.randomized._operator`); :func:`pivotal.randomized.range_finder`
(:mod:`pivotal.randomized._range_finder`) is the public entry point, and
:mod:`pivotal.randomized._rsvd`, :mod:`pivotal.randomized._nystrom` and the
Dask forms (:mod:`pivotal.randomized._dask`) build on the same cores.

**Fixed rank, subspace iteration** (Halko, Martinsson and Tropp 2011,
Alg. 4.4; Gu 2015).  With ``l = k + n_oversamples`` Gaussian test vectors
``Omega``::

    Q = orth(A Omega)
    repeat:  Z = orth(A^H Q);  Q = orth(A Z)
    Z, R = orth(A^H Q)                      # then Q^H A = R^H Z^H

Every half-step is orthonormalised with CholeskyQR2
(:func:`pivotal.kernels.cholqr.cholesky_qr2`: two Gram matrices and two
triangular solves, BLAS-3) and falls back to a Householder QR only when the
block is too ill-conditioned for it (cond ``>~ u^{-1/2}``, e.g. for
numerically rank-deficient ``A``).  The intermediate ``m``-side iterates
``Y = A Z`` are cheaper: when the Ritz values predict ``cond(Y) <= 1e3``
the step ``Z -> A^H A Z`` is *implicit* (:func:`_implicit_step`): the
triangular factor of ``Y`` comes from the ``l x l`` Gram matrix
``Y^H Y = Z^H (A^H Y)`` and ``Q = Y R_Y^{-1}`` is never formed, so the step
costs two products and ``O(n l^2)`` work instead of ``O(m l^2)`` (which
dominates for a tall sparse ``A``); otherwise one CholeskyQR pass is kept
when ``cond(Y) <= 1e4`` (:func:`_orth_intermediate`).  Because each
half-step is orthonormal (explicitly or implicitly), the singular values of
its small triangular factor are *Ritz values*
``theta_1 >= ... >= theta_l`` of ``A`` on the current subspace: they
increase towards ``sigma_1, ..., sigma_l``.  This gives the
``n_iter="auto"`` rule for free (:func:`_converged`).  A relative deficit
``d_i`` of ``theta_i`` costs about ``d_i (sigma_i / sigma_{k+1})^2`` in
``err / sigma_{k+1}``, but never more than ``sigma_i / sigma_{k+1} - 1``
(missing a direction costs at most its singular value); the deficit still
to come is extrapolated from the last change of each ``theta_i`` and its
rate of convergence, and the iteration stops when the predicted excess over
all ``i <= k`` is below 1%, after at least one and at most 20 iterations.
Calibrated on fast (``exp(-i/5)``, ``exp(-i/20)``), slow (``1/i``,
``1/sqrt(i)``), flat (1 up to 10, 30 or 50, then 0.5, 0.9 or 0.999) and
Gaussian (Marchenko-Pastur) spectra of 1000 x 400 and 3000 x 1000
matrices with ``k = 10, 50``, and on random sparse matrices: within 1% of
optimal wherever 20 iterations can get there (the worst stop, 2% on a 0.9
plateau after 18 iterations, where the old rule that looked at
``theta_k`` alone stopped after 4 at 9.6%).  Exponentially decaying spectra
need 1 or 2 iterations, ``1/i`` 2 to 5, a plateau through ``k`` 2 or 3,
slow decay just past ``k`` up to 20.  The last half-step is a product with
``A^H``, whose factor ``R`` gives ``Q^H A = R^H Z^H`` without another pass
over ``A``.

**Block Krylov** (Musco and Musco 2015): the basis of
``[A Omega, (A A^H) A Omega, ..., (A A^H)^q A Omega]``, built block by
block with two passes of block Gram-Schmidt against the previous blocks and
CholeskyQR2.  At equal products with ``A`` it is much more accurate than
subspace iteration on slowly decaying spectra (its cost is the larger
basis).  ``n_iter="auto"`` extrapolates the growth of the ``k``-th Ritz
value of the whole Krylov space from its last two changes (see
:func:`_krylov_converged`) with the same 1% target.

**Adaptive to a tolerance** (``tol=``): the blocked ``randQB_EI`` algorithm
(Martinsson and Voronin 2016; Yu, Gu and Li 2018).  Blocks of ``b``
Gaussian samples, projected against the basis so far (with power
iterations), are appended until the *error indicator*
``||A||_F^2 - ||B||_F^2 = ||A - Q B||_F^2`` (``B = Q^H A``, exact in exact
arithmetic) falls below ``tol^2 ||A||_F^2``.  The indicator loses accuracy
below ``~sqrt(u) ||A||_F`` through cancellation; for tolerances that small
the stop is decided, once the indicator reaches its cancellation floor
``1e3 u ||A||_F^2``, by Gaussian probes of the residual
``||(I - Q Q^H) A omega||`` (HMT 2011, section 4.3), which do not cancel.
For a matrix-free ``LinearOperator`` ``||A||_F`` is unknown; both it and
the residual are then estimated from the Gaussian samples (unbiased, about
``sqrt(2/b)`` relative spread), so the tolerance holds in expectation
rather than surely.

References
----------
N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with
randomness: probabilistic algorithms for constructing approximate matrix
decompositions", SIAM Review 53(2), 217-288, 2011.

M. Gu, "Subspace iteration randomization and singular value problems", SIAM
J. Sci. Comput. 37(3), A1139-A1173, 2015.

C. Musco and C. Musco, "Randomized block Krylov methods for stronger and
faster approximate singular value decomposition", NeurIPS 2015.

P.-G. Martinsson and S. Voronin, "A randomized blocked algorithm for
efficiently computing rank-revealing factorizations of matrices", SIAM J.
Sci. Comput. 38(5), S485-S507, 2016.

W. Yu, Y. Gu and Y. Li, "Efficient randomized algorithms for the
fixed-precision low-rank matrix approximation", SIAM J. Matrix Anal. Appl.
39(3), 1339-1359, 2018.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, NamedTuple

import numpy as np

from .._array import (
    backend_name,
    conj_transpose,
    from_numpy,
    namespace,
    to_numpy,
    unit_roundoff,
)
from .._backends import get_backend
from ..errors import LinAlgWarning, NotPositiveDefiniteError
from ..kernels.cholqr import cholesky_qr, cholesky_qr2
from ._operator import _Draw, _Operator, mm

__all__ = [
    "AUTO_MAX_ITER",
    "AUTO_RTOL",
    "Basis",
    "Implicit",
    "adaptive_qb",
    "block_krylov",
    "check_options",
    "check_rank",
    "implicit_factor",
    "iterate",
    "subspace_iteration",
    "try_implicit",
]

# n_iter="auto": stop when the k-th Ritz value moves by less than this (relative) in a half-step.
AUTO_RTOL = 1e-2
AUTO_MAX_ITER = 20
# Block size of the adaptive (tol=) range finder.
ADAPTIVE_BLOCK = 16


# --------------------------------------------------------------------------- small helpers


def _orth(y: Any, *, overwrite: bool = False) -> tuple[Any, Any]:
    """``Y = Q R`` with orthonormal ``Q``: CholeskyQR2, or Householder when ``Y`` is too ill-conditioned.

    ``overwrite=True`` lets ``Q`` take ``Y``'s memory (a temporary of the
    caller's): then one CholeskyQR pass, which leaves ``Y`` intact when it
    fails, and :func:`_repair` of its result.
    """
    if y.shape[1] == 0:
        return y, y[:0, :0]
    if overwrite:
        try:
            q, r = cholesky_qr(y, check_finite=False, overwrite_a=True)
        except NotPositiveDefiniteError:
            return _householder(y)
        return _repair(q, r, _svdvals(r))
    try:
        return cholesky_qr2(y, check_finite=False)
    except NotPositiveDefiniteError:
        return _householder(y)


def _householder(y: Any) -> tuple[Any, Any]:
    q, r = namespace(y).linalg.qr(y)
    return q, r


def _svdvals(r: Any) -> np.ndarray:
    """Singular values of a small matrix, on the host (descending)."""
    return np.linalg.svd(to_numpy(r), compute_uv=False)


#: Largest ``cond(R)`` for which one CholeskyQR pass is kept for an
#: intermediate power iterate in float64 (``||Q^H Q - I|| ~ u cond^2 <~
#: 1e-8``); see :func:`_one_pass_cond` for other precisions.
_ONE_PASS_COND = 1e4
#: Largest ``cond(R)`` of a first CholeskyQR pass that a second pass repairs
#: in float64 (``||Q_1^H Q_1 - I|| ~ u cond^2 <~ 1e-4``, so
#: ``cond(Q_1) ~ 1``); beyond it the one-pass ``Q_1`` is refactored by
#: Householder.
_TWO_PASS_COND = 1e6


def _one_pass_cond(dtype: Any) -> float:
    """:data:`_ONE_PASS_COND`, capped at ``0.1 u^{-1/2}`` (410 in float32: ``u cond^2 <~ 1e-2``)."""
    return min(_ONE_PASS_COND, 0.1 / math.sqrt(unit_roundoff(dtype)))


def _two_pass_cond(dtype: Any) -> float:
    """:data:`_TWO_PASS_COND`, capped at ``0.1 u^{-1/2}`` for lower precisions."""
    return min(_TWO_PASS_COND, 0.1 / math.sqrt(unit_roundoff(dtype)))


def _orth_intermediate(y: Any) -> tuple[Any, Any, np.ndarray, bool]:
    """Normalise a power iterate in place: ``(Q, R, svdvals(R), exact)`` (``y`` is consumed).

    An intermediate iterate needs a well-conditioned basis, not one
    orthonormal to working precision: one CholeskyQR pass (half the cost of
    CholeskyQR2, which matters when the products with ``A`` are cheap, as
    for a sparse ``A``) is kept when ``cond(R) <= 1e4``, which bounds the
    loss of orthogonality by about ``1e-8`` (410 and ``1e-2`` in single
    precision).  Otherwise the one-pass result
    is repaired (:func:`_repair`, ``exact=True``); when the Gram matrix is
    indefinite, Householder.  The singular values of ``R`` are those of
    ``Y`` to that accuracy (they give the Ritz values for ``n_iter="auto"``).
    """
    if y.shape[1] == 0:
        q, r = _orth(y)
        return q, r, _svdvals(r), True
    try:
        q, r = cholesky_qr(y, check_finite=False, overwrite_a=True)
    except NotPositiveDefiniteError:  # y is intact
        q, r = _householder(y)
        return q, r, _svdvals(r), True
    sv = _svdvals(r)
    if sv[-1] * _one_pass_cond(y.dtype) >= sv[0]:
        return q, r, sv, False
    q, r = _repair(q, r, sv)
    return q, r, _svdvals(r), True


def _repair(q: Any, r: Any, sv: np.ndarray) -> tuple[Any, Any]:
    """Orthonormal ``(Q, R)`` from one CholeskyQR pass ``Y = q r`` (``sv``: singular values of ``r``).

    A second pass on ``q`` (CholeskyQR2) when ``cond(r) <= 1e6``; otherwise
    ``q`` may be far from orthonormal and Householder refactors it.  ``q`` is
    consumed.
    """
    if sv[-1] * _two_pass_cond(q.dtype) >= sv[0]:
        try:
            q2, r2 = cholesky_qr(q, check_finite=False, overwrite_a=True)
        except NotPositiveDefiniteError:
            q2, r2 = _householder(q)
    else:
        q2, r2 = _householder(q)
    xp = namespace(r)
    return q2, xp.triu(r2 @ r)


def _reorthonormalise(q: Any, r: Any) -> tuple[Any, Any]:
    """``(Q2, R R2^{-1})`` for ``Q = Q2 R2`` (CholeskyQR), given ``A^H Q = Z R``.

    Repairs a basis from :func:`_orth_intermediate` that turned out to be the
    last: ``Q2^H A = R2^{-H} Q^H A``, so ``A^H Q2 = Z (R R2^{-1})`` without
    another product with ``A``.  ``q`` is consumed.
    """
    q2, r2 = cholesky_qr(q, check_finite=False, overwrite_a=True)
    return q2, _right_divide(r, r2)


def _right_divide(r: Any, t: Any) -> Any:
    """``r t^{-1}`` for small square ``r`` and upper triangular ``t``."""
    xp = namespace(r)
    return conj_transpose(xp.linalg.solve(conj_transpose(t), conj_transpose(r)))


def _rel_change(new: float, old: float | None) -> float:
    if old is None:
        return math.inf
    if new == 0:
        return 0.0
    return abs(new - old) / abs(new)


def _hcat(blocks: list, xp) -> Any:
    return blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=1)


def _project_out(w: Any, q: Any) -> Any:
    """``(I - Q Q^H) W``, two passes of classical Gram-Schmidt (CGS2)."""
    for _ in range(2):
        w = w - mm(q, mm(conj_transpose(q), w))
    return w


# --------------------------------------------------------------------------- validation


def check_rank(k: Any, op: _Operator, *, allow_none: bool, func: str) -> int | None:
    if k is None:
        if allow_none:
            return None
        raise ValueError(f"{func}: give the rank k (an int), or a tolerance tol= for an adaptive rank.")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{func}: k must be an int, got {type(k).__name__}.")
    k = int(k)
    kmax = min(op.shape)
    if k < 0 or k > kmax:
        raise ValueError(
            f"{func}: k must satisfy 0 <= k <= min(m, n) = {kmax} for A of shape {op.shape}, got k = {k}."
        )
    return k


def check_options(
    *, n_oversamples: Any, n_iter: Any, method: Any, tol: Any, func: str
) -> tuple[int, int | None, str, float | None]:
    """Validate the options shared by range_finder, rsvd and reigh; ``n_iter`` None means auto."""
    if isinstance(n_oversamples, (bool, np.bool_)) or not isinstance(n_oversamples, numbers.Integral):
        raise TypeError(f"{func}: n_oversamples must be an int >= 0, got {n_oversamples!r}.")
    if n_oversamples < 0:
        raise ValueError(f"{func}: n_oversamples must be >= 0, got {n_oversamples}.")
    if isinstance(n_iter, str):
        if n_iter != "auto":
            raise ValueError(f"{func}: n_iter must be 'auto' or an int >= 0, got {n_iter!r}.")
        q = None
    elif isinstance(n_iter, (bool, np.bool_)) or not isinstance(n_iter, numbers.Integral):
        raise TypeError(f"{func}: n_iter must be 'auto' or an int >= 0, got {n_iter!r}.")
    elif n_iter < 0:
        raise ValueError(f"{func}: n_iter must be 'auto' or an int >= 0, got {n_iter}.")
    else:
        q = int(n_iter)
    if method not in ("subspace", "block_krylov"):
        raise ValueError(f"{func}: method must be 'subspace' or 'block_krylov', got {method!r}.")
    if tol is not None:
        try:
            tol = float(tol)
        except (TypeError, ValueError):
            raise TypeError(f"{func}: tol must be a float in (0, 1) or None, got {tol!r}.") from None
        if not (0 < tol < 1):
            raise ValueError(
                f"{func}: tol is relative to ||A||_F and must lie in (0, 1), got {tol!r}; pass e.g. tol=1e-6."
            )
    if tol is not None and method != "subspace":
        raise ValueError(
            f"{func}: method={method!r} is for a fixed rank; the adaptive mode (tol=) builds its "
            "basis block by block with subspace iterations. Pass a rank k without tol, or drop method."
        )
    return int(n_oversamples), q, method, tol


# --------------------------------------------------------------------------- fixed rank


def _converged(theta: np.ndarray, theta_old: np.ndarray | None, k: int) -> bool:
    """The ``n_iter="auto"`` rule of subspace iteration.

    ``theta`` are the Ritz values after a half-step, ``theta_old`` those
    before; each ``theta_i`` increases towards ``sigma_i``.  For ``i <= k``
    the part of the ``i``-th singular vector still missing from the subspace
    shrinks by about ``r_i = sigma_{l+1} / sigma_i ~ theta_l / theta_i`` per
    half-step and the deficit of ``theta_i`` by ``r_i^2``, so the increase
    still to come is about ``d_i = c_i r_i^2 / (1 - r_i^2)`` for a last
    relative change ``c_i``; it costs about ``d_i g_i^2`` in
    ``err / sigma_{k+1}``, ``g_i = theta_i / theta_{k+1}``.  But missing a
    direction can never cost more than its own singular value:
    ``err <= sigma_i`` once the directions before it are found, a cap of
    ``g_i (1 + c_i) - 1`` (the ``1 + c_i`` allows for ``theta_i`` still
    rising).  The predicted excess is the largest cap among the directions
    where it applies plus the sum of the other directions' ``d_i g_i^2``;
    the iteration stops when it is below :data:`AUTO_RTOL`.

    The sum over all ``i <= k`` (not only ``i = k``) matters when the
    leading singular values stand just above a plateau that contains
    ``sigma_k`` (e.g. ``sigma = 1`` for ``i <= 10``, 0.9 after, ``k = 50``):
    ``theta_k`` then settles at once while the leading directions are
    still missing.  The cap stops the iteration early when ``sigma_k`` lies
    inside a plateau that continues past ``sigma_{l+1}``, where more
    iterations only reshuffle directions of almost equal singular values.
    """
    if theta_old is None:
        return False
    tk = float(theta[k - 1])
    if tk == 0:
        return True
    if len(theta) == k:  # no oversampling: no rate estimate
        return abs(tk - float(theta_old[k - 1])) / tk <= AUTO_RTOL
    th = np.asarray(theta[:k], dtype=np.float64)
    nz = th > 0
    th, old = th[nz], np.asarray(theta_old[:k], dtype=np.float64)[nz]
    c = np.abs(th - old) / th
    r2 = (float(theta[-1]) / th) ** 2
    tk1 = float(theta[k])
    g = th / tk1 if tk1 > 0 else np.full_like(th, np.inf)
    d = np.zeros_like(th)
    moving = (c > 0) & (r2 > 0)
    with np.errstate(divide="ignore"):
        d[moving] = np.where(r2 < 1, c * r2 / (1 - r2), np.inf)[moving]
    deficit = np.zeros_like(th)
    deficit[d > 0] = (d * g**2)[d > 0]
    cap = g * (1 + c) - 1
    capped = cap < deficit
    excess = (float(cap[capped].max()) if capped.any() else 0.0) + float(deficit[~capped].sum())
    return excess <= AUTO_RTOL


def subspace_iteration(op: _Operator, k: int, ell: int, q: int | None, draw: _Draw):
    """Returns ``(Q, Z, R)`` with orthonormal ``Q (m, l)``, ``Z (n, l)`` and ``Q^H A = R^H Z^H``.

    The intermediate ``m``-side bases are *implicit* whenever the Ritz values
    predict a well-conditioned iterate (see :func:`_implicit_step`): the step
    ``Z -> A^H A Z`` then costs the two products and ``O(n l^2)`` work, and
    the ``(m, l)`` basis ``Q`` is formed only at the end.  The iterates, Ritz
    values and ``n_iter="auto"`` decisions are those of the explicit
    iteration (to rounding).
    """
    return iterate(_InMemorySteps(op), op.shape[1], k, ell, q, draw)


class Implicit(NamedTuple):
    """An iterate whose basis ``Q = Y R_Y^{-1}`` is not formed; ``W = A^H Y``.

    ``source`` is whatever gives ``Y`` back: ``Y`` itself in memory, ``Z``
    (``Y = A Z``) on Dask.
    """

    source: Any
    RY: Any
    W: Any


class Basis(NamedTuple):
    """An ``m``-side iterate: an explicit ``Q`` (orthonormal to working precision
    when ``exact``) or an :class:`Implicit` one (``Q`` None)."""

    Q: Any
    exact: bool
    implicit: Implicit | None = None


class _InMemorySteps:
    """The steps of :func:`iterate` for an in-memory operator."""

    def __init__(self, op: _Operator):
        self.op = op

    def start(self, omega: Any, exact: bool) -> Basis:
        y = self.op.matmat(omega)
        if exact:
            return Basis(_orth(y, overwrite=True)[0], True)
        Q, _, _, exact = _orth_intermediate(y)
        return Basis(Q, exact)

    def rmatmat(self, Q: Any) -> Any:
        return self.op.rmatmat(Q)

    def advance(self, Z: Any, theta: np.ndarray, final: bool) -> tuple[Basis, np.ndarray]:
        """The next ``m``-side iterate from ``A Z`` and its Ritz values."""
        Y = self.op.matmat(Z)
        if final:  # the final basis: orthonormal to working precision
            Q, R2 = _orth(Y, overwrite=True)
            return Basis(Q, True), _svdvals(R2)
        step = _implicit_step(self.op, Z, Y) if try_implicit(theta, self.op.dtype) else None
        if step is not None:
            RY, sv, W = step
            return Basis(None, False, Implicit(Y, RY, W)), sv
        Q, _, sv, exact = _orth_intermediate(Y)
        return Basis(Q, exact), sv

    def finish(self, basis: Basis, R: Any) -> tuple[Any, Any]:
        """The explicit orthonormal ``Q`` and ``R`` with ``A^H Q = Z R``."""
        Q, exact = basis.Q, basis.exact
        if basis.implicit is not None:
            Q = _right_solve_inplace(basis.implicit.source, basis.implicit.RY)
        if not exact:
            Q, R = _reorthonormalise(Q, R)
        return Q, R


def iterate(steps: Any, n: int, k: int, ell: int, q: int | None, draw: _Draw):
    """The subspace iteration of :func:`subspace_iteration`, on any ``steps``.

    ``steps`` provides ``start(omega, exact)`` (the first ``m``-side
    :class:`Basis`), ``rmatmat(Q)`` (``A^H Q``), ``advance(Z, theta, final)``
    (the next basis and its Ritz values) and ``finish(basis, R)``; the
    in-memory ones are :class:`_InMemorySteps`, the Dask ones
    :class:`pivotal.randomized._dask._DaskSteps`.
    """
    omega = draw.normal((n, ell))
    auto = q is None
    max_iter = AUTO_MAX_ITER if auto else q
    basis = steps.start(omega, exact=max_iter == 0)
    theta = theta_old = None
    finish = False
    it = 0
    while True:
        if basis.implicit is None:
            Z, R = _orth(steps.rmatmat(basis.Q), overwrite=True)
        else:
            Z, RW = _orth(basis.implicit.W, overwrite=True)
            R = _right_divide(RW, basis.implicit.RY)  # A^H Q = W R_Y^{-1} = Z (R_W R_Y^{-1})
        last = finish or it >= max_iter
        if not last:
            theta = _svdvals(R)
            if auto:
                last = it >= 1 and _converged(theta, theta_old, k)
        if last:
            Q, R = steps.finish(basis, R)
            return Q, Z, R
        it += 1
        basis, theta_old = steps.advance(Z, theta, final=it >= max_iter)
        if auto:
            finish = _converged(theta_old, theta, k)


#: An implicit step is tried when the last Ritz values predict ``cond(A Z)``
#: below this fraction of what one CholeskyQR pass accepts (a margin).
_IMPLICIT_MARGIN = 0.1


def try_implicit(theta: np.ndarray, dtype: Any) -> bool:
    """Whether the Ritz values ``theta`` predict an iterate :func:`implicit_factor` accepts."""
    return bool(theta[-1] * (_one_pass_cond(dtype) * _IMPLICIT_MARGIN) >= theta[0])


def _implicit_step(op: _Operator, Z: Any, Y: Any) -> tuple[Any, np.ndarray, Any] | None:
    """``(R_Y, svdvals(R_Y), W)`` for ``Y = A Z``, ``W = A^H Y``, without orthonormalising ``Y``.

    See :func:`implicit_factor`; None (the caller then normalises ``Y``
    explicitly and the product ``W`` is wasted) when it refuses.
    """
    W = op.rmatmat(Y)
    found = implicit_factor(Z, W)
    if found is None:
        return None
    ry, sv = found
    return from_numpy(ry, W), sv, W


def implicit_factor(Z: Any, W: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(R_Y, svdvals(R_Y))`` on the host for ``Y = A Z``, given ``W = A^H Y``; None if refused.

    ``Y^H Y = Z^H A^H A Z = Z^H W``, so ``R_Y = chol(Z^H W)`` is the factor
    one CholeskyQR pass on ``Y`` would compute, at ``O(n l^2)`` instead of
    ``O(m l^2)`` cost, and ``A^H Q = W R_Y^{-1}`` for ``Q = Y R_Y^{-1}``.
    Computing ``A^H Y`` rather than ``A^H Q`` perturbs the iterate by about
    ``u cond(R_Y)`` relative, harmless for an intermediate subspace.
    Refused when the Cholesky factorization fails or ``cond(R_Y) > 1e4``
    (410 in single precision), the bound of :func:`_orth_intermediate`.
    """
    g = to_numpy(mm(conj_transpose(Z), W))
    g = (g + g.conj().T) / 2
    try:
        ry = np.linalg.cholesky(g).conj().T
        sv = _svdvals(ry)
    except np.linalg.LinAlgError:
        return None
    if not (sv[-1] > 0 and sv[-1] * _one_pass_cond(g.dtype) >= sv[0]):
        return None
    return ry, sv


def _right_solve_inplace(y: Any, t: Any) -> Any:
    """``y <- y t^{-1}`` in place for upper triangular ``t``; returns ``y``."""
    get_backend(y).trsm_inplace(t, y, lower=False, trans=0, side="right")
    return y


def block_krylov(op: _Operator, k: int, ell: int, q: int | None, draw: _Draw):
    """Block Krylov basis; returns ``(Q, Z, R)`` as :func:`subspace_iteration`.

    The basis has ``min((q + 1) l, min(m, n))`` columns.  When the next block
    would pass ``min(m, n)`` it is truncated to the directions that fill the
    space (see :func:`_next_block`): the basis then spans the whole range of
    ``A`` and ``Q Q^H A = A`` to rounding, instead of stopping one block short.
    """
    m, n = op.shape
    xp = op.xp
    kmax = min(m, n)
    max_iter = AUTO_MAX_ITER if q is None else q
    # Only a basis that fills min(m, n) columns replaces breakdowns by fresh samples.
    resample = (max_iter + 1) * ell >= kmax
    omega = draw.normal((n, ell))
    Qb, _ = _orth(op.matmat(omega))
    qs, ws = [Qb], []
    ncols = ell
    gram = None  # W^H W for W = [A^H Q_0, ..., A^H Q_i], grown block by block
    theta_old = change_old = None
    it = 0
    while True:
        w = op.rmatmat(qs[-1])  # A^H Q_i: kept for Q^H A
        if q is None:
            gram = _grow_gram(gram, ws, w)
        ws.append(w)
        if it >= max_iter or ncols >= kmax:
            break
        if q is None:
            theta = _gram_theta(gram, k)
            change = _rel_change(theta[0], theta_old)
            if _krylov_converged(change, change_old, theta):
                break
            theta_old, change_old = theta[0], change
        Qb, resample = _next_block(op, draw, op.matmat(w), _hcat(qs, xp), kmax - ncols, resample)
        qs.append(Qb)
        ncols += int(Qb.shape[1])
        it += 1
    Q = _hcat(qs, xp)
    Z, R = _orth(_hcat(ws, xp))
    return Q, Z, R


def _next_block(op: _Operator, draw: _Draw, y: Any, qall: Any, room: int, resample: bool) -> tuple[Any, bool]:
    """The next orthonormal Krylov block from ``y = A A^H Q_i``, orthogonal to ``qall``.

    Parameters
    ----------
    op : _Operator
        ``A``, for fresh samples of its range after a breakdown.
    draw : _Draw
        The Gaussian generator of the call.
    y : (m, l) array
        The new block before orthogonalisation.
    qall : (m, c) array
        The orthonormal basis so far.
    room : int
        Columns left before the basis reaches ``min(m, n)``.
    resample : bool
        Whether to replace the directions of a breakdown by fresh samples.

    Returns
    -------
    Qb : (m, min(l, room)) array
        Orthonormal columns, orthogonal to ``qall`` (two passes of block
        Gram-Schmidt).  When ``room < l`` only the ``room`` dominant left
        singular directions of the projected block are kept: the Krylov space
        is then confined to what is left of the range of ``A``, of dimension
        ``room``, and the other directions of the block are rounding noise.
        With ``resample``, directions of the projected block at rounding
        level (a *breakdown*: the space is numerically invariant, e.g. when
        ``A`` has few distinct singular values) are replaced by fresh
        Gaussian samples of the range of ``A``, projected likewise; without
        them a basis that fills ``min(m, n)`` columns of a tall ``A`` would
        partly lie outside its range.  (In a basis that does not fill them
        the noise is kept, as it costs no products: the next step maps it
        into the range.)  Once the space (nearly) saturates, part of a
        projected block is rounding noise anyway, and its normalised columns
        are projected once more.
    resample : bool
        ``resample`` for the next block: False once fresh samples were at
        rounding level too (the range of ``A`` is exhausted, e.g. for
        rank-deficient ``A``), so that later breakdowns cost no products.
    """
    scale = math.sqrt(_fro2(y))
    Qb, Rb = _orth(_project_out(y, qall))
    sv = _svdvals(Rb)
    keep = min(room, int(Qb.shape[1]))
    noise = 100 * math.sqrt(op.shape[0]) * unit_roundoff(op.dtype)  # relative rounding level
    good = int(np.count_nonzero(sv[:keep] > noise * scale)) if resample else keep
    if good < int(Qb.shape[1]):  # keep the dominant directions
        Qb, sv = mm(Qb, _left_singular_vectors(Rb)[:, :good]), sv[:good]
    if not (sv.size == 0 or sv[-1] > 1e-3 * scale):
        Qb, _ = _orth(_project_out(Qb, qall))
    if good < keep:  # breakdown: continue with fresh samples of the range of A
        basis = _hcat([qall, Qb], op.xp)
        f = op.matmat(draw.normal((op.shape[1], keep - good)))
        scale = math.sqrt(_fro2(f))
        Qf, Rf = _orth(_project_out(f, basis))
        sf = _svdvals(Rf)
        if not (sf[-1] > 1e-3 * scale):
            Qf, _ = _orth(_project_out(Qf, basis))
        Qb = _hcat([Qb, Qf], op.xp)
        resample = bool(sf[-1] > noise * scale)
    return Qb, resample


def _left_singular_vectors(r: Any) -> Any:
    """The left singular vectors of a small square matrix, in its backend (descending order)."""
    if backend_name(r) == "torch":
        import torch

        return torch.linalg.svd(r)[0]
    return np.linalg.svd(r)[0]


def _grow_gram(gram: Any, ws: list, w: Any) -> np.ndarray:
    """``[W, w]^H [W, w]`` on the host from ``gram = W^H W`` (``W`` the blocks ``ws``)."""
    ww = to_numpy(mm(conj_transpose(w), w))
    if gram is None:
        return ww
    cross = to_numpy(mm(conj_transpose(_hcat(ws, namespace(w))), w))
    return np.block([[gram, cross], [cross.conj().T, ww]])


def _gram_theta(gram: np.ndarray, k: int) -> tuple[float, float]:
    """Ritz values ``theta_k`` and ``theta_{k+1}`` of the Krylov space from ``gram = W^H W``."""
    ev = np.linalg.eigvalsh((gram + gram.conj().T) / 2)[::-1]
    tk = math.sqrt(max(float(ev[k - 1]), 0.0))
    tk1 = math.sqrt(max(float(ev[k]), 0.0)) if len(ev) > k else 0.0
    return tk, tk1


def _krylov_converged(change: float, change_old: float | None, theta: tuple[float, float]) -> bool:
    """The ``n_iter="auto"`` rule of block Krylov.

    Krylov convergence accelerates, so the deficit of ``theta_k`` still to
    come is extrapolated from the last two relative changes ``c_old, c``
    with the observed rate ``rho = c / c_old``: ``c rho / (1 - rho)``.
    As for subspace iteration it is weighted by ``(theta_k / theta_{k+1})^2``
    and compared with :data:`AUTO_RTOL`.  After the first step (no rate yet)
    only a change ten times smaller is accepted.
    """
    tk, tk1 = theta
    if tk == 0 or not math.isfinite(change):
        return tk == 0
    gap2 = (tk / tk1) ** 2 if tk1 > 0 else 1.0
    if change_old is None or not math.isfinite(change_old):
        return change * gap2 <= AUTO_RTOL / 10
    rho = change / change_old if change_old > 0 else 0.0
    if rho >= 1:
        return False
    return change * rho / (1 - rho) * gap2 <= AUTO_RTOL


# --------------------------------------------------------------------------- adaptive


def adaptive_qb(op: _Operator, tol: float, kmax: int, q: int | None, draw: _Draw):
    """Blocked randQB_EI.  Returns ``(Q, B, fro2, resid2)``.

    ``B = Q^H A``, ``fro2`` is ``||A||_F^2`` (estimated for a LinearOperator)
    and ``resid2`` the estimate of ``||A - Q B||_F^2`` that stopped the loop.
    Stops once ``resid2 <= tol^2 fro2`` (indicator or probes) or the basis
    has ``kmax`` columns (then a ``LinAlgWarning`` is issued).
    """
    m, n = op.shape
    xp = op.xp
    u = unit_roundoff(np.dtype(str(op.dtype).replace("torch.", "")))
    fro2 = op.fro2()
    estimated = fro2 is None
    probe_sum, probe_count = 0.0, 0
    qs: list = []
    bs: list = []
    captured = 0.0
    resid2 = None
    passes = 1 if q is None else q
    while True:
        r = sum(int(x.shape[1]) for x in qs)
        b = min(ADAPTIVE_BLOCK, kmax - r)
        if b <= 0:
            break
        omega = draw.normal((n, b))
        y = op.matmat(omega)
        if estimated:
            probe_sum += _fro2(y)
            probe_count += b
            fro2 = probe_sum / probe_count
        if qs:
            y = y - mm(_hcat(qs, xp), mm(_vcat(bs, xp), omega))
            if estimated and _fro2(y) / b <= tol**2 * fro2:
                resid2 = _fro2(y) / b  # the residual of the basis so far, from these probes
                break
        Qi, _ = _orth(y)
        for _ in range(passes):
            Zi = op.rmatmat(Qi)
            if qs:
                Zi = Zi - mm(conj_transpose(_vcat(bs, xp)), mm(conj_transpose(_hcat(qs, xp)), Qi))
            Zi, _ = _orth(Zi)
            y = op.matmat(Zi)
            if qs:
                y = y - mm(_hcat(qs, xp), mm(_vcat(bs, xp), Zi))
            Qi, _ = _orth(y)
        if qs:
            Qi, _ = _orth(_project_out(Qi, _hcat(qs, xp)))
        Bi = conj_transpose(op.rmatmat(Qi))
        qs.append(Qi)
        bs.append(Bi)
        captured += _fro2(Bi)
        floor = 1e3 * u  # the indicator's own cancellation level (relative to fro2)
        if not estimated and fro2 - captured <= max(tol**2, floor) * fro2:
            if tol**2 >= floor:
                resid2 = fro2 - captured
                break
            # Below ~sqrt(u) the indicator is mostly cancellation (it may never reach
            # tol^2 fro2, or reach it by chance): once it is at its floor, ask the probes.
            resid2 = _probe_resid2(op, qs, bs, draw)
            if resid2 <= tol**2 * fro2:
                break
            resid2 = None
    Q = _hcat(qs, xp) if qs else op.xp.zeros((m, 0), dtype=op.dtype)
    B = _vcat(bs, xp) if bs else op.xp.zeros((0, n), dtype=op.dtype)
    if resid2 is None:  # stopped by the rank limit
        resid2 = max(fro2 - captured, 0.0)
        if resid2 > tol**2 * fro2 and kmax < min(m, n):
            warnings.warn(
                f"the tolerance tol={tol:g} was not reached with the maximum rank {kmax} "
                f"(estimated relative error {math.sqrt(resid2 / fro2):.3g}); raise k (the "
                "rank limit) or loosen tol.",
                LinAlgWarning,
                stacklevel=3,
            )
    return Q, B, fro2, max(resid2, 0.0)


def _fro2(x: Any) -> float:
    if backend_name(x) == "torch":
        import torch

        return float(torch.linalg.vector_norm(x)) ** 2
    return float(np.vdot(x, x).real)


def _vcat(blocks: list, xp) -> Any:
    return blocks[0] if len(blocks) == 1 else xp.concat(blocks, axis=0)


def _probe_resid2(op: _Operator, qs: list, bs: list, draw: _Draw) -> float:
    """``||A - Q B||_F^2`` estimated with 10 Gaussian probes (unbiased; no cancellation)."""
    n = op.shape[1]
    omega = draw.normal((n, 10))
    r = op.matmat(omega) - mm(_hcat(qs, op.xp), mm(_vcat(bs, op.xp), omega))
    return _fro2(r) / 10
