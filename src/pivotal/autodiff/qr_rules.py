"""Derivative rule of ``qr``: tall, square and wide matrices, with or without column pivoting.

Conjugate-Wirtinger cotangents (see :mod:`._rule`).  The signs (phases) of
``diag(R)`` are fixed by the forward and locally constant, so ``Q`` and ``R``
are differentiable functions of a full-rank ``A``; the diagonal of ``R`` is
real (LAPACK's Householder QR and the Cholesky-based methods both give it).

Tall or square (``m >= n``, thin ``Q``; Walter & Lehmann 2018, Seeger et al.
2017, Liao et al. 2019)
    With ``X = Q^H dA R^{-1}``, ``C = Q^H dQ`` is skew-Hermitian with the
    strictly lower part of ``X`` and ``i Im diag(X)`` on its diagonal;
    ``dR = (X - C) R`` and ``dQ = Q C + (I - Q Q^H) dA R^{-1}``.  Transposing:

        M = R R_bar^H - Q_bar^H Q,
        A_bar = (Q_bar + Q copyltu(M)) R^{-H},   copyltu(M) = Phi(M) + Phi(M)^H,

    ``Phi`` the lower triangle with the diagonal halved.
Wide (``m < n``; Roberts & Roberts 2020, "QR and LQ decomposition matrix
backpropagation algorithms for square, wide, and deep matrices")
    ``A = [X, Y]``, ``X = Q R1`` square and ``R2 = Q^H Y``: ``Y_bar = Q R2_bar``
    and ``X_bar`` is the square rule with ``Q_bar + Y R2_bar^H``.
Column pivoting
    ``A[:, P] = Q R`` with ``P`` a constant: the rule above gives the
    gradient of ``A[:, P]``, scattered back to the columns of ``A``.
"""

from __future__ import annotations

from typing import Any

from .._array import is_complex, namespace
from ._ops import mH
from ._rule import Rule, register
from .factor_rules import inverse_permutation, right_solve, take_columns

__all__ = ["QR"]


def _copyltu(m: Any) -> Any:
    xp = namespace(m)
    phi = xp.tril(m, k=-1) + xp.tril(xp.triu(m)) / 2
    return phi + mH(phi)


def qr_tall_vjp(q: Any, r: Any, q_bar: Any, r_bar: Any) -> Any:
    """``A_bar`` for ``A = Q R``, ``m >= n``, thin ``Q`` (see the module docs)."""
    xp = namespace(r)
    r_bar = xp.triu(r_bar)
    m = r @ mH(r_bar) - mH(q_bar) @ q
    return right_solve(q_bar + q @ _copyltu(m), r, lower=False, herm=True)


def qr_vjp_core(a: Any, q: Any, r: Any, q_bar: Any, r_bar: Any) -> Any:
    """``A_bar`` for any shape: tall/square directly, wide through its leading square block."""
    xp = namespace(r)
    m, n = a.shape[-2:]
    if m >= n:
        return qr_tall_vjp(q, r, q_bar, r_bar)
    r_bar = xp.triu(r_bar)
    r2_bar = r_bar[..., :, m:]
    y = a[..., :, m:]
    x_bar = qr_tall_vjp(q, r[..., :, :m], q_bar + y @ mH(r2_bar), r_bar[..., :, :m])
    return xp.concat([x_bar, q @ r2_bar], axis=-1)


def _qr_vjp(static, args, out, cts, needs, primal):
    (a,) = args
    if static["pivoting"]:
        q, r, p = out
        q_bar, r_bar, _ = cts
        ap = take_columns(a, p)
        return (take_columns(qr_vjp_core(ap, q, r, q_bar, r_bar), inverse_permutation(p)),)
    q, r = out
    q_bar, r_bar = cts
    return (qr_vjp_core(a, q, r, q_bar, r_bar),)


def qr_tall_jvp(a: Any, q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """``(dQ, dR)`` for ``A = Q R``, ``m >= n``, thin ``Q`` (module docs): ``Y = dA R^{-1}``, ``X = Q^H Y``."""
    xp = namespace(r)
    y = right_solve(da, r, lower=False, herm=False)
    x = mH(q) @ y
    low = xp.tril(x, k=-1)
    c = low - mH(low)
    if is_complex(x.dtype):  # i Im diag(X): the phase of diag(R) stays fixed (real)
        d = xp.tril(xp.triu(x))
        c = c + (d - mH(d)) / 2
    dr = xp.triu((x - c) @ r)
    return y - q @ (x - c), dr


def _qr_tangent(a: Any, q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """Any shape: tall/square directly; wide ``[X, Y]``: the square rule on ``X`` and ``dR2 = dQ^H Y + Q^H dY``."""
    xp = namespace(r)
    m, n = a.shape[-2:]
    if m >= n:
        return qr_tall_jvp(a, q, r, da)
    dq, dr1 = qr_tall_jvp(a[..., :, :m], q, r[..., :, :m], da[..., :, :m])
    dr2 = mH(dq) @ a[..., :, m:] + mH(q) @ da[..., :, m:]
    return dq, xp.concat([dr1, dr2], axis=-1)


def _qr_jvp(static, args, out, tangents, primal):
    (a,) = args
    da = tangents[0]
    if da is None:
        return tuple(None for _ in out)
    if static["pivoting"]:
        q, r, p = out
        dq, dr = _qr_tangent(take_columns(a, p), q, r, take_columns(da, p))
        return dq, dr, None
    q, r = out
    return _qr_tangent(a, q, r, da)


QR = register(
    Rule(
        name="qr",
        functions=("qr",),
        argnums=(0,),
        vjp=_qr_vjp,
        jvp=_qr_jvp,
        caveats="full-rank A; mode='full' only for M <= N (the extra columns of Q are not unique) "
        "and mode='raw' is refused; P of pivoting=True is a constant",
        reference="Walter & Lehmann (2018); Seeger et al. (2017); wide: Roberts & Roberts (2020)",
    )
)
