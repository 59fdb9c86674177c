"""Givens (plane) rotations: safe generation, application, and Givens QR.

Conventions (LAPACK's ``xLARTG``/``xROT``)
------------------------------------------
A rotation is the pair ``(c, s)`` with ``c`` real, ``c**2 + |s|**2 = 1``,
and acts on two rows ``x``, ``y`` (or two entries ``f``, ``g``) as::

    [  c        s ] [x]      [ c x + s y        ]
    [ -conj(s)  c ] [y]  =   [ c y - conj(s) x  ]

:func:`lartg` chooses ``(c, s, r)`` so that ``[c s; -conj(s) c] [f; g] = [r; 0]``,
exactly as LAPACK 3.10+ ``dlartg.f90``/``zlartg.f90`` (E. Anderson's "safe
scaling" algorithm, with W. Pereira's complex version):

* real ``f, g``: ``r = sign(f) * sqrt(f**2 + g**2)``, ``c = |f| / |r| >= 0``,
  ``s = g / r``; so ``r`` has the sign of ``f``;
* complex ``f, g``: ``r = sgn(f) * sqrt(|f|**2 + |g|**2)`` with
  ``sgn(x) = x / |x|``, ``c = |f| / |r| >= 0`` (real),
  ``s = sgn(f) * conj(g) / |r|``;
* ``g == 0``: ``c = 1``, ``s = 0``, ``r = f`` (also when ``f == 0``);
* ``f == 0`` (and ``g != 0``): ``c = 0`` and ``r = |g| >= 0`` is real;
  real: ``s = sign(g)``; complex: ``s = conj(g) / |g|``.

Intermediate quantities are scaled so that nothing overflows or underflows
unless ``r`` itself is not representable: ``lartg(1e300, 1e300)`` gives
``r = 1.414e300`` and ``lartg(1e-300, 1e-300)`` gives ``r = 1.414e-300``.

:func:`lartg` is elementwise (NumPy arrays, PyTorch tensors, or scalars) and
computes in the working precision of its input with that precision's
``safmin``/``safmax``, like ``slartg``/``dlartg``/``clartg``/``zlartg``.
:func:`lartg_scalar` is the same algorithm on host Python numbers (IEEE
double); the sequential kernels below use it, one rotation at a time, so a
rotation for single-precision data is computed in double precision and then
rounded, which is at least as accurate as ``slartg`` and cannot overflow.

Givens QR
---------
:func:`givens_qr` reduces ``A`` (``m x n``) to upper trapezoidal ``R`` in
place with adjacent-row rotations, bottom-up in each column (Golub & Van
Loan, Alg. 5.2.4).  Rotation ``k`` acts on rows ``(i[k], j[k]) = (i-1, i)``,
so ``R = G_K ... G_1 A`` and ``A = Q R`` with ``Q = G_1^H G_2^H ... G_K^H``.

* ``structure="dense"``: ``sum_j (m-1-j)`` rotations.
* ``structure="hessenberg"`` (zero below the first subdiagonal): one rotation
  per column, touching only rows ``j, j+1``: ``min(m-1, n)`` rotations.
* ``structure="banded"`` with lower bandwidth ``p`` (``A[i, j] == 0`` for
  ``i > j + p``): ``min(p, m-1-j)`` rotations in column ``j``, each applied
  only to the columns where either row can be nonzero (tracked per row), so
  a band matrix with upper bandwidth ``q`` costs ``O(n p (p + q))`` and ``R``
  has upper bandwidth ``p + q``.

The rotations are returned as a :class:`Rotations` record;
:func:`apply_rotations` applies ``Q``, ``Q^T`` or ``Q^H`` from either side
and :func:`form_q` builds ``Q`` (or its first columns) explicitly.

References
----------
E. Anderson, "Algorithm 978: Safe scaling in the Level 1 BLAS",
ACM Trans. Math. Softw. 44(1), 2017.
LAPACK 3.10 ``dlartg.f90`` and ``zlartg.f90`` (Anderson; Pereira).
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., JHU Press
2013, sections 5.1.8-5.1.9 and 5.2.5 (Givens QR, Hessenberg and band QR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import backend_name, finfo, namespace, to_numpy, working_dtype

__all__ = [
    "STRUCTURES",
    "Rotations",
    "apply_rotations",
    "form_q",
    "givens_qr",
    "lartg",
    "lartg_scalar",
    "rot",
]

STRUCTURES = ("dense", "hessenberg", "banded")

# LA_CONSTANTS of IEEE double: safmin = 2**-1022 (the smallest normal number),
# safmax = 1 / safmin, rtmin = sqrt(safmin).
_D_SAFMIN = float(np.finfo(np.float64).tiny)
_D_SAFMAX = 1.0 / _D_SAFMIN
_D_RTMIN = math.sqrt(_D_SAFMIN)
_D_RTMAX2 = math.sqrt(_D_SAFMAX / 2)  # real case, complex f == 0 case
_D_RTMAX4 = math.sqrt(_D_SAFMAX / 4)  # complex general case


# --------------------------------------------------------------------------- scalar lartg


def _dlartg_py(f: float, g: float) -> tuple[float, float, float]:
    """LAPACK 3.10 ``dlartg`` on Python floats."""
    if g == 0.0:
        return 1.0, 0.0, f
    g1 = abs(g)
    if f == 0.0:
        return 0.0, math.copysign(1.0, g), g1
    f1 = abs(f)
    if _D_RTMIN < f1 < _D_RTMAX2 and _D_RTMIN < g1 < _D_RTMAX2:
        d = math.sqrt(f * f + g * g)
        r = math.copysign(d, f)
        return f1 / d, g / r, r
    u = min(_D_SAFMAX, max(_D_SAFMIN, f1, g1))
    fs = f / u
    gs = g / u
    d = math.sqrt(fs * fs + gs * gs)
    r = math.copysign(d, f)
    return abs(fs) / d, gs / r, r * u


def _cdiv(z: complex, d: float) -> complex:
    """``z / d`` for real ``d``, componentwise (no complex division)."""
    return complex(z.real / d, z.imag / d)


def _cmul(z: complex, d: float) -> complex:
    return complex(z.real * d, z.imag * d)


def _abssq(z: complex) -> float:
    return z.real * z.real + z.imag * z.imag


def _zlartg_from_squares(f: complex, g: complex, f2: float, h2: float) -> tuple[float, complex, complex]:
    """``zlartg``'s common step, for ``f`` and ``g`` already in range (scaled or not).

    ``f2 = |f|**2`` and ``h2 = |f|**2 + |g|**2`` as the caller formed them
    (the scaled branch weighs ``|f|**2`` by ``w**2`` in ``h2``); returns
    ``(c, s, r)``.
    """
    rtmax = _D_RTMAX4
    if f2 >= h2 * _D_SAFMIN:
        c = math.sqrt(f2 / h2)
        r = _cdiv(f, c)
        if f2 > _D_RTMIN and h2 < rtmax * 2:
            s = _cdiv(f, math.sqrt(f2)) * _cdiv(g.conjugate(), math.sqrt(h2))
        else:
            s = g.conjugate() * _cdiv(r, h2)
    else:
        d = math.sqrt(f2 * h2)
        c = f2 / d
        r = _cdiv(f, c) if c >= _D_SAFMIN else _cmul(f, h2 / d)
        s = _cdiv(f, math.sqrt(f2)) * _cdiv(g.conjugate(), math.sqrt(h2))
    return c, s, r


def _zlartg_py(f: complex, g: complex) -> tuple[float, complex, complex]:
    """LAPACK 3.10 ``zlartg`` on Python complex numbers."""
    if g == 0:
        return 1.0, 0j, f
    if f == 0:
        if g.real == 0.0:
            r = abs(g.imag)
            return 0.0, _cdiv(g.conjugate(), r), complex(r)
        if g.imag == 0.0:
            r = abs(g.real)
            return 0.0, _cdiv(g.conjugate(), r), complex(r)
        g1 = max(abs(g.real), abs(g.imag))
        if _D_RTMIN < g1 < _D_RTMAX2:
            d = math.sqrt(_abssq(g))
            return 0.0, _cdiv(g.conjugate(), d), complex(d)
        u = min(_D_SAFMAX, max(_D_SAFMIN, g1))
        gs = _cdiv(g, u)
        d = math.sqrt(_abssq(gs))
        return 0.0, _cdiv(gs.conjugate(), d), complex(d * u)
    f1 = max(abs(f.real), abs(f.imag))
    g1 = max(abs(g.real), abs(g.imag))
    rtmax = _D_RTMAX4
    if _D_RTMIN < f1 < rtmax and _D_RTMIN < g1 < rtmax:
        # unscaled algorithm
        f2 = _abssq(f)
        return _zlartg_from_squares(f, g, f2, f2 + _abssq(g))
    # scaled algorithm
    u = min(_D_SAFMAX, max(_D_SAFMIN, f1, g1))
    gs = _cdiv(g, u)
    g2 = _abssq(gs)
    if f1 / u < _D_RTMIN:
        v = min(_D_SAFMAX, max(_D_SAFMIN, f1))
        w = v / u
        fs = _cdiv(f, v)
        f2 = _abssq(fs)
        h2 = f2 * w**2 + g2
    else:
        w = 1.0
        fs = _cdiv(f, u)
        f2 = _abssq(fs)
        h2 = f2 + g2
    c, s, r = _zlartg_from_squares(fs, gs, f2, h2)
    return c * w, s, _cmul(r, u)


def lartg_scalar(f: Any, g: Any) -> tuple[float, Any, Any]:
    """Plane rotation of two host scalars, LAPACK 3.10 ``dlartg``/``zlartg``.

    Computes in IEEE double on Python numbers: ``f`` and ``g`` are converted
    to ``complex`` if either is complex, else to ``float``.

    Parameters
    ----------
    f, g : float or complex
        The entries to rotate.

    Returns
    -------
    c : float
        The cosine, ``0 <= c <= 1``.
    s : float or complex
        The sine.
    r : float or complex
        ``c f + s g``; the rotation maps ``[f, g]`` to ``[r, 0]``.

    Examples
    --------
    >>> from pivotal.kernels.givens import lartg_scalar
    >>> lartg_scalar(3.0, 4.0)
    (0.6, 0.8, 5.0)
    >>> lartg_scalar(0.0, -2.0)
    (0.0, -1.0, 2.0)
    """
    if isinstance(f, (complex, np.complexfloating)) or isinstance(g, (complex, np.complexfloating)):
        return _zlartg_py(complex(f), complex(g))
    return _dlartg_py(float(f), float(g))


# --------------------------------------------------------------------------- vectorized lartg


def _make_complex(xp, re, im, like):
    if backend_name(like) == "torch":
        import torch

        return torch.complex(re, im)
    out = np.empty(np.shape(re), dtype=np.result_type(re, np.complex64))
    out.real = re
    out.imag = im
    return out


def _lartg_real_vec(xp, f, g, safmin: float, safmax: float):
    rtmin = math.sqrt(safmin)
    rtmax = math.sqrt(safmax / 2)
    f1 = xp.abs(f)
    g1 = xp.abs(g)
    gz = g == 0
    fz = (f == 0) & ~gz
    unscaled = (f1 > rtmin) & (f1 < rtmax) & (g1 > rtmin) & (g1 < rtmax)
    u = xp.where(unscaled, 1.0, xp.clip(xp.maximum(f1, g1), safmin, safmax))
    fs = f / u
    gs = g / u
    d = xp.sqrt(fs * fs + gs * gs)
    c = xp.abs(fs) / d
    r = xp.copysign(d, f)
    s = gs / r
    r = r * u
    one = xp.ones_like(f)
    zero = xp.zeros_like(f)
    c = xp.where(gz, one, xp.where(fz, zero, c))
    s = xp.where(gz, zero, xp.where(fz, xp.copysign(one, g), s))
    r = xp.where(gz, f, xp.where(fz, g1, r))
    return c, s, r


def _lartg_complex_vec(xp, f, g, safmin: float, safmax: float):
    rtmin = math.sqrt(safmin)
    rtmax4 = math.sqrt(safmax / 4)
    rtmax2 = math.sqrt(safmax / 2)

    def mk(re, im):
        return _make_complex(xp, re, im, f)

    def cdiv(z, d):
        return mk(xp.real(z) / d, xp.imag(z) / d)

    def cmul(z, d):
        return mk(xp.real(z) * d, xp.imag(z) * d)

    def abssq(z):
        return xp.real(z) ** 2 + xp.imag(z) ** 2

    gz = g == 0
    fz = (f == 0) & ~gz
    f1 = xp.maximum(xp.abs(xp.real(f)), xp.abs(xp.imag(f)))
    g1 = xp.maximum(xp.abs(xp.real(g)), xp.abs(xp.imag(g)))

    # general case: f != 0 and g != 0
    unscaled = (f1 > rtmin) & (f1 < rtmax4) & (g1 > rtmin) & (g1 < rtmax4)
    u = xp.where(unscaled, 1.0, xp.clip(xp.maximum(f1, g1), safmin, safmax))
    gs = cdiv(g, u)
    g2 = abssq(gs)
    small_f = ~unscaled & (f1 / u < rtmin)
    v = xp.where(small_f, xp.clip(f1, safmin, safmax), u)
    w = v / u  # exactly 1 unless f is scaled separately
    fs = cdiv(f, v)
    f2 = abssq(fs)
    h2 = xp.where(small_f, f2 * w**2 + g2, f2 + g2)
    sqf2 = xp.sqrt(f2)
    sqh2 = xp.sqrt(h2)
    s_prod = cdiv(fs, sqf2) * cdiv(xp.conj(gs), sqh2)
    # branch A: f2 >= h2 * safmin
    c_a = xp.sqrt(f2 / h2)
    r_a = cdiv(fs, c_a)
    s_a = xp.where((f2 > rtmin) & (h2 < rtmax4 * 2), s_prod, xp.conj(gs) * cdiv(r_a, h2))
    # branch B: f2 / h2 may underflow
    d = xp.sqrt(f2 * h2)
    c_b = f2 / d
    r_b = xp.where(c_b >= safmin, cdiv(fs, c_b), cmul(fs, h2 / d))
    branch_a = f2 >= h2 * safmin
    c = xp.where(branch_a, c_a, c_b) * w
    s = xp.where(branch_a, s_a, s_prod)
    r = cmul(xp.where(branch_a, r_a, r_b), u)

    # f == 0: r = |g| real, s = conj(g) / |g|
    re0 = xp.real(g) == 0
    im0 = xp.imag(g) == 0
    plain = re0 | im0 | ((g1 > rtmin) & (g1 < rtmax2))
    uz = xp.where(plain, 1.0, xp.clip(g1, safmin, safmax))
    gsz = cdiv(g, uz)
    dz = xp.where(re0, xp.abs(xp.imag(gsz)), xp.where(im0, xp.abs(xp.real(gsz)), xp.sqrt(abssq(gsz))))
    s_z = cdiv(xp.conj(gsz), dz)
    r_z = mk(dz * uz, xp.zeros_like(dz))

    one = xp.ones_like(f1)
    zero = xp.zeros_like(f1)
    czero = xp.zeros_like(f)
    c = xp.where(gz, one, xp.where(fz, zero, c))
    s = xp.where(gz, czero, xp.where(fz, s_z, s))
    r = xp.where(gz, f, xp.where(fz, r_z, r))
    return c, s, r


def _lartg_inputs(f: Any, g: Any):
    """Broadcast ``f``, ``g`` to arrays of one backend in their working dtype."""
    if backend_name(f) == "torch" or backend_name(g) == "torch":
        import torch

        like = f if backend_name(f) == "torch" else g
        f_t = f if backend_name(f) == "torch" else torch.as_tensor(f, device=like.device)
        g_t = g if backend_name(g) == "torch" else torch.as_tensor(g, device=like.device)
        dtype = working_dtype(torch.empty(0, dtype=torch.result_type(f, g)))
        f_t, g_t = torch.broadcast_tensors(f_t.to(dtype), g_t.to(dtype))
        return f_t, g_t, False
    if backend_name(f) == "jax" or backend_name(g) == "jax":
        raise TypeError(
            "lartg works on NumPy arrays, PyTorch tensors and scalars; convert JAX arrays with numpy.asarray."
        )
    dtype = working_dtype(np.empty(0, dtype=np.result_type(f, g)))
    scalar = np.ndim(f) == 0 and np.ndim(g) == 0
    f_a, g_a = np.broadcast_arrays(np.asarray(f, dtype=dtype), np.asarray(g, dtype=dtype))
    return f_a, g_a, scalar


def lartg(f: Any, g: Any):
    """Elementwise plane rotations with LAPACK 3.10 ``xLARTG`` conventions.

    For each pair ``(f, g)`` returns ``(c, s, r)`` with::

        [  c        s ] [f]   [r]
        [ -conj(s)  c ] [g] = [0],    c real, c**2 + |s|**2 = 1.

    Conventions (those of ``dlartg.f90``/``zlartg.f90``): ``c >= 0``; real
    input: ``r = sign(f) sqrt(f**2 + g**2)``, ``s = g / r``; complex input:
    ``r = sgn(f) sqrt(|f|**2 + |g|**2)``, ``s = sgn(f) conj(g) / |r|``;
    ``g == 0`` gives ``c = 1, s = 0, r = f``; ``f == 0 != g`` gives ``c = 0``
    and real ``r = |g|``.  The computation is scaled (Anderson's safe
    scaling), so no intermediate overflows or underflows.

    Parameters
    ----------
    f, g : array_like or torch.Tensor
        Broadcastable inputs (scalars allowed).  The result dtype follows
        pivotal's working-dtype rule (integers -> float64, float16 -> float32).

    Returns
    -------
    c : array
        Real cosines.
    s, r : array
        Sines and rotated values in the working dtype of ``f`` and ``g``.
        NumPy scalars are returned when both inputs are scalars.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.givens import lartg
    >>> c, s, r = lartg(np.array([3.0, 1e300, 0.0]), np.array([4.0, 1e300, -2.0]))
    >>> c, s
    (array([0.6       , 0.70710678, 0.        ]), array([ 0.8       ,  0.70710678, -1.        ]))
    >>> r
    array([5.00000000e+000, 1.41421356e+300, 2.00000000e+000])
    >>> c, s, r = lartg(1 + 1j, 1j)
    >>> bool(np.isclose(-np.conj(s) * (1 + 1j) + c * 1j, 0))
    True
    """
    f_a, g_a, scalar = _lartg_inputs(f, g)
    info = finfo(f_a.dtype)
    safmin = float(info.tiny)
    safmax = 1.0 / safmin
    xp = namespace(f_a)
    complex_input = bool(f_a.dtype.is_complex) if backend_name(f_a) == "torch" else f_a.dtype.kind == "c"
    with np.errstate(all="ignore"):
        if complex_input:
            c, s, r = _lartg_complex_vec(xp, f_a, g_a, safmin, safmax)
        else:
            c, s, r = _lartg_real_vec(xp, f_a, g_a, safmin, safmax)
    if scalar:
        return np.asarray(c)[()], np.asarray(s)[()], np.asarray(r)[()]
    return c, s, r


# --------------------------------------------------------------------------- applying rotations


def _conj(s: Any) -> Any:
    if isinstance(s, (float, int)):
        return s
    if isinstance(s, complex):
        return s.conjugate()
    if backend_name(s) == "torch":
        return s.conj()
    return np.conj(s)


def rot(x: Any, y: Any, c: Any, s: Any):
    """Apply a plane rotation to two rows/columns in place (LAPACK ``xROT``).

    Overwrites ``x`` with ``c x + s y`` and ``y`` with ``c y - conj(s) x``.

    Parameters
    ----------
    x, y : array or torch.Tensor
        Writable arrays (typically views such as ``a[i, j:]`` or ``q[:, j]``)
        of one shape.
    c : real scalar or array
        Cosine(s), broadcast against ``x``.
    s : scalar or array
        Sine(s).  A complex ``s`` needs complex ``x`` and ``y``.

    Returns
    -------
    (x, y)
        The same arrays, rotated.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.givens import lartg, rot
    >>> a = np.array([[3.0, 1.0], [4.0, 2.0]])
    >>> c, s, r = lartg(a[0, 0], a[1, 0])
    >>> _ = rot(a[0], a[1], c, s)
    >>> np.allclose(a, [[5.0, 2.2], [0.0, 0.4]])
    True
    """
    t = c * x + s * y
    y[...] = c * y - _conj(s) * x
    x[...] = t
    return x, y


def _is_identity(c: float, s: Any) -> bool:
    return c == 1.0 and s == 0


def _rot_cols(q: Any, i: int, j: int, c: float, s: Any) -> None:
    """``q <- q G^H`` for the rotation ``G`` acting on rows ``(i, j)``."""
    rot(q[:, i], q[:, j], c, _conj(s))


# --------------------------------------------------------------------------- rotation records


@dataclass
class Rotations:
    """A sequence of plane rotations ``G_1, ..., G_K`` of order ``size``.

    ``G_k`` acts on rows ``i[k]`` and ``j[k]`` as ``[c s; -conj(s) c]``.  For
    a QR factorization ``R = G_K ... G_1 A`` the orthogonal factor is
    ``Q = G_1^H G_2^H ... G_K^H`` (see :func:`apply_rotations`).

    Attributes
    ----------
    i, j : (K,) int64 ndarray
        The pair of rows of each rotation (host arrays).
    c : (K,) float64 ndarray
        Cosines.
    s : (K,) float64 or complex128 ndarray
        Sines.
    size : int
        The order ``m`` of the rotations (rows of ``A``).
    """

    i: np.ndarray
    j: np.ndarray
    c: np.ndarray
    s: np.ndarray
    size: int

    def __len__(self) -> int:
        return int(self.c.shape[0])

    @property
    def is_complex(self) -> bool:
        return self.s.dtype.kind == "c"

    @classmethod
    def from_lists(cls, i: list, j: list, c: list, s: list, size: int, complex_: bool) -> Rotations:
        return cls(
            np.asarray(i, dtype=np.int64),
            np.asarray(j, dtype=np.int64),
            np.asarray(c, dtype=np.float64),
            np.asarray(s, dtype=np.complex128 if complex_ else np.float64),
            int(size),
        )


_TRANS = {
    "N": "N",
    "n": "N",
    "T": "T",
    "t": "T",
    "C": "C",
    "c": "C",
    "H": "C",
    "h": "C",
    0: "N",
    1: "T",
    2: "C",
}


def apply_rotations(rotations: Rotations, c: Any, trans: str = "N", side: str = "left"):
    """Apply ``op(Q)`` of a rotation sequence to ``c`` in place.

    ``Q = G_1^H G_2^H ... G_K^H`` is the orthogonal factor that
    :func:`givens_qr` represents by its rotations.

    Parameters
    ----------
    rotations : Rotations
        The sequence, for example from :func:`givens_qr`.
    c : (M, K) or (K, M) array or torch.Tensor
        Overwritten with ``op(Q) @ c`` (``side="left"``, ``c`` has
        ``rotations.size`` rows) or ``c @ op(Q)`` (``side="right"``,
        ``rotations.size`` columns).  Complex rotations need complex ``c``.
    trans : {"N", "T", "C"}, optional
        ``op(Q)`` is ``Q``, ``Q^T`` or ``Q^H`` (``"H"`` and 0/1/2 are also
        accepted).  For real rotations ``"T"`` and ``"C"`` coincide.
    side : {"left", "right"}, optional

    Returns
    -------
    c
        The same array.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.givens import givens_qr, apply_rotations
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> r, rots = givens_qr(a.copy())
    >>> np.allclose(apply_rotations(rots, r.copy()), a)
    True
    >>> np.allclose(apply_rotations(rots, a.copy(), trans="C"), r)
    True
    """
    try:
        t = _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(f"trans must be 'N', 'T' or 'C' (got {trans!r}).") from None
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r}).")
    dim = c.shape[0] if side == "left" else c.shape[-1]
    if len(c.shape) != 2 or dim != rotations.size:
        where = "rows" if side == "left" else "columns"
        raise ValueError(
            f"c of shape {tuple(c.shape)} must be 2-D with {rotations.size} {where} "
            f"(the order of the rotations) for side={side!r}."
        )
    ii = rotations.i.tolist()
    jj = rotations.j.tolist()
    cc = rotations.c.tolist()
    ss = rotations.s.tolist()
    order = range(len(cc))
    if side == "left":
        reverse, sfun = {"C": (False, lambda s: s), "N": (True, lambda s: -s), "T": (False, _conj)}[t]
        rows = True
    else:
        reverse, sfun = {
            "N": (False, _conj),
            "C": (True, lambda s: -_conj(s)),
            "T": (True, lambda s: -s),
        }[t]
        rows = False
    if reverse:
        order = reversed(order)
    for k in order:
        ck, sk = cc[k], ss[k]
        if _is_identity(ck, sk):
            continue
        if rows:
            rot(c[ii[k]], c[jj[k]], ck, sfun(sk))
        else:
            rot(c[:, ii[k]], c[:, jj[k]], ck, sfun(sk))
    return c


def form_q(rotations: Rotations, like: Any = None, ncols: int | None = None):
    """Form ``Q = G_1^H ... G_K^H`` (or its first ``ncols`` columns) explicitly.

    Parameters
    ----------
    rotations : Rotations
    like : array or torch.Tensor, optional
        ``Q`` gets its backend, device and dtype (default: NumPy float64, or
        complex128 for complex rotations).
    ncols : int, optional
        Number of leading columns (``min(m, n)`` gives the economic factor);
        default ``rotations.size``.

    Returns
    -------
    q : (M, ncols) array

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.givens import givens_qr, form_q
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> r, rots = givens_qr(a.copy())
    >>> q = form_q(rots)
    >>> np.allclose(q @ r, a), np.allclose(q.T @ q, np.eye(3))
    (True, True)
    >>> np.allclose(form_q(rots, ncols=2) @ r[:2], a)
    True
    """
    m = rotations.size
    k = m if ncols is None else int(ncols)
    if not 0 <= k <= m:
        raise ValueError(f"ncols must be between 0 and {m} (got {ncols}).")
    if like is None:
        eye = np.eye(m, k, dtype=np.complex128 if rotations.is_complex else np.float64)
    elif backend_name(like) == "torch":
        import torch

        eye = torch.eye(m, k, dtype=like.dtype, device=like.device)
    else:
        eye = np.eye(m, k, dtype=np.asarray(like).dtype)
    return apply_rotations(rotations, eye, trans="N", side="left")


# --------------------------------------------------------------------------- Givens QR


def _check_structure(a: Any, p: int, structure: str) -> None:
    """Raise ``ValueError`` naming the first nonzero entry below the band."""
    m, n = a.shape
    if p >= m - 1 or n == 0:
        return
    xp = namespace(a)
    mask = to_numpy(xp.tril(a, k=-(p + 1)) != 0)
    bad = np.argwhere(mask)
    if bad.shape[0]:
        i, j = (int(v) for v in bad[0])
        value = a[i, j].item()
        rule = (
            "zeros below the first subdiagonal (a[i, j] == 0 for i > j + 1)"
            if structure == "hessenberg"
            else f"zeros below lower bandwidth {p} (a[i, j] == 0 for i > j + {p})"
        )
        raise ValueError(
            f"a[{i}, {j}] = {value!r} is nonzero, but structure={structure!r} requires {rule}. "
            "Use structure='dense' (or a larger lower_bandwidth) for this matrix."
        )


def _row_extents(a: Any) -> list[int]:
    """Index of the last nonzero column of each row (-1 for a zero row)."""
    m, n = a.shape
    if n == 0:
        return [-1] * m
    nz = to_numpy(a != 0)
    last = n - 1 - np.argmax(nz[:, ::-1], axis=1)
    last[~nz.any(axis=1)] = -1
    return last.tolist()


def _lower_bandwidth(structure: str, lower_bandwidth: Any, m: int) -> int:
    if structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES} (got {structure!r}).")
    if structure != "banded":
        if lower_bandwidth is not None:
            raise ValueError(
                f"lower_bandwidth is only used with structure='banded' (got structure={structure!r}); "
                "drop it or pass structure='banded'."
            )
        return max(m - 1, 0) if structure == "dense" else 1
    if lower_bandwidth is None:
        raise ValueError("structure='banded' needs lower_bandwidth=p (A[i, j] == 0 for i > j + p).")
    if isinstance(lower_bandwidth, bool) or int(lower_bandwidth) != lower_bandwidth or lower_bandwidth < 0:
        raise ValueError(f"lower_bandwidth must be a non-negative integer (got {lower_bandwidth!r}).")
    return int(lower_bandwidth)


def givens_qr(
    a: Any,
    structure: str = "dense",
    *,
    lower_bandwidth: int | None = None,
    q: Any = None,
    check: bool = True,
) -> tuple[Any, Rotations]:
    """Givens QR in place: ``a`` becomes ``R = G_K ... G_1 A``.

    Parameters
    ----------
    a : (M, N) array or torch.Tensor
        Writable matrix (real or complex floating point), overwritten with
        the upper trapezoidal ``R``; eliminated entries are set to exact
        zeros.
    structure : {"dense", "hessenberg", "banded"}, optional
        What is known about ``a``: dense, upper Hessenberg (zero below the
        first subdiagonal), or banded with ``lower_bandwidth`` subdiagonals.
    lower_bandwidth : int, keyword-only
        ``p`` for ``structure="banded"`` (``a[i, j] == 0`` for ``i > j + p``).
    q : (K, M) array, keyword-only, optional
        If given, overwritten with ``q @ Q`` (each rotation is applied to its
        columns as ``q <- q G^H``): pass the current orthogonal factor to keep
        ``q @ a`` invariant, as the QR updates do.
    check : bool, keyword-only
        Verify the claimed structure (``ValueError`` naming the first
        offending entry otherwise).

    Returns
    -------
    r : array
        ``a`` itself, now upper trapezoidal.
    rotations : Rotations
        ``G_1, ..., G_K`` on rows ``(i-1, i)``; ``A = Q R`` with
        ``Q = G_1^H ... G_K^H`` (:func:`form_q`, :func:`apply_rotations`).
        Every structural rotation is recorded (an exact zero gives the
        identity, which is recorded but not applied), so the count is
        ``min(m-1, n)`` for Hessenberg and ``sum_j min(p, m-1-j)`` for banded.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.givens import givens_qr, form_q
    >>> h = np.triu(np.arange(1.0, 17.0).reshape(4, 4), -1)   # upper Hessenberg
    >>> r, rots = givens_qr(h.copy(), "hessenberg")
    >>> len(rots), np.allclose(form_q(rots) @ r, h)
    (3, True)
    >>> bool(np.all(np.tril(r, -1) == 0))
    True
    """
    if len(a.shape) != 2:
        raise ValueError(f"givens_qr expects a 2-D array, got shape {tuple(a.shape)}.")
    m, n = a.shape
    p = _lower_bandwidth(structure, lower_bandwidth, m)
    if q is not None and q.shape[-1] != m:
        raise ValueError(f"q must have {m} columns to accumulate the rotations (got shape {tuple(q.shape)}).")
    if check:
        _check_structure(a, p, structure)
    complex_ = bool(a.dtype.is_complex) if backend_name(a) == "torch" else np.dtype(a.dtype).kind == "c"
    ext = _row_extents(a) if structure == "banded" else [n - 1] * m
    ri: list[int] = []
    rj: list[int] = []
    rc: list[float] = []
    rs: list[Any] = []
    for j in range(min(m - 1, n)):
        bottom = min(m - 1, j + p)
        for i in range(bottom, j, -1):
            f = a[i - 1, j].item()
            g = a[i, j].item()
            c, s, r = lartg_scalar(f, g)
            ri.append(i - 1)
            rj.append(i)
            rc.append(c)
            rs.append(s)
            if g == 0:  # identity rotation: c = 1, s = 0, r = f
                continue
            e = max(ext[i - 1], ext[i])
            ext[i - 1] = ext[i] = e
            if e > j:
                rot(a[i - 1, j + 1 : e + 1], a[i, j + 1 : e + 1], c, s)
            a[i - 1, j] = r
            a[i, j] = 0
            if q is not None:
                _rot_cols(q, i - 1, i, c, s)
    return a, Rotations.from_lists(ri, rj, rc, rs, m, complex_)
