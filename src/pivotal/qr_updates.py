"""SciPy-compatible QR updating: ``qr_update``, ``qr_insert``, ``qr_delete``.

Given ``A = Q R``, these return the QR factorization of a modified matrix
(rank-``p`` update ``A + U V^H``, inserted rows or columns, deleted rows or
columns) in ``O(m^2)`` (full) or ``O(m n)`` (economic) work per rank or row,
instead of refactoring.  Signatures, defaults, return shapes, supported
modes (full ``(M, M) (M, N)`` and economic ``(M, N) (N, N)``), ``k``/``p``/
``which`` semantics, error types and messages follow ``scipy.linalg`` 1.17.

Everything is computed with pivotal's own Givens rotations
(:mod:`pivotal.kernels.givens`, LAPACK 3.10 ``xLARTG`` conventions) plus, for
economic factorizations, classical Gram-Schmidt with one
reorthogonalization ("twice is enough", Daniel, Gragg, Kaufman & Stewart
1976).  Like SciPy, the diagonal of the updated ``R`` is not made real or
positive.

Inputs must be float32, float64, complex64 or complex128 (LAPACK's types;
other dtypes raise ``ValueError`` as in SciPy).  With ``overwrite_*=True``,
2-D NumPy inputs of the working dtype with positive strides (or PyTorch
tensors of that dtype) are consumed as SciPy consumes them: ``qr_update``
and full ``qr_insert(..., which="col")`` return ``Q`` (and ``qr_update``
``R``) in the input's memory, ``qr_delete`` returns views of the
overwritten ``Q`` and ``R`` (``Q[p:, p:]``, ``R[p:, :]`` for rows,
``R[:, :N-p]`` for columns), and a rank-1 ``qr_update`` leaves ``conj(v)``
in ``v``.  Inputs that do not qualify are copied.

Differences from SciPy (all supersets):

* mixed dtypes are promoted to their common LAPACK type (SciPy raises
  ``ValueError`` unless ``Q``, ``R``, ``u`` and ``v`` share one of
  float32/float64/complex64/complex128);
* zero-size batches return empty results (SciPy raises);
* ``qr_insert(..., which="col")`` on an economic factorization raises
  :class:`pivotal.SingularMatrixError` (a ``LinAlgError``) also for a zero
  column, where SciPy would divide by zero.

Backends: NumPy arrays and PyTorch tensors (CPU or CUDA; tensors in,
tensors out on the same device and in the common dtype).  JAX arrays are
computed on the host with NumPy and returned as JAX arrays (not traceable
under ``jax.jit``).

References
----------
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., JHU Press
2013, section 6.5 (updating matrix factorizations).
J. W. Daniel, W. B. Gragg, L. Kaufman and G. W. Stewart, "Reorthogonalization
and stable algorithms for updating the Gram-Schmidt QR factorization",
Math. Comp. 30, 772-795, 1976.
L. Reichel and W. B. Gragg, "Algorithm 686: FORTRAN subroutines for updating
the QR decomposition", ACM Trans. Math. Softw. 16, 369-377, 1990.
S. Hammarling and C. Lucas, "Updating the QR factorization and the least
squares problem", MIMS EPrint 2008.111, University of Manchester, 2008.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._array import (
    apply_over_batch,
    as_array,
    backend_name,
    conjugate_inplace,
    is_complex,
    namespace,
    new_zeros,
    to_float,
    unit_roundoff,
    validate_matrix,
    working_copy,
    working_dtype,
)
from .errors import SingularMatrixError
from .kernels.givens import givens_qr, lartg_scalar, rot

__all__ = ["qr_delete", "qr_insert", "qr_update"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


# --------------------------------------------------------------------------- validation


def _any_jax(*arrays: Any) -> bool:
    return any(backend_name(a) == "jax" for a in arrays if a is not None)


def _on_host(func, arrays: tuple, **kwargs):
    """Run ``func`` on NumPy copies of JAX ``arrays`` and return JAX arrays."""
    from ._backends import jax as jax_backend

    host = [jax_backend.to_host(a) if backend_name(a) == "jax" else a for a in arrays]
    return jax_backend.from_host(func(*host, **kwargs))


def _validate_qr(Q: Any, R: Any, check_finite: bool):
    """SciPy's checks on ``(Q, R)``; returns ``(Q, R, economic)``.

    Full: ``Q`` is ``(M, M)`` and ``R`` is ``(M, N)``; economic: ``Q`` is
    ``(M, N)`` (not square) and ``R`` is ``(N, N)``.
    """
    Q = as_array(Q, "Q")
    R = as_array(R, "R")
    namespace(Q, R)  # TypeError for mixed backends
    if len(Q.shape) < 2 or len(R.shape) < 2:
        raise ValueError(
            f"Q and R must be 2-D (got shapes {tuple(Q.shape)} and {tuple(R.shape)}); "
            "pass the factors of scipy.linalg.qr (mode='full' or 'economic')."
        )
    qs, rs = tuple(Q.shape[-2:]), tuple(R.shape[-2:])
    if qs[1] != rs[0]:
        raise ValueError(
            "Q and R do not have compatible shapes. Expected (M,M) (M,N) or (M,N) (N,N) "
            f"but found {qs} {rs} for Q and R respectively"
        )
    economic = False
    if qs[0] != qs[1] and rs[0] == rs[1]:
        economic = True
    elif qs[0] != qs[1]:
        raise ValueError(f"Expected (M,M) (M,N) or (M,N) (N,N) but found {qs} {rs} for Q and R respectively")
    Q = validate_matrix(Q, "Q", check_finite=check_finite)
    R = validate_matrix(R, "R", check_finite=check_finite)
    return Q, R, economic


def _vector_or_matrix(u: Any, name: str, check_finite: bool):
    """``u`` as an array whose core is 1-D (ndim 1) or 2-D (ndim >= 2)."""
    u = as_array(u, name)
    if len(u.shape) == 0:
        raise ValueError(f"'{name}' must be a vector or a matrix, got a scalar.")
    if check_finite:
        validate_matrix(u if len(u.shape) >= 2 else u[None, :], name, check_finite=True)
    elif backend_name(u) == "torch":
        validate_matrix(u if len(u.shape) >= 2 else u[None, :], name, check_finite=False)
    return u


def _core_ndim(x: Any) -> int:
    return 1 if len(x.shape) == 1 else 2


def _as_index(value: Any, name: str) -> int:
    """SciPy converts ``k`` and ``p`` with C-int semantics (``int(value)``)."""
    if value is None:
        raise TypeError(f"an integer is required for '{name}' (got None).")
    return int(value)


def _validate_update(Q: Any, R: Any, u: Any, v: Any, check_finite: bool):
    """All of ``qr_update``'s argument checks, in SciPy's order and wording.

    Returns ``(Q, R, u, v, economic, core_ndim_of_u_and_v, dtype)``.
    """
    Q, R, economic = _validate_qr(Q, R, check_finite)
    u = _vector_or_matrix(u, "u", False)
    v = _vector_or_matrix(v, "v", False)
    namespace(Q, R, u, v)
    m, n = Q.shape[-2], R.shape[-1]
    ucore, vcore = _core_ndim(u), _core_ndim(v)
    if u.shape[-ucore] != m:
        raise ValueError(f"u.shape[0] must equal Q.shape[0] (expected {m}, got u of shape {tuple(u.shape)})")
    if v.shape[-vcore] != n:
        raise ValueError(f"v.shape[0] must equal R.shape[1] (expected {n}, got v of shape {tuple(v.shape)})")
    if ucore != vcore:
        raise ValueError("u and v must have the same number of dimensions (both (M,)/(N,) or (M,k)/(N,k))")
    if ucore == 2 and u.shape[-1] != v.shape[-1]:
        raise ValueError(
            f"Second dimension of u and v must be the same (got {u.shape[-1]} and {v.shape[-1]})"
        )
    p = 1 if ucore == 1 else u.shape[-1]
    if p > n or p > m:
        raise ValueError(f"Update rank larger than np.dot(Q, R). (rank {p}, Q R is {m} x {n})")
    if check_finite:
        _vector_or_matrix(u, "u", True)
        _vector_or_matrix(v, "v", True)
    return Q, R, u, v, economic, ucore, _common_dtype(Q, R, u, v)


def _validate_insert(Q: Any, R: Any, u: Any, k: Any, which: str, rcond: Any, check_finite: bool):
    """All of ``qr_insert``'s argument checks, in SciPy's order and wording.

    Returns ``(Q, R, u, economic, core_ndim_of_u, k, rcond, dtype)`` with
    ``k`` made nonnegative and ``rcond`` defaulted (economic columns only).
    """
    if which not in ("row", "col"):
        raise ValueError("'which' must be either 'row' or 'col'")
    if which == "row" and rcond is not None:
        raise ValueError("'rcond' is unused when inserting rows and must be None")
    Q, R, economic = _validate_qr(Q, R, check_finite)
    u = _vector_or_matrix(u, "u", False)
    namespace(Q, R, u)
    m, n = Q.shape[-2], R.shape[-1]
    k1 = _as_index(k, "k")
    ucore = _core_ndim(u)
    if which == "row":
        if not -m <= k1 <= m:
            raise ValueError(f"'k' is out of bounds (expected -{m} <= k <= {m} for M = {m} rows, got {k})")
        if u.shape[-1] != n:
            raise ValueError(
                f"'u' should be either (N,) or (p,N) when inserting rows. Found {tuple(u.shape)}. (N = {n})"
            )
    else:
        if not -n <= k1 <= n:
            raise ValueError(f"'k' is out of bounds (expected -{n} <= k <= {n} for N = {n} columns, got {k})")
        if u.shape[-ucore] != m:
            raise ValueError(
                f"'u' should be either (M,) or (M,p) when inserting columns. Found {tuple(u.shape)}."
                f" (M = {m})"
            )
        if rcond is not None and not economic:
            raise ValueError(
                "'rcond' is not used when updating full, (M,M) (M,N) decompositions and must be None."
            )
    if k1 < 0:
        k1 += m if which == "row" else n
    if check_finite:
        _vector_or_matrix(u, "u", True)
    dtype = _common_dtype(Q, R, u)
    rc0 = (
        (2 * unit_roundoff(dtype) if rcond is None else float(rcond)) if which == "col" and economic else None
    )
    return Q, R, u, economic, ucore, k1, rc0, dtype


def _validate_delete(Q: Any, R: Any, k: Any, p: Any, which: str, check_finite: bool):
    """All of ``qr_delete``'s argument checks, in SciPy's order and wording.

    Returns ``(Q, R, economic, k, p, dtype)`` with ``k`` made nonnegative.
    """
    if which not in ("row", "col"):
        raise ValueError("'which' must be either 'row' or 'col'")
    Q, R, economic = _validate_qr(Q, R, check_finite)
    m, n = Q.shape[-2], R.shape[-1]
    k1 = _as_index(k, "k")
    p1 = _as_index(p, "p")
    size = m if which == "row" else n
    what = "rows" if which == "row" else "columns"
    if not -size <= k1 < size:
        raise ValueError(f"'k' is out of bounds (expected -{size} <= k < {size} for {size} {what}, got {k})")
    if k1 < 0:
        k1 += size
    if k1 + p1 > size or p1 <= 0:
        raise ValueError(f"'p' is out of range (need 1 <= p and k + p <= {size}; got k = {k1}, p = {p})")
    return Q, R, economic, k1, p1, _common_dtype(Q, R)


_NAMES = ("Q", "R", "u", "v")


def _common_dtype(*arrays: Any):
    """The common LAPACK dtype of ``arrays`` (``Q, R[, u[, v]]``); other dtypes raise ``ValueError``."""
    for name, a in zip(_NAMES, arrays, strict=False):
        if not _is_lapack_dtype(a.dtype):
            raise ValueError(
                f"{name} has dtype {a.dtype}: QR updates work in float32, float64, complex64 or "
                f"complex128 (LAPACK's types), as scipy.linalg does; convert it, for example "
                f"{name}.astype(numpy.float64)."
            )
    dts = [working_dtype(a) for a in arrays]
    if backend_name(arrays[0]) == "torch":
        import torch

        out = dts[0]
        for d in dts[1:]:
            out = torch.promote_types(out, d)
        return out
    return np.result_type(*dts)


def _is_lapack_dtype(dtype: Any) -> bool:
    if hasattr(dtype, "is_complex"):  # torch
        import torch

        return dtype in (torch.float32, torch.float64, torch.complex64, torch.complex128)
    dtype = np.dtype(dtype)
    return (dtype.kind, dtype.itemsize) in (("f", 4), ("f", 8), ("c", 8), ("c", 16))


def _consumable(x: Any, dtype: Any, overwrite: bool) -> bool:
    """Whether ``x`` may be worked on in its own memory (SciPy's rule: positive strides, the working dtype)."""
    if not overwrite or x.dtype != dtype:
        return False
    if backend_name(x) == "torch":
        return not x.requires_grad
    return (
        isinstance(x, np.ndarray)
        and x.ndim <= 2
        and x.flags.writeable
        and x.flags.aligned
        and all(st > 0 for st in x.strides)
    )


def _workspace(x: Any, dtype: Any, overwrite: bool):
    """``x`` itself when it may be consumed, else a writable copy in ``dtype``."""
    return x if _consumable(x, dtype, overwrite) else working_copy(x, dtype=dtype)


def _cast(x: Any, dtype: Any):
    if backend_name(x) == "torch":
        return x.to(dtype)
    return np.asarray(x, dtype=dtype)


def _ch(a: Any):
    """Conjugate transpose (lazy on PyTorch)."""
    if backend_name(a) == "torch":
        return a.mH
    return a.conj().T if a.dtype.kind == "c" else a.T


def _conj(x: Any):
    if backend_name(x) == "torch":
        return x.conj()
    return np.conj(x) if x.dtype.kind == "c" else x


def _cconj(s: Any):
    return s.conjugate() if isinstance(s, complex) else s


def _take_rows(a: Any, order: list[int]):
    if backend_name(a) == "torch":
        import torch

        return a[torch.as_tensor(order, device=a.device)]
    return a[np.asarray(order, dtype=np.intp)]


def _norm(x: Any) -> float:
    return to_float(namespace(x).linalg.vector_norm(x))


def _host(x: Any) -> list:
    """A 1-D array as a list of Python numbers (one device sync)."""
    if backend_name(x) == "torch":
        return x.detach().resolve_conj().cpu().tolist()
    return x.tolist()


# --------------------------------------------------------------------------- building blocks


def _orthogonalize(q: Any, u: Any):
    """Split ``u = q s + rho w`` with ``||w|| = 1`` and ``w`` orthogonal to ``q``.

    Classical Gram-Schmidt with at most one reorthogonalization (DGKS).
    Returns ``(s, rho, w, rc, in_span)`` where ``rc = sigma_min / sigma_max``
    of ``[q, u/||u||]`` (as SciPy's ``reorth`` computes it) and ``in_span``
    is true when ``u`` lies numerically in the range of ``q`` (then
    ``rho = 0`` and ``w = 0``).
    """
    m, n = q.shape
    unorm = _norm(u)
    if unorm == 0.0:
        return new_zeros((n,), q), 0.0, new_zeros((m,), q), 0.0, True
    x = u / unorm
    s = _ch(q) @ x
    snorm = _norm(s)
    w = x - q @ s
    wnorm = _norm(w)
    rc = wnorm / (1.0 + snorm)
    if wnorm > _INV_SQRT2:
        return s * unorm, wnorm * unorm, w / wnorm, rc, False
    s2 = _ch(q) @ w
    w = w - q @ s2
    s = s + s2
    wp = _norm(w)
    if wp <= wnorm * _INV_SQRT2:
        return s * unorm, 0.0, new_zeros((m,), q), rc, True
    return s * unorm, wp * unorm, w / wp, rc, False


def _reduce_to_top(z: list, r: Any, q: Any, ncols_r: int):
    """Rotate ``z`` (host values of rows ``0..L-1``) into ``z[0]``, bottom-up.

    Each rotation on ``(j, j+1)`` is applied to rows ``j, j+1`` of ``r`` from
    column ``j`` (which makes ``r`` upper Hessenberg) and to columns
    ``j, j+1`` of ``q``.  Returns the final ``z[0]``.
    """
    g = z[-1]
    for j in range(len(z) - 2, -1, -1):
        c, s, g = lartg_scalar(z[j], g)
        if c == 1.0 and s == 0:
            continue
        if j < ncols_r:
            rot(r[j, j:], r[j + 1, j:], c, s)
        rot(q[:, j], q[:, j + 1], c, _cconj(s))
    return g


def _eliminate_column(r: Any, q: Any, col: int, top: int, bottom: int) -> None:
    """Zero ``r[top+1:bottom+1, col]`` bottom-up with adjacent-row rotations.

    Rotations are applied to ``r[:, col+1:]`` and to columns of ``q``; the
    column itself is overwritten with ``(g, 0, ..., 0)``.
    """
    if bottom <= top:
        return
    z = _host(r[top : bottom + 1, col])
    g = z[-1]
    for j in range(bottom - 1, top - 1, -1):
        c, s, g = lartg_scalar(z[j - top], g)
        if c == 1.0 and s == 0:
            continue
        rot(r[j, col + 1 :], r[j + 1, col + 1 :], c, s)
        rot(q[:, j], q[:, j + 1], c, _cconj(s))
    r[top + 1 : bottom + 1, col] = 0
    r[top, col] = g


def _eliminate_row(r: Any, q: Any, row: int, count: int) -> None:
    """Zero ``r[row, :count]`` against the diagonal rows ``0..count-1``."""
    for j in range(count):
        g = r[row, j].item()
        if g == 0:
            continue
        c, s, rr = lartg_scalar(r[j, j].item(), g)
        rot(r[j, j + 1 :], r[row, j + 1 :], c, s)
        r[j, j] = rr
        r[row, j] = 0
        rot(q[:, j], q[:, row], c, _cconj(s))


# --------------------------------------------------------------------------- qr_update


def _update(q: Any, r: Any, U: Any, V: Any, economic: bool):
    """``q r + U V^H`` as ``q1 r1``, one rank-1 step per column, in place in ``q`` and ``r``.

    Full: ``z = q^H u``.  Economic: ``u = q s + rho w`` (Gram-Schmidt) extends
    ``q`` by the column ``w`` and ``r`` by a zero row, so that ``z = (s, rho)``;
    the extension is dropped at the end.  Then ``z`` is rotated into its
    first entry (``r`` becomes upper Hessenberg), ``z_0 v^H`` is added to the
    first row and a Hessenberg Givens QR restores ``r``.
    """
    m, n = q.shape[0], r.shape[1]
    qa, ra = q, r
    if economic:
        qa, ra = new_zeros((m, n + 1), q), new_zeros((n + 1, n), r)
        qa[:, :n], ra[:n] = q, r
    for t in range(U.shape[1]):
        if economic:
            s, rho, w, _, _ = _orthogonalize(qa[:, :n], U[:, t])
            qa[:, n], ra[n, :] = w, 0
            z = _host(s) + [rho]
        else:
            z = _host(_ch(qa) @ U[:, t])
        z0 = _reduce_to_top(z, ra, qa, n)
        ra[0, :] += z0 * _conj(V[:, t])
        givens_qr(ra, "hessenberg", q=qa, check=False)
    if economic:
        q[...], r[...] = qa[:, :n], ra[:n, :]
    return q, r


def qr_update(
    Q: Any,
    R: Any,
    u: Any,
    v: Any,
    overwrite_qruv: bool = False,
    check_finite: bool = True,
):
    """Rank-k QR update (SciPy-compatible).

    If ``A = Q R`` is the QR factorization of ``A``, return the QR
    factorization of ``A + u v**T`` for real ``A`` or ``A + u v**H`` for
    complex ``A``.

    Parameters
    ----------
    Q : (..., M, M) or (..., M, N) array_like
        Unitary/orthogonal factor of ``A`` (full or economic).
    R : (..., M, N) or (..., N, N) array_like
        Upper triangular factor of ``A``.
    u : (M,) or (..., M, k) array_like
        Left update vector(s).
    v : (N,) or (..., N, k) array_like
        Right update vector(s); ``k <= min(M, N)``.
    overwrite_qruv : bool, optional
        Allow ``Q`` and ``R`` to be overwritten (full factorizations are then
        updated in place when their dtype is the working dtype).
    check_finite : bool, optional
        Raise ``ValueError`` if an input contains NaN or Inf.

    Returns
    -------
    Q1 : array
        Updated unitary/orthogonal factor, the shape of ``Q``.
    R1 : array
        Updated upper triangular factor, the shape of ``R``.

    Raises
    ------
    ValueError
        For incompatible shapes (SciPy's messages) or non-finite input.

    Notes
    -----
    Full (``Q`` square): ``w = Q^H u`` is rotated into its first entry
    bottom-up (making ``R`` upper Hessenberg), ``w_0 v^H`` is added to the
    first row, and a Hessenberg Givens QR restores ``R``: ``O(M^2 + MN)``
    per rank.  Economic: ``u = Q s + rho q_new`` (Gram-Schmidt with one
    reorthogonalization) extends ``Q`` by one column for the same steps on
    ``(N+1) x N``, ``O(MN)``.  Rank-k updates are k rank-1 updates.  The
    diagonal of ``R1`` is not necessarily real or positive.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal.qr_updates import qr_update
    >>> a = np.array([[3., -2., -2.], [6., -9., -3.], [-3., 10., 1.],
    ...               [6., -7., 4.], [7., 8., -6.]])
    >>> q, r = scipy.linalg.qr(a)
    >>> u, v = np.array([7., -2., 4., 3., 5.]), np.array([1., 3., -5.])
    >>> q1, r1 = qr_update(q, r, u, v)
    >>> np.allclose(q1 @ r1, a + np.outer(u, v)), np.allclose(q1.T @ q1, np.eye(5))
    (True, True)
    >>> qe, re = scipy.linalg.qr(a, mode="economic")
    >>> qe1, re1 = qr_update(qe, re, u, v)
    >>> qe1.shape, re1.shape, np.allclose(qe1 @ re1, a + np.outer(u, v))
    ((5, 3), (3, 3), True)
    """
    if _any_jax(Q, R, u, v):
        return _on_host(qr_update, (Q, R, u, v), check_finite=check_finite)
    Q, R, u, v, economic, ucore, dtype = _validate_update(Q, R, u, v, check_finite)
    vcore = ucore

    def core(q2, r2, u2, v2):
        q = _workspace(q2, dtype, overwrite_qruv)
        r = _workspace(r2, dtype, overwrite_qruv)
        U = _cast(u2[:, None] if ucore == 1 else u2, dtype)
        if vcore == 1 and is_complex(dtype) and _consumable(v2, dtype, overwrite_qruv):
            conjugate_inplace(v2)  # SciPy's rank-1 update consumes v as the workspace conj(v)
            V = _conj(v2)[:, None]
        else:
            V = _cast(v2[:, None] if vcore == 1 else v2, dtype)
        return _update(q, r, U, V, economic)

    return apply_over_batch(core, [(Q, 2), (R, 2), (u, ucore), (v, vcore)])


# --------------------------------------------------------------------------- qr_insert


def _insert_rows(q: Any, r: Any, U: Any, k: int, economic: bool):
    """Rows ``U`` inserted before row ``k``: appended below ``r``, rotated away, then ``q``'s rows permuted.

    ``q`` (``(M, K)`` with ``K = M`` full or ``N`` economic) is bordered by
    ``I_p``; the new rows of ``r`` are eliminated against its first
    ``min(row, N)`` diagonal entries.  Economic results keep ``N`` columns
    of ``q`` and ``N`` rows of ``r``.
    """
    m, kq = q.shape
    kr, n = r.shape
    p = U.shape[0]
    qn = new_zeros((m + p, kq + p), q)
    qn[:m, :kq] = q
    for i in range(p):
        qn[m + i, kq + i] = 1
    rn = new_zeros((kr + p, n), r)
    rn[:kr] = r
    rn[kr:] = U
    for i in range(p):
        _eliminate_row(rn, qn, kr + i, min(kr + i, n))
    order = list(range(k)) + list(range(m, m + p)) + list(range(k, m))
    if economic:
        return _take_rows(qn[:, :n], order), rn[:n]
    return _take_rows(qn, order), rn


def _insert_cols_full(q: Any, r: Any, U: Any, k: int):
    m = r.shape[0]
    p = U.shape[1]
    xp = namespace(r)
    rn = xp.concat([r[:, :k], _ch(q) @ U, r[:, k:]], axis=1)
    for t in range(p):
        _eliminate_column(rn, q, k + t, k + t, m - 1)
    return q, rn


def _insert_cols_thin(q: Any, r: Any, U: Any, k: int, rcond: float):
    m, n = q.shape
    p = U.shape[1]
    p_eco = p if n + p <= m else m - n
    qn = new_zeros((m, n + p_eco), q)
    qn[:, :n] = q
    rn = new_zeros((n + p_eco, n + p), r)
    rn[:n, :k] = r[:, :k]
    rn[:n, k + p :] = r[:, k:]
    for t in range(p_eco):
        nn = n + t
        s, rho, w, rc, in_span = _orthogonalize(qn[:, :nn], U[:, t])
        if rc < rcond:
            raise SingularMatrixError(
                k + t,
                "One of the columns of u lies in the span of Q. Found reciprocal condition "
                f"number of {rc} for Q augmented with u/||u|| (column {t} of u, inserted at "
                f"index {k + t}; rcond={rcond}). The updated matrix is numerically rank "
                "deficient: pass a smaller rcond to insert it anyway, or use a full "
                "(M, M) factorization.",
            )
        if in_span:  # allowed by rcond: extend Q by any orthonormal direction, R gets a zero pivot
            w = _unit_complement(qn[:, :nn], None, "insert the column")
        qn[:, nn] = w
        rn[:nn, k + t] = s
        rn[nn, k + t] = rho
        _eliminate_column(rn, qn, k + t, k + t, nn)
    if p_eco < p:  # Q is square now: insert the rest as in a full factorization
        rn[:, k + p_eco : k + p] = _ch(qn) @ U[:, p_eco:]
        for t in range(p_eco, p):
            _eliminate_column(rn, qn, k + t, k + t, m - 1)
    return qn, rn


def qr_insert(
    Q: Any,
    R: Any,
    u: Any,
    k: int,
    which: str = "row",
    rcond: float | None = None,
    overwrite_qru: bool = False,
    check_finite: bool = True,
):
    """QR update on row or column insertions (SciPy-compatible).

    If ``A = Q R`` is the QR factorization of ``A``, return the QR
    factorization of ``A`` where rows or columns have been inserted starting
    at row or column ``k`` (``numpy.insert(A, k, u, axis)`` semantics).

    Parameters
    ----------
    Q : (..., M, M) or (..., M, N) array_like
        Unitary/orthogonal factor of ``A`` (full or economic).
    R : (..., M, N) or (..., N, N) array_like
        Upper triangular factor of ``A``.
    u : (N,), (..., p, N), (M,), or (..., M, p) array_like
        Rows (``which="row"``) or columns (``which="col"``) to insert.
    k : int
        Index before which ``u`` is inserted: ``-M <= k <= M`` for rows,
        ``-N <= k <= N`` for columns; negative ``k`` counts from the end
        (``k + M``).
    which : {'row', 'col'}, optional
        Insert rows or columns.
    rcond : float, optional
        Only for columns inserted into an economic factorization: the lower
        bound on the reciprocal condition number of ``Q`` augmented with
        ``u/||u||``; default machine epsilon of the working dtype.  Must be
        None otherwise (``ValueError``, as in SciPy).
    overwrite_qru : bool, optional
        Allow the inputs to be consumed.  The factors grow, so new arrays
        are returned in any case.
    check_finite : bool, optional
        Raise ``ValueError`` if an input contains NaN or Inf.

    Returns
    -------
    Q1 : array
        Updated unitary/orthogonal factor: ``(M+p, M+p)`` for rows (full),
        ``(M+p, N)`` (economic); for columns ``(M, M)`` (full) or
        ``(M, N+p)`` (economic; ``(M, M)`` once ``N + p > M``).
    R1 : array
        Updated upper triangular factor.

    Raises
    ------
    LinAlgError
        (:class:`pivotal.SingularMatrixError`, carrying the column index)
        When inserting columns into an economic factorization and the
        reciprocal condition number of ``Q`` augmented with ``u/||u||`` is
        smaller than ``rcond``: the updated matrix is singular.
    ValueError
        For bad shapes, ``k`` out of bounds, an unused ``rcond``, or
        non-finite input (SciPy's messages).

    Notes
    -----
    Rows: the new rows are appended below ``R`` and rotated away against
    its diagonal, then the rows of ``Q`` are permuted.  Columns: ``Q^H u``
    (full) or its Gram-Schmidt split ``u = Q s + rho q_new`` (economic) is
    placed in column ``k`` of ``R`` and rotated to upper triangular
    bottom-up.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal.qr_updates import qr_insert
    >>> a = np.array([[3., -2., -2.], [6., -7., 4.], [7., 8., -6.]])
    >>> q, r = scipy.linalg.qr(a)
    >>> u = np.array([[6., -9., -3.], [-3., 10., 1.]])
    >>> q1, r1 = qr_insert(q, r, u, 2, "row")
    >>> np.allclose(q1 @ r1, np.insert(a, 2, u, 0)), np.allclose(q1.T @ q1, np.eye(5))
    (True, True)
    >>> q2, r2 = qr_insert(q, r, np.array([1., 2., 3.]), 1, "col")
    >>> np.allclose(q2 @ r2, np.insert(a, 1, [1., 2., 3.], 1))
    True
    """
    if _any_jax(Q, R, u):
        return _on_host(qr_insert, (Q, R, u), k=k, which=which, rcond=rcond, check_finite=check_finite)
    Q, R, u, economic, ucore, k1, rc0, dtype = _validate_insert(Q, R, u, k, which, rcond, check_finite)

    def core(q2, r2, u2):
        # Rows and economic columns make new, larger factors; full columns rotate Q in place.
        q = _workspace(q2, dtype, overwrite_qru and which == "col" and not economic)
        r = working_copy(r2, dtype=dtype)
        if which == "row":
            U = _cast(u2[None, :] if ucore == 1 else u2, dtype)
            return _insert_rows(q, r, U, k1, economic)
        if (
            ucore == 1
            and not economic
            and is_complex(dtype)
            and _consumable(u2, dtype, overwrite_qru)
            and getattr(q2, "flags", None) is not None
            and q2.flags.c_contiguous
        ):
            conjugate_inplace(u2)  # SciPy's rank-1 insertion into a C-ordered Q consumes u as conj(u)
            U = _conj(u2)[:, None]
        else:
            U = _cast(u2[:, None] if ucore == 1 else u2, dtype)
        if economic:
            return _insert_cols_thin(q, r, U, k1, rc0)
        return _insert_cols_full(q, r, U, k1)

    return apply_over_batch(core, [(Q, 2), (R, 2), (u, ucore)])


# --------------------------------------------------------------------------- qr_delete


def _delete_rows_full(q: Any, r: Any, k: int, p: int):
    """Rows ``k..k+p-1`` of a full factorization deleted, in place: returns views ``q[p:, p:]``, ``r[p:, :]``."""
    m, n = r.shape
    order = list(range(k, k + p)) + list(range(k)) + list(range(k + p, m))
    q[...] = _take_rows(q, order)
    for i in range(p):
        z = [_cconj(x) for x in _host(q[i, :])]
        g = z[m - 1]
        for j in range(m - 2, i - 1, -1):
            c, s, g = lartg_scalar(z[j], g)
            if c == 1.0 and s == 0:
                continue
            if j - i < n:
                rot(r[j, j - i :], r[j + 1, j - i :], c, s)
            rot(q[i + 1 :, j], q[i + 1 :, j + 1], c, _cconj(s))
    return q[p:, p:], r[p:, :]


def _unit_complement(q: Any, k: int | None, action: str = "perform row deletion"):
    """A unit vector orthogonal to the columns of a tall ``q`` (DGKS).

    Built from ``e_k`` (``k=None``: skip that try); if ``e_k`` lies in the
    range of ``q``, from ``e_j`` for the row ``j`` of ``q`` with the smallest
    norm (Daniel et al., p. 785).
    """
    m, _ = q.shape
    e = new_zeros((m,), q)
    if k is not None:
        e[k] = 1
        _, _, w, _, in_span = _orthogonalize(q, e)
        if not in_span:
            return w
        e[k] = 0
    xp = namespace(q)
    j = int(xp.argmin(xp.linalg.vector_norm(q, axis=1)))
    e[j] = 1
    _, _, w, _, in_span = _orthogonalize(q, e)
    if in_span:
        raise ValueError(
            f"Reorthogonalization Failed, unable to {action}: no vector orthogonal to the "
            "columns of Q was found. Q is not numerically orthonormal; recompute the "
            "factorization with scipy.linalg.qr."
        )
    return w


def _delete_rows_thin(q: Any, r: Any, k: int, p: int):
    m, n = q.shape
    p_eco = p if m - p >= n else m - n
    xp = namespace(q)
    for _ in range(p_eco):
        w = _unit_complement(q, k)
        qa = xp.concat([q, w[:, None]], axis=1)
        z = [_cconj(x) for x in _host(qa[k, :])]
        extra = new_zeros((n,), r)
        g = z[n]
        for j in range(n - 1, -1, -1):
            c, s, g = lartg_scalar(g, z[j])
            if c == 1.0 and s == 0:
                continue
            rot(extra[j:], r[j, j:], c, s)
            rot(qa[:, n], qa[:, j], c, _cconj(s))
        q = xp.concat([qa[:k, :n], qa[k + 1 :, :n]], axis=0)
    if p_eco < p:  # q is square now
        return _delete_rows_full(q, r, k, p - p_eco)
    return q, r


def _delete_cols(q: Any, r: Any, k: int, p: int, economic: bool):
    """Columns ``k..k+p-1`` deleted in place: the later columns of ``r`` move left, a Givens QR restores it."""
    n = r.shape[1]
    r[:, k : n - p] = r[:, k + p :] + 0  # "+ 0": a copy, the column ranges overlap
    r = r[:, : n - p]
    if p == 1:
        givens_qr(r[k:, k:], "hessenberg", q=q[:, k:], check=False)
    else:
        givens_qr(r[k:, k:], "banded", lower_bandwidth=p, q=q[:, k:], check=False)
    if economic:
        return q[:, : n - p], r[: n - p, :]
    return q, r


def qr_delete(
    Q: Any,
    R: Any,
    k: int,
    p: int = 1,
    which: str = "row",
    overwrite_qr: bool = False,
    check_finite: bool = True,
):
    """QR downdate on row or column deletions (SciPy-compatible).

    If ``A = Q R`` is the QR factorization of ``A``, return the QR
    factorization of ``A`` where ``p`` rows or columns have been removed
    starting at row or column ``k``.

    Parameters
    ----------
    Q : (..., M, M) or (..., M, N) array_like
        Unitary/orthogonal factor of ``A`` (full or economic).
    R : (..., M, N) or (..., N, N) array_like
        Upper triangular factor of ``A``.
    k : int
        Index of the first row (``-M <= k < M``) or column (``-N <= k < N``)
        to delete; negative ``k`` counts from the end.
    p : int, optional
        Number of rows or columns to delete (``1 <= p``, ``k + p`` within
        the matrix), default 1.
    which : {'row', 'col'}, optional
        Delete rows or columns.
    overwrite_qr : bool, optional
        Allow ``Q`` and ``R`` to be consumed; the results are then views of
        their (overwritten) storage where the algorithm allows.
    check_finite : bool, optional
        Raise ``ValueError`` if an input contains NaN or Inf.

    Returns
    -------
    Q1 : array
        Updated unitary/orthogonal factor: rows: ``(M-p, M-p)`` (full),
        ``(M-p, N)`` (economic while ``M - p >= N``, else the full
        ``(M-p, M-p)``); columns: ``(M, M)`` (full) or ``(M, N-p)``.
    R1 : array
        Updated upper triangular factor.

    Raises
    ------
    ValueError
        For ``k`` out of bounds, ``p`` out of range, bad shapes or non-finite
        input (SciPy's messages).

    Notes
    -----
    Rows (full): the rows of ``Q`` to delete are rotated to ``[D, 0]``
    (``D`` unitary diagonal) from the right, which turns ``R`` into a
    matrix with ``p`` subdiagonals whose last ``M - p`` rows are upper
    triangular.  Rows (economic): ``Q`` is extended by a unit vector
    orthogonal to its columns (Gram-Schmidt on ``e_k`` with one
    reorthogonalization) so that the row can be rotated into the new
    column.  Columns: the remaining ``R`` has ``p`` subdiagonals from column
    ``k`` and is restored by a banded (Hessenberg for ``p = 1``) Givens QR.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal.qr_updates import qr_delete
    >>> a = np.array([[3., -2., -2.], [6., -9., -3.], [-3., 10., 1.],
    ...               [6., -7., 4.], [7., 8., -6.]])
    >>> q, r = scipy.linalg.qr(a)
    >>> q1, r1 = qr_delete(q, r, 2, 2, "row")
    >>> np.allclose(q1 @ r1, np.delete(a, [2, 3], 0)), np.allclose(q1.T @ q1, np.eye(3))
    (True, True)
    >>> q2, r2 = qr_delete(q, r, 0, 1, "col")
    >>> q2.shape, r2.shape, np.allclose(q2 @ r2, a[:, 1:])
    ((5, 5), (5, 2), True)
    """
    if _any_jax(Q, R):
        return _on_host(qr_delete, (Q, R), k=k, p=p, which=which, check_finite=check_finite)
    Q, R, economic, k1, p1, dtype = _validate_delete(Q, R, k, p, which, check_finite)

    def core(q2, r2):
        q = _workspace(q2, dtype, overwrite_qr)
        r = _workspace(r2, dtype, overwrite_qr)
        if which == "col":
            return _delete_cols(q, r, k1, p1, economic)
        if economic:
            return _delete_rows_thin(q, r, k1, p1)
        return _delete_rows_full(q, r, k1, p1)

    return apply_over_batch(core, [(Q, 2), (R, 2)])
