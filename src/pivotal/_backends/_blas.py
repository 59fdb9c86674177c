"""In-place BLAS-3 on strided NumPy views, through SciPy's ``cython_blas``.

``scipy.linalg.blas`` copies any operand that is not contiguous, so calling
it on a sub-block of a larger matrix costs a copy in and a copy out.  The
blocked kernels work on such sub-blocks constantly.  This module calls the
same BLAS (the one SciPy links) through the function pointers SciPy exports
in ``scipy.linalg.cython_blas.__pyx_capi__``, passing the leading dimension
of the view, so that ``gemm``, ``trsm`` and ``syrk``/``herk`` update a
sub-block of the working matrix in place.

Every function returns ``False`` when an operand's memory layout cannot be
described to BLAS (for example a view with two non-unit strides); the
caller then falls back to ordinary NumPy operations.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np

__all__ = ["available", "gemm", "ger", "herk", "syrk", "trsm"]

_PREFIX = {
    np.dtype(np.float32): "s",
    np.dtype(np.float64): "d",
    np.dtype(np.complex64): "c",
    np.dtype(np.complex128): "z",
}
_SCALAR = {
    "s": ctypes.c_float,
    "d": ctypes.c_double,
    "c": ctypes.c_float * 2,
    "z": ctypes.c_double * 2,
}

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype = ctypes.c_char_p
_get_name.argtypes = [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


@cache
def _function(name: str, nargs: int):
    """A ctypes function for the BLAS routine ``name`` (all arguments by pointer)."""
    try:
        from scipy.linalg import cython_blas

        capsule = cython_blas.__pyx_capi__[name]
        address = _get_pointer(capsule, _get_name(capsule))
    except (ImportError, AttributeError, KeyError, TypeError, ValueError):  # pragma: no cover - no C API
        return None
    proto = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * nargs))
    return proto(address)


def available() -> bool:
    """Whether the in-place BLAS path can be used in this installation."""
    return _function("dgemm", 13) is not None


def _scalar(prefix: str, value: complex):
    if prefix in "sd":
        return _SCALAR[prefix](float(np.real(value)))
    return _SCALAR[prefix](float(np.real(value)), float(np.imag(value)))


def _operand(x: np.ndarray):
    """Describe a 2-D view to BLAS: ``(is_transposed, leading_dim)`` or ``None``.

    A column-major (F-strided) view is passed as is; a row-major (C-strided)
    view is passed as the column-major storage of its transpose.
    """
    if x.ndim != 2 or not x.flags.aligned:
        return None
    item = x.itemsize
    s0, s1 = x.strides
    m, n = x.shape
    if n == 1 and s0 == item:
        return False, max(m, 1)  # a contiguous column: column-major, whatever s1 says
    if (s0 == item or m <= 1) and s1 % item == 0 and s1 >= item * max(m, 1) and s1 > 0:
        return False, s1 // item
    if (s1 == item or n <= 1) and s0 % item == 0 and s0 >= item * max(n, 1) and s0 > 0:
        return True, s0 // item
    if m <= 1 and n <= 1:
        return False, 1
    return None


def _increments(*vectors: np.ndarray) -> tuple[int, ...] | None:
    """The BLAS increments (strides in elements) of 1-D views, or ``None`` unless all are positive whole ones."""
    inc = []
    for v in vectors:
        step, rest = divmod(v.strides[0], v.itemsize)
        if rest or step <= 0:
            return None
        inc.append(step)
    return tuple(inc)


def _ptr(x: np.ndarray) -> ctypes.c_void_p:
    # __array_interface__ is several times cheaper than x.ctypes.data.
    return ctypes.c_void_p(x.__array_interface__["data"][0])


def _ptr_offset(x: np.ndarray, elements: int) -> ctypes.c_void_p:
    """Pointer to the ``elements``-th element after the start of ``x``'s data."""
    return ctypes.c_void_p(x.__array_interface__["data"][0] + elements * x.itemsize)


_TRSV_COLUMNS = 2


def _int(v: int):
    return ctypes.byref(ctypes.c_int(int(v)))


def _char(c: str):
    return ctypes.c_char_p(c.encode())


def _prefix(*arrays: np.ndarray):
    dts = {a.dtype for a in arrays}
    if len(dts) != 1:
        return None
    return _PREFIX.get(dts.pop())


def gemm(c: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: complex = -1.0, beta: complex = 1.0) -> bool:
    """``c <- alpha * a @ b + beta * c`` in place.  Returns False if not possible."""
    prefix = _prefix(c, a, b)
    if prefix is None or not c.flags.writeable:
        return False
    m, n = c.shape
    k = a.shape[1]
    if a.shape[0] != m or b.shape != (k, n):
        raise ValueError(f"gemm shapes do not match: c {c.shape}, a {a.shape}, b {b.shape}")
    if m == 0 or n == 0:
        return True
    if k == 0:
        c *= beta
        return True
    oc = _operand(c)
    if oc is None:
        return False
    if oc[0]:
        # c is row-major: compute c^T <- alpha b^T a^T + beta c^T instead.
        a, b = b.T, a.T
        m, n = n, m
    oa, ob = _operand(a), _operand(b)
    if oa is None or ob is None:
        return False
    fn = _function(prefix + "gemm", 13)
    if fn is None:
        return False
    fn(
        _char("T" if oa[0] else "N"),
        _char("T" if ob[0] else "N"),
        _int(m),
        _int(n),
        _int(k),
        ctypes.byref(_scalar(prefix, alpha)),
        _ptr(a),
        _int(oa[1]),
        _ptr(b),
        _int(ob[1]),
        ctypes.byref(_scalar(prefix, beta)),
        _ptr(c),
        _int(oc[1]),
    )
    return True


def ger(c: np.ndarray, x: np.ndarray, y: np.ndarray, alpha: complex = -1.0) -> bool:
    """Rank-1 update ``c <- c + alpha * x y^T`` in place (no conjugation).

    ``x`` and ``y`` are 1-D views (any stride).  Returns False if not possible.
    """
    prefix = _prefix(c, x, y)
    if prefix is None or not c.flags.writeable or x.ndim != 1 or y.ndim != 1:
        return False
    m, n = c.shape
    if x.shape[0] != m or y.shape[0] != n:
        raise ValueError(f"ger shapes do not match: c {c.shape}, x {x.shape}, y {y.shape}")
    if m == 0 or n == 0:
        return True
    oc, inc = _operand(c), _increments(x, y)
    if oc is None or inc is None:
        return False
    incx, incy = inc
    if oc[0]:
        # row-major c: update c^T <- c^T + alpha y x^T
        x, y, incx, incy, m, n = y, x, incy, incx, n, m
    fn = _function(prefix + ("ger" if prefix in "sd" else "geru"), 9)
    if fn is None:
        return False
    fn(
        _int(m),
        _int(n),
        ctypes.byref(_scalar(prefix, alpha)),
        _ptr(x),
        _int(incx),
        _ptr(y),
        _int(incy),
        _ptr(c),
        _int(oc[1]),
    )
    return True


def trsm(
    t: np.ndarray,
    b: np.ndarray,
    *,
    lower: bool,
    trans: int = 0,
    unit_diagonal: bool = False,
    side: str = "left",
) -> bool:
    """Solve ``op(t) x = b`` (or ``x op(t) = b``) overwriting ``b``.  False if not possible."""
    prefix = _prefix(t, b)
    if prefix is None or not b.flags.writeable:
        return False
    m, n = b.shape
    if t.shape != ((m, m) if side == "left" else (n, n)):
        raise ValueError(f"trsm shapes do not match: t {t.shape}, b {b.shape}, side={side!r}")
    if m == 0 or n == 0:
        return True
    ob = _operand(b)
    ot = _operand(t)
    if ob is None or ot is None:
        return False
    left = side == "left"
    transposed_t = ot[0]
    if ob[0]:
        # b is row-major: solve the transposed problem on b^T (column-major).
        #   op(t) x = b   <=>  x^T op(t)^T = b^T
        left = not left
        m, n = n, m
        if trans == 2:
            # x^T conj(t) = b^T has no BLAS form without conjugating b; bail out.
            return False
        trans = 1 - trans  # op(t)^T: N <-> T
    # Describe t: when its storage is the transpose, flip triangle and transpose flag.
    uplo = lower
    if transposed_t:
        uplo = not lower
        if trans == 0:
            op = "T"
        elif trans == 1:
            op = "N"
        else:
            return False  # conj without transpose is not a BLAS operation
    else:
        op = "NTC"[trans]
    if left and not ob[0] and n <= _TRSV_COLUMNS:
        # OpenBLAS's trsm is several times slower than trsv for one or two
        # right-hand sides (the condition estimators and refinement live there).
        sv = _function(prefix + "trsv", 8)
        if sv is not None:
            for j in range(n):
                sv(
                    _char("L" if uplo else "U"),
                    _char(op),
                    _char("U" if unit_diagonal else "N"),
                    _int(m),
                    _ptr(t),
                    _int(ot[1]),
                    _ptr_offset(b, j * ob[1]),
                    _int(1),
                )
            return True
    fn = _function(prefix + "trsm", 11)
    if fn is None:
        return False
    fn(
        _char("L" if left else "R"),
        _char("L" if uplo else "U"),
        _char(op),
        _char("U" if unit_diagonal else "N"),
        _int(m),
        _int(n),
        ctypes.byref(_scalar(prefix, 1.0)),
        _ptr(t),
        _int(ot[1]),
        _ptr(b),
        _int(ob[1]),
    )
    return True


def _rank_k(name: str, c: np.ndarray, a: np.ndarray, hermitian: bool) -> bool:
    """``c <- c - a op(a)`` on the lower triangle of ``c`` (``op`` = ^H or ^T)."""
    prefix = _prefix(c, a)
    if prefix is None or not c.flags.writeable:
        return False
    n = c.shape[0]
    k = a.shape[1]
    if c.shape != (n, n) or a.shape[0] != n:
        raise ValueError(f"rank-k update shapes do not match: c {c.shape}, a {a.shape}")
    if n == 0 or k == 0:
        return True
    oc = _operand(c)
    if oc is None:
        return False
    uplo = "L"
    if oc[0]:
        # c is row-major, so BLAS sees S = c^T and the lower triangle of c is
        # the upper triangle of S, which must receive (a op(a))^T = conj(a) op(conj(a))
        # for the Hermitian update and a a^T for the symmetric one.
        uplo = "U"
        if hermitian and np.iscomplexobj(a):
            a = np.conj(a)
    oa = _operand(a)
    if oa is None or oa[0]:
        a = np.asfortranarray(a)  # the n x k panel is small next to c
        oa = _operand(a)
    fn = _function(prefix + name, 10)
    if fn is None or oa is None:
        return False
    if hermitian:
        scalar = ctypes.c_float if prefix in "sc" else ctypes.c_double
        alpha, beta = scalar(-1.0), scalar(1.0)
    else:
        alpha, beta = _scalar(prefix, -1.0), _scalar(prefix, 1.0)
    fn(
        _char(uplo),
        _char("N"),
        _int(n),
        _int(k),
        ctypes.byref(alpha),
        _ptr(a),
        _int(oa[1]),
        ctypes.byref(beta),
        _ptr(c),
        _int(oc[1]),
    )
    return True


def herk(c: np.ndarray, a: np.ndarray) -> bool:
    """``c <- c - a a^H`` on the lower triangle of ``c``, in place."""
    if np.iscomplexobj(c):
        return _rank_k("herk", c, a, hermitian=True)
    return _rank_k("syrk", c, a, hermitian=False)


def syrk(c: np.ndarray, a: np.ndarray) -> bool:
    """``c <- c - a a^T`` on the lower triangle of ``c``, in place."""
    return _rank_k("syrk", c, a, hermitian=False)


def gemv(
    y: np.ndarray, a: np.ndarray, x: np.ndarray, *, trans: int = 0, alpha: complex = 1.0, beta: complex = 0.0
) -> bool:
    """``y <- alpha op(a) x + beta y`` in place, ``op`` = identity (0), ``^T`` (1) or ``^H`` (2).

    ``x`` and ``y`` are 1-D views (any positive stride).  Returns False if
    not possible (the caller falls back to NumPy).
    """
    prefix = _prefix(y, a, x)
    if prefix is None or not y.flags.writeable or x.ndim != 1 or y.ndim != 1:
        return False
    if trans == 2 and prefix in "sd":
        trans = 1
    m, n = a.shape
    rows, cols = (m, n) if trans == 0 else (n, m)
    if x.shape[0] != cols or y.shape[0] != rows:
        raise ValueError(f"gemv shapes do not match: a {a.shape}, x {x.shape}, y {y.shape}, trans={trans}")
    if rows == 0:
        return True
    if cols == 0:
        y *= beta
        return True
    oa, inc = _operand(a), _increments(x, y)
    if oa is None or inc is None:
        return False
    incx, incy = inc
    if oa[0]:
        # a is stored as its transpose S = a^T (column-major): op(a) = S^T, S, or conj(S).
        if trans == 2:
            return False
        op, sm, sn = ("T" if trans == 0 else "N"), n, m
    else:
        op, sm, sn = "NTC"[trans], m, n
    fn = _function(prefix + "gemv", 11)
    if fn is None:
        return False
    fn(
        _char(op),
        _int(sm),
        _int(sn),
        ctypes.byref(_scalar(prefix, alpha)),
        _ptr(a),
        _int(oa[1]),
        _ptr(x),
        _int(incx),
        ctypes.byref(_scalar(prefix, beta)),
        _ptr(y),
        _int(incy),
    )
    return True
