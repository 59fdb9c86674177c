"""solve / inv / det / slogdet / pinv: SciPy compatibility, the decision table, the error policy, the report."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery

from .helpers import (
    DTYPES,
    THRESH,
    assert_solve_close,
    random_matrix,
    solve_residual_ratio,
    to_np,
    u_of,
)

torch = pytest.importorskip("torch")


def _assert_pinv_close(B, B_ref, A):
    """Two SVD-based pseudo-inverses of full-rank ``A`` agree to ``2 THRESH m u kappa**2 ||A^+||``.

    Each SVD is backward stable (``THRESH m u ||A||``), and ``A^+`` of a full-rank matrix
    moves by at most ``~kappa**2`` times a relative perturbation (Wedin).
    """
    A = np.asarray(A)
    for idx in np.ndindex(A.shape[:-2]):
        s = np.linalg.svd(A[idx], compute_uv=False)
        tol = 2 * THRESH * max(A.shape[-2:]) * u_of(np.float64) * (s[0] / s[-1]) ** 2 / s[-1]
        np.testing.assert_allclose(B[idx], B_ref[idx], rtol=0, atol=tol)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pv.LinAlgWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- SciPy compatibility
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("assume_a", [None, "gen", "general", "sym", "her", "pos", "positive definite"])
def test_matches_scipy(dtype, assume_a):
    rng = np.random.default_rng(3)
    n = 12
    M = random_matrix(rng, (n, n), dtype)
    if assume_a in ("sym", "pos", "positive definite", "her"):
        A = (M @ M.conj().T + n * np.eye(n)).astype(dtype)
        if assume_a == "sym" and np.iscomplexobj(A):
            A = (M + M.T).astype(dtype)
    else:
        A = M
    b = random_matrix(rng, (n, 3), dtype)
    ours = pv.solve(A, b, assume_a=assume_a)
    theirs = sl.solve(A, b, assume_a=assume_a)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert solve_residual_ratio(A, ours, b, dtype) < THRESH
    tol = 200 * u_of(dtype) * np.linalg.cond(A)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=tol * np.abs(theirs).max())


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("assume_a", ["sym", "her", "pos"])
def test_lower_uses_one_triangle(lower, assume_a):
    rng = np.random.default_rng(4)
    n = 8
    M = random_matrix(rng, (n, n), np.complex128 if assume_a == "her" else np.float64)
    A = M @ M.conj().T + n * np.eye(n)
    garbage = A.copy()
    mask = np.triu(np.ones((n, n), bool), 1) if lower else np.tril(np.ones((n, n), bool), -1)
    garbage[mask] = 1e3  # the triangle that must not be read
    b = np.arange(1.0, n + 1)
    x = pv.solve(garbage, b, assume_a=assume_a, lower=lower)
    assert_solve_close(x, sl.solve(garbage, b, assume_a=assume_a, lower=lower), A)
    assert solve_residual_ratio(A, x, b) < THRESH


@pytest.mark.parametrize(
    "assume_a", ["diagonal", "tridiagonal", "upper triangular", "lower triangular", "banded"]
)
def test_structured_assume_a(assume_a):
    rng = np.random.default_rng(5)
    n = 9
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    if assume_a == "diagonal":
        S = np.diag(np.diag(A))
    elif assume_a in ("tridiagonal", "banded"):
        S = np.triu(np.tril(A, 1), -1)
    elif assume_a == "upper triangular":
        S = np.triu(A)
    else:
        S = np.tril(A)
    b = rng.standard_normal(n)
    # Entries outside the structure are ignored, as in SciPy (except "banded", which detects).
    given = S if assume_a == "banded" else A
    x = pv.solve(given, b, assume_a=assume_a)
    assert solve_residual_ratio(S, x, b) < THRESH
    if assume_a != "banded":
        assert_solve_close(x, sl.solve(A, b, assume_a=assume_a), S)


def test_transposed_real_and_complex():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((7, 7))
    b = rng.standard_normal(7)
    assert_solve_close(pv.solve(A, b, transposed=True), sl.solve(A, b, transposed=True), A.T)
    C = random_matrix(rng, (7, 7), np.complex128)
    x = pv.solve(C, b, transposed=True)  # SciPy raises NotImplementedError; we solve C^T x = b
    assert solve_residual_ratio(C.T, x, b) < THRESH


def test_batches_and_broadcasting():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((2, 3, 6, 6))
    b = rng.standard_normal(6)
    assert_solve_close(pv.solve(A, b), sl.solve(A, b), A)
    B = rng.standard_normal((3, 6, 2))
    assert_solve_close(pv.solve(A, B), sl.solve(A, B), A)
    assert_solve_close(pv.solve(A[0, 0], B), sl.solve(A[0, 0], B), np.broadcast_to(A[0, 0], (3, 6, 6)))
    # Batch of SPD matrices, as in SciPy's docstring.
    a = np.arange(12.0).reshape(3, 2, 2)
    P = a.transpose(0, 2, 1) @ a
    assert_solve_close(pv.solve(P, np.ones(2)), np.array([[1, -0.5], [3, -2.5], [5, -4.5]]), P)


def test_empty_inputs():
    assert pv.solve(np.zeros((0, 0)), np.zeros(0)).shape == (0,)
    assert pv.solve(np.eye(3), np.zeros((3, 0))).shape == (3, 0)
    assert pv.solve(np.zeros((2, 0, 0)), np.zeros((2, 0, 4))).shape == (2, 0, 4)
    _, report = pv.solve(np.zeros((0, 0)), np.zeros(0), return_report=True)
    assert report.backward_error == 0 and report.method == "none"


def test_inputs_are_not_modified_and_any_layout_works():
    rng = np.random.default_rng(8)
    A = np.asfortranarray(rng.standard_normal((6, 6)))
    b = rng.standard_normal((6, 2))
    A0, b0 = A.copy(), b.copy()
    x = pv.solve(A, b)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)
    assert solve_residual_ratio(A0, x, b0) < THRESH
    # SciPy's overwrite rules: a Fortran-ordered A is factored in place, a C-ordered b is kept.
    x = pv.solve(A, b, overwrite_a=True, overwrite_b=True)
    assert not np.array_equal(A, A0)
    np.testing.assert_array_equal(b, b0)
    assert solve_residual_ratio(A0, x, b0) < THRESH
    big = rng.standard_normal((12, 12))
    strided = big[::2, ::2]
    strided.flags.writeable = False
    assert_solve_close(pv.solve(strided, b), sl.solve(strided, b), strided)
    ints = np.array([[3, 2, 0], [1, -1, 0], [0, 5, 1]])
    np.testing.assert_allclose(pv.solve(ints, np.array([2, 4, -1])), [2.0, -2.0, 9.0])


def test_torch_and_jax():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((10, 10))
    b = rng.standard_normal((10, 2))
    xt = pv.solve(torch.from_numpy(A), torch.from_numpy(b))
    assert isinstance(xt, torch.Tensor)
    assert_solve_close(to_np(xt), np.linalg.solve(A, b), A)
    xt, rep = pv.solve(torch.from_numpy(A), torch.from_numpy(b), return_report=True)
    assert rep.backward_error < THRESH * 10 * u_of(np.float64)  # the ratio, times n u
    jnp = pytest.importorskip("jax.numpy")
    import jax

    jax.config.update("jax_enable_x64", True)
    xj = pv.solve(jnp.asarray(A), jnp.asarray(b))
    assert_solve_close(np.asarray(xj), np.linalg.solve(A, b), A)
    xj, rep = pv.solve(jnp.asarray(A), jnp.asarray(b), return_report=True)
    assert isinstance(xj, jax.Array) and rep.method == "LU"
    with pytest.raises(TypeError, match="same type"):
        pv.solve(A, torch.from_numpy(b))


def test_bad_arguments():
    A = np.eye(3)
    with pytest.raises(ValueError, match="not a recognized matrix structure"):
        pv.solve(A, np.ones(3), assume_a="toeplitz")
    with pytest.raises(ValueError, match="refine"):
        pv.solve(A, np.ones(3), refine="always")
    with pytest.raises(ValueError, match="square"):
        pv.solve(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="incompatible"):
        pv.solve(A, np.ones(4))
    for bad in (np.nan, np.inf):
        B = A.copy()
        B[1, 2] = bad
        with pytest.raises(ValueError, match=r"NaN|inf|finite"):
            pv.solve(B, np.ones(3))
        with pytest.raises(ValueError, match=r"NaN|inf|finite"):
            pv.solve(A, np.array([1.0, bad, 0.0]))


# --------------------------------------------------------------------------- decision table rows
def _report(A, b=None, **kw):
    b = np.ones(A.shape[0]) if b is None else b
    return _quiet(pv.solve, A, b, return_report=True, **kw)


def test_row_cholesky_falls_back_to_ldl():
    M = np.random.default_rng(1).standard_normal((20, 20))
    A = M + M.T
    np.fill_diagonal(A, 1.0)  # positive diagonal, eigenvalues of both signs
    assert np.linalg.eigvalsh(A).min() < 0
    x, rep = _report(A)
    assert rep.method == "LDL"
    assert any(step.startswith("cholesky failed at column") for step in rep.path)
    assert solve_residual_ratio(A, x, np.ones(20)) < THRESH


def test_row_spd_cholesky_and_symmetric_indefinite():
    A = gallery.random_spd(15, 1e3, random_state=2)
    assert _report(A)[1].method == "Cholesky"
    S = A - 2 * np.eye(15) * np.abs(A).max()
    assert _report(S)[1].method == "LDL"


def test_row_permuted_triangular():
    L = np.tril(np.arange(1.0, 37.0).reshape(6, 6)) + 6 * np.eye(6)
    P = L[[2, 5, 0, 4, 1, 3]]
    b = np.arange(6.0)
    x, rep = _report(P, b)
    assert rep.method == "Triangular" and "row-permuted" in rep.path[-1]
    assert solve_residual_ratio(P, x, b) < THRESH


def test_row_tridiagonal_diagonal_triangular():
    n = 30
    T = np.diag(np.full(n, 4.0)) + np.diag(np.full(n - 1, -1.0), 1) + np.diag(np.full(n - 1, 2.0), -1)
    x, rep = _report(T)
    assert rep.method == "Banded" and solve_residual_ratio(T, x, np.ones(n)) < THRESH
    assert _report(np.diag(np.arange(1.0, 6.0)))[1].method == "Diagonal"
    assert _report(np.triu(np.ones((5, 5))))[1].method == "Triangular"


def test_row_all_zero_matrix_raises():
    with pytest.raises(pv.SingularMatrixError, match="zero matrix") as err:
        pv.solve(np.zeros((4, 4)), np.ones(4))
    assert err.value.index == 0
    with pytest.raises(pv.SingularMatrixError):
        pv.inv(np.zeros((3, 3)))


def test_row_exactly_singular_has_index():
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.solve(A, np.ones(3))
    assert err.value.index == 2
    assert isinstance(err.value, np.linalg.LinAlgError)
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.solve(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2), assume_a="pos")
    assert err.value.index == 1


def test_row_tiny_pivot_2x2():
    A = np.array([[1e-16, 1.0], [1.0, 2.0]])
    b = np.array([1.0, 3.0])
    x, rep = _report(A, b)
    assert_solve_close(x, np.linalg.solve(A, b), A)
    assert rep.backward_error <= 3 * u_of(np.float64)  # (n + 1) u: the rounding of b - A x


def test_row_vandermonde_10():
    V = gallery.vandermonde(10)
    x_true = np.linspace(-1, 1, 10)
    b = V @ x_true
    x, rep = _report(V, b)
    err = np.abs(x - x_true).max() / np.abs(x).max()
    assert rep.method == "LU" and err <= rep.forward_error_bound
    assert rep.backward_error <= 11 * u_of(np.float64)


def test_row_hilbert_14_warns_with_rcond():
    H = gallery.hilbert(14)
    with pytest.warns(pv.IllConditionedWarning, match=r"rcond=\d") as record:
        pv.solve(H, np.ones(14))
    w = record[0].message
    assert 0 < w.rcond < 2.3e-16 and f"{w.rcond:.3g}" in str(w)
    assert isinstance(w, sl.LinAlgWarning)
    assert "lstsq" in str(w) and "refine" in str(w)
    assert record[0].filename == __file__  # attributed to the caller


def test_well_conditioned_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.solve(np.eye(5) * 3 + 0.1, np.ones(5))
        pv.inv(np.eye(5) * 3 + 0.1)


def test_rank_deficient_rectangular_goes_to_lstsq():
    A = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 4.0))
    with pytest.raises(ValueError, match="lstsq"):
        pv.solve(A, np.ones(6))
    F = pv.factorize(A)
    assert isinstance(F, pv.QRPivoted) and F.rank == 1


# --------------------------------------------------------------------------- the certificate (dget07 style)
@pytest.mark.parametrize("kappa", [1e1, 1e4, 1e8, 1e12])
@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5])
def test_forward_error_bound_holds(kappa, mode):
    rng = np.random.default_rng(int(math.log10(kappa)) * 10 + mode)
    n = 40
    A = gallery.randsvd(n, kappa, mode, random_state=rng)
    x_true = rng.standard_normal((n, 2))
    b = A @ x_true
    for refine in (False, True):
        x, rep = _report(A, b, refine=refine)
        err = np.max(np.abs(x - x_true), axis=0) / np.max(np.abs(x), axis=0)
        assert np.all(err <= rep.forward_error_bound), (err, rep.forward_error_bound)
        assert rep.backward_error <= (n + 1) * u_of(np.float64)
        if refine:
            assert rep.componentwise_backward_error <= (n + 1) * u_of(np.float64)
            assert rep.refinement == "fixed"
    # The bound is informative: within a few orders of magnitude of kappa * u.
    assert rep.forward_error_bound < 1e4 * n * kappa * u_of(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_forward_error_bound_other_dtypes(dtype):
    rng = np.random.default_rng(11)
    n = 30
    A = gallery.randsvd(n, 1e4, 3, dtype=dtype, random_state=rng)
    x_true = random_matrix(rng, (n,), dtype).astype(np.complex128 if np.iscomplexobj(A) else np.float64)
    b = (A.astype(x_true.dtype) @ x_true).astype(dtype)
    x, rep = _report(A, b)
    err = np.abs(
        x.astype(x_true.dtype) - (np.linalg.solve(A.astype(x_true.dtype), b.astype(x_true.dtype)))
    ).max()
    assert err / np.abs(x).max() <= rep.forward_error_bound
    assert rep.dtype == np.dtype(dtype).name


def test_report_fields_and_serialisation():
    A = gallery.random_spd(10, 100.0, random_state=3)
    x, rep = pv.solve(A, np.ones(10), return_report=True)
    d = rep.to_dict()
    assert set(d) >= {
        "method",
        "path",
        "rcond",
        "backward_error",
        "componentwise_backward_error",
        "forward_error_bound",
        "refinement",
        "refinement_steps",
        "residual_norm",
        "dtype",
    }
    assert json.loads(json.dumps(d))["method"] == "Cholesky"
    assert 0 < rep.rcond <= 1 and rep.residual_norm == pytest.approx(np.abs(np.ones(10) - A @ x).max())
    text = str(rep)
    assert "forward error bound" in text and "Cholesky" in text


def test_batched_report_is_worst_case():
    rng = np.random.default_rng(12)
    good = gallery.randsvd(8, 10.0, 3, random_state=rng)
    bad = gallery.randsvd(8, 1e10, 3, random_state=rng)
    _, rep = pv.solve(np.stack([good, bad]), np.ones(8), return_report=True)
    _, rep_bad = pv.solve(bad, np.ones(8), return_report=True)
    assert rep.batch_size == 2
    assert rep.rcond == pytest.approx(rep_bad.rcond)
    assert rep.forward_error_bound == pytest.approx(rep_bad.forward_error_bound, rel=0.5)


# --------------------------------------------------------------------------- refinement through solve
def test_auto_refinement_rescues_pivot_growth():
    n = 55
    A = gallery.gfpp(n)  # GEPP growth 2^(n-1): LU is not backward stable
    x_true = np.random.default_rng(13).standard_normal(n)
    b = A @ x_true
    x0, rep0 = _report(A, b, refine=False)
    x1, rep1 = _report(A, b)  # refine="auto"
    assert rep0.backward_error > 1e-8
    assert rep1.refinement == "fixed" and rep1.refinement_steps >= 1
    assert rep1.backward_error <= (n + 1) * u_of(np.float64)
    # refined: forward error <= cond(A) (n + 1) u (gfpp is well conditioned); unrefined: O(1)
    bound = 10 * np.linalg.cond(A, np.inf) * (n + 1) * u_of(np.float64) * np.abs(x_true).max()
    assert np.abs(x1 - x_true).max() < bound < np.abs(x0 - x_true).max()
    assert any("refine" in step for step in rep1.path)


def test_auto_does_not_refine_a_stable_solve():
    A = gallery.randsvd(30, 1e3, 3, random_state=14)
    _, rep = _report(A)
    assert rep.refinement is None and rep.refinement_steps == 0


@pytest.mark.parametrize("kappa", [1e2, 1e6])
def test_mixed_precision_through_solve(kappa):
    rng = np.random.default_rng(15)
    n = 120
    A = gallery.randsvd(n, kappa, 3, random_state=rng)
    x_true = rng.standard_normal(n)
    b = A @ x_true
    x, rep = _report(A, b, refine="mixed")
    assert rep.refinement == "mixed" and rep.factor_dtype == "float32"
    err = np.abs(x - x_true).max() / np.abs(x_true).max()
    assert err <= 10 * np.linalg.cond(A, np.inf) * 2 * u_of(np.float64)
    assert err <= rep.forward_error_bound
    assert rep.backward_error <= (n + 1) * u_of(np.float64)


def test_mixed_precision_torch():
    rng = np.random.default_rng(16)
    A = gallery.randsvd(60, 1e4, 3, random_state=rng)
    b = rng.standard_normal(60)
    x = pv.solve(torch.from_numpy(A), torch.from_numpy(b), refine="mixed")
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float64
    assert_solve_close(to_np(x), np.linalg.solve(A, b), A)


# --------------------------------------------------------------------------- inv / det / slogdet / pinv
@pytest.mark.parametrize("dtype", DTYPES)
def test_inv_det_slogdet_match_references(dtype):
    rng = np.random.default_rng(17)
    A = random_matrix(rng, (3, 6, 6), dtype) + 3 * np.eye(6, dtype=dtype)
    # Both sides come from backward-stable LU (error THRESH n u ||A||): inverses agree to
    # 2 THRESH n u kappa normwise, determinants to 2 n kappa THRESH n u relative (|tr(A^-1 dA)|).
    n, kappa = 6, max(np.linalg.cond(a.astype(np.complex128), 1) for a in A)
    tol = 2 * THRESH * n * u_of(dtype) * kappa
    X = np.linalg.inv(A)
    np.testing.assert_allclose(pv.inv(A), X, rtol=0, atol=tol * np.abs(X).max())
    np.testing.assert_allclose(pv.det(A), sl.det(A), rtol=n * tol)
    sign, logabs = pv.slogdet(A)
    s_ref, l_ref = np.linalg.slogdet(A)
    np.testing.assert_allclose(sign, s_ref, rtol=0, atol=n * tol)
    np.testing.assert_allclose(logabs, l_ref, rtol=0, atol=n * tol)
    assert pv.inv(A).dtype == np.linalg.inv(A).dtype
    d = pv.det(A[0])
    assert np.ndim(d) == 0 and np.isclose(d, sl.det(A[0]), rtol=n * tol, atol=0)


def test_inv_assume_a_and_torch():
    A = gallery.random_spd(7, 50.0, random_state=18)
    # ||X A - I|| <= THRESH n u kappa for an inverse from a backward-stable factorization
    tol = THRESH * 7 * u_of(np.float64) * np.linalg.cond(A, 1)
    for assume_a in (None, "pos", "sym", "gen"):
        np.testing.assert_allclose(pv.inv(A, assume_a=assume_a) @ A, np.eye(7), rtol=0, atol=tol)
    upper_only = np.triu(A)
    X = np.linalg.inv(A)
    np.testing.assert_allclose(pv.inv(upper_only, assume_a="pos"), X, rtol=0, atol=2 * tol * np.abs(X).max())
    At = torch.from_numpy(A)
    assert torch.allclose(pv.inv(At), torch.linalg.inv(At))
    assert torch.allclose(pv.det(At), torch.linalg.det(At))


def test_det_slogdet_singular_and_empty():
    S = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert pv.det(S) == 0.0
    sign, logabs = pv.slogdet(S)
    assert sign == 0 and logabs == -np.inf
    assert pv.det(np.zeros((0, 0))) == 1.0
    sign, logabs = pv.slogdet(np.zeros((0, 0)))
    assert sign == 1.0 and logabs == 0.0
    with pytest.raises(pv.SingularMatrixError):
        pv.inv(S)
    assert pv.inv(np.zeros((0, 0))).shape == (0, 0)
    big = np.diag(np.full(200, 1e10))
    assert np.isinf(pv.det(big)) and pv.slogdet(big).logabsdet == pytest.approx(200 * np.log(1e10))


def test_inv_of_ill_conditioned_warns():
    with pytest.warns(pv.IllConditionedWarning):
        pv.inv(gallery.hilbert(14))


@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (3, 5, 4)])
def test_pinv_matches_scipy(shape):
    rng = np.random.default_rng(19)
    A = random_matrix(rng, shape, np.complex128)
    _assert_pinv_close(pv.pinv(A), sl.pinv(A), A)
    low = A[..., :2] @ A[..., :2, :].conj().swapaxes(-1, -2)[..., :2, :] if len(shape) == 2 else None
    if low is not None:
        B, r = pv.pinv(low, return_rank=True)
        assert r == 2
        # Penrose conditions, to the SVD's backward error amplified by sigma_1 / sigma_2
        s = np.linalg.svd(low, compute_uv=False)
        eps = THRESH * max(shape) * u_of(np.float64) * s[0] / s[1]
        np.testing.assert_allclose(low @ B @ low, low, rtol=0, atol=eps * s[0])
        np.testing.assert_allclose(B @ low @ B, B, rtol=0, atol=eps / s[1])
    with pytest.raises(ValueError, match="nonnegative"):
        pv.pinv(A, atol=-1.0)


def test_pinv_slogdet_torch_and_bad_inputs():
    rng = np.random.default_rng(20)
    A = rng.standard_normal((6, 4))
    At = torch.from_numpy(A)
    B = pv.pinv(At)
    assert isinstance(B, torch.Tensor)
    _assert_pinv_close(to_np(B), sl.pinv(A), A)
    S = rng.standard_normal((5, 5))
    sign, logabs = pv.slogdet(torch.from_numpy(S))
    s_ref, l_ref = np.linalg.slogdet(S)
    assert float(sign) == s_ref and np.isclose(float(logabs), l_ref)
    bad = A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN|inf|finite"):
        pv.pinv(bad)
    with pytest.raises(ValueError, match=r"NaN|inf|finite"):
        pv.inv(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        pv.inv(A)
    with pytest.raises(ValueError, match="square"):
        pv.det(A)
