"""Gradients of least squares and the pseudo-inverse: lstsq, sketch_lstsq, pinv (autodiff.lstsq_rules).

Full rank: torch.autograd.gradcheck (finite differences) and agreement with
torch.linalg's own gradients.  Rank deficient: the matrix is parametrized
as ``A = L R`` (rank fixed by construction), so that finite differences stay
at the rank the rule assumes; ``cond``/``rtol`` of ``1e-10`` keep the rank
decision away from rounding (the zero singular values of ``L R`` are of
order ``u ||A||``).
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery
from pivotal.randomized import sketch_lstsq

from ._autodiff_helpers import EPS, jax_x64, rel

torch = pytest.importorskip("torch")
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402

DTYPES = [torch.float64, torch.complex128]


def tall(m: int, n: int, kappa: float, seed: int, dtype=torch.float64):
    """An ``m x n`` matrix with 2-norm condition number ``kappa`` (gallery.randsvd), as a leaf tensor."""
    a = gallery.randsvd(n, kappa, 3, m=m, random_state=seed)
    if dtype == torch.complex128:
        rng = np.random.default_rng(seed + 50)
        q, _ = np.linalg.qr(rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m)))
        a = q @ a
    return torch.tensor(a, dtype=dtype, requires_grad=True)


def randn(*shape, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=dtype, generator=g).requires_grad_()


def ls_grad_tol(m: int, kappa: float) -> float:
    """Two backward-stable computations of a least-squares gradient agree to ``c m u kappa^3``.

    The solution's condition number is ``kappa + kappa^2 ||r|| / (||A|| ||x||)``
    (Wedin 1973) and the gradient compounds two such solves
    (``b_bar = A^{+H} x_bar``, then ``A^+ b_bar``): ``kappa^3`` bounds the
    product for the O(1) residuals of these tests; ``c = 10``.
    """
    return 10 * m * kappa**3 * EPS


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["auto", "svd", "qr", "qrcp", "normal", "sketch"])
def test_lstsq_full_rank_gradcheck(dtype, method):
    a = tall(7, 3, 5.0, seed=1, dtype=dtype)
    b = randn(7, 2, dtype=dtype, seed=2)
    assert gradcheck(lambda a, b: pv.lstsq(a, b, method=method)[:2], (a, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstsq_wide_vector_and_batched_gradcheck(dtype):
    w = randn(3, 6, dtype=dtype, seed=3)
    c = randn(3, dtype=dtype, seed=4)
    assert gradcheck(lambda w, c: pv.lstsq(w, c)[0], (w, c))
    a = randn(2, 6, 3, dtype=dtype, seed=5)
    b = randn(2, 6, 2, dtype=dtype, seed=6)
    assert gradcheck(lambda a, b: pv.lstsq(a, b)[:2], (a, b))
    b1 = randn(6, 2, dtype=dtype, seed=7)  # one right-hand side broadcast over the batch of A
    assert gradcheck(lambda a, b: pv.lstsq(a, b)[0], (a, b1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["svd", "qrcp", "auto"])
@pytest.mark.parametrize("shape", [(6, 2, 4), (4, 2, 6)])
def test_lstsq_rank_deficient_at_fixed_rank(dtype, method, shape):
    m, r, n = shape
    left, right = randn(m, r, dtype=dtype, seed=8), randn(r, n, dtype=dtype, seed=9)
    b = randn(m, 2, dtype=dtype, seed=10)
    _, _, rank, _ = pv.lstsq((left @ right).detach(), b.detach(), cond=1e-10, method=method)
    assert rank == r
    assert gradcheck(lambda p, q, b: pv.lstsq(p @ q, b, cond=1e-10, method=method)[0], (left, right, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstsq_batch_of_mixed_ranks(dtype):
    # One element of full column rank, one of rank 2 (A = L R): the rule must
    # not take the first element's rank for the whole batch.
    full = randn(6, 3, dtype=dtype, seed=13)
    left, right = randn(6, 2, dtype=dtype, seed=14), randn(2, 3, dtype=dtype, seed=15)
    b = randn(2, 6, 2, dtype=dtype, seed=16)

    def batch(f, p, q):
        return torch.stack([f, p @ q])

    _, residues, rank, _ = pv.lstsq(batch(full, left, right).detach(), b.detach(), cond=1e-10)
    assert rank.tolist() == [3, 2]
    assert residues.shape == (2, 0)  # not every element has rank N: no residues (torch's rule)
    assert gradcheck(lambda f, p, q, b: pv.lstsq(batch(f, p, q), b, cond=1e-10)[0], (full, left, right, b))


def test_lstsq_batch_ranks_and_residues_forward():
    rng = np.random.default_rng(17)
    a = rng.standard_normal((3, 6, 4))
    a[2] = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 4))
    b = rng.standard_normal((3, 6, 2))
    x, residues, rank, _ = pv.lstsq(a, b)
    assert rank.tolist() == [4, 4, 2] and residues.shape == (3, 0)
    for i in range(3):  # every element agrees with its own unbatched solve
        xi, _, ri, _ = pv.lstsq(a[i], b[i])
        assert ri == rank[i]
        sv = np.linalg.svd(a[i], compute_uv=False)
        kappa = sv[0] / sv[ri - 1]  # of the rank-ri part: the minimum-norm solution's sensitivity
        assert np.linalg.norm(x[i] - xi) <= 30 * 6 * EPS * kappa * np.linalg.norm(xi)
    x, residues, rank, _ = pv.lstsq(a[:2], b[0, :, 0])  # full rank and tall: residues per element
    assert rank.tolist() == [4, 4] and residues.shape == (2,)
    for i in range(2):
        r = b[0, :, 0] - a[i] @ x[i]
        assert abs(residues[i] - r @ r) <= 30 * 6 * EPS * (r @ r + np.linalg.norm(b[0, :, 0]) ** 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstsq_gradgradcheck(dtype):
    a = tall(6, 3, 4.0, seed=11, dtype=dtype)
    b = randn(6, 2, dtype=dtype, seed=12)
    assert gradgradcheck(lambda a, b: pv.lstsq(a, b)[0], (a, b))
    left, right = randn(5, 2, dtype=dtype, seed=13), randn(2, 4, dtype=dtype, seed=14)
    assert gradgradcheck(lambda p, q, b: pv.lstsq(p @ q, b[:5], cond=1e-10)[0], (left, right, b))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstsq_matches_torch_linalg(dtype):
    kappa, m = 10.0, 20
    a = tall(m, 6, kappa, seed=15, dtype=dtype)
    b = randn(m, 3, dtype=dtype, seed=16)
    w = randn(6, 3, dtype=dtype, seed=17).detach()

    def grads(f):
        x = f(a, b)
        loss = (x * w.conj()).real.sum() + (x.abs() ** 2).sum()
        return torch.autograd.grad(loss, (a, b))

    ours = grads(lambda a, b: pv.lstsq(a, b)[0])
    # torch's CPU driver gelsy; its backward goes through pinv (full column rank here)
    ref = grads(lambda a, b: torch.linalg.lstsq(a, b).solution)
    for g, h in zip(ours, ref, strict=True):
        assert rel(g, h) < ls_grad_tol(m, kappa)


def test_lstsq_residues_gradient_matches_formula():
    a = tall(8, 3, 4.0, seed=18)
    b = randn(8, 2, seed=19)
    _, res, rank, _ = pv.lstsq(a, b)
    assert rank == 3 and res.shape == (2,)
    ga, gb = torch.autograd.grad(res.sum(), (a, b))
    with torch.no_grad():
        x = torch.linalg.lstsq(a, b).solution
        r = b - a @ x
    assert rel(gb, 2 * r) < ls_grad_tol(8, 4.0)
    assert rel(ga, -2 * r @ x.T) < ls_grad_tol(8, 4.0)


def test_lstsq_singular_values_are_refused_in_backward():
    a = tall(6, 3, 4.0, seed=20)
    b = randn(6, seed=21)
    x, _, _, s = pv.lstsq(a, b, method="svd")
    with pytest.raises(ValueError, match=r"singular values s returned by pivotal\.lstsq"):
        s.sum().backward()
    x.sum().backward()  # the solution alone differentiates
    assert a.grad is not None


@pytest.mark.parametrize("dtype", DTYPES)
def test_sketch_lstsq_gradcheck(dtype):
    a = tall(40, 3, 10.0, seed=22, dtype=dtype)
    b = randn(40, dtype=dtype, seed=23)
    assert gradcheck(lambda a, b: sketch_lstsq(a, b, random_state=0), (a, b), fast_mode=True)
    x, info = sketch_lstsq(a, b[:, None], random_state=0, return_info=True)
    assert x.requires_grad and info.method in ("spir", "qr")


def test_sketch_lstsq_matches_direct_gradient():
    kappa, m = 10.0, 80
    a = tall(m, 5, kappa, seed=24)
    b = randn(m, 2, seed=25)
    g1 = torch.autograd.grad(sketch_lstsq(a, b, random_state=0).square().sum(), (a, b))
    g2 = torch.autograd.grad(torch.linalg.lstsq(a, b).solution.square().sum(), (a, b))
    for u, v in zip(g1, g2, strict=True):
        assert rel(u, v) < ls_grad_tol(m, kappa)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pinv_gradcheck_and_torch(dtype):
    for shape in ((6, 3), (3, 6), (2, 4, 4)):
        a = randn(*shape, dtype=dtype, seed=26)
        assert gradcheck(pv.pinv, (a,))
    a = tall(9, 4, 10.0, seed=27, dtype=dtype)
    g1 = torch.autograd.grad(pv.pinv(a).abs().square().sum(), a)[0]
    g2 = torch.autograd.grad(torch.linalg.pinv(a).abs().square().sum(), a)[0]
    assert rel(g1, g2) < ls_grad_tol(9, 10.0)
    assert gradgradcheck(pv.pinv, (randn(4, 3, dtype=dtype, seed=28),))


@pytest.mark.parametrize("dtype", DTYPES)
def test_pinv_rank_deficient_at_fixed_rank(dtype):
    left, right = randn(5, 2, dtype=dtype, seed=29), randn(2, 4, dtype=dtype, seed=30)
    assert gradcheck(lambda p, q: pv.pinv(p @ q, rtol=1e-10), (left, right))
    b, rank = pv.pinv(left @ right, rtol=1e-10, return_rank=True)
    assert rank == 2 and b.requires_grad


def test_jax_lstsq_and_pinv_check_grads():
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads

    with jax_x64():
        jnp = jax.numpy
        rng = np.random.default_rng(31)
        a = jnp.asarray(gallery.randsvd(3, 5.0, 3, m=6, random_state=32))
        ac = a + 1j * jnp.asarray(rng.standard_normal((6, 3)))
        b = jnp.asarray(rng.standard_normal(6))
        check_grads(lambda a, b: pv.lstsq(a, b)[:2], (a, b), order=1, modes=("rev",))
        check_grads(lambda a, b: pv.lstsq(a, b)[0], (ac, b + 0j), order=1, modes=("rev",))
        check_grads(lambda a, b: pv.lstsq(a.T, b[:3])[0], (a, b), order=1, modes=("rev",))
        check_grads(pv.pinv, (a,), order=1, modes=("rev",))
        check_grads(pv.pinv, (ac,), order=1, modes=("rev",))
        g = jax.grad(lambda a: jnp.sum(pv.lstsq(a, b)[0] ** 2))(a)
        h = jax.grad(lambda a: jnp.sum(jnp.linalg.lstsq(a, b)[0] ** 2))(a)
        assert rel(g, h) < ls_grad_tol(6, 5.0)


def test_jax_pinv_under_jit_and_lstsq_refused():
    jax = pytest.importorskip("jax")
    with jax_x64():
        jnp = jax.numpy
        a = jnp.asarray(gallery.randsvd(3, 5.0, 3, m=6, random_state=33))
        g = jax.jit(jax.grad(lambda a: jnp.sum(pv.pinv(a) ** 2)))(a)
        h = jax.grad(lambda a: jnp.sum(jnp.linalg.pinv(a) ** 2))(a)
        assert rel(g, h) < ls_grad_tol(6, 5.0)
        b, rank = jax.jit(lambda a: pv.pinv(a, return_rank=True))(a)
        assert int(rank) == 3 and b.shape == (3, 6)
        assert jax.jit(jax.vmap(pv.pinv))(jnp.stack([a, 2 * a])).shape == (2, 3, 6)
        with pytest.raises(TypeError, match=r"pivotal\.lstsq with jax\.jit"):
            jax.jit(lambda a: pv.lstsq(a, jnp.ones(6))[0])(a)


def _projector(q):
    return q @ q.mH


@pytest.mark.parametrize("dtype", DTYPES)
def test_orth_and_null_space_subspace_gradcheck(dtype):
    a = randn(6, 3, dtype=dtype, seed=34)
    assert gradcheck(lambda a: _projector(pv.orth(a)), (a,))
    assert gradcheck(lambda a: _projector(pv.null_space(a.mH)), (a,))
    left, right = randn(5, 2, dtype=dtype, seed=35), randn(2, 4, dtype=dtype, seed=36)
    assert gradcheck(lambda p, q: _projector(pv.orth(p @ q, rcond=1e-10)), (left, right))
    assert gradcheck(lambda p, q: _projector(pv.null_space(p @ q, rcond=1e-10)), (left, right))
    assert gradgradcheck(lambda a: _projector(pv.null_space(a.mH)), (a,))


def test_orth_basis_matches_torch_svd():
    """The basis is the SVD's U_r: with distinct singular values its gradient is the SVD's."""
    a = tall(7, 3, 10.0, seed=37)
    assert gradcheck(pv.orth, (a,))
    g1 = torch.autograd.grad((pv.orth(a) ** 3).sum(), a)[0]
    g2 = torch.autograd.grad((torch.linalg.svd(a, full_matrices=False)[0] ** 3).sum(), a)[0]
    assert rel(g1, g2) < ls_grad_tol(7, 10.0)
    assert gradgradcheck(pv.orth, (a,))


def test_basis_dependent_loss_on_null_space_warns_and_qrcp_refused():
    from pivotal.errors import LinAlgWarning

    a = randn(3, 6, seed=38)
    with pytest.warns(LinAlgWarning, match="choice of orthonormal basis of the null space"):
        pv.null_space(a).sum().backward()
    with pytest.raises(ValueError, match="use method='svd'"):
        pv.orth(a, method="qrcp")


def test_jax_orth_null_space_check_grads():
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads

    with jax_x64():
        a = jax.numpy.asarray(gallery.randsvd(3, 5.0, 3, m=6, random_state=39))
        check_grads(pv.orth, (a,), order=1, modes=("rev",))
        check_grads(lambda a: (lambda z: z @ z.T)(pv.null_space(a.T)), (a,), order=1, modes=("rev",))
        with pytest.raises(TypeError, match=r"pivotal\.orth with jax\.jit"):
            jax.jit(pv.orth)(a)
