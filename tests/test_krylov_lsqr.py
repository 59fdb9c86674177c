"""pivotal.krylov.lsqr against scipy.sparse.linalg.lsqr, and its batching, backends and errors.

LSQR's stopping tests are SciPy's, on Paige and Saunders' estimates; the
tests check them on the true residuals, with the solver's own (reported)
estimate ``anorm`` of ``||[A; damp I]||_F``, as the tests promise:

* ``istop = 1``: ``||rbar|| <= btol ||b|| + atol anorm ||x||`` (+ drift);
* ``istop = 2``: ``||A^H r - damp^2 x|| <= atol anorm ||rbar||`` (+ drift),

where the drift of the recursively estimated norms is bounded as in
``krylov_cases`` (module notes there).  ``anorm`` is the Frobenius norm of
the bidiagonal ``B_k``; once the bidiagonalization loses orthogonality it
holds ghost copies of singular values and exceeds ``||A||_F`` (by 2.6x
after 69 iterations at n = 25, kappa = 1e3), so ``||A||_F`` in its place
would hold the solver to a stricter test than it runs.  Solutions are
compared through the exact normal-equation bound.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg as ssl
from hypothesis import given, settings
from hypothesis import strategies as st

from pivotal.errors import LinAlgWarning
from pivotal.krylov import KrylovInfo, lsqr

from .helpers import to_np, u_of
from .krylov_cases import drift, rhs


def _tall(rng, m, n, cond, dtype=np.float64):
    u, _ = np.linalg.qr(rng.standard_normal((m, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (u * np.logspace(0, -np.log10(cond), n)) @ v.T
    if np.dtype(dtype).kind == "c":
        a = a + 1j * (u * np.logspace(0, -np.log10(cond), n)) @ np.roll(v, 1, axis=0).T
    return a.astype(dtype)


def _check_stop(a, b, x, istop, itn, damp, atol, btol, dtype, anorm):
    """The stopping claim of each column, on the true residuals (module notes)."""
    a = np.asarray(a, dtype=np.complex128)
    b2 = np.asarray(b, dtype=np.complex128).reshape(a.shape[0], -1)
    x2 = np.asarray(to_np(x), dtype=np.complex128).reshape(a.shape[1], -1)
    istop = np.atleast_1d(istop)
    itn = np.atleast_1d(itn)
    anorm = np.atleast_1d(anorm)
    afro = np.sqrt(np.linalg.norm(a) ** 2 + damp**2 * a.shape[1])
    aug = np.vstack([a, damp * np.eye(a.shape[1])])
    slack = drift(aug, np.vstack([b2, np.zeros((a.shape[1], b2.shape[1]))]), x2, itn, dtype)
    for j in range(b2.shape[1]):
        r = b2[:, j] - a @ x2[:, j]
        rn = np.sqrt(np.linalg.norm(r) ** 2 + damp**2 * np.linalg.norm(x2[:, j]) ** 2)
        if istop[j] == 1:
            assert (
                rn <= btol * np.linalg.norm(b2[:, j]) + atol * anorm[j] * np.linalg.norm(x2[:, j]) + slack[j]
            )
        elif istop[j] == 2:
            ar = np.linalg.norm(a.conj().T @ r - damp**2 * x2[:, j])
            assert ar <= atol * anorm[j] * rn + afro * slack[j]
        else:  # 0, 4, 5: exact to working precision; 3, 6, 7: conlim or iter_lim, no claim
            assert istop[j] in (0, 3, 4, 5, 6, 7), istop[j]


def _assert_near_ls_solution(a, b, x, damp, dtype):
    """``x`` is within ``||Abar^H rbar|| / s_min^2`` of the damped least-squares solution (per column).

    The normal equations ``Abar^H Abar (x - x*) = Abar^H rbar`` of ``Abar = [A; damp I]`` give
    ``||x - x*|| <= ||Abar^H rbar|| / s_min(Abar)^2`` exactly; the direct solution ``x*`` itself
    carries ``THRESH n u kappa`` relative error (a backward-stable solver).
    """
    n = a.shape[1]
    aug = np.vstack([a, damp * np.eye(n)]).astype(np.complex128)
    b2 = np.asarray(b, dtype=np.complex128).reshape(a.shape[0], -1)
    x2 = np.asarray(to_np(x), dtype=np.complex128).reshape(n, -1)
    s = np.linalg.svd(aug, compute_uv=False)
    for j in range(b2.shape[1]):
        bb = np.concatenate([b2[:, j], np.zeros(n)])
        x_direct = np.linalg.lstsq(aug, bb, rcond=None)[0]
        g = aug.conj().T @ (bb - aug @ x2[:, j])
        bound = np.linalg.norm(g) / s[-1] ** 2 + 30 * n * u_of(dtype) * s[0] / s[-1] * np.linalg.norm(
            x_direct
        )
        assert np.linalg.norm(x2[:, j] - x_direct) <= bound


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("damp", [0.0, 0.3])
def test_against_scipy_tall(dtype, damp):
    rng = np.random.default_rng(41)
    a = _tall(rng, 70, 25, 1e3, dtype)
    b = rhs(rng, 70, None, dtype)
    tol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-8
    # kappa = 1e3 needs more than SciPy's default 2 n iterations to reach 1e-8.
    out = lsqr(a, b, damp=damp, atol=tol, btol=tol, iter_lim=500)
    ref = ssl.lsqr(
        a.astype(np.complex128 if np.iscomplexobj(a) else np.float64),
        b,
        damp=damp,
        atol=tol,
        btol=tol,
        iter_lim=500,
    )
    assert out[1] == 2
    assert len(out) == 10 and out[0].shape == (25,) and out[0].dtype == np.dtype(dtype)
    assert isinstance(out[1], int) and isinstance(out[2], int) and isinstance(out[3], float)
    _check_stop(a, b, out[0], out[1], out[2], damp, tol, tol, dtype, out[5])
    _assert_near_ls_solution(a, b, out[0], damp, dtype)
    _assert_near_ls_solution(a, b, ref[0], damp, dtype)
    if np.dtype(dtype) != np.float32:  # SciPy runs float32 input in float64 (x0 = zeros(n))
        # An inconsistent system: only the least-squares test can stop either (iteration counts
        # and the recurrences' norm estimates depend on rounding once orthogonality decays).
        assert out[1] == ref[1] == 2


def test_compatible_wide_and_calc_var():
    rng = np.random.default_rng(42)
    a = rng.standard_normal((15, 40))
    b = a @ rng.standard_normal(40)  # compatible: minimum-norm solution
    x, istop, itn, _, _, anorm, *_ = lsqr(a, b, atol=1e-12, btol=1e-12)
    assert istop == 1
    _check_stop(a, b, x, istop, itn, 0.0, 1e-12, 1e-12, np.float64, anorm)
    # Compatible, from x = 0: LSQR converges to the minimum-norm solution (within range(A^H)).
    x_min = np.linalg.pinv(a) @ b
    s = np.linalg.svd(a, compute_uv=False)
    assert np.linalg.norm(x - x_min) <= np.linalg.norm(b - a @ x) / s[-1] + 30 * 40 * 2.2e-16 * s[0] / s[
        -1
    ] * np.linalg.norm(x_min)
    assert ssl.lsqr(a, b, atol=1e-12, btol=1e-12)[1] == 1
    # var is a sum of squares of the search directions: after 5 steps ours and SciPy's agree to the
    # rounding of 5 steps of the bidiagonalization (orthogonality not yet lost), ~ 5 n u relative.
    var = lsqr(a, b, iter_lim=5, calc_var=True)[9]
    np.testing.assert_allclose(var, ssl.lsqr(a, b, iter_lim=5, calc_var=True)[9], rtol=30 * 5 * 40 * 2.2e-16)


@pytest.mark.parametrize("damp", [0.0, 0.5])
def test_batched_columns_match_scipy(damp):
    rng = np.random.default_rng(43)
    a = _tall(rng, 60, 20, 1e2)
    b = rhs(rng, 60, 4, np.float64)
    b[:, 2] = a @ rng.standard_normal(20)  # compatible column
    b[:, 3] = 0
    out = lsqr(a, b, damp=damp, atol=1e-8, btol=1e-8, iter_lim=400)
    x = out[0]
    assert x.shape == (20, 4) and out[1].shape == (4,) and out[9].shape == (20, 4)
    np.testing.assert_array_equal(x[:, 3], 0)
    assert out[1][3] == 0 and out[2][3] == 0
    _check_stop(a, b, x, out[1], out[2], damp, 1e-8, 1e-8, np.float64, out[5])
    for j in range(4):
        ref = ssl.lsqr(a, b[:, j], damp=damp, atol=1e-8, btol=1e-8, iter_lim=400)
        assert out[1][j] == ref[1]  # 0 (b = 0), 1 (compatible) or 2 (inconsistent)
        _assert_near_ls_solution(a, b[:, j], ref[0], damp, np.float64)
    _assert_near_ls_solution(a, b, x, damp, np.float64)


def test_operators_sparse_pair_and_x0():
    rng = np.random.default_rng(44)
    sp = scipy.sparse.random(80, 30, density=0.2, random_state=4, format="csr") + scipy.sparse.eye(80, 30)
    b = rhs(rng, 80, 2, np.float64)
    ref = np.stack([ssl.lsqr(sp, b[:, j], atol=1e-8, btol=1e-8)[0] for j in range(2)], axis=1)
    dense = sp.toarray()
    forms = [sp, ssl.aslinearoperator(sp), (lambda v: sp @ v, lambda v: sp.T @ v)]
    for A in forms:
        out = lsqr(A, b, atol=1e-8, btol=1e-8)
        _check_stop(dense, b, out[0], out[1], out[2], 0.0, 1e-8, 1e-8, np.float64, out[5])
        _assert_near_ls_solution(dense, b, out[0], 0.0, np.float64)
    x0 = ref + 1e-3
    out = lsqr(sp, b, atol=1e-8, btol=1e-8, x0=x0)
    _check_stop(dense, b, out[0], out[1], out[2], 0.0, 1e-8, 1e-8, np.float64, out[5])
    out1 = lsqr(sp, b[:, 0], atol=1e-8, btol=1e-8, x0=x0[:, 0])
    ref1 = ssl.lsqr(sp, b[:, 0], atol=1e-8, btol=1e-8, x0=x0[:, 0])
    assert out1[1] == ref1[1]


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_torch_same_results_and_namespace(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(45)
    a = _tall(rng, 50, 20, 1e2, dtype)
    b = rhs(rng, 50, 3, dtype)
    ref = lsqr(a, b, atol=1e-8, btol=1e-8)
    out = lsqr(torch.from_numpy(a), torch.from_numpy(b), atol=1e-8, btol=1e-8, calc_var=True)
    assert isinstance(out[0], torch.Tensor) and isinstance(out[9], torch.Tensor)
    _check_stop(a, b, to_np(out[0]), out[1], out[2], 0.0, 1e-8, 1e-8, dtype, out[5])
    np.testing.assert_array_equal(out[1], ref[1])
    _assert_near_ls_solution(a, b, out[0], 0.0, dtype)
    _assert_near_ls_solution(a, b, ref[0], 0.0, dtype)

    class Op:
        shape = (50, 20)

        def matmat(self, X):
            return torch.from_numpy(a) @ X

        def rmatmat(self, X):
            return torch.from_numpy(a).mH @ X

    for A in (Op(), torch.from_numpy(a).to_sparse(), torch.from_numpy(a).to_sparse_csr()):
        out2 = lsqr(A, torch.from_numpy(b), atol=1e-8, btol=1e-8)
        assert isinstance(out2[0], torch.Tensor)
        _check_stop(a, b, to_np(out2[0]), out2[1], out2[2], 0.0, 1e-8, 1e-8, dtype, out2[5])


def test_jax_namespace():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    tol = 1e-8 if dtype == np.float64 else 1e-5
    rng = np.random.default_rng(46)
    a = _tall(rng, 40, 10, 10.0, dtype)
    b = rhs(rng, 40, 2, dtype)
    x, info = lsqr(jnp.asarray(a), jnp.asarray(b), atol=tol, btol=tol, return_info=True)
    assert isinstance(x, jax.Array) and isinstance(info, KrylovInfo)
    _check_stop(
        a, b, np.asarray(x), info.extra["istop"], info.iterations, 0.0, tol, tol, dtype, info.extra["anorm"]
    )


def test_return_info_and_iteration_limit():
    rng = np.random.default_rng(47)
    a = _tall(rng, 50, 20, 1e4)
    b = rhs(rng, 50, None, np.float64)
    x, info = lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=3, return_info=True)
    ref = ssl.lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=3)
    assert info.info == 7 == ref[1] and not info.converged[0] and info.iterations[0] == 3
    r = np.sqrt(np.linalg.norm(b - a @ x) ** 2)
    assert info.residual_norms[0] == pytest.approx(r, rel=1e-12)
    assert info.extra["r2norm"][0] == pytest.approx(ref[4], rel=1e-8)


@pytest.mark.parametrize("shape", [(0,), (0, 2), (5, 0)])
def test_empty(shape):
    a = np.ones((shape[0], 3))
    out = lsqr(a, np.ones(shape))
    assert out[0].shape == ((3,) if len(shape) == 1 else (3, shape[1]))
    np.testing.assert_array_equal(out[0], 0)


def test_bad_input():
    a = np.ones((5, 3))
    with pytest.raises(ValueError, match="infs or NaNs"):
        lsqr(a, np.array([1.0, np.nan, 0, 0, 0]))
    with pytest.raises(ValueError, match="rows"):
        lsqr(a, np.ones(4))
    with pytest.raises(ValueError, match="damp"):
        lsqr(a, np.ones(5), damp=-1.0)
    with pytest.raises(ValueError, match="atol"):
        lsqr(a, np.ones(5), atol=-1.0)
    with pytest.raises(ValueError, match="conlim"):
        lsqr(a, np.ones(5), conlim=-1.0)
    with pytest.raises(TypeError, match="rmatvec"):
        lsqr(lambda v: a @ v, np.ones(5))
    with pytest.raises(ValueError, match="x0"):
        lsqr(a, np.ones(5), x0=np.ones(5))


def test_non_finite_operator_is_reported():
    a = np.ones((5, 3)) + np.eye(5, 3)

    def mv(v):
        return a @ v * np.nan

    with pytest.warns(LinAlgWarning, match="non-finite"):
        _, info = lsqr((mv, lambda v: a.T @ v), np.ones(5), return_info=True)
    assert info.breakdown[0] and not info.converged[0]


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 30),
    n=st.integers(1, 30),
    k=st.integers(1, 3),
    damp=st.sampled_from([0.0, 0.1, 2.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_lsqr_stopping_claims(m, n, k, damp, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, n))
    b = rhs(rng, m, k, np.float64)
    out = lsqr(a, b, damp=damp, atol=1e-9, btol=1e-9, iter_lim=10 * (m + n))
    _check_stop(a, b, out[0], out[1], out[2], damp, 1e-9, 1e-9, np.float64, out[5])
