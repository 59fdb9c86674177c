"""Gradients of the Krylov solvers (pivotal.krylov.cg, minres, gmres, lsqr; autodiff.krylov_rules).

The rules differentiate the exact solution; the backward is one adjoint
Krylov solve.  Error bound used against a direct solve's gradient: with
``||r|| <= rtol ||b||`` each of the forward and adjoint solutions is within
``kappa rtol`` (relative) of the exact one (``||x - x*|| <= ||A^{-1}||
||r||``), so ``b_bar = y`` and ``A_bar = -y x^H`` are within ``2 kappa rtol``
(plus the direct solve's own rounding, ``grad_tol``); LSQR's least-squares
test ``||A^H r|| <= atol ||A|| ||r||`` adds the least-squares sensitivity
``kappa^2``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pivotal.errors import LinAlgWarning
from pivotal.krylov import cg, gmres, lsqr, minres

from ._autodiff_helpers import grad_tol, jax_x64, matrix, rel, spd

torch = pytest.importorskip("torch")
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402

TIGHT = {"rtol": 1e-13}
LSQR_TIGHT = {"atol": 1e-14, "btol": 1e-14}


def leaf(a, dtype=None) -> torch.Tensor:
    return torch.tensor(a, dtype=dtype).requires_grad_()


def rhs(n: int, k: int | None, seed: int, complex_: bool = False):
    rng = np.random.default_rng(seed)
    shape = (n,) if k is None else (n, k)
    b = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if complex_ else 0)
    return leaf(b)


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("k", [None, 2])
@pytest.mark.parametrize("name", ["cg", "minres", "gmres"])
def test_square_solvers_gradcheck(name, k, complex_):
    n = 5
    if name == "gmres":
        a = leaf(matrix(n, 10.0, seed=1, complex_=complex_))
        solver = gmres
    else:
        a = leaf(spd(n, 10.0, seed=2, complex_=complex_))
        solver = cg if name == "cg" else minres
    b = rhs(n, k, seed=3, complex_=complex_)
    assert gradcheck(lambda a, b: solver(a, b, **TIGHT)[0], (a, b))


def test_minres_indefinite_and_shift_gradcheck():
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    h = leaf((q * np.array([-3.0, -1.0, 1.0, 2.0, 4.0])) @ q.T)
    b = rhs(5, None, seed=5)
    assert gradcheck(lambda a, b: minres(a, b, shift=0.5, **TIGHT)[0], (h, b))


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("shape", [(7, 3), (3, 7)])
def test_lsqr_gradcheck(shape, complex_):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if complex_ else 0)
    b = rhs(shape[0], None, seed=7, complex_=complex_)
    assert gradcheck(lambda a, b: lsqr(a, b, **LSQR_TIGHT)[0], (leaf(a), b))
    assert gradcheck(lambda a, b: lsqr(a, b, damp=0.7, **LSQR_TIGHT)[0], (leaf(a), b))


def test_cg_gradgradcheck():
    a = leaf(spd(4, 5.0, seed=8))
    b = rhs(4, 2, seed=9)
    assert gradgradcheck(lambda a, b: cg(a, b, **TIGHT)[0], (a, b))


@pytest.mark.parametrize("name", ["cg", "minres", "gmres"])
def test_gradient_matches_direct_solve_to_krylov_bound(name):
    n, kappa, rtol = 30, 100.0, 1e-8
    a_np = matrix(n, kappa, seed=10) if name == "gmres" else spd(n, kappa, seed=11)
    solver = {"cg": cg, "minres": minres, "gmres": gmres}[name]
    b_np = np.random.default_rng(12).standard_normal((n, 2))
    w = torch.tensor(np.random.default_rng(13).standard_normal((n, 2)))

    def grads(f):
        a, b = leaf(a_np), leaf(b_np)
        (f(a, b) * w).sum().backward()
        return a.grad, b.grad

    extra = {"restart": n} if name == "gmres" else {}  # full GMRES: restarts stagnate on this matrix
    ours = grads(lambda a, b: solver(a, b, rtol=rtol, maxiter=20 * n, **extra)[0])
    ref = grads(torch.linalg.solve)
    bound = 2 * kappa * rtol * 1.5 + grad_tol(n, kappa)  # 1.5: the second-order term and the norms' slack
    for g, h in zip(ours, ref, strict=True):
        assert rel(g, h) < bound


def test_lsqr_gradient_matches_lstsq():
    rng = np.random.default_rng(14)
    a_np = rng.standard_normal((40, 6))
    kappa = float(np.linalg.cond(a_np))
    b_np = rng.standard_normal(40)

    def grads(f):
        a, b = leaf(a_np), leaf(b_np)
        f(a, b).square().sum().backward()
        return a.grad, b.grad

    tol = 1e-10
    ours = grads(lambda a, b: lsqr(a, b, atol=tol, btol=tol)[0])
    ref = grads(lambda a, b: torch.linalg.lstsq(a, b[:, None]).solution[:, 0])
    for g, h in zip(ours, ref, strict=True):
        assert rel(g, h) < 10 * (kappa**2 + kappa) * tol


@pytest.mark.parametrize("shape", [(7, 2, 4), (4, 2, 7)])
def test_lsqr_rank_deficient_gradcheck(shape):
    # damp = 0 on a rank-deficient A = L R (rank fixed by construction, so that finite
    # differences stay at that rank): LSQR from x0 = 0 gives the minimum-norm solution
    # A^+ b, whose gradient needs the projector terms a full-rank rule would drop.
    m, r, n = shape
    rng = np.random.default_rng(21)
    left, right = leaf(rng.standard_normal((m, r))), leaf(rng.standard_normal((r, n)))
    b = rhs(m, None, seed=22)
    assert gradcheck(lambda p, q, b: lsqr(p @ q, b, **LSQR_TIGHT)[0], (left, right, b))


def test_matrix_free_and_sparse_a_are_constants():
    n = 6
    a_np = spd(n, 10.0, seed=15)
    b = rhs(n, None, seed=16)
    sparse = torch.tensor(a_np).to_sparse()
    x = cg(sparse, b, **TIGHT)[0]
    (gb,) = torch.autograd.grad(x.square().sum(), b)
    with torch.no_grad():
        ref = 2 * torch.linalg.solve(torch.tensor(a_np), torch.linalg.solve(torch.tensor(a_np), b))
    assert rel(gb, ref) < 10 * 10.0 * 1e-13 * 2

    dense = torch.tensor(matrix(n, 10.0, seed=17))

    class Op:
        shape = (n, n)
        dtype = torch.float64

        def matmat(self, X):
            return dense @ X

        def rmatmat(self, X):
            return dense.mT @ X

    x = gmres(Op(), b, **TIGHT)[0]
    (gb,) = torch.autograd.grad(x.sum(), b)
    with torch.no_grad():
        ref = torch.linalg.solve(dense.mT, torch.ones(n, dtype=torch.float64))
    assert rel(gb, ref) < 1e-10
    x = lsqr((lambda v: dense @ v, lambda v: dense.mT @ v), b, **LSQR_TIGHT)[0]
    (gb,) = torch.autograd.grad(x.sum(), b)
    assert rel(gb, ref) < 1e-8

    with pytest.raises(TypeError, match=r"gmres with respect to b needs a solve with A\^H"):
        gmres(lambda v: dense @ v, b)
    with pytest.raises(ValueError, match="differentiates only a dense A"):
        cg(torch.tensor(a_np).to_sparse().requires_grad_(), b)
    with pytest.raises(ValueError, match="does not depend on x0"):
        cg(torch.tensor(a_np), b, x0=torch.zeros(n, dtype=torch.float64, requires_grad=True))


def test_adjoint_iterations_reported_and_nonconvergence_warns():
    n = 20
    a = leaf(spd(n, 1e3, seed=18))
    b = rhs(n, None, seed=19)
    x, info = cg(a, b, rtol=1e-10, return_info=True)
    x.square().sum().backward()
    adjoint = info.extra["adjoint"]
    assert adjoint.method == "cg" and adjoint.converged.all() and adjoint.iterations[0] >= 1
    a2 = leaf(spd(n, 1e3, seed=18))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        x, info = cg(a2, b, rtol=1e-12, maxiter=2)
    assert info == 2
    with pytest.warns(LinAlgWarning, match="adjoint solve of the backward did not converge"):
        x.sum().backward()


def test_other_lsqr_outputs_are_refused():
    a = leaf(np.random.default_rng(20).standard_normal((6, 3)))
    b = rhs(6, None, seed=21)
    out = lsqr(a, b, calc_var=True, **LSQR_TIGHT)
    with pytest.raises(ValueError, match="other than x"):
        out[-1].sum().backward()


def test_jax_check_grads_and_jit():
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads

    with jax_x64():
        jnp = jax.numpy
        s = jnp.asarray(spd(5, 10.0, seed=22))
        sc = jnp.asarray(spd(5, 10.0, seed=22, complex_=True))
        g = jnp.asarray(matrix(5, 10.0, seed=23))
        b = jnp.asarray(np.random.default_rng(24).standard_normal(5))
        t = jnp.asarray(np.random.default_rng(25).standard_normal((7, 3)))
        c = jnp.asarray(np.random.default_rng(26).standard_normal(7))
        rev = {"order": 1, "modes": ("rev",)}
        check_grads(lambda a, b: cg(a, b, **TIGHT)[0], (s, b), **rev)
        check_grads(lambda a, b: cg(a, b, **TIGHT)[0], (sc, b + 0j), **rev)
        check_grads(lambda a, b: minres(a, b, **TIGHT)[0], (s, b), **rev)
        check_grads(lambda a, b: gmres(a, b, **TIGHT)[0], (g, b), **rev)
        check_grads(lambda a, b: lsqr(a, b, **LSQR_TIGHT)[0], (t, c), **rev)

        def loss(a, b):
            return jnp.sum(cg(a, b, **TIGHT)[0] ** 2)

        ours = jax.jit(jax.grad(loss, argnums=(0, 1)))(s, b)
        ref = jax.grad(lambda a, b: jnp.sum(jnp.linalg.solve(a, b) ** 2), argnums=(0, 1))(s, b)
        for u, v in zip(ours, ref, strict=True):
            assert rel(u, v) < 3 * 10.0 * 1e-13 + grad_tol(5, 10.0)
        x, info = jax.jit(lambda a, b: cg(a, b, **TIGHT))(s, b)
        assert int(info) == 0 and rel(x, np.linalg.solve(np.asarray(s), np.asarray(b))) < 1e-11
        assert jax.jit(jax.grad(lambda a: jnp.sum(gmres(a, b, **TIGHT)[0])))(g).shape == (5, 5)
        assert jax.jit(jax.grad(lambda a: jnp.sum(lsqr(a, c, **LSQR_TIGHT)[0])))(t).shape == (7, 3)
        with pytest.raises(TypeError, match="return_info=True is not supported"):
            jax.grad(lambda b: jnp.sum(cg(s, b, return_info=True)[0]))(b)
