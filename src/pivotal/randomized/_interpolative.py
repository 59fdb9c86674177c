r"""Interpolative decomposition (ID) and CUR, randomized or deterministic.

A rank-``k`` column **ID** expresses every column of ``A`` through ``k`` of
its own columns (the *skeleton*):

``A[:, idx[k:]] ~ A[:, idx[:k]] @ proj``,  i.e. ``A ~ B @ P`` with
``B = A[:, idx[:k]]`` and ``P[:, idx] = [I_k, proj]``,

in the conventions of :mod:`scipy.linalg.interpolative` (``idx`` a
permutation of the columns, ``proj`` of shape ``(k, n - k)``); the helpers
:func:`reconstruct_skel_matrix`, :func:`reconstruct_interp_matrix` and
:func:`reconstruct_matrix_from_id` have SciPy's names and signatures.

Algorithm.  With QRCP ``A[:, idx] = Q [R11 R12; 0 R22]`` (``R11`` of size
``k``), ``proj = R11^{-1} R12`` gives ``A[:, idx[k:]] - A[:, idx[:k]] proj =
Q_2 R22``: the error is the trailing block of QRCP, whose column norms are
at most ``|R_kk|`` (``rand=False``).  The randomized ID (``rand=True``,
Martinsson, Rokhlin and Tygert 2011) runs QRCP on a Gaussian sketch
``Y = G A`` of ``d = k + p`` rows instead: one matrix product
(``O(m n d)``, BLAS-3) and a QRCP of the small ``d x n`` sketch, against a
full QRCP of ``A`` (``O(m n min(m, n))``, half of it matrix-vector
products).  The ID of ``Y`` is an ID of ``A`` whose error is within a modest
factor of ``sigma_{k+1}(A)`` with high probability (``p = 10`` by default;
larger ``p`` brings it closer to QRCP's).

Tolerance mode (``eps_or_k < 1``).  The rank is the smallest ``k`` whose
ID meets the relative precision ``eps`` in SciPy's (ID library's) sense:
every column of the error is at most ``eps`` times the largest column of
``A``,

``max_j ||(A - B P)[:, j]|| <= eps * max_j ||A[:, j]||``.

Deterministic QRCP meets it by construction.  The randomized version grows
the sketch (doubling ``d``) until the sketch's rank leaves ``p`` rows of
oversampling, takes the skeleton from the sketch, and then *checks* the
criterion on ``A`` itself: a Householder QR of the ``m x k`` skeleton and
one application of its ``Q^H`` to the other columns (``O(m n k)``) give the
exact error columns and, at no extra cost, the least-squares coefficients
``proj`` for that skeleton (better than the sketch's).  If the sketch
underestimated the error, its threshold is lowered by the observed factor
and the skeleton re-chosen; after a few attempts the deterministic ID is
used.  In practice the rank comes out within a few of QRCP's.  SciPy's
randomized tolerance mode has no such check and can miss ``eps`` by an
order of magnitude.

**CUR** (:func:`cur`) follows Voronin and Martinsson (2017): a column ID
``A ~ C V`` (``C = A[:, J]``) chooses the columns; an ID of the rows of the
small ``C`` (deterministic QRCP of ``C^H``, ``O(m k^2)``) chooses the rows
``I`` and ``R = A[I, :]``; then ``U = V R^+`` solves ``U R ~ V`` in least
squares.  This avoids the unstable ``U = A[I, J]^{-1}`` and, unlike the
optimal ``U = C^+ A R^+``, costs no further pass over ``A``.

References
----------
.. [1] H. Cheng, Z. Gimbutas, P.-G. Martinsson and V. Rokhlin, "On the
   compression of low rank matrices", SIAM J. Sci. Comput. 26(4), 2005.
.. [2] P.-G. Martinsson, V. Rokhlin and M. Tygert, "A randomized algorithm
   for the decomposition of matrices", Appl. Comput. Harmon. Anal. 30(1),
   2011.
.. [3] S. Voronin and P.-G. Martinsson, "Efficient algorithms for CUR and
   interpolative matrix decompositions", Adv. Comput. Math. 43, 495-516,
   2017.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .._array import (
    backend_name,
    conj_transpose,
    dtype_name,
    from_numpy,
    namespace,
    new_zeros,
    result_dtype,
    to_float,
    validate_matrix,
    working_copy,
)
from .._backends import get_backend
from .._scaling import ldexp, safe_scale
from ..kernels import householder
from ..kernels.qrcp import column_norms, numerical_rank
from ._random import _kind as _check_random_state
from ._random import as_generator, standard_normal
from ._rqrcp import DEFAULT_OVERSAMPLES, _check_int, _index, _qrcp_of

__all__ = [
    "CURResult",
    "cur",
    "interp_decomp",
    "interpolative",
    "reconstruct_interp_matrix",
    "reconstruct_matrix_from_id",
    "reconstruct_skel_matrix",
]

_FIRST_SKETCH = 32  # rows of the first sketch in randomized tolerance mode
_MAX_CHECKS = 6  # a posteriori checks before the deterministic fallback


# --------------------------------------------------------------------------- helpers


def _parse_eps_or_k(eps_or_k: Any, kmax: int) -> tuple[float | None, int | None]:
    """``(eps, None)`` for a tolerance (``< 1``) or ``(None, k)`` for a rank (``>= 1``)."""
    is_number = isinstance(eps_or_k, (numbers.Real, np.floating, np.integer))
    if not is_number or isinstance(eps_or_k, (bool, np.bool_)):
        raise ValueError(f"eps_or_k must be a number (a tolerance < 1 or a rank >= 1), got {eps_or_k!r}.")
    v = float(eps_or_k)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"eps_or_k must be a finite number >= 0, got {eps_or_k!r}.")
    if v < 1:
        return v, None
    if v != int(v):
        raise ValueError(
            f"eps_or_k = {eps_or_k!r} >= 1 is read as a rank and must be an integer; "
            "pass a relative precision < 1 for tolerance mode."
        )
    k = int(v)
    if k > kmax:
        raise ValueError(f"the rank k = {k} exceeds min(m, n) = {kmax}; pass k <= {kmax}.")
    return None, k


def _interp_from_r(r: Any, k: int) -> Any:
    """``proj = R11^{-1} R12`` from an upper trapezoidal ``R`` (pseudo-inverse when ``R11`` is singular)."""
    xp = namespace(r)
    r11 = r[:k, :k]
    r12 = r[:k, k:]
    proj = working_copy(r12)
    if k == 0 or proj.shape[1] == 0:
        return proj
    diag = xp.abs(xp.linalg.diagonal(r11))
    if to_float(xp.min(diag)) > 0:
        get_backend(proj).trsm_inplace(xp.triu(r11), proj, lower=False)
        if bool(xp.all(xp.isfinite(proj))):
            return proj
    # R11 exactly (or numerically) singular: the minimum-norm least-squares coefficients
    return xp.linalg.pinv(xp.triu(r11)) @ r12


def _sketch_rows(a: Any, d: int, random_state: Any) -> Any:
    g = standard_normal((d, a.shape[0]), like=a, dtype=a.dtype, random_state=random_state)
    return householder.product(g, a, namespace(a), get_backend(a))


def _least_squares_id(a: Any, perm: np.ndarray, k: int) -> tuple[Any, float]:
    """Optimal coefficients for the skeleton ``perm[:k]`` and the exact error: ``(proj, max_j ||E_j||)``.

    With the Householder QR ``A[:, perm[:k]] = Q [R1; 0]`` and
    ``W = Q^H A[:, perm[k:]]``: ``proj = R1^{-1} W[:k]`` (least squares)
    and the error columns are ``W[k:]`` (``Q`` is unitary), so both cost
    one QR of ``m x k`` and one application of ``Q^H``: ``O(m n k)``.
    """
    xp = namespace(a)
    m, n = a.shape
    c1 = working_copy(a[:, _index(perm[:k], a)])
    w = working_copy(a[:, _index(perm[k:], a)])
    tau = householder.householder_qr(c1)
    householder.apply_q(c1, tau, w, side="left", trans=True)
    r = xp.concat([xp.triu(c1[:k, :]), w[:k, :]], axis=1)
    err = float(np.max(column_norms(w[k:, :]))) if m > k and n > k else 0.0
    return _interp_from_r(r, k), err


def _deterministic(a: Any, eps: float | None, k: int | None):
    backend = get_backend(a)
    xp = namespace(a)
    m, n = a.shape
    kmax = min(m, n)
    qr_, _, perm = _qrcp_of(a, backend)
    r = xp.triu(qr_[:kmax, :])
    if k is None:
        dg = xp.abs(xp.linalg.diagonal(r)) if kmax else np.zeros(0)
        top = to_float(dg[0]) if kmax else 0.0
        k = numerical_rank(dg, m, n, tol=eps * top) if kmax else 0
    return k, perm, _interp_from_r(r, k)


def _randomized_rank(a: Any, k: int, p: int, gen: Any):
    m, n = a.shape
    d = k + p
    if d >= m:
        return _deterministic(a, None, k)
    y = _sketch_rows(a, d, gen)
    qr_, _, perm = _qrcp_of(y, get_backend(a))
    r = namespace(a).triu(qr_[: min(d, n), :])
    return k, perm, _interp_from_r(r, k)


def _randomized_tol(a: Any, eps: float, p: int, gen: Any):
    xp = namespace(a)
    backend = get_backend(a)
    m, n = a.shape
    kmax = min(m, n)
    target = eps * float(np.max(column_norms(a)))
    d = min(m, max(_FIRST_SKETCH, 2 * p))
    if d >= m:
        return _deterministic(a, eps, None)
    y = _sketch_rows(a, d, gen)
    factor = 1.0
    checks = 0
    while checks < _MAX_CHECKS:
        qr_, _, perm = _qrcp_of(y, backend)
        kk = min(d, n)
        r = xp.triu(qr_[:kk, :])
        dg = xp.abs(xp.linalg.diagonal(r))
        top = to_float(dg[0]) if kk else 0.0
        k = numerical_rank(dg, m, n, tol=eps * top / factor) if kk else 0
        if k > d - p and d < m:
            if 2 * d >= m:
                break  # the sketch would be as large as A: use A itself
            d2 = d
            y = xp.concat([y, _sketch_rows(a, d2, gen)], axis=0)
            d += d2
            continue
        if k >= kmax:
            break
        proj, err = _least_squares_id(a, perm, k)
        checks += 1
        if err <= target:
            return k, perm, proj
        # the sketch underestimated the error by err / target: tighten its threshold so much
        factor *= max(1.25, err / max(target, np.finfo(np.float64).tiny))
    return _deterministic(a, eps, None)


def _host_perm(perm: np.ndarray, like: Any) -> Any:
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(perm, dtype=torch.int64, device=like.device)
    if backend_name(like) == "jax":
        return from_numpy(np.asarray(perm, dtype=np.int64), like)
    return np.asarray(perm, dtype=np.int64)


# --------------------------------------------------------------------------- ID


def interpolative(
    a: Any,
    eps_or_k: float,
    *,
    rand: bool = True,
    random_state: Any = None,
    n_oversamples: int | None = None,
    check_finite: bool = True,
) -> tuple[Any, Any] | tuple[int, Any, Any]:
    r"""Interpolative decomposition of the columns of ``A`` (SciPy's ``interp_decomp`` conventions).

    ``A[:, idx[k:]] ~ A[:, idx[:k]] @ proj``: ``k`` columns of ``A`` (the
    skeleton ``A[:, idx[:k]]``) reproduce all the others.

    Parameters
    ----------
    a : (m, n) array_like
        NumPy array, PyTorch tensor or JAX array (computed on the host),
        real or complex.  Not modified.
    eps_or_k : float or int
        A relative precision ``eps < 1`` (tolerance mode; the rank is
        returned) or a rank ``k >= 1`` (``1 <= k <= min(m, n)``).  In
        tolerance mode ``k`` is the smallest rank with
        ``max_j ||(A - A_ID)[:, j]|| <= eps * max_j ||A[:, j]||``.
    rand : bool, optional
        ``True`` (default): QRCP of a Gaussian sketch ``G A``
        (``k + n_oversamples`` rows; grown adaptively and checked in
        tolerance mode).  ``False``: QRCP of ``A`` itself (deterministic).
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key, optional
        Seed of the sketch (used only when ``rand``).
    n_oversamples : int, optional
        ``p >= 0`` extra sketch rows (default 10).
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).

    Returns
    -------
    k : int
        The rank (tolerance mode only).
    idx : (n,) int64 array
        Column ordering, in ``a``'s backend.
    proj : (k, n - k) array
        Interpolation coefficients, ``a``'s backend and working dtype.

    Raises
    ------
    ValueError
        Bad ``eps_or_k`` (negative, non-integral rank, rank above
        ``min(m, n)``), bad ``n_oversamples``, ``random_state`` with
        ``rand=False``, not 2-D, or NaN/Inf with ``check_finite``.

    Notes
    -----
    With ``rand=False`` the error columns are the trailing block of QRCP:
    ``||A - A_ID||_2 <= sqrt(1 + k (n - k)) |R_kk|`` in the usual
    (not guaranteed) case that ``|R_kk|`` tracks ``sigma_{k+1}``
    (``sqrt(1 + k(n-k)) sigma_{k+1}`` is the strong-RRQR bound with
    ``f = 1``).  The randomized ID matches it up to a modest factor with
    high probability.

    References
    ----------
    .. [1] P.-G. Martinsson, V. Rokhlin and M. Tygert, "A randomized
       algorithm for the decomposition of matrices", Appl. Comput. Harmon.
       Anal. 30(1), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.randomized import interpolative, reconstruct_matrix_from_id
    >>> A = gallery.randsvd(100, 1e12, 3, m=120, random_state=0)
    >>> idx, proj = interpolative(A, 30, random_state=0)
    >>> proj.shape
    (30, 70)
    >>> B = A[:, idx[:30]]
    >>> s = np.linalg.svd(A, compute_uv=False)
    >>> bool(np.linalg.norm(A - reconstruct_matrix_from_id(B, idx, proj), 2) < 100 * s[30])
    True
    >>> k, idx, proj = interpolative(A, 1e-6, random_state=0)
    >>> err = np.linalg.norm(A[:, idx[k:]] - A[:, idx[:k]] @ proj, axis=0).max()
    >>> bool(err <= 1e-6 * np.linalg.norm(A, axis=0).max())
    True
    """
    a = validate_matrix(a, check_finite=check_finite, batch=False)
    m, n = (int(s) for s in a.shape)
    kmax = min(m, n)
    eps, k = _parse_eps_or_k(eps_or_k, kmax)
    p = DEFAULT_OVERSAMPLES if n_oversamples is None else _check_int(n_oversamples, "n_oversamples", 0)
    if not rand and random_state is not None:
        raise ValueError("random_state has no effect with rand=False (QRCP of A is deterministic); drop it.")
    if not rand and n_oversamples is not None:
        raise ValueError("n_oversamples sizes the sketch of rand=True; drop it with rand=False.")
    _check_random_state(random_state)
    if backend_name(a) == "jax":
        out = interpolative(
            np.asarray(a),
            eps_or_k,
            rand=rand,
            random_state=random_state,
            n_oversamples=n_oversamples,
            check_finite=False,
        )
        *head, idx, proj = out
        return (*head, from_numpy(np.asarray(idx), a), from_numpy(np.asarray(proj), a))
    work = working_copy(a)
    # The coefficients and the skeleton do not depend on the scale of A: solve in the safe range
    # (subnormal or huge entries would lose digits in the sketch and the triangular solves).
    ldexp(work, safe_scale(work)[0], inplace=True)
    if kmax == 0:
        kk, perm = 0, np.arange(n, dtype=np.int64)
        proj = new_zeros((0, n), work)
    elif not rand:
        kk, perm, proj = _deterministic(work, eps, k)
    else:
        # one generator for every sketch drawn (an int seed would repeat the same rows);
        # a torch.Generator draws with torch on its device
        gen = random_state if _check_random_state(random_state) == "torch" else as_generator(random_state)
        if k is not None:
            kk, perm, proj = _randomized_rank(work, k, p, gen)
        else:
            kk, perm, proj = _randomized_tol(work, eps, p, gen)
    idx = _host_perm(perm, work)
    if k is None:
        return int(kk), idx, proj
    return idx, proj


def interp_decomp(A: Any, eps_or_k: float, rand: bool = True, rng: Any = None):
    """SciPy-compatible :func:`scipy.linalg.interpolative.interp_decomp`: see :func:`interpolative`.

    Same signature and return conventions as SciPy (``(idx, proj)`` for a
    rank, ``(k, idx, proj)`` for a relative precision ``< 1``); ``rng`` is
    the ``random_state`` of :func:`interpolative` and is ignored with
    ``rand=False``, as in SciPy.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import interp_decomp
    >>> A = np.outer(np.arange(1.0, 6.0), np.ones(4))
    >>> k, idx, proj = interp_decomp(A, 1e-10, rng=0)
    >>> k, proj.shape
    (1, (1, 3))
    """
    return interpolative(A, eps_or_k, rand=rand, random_state=rng if rand else None)


def reconstruct_skel_matrix(A: Any, k: int, idx: Any) -> Any:
    """The skeleton ``B = A[:, idx[:k]]`` (SciPy's function of the same name).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import reconstruct_skel_matrix
    >>> reconstruct_skel_matrix(np.arange(6.0).reshape(2, 3), 2, np.array([2, 0, 1]))
    array([[2., 0.],
           [5., 3.]])
    """
    A = validate_matrix(A, "A", check_finite=False, batch=False)
    k = _check_int(k, "k", 0, int(A.shape[1]))
    return A[:, idx[:k]]


def reconstruct_interp_matrix(idx: Any, proj: Any) -> Any:
    """The interpolation matrix ``P`` (``k x n``) with ``P[:, idx] = [I, proj]`` (SciPy's function).

    ``A ~ B @ P`` for the skeleton ``B`` of :func:`reconstruct_skel_matrix`.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import reconstruct_interp_matrix
    >>> reconstruct_interp_matrix(np.array([1, 0, 2]), np.array([[2.0, 3.0]]))
    array([[2., 1., 3.]])
    """
    proj = validate_matrix(proj, "proj", check_finite=False, batch=False)
    xp = namespace(proj)
    k, nk = (int(s) for s in proj.shape)
    n = k + nk
    if int(idx.shape[0]) != n:
        raise ValueError(
            f"idx has {int(idx.shape[0])} entries but proj {tuple(proj.shape)} needs k + (n - k) = {n}."
        )
    name = backend_name(proj)
    if name == "torch":
        import torch

        eye = torch.eye(k, dtype=proj.dtype, device=proj.device)
        idx = torch.as_tensor(idx, dtype=torch.int64, device=proj.device)
    else:
        eye = xp.eye(k, dtype=proj.dtype)
    body = xp.concat([eye, proj], axis=1)
    if name == "jax":  # immutable arrays
        return xp.zeros((k, n), dtype=proj.dtype).at[:, idx].set(body)
    p = new_zeros((k, n), proj)
    p[:, idx] = body
    return p


def reconstruct_matrix_from_id(B: Any, idx: Any, proj: Any) -> Any:
    """``A_ID = B @ P`` from the skeleton ``B`` and the ID ``(idx, proj)`` (SciPy's function).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import interpolative, reconstruct_matrix_from_id
    >>> A = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0, 0.5])
    >>> idx, proj = interpolative(A, 1, rand=False)
    >>> bool(np.allclose(reconstruct_matrix_from_id(A[:, idx[:1]], idx, proj), A))
    True

    The product is formed in the working precision of ``B`` and ``proj``
    (bool and float16 in float32, integers in float64, as everywhere in
    pivotal), where SciPy accepts float64 and complex128 only:

    >>> reconstruct_matrix_from_id(np.array([[True], [False]]), np.array([0, 1]), np.array([[True]]))
    array([[1., 1.],
           [0., 0.]], dtype=float32)
    """
    B = validate_matrix(B, "B", check_finite=False, batch=False)
    P = reconstruct_interp_matrix(idx, proj)
    dtype = result_dtype(B, P)  # bool @ bool would be a logical product, float16 @ float16 half precision
    xp = namespace(B)
    return xp.astype(B, dtype) @ xp.astype(P, dtype)


# --------------------------------------------------------------------------- CUR


class CURResult(tuple):
    """Result of :func:`cur`: unpacks as ``(C, U, R)``; ``cols`` and ``rows`` are attributes.

    ``A ~ C @ U @ R`` with ``C = A[:, cols]`` and ``R = A[rows, :]``.
    """

    C: Any
    U: Any
    R: Any
    cols: Any
    rows: Any

    def __new__(cls, C, U, R, *, cols, rows):
        obj = super().__new__(cls, (C, U, R))
        obj.C, obj.U, obj.R, obj.cols, obj.rows = C, U, R, cols, rows
        return obj

    def __reduce__(self):
        return (_rebuild_cur, (self.C, self.U, self.R, self.cols, self.rows))

    def __repr__(self) -> str:
        return f"CURResult(k={int(self.U.shape[0])}, C.shape={tuple(self.C.shape)}, R.shape={tuple(self.R.shape)})"


def _rebuild_cur(C, U, R, cols, rows):
    return CURResult(C, U, R, cols=cols, rows=rows)


def cur(
    a: Any,
    k: int,
    *,
    rand: bool = True,
    random_state: Any = None,
    n_oversamples: int | None = None,
    check_finite: bool = True,
) -> CURResult:
    r"""CUR decomposition ``A ~ C U R`` from ``k`` actual columns and rows of ``A``.

    Column ID ``A ~ C V`` (:func:`interpolative`, randomized by default),
    row ID of ``C`` by QRCP of ``C^H``, and ``U = V R^+`` (Voronin and
    Martinsson 2017; see the module notes).

    Parameters
    ----------
    a : (m, n) array_like
        NumPy array, PyTorch tensor or JAX array, real or complex.
    k : int
        Number of columns and rows, ``1 <= k <= min(m, n)``.
    rand, random_state, n_oversamples, check_finite
        As for :func:`interpolative` (they concern the column ID; the row
        ID of the ``m x k`` matrix ``C`` is deterministic).

    Returns
    -------
    CURResult
        Unpacks as ``(C, U, R)``: ``C = A[:, cols]`` ``(m, k)``, ``U``
        ``(k, k)``, ``R = A[rows, :]`` ``(k, n)``; ``.cols`` and ``.rows``
        are the int64 index arrays (``a``'s backend).

    Raises
    ------
    ValueError
        As for :func:`interpolative`; ``k`` must be an integer here.

    References
    ----------
    .. [1] S. Voronin and P.-G. Martinsson, "Efficient algorithms for CUR
       and interpolative matrix decompositions", Adv. Comput. Math. 43,
       495-516, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.randomized import cur
    >>> A = gallery.randsvd(80, 1e10, 3, m=100, random_state=0)
    >>> C, U, R = res = cur(A, 25, random_state=0)
    >>> C.shape, U.shape, R.shape
    ((100, 25), (25, 25), (25, 80))
    >>> bool(np.array_equal(C, A[:, res.cols])), bool(np.array_equal(R, A[res.rows]))
    (True, True)
    >>> s = np.linalg.svd(A, compute_uv=False)
    >>> bool(np.linalg.norm(A - C @ U @ R, 2) < 100 * s[25])
    True
    """
    a = validate_matrix(a, check_finite=check_finite, batch=False)
    m, n = (int(s) for s in a.shape)
    if min(m, n) == 0:
        raise ValueError(f"cur needs a non-empty matrix, got shape {(m, n)}.")
    if isinstance(k, float) and k < 1:
        raise ValueError(f"cur needs an integer rank k >= 1, got {k!r} (tolerance mode is not supported).")
    k = _check_int(k, "k", 1, min(m, n))
    if backend_name(a) == "jax":
        host = cur(
            np.asarray(a),
            k,
            rand=rand,
            random_state=random_state,
            n_oversamples=n_oversamples,
            check_finite=False,
        )
        return CURResult(
            *(from_numpy(np.asarray(x), a) for x in host),
            cols=from_numpy(np.asarray(host.cols), a),
            rows=from_numpy(np.asarray(host.rows), a),
        )
    work = working_copy(a)
    xp = namespace(work)
    # The skeleton and U are computed from 2**e A in the safe range: U = V R^+ scales like
    # 1 / ||A||, and the pseudo-inverse of a subnormal R overflows.
    e, anrm = safe_scale(work)
    scaled = ldexp(work, e)
    idx, proj = interpolative(
        scaled, k, rand=rand, random_state=random_state, n_oversamples=n_oversamples, check_finite=False
    )
    cols = idx[:k]
    v = reconstruct_interp_matrix(idx, proj)  # (k, n)
    # rows: QRCP of C^H (k x m) picks k rows of C
    _, _, rperm = _qrcp_of(working_copy(conj_transpose(scaled[:, cols])), get_backend(work))
    rows = _host_perm(rperm[:k], work)
    u = ldexp(v @ xp.linalg.pinv(scaled[rows, :]), e)
    if not bool(xp.all(xp.isfinite(u))):
        raise ValueError(
            f"cur: U = V R^+ overflows: U scales like 1 / ||A||, and the largest entry of A, {anrm:.3g}, "
            f"is too small for U to be representable in {dtype_name(work.dtype)}. Decompose A * 2**k "
            "instead (its U is U / 2**k)."
        )
    return CURResult(work[:, cols], u, work[rows, :], cols=cols, rows=rows)
