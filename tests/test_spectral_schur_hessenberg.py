"""schur, rsf2csf and hessenberg: LAPACK-style ratios, structure, sorting, and our Householder kernel vs LAPACK.

Ratios (1-norms; LAPACK's xHST01 and xORT01):

* ``||A - Z T Z^H|| / (n ||A|| u)`` and ``||A - Q H Q^H|| / (n ||A|| u)``;
* ``||I - Z^H Z|| / (n u)``.

Householder reduction and the QR algorithm are backward stable with
``||E|| <= c n^2 u ||A||`` in the worst case (Higham ch. 19; Golub & Van Loan
7.5.6), observed ``O(n u)``; LAPACK's test threshold 30 is used as elsewhere.
Structure is exact: ``T`` (quasi) upper triangular and ``H`` Hessenberg have
exact zeros, since both LAPACK and the kernel store them explicitly.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal.kernels.hessenberg import (
    HESSENBERG_UNBLOCKED_MAX,
    form_hessenberg_q,
    gehd2,
    gehrd_blocked,
    householder_hessenberg,
)

from .helpers import DTYPES, THRESH, orth_ratio, random_matrix, reconstruction_ratio, to_np, u_of, widen
from .test_spectral import _jax_x64, backend_of, to_backend  # noqa: F401 - the autouse fixture too
from .test_spectral_eig import assert_eigenvalues_agree, designed

torch = pytest.importorskip("torch")

BACKENDS = ["numpy", "torch", "jax"]


def similarity(z, t):
    z, t = widen(z), widen(t)
    return z @ t @ z.conj().T


def assert_quasi_triangular(t):
    """Real Schur form: zeros below the subdiagonal, 2x2 blocks isolated and standardized."""
    t = to_np(t)
    assert np.all(np.tril(t, -2) == 0)
    sub = np.diagonal(t, -1)
    nz = np.flatnonzero(sub)
    assert np.all(np.diff(nz) > 1), "two adjacent 2x2 blocks overlap"
    for i in nz:  # LAPACK's standard form: equal diagonal, off-diagonals of opposite sign
        assert t[i, i] == t[i + 1, i + 1]
        assert t[i + 1, i] * t[i, i + 1] < 0


def schur_eigenvalues(t) -> np.ndarray:
    """Eigenvalues in the order of the diagonal blocks of a (quasi) triangular ``t``."""
    t = widen(t)
    n = t.shape[0]
    out, i = [], 0
    while i < n:
        if i + 1 < n and t[i + 1, i] != 0:
            out += list(np.linalg.eigvals(t[i : i + 2, i : i + 2]))
            i += 2
        else:
            out.append(t[i, i])
            i += 1
    return np.array(out, dtype=complex)


# --------------------------------------------------------------------------- schur


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output", ["real", "complex"])
def test_schur_ratios_and_structure(backend, dtype, output):
    rng = np.random.default_rng(1)
    n = 14
    a = random_matrix(rng, (n, n), dtype)
    t, z = pv.schur(to_backend(a, backend), output=output)
    assert backend_of(t) == backend_of(z) == backend
    t, z = to_np(t), to_np(z)
    cplx = output == "complex" or np.dtype(dtype).kind == "c"
    assert np.iscomplexobj(t) == cplx and np.iscomplexobj(z) == cplx
    assert np.finfo(t.dtype).eps == np.finfo(dtype).eps  # the precision is kept
    assert reconstruction_ratio(a, similarity(z, t), dtype) < THRESH
    assert orth_ratio(z, dtype) < THRESH
    if cplx:
        assert np.all(np.tril(t, -1) == 0)
    else:
        assert_quasi_triangular(t)


@pytest.mark.parametrize("dtype", DTYPES)
def test_schur_eigenvalues_agree_with_scipy(dtype):
    rng = np.random.default_rng(2)
    a = designed(rng, 10, dtype)
    t, _ = pv.schur(a)
    assert_eigenvalues_agree(schur_eigenvalues(t), a, dtype)
    t, _ = pv.schur(a, output="complex")
    assert_eigenvalues_agree(np.diagonal(t), a, dtype)


SELECTS = {
    "lhp": lambda w: w.real < 0,
    "rhp": lambda w: w.real >= 0,
    "iuc": lambda w: abs(w) <= 1,
    "ouc": lambda w: abs(w) > 1,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("sort", ["lhp", "rhp", "iuc", "ouc", "callable"])
def test_schur_sort_and_sdim(backend, dtype, sort):
    rng = np.random.default_rng(3)
    n = 10
    # designed()'s eigenvalues / 4.5 keep away from the boundaries of every selection:
    # |Re w| >= 0.2 and ||w| - 1| >= 0.1, far beyond their perturbation by rounding (cond(V) is modest)
    base = designed(rng, n, np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    a = (base / 4.5).astype(dtype)
    wd = sl.eigvals(base / 4.5)
    assert np.min(np.abs(wd.real)) > 0.19 and np.min(np.abs(np.abs(wd) - 1)) > 0.09
    wref = sl.eigvals(widen(a))
    if sort == "callable":
        select = SELECTS["iuc"]
        if np.dtype(dtype).kind == "c":

            def sort_arg(w):
                return abs(w) <= 1
        else:

            def sort_arg(re, im):
                return abs(complex(re, im)) <= 1
    else:
        select, sort_arg = SELECTS[sort], sort
    t, z, sdim = pv.schur(to_backend(a, backend), sort=sort_arg)
    assert isinstance(sdim, int)
    expected = int(np.sum(select(wref)))
    assert sdim == expected
    t, z = to_np(t), to_np(z)
    w = schur_eigenvalues(t)
    assert np.all(select(w[:sdim])) and not np.any(select(w[sdim:]))
    assert reconstruction_ratio(a, similarity(z, t), dtype) < THRESH
    assert orth_ratio(z, dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
def test_schur_batched_sdim_and_empty(backend):
    rng = np.random.default_rng(4)
    a = random_matrix(rng, (3, 6, 6), np.float64)
    a[1] = -a[1] @ a[1].T - np.eye(6)  # negative definite: all 6 in the left half plane
    t, z, sdim = pv.schur(to_backend(a, backend), sort="lhp")
    assert tuple(t.shape) == (3, 6, 6) and backend_of(sdim) == backend
    sdim = to_np(sdim)
    assert sdim.shape == (3,) and sdim[1] == 6
    for i in range(3):
        assert sdim[i] == sl.schur(a[i], sort="lhp")[2]
        assert reconstruction_ratio(a[i], similarity(to_np(z)[i], to_np(t)[i]), np.float64) < THRESH
    t, z = pv.schur(to_backend(np.zeros((0, 0)), backend))
    assert tuple(t.shape) == (0, 0) and tuple(z.shape) == (0, 0)
    t, z, sdim = pv.schur(to_backend(np.zeros((2, 0, 0)), backend), sort="lhp")
    assert tuple(t.shape) == (2, 0, 0) and tuple(sdim.shape) == (2,)
    t, z, sdim = pv.schur(np.zeros((0, 0)), sort="lhp")
    assert sdim == 0


def test_schur_non_contiguous_integer_and_overwrite():
    rng = np.random.default_rng(5)
    big = random_matrix(rng, (16, 16), np.float64)
    a = big[::2, 1::2]
    t, z = pv.schur(a)
    assert reconstruction_ratio(a, similarity(z, t), np.float64) < THRESH
    ai = np.array([[1, 2], [3, 4]])
    t, z = pv.schur(ai)
    assert t.dtype == np.float64 and reconstruction_ratio(ai, similarity(z, t), np.float64) < THRESH
    f = np.asfortranarray(big)
    keep = f.copy()
    pv.schur(f)
    assert np.array_equal(f, keep)
    t, z = pv.schur(f, overwrite_a=True, lwork=16 * 16)
    assert reconstruction_ratio(keep, similarity(z, t), np.float64) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
def test_schur_bad_input(backend):
    bad = np.eye(3)
    bad[0, 2] = np.nan
    with pytest.raises(ValueError, match="check_finite"):
        pv.schur(to_backend(bad, backend))
    with pytest.raises(ValueError, match="square"):
        pv.schur(to_backend(np.ones((2, 3)), backend))
    with pytest.raises(ValueError, match="'real', or 'complex'"):
        pv.schur(to_backend(np.eye(2), backend), output="upper")
    with pytest.raises(ValueError, match="'sort' parameter"):
        pv.schur(to_backend(np.eye(2), backend), sort="unit")
    with pytest.raises(ValueError, match="no derivative rule"):
        pv.schur(torch.eye(2, dtype=torch.float64, requires_grad=True))


def test_schur_jax_native_and_traced():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(6)
    a = random_matrix(rng, (7, 7), np.float64)
    t, z = jax.jit(lambda x: pv.schur(x, check_finite=False))(jnp.asarray(a))
    assert reconstruction_ratio(a, similarity(z, t), np.float64) < THRESH
    assert_quasi_triangular(t)
    with pytest.raises(ValueError, match="traced"):
        jax.jit(lambda x: pv.schur(x, sort="lhp", check_finite=False))(jnp.asarray(a))


# --------------------------------------------------------------------------- rsf2csf


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rsf2csf(backend, dtype):
    rng = np.random.default_rng(7)
    a = designed(rng, 9, dtype)  # has complex conjugate pairs
    t, z = pv.schur(to_backend(a, backend))
    assert np.any(np.diagonal(to_np(t), -1) != 0)
    t2, z2 = pv.rsf2csf(t, z)
    assert backend_of(t2) == backend
    t2, z2 = to_np(t2), to_np(z2)
    assert np.iscomplexobj(t2) and np.all(np.tril(t2, -1) == 0)
    assert reconstruction_ratio(a, similarity(z2, t2), dtype) < THRESH
    assert orth_ratio(z2, dtype) < THRESH
    assert_eigenvalues_agree(np.diagonal(t2), a, dtype)
    r2, q2 = sl.rsf2csf(to_np(t), to_np(z))  # SciPy's routine, the same answer
    assert np.allclose(t2, r2, rtol=0, atol=THRESH * u_of(dtype) * np.abs(r2).max())
    assert np.allclose(z2, q2, rtol=0, atol=THRESH * u_of(dtype))


def test_rsf2csf_batched_and_errors():
    rng = np.random.default_rng(8)
    a = random_matrix(rng, (2, 5, 5), np.float64)
    t, z = pv.schur(a)
    t2, z2 = pv.rsf2csf(t, z)
    for i in range(2):
        assert reconstruction_ratio(a[i], similarity(z2[i], t2[i]), np.float64) < THRESH
    with pytest.raises(ValueError, match="shapes must match"):
        pv.rsf2csf(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="square"):
        pv.rsf2csf(np.ones((2, 3)), np.eye(2))
    with pytest.raises(ValueError, match="check_finite"):
        pv.rsf2csf(np.full((2, 2), np.inf), np.eye(2))
    with pytest.raises(TypeError, match="torch"):
        pv.rsf2csf(np.eye(2), torch.eye(2, dtype=torch.float64))
    t2, z2 = pv.rsf2csf(np.zeros((0, 0)), np.zeros((0, 0)))
    assert t2.shape == (0, 0)


# --------------------------------------------------------------------------- hessenberg


def check_hessenberg(a, h, q, dtype):
    h, q = to_np(h), to_np(q)
    assert np.all(np.tril(h, -2) == 0)
    assert reconstruction_ratio(a, similarity(q, h), dtype) < THRESH
    assert orth_ratio(q, dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["auto", "lapack", "kernel"])
def test_hessenberg_ratios(backend, dtype, method):
    rng = np.random.default_rng(9)
    a = random_matrix(rng, (17, 17), dtype)
    h, q = pv.hessenberg(to_backend(a, backend), calc_q=True, method=method)
    assert backend_of(h) == backend_of(q) == backend
    assert to_np(h).dtype == dtype
    check_hessenberg(a, h, q, dtype)
    h_only = pv.hessenberg(to_backend(a, backend), method=method)
    assert np.array_equal(to_np(h_only), to_np(h))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block_size", [1, 8, None])
def test_kernel_against_lapack(dtype, block_size):
    """The kernel's reduction (blocked and not) meets the ratios LAPACK's does, on the same matrix."""
    rng = np.random.default_rng(10)
    n = HESSENBERG_UNBLOCKED_MAX + 40  # the blocked path runs panels, then the unblocked tail
    a = random_matrix(rng, (n, n), dtype)
    work = a.copy()
    tau = householder_hessenberg(work, block_size)
    assert tau.shape == (n - 1,) and tau.dtype == dtype
    h, q = np.triu(work, -1), form_hessenberg_q(work, tau)
    hl, ql = sl.hessenberg(a, calc_q=True)
    ours = reconstruction_ratio(a, similarity(q, h), dtype), orth_ratio(q, dtype)
    theirs = reconstruction_ratio(a, similarity(ql, hl), dtype), orth_ratio(ql, dtype)
    assert max(ours) < THRESH and max(theirs) < THRESH
    # the same reflectors as LAPACK's gehrd (larfg's sign convention): the first column of H agrees
    # to the backward error of one reflector, O(n u ||A||)
    assert np.max(np.abs(widen(h[:, 0]) - widen(hl[:, 0]))) <= THRESH * n * u_of(dtype) * np.abs(a).max()


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_kernel_variants_agree(dtype):
    """gehd2 and gehrd_blocked apply the same reflectors: equal results to rounding."""
    rng = np.random.default_rng(11)
    n = HESSENBERG_UNBLOCKED_MAX + 30
    a = designed(rng, n, dtype)
    h1, h2 = a.copy(), a.copy()
    t1, t2 = gehd2(h1), gehrd_blocked(h2, 7)
    q1, q2 = form_hessenberg_q(h1, t1), form_hessenberg_q(h2, t2)
    assert reconstruction_ratio(a, similarity(q2, np.triu(h2, -1)), dtype) < THRESH
    # both are Hessenberg reductions with Q e1 = e1 of a matrix with well-conditioned eigenvalues:
    # their eigenvalues agree with the matrix's
    assert_eigenvalues_agree(sl.eigvals(np.triu(h2, -1)), a, dtype)
    assert orth_ratio(q1, dtype) < THRESH and np.allclose(q1[:, 0], q2[:, 0])


def test_kernel_on_torch_and_errors():
    rng = np.random.default_rng(12)
    a = random_matrix(rng, (HESSENBERG_UNBLOCKED_MAX + 20, HESSENBERG_UNBLOCKED_MAX + 20), np.complex64)
    work = torch.from_numpy(a.copy())
    tau = householder_hessenberg(work, 16)
    check_hessenberg(a, torch.triu(work, -1), form_hessenberg_q(work, tau), np.complex64)
    with pytest.raises(ValueError, match="block_size"):
        householder_hessenberg(a.copy(), 0)
    with pytest.raises(ValueError, match="square"):
        gehd2(np.ones((2, 3)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["lapack", "kernel"])
def test_hessenberg_batched_empty_small(backend, method):
    rng = np.random.default_rng(13)
    a = random_matrix(rng, (2, 3, 6, 6), np.float64)
    h, q = pv.hessenberg(to_backend(a, backend), calc_q=True, method=method)
    assert tuple(h.shape) == (2, 3, 6, 6)
    for i in np.ndindex(2, 3):
        check_hessenberg(a[i], to_np(h)[i], to_np(q)[i], np.float64)
    for shape in [(0, 0), (4, 0, 0), (1, 1), (2, 2)]:
        e = random_matrix(rng, shape, np.float64)
        h, q = pv.hessenberg(to_backend(e, backend), calc_q=True, method=method)
        assert tuple(h.shape) == shape == tuple(q.shape)
        if e.size:
            check_hessenberg(e.reshape(shape[-2:]), to_np(h).reshape(shape[-2:]), to_np(q), np.float64)


def test_hessenberg_layouts_and_overwrite():
    rng = np.random.default_rng(14)
    big = random_matrix(rng, (20, 20), np.float64)
    for method in ("lapack", "kernel"):
        a = big[::2, ::2]
        keep = a.copy()
        h, q = pv.hessenberg(a, calc_q=True, method=method)
        assert np.array_equal(a, keep)
        check_hessenberg(keep, h, q, np.float64)
        f = np.asfortranarray(big)
        h, q = pv.hessenberg(f.copy(order="F"), calc_q=True, overwrite_a=True, method=method)
        check_hessenberg(big, h, q, np.float64)
        ro = big.copy()
        ro.setflags(write=False)
        h, q = pv.hessenberg(ro, calc_q=True, overwrite_a=True, method=method)
        check_hessenberg(big, h, q, np.float64)
    hi = pv.hessenberg(np.arange(9).reshape(3, 3), method="kernel")
    assert hi.dtype == np.float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_hessenberg_bad_input(backend):
    bad = np.eye(3)
    bad[2, 0] = np.inf
    with pytest.raises(ValueError, match="check_finite"):
        pv.hessenberg(to_backend(bad, backend))
    with pytest.raises(ValueError, match="square"):
        pv.hessenberg(to_backend(np.ones((3, 2)), backend), method="kernel")
    with pytest.raises(ValueError, match="method must be"):
        pv.hessenberg(to_backend(np.eye(3), backend), method="householder")
    with pytest.raises(ValueError, match="no derivative rule"):
        pv.hessenberg(torch.eye(3, dtype=torch.float64, requires_grad=True))


def test_hessenberg_jax_paths():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(15)
    a = random_matrix(rng, (8, 8), np.float64)
    h, q = jax.jit(lambda x: pv.hessenberg(x, calc_q=True, check_finite=False))(jnp.asarray(a))
    check_hessenberg(a, h, q, np.float64)
    with pytest.raises(ValueError, match="traced"):
        jax.jit(lambda x: pv.hessenberg(x, method="kernel", check_finite=False))(jnp.asarray(a))


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float64, np.complex128, np.float32]),
    block_size=st.sampled_from([1, 2, 5, None]),
)
def test_property_kernel_hessenberg(n, seed, dtype, block_size):
    rng = np.random.default_rng(seed)
    a = random_matrix(rng, (n, n), dtype)
    work = a.copy()
    tau = householder_hessenberg(work, block_size)
    check_hessenberg(a, np.triu(work, -1), form_hessenberg_q(work, tau), dtype)
    # the subdiagonal is real (larfg's convention), so H is real for real and complex input alike
    assert np.all(np.diagonal(work, -1).imag == 0)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 16),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float64, np.complex128]),
    sort=st.sampled_from([None, "lhp", "rhp", "iuc", "ouc"]),
)
def test_property_schur(n, seed, dtype, sort):
    rng = np.random.default_rng(seed)
    a = random_matrix(rng, (n, n), dtype)
    out = pv.schur(a, sort=sort)
    t, z = out[0], out[1]
    assert reconstruction_ratio(a, similarity(z, t), dtype) < THRESH
    assert orth_ratio(z, dtype) < THRESH
    # trace and Frobenius norm are invariants of a unitary similarity
    assert abs(np.trace(widen(t)) - np.trace(widen(a))) <= THRESH * n * u_of(dtype) * np.abs(a).sum()


@pytest.mark.parametrize("scale", [2.0**-996, 2.0**-498, 2.0**498, 2.0**996])
def test_rsf2csf_tiny_and_huge(scale):
    """SciPy 1.17.1's rsf2csf takes each 2x2 block's eigenvalues from a geev that loses its scaling."""
    rng = np.random.default_rng(16)
    a = designed(rng, 7, np.float64)
    t, z = pv.schur(a)
    t2, z2 = pv.rsf2csf(t * scale, z)
    assert np.all(np.tril(t2, -1) == 0)
    assert reconstruction_ratio(a * scale, similarity(z2, t2), np.float64) < THRESH
    assert_eigenvalues_agree(np.diagonal(t2) / scale, a, np.float64)
