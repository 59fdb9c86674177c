"""qr(), QR/QRPivoted objects, lstsq, matrix_rank, null_space, orth."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery
from pivotal.factorizations.qr import QR_METHODS

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    assert_lstsq_close,
    random_matrix,
    reconstruction_ratio,
    solve_residual_ratio,
    to_backend,
    to_np,
    u_of,
)


def _qr_ratios(A, Q, R, dtype):
    """LAPACK xQRT01: ||A - QR||_1/(m ||A||_1 u) and ||I - Q^H Q||_1/(m u)."""
    A = np.asarray(A, dtype=np.complex128)
    Q = np.asarray(to_np(Q), dtype=np.complex128)
    R = np.asarray(to_np(R), dtype=np.complex128)
    m = max(A.shape[0], 1)
    u = u_of(dtype)
    anorm = np.abs(A).sum(axis=0).max() if A.size else 0.0
    resid = np.abs(A - Q @ R).sum(axis=0).max() if A.size else 0.0
    recon = 0.0 if resid == 0 else resid / (m * max(anorm, np.finfo(float).tiny) * u)
    k = Q.shape[1]
    orth = np.abs(np.eye(k) - Q.conj().T @ Q).sum(axis=0).max() / (m * u) if k else 0.0
    return recon, orth


@pytest.mark.parametrize("name", ["qr", "lstsq"])
def test_signature_matches_scipy(name):
    ours = inspect.signature(getattr(pv, name)).parameters
    theirs = inspect.signature(getattr(sl, name)).parameters
    positional = [p for p in ours.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert [p.name for p in positional] == list(theirs)
    for p in positional:
        assert p.default == theirs[p.name].default
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in ours.values() if p.name not in theirs)


@pytest.mark.parametrize("mode", ["full", "economic", "r", "raw"])
@pytest.mark.parametrize("pivoting", [False, True])
@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (5, 5), (0, 3), (3, 0)])
def test_qr_modes_match_scipy_shapes(mode, pivoting, shape):
    A = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = pv.qr(A, mode=mode, pivoting=pivoting), sl.qr(A, mode=mode, pivoting=pivoting)
    assert len(ours) == len(theirs)

    def flat(t):
        return (
            [x.shape for x in (t[0] if isinstance(t, tuple) else (t,))] if isinstance(t, tuple) else [t.shape]
        )

    for o, t in zip(ours, theirs, strict=True):
        assert flat(o) == flat(t)
    if pivoting:
        assert ours[-1].dtype == theirs[-1].dtype
    if mode in ("full", "economic") and A.size:
        Q, R = ours[0], ours[1]
        Ap = A[:, ours[-1]] if pivoting else A
        assert max(_qr_ratios(Ap, Q, R, np.float64)) < THRESH


@pytest.mark.parametrize("method", list(QR_METHODS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_method_reachable_and_accurate(method, dtype, backend):
    rng = np.random.default_rng(1)
    A = gallery.randsvd(10, 100.0, 3, m=300, dtype=dtype, random_state=rng)
    Q, R = pv.qr(to_backend(A, backend), mode="economic", method=method)
    assert to_np(Q).shape == (300, 10) and to_np(R).shape == (10, 10)
    recon, orth = _qr_ratios(A, Q, R, dtype)
    assert recon < THRESH
    if method not in ("cgs", "mgs"):  # Gram-Schmidt loses orthogonality with kappa (by design)
        assert orth < THRESH, method


def test_auto_picks_cholqr2_for_tall_well_conditioned_and_reports_path():
    A = gallery.randsvd(20, 10.0, 3, m=2000, random_state=0)
    F = pv.QR(A)
    assert F.algorithm == "cholqr2" and F.path == ["cholqr2"]
    assert max(_qr_ratios(A, F.Q, F.R, np.float64)) < THRESH


@pytest.mark.parametrize("kappa,expected", [(1e9, "shifted_cholqr3"), (1e15, None)])
def test_auto_falls_back_when_ill_conditioned(kappa, expected):
    A = gallery.randsvd(20, kappa, 3, m=2000, random_state=0)
    F = pv.QR(A)
    assert len(F.path) >= 2, F.path
    if expected:
        assert F.algorithm == expected
    recon, orth = _qr_ratios(A, F.Q, F.R, np.float64)
    assert recon < THRESH and orth < THRESH, (F.path, recon, orth)


def test_auto_square_uses_householder():
    A = np.random.default_rng(2).standard_normal((50, 50))
    F = pv.QR(A)
    assert "householder" in F.path[0]


def test_hilbert_orthogonality_facts():
    """Hilbert(12): CGS loses orthogonality, CGS2 and Householder do not."""
    A = gallery.hilbert(12)
    loss = {}
    for method in ("cgs", "mgs", "cgs2", "householder"):
        Q, _R = pv.qr(A, mode="economic", method=method)
        loss[method] = np.linalg.norm(np.eye(12) - Q.T @ Q, 1)
    assert loss["cgs"] > 1e-6
    assert loss["mgs"] > 1e-8  # proportional to kappa ~ 1.7e16 * eps, far from eps
    # Orthogonal to working precision: LAPACK's ratio ||I - Q^T Q||_1 / (m u) < THRESH.
    assert loss["cgs2"] < THRESH * 12 * u_of(np.float64)
    assert loss["householder"] < THRESH * 12 * u_of(np.float64)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_qr_object(backend, dtype):
    rng = np.random.default_rng(3)
    A = gallery.randsvd(8, 1e3, 3, dtype=dtype, random_state=rng)
    F = pv.QR(to_backend(A, backend), method="householder")
    b = random_matrix(rng, (8, 2), dtype)
    for trans, op in [(0, A), (1, A.T), (2, A.conj().T)]:
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        r = np.abs(b - op @ x).sum(axis=0).max()
        assert r / (8 * np.abs(A).sum(axis=0).max() * np.abs(x).sum(axis=0).max() * u_of(dtype)) < THRESH
    s_ref, l_ref = np.linalg.slogdet(A.astype(np.complex128))
    sign, _logabs = F.slogdet()
    # QR is exact for A + dA, ||dA|| <= THRESH n u ||A||; det moves by |tr(A^{-1} dA)| <=
    # n kappa THRESH n u relative, which bounds the error of the sign and of log|det|.
    tol = THRESH * 8 * 8 * 1e3 * u_of(dtype)
    np.testing.assert_allclose(complex(to_np(sign)), s_ref, rtol=0, atol=tol)
    assert F.logabsdet == pytest.approx(l_ref, rel=0, abs=tol)
    exact = 1 / np.linalg.cond(np.triu(to_np(F.R)).astype(np.complex128), 1)
    assert exact * 0.3 <= F.rcond() <= exact * 10
    Q = to_np(F.Q)
    x = rng.standard_normal((8, 3)).astype(dtype)
    # Applying the reflectors and multiplying by the formed Q: each THRESH m u ||x|| (xQRT02).
    qtol = 2 * THRESH * 8 * u_of(dtype) * np.linalg.norm(x, 2)
    np.testing.assert_allclose(to_np(F.apply_q(to_backend(x, backend))), Q @ x, rtol=0, atol=qtol)
    np.testing.assert_allclose(
        to_np(F.apply_q(to_backend(x, backend), trans=True)), Q.conj().T @ x, rtol=0, atol=qtol
    )
    assert to_np(F.full_q()).shape == (8, 8)


def test_qr_object_rectangular_lstsq_and_errors():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 5))
    b = rng.standard_normal(30)
    F = pv.QR(A)
    assert_lstsq_close(F.lstsq(b), sl.lstsq(A, b)[0], A, b, np.float64)
    with pytest.raises(ValueError, match="square"):
        F.solve(b)
    with pytest.raises(ValueError, match="QRPivoted"):
        pv.QR(A.T).lstsq(b[:5])
    with pytest.raises(ValueError, match="full"):
        pv.QR(A, method="cholqr2").full_q()
    Z = np.zeros((4, 4))
    with pytest.raises(pv.SingularMatrixError):
        pv.QR(Z).solve(np.ones(4))


@pytest.mark.parametrize(
    "backend,method",
    [("numpy", "auto"), ("numpy", "kernel"), ("numpy", "vendor"), ("torch", "auto"), ("torch", "kernel")],
)
def test_qrpivoted_rank_null_space_orth(backend, method):
    A = gallery.rank_deficient(40, 25, 7, random_state=5)
    F = pv.QRPivoted(to_backend(A, backend), method=method)
    assert F.rank == 7
    N = to_np(F.null_space())
    assert N.shape == (25, 18)
    # ||A N|| is ||R22|| (sigma_8 = 0: rounding, O(u ||A||)) plus QR's backward error.
    u = u_of(np.float64)
    assert np.linalg.norm(A @ N, 2) < THRESH * 40 * u * np.linalg.norm(A, 2)
    np.testing.assert_allclose(N.T @ N, np.eye(18), rtol=0, atol=THRESH * 25 * u)
    O = to_np(F.orth())
    assert O.shape == (40, 7)
    assert reconstruction_ratio(A, O @ (O.T @ A)) < THRESH
    Q, R, p = F
    assert max(_qr_ratios(A[:, to_np(p)], Q, R, np.float64)) < THRESH
    # Minimum-norm least squares equals the pseudo-inverse solution.
    b = np.random.default_rng(6).standard_normal(40)
    assert_lstsq_close(
        to_np(F.lstsq(to_backend(b, backend))), np.linalg.pinv(A) @ b, A, b, np.float64, rank=7
    )


def test_qrpivoted_vendor_on_torch_is_a_clear_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="method='kernel'"):
        pv.QRPivoted(torch.eye(3, dtype=torch.float64), method="vendor")


def test_strong_rrqr_kahan():
    """Plain QRCP misjudges the rank of Kahan(30); strong RRQR with rank=29 does not."""
    A = gallery.kahan(30)
    smin = np.linalg.svd(A, compute_uv=False)[-1]
    plain = pv.QRPivoted(A)
    assert abs(plain.R[29, 29]) > 1000 * smin
    strong = pv.QRPivoted(A, rank_reveal="strong", rank=29)
    assert abs(strong.R[29, 29]) < 10 * smin
    Q, R, P = pv.qr(A, pivoting=True, rank_reveal="strong", rank=29)
    assert abs(R[29, 29]) < 10 * smin
    assert reconstruction_ratio(A[:, P], Q @ R) < THRESH


# --------------------------------------------------------------------------- lstsq


@pytest.mark.parametrize("method", ["auto", "svd", "qr", "qrcp"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lstsq_full_rank_matches_gelsd(method, dtype):
    rng = np.random.default_rng(7)
    A = gallery.randsvd(12, 1e3, 3, m=50, dtype=dtype, random_state=rng)
    b = random_matrix(rng, (50, 2), dtype)
    x, res, rank, s = pv.lstsq(A, b, method=method)
    xs, ress, ranks, ss = sl.lstsq(A, b)
    assert_lstsq_close(x, xs, A, b, dtype)
    # Residuals and singular values of two backward-stable solvers (eps = THRESH m u):
    # ||r|| moves by eps ||b|| (1 + 2 kappa) (Wedin), sigma_i by eps sigma_1 (Weyl).
    eps, kappa = THRESH * 50 * u_of(dtype), 1e3
    rnorm = np.linalg.norm(b - A @ xs, axis=0)
    np.testing.assert_allclose(
        res, ress, rtol=4 * eps * (1 + 2 * kappa) * np.max(np.linalg.norm(b, axis=0) / rnorm)
    )
    assert rank == ranks == 12
    if method in ("auto", "svd"):
        np.testing.assert_allclose(s, ss, rtol=2 * eps * kappa)
    else:
        assert s is None
    assert x.dtype == xs.dtype


@pytest.mark.parametrize("method", ["auto", "svd", "qrcp"])
@pytest.mark.parametrize("shape", [(40, 12), (12, 40), (20, 20)])
def test_lstsq_rank_deficient_minimum_norm(method, shape):
    rng = np.random.default_rng(8)
    A = gallery.rank_deficient(*shape, 5, random_state=rng)
    b = rng.standard_normal(shape[0])
    x, res, rank, _s = pv.lstsq(A, b, method=method, cond=1e-10)
    xs, ress, ranks, _ss = sl.lstsq(A, b, cond=1e-10)
    assert rank == ranks == 5
    assert_lstsq_close(x, xs, A, b, np.float64, rank=5)
    assert np.shape(res) == np.shape(ress) == (0,)


def test_lstsq_conventions():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((6, 3))
    b = rng.standard_normal(6)
    x, res, rank, s = pv.lstsq(A, b)
    _xs, ress, _, _ = sl.lstsq(A, b)
    assert np.shape(res) == np.shape(ress) == ()
    assert res == pytest.approx(ress)
    x, res, rank, s = pv.lstsq(A, b, lapack_driver="gelsy")
    assert s is None
    with pytest.raises(ValueError, match="conflicts"):
        pv.lstsq(A, b, lapack_driver="gelsy", method="svd")
    with pytest.raises(ValueError, match="driver"):
        pv.lstsq(A, b, lapack_driver="gels")
    x, res, rank, s = pv.lstsq(np.empty((0, 3)), np.empty(0))
    assert x.shape == (3,) and rank == 0
    xb = pv.lstsq(rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 1)))[0]
    assert xb.shape == (2, 3, 1)


def test_lstsq_torch_and_jax():
    torch = pytest.importorskip("torch")
    A = np.random.default_rng(10).standard_normal((20, 4))
    b = np.ones(20)
    ref = sl.lstsq(A, b)[0]
    for method in ("auto", "svd", "qr", "qrcp"):
        x = pv.lstsq(torch.from_numpy(A), torch.from_numpy(b), method=method)[0]
        assert isinstance(x, torch.Tensor)
        assert_lstsq_close(x.numpy(), ref, A, b, np.float64)
    jax = pytest.importorskip("jax")
    x = pv.lstsq(jax.numpy.asarray(A, dtype=np.float32), jax.numpy.ones(20, dtype=np.float32))[0]
    assert isinstance(x, jax.Array)


def test_least_squares_error_tracks_kappa_for_qr_and_kappa_squared_for_normal():
    """Forward error of consistent LS problems: slope ~1 (QR) vs ~2 (normal equations)."""
    rng = np.random.default_rng(11)
    kappas = np.logspace(1, 8, 8)
    errs = {"qr": [], "normal": []}
    for kappa in kappas:
        A = gallery.randsvd(15, kappa, 3, m=60, random_state=rng)
        x_true = rng.standard_normal(15)
        b = A @ x_true
        for method in errs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    x = pv.lstsq(A, b, method=method)[0]
                    err = np.linalg.norm(x - x_true) / np.linalg.norm(x_true)
                except pv.LinAlgError:
                    err = 1.0
            errs[method].append(max(err, 1e-17))
    logk = np.log10(kappas)
    slope_qr = np.polyfit(logk, np.log10(errs["qr"]), 1)[0]
    normal = np.log10(np.minimum(errs["normal"], 1.0))
    usable = normal < -1  # before the normal equations saturate at O(1) error
    slope_normal = np.polyfit(logk[usable], normal[usable], 1)[0]
    assert 0.6 < slope_qr < 1.4, errs["qr"]
    assert 1.6 < slope_normal < 2.4, errs["normal"]
    assert all(e < 100 * k * 1.1e-16 for e, k in zip(errs["qr"], kappas, strict=True))


def test_normal_equations_warn():
    A = gallery.randsvd(10, 1e6, 3, m=40, random_state=0)
    with pytest.warns(pv.LinAlgWarning, match="square"):
        pv.lstsq(A, np.ones(40), method="normal")


def test_qr_method_warns_on_rank_deficiency():
    A = gallery.rank_deficient(30, 10, 4, random_state=1)
    with pytest.warns(pv.IllConditionedWarning, match="qrcp"):
        pv.lstsq(A, np.ones(30), method="qr")


# --------------------------------------------------------------------------- rank and subspaces


@pytest.mark.parametrize("method", ["svd", "qrcp"])
def test_matrix_rank(method):
    rng = np.random.default_rng(12)
    for r in (0, 1, 4, 10):
        A = gallery.rank_deficient(20, 10, r, random_state=rng) if r else np.zeros((20, 10))
        assert pv.matrix_rank(A, method=method) == np.linalg.matrix_rank(A) == r
    batch = np.stack([gallery.rank_deficient(8, 6, r, random_state=rng) for r in (2, 3)])
    np.testing.assert_array_equal(pv.matrix_rank(batch, method=method), [2, 3])
    assert pv.matrix_rank(np.ones(3)) == 1
    assert pv.matrix_rank(np.eye(4), tol=2.0) == 0
    with pytest.raises(ValueError, match="both"):
        pv.matrix_rank(np.eye(2), tol=1.0, rtol=1.0)


@pytest.mark.parametrize("method", ["svd", "qrcp"])
def test_null_space_and_orth_match_scipy_dimensions(method):
    rng = np.random.default_rng(13)
    for shape, r in [((10, 6), 3), ((6, 10), 4), ((5, 5), 5)]:
        A = gallery.rank_deficient(*shape, r, random_state=rng)
        N = pv.null_space(A, method=method)
        assert N.shape == sl.null_space(A).shape
        u = u_of(np.float64)
        assert N.size == 0 or np.linalg.norm(A @ N, 2) < THRESH * max(shape) * u * np.linalg.norm(A, 2)
        O = pv.orth(A, method=method)
        assert O.shape == sl.orth(A).shape
        np.testing.assert_allclose(O.T @ O, np.eye(O.shape[1]), rtol=0, atol=THRESH * max(shape) * u)


@pytest.mark.parametrize("backend", BACKENDS)
def test_qr_batched_and_noncontiguous(backend):
    rng = np.random.default_rng(14)
    A = rng.standard_normal((2, 3, 9, 5))
    Q, R = pv.qr(to_backend(A, backend), mode="economic")
    Q, R = to_np(Q), to_np(R)
    assert Q.shape == (2, 3, 9, 5) and R.shape == (2, 3, 5, 5)
    for idx in np.ndindex(2, 3):
        assert reconstruction_ratio(A[idx], Q[idx] @ R[idx]) < THRESH
    Q, R, P = pv.qr(to_backend(A, backend), pivoting=True)
    assert to_np(P).shape == (2, 3, 5)
    strided = rng.standard_normal((20, 12))[::2, ::2]
    Qs, Rs = pv.qr(to_backend(np.ascontiguousarray(strided), backend) if backend == "torch" else strided)
    assert max(_qr_ratios(strided, Qs, Rs, np.float64)) < THRESH
    F = np.asfortranarray(rng.standard_normal((7, 4)))
    Qf, Rf = pv.qr(F, mode="economic", method="householder", block_size=2)
    assert max(_qr_ratios(F, Qf, Rf, np.float64)) < THRESH


def test_qr_bad_arguments():
    A = np.eye(3)
    with pytest.raises(ValueError, match="mode"):
        pv.qr(A, mode="thin")
    with pytest.raises(ValueError, match="pivoting=True"):
        pv.qr(A, rank_reveal="strong")
    with pytest.raises(ValueError, match="Householder"):
        pv.qr(A, mode="full", method="cholqr2")
    with pytest.raises(ValueError, match="method"):
        pv.qr(A, method="lapack")
    with pytest.raises(ValueError, match="block_size"):
        pv.qr(A, mode="economic", method="mgs", block_size=4)
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.qr(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="lwork"):
        pv.qr(A, lwork=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_qr_object_lstsq_warns_on_rank_deficiency_like_lstsq(backend):
    """Issue #11: QR(A).lstsq(b) returned ||x|| ~ 4e16 silently where lstsq(method="qr") warns."""
    A = gallery.rank_deficient(30, 10, 4, random_state=1)
    b = np.ones(30)
    with pytest.warns(pv.IllConditionedWarning) as rec:
        x = pv.QR(to_backend(A, backend)).lstsq(to_backend(b, backend))
    ours = [w.message for w in rec if isinstance(w.message, pv.LinAlgWarning)]
    assert len(ours) == 1 and ours[0].rcond < 2 * u_of(np.float64) and "QRPivoted" in str(ours[0])
    assert np.linalg.norm(to_np(x)) > 1e10  # what the warning is about
    with pytest.warns(pv.IllConditionedWarning) as rec:
        pv.lstsq(A, b, method="qr")
    assert len([w for w in rec if issubclass(w.category, pv.LinAlgWarning)]) == 1  # not twice
    # The remedy it names gives the minimum-norm solution, silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x_min = pv.QRPivoted(A).lstsq(b)
        x_full = pv.QR(gallery.randsvd(10, 1e3, m=30, random_state=2)).lstsq(b)  # full rank: quiet
    np.testing.assert_allclose(x_min, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-10)
    assert np.all(np.isfinite(x_full))


def test_qrpivoted_square_solve_and_det_apply_the_permutation():
    """QRPivoted.solve ignored the column permutation (and det its sign)."""
    rng = np.random.default_rng(8)
    for _ in range(5):
        A = rng.standard_normal((6, 6))
        b = rng.standard_normal(6)
        F = pv.QRPivoted(A)
        assert solve_residual_ratio(A, F.solve(b), b) < THRESH
        assert solve_residual_ratio(A.T, F.solve(b, trans=1), b) < THRESH
        assert float(F.det()) == pytest.approx(np.linalg.det(A), rel=1e-12)
    # A numerically singular square matrix: the solve warns (R11's rcond alone looked fine).
    A = gallery.rank_deficient(6, 6, 3, random_state=3)
    F = pv.QRPivoted(A)
    assert F.rank == 3 and F.rcond() > 1e-3
    with pytest.warns(pv.IllConditionedWarning):
        F.solve(np.ones(6))
