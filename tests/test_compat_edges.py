"""SciPy conventions at the edges, and regression tests for the inputs that once gave wrong answers.

The SciPy harness (tests/compat) runs SciPy's own tests; these check what it cannot: that pivotal's
answer is right where it deviates on purpose (docs/compat.md), and the validation of adversarial
input (malformed pivots, masked arrays, dtypes without arithmetic).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.sparse
import scipy.sparse.linalg as ssl

import pivotal as pv
from pivotal.errors import UnsupportedDTypeError
from pivotal.randomized._svds import select_eigsh_method, select_svds_method

from .helpers import THRESH, reconstruction_ratio, solve_residual_ratio, to_np

torch = pytest.importorskip("torch")

STRUCTURES = [
    "general",
    "diagonal",
    "tridiagonal",
    "banded",
    "upper triangular",
    "lower triangular",
    "symmetric",
    "hermitian",
    "positive definite",
]


def _case(structure, lower, dtype, n=6, seed=0):
    """``(a, effective)``: the input, with junk where the structure says SciPy ignores entries, and
    the matrix SciPy's ``solve(a, ..., assume_a=structure, lower=lower)`` actually solves with."""
    rng = np.random.default_rng(seed)
    cplx = np.dtype(dtype).kind == "c"

    def rand(*shape):
        x = rng.standard_normal(shape)
        return x + 1j * rng.standard_normal(shape) if cplx else x

    full = rand(n, n) + 2 * n * np.eye(n)  # diagonally dominant: well conditioned
    if structure == "general":
        return full, full
    if structure == "banded":
        band = np.triu(np.tril(full, 2), -1)
        return band, band
    if structure == "diagonal":
        return full, np.diag(np.diag(full))
    if structure == "tridiagonal":
        return full, np.triu(np.tril(full, 1), -1)
    if structure in ("upper triangular", "lower triangular"):
        return full, np.triu(full) if structure.startswith("upper") else np.tril(full)
    r = rand(n, n)
    if structure == "symmetric":
        eff = r + r.T + 2 * n * np.eye(n)
    else:  # hermitian, positive definite (diagonally dominant with a positive diagonal)
        eff = r + r.conj().T + 4 * n * np.eye(n)
    junk = rand(n, n) * 100
    a = np.where(np.tri(n, k=-1, dtype=bool) if not lower else np.tri(n, k=-1, dtype=bool).T, junk, eff)
    return a, eff


@pytest.mark.parametrize("transposed", [True, False])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_solve_transposed_uses_the_structure_of_a(dtype, structure, lower, transposed):
    """``transposed=True`` solves ``effective(a).T x = b`` for every structure and triangle.

    (Regression: with a triangular ``assume_a`` the transposed solve used the wrong triangle,
    relative errors 0.77-7.6.)  Complex ``transposed=True`` is refused by SciPy; pivotal
    solves it (docs/compat.md), so the reference is the effective matrix itself.
    """
    a, eff = _case(structure, lower, dtype)
    b = np.arange(1.0, 7.0).astype(dtype)
    x = pv.solve(a, b, assume_a=structure, lower=lower, transposed=transposed)
    op = eff.T if transposed else eff
    assert solve_residual_ratio(op, x, b) < THRESH
    if np.dtype(dtype).kind == "c" and transposed:
        return
    # The model of SciPy's semantics (the effective matrix) is SciPy's own.
    xs = sl.solve(a, b, assume_a=structure, lower=lower, transposed=transposed)
    assert solve_residual_ratio(op, xs, b) < THRESH


def test_complex_transposed_matches_solving_the_transpose():
    a, _ = _case("general", False, np.complex128)
    b = np.arange(6.0) + 1j
    x = pv.solve(a, b, transposed=True)
    assert solve_residual_ratio(a.T, x, b) < THRESH
    with pytest.raises(NotImplementedError):
        sl.solve(a, b, transposed=True)


# --------------------------------------------------------------------------- scalars


def test_scalar_a_divides_b_like_scipy():
    np.testing.assert_array_equal(pv.solve(2, [1, 2, 3]), sl.solve(2, [1, 2, 3]))
    assert pv.solve(2.0, [1, 2, 3]).shape == (3,)
    for a, b in [(0, [1, 2]), (np.zeros((1, 1)), [0, 1]), ([[0]], 1)]:
        with pytest.raises(pv.SingularMatrixError, match="singular"):
            pv.solve(a, b)
    with pytest.raises(ValueError, match="return_report"):
        pv.solve(2.0, [1.0, 2.0], return_report=True)


@pytest.mark.parametrize("structure", [None, *STRUCTURES[1:]])
def test_exactly_singular_messages_say_singular(structure):
    with pytest.raises(pv.LinAlgError, match="singular"), np.errstate(all="ignore"):
        pv.solve(np.zeros((4, 4)), np.ones(4), assume_a=structure)


def test_ill_conditioning_warning_text_and_rcond():
    with pytest.warns(pv.IllConditionedWarning, match="Ill-conditioned matrix") as rec:
        pv.solve(np.diag(np.logspace(0, 50, 10)), np.ones(10))
    assert rec[0].message.rcond < 1e-40


def test_unknown_assume_a_is_a_value_error_and_a_key_error():
    for func in (pv.solve, pv.inv):
        args = (np.eye(2), np.ones(2)) if func is pv.solve else (np.eye(2),)
        with pytest.raises(ValueError, match="kaboom") as err:
            func(*args, assume_a="kaboom")
        assert isinstance(err.value, KeyError)
        assert str(err.value).startswith("assume_a='kaboom'")  # not KeyError's quoted repr


# --------------------------------------------------------------------------- overwrite_*


def test_solve_overwrite_follows_scipy():
    rng = np.random.default_rng(1)
    a0 = rng.standard_normal((5, 5)) + 5 * np.eye(5)
    b0 = rng.standard_normal(5)
    for transposed in (False, True):
        for refine in ("auto", False):
            a, b = np.asfortranarray(a0), b0.copy()
            x = pv.solve(a, b, overwrite_a=True, overwrite_b=True, transposed=transposed, refine=refine)
            assert not np.array_equal(a, a0), "a Fortran-ordered a is factored in place"
            assert x is b, "x is returned in b's memory"
            assert solve_residual_ratio(a0.T if transposed else a0, x, b0) < THRESH
    # C order, integers, a batch: copied, as SciPy
    a, b = np.ascontiguousarray(a0), np.ascontiguousarray(np.stack([b0, b0], axis=1))
    x = pv.solve(a, b, overwrite_a=True, overwrite_b=True)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b[:, 0], b0)
    assert not np.shares_memory(x, b)
    bi = np.arange(5)
    assert not np.shares_memory(pv.solve(np.asfortranarray(a0), bi, overwrite_b=True), bi)
    # without the flags nothing is touched
    a, b = np.asfortranarray(a0), b0.copy()
    pv.solve(a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("refine", ["auto", False])
@pytest.mark.parametrize("assume_a", ["pos", "sym", "her"])
def test_solve_overwrite_with_symmetric_structures(assume_a, refine):
    """potrf/sytrf work in a Fortran-ordered a, as SciPy's (the flag once did nothing there)."""
    rng = np.random.default_rng(2)
    r = rng.standard_normal((5, 5))
    a0 = r @ r.T + 5 * np.eye(5)
    b = np.ones(5)
    a = np.asfortranarray(a0)
    x = pv.solve(a, b, assume_a=assume_a, overwrite_a=True, refine=refine)
    assert solve_residual_ratio(a0, x, b) < THRESH
    assert not np.array_equal(a, a0), "factored in a's memory"
    for kept in (np.ascontiguousarray(a0), np.asfortranarray(np.round(a0)).astype(np.int64)):
        before = kept.copy()
        pv.solve(kept, b, assume_a=assume_a, overwrite_a=True)  # C order, integers: copied, as SciPy
        np.testing.assert_array_equal(kept, before)


def _spd(dtype, n=6, seed=3):
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if np.dtype(dtype).kind == "c" else 0)
    g = r @ r.conj().T
    return ((g + g.conj().T) / 2 + n * np.eye(n)).astype(dtype)  # an exactly real diagonal


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_cholesky_overwrite_a_leaves_the_factor_in_a(dtype, lower):
    """As SciPy: a Fortran-ordered ``a`` of a LAPACK dtype holds the factor afterwards."""
    a0 = _spd(dtype)
    a = np.asfortranarray(a0)
    c = pv.cholesky(a, lower=lower, overwrite_a=True)
    np.testing.assert_array_equal(a, c)  # the factor, the other triangle zeroed (potrf's clean)
    product = c @ c.conj().T if lower else c.conj().T @ c
    assert reconstruction_ratio(a0, product) < THRESH
    a = np.asfortranarray(a0)
    c, low = pv.cho_factor(a, lower=lower, overwrite_a=True)
    tri = np.tril if low else np.triu
    np.testing.assert_array_equal(tri(a), tri(c))
    x = pv.cho_solve((c, low), np.ones(6))
    assert solve_residual_ratio(a0, x, np.ones(6), dtype=dtype) < THRESH  # a single-precision factor
    # Not overwritten: without the flag, C order, read-only, another dtype (as SciPy).
    ro = np.asfortranarray(a0)
    ro.flags.writeable = False
    for a, kw in ((np.asfortranarray(a0), {}), (np.ascontiguousarray(a0), {"overwrite_a": True}),
                  (ro, {"overwrite_a": True}), (np.asfortranarray(a0.astype(np.complex128)), {})):  # fmt: skip
        before = a.copy()
        pv.cholesky(a, lower=lower, **kw)
        pv.cho_factor(a, lower=lower, **kw)
        np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_ldl_overwrite_a_leaves_the_compact_factors_in_a(dtype, lower):
    """As SciPy's ``ldl``: ``a`` holds LAPACK's compact Bunch-Kaufman factors (``?sytrf``/``?hetrf``)."""
    a0 = _spd(dtype) - 8 * np.eye(6)  # indefinite
    ours, theirs = np.asfortranarray(a0), np.asfortranarray(a0)
    lu_, d, _ = pv.ldl(ours, lower=lower, overwrite_a=True)
    sl.ldl(theirs, lower=lower, overwrite_a=True)
    tri = np.tril if lower else np.triu
    # Same LAPACK routine on the same data; the bound covers a different blocking of its updates.
    tol = THRESH * 6 * np.finfo(dtype).eps / 2 * np.abs(theirs).max()
    np.testing.assert_allclose(tri(ours), tri(theirs), rtol=0, atol=tol)
    assert np.abs(tri(ours) - tri(a0)).max() > 1  # really overwritten
    assert reconstruction_ratio(a0, lu_ @ d @ lu_.conj().T) < THRESH
    kept = np.ascontiguousarray(a0)
    pv.ldl(kept, lower=lower, overwrite_a=True)
    np.testing.assert_array_equal(kept, a0)


def test_inv_and_det_overwrite_follow_scipy():
    a0 = np.array([[4.0, 3.0, 1.0], [6.0, 3.0, 2.0], [1.0, 5.0, 7.0]])
    a = np.asfortranarray(a0)
    ainv = pv.inv(a, overwrite_a=True)
    assert np.shares_memory(ainv, a)
    assert reconstruction_ratio(np.eye(3), a0 @ ainv) < THRESH
    c = a0.copy()
    assert not np.shares_memory(pv.inv(c, overwrite_a=True), c)
    np.testing.assert_array_equal(c, a0)
    c32 = a0.astype(np.float32)
    d = pv.det(c32, overwrite_a=True)
    assert not np.array_equal(c32, a0.astype(np.float32)), "C-ordered float32: factored in place"
    assert d == pytest.approx(np.linalg.det(a0), rel=1e-5)
    ro = a0.copy()
    ro.flags.writeable = False
    assert pv.det(ro, overwrite_a=True) == pytest.approx(np.linalg.det(a0), rel=1e-13)


# --------------------------------------------------------------------------- dtypes


UNSUPPORTED = {
    "S": np.array([[b"a", b"b"], [b"c", b"d"]]),
    "U": np.array([["a", "b"], ["c", "d"]]),
    "V": np.asarray([[b"a", b"b"], [b"c", b"d"]], dtype="V"),
    "O": np.array([[1, 2], [3, 4]], dtype=object),
    "M": np.eye(2, dtype="datetime64[ms]"),
    "m": np.eye(2, dtype="timedelta64[ms]"),
}


@pytest.mark.parametrize("code", list(UNSUPPORTED))
@pytest.mark.parametrize(
    "func",
    [
        pv.inv,
        pv.det,
        pv.slogdet,
        pv.lu,
        pv.lu_factor,
        pv.cholesky,
        pv.ldl,
        pv.qr,
        pv.pinv,
        lambda a: pv.solve(a, np.ones(2)),
        lambda a: pv.solve(np.eye(2), a[:, 0]),
        lambda a: pv.lstsq(a, np.ones(2)),
    ],
)
def test_dtypes_without_arithmetic_raise_a_value_and_type_error(func, code):
    with pytest.raises(UnsupportedDTypeError, match="cannot be cast to float") as err:
        func(UNSUPPORTED[code])
    assert isinstance(err.value, ValueError) and isinstance(err.value, TypeError)


@pytest.mark.parametrize("code", "egG?bBhHiIlLqQ")
def test_compatible_dtypes_give_double_precision_determinants(code):
    a = (np.array([[2, 1], [4, -6]]) if code != "?" else np.eye(2)).astype(code)
    d = pv.det(a)
    assert isinstance(d, (np.float64, np.complex128))


# --------------------------------------------------------------------------- lu / lu_solve


def test_lu_empty_edge_cases():
    """SciPy's own test (test_decomp_lu.py::TestLU::test_empty_edge_cases) except its M x 0 case,
    where SciPy's p is (0, 0) and p @ l @ u is undefined: pivotal's p is the M x M identity."""
    p, l, u = pv.lu(np.empty([0, 0]))
    assert p.shape == l.shape == u.shape == (0, 0)
    p, l, u = pv.lu(np.empty([0, 3], dtype=np.float16))
    assert (p.shape, l.shape, u.shape) == ((0, 0), (0, 0), (0, 3))
    assert p.dtype == l.dtype == u.dtype == np.float32
    a = np.empty([3, 0], dtype=np.complex64)
    p, l, u = pv.lu(a)
    assert (p.shape, l.shape, u.shape) == ((3, 3), (3, 0), (0, 0))
    assert p.dtype == np.float32 and l.dtype == u.dtype == np.complex64
    np.testing.assert_array_equal(p @ l @ u, a)
    pi, l, u = pv.lu(a, p_indices=True)
    np.testing.assert_array_equal(pi, np.arange(3))
    np.testing.assert_array_equal(l[pi] @ u, a)
    pl, u = pv.lu(a, permute_l=True)
    assert pl.shape == (3, 0) and u.shape == (0, 0)
    p, l, u = pv.lu(np.empty([3, 0, 0], dtype=np.complex64))
    assert p.shape == l.shape == u.shape == (3, 0, 0)
    p, l, u = pv.lu(np.empty([0, 0, 3]))
    assert (p.shape, l.shape, u.shape) == ((0, 0, 0), (0, 0, 0), (0, 0, 3))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        pv.lu(np.array([]))


@pytest.mark.parametrize(
    "piv, what",
    [
        (np.array([0, -1, 2], dtype=np.int32), "0 <= piv"),
        (np.array([0, 1], dtype=np.int32), "3 row interchanges"),
        (np.array([0.0, 1.0, 2.0]), "integer"),
        (np.array([0, 1, 3], dtype=np.int32), "0 <= piv"),
        (np.array([[0, 1, 2]], dtype=np.int32).T, "3 row interchanges"),
        ([0, 5, 2], "0 <= piv"),
    ],
)
def test_lu_solve_refuses_malformed_pivots(piv, what):
    lu_, _ = pv.lu_factor(np.array([[2.0, 1, 0], [1, 3, 1], [0, 1, 4]]))
    with pytest.raises(ValueError, match=what):
        pv.lu_solve((lu_, piv), np.ones(3))
    with pytest.raises(ValueError, match=what.replace("piv", "jpiv")):
        pv.lu_solve((lu_, np.arange(3, dtype=np.int32), piv), np.ones(3))


def test_lu_solve_accepts_scipy_pivots_of_any_integer_type():
    a = np.array([[2.0, 1, 0], [1, 3, 1], [0, 1, 4]])
    lu_, piv = sl.lu_factor(a)
    for p in (piv, piv.astype(np.int64), piv.tolist(), torch.as_tensor(piv)):
        x = pv.lu_solve((lu_, p), np.ones(3)) if not isinstance(p, torch.Tensor) else None
        if x is not None:
            assert solve_residual_ratio(a, x, np.ones(3)) < THRESH
    x = pv.lu_solve((torch.as_tensor(lu_), torch.as_tensor(piv)), torch.ones(3, dtype=torch.float64))
    assert solve_residual_ratio(a, to_np(x), np.ones(3)) < THRESH
    assert pv.lu_solve((np.empty((0, 0)), np.array([])), np.empty(0)).shape == (0,)


# --------------------------------------------------------------------------- masked arrays


def _masked(x):
    m = np.ma.masked_array(x)
    m[..., 0] = np.ma.masked
    return m


def _public_calls():
    """Every public function of pivotal, called with one masked input (small, well-posed otherwise)."""
    rng = np.random.default_rng(3)
    r = rng.standard_normal((8, 8))
    a = r @ r.T + 8 * np.eye(8)
    M, b, tall = _masked(a), np.ones(8), _masked(rng.standard_normal((200, 5)))
    q, rr = sl.qr(a)
    return {
        "lu": lambda: pv.lu(M),
        "lu_factor": lambda: pv.lu_factor(M),
        "lu_solve": lambda: pv.lu_solve(pv.lu_factor(a), _masked(b)),
        "cholesky": lambda: pv.cholesky(M),
        "cho_factor": lambda: pv.cho_factor(M),
        "cho_solve": lambda: pv.cho_solve(pv.cho_factor(a), _masked(b)),
        "ldl": lambda: pv.ldl(M),
        "qr": lambda: pv.qr(M),
        "qr_update": lambda: pv.qr_update(q, rr, _masked(b), b),
        "qr_insert": lambda: pv.qr_insert(q, rr, _masked(b), 0, "col"),
        "qr_delete": lambda: pv.qr_delete(_masked(q), rr, 0),
        "solve_triangular": lambda: pv.solve_triangular(M, b),
        "solve": lambda: pv.solve(a, _masked(b)),
        "inv": lambda: pv.inv(M),
        "det": lambda: pv.det(M),
        "slogdet": lambda: pv.slogdet(M),
        "inv_quad_logdet": lambda: pv.inv_quad_logdet(M, b),
        "lstsq": lambda: pv.lstsq(M, b),
        "pinv": lambda: pv.pinv(M),
        "matrix_rank": lambda: pv.matrix_rank(M),
        "null_space": lambda: pv.null_space(M),
        "orth": lambda: pv.orth(M),
        "cond": lambda: pv.cond(M),
        "condest": lambda: pv.condest(M),
        "backward_error": lambda: pv.backward_error(M, b, b),
        "forward_error_bound": lambda: pv.forward_error_bound(M, b, b),
        "residual": lambda: pv.residual(M, b, b),
        "growth_factor": lambda: pv.growth_factor(M),
        "orthogonality_error": lambda: pv.orthogonality_error(M),
        "doctor": lambda: pv.doctor(M),
        "factorize": lambda: pv.factorize(M),
        "select_factorization": lambda: pv.select_factorization(M),
        "detect_structure": lambda: pv.detect_structure(M),
        "refine": lambda: pv.refine(M, b),
        "LU": lambda: pv.LU(M),
        "Cholesky": lambda: pv.Cholesky(M),
        "LDL": lambda: pv.LDL(M),
        "PivotedCholesky": lambda: pv.PivotedCholesky(M),
        "QR": lambda: pv.QR(M),
        "QRPivoted": lambda: pv.QRPivoted(M),
        "Triangular": lambda: pv.Triangular(_masked(np.triu(a))),
        "Diagonal": lambda: pv.Diagonal(_masked(np.diag(np.diag(a)))),
        "Banded": lambda: pv.Banded(M),
        "rsvd": lambda: pv.rsvd(M, 2),
        "reigh": lambda: pv.reigh(M, 2),
        "nystrom": lambda: pv.nystrom(M, 2),
        "range_finder": lambda: pv.range_finder(M, 2),
        "rqrcp": lambda: pv.rqrcp(M),
        "interp_decomp": lambda: pv.interp_decomp(M, 2),
        "interpolative": lambda: pv.interpolative(M, 2),
        "cur": lambda: pv.cur(M, 2),
        "sketch_lstsq": lambda: pv.sketch_lstsq(tall, np.ones(200)),
        "svds": lambda: pv.svds(M, 2),
        "eigsh": lambda: pv.eigsh(M, 2),
        "svd": lambda: pv.svd(M),
        "svdvals": lambda: pv.svdvals(M),
        "eigh": lambda: pv.eigh(M),
        "eigvalsh": lambda: pv.eigvalsh(a, M),
        "eig": lambda: pv.eig(a, M),
        "eigvals": lambda: pv.eigvals(M),
        "schur": lambda: pv.schur(M),
        "rsf2csf": lambda: pv.rsf2csf(*pv.schur(a)[:1], M),
        "hessenberg": lambda: pv.hessenberg(M, method="kernel"),
        "SVD": lambda: pv.SVD(M),
        "Eigh": lambda: pv.Eigh(M),
        "SVD.lstsq": lambda: pv.SVD(a).lstsq(_masked(b)),
        # the sparse factorizations take scipy.sparse matrices: the masked input is the right-hand side
        "SparseLU": lambda: pv.SparseLU(scipy.sparse.csc_array(a)).solve(_masked(b)),
        "SparseCholesky": lambda: pv.SparseCholesky(scipy.sparse.csc_array(a)).solve(_masked(b)),
        "expm": lambda: pv.expm(M),
        "logm": lambda: pv.logm(M),
        "sqrtm": lambda: pv.sqrtm(M),
        "funm": lambda: pv.funm(M, np.exp),
        "fractional_matrix_power": lambda: pv.fractional_matrix_power(M, 0.5),
        "matrix_power": lambda: pv.matrix_power(M, 2),
        "norm": lambda: pv.norm(M),
    }


# Public names that take no matrix: classes of results and errors, and modules.
_NO_MATRIX = {
    "sketch",
    "LowRank",
    "SolveReport",
    "SlogdetResult",
    "RefinementReport",
    "StructureInfo",
    "DoctorReport",
    "ExpmReport",
}


def test_every_public_function_is_in_the_masked_sweep():
    public = {
        n
        for n in pv.__all__
        if callable(getattr(pv, n))
        and not (isinstance(getattr(pv, n), type) and issubclass(getattr(pv, n), Warning | Exception))
    }
    missing = public - set(_public_calls()) - _NO_MATRIX - {"Factorization"}
    assert not missing, f"add {sorted(missing)} to the masked-array sweep"


@pytest.mark.parametrize("name", sorted(_public_calls()))
def test_masked_arrays_are_refused(name):
    """SciPy refuses masked arrays; silently dropping the mask would solve another problem."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="masked arrays are not supported"):
            _public_calls()[name]()


# --------------------------------------------------------------------------- svds


def _decaying(m, n, seed=0):
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((m, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (u * 0.9 ** np.arange(n)) @ v.T


def test_svds_iterative_options_choose_lanczos_under_auto():
    A = _decaying(60, 40)
    assert select_svds_method(A, 3)[0] == "dense"
    for kw in ({"rng": 0}, {"v0": np.ones(40)}, {"maxiter": 50}, {"ncv": 10}, {"options": {}}):
        method, reason = select_svds_method(A, 3, **kw)
        assert method == "lanczos" and next(iter(kw)) in reason
        # ARPACK with tol=0 converges to residuals of a few units of roundoff relative to s_max, and
        # a singular value's error is bounded by its residual.
        np.testing.assert_allclose(pv.svds(A, 3, **kw)[1], ssl.svds(A, 3, **kw)[1], rtol=1e-12)
    # maxiter and ncv reach ARPACK: one iteration with 3 Lanczos vectors cannot converge.
    with pytest.raises(ssl.ArpackNoConvergence):
        pv.svds(np.diag(np.arange(9.0)), 1, ncv=3, maxiter=1)


@pytest.mark.parametrize(
    "method, kw",
    [
        ("dense", {"rng": 0}),
        ("dense", {"random_state": 0}),
        ("dense", {"v0": np.ones(40)}),
        ("dense", {"maxiter": 5}),
        ("dense", {"ncv": 10}),
        ("randomized", {"v0": np.ones(40)}),
        ("randomized", {"ncv": 10}),
    ],
)
def test_svds_methods_refuse_options_they_do_not_use(method, kw):
    with pytest.raises(
        ValueError, match=f"method='{method}'.*{next(iter(kw)).replace('random_state', 'rng')}"
    ):
        pv.svds(_decaying(60, 40), 3, method=method, **kw)


def test_eigsh_options_follow_the_same_rule():
    A = _decaying(40, 40)
    A = A + A.T
    assert select_eigsh_method(A, 3, rng=0)[0] == "lanczos"
    np.testing.assert_allclose(pv.eigsh(A, 3, rng=0)[0], ssl.eigsh(A, 3, rng=0)[0], rtol=1e-12)
    with pytest.raises(ValueError, match=r"method='dense'.*v0"):
        pv.eigsh(A, 3, method="dense", v0=np.ones(40))


def test_svds_validates_a_like_scipy():
    """SciPy's errors; a nested list is accepted (SciPy refuses it: docs/compat.md lists the superset)."""
    lst = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]
    np.testing.assert_allclose(pv.svds(lst, 1)[1], ssl.svds(np.array(lst), 1, rng=0)[1], rtol=1e-14)
    with pytest.raises(TypeError, match="type not understood"):
        pv.svds("hi", 1)
    with pytest.raises(ValueError, match="numeric data type"):
        pv.svds(np.array([["a", "b"], ["c", "d"]], dtype=object), 1)
    with pytest.raises(ValueError, match="ndim <= 2"):
        pv.svds(np.ones((2, 2, 2)), 1)


@pytest.mark.parametrize("rsv", [True, False, "u", "vh"])
def test_svds_torch_beyond_the_dense_route(rsv):
    """Torch input large enough that "auto" uses ARPACK (min(M, N) > 500): tensors in and out.

    (Regression: 1000 x 1000 tensors raised "At least one stride in the given numpy array
    is negative".)  The residuals ``||A v - s u||`` are at ARPACK's tolerance, a few
    hundred units of roundoff relative to ``s_max``.
    """
    A = torch.as_tensor(_decaying(620, 520))
    assert select_svds_method(A, 3)[0] == "gkl"
    out = pv.svds(A, 3, return_singular_vectors=rsv)
    s = out if rsv is False else out[1]
    assert isinstance(s, torch.Tensor) and s.dtype == torch.float64
    ref = np.linalg.svd(A.numpy(), compute_uv=False)[:3][::-1]
    np.testing.assert_allclose(s.numpy(), ref, rtol=1e-10)
    if rsv is True:
        u, s, vh = out
        assert u.is_contiguous() and vh.is_contiguous()
        res = (A @ vh.mT - u * s).abs().max() / s.max()
        assert float(res) < 1e-10


def test_eigsh_torch_beyond_the_dense_route():
    a = _decaying(560, 560)
    A = torch.as_tensor(a + a.T)
    w, v = pv.eigsh(A, 3)
    assert isinstance(w, torch.Tensor) and isinstance(v, torch.Tensor)
    ref = np.linalg.eigvalsh(A.numpy())
    np.testing.assert_allclose(np.sort(np.abs(w.numpy())), np.sort(np.abs(ref))[-3:], rtol=1e-10)
