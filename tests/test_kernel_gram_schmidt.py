"""Gram-Schmidt kernels: LAPACK-style ratios, the textbook loss-of-orthogonality facts,
dependent columns."""

from __future__ import annotations

import numpy as np
import pytest

from pivotal import gallery
from pivotal.kernels.gram_schmidt import cgs, cgs2, mgs

from .helpers import BACKENDS, DTYPES, THRESH, norm1, to_backend, to_np, torch, u_of

METHODS = {"cgs": cgs, "mgs": mgs, "cgs2": cgs2}
SHAPES = [(2000, 50), (300, 7), (12, 12), (5, 1)]


def qr_ratios(a: np.ndarray, q: np.ndarray, r: np.ndarray, dtype) -> tuple[float, float]:
    """``||A - QR||_1 / (m ||A||_1 u)`` and ``||I - Q^H Q||_1 / (m u)`` in extended precision."""
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(q) else np.float64
    a, q, r = (np.asarray(x, dtype=wide) for x in (a, q, r))
    m, k = q.shape
    u = u_of(dtype)
    anorm = norm1(a)
    resid = norm1(a - q @ r) / (max(m, 1) * anorm * u) if anorm else 0.0
    orth = norm1(np.eye(k) - q.conj().T @ q) / (max(m, 1) * u)
    return resid, orth


def orth_error(q) -> float:
    q = np.asarray(to_np(q), dtype=np.complex128)
    return float(np.linalg.norm(np.eye(q.shape[1]) - q.conj().T @ q, 2))


def _noncontiguous(x: np.ndarray, backend: str):
    """A strided (non-contiguous) view holding ``x``'s values."""
    big = np.zeros((x.shape[0], 2 * x.shape[1]), dtype=x.dtype)
    big[:, ::2] = x
    if backend == "torch":
        t = torch.from_numpy(big)[:, ::2]
        assert not t.is_contiguous()
        return t
    v = big[:, ::2]
    assert not v.flags.c_contiguous and not v.flags.f_contiguous
    return v


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(METHODS))
def test_ratios_backends_dtypes_shapes(backend, dtype, name):
    """Residual always O(u); orthogonality O(u) on well-conditioned matrices (cond = 10)."""
    f = METHODS[name]
    rng = np.random.default_rng(0)
    for m, n in SHAPES:
        A = gallery.randsvd(n, 10.0, m=m, dtype=dtype, random_state=rng)
        for contiguous in (True, False):
            Ain = to_backend(A, backend) if contiguous else _noncontiguous(A, backend)
            before = to_np(Ain).copy()
            Q, R = f(Ain)
            assert type(Q) is type(Ain) and type(R) is type(Ain)
            assert Q.dtype == Ain.dtype and R.dtype == Ain.dtype
            assert tuple(Q.shape) == (m, n) and tuple(R.shape) == (n, n)
            np.testing.assert_array_equal(to_np(Ain), before)  # input untouched
            q, r = to_np(Q), to_np(R)
            resid, orth = qr_ratios(A, q, r, dtype)
            assert resid < THRESH, (name, m, n, resid)
            assert orth < THRESH, (name, m, n, orth)
            np.testing.assert_array_equal(np.tril(r, -1), 0)
            d = np.diag(r)
            assert np.all(d.real > 0) and np.all(d.imag == 0)


def test_hilbert_cgs_loses_orthogonality_cgs2_and_householder_do_not():
    """The textbook experiment on Hilbert(12) (cond ~ 1.7e16)."""
    H = gallery.hilbert(12)
    u = u_of(np.float64)
    q_cgs, r_cgs = cgs(H)
    q_mgs, _ = mgs(H)
    q_cgs2, r_cgs2 = cgs2(H)
    q_hh, _ = np.linalg.qr(H)  # Householder (LAPACK geqrf/orgqr) as the reference
    assert orth_error(q_cgs) > 1e-2  # >> 1e-6: CGS has lost orthogonality completely
    assert orth_error(q_mgs) > 1e-6  # MGS: ~ u cond(H), also lost here
    # LAPACK's ratio ||I - Q^H Q|| / (m u) < THRESH (the 2-norm is below the 1-norm); for
    # CGS2 the theorem needs cond(H) u < 1 (here ~2), so this is the textbook observation.
    assert orth_error(q_cgs2) < THRESH * 12 * u
    assert orth_error(q_hh) < THRESH * 12 * u
    for q, r in ((q_cgs, r_cgs), (q_cgs2, r_cgs2)):
        assert qr_ratios(H, q, r, np.float64)[0] < THRESH


def test_mgs_loses_orthogonality_in_proportion_to_cond():
    """log ||I - Q^T Q|| against log cond(A) has slope ~1 for MGS, ~2 for CGS, ~0 for CGS2."""
    kappas = np.logspace(2, 10, 9)
    errs = {name: [] for name in METHODS}
    for kappa in kappas:
        A = gallery.randsvd(30, kappa, m=200, random_state=int(np.log10(kappa)))
        for name, f in METHODS.items():
            errs[name].append(orth_error(f(A)[0]))
    x = np.log10(kappas)
    slope_mgs = np.polyfit(x, np.log10(errs["mgs"]), 1)[0]
    assert 0.85 < slope_mgs < 1.15, slope_mgs
    # CGS: ~cond^2 while cond^2 u < 1, so fit over the first part only.
    slope_cgs = np.polyfit(x[:4], np.log10(errs["cgs"][:4]), 1)[0]
    assert 1.6 < slope_cgs < 2.6, slope_cgs
    assert max(errs["cgs2"]) < 50 * u_of(np.float64)
    # MGS's error is also bounded by a modest multiple of u cond(A).
    assert all(e < 1e3 * u_of(np.float64) * k for e, k in zip(errs["mgs"], kappas, strict=True))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_dependent_columns_give_zero_diagonal_and_orthonormal_q(backend, name, dtype):
    rng = np.random.default_rng(3)
    B = gallery.randsvd(4, 10.0, m=40, dtype=dtype, random_state=rng)
    # columns: b0, 0, b1, 2*b0 + b1 (dependent up to one rounding), b2, b0 (copy), b3
    A = np.stack([B[:, 0], 0 * B[:, 0], B[:, 1], 2 * B[:, 0] + B[:, 1], B[:, 2], B[:, 0], B[:, 3]], axis=1)
    Q, R = METHODS[name](to_backend(A, backend))
    q, r = to_np(Q), to_np(R)
    d = np.abs(np.diag(r))
    for j in (1, 3, 5):
        assert d[j] == 0.0, (j, d)
    assert np.all(d[[0, 2, 4, 6]] > 0.1)
    resid, orth = qr_ratios(A, q, r, dtype)
    assert resid < THRESH and orth < THRESH
    assert np.allclose(np.linalg.norm(q, axis=0), 1.0)


@pytest.mark.parametrize("name", list(METHODS))
def test_zero_matrix_and_empty(name):
    f = METHODS[name]
    Q, R = f(np.zeros((6, 3)))
    np.testing.assert_array_equal(R, 0)
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), rtol=0, atol=THRESH * 6 * u_of(np.float64))
    Q, R = f(np.zeros((0, 0)))
    assert Q.shape == (0, 0) and R.shape == (0, 0)
    Q, R = f(np.ones((5, 0)))
    assert Q.shape == (5, 0) and R.shape == (0, 0)


@pytest.mark.parametrize("name", list(METHODS))
def test_errors_and_dtype_promotion(name):
    f = METHODS[name]
    with pytest.raises(ValueError, match="at least as many rows"):
        f(np.ones((2, 3)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        f(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="2-D array"):
        f(np.ones(3))
    Q, R = f(np.array([[3, 1], [4, 2], [0, 2]]))  # integers -> float64
    assert Q.dtype == np.float64 and R[0, 0] == 5.0
    Q, R = f(np.array([[3, 1], [4, 2], [0, 2]], dtype=np.float16))
    assert Q.dtype == np.float32
