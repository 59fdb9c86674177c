"""Gradients of the solves (issue 12, rule 1): solve, lu_solve, cho_solve, solve_triangular, Factorization.solve."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from ._autodiff_helpers import grad_tol, jx, matrix, rel, spd  # noqa: F401  (jx: a fixture)
from ._autodiff_helpers import tensor as _t

torch = pytest.importorskip("torch")
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402

DT = [torch.float64, torch.complex128]
# check_grads' central differences: truncation error ~ eps^2 |f'''| with |f'''| ~ kappa^3 |x| (1e3 for
# kappa = 10: 1e-9 at eps = 1e-6), rounding ~ u |f| / eps (1e-10): both far below its rtol of 1e-5.
FD_EPS = 1e-6


def _ignored(assume, lower) -> np.ndarray:
    """A 0/1 mask of the entries that a solve with ``assume_a=assume`` does not read."""
    one = np.ones((5, 5))
    if assume in ("sym", "her", "pos"):
        return np.triu(one, 1) if lower else np.tril(one, -1)
    return {
        "upper triangular": np.tril(one, -1),
        "lower triangular": np.triu(one, 1),
        "diagonal": one - np.eye(5),
        "tridiagonal": np.triu(one, 2) + np.tril(one, -2),
    }.get(assume, 0 * one)


# ----------------------------------------------------------------------------- torch
@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize(
    ("assume", "lower"),
    [
        (None, False),
        ("gen", False),
        ("sym", True),
        ("her", False),
        ("pos", True),
        ("pos", False),
        ("upper triangular", False),
        ("lower triangular", False),
        ("diagonal", False),
        ("tridiagonal", False),
    ],
)
@pytest.mark.parametrize("transposed", [False, True])
def test_torch_solve_gradcheck(dt, assume, lower, transposed):
    cplx = dt == torch.complex128
    a = spd(5, seed=1, complex_=cplx) if assume in ("pos", "her", "sym") else matrix(5, seed=1, complex_=cplx)
    if assume == "sym":
        a = (a + a.T) / 2 + 5 * np.eye(5)
    a = a + 0.3 * _ignored(assume, lower)  # entries the structure does not read: no effect, no gradient
    A, b = _t(a, dt), _t(np.arange(10.0).reshape(5, 2) - 3, dt)
    assert gradcheck(lambda A, b: pv.solve(A, b, assume_a=assume, lower=lower, transposed=transposed), (A, b))


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("refine", ["auto", False, True, "mixed"])
def test_torch_solve_refine_differentiates_as_exact_solve(dt, refine):
    a = matrix(6, 100.0, seed=2, complex_=dt == torch.complex128)
    A, b = _t(a, dt), _t(np.ones((6, 3)), dt)
    assert gradcheck(lambda A, b: pv.solve(A, b, refine=refine), (A, b))


@pytest.mark.parametrize("dt", DT)
def test_torch_solve_gradgradcheck_and_batch(dt):
    cplx = dt == torch.complex128
    A = _t(np.stack([matrix(4, seed=3, complex_=cplx), matrix(4, seed=4, complex_=cplx)]), dt)
    b = _t(np.ones(4), dt)  # a vector against a batch, as SciPy
    assert gradcheck(pv.solve, (A, b))
    c = _t(spd(4, seed=5, complex_=cplx), dt)
    B = _t(np.ones((2, 4, 2)), dt)
    assert gradcheck(lambda c, B: pv.solve(c, B, assume_a="pos"), (c, B))
    if not cplx:  # the complex second derivatives are the same code; they cost 20 s here
        assert gradgradcheck(pv.solve, (A, b))
        assert gradgradcheck(lambda c, B: pv.solve(c, B, assume_a="pos"), (c, B))


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("trans", [0, 1, 2])
def test_torch_lu_solve(dt, trans):
    a = matrix(5, seed=6, complex_=dt == torch.complex128)
    lu, piv = pv.lu_factor(torch.tensor(a, dtype=dt))
    lu.requires_grad_(True)
    b = _t(np.linspace(-1, 1, 10).reshape(5, 2), dt)
    assert gradcheck(lambda lu, b: pv.lu_solve((lu, piv), b, trans=trans), (lu, b))
    if trans == 0:
        assert gradgradcheck(lambda lu, b: pv.lu_solve((lu, piv), b), (lu, b))


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("lower", [True, False])
def test_torch_cho_solve_against_torch(dt, lower):
    a = spd(5, seed=7, complex_=dt == torch.complex128)
    c, _ = pv.cho_factor(torch.tensor(a, dtype=dt), lower=lower)
    c.requires_grad_(True)
    b = _t(np.linspace(-1, 1, 10).reshape(5, 2), dt)
    assert gradcheck(lambda c, b: pv.cho_solve((c, lower), b), (c, b))
    assert gradgradcheck(lambda c, b: pv.cho_solve((c, lower), b), (c, b))
    # torch.cholesky_solve: its gradient of the factor agrees on the triangle that is read.
    g = torch.autograd.grad(pv.cho_solve((c, lower), b).abs().sum(), (c, b))
    tri = torch.tril(c) if lower else torch.triu(c)
    h = torch.autograd.grad(torch.cholesky_solve(b, tri, upper=not lower).abs().sum(), (c, b))
    mask = torch.tril if lower else torch.triu
    tol = grad_tol(5, 10.0)
    assert rel(mask(g[0]).detach(), mask(h[0]).detach()) < tol
    assert rel(g[1].detach(), h[1].detach()) < tol


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize(("lower", "unit"), [(True, False), (False, False), (False, True)])
def test_torch_solve_triangular(dt, trans, lower, unit):
    a = matrix(5, seed=8, complex_=dt == torch.complex128) + 3 * np.eye(5)
    A, b = _t(a, dt), _t(np.linspace(-1, 1, 5), dt)
    f = lambda A, b: pv.solve_triangular(A, b, trans=trans, lower=lower, unit_diagonal=unit)  # noqa: E731
    assert gradcheck(f, (A, b))
    g = torch.autograd.grad(f(A, b).abs().sum(), A)[0]
    outside = torch.triu(g, 1) if lower else torch.tril(g, -1)
    assert float(outside.abs().max()) == 0.0  # never read, no gradient
    if unit:
        assert float(torch.diagonal(g).abs().max()) == 0.0


@pytest.mark.parametrize("dt", DT)
def test_torch_solve_matches_torch_linalg(dt):
    n, kappa = 30, 1e3
    a = matrix(n, kappa, seed=9, complex_=dt == torch.complex128)
    A, b = _t(a, dt), _t(np.random.default_rng(0).standard_normal((n, 4)), dt)
    w = torch.tensor(np.random.default_rng(1).standard_normal((n, 4)), dtype=dt)
    g = torch.autograd.grad((pv.solve(A, b) * w).sum().real, (A, b))
    h = torch.autograd.grad((torch.linalg.solve(A, b) * w).sum().real, (A, b))
    for x, y in zip(g, h, strict=True):
        assert rel(x, y) < grad_tol(n, kappa)


@pytest.mark.parametrize("cls", ["LU", "Cholesky", "LDL", "Diagonal"])
@pytest.mark.parametrize("dt", DT)
def test_torch_factorization_solve(cls, dt):
    cplx = dt == torch.complex128
    a = spd(5, seed=10, complex_=cplx)
    if cls == "Diagonal":  # gradcheck perturbs every entry: differentiate with respect to the diagonal
        a = np.diag(a)

        def make(d):
            return pv.Diagonal(torch.diag_embed(d))
    else:
        make = getattr(pv, cls)
    A, b = _t(a, dt), _t(np.linspace(-1, 1, 10).reshape(5, 2), dt)
    for trans in (0, 1, 2) if not cplx else (1, 2):
        assert gradcheck(lambda A, b, t=trans: make(A).solve(b, trans=t), (A, b))
    if not cplx:
        assert gradgradcheck(lambda A, b: make(A).solve(b[:, 0]), (A, b))


def test_factorization_of_a_constant_matrix_differentiates_b():
    F = pv.LU(torch.tensor(matrix(4, seed=11)))
    b = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(F.solve, (b,))
    x = F.solve(torch.ones(2, 4, 3, dtype=torch.float64))  # batched right-hand sides, no graph
    assert x.shape == (2, 4, 3) and x.grad_fn is None


def test_cholesky_solve_matches_finite_differences():
    """The gradient of ||A^{-1} b||^2 through Cholesky(A).solve, against central differences (issue 12)."""
    n = 6
    a, b = spd(n, kappa=5.0, seed=12), np.linspace(1, 2, n)

    def f(m):
        x = np.linalg.solve((m + m.T) / 2, b)  # Cholesky(A) reads the upper triangle: use symmetric steps
        return float(x @ x)

    A = torch.tensor(a, requires_grad=True)
    x = pv.Cholesky(A).solve(torch.tensor(b))
    (g,) = torch.autograd.grad((x * x).sum(), A)
    g = g.numpy()
    sym = g + g.T - np.diag(np.diag(g))  # gradient w.r.t. a symmetric perturbation E_ij + E_ji
    h = 1e-5
    fd = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e = np.zeros((n, n))
            e[i, j] = e[j, i] = h
            fd[i, j] = (f(a + e) - f(a - e)) / (2 * h)
    # central differences: truncation O(h^2 f''') ~ 1e-10, rounding O(u f / h) ~ 1e-11.
    assert rel(sym, fd) < 1e-6


def test_backward_never_refactors(monkeypatch):
    import pivotal.factorizations.cholesky as chol_mod
    import pivotal.factorizations.lu as lu_mod

    calls = {"lu": 0, "chol": 0}
    real_lu, real_chol = lu_mod.lu_compute, chol_mod.cholesky_compute

    def lu_count(*args, **kw):
        calls["lu"] += 1
        return real_lu(*args, **kw)

    def chol_count(*args, **kw):
        calls["chol"] += 1
        return real_chol(*args, **kw)

    monkeypatch.setattr(lu_mod, "lu_compute", lu_count)
    monkeypatch.setattr(chol_mod, "cholesky_compute", chol_count)
    A = torch.tensor(matrix(8, seed=13), requires_grad=True)
    S = torch.tensor(spd(8, seed=13), requires_grad=True)
    b = torch.ones(8, 2, dtype=torch.float64, requires_grad=True)
    for fn, key in (
        (lambda: pv.solve(A, b), "lu"),
        (lambda: pv.Cholesky(S).solve(b), "chol"),
        (lambda: pv.slogdet(A)[1], "lu"),
        (lambda: pv.inv_quad_logdet(S, b)[0], "chol"),
    ):
        before = calls[key]
        out = fn()
        assert calls[key] == before + 1
        torch.autograd.grad(out.sum(), [t for t in (A, S, b) if t.requires_grad], allow_unused=True)
        assert calls[key] == before + 1  # the backward reused the forward's factors


# ----------------------------------------------------------------------------- JAX
def test_jax_solve_check_grads(jx):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    for cplx in (False, True):
        A = jnp.asarray(matrix(5, seed=14, complex_=cplx))
        b = jnp.asarray(np.linspace(-1, 1, 10).reshape(5, 2) * (1 + 1j * cplx))
        check_grads(pv.solve, (A, b), order=2, modes=("rev",), eps=FD_EPS)
        for assume, low in (("pos", True), ("her", False), ("upper triangular", False), ("diagonal", False)):
            # triu/diag of A are well conditioned only with a dominant diagonal (finite differences)
            M = (
                jnp.asarray(spd(5, seed=15, complex_=cplx))
                if assume in ("pos", "her")
                else A + 3 * jnp.eye(5)
            )
            check_grads(
                lambda M, b, s=assume, lo=low: pv.solve(M, b, assume_a=s, lower=lo),
                (M, b),
                order=1,
                modes=("rev",),
                eps=FD_EPS,
            )
        check_grads(lambda A, b: pv.solve(A, b, transposed=True), (A, b), order=1, modes=("rev",), eps=FD_EPS)
        check_grads(lambda A, b: pv.solve(A, b, refine=True), (A, b), order=1, modes=("rev",), eps=FD_EPS)


def test_jax_complex_convention_matches_jnp(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    A = jnp.asarray(matrix(5, seed=16, complex_=True))
    b = jnp.asarray(np.ones((5, 2)) + 1j)
    ct = jnp.asarray(np.linspace(0, 1, 10).reshape(5, 2) * (1 - 2j))
    for ours, theirs in (
        (pv.solve, jnp.linalg.solve),
        (lambda A, b: pv.solve(A, b, transposed=True), lambda A, b: jnp.linalg.solve(A.T, b)),
    ):
        g = jx.vjp(ours, A, b)[1](ct)
        h = jx.vjp(theirs, A, b)[1](ct)
        for x, y in zip(g, h, strict=True):
            assert rel(x, y) < grad_tol(5, 10.0)


def test_jax_jit_grad_default_check_finite(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    A, b = jnp.asarray(matrix(6, seed=17)), jnp.asarray(np.ones(6))

    def loss(A, b):
        return jnp.sum(pv.solve(A, b) ** 2)  # default check_finite=True

    def ref(A, b):
        return jnp.sum(jnp.linalg.solve(A, b) ** 2)

    for g, h in zip(
        jx.jit(jx.grad(loss, argnums=(0, 1)))(A, b), jx.grad(ref, argnums=(0, 1))(A, b), strict=True
    ):
        assert rel(g, h) < grad_tol(6, 10.0)
    # jax.grad outside jit has concrete values: they are checked.
    with pytest.raises(ValueError, match="infs or NaNs"):
        jx.grad(loss)(A.at[0, 0].set(jnp.nan), b)
    # vmap traces too.
    assert jx.vmap(pv.solve)(jnp.stack([A, 2 * A]), jnp.stack([b, b])).shape == (2, 6)


def test_jax_refine_mixed_under_jit_uses_host_callback(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    A, b = jnp.asarray(matrix(6, 100.0, seed=18)), jnp.asarray(np.ones((6, 1)))
    x = jx.jit(lambda A, b: pv.solve(A, b, refine="mixed"))(A, b)
    assert float(jnp.max(jnp.abs(A @ x - b))) < 10 * 6 * 100.0 * 2.0**-52 * float(jnp.max(jnp.abs(x)))
    g = jx.grad(lambda A: jnp.sum(pv.solve(A, b, refine="mixed")))(A)
    h = jx.grad(lambda A: jnp.sum(jnp.linalg.solve(A, b)))(A)
    assert rel(g, h) < grad_tol(6, 100.0)


def test_jax_lu_cho_triangular(jx):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    a = jnp.asarray(matrix(5, seed=19, complex_=True))
    b = jnp.asarray(np.linspace(-1, 1, 10).reshape(5, 2) + 0.5j)
    lu, piv = pv.lu_factor(a)
    for t in (0, 1, 2):
        check_grads(
            lambda lu, b, t=t: pv.lu_solve((lu, piv), b, trans=t),
            (lu, b),
            order=1,
            modes=("rev",),
            eps=FD_EPS,
        )
    c = pv.cholesky(jnp.asarray(spd(5, seed=20, complex_=True)), lower=True)
    check_grads(lambda c, b: pv.cho_solve((c, True), b), (c, b), order=2, modes=("rev",), eps=FD_EPS)
    check_grads(
        lambda a, b: pv.solve_triangular(a, b, trans=1), (jnp.triu(a), b), order=1, modes=("rev",), eps=FD_EPS
    )
