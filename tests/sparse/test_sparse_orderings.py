"""ordering, elimination_tree and symbolic_fill against numeric factors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.sparse as sp
import scipy.sparse.linalg as sla

import pivotal.sparse as pvs

from ._cases import available, convection_diffusion, laplacian_2d, random_spd, tridiagonal

HAS_METIS = available("pymetis")
SYMMETRIC = ["natural", "rcm", "mmd_at_plus_a"] + (["nested_dissection"] if HAS_METIS else [])


def _bandwidth(a):
    c = a.tocoo()
    return int(np.max(np.abs(c.row - c.col)))


@pytest.mark.parametrize("method", SYMMETRIC + ["colamd", "mmd_ata"])
def test_orderings_are_permutations(method):
    a = laplacian_2d(12)
    p = pvs.ordering(a, method)
    assert p.dtype == np.int64 and np.array_equal(np.sort(p), np.arange(144))


def test_rcm_reduces_bandwidth():
    a = laplacian_2d(16)
    shuffle = np.random.default_rng(0).permutation(256)
    b = sp.csc_array(a[shuffle][:, shuffle])
    p = pvs.ordering(b, "rcm")
    assert _bandwidth(b[p][:, p]) <= 2 * 16 < _bandwidth(b)


@pytest.mark.parametrize("method", SYMMETRIC)
@pytest.mark.parametrize("matrix", ["laplacian", "spd"])
def test_symbolic_fill_matches_numeric_cholesky(method, matrix):
    a = laplacian_2d(14) if matrix == "laplacian" else random_spd(150, 0.02, seed=4)
    p = pvs.ordering(a, method)
    pattern = pvs.symbolic_fill(a, p)
    L = np.linalg.cholesky(a[p][:, p].toarray())
    numeric = np.abs(L) > 0
    # symbolic fill is exact unless values cancel; random/integer-Laplacian values do not here
    assert np.array_equal(pattern.toarray(), numeric)
    assert pattern.nnz == numeric.sum()
    assert np.array_equal(pvs.symbolic_fill(a, method).toarray(), pattern.toarray())


def test_symbolic_fill_qr_bounds_lu():
    """George and Ng: the Cholesky pattern of (A q)^T (A q) contains U of LU(A q) with any row pivoting."""
    a = convection_diffusion(10)
    q = pvs.ordering(a, "colamd")
    bound = pvs.symbolic_fill(a, q, kind="qr").toarray()
    lu = sla.splu(sp.csc_array(a[:, q]), permc_spec="NATURAL")
    # SuperLU may postorder the columns it is given: U is of (A q)[:, order], order[k] = column at step k
    pc = np.asarray(lu.perm_c)
    order = np.empty_like(pc)
    order[pc] = np.arange(pc.size)
    bound_perm = pvs.symbolic_fill(a, q[order], kind="qr").toarray()
    upat = np.abs(lu.U.toarray()) > 0
    assert not (upat & ~bound_perm).any()
    R = sl.qr(a[:, q].toarray(), mode="r")[0]
    assert not ((np.abs(R) > 1e-13 * np.abs(R).max()) & ~bound).any()


def test_elimination_tree():
    assert pvs.elimination_tree(tridiagonal(6)).tolist() == [1, 2, 3, 4, 5, -1]
    a = laplacian_2d(6)
    parent = pvs.elimination_tree(a)
    L = np.linalg.cholesky(a.toarray())
    for j in range(35):  # parent = first off-diagonal nonzero of column j of L
        assert parent[j] == j + 1 + np.flatnonzero(np.abs(L[j + 1 :, j]) > 0)[0]
    assert parent[35] == -1


def test_ordering_errors(monkeypatch):
    a = laplacian_2d(4)
    with pytest.raises(ValueError, match="not one of"):
        pvs.ordering(a, "metis")
    with pytest.raises(ImportError, match="mmd_at_plus_a"):
        pvs.ordering(a, "amd")
    monkeypatch.setitem(sys.modules, "pymetis", None)
    with pytest.raises(ImportError, match=r"pivotal\[sparse\]"):
        pvs.ordering(a, "nested_dissection")
    with pytest.raises(ValueError, match="permutation"):
        pvs.symbolic_fill(a, [0, 0, 1])
    with pytest.raises(ValueError, match="singular"):
        pvs.ordering(sp.csc_array((4, 4)), "colamd")
    assert pvs.ordering(sp.csc_array((0, 0)), "rcm").shape == (0,)
