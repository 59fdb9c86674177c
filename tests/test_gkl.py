"""Thick-restarted Golub-Kahan-Lanczos (pivotal.randomized._gkl), svds(method="gkl") and its "auto" use.

Each result is judged against LAPACK's full SVD with LAPACK-style ratios:

* residuals ``max(||A v - s u||, ||A^H u - s v||) / (max(M, N) ||A|| u)``: the stopping test bounds
  ``||A^H u - s v||`` by ``64 u s_1`` and ``A v = s u`` holds to the rounding of the recurrence,
  ``O(sqrt(j) u ||A||)`` for a basis of ``j`` vectors;
* orthogonality ``||U^H U - I||_max / (max(M, N) u)`` (Gram-Schmidt twice keeps the basis
  orthonormal to ``O(u)``);
* singular values: a Ritz value lies within its residual of a singular value (Weyl), so
  ``|s_i - s_ref_i| <= residual + LAPACK's c n u ||A||`` once the top ``k`` are the ones found,
  which the comparison in index order checks (a repeated value missed would shift the rest).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as ssl

from pivotal.errors import LinAlgWarning
from pivotal.randomized import svds
from pivotal.randomized._gkl import gkl_svds
from pivotal.randomized._svds import select_svds_method

THRESH = 30.0


def _orth(rng, m, r, cplx=False):
    x = rng.standard_normal((m, r)) + (1j * rng.standard_normal((m, r)) if cplx else 0)
    return np.linalg.qr(x)[0]


def _with_spectrum(m, n, sigma, seed=0, cplx=False):
    rng = np.random.default_rng(seed)
    r = len(sigma)
    return (_orth(rng, m, r, cplx) * sigma) @ _orth(rng, n, r, cplx).conj().T


def _dense(A):
    if sp.issparse(A):
        return A.toarray()
    if isinstance(A, ssl.LinearOperator):
        return A.matmat(np.eye(A.shape[1]))
    return np.asarray(A)


def _check(A, U, s, Vh, k, unit):
    Ad = _dense(A)
    ref = np.linalg.svd(Ad.astype(np.complex128 if np.iscomplexobj(Ad) else np.float64), compute_uv=False)
    big = max(Ad.shape)
    scale = big * ref[0] * unit
    r = max(
        np.linalg.norm(Ad @ Vh.conj().T - U * s, axis=0).max(),
        np.linalg.norm(Ad.conj().T @ U - Vh.conj().T * s, axis=0).max(),
    )
    assert r / scale < THRESH
    orth = max(np.abs(U.conj().T @ U - np.eye(k)).max(), np.abs(Vh @ Vh.conj().T - np.eye(k)).max())
    assert orth / (big * unit) < THRESH
    np.testing.assert_allclose(s, ref[:k], rtol=0, atol=r + 2 * THRESH * scale)


_U64 = np.finfo(np.float64).eps / 2
_SPECTRA = {
    "gaussian": lambda: np.random.default_rng(1).standard_normal((300, 200)),
    "harmonic": lambda: _with_spectrum(300, 200, 1 / np.arange(1, 201)),
    "clustered": lambda: _with_spectrum(
        300, 200, np.r_[1 + 1e-9 * np.arange(6), np.linspace(0.5, 0.01, 194)]
    ),
    "repeated": lambda: _with_spectrum(300, 200, np.r_[1.0, 1.0, 1.0, 0.9, 0.9, np.linspace(0.8, 0.01, 195)]),
    "rank_deficient": lambda: _with_spectrum(300, 200, np.array([1.0, 0.7, 0.3])),
    "wide": lambda: np.random.default_rng(2).standard_normal((150, 260)),
}


@pytest.mark.parametrize("name", list(_SPECTRA))
@pytest.mark.parametrize("k", [1, 6])
def test_gkl_spectra(name, k):
    A = _SPECTRA[name]()
    U, s, Vh, info = gkl_svds(A, k)
    assert info["converged"] and s.dtype == np.float64
    assert np.all(np.diff(s) <= 0)
    _check(A, U, s, Vh, k, _U64)


def test_gkl_complex_float32_sparse_linop():
    Ac = _with_spectrum(250, 180, 1 / np.arange(1, 181), cplx=True)
    U, s, Vh, _ = gkl_svds(Ac, 4)
    assert U.dtype == np.complex128
    _check(Ac, U, s, Vh, 4, _U64)
    A32 = _with_spectrum(250, 180, 1 / np.arange(1, 181)).astype(np.float32)
    U, s, Vh, _ = gkl_svds(A32, 4)
    assert U.dtype == np.float32 and s.dtype == np.float32
    _check(A32.astype(np.float64), U.astype(np.float64), s.astype(np.float64), Vh.astype(np.float64), 4,
           np.finfo(np.float32).eps / 2)  # fmt: skip
    S = sp.random(400, 150, density=0.05, random_state=0, format="csr")
    for A in (S, ssl.aslinearoperator(S)):
        U, s, Vh, info = gkl_svds(A, 5)
        assert info["converged"]
        _check(S, U, s, Vh, 5, _U64)


def test_gkl_small_and_exhausted_space():
    """A basis that fills the whole space stops with residual zero (no division by a zero norm)."""
    A = _with_spectrum(6, 4, np.array([4.0, 3.0, 2.0, 1.0]))
    U, s, Vh, info = gkl_svds(A, 3)
    assert info["converged"]
    _check(A, U, s, Vh, 3, _U64)


def test_gkl_refuses_bad_k():
    with pytest.raises(ValueError, match="k must satisfy"):
        gkl_svds(np.ones((5, 4)), 4)


def test_svds_auto_uses_gkl_and_matches_scipy():
    A = _with_spectrum(700, 600, 1 / np.arange(1, 601), seed=4)
    assert select_svds_method(A, 8)[0] == "gkl"
    u, s, vh = svds(A, 8)
    _, sr, _ = ssl.svds(A, 8, rng=0)
    assert np.all(np.diff(s) >= 0)  # ascending, like SciPy
    _check(A, u[:, ::-1], s[::-1], vh[::-1], 8, _U64)
    np.testing.assert_allclose(s, sr, rtol=0, atol=2 * THRESH * 700 * _U64)


def test_svds_gkl_options():
    A = _with_spectrum(200, 150, 1 / np.arange(1, 151))
    with pytest.raises(ValueError, match=r"method='gkl'.*v0"):
        svds(A, 3, method="gkl", v0=np.ones(150))
    with pytest.raises(ValueError, match=r"method='gkl'.*largest"):
        svds(A, 3, method="gkl", which="SM")
    # ncv, maxiter and the seed reach the solver: one restart with 6 vectors cannot converge on a
    # flat spectrum, and the warning says so.
    G = np.random.default_rng(0).standard_normal((200, 150))
    with pytest.warns(LinAlgWarning, match="Golub-Kahan-Lanczos reached"):
        svds(G, 3, method="gkl", ncv=6, maxiter=1, rng=1)
    s1 = svds(A, 3, method="gkl", rng=5, return_singular_vectors=False)
    np.testing.assert_allclose(s1, np.linalg.svd(A, compute_uv=False)[:3][::-1], rtol=0, atol=1e-13)


def test_svds_gkl_extreme_scale_and_torch():
    torch = pytest.importorskip("torch")
    A = _with_spectrum(120, 90, 1 / np.arange(1, 91))
    for scale in (2.0**-1000, 2.0**1000):
        s = svds(A * scale, 2, method="gkl", return_singular_vectors=False)
        np.testing.assert_allclose(s / scale, [0.5, 1.0], rtol=1e-13)
    u, s, vh = svds(torch.as_tensor(A), 2, method="gkl")
    assert all(isinstance(x, torch.Tensor) for x in (u, s, vh))
    _check(A, u.numpy()[:, ::-1], s.numpy()[::-1], vh.numpy()[::-1], 2, _U64)


@pytest.mark.parametrize(
    "name",
    ["identity", "orthogonal", "rank_deficient", "rank_deficient_wide"],
)
def test_gkl_k_close_to_min_dimension(name):
    """k = min(M, N) - 1 where the Krylov space is exhausted early and fresh start vectors fill it.

    A fresh vector orthogonal to ``j`` of ``n`` basis vectors keeps about ``sqrt((n - j) / n)`` of its
    norm: it must be renormalized, not taken for zero (which left zero singular vectors and zero in
    place of repeated singular values).
    """
    rng = np.random.default_rng(3)
    A = {
        "identity": np.eye(30),
        "orthogonal": np.linalg.qr(rng.standard_normal((30, 30)))[0],
        "rank_deficient": rng.standard_normal((50, 3)) @ rng.standard_normal((3, 40)),
        "rank_deficient_wide": rng.standard_normal((40, 3)) @ rng.standard_normal((3, 50)),
    }[name]
    k = min(A.shape) - 1
    U, s, Vh, info = gkl_svds(A, k)
    assert info["converged"]
    _check(A, U, s, Vh, k, _U64)


@pytest.mark.parametrize("k", [2, 3])
def test_gkl_exactly_repeated_top_values_are_not_missed(k):
    """A diagonal 600 x 600 with s = (1, 1, 1, 0.5, 0.5, 0.5, 0.4 ... 0.01): k = 2, 3.

    A Krylov space from one start vector holds one direction of each repeated singular value, so
    the first cycle converges to ``(1, 0.5, 0.4)`` with small residuals: genuine triplets, but not the
    top ``k``.  The check after convergence (a few steps from a fresh vector orthogonal to the ``k``
    found) must find the missed copies; "auto" (GKL at this size) too.
    """
    d = np.r_[np.ones(3), 0.5 * np.ones(3), np.linspace(0.4, 0.01, 594)]
    A = np.diag(d)
    U, s, Vh, info = gkl_svds(A, k)
    assert info["converged"]
    _check(A, U, s, Vh, k, _U64)
    assert select_svds_method(A, k)[0] == "gkl"
    np.testing.assert_allclose(svds(A, k, return_singular_vectors=False), np.ones(k), rtol=0, atol=1e-13)


def test_svds_gkl_seeds():
    """rng takes what the randomized methods take (int, Generator, torch.Generator), reproducibly; a bad
    seed is a TypeError that names the accepted kinds (SeedSequence's message named none)."""
    torch = pytest.importorskip("torch")
    A = _with_spectrum(60, 40, 1 / np.arange(1, 41))
    ref = np.linalg.svd(A, compute_uv=False)[:3][::-1]
    runs = [
        svds(A, 3, method="gkl", rng=torch.Generator().manual_seed(3), return_singular_vectors=False)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_allclose(runs[0], ref, rtol=0, atol=2 * THRESH * 60 * _U64)
    with pytest.raises(TypeError, match=r"torch\.Generator"):
        svds(A, 3, method="gkl", rng="abc")


def test_svds_half_and_extended_precision():
    """float16 and long double: GKL computes in float32 / float64 (the dtypes of the dense path's result);
    the iterative SciPy path refuses long double with SciPy's ValueError (it was a ZeroDivisionError)."""
    A = _with_spectrum(60, 40, 1 / np.arange(1, 41))
    for dt, want, unit in (
        (np.float16, np.float32, np.finfo(np.float32).eps / 2),
        (np.longdouble, np.float64, _U64),
    ):
        Ad = A.astype(dt)
        u, s, vh = svds(Ad, 3, method="gkl")
        assert s.dtype == want and u.dtype == want
        _check(Ad.astype(np.float64), u[:, ::-1].astype(np.float64), s[::-1].astype(np.float64),
               vh[::-1].astype(np.float64), 3, unit)  # fmt: skip
        assert svds(Ad, 3, method="dense", return_singular_vectors=False).dtype == want
    for method in ("lanczos", "randomized"):
        with pytest.raises(ValueError, match="matrix type must be"):
            svds(A.astype(np.longdouble), 3, method=method)
