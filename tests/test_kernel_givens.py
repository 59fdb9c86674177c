"""Givens rotations: LAPACK 3.10 lartg conventions, rot, and Givens QR kernels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import lapack

import pivotal.kernels.givens as gv
from pivotal.kernels.givens import (
    Rotations,
    apply_rotations,
    form_q,
    givens_qr,
    lartg,
    lartg_scalar,
    rot,
)

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    norm1,
    random_matrix,
    to_backend,
    to_np,
    torch,
    u_of,
)

U64 = u_of(np.float64)
U32 = u_of(np.float32)
# lartg forms r = sqrt(|f|^2 + |g|^2) with scaling: two squares, a sum and a square root
# (and a division for c and s) each round once, so r, c and s are within 4u of the exact
# values of the rounded inputs; complex moduli (hypot) add one rounding more.
LARTG_REL = 4 * U64
LARTG_REL_COMPLEX = 8 * U64

LAPACK_LARTG = {
    np.float32: lapack.slartg,
    np.float64: lapack.dlartg,
    np.complex64: lapack.clartg,
    np.complex128: lapack.zlartg,
}


def _qr_ratios(a: np.ndarray, q: np.ndarray, r: np.ndarray, dtype) -> tuple[float, float]:
    """LAPACK xQRT01-style ratios, computed in float64/complex128."""
    wide = np.complex128 if np.iscomplexobj(a) else np.float64
    a, q, r = (np.asarray(x, dtype=wide) for x in (a, q, r))
    m = max(a.shape[0], 1)
    u = u_of(dtype)
    anorm = norm1(a)
    rec = norm1(a - q @ r) / (m * anorm * u) if anorm else 0.0
    orth = norm1(np.eye(q.shape[1]) - q.conj().T @ q) / (m * u)
    return rec, orth


# --------------------------------------------------------------------------- lartg


def _extreme_samples(rng, dtype, n=600):
    fi = np.finfo(dtype)
    lo, hi = np.log10(fi.tiny) - 3, np.log10(fi.max) - 0.2

    def part():
        x = 10 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)
        x[rng.random(n) < 0.1] = 0.0
        return x

    if np.dtype(dtype).kind == "c":
        return (part() + 1j * part()).astype(dtype), (part() + 1j * part()).astype(dtype)
    return part().astype(dtype), part().astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lartg_matches_lapack_over_the_whole_range(dtype):
    rng = np.random.default_rng(7)
    f, g = _extreme_samples(rng, dtype)
    c, s, r = lartg(f, g)
    assert c.dtype == np.finfo(dtype).dtype and s.dtype == dtype and r.dtype == dtype
    eps = np.finfo(dtype).eps
    lap = np.array([LAPACK_LARTG[dtype](fk, gk) for fk, gk in zip(f, g, strict=True)], dtype=object)
    cl = lap[:, 0].astype(c.dtype)
    sl_ = lap[:, 1].astype(dtype)
    rl = lap[:, 2].astype(dtype)
    assert np.all(np.isfinite(c)) and np.all(np.isfinite(s)) and np.all(np.isfinite(r))
    if np.dtype(dtype).kind == "f":  # the real algorithm has no complex products: bitwise equal
        np.testing.assert_array_equal(c, cl)
        np.testing.assert_array_equal(s, sl_)
        np.testing.assert_array_equal(r, rl)
    else:  # complex products may round differently (FMA): a few ulps
        assert np.max(np.abs(c - cl)) <= 4 * eps
        assert np.max(np.abs(s - sl_)) <= 4 * eps
        assert np.all(np.abs(r - rl) <= 4 * eps * np.abs(rl))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lartg_rotates_onto_r(dtype):
    rng = np.random.default_rng(3)
    f, g = _extreme_samples(rng, dtype)
    c, s, r = (x.astype(np.complex128 if np.dtype(dtype).kind == "c" else np.float64) for x in lartg(f, g))
    f64, g64 = f.astype(c.dtype if np.dtype(dtype).kind == "f" else np.complex128), g.astype(r.dtype)
    eps = np.finfo(dtype).eps
    assert np.all(c >= 0) and np.all(c <= 1)
    np.testing.assert_allclose(c**2 + np.abs(s) ** 2, 1.0, atol=4 * eps)
    scale = np.maximum(np.abs(f64), np.abs(g64))
    ok = scale > 0
    # [c s; -conj(s) c] [f; g] = [r; 0], relative to max(|f|, |g|) (scaled to avoid overflow)
    fs, gs, rs = f64[ok] / scale[ok], g64[ok] / scale[ok], r[ok] / scale[ok]
    assert np.max(np.abs(c[ok] * fs + s[ok] * gs - rs)) <= 8 * eps
    assert np.max(np.abs(-np.conj(s[ok]) * fs + c[ok] * gs)) <= 8 * eps


def test_lartg_special_cases_real():
    # g == 0: c = 1, s = 0, r = f (whatever f is)
    for f in (2.5, -2.5, 0.0):
        assert lartg(f, 0.0) == (1.0, 0.0, f)
        assert lartg_scalar(f, 0.0) == (1.0, 0.0, f)
    # f == 0: c = 0, s = sign(g), r = |g|
    assert lartg(0.0, -3.0) == (0.0, -1.0, 3.0)
    assert lartg(0.0, 3.0) == (0.0, 1.0, 3.0)
    # r carries the sign of f and c >= 0
    c, s, r = lartg(-3.0, 4.0)
    assert (c, s, r) == (0.6, -0.8, -5.0)
    assert lartg_scalar(-3.0, 4.0) == (0.6, -0.8, -5.0)


@pytest.mark.parametrize(
    "f,g", [(1e300, 1e300), (1e-300, 1e-300), (-1e300, 3e299), (1e-310, -1e-310), (1e308, 1e308)]
)
def test_lartg_no_overflow_or_underflow_float64(f, g):
    c, s, r = lartg(f, g)
    true_r = np.sign(f) * np.hypot(f, g)
    assert np.isfinite(r) and np.isfinite(c) and np.isfinite(s)
    assert r == pytest.approx(true_r, rel=LARTG_REL)
    assert c == pytest.approx(abs(f) / abs(true_r), rel=LARTG_REL)
    assert s == pytest.approx(g / true_r, rel=LARTG_REL)
    assert lartg_scalar(f, g) == (c, s, r)


def test_lartg_huge_and_tiny_mixed():
    c, s, r = lartg(1e300, 1e-300)
    assert (c, r) == (1.0, 1e300) and 0 <= s <= 1e-300
    c, s, r = lartg(1e-300, 1e300)
    assert c == 0.0 and s == 1.0 and r == 1e300  # c = 1e-600 underflows, as in dlartg


def test_lartg_float32_extremes():
    for f, g in [(2e38, 2e38), (1e-38, 1e-38), (1e-44, 1e-44)]:  # r = 2.8e38 is representable
        c, _s, r = lartg(np.float32(f), np.float32(g))
        assert r.dtype == np.float32 and np.isfinite(r)
        assert float(r) == pytest.approx(
            np.hypot(np.float64(np.float32(f)), np.float64(np.float32(g))), rel=4 * U32
        )
        assert float(c) == pytest.approx(np.sqrt(0.5), rel=4 * U32)


def test_lartg_special_cases_complex():
    assert lartg(2 - 1j, 0j) == (1.0, 0j, 2 - 1j)
    # f == 0: c = 0, r = |g| real and nonnegative, s = conj(g) / |g|
    for g in (-4j, 3 + 4j, -2.0 + 0j, 1e300 + 1e300j, 1e-300 - 1e-300j):
        c, s, r = lartg(0j, g)
        assert c == 0.0 and r.imag == 0.0 and r.real > 0
        assert r.real == pytest.approx(abs(g), rel=LARTG_REL_COMPLEX)
        assert s == pytest.approx(np.conj(g) / abs(g), rel=LARTG_REL_COMPLEX)
        assert lartg_scalar(0j, g) == (c, s, r)
    # general: c real >= 0, r = sgn(f) sqrt(|f|^2 + |g|^2)
    for f, g in [(3 + 1j, 4 - 2j), (1e300 + 1e300j, 1e-300j), (1e-300 + 1e-300j, 1e300j), (-1e-170j, 1e170)]:
        c, s, r = lartg(f, g)
        assert 0 <= c <= 1 and np.isfinite(r)
        assert abs(r) == pytest.approx(np.hypot(abs(f), abs(g)), rel=LARTG_REL_COMPLEX)
        assert r / abs(r) == pytest.approx(f / abs(f), rel=LARTG_REL_COMPLEX)
        assert lartg_scalar(f, g) == pytest.approx((c, s, r), rel=LARTG_REL_COMPLEX)


def test_lartg_scalar_matches_vectorized():
    rng = np.random.default_rng(11)
    for dtype in (np.float64, np.complex128):
        f, g = _extreme_samples(rng, dtype, 300)
        c, s, r = lartg(f, g)
        for k in range(f.shape[0]):
            cs, ss, rs = lartg_scalar(f[k].item(), g[k].item())
            # The same formulas in two evaluation orders (NumPy's ufuncs, Python floats).
            assert cs == pytest.approx(c[k], rel=LARTG_REL, abs=0)
            assert ss == pytest.approx(s[k], rel=LARTG_REL, abs=1e-300)  # s may be subnormal
            assert rs == pytest.approx(r[k], rel=LARTG_REL, abs=0)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("dtype", DTYPES)
def test_lartg_torch_matches_numpy(dtype):
    rng = np.random.default_rng(5)
    f, g = _extreme_samples(rng, dtype, 200)
    c, s, r = lartg(f, g)
    ct, st, rt = lartg(torch.from_numpy(f), torch.from_numpy(g))
    assert isinstance(ct, torch.Tensor) and rt.dtype == torch.from_numpy(f).dtype
    eps = np.finfo(dtype).eps
    assert np.max(np.abs(to_np(ct) - c)) <= 2 * eps
    assert np.max(np.abs(to_np(st) - s)) <= 2 * eps
    assert np.all(np.abs(to_np(rt) - r) <= 2 * eps * np.abs(r))


def test_lartg_dtype_rules():
    c, s, r = lartg(np.float32(3), 4.0)  # Python scalars are weak
    assert r.dtype == np.float32 and c.dtype == np.float32
    c, s, r = lartg(np.complex64(1j), np.float32(1))
    assert s.dtype == np.complex64 and c.dtype == np.float32
    c, s, r = lartg(np.arange(3), 1)  # integers -> float64
    assert r.dtype == np.float64 and r.shape == (3,)


# --------------------------------------------------------------------------- rot


@pytest.mark.parametrize("backend", BACKENDS)
def test_rot_in_place_on_views(backend):
    rng = np.random.default_rng(0)
    a = random_matrix(rng, (4, 5), np.complex128)
    work = to_backend(a.copy(), backend)
    c, s, _ = lartg_scalar(complex(a[1, 0]), complex(a[3, 0]))
    rot(work[1], work[3], c, s)
    expect = a.copy()
    expect[1], expect[3] = c * a[1] + s * a[3], c * a[3] - np.conj(s) * a[1]
    # Each entry is c x + s y: a complex product rounds within 2 sqrt(2) u and the sum once
    # more, in rot and in the reference: 8 u max|a| covers both.
    tol = 8 * U64 * np.abs(a).max()
    np.testing.assert_allclose(to_np(work), expect, rtol=0, atol=tol)
    assert abs(to_np(work)[3, 0]) <= tol  # zero in exact arithmetic
    # columns (strided views) and vectorized (c, s) arrays
    b = to_backend(a.copy(), backend)
    cc = np.array([0.6, 0.8, 1.0, 0.0])
    ss = np.array([0.8, 0.6j, 0.0, -1.0])
    if backend == "torch":
        cc, ss = torch.from_numpy(cc), torch.from_numpy(ss)
    rot(b[:, 0], b[:, 2], cc, ss)
    cn, sn = to_np(cc), to_np(ss)
    np.testing.assert_allclose(to_np(b)[:, 0], cn * a[:, 0] + sn * a[:, 2], rtol=0, atol=tol)
    np.testing.assert_allclose(to_np(b)[:, 2], cn * a[:, 2] - np.conj(sn) * a[:, 0], rtol=0, atol=tol)


# --------------------------------------------------------------------------- Givens QR


def _dense_count(m, n):
    return sum(m - 1 - j for j in range(min(m - 1, n)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(9, 6), (6, 9), (7, 7), (1, 4), (4, 1)])
def test_dense_givens_qr_ratios(backend, dtype, shape):
    rng = np.random.default_rng(1)
    a = random_matrix(rng, shape, dtype)
    r, rots = givens_qr(to_backend(a.copy(), backend))
    assert type(r) is type(to_backend(a, backend)) and r.dtype == to_backend(a, backend).dtype
    assert len(rots) == _dense_count(*shape)
    assert rots.is_complex == (np.dtype(dtype).kind == "c")
    q = form_q(rots, like=r)
    rn, qn = to_np(r), to_np(q)
    assert np.all(np.tril(rn, -1) == 0)
    rec, orth = _qr_ratios(a, qn, rn, dtype)
    assert rec < THRESH and orth < THRESH, (rec, orth)


def test_givens_qr_matches_lapack_reconstruction():
    import scipy.linalg as sl

    rng = np.random.default_rng(2)
    a = random_matrix(rng, (8, 5), np.complex128)
    r, rots = givens_qr(a.copy())
    qs, rs = sl.qr(a)
    # R is unique up to a unitary diagonal: compare |R| and Q R, never Q/R signs.  Both
    # factorizations are backward stable (ratio < THRESH: error < THRESH m u ||A||); R
    # moves by at most kappa(A) times that (QR perturbation theory).
    m = a.shape[0]
    backward = THRESH * m * U64 * np.linalg.norm(a, 2)
    np.testing.assert_allclose(np.abs(r), np.abs(rs), rtol=0, atol=2 * np.linalg.cond(a) * backward)
    np.testing.assert_allclose(form_q(rots) @ r, qs @ rs, rtol=0, atol=2 * backward)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_hessenberg_one_rotation_per_column(backend, dtype):
    rng = np.random.default_rng(4)
    n = 12
    h = np.triu(random_matrix(rng, (n, n), dtype), -1)
    r, rots = givens_qr(to_backend(h.copy(), backend), "hessenberg")
    assert len(rots) == n - 1
    np.testing.assert_array_equal(rots.i, np.arange(n - 1))  # rotation j touches rows j, j+1 only
    np.testing.assert_array_equal(rots.j, np.arange(1, n))
    rec, orth = _qr_ratios(h, to_np(form_q(rots, like=r)), to_np(r), dtype)
    assert rec < THRESH and orth < THRESH
    assert np.all(np.tril(to_np(r), -1) == 0)
    # rectangular Hessenberg: min(m - 1, n) rotations
    for shape in [(8, 5), (5, 8)]:
        hr = np.triu(random_matrix(rng, shape, dtype), -1)
        r2, rots2 = givens_qr(hr.copy(), "hessenberg")
        assert len(rots2) == min(shape[0] - 1, shape[1])
        assert _qr_ratios(hr, form_q(rots2, like=r2), r2, dtype)[0] < THRESH


def _band(rng, m, n, p, q, dtype):
    a = random_matrix(rng, (m, n), dtype)
    return np.triu(np.tril(a, q), -p)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,n,p,q", [(30, 30, 3, 2), (25, 18, 2, 4), (12, 20, 1, 0), (15, 15, 0, 3)])
def test_banded_givens_qr(backend, dtype, m, n, p, q):
    rng = np.random.default_rng(6)
    a = _band(rng, m, n, p, q, dtype)
    r, rots = givens_qr(to_backend(a.copy(), backend), "banded", lower_bandwidth=p)
    assert len(rots) == sum(min(p, m - 1 - j) for j in range(min(m - 1, n)))
    assert np.all(np.abs(rots.j - rots.i) == 1) and np.all(rots.j <= np.minimum(rots.i + p, m - 1))
    rn = to_np(r)
    assert np.all(np.tril(rn, -1) == 0)
    assert np.all(np.triu(rn, p + q + 1) == 0)  # R has upper bandwidth p + q
    rec, orth = _qr_ratios(a, to_np(form_q(rots, like=r)), rn, dtype)
    assert rec < THRESH and orth < THRESH


def test_banded_work_is_o_n_p_p_plus_q(monkeypatch):
    """Only the rows and columns that can be nonzero are rotated."""
    touched = []
    real_rot = gv.rot

    def counting_rot(x, y, c, s):
        touched.append(x.shape[0])
        return real_rot(x, y, c, s)

    monkeypatch.setattr(gv, "rot", counting_rot)
    rng = np.random.default_rng(8)
    n, p, q = 200, 3, 2
    a = _band(rng, n, n, p, q, np.float64)
    _r, _rots = givens_qr(a.copy(), "banded", lower_bandwidth=p)
    assert max(touched) <= p + q  # each rotation touches at most p + q trailing columns
    assert sum(touched) <= n * p * (p + q)
    touched.clear()
    h = np.triu(rng.standard_normal((n, n)), -1)
    givens_qr(h.copy(), "hessenberg")
    assert len(touched) == n - 1  # one rotation per column
    assert sum(touched) == sum(n - 1 - j for j in range(n - 1))


def test_structure_is_validated():
    a = np.triu(np.ones((5, 5)), -1)
    a[3, 0] = 2.5
    with pytest.raises(ValueError, match=r"a\[3, 0\] = 2.5 is nonzero.*hessenberg"):
        givens_qr(a.copy(), "hessenberg")
    with pytest.raises(ValueError, match=r"a\[3, 0\].*lower bandwidth 2"):
        givens_qr(a.copy(), "banded", lower_bandwidth=2)
    givens_qr(a.copy(), "banded", lower_bandwidth=3)  # fits
    b = np.triu(np.ones((4, 4)), -1)
    b[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"a\[3, 1\] = nan"):
        givens_qr(b, "hessenberg")
    with pytest.raises(ValueError, match="needs lower_bandwidth"):
        givens_qr(np.eye(3), "banded")
    with pytest.raises(ValueError, match="only used with structure='banded'"):
        givens_qr(np.eye(3), "dense", lower_bandwidth=1)
    with pytest.raises(ValueError, match="non-negative integer"):
        givens_qr(np.eye(3), "banded", lower_bandwidth=-1)
    with pytest.raises(ValueError, match="structure must be one of"):
        givens_qr(np.eye(3), "tridiagonal")
    with pytest.raises(ValueError, match="2-D"):
        givens_qr(np.ones(3))


def test_givens_qr_accumulates_into_q():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((6, 4))
    q0 = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    q = q0.copy()
    r, _ = givens_qr(a.copy(), q=q)
    # q = q0 G^H: q r = q0 a up to the backward error of the rotations, THRESH m u ||A||.
    np.testing.assert_allclose(q @ r, q0 @ a, rtol=0, atol=THRESH * 6 * U64 * np.linalg.norm(a, 2))


@pytest.mark.parametrize("backend", BACKENDS)
def test_apply_rotations_all_ops(backend):
    rng = np.random.default_rng(10)
    a = random_matrix(rng, (6, 4), np.complex128)
    _r, rots = givens_qr(a.copy())
    q = form_q(rots)
    c_left = random_matrix(rng, (6, 3), np.complex128)
    c_right = random_matrix(rng, (3, 6), np.complex128)
    ops = {"N": q, "T": q.T, "C": q.conj().T}
    # Applying the rotations and multiplying by the formed Q each err by THRESH m u ||C||
    # (LAPACK's xQRT02-style bound for applying an orthogonal factor).
    tol = 2 * THRESH * 6 * U64 * max(np.linalg.norm(c_left, 2), np.linalg.norm(c_right, 2))
    for trans, op in ops.items():
        got = apply_rotations(rots, to_backend(c_left.copy(), backend), trans=trans)
        np.testing.assert_allclose(to_np(got), op @ c_left, rtol=0, atol=tol)
        got = apply_rotations(rots, to_backend(c_right.copy(), backend), trans=trans, side="right")
        np.testing.assert_allclose(to_np(got), c_right @ op, rtol=0, atol=tol)
    np.testing.assert_allclose(
        apply_rotations(rots, c_left.copy(), trans="H"), q.conj().T @ c_left, rtol=0, atol=tol
    )
    np.testing.assert_allclose(form_q(rots, ncols=4), q[:, :4], rtol=0, atol=THRESH * 6 * U64)
    with pytest.raises(ValueError, match="trans"):
        apply_rotations(rots, c_left.copy(), trans="X")
    with pytest.raises(ValueError, match="side"):
        apply_rotations(rots, c_left.copy(), side="top")
    with pytest.raises(ValueError, match="6 rows"):
        apply_rotations(rots, c_right.copy())
    with pytest.raises(ValueError, match="ncols"):
        form_q(rots, ncols=7)


def test_empty_and_trivial():
    for shape in [(0, 0), (0, 3), (3, 0), (1, 1), (1, 5)]:
        r, rots = givens_qr(np.ones(shape))
        assert len(rots) == 0 and r.shape == shape
        assert form_q(rots).shape == (shape[0], shape[0])
    rots = Rotations.from_lists([], [], [], [], 0, False)
    assert len(rots) == 0 and form_q(rots).shape == (0, 0)
    # zeros below the diagonal give identity rotations: recorded, not applied
    a = np.triu(np.arange(1.0, 10.0).reshape(3, 3))
    r, rots = givens_qr(a.copy())
    assert len(rots) == 3 and np.all(rots.c == 1) and np.all(rots.s == 0)
    np.testing.assert_array_equal(r, a)
