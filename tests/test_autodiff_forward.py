"""Forward mode (issue 12): ``jax.jvp`` / ``jacfwd`` / ``hessian`` and ``torch.autograd.forward_ad``.

The rules with a ``jvp`` (``Rule.jvp``) are checked four ways: against the
backend's own differentiable operation on the same matrix (both are
backward-stable computations of the same derivative, so they agree to
:func:`grad_tol`, a ``c n kappa^2 u`` bound), against central finite
differences (``jax.test_util.check_grads`` and ``torch.autograd.gradcheck``
with ``check_forward_ad=True``, whose step-size error bounds are theirs),
``jacfwd`` against ``jacrev``, and Hessians of scalar losses through pivotal
against those through ``jax.numpy``.  Rules without a ``jvp`` raise an
error naming the function.
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from ._autodiff_helpers import EPS, grad_tol, jx, matrix, rel, spd  # noqa: F401  (jx: a fixture)

N = 4
KAPPA = 10.0


def _cases(xp, complex_: bool = False):
    """``name -> (f, args)``: one call per rule with a JVP, on arrays of the namespace ``xp`` (jnp or torch)."""
    rng = np.random.default_rng(7)
    a = matrix(N, KAPPA, seed=1, complex_=complex_)
    s = spd(N, KAPPA, seed=2, complex_=complex_)
    b = rng.standard_normal((N, 2)) + (1j * rng.standard_normal((N, 2)) if complex_ else 0)
    tall = matrix(5, KAPPA, seed=3, complex_=complex_)[:, :3]
    wide = np.ascontiguousarray(matrix(5, KAPPA, seed=4, complex_=complex_)[:3, :])
    lu_packed, piv = pv.lu_factor(a)
    c_low = np.linalg.cholesky(s)

    def arr(x):
        return xp.tensor(x) if xp.__name__ == "torch" else xp.asarray(x)

    cases = {
        "solve": (pv.solve, (a, b)),
        "solve_pos": (lambda a, b: pv.solve(a, b, assume_a="pos", lower=True), (s, b)),
        "solve_transposed": (lambda a, b: pv.solve(a, b, transposed=True), (a, b)),
        # triangles of a random matrix are ill-conditioned: the Cholesky factor's (sqrt(kappa)) instead
        "solve_triangular": (lambda t, b: pv.solve_triangular(t, b, lower=True), (c_low, b)),
        "solve_triangular_h": (
            lambda t, b: pv.solve_triangular(t, b, trans=2, unit_diagonal=True),
            (c_low.conj().T / np.diag(c_low), b),
        ),
        "lu_solve": (lambda lu, b: pv.lu_solve((lu, arr(piv)), b), (lu_packed, b)),
        "lu_solve_t": (lambda lu, b: pv.lu_solve((lu, arr(piv)), b, trans=1), (lu_packed, b)),
        "cho_solve": (lambda c, b: pv.cho_solve((c, True), b), (c_low, b)),
        "cho_solve_upper": (lambda c, b: pv.cho_solve((c, False), b), (c_low.conj().T, b)),
        "det": (pv.det, (a,)),
        "slogdet": (lambda a: tuple(pv.slogdet(a)), (a,)),
        "inv": (pv.inv, (a,)),
        "inv_quad_logdet": (lambda s, b: tuple(pv.inv_quad_logdet(s, b)), (s, b)),
        "cholesky": (lambda s: pv.cholesky(s, lower=True), (s,)),
        "cholesky_upper": (pv.cholesky, (s,)),
        "lu": (lambda a: tuple(pv.lu(a)[1:]), (a,)),
        "lu_tall": (lambda a: tuple(pv.lu(a)[1:]), (tall,)),
        "lu_wide": (lambda a: tuple(pv.lu(a)[1:]), (wide,)),
        "lu_factor": (lambda a: pv.lu_factor(a)[0], (a,)),
        "lu_factor_tall": (lambda a: pv.lu_factor(a)[0], (tall,)),
        "lu_factor_wide": (lambda a: pv.lu_factor(a)[0], (wide,)),
        "qr": (lambda a: tuple(pv.qr(a)), (a,)),
        "qr_tall": (lambda a: tuple(pv.qr(a, mode="economic")), (tall,)),
        "qr_wide": (lambda a: tuple(pv.qr(a)), (wide,)),
        "qr_pivoting": (lambda a: tuple(pv.qr(a, mode="economic", pivoting=True)[:2]), (tall,)),
    }
    if xp.__name__ == "torch":  # the factorization objects take NumPy and PyTorch arrays
        cases["LU.solve"] = (lambda a, b: pv.LU(a).solve(b), (a, b))
        cases["Cholesky.logdet"] = (lambda s: pv.Cholesky(s, lower=True).logdet(), (s,))
    if complex_:  # the sign of a complex determinant is differentiable; of a real one constant
        cases["slogdet"] = (lambda a: tuple(pv.slogdet(a)), (a,))
    return {k: (f, tuple(arr(x) for x in args)) for k, (f, args) in cases.items()}


CASES = list(_cases(np))
# Central differences with step h: truncation ~ h^2 times the third derivative, rounding ~ u |f| / h.
# check_grads' default h = 1e-4 leaves ~1e-5 of truncation at order 2 with kappa = 10, at its
# tolerance; h = 1e-5 gives ~1e-7 truncation and ~1e-11 rounding.
FD_STEP = 1e-5


# ----------------------------------------------------------------------------- JAX
@pytest.mark.parametrize("name", CASES)
def test_jax_check_grads_forward_and_reverse(jx, name):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    f, args = _cases(jx.numpy)[name]
    check_grads(f, args, order=2, modes=("fwd", "rev"), eps=FD_STEP)


@pytest.mark.parametrize("name", ["solve", "solve_pos", "det", "slogdet", "inv", "cholesky", "qr", "lu"])
def test_jax_check_grads_complex(jx, name):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    f, args = _cases(jx.numpy, complex_=True)[name]
    check_grads(f, args, order=1, modes=("fwd", "rev"), eps=FD_STEP)


@pytest.mark.parametrize("complex_", [False, True])
def test_jax_jvp_matches_jax_numpy(jx, complex_):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    rng = np.random.default_rng(3)
    a = jnp.asarray(matrix(N, KAPPA, seed=5, complex_=complex_))
    s = jnp.asarray(spd(N, KAPPA, seed=6, complex_=complex_))
    b = jnp.asarray(rng.standard_normal((N, 3)) + (1j * rng.standard_normal((N, 3)) if complex_ else 0))
    da = jnp.asarray(rng.standard_normal((N, N)) + (1j * rng.standard_normal((N, N)) if complex_ else 0))
    db = jnp.asarray(rng.standard_normal((N, 3)) + (1j * rng.standard_normal((N, 3)) if complex_ else 0))
    ds = (da + da.conj().T) / 2  # a Hermitian direction: pivotal reads one triangle of s, jnp all of it
    tol = grad_tol(N, KAPPA)
    pairs = [
        (pv.solve, jnp.linalg.solve, (a, b), (da, db)),
        (lambda a, b: pv.solve(a, b, assume_a="pos"), jnp.linalg.solve, (s, b), (ds, db)),
        (pv.inv, jnp.linalg.inv, (a,), (da,)),
        (pv.det, jnp.linalg.det, (a,), (da,)),
        (lambda a: pv.slogdet(a)[1], lambda a: jnp.linalg.slogdet(a)[1], (a,), (da,)),
        (lambda s: pv.cholesky(s, lower=True), jnp.linalg.cholesky, (s,), (ds,)),
        (lambda a: tuple(pv.qr(a)), lambda a: tuple(jnp.linalg.qr(a)), (a,), (da,)),
        (
            lambda s, b: pv.inv_quad_logdet(s, b)[0],
            lambda s, b: jnp.real(jnp.sum(b.conj() * jnp.linalg.solve(s, b))),
            (s, b),
            (ds, db),
        ),
    ]
    for ours, theirs, args, tangents in pairs:
        _, t1 = jx.jvp(ours, args, tangents)
        _, t2 = jx.jvp(theirs, args, tangents)
        for x, y in zip(jx.tree_util.tree_leaves(t1), jx.tree_util.tree_leaves(t2), strict=True):
            assert rel(x, y) < tol, ours
    # lu: the same pivots as jax.scipy.linalg.lu (pivotal's JAX path), so the factors' tangents agree
    _, (_, dl1, du1) = jx.jvp(lambda a: tuple(pv.lu(a, p_indices=True)), (a,), (da,))
    _, (dlu, _, _) = jx.jvp(jx.lax.linalg.lu, (a,), (da,))  # packed: strict lower L, upper U
    assert rel(dl1, jnp.tril(dlu, -1)) < tol and rel(du1, jnp.triu(dlu)) < tol


def test_jax_jacfwd_equals_jacrev_and_jit(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a = jnp.asarray(matrix(N, KAPPA, seed=8))
    b = jnp.asarray(np.arange(1.0, N + 1))
    s = jnp.asarray(spd(N, KAPPA, seed=9))
    tol = grad_tol(N, KAPPA)
    for f, x in [
        (lambda a: pv.solve(a, b), a),
        (lambda a: pv.solve(a, b, refine=True), a),  # forward on the host through pure_callback
        (lambda s: pv.cholesky(s, lower=True), s),
        (lambda a: pv.qr(a)[0], a),
        (lambda a: pv.lu_factor(a)[0], a),
        (lambda a: pv.slogdet(a)[1], a),
    ]:
        fwd, rev = jx.jacfwd(f)(x), jx.jacrev(f)(x)
        assert rel(fwd, rev) < tol
        assert rel(jx.jit(jx.jacfwd(f))(x), fwd) < tol


def test_jax_hessian_of_logdet_and_inv_quad(jx):  # noqa: F811  (the jx fixture)
    """``jax.hessian`` (forward over reverse) through pivotal equals that through ``jax.numpy``.

    Each Hessian entry is a product of three inverses of the matrix: agreement ``c n kappa^3 u``.
    """
    jnp = jx.numpy
    a = jnp.asarray(matrix(N, KAPPA, seed=10))
    s = jnp.asarray(spd(N, KAPPA, seed=11))
    b = jnp.asarray(np.random.default_rng(1).standard_normal((N, 2)))
    tol = 60 * N * KAPPA**3 * EPS
    pairs = [
        (lambda a: pv.slogdet(a)[1], lambda a: jnp.linalg.slogdet(a)[1], a),
        (lambda a: jnp.sum(jnp.sin(pv.solve(a, b))), lambda a: jnp.sum(jnp.sin(jnp.linalg.solve(a, b))), a),
        (lambda a: jnp.sum(pv.inv(a) ** 2), lambda a: jnp.sum(jnp.linalg.inv(a) ** 2), a),
    ]
    for ours, theirs, x in pairs:
        h = jx.hessian(ours)(x)
        assert rel(h, jx.hessian(theirs)(x)) < tol
        assert rel(jx.jit(jx.hessian(ours))(x), h) < tol

    # inv_quad_logdet reads the upper triangle (lower=False): the loss of the matrix built from it
    def sym(m):
        return jnp.triu(m) + jnp.triu(m, 1).T

    def ours(m):
        q, ld = pv.inv_quad_logdet(m, b)
        return q + ld

    def theirs(m):
        m = sym(m)
        return jnp.sum(b * jnp.linalg.solve(m, b)) + jnp.linalg.slogdet(m)[1]

    assert rel(jx.hessian(ours)(s), jx.hessian(theirs)(s)) < tol


def test_jax_forward_mode_without_rule_names_the_function(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a = jnp.asarray(matrix(N, KAPPA, seed=12))
    s = jnp.asarray(spd(N, KAPPA, seed=13))
    with pytest.raises(
        TypeError, match=r"pivotal\.svd, pivotal\.svdvals has a reverse-mode .* no forward-mode"
    ):
        jx.jvp(lambda a: pv.svd(a)[1], (a,), (a,))
    with pytest.raises(TypeError, match=r"pivotal\.eigh, pivotal\.eigvalsh .* no forward-mode"):
        jx.jacfwd(lambda s: pv.eigh(s)[0])(s)
    with pytest.raises(TypeError, match=r"pivotal\.ldl .* no forward-mode"):
        jx.jvp(lambda s: pv.ldl(s)[1], (s,), (s,))
    assert jx.grad(lambda a: pv.svd(a)[1].sum())(a).shape == (N, N)  # reverse mode still works


# ----------------------------------------------------------------------------- PyTorch
torch = pytest.importorskip("torch")
fwAD = torch.autograd.forward_ad


@pytest.mark.parametrize("name", [*CASES, "LU.solve", "Cholesky.logdet"])
def test_torch_forward_ad_gradcheck(name):
    f, args = _cases(torch)[name]
    args = tuple(x.requires_grad_() for x in args)
    assert torch.autograd.gradcheck(f, args, check_forward_ad=True, check_backward_ad=True)


@pytest.mark.parametrize("name", ["solve", "solve_pos", "det", "slogdet", "inv", "cholesky", "qr", "lu"])
def test_torch_forward_ad_gradcheck_complex(name):
    f, args = _cases(torch, complex_=True)[name]
    args = tuple(x.requires_grad_() for x in args)
    assert torch.autograd.gradcheck(f, args, check_forward_ad=True, check_backward_ad=False)


def test_torch_dual_numbers_match_torch_linalg():
    rng = np.random.default_rng(4)
    a = torch.tensor(matrix(N, KAPPA, seed=14))
    b = torch.tensor(rng.standard_normal((N, 2)))
    da, db = torch.tensor(rng.standard_normal((N, N))), torch.tensor(rng.standard_normal((N, 2)))
    tol = grad_tol(N, KAPPA)
    with fwAD.dual_level():
        ad, bd = fwAD.make_dual(a, da), fwAD.make_dual(b, db)
        for ours, theirs in [
            (pv.solve(ad, bd), torch.linalg.solve(ad, bd)),
            (pv.inv(ad), torch.linalg.inv(ad)),
            (pv.det(ad), torch.linalg.det(ad)),
            (pv.slogdet(ad)[1], torch.linalg.slogdet(ad)[1]),
            (pv.LU(ad).solve(bd), torch.linalg.solve(ad, bd)),
        ]:
            t1, t2 = fwAD.unpack_dual(ours).tangent, fwAD.unpack_dual(theirs).tangent
            assert t1 is not None
            assert rel(t1, t2) < tol


def test_torch_forward_mode_without_rule_raises_clearly():
    a = torch.tensor(matrix(N, KAPPA, seed=15))
    with fwAD.dual_level():
        ad = fwAD.make_dual(a, torch.ones_like(a))
        with pytest.raises(RuntimeError, match=r"pivotal\.svd, pivotal\.svdvals has a reverse-mode"):
            pv.svd(ad)
        with pytest.raises(ValueError, match=r"pivotal\.QRPivoted has no derivative rule yet"):
            pv.QRPivoted(ad)  # no rule at all: refused like a tensor that requires grad
