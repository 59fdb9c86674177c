"""SciPy-compatible decompositions: ``lu``, ``lu_factor``, ``lu_solve``,
``cholesky``, ``cho_factor``, ``cho_solve`` and ``solve_triangular``.

Each function has the signature, defaults, return conventions, dtype rules,
batching (``(..., M, N)``) and error types of its ``scipy.linalg``
namesake, so code written against SciPy runs unchanged.  pivotal's extra
options are keyword-only (``pivoting=``, ``block_size=``, ``method=``).

Backends: NumPy arrays (and array-likes) run on LAPACK or pivotal's kernels,
PyTorch tensors on ``torch.linalg`` or pivotal's kernels (same device and
dtype out), JAX arrays on ``jax.scipy.linalg`` where it supports the request
(see :mod:`pivotal._backends.jax`).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from array_api_compat import is_dask_array

from . import _array
from ._array import (
    apply_over_batch,
    backend_name,
    device_of,
    namespace,
    result_dtype,
    validate_matrix,
    validate_rhs,
    working_copy,
    working_dtype,
)
from ._backends import get_backend
from ._permutations import ipiv_to_perm, perm_to_ipiv
from ._tracing import refuse_tracer
from .autodiff import apply, needs_rule
from .errors import LinAlgWarning, NotPositiveDefiniteError, SingularMatrixError
from .factorizations.base import check_method, normalize_trans
from .factorizations.cholesky import Cholesky, cholesky_compute
from .factorizations.ldl import ldl_compute
from .factorizations.lu import (
    LU,
    lu_compute,
    lu_factors,
    lu_solve_core,
    max_abs,
    warn_on_growth,
)
from .kernels.ldl import ldl_unpack
from .kernels.triangular import first_zero_diagonal, solve_in_range, trsm_blocked

__all__ = [
    "cho_factor",
    "cho_solve",
    "cholesky",
    "ldl",
    "lu",
    "lu_factor",
    "lu_solve",
    "qr",
    "solve_triangular",
]


# --------------------------------------------------------------------------- helpers


def _jax():
    from ._backends import jax as jax_backend

    return jax_backend


def _on_host(func, *arrays, **kwargs):
    """Run a NumPy implementation on JAX input and convert the result back."""
    jb = _jax()
    return jb.from_host(func(*[jb.to_host(a) for a in arrays], **kwargs))


def _index_like(idx: np.ndarray, like: Any, dtype=np.int32):
    """Host indices as an integer array of ``like``'s backend."""
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(idx, device=like.device).to(torch.int32 if dtype == np.int32 else torch.int64)
    return np.asarray(idx, dtype=dtype)


def _rhs_core_ndim(b: Any) -> int:
    return 1 if len(b.shape) == 1 else 2


def _rhs_copy(b: Any, dtype: Any, overwrite_b: bool):
    """Writable 2-D right-hand side in ``dtype`` (a view of ``b`` if allowed)."""
    vector = len(b.shape) == 1
    work = working_copy(b, overwrite=overwrite_b, dtype=dtype)
    if vector:
        work = work[:, None]
    return work, vector


def _triangular_solver(method: str, block_size: int | None, like: Any):
    """In-place ``op(t) x = b`` solver for the chosen method."""
    check_method(method, block_size)
    if method == "kernel" or block_size is not None:

        def solve(t, b, *, lower, trans=0, unit_diagonal=False):
            return trsm_blocked(
                t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal, block_size=block_size
            )

        return solve
    backend = get_backend(like)

    def solve(t, b, *, lower, trans=0, unit_diagonal=False):
        # BLAS trsm inverts the diagonal: a subnormal one is solved with in the safe range.
        return solve_in_range(
            backend.trsm_inplace, t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal
        )

    return solve


def _warn_singular_u(info: int) -> None:
    warnings.warn(
        LinAlgWarning(
            f"Diagonal number {info} is exactly zero. Singular matrix. "
            "lu_solve will refuse these factors; use lstsq for rank-deficient systems."
        ),
        stacklevel=4,
    )


# --------------------------------------------------------------------------- LU


def lu(
    a: Any,
    permute_l: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    p_indices: bool = False,
    *,
    pivoting: str = "partial",
    block_size: int | None = None,
    method: str = "auto",
):
    """LU decomposition with pivoting, ``A = P @ L @ U`` (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, N) array_like
        Matrix (or batch of matrices) to decompose.
    permute_l : bool, optional
        Return ``(P @ L, U)`` instead of ``(P, L, U)``.
    overwrite_a : bool, optional
        Allow overwriting ``a``.
    check_finite : bool, optional
        Raise ``ValueError`` if ``a`` contains NaN or Inf.
    p_indices : bool, optional
        Return the permutation as row indices ``p`` with ``A = L[p] @ U``
        instead of a matrix.
    pivoting : {"partial", "rook", "complete", "none"}, keyword-only
        Pivoting strategy.  With rook or complete pivoting a column
        permutation ``Q`` is returned last: ``A = P @ L @ U @ Q`` (with
        ``p_indices``: ``A = (L @ U)[p_inv][:, q_inv]``... see Returns).
    block_size : int, keyword-only
        Selects pivotal's kernel: 1 unblocked, ``nb`` blocked, None recursive.
    method : {"auto", "kernel", "vendor"}, keyword-only
        ``"auto"`` uses LAPACK (or ``torch.linalg``) for partial pivoting.

    Returns
    -------
    p : (..., M, M) array or (..., M) int array
        Permutation matrix (real dtype of ``a``), or indices with
        ``p_indices`` such that ``A = L[p] @ U``.  Omitted with ``permute_l``.
    l : (..., M, K) array
        Unit lower trapezoidal factor (``P @ L`` with ``permute_l``).
    u : (..., K, N) array
        Upper trapezoidal factor.
    q : (..., N, N) array or (..., N) int array
        Only for rook or complete pivoting: the column permutation,
        ``A = P @ L @ U @ Q``; with ``p_indices``, indices such that
        ``A = (L @ U)[:, q]`` after the row permutation, i.e.
        ``A = L[p] @ U[:, q]``.

    Notes
    -----
    JAX input with partial pivoting runs ``jax.scipy.linalg.lu``; other
    options run pivotal's NumPy code on the host (not traceable).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 5, 8, 7], [5, 2, 2, 8], [7, 5, 6, 6], [5, 4, 4, 8]])
    >>> p, l, u = pv.lu(A)
    >>> np.allclose(A, p @ l @ u)
    True
    >>> p, l, u, q = pv.lu(A, pivoting="complete", p_indices=True)
    >>> np.allclose(A, l[p] @ u[:, q])
    True
    """
    a = validate_matrix(a, check_finite=check_finite, differentiable=pivoting == "partial")
    if pivoting == "partial" and needs_rule(a) and _rule_backend_ok(a, method, block_size):
        from .autodiff.factor_rules import LU as LU_RULE

        p, low, up = apply(LU_RULE, _lu_primal, a, block_size=block_size, method=method)
        return _lu_outputs(a, p, low, up, permute_l, p_indices)
    if backend_name(a) == "jax":
        if pivoting == "partial" and method in ("auto", "vendor") and block_size is None:
            return _jax().lu(a, permute_l=permute_l, p_indices=p_indices)
        return _on_host(
            lu,
            a,
            permute_l=permute_l,
            check_finite=False,
            p_indices=p_indices,
            pivoting=pivoting,
            block_size=block_size,
            method=method,
        )

    def core(a2):
        m, n = a2.shape
        work = working_copy(a2, overwrite=overwrite_a)
        amax = max_abs(work)
        res = lu_compute(work, pivoting, block_size, method, amax=amax)
        warn_on_growth(res.lu, amax, pivoting)
        l_factor, u_factor = lu_factors(res.lu)
        # A[perm][:, cperm] = L U  ->  A = P L U Q with P = I[:, perm], Q = I[cperm, :]
        inv = np.empty_like(res.perm)
        inv[res.perm] = np.arange(m)
        out = []
        if permute_l:
            out.append(l_factor[_index_like(inv, l_factor, np.int64), :])
        elif p_indices:
            out.append(_index_like(inv, work))
        else:
            out.append(_perm_matrix(res.perm, m, work, columns=True))
        if not permute_l:
            out.append(l_factor)
        out.append(u_factor)
        if res.cperm is not None:
            cinv = np.empty_like(res.cperm)
            cinv[res.cperm] = np.arange(n)
            out.append(
                _index_like(cinv, work) if p_indices else _perm_matrix(res.cperm, n, work, columns=False)
            )
        return tuple(out)

    return apply_over_batch(core, [(a, 2)])


def _rule_backend_ok(a: Any, method: str, block_size: Any) -> bool:
    """PyTorch runs any method inside a rule; JAX only the traceable ``jax.scipy.linalg`` path."""
    return backend_name(a) != "jax" or (method in ("auto", "vendor") and block_size is None)


def _lu_primal(a, *, block_size, method):
    if backend_name(a) == "jax":
        return _jax().lu(a, p_indices=True)
    return lu(a, check_finite=False, p_indices=True, block_size=block_size, method=method)


def _lu_outputs(a, p, low, up, permute_l: bool, p_indices: bool):
    """SciPy's output forms from ``A = L[p] U`` (``p`` a constant; row selection is differentiable)."""
    from .autodiff.factor_rules import permute_rows

    if permute_l:
        return permute_rows(low, p), up
    if p_indices:
        return p, low, up
    m = a.shape[-2]
    xp = namespace(a)
    dtype = _array.real_dtype(a.dtype)  # as SciPy (and jax.scipy.linalg.lu): a real permutation matrix
    eye = (
        xp.eye(m, dtype=dtype, device=device_of(a)) if backend_name(a) == "torch" else xp.eye(m, dtype=dtype)
    )
    return permute_rows(xp.broadcast_to(eye, tuple(p.shape) + (m,)), p), low, up


def _perm_matrix(perm: np.ndarray, n: int, like: Any, *, columns: bool):
    """Permutation matrix in the real dtype of ``like``: ``I[:, perm]`` or ``I[perm, :]``."""
    mat = np.zeros((n, n))
    if columns:
        mat[perm, np.arange(n)] = 1
    else:
        mat[np.arange(n), perm] = 1
    return _array.from_numpy(mat, like, _array.real_dtype(like.dtype))


def lu_factor(
    a: Any,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    pivoting: str = "partial",
    block_size: int | None = None,
    method: str = "auto",
):
    """Compact pivoted LU factorization (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, N) array_like
        Matrix (or batch) to factor.
    overwrite_a, check_finite : bool, optional
        As in SciPy.
    pivoting : {"partial", "rook", "complete", "none"}, keyword-only
    block_size : int, keyword-only
        Selects pivotal's kernel (1 unblocked, ``nb`` blocked, None recursive).
    method : {"auto", "kernel", "vendor"}, keyword-only

    Returns
    -------
    lu : (..., M, N) array
        ``U`` on and above the diagonal, ``L`` (unit diagonal implied) below.
    piv : (..., K) int32 array
        0-based row interchanges: row ``i`` was swapped with row ``piv[i]``.
    jpiv : (..., K) int32 array
        Only for rook and complete pivoting: the column interchanges, in
        the same convention (LAPACK ``getc2``).  :func:`lu_solve` accepts the
        3-tuple.

    Warns
    -----
    LinAlgWarning
        If ``U`` has an exactly zero diagonal entry (as SciPy does).
    PivotGrowthWarning
        With ``pivoting="none"`` and a tiny pivot.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 5, 8, 7], [5, 2, 2, 8], [7, 5, 6, 6], [5, 4, 4, 8]])
    >>> lu, piv = pv.lu_factor(A)
    >>> piv
    array([2, 2, 3, 3], dtype=int32)
    >>> x = pv.lu_solve((lu, piv), np.ones(4))
    >>> np.allclose(A @ x, 1.0)
    True
    """
    a = validate_matrix(a, check_finite=check_finite, differentiable=pivoting == "partial")
    if pivoting == "partial" and needs_rule(a) and _rule_backend_ok(a, method, block_size):
        from .autodiff.factor_rules import LU_FACTOR

        return apply(LU_FACTOR, _lu_factor_primal, a, block_size=block_size, method=method)
    if backend_name(a) == "jax":
        if pivoting == "partial" and method in ("auto", "vendor") and block_size is None:
            return _jax().lu_factor(a)
        return _on_host(
            lu_factor, a, check_finite=False, pivoting=pivoting, block_size=block_size, method=method
        )

    def core(a2):
        k = min(a2.shape)
        work = working_copy(a2, overwrite=overwrite_a)
        amax = max_abs(work)  # lu_solve cannot know the growth: lu_factor warns about it now
        res = lu_compute(work, pivoting, block_size, method, amax=amax)
        if res.info:
            _warn_singular_u(res.info)
        warn_on_growth(res.lu, amax, pivoting)
        piv = _index_like(perm_to_ipiv(res.perm)[:k], work)
        if res.cperm is None:
            return res.lu, piv
        return res.lu, piv, _index_like(perm_to_ipiv(res.cperm)[:k], work)

    return apply_over_batch(core, [(a, 2)])


def _lu_factor_primal(a, *, block_size, method):
    if backend_name(a) == "jax":
        return _jax().lu_factor(a)
    return lu_factor(a, check_finite=False, block_size=block_size, method=method)


def lu_solve(
    lu_and_piv: Any,
    b: Any,
    trans: int = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
    *,
    method: str = "auto",
):
    """Solve ``op(A) x = b`` given the LU factorization of ``A`` (SciPy-compatible).

    Parameters
    ----------
    lu_and_piv : tuple or LU
        ``(lu, piv)`` from :func:`lu_factor`, ``(lu, piv, jpiv)`` for rook or
        complete pivoting, or a :class:`pivotal.LU` object.  An ``LU`` object
        is solved with :meth:`pivotal.LU.solve`: with the factors it holds
        (those of ``2**e A`` for a matrix outside LAPACK's safe range, which
        its ``.lu`` can only give rounded), and with its warnings.
    b : (..., N) or (..., N, K) array_like
        Right-hand side(s).
    trans : {0, 1, 2}, optional
        Solve ``A x = b`` (0), ``A^T x = b`` (1) or ``A^H x = b`` (2).
    overwrite_b, check_finite : bool, optional
        As in SciPy.  With an ``LU`` object ``b`` is not overwritten (SciPy's
        ``overwrite_b`` permits it, it does not require it), and
        ``check_finite`` checks ``b`` (the object checked ``a`` when it was
        built).
    method : {"auto", "kernel", "vendor"}, keyword-only
        ``"kernel"`` uses pivotal's substitution kernel; otherwise BLAS ``trsm``.

    Returns
    -------
    x : array of the shape of ``b`` (broadcast against a batch of factors).

    Raises
    ------
    SingularMatrixError
        If ``U`` has an exactly zero diagonal entry (SciPy would return inf/NaN).

    Warns
    -----
    PivotGrowthWarning, IllConditionedWarning
        With an ``LU`` object, on its first solve, as :meth:`pivotal.LU.solve`
        (the ``(lu, piv)`` tuple of SciPy's convention carries no record of
        ``A``, so it is solved silently, as in SciPy).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 3.0], [6.0, 3.0]])
    >>> x = pv.lu_solve(pv.lu_factor(A), np.array([10.0, 12.0]))
    >>> np.allclose(A @ x, [10.0, 12.0])
    True
    """
    t = normalize_trans(trans)
    if isinstance(lu_and_piv, LU):
        return lu_and_piv.solve(b, t, check_finite=check_finite, method=method)
    try:
        lu_mat, piv, *rest = lu_and_piv
    except (TypeError, ValueError):
        raise ValueError("lu_and_piv must be (lu, piv), (lu, piv, jpiv) or a pivotal.LU object.") from None
    if len(rest) > 1:
        raise ValueError("lu_and_piv must be (lu, piv), (lu, piv, jpiv) or a pivotal.LU object.")
    jpiv = rest[0] if rest else None
    if isinstance(lu_mat, (list, tuple)):  # array_like, as SciPy
        lu_mat = _array.as_array(lu_mat, "lu")
    if len(getattr(lu_mat, "shape", ())) < 2:
        raise ValueError("lu_and_piv must be (lu, piv), (lu, piv, jpiv) or a pivotal.LU object.")
    grad = jpiv is None and method in ("auto", "vendor")  # the rule covers partial pivoting with trsm
    lu_mat = validate_matrix(lu_mat, "lu", square=True, check_finite=check_finite, differentiable=grad)
    n = lu_mat.shape[-1]
    piv = _validate_pivots(piv, n, "piv")
    if jpiv is not None:
        jpiv = _validate_pivots(jpiv, n, "jpiv")
    b = validate_rhs(b, n, check_finite=check_finite, a_name="lu", differentiable=grad)
    if grad and needs_rule(lu_mat, b):
        from .autodiff.solve_rules import LU_SOLVE

        return _routed(lambda m, bb, p: apply(LU_SOLVE, _lu_solve_primal, m, p, bb, trans=t), lu_mat, b, piv)
    if backend_name(lu_mat) == "jax":
        for x, name in ((lu_mat, "lu"), (b, "b")):
            refuse_tracer(x, name, "rook/complete pivoting or method='kernel'")
        if jpiv is None and method in ("auto", "vendor"):
            return _jax().lu_solve((lu_mat, piv), b, t)
        jb = _jax()
        return jb.from_host(
            lu_solve(
                tuple(jb.to_host(x) for x in (lu_mat, piv) + ((jpiv,) if jpiv is not None else ())),
                jb.to_host(b),
                trans=t,
                check_finite=False,
                method=method,
            )
        )
    solver = _triangular_solver(method, None, lu_mat)
    dtype = result_dtype(lu_mat, b)

    def core(lu2, piv2, b2, *jp):
        idx = first_zero_diagonal(lu2)
        if idx is not None:
            raise SingularMatrixError(idx)
        work, vector = _rhs_copy(b2, dtype, overwrite_b)
        perm = ipiv_to_perm(_array.to_numpy(piv2), n)
        cperm = ipiv_to_perm(_array.to_numpy(jp[0]), n) if jp else None
        lu_w = lu2 if lu2.dtype == dtype else working_copy(lu2, dtype=dtype)
        x = lu_solve_core(lu_w, perm, cperm, work, t, solver)
        return x[:, 0] if vector else x

    arrays = [(lu_mat, 2), (piv, 1), (b, _rhs_core_ndim(b))]
    if jpiv is not None:
        arrays.append((jpiv, 1))
    return apply_over_batch(core, arrays)


def _lu_solve_primal(lu_mat, piv, b, *, trans):
    if backend_name(lu_mat) == "jax":
        return _jax().lu_solve((lu_mat, piv), b, trans)
    return lu_solve((lu_mat, piv), b, trans, check_finite=False)


def _routed(fn, a, b, *consts):
    """``fn(a, b2, *consts)`` with ``b`` as ``(..., n, k)`` broadcast against ``a``'s batch (the rules' shapes).

    Broadcasting and reshaping are differentiable, so gradients reach ``b``
    in its own shape; ``consts`` (pivots) are broadcast to the batch too.
    """
    xp = namespace(a)
    n = a.shape[-1]
    vector = len(b.shape) == 1
    b2 = xp.reshape(b, (n, 1)) if vector else b
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b2.shape[:-2])))
    dtype = result_dtype(a, b)
    a2 = xp.broadcast_to(_array.astype(a, dtype), batch + (n, n))
    b2 = xp.broadcast_to(_array.astype(b2, dtype), batch + tuple(b2.shape[-2:]))
    consts = tuple(xp.broadcast_to(c, batch + tuple(c.shape[-1:])) for c in consts)
    x = fn(a2, b2, *consts)
    return x[..., 0] if vector else x


def _validate_pivots(piv: Any, n: int, name: str):
    """LAPACK-style interchanges for an ``n x n`` LU: ``n`` integers with ``0 <= piv[i] < n``.

    An empty array of any dtype stands for the ``0 x 0`` case (SciPy's tests
    pass ``np.array([])``).  Anything else would make ``lu_solve`` read the
    wrong rows, or fail deep inside with an ``IndexError``.  JAX arrays being
    traced have no values: their shape and dtype are checked.
    """
    fix = f"pass the {name} returned by lu_factor (with the lu it came with)."
    piv = _array.as_array(piv, name)
    if len(piv.shape) == 0 or piv.shape[-1] != n:
        raise ValueError(
            f"{name} must hold {n} row interchanges (shape ({n},) for lu of shape ({n}, {n})), "
            f"got shape {tuple(piv.shape)}; {fix}"
        )
    if math.prod(piv.shape) == 0:
        return piv
    kind = np.dtype(str(piv.dtype).replace("torch.", "")).kind
    if kind not in "iu":
        raise ValueError(f"{name} must be an integer array, got dtype {piv.dtype}; {fix}")
    if _array.is_traced(piv):  # under jax.jit the values are unknown: shape and dtype only
        return piv
    host = _array.to_numpy(piv)
    lo, hi = int(host.min()), int(host.max())
    if lo < 0 or hi >= n:
        raise ValueError(
            f"{name} must hold 0-based row indices 0 <= {name}[i] < {n}, got values from {lo} to {hi}; {fix}"
        )
    return piv


# --------------------------------------------------------------------------- Cholesky


def _cholesky_core(a2, lower, overwrite_a, block_size, method):
    work = working_copy(a2, overwrite=overwrite_a)
    res = cholesky_compute(work, lower, block_size, method)
    if res.info:
        raise NotPositiveDefiniteError(res.info - 1)
    low = res.lower_factor
    if lower:
        return low
    xp = namespace(low)
    up = low.T
    return xp.conj(up) if xp.isdtype(up.dtype, "complex floating") else up


def _jax_cholesky(a, lower):
    if a.shape[-1] == 0:  # jax.scipy.linalg.cholesky cannot reshape an empty matrix
        import jax.numpy as jnp

        return jnp.zeros(a.shape, a.dtype)
    c = _jax().cholesky(a, lower=lower)
    if not _is_tracer(c) and bool(np.isnan(np.asarray(_jax_diagonal(c))).any()):
        # JAX fills the whole factor with NaN: the host factorization finds the failing column.
        host = np.asarray(a)
        cholesky(host, lower=lower, check_finite=False)  # raises NotPositiveDefiniteError(index)
        raise NotPositiveDefiniteError(0)  # rounding made the host succeed where JAX did not
    return c


def _jax_diagonal(c):
    import jax.numpy as jnp

    return jnp.diagonal(c, axis1=-2, axis2=-1)


def _cholesky_primal(a, *, lower, block_size, method):
    if backend_name(a) == "jax":
        return _jax_cholesky(a, lower)
    return cholesky(a, lower=lower, check_finite=False, block_size=block_size, method=method)


def _is_tracer(x) -> bool:
    import jax

    return isinstance(x, jax.core.Tracer)


def cholesky(
    a: Any,
    lower: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    block_size: int | None = None,
    method: str = "auto",
):
    """Cholesky factor of a Hermitian positive definite matrix (SciPy-compatible).

    Returns ``U`` with ``A = U^H U`` (or ``L`` with ``A = L L^H`` when
    ``lower``); the other triangle is zero.  Only the selected triangle of
    ``a`` is read.

    Parameters
    ----------
    a : (..., M, M) array_like
    lower : bool, optional
        Compute the lower factor from the lower triangle.
    overwrite_a : bool, optional
        As in SciPy: a writable Fortran-ordered NumPy ``a`` of a LAPACK
        dtype is factored in its own memory and holds the factor afterwards
        (pivotal's kernels, ``method="kernel"``, may also work in the memory
        of a C-ordered array or a tensor).
    check_finite : bool, optional
    block_size : int, keyword-only
        Selects pivotal's kernel (1 unblocked, ``nb`` blocked, None recursive).
    method : {"auto", "kernel", "vendor"}, keyword-only

    Raises
    ------
    NotPositiveDefiniteError
        A ``LinAlgError`` whose ``index`` is the failing column.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> U = pv.cholesky(A)
    >>> np.allclose(U.T @ U, A)
    True
    """
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=True)
    if needs_rule(a) and _rule_backend_ok(a, method, block_size):
        from .autodiff.factor_rules import CHOLESKY

        return apply(CHOLESKY, _cholesky_primal, a, lower=bool(lower), block_size=block_size, method=method)
    if backend_name(a) == "jax":
        if method in ("auto", "vendor") and block_size is None:
            return _jax_cholesky(a, lower)
        return _on_host(cholesky, a, lower=lower, check_finite=False, block_size=block_size, method=method)
    return apply_over_batch(_cholesky_core, [(a, 2)], lower, overwrite_a, block_size, method)


def cho_factor(
    a: Any,
    lower: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    block_size: int | None = None,
    method: str = "auto",
):
    """Cholesky factorization for :func:`cho_solve` (SciPy-compatible).

    Returns
    -------
    c : (..., M, M) array
        The factor in the ``lower`` (or upper) triangle; the other triangle
        is zero (SciPy leaves it unspecified).
    lower : bool

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> x = pv.cho_solve(pv.cho_factor(A), np.array([1.0, 2.0]))
    >>> np.allclose(A @ x, [1.0, 2.0])
    True
    """
    c = cholesky(
        a,
        lower=lower,
        overwrite_a=overwrite_a,
        check_finite=check_finite,
        block_size=block_size,
        method=method,
    )
    return c, bool(lower)


def cho_solve(
    c_and_lower: Any,
    b: Any,
    overwrite_b: bool = False,
    check_finite: bool = True,
    *,
    method: str = "auto",
):
    """Solve ``A x = b`` given the Cholesky factorization of ``A`` (SciPy-compatible).

    Parameters
    ----------
    c_and_lower : tuple or Cholesky
        ``(c, lower)`` from :func:`cho_factor`, or a :class:`pivotal.Cholesky`.
    b : (..., M) or (..., M, K) array_like
    overwrite_b, check_finite : bool, optional
    method : {"auto", "kernel", "vendor"}, keyword-only

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> np.allclose(pv.cho_solve(pv.Cholesky(A), np.array([6.0, 5.0])), [1.0, 1.0])
    True
    """
    if isinstance(c_and_lower, Cholesky):
        if not c_and_lower.issuccess():
            raise NotPositiveDefiniteError(c_and_lower.info - 1)
        c_and_lower = c_and_lower.c, c_and_lower.lower
    try:
        c, lower = c_and_lower
    except (TypeError, ValueError):
        raise ValueError(
            "c_and_lower must be (c, lower) from cho_factor or a pivotal.Cholesky object."
        ) from None
    grad = method in ("auto", "vendor")
    c = validate_matrix(c, "c", square=True, check_finite=check_finite, differentiable=grad)
    n = c.shape[-1]
    b = validate_rhs(b, n, check_finite=check_finite, a_name="c", differentiable=grad)
    if grad and needs_rule(c, b):
        from .autodiff.solve_rules import CHO_SOLVE

        return _routed(lambda m, bb: apply(CHO_SOLVE, _cho_solve_primal, m, bb, lower=bool(lower)), c, b)
    if backend_name(c) == "jax":
        for x, name in ((c, "c"), (b, "b")):
            refuse_tracer(x, name, "method='kernel'")
        if method in ("auto", "vendor"):
            return _jax().cho_solve((c, bool(lower)), b)
        return _on_host(lambda cc, bb: cho_solve((cc, lower), bb, check_finite=False, method=method), c, b)
    solver = _triangular_solver(method, None, c)
    dtype = result_dtype(c, b)

    def core(c2, b2):
        idx = first_zero_diagonal(c2)
        if idx is not None:
            raise SingularMatrixError(idx)
        work, vector = _rhs_copy(b2, dtype, overwrite_b)
        c_w = c2 if c2.dtype == dtype else working_copy(c2, dtype=dtype)
        if lower:
            solver(c_w, work, lower=True)
            solver(c_w, work, lower=True, trans=2)
        else:
            solver(c_w, work, lower=False, trans=2)
            solver(c_w, work, lower=False)
        return work[:, 0] if vector else work

    return apply_over_batch(core, [(c, 2), (b, _rhs_core_ndim(b))])


def _cho_solve_primal(c, b, *, lower):
    if backend_name(c) == "jax":
        return _jax().cho_solve((c, lower), b)
    return cho_solve((c, lower), b, check_finite=False)


# --------------------------------------------------------------------------- LDL


def ldl(
    A: Any,
    lower: bool = True,
    hermitian: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    block_size: int | None = None,
    method: str = "auto",
):
    """Bunch-Kaufman ``A = lu @ d @ lu^H`` of a symmetric/Hermitian matrix (SciPy-compatible).

    Parameters
    ----------
    A : (..., N, N) array_like
        Only the ``lower`` (or upper) triangle is read.
    lower : bool, optional
        Factor the lower triangle (``lu[perm]`` lower triangular) or the upper one.
    hermitian : bool, optional
        For complex input: ``A = lu d lu^H`` (default) or ``A = lu d lu^T``.
    overwrite_a : bool, optional
        As in SciPy: a writable Fortran-ordered NumPy ``A`` of a LAPACK
        dtype holds LAPACK's compact Bunch-Kaufman factors afterwards.
    check_finite : bool, optional
    block_size : int, keyword-only
        Selects pivotal's kernel: 1 unblocked, ``nb`` blocked.
    method : {"auto", "kernel", "vendor"}, keyword-only
        ``"auto"`` uses LAPACK ``?sytrf``/``?hetrf`` (``torch.linalg.ldl_factor``
        for lower-triangle torch input).

    Returns
    -------
    lu : (..., N, N) array
        The permuted triangular factor: ``lu[perm]`` is unit lower (upper) triangular.
    d : (..., N, N) array
        Block diagonal with 1x1 and 2x2 blocks.
    perm : (..., N) int array
        Row permutation bringing ``lu`` to triangular form (int64, of the
        input's array type and device, like ``lu`` and ``d``).

    Warns
    -----
    ComplexWarning
        Hermitian complex input with nonzero imaginary parts on the diagonal
        (they are ignored), as in SciPy.

    Notes
    -----
    JAX input is computed on the host with pivotal's NumPy code (JAX has no
    LDL factorization) and returned as JAX arrays; it is not traceable.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, -1, 3], [-1, 2, 0], [3, 0, 1]])
    >>> lu, d, perm = pv.ldl(A)
    >>> np.allclose(lu @ d @ lu.T, A)
    True
    >>> np.allclose(np.tril(lu[perm]), lu[perm])
    True
    """
    A = validate_matrix(A, "A", square=True, check_finite=check_finite, differentiable=True)
    if needs_rule(A):
        if not hermitian and _array.is_complex(working_dtype(A)):
            raise ValueError(
                "pivotal.ldl(hermitian=False) of a complex symmetric matrix has no derivative rule (the "
                "rule covers A = L D L^H). Pass hermitian=True for a Hermitian matrix, or detach A "
                "(torch: A.detach(); JAX: jax.lax.stop_gradient, outside jax.jit)."
            )
        from .autodiff.factor_rules import LDL

        return apply(
            LDL,
            _ldl_primal,
            A,
            lower=bool(lower),
            hermitian=bool(hermitian),
            block_size=block_size,
            method=method,
        )
    if backend_name(A) == "jax":
        return _on_host(
            ldl, A, lower=lower, hermitian=hermitian, check_finite=False, block_size=block_size, method=method
        )
    if hermitian and _array.is_complex(working_dtype(A)) and A.shape[-1]:
        xp = namespace(A)
        if bool(xp.any(xp.imag(xp.linalg.diagonal(A)) != 0)):
            from numpy.exceptions import ComplexWarning

            warnings.warn(
                "scipy.linalg.ldl: the imaginary parts of the diagonal are ignored. Use "
                '"hermitian=False" for factorization of complex symmetric arrays.',
                ComplexWarning,
                stacklevel=2,
            )

    def core(a2):
        work = working_copy(a2, overwrite=overwrite_a)
        res, _ = ldl_compute(work, lower, hermitian, block_size, method, warn_growth=True)
        lu, d, perm = ldl_unpack(res)
        return lu, d, _array.from_numpy(perm, a2)  # the input's array type and device, like lu and d

    return apply_over_batch(core, [(A, 2)])


def _ldl_primal(A, *, lower, hermitian, block_size, method):
    kw = {
        "lower": lower,
        "hermitian": hermitian,
        "check_finite": False,
        "block_size": block_size,
        "method": method,
    }
    if backend_name(A) != "jax":
        return ldl(A, **kw)
    import jax
    import jax.numpy as jnp

    perm_dtype = jnp.asarray(np.zeros(1, np.int64)).dtype  # int32 unless jax_enable_x64

    def host(a):
        lu_, d_, p_ = ldl(np.asarray(a), **kw)
        return lu_.astype(a.dtype), d_.astype(a.dtype), p_.astype(perm_dtype)

    shapes = (
        jax.ShapeDtypeStruct(A.shape, A.dtype),
        jax.ShapeDtypeStruct(A.shape, A.dtype),
        jax.ShapeDtypeStruct(A.shape[:-1], perm_dtype),
    )
    return jax.pure_callback(host, shapes, A, vmap_method="sequential")


# --------------------------------------------------------------------------- triangular


def solve_triangular(
    a: Any,
    b: Any,
    trans: int = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    *,
    block_size: int | None = None,
    method: str = "auto",
):
    """Solve ``op(a) x = b`` for triangular ``a`` (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, M) array_like
        Triangular matrix; only the ``lower`` (or upper) triangle is read.
    b : (..., M) or (..., M, K) array_like
    trans : {0, 1, 2, 'N', 'T', 'C'}, optional
    lower, unit_diagonal, overwrite_b, check_finite : bool, optional
    block_size : int, keyword-only
        Selects pivotal's substitution kernel: 1 is the textbook
        column-oriented substitution, ``nb`` solves ``nb`` unknowns per
        BLAS-3 update.
    method : {"auto", "kernel", "vendor"}, keyword-only
        ``"auto"``/``"vendor"``: BLAS ``trsm`` (or ``torch.linalg``).

    Raises
    ------
    SingularMatrixError
        If a diagonal entry is exactly zero (index attached).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> T = np.array([[3.0, 0, 0], [2, 1, 0], [1, 0, 1]])
    >>> x = pv.solve_triangular(T, np.array([4.0, 2, 4]), lower=True, block_size=1)
    >>> np.allclose(T @ x, [4, 2, 4])
    True
    """
    t = normalize_trans(trans)
    grad = method in ("auto", "vendor") and block_size is None
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=grad)
    n = a.shape[-1]
    b = validate_rhs(b, n, check_finite=check_finite, differentiable=grad)
    if grad and needs_rule(a, b):
        from .autodiff.solve_rules import SOLVE_TRIANGULAR

        def routed(m, bb):
            return apply(
                SOLVE_TRIANGULAR,
                _solve_triangular_primal,
                m,
                bb,
                trans=t,
                lower=bool(lower),
                unit_diagonal=bool(unit_diagonal),
            )

        return _routed(routed, a, b)
    if backend_name(a) == "jax":
        for x, name in ((a, "a"), (b, "b")):
            refuse_tracer(x, name, "method='kernel' or block_size")
        if method in ("auto", "vendor") and block_size is None:
            return _jax().solve_triangular(a, b, t, lower, unit_diagonal)
        return _on_host(
            lambda aa, bb: solve_triangular(
                aa, bb, t, lower, unit_diagonal, check_finite=False, block_size=block_size, method=method
            ),
            a,
            b,
        )
    solver = _triangular_solver(method, block_size, a)
    dtype = result_dtype(a, b)

    def core(a2, b2):
        if not unit_diagonal:
            idx = first_zero_diagonal(a2)
            if idx is not None:
                raise SingularMatrixError(
                    idx,
                    f"singular matrix: resolution failed at diagonal {idx} (exactly zero); "
                    "use lstsq for a least-squares solution.",
                )
        work, vector = _rhs_copy(b2, dtype, overwrite_b)
        a_w = a2 if a2.dtype == dtype else working_copy(a2, dtype=dtype)
        solver(a_w, work, lower=lower, trans=t, unit_diagonal=unit_diagonal)
        return work[:, 0] if vector else work

    return apply_over_batch(core, [(a, 2), (b, _rhs_core_ndim(b))])


def _solve_triangular_primal(a, b, *, trans, lower, unit_diagonal):
    if backend_name(a) == "jax":
        return _jax().solve_triangular(a, b, trans, lower, unit_diagonal)
    return solve_triangular(a, b, trans, lower, unit_diagonal, check_finite=False)


# --------------------------------------------------------------------------- QR

_QR_MODES = ("full", "r", "economic", "raw")


def _qr_dask(a: Any, mode: str, pivoting: bool, method: str, block_size: Any, check_finite: bool):
    """:func:`qr` of a dask array chunked by rows: TSQR, lazy results (never gathered)."""
    import dask.array as da

    from .kernels.tsqr import tsqr

    if pivoting:
        raise ValueError(
            "qr(pivoting=True) needs the whole matrix on one machine, which a dask array is "
            "meant to avoid. Compute it (a.compute()) if it fits, or use "
            "pivotal.randomized.rsvd / range_finder, which work on dask arrays."
        )
    if mode not in ("economic", "r"):
        raise ValueError(
            f"qr of a dask array supports mode='economic' and mode='r' (TSQR), not mode={mode!r}: "
            "a full Q is m x m and the compact form is LAPACK's, neither fits a distributed tall matrix."
        )
    if method not in ("auto", "tsqr") or block_size is not None:
        raise ValueError(
            f"qr of a dask array uses TSQR (method='auto' or 'tsqr', no block_size); got method={method!r}"
            + (f", block_size={block_size!r}." if block_size is not None else ".")
        )
    q, r = tsqr(a, check_finite=check_finite)
    if mode == "economic":
        return q, r
    m, n = a.shape
    if m > r.shape[0]:  # SciPy's mode="r" pads R with zero rows to (M, N)
        pad = da.zeros((m - r.shape[0], n), dtype=r.dtype, chunks=(a.chunks[0][-1], n))
        r = da.concatenate([r, pad], axis=0)
    return (r,)


def _check_lwork(lwork: Any, m: int, n: int, mode: str) -> None:
    """SciPy's lower bounds on ``lwork``: ``geqrf`` needs ``N``, ``orgqr`` the columns of ``Q``."""
    if lwork is None or lwork == -1:
        return
    need = max(1, n, {"full": m, "economic": min(m, n)}.get(mode, 0))
    if lwork < need:
        raise ValueError(
            f"lwork={lwork} is too small for a {m} x {n} matrix with mode={mode!r}: LAPACK needs "
            f"lwork >= {need}. Pass lwork=None (pivotal always uses LAPACK's optimal workspace)."
        )


def qr(
    a: Any,
    overwrite_a: bool = False,
    lwork: int | None = None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
    *,
    method: str = "auto",
    block_size: int | None = None,
    rank_reveal: str | None = None,
    rank: int | None = None,
    tol: float | None = None,
    random_state: Any = None,
):
    """QR decomposition ``A = Q R`` (``A[:, P] = Q R`` with pivoting), SciPy-compatible.

    Parameters
    ----------
    a : (..., M, N) array_like
        NumPy, PyTorch or JAX array, or a ``dask.array.Array`` chunked by
        rows only (one column chunk): TSQR, ``mode="economic"`` or ``"r"``,
        lazy dask results (see :func:`pivotal.kernels.tsqr.tsqr`; compute
        ``Q`` and ``R`` together with ``dask.compute(Q, R)``).
    overwrite_a, check_finite : bool, optional
    lwork : int, optional
        Accepted for compatibility and validated; pivotal always gives LAPACK
        its optimal workspace (a too-small ``lwork`` cannot make SciPy faster
        either), and the kernels need none.
    mode : {"full", "r", "economic", "raw"}, optional
        As in SciPy: full ``Q`` (M x M), only ``R``, thin ``Q`` (M x K), or
        LAPACK's compact ``(qr, tau)`` with ``R``.
    pivoting : bool, optional
        Column pivoting (rank-revealing); also returns ``P`` (int32 indices,
        ``A[:, P] = Q @ R``).
    method : str, keyword-only
        Without pivoting one of :data:`pivotal.factorizations.qr.QR_METHODS`
        ("auto", "vendor", "householder", "givens", "cgs", "mgs", "cgs2",
        "cholqr2", "shifted_cholqr3", "rand_cholqr", "tsqr").  ``"auto"`` uses
        CholeskyQR2 for tall, well-conditioned matrices in ``mode="economic"``
        or ``"r"`` (checking the conditioning, falling back to shifted
        CholeskyQR3 and Householder) and LAPACK's Householder QR otherwise;
        :class:`pivotal.QR` reports the path taken.  With pivoting: "auto",
        "vendor" (LAPACK ``geqp3``) or "householder" (pivotal's QRCP, also on
        PyTorch).  ``mode="full"`` and ``"raw"`` need a Householder method.
    block_size : int, keyword-only
        Block size of pivotal's Householder kernel (1 = textbook).
    rank_reveal : {None, "strong"}, keyword-only
        With ``pivoting=True``: ``"strong"`` runs Gu-Eisenstat strong RRQR.
    rank, tol : keyword-only
        Target rank / rank tolerance for strong RRQR.
    random_state : keyword-only
        Seed for ``method="rand_cholqr"``.

    Returns
    -------
    Q : array (omitted for ``mode="r"``); ``(qr, tau)`` for ``mode="raw"``
    R : array
    P : int32 array (only with ``pivoting=True``)

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.random.default_rng(1).standard_normal((9, 6))
    >>> Q, R = pv.qr(A)
    >>> np.allclose(Q @ R, A), Q.shape, R.shape
    (True, (9, 9), (9, 6))
    >>> Q, R, P = pv.qr(A, mode="economic", pivoting=True)
    >>> np.allclose(A[:, P], Q @ R)
    True
    >>> Q, R = pv.qr(A, mode="economic", method="mgs")
    >>> np.allclose(Q @ R, A)
    True
    """
    from .factorizations.qr import QR, QR_METHODS, QRPivoted

    if mode not in _QR_MODES:
        raise ValueError(f"mode argument must be one of {list(_QR_MODES)}, got {mode!r}.")
    if lwork is not None and (isinstance(lwork, bool) or int(lwork) != lwork or (lwork < 1 and lwork != -1)):
        raise ValueError(f"lwork must be a positive integer, -1 or None, got {lwork!r}.")
    _array.check_flag(overwrite_a, "overwrite_a")
    if not pivoting and (rank_reveal is not None or rank is not None or tol is not None):
        raise ValueError("rank_reveal, rank and tol need pivoting=True.")
    if pivoting and method not in ("auto", "vendor", "householder"):
        raise ValueError(
            f"with pivoting=True, method must be 'auto', 'vendor' or 'householder', got {method!r}."
        )
    if not pivoting and method not in QR_METHODS:
        raise ValueError(f"method={method!r} is not one of {QR_METHODS}.")
    compact_needed = mode in ("full", "raw")
    if compact_needed and not pivoting and method not in ("auto", "vendor", "householder"):
        raise ValueError(
            f"mode={mode!r} needs the Householder representation; method={method!r} gives a thin "
            "Q only. Use mode='economic' or 'r', or method='householder'/'vendor'."
        )
    if is_dask_array(a):
        return _qr_dask(a, mode, pivoting, method, block_size, check_finite)
    a = validate_matrix(a, check_finite=check_finite, differentiable=True)
    _check_lwork(lwork, a.shape[-2], a.shape[-1], mode)
    if needs_rule(a) and (backend_name(a) != "jax" or (method == "auto" and block_size is None)):
        return _qr_routed(a, mode, bool(pivoting), method, block_size, random_state, rank_reveal, rank, tol)
    if backend_name(a) == "jax":
        if method == "auto" and block_size is None and rank_reveal is None and rank is None and tol is None:
            import jax.scipy.linalg as jsl

            return jsl.qr(a, mode=mode, pivoting=pivoting, check_finite=False)
        return _on_host(
            qr,
            a,
            mode=mode,
            pivoting=pivoting,
            check_finite=False,
            method=method,
            block_size=block_size,
            rank_reveal=rank_reveal,
            rank=rank,
            tol=tol,
            random_state=random_state,
        )

    def core(a2):
        m, n = a2.shape
        k = min(m, n)
        xp = namespace(a2)
        if pivoting:
            kernel = {"auto": "auto", "vendor": "vendor", "householder": "kernel"}[method]
            F = QRPivoted(
                a2,
                rank_reveal=rank_reveal,
                rank=rank,
                tol=tol,
                method=kernel,
                block_size=block_size,
                overwrite_a=overwrite_a,
                check_finite=False,
            )
            perm = _index_like(np.asarray(F._perm), a2)
        else:
            m_used = "vendor" if (method == "auto" and compact_needed) else method
            F = QR(
                a2,
                method=m_used,
                block_size=block_size,
                random_state=random_state,
                overwrite_a=overwrite_a,
                check_finite=False,
            )
        comp = F._comp
        if mode == "raw":
            out = [(comp.qr, comp.tau), xp.triu(comp.qr[:k, :])]
        elif mode == "r":
            r = F.R
            if m > k:
                full_r = xp.zeros((m, n), dtype=r.dtype, device=device_of(r))
                full_r[:k, :] = r
                r = full_r
            out = [r]
        elif mode == "economic":
            out = [F.Q, F.R]
        else:
            r = F.R
            if m > k:
                full_r = xp.zeros((m, n), dtype=r.dtype, device=device_of(r))
                full_r[:k, :] = r
                r = full_r
            out = [F.full_q(), r]
        if pivoting:
            out.append(perm)
        return tuple(out)

    if len(a.shape) > 2 and mode == "raw":
        raise ValueError("mode='raw' returns LAPACK's compact form for one matrix; loop over the batch.")
    return apply_over_batch(core, [(a, 2)])


def _qr_primal(a, *, mode, pivoting, method, block_size, random_state):
    if backend_name(a) == "jax":
        import jax.scipy.linalg as jsl

        return jsl.qr(a, mode=mode, pivoting=pivoting, check_finite=False)
    kw = {"method": method, "block_size": block_size, "random_state": random_state}
    return qr(a, mode=mode, pivoting=pivoting, check_finite=False, **kw)


def _qr_routed(a, mode, pivoting, method, block_size, random_state, rank_reveal, rank, tol):
    """:func:`qr` of a differentiated or traced ``a``, through the ``qr`` rule."""
    from .autodiff.qr_rules import QR as QR_RULE

    m, n = a.shape[-2:]
    fix = "use mode='economic' (or detach a: torch a.detach(); JAX jax.lax.stop_gradient)"
    if mode == "raw":
        raise ValueError(
            f"pivotal.qr(mode='raw') has no derivative rule: LAPACK's Householder vectors and tau are not "
            f"a differentiable parametrization of the factors; {fix}."
        )
    if mode == "full" and m > n:
        raise ValueError(
            f"pivotal.qr(mode='full') of a tall {m} x {n} matrix has no derivative rule: the last {m - n} "
            f"columns of the full Q are any orthonormal basis of the complement of range(A), not a "
            f"function of A; {fix}."
        )
    if rank_reveal is not None or rank is not None or tol is not None:
        raise ValueError(
            "pivotal.qr with rank_reveal, rank or tol has no derivative rule (the rank decision is not "
            "differentiable); use pivoting=True without them, or detach a."
        )
    out = apply(
        QR_RULE,
        _qr_primal,
        a,
        mode="full" if mode == "full" else "economic",
        pivoting=pivoting,
        method=method,
        block_size=block_size,
        random_state=random_state,
    )
    if mode != "r":
        return out
    r = out[1]
    if m > n:  # SciPy pads R with zero rows to (M, N)
        xp = namespace(r)
        dev = device_of(r) if backend_name(r) == "torch" else None
        r = xp.concat([r, xp.zeros(tuple(r.shape[:-2]) + (m - n, n), dtype=r.dtype, device=dev)], axis=-2)
    return (r, *out[2:])
