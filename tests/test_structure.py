"""Structure detection (the first step of the solver's decision table)."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery

from .helpers import BACKENDS, to_backend


def _tags(A):
    return pv.detect_structure(A).tags()


@pytest.mark.parametrize("backend", BACKENDS)
def test_shapes_and_bandwidths(backend):
    rng = np.random.default_rng(0)
    n = 12
    G = rng.standard_normal((n, n))
    cases = {
        "diagonal": np.diag(rng.standard_normal(n)),
        "upper bidiagonal": np.triu(np.tril(G, 1)),
        "lower bidiagonal": np.tril(np.triu(G, -1)),
        "tridiagonal": np.triu(np.tril(G, 1), -1),
        "upper triangular": np.triu(G),
        "lower triangular": np.tril(G),
        "general": G,
    }
    for expected, A in cases.items():
        assert _tags(to_backend(A, backend))[0] == expected
    band = np.triu(np.tril(rng.standard_normal((40, 40)), 3), -2)
    s = pv.detect_structure(to_backend(band, backend))
    assert (s.lower_bandwidth, s.upper_bandwidth) == (2, 3) and s.banded
    assert s.tags()[0] == "banded (kl=2, ku=3)"


def test_symmetry_is_exact_and_positive_diagonal():
    S = gallery.random_spd(6, 10.0, random_state=1)
    s = pv.detect_structure(S)
    assert s.symmetric and s.hermitian and s.positive_diagonal
    T = S.copy()
    T[0, 1] += 1e-15
    assert not pv.detect_structure(T).symmetric
    K = gallery.random_symmetric_indefinite(6, 10.0, random_state=2)
    K[0, 0] = -abs(K[0, 0])
    assert pv.detect_structure(K).symmetric and not pv.detect_structure(K).positive_diagonal
    H = gallery.random_spd(5, 10.0, dtype=np.complex128, random_state=3)
    sh = pv.detect_structure(H)
    assert sh.hermitian and not sh.symmetric and "hermitian" in sh.tags()
    Hbad = H.copy()
    Hbad[1, 1] += 1e-3j
    assert not pv.detect_structure(Hbad).positive_diagonal


def test_permuted_triangular():
    rng = np.random.default_rng(4)
    L = np.tril(rng.standard_normal((7, 7))) + 3 * np.eye(7)
    p = rng.permutation(7)
    s = pv.detect_structure(L[p])
    assert s.permuted_triangular == "lower"
    np.testing.assert_array_equal(L[p][s.row_permutation], L)
    U = np.triu(rng.standard_normal((7, 7))) + 3 * np.eye(7)
    s = pv.detect_structure(U[p])
    assert s.permuted_triangular == "upper"
    assert np.allclose(np.tril(U[p][s.row_permutation], -1), 0)
    assert pv.detect_structure(rng.standard_normal((7, 7))).permuted_triangular is None
    singular = L[p].copy()
    singular[:, 3] = 0
    assert pv.detect_structure(singular).permuted_triangular is None


def test_rectangular_empty_and_nan():
    s = pv.detect_structure(np.ones((3, 5)))
    assert not s.square and s.tags() == ["rectangular"] and not s.symmetric
    e = pv.detect_structure(np.empty((0, 0)))
    assert e.diagonal and not e.positive_diagonal
    A = np.eye(4)
    A[3, 0] = np.nan
    assert pv.detect_structure(A).lower_bandwidth == 3
    assert _tags(np.zeros((3, 3)))[0] == "diagonal"
    with pytest.raises(ValueError, match="2-D"):
        pv.detect_structure(np.ones((2, 2, 2)))
