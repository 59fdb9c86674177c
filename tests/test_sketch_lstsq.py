"""sketch_lstsq (SPIR) and lstsq(method="sketch").

Backward errors are measured with the Karlson-Walden estimate

    eta_KW(x) = ||(A^H A + w^2 I)^{-1/2} A^H r|| / ||x||,   w = ||r|| / ||x||,

evaluated with the exact SVD of ``A`` and with ``r = b - A x`` and ``A^H r``
accumulated in extended precision (``numpy.longdouble``), and reported
relative to ``||A||_2``.  It lies within a factor sqrt(2) of the optimal
(Walden-Karlson-Sun) backward error; ``test_kw_metric_matches_exact_wks``
checks that on a small problem against the exact formula evaluated in
60-digit arithmetic.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery
from pivotal.randomized import sketch
from pivotal.randomized._sketch_lstsq import SketchLstsqInfo, sketch_lstsq

from .helpers import THRESH, assert_lstsq_close, random_matrix, to_np, u_of

U64 = u_of(np.float64)


# --------------------------------------------------------------------------- measuring


def kw_backward_error(A: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    """Relative Karlson-Walden backward error ``eta_KW(x) / ||A||_2`` (extended-precision residual)."""
    A, b, x = to_np(A), to_np(b), to_np(x)
    wide = np.clongdouble if np.iscomplexobj(A) or np.iscomplexobj(b) else np.longdouble
    Al = A.astype(wide)
    r = b.astype(wide) - Al @ x.astype(wide)
    g = Al.conj().T @ r
    _, s, vh = np.linalg.svd(
        A.astype(np.complex128 if wide is np.clongdouble else np.float64), full_matrices=False
    )
    rn = float(np.sqrt(np.sum(np.abs(r) ** 2)))
    xn = float(np.linalg.norm(x))
    if rn == 0:
        return 0.0
    w = rn / xn
    z = np.abs((vh.astype(wide) @ g).astype(np.complex128))
    return float(np.linalg.norm(z / np.sqrt(s**2 + w * w)) / xn) / float(s[0])


def wks_backward_error(A: np.ndarray, b: np.ndarray, x: np.ndarray, dps: int = 60) -> float:
    """The optimal backward error (Walden, Karlson & Sun 1995), exactly, relative to ``||A||_2``.

    ``eta = min(w, sigma_min([A, w (I - r r^T / r^T r)]))`` with ``w = ||r|| / ||x||``.
    On the complement of ``span(A, r)`` the Gram matrix of ``[A, w(I - r r^+)]``
    is ``w^2 I``, so ``sigma_min^2 = min(w^2, lambda_min(G G^T + w^2 (I - c c^T)))``
    with ``W`` an orthonormal basis of ``span(A, r)``, ``G = W^T A``,
    ``c = W^T r / ||r||`` -- an ``(n+1) x (n+1)`` eigenproblem, solved in
    ``dps``-digit arithmetic (the quantity is ~1e-16 relative: double
    precision cannot resolve it).
    """
    mp = pytest.importorskip("mpmath")
    with mp.workdps(dps):
        m, n = A.shape
        Am = mp.matrix(A.tolist())
        r = mp.matrix(b.tolist()) - Am * mp.matrix(x.tolist())
        rn, xn = mp.norm(r), mp.norm(mp.matrix(x.tolist()))
        w = rn / xn
        basis = []
        for column in [Am[:, j] for j in range(n)] + [r]:
            v = column
            for _ in range(2):  # Gram-Schmidt, twice
                for q in basis:
                    v = v - (q.T * v)[0] * q
            basis.append(v / mp.norm(v))
        W = mp.matrix(m, n + 1)
        for j, q in enumerate(basis):
            W[:, j] = q
        G = W.T * Am
        c = W.T * (r / rn)
        lam = min(mp.eigsy(G * G.T + w**2 * (mp.eye(n + 1) - c * c.T), eigvals_only=True))
        eta = min(w, mp.sqrt(max(lam, 0)))
    return float(eta) / float(np.linalg.norm(A, 2))


def ls_problem(m, n, kappa, resid, seed, dtype=np.float64):
    """``A`` with geometric singular values (``kappa``) and ``b = A x + resid * z``, ``z`` orthogonal to range(A).

    ``A = U[:, :n] diag(sigma) V^H`` and ``z = U[:, n]`` come from one
    orthonormal ``U``, so the exact least-squares solution is ``x`` (up to
    the rounding of ``A`` and ``b``) with no solver's own QR involved.
    """
    rng = np.random.default_rng(seed)
    Uq = np.linalg.qr(
        random_matrix(rng, (m, n + 1), dtype).astype(
            np.complex128 if np.dtype(dtype).kind == "c" else np.float64
        )
    )[0]
    V = np.linalg.qr(random_matrix(rng, (n, n), dtype))[0]
    sigma = kappa ** (-np.arange(n) / (n - 1))
    A = ((Uq[:, :n] * sigma) @ V.conj().T).astype(dtype)
    x = random_matrix(rng, (n,), dtype).astype(A.dtype)
    x /= np.linalg.norm(x)
    b = (A @ x + resid * Uq[:, n]).astype(dtype)
    return A, b, x


# --------------------------------------------------------------------------- stability


def test_kw_metric_matches_exact_wks():
    """The test metric (KW with extended precision) equals the exact optimal backward error within sqrt(2)."""
    rng = np.random.default_rng(0)
    A = gallery.randsvd(8, 1e8, 3, m=300, random_state=rng)
    b = A @ rng.standard_normal(8) + rng.standard_normal(300)
    for x in (sketch_lstsq(A, b, random_state=0), np.linalg.lstsq(A, b, rcond=None)[0] * (1 + 1e-9)):
        kw, wks = kw_backward_error(A, b, x), wks_backward_error(A, b, x)
        # (the extended-precision residual resolves the ~1e-17 quantities to ~1e-3)
        assert 0.99 * kw / np.sqrt(2) <= wks <= 1.01 * np.sqrt(2) * kw, (kw, wks)


@pytest.mark.parametrize("shape", [(4000, 50), (6000, 80)])
@pytest.mark.parametrize("kappa", [1e3, 1e6, 1e10])
def test_backward_stable_where_plain_sketch_and_precondition_is_not(shape, kappa):
    """SPIR: backward error <= 10 u ||A||; plain sketch-and-precondition fails that at kappa = 1e10."""
    m, n = shape
    rng = np.random.default_rng(int(np.log10(kappa)) + n)
    A = gallery.randsvd(n, kappa, 3, m=m, random_state=rng)
    # A residual as large as A x and orthogonal to range(A) to working accuracy: a
    # random z would not do, as its component in range(A) puts ~||z||/sqrt(m)/sigma_min
    # into x and makes the residual relatively small (an easy problem).
    ax = A @ rng.standard_normal(n)
    q = np.linalg.qr(A)[0]
    z = rng.standard_normal(m)
    z -= q @ (q.T @ z)
    b = ax + z * (np.linalg.norm(ax) / np.linalg.norm(z))
    x, info = sketch_lstsq(A, b, random_state=1, return_info=True)
    be = kw_backward_error(A, b, x)
    assert be <= 10 * U64, (be / U64, info)
    assert info.fallback is None and info.converged and info.method == "spir"
    # the solver's own (sketched) estimate agrees with the measured value
    assert 0.3 * be <= info.backward_error <= 3 * be + U64
    # iterations ~ log(1/u) / log(1/eta), independent of kappa
    assert sum(info.iterations) <= 75, info.iterations
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x_sap, info_sap = sketch_lstsq(A, b, random_state=1, refine=False, return_info=True)
    be_sap = kw_backward_error(A, b, x_sap)
    if kappa >= 1e10:
        assert be_sap > 1000 * U64, be_sap / U64
        assert not info_sap.converged and info_sap.fallback is None
        assert any(
            issubclass(w.category, pv.LinAlgWarning) and "refine=True" in str(w.message) for w in caught
        )
    assert len(info_sap.iterations) == 1


@pytest.mark.parametrize("kappa", [1e4, 1e8, 1e10])
@pytest.mark.parametrize("resid", [1e-6, 1.0])
def test_forward_error_comparable_to_householder_qr(kappa, resid):
    A, b, x_true = ls_problem(4000, 50, kappa, resid, seed=int(np.log10(kappa)))
    x_qr = np.linalg.lstsq(A, b, rcond=None)[0]
    x = sketch_lstsq(A, b, random_state=2)
    err = np.linalg.norm(x - x_true) / np.linalg.norm(x_true)
    err_qr = np.linalg.norm(x_qr - x_true) / np.linalg.norm(x_true)
    # least-squares perturbation bound for a backward error of u (||A|| = ||x|| = 1)
    bound = kappa * U64 + kappa**2 * U64 * resid
    assert err <= 20 * max(err_qr, kappa * U64), (err, err_qr)
    assert err <= 10 * bound, (err, bound)


def test_float32_and_complex():
    for dtype in (np.float32, np.complex128, np.complex64):
        u = u_of(dtype)
        kappa = 1e3 if np.dtype(dtype).itemsize <= 8 else 1e6
        A, b, x_true = ls_problem(3000, 30, kappa, 1e-3, seed=5, dtype=dtype)
        x, info = sketch_lstsq(A, b, random_state=0, return_info=True)
        assert x.dtype == dtype and info.fallback is None
        assert kw_backward_error(A, b, x) <= 10 * u, (dtype, info)
        bound = kappa * u + kappa**2 * u * 1e-3  # ||A|| = ||x_true|| = 1
        assert np.linalg.norm(x - x_true) <= 3 * bound, dtype


# --------------------------------------------------------------------------- backends and shapes


def test_torch_cpu_matches_numpy():
    torch = pytest.importorskip("torch")
    for dtype in (np.float64, np.complex128):
        A, b, _ = ls_problem(3000, 40, 1e3, 1e-3, seed=6, dtype=dtype)
        x, info = sketch_lstsq(A, b, random_state=7, return_info=True)
        xt, info_t = sketch_lstsq(torch.from_numpy(A), torch.from_numpy(b), random_state=7, return_info=True)
        assert isinstance(xt, torch.Tensor) and xt.dtype == torch.from_numpy(A).dtype
        # same sketch, same algorithm: two backward-stable solutions (Wedin's bound, kappa ~ 1e3)
        assert_lstsq_close(xt.numpy(), x, A, b, dtype)
        # the preconditioner's rcond estimate: exact for perturbations of THRESH m u, kappa times
        rel = 2 * THRESH * 3000 * u_of(dtype) / info.rcond
        assert info_t.rcond == pytest.approx(info.rcond, rel=rel)
        assert kw_backward_error(A, b, xt) <= 10 * U64


def test_multiple_right_hand_sides():
    A = gallery.randsvd(40, 1e8, 3, m=3000, random_state=3)
    rng = np.random.default_rng(3)
    B = np.stack(
        [rng.standard_normal(3000), A @ np.ones(40), np.zeros(3000), 1e3 * rng.standard_normal(3000)], axis=1
    )
    X, info = sketch_lstsq(A, B, random_state=4, return_info=True)
    assert X.shape == (40, 4) and info.backward_errors.shape == (4,)
    assert np.all(X[:, 2] == 0) and info.backward_errors[2] == 0
    for j in range(4):
        assert kw_backward_error(A, B[:, j], X[:, j]) <= 10 * U64, j
    # each column stops on its own test: the consistent one needs (almost) no iteration
    xc, info_c = sketch_lstsq(A, B[:, 1], random_state=4, return_info=True)
    assert sum(info_c.iterations) <= 5 and kw_backward_error(A, B[:, 1], xc) <= 10 * U64
    # the reported norms and this evaluation each round b - A x by gamma_{n+1} (|b| + |A||x|)
    scale = 2 * 41 * U64 * (np.linalg.norm(B, axis=0) + np.linalg.norm(A) * np.linalg.norm(X, axis=0))
    assert np.all(np.abs(info.residual_norms - np.linalg.norm(B - A @ X, axis=0)) <= scale)


def test_sketch_kinds_and_operator():
    A, b, _ = ls_problem(2048, 20, 1e6, 1.0, seed=8)
    for kind in ("gaussian", "srht", "sparse_sign"):
        x, info = sketch_lstsq(A, b, sketch=kind, random_state=0, return_info=True)
        assert info.sketch == kind and info.sketch_size == 120
        assert kw_backward_error(A, b, x) <= 10 * U64, kind
    S = sketch("sparse_sign", 100, 2048, random_state=5)
    x1 = sketch_lstsq(A, b, sketch=S)
    np.testing.assert_array_equal(x1, sketch_lstsq(A, b, sketch=S))
    np.testing.assert_array_equal(x1, sketch_lstsq(A, b, sketch_size=100, random_state=5))


def test_small_problem_uses_identity_and_empty_inputs():
    A, b, _ = ls_problem(60, 20, 1e4, 1.0, seed=9)
    x, info = sketch_lstsq(A, b, return_info=True)  # d = 120 >= m = 60: no sketch
    assert info.sketch == "identity" and info.fallback is None
    assert kw_backward_error(A, b, x) <= 10 * U64
    assert sketch_lstsq(np.ones((5, 0)), np.ones(5)).shape == (0,)
    assert sketch_lstsq(A, np.ones((60, 0))).shape == (20, 0)
    info = sketch_lstsq(A, np.zeros(60), return_info=True)[1]
    assert isinstance(info, SketchLstsqInfo) and info.backward_error == 0


# --------------------------------------------------------------------------- fallbacks


def test_rank_deficient_falls_back_to_minimum_norm():
    A = gallery.rank_deficient(3000, 40, 25, random_state=10)
    b = np.random.default_rng(10).standard_normal(3000)
    x, info = sketch_lstsq(A, b, random_state=0, return_info=True)
    assert info.fallback == "rank_deficient" and info.method == "qr+svd" and info.rank == 25
    assert not info.converged and any("rank deficient" in p for p in info.path)
    assert_lstsq_close(x, np.linalg.pinv(A) @ b, A, b, np.float64, rank=25)
    torch = pytest.importorskip("torch")
    xt, info_t = sketch_lstsq(torch.from_numpy(A), torch.from_numpy(b), random_state=0, return_info=True)
    assert info_t.fallback == "rank_deficient"
    assert_lstsq_close(xt.numpy(), x, A, b, np.float64, rank=25)


def test_failed_backward_error_check_falls_back_to_qr():
    A, b, _ = ls_problem(3000, 30, 1e8, 1.0, seed=11)
    B = np.stack([b, A @ np.ones(30)], axis=1)  # the consistent column needs no iteration
    X, info = sketch_lstsq(A, B, maxiter=1, random_state=0, return_info=True)
    assert info.fallback == "backward_error" and info.fallback_columns == [0]
    assert not info.converged and info.method == "spir" and len(info.iterations) == 3
    assert "Householder QR" in info.path[-1]
    # The Householder QR solution: its least-squares residual is minimal to second order
    # (||r_hat|| - ||r|| ~ (eps kappa)**2 ||r|| / 2, eps = THRESH m u) plus evaluation rounding;
    # x itself is only determined to eps kappa**2 here (kappa = 1e8), so it is not compared.
    x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    r_hat, r_ref = np.linalg.norm(b - A @ X[:, 0]), np.linalg.norm(b - A @ x_ref)
    eps = THRESH * 3000 * U64
    evaluation = 2 * 31 * U64 * (np.linalg.norm(b) + np.linalg.norm(A) * np.linalg.norm(x_ref))
    assert abs(r_hat - r_ref) <= (eps * 1e8) ** 2 * r_ref + evaluation
    for j in range(2):
        assert kw_backward_error(A, B[:, j], X[:, j]) <= 10 * U64
    assert info.backward_error <= 10 * U64  # re-estimated for the QR solution


# --------------------------------------------------------------------------- arguments


def test_bad_arguments():
    A, b, _ = ls_problem(500, 10, 10.0, 1.0, seed=12)
    with pytest.raises(ValueError, match=r"tall.*lstsq"):
        sketch_lstsq(A.T, b[:10])
    with pytest.raises(ValueError, match="rows"):
        sketch_lstsq(A, b[:-1])
    with pytest.raises(ValueError, match="b must have shape"):
        sketch_lstsq(A, np.ones((2, 500, 1)))
    bad = A.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"(?i)nan|inf"):
        sketch_lstsq(bad, b)
    with pytest.raises(ValueError, match=r"(?i)nan|inf"):
        sketch_lstsq(A, np.full(500, np.inf))
    with pytest.raises(ValueError, match="smaller than n"):
        sketch_lstsq(A, b, sketch_size=5)
    with pytest.raises(ValueError, match="tol"):
        sketch_lstsq(A, b, tol=0)
    with pytest.raises(ValueError, match="maxiter"):
        sketch_lstsq(A, b, maxiter=0)
    with pytest.raises(ValueError, match="sketch kind"):
        sketch_lstsq(A, b, sketch="count")
    with pytest.raises(TypeError, match="refine"):
        sketch_lstsq(A, b, refine="yes")
    S = sketch("gaussian", 40, 500, random_state=0)
    with pytest.raises(ValueError, match="random_state"):
        sketch_lstsq(A, b, sketch=S, random_state=1)
    with pytest.raises(ValueError, match="m=500"):
        sketch_lstsq(A[:400], b[:400], sketch=S)
    with pytest.raises(ValueError, match="conflicts"):
        sketch_lstsq(A, b, sketch=S, sketch_size=50)


# --------------------------------------------------------------------------- pivotal.lstsq


def test_lstsq_method_sketch_conventions():
    assert "sketch" in pv.least_squares.LSTSQ_METHODS
    rng = np.random.default_rng(13)
    A = gallery.randsvd(12, 1e3, 3, m=300, random_state=rng)
    B = rng.standard_normal((300, 2))
    x, res, rank, s = pv.lstsq(A, B, method="sketch")
    xs, ress, ranks, _ = sl.lstsq(A, B)
    assert_lstsq_close(x, xs, A, B, np.float64)
    # squared residual norms: Wedin's eps ||b|| (1 + 2 kappa) on ||r||, twice that relative on res
    eps = THRESH * 300 * U64
    rnorm = np.sqrt(ress)
    np.testing.assert_allclose(
        res, ress, rtol=4 * eps * (1 + 2 * 1e3) * np.max(np.linalg.norm(B, axis=0) / rnorm)
    )
    assert rank == ranks == 12 and s is None and x.dtype == xs.dtype
    x1, res1, _, _ = pv.lstsq(A, B[:, 0], method="sketch")
    assert x1.shape == (12,) and np.shape(res1) == ()
    assert res1 == pytest.approx(ress[0], rel=4 * eps * (1 + 2 * 1e3) * np.linalg.norm(B[:, 0]) / rnorm[0])
    # deterministic (fixed seed), batched, rank deficient (minimum norm at cond), wide refused
    np.testing.assert_array_equal(x, pv.lstsq(A, B, method="sketch")[0])
    assert pv.lstsq(np.stack([A, A]), np.stack([B, B]), method="sketch")[0].shape == (2, 12, 2)
    Ar = gallery.rank_deficient(300, 12, 5, random_state=rng)
    br = rng.standard_normal(300)
    xr, resr, rankr, _ = pv.lstsq(Ar, br, method="sketch", cond=1e-10)
    assert rankr == 5 and np.shape(resr) == (0,)
    assert_lstsq_close(xr, sl.lstsq(Ar, br, cond=1e-10)[0], Ar, br, np.float64, rank=5)
    with pytest.raises(ValueError, match="tall"):
        pv.lstsq(A.T, B[:12], method="sketch")
    torch = pytest.importorskip("torch")
    xt, rest, _, _ = pv.lstsq(torch.from_numpy(A), torch.from_numpy(B), method="sketch")
    assert isinstance(xt, torch.Tensor) and isinstance(rest, torch.Tensor)
    assert_lstsq_close(xt.numpy(), x, A, B, np.float64)


def test_lstsq_auto_routes_very_tall_problems_to_the_sketch(monkeypatch):
    import pivotal.least_squares as ls

    rng = np.random.default_rng(14)
    A = gallery.randsvd(10, 1e3, 3, m=800, random_state=rng)
    b = rng.standard_normal(800)
    assert pv.lstsq(A, b)[3] is not None  # below the thresholds: QR + SVD of R, with s
    monkeypatch.setattr(ls, "SKETCH_MIN_ELEMENTS", 5000)
    monkeypatch.setattr(ls, "SKETCH_MIN_RATIO", 40)
    monkeypatch.setattr(ls, "SKETCH_MIN_COLS", 10)
    monkeypatch.setattr(ls, "SKETCH_RHS_DIVISOR", 32)
    x, _, rank, s = pv.lstsq(A, b)
    assert s is None and rank == 10  # the sketch: no singular values, like gelsy
    assert_lstsq_close(x, sl.lstsq(A, b)[0], A, b, np.float64)
    assert pv.lstsq(A, np.ones((800, 3)))[3] is not None  # too many right-hand sides for n = 10
    assert pv.lstsq(A[:300], b[:300])[3] is not None  # m < 40 n
