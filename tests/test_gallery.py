"""Tests for pivotal.gallery: spectra of the random generators, the classical
matrices against known values, reproducibility and argument checking."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg

from pivotal import gallery

from .helpers import THRESH

FLOAT_DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _u(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def _kappa_rel(n: int, kappa: float, dtype=np.float64) -> float:
    """Relative accuracy of a generated matrix's condition number, as measured by an SVD.

    Forming U diag(s) V^H rounds each entry by gamma_n (||E||_2 <= n**2 u worst case) and the
    rounding to ``dtype`` adds sqrt(n) u (Weyl); the SVD measuring it is exact for a
    perturbation of THRESH n u.  Each moves sigma_min by that times ||A||: relative kappa times.
    """
    u = _u(dtype)
    return (n * n + np.sqrt(n) + 2 * THRESH * n) * u * kappa


def _eig_bounds(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of nonsymmetric ``a`` and first-order bounds on their errors.

    A backward-stable eigensolver (THRESH n u ||A||) moves lambda_i by that over
    s_i = |y_i^H x_i| (unit left and right eigenvectors; Wilkinson's condition number).
    """
    lam, vl, vr = scipy.linalg.eig(a, left=True, right=True)
    s = np.abs(np.sum(vl.conj() * vr, axis=0)) / (np.linalg.norm(vl, axis=0) * np.linalg.norm(vr, axis=0))
    return lam, THRESH * a.shape[0] * _u(np.float64) * np.linalg.norm(a, 2) / s


def _svals(a: np.ndarray) -> np.ndarray:
    """Singular values computed in double precision (so only A's rounding counts)."""
    work = np.complex128 if np.iscomplexobj(a) else np.float64
    return np.linalg.svd(a.astype(work), compute_uv=False)


def _expected_sigma(k: int, kappa: float, mode: int) -> np.ndarray:
    i = np.arange(1, k + 1)
    if k == 1:
        return np.ones(1)
    if mode == 1:
        s = np.full(k, 1 / kappa)
        s[0] = 1
    elif mode == 2:
        s = np.ones(k)
        s[-1] = 1 / kappa
    elif mode == 3:
        s = kappa ** (-(i - 1) / (k - 1))
    elif mode == 4:
        s = 1 - (i - 1) / (k - 1) * (1 - 1 / kappa)
    else:
        raise AssertionError("mode 5 is random")
    return np.sort(s)[::-1]


# --------------------------------------------------------------------------- randsvd


@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(12, 12), (15, 8), (6, 10)], ids=["square", "tall", "wide"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("kappa", [1.0, 10.0, 2e7, 4.5e14])
def test_randsvd_singular_values(mode, shape, dtype, kappa):
    m, n = shape
    a = gallery.randsvd(n, kappa, mode, m=m, dtype=dtype, random_state=mode)
    assert a.shape == (m, n)
    assert a.dtype == np.dtype(dtype)
    assert a.flags.c_contiguous
    s = _svals(a)
    k = min(m, n)
    # Weyl: rounding A to dtype moves each singular value by at most ||E||_2,
    # a small multiple of sqrt(k) * u (||A||_2 = 1).
    tol = 10 * math.sqrt(max(m, n)) * _u(dtype)
    if mode == 5:
        assert abs(s[0] - 1) <= tol
        assert abs(s[-1] - 1 / kappa) <= tol
        assert np.all(s <= 1 + tol) and np.all(s >= 1 / kappa - tol)
    else:
        np.testing.assert_allclose(s, _expected_sigma(k, kappa, mode), rtol=0, atol=tol)


@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_randsvd_condition_number(mode, dtype):
    # kappa * sqrt(n) * u << 1: the condition number itself is exact to many digits.
    a = gallery.randsvd(30, 1e6, mode, dtype=dtype, random_state=3)
    assert np.linalg.cond(a) == pytest.approx(1e6, rel=_kappa_rel(30, 1e6))


def test_randsvd_float32_badly_conditioned_is_rounding_limited():
    # Documented behaviour: kappa = 4.5e14 is beyond 1/u in float32.
    a = gallery.randsvd(50, 4.5e14, dtype=np.float32, random_state=0)
    c = np.linalg.cond(a.astype(np.float64))
    assert 1e7 < c < 1e13


def test_randsvd_is_complex_for_complex_dtype():
    a = gallery.randsvd(8, 10.0, dtype=np.complex128, random_state=0)
    assert np.abs(a.imag).max() > 0.01


def test_randsvd_mode5_log_uniform_interior():
    s = _svals(gallery.randsvd(400, 1e6, 5, random_state=0))
    logs = np.log10(s[1:-1])
    # log-uniform on [-6, 0]: mean -3, and every decade populated
    assert abs(logs.mean() + 3) < 0.3
    assert np.all(np.histogram(logs, bins=6, range=(-6, 0))[0] > 30)


def test_randsvd_haar_no_sign_bias():
    # Without the sign fix, QR of a Gaussian gives Q with a biased diagonal.
    diag = np.array([np.diagonal(gallery.randsvd(3, 1.0, random_state=s)) for s in range(300)])
    assert abs(diag.mean()) < 0.1


@pytest.mark.parametrize("n", [0, 1])
def test_randsvd_tiny(n):
    a = gallery.randsvd(n, 100.0)
    assert a.shape == (n, n)
    if n == 1:
        assert abs(abs(a[0, 0]) - 1) <= 2 * _u(np.float64)  # the product of two unit signs
    assert gallery.randsvd(3, 5.0, m=0).shape == (0, 3)
    assert gallery.randsvd(0, 5.0, m=4).shape == (4, 0)


# --------------------------------------------------------------------------- symmetric


@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_random_spd(mode, dtype):
    n, kappa = 20, 1e4
    a = gallery.random_spd(n, kappa, mode, dtype=dtype, random_state=mode)
    assert a.dtype == np.dtype(dtype) and a.shape == (n, n)
    assert np.array_equal(a, a.conj().T)
    lam = np.linalg.eigvalsh(a.astype(np.complex128))
    tol = 10 * n * _u(dtype)
    assert np.all(lam >= 1 / kappa - tol) and np.all(lam <= 1 + tol)
    assert abs(lam[0] - 1 / kappa) <= tol and abs(lam[-1] - 1) <= tol
    if mode != 5:
        np.testing.assert_allclose(lam[::-1], _expected_sigma(n, kappa, mode), atol=tol)
    np.linalg.cholesky(a)  # positive definite


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_random_symmetric_indefinite(dtype):
    n = 15
    a = gallery.random_symmetric_indefinite(n, 1e3, dtype=dtype, random_state=0)
    assert np.array_equal(a, a.conj().T)
    lam = np.linalg.eigvalsh(a.astype(np.complex128))
    assert (lam < 0).sum() == n // 2 and (lam > 0).sum() == n - n // 2
    mags = np.sort(np.abs(lam))
    tol = 10 * n * _u(dtype)
    assert abs(mags[0] - 1e-3) <= tol and abs(mags[-1] - 1) <= tol
    b = gallery.random_symmetric_indefinite(n, 1e3, 4, n_negative=3, random_state=1)
    assert (np.linalg.eigvalsh(b) < 0).sum() == 3


def test_random_symmetric_indefinite_rejects_definite_inertia():
    with pytest.raises(ValueError, match="random_spd"):
        gallery.random_symmetric_indefinite(5, 10.0, n_negative=0)
    with pytest.raises(ValueError, match="between 1 and n - 1"):
        gallery.random_symmetric_indefinite(5, 10.0, n_negative=5)
    assert gallery.random_symmetric_indefinite(1, 10.0).shape == (1, 1)


# --------------------------------------------------------------------------- rank deficiency


@pytest.mark.parametrize("shape,rank", [((20, 12), 5), ((8, 14), 8), ((6, 6), 0)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_rank_deficient(shape, rank, dtype):
    m, n = shape
    a = gallery.rank_deficient(m, n, rank, kappa=100.0, dtype=dtype, random_state=0)
    assert a.shape == (m, n) and a.dtype == np.dtype(dtype)
    s = _svals(a)
    tol = 10 * max(m, n) * _u(dtype)
    assert np.all(s[rank:] <= tol)
    if rank:
        assert abs(s[0] - 1) <= tol and abs(s[rank - 1] - 0.01) <= tol


def test_rank_deficient_rank_too_large():
    with pytest.raises(ValueError, match="min\\(m, n\\) = 4"):
        gallery.rank_deficient(4, 6, 5)


def test_zero_column():
    a = gallery.zero_column(7, 3, random_state=0)
    assert np.all(a[:, 3] == 0)
    assert np.linalg.matrix_rank(a) == 6
    b = gallery.zero_column(7, -1, m=9, dtype=np.complex128, random_state=0)
    assert b.shape == (9, 7) and np.all(b[:, 6] == 0)
    with pytest.raises(ValueError, match="-n <= j < n"):
        gallery.zero_column(7, 7)
    # LU meets an exactly zero pivot
    _, _, u = scipy.linalg.lu(gallery.zero_column(6, 0, random_state=1))
    assert u[0, 0] == 0


# --------------------------------------------------------------------------- scaling


def test_scaled():
    a = gallery.randsvd(5, 3.0, random_state=0)
    b = gallery.scaled(a, 2.0**-900)
    assert b.dtype == a.dtype and b is not a
    np.testing.assert_array_equal(b * 2.0**900, a)  # power of two: exact
    assert gallery.scaled(np.eye(2, dtype=int), 3.0).dtype == np.float64
    assert gallery.scaled(a.astype(np.float32), 1j).dtype == np.complex64
    with pytest.raises(ValueError, match="overflows float32"):
        gallery.scaled(a.astype(np.float32), 1e39)
    with pytest.raises(ValueError, match="finite"):
        gallery.scaled(a, np.inf)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("n", [1, 2, 30])
@pytest.mark.parametrize("pd", [False, True], ids=["general", "spd"])
def test_near_overflow_and_underflow(dtype, n, pd):
    fi = np.finfo(np.dtype(dtype))
    big = gallery.near_overflow(n, positive_definite=pd, dtype=dtype, random_state=0)
    small = gallery.near_underflow(n, positive_definite=pd, dtype=dtype, random_state=0)
    t_big = math.sqrt(float(fi.max)) / n
    t_small = math.sqrt(float(fi.tiny)) * n
    assert t_big / 2 <= np.abs(big).max() < t_big
    assert t_small <= np.abs(small).max() < 2 * t_small
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        # the documented promise: even a naive Frobenius norm does not overflow
        # (squares of the small entries of `small` may underflow: that is the point)
        assert np.isfinite(np.linalg.norm(big)) and np.linalg.norm(small) > 0
        for a in (big, small):
            _p, _l, u = scipy.linalg.lu(a)
            _q, r = scipy.linalg.qr(a)
            assert np.isfinite(u).all() and np.isfinite(r).all()
            if pd:
                assert np.isfinite(scipy.linalg.cholesky(a)).all()
    # exact power-of-two scaling of a cond-2 matrix (cond 1 for n = 1)
    kappa = 2.0 if n > 1 else 1.0
    assert np.linalg.cond(big.astype(np.complex128)) == pytest.approx(kappa, rel=_kappa_rel(n, kappa, dtype))
    assert np.linalg.cond(small.astype(np.complex128)) == pytest.approx(
        kappa, rel=_kappa_rel(n, kappa, dtype)
    )


# --------------------------------------------------------------------------- gfpp, kahan


def _gfpp_closed_form(n: int, theta: float) -> np.ndarray:
    """gfpp without T: 1 on the diagonal, -theta below it, ones in the last column (exact)."""
    expected = np.eye(n) - theta * np.tril(np.ones((n, n)), -1)
    expected[:, -1] = 1.0
    return expected


@pytest.mark.parametrize("n", [1, 2, 5, 60, 200])
@pytest.mark.parametrize("theta", [1.0, 0.5, 0.3, 0.0])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_gfpp_is_exactly_its_closed_form(n, theta, dtype):
    # Built entry by entry, not as L @ U: a BLAS product would round the last column
    # (its exact entries are 2**i - sum_{k<i} 2**k = 1, whose partial sums need 60 bits at
    # n = 60) in a kernel-dependent way.
    a = gallery.gfpp(n, theta=theta, dtype=dtype)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, _gfpp_closed_form(n, theta).astype(dtype))


def _exact_gfpp_with_T(t: np.ndarray, theta: float) -> list[list[Fraction]]:
    """The first n-1 columns of L @ [[T], [0]] in rational arithmetic (the definition)."""
    m = t.shape[0]
    th = Fraction(theta)
    out = []
    for i in range(m + 1):
        row = []
        for j in range(m):
            own = Fraction(float(t[i, j])) if i < m else Fraction(0)
            row.append(own - th * sum((Fraction(float(t[k, j])) for k in range(i)), Fraction(0)))
        out.append(row)
    return out


def test_gfpp_with_T_is_the_rounded_exact_product():
    rng = np.random.default_rng(3)
    n = 12
    t = np.triu(rng.standard_normal((n - 1, n - 1)), 1) + np.diag(rng.uniform(1, 2, n - 1))
    for theta in (0.5, 0.3):
        a = gallery.gfpp(n, theta=theta, T=t)
        exact = _exact_gfpp_with_T(t, theta)
        np.testing.assert_array_equal(a[:, :-1], np.array([[float(v) for v in row] for row in exact]))
        big = np.abs(a[:, :-1]).max()
        np.testing.assert_array_equal(a[:, -1], np.full(n, max(1.0, big)))
    z = gallery.gfpp(n, theta=0.5, T=t + 1j * np.triu(t, 1), dtype=np.complex128)
    np.testing.assert_array_equal(z.real[:, :-1], gallery.gfpp(n, theta=0.5, T=t)[:, :-1])
    exact_imag = _exact_gfpp_with_T(np.triu(t, 1), 0.5)
    np.testing.assert_array_equal(z.imag[:, :-1], np.array([[float(v) for v in row] for row in exact_imag]))
    with pytest.raises(ValueError, match="finite"):
        gallery.gfpp(3, T=np.array([[1.0, np.inf], [0.0, 1.0]]))


@pytest.mark.parametrize("theta", [1.0, 0.5, 0.0])
def test_gfpp_growth(theta):
    n = 20
    a = gallery.gfpp(n, theta=theta)
    p, _, u = scipy.linalg.lu(a)
    np.testing.assert_array_equal(p, np.eye(n))  # no interchanges: |-theta| <= 1, ties keep the first row
    # Exact in any summation order: every entry of U and every partial sum is an integer
    # multiple of 2**-19 smaller than 2**12 (theta = 1/2: (3/2)**i = 3**i / 2**i), so fewer
    # than 53 bits, and the multipliers are -theta exactly.
    growth = np.abs(u).max() / np.abs(a).max()
    assert growth == (1 + theta) ** (n - 1)


def test_gfpp_with_T():
    rng = np.random.default_rng(0)
    n = 15
    t = np.triu(rng.standard_normal((n - 1, n - 1)), 1) + np.diag(rng.uniform(1, 2, n - 1))
    a = gallery.gfpp(n, theta=0.5, T=t, dtype=np.complex128)
    p, _, u = scipy.linalg.lu(a)
    np.testing.assert_array_equal(p, np.eye(n))
    # The rounded A is within u|A| of the exact L U; GEPP's backward error is n u rho |L||U|
    # with rho = 1.5**(n-1) ~ 300, so the growth (the last pivot) moves by at most about
    # n u kappa(T) 1.5**(n-1) relative: the tolerance takes a margin of 10 over that bound.
    kappa_t = np.linalg.cond(t, 1)
    rel = 10 * n * _u(np.float64) * kappa_t * 1.5 ** (n - 1)
    assert rel < 1e-3  # the check below still pins the growth down
    assert np.abs(u).max() / np.abs(a).max() == pytest.approx(1.5 ** (n - 1), rel=rel)
    with pytest.raises(ValueError, match="upper triangular"):
        gallery.gfpp(n, T=t.T)
    with pytest.raises(ValueError, match=r"shape \(n-1, n-1\)"):
        gallery.gfpp(n + 1, T=t)


def test_gfpp_bad_theta():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gallery.gfpp(5, theta=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        gallery.gfpp(0)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_kahan_defeats_plain_qrcp(dtype):
    # The fact quoted by the QRCP issue: plain QRCP misjudges the rank of
    # kahan(30); |R[29, 29]| / sigma_min is about 4.2e3 (> 1000x).
    a = gallery.kahan(30, dtype=dtype)
    _, r, piv = scipy.linalg.qr(a, pivoting=True)
    np.testing.assert_array_equal(piv, np.arange(30))
    ratio = abs(r[29, 29]) / _svals(a)[-1]
    assert ratio > 100
    assert 3e3 < ratio < 6e3


def test_kahan_definition():
    theta, n = 0.7, 6
    u = _u(np.float64)
    s, c = math.sin(theta), math.cos(theta)
    a = gallery.kahan(n, theta=theta, pert=0.0)
    # The definition diag(s**i) (I - c triu(ones, 1)) in rational arithmetic (from the
    # floats s and c); each entry of a is s**i (libm pow, within 1 ulp = 2u) times -c,
    # rounded once more: relative error below 3u + O(u**2).
    exact = np.zeros((n, n))
    for i in range(n):
        si = Fraction(s) ** i
        exact[i, i] = float(si)
        exact[i, i + 1 :] = float(-Fraction(c) * si)
    np.testing.assert_allclose(a, exact, rtol=4 * u, atol=0)
    # Column norms are 1 in exact arithmetic; s and c carry one rounding each (s**2 + c**2
    # = 1 + O(u)), the entries 3u, and the computed norm adds gamma_n: within 10 n u.
    np.testing.assert_allclose(np.linalg.norm(a, axis=0), 1.0, rtol=10 * n * u)
    # The perturbation pert * eps * (n - i) is exact; adding it to s**i <= 1 rounds by at
    # most half an ulp of 1 (u), which the difference (exact by Sterbenz) keeps.
    d = gallery.kahan(n, theta=theta) - a
    np.testing.assert_allclose(np.diagonal(d), 25 * np.finfo(float).eps * np.arange(n, 0, -1), rtol=0, atol=u)
    assert gallery.kahan(5, m=3).shape == (3, 5)
    b = gallery.kahan(5, m=7)
    assert b.shape == (7, 5) and np.all(b[5:] == 0)


# --------------------------------------------------------------------------- classics


def test_hilbert():
    np.testing.assert_array_equal(gallery.hilbert(7), scipy.linalg.hilbert(7))
    # The stored H differs from the true one by u |H| and inv is exact for a THRESH n u
    # perturbation: both move H^{-1} by kappa times that, normwise.
    hinv = scipy.linalg.invhilbert(6)
    tol = (THRESH * 6 + 1) * _u(np.float64) * np.linalg.cond(gallery.hilbert(6), 1) * np.abs(hinv).max()
    np.testing.assert_allclose(np.linalg.inv(gallery.hilbert(6)), hinv, rtol=0, atol=tol)
    assert gallery.hilbert(4, dtype=np.float32).dtype == np.float32


def test_lotkin():
    a = gallery.lotkin(6)
    np.testing.assert_array_equal(a[0], np.ones(6))
    np.testing.assert_array_equal(a[1:], scipy.linalg.hilbert(6)[1:])
    x = np.linalg.inv(a)
    # integer inverse, up to the rounding of the stored Hilbert rows and inv's own error
    tol = (THRESH * 6 + 1) * _u(np.float64) * np.linalg.cond(a, 1) * np.abs(x).max()
    np.testing.assert_allclose(x, np.round(x), rtol=0, atol=tol)
    assert np.any(np.linalg.eigvals(a).real < 0)


def test_frank():
    np.testing.assert_array_equal(gallery.frank(4), [[4, 3, 2, 1], [3, 3, 2, 1], [0, 2, 2, 1], [0, 0, 1, 1]])
    f = gallery.frank(8)
    # det moves by |tr(F^{-1} dF)| <= n kappa THRESH n u relative under LU's backward error
    assert np.linalg.det(f) == pytest.approx(1.0, rel=8 * np.linalg.cond(f) * THRESH * 8 * _u(np.float64))
    lam, err = _eig_bounds(f)
    order = np.argsort(lam.real)
    lam, err = lam.real[order], err[order]
    # reciprocal pairs, each eigenvalue within its Wilkinson bound (the small ones are ill conditioned)
    assert np.all(np.abs(lam * lam[::-1] - 1.0) <= err / lam + err[::-1] / lam[::-1])
    np.testing.assert_array_equal(gallery.frank(5, reflect=True), gallery.frank(5)[::-1, ::-1].T)
    assert np.all(np.tril(gallery.frank(5, reflect=True), -2) == 0)  # still Hessenberg
    fr = gallery.frank(6, reflect=True)
    assert np.linalg.det(fr) == pytest.approx(1.0, rel=6 * np.linalg.cond(fr) * THRESH * 6 * _u(np.float64))


def test_vandermonde():
    x = np.array([0.5, -1.0, 2.0, 3.0])
    np.testing.assert_array_equal(gallery.vandermonde(x), np.vander(x))
    np.testing.assert_array_equal(gallery.vandermonde(x, increasing=True), np.vander(x, increasing=True))
    np.testing.assert_array_equal(gallery.vandermonde(5), np.vander(np.linspace(0, 1, 5)))
    z = gallery.vandermonde([1j, 2.0])
    assert z.dtype == np.complex128 and z[0, 0] == 1j
    with pytest.raises(ValueError, match="complex dtype"):
        gallery.vandermonde([1j, 2.0], dtype=np.float64)
    with pytest.raises(ValueError, match="1-D"):
        gallery.vandermonde(np.ones((2, 2)))


def test_wilkinson():
    w = gallery.wilkinson(21)
    np.testing.assert_array_equal(np.diagonal(w), np.abs(np.arange(-10, 11)))
    np.testing.assert_array_equal(np.diagonal(w, 1), np.ones(20))
    assert np.array_equal(w, w.T) and np.all(np.triu(w, 2) == 0)
    lam = np.linalg.eigvalsh(w)
    # Wilkinson (1965): the two largest eigenvalues of W21+ agree to ~14 digits (gap 7e-14).
    # A symmetric eigensolver is exact for a THRESH n u ||W|| perturbation (Weyl).
    err = THRESH * 21 * _u(np.float64) * np.linalg.norm(w, 2)
    assert lam[-1] == pytest.approx(10.746194182903393, rel=0, abs=err)
    assert lam[-1] - lam[-2] < 1e-13 + 2 * err
    np.testing.assert_array_equal(gallery.wilkinson(1), [[0.0]])


@pytest.mark.parametrize("alpha", [-1.0, 0.5])
def test_moler(alpha):
    n = 7
    a = gallery.moler(n, alpha=alpha)
    u = np.eye(n) + alpha * np.triu(np.ones((n, n)), 1)
    # Exact: the entries alpha**2 min(i, j) + (1 or alpha) are small dyadic rationals, and so
    # is every quantity Cholesky forms (square roots of 1): no rounding in any order.
    np.testing.assert_array_equal(np.linalg.cholesky(a), u.T)
    if alpha == -1.0:
        i = np.arange(n)
        expected = np.minimum(i[:, None], i[None, :]) - 1.0
        np.fill_diagonal(expected, i + 1)
        np.testing.assert_array_equal(a, expected)


@pytest.mark.parametrize("alpha", [-1.0, 0.3, 1e-5])
def test_moler_is_the_rounded_exact_product(alpha):
    # U^T U formed in rational arithmetic and rounded once, not by a (kernel-dependent) BLAS product.
    n = 40
    al = Fraction(alpha)
    expected = np.array(
        [[float(al * al * min(i, j) + (1 if i == j else al)) for j in range(n)] for i in range(n)]
    )
    np.testing.assert_array_equal(gallery.moler(n, alpha=alpha), expected)
    with pytest.raises(ValueError, match="finite"):
        gallery.moler(3, alpha=np.nan)


@pytest.mark.parametrize("kind", ["symmetric", "lower", "upper"])
def test_pascal(kind):
    np.testing.assert_array_equal(gallery.pascal(9, kind=kind), scipy.linalg.pascal(9, kind))
    big = gallery.pascal(40, kind=kind)
    exact = scipy.linalg.pascal(40, kind, exact=True)
    np.testing.assert_array_equal(big, np.array(exact.tolist(), dtype=float))
    with pytest.raises(ValueError, match="'symmetric', 'lower' or 'upper'"):
        gallery.pascal(3, kind="sym")


def test_minij():
    n = 6
    a = gallery.minij(n)
    assert a[0, 0] == 1 and a[5, 3] == 4 and a[5, 5] == 6
    inv = np.diag(np.full(n, 2.0)) - np.eye(n, k=1) - np.eye(n, k=-1)
    inv[-1, -1] = 1
    # inv is exact for a THRESH n u perturbation: kappa times that, normwise (a is exact)
    tol = THRESH * n * _u(np.float64) * np.linalg.cond(a, 1) * np.abs(inv).max()
    np.testing.assert_allclose(np.linalg.inv(a), inv, rtol=0, atol=tol)


def test_kms():
    a = gallery.kms(5, 0.3)
    i = np.arange(5)
    np.testing.assert_allclose(a, 0.3 ** np.abs(i[:, None] - i[None, :]), rtol=4 * _u(np.float64))  # two pows
    rho = 0.4 + 0.3j
    c = gallery.kms(6, rho)
    assert c.dtype == np.complex128
    assert np.array_equal(c, c.conj().T)
    assert c[0, 2] == pytest.approx(rho**2, rel=4 * _u(np.float64))
    # LDL^H: D = diag(1, 1 - |rho|^2, ...)  <=>  Cholesky pivots, exact for a THRESH n u
    # perturbation, which moves each pivot by kappa times that
    d = np.abs(np.diagonal(np.linalg.cholesky(c))) ** 2
    tol = 2 * THRESH * 6 * _u(np.float64) * np.linalg.cond(c)
    np.testing.assert_allclose(d, [1] + [1 - abs(rho) ** 2] * 5, rtol=tol)
    with pytest.raises(ValueError, match="complex dtype"):
        gallery.kms(3, 1j, dtype=np.float64)


def test_lehmer():
    a = gallery.lehmer(6)
    assert a[1, 3] == 2 / 4 and a[5, 0] == 1 / 6  # one correctly rounded division each
    assert np.array_equal(a, a.T)
    x = np.linalg.inv(a)
    # zero beyond the tridiagonal in exact arithmetic; inv errs by THRESH n u kappa ||X||
    tol = THRESH * 6 * _u(np.float64) * np.linalg.cond(a, 1) * np.abs(x).max()
    assert np.allclose(np.triu(x, 2), 0, rtol=0, atol=tol)
    assert 6 <= np.linalg.cond(a) <= 4 * 36


@pytest.mark.parametrize("n", [6, 7])
def test_clement(n):
    expected = np.sort(np.concatenate([np.arange(n - 1, -1, -2), -np.arange(n - 1, 0, -2)]))
    a = gallery.clement(n)
    np.testing.assert_array_equal(np.diagonal(a, -1), np.arange(n - 1, 0, -1))
    np.testing.assert_array_equal(np.diagonal(a, 1), np.arange(1, n))
    lam, err = _eig_bounds(a)
    order = np.argsort(lam.real)
    np.testing.assert_array_less(np.abs(lam[order] - expected), err[order])  # Wilkinson's bounds
    s = gallery.clement(n, symmetric=True)
    assert np.array_equal(s, s.T)
    err = THRESH * n * _u(np.float64) * np.linalg.norm(s, 2)  # symmetric: Weyl
    np.testing.assert_allclose(np.linalg.eigvalsh(s), expected, rtol=0, atol=err)


@pytest.mark.parametrize(
    "fn",
    [
        gallery.hilbert,
        gallery.lotkin,
        gallery.frank,
        gallery.wilkinson,
        gallery.moler,
        gallery.pascal,
        gallery.minij,
        gallery.kms,
        gallery.lehmer,
        gallery.clement,
        gallery.kahan,
    ],
)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_named_dtypes_and_empty(fn, dtype):
    a = fn(4, dtype=dtype)
    assert a.dtype == np.dtype(dtype) and a.shape == (4, 4)
    assert fn(0, dtype=dtype).shape == (0, 0)
    with pytest.raises(ValueError, match="non-negative integer"):
        fn(-1)


# --------------------------------------------------------------------------- reproducibility


RANDOM_CALLS = {
    "randsvd": lambda rs: gallery.randsvd(6, 1e3, 5, m=8, random_state=rs),
    "random_spd": lambda rs: gallery.random_spd(6, 1e3, 5, random_state=rs),
    "indefinite": lambda rs: gallery.random_symmetric_indefinite(6, 1e3, random_state=rs),
    "rank_deficient": lambda rs: gallery.rank_deficient(6, 5, 2, random_state=rs),
    "zero_column": lambda rs: gallery.zero_column(5, 1, random_state=rs),
    "near_overflow": lambda rs: gallery.near_overflow(5, random_state=rs),
    "near_underflow": lambda rs: gallery.near_underflow(5, random_state=rs),
}


@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_reproducible(name):
    make = RANDOM_CALLS[name]
    np.testing.assert_array_equal(make(42), make(42))
    np.testing.assert_array_equal(make(np.random.default_rng(7)), make(np.random.default_rng(7)))
    assert not np.array_equal(make(1), make(2))
    rng = np.random.default_rng(0)
    assert not np.array_equal(make(rng), make(rng))  # a Generator advances


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: gallery.randsvd(5, 0.5), "kappa must be a finite real number >= 1"),
        (lambda: gallery.randsvd(5, np.inf), "rank_deficient"),
        (lambda: gallery.randsvd(5, np.nan), ">= 1"),
        (lambda: gallery.randsvd(5, "big"), "real number >= 1"),
        (lambda: gallery.randsvd(5, 10.0, 6), "mode must be 1, 2, 3, 4 or 5"),
        (lambda: gallery.randsvd(5, 10.0, 0), "mode must be 1, 2, 3, 4 or 5"),
        (lambda: gallery.randsvd(5, 10.0, 2.0), "mode must be an integer"),
        (lambda: gallery.randsvd(-1, 10.0), "n must be a non-negative integer"),
        (lambda: gallery.randsvd(2.5, 10.0), "n must be a non-negative integer"),
        (lambda: gallery.randsvd(4, 10.0, m=-2), "m must be a non-negative integer"),
        (lambda: gallery.randsvd(4, 10.0, dtype=np.int64), "float32, float64, complex64"),
        (lambda: gallery.randsvd(4, 10.0, dtype=np.float16), "float32, float64, complex64"),
        (lambda: gallery.random_spd(4, 0.0), ">= 1"),
        (lambda: gallery.random_spd(4, 10.0, 7), "mode must be 1, 2, 3, 4 or 5"),
        (lambda: gallery.random_spd(-3, 10.0), "non-negative"),
        (lambda: gallery.random_symmetric_indefinite(4, 0.1), ">= 1"),
        (lambda: gallery.rank_deficient(4, 4, -1), "rank must be a non-negative integer"),
        (lambda: gallery.hilbert(True), "non-negative integer"),
        (lambda: gallery.kahan(5, theta=np.nan), "finite"),
        (lambda: gallery.kms(3, np.nan), "finite"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_random_state():
    # One seeding rule for the whole library (pivotal._seeding): a wrong type is a TypeError,
    # a negative seed a ValueError, and both name what to pass instead.
    with pytest.raises(TypeError, match=r"random_state must be None.*random_state=0"):
        gallery.randsvd(4, 10.0, random_state="x")
    with pytest.raises(TypeError, match="bool"):
        gallery.randsvd(4, 10.0, random_state=True)
    with pytest.raises(ValueError, match="non-negative int seed"):
        gallery.randsvd(4, 10.0, random_state=-1)


# --------------------------------------------------------------------------- matrix types


def test_matrix_type_names():
    expected = {
        "diag",
        "upper",
        "lower",
        "zerocol_first",
        "zerocol_mid",
        "zerocol_last",
        "near_underflow",
        "near_overflow",
    }
    expected |= {f"randsvd{m}_{k}" for m in range(1, 6) for k in ("k2", "k2e7", "k4.5e14")}
    assert set(gallery.MATRIX_TYPES) == expected
    spd = {"diag", "near_underflow", "near_overflow"}
    spd |= {f"spd{m}_{k}" for m in range(1, 6) for k in ("k2", "k2e7", "k4.5e14")}
    assert set(gallery.SPD_MATRIX_TYPES) == spd


@pytest.mark.parametrize("name", list(gallery.MATRIX_TYPES))
@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_matrix_types(name, dtype):
    make = gallery.MATRIX_TYPES[name]
    for n in (0, 1, 6):
        a = make(n, dtype, np.random.default_rng(n))
        assert a.shape == (n, n) and a.dtype == np.dtype(dtype)
        assert np.isfinite(a).all()
    a = make(6, dtype, 0)
    np.testing.assert_array_equal(a, make(6, dtype, 0))
    if name == "diag":
        assert np.count_nonzero(a - np.diag(np.diagonal(a))) == 0
    if name == "upper":
        assert np.all(np.tril(a, -1) == 0)
    if name == "lower":
        assert np.all(np.triu(a, 1) == 0)
    if name.startswith("zerocol"):
        j = {"first": 0, "mid": 3, "last": 5}[name.split("_")[1]]
        assert np.all(a[:, j] == 0)
    if name in ("diag", "upper", "lower", "near_underflow", "near_overflow"):
        assert np.linalg.cond(a.astype(np.complex128)) == pytest.approx(2.0, rel=_kappa_rel(6, 2.0, dtype))
    if name.startswith("randsvd") and not name.endswith("4.5e14"):
        kappa = float(name.split("_k")[1])
        if _kappa_rel(6, kappa, dtype) < 0.5:  # else rounding to dtype may swamp sigma_min
            assert np.linalg.cond(a.astype(np.complex128)) == pytest.approx(
                kappa, rel=_kappa_rel(6, kappa, dtype)
            )


@pytest.mark.parametrize("name", list(gallery.SPD_MATRIX_TYPES))
def test_spd_matrix_types(name):
    make = gallery.SPD_MATRIX_TYPES[name]
    for dtype in (np.float64, np.complex64):
        a = make(6, dtype, 3)
        assert a.shape == (6, 6) and a.dtype == np.dtype(dtype)
        assert np.array_equal(a, a.conj().T)
    a = make(8, np.float64, 0)
    np.linalg.cholesky(a)  # succeeds in float64 for every type, even k4.5e14
    assert make(0, np.float64, 0).shape == (0, 0)


def test_module_exports():
    for name in gallery.__all__:
        assert hasattr(gallery, name)
    assert "randsvd" in gallery.__all__ and "MATRIX_TYPES" in gallery.__all__
