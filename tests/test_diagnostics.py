"""The diagnostics primitives: backward/forward error, condition numbers, orthogonality, growth.

Each measure is checked against its defining formula and, where it is the
solution of an optimisation problem (the backward errors), against the
optimality property itself: a perturbation that attains it exists, and no
perturbation that explains ``x`` is smaller.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery
from pivotal.diagnostics import _safe_ratio
from pivotal.kernels.gram_schmidt import cgs, mgs

from .helpers import THRESH, u_of

torch = pytest.importorskip("torch")


def _rand(rng, shape, dtype=np.float64):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _ninf(v) -> float:
    """Infinity norm of a vector or (induced) of a matrix."""
    v = np.asarray(v)
    return float(np.abs(v).max()) if v.ndim == 1 else float(np.abs(v).sum(axis=1).max())


def _eta(A, x, b) -> float:
    return _ninf(b - A @ x) / (_ninf(A) * _ninf(x) + _ninf(b))


def _omega(A, x, b) -> float:
    return float(np.max(np.abs(b - A @ x) / (np.abs(A) @ np.abs(x) + np.abs(b))))


def _formula_rel(n: int, eta: float, dtype=np.float64) -> float:
    """Relative difference of two evaluations of a backward error ``eta`` of an ``n``-column system.

    Each entry of ``b - A x`` carries ``gamma_{n+1} (|b| + |A||x|)``, which is ``(n + 1) u / eta``
    relative to the residual that ``eta`` measures; the norms and the division add a few ``u``.
    Complex products count twice.
    """
    return 2 * 2 * (n + 4) * u_of(dtype) / eta


# ----------------------------------------------------------------------------- backward_error


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("shape", [(6, 6), (8, 5), (4, 7)])
def test_normwise_backward_error_formula_and_attaining_perturbation(dtype, shape):
    rng = np.random.default_rng(1)
    m, n = shape
    A, x, b = _rand(rng, (m, n), dtype), _rand(rng, n, dtype), _rand(rng, m, dtype)
    eta = pv.backward_error(A, x, b)
    assert isinstance(eta, float)
    assert eta == pytest.approx(_eta(A, x, b), rel=_formula_rel(n, eta))
    # Rigal-Gaches: dA = ||A|| / d * r z^H, db = -||b|| / d * r with d = ||A|| ||x|| + ||b|| and
    # z^H x = ||x||_inf, ||z||_1 = 1 (z = e_k x_k / |x_k| at the largest |x_k|) attains eta.
    r = b - A @ x
    d = _ninf(A) * _ninf(x) + _ninf(b)
    k = int(np.argmax(np.abs(x)))
    z = np.zeros(n, dtype=dtype)
    z[k] = x[k] / abs(x[k])
    dA = (_ninf(A) / d) * np.outer(r, z.conj())
    db = -(_ninf(b) / d) * r
    # exact in exact arithmetic; computed, each entry sums n + 2 products of size <= d
    tol = 4 * (n + 4) * u_of(dtype)
    assert np.abs((A + dA) @ x - (b + db)).max() <= tol * d
    assert _ninf(dA) == pytest.approx(eta * _ninf(A), rel=tol + _formula_rel(n, eta))
    assert _ninf(db) == pytest.approx(eta * _ninf(b), rel=tol + _formula_rel(n, eta))
    # ... and no perturbation that makes x exact is smaller: r = dA x - db forces
    # ||r|| <= max(||dA||/||A||, ||db||/||b||) * d.
    for _ in range(20):
        E = _rand(rng, (m, n), dtype)
        E = E * (eta * _ninf(A) / _ninf(E)) * rng.uniform(0.1, 2.0)
        f = E @ x - r  # (A + E) x = b + f
        worst = max(_ninf(E) / _ninf(A), _ninf(f) / _ninf(b))
        assert worst >= eta * (1 - tol - _formula_rel(n, eta))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_componentwise_backward_error_formula_and_attaining_perturbation(dtype):
    rng = np.random.default_rng(2)
    n = 7
    A, x, b = _rand(rng, (n, n), dtype), _rand(rng, n, dtype), _rand(rng, n, dtype)
    A[0, 3] = 0.0  # zeros in A stay unperturbed
    omega = pv.backward_error(A, x, b, "componentwise")
    assert omega == pytest.approx(_omega(A, x, b), rel=_formula_rel(n, omega))
    # Oettli-Prager: with t_i = r_i / (|A||x| + |b|)_i, dA_ij = t_i |a_ij| conj(sgn x_j) and
    # db_i = -t_i |b_i| give (A + dA) x = b + db with |dA| <= omega |A|, |db| <= omega |b|.
    r = b - A @ x
    t = r / (np.abs(A) @ np.abs(x) + np.abs(b))
    sgn = np.conj(x) / np.abs(x)
    dA = t[:, None] * np.abs(A) * sgn[None, :]
    db = -t * np.abs(b)
    tol = 4 * (n + 4) * u_of(dtype) + _formula_rel(n, omega)
    assert np.abs((A + dA) @ x - (b + db)).max() <= tol * _ninf(np.abs(A) @ np.abs(x) + np.abs(b))
    assert np.all(np.abs(dA) <= omega * np.abs(A) * (1 + tol))
    assert np.all(np.abs(db) <= omega * np.abs(b) * (1 + tol))
    assert max(
        np.max(np.abs(dA) / np.where(A == 0, 1, np.abs(A))), np.max(np.abs(db) / np.abs(b))
    ) == pytest.approx(omega, rel=tol)
    eta = pv.backward_error(A, x, b)
    assert omega >= eta * (1 - tol - _formula_rel(n, eta))  # componentwise is the stronger measure


def test_backward_error_of_a_backward_stable_solve_is_of_order_u():
    A = gallery.randsvd(40, 1e10, 3, random_state=0)
    b = np.random.default_rng(0).standard_normal(40)
    x = pv.LU(A).solve(b)
    u = u_of(np.float64)
    # LAPACK's xGET02 ratio eta / (n u) < THRESH, for both measures here (GEPP on a dense
    # random matrix is componentwise stable in practice, and n u bounds its constant)
    assert pv.backward_error(A, x, b) < THRESH * 40 * u
    assert pv.backward_error(A, x, b, "componentwise") < THRESH * 40 * u
    # (a relative change along x itself would barely move eta here: ||A|| ||x|| >> ||b||)
    x_bad = x + 1e-6 * np.abs(x).max() * np.random.default_rng(1).standard_normal(40)
    assert pv.backward_error(A, x_bad, b) > 1e-8


def test_backward_error_special_values():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    b = np.array([4.0, 7.0])
    x = np.array([1.0, 2.0])  # exact, and exactly representable
    assert pv.backward_error(A, x, b) == 0.0
    assert pv.backward_error(A, x, b, "componentwise") == 0.0
    # x = 0: r = b, so eta = ||b|| / ||b|| = 1 and omega = max |b_i| / |b_i| = 1.
    assert pv.backward_error(A, np.zeros(2), b) == 1.0
    assert pv.backward_error(A, np.zeros(2), b, "componentwise") == 1.0
    # x = 0 and a zero entry of b: that row is 0/0 = 0, the others 1.
    assert pv.backward_error(A, np.zeros(2), np.array([0.0, 5.0]), "componentwise") == 1.0
    # 0/0 everywhere: zero A, zero b.
    Z = np.zeros((3, 3))
    for kind in ("normwise", "componentwise"):
        assert pv.backward_error(Z, np.ones(3), np.zeros(3), kind) == 0.0
        assert pv.backward_error(A, np.zeros(2), np.zeros(2), kind) == 0.0
        # A = 0 and b != 0: nothing but db can explain x, the whole of b.
        assert pv.backward_error(Z, np.ones(3), np.ones(3), kind) == 1.0
    # nonzero / 0 = inf (in exact arithmetic r_i = 0 whenever its denominator is, so check the rule itself)
    out = _safe_ratio(np, np.array([0.0, 1.0, 2.0, 0.0]), np.array([0.0, 0.0, 4.0, 3.0]))
    np.testing.assert_array_equal(out, [0.0, np.inf, 0.5, 0.0])
    with pytest.raises(ValueError, match="kind"):
        pv.backward_error(A, x, b, "relative")


def test_backward_error_nan_propagates():
    A = np.array([[1.0, np.nan], [0.0, 1.0]])
    assert math.isnan(pv.backward_error(A, np.ones(2), np.ones(2)))


def test_backward_error_multiple_rhs_shapes():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4))
    X, B = rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    for kind, ref in (("normwise", _eta), ("componentwise", _omega)):
        out = pv.backward_error(A, X, B, kind)
        assert isinstance(out, np.ndarray) and out.shape == (3,)
        want = np.array([ref(A, X[:, j], B[:, j]) for j in range(3)])
        np.testing.assert_allclose(out, want, rtol=_formula_rel(4, want.min()))
        one = pv.backward_error(A, X[:, :1], B[:, :1], kind)
        assert isinstance(one, np.ndarray) and one.shape == (1,)
        assert pv.backward_error(A, X[:, 0], B[:, 0], kind) == pytest.approx(
            one[0], rel=_formula_rel(4, one[0])
        )
        assert pv.backward_error(A, X[:, :0], B[:, :0], kind).shape == (0,)
    with pytest.raises(ValueError, match="incompatible"):
        pv.backward_error(A, np.ones(5), np.ones(6))


def test_backward_error_batches():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((2, 3, 5, 5))
    X = rng.standard_normal((2, 3, 5, 2))
    B = rng.standard_normal((2, 3, 5, 2))
    for kind, ref in (("normwise", _eta), ("componentwise", _omega)):
        out = pv.backward_error(A, X, B, kind)
        assert out.shape == (2, 3, 2)
        for i, j, k in np.ndindex(2, 3, 2):
            want = ref(A[i, j], X[i, j, :, k], B[i, j, :, k])
            assert out[i, j, k] == pytest.approx(want, rel=_formula_rel(5, want))


def test_residual():
    rng = np.random.default_rng(5)
    A, x, b = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    # two evaluations of b - A x: each entry within gamma_{n+1} (|b| + |A||x|)
    scale = 2 * (3 + 1) * u_of(np.float64) * (np.abs(b) + np.abs(A) @ np.abs(x))
    np.testing.assert_allclose(pv.residual(A, x, b), b - A @ x, rtol=0, atol=scale.max())
    X, B = rng.standard_normal((3, 2)), rng.standard_normal((5, 2))
    assert pv.residual(A, X, B).shape == (5, 2)
    r = pv.residual(torch.from_numpy(A), torch.from_numpy(x), torch.from_numpy(b))
    assert isinstance(r, torch.Tensor)
    np.testing.assert_allclose(r.numpy(), b - A @ x, rtol=0, atol=scale.max())
    # mixed dtypes promote: float32 A, float64 x
    assert pv.residual(A.astype(np.float32), x, b).dtype == np.float64


def test_backward_error_torch_matches_numpy():
    rng = np.random.default_rng(6)
    for dtype in (np.float64, np.complex128):
        A, X, B = _rand(rng, (6, 6), dtype), _rand(rng, (6, 2), dtype), _rand(rng, (6, 2), dtype)
        for kind in ("normwise", "componentwise"):
            ref = pv.backward_error(A, X, B, kind)
            got = pv.backward_error(torch.from_numpy(A), torch.from_numpy(X), torch.from_numpy(B), kind)
            assert isinstance(got, np.ndarray)
            np.testing.assert_allclose(got, ref, rtol=_formula_rel(6, ref.min(), dtype))
            one = pv.backward_error(
                torch.from_numpy(A), torch.from_numpy(X[:, 0]), torch.from_numpy(B[:, 0]), kind
            )
            assert isinstance(one, float) and one == pytest.approx(ref[0], rel=_formula_rel(6, ref[0], dtype))
    with pytest.raises(TypeError, match="same backend"):
        pv.backward_error(torch.from_numpy(A), X, B)


def test_backward_error_jax_matches_numpy():
    jnp = pytest.importorskip("jax.numpy")
    rng = np.random.default_rng(7)
    A, x, b = (rng.standard_normal(s).astype(np.float32) for s in ((6, 6), 6, 6))
    for kind in ("normwise", "componentwise"):
        got = pv.backward_error(jnp.asarray(A), jnp.asarray(x), jnp.asarray(b), kind)
        assert isinstance(got, float)
        want = pv.backward_error(A, x, b, kind)
        assert got == pytest.approx(want, rel=_formula_rel(6, want, np.float32))


# ----------------------------------------------------------------------------- forward_error_bound


def _op(A, t):
    return A if t == 0 else (A.T if t == 1 else A.conj().T)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_forward_error_bound_bounds_the_true_error(dtype):
    """LAPACK dget07: the true error never exceeds FERR, over kappa up to 1e12, modes, seeds and trans."""
    n = 20
    u = u_of(dtype)
    checked = 0
    for kappa in (1e1, 1e4, 1e8, 1e12):
        for mode in (1, 3, 5):
            for seed in range(2):
                A = gallery.randsvd(n, kappa, mode, dtype=dtype, random_state=seed)
                rng = np.random.default_rng(seed + 10)
                X_true = _rand(rng, (n, 2), dtype)
                F = pv.LU(A)
                for t in (0, 1, 2):
                    B = _op(A, t) @ X_true
                    X = F.solve(B, trans=t)
                    bound = pv.forward_error_bound(A, X, B, factorization=F, trans=t)
                    err = np.abs(X - X_true).max(axis=0) / np.abs(X).max(axis=0)
                    assert np.all(err <= bound), (kappa, mode, seed, t, err, bound)
                    # and it is a useful bound: about (n+1) u kappa_inf, not inf
                    kinf = np.linalg.cond(_op(A, t), np.inf)
                    assert np.all(bound <= 4 * (n + 1) * kinf * u)
                    checked += 1
    assert checked == 72


def test_forward_error_bound_float32_vector_and_own_factorization():
    A = gallery.randsvd(15, 1e5, 3, dtype=np.float32, random_state=1)
    x_true = np.ones(15, dtype=np.float32)
    b = A @ x_true
    x = np.linalg.solve(A, b)
    bound = pv.forward_error_bound(A, x, b)  # factorizes A itself
    assert isinstance(bound, float)
    err = np.abs(x - x_true).max() / np.abs(x).max()
    assert err <= bound <= 4 * 16 * np.linalg.cond(A.astype(np.float64), np.inf) * u_of(np.float32)
    assert pv.forward_error_bound(A, x, b, trans="N") == bound
    Ft = pv.LU(torch.from_numpy(A))
    tb = pv.forward_error_bound(
        torch.from_numpy(A), torch.from_numpy(x), torch.from_numpy(b), factorization=Ft
    )
    assert tb == pytest.approx(bound, rel=0.5)


def test_forward_error_bound_singular_and_trivial_cases():
    A = gallery.zero_column(6, 2, random_state=0)
    F = pv.LU(A, check=False)
    assert not F.issuccess()
    assert pv.forward_error_bound(A, np.ones(6), np.ones(6), factorization=F) == math.inf
    assert np.all(pv.forward_error_bound(A, np.ones((6, 2)), np.ones((6, 2))) == math.inf)
    B = np.eye(3) * 2
    assert pv.forward_error_bound(B, np.zeros(3), np.zeros(3)) == 0.0  # x = 0 solves b = 0 exactly
    assert pv.forward_error_bound(B, np.zeros(3), np.ones(3)) == math.inf  # x = 0 is not a solution
    assert pv.forward_error_bound(B, np.zeros((3, 0)), np.zeros((3, 0))).shape == (0,)
    with pytest.raises(ValueError, match="factorization"):
        pv.forward_error_bound(B, np.ones(3), np.ones(3), factorization=pv.LU(np.eye(4)))
    with pytest.raises(TypeError):
        pv.forward_error_bound(B, np.ones(3), np.ones(3), factorization=np.eye(3))
    with pytest.raises(ValueError, match="square"):
        pv.forward_error_bound(np.ones((4, 3)), np.ones(3), np.ones(4))


# ----------------------------------------------------------------------------- condest


def _types():
    return [(name, make) for name, make in gallery.MATRIX_TYPES.items() if not name.startswith("zerocol")]


def _assert_condest_bounds(est: float, ref: float, n: int, dtype) -> None:
    """What Hager-Higham guarantees, against a reference that is itself computed.

    In exact arithmetic the estimate is ||A||_1 ||A^{-1} x||_1 for a unit vector x, so it
    never exceeds kappa_1(A).  Computed, it is that quantity for a backward-perturbed
    A + dA (LU solves, ||dA|| <~ 3 n u ||A||), and the reference ``np.linalg.cond`` (an
    explicit inverse) carries the same kind of error: both are kappa_1 (1 + O(delta)) with
    delta = 3 n u kappa_1, so est <= ref (1 + delta) / (1 - delta) while delta < 1.  Past
    that (kappa_1 ~ 1/(n u), e.g. the 4.5e14 types) neither number has a correct digit and
    only the lower side is asserted.  The factor 3 below the true value is the estimator's
    behaviour on these matrix types (Higham 1988), not a theorem: test_kernel_condest covers
    that distinction on random input.
    """
    delta = 3 * n * u_of(dtype) * ref
    if delta < 0.5:
        assert est <= ref * (1 + delta) / (1 - delta), (est, ref, delta)
    assert est >= ref / (3 * (1 + delta)), (est, ref, delta)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_condest_within_a_factor_3_of_kappa(dtype):
    n = 20
    for name, make in _types():
        for seed in range(2):
            A = make(n, dtype, seed)
            for norm in (1, np.inf):
                exact = np.linalg.cond(A, norm)
                est = pv.condest(A, norm)
                assert math.isfinite(est), (name, seed, norm)
                _assert_condest_bounds(est, exact, n, dtype)


def test_condest_factorization_input_and_argument_errors():
    A = gallery.randsvd(30, 1e6, 3, random_state=3)
    F = pv.factorize(A)
    assert pv.condest(F) == pv.condest(A) == pv.condest(A, "1")
    assert pv.condest(A, "inf") == pv.condest(A, np.inf)
    # kappa_inf(A) = kappa_1(A^T)
    assert pv.condest(A, np.inf) == pytest.approx(pv.condest(A.T, 1), rel=0.5)
    with pytest.raises(ValueError, match="inf"):
        pv.condest(F, np.inf)
    with pytest.raises(ValueError, match="norm"):
        pv.condest(A, 2)
    with pytest.raises(ValueError, match="square"):
        pv.condest(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"NaN|nan"):
        pv.condest(np.full((2, 2), np.nan))
    S = gallery.random_spd(12, 1e4, 3, random_state=0)
    FS = pv.factorize(S)
    assert type(FS).__name__ == "Cholesky"
    _assert_condest_bounds(pv.condest(FS), np.linalg.cond(S, 1), 12, np.float64)
    # Each backend's estimate is exact for its own perturbed LU: they agree to 2 delta.
    At = torch.from_numpy(A)
    assert pv.condest(At) == pytest.approx(pv.condest(A), rel=6 * 30 * u_of(np.float64) * pv.condest(A))


def test_condest_singular_and_empty():
    for where in ("first", "mid", "last"):
        A = gallery.MATRIX_TYPES[f"zerocol_{where}"](8, np.float64, 0)
        assert pv.condest(A) == math.inf
        assert pv.condest(A, np.inf) == math.inf
    assert pv.condest(np.zeros((4, 4))) == math.inf
    assert pv.condest(np.zeros((0, 0))) == 1.0
    assert pv.condest(np.zeros((0, 0)), np.inf) == 1.0


# ----------------------------------------------------------------------------- cond


def _cond_rel(M, dtype=np.float64) -> float:
    """Two computations of a condition number (SVD or inverse, any library, and for float32 the
    rounding of M itself) are exact for perturbations of THRESH n u relative: they differ by
    twice that times kappa (first order)."""
    p = 1 if M.shape[0] == M.shape[1] else None  # kappa_1 bounds kappa_2 within n; rectangular: 2
    return 2 * THRESH * max(M.shape) * u_of(dtype) * np.linalg.cond(M.astype(np.complex128), p)


def test_cond_matches_numpy():
    rng = np.random.default_rng(8)
    A = gallery.randsvd(10, 1e5, 5, random_state=2)
    Ac = _rand(rng, (6, 6), np.complex128)
    R = rng.standard_normal((7, 4))
    for M in (A, Ac):
        for p in (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"):
            got = pv.cond(M, p)
            assert isinstance(got, float)
            assert got == pytest.approx(np.linalg.cond(M, p), rel=_cond_rel(M))
    assert pv.cond(R) == pytest.approx(np.linalg.cond(R), rel=_cond_rel(R))
    assert pv.cond(A) == pytest.approx(1e5, rel=_cond_rel(A))  # randsvd's promise (sqrt(n) u kappa)
    batch = np.stack([A, 2 * A, gallery.hilbert(10)])
    np.testing.assert_allclose(pv.cond(batch, 1), np.linalg.cond(batch, 1), rtol=max(map(_cond_rel, batch)))
    with pytest.raises(ValueError, match="square"):
        pv.cond(R, 1)
    with pytest.raises(ValueError, match="p="):
        pv.cond(A, 3)


def test_cond_torch_and_jax_match_numpy():
    jnp = pytest.importorskip("jax.numpy")
    A = gallery.randsvd(8, 1e3, 3, random_state=4)
    for p in (None, 1, np.inf, "fro"):
        ref = np.linalg.cond(A, p)
        assert pv.cond(torch.from_numpy(A), p) == pytest.approx(ref, rel=_cond_rel(A))
        assert pv.cond(jnp.asarray(A.astype(np.float32)), p) == pytest.approx(
            ref, rel=_cond_rel(A, np.float32)
        )
    out = pv.cond(torch.from_numpy(np.stack([A, A])))
    assert isinstance(out, torch.Tensor) and out.shape == (2,)


def test_cond_singular_is_inf_and_nan_is_nan_on_every_backend():
    jnp = pytest.importorskip("jax.numpy")
    # The promise covers matrices whose LU meets an exactly zero pivot in any summation order
    # (a zero column stays zero; [[1, 2], [2, 4]] eliminates to 2 - 0.5 * 4 = 0 exactly),
    # not every singular matrix: the SVD alone gives ~6e16 for ones((2, 2)) on some kernels.
    singular = [
        np.zeros((3, 3)),
        np.ones((2, 2)),
        np.diag([1.0, 0.0, 2.0]),
        np.array([[1.0, 2.0], [2.0, 4.0]]),
        gallery.zero_column(6, 2, random_state=0),
        gallery.zero_column(5, 4, random_state=1).T,
    ]
    nan = np.array([[1.0, np.nan], [0.0, 1.0]])
    for backend, convert in (("numpy", np.asarray), ("torch", torch.from_numpy), ("jax", jnp.asarray)):
        norms = (
            (None, 1) if backend == "jax" else (None, 1, 2, np.inf, "fro", "nuc")
        )  # jax compiles each: slow
        for M in singular:
            for p in norms:
                assert pv.cond(convert(M), p) == math.inf, (backend, M, p)
        for p in norms:
            assert math.isnan(pv.cond(convert(nan), p)), (backend, p)
        batch = np.stack([np.zeros((3, 3)), np.eye(3)])
        np.testing.assert_array_equal(np.asarray(pv.cond(convert(batch))), [np.inf, 1.0])
    for M in singular:  # sigma_min / sigma_max, as NumPy; exactly 0 when a pivot is
        assert pv.cond(M, -2) == 0.0


# ----------------------------------------------------------------------------- orthogonality_error


def test_orthogonality_error_householder_vs_gram_schmidt():
    """Householder O(u), MGS O(u kappa), CGS O(u kappa^2) on a kappa = 1e6 matrix."""
    kappa, u = 1e6, u_of(np.float64)
    A = gallery.randsvd(30, kappa, 3, m=50, random_state=0)
    house = pv.orthogonality_error(pv.QR(A, method="householder").Q)
    modified = pv.orthogonality_error(mgs(A)[0])
    classical = pv.orthogonality_error(cgs(A)[0])
    assert house < 50 * 30 * u
    assert 1e-3 * u * kappa < modified < 1e3 * u * kappa
    assert 1e-3 * u * kappa**2 < classical < 1e3 * u * kappa**2
    assert classical > 1e3 * modified > 1e6 * house


def test_orthogonality_error_values_and_norms():
    Q = np.ones((3, 2))  # Q^T Q - I = [[2, 3], [3, 2]]
    assert pv.orthogonality_error(Q) == pytest.approx(math.sqrt(26))
    assert pv.orthogonality_error(Q, 2) == pytest.approx(5.0)
    assert pv.orthogonality_error(Q, 1) == pytest.approx(5.0)
    assert pv.orthogonality_error(np.eye(4)[:, :2]) == 0.0
    assert pv.orthogonality_error(np.zeros((3, 0))) == 0.0
    Z = np.exp(2j * np.pi * np.outer(np.arange(4), np.arange(4)) / 4) / 2  # unitary DFT
    # entries exp(i pi k / 2) / 2 rounded (cos(pi/2) ~ 6e-17): LAPACK's THRESH m u
    assert pv.orthogonality_error(Z) < THRESH * 4 * u_of(np.float64)
    assert pv.orthogonality_error(torch.from_numpy(Z)) < THRESH * 4 * u_of(np.float64)
    with pytest.raises(ValueError, match="norm"):
        pv.orthogonality_error(Q, "nuc")


# ----------------------------------------------------------------------------- growth_factor


def test_growth_factor_gfpp_and_pivoting():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the PivotGrowthWarning is suppressed: growth is the answer
        for n in (5, 20, 40):  # exact: U's entries 2**i and their partial sums fit in 53 bits
            assert pv.growth_factor(gallery.gfpp(n)) == 2.0 ** (n - 1)
    G = gallery.gfpp(40)
    assert pv.growth_factor(G, "complete") < 3
    assert pv.growth_factor(G, "rook") < 3
    assert pv.growth_factor(np.zeros((3, 3))) == 1.0
    A = np.random.default_rng(0).standard_normal((30, 30))
    assert 1 <= pv.growth_factor(A) < 30
