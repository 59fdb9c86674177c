"""Randomized range finder, rsvd, reigh and Nyström (pivotal.randomized).

Acceptance: rsvd's error is within 1.05x of the Eckart-Young optimum (spectral and
Frobenius) on fast, slow and flat spectra; adaptive mode meets its tolerance;
Nyström is exact on low-rank PSD input; reigh matches numpy.linalg.eigh; sparse,
LinearOperator, complex and PyTorch input; the sign convention; bad arguments."""

from __future__ import annotations

import functools
import importlib
import warnings

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from pivotal.errors import LinAlgWarning
from pivotal.randomized import nystrom, range_finder, reigh, rsvd

from .helpers import THRESH, orth_ratio, random_matrix, reconstruction_ratio, to_np, torch, u_of

rf_module = importlib.import_module("pivotal.randomized._subspace")
op_module = importlib.import_module("pivotal.randomized._operator")
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

M, N, K = 1000, 400, 20


def _spectrum(name: str, n: int = N, k: int = K) -> np.ndarray:
    i = np.arange(1, n + 1, dtype=float)
    if name == "fast":
        return np.exp(-i / 5)
    if name == "slow":
        return 1 / i
    if name == "flat":  # sigma_i = 1 for i <= k, then a plateau at 1/2
        return np.where(i <= k, 1.0, 0.5)
    if name == "flat9":  # a plateau at 0.9: gap 1.11, the hardest case for subspace iteration
        return np.where(i <= k, 1.0, 0.9)
    raise ValueError(name)


@functools.cache
def _factors(m: int, n: int, complex_: bool = False):
    rng = np.random.default_rng(1234)
    dt = np.complex128 if complex_ else np.float64
    U, _ = np.linalg.qr(random_matrix(rng, (m, n), dt))
    V, _ = np.linalg.qr(random_matrix(rng, (n, n), dt))
    return U, V


@functools.cache
def _matrix(name: str, complex_: bool = False) -> tuple[np.ndarray, np.ndarray]:
    U, V = _factors(M, N, complex_)
    s = _spectrum(name)
    A = (U * s) @ V.conj().T
    A.setflags(write=False)
    return A, s


def _ratios(A, U, s, Vh, sigma, k):
    E = A - (to_np(U) * to_np(s)) @ to_np(Vh)
    spec = np.linalg.norm(E, 2) / sigma[k]
    fro = np.linalg.norm(E) / np.sqrt(np.sum(sigma[k:] ** 2))
    return spec, fro


def _same_run_tols(values: np.ndarray, next_value: float, m: int, dtype=np.float64) -> tuple[float, float]:
    """Tolerances for two runs of one randomized algorithm (same sketch) that round differently.

    Each run is exact for a perturbation of THRESH m u ||A|| (||A|| ~ |values[0]|): the
    values differ by twice that (Weyl), the vectors by twice that over the smallest gap
    between the values returned and to the next one of A (Davis-Kahan, Wedin).
    """
    values = np.abs(np.asarray(values))
    err = THRESH * m * u_of(dtype) * values[0]
    gaps = np.abs(np.diff(np.r_[values, next_value]))
    return 2 * err, 2 * err / gaps.min()


def _check_svd_factors(U, s, Vh, k):
    U, s, Vh = to_np(U), to_np(s), to_np(Vh)
    assert U.shape[1] == k and s.shape == (k,) and Vh.shape[0] == k
    # orthonormal to working precision: LAPACK's ratio ||I - Q^H Q|| / (m u) < THRESH
    assert orth_ratio(U, U.dtype) < THRESH and orth_ratio(Vh.conj().T, Vh.dtype) < THRESH
    assert (np.diff(s) <= 0).all() and (s >= 0).all()  # sorted by the small SVD, exactly
    _check_signs(U)


def _check_signs(U):
    U = to_np(U)
    idx = np.argmax(np.abs(U), axis=0)
    top = U[idx, np.arange(U.shape[1])]
    # the phase is divided out: one complex product leaves an imaginary part of a few u |top|
    assert np.allclose(top.imag if np.iscomplexobj(top) else 0, 0, rtol=0, atol=4 * u_of(U.dtype))
    assert (top.real > 0).all()


def _count_products(monkeypatch, method: str = "matmat") -> list[int]:
    """Record the width of every product ``A @ X`` (or ``A^H @ X`` for "rmatmat")."""
    counts: list[int] = []
    orig = getattr(op_module._Operator, method)

    def counting(self, x):
        counts.append(x.shape[1])
        return orig(self, x)

    monkeypatch.setattr(op_module._Operator, method, counting)
    return counts


# --------------------------------------------------------------------------- acceptance


@pytest.mark.parametrize("spectrum", ["fast", "slow", "flat"])
@pytest.mark.parametrize("method", ["subspace", "block_krylov"])
def test_rsvd_near_eckart_young_optimum(spectrum, method):
    A, sigma = _matrix(spectrum)
    for seed in (0, 1):
        U, s, Vh = rsvd(A, K, method=method, random_state=seed)
        _check_svd_factors(U, s, Vh, K)
        spec, fro = _ratios(A, U, s, Vh, sigma, K)
        assert spec <= 1.05, (spectrum, method, seed, spec)
        assert fro <= 1.05, (spectrum, method, seed, fro)
        assert np.allclose(s, sigma[:K], rtol=0.05)


def test_the_acceptance_check_can_fail():
    # Without power iterations the slow and flat spectra are far from optimal: the
    # 1.05 bound above is a real test of n_iter="auto", not a formality.
    for name in ("slow", "flat"):
        A, sigma = _matrix(name)
        spec, _ = _ratios(A, *rsvd(A, K, n_iter=0, random_state=0), sigma, K)
        assert spec > 1.3


def test_auto_iterations_adapt_to_the_spectrum(monkeypatch):
    counts = _count_products(monkeypatch, "matmat")
    used = {}
    for name in ("fast", "flat9"):
        counts.clear()
        A, sigma = _matrix(name)
        U, s, Vh = rsvd(A, K, random_state=0)
        used[name] = len(counts)
        spec, _ = _ratios(A, U, s, Vh, sigma, K)
        assert spec <= 1.05, (name, spec)
    # Fast decay: one power iteration (A Omega, then A Z); the plateau needs many more.
    assert used["fast"] == 2
    assert used["flat9"] >= 8


def test_fixed_n_iter_is_honoured(monkeypatch):
    counts = _count_products(monkeypatch, "rmatmat")
    A, _ = _matrix("slow")
    for q in (0, 1, 3):
        counts.clear()
        rsvd(A, K, n_iter=q, random_state=0)
        assert len(counts) == q + 1


def test_adaptive_rank_meets_tolerance():
    A, sigma = _matrix("fast")
    normf = np.linalg.norm(A)
    for tol in (1e-2, 1e-5, 1e-9):
        U, s, Vh = rsvd(A, None, tol=tol, random_state=0)
        r = len(s)
        err = np.linalg.norm(A - (U * s) @ Vh)
        assert err <= tol * normf, (tol, err / normf)
        # Close to the smallest rank that can meet tol (Eckart-Young).
        tails = np.sqrt(np.cumsum(sigma[::-1] ** 2))[::-1]  # tails[j] = ||sigma[j:]||
        best = int(np.flatnonzero(tails <= tol * normf)[0])
        assert best <= r <= best + 2, (tol, r, best)
        Q = range_finder(A, tol=tol, random_state=1)
        assert np.linalg.norm(A - Q @ (Q.T @ A)) <= tol * normf
        assert orth_ratio(Q, Q.dtype) < THRESH


def test_adaptive_rank_limit_warns():
    A, _ = _matrix("slow")
    with pytest.warns(LinAlgWarning, match="tol=0.001 was not reached"):
        _U, s, _Vh = rsvd(A, 10, tol=1e-3, random_state=0)
    assert len(s) == 10


def test_range_finder_fixed_rank():
    A, sigma = _matrix("slow")
    Q = range_finder(A, K, random_state=0)
    assert Q.shape == (M, K + 10)
    assert orth_ratio(Q, Q.dtype) < THRESH
    assert np.linalg.norm(A - Q @ (Q.T @ A), 2) <= 1.05 * sigma[K]
    Qk = range_finder(A, K, method="block_krylov", n_iter=2, random_state=0)
    assert Qk.shape == (M, 3 * (K + 10))
    assert orth_ratio(Qk, Qk.dtype) < THRESH


def test_rank_deficient_input():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((300, 8)) @ rng.standard_normal((8, 200))
    for method in ("subspace", "block_krylov"):
        U, s, Vh = rsvd(A, 15, method=method, random_state=0)
        # k > rank: exact up to rounding (LAPACK-style ratios); sigma_9.. are rounding
        assert reconstruction_ratio(A, (U * s) @ Vh) < THRESH
        assert orth_ratio(U, U.dtype) < THRESH
        assert s[8:].max() < THRESH * 300 * u_of(np.float64) * s[0]


def _filling_matrix(m: int, n: int, spectrum: str, complex_: bool) -> np.ndarray:
    """An ``m x n`` test matrix for block Krylov spaces that fill ``min(m, n)`` columns."""
    rng = np.random.default_rng(7)
    dt = np.complex128 if complex_ else np.float64
    if spectrum == "gauss":  # slowly varying singular values: the hardest case
        return random_matrix(rng, (m, n), dt)
    r = min(m, n)
    i = np.arange(1, r + 1, dtype=float)
    s = {"slow": 1 / i, "exp": np.exp(-i / 20), "flat": np.where(i <= 25, 1.0, 0.5)}[spectrum]
    U, _ = np.linalg.qr(random_matrix(rng, (m, r), dt))
    V, _ = np.linalg.qr(random_matrix(rng, (n, r), dt))
    return (U * s) @ V.conj().T


# (k, n_oversamples, n_iter): (k + p)(q + 1) = min(m, n) exactly, just beyond, far beyond.
_FILLING = [(30, 10, 4), (20, 10, 6), (20, 10, 30)]


@pytest.mark.parametrize("backend", ["numpy", pytest.param("torch", marks=needs_torch)])
@pytest.mark.parametrize("shape", [(300, 200), (200, 300), (60, 40)])
@pytest.mark.parametrize("complex_", [False, True])
def test_block_krylov_filling_the_space_is_exact(backend, shape, complex_):
    # Once (k + p)(q + 1) >= min(m, n) the Krylov space is the whole range of A: the
    # last block is truncated to fill it (it used to stop one block short, at 180 of
    # 200 columns, leaving err/opt - 1 ~ 5e-10 and singular values wrong by ~5e-6 on
    # a Gaussian matrix; for 60 x 40 and l = 30 it took no Krylov step at all).
    m, n = shape
    kmax = min(m, n)
    for spectrum in ("gauss", "slow", "exp", "flat"):
        A = _filling_matrix(m, n, spectrum, complex_)
        sigma = np.linalg.svd(A, compute_uv=False)
        Ain = torch.as_tensor(A) if backend == "torch" else A
        for k_max, p, q in _FILLING:
            k = min(k_max, kmax // 2)
            U, s, Vh = rsvd(Ain, k, n_oversamples=p, n_iter=q, method="block_krylov", random_state=0)
            if backend == "torch":
                assert isinstance(s, torch.Tensor)
            _check_svd_factors(U, s, Vh, k)
            spec, _ = _ratios(A, U, s, Vh, sigma, k)
            # The basis spans range(A): optimal (spec = 1) up to a backward error of
            # THRESH max(m, n) u ||A||, which also bounds each singular value's error (Weyl).
            err = THRESH * max(m, n) * u_of(A.dtype) * sigma[0]
            evaluation_k = k * u_of(A.dtype) * k * sigma[0]  # forming U diag(s) V^H in _ratios
            assert spec <= 1 + (err + evaluation_k) / sigma[k], (spectrum, k, p, q, spec)
            assert np.allclose(to_np(s), sigma[:k], rtol=0, atol=2 * err), (spectrum, k, p, q)
            Q = to_np(range_finder(Ain, k, n_oversamples=p, n_iter=q, method="block_krylov", random_state=0))
            assert Q.shape == (m, kmax)
            assert orth_ratio(Q, Q.dtype) < THRESH
            # ... plus the rounding of evaluating A - Q (Q^H A) here: gamma_{m+kmax} |Q||Q^H||A|,
            # and || |Q| ||_2 <= sqrt(kmax) for orthonormal columns
            evaluation = (m + kmax) * u_of(A.dtype) * kmax * np.linalg.norm(A)
            assert np.linalg.norm(A - Q @ (Q.conj().T @ A), 2) <= err + evaluation


@pytest.mark.parametrize("wrap", ["sparse", "linop"])
@pytest.mark.parametrize("shape", [(300, 200), (200, 300)])
def test_block_krylov_filling_the_space_matrix_free(wrap, shape):
    A = _filling_matrix(*shape, "gauss", complex_=False)
    sigma = np.linalg.svd(A, compute_uv=False)
    Ain = scipy.sparse.csr_matrix(A) if wrap == "sparse" else scipy.sparse.linalg.aslinearoperator(A)
    for k, p, q in _FILLING:
        U, s, Vh = rsvd(Ain, k, n_oversamples=p, n_iter=q, method="block_krylov", random_state=0)
        _check_svd_factors(U, s, Vh, k)
        spec, _ = _ratios(A, U, s, Vh, sigma, k)
        err = THRESH * max(shape) * u_of(np.float64) * sigma[0]  # as in the dense test above
        assert spec <= 1 + (err + k * k * u_of(np.float64) * sigma[0]) / sigma[k], (k, p, q, spec)
        assert np.allclose(s, sigma[:k], rtol=0, atol=2 * err)


def test_block_krylov_filling_the_space_reigh():
    rng = np.random.default_rng(3)
    B = rng.standard_normal((200, 200))
    B = B + B.T
    w = np.linalg.eigvalsh(B)
    w = w[np.argsort(-np.abs(w), kind="stable")][:20]
    for q in (6, 30):  # 210 and 930 >= 200 columns
        lam, V = reigh(B, 20, n_iter=q, method="block_krylov", random_state=0)
        # the whole space: exact up to THRESH n u ||B|| (Weyl for the values, the residual too)
        err = THRESH * 200 * u_of(np.float64) * np.abs(w[0])
        assert np.allclose(lam, w, rtol=0, atol=2 * err)
        assert np.linalg.norm(B @ V - V * lam) <= err


def test_block_krylov_basis_stops_at_min_m_n():
    A = _filling_matrix(300, 200, "slow", complex_=False)
    for q, cols in ((4, 150), (5, 180), (6, 200), (50, 200)):
        Q = range_finder(A, 20, n_oversamples=10, n_iter=q, method="block_krylov", random_state=0)
        assert Q.shape == (300, cols)


# --------------------------------------------------------------------------- reigh, nystrom


def _sym(lams, seed=0, complex_=False):
    n = len(lams)
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(random_matrix(rng, (n, n), np.complex128 if complex_ else np.float64))
    A = (Q * lams) @ Q.conj().T
    return (A + A.conj().T) / 2


@pytest.mark.parametrize("complex_", [False, True])
def test_reigh_matches_eigh(complex_):
    lams = np.r_[5.0, -4.0, 3.0, -2.5, 2.0, 0.9 ** np.arange(295) * np.where(np.arange(295) % 2, 1, -1)]
    A = _sym(lams, complex_=complex_)
    ew, EV = np.linalg.eigh(A)
    order = np.argsort(-np.abs(ew), kind="stable")[:5]
    # n_iter="auto" aims at a near-optimal approximation (Ritz values to ~1e-4 here) ...
    w, V = reigh(A, 5, random_state=0)
    assert np.allclose(w, ew[order], rtol=1e-3)
    spec = np.linalg.norm(A - (V * w) @ V.conj().T, 2)
    assert spec <= 1.05 * np.abs(ew[np.argsort(-np.abs(ew))[5]])
    # ... and enough iterations converge the pairs to rounding.
    w, V = reigh(A, 5, n_iter=20, random_state=0)
    # Converged: subspace iteration gains (|lam_6| / |lam_5|)**2 = 1/4 per step, so after 20
    # the Ritz pairs sit at the rounding level THRESH n u ||A|| (||A|| = 5); the eigenvectors
    # within that over the gap 0.5 to the rest of the spectrum.
    err = THRESH * 300 * u_of(A.dtype) * 5.0 + 5.0 * 0.25**20
    assert np.allclose(w, ew[order], rtol=0, atol=2 * err)
    assert np.allclose(
        w, [5.0, -4.0, 3.0, -2.5, 2.0], rtol=0, atol=2 * err + THRESH * 300 * u_of(A.dtype) * 5.0
    )
    _check_signs(V)
    # Same vectors as eigh's once both follow the sign convention.
    from pivotal.randomized._signs import fix_signs

    ref, _ = fix_signs(EV[:, order])
    assert np.allclose(V, ref, rtol=0, atol=4 * err / 0.5)
    assert np.allclose(A @ V, V * w, rtol=0, atol=2 * err)


def test_reigh_rejects_nonsymmetric_and_rectangular():
    A = np.random.default_rng(0).standard_normal((50, 50))
    with pytest.raises(ValueError, match="not symmetric"):
        reigh(A, 3, random_state=0)
    with pytest.raises(ValueError, match="square"):
        reigh(A[:, :40], 3, random_state=0)


def test_nystrom_exact_on_low_rank_psd():
    rng = np.random.default_rng(0)
    for r, k, over in [(15, 15, 10), (15, 20, 0), (30, 30, 3), (30, 25, 5)]:
        G = rng.standard_normal((400, r)) * np.logspace(0, -3, r)  # eigenvalues over 6 decades
        A = G @ G.T
        U, lam = nystrom(A, k, n_oversamples=over, random_state=1)
        assert U.shape == (400, k) and lam.shape == (k,)
        assert (lam >= 0).all() and (np.diff(lam) <= 0).all()
        err = np.linalg.norm(A - (U * lam) @ U.T) / np.linalg.norm(A)
        # Exact when rank(A) <= k (to rounding: the shift nu ~ eps ||A Omega||_F leaves an
        # O(nu) error, largest when l barely exceeds rank(A)); otherwise the truncation to
        # rank k is optimal.
        sig = np.linalg.eigvalsh(A)[::-1]
        opt = np.sqrt(np.sum(sig[k:] ** 2)) / np.linalg.norm(A)
        assert err < 1e-11 + 1.0001 * opt, (r, k, err, opt)
        assert orth_ratio(U, U.dtype) < THRESH
        _check_signs(U)


def test_nystrom_full_rank_psd_is_good_and_psd():
    lams = 1 / np.arange(1, 301) ** 2
    A = _sym(lams, seed=3)
    for q in (0, 1):
        U, lam = nystrom(A, 10, n_iter=q, random_state=0)
        err = np.linalg.norm(A - (U * lam) @ U.T, 2)
        assert err <= (3.5 if q == 0 else 1.05) * lams[10]  # plain Nystrom: ~2x optimal here
        # A - A_nys is PSD (Nystrom never overshoots), up to rounding.
        assert np.linalg.eigvalsh(A - (U * lam) @ U.T).min() > -2 * THRESH * 300 * u_of(np.float64) * lams[0]


def test_nystrom_rejects_indefinite():
    A = _sym(np.r_[3.0, -2.0, np.zeros(98)])
    with pytest.raises(ValueError, match="not positive semidefinite"):
        nystrom(A, 2, random_state=0)
    with pytest.raises(ValueError, match="not symmetric"):
        nystrom(np.triu(np.ones((20, 20))), 2, random_state=0)


# --------------------------------------------------------------------------- input types


def test_sparse_and_linear_operator_inputs():
    A = scipy.sparse.random(600, 300, density=0.02, random_state=0, format="csr")
    A = A + scipy.sparse.csr_array(_matrix("fast")[0][:600, :300])  # a decaying part
    dense = A.toarray()
    ref = rsvd(dense, 10, n_iter=3, random_state=0)
    sigma = np.linalg.svd(dense, compute_uv=False)
    val_tol, vec_tol = _same_run_tols(ref[1], sigma[10], 600)
    for op in (
        A,
        scipy.sparse.csc_matrix(A),
        scipy.sparse.linalg.aslinearoperator(A),
        scipy.sparse.linalg.LinearOperator(
            A.shape, matvec=lambda x: A @ x, rmatvec=lambda x: A.T @ x, dtype=np.float64
        ),
    ):
        U, s, Vh = rsvd(op, 10, n_iter=3, random_state=0)
        assert isinstance(U, np.ndarray)
        for a, b, tol in zip((U, s, Vh), ref, (vec_tol, val_tol, vec_tol), strict=True):
            assert np.allclose(a, b, rtol=0, atol=tol)
    U, s, Vh = rsvd(scipy.sparse.linalg.aslinearoperator(A), 10, random_state=0)
    assert np.linalg.norm(dense - (U * s) @ Vh, 2) <= 1.05 * sigma[10]
    # Adaptive mode on a LinearOperator estimates ||A||_F from its samples.
    U, s, Vh = rsvd(scipy.sparse.linalg.aslinearoperator(A), None, tol=1e-2, random_state=0)
    assert np.linalg.norm(dense - (U * s) @ Vh) <= 2e-2 * np.linalg.norm(dense)
    # Integer sparse input is computed in float64.
    ints = scipy.sparse.csr_matrix((np.arange(1, 301) % 7).reshape(30, 10))
    assert rsvd(ints, 2, random_state=0)[1].dtype == np.float64
    # Symmetric sparse and LinearOperator input for reigh and nystrom.
    S = scipy.sparse.csr_array(_sym(np.r_[4.0, 3.0, 2.0, np.zeros(97)]))
    w, _V = reigh(scipy.sparse.linalg.aslinearoperator(S), 3, random_state=0)
    assert np.allclose(w, [4, 3, 2])
    U, lam = nystrom(S, 3, random_state=0)
    assert np.allclose(lam, [4, 3, 2])


@pytest.mark.parametrize("spectrum", ["fast", "slow"])
def test_complex_input(spectrum):
    A, sigma = _matrix(spectrum, complex_=True)
    U, s, Vh = rsvd(A, K, random_state=0)
    assert U.dtype == np.complex128 and s.dtype == np.float64
    _check_svd_factors(U, s, Vh, K)
    spec, fro = _ratios(A, U, s, Vh, sigma, K)
    assert spec <= 1.05 and fro <= 1.05
    Ua, sa, Vha = rsvd(A, None, tol=1e-3, random_state=0)
    assert np.linalg.norm(A - (Ua * sa) @ Vha) <= 1e-3 * np.linalg.norm(A)


def test_float32_input():
    A, sigma = _matrix("fast")
    U, s, Vh = rsvd(A.astype(np.float32), K, random_state=0)
    assert U.dtype == s.dtype == Vh.dtype == np.float32
    # near-optimal, up to float32's backward error THRESH m u ||A|| (and forming U S V^H)
    assert np.linalg.norm(A - (U * s) @ Vh, 2) <= sigma[K] + (THRESH * M + K) * u_of(np.float32) * sigma[0]


@needs_torch
def test_torch_equals_numpy_for_fixed_seed():
    A, sigma = _matrix("slow")
    t = torch.from_numpy(A.copy())
    # Same sketch, two BLAS libraries: agreement to _same_run_tols (gaps of 1/i are small)
    for kw in ({}, {"method": "block_krylov"}, {"n_iter": 2}, {"tol": 0.3}):
        ref = rsvd(A, K, random_state=5, **kw)
        out = rsvd(t, K, random_state=5, **kw)
        assert all(isinstance(x, torch.Tensor) for x in out)
        val_tol, vec_tol = _same_run_tols(ref[1], sigma[len(ref[1])], M)
        for a, b, tol in zip(out, ref, (vec_tol, val_tol, vec_tol), strict=True):
            assert to_np(a).shape == b.shape
            assert np.allclose(to_np(a), b, rtol=0, atol=tol), kw
    # the range finder's basis is compared as a subspace (its columns are no singular vectors)
    Q, Q0 = to_np(range_finder(t, K, random_state=2)), range_finder(A, K, random_state=2)
    l = Q0.shape[1]
    assert np.linalg.norm(Q @ Q.T - Q0 @ Q0.T, 2) <= _same_run_tols(sigma[:l], sigma[l], M)[1]
    S = _sym(np.r_[3.0, -2.0, 1.5, 0.5 ** np.arange(97)])
    w, V = reigh(torch.from_numpy(S), 3, random_state=0)
    w0, V0 = reigh(S, 3, random_state=0)
    val_tol, vec_tol = _same_run_tols(w0, 1.0, 100)
    assert np.allclose(to_np(w), w0, rtol=0, atol=val_tol) and np.allclose(to_np(V), V0, rtol=0, atol=vec_tol)
    P = S @ S
    U, lam = nystrom(torch.from_numpy(P), 5, random_state=0)
    U0, lam0 = nystrom(P, 5, random_state=0)
    val_tol, vec_tol = _same_run_tols(lam0, 0.25, 100)
    assert np.allclose(to_np(lam), lam0, rtol=0, atol=val_tol) and np.allclose(
        to_np(U), U0, rtol=0, atol=vec_tol
    )
    # complex tensors
    Ac, sigma_c = _matrix("fast", complex_=True)
    out = rsvd(torch.from_numpy(Ac.copy()), 5, random_state=1)
    ref = rsvd(Ac, 5, random_state=1)
    val_tol, vec_tol = _same_run_tols(ref[1], sigma_c[5], M)
    assert all(
        np.allclose(to_np(a), b, rtol=0, atol=tol)
        for a, b, tol in zip(out, ref, (vec_tol, val_tol, vec_tol), strict=True)
    )


@needs_torch
def test_torch_generator_random_state():
    A, sigma = _matrix("fast")
    t = torch.from_numpy(A.copy())
    out1 = rsvd(t, K, random_state=torch.Generator().manual_seed(0))
    out2 = rsvd(t, K, random_state=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(out1, out2, strict=True))
    assert np.linalg.norm(A - (to_np(out1[0]) * to_np(out1[1])) @ to_np(out1[2]), 2) <= 1.05 * sigma[K]


def test_jax_input():
    jnp = pytest.importorskip("jax.numpy")
    A, _ = _matrix("fast")
    U, _s, _Vh = rsvd(jnp.asarray(A[:100, :50]), 3, random_state=0)
    assert type(U).__module__.startswith("jax")


# --------------------------------------------------------------------------- conventions


def test_sign_convention_and_seed_independence():
    A, sigma = _matrix("fast")
    U0, s0, Vh0 = rsvd(A, 5, n_iter=8, random_state=0)
    U1, _s1, Vh1 = rsvd(A, 5, n_iter=8, random_state=np.random.default_rng(99))
    _check_signs(U0)
    # The singular vectors are unique up to sign; the convention fixes the sign.  Eight
    # iterations converge them by (sigma_16 / sigma_6)**17 = e**-34 whatever the sketch,
    # leaving two rounding-level runs (_same_run_tols).
    vec_tol = _same_run_tols(s0, sigma[5], M)[1] + np.exp(-34)
    assert np.allclose(U0, U1, rtol=0, atol=vec_tol) and np.allclose(Vh0, Vh1, rtol=0, atol=vec_tol)
    from pivotal.randomized._signs import fix_signs

    Uf, Vhf = fix_signs(-U0, -Vh0)
    assert np.array_equal(Uf, U0) and np.array_equal(Vhf, Vh0)


def test_reproducible_for_fixed_seed():
    A, _ = _matrix("slow")
    a = rsvd(A, K, random_state=3)
    b = rsvd(A, K, random_state=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_empty_and_k_zero():
    U, s, Vh = rsvd(np.ones((5, 4)), 0, random_state=0)
    assert U.shape == (5, 0) and s.shape == (0,) and Vh.shape == (0, 4)
    U, s, Vh = rsvd(np.ones((0, 4)), 0)
    assert U.shape == (0, 0) and Vh.shape == (0, 4)
    w, V = reigh(np.eye(3), 0)
    assert w.shape == (0,) and V.shape == (3, 0)
    U, lam = nystrom(np.eye(3), 0)
    assert U.shape == (3, 0) and lam.shape == (0,)
    U, s, Vh = rsvd(np.ones((5, 4)), 4, random_state=0)  # k = min(m, n)
    assert np.allclose((U * s) @ Vh, np.ones((5, 4)))


def test_bad_arguments():
    A = np.ones((20, 10))
    with pytest.raises(ValueError, match="0 <= k <= min"):
        rsvd(A, 11)
    with pytest.raises(ValueError, match="0 <= k <= min"):
        rsvd(A, -1)
    with pytest.raises(TypeError, match="k must be an int"):
        rsvd(A, 2.0)
    with pytest.raises(ValueError, match="give the rank k"):
        rsvd(A, None)
    with pytest.raises(ValueError, match="tol is relative"):
        rsvd(A, 2, tol=1.5)
    with pytest.raises(ValueError, match="tol is relative"):
        rsvd(A, 2, tol=0)
    with pytest.raises(TypeError, match="tol must be"):
        rsvd(A, 2, tol="small")
    with pytest.raises(ValueError, match="n_iter must be 'auto'"):
        rsvd(A, 2, n_iter="fast")
    with pytest.raises(ValueError, match="n_iter must be 'auto'"):
        rsvd(A, 2, n_iter=-1)
    with pytest.raises(TypeError, match="n_iter"):
        rsvd(A, 2, n_iter=1.5)
    with pytest.raises(ValueError, match="method must be"):
        rsvd(A, 2, method="lanczos")
    with pytest.raises(ValueError, match="method='block_krylov' is for a fixed rank"):
        rsvd(A, 2, tol=1e-3, method="block_krylov")
    with pytest.raises(ValueError, match="n_oversamples must be >= 0"):
        rsvd(A, 2, n_oversamples=-1)
    with pytest.raises(TypeError, match="random_state"):
        rsvd(A, 2, random_state=True)
    with pytest.raises(TypeError, match="random_state"):
        rsvd(A, 2, random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="expected A to be"):
        rsvd(np.ones(5), 1)
    with pytest.raises(ValueError, match="infs or NaNs"):
        rsvd(np.full((4, 4), np.nan), 1)
    with pytest.raises(ValueError, match="infs or NaNs"):
        rsvd(scipy.sparse.csr_array(np.full((4, 4), np.inf)), 1)
    with pytest.raises(TypeError):
        rsvd(2, 4, 1)  # positional options are refused
    with pytest.raises(TypeError, match="n_iter"):
        nystrom(np.eye(4), 1, n_iter="auto")
    with pytest.raises(ValueError, match="n_oversamples"):
        nystrom(np.eye(4), 1, n_oversamples=-2)
    with pytest.raises(ValueError, match="square"):
        nystrom(np.ones((4, 3)), 1)
    with pytest.raises(ValueError, match="0 <= k <= min"):
        range_finder(A, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        range_finder(A, 2, random_state=0)  # no spurious warnings


@pytest.mark.parametrize("decay", [0.05, 1.0])  # iterates well conditioned / cond > 1e20
@pytest.mark.parametrize("n_iter", [1, 3, "auto"])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_one_pass_intermediate_iterates_keep_final_basis_orthonormal(decay, n_iter, backend):
    # Intermediate power iterates may be normalised by one CholeskyQR pass; the
    # basis rsvd finishes with must still be orthonormal to working precision
    # and the result as accurate as the Eckart-Young optimum allows.
    if backend == "torch" and torch is None:
        pytest.skip("torch not installed")
    m, n, k = 3000, 120, 10
    sigma = np.exp(-decay * np.arange(n))
    Uf, Vf = _factors(m, n)
    A = (Uf * sigma) @ Vf.T
    a = torch.from_numpy(A) if backend == "torch" else A
    U, s, Vh = (to_np(x) for x in rsvd(a, k, n_iter=n_iter, random_state=3))
    u = np.finfo(float).eps
    assert np.linalg.norm(U.T @ U - np.eye(k)) <= 50 * u * k
    assert np.linalg.norm(Vh @ Vh.T - np.eye(k)) <= 50 * u * k
    err = np.linalg.norm(A - (U * s) @ Vh, 2)
    assert err <= 1.05 * sigma[k] + 100 * u * sigma[0]


def test_one_pass_normalisation_is_used_and_checked(monkeypatch):
    # The cheap paths run for well-conditioned iterates (one CholeskyQR pass for
    # the first, implicit steps after it) and are refused (exact
    # orthonormalisation instead) when cond(R) exceeds the threshold.
    calls, implicit = [], []
    real = rf_module._orth_intermediate
    real_step = rf_module._implicit_step

    def spy(y):
        out = real(y)
        calls.append(out[3])
        return out

    def spy_step(op, Z, Y):
        out = real_step(op, Z, Y)
        implicit.append(out is not None)
        return out

    monkeypatch.setattr(rf_module, "_orth_intermediate", spy)
    monkeypatch.setattr(rf_module, "_implicit_step", spy_step)
    m, n = 2000, 80
    Uf, Vf = _factors(m, n)
    for decay, cheap in [(0.01, True), (1.0, False)]:
        calls.clear()
        implicit.clear()
        A = (Uf * np.exp(-decay * np.arange(n))) @ Vf.T
        rsvd(A, 5, n_iter=4, random_state=0)
        if cheap:  # the first iterate by one pass, the 3 intermediate ones implicitly
            assert calls == [False] and implicit == [True] * 3
        else:  # never tried: the Ritz values predict cond(A Z) > 1e3
            assert calls[0] is True and all(calls) and implicit == []


def _iterate_explicitly(monkeypatch):
    monkeypatch.setattr(rf_module, "_IMPLICIT_MARGIN", 0.0)  # never predicts a small cond


@pytest.mark.parametrize("backend", ["numpy", "torch", "sparse", "linop"])
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("n_iter", [2, "auto"])
def test_implicit_steps_equal_the_explicit_iteration(monkeypatch, backend, complex_, n_iter):
    # Z -> A^H A Z without forming Q is the same iteration: same Ritz values and
    # auto decisions, same factors to rounding.
    if backend == "torch" and torch is None:
        pytest.skip("torch not installed")
    A, _ = _matrix("slow", complex_)
    if backend == "torch":
        a = torch.from_numpy(A.copy())
    elif backend == "sparse":
        a = scipy.sparse.csr_array(A)
    elif backend == "linop":
        a = scipy.sparse.linalg.aslinearoperator(A)
    else:
        a = A
    counts = _count_products(monkeypatch, "matmat")
    U, s, Vh = (to_np(x) for x in rsvd(a, K, n_iter=n_iter, random_state=5))
    used = len(counts)
    counts.clear()
    with monkeypatch.context() as mp:
        _iterate_explicitly(mp)
        U2, s2, Vh2 = (to_np(x) for x in rsvd(a, K, n_iter=n_iter, random_state=5))
    assert len(counts) == used
    val_tol, vec_tol = _same_run_tols(s, 1 / (K + 1), M)  # the same iteration, rounded differently
    assert np.allclose(s, s2, rtol=0, atol=val_tol)
    assert np.allclose(U, U2, rtol=0, atol=vec_tol) and np.allclose(Vh, Vh2, rtol=0, atol=vec_tol)
    _check_svd_factors(U, s, Vh, K)


def test_refused_implicit_step_falls_back(monkeypatch):
    # Forced to try implicit steps on iterates with cond >> 1e4: each is refused
    # (one wasted product) and the iteration goes on explicitly, as accurate.
    monkeypatch.setattr(rf_module, "_IMPLICIT_MARGIN", np.inf)
    refused = []
    real_step = rf_module._implicit_step

    def spy_step(op, Z, Y):
        out = real_step(op, Z, Y)
        refused.append(out is None)
        return out

    monkeypatch.setattr(rf_module, "_implicit_step", spy_step)
    m, n, k = 2000, 80, 5
    Uf, Vf = _factors(m, n)
    sigma = np.exp(-np.arange(n))
    A = (Uf * sigma) @ Vf.T
    U, s, Vh = rsvd(A, k, n_iter=3, random_state=0)
    assert refused == [True, True]
    _check_svd_factors(U, s, Vh, k)
    assert np.linalg.norm(A - (U * s) @ Vh, 2) <= 1.01 * sigma[k] + 1e-13


def _plateau_matrix(top: int, level: float, m: int = M, n: int = N):
    U, V = _factors(m, n)
    i = np.arange(1, n + 1)
    sigma = np.where(i <= top, 1.0, level)
    return (U * sigma) @ V.T, sigma


def test_auto_finds_leading_directions_above_a_plateau():
    # sigma = 1 for i <= 10, then 0.9, k = 50: sigma_k settles at once, the ten
    # leading directions take many iterations; missing them costs up to 11%.
    # (The rule used to look at theta_k only and stopped at err/opt = 1.09.)
    A, sigma = _plateau_matrix(10, 0.9)
    k = 50
    for seed in (0, 1):
        U, s, Vh = rsvd(A, k, random_state=seed)
        spec = np.linalg.norm(A - (U * s) @ Vh, 2) / sigma[k]
        assert spec <= 1.02, (seed, spec)


def test_auto_stops_early_inside_a_plateau(monkeypatch):
    # sigma_k inside a plateau that continues past sigma_{l+1} (sigma = 1 for
    # i <= 50, k = 10): every basis of the plateau is optimal and the iteration
    # stops within 3 iterations instead of running to the limit (20).
    counts = _count_products(monkeypatch, "matmat")
    A, sigma = _plateau_matrix(50, 0.5)
    k = 10
    U, s, Vh = rsvd(A, k, random_state=0)
    assert len(counts) <= 4
    assert np.linalg.norm(A - (U * s) @ Vh, 2) <= (1 + 1e-12) * sigma[k]


@pytest.mark.parametrize("complex_", [False, True])
def test_column_peaks_match_argmax(monkeypatch, complex_):
    # The blocked scan of fix_signs picks the entry np.argmax(np.abs(U), axis=0)
    # picks, the first one on ties, also across blocks.
    signs_module = importlib.import_module("pivotal.randomized._signs")
    monkeypatch.setattr(signs_module, "_PEAK_ROWS", 64)
    rng = np.random.default_rng(0)
    U = random_matrix(rng, (1000, 6), np.complex128 if complex_ else np.float64)
    U[[10, 700], 0] = 9.0, -9.0  # a tie across blocks: the first wins
    U[[3, 5], 1] = -7.0, 7.0  # a tie inside a block
    U[:, 2] = 0.0  # an all-zero column
    expect = U[np.argmax(np.abs(U), axis=0), np.arange(6)]
    assert np.array_equal(signs_module.column_peaks(U), expect)
    V, _ = signs_module.fix_signs(U.copy(), overwrite=True)
    assert V[10, 0] == 9.0 and V[5, 1] == -7.0 and V[3, 1] == 7.0
    _check_signs(np.delete(V, 2, axis=1))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_implicit_steps_in_single_precision(monkeypatch, backend):
    # float32 caps the accepted cond at 0.1 u^{-1/2} (410): implicit steps still run
    # on a mildly decaying spectrum and the result is orthonormal to float32 precision.
    if backend == "torch" and torch is None:
        pytest.skip("torch not installed")
    used = []
    real_step = rf_module._implicit_step

    def spy_step(op, Z, Y):
        out = real_step(op, Z, Y)
        used.append(out is not None)
        return out

    monkeypatch.setattr(rf_module, "_implicit_step", spy_step)
    m, n, k = 2000, 80, 8
    Uf, Vf = _factors(m, n)
    sigma = np.exp(-0.05 * np.arange(n))
    A = ((Uf * sigma) @ Vf.T).astype(np.float32)
    a = torch.from_numpy(A) if backend == "torch" else A
    U, s, Vh = (to_np(x) for x in rsvd(a, k, n_iter=4, random_state=0))
    assert used == [True] * 3
    assert U.dtype == np.float32
    u = np.finfo(np.float32).eps
    assert np.linalg.norm(U.T @ U - np.eye(k)) <= 50 * u * k
    assert np.linalg.norm(A - (U * s) @ Vh, 2) <= 1.02 * sigma[k]
