"""Test matrices for the sweep, by kind and field, with exactly representable entries.

Every generator returns float64 (complex128) arrays whose entries are small
integers (Gaussian integers for the complex field, 0/1 for the bool field), so
that the integer, bool, float16 and complex64 variants, and scaling by a power
of two (down to the subnormals), represent the same matrix exactly.  Structure
(symmetry, definiteness, rank) is built with exact integer arithmetic, never a
rounded BLAS product, and each square matrix is checked to be well
conditioned (``kappa_1 < 1e3``) so that the tolerances, which scale with
``n u`` and at most ``kappa``, stay meaningful.

``size`` overrides the dimension: ``0`` (empty) or ``1`` (1 x 1).
"""

from __future__ import annotations

import zlib

import numpy as np

#: ``real`` and ``integer`` give the same small integers; ``integer`` also makes
#: the orthogonal factors signed permutations (exact in float16 and int).
FIELDS = ("real", "integer", "complex", "bool")
N = 6  # square matrices are N x N
TALL = (8, 5)  # least squares
WIDE_LOWRANK = (8, 6)  # exact rank RANK
RANK = 2
KAPPA_MAX = 1e3


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded by ``name`` (stable across runs and machines)."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def entries(rng, shape, field: str) -> np.ndarray:
    """Integers in [-4, 4] (Gaussian integers for ``complex``, 0/1 for ``bool``)."""
    if field == "bool":
        return rng.integers(0, 2, shape).astype(np.float64)
    x = rng.integers(-4, 5, shape).astype(np.float64)
    if field == "complex":
        return x + 1j * rng.integers(-4, 5, shape)
    return x


def _ct(x):
    return x.conj().T


def _well_conditioned(a) -> bool:
    return a.shape[0] == 0 or np.linalg.cond(a, 1) < KAPPA_MAX


def _retry(make, accept, rng, tries=500):
    for _ in range(tries):
        a = make(rng)
        if accept(a):
            return a
    raise RuntimeError("no acceptable test matrix found")  # pragma: no cover


def _one(field: str, positive: bool = False) -> np.ndarray:
    """The 1 x 1 case: a nonzero (positive for definite kinds) entry."""
    if field == "bool":
        return np.ones((1, 1))
    if field == "complex" and not positive:
        return np.array([[3.0 - 2.0j]])
    return np.array([[3.0]]) + (0j if field == "complex" else 0)


def general(rng, field, size=None) -> np.ndarray:
    """Nonsymmetric, nonsingular, not triangular."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else _one(field)

    def make(g):
        a = entries(g, (n, n), field)
        if field == "bool":
            np.fill_diagonal(a, 1.0)
        return a

    def ok(a):
        tri = not np.tril(a, -1).any() or not np.triu(a, 1).any()
        return _well_conditioned(a) and not np.array_equal(a, _ct(a)) and not tri

    return _retry(make, ok, rng)


def spd(rng, field, size=None) -> np.ndarray:
    """Hermitian positive definite ``B^H B + I`` (the identity for ``bool``)."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else _one(field, positive=True)
    if field == "bool":
        return np.eye(n)

    def make(g):
        b = entries(g, (n, n), field)
        return _ct(b) @ b + np.eye(n)  # integer arithmetic: exact and exactly Hermitian

    return _retry(make, _well_conditioned, rng)


def hermitian_indefinite(rng, field, size=None) -> np.ndarray:
    """Hermitian, nonsingular, with eigenvalues of both signs."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else -_one(field, positive=True)

    def make(g):
        s = entries(g, (n, n), field)
        if field == "bool":
            s = np.triu(s)
            return s + np.triu(s, 1).T
        return s + _ct(s)

    def ok(a):
        w = np.linalg.eigvalsh(a)
        return _well_conditioned(a) and w.min() < 0 < w.max()

    return _retry(make, ok, rng)


def upper(rng, field, size=None) -> np.ndarray:
    """Upper triangular with nonzero diagonal."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else _one(field)
    if field == "bool":
        return np.triu(np.ones((n, n)))

    def make(g):
        a = np.triu(entries(g, (n, n), field))
        a[np.diag_indices(n)] = g.choice([-3.0, -2.0, 2.0, 3.0, 4.0], n)
        return a

    return _retry(make, _well_conditioned, rng)


def tridiagonal(rng, field, size=None) -> np.ndarray:
    """Nonsymmetric tridiagonal (lower and upper bandwidth 1), nonsingular."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else _one(field)
    band = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1

    def make(g):
        a = np.where(band, entries(g, (n, n), field), 0)
        if field == "bool":
            np.fill_diagonal(a, 1.0)
        return a

    def ok(a):
        return (
            _well_conditioned(a)
            and not np.array_equal(a, a.T)
            and np.diag(a, 1).any()
            and np.diag(a, -1).any()
        )

    return _retry(make, ok, rng)


def diagonal(rng, field, size=None) -> np.ndarray:
    n = N if size is None else size
    if field == "bool":
        return np.eye(n)
    d = rng.choice([-4.0, -3.0, -1.0, 1.0, 2.0, 4.0], n)
    if field == "complex":
        d = d + 1j * rng.choice([-2.0, 1.0, 3.0], n)
    return np.diag(d)


def tall(rng, field, size=None) -> np.ndarray:
    """``TALL`` shape, full column rank."""
    m, n = TALL if size is None else (size, size)
    if n <= 1 and size is not None:
        return np.zeros((0, 0)) if n == 0 else _one(field)

    def ok(a):
        s = np.linalg.svd(a, compute_uv=False)
        return s[-1] > 0 and s[0] / s[-1] < KAPPA_MAX / 10

    return _retry(lambda g: entries(g, (m, n), field), ok, rng)


def lowrank(rng, field, size=None) -> np.ndarray:
    """``WIDE_LOWRANK`` shape of exact rank ``RANK`` (columns drawn from RANK patterns for bool)."""
    m, n = WIDE_LOWRANK if size is None else (size, size)
    r = min(RANK, m, n)
    if size is not None and size <= 1:
        return np.zeros((0, 0)) if size == 0 else _one(field)

    def make(g):
        if field == "bool":
            patterns = entries(g, (m, r), "bool")
            pick = np.concatenate([np.arange(r), g.integers(0, r, n - r)])
            return patterns[:, g.permutation(pick)]
        return entries(g, (m, r), field) @ entries(g, (r, n), field)

    def ok(a):
        s = np.linalg.svd(a, compute_uv=False)
        return np.linalg.matrix_rank(a) == r and s[r - 1] / s[0] > 0.05

    return _retry(make, ok, rng)


def psd_lowrank(rng, field, size=None) -> np.ndarray:
    """``N x N`` Hermitian positive semidefinite of exact rank ``RANK``: ``B B^H``."""
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else _one(field, positive=True)
    r = min(RANK, n)

    def make(g):
        if field == "bool":  # one 1 per row of B: B B^H is 0/1
            b = np.zeros((n, r))
            b[np.arange(n), np.concatenate([np.arange(r), g.integers(0, r, n - r)])] = 1.0
        else:
            b = entries(g, (n, r), field)
        return b @ _ct(b)

    def ok(a):
        w = np.linalg.eigvalsh(a)
        return np.linalg.matrix_rank(a, hermitian=True) == r and w[-r] / w[-1] > 0.05

    return _retry(make, ok, rng)


def hermitian_lowrank(rng, field, size=None) -> np.ndarray:
    """``N x N`` Hermitian of exact rank ``RANK`` with eigenvalues of both signs: ``B diag(3, -2) B^H``."""
    if field == "bool":
        return psd_lowrank(rng, field, size)
    n = N if size is None else size
    if n <= 1:
        return np.zeros((0, 0)) if n == 0 else -_one(field, positive=True)
    r = min(RANK, n)

    def make(g):
        b = entries(g, (n, r), field)
        return (b * np.array([3.0, -2.0])[:r]) @ _ct(b)

    def ok(a):
        w = np.abs(np.linalg.eigvalsh(a))
        w.sort()
        return np.linalg.matrix_rank(a, hermitian=True) == r and w[-r] / w[-1] > 0.05

    return _retry(make, ok, rng)


def orthogonal(rng, field, n: int) -> np.ndarray:
    """An ``n x n`` unitary matrix; a signed permutation for the bool field (exact in any dtype)."""
    if n == 0:
        return np.zeros((0, 0))
    if field in ("bool", "integer"):
        signs = 1.0 if field == "bool" else rng.choice([-1.0, 1.0], n)
        return np.eye(n)[rng.permutation(n)] * signs
    q, _ = np.linalg.qr(entries(rng, (n, n), field) + 4 * np.eye(n))
    return q


def rhs(rng, field, n: int, k: int | None = 2) -> np.ndarray:
    """A right-hand side: ``(n,)`` for ``k=None``, else ``(n, k)``; never zero."""
    shape = (n,) if k is None else (n, k)
    b = entries(rng, shape, field)
    if b.size:
        b.flat[0] = 1.0
    return b


KINDS = {
    "general": general,
    "spd": spd,
    "hermitian_indefinite": hermitian_indefinite,
    "upper": upper,
    "tridiagonal": tridiagonal,
    "diagonal": diagonal,
    "tall": tall,
    "lowrank": lowrank,
    "psd_lowrank": psd_lowrank,
    "hermitian_lowrank": hermitian_lowrank,
}
