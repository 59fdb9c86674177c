"""Tests of the 1-norm estimators in ``pivotal.kernels.condest``.

What the estimators guarantee, and so what is asserted for every input:

* the estimate is ``||B x||_1 / ||x||_1`` for some ``x``, hence a lower bound
  of ``||B||_1`` (up to the rounding errors of the products);
* it never falls below the first iterate ``||B e||_1 / n`` (each iteration
  of Hager's method can only increase it, in exact arithmetic);
* it is exact for ``n = 1`` and for matrices with nonnegative entries.

The "within a factor 3" behaviour is only typical (Higham 1988 gives
counterexamples), so it is asserted for a large fraction of random cases,
and for fixed structured matrices as a regression check.  The ``t=1``
estimator is also checked to reproduce LAPACK's own ``xGECON``/``xTRCON``
(which call ``xLACN2``) to rounding error.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from scipy.linalg import lapack

from pivotal.kernels.condest import inv_onenormest, onenormest, rcond_from

torch = pytest.importorskip("torch")

U = np.finfo(np.float64).eps / 2


def _products(n: int) -> float:
    """Relative rounding of an estimate formed from explicit products ``B @ x``.

    Each entry of ``B x`` carries ``gamma_n |B| |x|``, and ``|| |B| |x| ||_1 <=
    ||B||_1 ||x||_1``, so the estimate (and the first iterate) moves by at
    most ``gamma_n ||B||_1`` (with ``||x||_1 = 1`` up to one more rounding).
    """
    return 2 * (n + 1) * U


def _solves(n: int, kappa: float, u: float = U) -> float:
    """Relative error of an estimate formed from LU solves, and of ``inv`` as a reference.

    Backward-stable solves are exact for ``A + dA``, ``||dA|| <~ 3 n u ||A||``,
    which moves ``||A^{-1}||_1`` by ``3 n u kappa_1`` relative to first order;
    the tests allow ten times that.
    """
    return 10 * n * u * kappa


# --------------------------------------------------------------------------- helpers


def _random(rng, shape, cplx):
    x = rng.standard_normal(shape)
    if cplx:
        x = x + 1j * rng.standard_normal(shape)
    return x


def _norm1(a) -> float:
    a = np.asarray(a)
    return float(np.abs(a).sum(axis=0).max()) if a.size else 0.0


def _matrix_ops(b):
    """``apply``/``apply_h`` for an explicit matrix of either backend."""
    if isinstance(b, torch.Tensor):
        return (lambda x: b @ x), (lambda x: b.mH @ x)
    return (lambda x: b @ x), (lambda x: b.conj().T @ x)


def _lu_solvers(a):
    """Solves with ``A`` and ``A^H`` from one LU factorization (either backend)."""
    if isinstance(a, torch.Tensor):
        lu, piv = torch.linalg.lu_factor(a)
        return (
            lambda x: torch.linalg.lu_solve(lu, piv, x),
            lambda x: torch.linalg.lu_solve(lu, piv, x, adjoint=True),
        )
    lu = sl.lu_factor(a)
    return (lambda x: sl.lu_solve(lu, x)), (lambda x: sl.lu_solve(lu, x, trans=2))


def _randsvd(rng, n, cond, cplx):
    """``U diag(s) V^H`` with geometrically spaced singular values from 1 to 1/cond."""
    u, _ = np.linalg.qr(_random(rng, (n, n), cplx))
    v, _ = np.linalg.qr(_random(rng, (n, n), cplx))
    s = cond ** (-np.arange(n) / max(n - 1, 1))
    return (u * s) @ v.conj().T


def _est_inv(a, **kw):
    solve, solve_h = _lu_solvers(a)
    return inv_onenormest(solve, solve_h, a.shape[0], like=a, **kw)


# --------------------------------------------------------------------------- LAPACK agreement


@pytest.mark.parametrize("cplx", [False, True])
def test_matches_lapack_gecon(cplx):
    """Same algorithm as xLACN2: the estimate equals xGECON's to rounding."""
    rng = np.random.default_rng(1 + cplx)
    getrf = lapack.zgetrf if cplx else lapack.dgetrf
    gecon = lapack.zgecon if cplx else lapack.dgecon
    for _ in range(40):
        n = int(rng.integers(2, 30))
        a = _random(rng, (n, n), cplx)
        lu, _, info = getrf(a)
        assert info == 0
        lower = np.tril(lu, -1) + np.eye(n)
        upper = np.triu(lu)

        # xGECON estimates ||U^{-1} L^{-1}||_1 (the row permutation does not
        # change the norm); use exactly that operator.
        def solve(x, lower=lower, upper=upper):
            y = sl.solve_triangular(lower, x, lower=True, unit_diagonal=True)
            return sl.solve_triangular(upper, y)

        def solve_h(x, lower=lower, upper=upper):
            y = sl.solve_triangular(upper, x, trans=2)
            return sl.solve_triangular(lower, y, lower=True, unit_diagonal=True, trans=2)

        anorm = _norm1(a)
        rcond, info = gecon(lu, anorm)
        assert info == 0
        est = inv_onenormest(solve, solve_h, n, dtype=a.dtype)
        # Same iterates as xLACN2; the solves differ (xLATRS scales), each by n u kappa.
        np.testing.assert_allclose(est, 1.0 / (rcond * anorm), rtol=_solves(n, 1.0 / rcond))


@pytest.mark.parametrize("cplx", [False, True])
def test_matches_lapack_trcon(cplx):
    rng = np.random.default_rng(3 + cplx)
    trcon = lapack.ztrcon if cplx else lapack.dtrcon
    for _ in range(20):
        n = int(rng.integers(2, 30))
        t = np.triu(_random(rng, (n, n), cplx)) + 2 * np.eye(n)
        rcond, info = trcon(t, norm="1", uplo="U", diag="N")
        assert info == 0
        est = inv_onenormest(
            lambda x, t=t: sl.solve_triangular(t, x),
            lambda x, t=t: sl.solve_triangular(t, x, trans=2),
            n,
            dtype=t.dtype,
        )
        np.testing.assert_allclose(est, 1.0 / (rcond * _norm1(t)), rtol=_solves(n, 1.0 / rcond))


# --------------------------------------------------------------------------- accuracy


def test_random_lower_bound_and_usually_within_3():
    rng = np.random.default_rng(10)
    within3 = 0
    cases = 100
    for i in range(cases):
        n = int(rng.integers(2, 40))
        cplx = i % 2 == 1
        a = _random(rng, (n, n), cplx)
        exact = _norm1(np.linalg.inv(a))
        est = _est_inv(a)
        assert est <= exact * (1 + 2 * _solves(n, exact * _norm1(a)))  # estimate and reference both perturbed
        within3 += est >= exact / 3
    assert within3 >= 0.9 * cases


def test_never_below_first_iterate():
    rng = np.random.default_rng(11)
    for i in range(40):
        n = int(rng.integers(2, 30))
        b = _random(rng, (n, n), i % 2 == 1)
        est = onenormest(*_matrix_ops(b), n, dtype=b.dtype)
        first = _norm1(b @ np.full((n, 1), 1.0 / n))
        assert est >= first * (1 - 2 * _products(n))
        assert est <= _norm1(b) * (1 + _products(n))


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("cond", [1e4, 1e8, 1e12])
def test_ill_conditioned_known_singular_values(cplx, cond):
    rng = np.random.default_rng(int(np.log10(cond)) + 20 * cplx)
    u = np.finfo(np.float64).eps / 2
    for _ in range(10):
        n = int(rng.integers(5, 30))
        a = _randsvd(rng, n, cond, cplx)
        exact = _norm1(np.linalg.inv(a))
        est = _est_inv(a)
        # Both the solves and inv() carry relative errors of order n cond u (kappa_1 <= n cond).
        slack = 2 * _solves(n, n * cond, u)
        assert est <= exact * (1 + slack)
        assert est >= exact / (3 * n)  # deterministic inputs: a regression check


@pytest.mark.parametrize("n", [2, 5, 8, 12])
def test_hilbert(n):
    # The inverse Hilbert matrix is known exactly (integers, checkerboard signs).
    hinv = sl.invhilbert(n, exact=n > 10)
    hinv = np.asarray(hinv, dtype=np.float64)
    exact = _norm1(hinv)
    est = onenormest(*_matrix_ops(hinv), n)
    assert exact / 3 <= est <= exact * (1 + _products(n))
    if n <= 8:  # kappa_1(H_8) ~ 3.4e10: the LU solves are still accurate to ~1e-5
        h = sl.hilbert(n)
        est_solve = _est_inv(h)
        # The stored H differs from the true one by u |H|: that moves ||H^{-1}||_1 by kappa u too.
        assert exact / 3 <= est_solve <= exact * (1 + 2 * _solves(n, exact * _norm1(h)))


@pytest.mark.parametrize("cplx", [False, True])
def test_triangular(cplx):
    rng = np.random.default_rng(30 + cplx)
    for _ in range(10):
        n = int(rng.integers(5, 40))
        t = np.tril(_random(rng, (n, n), cplx))
        t[np.diag_indices(n)] += 1.0  # unit-ish diagonal: typically very ill conditioned
        exact = _norm1(sl.solve_triangular(t, np.eye(n), lower=True))
        est = inv_onenormest(
            lambda x, t=t: sl.solve_triangular(t, x, lower=True),
            lambda x, t=t: sl.solve_triangular(t, x, lower=True, trans=2),
            n,
            dtype=t.dtype,
        )
        # Triangular solves are backward stable columnwise: n u kappa_1 bounds both sides' error.
        assert est <= exact * (1 + 2 * _solves(n, exact * _norm1(t)))
        assert est >= exact / (3 * n)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_exact_for_nonnegative_matrices(dtype):
    rng = np.random.default_rng(40)
    for _ in range(10):
        n = int(rng.integers(2, 30))
        b = np.abs(rng.standard_normal((n, n))).astype(dtype)
        est = onenormest(*_matrix_ops(b), n, dtype=dtype)
        np.testing.assert_allclose(est, _norm1(b), rtol=2 * _products(n))  # exact up to the sums' rounding


def test_exact_for_inverse_of_m_matrix():
    # tridiag(-1, 2, -1) is an M-matrix: its inverse is entrywise positive.
    n = 25
    t = 2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    exact = _norm1(np.linalg.inv(t))
    np.testing.assert_allclose(_est_inv(t), exact, rtol=2 * _solves(n, exact * _norm1(t)))


# --------------------------------------------------------------------------- edge cases


def test_n_zero_makes_no_products():
    def boom(x):
        raise AssertionError("no product expected for n = 0")

    assert onenormest(boom, boom, 0) == 0.0
    assert inv_onenormest(boom, boom, 0, like=torch.zeros(0, 0)) == 0.0
    assert onenormest(boom, boom, 0, t=3, random_state=0) == 0.0


@pytest.mark.parametrize("value", [-2.5, 3.0, 1 - 2j])
def test_n_one_is_exact(value):
    b = np.array([[value]])
    assert onenormest(*_matrix_ops(b), 1, dtype=b.dtype) == pytest.approx(
        abs(value), rel=2 * U
    )  # one product, one abs
    bt = torch.tensor(b)
    assert onenormest(*_matrix_ops(bt), 1, like=bt) == pytest.approx(
        abs(value), rel=2 * U
    )  # one product, one abs


def test_zero_matrix():
    b = np.zeros((4, 4))
    assert onenormest(*_matrix_ops(b), 4) == 0.0


def test_product_budget():
    """At most ``max_iter + 1`` products with B and ``max_iter`` with B^H (LAPACK)."""
    rng = np.random.default_rng(50)
    for max_iter in (2, 3, 5, 8):
        for _ in range(10):
            b = rng.standard_normal((20, 20))
            calls = {"apply": 0, "apply_h": 0}

            def apply(x, b=b, calls=calls):
                calls["apply"] += 1
                return b @ x

            def apply_h(x, b=b, calls=calls):
                calls["apply_h"] += 1
                return b.T @ x

            est = onenormest(apply, apply_h, 20, max_iter=max_iter)
            assert est <= _norm1(b) * (1 + _products(20))
            assert 3 <= calls["apply"] <= max_iter + 1
            assert 1 <= calls["apply_h"] <= max_iter


def test_invalid_arguments():
    b = np.eye(3)
    ops = _matrix_ops(b)
    with pytest.raises(ValueError, match="max_iter"):
        onenormest(*ops, 3, max_iter=1)
    with pytest.raises(ValueError, match="n must be nonnegative"):
        onenormest(*ops, -1)
    with pytest.raises(ValueError, match="t must be"):
        onenormest(*ops, 3, t=0)
    with pytest.raises(ValueError, match="random_state"):
        onenormest(*ops, 3, random_state=0)
    with pytest.raises(ValueError, match="shape"):
        onenormest(lambda x: (b @ x)[:, 0], ops[1], 3)
    with pytest.raises(TypeError, match="like"):
        onenormest(*ops, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match="backend"):
        onenormest(lambda x: torch.as_tensor(b @ x), ops[1], 3)


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("cplx", [False, True])
def test_torch_matches_numpy(cplx):
    rng = np.random.default_rng(60 + cplx)
    for _ in range(15):
        n = int(rng.integers(2, 30))
        a = _random(rng, (n, n), cplx)
        b = np.linalg.inv(a)
        bt = torch.tensor(b)
        est_np = onenormest(*_matrix_ops(b), n, dtype=b.dtype)
        est_t = onenormest(*_matrix_ops(bt), n, like=bt)
        # Two BLAS libraries: each product within gamma_n ||B||_1 of the exact one.
        rtol = 2 * _products(n) * _norm1(b) / est_np
        np.testing.assert_allclose(est_t, est_np, rtol=rtol)
        # Through each backend's own LU solves.
        kappa = _norm1(a) * _norm1(b)
        np.testing.assert_allclose(_est_inv(torch.tensor(a)), _est_inv(a), rtol=2 * _solves(n, kappa))
        # The block estimator draws its random columns on the host: same seed, same result.
        np.testing.assert_allclose(
            onenormest(*_matrix_ops(bt), n, like=bt, t=2, random_state=5),
            onenormest(*_matrix_ops(b), n, dtype=b.dtype, t=2, random_state=5),
            rtol=rtol,
        )


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision(dtype):
    rng = np.random.default_rng(70)
    for backend in ("numpy", "torch"):
        for _ in range(5):
            n = int(rng.integers(2, 20))
            a = _random(rng, (n, n), np.dtype(dtype).kind == "c").astype(dtype)
            exact = _norm1(np.linalg.inv(a.astype(np.complex128)))
            x = torch.from_numpy(a) if backend == "torch" else a
            est = _est_inv(x)
            assert isinstance(est, float)
            u32 = float(np.finfo(dtype).eps) / 2  # float32 solves against a float64 reference
            assert est <= exact * (1 + _solves(n, exact * _norm1(a), u32))
            assert est >= exact / (3 * n)


# --------------------------------------------------------------------------- block estimator


@pytest.mark.parametrize("t", [2, 3, 5])
def test_block_estimator(t):
    rng = np.random.default_rng(80 + t)
    ratios = []
    for i in range(40):
        n = int(rng.integers(2, 30))
        b = np.linalg.inv(_random(rng, (n, n), i % 2 == 1))
        exact = _norm1(b)
        est = onenormest(*_matrix_ops(b), n, dtype=b.dtype, t=t, random_state=i)
        assert est <= exact * (1 + _products(n))
        assert est >= _norm1(b @ np.full((n, 1), 1.0 / n)) * (1 - 2 * _products(n))
        # reproducible with the same seed
        again = onenormest(*_matrix_ops(b), n, dtype=b.dtype, t=t, random_state=i)
        assert again == est
        ratios.append(exact / est)
    assert np.mean(np.array(ratios) <= 3) >= 0.9


def test_block_estimator_exact_cases():
    rng = np.random.default_rng(90)
    b = rng.standard_normal((4, 4))
    # t >= n: computed exactly from B @ I
    assert onenormest(*_matrix_ops(b), 4, t=4, random_state=0) == pytest.approx(_norm1(b), rel=_products(4))
    c = np.abs(rng.standard_normal((12, 12)))
    est = onenormest(*_matrix_ops(c), 12, t=2, random_state=np.random.default_rng(1))
    assert est == pytest.approx(_norm1(c), rel=2 * _products(12))


def test_alternating_sign_safeguard():
    # B e = 0 and all column sums vanish: Hager's iteration sees only zeros,
    # and the estimate comes from the safeguard x_i = (-1)^i (1 + i/(n-1)):
    # ||B x||_1 / ||x||_1 = 7 / 4.5.
    b = np.array([[0.0, 1.0, -1.0], [0.0, -1.0, 1.0], [0.0, 0.0, 0.0]])
    assert onenormest(*_matrix_ops(b), 3) == pytest.approx(7 / 4.5, rel=2 * U)
    assert onenormest(*_matrix_ops(b.astype(complex)), 3, dtype=complex) == pytest.approx(7 / 4.5, rel=2 * U)
    # The block estimator's random columns find the true norm 2 here.
    for seed in range(5):
        assert onenormest(*_matrix_ops(b), 3, t=2, random_state=seed) <= 2.0


# --------------------------------------------------------------------------- rcond


def test_rcond_conventions():
    assert rcond_from(4.0, 0.5) == 0.5
    assert rcond_from(0.0, 0.0, n=0) == 1.0  # DGECON: N = 0 -> RCOND = 1
    assert rcond_from(123.0, 7.0, n=0) == 1.0
    assert rcond_from(0.0, 3.0) == 0.0  # ANORM = 0 -> RCOND = 0
    assert rcond_from(2.0, 0.0) == 0.0  # AINVNM = 0 -> RCOND = 0 (INFO = 1)
    assert rcond_from(np.inf, 1.0) == 0.0
    assert rcond_from(1.0, np.inf) == 0.0
    assert np.isnan(rcond_from(np.nan, 1.0))
    assert np.isnan(rcond_from(1.0, np.nan))
    assert rcond_from(1e-300, 1e-300) == np.inf  # (1/est)/anorm overflows as in LAPACK
    with pytest.raises(ValueError, match="anorm must be a norm"):
        rcond_from(-1.0, 1.0)
    with pytest.raises(ValueError, match="inv_norm_est must be"):
        rcond_from(1.0, -1.0)
    with pytest.raises(ValueError, match="n must be nonnegative"):
        rcond_from(1.0, 1.0, n=-1)


def test_rcond_matches_dgecon():
    rng = np.random.default_rng(100)
    for _ in range(10):
        n = int(rng.integers(2, 20))
        a = rng.standard_normal((n, n))
        lu, _, _ = lapack.dgetrf(a)
        anorm = _norm1(a)
        ref, _ = lapack.dgecon(lu, anorm)
        lower = np.tril(lu, -1) + np.eye(n)
        upper = np.triu(lu)
        est = inv_onenormest(
            lambda x, lower=lower, upper=upper: sl.solve_triangular(
                upper, sl.solve_triangular(lower, x, lower=True)
            ),
            lambda x, lower=lower, upper=upper: sl.solve_triangular(
                lower, sl.solve_triangular(upper, x, trans=1), lower=True, trans=1
            ),
            n,
        )
        assert rcond_from(anorm, est, n=n) == pytest.approx(ref, rel=_solves(n, 1.0 / ref))


# --------------------------------------------------------------------------- products that overflow


def _superdiagonal(n: int, dtype):
    """``I + 4 * superdiagonal`` (exact): ``A^{-1}`` has entries ``(-4)^(j-i)``, ``||A^{-1}||_1 > 4^(n-1)``."""
    return (np.eye(n) + 4 * np.eye(n, k=1)).astype(dtype)


@pytest.mark.parametrize("t", [1, 2, 200])
@pytest.mark.parametrize("dtype,n", [(np.float32, 70), (np.float64, 520), (np.complex64, 70)])
def test_overflowing_products_give_an_infinite_estimate(t, dtype, n):
    """``||A^{-1}||_1 >= 4^(n-1)`` exceeds the largest number: every solve overflows somewhere.

    The estimate is inf (so ``rcond_from`` gives LAPACK's ``rcond = 0``) for
    the LAPACK algorithm (``t=1``), the block algorithm and the exact
    ``t >= n`` path alike; comparing the NaNs instead stopped the iteration
    early with a finite estimate (``rcond = 0.2`` in float32).
    """
    a = _superdiagonal(n, dtype)

    def solve(x, trans=0):
        with np.errstate(all="ignore"):
            return sl.solve_triangular(a, x.astype(dtype), trans=trans, check_finite=False)

    kw = {"random_state": 0} if t == 2 else {}
    est = inv_onenormest(solve, lambda x: solve(x, 2), n, dtype=dtype, t=t, **kw)
    assert est == np.inf
    assert rcond_from(_norm1(a), est, n=n) == 0.0


def test_a_nan_product_gives_an_infinite_estimate_not_a_finite_one():
    b = np.array([[1.0, np.nan], [0.0, 1.0]])
    assert onenormest(lambda x: b @ x, lambda x: b.T @ x, 2) == np.inf
    assert onenormest(lambda x: b @ x, lambda x: b.T @ x, 2, t=2, random_state=0) == np.inf


def test_callers_of_the_estimator_see_the_overflow():
    """The guard is in the kernel, so every caller has it: condest (1- and inf-norm), rcond, refine."""
    import warnings

    import pivotal as pv

    a = _superdiagonal(70, np.float32)
    assert pv.condest(a) == np.inf
    assert pv.condest(a, norm=np.inf) == np.inf
    assert pv.LU(a).rcond() == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, rep = pv.refine(a.astype(np.float64), np.ones(70), precision="fixed", return_report=True)
    assert rep.rcond < np.finfo(np.float64).eps  # the float64 system is merely ill-conditioned (4^69)
