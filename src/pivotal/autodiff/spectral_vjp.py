"""Backward rules (VJPs) of the Hermitian eigendecomposition and the SVD that stay finite on repeated spectra.

Pure functions on the array API: NumPy, PyTorch and JAX arrays in, the same
backend out, batched over leading dimensions.  The torch ``autograd.Function``
and JAX ``custom_vjp`` adapters wrap them; the top-k rules of
:mod:`pivotal.autodiff.topk_vjp` reuse :func:`svd_core` and :func:`eigh_core`
for their in-subspace term (one formula, not two).

Conventions
-----------
Cotangents follow PyTorch: for a real loss ``L`` of a complex ``z`` the
cotangent is ``g = dL/dRe z + i dL/dIm z``, so ``dL = Re tr(g^H dz)``.  A
missing cotangent (``None``) is zero.  ``gVh`` is the cotangent of ``Vh``
(rows), and ``gV = gVh^H`` that of ``V``.

Derivation (SVD, thin part ``A = U S V^H`` with ``U`` ``m x r``, ``V`` ``n x r``)
-----------------------------------------------------------------------------------
Differentiate ``U^H A V = S``: with ``dP = U^H dA V`` and the anti-Hermitian
``dO_U = U^H dU``, ``dO_V = V^H dV``,

    dP = dO_U S + dS - S dO_V.

The diagonal gives ``ds_i = Re dP_ii`` and ``i Im dP_ii = s_i (dO_U - dO_V)_ii``
(only the difference of the phases is fixed: the gauge ``u_i, v_i ->
e^{i t} u_i, e^{i t} v_i``).  For ``i != j`` the pair of equations for
``(i, j)`` and ``(j, i)`` gives (Townsend 2016; Seeger et al. 2017;
Ionescu et al. 2015)

    (dO_U)_ij = (s_j dP_ij + s_i conj(dP_ji)) / (s_j^2 - s_i^2),
    (dO_V)_ij = (s_i dP_ij + s_j conj(dP_ji)) / (s_j^2 - s_i^2).

Transposing, with ``J = U^H gU`` and ``K = V^H gV`` and ``skew(X) = X - X^H``,
the in-subspace cotangent is ``A_bar = U G V^H`` with (PyTorch's
``svd_backward`` in the same notation)

    G_ij = (skew(J)_ij s_j + s_i skew(K)_ij) / (s_j^2 - s_i^2) + delta_ij gs_i.

**Split form** (Wan & Zhang 2019, "Automatic differentiation for complex
valued SVD"; the "1/(s_i - s_j) + 1/(s_i + s_j)" form): since
``s_j / (s_j^2 - s_i^2) = (1/(s_j - s_i) + 1/(s_j + s_i)) / 2`` and
``s_i / (s_j^2 - s_i^2) = (1/(s_j - s_i) - 1/(s_j + s_i)) / 2``,

    G = skew(J + K) o D / 2 + skew(J - K) o E / 2 + diag(gs),
    D_ij = 1/(s_j - s_i) (i != j),   E_ij = 1/(s_j + s_i).

The difference term carries the rotations *inside* an invariant subspace,
the sum term those that exchange left and right vectors.  Its diagonal,
``skew(J - K)_ii / (4 s_i) = i Im(J - K)_ii / (2 s_i)``, is the complex gauge
term: PyTorch adds ``i Im(J_ii) / s_i``, which equals it for every loss that
does not depend on the phases (``Im(J + K)_ii = 0``; the choice ``dO_U +
dO_V = 0`` on the diagonal).  Complement (``m > r`` or ``n > r``):
``P dU S = P dA V`` gives ``A_bar += (I - U U^H) gU S^{-1} V^H``, and likewise
``U S^{-1} gV^H (I - V V^H)``.

Repeated values.  A rotation ``R`` (unitary) inside a block of equal
singular values leaves ``A`` unchanged and moves the loss by ``Re
tr((J + K)_block^H dR)``; the loss is a function of ``A`` exactly when the
anti-Hermitian part ``skew(J + K)`` vanishes on every degenerate block (and
``Im(J + K)_ii = 0`` for complex input).  Then the masked entries
``|s_i - s_j| <= tol`` of ``D`` multiply zero, and masking them (0 instead of
``1/0``) returns the exact gradient: a loss of the top triplet alone is
differentiable whatever happens below it (PyTorch and JAX return NaN there:
pytorch#194705, jax#2311).  When ``skew(J + K)`` is not zero beyond rounding
on such a pair, the loss depends on the arbitrary basis inside the
subspace; the rule warns once (:class:`DegenerateSubspaceWarning`, with the
pairs) and returns the gradient for the basis it was given, with the
exchange term dropped.  Pairs of zero singular values (``s_i + s_j <= tol``)
mask ``E`` the same way, with ``skew(J - K)`` as the test.

``full_matrices=True``.  The extra columns ``U_2`` of a square ``U`` span the
null space of ``A^H`` and are arbitrary up to ``U_2 -> U_2 R``; keeping
``[U_1 U_2]`` unitary, ``U_1^H dU_2 = -(U_2^H dU_1)^H``, so ``gU_2`` acts as
the extra cotangent ``-U_2 gU_2^H U_1`` on ``U_1`` (and ``skew(U_2^H gU_2)``
must vanish: otherwise the warning).  The same holds for ``V_2``.  This
makes rectangular ``full_matrices=True`` inputs work (JAX raises there:
jax#17518).

Derivation (eigh, ``A = V diag(w) V^H``)
---------------------------------------
``dw_i = (V^H dA V)_ii`` and ``(V^H dV)_ij = (V^H dA V)_ij / (w_j - w_i)``, so
``A_bar = V (diag(gw) + F o J) V^H`` with ``J = V^H gV`` and ``F_ij = 1 /
(w_j - w_i)`` (Giles 2008; Seeger et al. 2017).  ``A`` is Hermitian, so the
rule returns the Hermitian part, ``V (diag(gw) + skew(J) o F / 2) V^H``,
the gradient with respect to Hermitian perturbations (PyTorch's autograd
through a symmetrized input gives the same).  Degenerate pairs are masked
and tested on ``skew(J)`` exactly as above; for complex input
``Im J_ii != 0`` means the loss depends on the phase of ``v_i``.

The tolerance
-------------
Computed singular values (eigenvalues) carry absolute errors up to about
``max(m, n) u ||A||_2`` (backward stable SVD, Weyl's inequality), so values
closer than :func:`degenerate_tol`, ``max(m, n) * eps * max |s|`` with ``eps``
the machine epsilon of the dtype, cannot be told apart and are treated as
equal.  Pass ``tol=`` to change it.  The gauge test compares the masked
entries with ``sqrt(eps) * (||J||_F + ||K||_F)``: a gauge-invariant loss
makes them zero up to the rounding of ``J`` and ``K`` (``O(n eps)``), a
basis-dependent loss of order one.

References
----------
* M. Giles, "An extended collection of matrix derivative results for
  forward and reverse mode AD", 2008.
* C. Ionescu, O. Vantzos, C. Sminchisescu, "Matrix backpropagation for deep
  networks with structured layers", ICCV 2015.
* J. Townsend, "Differentiating the singular value decomposition", 2016.
* M. Seeger, A. Hetzel, Z. Dai, E. Meissner, N. Lawrence, "Auto-differentiating
  linear algebra", 2017.
* Z.-Q. Wan, S.-X. Zhang, "Automatic differentiation for complex valued SVD",
  arXiv:1909.02659, 2019.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

from .._array import is_complex, is_traced, namespace, to_numpy, unit_roundoff
from ..errors import LinAlgWarning, warn_user

__all__ = [
    "DegenerateSubspaceWarning",
    "degenerate_tol",
    "eigh_core",
    "eigh_vjp",
    "svd_core",
    "svd_vjp",
]


class DegenerateSubspaceWarning(LinAlgWarning):
    """The loss depends on the arbitrary basis inside a subspace of repeated singular values or eigenvalues.

    The attribute ``pairs`` lists the index pairs ``(i, j)`` (into the
    returned values; ``(i, i)`` for the complex phase of pair ``i``) on
    which the test failed.  The gradient returned is that of the basis the
    decomposition happened to return, without the rotation terms.
    """

    def __init__(self, pairs: list[tuple[int, int]], what: str = "singular values"):
        self.pairs = pairs
        shown = ", ".join(str(p) for p in pairs[:10]) + (", ..." if len(pairs) > 10 else "")
        super().__init__(
            f"the loss depends on the arbitrary basis of a subspace of repeated {what} "
            f"(pairs {shown}): its derivative is not defined there, and the rotation terms "
            "of these pairs were dropped. Use a loss that depends on the subspace only "
            "(a projector, or a sum over the repeated values), or separate the values."
        )


# --------------------------------------------------------------------------- helpers


def _mH(xp, x: Any) -> Any:
    t = xp.matrix_transpose(x)
    return xp.conj(t) if is_complex(x.dtype) else t


def _skew(xp, x: Any) -> Any:
    return x - _mH(xp, x)


def _eye(xp, k: int, like: Any) -> Any:
    return xp.eye(k, dtype=like.dtype, device=array_api_compat.device(like))


def _diag(xp, x: Any) -> Any:
    """The diagonal of a (batch of) square matrices, as ``(..., k)``."""
    k = x.shape[-1]
    return xp.sum(x * _eye(xp, k, x), axis=-1)


def _diag_embed(xp, d: Any, like: Any) -> Any:
    return d[..., None, :] * _eye(xp, d.shape[-1], like)


def _as_dtype(xp, x: Any, like: Any) -> Any:
    return x if x.dtype == like.dtype else xp.astype(x, like.dtype)


def _eps(dtype: Any) -> float:
    return 2.0 * unit_roundoff(dtype)


def degenerate_tol(values: Any, size: int) -> Any:
    """The default tolerance below which two singular values (eigenvalues) count as equal.

    ``size * eps * max|values|`` along the last axis (shape ``(..., 1, 1)``,
    ready to compare with pairwise differences), ``eps`` the machine epsilon
    of ``values``' dtype and ``size`` the largest dimension of ``A``: the
    absolute error of computed singular values is about ``size u ||A||_2``.
    """
    xp = namespace(values)
    if values.shape[-1] == 0:
        return xp.zeros(values.shape[:-1] + (1, 1), dtype=values.dtype)
    top = xp.max(xp.abs(values), axis=-1)
    return (max(int(size), 1) * _eps(values.dtype)) * top[..., None, None]


def _tol_array(xp, tol: Any, values: Any, size: int) -> Any:
    if tol is None:
        return degenerate_tol(values, size)
    if getattr(tol, "ndim", None) == 0 and not is_traced(tol):
        tol = float(tol)
    if isinstance(tol, (int, float)):
        if not (math.isfinite(float(tol)) and float(tol) >= 0):
            raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
        return float(tol)
    return tol


def _masked_inverse(xp, d: Any, tol: Any) -> Any:
    """``1/d`` where ``|d| > tol``, zero elsewhere (no Inf or NaN is ever formed)."""
    ok = xp.abs(d) > tol
    one = xp.ones_like(d)
    return xp.where(ok, one / xp.where(ok, d, one), xp.zeros_like(d))


def _gauge_pairs(xp, values: Any, mask: Any, scale: Any, batch_shape: tuple) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i <= j``, where ``mask`` holds and ``|values| > sqrt(eps) * scale``."""
    if is_traced(values) or is_traced(scale):
        return []
    eps = _eps(scale.dtype)
    bad = mask & (xp.abs(values) > math.sqrt(eps) * scale[..., None, None])
    if not bool(xp.any(bad)):
        return []
    import numpy as np

    b = to_numpy(bad)
    b = b.reshape((-1,) + b.shape[-2:]).any(axis=0)
    i, j = np.nonzero(np.triu(b | b.T))
    return [(int(a), int(c)) for a, c in zip(i, j, strict=True)]


def _fro(xp, x: Any) -> Any:
    return xp.sqrt(xp.sum(xp.abs(x) ** 2, axis=(-2, -1)))


# --------------------------------------------------------------------------- cores


def svd_core(
    s: Any,
    J: Any | None,
    K: Any | None,
    gs: Any | None,
    *,
    tol: Any = None,
    size: int | None = None,
    warn: bool = True,
) -> Any:
    """The in-subspace SVD cotangent ``G`` (``A_bar = U G V^H``) in the split form.

    Parameters
    ----------
    s : (..., r) array
        Singular values (any order; real).
    J, K : (..., r, r) arrays or None
        ``U^H gU`` and ``V^H gV`` (None when the cotangent is zero).
    gs : (..., r) array or None
        Cotangent of ``s``.
    tol : float or array, optional
        Pairs with ``|s_i - s_j| <= tol`` are degenerate (default
        :func:`degenerate_tol` with ``size``).
    size : int, optional
        ``max(m, n)`` for the default tolerance (default ``r``).
    warn : bool
        Issue :class:`DegenerateSubspaceWarning` for a basis-dependent loss.

    Returns
    -------
    G : (..., r, r) array
        ``skew(J + K) o D / 2 + skew(J - K) o E / 2 + diag(gs)`` (module notes).
    """
    xp = namespace(s, J, K, gs)
    r = s.shape[-1]
    like = J if J is not None else K
    if like is None:
        like = s
    tol_ = _tol_array(xp, tol, s, r if size is None else size)
    dt = like.dtype
    s_ = _as_dtype(xp, s, like) if J is not None or K is not None else s
    diff = s_[..., None, :] - s_[..., :, None]  # s_j - s_i
    summ = s_[..., None, :] + s_[..., :, None]
    D = _masked_inverse(xp, diff, tol_)
    E = _masked_inverse(xp, summ, tol_)
    zero = xp.zeros(s.shape + (r,), dtype=dt, device=array_api_compat.device(s))
    skJ = _skew(xp, J) if J is not None else zero
    skK = _skew(xp, K) if K is not None else zero
    plus, minus = skJ + skK, skJ - skK
    G = 0.5 * (plus * D + minus * E)
    if gs is not None:
        G = G + _diag_embed(xp, _as_dtype(xp, gs, G), G)
    if warn and (J is not None or K is not None):
        scale = _fro(xp, J) if J is not None else _fro(xp, K)
        if J is not None and K is not None:
            scale = scale + _fro(xp, K)
        pairs = _gauge_pairs(xp, plus, xp.abs(diff) <= tol_, scale, s.shape[:-1])
        pairs += _gauge_pairs(xp, minus, xp.abs(summ) <= tol_, scale, s.shape[:-1])
        if pairs:
            warn_user(DegenerateSubspaceWarning(sorted(set(pairs))))
    return G


def eigh_core(
    w: Any,
    J: Any | None,
    gw: Any | None,
    *,
    tol: Any = None,
    size: int | None = None,
    warn: bool = True,
) -> Any:
    """The in-subspace eigh cotangent ``G`` (``A_bar = V G V^H``, Hermitian).

    ``G = diag(gw) + skew(J) o F / 2`` with ``J = V^H gV`` and ``F_ij =
    1/(w_j - w_i)`` masked to zero where ``|w_i - w_j| <= tol`` (module
    notes).  ``w`` may be in any order.
    """
    xp = namespace(w, J, gw)
    r = w.shape[-1]
    tol_ = _tol_array(xp, tol, w, r if size is None else size)
    if J is None:
        if gw is None:
            return xp.zeros(w.shape + (r,), dtype=w.dtype, device=array_api_compat.device(w))
        return _diag_embed(xp, gw, gw)
    w_ = _as_dtype(xp, w, J)
    diff = w_[..., None, :] - w_[..., :, None]
    skJ = _skew(xp, J)
    G = 0.5 * skJ * _masked_inverse(xp, diff, tol_)
    if gw is not None:
        G = G + _diag_embed(xp, _as_dtype(xp, gw, G), G)
    if warn:
        pairs = _gauge_pairs(xp, skJ, xp.abs(diff) <= tol_, _fro(xp, J), w.shape[:-1])
        if pairs:
            warn_user(DegenerateSubspaceWarning(pairs, "eigenvalues"))
    return G


# --------------------------------------------------------------------------- full decompositions


def _full_extra(xp, X: Any, gX: Any, r: int, name: str, warn: bool) -> Any:
    """Fold the cotangent of the extra columns ``X_2`` of a square ``X`` onto ``X_1`` (module notes)."""
    X1, X2 = X[..., :, :r], X[..., :, r:]
    g1, g2 = gX[..., :, :r], gX[..., :, r:]
    if warn and not is_traced(g2):
        J2 = _mH(xp, X2) @ g2
        sk = _skew(xp, J2)
        scale = _fro(xp, J2) + _fro(xp, _mH(xp, X1) @ g1)
        k2 = J2.shape[-1]
        mask = xp.ones((k2, k2), dtype=xp.bool, device=array_api_compat.device(J2))
        pairs = _gauge_pairs(xp, sk, mask, scale, J2.shape[:-2])
        if pairs:
            warn_user(
                DegenerateSubspaceWarning(
                    [(r + i, r + j) for i, j in pairs], f"null-space columns of {name} (full_matrices=True)"
                )
            )
    return g1 - X2 @ (_mH(xp, g2) @ X1)


def svd_vjp(
    U: Any,
    s: Any,
    Vh: Any,
    gU: Any | None = None,
    gs: Any | None = None,
    gVh: Any | None = None,
    *,
    tol: Any = None,
    warn: bool = True,
) -> Any:
    """Cotangent of ``A`` for ``U, s, Vh = svd(A)``, finite on repeated singular values.

    Parameters
    ----------
    U : (..., m, r) or (..., m, m) array
        Left singular vectors (``full_matrices=True`` when ``m > r``
        columns are given, ``r = len(s)``).
    s : (..., r) array
        Singular values, any order, real; ``r = min(m, n)``.
    Vh : (..., r, n) or (..., n, n) array
        Right singular vectors as rows.
    gU, gs, gVh : arrays or None
        Cotangents of ``U``, ``s``, ``Vh`` (None: zero).
    tol : float, optional
        Degeneracy tolerance (default :func:`degenerate_tol`,
        ``max(m, n) * eps * max(s)``).
    warn : bool
        Warn when the loss depends on the basis of a degenerate subspace.

    Returns
    -------
    gA : (..., m, n) array
        ``dL = Re tr(gA^H dA)``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.autodiff.spectral_vjp import svd_vjp
    >>> A = np.diag([3.0, 1.0, 1.0])              # sigma_2 = sigma_3
    >>> U, s, Vh = np.linalg.svd(A)
    >>> gU = np.zeros_like(U); gU[:, 0] = [1.0, 2.0, 0.0]   # a loss of u_1 only
    >>> gA = svd_vjp(U, s, Vh, gU, None, None)
    >>> bool(np.isfinite(gA).all()), float(gA[1, 0])   # 3 * 2 / (3**2 - 1**2)
    (True, 0.75)
    """
    xp = namespace(U, s, Vh, gU, gs, gVh)
    m, n, r = U.shape[-2], Vh.shape[-1], s.shape[-1]
    if r != min(m, n) or Vh.shape[-2] not in (r, n) or U.shape[-1] not in (r, m):
        raise ValueError(
            f"inconsistent SVD shapes U {tuple(U.shape)}, s {tuple(s.shape)}, Vh {tuple(Vh.shape)}: "
            "expected U (m, min(m, n)) or (m, m), s (min(m, n),), Vh (min(m, n), n) or (n, n)."
        )
    gV = _mH(xp, gVh) if gVh is not None else None
    V = _mH(xp, Vh)
    if U.shape[-1] > r:  # full_matrices=True, tall
        if gU is not None:
            gU = _full_extra(xp, U, gU, r, "U", warn)
        U = U[..., :, :r]
    if V.shape[-1] > r:  # full_matrices=True, wide
        if gV is not None:
            gV = _full_extra(xp, V, gV, r, "V", warn)
        V = V[..., :, :r]
    Uh, Vh_ = _mH(xp, U), _mH(xp, V)
    J = Uh @ gU if gU is not None else None
    K = _mH(xp, V) @ gV if gV is not None else None
    G = svd_core(s, J, K, gs, tol=tol, size=max(m, n), warn=warn)
    G = _as_dtype(xp, G, U)
    tol_ = _tol_array(xp, tol, s, max(m, n))
    tol_s = tol_[..., 0] if len(getattr(tol_, "shape", ())) >= 2 else tol_  # (..., 1) against s (..., r)
    inv_s = _masked_inverse(xp, _as_dtype(xp, s, U), tol_s)
    core = U @ G
    if m > r and gU is not None:  # (I - U U^H) gU S^{-1}, one-sided complement
        core = core + (gU - U @ J) * inv_s[..., None, :]
    gA = core @ Vh_
    if n > r and gV is not None:  # U S^{-1} gV^H (I - V V^H)
        gA = gA + (U * inv_s[..., None, :]) @ (_mH(xp, gV) - (_mH(xp, K) @ Vh_))
    return gA


def eigh_vjp(
    w: Any,
    V: Any,
    gw: Any | None = None,
    gV: Any | None = None,
    *,
    tol: Any = None,
    warn: bool = True,
) -> Any:
    """Cotangent of a Hermitian ``A`` for ``w, V = eigh(A)``, finite on repeated eigenvalues.

    Returns the Hermitian matrix ``V (diag(gw) + skew(V^H gV) o F / 2) V^H``
    (module notes): the gradient with respect to Hermitian perturbations.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.autodiff.spectral_vjp import eigh_vjp
    >>> w, V = np.linalg.eigh(np.diag([1.0, 1.0, 4.0]))   # a repeated eigenvalue
    >>> gA = eigh_vjp(w, V, np.array([0.0, 0.0, 1.0]), None)   # L = lambda_max
    >>> np.allclose(gA, np.diag([0.0, 0.0, 1.0]))
    True
    """
    xp = namespace(w, V, gw, gV)
    n = V.shape[-2]
    if V.shape[-1] != w.shape[-1] or V.shape[-1] != n:
        raise ValueError(
            f"inconsistent eigh shapes w {tuple(w.shape)}, V {tuple(V.shape)}: expected (n,), (n, n)."
        )
    J = _mH(xp, V) @ gV if gV is not None else None
    G = _as_dtype(xp, eigh_core(w, J, gw, tol=tol, size=n, warn=warn), V)
    return V @ G @ _mH(xp, V)
