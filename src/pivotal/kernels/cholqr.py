"""CholeskyQR and its stable variants: CholeskyQR2, shifted CholeskyQR3, randomized CholeskyQR.

One pass of CholeskyQR factors a tall ``(m, n)`` matrix ``A`` through its
Gram matrix::

    G = A^H A,   R = chol(G) (upper),   Q = A R^{-1}

Both big steps are BLAS-3 (a Hermitian rank-``m`` update, ``?syrk``/``?herk``,
and a triangular solve with ``n`` columns, ``?trsm``) and each row block of
``A`` can be processed independently, so CholeskyQR is the fastest QR for
tall-skinny matrices and needs a single reduction when the rows are
distributed.  Its weakness is the Gram matrix: ``cond(G) = cond(A)^2``, so
one pass gives ``||I - Q^H Q|| ~ u cond(A)^2`` and breaks down (Cholesky
fails) once ``cond(A) >~ u^{-1/2}`` (about ``1e8`` in float64, ``4e3`` in
float32).  The variants here cure that:

* :func:`cholesky_qr2` repeats the pass on the computed ``Q`` (Fukaya et al.
  2014; Yamamoto et al. 2015).  The second pass starts from a matrix whose
  condition number is close to 1, so the result is orthogonal to ``O(u)``
  with an ``O(u)`` residual, provided the first pass did not break down:
  ``cond(A) <~ u^{-1/2}``.
* :func:`shifted_cholesky_qr3` makes the first pass succeed for
  ``cond(A) <~ u^{-1}`` by factoring ``G + s I`` with a small shift ``s``
  (Fukaya, Kannan, Nakatsukasa, Yamamoto and Yanagisawa 2020); the resulting
  ``Q_1`` has ``cond(Q_1) <~ u^{-1/2}``, and CholeskyQR2 finishes the job.
* :func:`rand_cholesky_qr` preconditions with a random sketch: ``R_0`` from a
  Householder QR of ``S A`` (``S`` a ``(s, m)`` Gaussian matrix,
  ``s ~ 2 n``) makes ``A R_0^{-1}`` well conditioned with high probability
  whatever ``cond(A)`` is (up to ``~u^{-1}``), and one CholeskyQR pass on it
  is then orthogonal to ``O(u)`` (Fan, Guo and Lin 2021; Balabanov 2022;
  Higgins, Szyld, Boman and Yamazaki 2023).

Conventions: every function returns the economic factors ``Q`` ``(m, n)``
and ``R`` ``(n, n)`` upper triangular with a real positive diagonal (the
Cholesky factors' diagonals are positive, so no sign fix is needed) in the
input's backend, working dtype and device; ``a`` is never modified;
``m >= n`` is required.  When a Cholesky factorization fails, or the
computed intermediate ``Q`` is too far from orthonormal for the last pass to
repair, :class:`pivotal.errors.NotPositiveDefiniteError` is raised with the
column index and a message naming the method to use instead; no function
returns an inaccurate ``Q`` silently.

Scaling: the Gram matrix squares the entries of ``A``, so it would overflow
from about ``1e154`` and lose everything below about ``1e-154``.  Every
function first scales ``A`` by a power of two into LAPACK's safe range
(largest entry between about ``1e-146`` and ``1e146``; :mod:`pivotal._scaling`)
and unscales ``R`` at the end; ``Q`` does not depend on the scaling.  The
scan that finds the scale is also the NaN/Inf check.

Implementation: the Gram matrix is formed with the backend's ``herk_update``
(BLAS ``?syrk``/``?herk`` on NumPy, called on the transpose without a
copy; about half the flops of a general product), the Cholesky factor with
the vendor ``potrf``, and ``Q = A R^{-1}`` with the backend's in-place
``trsm``.  The only ``m x n`` allocation is the output ``Q``.

References
----------
T. Fukaya, Y. Nakatsukasa, Y. Yanagisawa and Y. Yamamoto, "CholeskyQR2: a
simple and communication-avoiding algorithm for computing a tall-skinny QR
factorization on a large-scale parallel system", ScalA 2014, 31-38.

Y. Yamamoto, Y. Nakatsukasa, Y. Yanagisawa and T. Fukaya, "Roundoff error
analysis of the CholeskyQR2 algorithm", Electron. Trans. Numer. Anal. 44,
306-326, 2015.

T. Fukaya, R. Kannan, Y. Nakatsukasa, Y. Yamamoto and Y. Yanagisawa,
"Shifted Cholesky QR for computing the QR factorization of ill-conditioned
matrices", SIAM J. Sci. Comput. 42(1), A477-A503, 2020.

Y. Fan, Y. Guo and T. Lin, "A novel randomized XR-based preconditioned
CholeskyQR algorithm", arXiv:2111.11148, 2021.

O. Balabanov, "Randomized Cholesky QR factorizations", arXiv:2210.09953, 2022.

A. J. Higgins, D. B. Szyld, E. G. Boman and I. Yamazaki, "Analysis of
randomized Householder-Cholesky QR factorization with multisketching",
arXiv:2309.05868, 2023.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    backend_name,
    is_complex,
    namespace,
    real_dtype,
    to_float,
    unit_roundoff,
    working_copy,
)
from .._backends import get_backend
from .._scaling import ldexp, safe_scale
from ..errors import NotPositiveDefiniteError
from .tsqr import _tall_input, normalize_qr_signs

__all__ = ["cholesky_qr", "cholesky_qr2", "default_shift", "rand_cholesky_qr", "shifted_cholesky_qr3"]

# cholesky_qr2 accepts the first pass when cond(Q_1) <= this; the second pass
# then leaves ||I - Q^H Q|| ~ u cond(Q_1)^2 <= 100 u (see _check_intermediate).
_MAX_INTERMEDIATE_COND = 10.0

# Rows of A per block when a sketch S A is accumulated (S is never formed whole).
_SKETCH_BLOCK = 8192


# --------------------------------------------------------------------------- one pass


def _gram_lower(x: Any, backend, xp) -> Any:
    """``G = X^H X`` with (at least) its lower triangle correct.

    Through ``herk_update(c, X^T)``: ``c <- c - X^T conj(X) = -conj(X^H X)``,
    which on NumPy is one ``?syrk``/``?herk`` on the transpose view of the
    C-ordered ``X`` (no copy of ``X``).
    """
    n = int(x.shape[1])
    if backend_name(x) == "numpy":
        c = np.zeros((n, n), dtype=x.dtype, order="F")
    else:
        c = xp.zeros((n, n), dtype=x.dtype, device=array_api_compat.device(x))
    backend.herk_update(c, x.T)
    c = -c
    return xp.conj(c) if is_complex(x.dtype) else c


def _add_to_diagonal(g: Any, s: float, xp) -> None:
    n = int(g.shape[0])
    idx = xp.arange(n, device=array_api_compat.device(g))
    g[idx, idx] = g[idx, idx] + s


def _upper_from_lower(low: Any, xp) -> Any:
    """``R = L^H`` as a fresh upper triangular array."""
    r = low.T
    return xp.conj(r) if is_complex(low.dtype) else xp.asarray(r, copy=True)


def _factor(q: Any, backend, xp, *, shift: float = 0.0, what: str, advice: str, g: Any = None):
    """Upper ``R = chol(Q^H Q + shift I)`` for one CholeskyQR pass (``g``: a precomputed Gram).

    ``g`` is overwritten.  Raises :class:`NotPositiveDefiniteError` (message
    from ``what`` and ``advice``) when the Cholesky factorization fails.
    """
    if g is None:
        g = _gram_lower(q, backend, xp)
    if shift:
        _add_to_diagonal(g, shift, xp)
    low, info = backend.vendor_potrf(g, lower=True)
    if info:
        j = info - 1
        raise NotPositiveDefiniteError(
            j,
            f"{what}: the Gram matrix A^H A is not numerically positive definite "
            f"(Cholesky failed at column {j}), so the matrix is too ill-conditioned "
            f"(or rank deficient) for this method. {advice}",
        )
    return _upper_from_lower(xp.tril(low), xp)


def _pass(q: Any, backend, xp, *, shift: float = 0.0, what: str, advice: str):
    """One CholeskyQR pass on ``q`` in place: returns ``R`` with ``q <- q R^{-1}``."""
    r = _factor(q, backend, xp, shift=shift, what=what, advice=advice)
    backend.trsm_inplace(r, q, lower=False, trans=0, side="right")
    return r


def _check_intermediate(g: Any, r: Any, xp, what: str, advice: str) -> None:
    """Refuse a second pass that cannot restore orthogonality.

    ``g = Q_1^H Q_1`` (lower triangle) and ``r = chol(g)`` come from the
    last pass, and the final ``Q`` will be orthogonal to about
    ``u cond(Q_1)^2``.  ``||g - I||_F <= 1/2`` already guarantees
    ``cond(Q_1)^2 <= 3`` (the usual case, costing ``O(n^2)``); otherwise
    ``cond(Q_1) = cond(R)`` is computed from the singular values of ``r``.
    The reported index is the first column ``j`` at which the leading
    ``j + 1`` columns of ``Q_1`` are too ill-conditioned (``cond_1`` of the
    leading blocks of ``r``, computed from column sums of ``r`` and
    ``r^{-1}``).
    """
    n = int(g.shape[0])
    if n == 0:
        return
    low = xp.tril(g, k=-1)
    dg = xp.real(xp.linalg.diagonal(g)) if is_complex(g.dtype) else xp.linalg.diagonal(g)
    off = to_float(xp.sum(xp.abs(low) ** 2))
    dev = to_float(xp.sum((dg - 1) ** 2))
    if math.isfinite(off) and math.sqrt(2 * off + dev) <= 0.5:
        return
    cond = _cond2(r, xp)
    if math.isfinite(cond) and cond <= _MAX_INTERMEDIATE_COND:
        return
    rinv = xp.eye(n, dtype=r.dtype, device=array_api_compat.device(r))
    get_backend(r).trsm_inplace(r, rinv, lower=False)
    c1 = np.maximum.accumulate(np.asarray(_col_sums(r, xp)))
    c2 = np.maximum.accumulate(np.asarray(_col_sums(rinv, xp)))
    bad = np.flatnonzero(~(c1 * c2 <= _MAX_INTERMEDIATE_COND))
    j = int(bad[0]) if bad.size else n - 1
    raise NotPositiveDefiniteError(
        j,
        f"{what}: after the first pass the computed Q is too far from orthonormal "
        f"(cond(Q_1) = {cond:.3g}, first bad column {j}): the Gram matrix was "
        "numerically singular, so the matrix is too ill-conditioned (or rank "
        f"deficient) for this method and the result would not be orthogonal. {advice}",
    )


def _col_sums(x: Any, xp) -> list[float]:
    s = xp.sum(xp.abs(x), axis=0)
    if backend_name(x) == "torch":
        return s.detach().cpu().tolist()
    return np.asarray(s).tolist()


def _triu_product(r2: Any, r1: Any, xp) -> Any:
    return xp.triu(r2 @ r1)


def _prepare(a: Any, func: str, check_finite: bool, overwrite_a: bool = False):
    """``(a, q, e, xp, backend)``: the validated input and the working array ``q = 2**e a``.

    ``q`` is a C-ordered array that becomes ``Q`` in place: ``a`` itself when
    the caller gave it up (``overwrite_a``) and it is already a writable
    C-ordered array of the working dtype, otherwise a copy.  Its largest
    entry is scaled by a power of two into LAPACK's safe range
    (:mod:`pivotal._scaling`) so that the Gram matrix neither overflows nor
    underflows; ``Q`` does not depend on the scaling and ``R`` is unscaled by
    :func:`_unscaled`.  The scan that finds the scale also refuses NaN/Inf
    (``check_finite``).  A scaled ``a`` is never overwritten: it is scaled
    into a copy.
    """
    a = _tall_input(a, func, check_finite=False)
    xp = namespace(a)
    backend = get_backend(a)
    q = working_copy(a, overwrite=overwrite_a and _c_contiguous(a))
    e, _ = safe_scale(q, check_finite=check_finite)
    if e:
        q = ldexp(q, e, inplace=q is not a)
    return a, q, e, xp, backend


def _unscaled(q: Any, r: Any, e: int) -> tuple[Any, Any]:
    """``(Q, 2**-e R)``: the factors of ``a`` from those of ``q = 2**e a``."""
    return q, ldexp(r, -e)


def _c_contiguous(a: Any) -> bool:
    if backend_name(a) == "torch":
        return bool(a.is_contiguous())
    return bool(np.asarray(a).flags.c_contiguous)


def _empty(q: Any, xp):
    n = int(q.shape[1])
    return q, xp.zeros((n, n), dtype=q.dtype, device=array_api_compat.device(q))


_ADVICE_CQR2 = (
    "Use shifted_cholesky_qr3 (cond(A) up to ~1/u) or rand_cholesky_qr, or a "
    "Householder QR (pivotal.kernels.tsqr.tsqr, numpy.linalg.qr), which works for any matrix."
)
_ADVICE_SCQR3 = (
    "Use a Householder QR (pivotal.kernels.tsqr.tsqr, numpy.linalg.qr), which works "
    "for any matrix; for rank-deficient matrices use QR with column pivoting."
)


def _cholqr2_core(q: Any, backend, xp, what: str, advice: str) -> Any:
    """Two passes on ``q`` in place; returns ``R`` (the product of both)."""
    r1 = _pass(q, backend, xp, what=what, advice=advice)
    r2 = _second_pass(q, backend, xp, what, advice)
    return _triu_product(r2, r1, xp)


def _second_pass(q: Any, backend, xp, what: str, advice: str) -> Any:
    """A repairing pass on ``q`` in place, refused when ``cond(q)`` is too large to repair."""
    g = _gram_lower(q, backend, xp)
    r = _factor(q, backend, xp, what=what, advice=advice, g=xp.asarray(g, copy=True))
    _check_intermediate(g, r, xp, what, advice)
    backend.trsm_inplace(r, q, lower=False, trans=0, side="right")
    return r


def _cond2(r: Any, xp) -> float:
    sv = xp.linalg.svdvals(r)
    smax, smin = to_float(xp.max(sv)), to_float(xp.min(sv))
    return smax / smin if smin > 0 else math.inf


# --------------------------------------------------------------------------- public


#: The Returns section shared by the stable variants (one CholeskyQR pass is not orthogonal).
_RETURNS_ORTHONORMAL = """Returns
    -------
    Q : (m, n) array
        ``||I - Q^H Q|| = O(u)``.
    R : (n, n) array
        Upper triangular with a real positive diagonal; ``||A - Q R|| = O(u ||A||)``
        (``u ||A||`` plus the spacing of the subnormal numbers when ``R`` falls
        below the normal range)."""

#: Docstring fragments of the stable variants, by placeholder.
_DOC_FRAGMENTS = {
    "{RETURNS_ORTHONORMAL}": _RETURNS_ORTHONORMAL,
    "{CHECK_FINITE_AND_RETURNS}": "check_finite : bool, optional\n"
    "        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).\n\n    " + _RETURNS_ORTHONORMAL,
}


def _returns_orthonormal(func):
    """Fill the placeholders of :data:`_DOC_FRAGMENTS` in ``func``'s docstring."""
    for key, text in _DOC_FRAGMENTS.items():
        func.__doc__ = func.__doc__.replace(key, text)
    return func


def cholesky_qr(a: Any, *, check_finite: bool = True, overwrite_a: bool = False) -> tuple[Any, Any]:
    """One pass of CholeskyQR: ``R = chol(A^H A)``, ``Q = A R^{-1}`` (unstable; for study).

    ``||I - Q^H Q||`` grows like ``u cond(A)^2``, so this is the baseline that
    :func:`cholesky_qr2` repairs; use it to show the effect, not to compute.

    Parameters
    ----------
    a : (m, n) array
        NumPy array or PyTorch tensor, real or complex, ``m >= n``.  Not
        modified unless ``overwrite_a``.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).
    overwrite_a : bool, optional
        Allow ``Q`` to be computed in ``a``'s memory (no ``m x n`` copy)
        when ``a`` is a writable C-ordered array of the working dtype and
        needs no scaling; otherwise ``a`` is copied as usual.  When the Cholesky factorization
        fails ``a`` is left intact (the failure precedes any write).

    Returns
    -------
    Q : (m, n) array
        ``a`` itself when it was overwritten.
    R : (n, n) array
        Upper triangular with a real positive diagonal.

    Raises
    ------
    NotPositiveDefiniteError
        The Gram matrix is numerically indefinite (``cond(A) >~ u^{-1/2}``).
    ValueError
        Not 2-D, ``m < n``, or non-finite entries with ``check_finite``.

    References
    ----------
    .. [1] Y. Yamamoto, Y. Nakatsukasa, Y. Yanagisawa and T. Fukaya, "Roundoff
       error analysis of the CholeskyQR2 algorithm", Electron. Trans. Numer.
       Anal. 44, 306-326, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.cholqr import cholesky_qr
    >>> A = np.random.default_rng(0).standard_normal((100, 5))
    >>> Q, R = cholesky_qr(A)
    >>> bool(np.allclose(Q @ R, A)), bool(np.allclose(Q.T @ Q, np.eye(5)))
    (True, True)
    """
    _, q, e, xp, backend = _prepare(a, "cholesky_qr", check_finite, overwrite_a)
    if q.shape[1] == 0:
        return _empty(q, xp)
    r = _pass(q, backend, xp, what="cholesky_qr", advice=_ADVICE_CQR2)
    return _unscaled(q, r, e)


@_returns_orthonormal
def cholesky_qr2(a: Any, *, check_finite: bool = True, overwrite_a: bool = False) -> tuple[Any, Any]:
    """CholeskyQR2: two passes of CholeskyQR, orthogonal to ``O(u)`` for ``cond(A) <~ u^{-1/2}``.

    ``[Q_1, R_1] = cholqr(A)``, ``[Q, R_2] = cholqr(Q_1)``, ``R = R_2 R_1``.
    All the work is in four BLAS-3 calls on the ``(m, n)`` matrix (two
    ``?syrk``/``?herk``, two ``?trsm``), about ``4 m n^2`` flops for real data.

    Parameters
    ----------
    a : (m, n) array
        NumPy array or PyTorch tensor, real or complex, ``m >= n``.  Not
        modified unless ``overwrite_a``; integer and half-precision input is
        computed in the working dtype (float64 / float32).
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).
    overwrite_a : bool, optional
        Allow ``Q`` to be computed in ``a``'s memory (no ``m x n`` copy)
        when ``a`` is a writable C-ordered array of the working dtype and
        needs no scaling.  Its contents are then lost, also when an error is
        raised after the first pass.

    {RETURNS_ORTHONORMAL}

    Raises
    ------
    NotPositiveDefiniteError
        The matrix is too ill-conditioned for CholeskyQR2 (roughly
        ``cond(A) > u^{-1/2}``, i.e. ``1e8`` in float64): a Cholesky
        factorization failed, or the first pass left ``cond(Q_1) > 10`` so
        the second could not make ``Q`` orthogonal.  The message suggests
        :func:`shifted_cholesky_qr3` or Householder QR.
    ValueError
        Not 2-D, ``m < n``, or non-finite entries with ``check_finite``.

    References
    ----------
    .. [1] T. Fukaya, Y. Nakatsukasa, Y. Yanagisawa and Y. Yamamoto,
       "CholeskyQR2: a simple and communication-avoiding algorithm for
       computing a tall-skinny QR factorization on a large-scale parallel
       system", ScalA 2014, 31-38.
    .. [2] Y. Yamamoto, Y. Nakatsukasa, Y. Yanagisawa and T. Fukaya, "Roundoff
       error analysis of the CholeskyQR2 algorithm", Electron. Trans. Numer.
       Anal. 44, 306-326, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.cholqr import cholesky_qr2
    >>> A = gallery.randsvd(20, 1e6, m=500, random_state=0)
    >>> Q, R = cholesky_qr2(A)
    >>> bool(np.linalg.norm(np.eye(20) - Q.T @ Q) < 1e-14)
    True
    >>> bool(np.linalg.norm(A - Q @ R) < 1e-14), bool(np.all(np.diag(R) > 0))
    (True, True)
    >>> Q2, R2 = cholesky_qr2(A * 1e200)   # scaled into the safe range before the Gram matrix
    >>> bool(np.allclose(Q2, Q)), bool(np.allclose(R2 / 1e200, R))
    (True, True)
    """
    _, q, e, xp, backend = _prepare(a, "cholesky_qr2", check_finite, overwrite_a)
    if q.shape[1] == 0:
        return _empty(q, xp)
    r = _cholqr2_core(q, backend, xp, "cholesky_qr2", _ADVICE_CQR2)
    return _unscaled(q, r, e)


def default_shift(a: Any) -> float:
    """Fukaya et al.'s shift ``s = 11 (m n + n (n + 1)) u ||A||_F^2``.

    The Frobenius norm is the cheap upper bound of ``||A||_2`` the paper
    suggests; it makes ``s`` at most ``n`` times larger than with
    ``||A||_2``, which keeps the guarantee (the first pass cannot break
    down) and costs at most a factor ``sqrt(n)`` in ``cond(Q_1)``.
    """
    xp = namespace(a)
    m, n = (int(s) for s in a.shape)
    fro = to_float(xp.linalg.vector_norm(a)) if m * n else 0.0
    return 11.0 * (m * n + n * (n + 1)) * unit_roundoff(a.dtype) * fro * fro


@_returns_orthonormal
def shifted_cholesky_qr3(a: Any, shift: float | None = None, *, check_finite: bool = True) -> tuple[Any, Any]:
    """Shifted CholeskyQR3: a shifted first pass, then CholeskyQR2; ``cond(A)`` up to ``~1/u``.

    ``R_1 = chol(A^H A + s I)``, ``Q_1 = A R_1^{-1}``, then
    ``[Q, R_23] = cholesky_qr2(Q_1)`` and ``R = R_23 R_1``.  The shift
    ``s`` dominates the rounding errors of the Gram matrix, so the first
    Cholesky factorization cannot fail, and it bounds
    ``cond(Q_1) <~ sqrt(s) / sigma_min(A)``, which the two further passes
    handle (Fukaya et al. 2020).  About ``6 m n^2`` flops for real data.

    Parameters
    ----------
    a : (m, n) array
        NumPy array or PyTorch tensor, real or complex, ``m >= n``.  Not modified.
    shift : float, optional
        The shift ``s >= 0``.  Default :func:`default_shift`,
        ``11 (m n + n (n + 1)) u ||A||_F^2`` (the paper's choice with the
        Frobenius norm as the cheap bound of ``||A||_2``).
    {CHECK_FINITE_AND_RETURNS}

    Raises
    ------
    NotPositiveDefiniteError
        ``cond(A) >~ 1/u`` (or ``A`` rank deficient): the passes after the
        shifted one cannot orthogonalize ``Q_1``.  Use Householder QR.
    ValueError
        Not 2-D, ``m < n``, non-finite entries with ``check_finite``, or a
        negative or non-finite ``shift``.

    References
    ----------
    .. [1] T. Fukaya, R. Kannan, Y. Nakatsukasa, Y. Yamamoto and
       Y. Yanagisawa, "Shifted Cholesky QR for computing the QR factorization
       of ill-conditioned matrices", SIAM J. Sci. Comput. 42(1), A477-A503,
       2020.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.cholqr import shifted_cholesky_qr3
    >>> A = gallery.randsvd(20, 1e12, m=500, random_state=0)   # beyond CholeskyQR2's ~1e8
    >>> Q, R = shifted_cholesky_qr3(A)
    >>> errors = np.linalg.norm(np.eye(20) - Q.T @ Q), np.linalg.norm(A - Q @ R)
    >>> bool(max(errors) < 1e-14)
    True
    """
    a, q, e, xp, backend = _prepare(a, "shifted_cholesky_qr3", check_finite)
    if shift is None:
        shift = default_shift(q)  # of the scaled q: 4**e times that of a
    else:
        try:
            shift = float(shift)
        except (TypeError, ValueError):
            raise ValueError(f"shift must be a real number >= 0, got {shift!r}.") from None
        if not (math.isfinite(shift) and shift >= 0):
            raise ValueError(
                f"shift must be finite and >= 0, got {shift!r}; pass None for the default "
                "11 (m n + n (n + 1)) u ||A||_F^2."
            )
        shift = math.ldexp(shift, 2 * e)  # the Gram matrix of q = 2**e a is 4**e A^H A
    if q.shape[1] == 0:
        return _empty(q, xp)
    what = "shifted_cholesky_qr3"
    r1 = _pass(q, backend, xp, shift=shift, what=what, advice=_ADVICE_SCQR3)
    r23 = _cholqr2_core(q, backend, xp, what, _ADVICE_SCQR3)
    return _unscaled(q, _triu_product(r23, r1, xp), e)


# --------------------------------------------------------------------------- randomized


class _Gaussian:
    """Draws blocks of a real Gaussian sketch in ``like``'s backend, dtype and device.

    ``random_state``: None, an int seed, a ``numpy.random.Generator`` or a
    ``torch.Generator``.  A fixed seed gives the same sketch for the same
    input backend and device.  With None, a fresh generator is seeded from
    the operating system.
    """

    def __init__(self, random_state: Any, like: Any):
        self.like = like
        self.torch_input = backend_name(like) == "torch"
        single = np.dtype(str(real_dtype(like.dtype)).replace("torch.", "")) == np.float32
        self.np_dtype = np.float32 if single else np.float64
        if isinstance(random_state, (bool, np.bool_)):
            raise TypeError("random_state must be None, an int seed or a generator, got a bool.")
        if random_state is None or isinstance(random_state, (int, np.integer)):
            if random_state is not None and int(random_state) < 0:
                raise ValueError(f"random_state must be a non-negative seed, got {random_state}.")
            if self.torch_input:
                import torch

                self.gen = torch.Generator(device=like.device)
                if random_state is None:
                    self.gen.seed()
                else:
                    self.gen.manual_seed(int(random_state))
                self.kind = "torch"
            else:
                self.gen, self.kind = np.random.default_rng(random_state), "numpy"
        elif isinstance(random_state, np.random.Generator):
            self.gen, self.kind = random_state, "numpy"
        elif type(random_state).__module__.startswith("torch") and hasattr(random_state, "manual_seed"):
            self.gen, self.kind = random_state, "torch"
        else:
            raise TypeError(
                "random_state must be None, an int seed, a numpy.random.Generator or a "
                f"torch.Generator, got {type(random_state).__name__}; pass e.g. random_state=0."
            )

    def draw(self, shape: tuple[int, int]) -> Any:
        if self.kind == "numpy":
            s = self.gen.standard_normal(shape, dtype=self.np_dtype)
            if self.torch_input:
                import torch

                return torch.as_tensor(s, device=self.like.device)
            return s
        import torch

        t = torch.randn(
            shape,
            generator=self.gen,
            dtype=torch.float32 if self.np_dtype == np.float32 else torch.float64,
            device=self.gen.device,
        )
        return t.to(self.like.device) if self.torch_input else t.cpu().numpy()


def _sketch(a: Any, s: int, gen: _Gaussian, xp) -> Any:
    """``S A / sqrt(s)`` with ``S`` Gaussian ``(s, m)``, accumulated over row blocks of ``a``."""
    m = int(a.shape[0])
    b = None
    scale = 1.0 / math.sqrt(s)
    for r0 in range(0, m, _SKETCH_BLOCK):
        r1 = min(m, r0 + _SKETCH_BLOCK)
        sb = gen.draw((s, r1 - r0))
        sb = xp.astype(sb, a.dtype) * scale
        part = sb @ a[r0:r1]
        b = part if b is None else b + part
    return b


@_returns_orthonormal
def rand_cholesky_qr(
    a: Any,
    *,
    sketch_size: int | None = None,
    random_state: Any = None,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """Randomized CholeskyQR: sketch, precondition, one CholeskyQR pass.

    1. ``B = S A`` with ``S`` an ``(s, m)`` Gaussian sketch (``s = 2 n`` by
       default), formed block by block; ``B = Q_0 R_0`` by Householder QR.
    2. ``A_1 = A R_0^{-1}``.  Because ``S`` is (with high probability) a
       subspace embedding for ``range(A)``, ``cond(A_1)`` is a small constant
       (about ``(1 + sqrt(n/s)) / (1 - sqrt(n/s))``, ``~6`` for ``s = 2 n``),
       whatever ``cond(A)`` is, as long as ``u cond(A) << 1``.
    3. One CholeskyQR pass on ``A_1``: ``R_1 = chol(A_1^H A_1)``,
       ``Q = A_1 R_1^{-1}``, ``R = R_1 R_0``.  Its orthogonality error is
       about ``u cond(A_1)^2``, so when ``cond(R_1) = cond(A_1) > 10`` (an
       unlucky or too small sketch) a second, repairing pass is made, as in
       :func:`cholesky_qr2`.

    The result is orthogonal to ``O(u)`` for ``cond(A)`` up to about
    ``1e12``-``1e14`` in float64 (Higgins et al. 2023).  A Gaussian sketch
    costs ``2 s m n`` flops, as much as the rest; its value is robustness
    with a single pass over ``A`` after the sketch.

    Parameters
    ----------
    a : (m, n) array
        NumPy array or PyTorch tensor, real or complex, ``m >= n``.  Not modified.
    sketch_size : int, optional
        Rows ``s`` of the sketch, ``n <= s``; default ``2 n``.  When
        ``s >= m`` no sketch is drawn (``S = I``) and ``R_0`` comes from the
        Householder QR of ``A`` itself.
    random_state : None, int, numpy.random.Generator or torch.Generator, optional
        Source of the sketch; a fixed seed makes the result reproducible.
        A real Gaussian sketch is used for complex input as well.
    {CHECK_FINITE_AND_RETURNS}

    Raises
    ------
    NotPositiveDefiniteError
        ``A`` is numerically rank deficient (or ``cond(A) >~ 1/u``), so the
        preconditioned matrix is not well conditioned.  Use Householder QR.
    ValueError
        Not 2-D, ``m < n``, non-finite entries with ``check_finite``, or
        ``sketch_size < n``.
    TypeError
        Unsupported ``random_state``.

    References
    ----------
    .. [1] Y. Fan, Y. Guo and T. Lin, "A novel randomized XR-based
       preconditioned CholeskyQR algorithm", arXiv:2111.11148, 2021.
    .. [2] O. Balabanov, "Randomized Cholesky QR factorizations",
       arXiv:2210.09953, 2022.
    .. [3] A. J. Higgins, D. B. Szyld, E. G. Boman and I. Yamazaki, "Analysis
       of randomized Householder-Cholesky QR factorization with
       multisketching", arXiv:2309.05868, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.cholqr import rand_cholesky_qr
    >>> A = gallery.randsvd(20, 1e12, m=500, random_state=0)
    >>> Q, R = rand_cholesky_qr(A, random_state=0)
    >>> bool(np.linalg.norm(np.eye(20) - Q.T @ Q) < 1e-14)
    True
    >>> bool(np.linalg.norm(A - Q @ R) < 1e-14)
    True
    >>> Q2, R2 = rand_cholesky_qr(A, random_state=0)
    >>> bool(np.array_equal(R, R2))
    True
    """
    _, q, e, xp, backend = _prepare(a, "rand_cholesky_qr", check_finite)
    m, n = (int(d) for d in q.shape)
    if sketch_size is None:
        s = 2 * n
    else:
        if isinstance(sketch_size, bool) or int(sketch_size) != sketch_size:
            raise ValueError(f"sketch_size must be an integer, got {sketch_size!r}.")
        s = int(sketch_size)
        if s < n:
            raise ValueError(
                f"sketch_size must be at least the number of columns n={n}, got {s}; "
                f"the default is 2 n = {2 * n}."
            )
    gen = _Gaussian(random_state, q)
    if n == 0:
        return _empty(q, xp)
    what = "rand_cholesky_qr"
    b = _sketch(q, s, gen, xp) if s < m else q
    _, r0 = normalize_qr_signs(*xp.linalg.qr(b))
    d = xp.real(xp.linalg.diagonal(r0)) if is_complex(r0.dtype) else xp.linalg.diagonal(r0)
    dmin, dmax = to_float(xp.min(d)), to_float(xp.max(d))
    if not dmin > dmax * n * unit_roundoff(q.dtype):
        j = int(np.argmin(np.asarray(_col_sums(d[None, :], xp))))
        raise NotPositiveDefiniteError(
            j,
            f"{what}: the sketch S A is numerically rank deficient (R_0 has a "
            f"negligible diagonal entry at column {j}), so A is rank deficient or "
            f"too ill-conditioned for this method. {_ADVICE_SCQR3}",
        )
    backend.trsm_inplace(r0, q, lower=False, trans=0, side="right")
    r = _pass(q, backend, xp, what=what, advice=_ADVICE_SCQR3)
    if not _cond2(r, xp) <= _MAX_INTERMEDIATE_COND:
        # The sketch embedded range(A) poorly (small sketch_size, or cond(A)
        # close to 1/u): Q is orthogonal only to ~u cond(A_1)^2, so repair it.
        r = _triu_product(_second_pass(q, backend, xp, what, _ADVICE_SCQR3), r, xp)
    return _unscaled(q, _triu_product(r, r0, xp), e)
