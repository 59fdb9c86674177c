"""Householder QR kernels: LAPACK-style ratios, conventions, variants, vendor interop."""

from __future__ import annotations

import numpy as np
import pytest

from pivotal import gallery
from pivotal._backends import numpy as np_backend
from pivotal._backends import torch as torch_backend
from pivotal.kernels.householder import (
    apply_q,
    form_q,
    geqr2,
    geqrf_blocked,
    geqrf_recursive,
    householder_qr,
    larfb,
    larfg,
    larft,
)

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    norm1,
    orth_ratio,
    random_matrix,
    reconstruction_ratio,
    to_backend,
    to_np,
    torch,
    u_of,
    widen,
)

SIZES = [0, 1, 2, 3, 5, 10, 50]
RECT = [(5, 3), (3, 5), (50, 10), (10, 50), (1, 4), (4, 1), (0, 3), (3, 0)]
BLOCKS = [None, 1, 3]


def _r(qr):
    k = min(qr.shape)
    return np.triu(to_np(qr)[:k])


def diff_ratio(x, y, dtype, scale=1.0) -> float:
    """``||x - y||_1 / (m * scale * u)`` for two versions of one matrix."""
    x, y = widen(to_np(x)), widen(to_np(y))
    if x.size == 0:
        return 0.0
    return norm1(x - y) / (max(x.shape) * scale * u_of(dtype))


def factor(A, backend, block_size=None):
    qr = to_backend(A.copy(), backend)
    tau = householder_qr(qr, block_size)
    return qr, tau


# --------------------------------------------------------------------------- ratios


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "backend,block_size", [("numpy", b) for b in BLOCKS] + [("torch", None), ("torch", 1)]
)
def test_qr_ratios(backend, dtype, block_size):
    rng = np.random.default_rng(0)
    shapes = [(n, n) for n in SIZES] + RECT
    for shape in shapes:
        A = random_matrix(rng, shape, dtype)
        qr, tau = factor(A, backend, block_size)
        m, n = shape
        k = min(m, n)
        assert tuple(tau.shape) == (k,) and tau.dtype == qr.dtype
        Q = form_q(qr, tau)
        assert tuple(Q.shape) == (m, k)
        assert reconstruction_ratio(A, widen(to_np(Q)) @ _r(qr), dtype) < THRESH, shape
        assert orth_ratio(Q, dtype) < THRESH, shape
        Qfull = form_q(qr, tau, m)
        assert orth_ratio(Qfull, dtype) < THRESH, shape
        assert diff_ratio(to_np(Qfull)[:, :k], Q, dtype) < THRESH, shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_qr_ratios_gallery_types(dtype):
    """All LAPACK-style matrix types (near under/overflow included), two sizes."""
    for name, make in sorted(gallery.MATRIX_TYPES.items()):
        for n in (7, 40):
            A = make(n, dtype, np.random.default_rng(n))
            qr, tau = factor(A, "numpy")
            Q = form_q(qr, tau)
            assert reconstruction_ratio(A, widen(Q) @ _r(qr), dtype) < THRESH, (name, n)
            assert orth_ratio(Q, dtype) < THRESH, (name, n)


@pytest.mark.parametrize(
    "backend,dtype",
    [("numpy", np.float64), ("numpy", np.complex64), ("torch", np.float32), ("torch", np.complex128)],
)
@pytest.mark.parametrize("shape", [(100, 45), (45, 100), (70, 70)])
def test_recursive_and_blocked_paths_with_many_panels(backend, dtype, shape):
    """Small panels and leaves force every branch of the recursive and blocked code."""
    rng = np.random.default_rng(3)
    A = random_matrix(rng, shape, dtype)
    for run in (
        lambda a: geqrf_recursive(a, block_size=16, leaf=2),
        lambda a: geqrf_recursive(a, block_size=37, leaf=5),
        lambda a: geqrf_blocked(a, 12),
        householder_qr,
    ):
        qr = to_backend(A.copy(), backend)
        tau = run(qr)
        Q = form_q(qr, tau)
        assert reconstruction_ratio(A, widen(to_np(Q)) @ _r(qr), dtype) < THRESH
        assert orth_ratio(Q, dtype) < THRESH


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(60, 40), (40, 60), (33, 33)])
def test_variants_agree_to_roundoff(dtype, shape):
    """Unblocked, blocked and recursive compute the same reflectors (same conventions)."""
    rng = np.random.default_rng(5)
    A = random_matrix(rng, shape, dtype)
    anorm = norm1(A)
    ref = A.copy()
    tau_ref = geqr2(ref)
    for run in (
        lambda a: geqrf_blocked(a, 4),
        lambda a: geqrf_recursive(a, 8, 3),
        householder_qr,
    ):
        qr = A.copy()
        tau = run(qr)
        assert diff_ratio(_r(qr), _r(ref), dtype, anorm) < THRESH
        assert diff_ratio(np.tril(qr, -1), np.tril(ref, -1), dtype) < THRESH
        assert np.abs(widen(tau) - widen(tau_ref)).max() < THRESH * u_of(dtype) * max(shape)


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block_size", BLOCKS)
def test_torch_agrees_with_numpy(dtype, block_size):
    rng = np.random.default_rng(6)
    A = random_matrix(rng, (30, 20), dtype)
    qn, tn = factor(A, "numpy", block_size)
    qt, tt = factor(A, "torch", block_size)
    assert isinstance(qt, torch.Tensor) and isinstance(tt, torch.Tensor)
    assert diff_ratio(qt, qn, dtype, norm1(A)) < THRESH
    assert np.abs(widen(to_np(tt)) - widen(tn)).max() < THRESH * u_of(dtype) * 30


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_non_contiguous_views_are_factored_in_place(backend, dtype):
    rng = np.random.default_rng(7)
    A = random_matrix(rng, (13, 9), dtype)
    for make in ("strided", "fortran"):
        if make == "strided":
            big = np.zeros((26, 27), dtype=dtype)
            big[::2, ::3] = A
            big = to_backend(big, backend)
            view = big[::2, ::3]
        else:
            big = to_backend(np.ascontiguousarray(A.T), backend)
            view = big.T
        tau = householder_qr(view)
        Q = form_q(view, tau)
        assert reconstruction_ratio(A, widen(to_np(Q)) @ _r(view), dtype) < THRESH
        if make == "strided":
            untouched = to_np(big).copy()
            untouched[::2, ::3] = 0
            assert not untouched.any()
        # applying Q to a strided right-hand side
        c = to_backend(np.zeros((13, 8), dtype=dtype), backend)[:, ::2]
        c[...] = to_backend(np.ascontiguousarray(A[:, :4]), backend)
        apply_q(view, tau, c, trans=True)
        expected = widen(to_np(Q)).conj().T @ A[:, :4]
        assert diff_ratio(to_np(c)[:9], expected, dtype, norm1(A)) < THRESH


# --------------------------------------------------------------------------- apply_q / form_q


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(12, 7), (7, 12), (9, 9), (1, 1), (30, 3)])
def test_apply_q_matches_form_q(backend, dtype, shape):
    """``apply_q(I)`` (every side/trans/block size) equals the explicit full ``Q``."""
    rng = np.random.default_rng(8)
    A = random_matrix(rng, shape, dtype)
    qr, tau = factor(A, backend)
    m = shape[0]
    Q = widen(to_np(form_q(qr, tau, m)))
    for block_size in (None, 1, 2):
        Qb = form_q(qr, tau, m, block_size=block_size)
        assert diff_ratio(Qb, Q, dtype) < THRESH
        for side in ("left", "right"):
            for trans in (False, True):
                eye = to_backend(np.eye(m, dtype=dtype), backend)
                out = apply_q(qr, tau, eye, side=side, trans=trans, block_size=block_size)
                assert out is eye
                expected = Q.conj().T if trans else Q
                assert diff_ratio(out, expected, dtype) < THRESH, (side, trans, block_size)


@pytest.mark.parametrize("dtype", DTYPES)
def test_apply_q_to_rectangular_c(dtype):
    rng = np.random.default_rng(9)
    A = random_matrix(rng, (20, 8), dtype)
    qr, tau = factor(A, "numpy")
    Q = widen(form_q(qr, tau, 20))
    C = random_matrix(rng, (20, 5), dtype)
    D = random_matrix(rng, (6, 20), dtype)
    cn = norm1(C) + norm1(D)
    assert diff_ratio(apply_q(qr, tau, C.copy()), Q @ C, dtype, cn) < THRESH
    assert diff_ratio(apply_q(qr, tau, C.copy(), trans=True), Q.conj().T @ C, dtype, cn) < THRESH
    assert diff_ratio(apply_q(qr, tau, D.copy(), side="right"), D @ Q, dtype, cn) < THRESH
    right_h = apply_q(qr, tau, D.copy(), side="right", trans=True)
    assert diff_ratio(right_h, D @ Q.conj().T, dtype, cn) < THRESH
    # Q^H A = [R; 0]
    QhA = apply_q(qr, tau, A.copy(), trans=True)
    assert diff_ratio(QhA[:8], _r(qr), dtype, norm1(A)) < THRESH
    assert np.abs(QhA[8:]).max() < THRESH * 20 * u_of(dtype) * norm1(A)


def test_form_q_fewer_columns_and_errors():
    rng = np.random.default_rng(10)
    A = rng.standard_normal((8, 5))
    qr, tau = factor(A, "numpy")
    Q = form_q(qr, tau, 8)
    for ncols in (0, 2, 5, 6, 8):
        # the same reflectors applied to fewer columns of I: each within THRESH m u of exact
        np.testing.assert_allclose(
            form_q(qr, tau, ncols), Q[:, :ncols], rtol=0, atol=2 * THRESH * 8 * u_of(np.float64)
        )
    with pytest.raises(ValueError, match="ncols must satisfy"):
        form_q(qr, tau, 9)
    with pytest.raises(ValueError, match="ncols must satisfy"):
        form_q(qr, tau, -1)
    with pytest.raises(ValueError, match="c has shape"):
        apply_q(qr, tau, np.eye(7))
    with pytest.raises(ValueError, match="side must be"):
        apply_q(qr, tau, np.eye(8), side="middle")
    for bad in (0, -2, 2.5, "4"):
        with pytest.raises(ValueError, match="block_size must be a positive integer"):
            householder_qr(A.copy(), bad)


# --------------------------------------------------------------------------- larfg, larft, larfb


def _reflect(alpha, x, dtype):
    xv = np.array(x, dtype=dtype)
    beta, tau = larfg(alpha, xv)
    v = np.concatenate([[1.0], xv]).astype(np.complex128)
    y = np.concatenate([[alpha], np.asarray(x)]).astype(np.complex128)
    H = np.eye(v.shape[0]) - tau * np.outer(v, v.conj())
    return beta, tau, H, y


@pytest.mark.parametrize("dtype", DTYPES)
def test_larfg_conventions(dtype):
    cplx = np.dtype(dtype).kind == "c"
    rng = np.random.default_rng(11)
    for _ in range(20):
        x = random_matrix(rng, (4,), dtype)
        alpha = complex(random_matrix(rng, (1,), dtype)[0]) if cplx else float(rng.standard_normal())
        beta, tau, H, y = _reflect(alpha, x, dtype)
        assert isinstance(beta, float)
        target = np.zeros(5, dtype=np.complex128)
        target[0] = beta
        u = u_of(dtype)
        assert np.abs(H.conj().T @ y - target).max() < 30 * u * np.linalg.norm(y)
        assert np.abs(H.conj().T @ H - np.eye(5)).max() < 30 * u
        # beta = -sign(Re alpha) ||y||: no cancellation in alpha - beta
        assert np.sign(beta) == -np.sign(np.real(alpha))
        assert abs(abs(beta) - np.linalg.norm(y)) < 30 * u * np.linalg.norm(y)
        assert 1 - 30 * u <= np.real(tau) <= 2 + 30 * u and abs(tau - 1) <= 1 + 30 * u


def test_larfg_identity_cases():
    x = np.zeros(3)
    assert larfg(-2.5, x) == (-2.5, 0.0)  # nothing to annihilate: H = I, beta = alpha
    assert larfg(4.0, np.zeros(0)) == (4.0, 0.0)
    # a complex alpha is still rotated onto the real axis (LAPACK zlarfg)
    beta, tau = larfg(3 + 4j, np.zeros(0, dtype=np.complex128))
    assert beta == -5.0 and tau != 0
    # H alpha = (1 - conj(tau)) alpha = beta: a few roundings of numbers of size 5
    assert abs((1 - np.conj(tau)) * (3 + 4j) - beta) <= 8 * 5 * u_of(np.float64)
    beta, tau = larfg(2 + 0j, np.zeros(2, dtype=np.complex128))
    assert beta == 2.0 and tau == 0
    # alpha = 0: beta = -||x|| (sign(0) = +1, as Fortran's SIGN)
    beta, tau = larfg(0.0, np.array([3.0, 4.0]))
    assert beta == -5.0 and tau == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_larfg_tiny_column_is_rescaled(dtype):
    """Below safmin = tiny/u LAPACK rescales; the reflector keeps full accuracy."""
    fi = np.finfo(dtype)
    scale = float(fi.tiny) * 4.0  # |beta| < safmin: the rescaling loop runs
    for s in (scale, scale * 2.0**-8):  # the second one is subnormal
        x = np.array([3.0, 0.0, 4.0]) * s
        beta, tau, _, _ = _reflect(0.0, x, dtype)
        assert abs(beta + 5 * s) <= 4 * fi.eps * 5 * s
        assert abs(tau - 1) < 4 * fi.eps
        xv = np.array(x, dtype=dtype)
        larfg(0.0, xv)
        np.testing.assert_allclose(np.abs(xv), np.array([0.6, 0.0, 0.8]), rtol=8 * fi.eps)
    # near overflow: no overflow in the norm
    big = float(fi.max) / 4
    beta, tau = larfg(big, np.array([big], dtype=dtype))
    assert np.isfinite(beta) and abs(abs(beta) / big - np.sqrt(2)) < 8 * fi.eps


def _reflectors(seed, shape, dtype, backend):
    """Compact reflectors ``(v, tau)`` of a random matrix, from :func:`geqr2`."""
    v = to_backend(random_matrix(np.random.default_rng(seed), shape, dtype), backend)
    return v, geqr2(v)


def _reflector_product(v, tau):
    """``(V, H_0 ... H_{k-1})`` in wide precision from compact reflectors ``v`` and host ``tau``."""
    m, k = v.shape
    V = np.tril(widen(to_np(v)), -1) + np.eye(m, k)
    H = np.eye(m, dtype=V.dtype)
    for j in range(k):
        H = H @ (np.eye(m) - tau[j] * np.outer(V[:, j], V[:, j].conj()))
    return V, H


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_larft_larfb_represent_the_product(backend, dtype):
    v, tau = _reflectors(12, (9, 4), dtype, backend)
    t = larft(v, tau)
    V, H = _reflector_product(v, widen(to_np(tau)))
    T = widen(to_np(t))
    assert np.allclose(np.tril(T, -1), 0)
    assert diff_ratio(np.eye(9) - V @ T @ V.conj().T, H, dtype) < THRESH
    C = random_matrix(np.random.default_rng(13), (9, 3), dtype)
    for trans, op in ((False, H), (True, H.conj().T)):
        c = to_backend(C.copy(), backend)
        larfb(v, t, c, side="left", trans=trans)
        assert diff_ratio(c, op @ C, dtype, norm1(C)) < THRESH
        d = to_backend(np.ascontiguousarray(C.T), backend)
        larfb(v, t, d, side="right", trans=trans)
        assert diff_ratio(d, C.T @ op, dtype, norm1(C)) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_larft_with_identity_reflectors(backend, dtype):
    """tau_j = 0 (nothing to annihilate) makes row and column j of T zero, as LAPACK's larft."""
    v, tau = _reflectors(14, (8, 5), dtype, backend)
    tn = widen(to_np(tau)).copy()
    tn[[1, 3]] = 0  # the same V with two identity reflectors
    tau0 = to_backend(tn.astype(dtype), backend)
    t = widen(to_np(larft(v, tau0)))
    V, H = _reflector_product(v, tn)
    assert np.all(t[[1, 3], :] == 0) and np.all(t[:, [1, 3]] == 0)
    assert diff_ratio(np.eye(8) - V @ t @ V.conj().T, H, dtype) < THRESH
    # all identity: T = 0
    zero = to_backend(np.zeros(5, dtype=dtype), backend)
    assert np.all(to_np(larft(v, zero)) == 0)


# --------------------------------------------------------------------------- vendor interop


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(9, 5), (5, 9), (6, 6)])
def test_vendor_qr_is_interchangeable(backend, dtype, shape):
    """Same compact layout as LAPACK/torch: our apply_q/form_q read vendor factors and back."""
    be = np_backend if backend == "numpy" else torch_backend
    rng = np.random.default_rng(13)
    A = random_matrix(rng, shape, dtype)
    m = shape[0]
    k = min(shape)
    vqr, vtau = be.vendor_geqrf(to_backend(A, backend))
    for ncols in (k, m):
        Qv = be.vendor_orgqr(vqr, vtau, ncols)
        assert diff_ratio(Qv, form_q(vqr, vtau, ncols), dtype) < THRESH
    Qv = widen(to_np(be.vendor_orgqr(vqr, vtau, k)))
    assert reconstruction_ratio(A, Qv @ _r(vqr), dtype) < THRESH
    # vendor ormqr applied to our factors
    qr, tau = factor(A, backend)
    Q = widen(to_np(form_q(qr, tau, m)))
    C = random_matrix(rng, (m, 3), dtype)
    cb = to_backend(C, backend)
    for trans in (False, True):
        op = Q.conj().T if trans else Q
        out = be.vendor_ormqr(qr, tau, cb, side="left", trans=trans)
        assert diff_ratio(out, op @ C, dtype, norm1(C)) < THRESH
        ct = to_backend(np.ascontiguousarray(C.T), backend)
        out = be.vendor_ormqr(qr, tau, ct, side="right", trans=trans)
        assert diff_ratio(out, C.T @ op, dtype, norm1(C)) < THRESH
