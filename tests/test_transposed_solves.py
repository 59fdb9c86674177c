"""Every ``trans`` / ``transposed`` path of every structure in the decision table (issue #11, §3).

``solve(A, b, transposed=True, assume_a="lower triangular")`` once transposed ``A``
before applying the structure, so it solved with the wrong triangle.  These tests
solve ``op(E) x = b`` for each structure and compare with an explicit reference:
``E`` is the matrix the structure actually describes (SciPy's convention: with
``assume_a`` the entries outside the structure are not read, so here they hold
garbage), ``op`` is the identity, ``E.T`` or ``E.conj().T``.

Two checks per case, as the project requires:

* the LAPACK ``xGET02`` residual ratio ``||b - op(E) x|| / (n ||E|| ||x|| u) < 30``
  (a solve with the wrong matrix gives a ratio of order ``1/u``);
* agreement with ``numpy.linalg.solve(op(E), b)`` within ``c n kappa(E) u``,
  the forward-error bound of two backward-stable solvers (Higham, Thm 7.2).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pivotal as pv

from .helpers import THRESH, solve_residual_ratio, to_backend, to_np, u_of

torch = pytest.importorskip("torch")

N = 7
GARBAGE = 1e3  # what the ignored entries hold: reading them changes the answer completely


def _op(a: np.ndarray, trans: int) -> np.ndarray:
    return a if trans == 0 else (a.T if trans == 1 else a.conj().T)


def _random(rng, shape, complex_: bool) -> np.ndarray:
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


def _check(e: np.ndarray, x, b: np.ndarray, trans: int) -> None:
    """``x`` solves ``op(e) x = b``: residual ratio and agreement with NumPy."""
    x = to_np(x)
    opa = _op(e, trans)
    dtype = np.result_type(e, b)
    assert solve_residual_ratio(opa, x, b, dtype) < THRESH
    ref = np.linalg.solve(opa, b)
    bound = 10 * e.shape[0] * np.linalg.cond(opa, 1) * u_of(dtype)
    assert np.abs(x - ref).max() <= bound * np.abs(ref).max()


# --------------------------------------------------------------------------- solve(assume_a=...)
def _structured(assume_a: str, lower: bool, complex_: bool, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(a, e)``: the input, with garbage outside the structure, and the matrix it stands for."""
    g = _random(rng, (N, N), complex_) + 2 * N * np.eye(N)
    if assume_a in ("gen", "general"):
        return g, g
    if assume_a == "banded":  # banded reads the whole matrix: nothing is ignored
        e = np.triu(np.tril(g, 2), -1)
        return e, e
    if assume_a == "diagonal":
        e = np.diag(np.diag(g))
    elif assume_a == "tridiagonal":
        e = np.triu(np.tril(g, 1), -1)
    elif assume_a == "upper triangular":
        e = np.triu(g)
    elif assume_a == "lower triangular":
        e = np.tril(g)
    else:  # sym / her / pos: one triangle is read and completed
        conj = assume_a != "sym" and complex_
        if assume_a == "pos":
            g = g @ g.conj().T
        t = np.tril(g, -1) if lower else np.triu(g, 1)
        d = np.diag(g).real if conj else np.diag(g)
        e = t + (t.conj().T if conj else t.T) + np.diag(d)
        other = np.triu(np.ones((N, N), bool), 1) if lower else np.tril(np.ones((N, N), bool), -1)
        a = e.copy()
        a[other] = GARBAGE
        return a, e
    a = e.copy()
    a[e == 0] = GARBAGE
    return a, e


ASSUME_A = [
    "gen",
    "diagonal",
    "tridiagonal",
    "banded",
    "upper triangular",
    "lower triangular",
    "sym",
    "her",
    "pos",
]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("refine", [False, "auto", "mixed"])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("assume_a", ASSUME_A)
def test_solve_with_assume_a(assume_a, complex_, lower, transposed, refine, backend):
    """Given structure: every assume_a, both triangles, A x = b and A^T x = b, real and complex."""
    rng = np.random.default_rng(sum(map(ord, assume_a)) + 2 * lower + complex_)
    a, e = _structured(assume_a, lower, complex_, rng)
    b = _random(rng, (N, 2), complex_)
    x = pv.solve(
        to_backend(a, backend),
        to_backend(b, backend),
        assume_a=assume_a,
        lower=lower,
        transposed=transposed,
        refine=refine,
    )
    _check(e, x, b, int(transposed))


def _hermitian_part(h: np.ndarray) -> np.ndarray:
    """``(h + h^H) / 2``: exactly Hermitian (a computed ``g @ g^H`` need not be)."""
    return (h + h.conj().T) / 2


def _detected(kind: str, complex_: bool, rng) -> np.ndarray:
    """A matrix whose structure ``factorize`` detects as ``kind`` (16 x 16: kl = 1, ku = 2 counts as banded)."""
    n = 16
    g = _random(rng, (n, n), complex_) + 2 * n * np.eye(n)
    perm = rng.permutation(n)
    hpd = _hermitian_part(g @ g.conj().T)
    indefinite = g + g.conj().T
    indefinite[0, 0] = -abs(indefinite[0, 0])
    return {
        "Diagonal": np.diag(np.diag(g)),
        "Triangular upper": np.triu(g),
        "Triangular lower": np.tril(g),
        "Triangular permuted lower": np.tril(g)[perm],
        "Triangular permuted upper": np.triu(g)[perm],
        "Banded tridiagonal": np.triu(np.tril(g, 1), -1),
        "Banded kl=1 ku=2": np.triu(np.tril(g, 2), -1),
        "Cholesky": hpd,
        "LDL hermitian indefinite": indefinite,
        "LDL complex symmetric": g + g.T,
        "LU": g,
    }[kind]


DETECTED = [
    "Diagonal",
    "Triangular upper",
    "Triangular lower",
    "Triangular permuted lower",
    "Triangular permuted upper",
    "Banded tridiagonal",
    "Banded kl=1 ku=2",
    "Cholesky",
    "LDL hermitian indefinite",
    "LDL complex symmetric",
    "LU",
]


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("kind", DETECTED)
def test_solve_with_detected_structure(kind, complex_, transposed):
    """assume_a=None: the structure is detected on A and the transposed system solved."""
    rng = np.random.default_rng(sum(map(ord, kind)) + complex_)
    a = _detected(kind, complex_, rng)
    expected = kind.split()[0]
    if kind == "LDL complex symmetric" and not complex_:
        expected = "Cholesky"  # a real g + g.T with a positive diagonal: Cholesky is tried first
    if "permuted" in kind and transposed:
        expected = "LU"  # A^T is column-permuted triangular, which detection does not look for
    b = _random(rng, (a.shape[0], 3), complex_)
    x, report = pv.solve(a, b, transposed=transposed, return_report=True)
    assert report.method in (expected, "LDL")  # Cholesky falls back to LDL on an indefinite matrix
    _check(a, x, b, int(transposed))


# --------------------------------------------------------------------------- Factorization.solve(trans=)
def _factorizations(complex_: bool, backend: str, rng):
    """``(name, matrix, factor)`` for every factorization class and storage option."""
    g = _random(rng, (N, N), complex_) + 2 * N * np.eye(N)
    perm = rng.permutation(N)
    hpd = _hermitian_part(g @ g.conj().T)
    indefinite = g + g.conj().T
    indefinite[0, 0] = -abs(indefinite[0, 0])
    csym = g + g.T
    cases = [
        ("Diagonal", np.diag(np.diag(g)), pv.Diagonal),
        ("Triangular upper", np.triu(g), pv.Triangular),
        ("Triangular lower", np.tril(g), pv.Triangular),
        ("Triangular unit", np.tril(g, -1) + np.eye(N), lambda a: pv.Triangular(a, unit_diagonal=True)),
        ("Triangular permuted", np.tril(g)[perm], pv.Triangular),
        (
            "Triangular row_permutation",
            np.triu(g)[np.argsort(perm)],
            lambda a: pv.Triangular(a, lower=False, row_permutation=perm),
        ),
        ("Cholesky lower", hpd, lambda a: pv.Cholesky(a, lower=True)),
        ("Cholesky upper", hpd, lambda a: pv.Cholesky(a, lower=False)),
        ("Cholesky kernel", hpd, lambda a: pv.Cholesky(a, method="kernel", block_size=2)),
        ("PivotedCholesky", hpd, pv.PivotedCholesky),
        ("LDL lower", indefinite, lambda a: pv.LDL(a, lower=True)),
        ("LDL upper", indefinite, lambda a: pv.LDL(a, lower=False)),
        ("LDL kernel", indefinite, lambda a: pv.LDL(a, method="kernel")),
        ("LU partial", g, pv.LU),
        ("LU kernel", g, lambda a: pv.LU(a, method="kernel", block_size=3)),
        ("LU rook", g, lambda a: pv.LU(a, pivoting="rook")),
        ("LU complete", g, lambda a: pv.LU(a, pivoting="complete")),
        ("QR", g, pv.QR),
        ("QRPivoted", g, pv.QRPivoted),
    ]
    if complex_:
        cases += [
            ("LDL complex symmetric", csym, lambda a: pv.LDL(a, hermitian=False)),
            ("LDL complex symmetric kernel", csym, lambda a: pv.LDL(a, hermitian=False, method="kernel")),
        ]
    if backend == "numpy":  # LAPACK's band routines are NumPy-only
        cases += [
            ("Banded tridiagonal", np.triu(np.tril(g, 1), -1), pv.Banded),
            ("Banded kl=1 ku=2", np.triu(np.tril(g, 2), -1), pv.Banded),
            ("Banded kl=2 ku=0", np.tril(np.triu(g, -2)), lambda a: pv.Banded(a, lower_bandwidth=2)),
        ]
    return cases


def _case_names():
    return [name for name, _, _ in _factorizations(True, "numpy", np.random.default_rng(0))]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("name", _case_names())
def test_factorization_solve_trans(name, complex_, backend):
    """``F.solve(b, trans=t)`` for t = 0, 1, 2 against ``op(A)``, for every factorization class."""
    rng = np.random.default_rng(sum(map(ord, name)) + complex_)
    cases = {c[0]: c[1:] for c in _factorizations(complex_, backend, rng)}
    if name not in cases:
        pytest.skip(f"{name} does not apply to {'complex' if complex_ else 'real'} {backend} input")
    a, make = cases[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # well-conditioned input: no warning is due
        F = make(to_backend(a, backend))
        for trans, spellings in ((0, (0, "N", False)), (1, (1, "T", True)), (2, (2, "C"))):
            b = _random(rng, (N, 2), complex_)
            for t in spellings:
                _check(a, F.solve(to_backend(b, backend), trans=t), b, trans)
            if not complex_:  # a complex right-hand side with real factors: solved in two real parts
                bc = _random(rng, (N, 2), True)
                _check(a, F.solve(to_backend(bc, backend), trans=trans), bc, trans)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("assume_a", ["gen", "sym", "her", "pos"])
@pytest.mark.parametrize("lower", [False, True])
def test_jax_solve_reads_one_triangle(assume_a, complex_, transposed, lower):
    """JAX: ``jax.scipy.linalg.solve`` factors the whole matrix for sym/her; pivotal keeps SciPy's triangle."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(sum(map(ord, assume_a)) + complex_ + 2 * lower)
    a, e = _structured(assume_a, lower, complex_, rng)
    b = _random(rng, (N, 2), complex_)
    x = pv.solve(
        jax.numpy.asarray(a), jax.numpy.asarray(b), assume_a=assume_a, lower=lower, transposed=transposed
    )
    _check(e, np.asarray(x), b, int(transposed))
