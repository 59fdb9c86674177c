"""Derivative rules of least squares and the pseudo-inverse: ``lstsq``, ``sketch_lstsq``, ``pinv``.

Derivation (Golub & Pereyra 1973, "The differentiation of pseudo-inverses
and nonlinear least squares problems whose variables separate", Thm. 4.3).
At fixed rank, the pseudo-inverse ``A^+`` of ``A`` has the differential

    dA^+ = -A^+ dA A^+ + A^+ A^{+H} dA^H (I - A A^+) + (I - A^+ A) dA^H A^{+H} A^+.

``pinv``: with ``B = A^+`` and ``<X, dA> = Re tr(X^H dA)`` (conjugate-Wirtinger
cotangents, PyTorch's convention, see :mod:`._rule`), the three terms give

    A_bar = -B^H B_bar B^H + (I - A B) B_bar^H B B^H + B^H B B_bar^H (I - B A).

``lstsq``: the minimum-norm solution ``x = A^+ b`` has ``dx = dA^+ b + A^+
db``; with the residual ``r = b - A x = (I - A A^+) b`` the three terms are
``-A^+ dA x + A^+ A^{+H} dA^H r + (I - A^+ A) dA^H A^{+H} x``, whence

    b_bar = A^{+H} x_bar,
    A_bar = -b_bar x^H + r (A^+ b_bar)^H + (A^{+H} x) ((I - A^+ A) x_bar)^H.

For ``A`` of full column rank ``A^+ A = I`` and the third term vanishes;
for full row rank (wide ``A``) ``r = 0`` and the second vanishes, and the
rule skips them.  Every ``A^+`` and ``A^{+H}`` above is one more
least-squares solve (``A^{+H} g`` is the minimum-norm solution of ``A^H y
= g``), made with the same ``cond``/method and routed through this rule
again, so that the backward is itself differentiable (double backward).

The residues ``rho_j = ||r_j||^2`` (returned when ``rank == N < M``):
``d rho = 2 Re r^H (db - dA x)`` because ``A^H r = 0``, so a cotangent
``g`` adds ``2 g r`` to ``b_bar`` and ``-2 g r x^H`` to ``A_bar``.  The rank
is an integer (a constant).  The singular values ``s`` would need the
singular vectors, which the solvers do not keep: a loss that depends on
``s`` is refused in the backward (use :func:`pivotal.svdvals`).

``sketch_lstsq``: the randomized iteration converges to the full-rank
least-squares solution, whose derivative is the one above with ``A^+ A =
I``; the backward uses ``A`` and ``x`` only (Householder QR solves), never
the sketch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import namespace, to_float, to_numpy
from .._tracing import concrete_value
from ._apply import apply
from ._ops import mH
from ._rule import Rule, register

__all__ = ["LSTSQ", "PINV", "SKETCH_LSTSQ", "pinv_solution_vjp"]


def _concat(xs: list) -> Any:
    xp = namespace(xs[0])
    return xp.concat(xs, axis=-1)


def _reduce_to(g: Any, like: Any) -> Any:
    """Sum ``g`` over the leading batch dimensions that ``like`` was broadcast along."""
    xp = namespace(g)
    while len(g.shape) > len(like.shape):
        g = xp.sum(g, axis=0)
    for i in range(len(like.shape) - 2):
        if like.shape[i] == 1 and g.shape[i] != 1:
            g = xp.sum(g, axis=i, keepdims=True)
    return g


def pinv_solution_vjp(solve, solve_h, a, b, x, x_bar, rank: int, needs_a: bool):
    """``(b_bar, A_bar)`` for ``x = A^+ b`` at fixed ``rank`` (see the module docs).

    ``solve(rhs)`` is ``A^+ rhs`` and ``solve_h(rhs)`` is ``A^{+H} rhs``, both
    for ``(..., *, k)`` blocks; ``a``, ``b``, ``x``, ``x_bar`` are ``(..., M,
    N)``, ``(..., M, K)``, ``(..., N, K)``, ``(..., N, K)``.
    """
    m, n = int(a.shape[-2]), int(a.shape[-1])
    k = int(x.shape[-1])
    col_deficient = rank < n
    if needs_a and col_deficient:
        both = solve_h(_concat([x_bar, x]))
        b_bar, p = both[..., :k], both[..., k:]
    else:
        b_bar, p = solve_h(x_bar), None
    if not needs_a:
        return b_bar, None
    a_bar = -(b_bar @ mH(x))
    if rank < m:  # the residual term: r = 0 for full row rank
        r = b - a @ x
        a_bar = a_bar + r @ mH(solve(b_bar))
    if col_deficient:
        q = x_bar - solve(a @ x_bar)  # (I - A^+ A) x_bar
        a_bar = a_bar + p @ mH(q)
    return b_bar, a_bar


def _as_block(v: Any, vector: bool) -> Any:
    return v[..., None] if vector else v


def _refuse_s_cotangent(s_bar: Any) -> None:
    if s_bar is None:
        return
    value = concrete_value(s_bar)
    if value is None:  # under jax.jit: no value to check; documented in docs/autodiff.md
        return
    xp = namespace(value)
    if value.shape and to_float(xp.max(xp.abs(value))) != 0:
        raise ValueError(
            "the loss depends on the singular values s returned by pivotal.lstsq, which have no derivative "
            "rule there (the solvers do not keep the singular vectors); compute them with pivotal.svdvals "
            "(differentiable) instead, or detach them."
        )


def _backward_method(method: str) -> str:
    """The method of the backward's solves with ``A`` and ``A^H`` (``sketch``/``normal`` need tall ``A``)."""
    return "qr" if method in ("sketch", "normal") else method


def _lstsq_vjp(static, args, outs, cts, needs, primal):
    a, b = args
    x, _residues, rank, _s = outs
    x_bar, res_bar, _rank_bar, s_bar = cts
    _refuse_s_cotangent(s_bar)
    cond, method = static["cond"], _backward_method(static["method"])
    vector = len(b.shape) == 1
    # A batch has one rank per element.  The three-term formula is right for every
    # rank (the projector terms vanish at full rank), so the smallest rank decides
    # which terms to form: exact for the deficient elements, and adding terms
    # that are zero up to rounding for the others.
    rank = int(np.min(to_numpy(rank)))

    def ls(mat, rhs):
        return apply(LSTSQ, primal, mat, rhs, cond=cond, method=method)[0]

    xb, bb, xbar = _as_block(x, vector), _as_block(b, vector), _as_block(x_bar, vector)
    b_bar, a_bar = pinv_solution_vjp(
        lambda g: ls(a, g), lambda g: ls(mH(a), g), a, bb, xb, xbar, rank, needs[0]
    )
    m, n = int(a.shape[-2]), int(a.shape[-1])
    if res_bar is not None and rank == n < m:  # the residues are returned (SciPy's rule)
        b_bar, a_bar = _residue_terms(a, bb, xb, res_bar, vector, b_bar, a_bar)
    if vector:
        b_bar = b_bar[..., 0]
    return (_reduce_to(a_bar, a) if a_bar is not None else None), _reduce_to_rhs(b_bar, b)


def _reduce_to_rhs(g: Any, b: Any) -> Any:
    xp = namespace(g)
    while len(g.shape) > len(b.shape):
        g = xp.sum(g, axis=0)
    return g


def _residue_terms(a, b, x, res_bar, vector, b_bar, a_bar):
    """Add the residues' cotangent ``g``: ``b_bar += 2 g r``, ``A_bar -= 2 g r x^H`` (module docs)."""
    xp = namespace(b)
    g = res_bar[..., None, None] if vector else res_bar[..., None, :]
    r = b - a @ x
    extra = 2 * xp.astype(g, r.dtype) * r
    b_bar = b_bar + extra
    if a_bar is not None:
        a_bar = a_bar - extra @ mH(x)
    return b_bar, a_bar


LSTSQ = register(
    Rule(
        name="lstsq",
        functions=("lstsq",),
        argnums=(0, 1),
        vjp=_lstsq_vjp,
        caveats="at fixed rank (rank is a constant); s carries no gradient (refused); not under jax.jit "
        "(the residues' shape depends on the rank)",
        reference="Golub & Pereyra (1973), Thm. 4.3 (three projector terms)",
    )
)


def _sketch_lstsq_vjp(static, args, x, x_bar, needs, primal):
    a, b, lstsq_forward = args
    if static["return_info"]:  # (x, info): the info is a constant
        x, x_bar = x[0], x_bar[0]
    vector = len(b.shape) == 1

    def ls(mat, rhs):  # Householder QR (full rank), through the lstsq rule (differentiable again)
        return apply(LSTSQ, lstsq_forward, mat, rhs, cond=None, method="qr")[0]

    n = int(a.shape[-1])
    xb, bb, xbar = _as_block(x, vector), _as_block(b, vector), _as_block(x_bar, vector)
    b_bar, a_bar = pinv_solution_vjp(lambda g: ls(a, g), lambda g: ls(mH(a), g), a, bb, xb, xbar, n, needs[0])
    return a_bar, (b_bar[..., 0] if vector else b_bar), None


SKETCH_LSTSQ = register(
    Rule(
        name="sketch_lstsq",
        functions=("sketch_lstsq",),
        argnums=(0, 1),
        vjp=_sketch_lstsq_vjp,
        caveats="the derivative of the full-rank least-squares solution it converged to (Householder QR "
        "solves with A, not the random iteration); the info is a constant",
        reference="Golub & Pereyra (1973), full column rank",
    )
)


def _pinv_vjp(static, args, out, ct, needs, primal):
    (a,) = args
    if static["return_rank"]:
        bmat, ct = out[0], ct[0]
    else:
        bmat = out
    bh = mH(bmat)
    gh = mH(ct)
    a_bar = -(bh @ ct @ bh)
    # (I - A B) G^H B B^H, formed as G^H B B^H - A (B (G^H B B^H)); likewise the last term.
    t2 = gh @ (bmat @ bh)
    a_bar = a_bar + t2 - a @ (bmat @ t2)
    t3 = (bh @ bmat) @ gh
    a_bar = a_bar + t3 - (t3 @ bmat) @ a
    return (a_bar,)


PINV = register(
    Rule(
        name="pinv",
        functions=("pinv",),
        argnums=(0,),
        vjp=_pinv_vjp,
        caveats="at fixed rank (the threshold atol + rtol s_max decides it; the rank is a constant)",
        reference="Golub & Pereyra (1973), Thm. 4.3",
    )
)


# ----------------------------------------------------------------------------- orth, null_space
def _warn_basis(k: Any, g: Any, what: str) -> None:
    """Warn when the loss depends on the choice of basis (``k = Q^H g - g^H Q`` not zero where masked)."""
    kv, gv = concrete_value(k), concrete_value(g)
    if kv is None or gv is None or not kv.shape or kv.shape[-1] == 0:
        return
    xp = namespace(kv)
    size, gsize = to_float(xp.max(xp.abs(kv))), to_float(xp.max(xp.abs(gv)))
    if size > 1e-8 * max(gsize, 1e-300):
        from ..errors import LinAlgWarning, warn_user

        warn_user(
            LinAlgWarning(
                f"the loss depends on the choice of orthonormal basis of {what} (any Q W with W unitary is "
                "as valid there); the gradient returned is that of a function of the subspace Q Q^H."
            )
        )


def _orth_vjp(static, args, q, q_bar, needs, primal):
    (a,) = args
    xp = namespace(q)
    r = int(q.shape[-1])
    if r == 0:
        return (xp.zeros_like(a),)
    qh_a = mH(q) @ a  # Sigma V_r^H (A = Q Sigma V_r^H at rank r)
    s2 = xp.sum(xp.abs(qh_a) ** 2, axis=-1)  # sigma_i^2
    k = mH(q) @ q_bar
    k = k - mH(k)
    diff = s2[None, :] - s2[:, None]  # sigma_j^2 - sigma_i^2
    tol = static["degenerate_tol"] * to_float(xp.max(s2))
    mask = xp.abs(diff) <= tol  # the diagonal and (near-)degenerate pairs: their rotation is a gauge
    f = xp.where(mask, xp.zeros_like(diff), 1 / xp.where(mask, xp.ones_like(diff), diff))
    # masked pairs (and complex phases, the diagonal): gauges, so the loss must not depend on them
    _warn_basis(xp.where(mask, k, xp.zeros_like(k)), q_bar, "a repeated singular value's subspace")
    fk = xp.astype(f, k.dtype) * k
    inner = q @ (fk @ qh_a)  # Q (F o K) Sigma V_r^H
    proj = (q_bar - q @ (mH(q) @ q_bar)) @ (qh_a / xp.astype(s2, qh_a.dtype)[:, None])
    return (inner + proj,)


ORTH = register(
    Rule(
        name="orth",
        functions=("orth",),
        argnums=(0,),
        vjp=_orth_vjp,
        caveats="the basis U_r of the SVD, at fixed rank; the rotation within repeated singular values and "
        "complex phases are gauges (a loss depending on them warns); method='svd' only; not under jax.jit",
        reference="SVD derivative (Townsend 2016; Seeger et al. 2017) restricted to U_r at rank r",
    )
)


def _null_space_vjp(static, args, z, z_bar, needs, primal):
    (a,) = args
    xp = namespace(z)
    if int(z.shape[-1]) == 0:
        return (xp.zeros_like(a),)
    k = mH(z) @ z_bar
    _warn_basis(k - mH(k), z_bar, "the null space")
    b = apply(PINV, static["pinv"], a, atol=0.0, rtol=static["rcond"], return_rank=False)
    return (-(mH(b) @ z_bar) @ mH(z),)


NULL_SPACE = register(
    Rule(
        name="null_space",
        functions=("null_space",),
        argnums=(0,),
        vjp=_null_space_vjp,
        caveats="the derivative of the subspace at fixed rank (dZ = -A^+ dA Z); a loss that depends on the "
        "choice of basis within the null space warns; method='svd' only; not under jax.jit",
        reference="Golub & Pereyra (1973): d(I - A^+ A) at fixed rank",
    )
)
