"""CholeskyQR variants: ratios, the conditioning limits the papers prove, failures that
raise instead of returning a non-orthogonal Q, reproducible randomization."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery
from pivotal.kernels import cholqr as cholqr_module
from pivotal.kernels.cholqr import (
    cholesky_qr,
    cholesky_qr2,
    default_shift,
    rand_cholesky_qr,
    shifted_cholesky_qr3,
)

from .helpers import BACKENDS, DTYPES, THRESH, to_backend, to_np, torch, u_of
from .test_kernel_gram_schmidt import _noncontiguous, orth_error, qr_ratios


def _rand(a, **kw):
    return rand_cholesky_qr(a, random_state=kw.pop("random_state", 7), **kw)


METHODS = {
    "cholesky_qr2": cholesky_qr2,
    "shifted_cholesky_qr3": shifted_cholesky_qr3,
    "rand_cholesky_qr": _rand,
}
SHAPES = [(2000, 50), (300, 7), (12, 12), (5, 1)]


def _single(dtype) -> bool:
    return np.dtype(dtype) in (np.float32, np.complex64)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(METHODS))
def test_ratios_backends_dtypes_shapes(backend, dtype, name):
    f = METHODS[name]
    rng = np.random.default_rng(0)
    kappa = 100.0 if _single(dtype) else 1e5
    for m, n in SHAPES:
        A = gallery.randsvd(n, kappa, m=m, dtype=dtype, random_state=rng)
        for contiguous in (True, False):
            Ain = to_backend(A, backend) if contiguous else _noncontiguous(A, backend)
            before = to_np(Ain).copy()
            Q, R = f(Ain)
            assert type(Q) is type(Ain) and Q.dtype == Ain.dtype and R.dtype == Ain.dtype
            assert tuple(Q.shape) == (m, n) and tuple(R.shape) == (n, n)
            np.testing.assert_array_equal(to_np(Ain), before)
            q, r = to_np(Q), to_np(R)
            resid, orth = qr_ratios(A, q, r, dtype)
            assert resid < THRESH and orth < THRESH, (name, m, n, resid, orth)
            np.testing.assert_array_equal(np.tril(r, -1), 0)
            d = np.diag(r)
            assert np.all(d.real > 0) and np.all(d.imag == 0)


@pytest.mark.parametrize("name", list(METHODS))
def test_matches_householder_with_positive_diagonal(name):
    A = gallery.randsvd(20, 1e4, m=400, dtype=np.complex128, random_state=1)
    q_ref, r_ref = np.linalg.qr(A)
    ph = np.diag(r_ref) / np.abs(np.diag(r_ref))
    q_ref, r_ref = q_ref * ph, ph.conj()[:, None] * r_ref
    q, r = METHODS[name](A)
    assert np.linalg.norm(r - r_ref) <= 1e4 * 1e4 * u_of(np.float64) * np.linalg.norm(r_ref)
    assert np.linalg.norm(q - q_ref) <= 1e4 * 1e4 * u_of(np.float64)


def _orthogonal_to_working_precision(q, dtype=np.float64) -> bool:
    """``||I - Q^H Q||_2 < THRESH n u``: orthogonal to working precision, independently of ``m``.

    The rigorous bounds for CholeskyQR2 and its shifted and randomized variants carry
    ``m n u`` (Yamamoto et al. 2015; qr_ratios checks LAPACK's ``m u`` ratio beside this),
    but the Gram matrix's rounding does not grow with ``m`` in practice: the property the
    tests claim is the ``n``-scaled LAPACK-style ratio, never a constant fitted to one machine.
    """
    return orth_error(q) < THRESH * q.shape[1] * u_of(dtype)


def test_one_pass_loses_orthogonality_like_cond_squared():
    """The baseline CholeskyQR2 repairs: one pass gives ||I - Q^T Q|| ~ u cond(A)^2."""
    u = u_of(np.float64)
    for kappa in (1e3, 1e5, 1e7):
        A = gallery.randsvd(30, kappa, m=1000, random_state=2)
        e1 = orth_error(cholesky_qr(A)[0])
        assert 1e-2 * u * kappa**2 < e1 < 1e2 * u * kappa**2
        assert _orthogonal_to_working_precision(cholesky_qr2(A)[0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_cholesky_qr2_orthogonal_up_to_1e7_and_raises_at_1e9(backend, dtype):
    for kappa in (1e2, 1e5, 1e7):
        for mode in (2, 3, 5):
            A = gallery.randsvd(50, kappa, mode=mode, m=2000, dtype=dtype, random_state=mode)
            Q, R = cholesky_qr2(to_backend(A, backend))
            q, r = to_np(Q), to_np(R)
            assert _orthogonal_to_working_precision(q, dtype), (kappa, mode)
            resid, orth = qr_ratios(A, q, r, dtype)
            assert resid < THRESH and orth < THRESH
    A = gallery.randsvd(50, 1e9, mode=3, m=2000, dtype=dtype, random_state=0)
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        cholesky_qr2(to_backend(A, backend))
    msg = str(err.value)
    assert "too ill-conditioned" in msg and "shifted_cholesky_qr3" in msg and "Householder" in msg
    assert 0 <= err.value.index < 50
    assert isinstance(err.value, np.linalg.LinAlgError)


def test_cholesky_qr2_never_returns_a_non_orthogonal_q_near_its_limit():
    """Around cond ~ u^{-1/2} every outcome is either O(u)-orthogonal or an exception."""
    raised = 0
    for kappa in (3e8, 1e9, 5e9):
        for mode in (1, 2, 3, 5):
            for seed in range(2):
                A = gallery.randsvd(40, kappa, mode=mode, m=800, random_state=seed)
                try:
                    q, _ = cholesky_qr2(A)
                except pv.NotPositiveDefiniteError:
                    raised += 1
                    continue
                assert _orthogonal_to_working_precision(q), (kappa, mode, seed)
    assert raised > 0


def test_intermediate_check_raises_with_index(monkeypatch):
    """When the first pass leaves cond(Q_1) above the limit, the second pass is refused."""
    A = gallery.randsvd(30, 3e8, mode=3, m=600, random_state=0)
    q1, _ = cholesky_qr(A)
    s = np.linalg.svd(q1, compute_uv=False)
    cond_q1 = s[0] / s[-1]
    assert cond_q1 > 1.1  # the first pass did lose orthogonality
    monkeypatch.setattr(cholqr_module, "_MAX_INTERMEDIATE_COND", 1.0 + (cond_q1 - 1) / 2)
    with pytest.raises(pv.NotPositiveDefiniteError, match="too far from orthonormal") as err:
        cholesky_qr2(A)
    assert 0 <= err.value.index < 30


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_shifted_cholesky_qr3_handles_cond_1e12(backend, dtype):
    u = u_of(dtype)
    for kappa in (1e4, 1e10, 1e12):
        A = gallery.randsvd(50, kappa, m=2000, dtype=dtype, random_state=4)
        if kappa == 1e12:
            with pytest.raises(pv.NotPositiveDefiniteError):
                cholesky_qr2(A)
        Q, R = shifted_cholesky_qr3(to_backend(A, backend))
        q, r = to_np(Q), to_np(R)
        assert _orthogonal_to_working_precision(q, dtype), kappa
        resid, orth = qr_ratios(A, q, r, dtype)
        assert resid < THRESH and orth < THRESH, (kappa, resid, orth)
        anorm = np.linalg.norm(A, 2)
        assert np.linalg.norm(A - q @ r, 2) < 50 * u * anorm


def test_shifted_cholesky_qr3_single_precision_and_shift_argument():
    A = gallery.randsvd(20, 1e5, m=500, dtype=np.float32, random_state=5)
    q, r = shifted_cholesky_qr3(A)
    resid, orth = qr_ratios(A, q, r, np.float32)
    assert resid < THRESH and orth < THRESH
    m, n = A.shape
    expected = 11 * (m * n + n * (n + 1)) * u_of(np.float32) * np.linalg.norm(A.astype(np.float64)) ** 2
    assert default_shift(A) == pytest.approx(expected, rel=1e-5)
    B = gallery.randsvd(20, 1e3, m=500, random_state=6)
    q0, r0 = shifted_cholesky_qr3(B, shift=0.0)  # no shift: CholeskyQR3
    q1, r1 = shifted_cholesky_qr3(B, shift=1e-3)
    for q, r in ((q0, r0), (q1, r1)):
        resid, orth = qr_ratios(B, q, r, np.float64)
        assert resid < THRESH and orth < THRESH
    for bad in (-1.0, np.nan, np.inf, "x"):
        with pytest.raises(ValueError, match="shift"):
            shifted_cholesky_qr3(B, shift=bad)


def test_shifted_cholesky_qr3_gives_up_beyond_1_over_u():
    A = gallery.randsvd(30, 1e17, m=600, random_state=7)
    with pytest.raises(pv.NotPositiveDefiniteError, match="Householder"):
        shifted_cholesky_qr3(A)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_rand_cholesky_qr_orthogonal_up_to_1e12(backend, dtype):
    for kappa in (1e2, 1e8, 1e12):
        A = gallery.randsvd(50, kappa, m=2000, dtype=dtype, random_state=8)
        Q, R = rand_cholesky_qr(to_backend(A, backend), random_state=1)
        q, r = to_np(Q), to_np(R)
        assert _orthogonal_to_working_precision(q, dtype), kappa
        resid, orth = qr_ratios(A, q, r, dtype)
        assert resid < THRESH and orth < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
def test_rand_cholesky_qr_is_reproducible(backend):
    A = to_backend(gallery.randsvd(10, 1e6, m=300, random_state=9), backend)
    q1, r1 = rand_cholesky_qr(A, random_state=123)
    q2, r2 = rand_cholesky_qr(A, random_state=123)
    np.testing.assert_array_equal(to_np(q1), to_np(q2))
    np.testing.assert_array_equal(to_np(r1), to_np(r2))
    # Generators are consumed, so equal seeds give equal results as well.
    q3, _ = rand_cholesky_qr(A, random_state=np.random.default_rng(5))
    q4, _ = rand_cholesky_qr(A, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(to_np(q3), to_np(q4))
    q5, _ = rand_cholesky_qr(A, random_state=torch.Generator().manual_seed(5))
    q6, _ = rand_cholesky_qr(A, random_state=torch.Generator().manual_seed(5))
    np.testing.assert_array_equal(to_np(q5), to_np(q6))
    # Different sketches give the same factorization up to rounding: Q (positive diag(R)) is
    # unique, and moves by kappa(A) times the backward error THRESH m u of each.
    a_np = to_np(A)
    tol = 2 * THRESH * a_np.shape[0] * u_of(np.float64) * np.linalg.cond(a_np)
    np.testing.assert_allclose(to_np(q1), to_np(q3), rtol=0, atol=tol)
    q7, _ = rand_cholesky_qr(A)  # fresh entropy is accepted too
    assert _orthogonal_to_working_precision(to_np(q7))


def test_rand_cholesky_qr_sketch_size_and_second_pass():
    A = gallery.randsvd(40, 1e10, m=3000, random_state=10)
    # sketch_size == n: a square Gaussian sketch embeds range(A) poorly, so
    # cond(A R_0^{-1}) is large and the repairing second pass is needed.
    for s in (40, 41, 80, 400, 3000, 5000):
        q, r = rand_cholesky_qr(A, sketch_size=s, random_state=3)
        resid, orth = qr_ratios(A, q, r, np.float64)
        assert resid < THRESH and orth < THRESH, s
        assert _orthogonal_to_working_precision(q), s
    with pytest.raises(ValueError, match="sketch_size"):
        rand_cholesky_qr(A, sketch_size=39)
    with pytest.raises(ValueError, match="sketch_size"):
        rand_cholesky_qr(A, sketch_size=50.5)
    with pytest.raises(TypeError, match="random_state"):
        rand_cholesky_qr(A, random_state="seed")
    with pytest.raises(TypeError, match="random_state"):
        rand_cholesky_qr(A, random_state=True)
    with pytest.raises(ValueError, match="random_state"):
        rand_cholesky_qr(A, random_state=-1)


@pytest.mark.parametrize("name", list(METHODS))
def test_rank_deficient_raises(name):
    rng = np.random.default_rng(11)
    A = rng.standard_normal((100, 6))
    A[:, 3] = 0.0
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        METHODS[name](A)
    assert "rank deficient" in str(err.value)
    # Dependent up to rounding (cond ~ 1e16): raising is allowed, and so is an
    # accurate factorization whose R reveals the dependency, as Householder's does.
    B = rng.standard_normal((100, 6))
    B[:, 4] = B[:, 0] + 2 * B[:, 1]
    try:
        q, r = METHODS[name](B)
    except pv.NotPositiveDefiniteError:
        return
    resid, orth = qr_ratios(B, q, r, np.float64)
    assert resid < THRESH and orth < THRESH
    # column 4 is dependent up to one rounding per entry: R[4, 4] is rounding, O(m u ||B||)
    assert abs(r[4, 4]) < THRESH * B.shape[0] * u_of(np.float64) * np.linalg.norm(B, 2)


@pytest.mark.parametrize("name", list(METHODS) + ["cholesky_qr"])
def test_errors_empty_and_promotion(name):
    f = METHODS.get(name, cholesky_qr)
    with pytest.raises(ValueError, match="at least as many rows"):
        f(np.ones((2, 3)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        f(np.array([[1.0], [np.nan]]))
    q, r = f(np.ones((4, 0)))
    assert q.shape == (4, 0) and r.shape == (0, 0)
    q, r = f(np.zeros((0, 0)))
    assert q.shape == (0, 0) and r.shape == (0, 0)
    q, r = f(np.array([[3, 1], [4, 2], [0, 2]]))
    assert q.dtype == np.float64 and r[0, 0] == pytest.approx(5.0)
    if torch is not None:
        t = torch.tensor([[3.0, 1.0], [4.0, 2.0], [0.0, 2.0]], dtype=torch.float16)
        q, r = f(t)
        assert q.dtype == torch.float32


# --------------------------------------------------------------------------- overwrite_a


def _shares(a, b) -> bool:
    if torch is not None and isinstance(a, torch.Tensor):
        return a.data_ptr() == b.data_ptr()
    return np.shares_memory(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("func", [cholesky_qr, cholesky_qr2])
def test_overwrite_a_computes_q_in_place(backend, func):
    if backend == "torch" and torch is None:
        pytest.skip("torch not installed")
    A = gallery.randsvd(12, 1e3, m=400, random_state=3)
    a = to_backend(A.copy(), backend)
    Q, R = func(a, overwrite_a=True)
    assert _shares(Q, a)  # no m x n copy
    Q2, R2 = func(A)  # the default copies and gives the same factors
    # Equal to rounding (BLAS may round differently for other addresses); one
    # pass amplifies that by cond(A)^2 = 1e6.
    tol = 1e-13 if func is cholesky_qr2 else 1e-8
    assert np.allclose(to_np(Q), to_np(Q2), rtol=0, atol=tol)
    assert np.allclose(to_np(R), to_np(R2), rtol=tol, atol=0)
    ratios = qr_ratios(A, to_np(Q), to_np(R), np.float64)
    assert (max(ratios) if func is cholesky_qr2 else ratios[0]) < THRESH


@pytest.mark.parametrize("func", [cholesky_qr, cholesky_qr2])
def test_overwrite_a_copies_what_it_cannot_use(func):
    A = gallery.randsvd(12, 1e3, m=400, random_state=3)
    for a in (np.asfortranarray(A), (1000 * A).astype(np.int64), _noncontiguous(A, "numpy")):
        before = np.array(a, copy=True)
        Q, _ = func(a, overwrite_a=True)
        assert not np.shares_memory(Q, a)
        assert np.array_equal(a, before)
    ro = A.copy()
    ro.setflags(write=False)
    Q, _ = func(ro, overwrite_a=True)
    assert not np.shares_memory(Q, ro) and np.array_equal(ro, A)


def test_overwrite_a_failure_of_one_pass_leaves_a_intact():
    A = gallery.randsvd(12, 1e12, m=400, random_state=3)
    a = A.copy()
    with pytest.raises(pv.NotPositiveDefiniteError):
        cholesky_qr(a, overwrite_a=True)
    assert np.array_equal(a, A)
