"""SparseLU and SparseCholesky: solve-residual ratios, determinants against dense, errors with indices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal.sparse import SparseCholesky, SparseLU, pardiso_binding, symbolic_fill

from ._cases import (
    available,
    convection_diffusion,
    laplacian_2d,
    random_spd,
    residual_ratio,
    singular,
    tridiagonal,
)

EPS = np.finfo(np.float64).eps / 2
THRESH = 30.0
HAS_CHOLESPY = available("cholespy")
HAS_PARDISO = pardiso_binding() is not None
HAS_METIS = available("pymetis")
NEEDS_PARDISO = pytest.mark.skipif(not HAS_PARDISO, reason="no pypardiso / MKL")
NEEDS_CHOLESPY = pytest.mark.skipif(not HAS_CHOLESPY, reason="no cholespy")
ENGINES = [
    "superlu",
    pytest.param("pardiso", marks=NEEDS_PARDISO),
    pytest.param("cholmod", marks=NEEDS_CHOLESPY),
]


def _rhs(n, k=3, seed=1):
    return np.random.default_rng(seed).standard_normal((n, k))


def _dense_logdet(a):
    sign, logabs = np.linalg.slogdet(a.toarray())
    return sign, logabs


@pytest.mark.parametrize("m", [32, 64, 128, 256])
def test_laplacian_cholesky_residual(m):
    a = laplacian_2d(m)
    b = _rhs(a.shape[0], 2)
    F = SparseCholesky(a)
    x = F.solve(b)
    assert residual_ratio(a, x, b, EPS) < THRESH
    assert F.issuccess() and F.path


@pytest.mark.parametrize(
    ("engine", "ordering"),
    [
        ("superlu", "amd"),
        ("superlu", "rcm"),
        ("superlu", "natural"),
        pytest.param(
            "superlu", "nested_dissection", marks=pytest.mark.skipif(not HAS_METIS, reason="no pymetis")
        ),
        pytest.param("cholmod", "amd", marks=NEEDS_CHOLESPY),
        *[
            pytest.param("pardiso", o, marks=NEEDS_PARDISO)
            for o in ("amd", "nested_dissection", "rcm", "natural")
        ],
    ],
)
def test_laplacian_orderings_logdet(engine, ordering):
    # (CHOLMOD orders with its own AMD only; PARDISO takes every ordering)
    a = laplacian_2d(32)
    F = SparseCholesky(a, ordering=ordering, engine=engine)
    b = _rhs(a.shape[0])
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    sign, ref = _dense_logdet(a)
    assert sign == 1 and abs(F.logdet() - ref) <= 1e-10 * abs(ref)
    assert F.slogdet()[0] == 1
    # Hager-Higham's ||A^-1|| is a lower bound: rcond from above, and sharp here
    exact = 1 / (np.linalg.norm(a.toarray(), 1) * np.linalg.norm(np.linalg.inv(a.toarray()), 1))
    assert exact * (1 - 1e-8) <= F.rcond() <= 3 * exact


@pytest.mark.parametrize("ordering", ["amd", "rcm", "natural"])
def test_random_spd(ordering):
    a = random_spd(300)
    F = SparseCholesky(a, ordering=ordering)
    b = _rhs(300)
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    assert residual_ratio(a, F.solve(b, trans=1), b, EPS) < THRESH
    _, ref = _dense_logdet(a)
    assert abs(F.logdet() - ref) <= 1e-10 * abs(ref)


@pytest.mark.parametrize("ordering", ["colamd", "mmd_ata", "mmd_at_plus_a", "natural"])
def test_convection_diffusion_lu(ordering):
    a = convection_diffusion(24)
    F = SparseLU(a, ordering=ordering)
    b = _rhs(a.shape[0])
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    assert residual_ratio(sp.csc_array(a.T), F.solve(b, trans="T"), b, EPS) < THRESH
    sign, ref = _dense_logdet(a)
    s2, l2 = F.slogdet()
    assert s2 == sign and abs(l2 - ref) <= 1e-10 * abs(ref)
    # the factors reproduce A: Pr A Pc = L U, LAPACK's ratio
    Pr = sp.csc_array((np.ones(a.shape[0]), (F.perm_r, np.arange(a.shape[0]))))
    Pc = sp.csc_array((np.ones(a.shape[0]), (np.arange(a.shape[0]), F.perm_c)))
    diff = Pr @ a @ Pc - F.L @ F.U
    ratio = abs(diff).sum(axis=0).max() / (abs(a).sum(axis=0).max() * a.shape[0] * EPS)
    assert ratio < THRESH
    assert F.fill.nnz_factors == F.L.nnz + F.U.nnz and F.fill.ordering == ordering


def test_tridiagonal_lu_and_det():
    a = tridiagonal(200)
    F = SparseLU(a)
    b = _rhs(200)
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    assert np.isclose(F.det(), np.linalg.det(a.toarray()), rtol=1e-12)


def test_complex_lu_and_hermitian_cholesky():
    rng = np.random.default_rng(3)
    a = sp.csc_array(convection_diffusion(12) * (1 + 0.5j))
    n = a.shape[0]
    b = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    F = SparseLU(a)
    assert F.dtype == np.complex128
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    assert residual_ratio(sp.csc_array(a.conj().T), F.solve(b, trans="C"), b, EPS) < THRESH
    h = sp.csc_array(laplacian_2d(12) + 0.3j * (sp.eye_array(144, k=1) - sp.eye_array(144, k=-1)))
    C = SparseCholesky(h)  # complex Hermitian: the SuperLU route
    assert residual_ratio(h, C.solve(b), b, EPS) < THRESH
    assert residual_ratio(sp.csc_array(h.T), C.solve(b, trans=1), b, EPS) < THRESH
    _, ref = np.linalg.slogdet(h.toarray())
    assert abs(C.logdet().real - ref) <= 1e-10 * abs(ref) and abs(C.logdet().imag) < 1e-12


def test_float32_factors():
    a = sp.csc_array(laplacian_2d(16), dtype=np.float32)
    b = _rhs(256, 1).astype(np.float32)
    for F in (SparseLU(a), SparseCholesky(a)):
        assert F.dtype == np.float32
        x = F.solve(b)
        assert x.dtype == np.float32
        assert (
            residual_ratio(a.astype(np.float64), x.astype(np.float64), b, np.finfo(np.float32).eps / 2)
            < THRESH
        )


def test_singular_raises_with_index():
    a = singular(40, 17)
    with pytest.raises(pv.SingularMatrixError) as err:
        SparseLU(a)
    assert err.value.index == 17
    F = SparseLU(a, check=False)
    assert not F.issuccess() and F.rcond() == 0.0
    assert F.slogdet() == (0.0, -np.inf)
    with pytest.raises(pv.SingularMatrixError):
        F.solve(np.ones(40))


def test_numerically_singular_lu():
    # structurally nonsingular, but column 3 = column 1 + column 2 on the support
    d = np.diag(np.arange(1.0, 7.0))
    d[:, 3] = d[:, 1] + d[:, 2]
    a = sp.csc_array(d)
    with pytest.raises(pv.SingularMatrixError) as err:
        SparseLU(a, ordering="natural")
    assert err.value.index in (1, 2, 3)  # a column of the dependent triple


@pytest.mark.parametrize("engine", ENGINES)
def test_not_positive_definite_index(engine):
    a = sp.lil_array(laplacian_2d(8))
    a[20, 20] = -1.0  # the pivot of (original) column 20 turns negative wherever it is eliminated
    a = sp.csc_array(a)
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        SparseCholesky(a, engine=engine)
    F = SparseCholesky(a, engine=engine, check=False)
    assert not F.issuccess() and err.value.index == F.info - 1
    # the failing column's pivot: a leading minor (in elimination order) up to it is not PD
    k = int(np.flatnonzero(F.perm == err.value.index)[0])
    p = F.perm[: k + 1]
    assert np.linalg.eigvalsh(a.toarray()[np.ix_(p, p)]).min() <= 0
    with pytest.raises(pv.NotPositiveDefiniteError):
        F.solve(np.ones(64))


def test_nonsymmetric_refused_by_cholesky():
    with pytest.raises(ValueError, match="SparseLU"):
        SparseCholesky(convection_diffusion(6))


def test_nan_and_bad_input():
    a = sp.lil_array(laplacian_2d(4))
    a[2, 3] = np.nan
    for cls in (SparseLU, SparseCholesky):
        with pytest.raises(ValueError, match=r"NaN or Inf .*row 2, column 3"):
            cls(sp.csc_array(a))
    with pytest.raises(ValueError, match="square"):
        SparseLU(sp.csc_array(np.ones((3, 2))))
    with pytest.raises(TypeError, match=r"scipy\.sparse"):
        SparseLU(np.eye(3))
    with pytest.raises(ValueError, match="ordering"):
        SparseLU(laplacian_2d(4), ordering="amd")
    with pytest.raises(ValueError, match="ordering"):
        SparseCholesky(laplacian_2d(4), ordering="colamd")
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="NumPy"):
        SparseLU(laplacian_2d(4)).solve(torch.ones(16, dtype=torch.float64))


def test_dtypes_of_input():
    ints = sp.csc_array(np.array([[4, 1], [1, 3]], dtype=np.int8))
    assert SparseLU(ints).dtype == np.float64 and SparseCholesky(ints).dtype == np.float64
    assert SparseLU(sp.csc_array(np.eye(2, dtype=bool))).dtype == np.float64
    assert SparseLU(sp.csc_array(np.eye(2, dtype=np.longdouble))).dtype == np.float64


def test_empty():
    for cls in (SparseLU, SparseCholesky):
        F = cls(sp.csc_array((0, 0)))
        assert F.issuccess() and F.solve(np.ones(0)).shape == (0,)
        assert F.logdet() == 0.0 and F.rcond() == 1.0


def test_fill_ratio_orderings_at_128():
    a = laplacian_2d(128)
    natural = SparseCholesky(a, ordering="natural", engine="superlu").fill
    amd = SparseCholesky(a, ordering="amd", engine="superlu").fill
    assert amd.ordering == "mmd_at_plus_a"  # no AMD without CHOLMOD: SuperLU's minimum degree, said so
    assert amd.nnz_factors < 0.5 * natural.nnz_factors
    assert natural.nnz_a == a.nnz and natural.fill_ratio == natural.nnz_factors / a.nnz
    if HAS_METIS:
        nd = SparseCholesky(a, ordering="nested_dissection", engine="superlu").fill
        assert nd.nnz_factors < 0.5 * natural.nnz_factors
    if HAS_PARDISO:
        natural = SparseCholesky(a, ordering="natural", engine="pardiso").fill
        for ordering in ("amd", "nested_dissection"):
            assert (
                SparseCholesky(a, ordering=ordering, engine="pardiso").fill.nnz_factors
                < 0.5 * natural.nnz_factors
            )


def test_fallback_without_binding(no_binding):
    a = laplacian_2d(16)
    F = SparseCholesky(a)
    assert F.fill.engine == "superlu" and F.fill.ordering == "mmd_at_plus_a"
    assert any("no PARDISO or CHOLMOD binding" in p and "pivotal[sparse]" in p for p in F.path)
    b = _rhs(256)
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    with pytest.raises(ValueError, match="cholespy is not installed"):
        SparseCholesky(a, engine="cholmod")
    with pytest.raises(ValueError, match=r"pypardiso .*is not available"):
        SparseCholesky(a, engine="pardiso")


@NEEDS_CHOLESPY
def test_cholmod_engine(no_pardiso):
    a = laplacian_2d(40)
    F = SparseCholesky(a)  # without PARDISO, "auto" takes CHOLMOD
    assert F.fill.engine == "cholmod (cholespy)" and F.fill.nnz_factors is None
    b = _rhs(1600)
    assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
    _, ref = _dense_logdet(a)
    assert abs(F.logdet() - ref) <= 1e-10 * abs(ref)
    assert any("logdet: SuperLU" in p for p in F.path)
    assert SparseCholesky(a, ordering="rcm").fill.engine == "superlu"  # CHOLMOD orders by itself
    with pytest.raises(ValueError, match="ordering='amd'"):
        SparseCholesky(a, ordering="rcm", engine="cholmod")


@NEEDS_PARDISO
@pytest.mark.parametrize("ordering", ["amd", "nested_dissection", "rcm", "natural"])
def test_pardiso_engine_factor_and_permutation(ordering):
    a = laplacian_2d(24)
    F = SparseCholesky(a, ordering=ordering)
    assert F.fill.engine == "pardiso (pypardiso)" and any("PARDISO" in p for p in F.path)
    # perm is a permutation, and the factor PARDISO stores holds at least the structural
    # pattern of L for A[perm][:, perm] (supernodes may store explicit zeros besides)
    n = a.shape[0]
    assert np.array_equal(np.sort(F.perm), np.arange(n))
    structural = symbolic_fill(a, F.perm).nnz
    assert 2 * structural <= F.fill.nnz_factors <= 2 * n * (n + 1) // 2
    if ordering in ("rcm", "natural"):  # our permutation is the one PARDISO used
        assert np.array_equal(F.perm, pv.sparse.ordering(a, ordering))
        assert F.fill.ordering == ordering
    # the pivots PARDISO reports are those of a dense Cholesky of A[perm][:, perm]
    L = np.linalg.cholesky(a.toarray()[np.ix_(F.perm, F.perm)])
    dense_logdet = 2 * np.log(np.diag(L)).sum()
    assert abs(F.logdet() - dense_logdet) <= 64 * n * EPS * abs(dense_logdet)


@NEEDS_PARDISO
def test_pardiso_right_hand_sides():
    a = laplacian_2d(20)
    F = SparseCholesky(a, engine="pardiso")
    n = a.shape[0]
    b = _rhs(n, 4)
    for rhs in (b[:, 0], b, np.asfortranarray(b), b[::1, ::2]):
        x = F.solve(rhs)
        assert x.shape == rhs.shape and residual_ratio(a, x, rhs, EPS) < THRESH
    z = b[:, 0] + 1j * b[:, 1]
    xz = F.solve(z)
    assert np.iscomplexobj(xz) and residual_ratio(a, xz, z, EPS) < THRESH
    assert np.allclose(F.solve(z, trans="C"), xz, rtol=0, atol=64 * EPS * np.abs(xz).max())
    b32 = b.astype(np.float32)
    x32 = F.solve(b32)  # the result type follows the other engines (float64 factor: float64 result)
    assert x32.dtype == SparseCholesky(a, engine="superlu").solve(b32).dtype
    assert residual_ratio(a, x32, b32.astype(np.float64), EPS) < THRESH


@pytest.mark.parametrize("engine", ENGINES)
def test_sparse_factorizations_pickle(engine):
    import pickle

    a = laplacian_2d(12)
    b = _rhs(144, 2)
    for F in (SparseCholesky(a, engine=engine), SparseLU(a, ordering="mmd_at_plus_a")):
        G = pickle.loads(pickle.dumps(F))  # stores the matrix and options; factors again on loading
        assert type(G) is type(F) and G.fill.engine == F.fill.engine and G.fill.ordering == F.fill.ordering
        assert residual_ratio(a, G.solve(b), b, EPS) < THRESH
        assert G.logdet() == pytest.approx(F.logdet(), rel=1e-12)
    bad = sp.lil_array(a)
    bad[3, 3] = -5.0
    F = SparseCholesky(sp.csc_array(bad), engine=engine, check=False)
    G = pickle.loads(pickle.dumps(F))
    assert not G.issuccess() and G.info == F.info


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), density=st.floats(0.0, 0.3), seed=st.integers(0, 2**16))
def test_property_spd(n, density, seed):
    a = random_spd(n, density, seed)
    b = np.random.default_rng(seed).standard_normal(n)
    for F in (SparseCholesky(a, engine="superlu"), SparseLU(a)):
        assert residual_ratio(a, F.solve(b), b, EPS) < THRESH
        _, ref = np.linalg.slogdet(a.toarray())
        assert abs(F.logdet() - ref) <= 1e-10 * max(1.0, abs(ref))
