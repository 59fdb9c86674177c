"""The gallery's generators take a size, not an array: they are swept over sizes and dtypes.

Each generator is called with ``n`` in {0, 1, 6} (and a NumPy integer ``n``)
and dtype in {float32, float64, complex128}.  The result must have the right
shape and dtype and satisfy the definition in its docstring, entry by entry
against an exact (integer or rational) reference where the definition is
exact, or the stated spectral property otherwise.  A negative or
non-integral size must raise ``ValueError`` or ``TypeError``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from pivotal import gallery

from .arith import THRESH, svdvals, wide

SIZES = [0, 1, 6]
DTYPES = [np.float32, np.float64, np.complex128]


def _u(dtype) -> float:
    return float(np.finfo(dtype).eps) / 2


def _exact(a, ref, dtype, what):
    """``a`` equals ``ref`` (a function of zero-based ``(i, j)`` returning an exact rational) to rounding."""
    n, m = a.shape
    want = np.array([[float(ref(i, j)) for j in range(m)] for i in range(n)], dtype=np.float64).reshape(n, m)
    err = np.abs(wide(a) - wide(want))
    assert (err <= _u(dtype) * np.abs(wide(want))).all(), f"{what}: entries differ from the definition"


def _hermitian(a):
    assert np.array_equal(a, a.conj().T), "not exactly Hermitian"


def _spectrum_in(a, lo, hi, dtype, n):
    s = svdvals(a)
    tol = THRESH * max(n, 1) * _u(dtype)
    if s.size:
        assert s.min() >= lo * (1 - tol) and s.max() <= hi * (1 + tol), (
            f"singular values outside [{lo}, {hi}]"
        )


def _check_near(a, n, dtype, over):
    fin = np.finfo(dtype)
    t = math.sqrt(float(fin.max)) / max(n, 1) if over else math.sqrt(float(fin.tiny)) * max(n, 1)
    if n:
        peak = float(np.abs(a).max())
        assert (t / 2 <= peak < t) if over else (t <= peak < 2 * t), f"max|a| = {peak:g} outside its range"
        s = svdvals(a)
        assert float(s[0] / s[-1]) <= 2 * (1 + THRESH * n * _u(dtype)) + (n == 1), "cond_2 is not 2"


def _check_kahan(a, n, dt):
    s, c = math.sin(1.2), math.cos(1.2)
    want = np.diag(s ** np.arange(n)) @ (np.eye(n) - c * np.triu(np.ones((n, n)), 1))
    err = np.abs(wide(a) - wide(want))
    assert (err <= THRESH * _u(dt) * (np.abs(wide(want)) + _u(dt))).all(), "kahan: entries differ"


def _positive_definite(a):
    if a.size:
        assert np.linalg.eigvalsh(a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)).min() > 0


def _check_rank(a, r, dt):
    s = svdvals(a)
    if s.size:
        assert (s[:r] > 0).all() and (s[r:] <= THRESH * max(a.shape) * _u(dt) * s[0]).all(), "wrong rank"


def _check_zero_column(a, n):
    assert not a[:, n - 1].any(), "column j is not zero"


GENERATORS = {
    "clement": (
        lambda n, dt: gallery.clement(n, dtype=dt),
        lambda a, n, dt: _exact(
            a, lambda i, j: (n - 1 - j) * (i == j + 1) + (i + 1) * (j == i + 1), dt, "clement"
        ),
    ),
    "frank": (
        lambda n, dt: gallery.frank(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: (n - max(i, j)) * (j >= i - 1), dt, "frank"),
    ),
    "gfpp": (
        lambda n, dt: gallery.gfpp(n, dtype=dt),
        lambda a, n, dt: _exact(
            a, lambda i, j: 1 if (j == n - 1 or i == j) else (-1 if i > j else 0), dt, "gfpp"
        ),
    ),
    "hilbert": (
        lambda n, dt: gallery.hilbert(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: Fraction(1, i + j + 1), dt, "hilbert"),
    ),
    "kahan": (
        lambda n, dt: gallery.kahan(n, pert=0.0, dtype=dt),
        _check_kahan,
    ),
    "kms": (
        lambda n, dt: gallery.kms(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: Fraction(1, 2 ** abs(i - j)), dt, "kms"),
    ),
    "lehmer": (
        lambda n, dt: gallery.lehmer(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: Fraction(min(i, j) + 1, max(i, j) + 1), dt, "lehmer"),
    ),
    "lotkin": (
        lambda n, dt: gallery.lotkin(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: 1 if i == 0 else Fraction(1, i + j + 1), dt, "lotkin"),
    ),
    "minij": (
        lambda n, dt: gallery.minij(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: min(i, j) + 1, dt, "minij"),
    ),
    "moler": (
        lambda n, dt: gallery.moler(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: i + 1 if i == j else min(i, j) - 1, dt, "moler"),
    ),
    "pascal": (
        lambda n, dt: gallery.pascal(n, dtype=dt),
        lambda a, n, dt: _exact(a, lambda i, j: math.comb(i + j, i), dt, "pascal"),
    ),
    "wilkinson": (
        lambda n, dt: gallery.wilkinson(n, dtype=dt),
        lambda a, n, dt: _exact(
            a, lambda i, j: abs(Fraction(n - 1, 2) - i) if i == j else int(abs(i - j) == 1), dt, "wilkinson"
        ),
    ),
    "near_overflow": (
        lambda n, dt: gallery.near_overflow(n, dtype=dt, random_state=0),
        lambda a, n, dt: _check_near(a, n, dt, over=True),
    ),
    "near_underflow": (
        lambda n, dt: gallery.near_underflow(n, dtype=dt, random_state=0),
        lambda a, n, dt: _check_near(a, n, dt, over=False),
    ),
    "random_spd": (
        lambda n, dt: gallery.random_spd(n, 10.0, dtype=dt, random_state=0),
        lambda a, n, dt: (_hermitian(a), _spectrum_in(a, 0.1, 1.0, dt, n), _positive_definite(a)),
    ),
    "random_symmetric_indefinite": (
        lambda n, dt: gallery.random_symmetric_indefinite(n, 10.0, dtype=dt, random_state=0),
        lambda a, n, dt: (_hermitian(a), _spectrum_in(a, 0.1, 1.0, dt, n)),
    ),
    "randsvd": (
        lambda n, dt: gallery.randsvd(n, 10.0, dtype=dt, random_state=0),
        lambda a, n, dt: _spectrum_in(a, 0.1, 1.0, dt, n),
    ),
    "rank_deficient": (
        lambda n, dt: gallery.rank_deficient(n + 2, n, min(n, 2), dtype=dt, random_state=0),
        lambda a, n, dt: _check_rank(a, min(n, 2), dt),
    ),
    "zero_column": (
        lambda n, dt: gallery.zero_column(n, n - 1, dtype=dt, random_state=0),
        lambda a, n, dt: _check_zero_column(a, n),
    ),
}

SHAPES = {"rank_deficient": lambda n: (n + 2, n)}


def _params():
    for name in GENERATORS:
        for n in SIZES:
            for dt in DTYPES:
                yield pytest.param(name, n, dt, id=f"{name}-{n}-{np.dtype(dt).name}")


#: (generator, n) pairs with a documented refusal.
REFUSALS = {
    ("zero_column", 0): ValueError,
    ("gfpp", 0): ValueError,
}  # both documented (n < 1, j out of range)


@pytest.mark.parametrize("name, n, dtype", list(_params()))
def test_generator_sizes(name, n, dtype):
    make, check = GENERATORS[name]
    if (name, n) in REFUSALS:
        with pytest.raises(REFUSALS[name, n]):
            make(n, dtype)
        return
    a = make(n, dtype)
    assert isinstance(a, np.ndarray)
    assert a.shape == SHAPES.get(name, lambda n: (n, n))(n)
    assert a.dtype == np.dtype(dtype), f"dtype {a.dtype}, asked for {np.dtype(dtype)}"
    assert np.isfinite(a).all()
    check(a, n, dtype)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generator_numpy_integer_size(name):
    make, _ = GENERATORS[name]
    assert np.array_equal(make(np.int64(6), np.float64), make(6, np.float64))


@pytest.mark.parametrize("name", list(GENERATORS))
@pytest.mark.parametrize("bad", [-1, 2.5])
def test_generator_bad_size(name, bad):
    make, _ = GENERATORS[name]
    with pytest.raises((ValueError, TypeError)):
        make(bad, np.float64)


def test_every_generator_is_swept():
    gens = {n for n in gallery.__all__ if callable(getattr(gallery, n))} - {"scaled", "vandermonde"}
    assert gens == set(GENERATORS), f"unswept gallery generators: {sorted(gens - set(GENERATORS))}"
