"""Bunch-Kaufman ``LDL^T`` / ``LDL^H`` factorization of symmetric indefinite matrices.

``A = P L D L^H P^T`` (or ``L D L^T`` for complex symmetric ``A``), where ``L``
is unit lower triangular, ``D`` is block diagonal with 1x1 and 2x2 blocks and
``P`` holds the symmetric interchanges chosen by Bunch and Kaufman's partial
pivoting.  The kernels work on NumPy arrays and PyTorch tensors alike and
overwrite their argument with the compact factors in LAPACK's ``?sytrf`` /
``?hetrf`` layout, so that factors produced here and by LAPACK (SciPy,
``torch.linalg.ldl_factor``) are interchangeable.

Algorithms
----------
* ``block_size=1``: the textbook right-looking algorithm, LAPACK ``dsytf2``:
  one pivot decision per step followed by a rank-1 (1x1 pivot) or rank-2
  (2x2 pivot) update of the trailing matrix.
* ``block_size=nb > 1``: LAPACK ``dsytrf``/``dlasyf``.  A panel of ``nb``
  columns is factored left-looking: each column of the Schur complement is
  formed only when it is needed, as ``W[:, k] = A[:, k] - L[:, :k] W[k, :k]^H``
  with ``W = L D``, so that the trailing matrix is updated once per panel by
  matrix products (``A22 -= L21 W21^H``, BLAS-3).  As in ``dlasyf`` the panel
  stops after ``nb - 1`` columns unless its last pivot is a 2x2 block, so it
  holds ``nb - 1`` or ``nb`` columns.
* ``block_size=None`` means ``nb = DEFAULT_BLOCK_SIZE`` (64).  As in LAPACK,
  matrices (and trailing matrices) of order ``<= nb`` are factored by the
  unblocked algorithm, so small matrices use ``dsytf2``.  Measured with
  NumPy/OpenBLAS and PyTorch on CPU, the blocked kernel is as fast as the
  unblocked one from ``n ~ 64`` up and about 6x faster at ``n = 1000``.

Pivoting (``alpha = (1 + sqrt(17)) / 8``) makes exactly LAPACK's decisions:
with ``colmax`` the largest off-diagonal entry of column ``k`` (row ``r``) and
``rowmax`` the largest off-diagonal entry of row/column ``r``, the 1x1 pivot
``a_kk`` is used if ``|a_kk| >= alpha colmax`` or
``|a_kk| >= alpha colmax^2 / rowmax``; else the 1x1 pivot ``a_rr`` (after
interchanging ``k`` and ``r``) if ``|a_rr| >= alpha rowmax``; otherwise the
2x2 pivot on rows ``k`` and ``r`` (``r`` is moved to ``k + 1``).  As in
LAPACK the magnitudes of complex entries are measured with
``|Re z| + |Im z|`` (``cabs1``), and Hermitian diagonals by ``|Re z|``; the
first maximal entry wins ties.  The resulting growth factor is at most
``(1 + 1/alpha)^(n-1) ~ 2.57^(n-1)``; the entries of ``L`` are *not* bounded
in general (bounded Bunch-Kaufman, i.e. rook pivoting, is needed for that).

Storage (``LDLKernelResult``)
-----------------------------
``factors``
    The input array, overwritten.  With ``lower=True`` the strict lower
    triangle holds the multipliers of ``L`` and the diagonal and first
    subdiagonal hold ``D``: for a 2x2 block on rows ``k, k+1`` the entry
    ``factors[k+1, k]`` is ``D[k+1, k]`` (``D[k, k+1]`` is its conjugate, or
    itself when complex symmetric) and the multiplier position
    ``L[k+1, k]`` is an implicit zero.  With ``lower=False`` the mirror
    image: ``U`` in the strict upper triangle and ``D[k-1, k]`` of a 2x2
    block on rows ``k-1, k`` on the superdiagonal.  Column ``j`` of ``L``
    holds the multipliers in the row order of step ``j`` (later interchanges
    are not applied to it): LAPACK's ``L = P(1) L(1) P(2) L(2) ...``.  The
    other triangle is neither read nor written.  For Hermitian input the
    diagonal of ``D`` is stored with a zero imaginary part.
``ipiv``
    Host NumPy ``int64`` array, LAPACK's ``IPIV`` made 0-based:

    - ``ipiv[k] >= 0``: 1x1 block ``D[k, k]``; rows and columns ``k`` and
      ``ipiv[k]`` were interchanged before the step.
    - ``ipiv[k] == ipiv[k+1] < 0`` (lower): 2x2 block on rows ``k, k+1``;
      rows and columns ``k+1`` and ``-ipiv[k] - 1`` were interchanged.
    - ``ipiv[k-1] == ipiv[k] < 0`` (upper): 2x2 block on rows ``k-1, k``;
      rows and columns ``k-1`` and ``-ipiv[k] - 1`` were interchanged.

    So negative entries equal LAPACK's and nonnegative ones are LAPACK's
    minus one: ``lapack_ipiv = where(ipiv >= 0, ipiv + 1, ipiv)``
    (:meth:`LDLKernelResult.lapack_ipiv`).
``info``
    0, or the 1-based index ``k`` of the first exactly zero 1x1 block
    ``D[k-1, k-1] == 0`` met by the algorithm (LAPACK's convention; the
    upper algorithm runs from the last column backwards, so there it is the
    largest such index).  The factorization is completed anyway; 2x2 blocks
    are nonsingular by construction.

``lower=False`` is computed as the lower factorization of the reversed
matrix ``J A J`` (``J`` the exchange matrix) and mapped back, which is what
LAPACK's upper algorithm computes (up to ties in the pivot search, which
LAPACK breaks towards the top and this kernel towards the bottom).

References
----------
J. R. Bunch and L. Kaufman, "Some stable methods for calculating inertia and
solving symmetric linear systems", Math. Comp. 31(137), 1977.
N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
SIAM 2002, ch. 11.
E. Anderson et al., *LAPACK Users' Guide*, 3rd ed., SIAM 1999
(``dsytf2``, ``dlasyf``, ``dsytrf``, ``zhetf2``, ``dsytrs``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from .._array import namespace, to_numpy
from .._backends import get_backend
from .._scaling import ldexp
from ..errors import SingularMatrixError

__all__ = [
    "ALPHA",
    "DEFAULT_BLOCK_SIZE",
    "LDLKernelResult",
    "ldl_abs_product_norm",
    "ldl_inertia",
    "ldl_kernel",
    "ldl_scale_d",
    "ldl_slogdet",
    "ldl_solve",
    "ldl_unpack",
    "sytf2",
    "sytrf_blocked",
]

ALPHA = (1.0 + math.sqrt(17.0)) / 8.0
"""Bunch-Kaufman's threshold, which minimises the bound on element growth."""

DEFAULT_BLOCK_SIZE = 64
"""Panel width of the blocked algorithm when ``block_size=None``."""

_UNBLOCKED_STRIP = 128  # column strip of the lower-triangle rank-1/rank-2 updates


@dataclass
class LDLKernelResult:
    """Compact Bunch-Kaufman factors in LAPACK's ``?sytrf`` layout.

    Attributes
    ----------
    factors : (n, n) array
        ``L`` (or ``U``) and ``D`` in one triangle; see the module docstring.
    ipiv : (n,) numpy.ndarray of int64
        0-based LAPACK interchange vector: ``>= 0`` for 1x1 blocks, both
        entries ``-(p + 1)`` for a 2x2 block interchanged with row ``p``.
    info : int
        0, or the 1-based index of the first exactly zero 1x1 block of ``D``.
    lower : bool
        ``A = L D L^H`` from the lower triangle, or ``U D U^H`` from the upper.
    hermitian : bool
        ``L D L^H`` (Hermitian) or ``L D L^T`` (complex symmetric); the two
        coincide for real dtypes.
    """

    factors: Any
    ipiv: np.ndarray
    info: int
    lower: bool
    hermitian: bool

    def lapack_ipiv(self) -> np.ndarray:
        """LAPACK's 1-based ``IPIV`` (for ``?sytrs``, ``?hetrs``, ``?sytri``...)."""
        ipiv = np.asarray(self.ipiv)
        return np.where(ipiv >= 0, ipiv + 1, ipiv).astype(np.int64)


# --------------------------------------------------------------------------- helpers


class _Ctx:
    """Per-call constants: namespace, backend, conjugation mode, masks."""

    __slots__ = ("_masks", "backend", "cplx", "device", "herm", "sfmin", "xp")

    def __init__(self, a: Any, hermitian: bool):
        self.xp = namespace(a)
        self.backend = get_backend(a)
        self.cplx = bool(self.xp.isdtype(a.dtype, "complex floating"))
        self.herm = self.cplx and bool(hermitian)
        self.device = array_api_compat.device(a)
        self._masks: dict[int, Any] = {}
        # Smallest normal number: below it 1/d overflows (LAPACK's SFMIN test in xSYTF2).
        self.sfmin = float(self.xp.finfo(a.dtype).smallest_normal)

    def divide(self, x: Any, d: complex) -> Any:
        """``x / d`` as LAPACK's ``xSYTF2``: times ``1/d``, or by division when ``|d|`` is subnormal."""
        return x * (1.0 / d) if abs(d) >= self.sfmin else x / d

    def cj(self, x: Any) -> Any:
        """``conj(x)`` for Hermitian factorizations, ``x`` otherwise."""
        return self.xp.conj(x) if self.herm else x

    def vabs(self, x: Any) -> Any:
        """LAPACK's magnitude: ``|x|`` for real, ``|Re x| + |Im x|`` for complex."""
        xp = self.xp
        if self.cplx:
            return xp.abs(xp.real(x)) + xp.abs(xp.imag(x))
        return xp.abs(x)

    def sabs(self, z: complex) -> float:
        """Scalar version of :meth:`vabs`."""
        if self.cplx:
            return abs(z.real) + abs(z.imag)
        return abs(z)

    def dabs(self, z: complex) -> float:
        """Magnitude of a diagonal entry (``|Re z|`` when Hermitian)."""
        return abs(z.real) if self.herm else self.sabs(z)

    def iamax(self, x: Any) -> tuple[int, float]:
        """Index and value of the first largest magnitude in ``x`` (LAPACK ``i?amax``)."""
        v = self.vabs(x)
        i = int(self.xp.argmax(v))
        return i, float(v[i])

    def amax(self, x: Any) -> float:
        return float(self.xp.max(self.vabs(x)))

    def lower_mask(self, s: int) -> Any:
        """Boolean ``(s, s)`` mask of the lower triangle (diagonal included)."""
        m = self._masks.get(s)
        if m is None:
            r = self.xp.arange(s, device=self.device)
            m = r[:, None] >= r[None, :]
            self._masks[s] = m
        return m


def _copy(x: Any, xp) -> Any:
    return xp.asarray(x, copy=True)


def _lower_update(c: Any, x: Any, y: Any, strip: int, ctx: _Ctx) -> None:
    """``c -= x @ y`` on the lower triangle of the square ``c`` only, in place.

    Works in column strips of width ``strip``: the rectangle below each
    diagonal block goes through the backend's in-place ``gemm_update``; the
    diagonal block is updated through a mask so that the strict upper
    triangle of ``c`` is never read into the result nor written.
    """
    m = c.shape[0]
    xp = ctx.xp
    for j0 in range(0, m, strip):
        j1 = min(j0 + strip, m)
        if j1 < m:
            ctx.backend.gemm_update(c[j1:, j0:j1], x[j1:, :], y[:, j0:j1])
        t = x[j0:j1, :] @ y[:, j0:j1]
        s = j1 - j0
        mask = ctx.lower_mask(strip)[:s, :s]
        c[j0:j1, j0:j1] -= xp.where(mask, t, xp.zeros_like(t))


def _multipliers_2x2(w0: Any, w1: Any, e11, e21, e22, herm: bool, sfmin: float):
    """Columns ``(l0, l1)`` of ``[l0 l1] E = [w0 w1]`` for the 2x2 pivot ``E``.

    ``E = [[e11, conj(e21)], [e21, e22]]`` (Hermitian, real diagonal) or
    ``[[e11, e21], [e21, e22]]``.  LAPACK's scaled formulas (``dsytf2``,
    ``zhetf2``): divide by the off-diagonal entry first, which is the
    largest entry of ``E`` in magnitude for a Bunch-Kaufman pivot, so that
    ``d11 * d22 - 1`` involves no cancellation (``|d11 d22| < alpha^2``).
    """
    if herm:
        d = abs(e21)
        d11 = e22 / d
        d22 = e11 / d
        tt = 1.0 / (d11 * d22 - 1.0)
        u = e21 / d
        l0, l1 = d11 * w0 - u * w1, d22 * w1 - u.conjugate() * w0
        if d < sfmin:  # tt / d would overflow: divide the (equally tiny) numerators instead
            return (tt * l0) / d, (tt * l1) / d
        dd = tt / d
        return dd * l0, dd * l1
    d11 = e22 / e21
    d22 = e11 / e21
    t = 1.0 / (d11 * d22 - 1.0)
    l0, l1 = d11 * w0 - w1, d22 * w1 - w0
    if abs(e21) < sfmin:
        return (t * l0) / e21, (t * l1) / e21
    d21 = t / e21
    return d21 * l0, d21 * l1


def _interchange(a: Any, kk: int, kp: int, ctx: _Ctx) -> None:
    """Symmetric interchange of rows/columns ``kk < kp`` in the lower triangle of ``a``.

    Only the trailing matrix ``a[kk:, kk:]`` is touched (``dsytf2``): the
    columns before ``kk`` keep the row order of their own step.
    """
    n = a.shape[0]
    xp = ctx.xp
    if kp < n - 1:
        a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
    if kp - kk > 1:
        t = _copy(a[kk + 1 : kp, kk], xp)
        a[kk + 1 : kp, kk] = ctx.cj(a[kp, kk + 1 : kp])
        a[kp, kk + 1 : kp] = ctx.cj(t)
    if ctx.herm:
        a[kp, kk] = a[kp, kk].item().conjugate()
    dkk, dkp = a[kk, kk].item(), a[kp, kp].item()
    if ctx.herm:
        dkk, dkp = dkk.real, dkp.real
    a[kk, kk] = dkp
    a[kp, kp] = dkk


def _decide(absakk: float, colmax: float, rowmax: float, absarr: float) -> tuple[bool, int]:
    """Bunch-Kaufman's choice once ``|a_kk| < alpha colmax``: ``(interchange, kstep)``."""
    if absakk >= ALPHA * colmax * (colmax / rowmax):
        return False, 1
    if absarr >= ALPHA * rowmax:
        return True, 1
    return True, 2


# --------------------------------------------------------------------------- unblocked


def _sytf2_lower(a: Any, ctx: _Ctx) -> tuple[np.ndarray, int]:
    """LAPACK ``dsytf2`` (lower) in place on the square ``a``; 0-based local ipiv."""
    n = a.shape[0]
    ipiv = np.empty(n, dtype=np.int64)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        akk = a[k, k].item()
        absakk = ctx.dabs(akk)
        if k < n - 1:
            i, colmax = ctx.iamax(a[k + 1 :, k])
            imax = k + 1 + i
        else:
            imax, colmax = k, 0.0
        if (absakk == 0.0 and colmax == 0.0) or math.isnan(absakk):
            # Column k is zero (or NaN): nothing to eliminate; D[k, k] = a[k, k].
            if info == 0:
                info = k + 1
            kp = k
            if ctx.herm:
                a[k, k] = akk.real
        else:
            if absakk >= ALPHA * colmax:
                kp = k
            else:
                rowmax = ctx.amax(a[imax, k:imax])
                if imax < n - 1:
                    rowmax = max(rowmax, ctx.amax(a[imax + 1 :, imax]))
                swap, kstep = _decide(absakk, colmax, rowmax, ctx.dabs(a[imax, imax].item()))
                kp = imax if swap else k
            kk = k + kstep - 1
            if kp != kk:
                _interchange(a, kk, kp, ctx)
                if kstep == 2:
                    a[[k + 1, kp], k] = a[[kp, k + 1], k]
            if kstep == 1:
                d = a[k, k].item()
                if ctx.herm:
                    d = d.real
                    a[k, k] = d
                if k < n - 1:
                    x = a[k + 1 :, k]
                    l = ctx.divide(x, d)
                    _lower_update(a[k + 1 :, k + 1 :], x[:, None], ctx.cj(l)[None, :], _UNBLOCKED_STRIP, ctx)
                    a[k + 1 :, k] = l
            else:
                e11, e21, e22 = a[k, k].item(), a[k + 1, k].item(), a[k + 1, k + 1].item()
                if ctx.herm:
                    e11, e22 = e11.real, e22.real
                    a[k, k] = e11
                    a[k + 1, k + 1] = e22
                if k < n - 2:
                    w = a[k + 2 :, k : k + 2]
                    l0, l1 = _multipliers_2x2(w[:, 0], w[:, 1], e11, e21, e22, ctx.herm, ctx.sfmin)
                    lmat = ctx.xp.stack([l0, l1], axis=1)
                    _lower_update(a[k + 2 :, k + 2 :], w, ctx.cj(lmat).T, _UNBLOCKED_STRIP, ctx)
                    a[k + 2 :, k] = l0
                    a[k + 2 :, k + 1] = l1
        if kstep == 1:
            ipiv[k] = kp
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return ipiv, info


# --------------------------------------------------------------------------- blocked


def _lasyf_lower(a: Any, nb: int, ctx: _Ctx) -> tuple[int, np.ndarray, int]:
    """LAPACK ``dlasyf`` (lower): factor ``nb - 1`` or ``nb`` columns of ``a`` (order > nb).

    Returns ``(kb, ipiv, info)`` with ``kb`` the number of columns factored;
    the trailing matrix ``a[kb:, kb:]`` has been updated.
    """
    xp = ctx.xp
    m = a.shape[0]
    w = xp.zeros((m, nb), dtype=a.dtype, device=ctx.device)
    ipiv = np.empty(nb, dtype=np.int64)
    info = 0
    k = 0
    while k < nb - 1:  # m > nb, so column k + 1 of w exists and k < m - 1
        # Column k of the Schur complement: W[:, k] = A[:, k] - L[:, :k] (L D)[k, :k]^H.
        w[k:, k] = a[k:, k]
        if k:
            w[k:, k] -= a[k:, :k] @ ctx.cj(w[k, :k])
        wkk = w[k, k].item()
        if ctx.herm:
            wkk = wkk.real
            w[k, k] = wkk
        absakk = ctx.dabs(wkk)
        i, colmax = ctx.iamax(w[k + 1 :, k])
        imax = k + 1 + i
        kstep = 1
        if (absakk == 0.0 and colmax == 0.0) or math.isnan(absakk):
            if info == 0:
                info = k + 1
            kp = k
            a[k:, k] = w[k:, k]
        else:
            if absakk >= ALPHA * colmax:
                kp = k
            else:
                # Column imax of the Schur complement into W[:, k + 1].
                w[k:imax, k + 1] = ctx.cj(a[imax, k:imax])
                w[imax:, k + 1] = a[imax:, imax]
                if k:
                    w[k:, k + 1] -= a[k:, :k] @ ctx.cj(w[imax, :k])
                if ctx.herm:
                    w[imax, k + 1] = w[imax, k + 1].item().real
                rowmax = ctx.amax(w[k:imax, k + 1])
                if imax < m - 1:
                    rowmax = max(rowmax, ctx.amax(w[imax + 1 :, k + 1]))
                swap, kstep = _decide(absakk, colmax, rowmax, ctx.dabs(w[imax, k + 1].item()))
                kp = imax if swap else k
                if swap and kstep == 1:
                    w[k:, k] = w[k:, k + 1]
            kk = k + kstep - 1
            if kp != kk:
                # Move the (not yet updated) column kk to position kp, then
                # interchange rows kk and kp of the panel's L and of W.
                dkk = a[kk, kk].item()
                a[kp, kp] = dkk.real if ctx.herm else dkk
                if kp - kk > 1:
                    a[kp, kk + 1 : kp] = ctx.cj(a[kk + 1 : kp, kk])
                if kp < m - 1:
                    a[kp + 1 :, kp] = a[kp + 1 :, kk]
                if kk:
                    a[[kk, kp], :kk] = a[[kp, kk], :kk]
                w[[kk, kp], : kk + 1] = w[[kp, kk], : kk + 1]
            if kstep == 1:
                a[k:, k] = w[k:, k]
                d = w[k, k].item()
                if ctx.herm:
                    d = d.real
                a[k + 1 :, k] = ctx.divide(a[k + 1 :, k], d)
            else:
                e11, e21, e22 = w[k, k].item(), w[k + 1, k].item(), w[k + 1, k + 1].item()
                if ctx.herm:
                    e11, e22 = e11.real, e22.real
                if k < m - 2:
                    l0, l1 = _multipliers_2x2(
                        w[k + 2 :, k], w[k + 2 :, k + 1], e11, e21, e22, ctx.herm, ctx.sfmin
                    )
                    a[k + 2 :, k] = l0
                    a[k + 2 :, k + 1] = l1
                a[k, k] = e11
                a[k + 1, k] = e21
                a[k + 1, k + 1] = e22
        if kstep == 1:
            ipiv[k] = kp
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    kb = k
    # A22 -= L21 D L21^H = L21 W21^H on the lower triangle (BLAS-3).
    _lower_update(a[kb:, kb:], a[kb:, :kb], ctx.cj(w[kb:, :kb]).T, nb, ctx)
    # Undo the row interchanges in the earlier columns of the panel, so that
    # each column keeps the row order of its own step (dsytf2's layout).
    j = kb - 1
    while j >= 0:
        jj = j
        jp = int(ipiv[j])
        if jp < 0:
            jp = -jp - 1
            j -= 1
        j -= 1
        if jp != jj and j >= 0:
            a[[jp, jj], : j + 1] = a[[jj, jp], : j + 1]
    return kb, ipiv[:kb], info


def _shift_ipiv(piv: np.ndarray, k: int) -> np.ndarray:
    return np.where(piv >= 0, piv + k, piv - k)


def _sytrf_lower(a: Any, nb: int, ctx: _Ctx) -> tuple[np.ndarray, int]:
    """LAPACK ``dsytrf`` (lower): blocked panels while more than ``nb`` columns remain."""
    n = a.shape[0]
    ipiv = np.empty(n, dtype=np.int64)
    info = 0
    k = 0
    if nb > 1:
        while n - k > nb:
            kb, piv, inf = _lasyf_lower(a[k:, k:], nb, ctx)
            ipiv[k : k + kb] = _shift_ipiv(piv, k)
            if inf and not info:
                info = inf + k
            k += kb
    if k < n:
        piv, inf = _sytf2_lower(a[k:, k:], ctx)
        ipiv[k:] = _shift_ipiv(piv, k)
        if inf and not info:
            info = inf + k
    return ipiv, info


def _reverse_ipiv(ipiv: np.ndarray) -> np.ndarray:
    """Map an ipiv between ``A`` and the reversed matrix ``J A J`` (an involution)."""
    ipiv = np.asarray(ipiv, dtype=np.int64)
    n = ipiv.shape[0]
    return np.where(ipiv >= 0, n - 1 - ipiv, -(n + ipiv + 1))[::-1].copy()


def _check_square(a: Any) -> None:
    if len(a.shape) != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"expected a square 2-D array, got shape {tuple(a.shape)}.")


def _default_block_size(n: int) -> int:
    # Orders <= nb fall through to the unblocked algorithm inside _sytrf_lower.
    return DEFAULT_BLOCK_SIZE


def _factor(a: Any, lower: bool, hermitian: bool, nb: int) -> LDLKernelResult:
    _check_square(a)
    xp = namespace(a)
    if not xp.isdtype(a.dtype, ("real floating", "complex floating")):
        raise TypeError(
            f"the LDL kernel needs a floating-point array, got {a.dtype}; convert it first "
            "(pivotal._array.working_copy)."
        )
    n = a.shape[0]
    if n == 0:
        return LDLKernelResult(a, np.empty(0, dtype=np.int64), 0, bool(lower), bool(hermitian))
    ctx = _Ctx(a, hermitian)
    if lower:
        ipiv, info = _sytrf_lower(a, nb, ctx)
    else:
        # U D U^H of A is the reversal of the L D L^H of J A J.
        b = _copy(xp.flip(a, axis=(0, 1)), xp)
        ipiv, info = _sytrf_lower(b, nb, ctx)
        a[...] = xp.flip(b, axis=(0, 1))
        ipiv = _reverse_ipiv(ipiv)
        if info:
            info = n + 1 - info
    return LDLKernelResult(a, ipiv, int(info), bool(lower), bool(hermitian))


def sytf2(a: Any, *, lower: bool = True, hermitian: bool = True) -> LDLKernelResult:
    """Unblocked Bunch-Kaufman factorization (LAPACK ``?sytf2``/``?hetf2``), in place.

    Parameters
    ----------
    a : (n, n) array
        Overwritten with the compact factors; see :func:`ldl_kernel`.
    lower, hermitian : bool, optional
        As in :func:`ldl_kernel`.

    Returns
    -------
    LDLKernelResult
        Same as ``ldl_kernel(a, lower=lower, hermitian=hermitian, block_size=1)``.
    """
    return _factor(a, lower, hermitian, 1)


def sytrf_blocked(a: Any, block_size: int, *, lower: bool = True, hermitian: bool = True) -> LDLKernelResult:
    """Blocked Bunch-Kaufman factorization (LAPACK ``?sytrf``/``?lasyf``), in place.

    Parameters
    ----------
    a : (n, n) array
        Overwritten with the compact factors; see :func:`ldl_kernel`.
    block_size : int
        Panel width ``nb >= 1``; ``1`` (or ``nb >= n``) is the unblocked algorithm.
    lower, hermitian : bool, optional
        As in :func:`ldl_kernel`.

    Returns
    -------
    LDLKernelResult
        Same as ``ldl_kernel(a, lower=lower, hermitian=hermitian, block_size=block_size)``.
    """
    return _factor(a, lower, hermitian, max(1, int(block_size)))


def ldl_kernel(
    a: Any,
    *,
    lower: bool = True,
    hermitian: bool = True,
    block_size: int | None = None,
) -> LDLKernelResult:
    """Bunch-Kaufman factorization ``A = L D L^H`` of a symmetric/Hermitian matrix, in place.

    Parameters
    ----------
    a : (n, n) array
        Floating-point NumPy array or PyTorch tensor (real or complex),
        overwritten with the compact factors.  Only the ``lower`` (or upper)
        triangle is read and written; the other triangle may hold anything,
        NaN included, and is left as it is.
    lower : bool, optional
        Factor the lower triangle as ``L D L^H`` (default) or the upper one as
        ``U D U^H``.
    hermitian : bool, optional
        For complex ``a``: Hermitian ``A = L D L^H`` (default; the imaginary
        parts of the diagonal are ignored) or complex symmetric
        ``A = L D L^T``.  No effect for real dtypes.
    block_size : int, optional
        1: unblocked algorithm (``dsytf2``, rank-1/rank-2 updates).  ``nb > 1``:
        blocked algorithm (``dlasyf`` panels of ``nb - 1`` or ``nb`` columns,
        BLAS-3 trailing update).  ``None`` (default): ``DEFAULT_BLOCK_SIZE``
        (64).  Orders ``<= nb`` always use the unblocked algorithm.

    Returns
    -------
    LDLKernelResult
        ``factors`` (``a`` itself), ``ipiv`` (host int64, 0-based LAPACK
        convention), ``info``, ``lower`` and ``hermitian``.  See the module
        docstring for the layout.

    Raises
    ------
    ValueError
        If ``a`` is not square or ``block_size`` is not a positive integer.
    TypeError
        If ``a`` is not floating point.

    Notes
    -----
    A zero pivot column does not stop the factorization: ``info`` records the
    first exactly zero 1x1 block of ``D`` and the remaining columns are
    factored, as in LAPACK.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_unpack
    >>> A = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> res = ldl_kernel(A.copy())
    >>> res.ipiv.tolist(), res.info
    ([-3, -3, 2], 0)
    >>> lu, d, perm = ldl_unpack(res)
    >>> np.allclose(lu @ d @ lu.T, A)
    True
    """
    if block_size is None:
        nb = _default_block_size(int(a.shape[0]) if len(a.shape) else 0)
    else:
        if isinstance(block_size, bool) or int(block_size) != block_size or block_size < 1:
            raise ValueError(f"block_size must be a positive integer or None, got {block_size!r}.")
        nb = int(block_size)
    return _factor(a, lower, hermitian, nb)


# --------------------------------------------------------------------------- using the factors


def _as_lower(result: LDLKernelResult) -> tuple[Any, np.ndarray]:
    """The factors as a lower-triangle factorization: ``(compact, ipiv)``.

    For ``lower=False`` this is the reversed copy of the factors (the lower
    factorization of ``J A J``); otherwise the factors themselves.
    """
    c = result.factors
    if result.lower:
        return c, np.asarray(result.ipiv, dtype=np.int64)
    xp = namespace(c)
    return xp.flip(c, axis=(0, 1)), _reverse_ipiv(result.ipiv)


def _steps(ipiv: np.ndarray) -> tuple[list[int], list[int], list[tuple[int, int, int]]]:
    """Parse a lower ipiv: 1x1 block starts, 2x2 block starts, and ``(step, r, p)`` interchanges."""
    n = ipiv.shape[0]
    ones: list[int] = []
    twos: list[int] = []
    swaps: list[tuple[int, int, int]] = []
    piv = ipiv.tolist()
    k = 0
    while k < n:
        v = piv[k]
        if v >= 0:
            if v < k or v >= n:
                raise ValueError(f"invalid ipiv: entry {k} is {v}")
            ones.append(k)
            if v != k:
                swaps.append((k, k, v))
            k += 1
        else:
            p = -v - 1
            if k + 1 >= n or piv[k + 1] != v or p <= k or p >= n:
                raise ValueError(
                    f"invalid ipiv: 2x2 block at {k} is not encoded as two equal negative entries"
                )
            twos.append(k)
            if p != k + 1:
                swaps.append((k, k + 1, p))
            k += 2
    return ones, twos, swaps


def _host_blocks(result: LDLKernelResult):
    """Host copies of ``D``: ``(diag, offdiag, ones, twos)`` in lower coordinates."""
    c, ipiv = _as_lower(result)
    xp = namespace(c)
    n = c.shape[0]
    diag = to_numpy(xp.linalg.diagonal(c))
    off = to_numpy(xp.linalg.diagonal(c, offset=-1)) if n > 1 else diag[:0]
    ones, twos, _ = _steps(ipiv)
    return diag, off, np.asarray(ones, dtype=np.int64), np.asarray(twos, dtype=np.int64)


def _is_herm(result: LDLKernelResult) -> bool:
    xp = namespace(result.factors)
    return bool(xp.isdtype(result.factors.dtype, "complex floating")) and bool(result.hermitian)


def _index(idx: Any, like: Any):
    xp = namespace(like)
    return xp.asarray(np.array(idx, dtype=np.int64, copy=True), device=array_api_compat.device(like))


def _standard_form(c: Any, ipiv: np.ndarray, herm: bool):
    """``(Lt, sigma, ones, twos)`` with ``A = Pi Lt D Lt^H Pi^T`` and ``(Pi x) = x[sigma]``.

    ``Lt`` is a new unit lower triangular array (zero strict upper triangle,
    zero at the 2x2 blocks' subdiagonal positions): the compact ``L`` with
    every interchange also applied to the columns before its step.
    """
    xp = namespace(c)
    n = c.shape[0]
    dev = array_api_compat.device(c)
    r = xp.arange(n, device=dev)
    lt = xp.where(r[:, None] > r[None, :], c, xp.zeros_like(c))
    ones, twos, swaps = _steps(ipiv)
    eye_idx = _index(np.arange(n), c)
    lt[eye_idx, eye_idx] = 1
    if twos:
        t = np.asarray(twos, dtype=np.int64)
        lt[_index(t + 1, c), _index(t, c)] = 0
    for step, row, p in swaps:
        if step:
            lt[[row, p], :step] = lt[[p, row], :step]
    sigma = list(range(n))
    for _, row, p in reversed(swaps):
        sigma[row], sigma[p] = sigma[p], sigma[row]
    return lt, np.asarray(sigma, dtype=np.int64), ones, twos


def ldl_unpack(result: LDLKernelResult) -> tuple[Any, Any, np.ndarray]:
    """Expand compact factors into ``(lu, d, perm)``, the convention of ``scipy.linalg.ldl``.

    Parameters
    ----------
    result : LDLKernelResult
        From :func:`ldl_kernel` (or LAPACK ``?sytrf``/``?hetrf`` output
        wrapped in one, with ``ipiv`` made 0-based).

    Returns
    -------
    lu : (n, n) array
        The permuted outer factor, same backend and dtype as the factors:
        ``A = lu @ d @ lu^H`` (``lu^T`` when complex symmetric) and
        ``lu[perm]`` is unit lower triangular (upper when ``lower=False``).
    d : (n, n) array
        Block diagonal with 1x1 and 2x2 blocks (Hermitian blocks for
        Hermitian factorizations, symmetric otherwise).
    perm : (n,) numpy.ndarray of int64
        Host row permutation that triangularizes ``lu``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_unpack
    >>> A = np.array([[2.0, -1.0, 3.0], [-1.0, 2.0, 0.0], [3.0, 0.0, 1.0]])
    >>> lu, d, perm = ldl_unpack(ldl_kernel(A.copy(), lower=False))
    >>> np.allclose(lu @ d @ lu.T, A), np.allclose(np.triu(lu[perm]), lu[perm])
    (True, True)
    """
    c0 = result.factors
    xp = namespace(c0)
    n = c0.shape[0]
    if n == 0:
        return _copy(c0, xp), _copy(c0, xp), np.empty(0, dtype=np.int64)
    herm = _is_herm(result)
    c, ipiv = _as_lower(result)
    lt, sigma, _, twos = _standard_form(c, ipiv, herm)
    lu = lt[_index(sigma, c), :]
    d = xp.zeros_like(c)
    idx = _index(np.arange(n), c)
    diag = xp.linalg.diagonal(c)
    if herm:
        diag = xp.astype(xp.real(diag), c.dtype)
    d[idx, idx] = diag
    if twos:
        t = np.asarray(twos, dtype=np.int64)
        ti, tj = _index(t + 1, c), _index(t, c)
        e21 = c[ti, tj]
        d[ti, tj] = e21
        d[tj, ti] = xp.conj(e21) if herm else e21
    perm = np.argsort(sigma).astype(np.int64)
    if not result.lower:  # A = J B J: flip back (copies, so no negative strides escape)
        lu = _copy(xp.flip(lu, axis=(0, 1)), xp)
        d = _copy(xp.flip(d, axis=(0, 1)), xp)
        perm = (n - 1 - perm[::-1]).astype(np.int64)
    return lu, d, perm


def ldl_scale_d(result: LDLKernelResult, e: int) -> LDLKernelResult:
    """Multiply ``D`` of compact factors by ``2**e`` in place: the factors of ``2**e A`` from those of ``A``.

    ``L`` is scale free; ``D`` is the diagonal and, for each 2x2 block, the
    entry below (above, for ``lower=False``) its first diagonal entry.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_scale_d, ldl_unpack
    >>> A = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> lu, d, perm = ldl_unpack(ldl_scale_d(ldl_kernel(A.copy(), lower=False), -3))
    >>> np.allclose(lu @ d @ lu.T, A / 8)
    True
    """
    c = result.factors
    n = c.shape[0]
    if not e or n == 0:
        return result
    idx = _index(np.arange(n), c)
    c[idx, idx] = ldexp(c[idx, idx], e)
    ipiv = np.asarray(result.ipiv, dtype=np.int64)
    _, twos, _ = _steps(ipiv if result.lower else _reverse_ipiv(ipiv))
    if twos:  # in the coordinates of the lower factorization (of J A J for lower=False)
        t = np.asarray(twos, dtype=np.int64)
        rows, cols = (t + 1, t) if result.lower else (n - 2 - t, n - 1 - t)
        ri, ci = _index(rows, c), _index(cols, c)
        c[ri, ci] = ldexp(c[ri, ci], e)
    return result


def ldl_abs_product_norm(result: LDLKernelResult) -> float:
    """``|| |L| |D| |L|^H ||_inf`` of compact Bunch-Kaufman factors, in ``O(n^2)`` work.

    This is the quantity that the backward error of ``L D L^T`` is
    proportional to: the computed factors of a symmetric ``A`` are the exact
    factors of ``P A P^T + dA`` with
    ``|dA| <= p(n) u (|A| + |L| |D| |L|^T)``, ``p`` a modest linear polynomial
    (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
    ch. 11: the analysis of Bunch-Kaufman pivoting, which also bounds
    ``|| |L| |D| |L|^T ||_M <= 36 n rho_n ||A||_M`` by the growth factor
    ``rho_n``).  ``|D|`` is the entrywise modulus of the block diagonal
    factor and ``L`` the unit lower triangular factor with every interchange
    applied (the form of :func:`ldl_unpack`, ``A[p][:, p] = L D L^H``).

    It is computed as ``|| |L| (|D| (|L|^T 1)) ||_inf`` without forming
    ``L``: the column sums of ``|L|`` are those of the compact columns
    (later interchanges only reorder the rows below each column), and, as
    ``L = P_1 L_1 P_2 L_2 ... P_n L_n`` in LAPACK's compact form, the
    vector ``|L| w`` is accumulated from the last step to the first,
    applying each step's interchange to the running sum.  One pass over the
    factors, no ``n x n`` temporary.  The upper form (``lower=False``) gives
    the same number for ``|U| |D| |U|^H``.

    Parameters
    ----------
    result : LDLKernelResult

    Returns
    -------
    float
        The norm (0 for an empty matrix; NaN propagates).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_abs_product_norm, ldl_unpack
    >>> A = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 3.0], [0.0, 3.0, -1.0]])
    >>> res = ldl_kernel(A.copy())
    >>> lu, d, _ = ldl_unpack(res)
    >>> direct = np.abs(np.abs(lu) @ np.abs(d) @ np.abs(lu).T).sum(axis=1).max()
    >>> bool(np.isclose(ldl_abs_product_norm(res), direct))
    True
    """
    c, ipiv = _as_lower(result)
    n = c.shape[0]
    if n == 0:
        return 0.0
    xp = namespace(c)
    herm = _is_herm(result)
    diag, off, ones, twos = _host_blocks(result)
    _, _, swaps = _steps(ipiv)
    # v = |L|^T 1: the unit diagonal plus the column sums of the strict lower compact triangle,
    # less the 2x2 blocks' subdiagonal entries (those are D's, L's entry there is zero).
    v = np.ones(n)
    nb = max(1, (1 << 21) // n)
    for j0 in range(0, n, nb):
        block = xp.abs(xp.tril(c[j0 + 1 :, j0 : j0 + nb]))
        v[j0 : j0 + block.shape[1]] += to_numpy(xp.sum(block, axis=0)).astype(np.float64)
    if twos.size:
        v[twos] = np.maximum(v[twos] - np.abs(off[twos]), 1.0)
    # w = |D| v
    ad = np.abs(diag.real if herm else diag).astype(np.float64)
    w = ad * v
    if twos.size:
        a21 = np.abs(off[twos]).astype(np.float64)
        w[twos] = ad[twos] * v[twos] + a21 * v[twos + 1]
        w[twos + 1] = a21 * v[twos] + ad[twos + 1] * v[twos + 1]
    # y = |L| w = P_1 (w_1 |l_1| + P_2 (w_2 |l_2| + ...)), from the last step backwards.
    size = dict.fromkeys(ones.tolist(), 1) | dict.fromkeys(twos.tolist(), 2)
    swap_at = {step: (row, p) for step, row, p in swaps}
    y = xp.zeros((n,), dtype=xp.abs(c[:1, :1]).dtype, device=array_api_compat.device(c))
    for k in sorted(size, reverse=True):
        s = size[k]
        if k + s < n:
            col = xp.abs(c[k + s :, k]) * float(w[k])
            if s == 2:
                col = col + xp.abs(c[k + s :, k + 1]) * float(w[k + 1])
            y[k + s :] += col
        y[k] += float(w[k])
        if s == 2:
            y[k + 1] += float(w[k + 1])
        if k in swap_at:
            row, p = swap_at[k]
            y[[row, p]] = y[[p, row]]
    return float(xp.max(y))


def _solve_d(y: Any, c: Any, ones: list[int], twos: list[int], herm: bool) -> None:
    """``y <- D^{-1} y`` in place, D read from the lower compact ``c`` (LAPACK ``dsytrs``)."""
    xp = namespace(c)
    diag = xp.linalg.diagonal(c)
    if herm:
        diag = xp.real(diag)
    if ones:
        o = _index(ones, c)
        y[o, :] = y[o, :] / diag[o][:, None]
    if twos:
        t = np.asarray(twos, dtype=np.int64)
        t0, t1 = _index(t, c), _index(t + 1, c)
        e11, e22, e21 = diag[t0][:, None], diag[t1][:, None], c[t1, t0][:, None]
        e12 = xp.conj(e21) if herm else e21
        akm1 = e11 / e12
        ak = e22 / e21
        denom = akm1 * ak - 1
        bkm1 = y[t0, :] / e12
        bk = y[t1, :] / e21
        y[t0, :] = (ak * bkm1 - bk) / denom
        y[t1, :] = (akm1 * bk - bkm1) / denom


def _first_zero_pivot(result: LDLKernelResult) -> int | None:
    """0-based index of the first exactly zero 1x1 block of ``D``, or None."""
    if result.info:
        return int(result.info) - 1
    return None


def ldl_solve(result: LDLKernelResult, b: Any) -> Any:
    """Solve ``A x = b`` with compact Bunch-Kaufman factors.

    ``b`` is permuted, ``L^{-1}`` and ``L^{-H}`` (``L^{-T}``) are applied by the
    backend's triangular solve with a unit diagonal, and ``D`` is inverted
    block by block with LAPACK's scaled 2x2 formulas (``dsytrs``).  The
    compact ``L`` is first brought to standard form (all interchanges
    applied, as LAPACK's ``dsyconv``) in a temporary copy.

    Parameters
    ----------
    result : LDLKernelResult
        Compact factors of ``A``.
    b : (n,) or (n, k) array
        Right-hand side(s), same backend as the factors; not modified.

    Returns
    -------
    x : array
        Same shape as ``b``; dtype the promotion of the factors' and ``b``'s.

    Raises
    ------
    SingularMatrixError
        If ``D`` has an exactly zero 1x1 block (``result.info > 0``); its
        ``index`` is the 0-based position ``info - 1``.
    ValueError
        If ``b`` does not have ``n`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_solve
    >>> A = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> x = ldl_solve(ldl_kernel(A.copy()), np.array([[1.0], [2.0]]))
    >>> np.allclose(A @ x, [[1.0], [2.0]])
    True
    """
    c0 = result.factors
    xp = namespace(c0, b)
    n = c0.shape[0]
    vector = len(b.shape) == 1
    if len(b.shape) not in (1, 2) or b.shape[0] != n:
        raise ValueError(
            f"b must have shape ({n},) or ({n}, k) to match the factored {n}x{n} matrix, "
            f"got {tuple(b.shape)}."
        )
    zero = _first_zero_pivot(result)
    if zero is not None:
        raise SingularMatrixError(
            zero,
            f"singular matrix: the block diagonal factor D has an exactly zero pivot at "
            f"index {zero} (info={result.info}). Use lstsq for a least-squares solution.",
        )
    dtype = xp.result_type(c0.dtype, b.dtype)
    if not xp.isdtype(dtype, ("real floating", "complex floating")):
        dtype = c0.dtype
    b2 = xp.reshape(b, (n, 1)) if vector else b
    if n == 0 or b2.shape[1] == 0:
        out = xp.zeros(b2.shape, dtype=dtype, device=array_api_compat.device(c0))
        return xp.reshape(out, tuple(b.shape))
    herm = _is_herm(result)
    c, ipiv = _as_lower(result)
    lt, sigma, ones, twos = _standard_form(c, ipiv, herm)
    if lt.dtype != dtype:
        lt = xp.astype(lt, dtype)
    inv_sigma = np.argsort(sigma)
    if result.lower:
        rows_in, rows_out = inv_sigma, sigma
    else:  # A = J B J with B the reversed (lower) factorization
        rows_in, rows_out = n - 1 - inv_sigma, sigma[::-1]
    y = xp.astype(b2[_index(rows_in, b2), :], dtype)
    backend = get_backend(c0)
    backend.trsm_inplace(lt, y, lower=True, unit_diagonal=True)
    _solve_d(y, c if c.dtype == dtype else xp.astype(c, dtype), ones, twos, herm)
    backend.trsm_inplace(lt, y, lower=True, trans=2 if herm else 1, unit_diagonal=True)
    x = _copy(y[_index(rows_out, y), :], xp)
    return xp.reshape(x, (n,)) if vector else x


def _logabs_2x2(e11: np.ndarray, e21: np.ndarray, e22: np.ndarray, herm: bool):
    """``(phase, log|det|)`` of the 2x2 blocks ``[[e11, e12], [e21, e22]]`` without overflow.

    Written as ``det = -e21 e12 (1 - t)`` with ``t = e11 e22 / (e21 e12)``,
    where ``e12 = conj(e21)`` (Hermitian) or ``e21``.  For Bunch-Kaufman
    pivots ``|t| < alpha^2 < 1``, so ``1 - t`` has no cancellation; ``t`` is
    formed from logarithms so that it cannot overflow.  Blocks with
    ``|t| >= 1/2`` (not produced by our pivoting) are scaled by their
    largest entry instead.
    """
    e12 = np.conj(e21) if herm else e21
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a11, a21, a22 = np.abs(e11), np.abs(e21), np.abs(e22)
        log_t = np.log(a11) + np.log(a22) - 2 * np.log(a21)
        small = (a21 > 0) & (log_t < math.log(0.5))
        ph11 = np.where(a11 > 0, e11 / np.where(a11 > 0, a11, 1), 1)
        ph22 = np.where(a22 > 0, e22 / np.where(a22 > 0, a22, 1), 1)
        a21s = np.where(a21 > 0, a21, 1)
        ph21 = np.where(a21 > 0, (e21 / a21s) * (e12 / a21s), 1)  # phase of e21 e12, no underflow
        t = np.where(small, ph11 * ph22 / ph21 * np.exp(np.minimum(log_t, 0)), 0)
        one_minus_t = 1 - t
        det_small = -ph21 * one_minus_t
        log_small = 2 * np.log(a21) + np.log(np.abs(one_minus_t))
        # scaled fallback
        s = np.maximum(np.maximum(a11, a22), a21)
        s1 = np.where(s > 0, s, 1)
        ds = (e11 / s1) * (e22 / s1) - (e21 / s1) * (e12 / s1)
        log_big = 2 * np.log(s1) + np.log(np.abs(ds))
        det_big = ds
    det = np.where(small, det_small, det_big)
    logabs = np.where(small, log_small, log_big)
    with np.errstate(divide="ignore", invalid="ignore"):
        phase = np.where(np.abs(det) > 0, det / np.abs(det), 0)
    return phase, logabs


def ldl_slogdet(result: LDLKernelResult) -> tuple[Any, Any]:
    """Sign and log-magnitude of ``det(A)`` from the blocks of ``D``.

    ``det(A) = det(D)`` (the interchanges cancel and ``L`` is unit
    triangular).  Summing logarithms block by block never overflows; the 2x2
    determinants are computed in a scaled, cancellation-free form.

    Parameters
    ----------
    result : LDLKernelResult

    Returns
    -------
    sign : numpy scalar
        ``+1``/``-1`` (real dtypes), a complex number of modulus 1 (complex
        dtypes, like ``numpy.linalg.slogdet``), or 0 if ``D`` is singular.
    logabsdet : numpy floating scalar
        ``log|det A|`` in the real dtype of the factors (``-inf`` if singular).
        Both are host NumPy scalars for every backend.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_slogdet
    >>> A = np.array([[0.0, 2.0], [2.0, 1.0]])
    >>> sign, logdet = ldl_slogdet(ldl_kernel(A.copy()))
    >>> float(sign), bool(np.isclose(logdet, np.log(4.0)))
    (-1.0, True)
    """
    herm = _is_herm(result)
    diag, off, ones, twos = _host_blocks(result)
    cplx = np.iscomplexobj(diag)
    rdt = np.finfo(diag.dtype).dtype
    sdt = diag.dtype
    d64 = diag.astype(np.complex128 if cplx else np.float64)
    o64 = off.astype(d64.dtype)
    if herm:
        d64 = d64.real.astype(np.complex128)
    logabs = 0.0
    sign: complex = 1.0
    if ones.size:
        v = d64[ones]
        if np.any(v == 0):
            return sdt.type(0), rdt.type(-np.inf)
        av = np.abs(v)
        logabs += float(np.sum(np.log(av)))
        sign *= complex(np.prod(v / av)) if cplx else float(np.prod(np.sign(v)))
    if twos.size:
        phase, la = _logabs_2x2(d64[twos], o64[twos], d64[twos + 1], herm)
        if np.any(phase == 0):
            return sdt.type(0), rdt.type(-np.inf)
        logabs += float(np.sum(la))
        sign *= complex(np.prod(phase)) if cplx else float(np.prod(np.sign(phase.real)))
    if cplx:
        sign = sign / abs(sign)
        if herm:
            sign = complex(np.sign(sign.real))
    return sdt.type(sign), rdt.type(logabs)


def ldl_inertia(result: LDLKernelResult) -> tuple[int, int, int]:
    """Inertia ``(n_positive, n_negative, n_zero)`` of ``A`` from ``D``.

    By Sylvester's law of inertia ``A`` and ``D`` have the same inertia.
    Each 2x2 block is classified by its determinant (negative: one
    eigenvalue of each sign; Bunch-Kaufman's 2x2 pivots are always of this
    kind) and trace.  Zero counts only exactly zero pivots; a numerically
    singular matrix usually shows up as a tiny nonzero one.

    Parameters
    ----------
    result : LDLKernelResult
        Of a real symmetric or complex Hermitian matrix.

    Returns
    -------
    (int, int, int)

    Raises
    ------
    ValueError
        For complex symmetric factorizations (``hermitian=False``), which
        have no inertia.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.ldl import ldl_kernel, ldl_inertia
    >>> A = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, -3.0]])
    >>> ldl_inertia(ldl_kernel(A.copy()))
    (1, 2, 0)
    """
    diag, off, ones, twos = _host_blocks(result)
    if np.iscomplexobj(diag) and not result.hermitian:
        raise ValueError(
            "inertia is defined for real symmetric or complex Hermitian matrices; this "
            "factorization is complex symmetric (hermitian=False)."
        )
    d = diag.real.astype(np.float64)
    pos = neg = zero = 0
    if ones.size:
        v = d[ones]
        pos += int(np.sum(v > 0))
        neg += int(np.sum(v < 0))
        zero += int(np.sum(v == 0))
    if twos.size:
        e21 = off[twos].astype(np.complex128 if np.iscomplexobj(off) else np.float64)
        phase, _ = _logabs_2x2(d[twos], e21, d[twos + 1], np.iscomplexobj(off))
        det_sign = np.sign(phase.real)
        tr = d[twos] + d[twos + 1]
        both = det_sign > 0
        neg_det = det_sign < 0
        sing = det_sign == 0
        pos += int(np.sum(neg_det)) + 2 * int(np.sum(both & (tr > 0))) + int(np.sum(sing & (tr > 0)))
        neg += int(np.sum(neg_det)) + 2 * int(np.sum(both & (tr < 0))) + int(np.sum(sing & (tr < 0)))
        zero += int(np.sum(sing)) + int(np.sum(sing & (tr == 0)))
    return pos, neg, zero
