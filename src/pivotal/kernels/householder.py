"""Householder QR: ``A = Q R`` with ``Q`` a product of elementary reflectors.

The kernels work on NumPy arrays and PyTorch tensors (real or complex, any
shape ``m x n``) and overwrite their argument with the compact factors in
LAPACK's ``?geqrf`` layout, so that factors produced here and by LAPACK
(SciPy, ``torch.geqrf``) are interchangeable:

* ``R`` (``min(m, n) x n``, upper trapezoidal) on and above the diagonal;
* below the diagonal of column ``j``, the Householder vector ``v_j`` without
  its leading entry, which is an implicit 1;
* ``tau`` (length ``min(m, n)``, same dtype as ``A``), so that
  ``Q = H_0 H_1 ... H_{k-1}`` with ``H_j = I - tau_j v_j v_j^H``.

Each reflector follows LAPACK's ``?larfg`` convention (:func:`larfg`):
``H_j^H`` maps the column onto ``beta e_1`` with ``beta`` *real* and of the
opposite sign to ``Re(alpha)`` (no cancellation), ``tau = 0`` (``H = I``)
when there is nothing to annihilate, and otherwise
``1 <= Re(tau) <= 2``, ``|tau - 1| <= 1``.  The diagonal of ``R`` is
therefore real (for complex input too), but of either sign.

Algorithms
----------
* :func:`geqr2`: the textbook algorithm, one reflector at a time applied to
  the trailing matrix by a matrix-vector product and a rank-1 update
  (BLAS-2, LAPACK ``?geqr2``).  This is ``block_size=1``.
* :func:`geqrf_blocked`: LAPACK's blocked algorithm (``?geqrf``).  A panel of
  ``nb`` columns is factored by :func:`geqr2`, its reflectors are aggregated
  into the compact WY form ``H_j ... H_{j+nb-1} = I - V T V^H``
  (Schreiber-Van Loan; :func:`larft` forms the upper triangular ``T``), and
  the trailing matrix is updated by ``I - V T^H V^H`` with three matrix
  products (:func:`larfb`, BLAS-3).
* :func:`geqrf_recursive`: Elmroth and Gustavson's hybrid recursive QR: the
  blocked algorithm whose panels (``block_size`` wide) are factored by
  *recursive* QR (``RGEQR3``), which splits the columns in halves and
  builds ``T`` recursively, so that the panel work is also done by matrix
  products.

``block_size=None`` picks the fastest of these for the shape
(:func:`default_qr_variant`); with NumPy on one x86 core (OpenBLAS Haswell
kernels) it took 1.0-1.3x the time of ``scipy.linalg.qr(mode='raw')``
(LAPACK ``dgeqrf``) for square ``n = 2000``, 0.8x for ``n = 4000`` and
0.85x for ``20000 x 600``.  What does not run at ``gemm`` speed is mostly
the Python loop of the unblocked leaves (about 60 us per column), so the
ratio grows on machines with faster BLAS-3 (``benchmarks/RESULTS.md``,
issue 11).

NumPy panels are factored in a column-major copy (the kernels usually see
row-major arrays, whose columns are strided); the trailing updates work in
place on the input through the backend's in-place BLAS (``gemm_update``).

The products of reflectors are applied without forming ``Q`` by
:func:`apply_q` (``Q C``, ``Q^H C``, ``C Q``, ``C Q^H``; blocked WY, LAPACK
``?ormqr``/``?unmqr``), and ``Q`` itself, economic or full, is formed by
:func:`form_q` by backward accumulation (LAPACK ``?orgqr``/``?ungqr``).

Backward stability: the computed factors satisfy
``A + dA = Q R`` with ``||dA|| <= c m n u ||A||`` for an exactly unitary
``Q`` close to the computed one, and ``||I - Q^H Q|| <= c m n u``
(Higham, Thm. 19.4); all variants here share this bound.

References
----------
.. [1] R. Schreiber and C. Van Loan, "A storage-efficient WY representation
   for products of Householder transformations", SIAM J. Sci. Stat.
   Comput. 10(1), 1989.
.. [2] E. Elmroth and F. G. Gustavson, "Applying recursion to serial and
   parallel QR factorization leads to better performance", IBM J. Res.
   Dev. 44(4), 2000.
.. [3] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd
   ed., SIAM 2002, ch. 19.
.. [4] E. Anderson et al., *LAPACK Users' Guide*, 3rd ed., SIAM 1999
   (``xLARFG``, ``xGEQR2``, ``xGEQRF``, ``xLARFT``, ``xLARFB``, ``xORGQR``,
   ``xORMQR``).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .._array import backend_name, finfo, is_complex, namespace, new_zeros, unit_roundoff
from .._backends import get_backend

__all__ = [
    "APPLY_BLOCK_SIZE",
    "BLOCKED_NB",
    "DEFAULT_BLOCK_SIZE",
    "RECURSIVE_LEAF",
    "RECURSIVE_MIN_K",
    "UNBLOCKED_MAX_SIZE",
    "apply_q",
    "colmajor_copy",
    "copy_into",
    "default_qr_variant",
    "form_q",
    "geqr2",
    "geqrf_blocked",
    "geqrf_recursive",
    "householder_qr",
    "larfb",
    "larfg",
    "larft",
    "product",
]

DEFAULT_BLOCK_SIZE = 128
"""Panel width of the hybrid recursive QR (:func:`geqrf_recursive`)."""

RECURSIVE_LEAF = 32
"""Recursive panels at most this wide are factored by the unblocked algorithm."""

BLOCKED_NB = 64
"""Panel width of :func:`geqrf_blocked` when the default picks it."""

UNBLOCKED_MAX_SIZE = 200 * 200
"""``block_size=None`` uses :func:`geqr2` when ``m * n`` is at most this."""

RECURSIVE_MIN_K = 1024
"""``block_size=None`` uses :func:`geqrf_recursive` when ``min(m, n)`` is at least this."""

APPLY_BLOCK_SIZE = 64
"""Number of reflectors aggregated per block by :func:`apply_q` and :func:`form_q`."""


# --------------------------------------------------------------------------- helpers


def _is_numpy(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _ct(x: Any) -> Any:
    """Conjugate transpose of a 2-D array (a view for real NumPy and for torch)."""
    if _is_numpy(x):
        return x.conj().T if x.dtype.kind == "c" else x.T
    return x.mH


def colmajor_copy(x: Any) -> Any:
    """A column-major (Fortran-ordered) copy of the 2-D array ``x``."""
    if _is_numpy(x):
        return np.array(x, order="F", copy=True)
    return x.mT.contiguous().mT


def copy_into(dst: Any, src: Any) -> None:
    """Copy ``src`` into the existing array ``dst`` (NumPy or PyTorch), in place."""
    if _is_numpy(dst):
        dst[...] = src
    else:
        dst.copy_(src)


def _neg_product(a: Any, b: Any, xp, backend) -> Any:
    """``-(a @ b)`` as a new array, computed by the backend's in-place BLAS.

    Every product of the NumPy path goes through the backend (SciPy's BLAS):
    NumPy's ``matmul`` may link a different BLAS whose thread pool would then
    compete with SciPy's for the same cores.
    """
    out = new_zeros((a.shape[0], b.shape[1]), a)
    backend.gemm_update(out, a, b)
    return out


def product(a: Any, b: Any, xp, backend) -> Any:
    """``a @ b`` as a new array (see :func:`_neg_product`)."""
    out = _neg_product(a, b, xp, backend)
    out *= -1
    return out


def _host(x: Any) -> np.ndarray:
    """A 1-D array or tensor as a host NumPy array."""
    if _is_numpy(x):
        return x
    return x.detach().cpu().numpy()


def _like_index(idx: np.ndarray, like: Any) -> Any:
    """Host indices in ``like``'s backend (and device)."""
    if _is_numpy(like):
        return idx
    import torch

    return torch.as_tensor(idx, dtype=torch.int64, device=like.device)


def _unit_lower(v: Any, xp) -> Any:
    """Explicit unit lower triangular matrix from the strict lower triangle of square ``v``."""
    t = xp.tril(v, k=-1)
    if t.shape[0]:
        if _is_numpy(t):
            np.fill_diagonal(t, 1)
        else:
            t.diagonal().fill_(1)
    return t


def _scalar(x: Any, cplx: bool):
    """A Python scalar from a 0-d array or number."""
    if hasattr(x, "item"):
        x = x.item()
    return complex(x) if cplx else float(x.real if isinstance(x, complex) else x)


def _nrm2(x: Any, xp=None) -> float:
    """2-norm of the 1-D array ``x`` without harmful overflow or underflow (backend ``nrm2``)."""
    return get_backend(x).nrm2(x)


# --------------------------------------------------------------------------- reflectors


def larfg(alpha: Any, x: Any) -> tuple[float, float | complex]:
    r"""Generate an elementary reflector (LAPACK ``?larfg``), scaling ``x`` in place.

    Finds ``tau`` and ``v = [1, x']`` such that

    ``H^H [alpha, x]^T = [beta, 0]^T``,  ``H = I - tau v v^H``,  ``beta`` real,

    with ``beta = -sign(Re alpha) ||[alpha, x]||`` (so that ``alpha - beta``
    does not cancel).  ``x`` is overwritten by ``x' = x / (alpha - beta)``.

    When ``x == 0`` and ``Im(alpha) == 0`` nothing needs annihilating:
    ``tau = 0`` (``H = I``), ``beta = alpha`` and ``x`` is left as is (for a
    real ``alpha`` this includes ``x`` empty; a complex ``alpha`` with an
    empty ``x`` is still rotated onto the real axis).  Otherwise
    ``1 <= Re(tau) <= 2`` and ``|tau - 1| <= 1``.  As in LAPACK, when
    ``|beta|`` is below ``safmin = tiny / u`` the vector is rescaled by
    ``1 / safmin`` (up to 20 times) before ``tau`` and ``x'`` are computed,
    so tiny columns keep full relative accuracy.

    Parameters
    ----------
    alpha : scalar or 0-d array
        The leading entry.
    x : (n,) array, NumPy or PyTorch
        The entries to annihilate, overwritten with ``v[1:]``.  Its dtype
        decides real versus complex arithmetic and ``safmin``.

    Returns
    -------
    beta : float
        The new leading entry (real; equal to ``alpha`` when ``tau == 0``).
    tau : float or complex
        Python scalars; ``tau`` is complex for complex ``x``.

    References
    ----------
    .. [1] LAPACK ``DLARFG``/``ZLARFG``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import larfg
    >>> x = np.array([3.0, 4.0, 0.0, 0.0])
    >>> v = x[1:]
    >>> beta, tau = larfg(x[0], v)
    >>> beta, tau
    (-5.0, 1.6)
    >>> v = np.concatenate([[1.0], v])
    >>> H = np.eye(4) - tau * np.outer(v, v)
    >>> bool(np.allclose(H.T @ np.array([3.0, 4.0, 0.0, 0.0]), [beta, 0, 0, 0]))
    True
    """
    return _larfg(alpha, x, get_backend(x))


@functools.cache
def _larfg_constants(dtype: Any) -> tuple[bool, float, float]:
    """``(complex?, safmin, 1/safmin)`` for ``dtype``; ``safmin = tiny / u`` as LAPACK's."""
    safmin = float(finfo(dtype).tiny) / unit_roundoff(dtype)
    return bool(is_complex(dtype)), safmin, 1.0 / safmin


def _larfg(alpha: Any, x: Any, backend) -> tuple[float, float | complex]:
    cplx, safmin, rsafmn = _larfg_constants(x.dtype)
    alpha = _scalar(alpha, cplx)
    alphr = alpha.real
    alphi = alpha.imag if cplx else 0.0
    n = x.shape[0]
    xnorm = backend.nrm2(x) if n else 0.0
    if xnorm == 0.0 and alphi == 0.0:
        return float(alphr), (0j if cplx else 0.0)
    beta = -math.copysign(math.hypot(alphr, alphi, xnorm), alphr if alphr != 0 else 1.0)
    knt = 0
    if abs(beta) < safmin:
        # beta may be inaccurate; scale x and recompute it.
        while True:
            knt += 1
            if n:
                x *= rsafmn
            beta *= rsafmn
            alpha *= rsafmn
            if abs(beta) >= safmin or knt >= 20:
                break
        alphr = alpha.real
        alphi = alpha.imag if cplx else 0.0
        xnorm = backend.nrm2(x) if n else 0.0
        beta = -math.copysign(math.hypot(alphr, alphi, xnorm), alphr if alphr != 0 else 1.0)
    if cplx:
        tau = complex((beta - alphr) / beta, -alphi / beta)
    else:
        tau = (beta - alphr) / beta
    if n:
        x *= 1.0 / (alpha - beta)
    for _ in range(knt):
        beta *= safmin
    return beta, tau


def _geqr2(a: Any, tau: Any, xp, backend) -> None:
    """Unblocked Householder QR of ``a`` in place, writing ``tau``."""
    m, n = a.shape
    cplx = is_complex(a.dtype)
    matvec, ger_update = backend.matvec, backend.ger_update
    for j in range(min(m, n)):
        beta, t = _larfg(a[j, j], a[j + 1 :, j], backend)
        tau[j] = t
        if j + 1 < n and t != 0:
            a[j, j] = 1
            v = a[j:, j]
            c = a[j:, j + 1 :]
            # C <- H^H C = C - v (conj(tau) v^H C),  v^H C = (C^T conj(v))^T; the short
            # vector w (n - j - 1 entries) is scaled rather than v
            w = matvec(c, xp.conj(v) if cplx else v, 1)
            w *= t.conjugate() if cplx else t
            ger_update(c, v, w)
        a[j, j] = beta


def _tau_array(a: Any, xp) -> Any:
    return new_zeros((min(a.shape),), a)


def geqr2(a: Any) -> Any:
    """Unblocked (textbook, BLAS-2) Householder QR in place (LAPACK ``?geqr2``).

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch
        Overwritten with ``R`` and the Householder vectors (LAPACK layout).

    Returns
    -------
    tau : (min(m, n),) array
        The reflector scalars, same backend and dtype as ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import geqr2, form_q
    >>> A = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 2.0]])
    >>> qr = A.copy()
    >>> tau = geqr2(qr)
    >>> Q = form_q(qr, tau)
    >>> bool(np.allclose(Q @ np.triu(qr[:2]), A))
    True
    """
    xp = namespace(a)
    tau = _tau_array(a, xp)
    _geqr2(a, tau, xp, get_backend(a))
    return tau


def _gram(v: Any, xp, backend) -> Any:
    """``V^H V`` for the implicit unit lower trapezoidal ``V`` stored in ``v``."""
    kb = v.shape[1]
    vt = _unit_lower(v[:kb, :kb], xp)
    g = _neg_product(_ct(vt), vt, xp, backend)
    if v.shape[0] > kb:
        vb = v[kb:, :]
        backend.gemm_update(g, _ct(vb), vb)
    g *= -1
    return g


def larft(v: Any, tau: Any) -> Any:
    """Triangular factor ``T`` of a block reflector (LAPACK ``?larft``, forward, columnwise).

    ``H_0 H_1 ... H_{k-1} = I - V T V^H`` with ``H_j = I - tau_j v_j v_j^H``.

    Parameters
    ----------
    v : (mv, k) array, ``mv >= k``
        The Householder vectors in its strict lower trapezoid (unit diagonal
        implicit; entries on and above the diagonal are not read).
    tau : (k,) array

    Returns
    -------
    T : (k, k) array
        Upper triangular.

    Notes
    -----
    The UT transform (Joffrain et al. 2006): ``T^{-1} = diag(1 / tau) +
    striu(V^H V)``, so one matrix product forms the Gram matrix ``V^H V`` and
    one triangular solve inverts ``T^{-1}`` (the column recurrence
    ``T[:j, j] = -tau_j T[:j, :j] V[:, :j]^H v_j`` of LAPACK's ``?larft`` is
    the same substitution, one column at a time).  A reflector with
    ``tau_j = 0`` is the identity: row and column ``j`` of ``T`` are zero and
    the others are those of the remaining reflectors.

    References
    ----------
    .. [1] T. Joffrain, T. M. Low, E. S. Quintana-Ortí, R. van de Geijn and
       F. G. Van Zee, "Accumulating Householder transformations, revisited",
       ACM Trans. Math. Softw. 32(2), 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import geqr2, larft
    >>> A = np.random.default_rng(0).standard_normal((6, 3))
    >>> tau = geqr2(A)
    >>> T = larft(A, tau)
    >>> V = np.tril(A, -1) + np.eye(6, 3)
    >>> H = np.eye(6)
    >>> for j in range(3):
    ...     H = H @ (np.eye(6) - tau[j] * np.outer(V[:, j], V[:, j]))
    >>> bool(np.allclose(H, np.eye(6) - V @ T @ V.T))
    True
    """
    xp = namespace(v)
    k = tau.shape[0]
    if k == 0:
        return new_zeros((0, 0), v)
    backend = get_backend(v)
    tinv = xp.triu(_gram(v[:, :k], xp, backend), k=1)
    keep = np.flatnonzero(_host(tau) != 0)
    if keep.shape[0] < k:  # identity reflectors: T restricted to the others
        t = new_zeros((k, k), v)
        if keep.shape[0]:
            idx = _like_index(keep, v)
            t[idx[:, None], idx[None, :]] = _larft_inverse(
                tinv[idx[:, None], idx[None, :]], tau[idx], backend
            )
        return t
    return _larft_inverse(tinv, tau, backend)


def _larft_inverse(tinv: Any, tau: Any, backend) -> Any:
    """``T`` from ``striu(V^H V)`` (overwritten with ``T^{-1}``) and nonzero ``tau``, by one solve."""
    k = tau.shape[0]
    if _is_numpy(tinv):
        tinv[np.diag_indices(k)] = 1 / tau
        t = np.eye(k, dtype=tinv.dtype)
    else:
        tinv.diagonal().copy_(1 / tau)
        import torch

        t = torch.eye(k, dtype=tinv.dtype, device=tinv.device)
    backend.trsm_inplace(tinv, t, lower=False)
    return t


def larfb(v: Any, t: Any, c: Any, *, side: str = "left", trans: bool = False) -> Any:
    """Apply a block reflector ``H = I - V T V^H`` (or ``H^H``) to ``c`` in place.

    LAPACK ``?larfb`` (forward, columnwise): ``side="left"`` computes
    ``H C`` (``trans=False``) or ``H^H C``; ``side="right"`` computes ``C H``
    or ``C H^H``.

    Parameters
    ----------
    v : (mv, k) array
        Householder vectors with implicit unit diagonal (the upper triangle
        of ``v[:k]`` is not read).  ``mv`` equals ``c.shape[0]`` (left) or
        ``c.shape[1]`` (right).
    t : (k, k) array
        Upper triangular factor from :func:`larft`.
    c : array
        Overwritten.

    Returns
    -------
    c

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import geqr2, larft, larfb, form_q
    >>> rng = np.random.default_rng(0)
    >>> v = rng.standard_normal((6, 3))
    >>> tau = geqr2(v)
    >>> C = rng.standard_normal((6, 2))
    >>> out = larfb(v, larft(v, tau), C.copy(), trans=True)   # Q^T C
    >>> bool(np.allclose(out, form_q(v, tau, 6).T @ C))
    True
    """
    kb = t.shape[0]
    if kb == 0 or c.shape[0] == 0 or c.shape[1] == 0:
        return c
    xp = namespace(c)
    backend = get_backend(c)
    vt = _unit_lower(v[:kb, :kb], xp)
    vb = v[kb:, :kb]
    op_t = _ct(t) if trans else t
    if side == "left":
        ct, cb = c[:kb, :], c[kb:, :]
        wn = _neg_product(_ct(vt), ct, xp, backend)
        if vb.shape[0]:
            backend.gemm_update(wn, _ct(vb), cb)  # wn = -(V^H C)
        w = _neg_product(op_t, wn, xp, backend)  # op(T) V^H C
        if vb.shape[0]:
            backend.gemm_update(cb, vb, w)
        backend.gemm_update(ct, vt, w)
    elif side == "right":
        ct, cb = c[:, :kb], c[:, kb:]
        wn = _neg_product(ct, vt, xp, backend)
        if vb.shape[0]:
            backend.gemm_update(wn, cb, vb)  # wn = -(C V)
        w = _neg_product(wn, op_t, xp, backend)  # C V op(T)
        if vb.shape[0]:
            backend.gemm_update(cb, w, _ct(vb))
        backend.gemm_update(ct, w, _ct(vt))
    else:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}.")
    return c


# --------------------------------------------------------------------------- factorizations


def _panel_unblocked(p: Any, tau: Any, xp, backend) -> Any:
    """Factor the panel ``p`` by geqr2 and return its ``T``."""
    _geqr2(p, tau, xp, backend)
    return larft(p, tau)


def _geqrt3(p: Any, tau: Any, leaf: int, xp, backend) -> Any:
    """Recursive QR of a tall panel (Elmroth-Gustavson ``RGEQR3``); returns ``T``."""
    n = p.shape[1]
    if n <= leaf:
        return _panel_unblocked(p, tau, xp, backend)
    n1 = n // 2
    t11 = _geqrt3(p[:, :n1], tau[:n1], leaf, xp, backend)
    larfb(p[:, :n1], t11, p[:, n1:], side="left", trans=True)
    t22 = _geqrt3(p[n1:, n1:], tau[n1:], leaf, xp, backend)
    # T12 = -T11 (V1^H V2) T22, V2 starting at row n1 of the panel.
    v2t = _unit_lower(p[n1:n, n1:], xp)
    sn = _neg_product(_ct(p[n1:n, :n1]), v2t, xp, backend)
    if p.shape[0] > n:
        backend.gemm_update(sn, _ct(p[n:, :n1]), p[n:, n1:])  # sn = -(V1^H V2)
    t = new_zeros((n, n), p)
    t[:n1, :n1] = t11
    t[n1:, n1:] = t22
    t[:n1, n1:] = product(product(t11, sn, xp, backend), t22, xp, backend)
    return t


def _geqrf(a: Any, nb: int, leaf: int | None) -> Any:
    """Blocked QR; panels by geqr2 (``leaf=None``) or recursively."""
    xp = namespace(a)
    backend = get_backend(a)
    m, n = a.shape
    k = min(m, n)
    tau = _tau_array(a, xp)
    nb = max(1, int(nb))
    if nb == 1 or k <= 1:
        _geqr2(a, tau, xp, backend)
        return tau
    for j in range(0, k, nb):
        jb = min(nb, k - j)
        panel = a[j:, j : j + jb]
        p = colmajor_copy(panel)
        if leaf is None:
            t = _panel_unblocked(p, tau[j : j + jb], xp, backend)
        else:
            t = _geqrt3(p, tau[j : j + jb], leaf, xp, backend)
        copy_into(panel, p)
        if j + jb < n:
            larfb(p, t, a[j:, j + jb :], side="left", trans=True)
    return tau


def geqrf_blocked(a: Any, block_size: int) -> Any:
    """LAPACK-style blocked Householder QR in place (``?geqrf``).

    Panels of ``block_size`` columns are factored by :func:`geqr2`; the
    trailing matrix is updated by the compact WY form (:func:`larft`,
    :func:`larfb`).  ``block_size=1`` is :func:`geqr2`.

    Returns
    -------
    tau : (min(m, n),) array

    References
    ----------
    .. [1] LAPACK ``DGEQRF``; Schreiber and Van Loan (1989).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import geqrf_blocked, form_q
    >>> A = np.random.default_rng(0).standard_normal((9, 7))
    >>> qr = A.copy()
    >>> tau = geqrf_blocked(qr, 3)
    >>> bool(np.allclose(form_q(qr, tau) @ np.triu(qr[:7]), A))
    True
    """
    return _geqrf(a, block_size, None)


def geqrf_recursive(a: Any, block_size: int = DEFAULT_BLOCK_SIZE, leaf: int = RECURSIVE_LEAF) -> Any:
    """Hybrid recursive Householder QR in place (Elmroth-Gustavson).

    The blocked algorithm with panels of ``block_size`` columns, each panel
    factored by recursive QR (split in halves down to ``leaf`` columns,
    which :func:`geqr2` factors) that builds the panel's ``T`` on the way.

    Returns
    -------
    tau : (min(m, n),) array

    References
    ----------
    .. [1] E. Elmroth and F. G. Gustavson, IBM J. Res. Dev. 44(4), 2000
       (``RGEQR3``, ``RGEQRF``).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import geqrf_recursive, form_q
    >>> A = np.random.default_rng(0).standard_normal((40, 30))
    >>> qr = A.copy()
    >>> tau = geqrf_recursive(qr, block_size=16, leaf=4)
    >>> bool(np.allclose(form_q(qr, tau) @ np.triu(qr[:30]), A))
    True
    """
    return _geqrf(a, block_size, max(1, int(leaf)))


def _check_block_size(block_size: Any) -> int | None:
    if block_size is None:
        return None
    try:
        nb = int(block_size)
    except (TypeError, ValueError):
        raise ValueError(f"block_size must be a positive integer or None, got {block_size!r}.") from None
    if nb < 1 or nb != block_size:
        raise ValueError(f"block_size must be a positive integer or None, got {block_size!r}.")
    return nb


def default_qr_variant(m: int, n: int) -> tuple[str, int]:
    """The variant ``householder_qr(a)`` uses for an ``m x n`` matrix: ``(name, block_size)``.

    Chosen by measurement (NumPy/OpenBLAS and PyTorch on CPU): Python's
    per-column overhead dominates small problems, where the unblocked
    algorithm is fastest; LAPACK-style blocking with narrow panels wins up to
    ``min(m, n) ~ 1000``; beyond that the recursive panels' BLAS-3 work wins.

    Examples
    --------
    >>> from pivotal.kernels.householder import default_qr_variant
    >>> default_qr_variant(100, 100), default_qr_variant(20000, 200), default_qr_variant(4000, 4000)
    (('geqr2', 1), ('geqrf_blocked', 64), ('geqrf_recursive', 128))
    """
    if m * n <= UNBLOCKED_MAX_SIZE:
        return "geqr2", 1
    if min(m, n) < RECURSIVE_MIN_K:
        return "geqrf_blocked", BLOCKED_NB
    return "geqrf_recursive", DEFAULT_BLOCK_SIZE


def householder_qr(a: Any, block_size: int | None = None) -> Any:
    """Householder QR of ``a`` in place; dispatch on ``block_size``.

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch, real or complex
        Overwritten with the compact factors: ``R`` on and above the
        diagonal, the Householder vectors (implicit unit leading entry)
        below it (LAPACK ``?geqrf`` layout).
    block_size : int or None, optional
        ``None`` (default): the fastest variant for the shape
        (:func:`default_qr_variant`): :func:`geqr2` for small matrices,
        :func:`geqrf_blocked` with ``nb = 64`` up to ``min(m, n) ~ 1000``,
        the hybrid recursive :func:`geqrf_recursive` beyond.  ``1``: the
        textbook algorithm (:func:`geqr2`).  ``nb > 1``: LAPACK's blocked
        algorithm with panels of ``nb`` columns (:func:`geqrf_blocked`).

    Returns
    -------
    tau : (min(m, n),) array
        Same backend, device and dtype as ``a``.  ``Q = H_0 ... H_{k-1}``,
        ``H_j = I - tau_j v_j v_j^H``; use :func:`form_q` or :func:`apply_q`.

    Raises
    ------
    ValueError
        If ``block_size`` is not a positive integer or None.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import householder_qr, form_q
    >>> A = np.random.default_rng(0).standard_normal((5, 3))
    >>> qr = A.copy()
    >>> tau = householder_qr(qr)
    >>> Q, R = form_q(qr, tau), np.triu(qr[:3])
    >>> bool(np.allclose(Q @ R, A)), bool(np.allclose(Q.T @ Q, np.eye(3)))
    (True, True)
    """
    nb = _check_block_size(block_size)
    if nb is None:
        name, nb = default_qr_variant(*a.shape)
        if name == "geqrf_recursive":
            return geqrf_recursive(a, nb)
    return _geqrf(a, nb, None)


# --------------------------------------------------------------------------- applying Q


def _larf(v: Any, t, c: Any, side: str, cplx: bool, xp, backend) -> None:
    """Apply ``I - t v v^H`` to ``c`` in place (``v`` explicit, ``t`` a scalar)."""
    if t == 0 or c.shape[0] == 0 or c.shape[1] == 0:
        return
    vc = xp.conj(v) if cplx else v
    if side == "left":
        w = backend.matvec(c, vc, 1)  # (v^H C)^T = C^T conj(v)
        backend.ger_update(c, v * t, w)
    else:
        w = backend.matvec(c, v, 0)  # C v
        backend.ger_update(c, w * t, vc)


def _explicit_v(qr: Any, j: int, xp) -> Any:
    """Column ``j`` of ``V`` as an explicit vector ``[1, qr[j+1:, j]]``."""
    v = xp.asarray(qr[j:, j], copy=True)
    v[0] = 1
    return v


def apply_q(
    qr: Any,
    tau: Any,
    c: Any,
    *,
    side: str = "left",
    trans: bool = False,
    block_size: int | None = None,
) -> Any:
    """Apply ``Q`` (or ``Q^H``) of a compact Householder QR to ``c`` in place.

    LAPACK ``?ormqr``/``?unmqr``: ``Q`` is never formed.  With
    ``Q = H_0 ... H_{k-1}`` (``k = tau.shape[0]``):

    ============  ===========  ==============
    side          trans=False  trans=True
    ============  ===========  ==============
    ``"left"``    ``Q C``      ``Q^H C``
    ``"right"``   ``C Q``      ``C Q^H``
    ============  ===========  ==============

    (for real input ``Q^H = Q^T``).  ``Q`` is ``m x m`` with ``m =
    qr.shape[0]``.

    Parameters
    ----------
    qr : (m, n) array
        Compact factors from :func:`householder_qr` (only the strict lower
        trapezoid of the first ``k`` columns is read).
    tau : (k,) array
    c : (m, p) array (``side="left"``) or (p, m) array (``side="right"``)
        Same backend and dtype as ``qr``; overwritten.
    side : {"left", "right"}, optional
    trans : bool, optional
        Apply ``Q^H`` instead of ``Q``.
    block_size : int or None, optional
        Reflectors per block (``None``: :data:`APPLY_BLOCK_SIZE`; ``1``: one
        reflector at a time, BLAS-2).

    Returns
    -------
    c

    Raises
    ------
    ValueError
        For a bad ``side`` or ``block_size``, mismatched shapes or dtypes.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import householder_qr, apply_q
    >>> A = np.random.default_rng(1).standard_normal((6, 4))
    >>> qr = A.copy()
    >>> tau = householder_qr(qr)
    >>> QtA = apply_q(qr, tau, A.copy(), trans=True)   # Q^T A = [R; 0]
    >>> bool(np.allclose(QtA[:4], np.triu(qr[:4])) and np.allclose(QtA[4:], 0))
    True
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}.")
    nb = _check_block_size(block_size)
    nb = APPLY_BLOCK_SIZE if nb is None else nb
    m = qr.shape[0]
    k = tau.shape[0]
    if k > min(qr.shape):
        raise ValueError(
            f"tau has {k} entries but qr {tuple(qr.shape)} holds at most {min(qr.shape)} reflectors."
        )
    dim = c.shape[0] if side == "left" else c.shape[1]
    if dim != m:
        raise ValueError(
            f"c has shape {tuple(c.shape)}; applying Q ({m} x {m}) from the {side} needs "
            f"{'c.shape[0]' if side == 'left' else 'c.shape[1]'} == {m}."
        )
    if c.dtype != qr.dtype:
        raise ValueError(f"c has dtype {c.dtype} but qr has {qr.dtype}; convert c to {qr.dtype} first.")
    if k == 0 or c.shape[0] == 0 or c.shape[1] == 0:
        return c
    xp = namespace(c)
    backend = get_backend(c)
    cplx = is_complex(c.dtype)
    # Q C and C Q^H run backwards over the reflectors, Q^H C and C Q forwards.
    forward = (side == "left") == bool(trans)
    if nb == 1:
        order = range(k) if forward else range(k - 1, -1, -1)
        for j in order:
            t = tau[j].item()
            if cplx and trans:
                t = t.conjugate()
            v = _explicit_v(qr, j, xp)
            sub = c[j:, :] if side == "left" else c[:, j:]
            _larf(v, t, sub, side, cplx, xp, backend)
        return c
    starts = list(range(0, k, nb))
    if not forward:
        starts.reverse()
    for j in starts:
        jb = min(nb, k - j)
        v = qr[j:, j : j + jb]
        t = larft(v, tau[j : j + jb])
        sub = c[j:, :] if side == "left" else c[:, j:]
        larfb(v, t, sub, side=side, trans=trans)
    return c


def form_q(qr: Any, tau: Any, ncols: int | None = None, *, block_size: int | None = None) -> Any:
    """Form ``Q`` (its first ``ncols`` columns) from a compact Householder QR.

    LAPACK ``?orgqr``/``?ungqr``: backward accumulation
    ``Q = H_0 (H_1 (... (H_{k-1} I)))``, which only ever touches the trailing
    block ``Q[j:, j:]`` where the reflectors of step ``j`` act.

    Parameters
    ----------
    qr : (m, n) array
        Compact factors from :func:`householder_qr`.
    tau : (k,) array
    ncols : int, optional
        Number of columns, ``0 <= ncols <= m``; default ``min(m, n)`` (the
        economic ``Q``).  ``ncols = m`` gives the full square ``Q``.
    block_size : int or None, optional
        Reflectors per block (``None``: :data:`APPLY_BLOCK_SIZE`; ``1``:
        unblocked).

    Returns
    -------
    Q : (m, ncols) array
        A new array with orthonormal columns, same backend and dtype.

    Raises
    ------
    ValueError
        If ``ncols`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.householder import householder_qr, form_q
    >>> A = np.random.default_rng(2).standard_normal((5, 2))
    >>> qr = A.copy()
    >>> tau = householder_qr(qr)
    >>> form_q(qr, tau).shape, form_q(qr, tau, 5).shape
    ((5, 2), (5, 5))
    >>> Q = form_q(qr, tau, 5)
    >>> bool(np.allclose(Q.T @ Q, np.eye(5)))
    True
    """
    m, n = qr.shape
    k = tau.shape[0]
    ncols = min(m, n) if ncols is None else int(ncols)
    if not 0 <= ncols <= m:
        raise ValueError(f"ncols must satisfy 0 <= ncols <= m = {m}, got {ncols}.")
    nb = _check_block_size(block_size)
    nb = APPLY_BLOCK_SIZE if nb is None else nb
    xp = namespace(qr)
    backend = get_backend(qr)
    if backend_name(qr) == "torch":
        import torch

        q = torch.eye(m, ncols, dtype=qr.dtype, device=qr.device)
    else:
        q = np.eye(m, ncols, dtype=qr.dtype)
    kk = min(k, ncols)
    if kk == 0:
        return q
    cplx = is_complex(qr.dtype)
    if nb == 1:
        for j in range(kk - 1, -1, -1):
            v = _explicit_v(qr, j, xp)
            _larf(v, tau[j].item(), q[j:, j:], "left", cplx, xp, backend)
        return q
    starts = list(range(0, kk, nb))
    for j in reversed(starts):
        jb = min(nb, kk - j)
        v = qr[j:, j : j + jb]
        t = larft(v, tau[j : j + jb])
        larfb(v, t, q[j:, j:], side="left", trans=False)
    return q
