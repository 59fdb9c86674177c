"""Derivative rules of the factorizations themselves: ``cholesky``, ``lu``, ``lu_factor``, ``ldl``.

Conjugate-Wirtinger cotangents (PyTorch's convention, see :mod:`._rule`);
``<X, Y> = Re tr(X^H Y)``.  Pivots, permutations and the block structure of
LDL^H are piecewise constant functions of ``A``: constants of the rules.
Every backward is written with differentiable operations (matrix products,
``tril``/``triu``, the backend's ``linalg.solve``, and triangular solves
routed through the ``solve_triangular`` rule), so that it can be
differentiated again.

``cholesky`` (Murray 2016, "Differentiation of the Cholesky decomposition",
eq. 10; Iain Murray's ``Phi`` is the lower triangle with its diagonal halved)
    ``A = L L^H``: ``A_bar = L^{-H} Phi(L^H L_bar) L^{-1}``, whose Hermitian
    part ``G`` is the gradient in the space of Hermitian matrices (PyTorch's
    ``cholesky_backward``).  ``A = U^H U`` uses ``L = U^H``, ``L_bar = U_bar^H``.
    Only one triangle of ``a`` is read, so the gradient is ``G`` folded onto
    that triangle: ``2 tril(G, -1) + diag(G)`` (``triu`` for the upper one); the
    other triangle gets zero, as for ``solve(assume_a="pos")``.

``lu`` (no pivoting, ``B = P^T A = L U``, ``L`` ``(m, k)`` unit lower, ``U`` ``(k, n)``)
    Forward: ``X = L1^{-1} dB1 U1^{-1} = L1^{-1} dL1 + dU1 U1^{-1}``, the
    strictly lower and the upper parts.  Reverse (masked cotangents
    ``L_bar = tril(L_bar, -1)``, ``U_bar = triu(U_bar)``):

    * tall or square (``m >= n = k``):
      ``B_bar = (L_bar + [L1^{-H} triu(U_bar U^H - L^H L_bar); 0]) U^{-H}``;
    * wide (``m = k < n``):
      ``B_bar = L^{-H} (U_bar + [tril(L^H L_bar - U_bar U^H, -1) U1^{-H}, 0])``.

    The extra rows (columns) are ``L2 = B2 U^{-1}`` (``U2 = L^{-1} B2``),
    whose cotangents add ``-L2^H L2_bar U^{-H}`` to ``U_bar`` (``-L^{-H} U2_bar
    U2^H`` to ``L_bar``); these terms are folded in the ``triu``/``tril``
    above.  The same as PyTorch's ``linalg_lu_backward``; for the square case
    Giles (2008) sec. 3.3 and Seeger et al. (2017).

``ldl`` (Bunch-Kaufman, derived here; no peer framework has it)
    ``B = P^T A P = T D T^H``, ``T`` unit lower (upper) triangular and the
    identity inside the 2x2 blocks of ``D``.  ``X = T^{-1} dB T^{-H} = M D +
    dD + D M^H`` with ``M = T^{-1} dT`` strictly block-triangular and ``dD``
    block diagonal, so ``dD = blockdiag(X)`` and ``M = sbt(X) D^{-1}``
    (``sbt``: the strictly block-lower (upper) part).  Transposing that
    linear map: ``X_bar = sbt(T^H T_bar D^{-1}) + blockdiag(D_bar)`` and
    ``B_bar = T^{-H} X_bar T^{-1}``, whose Hermitian part, permuted back and
    folded onto the triangle read, is ``A_bar``.
"""

from __future__ import annotations

from typing import Any

from .._array import backend_name, namespace
from .._effective import swap_last
from ._apply import apply
from ._ops import inverse_permutation, lu_row_permutation, mH, take_rows
from ._rule import Rule, register
from .solve_rules import SOLVE_TRIANGULAR

__all__ = [
    "CHOLESKY",
    "LDL",
    "LU",
    "LU_FACTOR",
    "fold_hermitian",
    "inverse_permutation",
    "right_solve",
    "trsm",
]


# ----------------------------------------------------------------------------- helpers
def _solve_triangular_primal(a: Any, b: Any, *, trans: int, lower: bool, unit_diagonal: bool) -> Any:
    """``op(a)^{-1} b`` with the backend's own triangular solve (the backward's solves; batched)."""
    name = backend_name(a)
    if name == "torch":
        import torch

        dtype = torch.promote_types(a.dtype, b.dtype)
        a, b = a.to(dtype), b.to(dtype)
        t = a if trans == 0 else (a.mT if trans == 1 else a.mH)
        upper = lower if trans else not lower
        return torch.linalg.solve_triangular(t, b, upper=upper, unitriangular=unit_diagonal)
    if name == "jax":
        import jax.scipy.linalg as jsl

        return jsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    import numpy as np
    import scipy.linalg as sl

    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a2 = np.broadcast_to(a, shape + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
    b2 = np.broadcast_to(b, shape + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    out = [
        sl.solve_triangular(x, y, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
        for x, y in zip(a2, b2, strict=True)
    ]
    return np.stack(out).reshape(shape + b.shape[-2:]) if out else np.zeros(shape + b.shape[-2:])


def trsm(t: Any, b: Any, *, lower: bool, trans: int = 0, unit: bool = False) -> Any:
    """``op(t)^{-1} b``, differentiable through the ``solve_triangular`` rule (for a second order)."""
    return apply(
        SOLVE_TRIANGULAR, _solve_triangular_primal, t, b, trans=trans, lower=lower, unit_diagonal=unit
    )


def right_solve(b: Any, t: Any, *, lower: bool, herm: bool, unit: bool = False) -> Any:
    """``b t^{-H}`` (``herm``) or ``b t^{-1}``: ``(t^{-1} b^H)^H`` and ``(t^{-H} b^H)^H``."""
    return mH(trsm(t, mH(b), lower=lower, trans=0 if herm else 2, unit=unit))


def fold_hermitian(g: Any, lower: bool) -> Any:
    """The gradient of a function of the Hermitian matrix built from one triangle of its argument.

    ``g`` is the gradient in the space of Hermitian matrices (itself
    Hermitian); an entry of the strict triangle read stands for two entries
    of the matrix: ``2 tril(g, -1) + diag(g)`` (``triu`` for the upper one).
    The imaginary parts of a complex diagonal are not read: ``diag(g)`` is real.
    """
    xp = namespace(g)
    diag = xp.tril(xp.triu(g))
    diag = (diag + mH(diag)) / 2
    off = xp.tril(g, k=-1) if lower else xp.triu(g, k=1)
    return 2 * off + diag


def _hermitian_part(x: Any) -> Any:
    return (x + mH(x)) / 2


def _zeros(like: Any, shape: tuple) -> Any:
    xp = namespace(like)
    dev = like.device if backend_name(like) == "torch" else None
    return xp.zeros(tuple(like.shape[:-2]) + shape, dtype=like.dtype, device=dev)


def _eye(like: Any, m: int, k: int) -> Any:
    xp = namespace(like)
    dev = like.device if backend_name(like) == "torch" else None
    return xp.eye(m, k, dtype=like.dtype, device=dev)


def _unpack_lu(packed: Any) -> tuple[int, int, Any, Any]:
    """``(m, k, L, U)`` of LAPACK's packed ``(m, n)`` LU: unit lower ``(m, k)`` and upper ``(k, n)``, ``k = min(m, n)``."""
    xp = namespace(packed)
    m, n = packed.shape[-2:]
    k = min(m, n)
    return m, k, xp.tril(packed[..., :, :k], k=-1) + _eye(packed, m, k), xp.triu(packed[..., :k, :])


def _index(perm: Any) -> Any:
    """Indices that ``take_rows`` accepts (PyTorch's ``take_along_dim`` wants int64)."""
    if backend_name(perm) == "torch":
        import torch

        return perm.to(torch.int64)
    return perm


def take_columns(x: Any, perm: Any) -> Any:
    """``x[..., :, perm]``."""
    return swap_last(take_rows(swap_last(x), _index(perm)))


def permute_rows(x: Any, perm: Any) -> Any:
    """``x[..., perm, :]``."""
    return take_rows(x, _index(perm))


# ----------------------------------------------------------------------------- cholesky
def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved (Murray 2016)."""
    xp = namespace(x)
    return xp.tril(x, k=-1) + xp.tril(xp.triu(x)) / 2


def cholesky_hermitian_grad(low: Any, low_bar: Any) -> Any:
    """``G = herm(L^{-H} Phi(L^H L_bar) L^{-1})`` for ``A = L L^H`` (Hermitian; see the module docs)."""
    xp = namespace(low)
    low_bar = xp.tril(low_bar)
    p = _phi(mH(low) @ low_bar)
    x = right_solve(trsm(low, p, lower=True, trans=2), low, lower=True, herm=False)
    return _hermitian_part(x)


def _cholesky_vjp(static, args, c, c_bar, needs, primal):
    lower = static["lower"]
    low, low_bar = (c, c_bar) if lower else (mH(c), mH(c_bar))
    return (fold_hermitian(cholesky_hermitian_grad(low, low_bar), lower),)


def hermitian_from_triangle(da: Any, lower: bool) -> Any:
    """The Hermitian matrix read from one triangle of ``da`` (real diagonal): the adjoint of :func:`fold_hermitian`."""
    xp = namespace(da)
    off = xp.tril(da, k=-1) if lower else xp.triu(da, k=1)
    diag = xp.tril(xp.triu(da))
    return off + mH(off) + (diag + mH(diag)) / 2


def cholesky_tangent(low: Any, dm: Any) -> Any:
    """``dL = L Phi(L^{-1} dM L^{-H})`` for ``M = L L^H`` and a Hermitian ``dM`` (Murray 2016, sec. 2)."""
    x = right_solve(trsm(low, dm, lower=True), low, lower=True, herm=True)
    return low @ _phi(x)


def _cholesky_jvp(static, args, c, tangents, primal):
    # M = L L^H: L^{-1} dM L^{-H} = L^{-1} dL + (L^{-1} dL)^H with L^{-1} dL lower triangular and a
    # real diagonal, so L^{-1} dL = Phi(L^{-1} dM L^{-H}).  A = U^H U: U = L^H, dU = dL^H.
    lower = static["lower"]
    da = tangents[0]
    if da is None:
        return None
    dm = hermitian_from_triangle(da, lower)
    if lower:
        return cholesky_tangent(c, dm)
    return mH(cholesky_tangent(mH(c), dm))


CHOLESKY = register(
    Rule(
        name="cholesky",
        functions=("cholesky", "cho_factor"),
        argnums=(0,),
        vjp=_cholesky_vjp,
        jvp=_cholesky_jvp,
        caveats="only the triangle read gets a gradient (the Hermitian gradient folded onto it); "
        "the other triangle of cho_factor's c is a constant zero",
        reference="Murray (2016), eq. 10; PyTorch cholesky_backward",
    )
)


# ----------------------------------------------------------------------------- lu
def lu_core_vjp(low: Any, up: Any, low_bar: Any, up_bar: Any) -> Any:
    """``B_bar`` for ``B = L U`` without pivoting, ``L`` ``(..., m, k)``, ``U`` ``(..., k, n)`` (module docs)."""
    xp = namespace(low)
    m, k = low.shape[-2:]
    n = up.shape[-1]
    low_bar = xp.tril(low_bar, k=-1)
    up_bar = xp.triu(up_bar)
    if m >= n:
        t = xp.triu(up_bar @ mH(up) - mH(low) @ low_bar)
        top = trsm(low[..., :k, :], t, lower=True, trans=2, unit=True)
        if m > k:
            top = xp.concat([top, _zeros(top, (m - k, k))], axis=-2)
        return right_solve(low_bar + top, up, lower=False, herm=True)
    t = xp.tril(mH(low) @ low_bar - up_bar @ mH(up), k=-1)
    left = right_solve(t, up[..., :, :k], lower=False, herm=True)
    left = xp.concat([left, _zeros(left, (k, n - k))], axis=-1)
    return trsm(low, up_bar + left, lower=True, trans=2, unit=True)


def _lu_vjp(static, args, out, cts, needs, primal):
    p, low, up = out  # A = L[p] U, i.e. A[p^{-1}] = L U
    _, low_bar, up_bar = cts
    return (permute_rows(lu_core_vjp(low, up, low_bar, up_bar), p),)


def lu_core_jvp(low: Any, up: Any, db: Any) -> tuple[Any, Any]:
    """``(dL, dU)`` of ``B = L U`` without pivoting, ``L`` ``(..., m, k)``, ``U`` ``(..., k, n)`` (module docs).

    ``X = L1^{-1} dB1 U1^{-1}``: ``dL1 = L1 tril(X, -1)``, ``dU1 = triu(X) U1``; the extra rows of a tall
    ``B`` give ``dL2 = (dB2 - L2 dU1) U1^{-1}``, the extra columns of a wide one ``dU2 = L1^{-1} (dB2 - dL1 U2)``.
    """
    xp = namespace(low)
    m, k = low.shape[-2:]
    n = up.shape[-1]
    l1, u1 = low[..., :k, :], up[..., :, :k]
    x = right_solve(trsm(l1, db[..., :k, :k], lower=True, unit=True), u1, lower=False, herm=False)
    dl1, du1 = l1 @ xp.tril(x, k=-1), xp.triu(x) @ u1
    dl, du = dl1, du1
    if m > k:
        dl2 = right_solve(db[..., k:, :] - low[..., k:, :] @ du1, u1, lower=False, herm=False)
        dl = xp.concat([dl1, dl2], axis=-2)
    if n > k:
        du2 = trsm(l1, db[..., :, k:] - dl1 @ up[..., :, k:], lower=True, unit=True)
        du = xp.concat([du1, du2], axis=-1)
    return dl, du


def _lu_jvp(static, args, out, tangents, primal):
    p, low, up = out  # A = L[p] U: B = A[p^{-1}] = L U
    da = tangents[0]
    if da is None:
        return None, None, None
    dl, du = lu_core_jvp(low, up, permute_rows(da, inverse_permutation(p)))
    return None, dl, du


LU = register(
    Rule(
        name="lu",
        functions=("lu",),
        argnums=(0,),
        vjp=_lu_vjp,
        jvp=_lu_jvp,
        caveats="partial pivoting only (P is a constant); square and rectangular; "
        "a singular U has no derivative (the gradient is not finite)",
        reference="Giles (2008) sec. 3.3; rectangular as PyTorch linalg_lu_backward (derivation in the module)",
    )
)


def _lu_factor_vjp(static, args, out, cts, needs, primal):
    packed, piv = out
    packed_bar = cts[0]
    m, k, low, up = _unpack_lu(packed)
    b_bar = lu_core_vjp(low, up, packed_bar[..., :, :k], packed_bar[..., :k, :])
    perm = lu_row_permutation(piv, m)  # B = A[perm]
    return (permute_rows(b_bar, inverse_permutation(perm)),)


def _lu_factor_jvp(static, args, out, tangents, primal):
    packed, piv = out
    da = tangents[0]
    if da is None:
        return None, None
    xp = namespace(packed)
    n = packed.shape[-1]
    m, k, low, up = _unpack_lu(packed)
    dl, du = lu_core_jvp(low, up, permute_rows(da, lu_row_permutation(piv, m)))  # B = A[perm]
    dl = xp.tril(dl, k=-1)
    if n > k:
        dl = xp.concat([dl, _zeros(dl, (m, n - k))], axis=-1)
    if m > k:
        du = xp.concat([du, _zeros(du, (m - k, n))], axis=-2)
    return dl + du, None


LU_FACTOR = register(
    Rule(
        name="lu_factor",
        functions=("lu_factor",),
        argnums=(0,),
        vjp=_lu_factor_vjp,
        jvp=_lu_factor_jvp,
        caveats="partial pivoting only (piv is a constant); the cotangent of the packed lu "
        "splits into strict lower (L) and upper (U) parts",
        reference="as the lu rule, on the packed factors",
    )
)


# ----------------------------------------------------------------------------- ldl
def _block_masks(d: Any, lower: bool) -> tuple[Any, Any]:
    """``(blockdiag, strict_block_triangle)`` 0/1 masks of the 1x1/2x2 block structure of ``d``.

    A 2x2 block sits at ``(i, i+1)`` where ``d[i+1, i] != 0`` (an exactly zero
    off-diagonal entry of a 2x2 pivot would be read as two 1x1 blocks).
    """
    xp = namespace(d)
    n = d.shape[-1]
    dev = d.device if backend_name(d) == "torch" else None
    eye = xp.eye(n, dtype=d.dtype, device=dev)
    bd = xp.broadcast_to(eye, d.shape)
    if n > 1:
        two = xp.astype(xp.linalg.diagonal(d, offset=-1) != 0, d.dtype)  # (..., n-1)
        zero = xp.zeros(tuple(two.shape[:-1]) + (1,), dtype=d.dtype, device=dev)
        sub = xp.eye(n, n, k=-1, dtype=d.dtype, device=dev) * xp.concat([two, zero], axis=-1)[..., None, :]
        bd = bd + sub + swap_last(sub)
    ones = xp.ones((n, n), dtype=d.dtype, device=dev)
    tri = xp.tril(ones, k=-1) if lower else xp.triu(ones, k=1)
    return bd, tri * (1 - bd)


def _ldl_vjp(static, args, out, cts, needs, primal):
    lower = static["lower"]
    lu, d, perm = out
    lu_bar, d_bar, _ = cts
    t = permute_rows(lu, perm)  # B = A[perm][:, perm] = T D T^H
    t_bar = permute_rows(lu_bar, perm)
    bd, strict = _block_masks(d, lower)
    # M = sbt(X) D^{-1}  ->  X_bar = sbt(T^H T_bar D^{-H}) + blockdiag(D_bar); D^{-H} D^H = I
    y = right_solve_block(mH(t) @ t_bar, d)
    x_bar = strict * y + bd * d_bar
    b_bar = right_solve(
        trsm(t, x_bar, lower=lower, trans=2, unit=True), t, lower=lower, herm=False, unit=True
    )
    g = _hermitian_part(b_bar)
    inv = inverse_permutation(perm)
    g = take_columns(permute_rows(g, inv), inv)
    return (fold_hermitian(g, lower),)


def right_solve_block(y: Any, d: Any) -> Any:
    """``y D^{-H}`` for the block diagonal ``D`` (Hermitian: ``D^{-H} = D^{-1}``): the backend's solve."""
    return mH(namespace(d).linalg.solve(d, mH(y)))


LDL = register(
    Rule(
        name="ldl",
        functions=("ldl",),
        argnums=(0,),
        vjp=_ldl_vjp,
        caveats="Hermitian (and real symmetric) only; permutation and 1x1/2x2 block structure "
        "are constants; only the triangle read gets a gradient",
        reference="derived in pivotal.autodiff.factor_rules (checked by finite differences)",
    )
)
