"""Derivative rules of the dense spectral decompositions: ``svd`` / ``svdvals`` and ``eigh`` / ``eigvalsh``.

The formulas are those of :mod:`.spectral_vjp` (derived there): the split
form ``1/(s_i - s_j) + 1/(s_i + s_j)`` with degenerate pairs masked, the
:class:`~.spectral_vjp.DegenerateSubspaceWarning` for a loss that depends on
the arbitrary basis of a repeated subspace, ``full_matrices=True`` and
complex input.  This module adds what the public functions need around
them (conjugate-Wirtinger cotangents, see :mod:`._rule`):

``svd``
    The rule's primal always returns ``(U, s, Vh)`` (``compute_uv=False``
    computes the vectors too and returns ``s``: ``A_bar = U diag(gs) V^H``
    needs them).  Townsend (2016); Wan & Zhang (2019) for the split form.
``eigh``, one triangle read
    The primal reads the Hermitian matrix ``M = tril(A) + tril(A, -1)^H``
    (real part of the diagonal) for ``lower=True``.  With ``G`` the
    Hermitian gradient of :func:`~.spectral_vjp.eigh_vjp` (Giles 2008), the
    adjoint of ``A -> M`` gives ``A_bar = tril(G + G^H, -1) + diag(Re G_ii)``
    (``triu`` for ``lower=False``): the gradient reaches exactly the entries
    read, and the other triangle gets zero.  Subsets (``subset_by_index``,
    ``subset_by_value``) and ``eigvals_only`` are slices of the full
    decomposition the rule records: the gradient of the returned pairs only.
``eigh`` with ``b`` (type 1, ``A v = w B v``, ``V^H B V = I``)
    Write ``dV = V C``, ``P = V^H dA V``, ``Q = V^H dB V``.  Differentiating
    ``A V = B V W`` and multiplying by ``V^H``:
    ``W C + P = Q W + C W + dW``, so ``dw_i = P_ii - w_i Q_ii`` and, for
    ``i != j``, ``C_ij = F_ij (P_ij - w_j Q_ij)`` with ``F_ij = 1/(w_j - w_i)``.
    Differentiating ``V^H B V = I``: ``C + C^H = -Q``, which fixes
    ``Re C_ii = -Q_ii / 2`` (the phase ``Im C_ii`` is the gauge), and on a
    block of equal eigenvalues the Hermitian part of ``C``.  With
    ``J = V^H gV``, ``dL = Re tr(gw^T dw) + Re tr(J^H C) = Re tr(X^H P) + Re tr(Y^H Q)``:

        X = diag(gw) + F o J,
        Y = -X W - (J o E) / 2,

    ``E`` the indicator of the degenerate pairs (``|w_i - w_j| <= tol``,
    the diagonal included; ``F`` is zero there).  ``A`` and ``B`` are
    Hermitian, so ``A_bar = V herm(X) V^H`` (the standard formula with the
    ``B``-orthonormal ``V``) and ``B_bar = V herm(Y) V^H``, ``herm(Z) =
    (Z + Z^H) / 2``, each mapped to the triangle read as above.  (Seeger et
    al. 2017, sec. 3.3; checked in the tests against PyTorch's autograd
    through the Cholesky reduction.)  Types 2 and 3 have no rule.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from .._array import is_complex, namespace
from ._ops import mH, real
from ._rule import Rule, register
from .spectral_vjp import _masked_inverse, _tol_array, eigh_vjp, svd_vjp

__all__ = ["EIGH", "SVD"]


def _svd_vjp(static, args, out, cts, needs, primal):
    u, s, vh = out
    gu, gs, gvh = cts
    return (svd_vjp(u, s, vh, gu, gs, gvh),)


SVD = register(
    Rule(
        name="svd",
        functions=("svd", "svdvals"),
        argnums=(0,),
        vjp=_svd_vjp,
        caveats="finite on repeated singular values (degenerate pairs masked; a basis-dependent loss warns "
        "DegenerateSubspaceWarning); full_matrices=True works (the null-space columns' gauge is projected "
        "out); JAX: lapack_driver='gesvd' cannot be traced",
        reference="Townsend (2016); Wan & Zhang (2019), split form; pivotal.autodiff.spectral_vjp",
    )
)


def _triangle_cotangent(g: Any, lower: bool) -> Any:
    """``A_bar`` of a matrix of which only the ``lower`` (upper) triangle is read, from the Hermitian ``G``."""
    xp = namespace(g)
    both = g + mH(g)
    tri = xp.tril(both, k=-1) if lower else xp.triu(both, k=1)
    d = real(xp.linalg.diagonal(g))
    if is_complex(g.dtype):
        d = xp.astype(d, g.dtype)
    n = g.shape[-1]
    eye = xp.eye(n, dtype=g.dtype, device=array_api_compat.device(g))
    return tri + d[..., None, :] * eye


def _unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the batch dimensions that were broadcast to reach it from ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    xp = namespace(g)
    extra = len(g.shape) - len(shape)
    if extra > 0:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, k in enumerate(shape[:-2]) if k == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g


def _herm(x: Any) -> Any:
    return 0.5 * (x + mH(x))


def _generalized_b_bar(w: Any, v: Any, gw: Any, gv: Any) -> Any:
    """``V herm(Y) V^H`` with ``Y = -X W - (J o E) / 2`` (module notes): the Hermitian gradient of ``B``."""
    xp = namespace(v)
    n = w.shape[-1]
    wv = xp.astype(w, v.dtype) if w.dtype != v.dtype else w
    tol = _tol_array(xp, None, w, n)
    diff = w[..., None, :] - w[..., :, None]  # w_j - w_i
    x = xp.zeros(v.shape, dtype=v.dtype, device=array_api_compat.device(v))
    y = x
    if gv is not None:
        j = mH(v) @ gv
        f = _masked_inverse(xp, diff, tol)
        deg = xp.astype(xp.abs(diff) <= tol, v.dtype)
        x = x + xp.astype(f, v.dtype) * j
        y = y - 0.5 * (j * deg)
    if gw is not None:
        eye = xp.eye(n, dtype=v.dtype, device=array_api_compat.device(v))
        x = x + xp.astype(gw, v.dtype)[..., None, :] * eye
    y = y - x * wv[..., None, :]
    return v @ _herm(y) @ mH(v)


def _eigh_vjp(static, args, out, cts, needs, primal):
    a, b = args
    w, v = out
    gw, gv = cts
    lower = static["lower"]
    g = eigh_vjp(w, v, gw, gv)
    a_bar = _unbroadcast(_triangle_cotangent(g, lower), tuple(a.shape)) if needs[0] else None
    b_bar = None
    if b is not None and needs[1]:
        b_bar = _unbroadcast(_triangle_cotangent(_generalized_b_bar(w, v, gw, gv), lower), tuple(b.shape))
    return a_bar, b_bar


EIGH = register(
    Rule(
        name="eigh",
        functions=("eigh", "eigvalsh"),
        argnums=(0, 1),
        vjp=_eigh_vjp,
        caveats="the gradient reaches the triangle read; subsets and eigvals_only: the gradient of the "
        "returned pairs; finite on repeated eigenvalues (a basis-dependent loss warns "
        "DegenerateSubspaceWarning); b: type=1 only",
        reference="Giles (2008); Seeger et al. (2017); generalized problem derived in "
        "pivotal.autodiff.spectral_rules",
    )
)
