"""Factorizations of matrices outside LAPACK's safe range (issue #11: subnormal and 1e+-300 input).

A matrix whose largest entry lies outside ``[smlnum, bignum]`` is factored
as ``2**e A`` (:mod:`pivotal.factorizations.scaling`) and ``e`` is undone on
every result.  Two kinds of checks:

* **Equivariance, bitwise.**  Multiplying by a power of two commutes with
  every IEEE operation as long as nothing over- or underflows.  So for an
  integer matrix ``A0`` (all its computations in the normal range) and
  ``A = 2**k A0`` (exact, subnormal for the deepest ``k``), the factors of
  ``A`` must be *exactly* those of ``A0`` scaled -- ``L`` unchanged, ``U``
  and ``D`` times ``2**k``, Cholesky's factor times ``2**(k/2)`` (each
  rounded once, as ``numpy.ldexp`` rounds, where they are subnormal) --,
  ``rcond`` must be equal, and a solve with a right-hand side ``2**(k+j)
  b0`` in the normal range must return exactly ``2**j x0``.  Without the
  scaling LAPACK flushes the multipliers of a subnormal matrix (``getrf``),
  returns ``-inf`` pivots (``sytrf``) or NaN solutions (``trsm``).
* **Backward error against a long double reference**, with subnormal
  right-hand sides too, as the adversarial sweep checks
  (``tests/adversarial/checks.py``): ``eta / (n u_eff) <= 30`` where
  ``u_eff = u + n lambda / s`` adds what gradual underflow costs on data of
  size ``s`` (``lambda`` the smallest subnormal; Higham 2002, eq. (2.8)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pivotal as pv
from pivotal.factorizations.scaling import factor_exponent
from pivotal.kernels.triangular import solve_in_range
from tests.adversarial.arith import WIDE, WIDE_RANGE, wide
from tests.helpers import THRESH, to_np, u_of

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("error")  # no spurious ill-conditioning warning

#: Scales 2**k: subnormal, near 1e-300, outside the safe range but normal, and large.
SCALES = {np.float64: (-1060, -1040, -996, -520, 520, 996), np.float32: (-140, -130, -100, -70, 70, 100)}
#: j with 2**(k + j) b0 and 2**j x0 in the normal range (see the module docstring).
SHIFT = {np.float64: 200, np.float32: 60}

N = 7


def _cases(dtypes=(np.float64, np.float32, np.complex128, np.complex64)):
    return [
        pytest.param(dt, k, id=f"{np.dtype(dt).name}-2^{k}")
        for dt in dtypes
        for k in SCALES[np.float64 if np.dtype(dt) in (np.float64, np.complex128) else np.float32]
    ]


def _real(dtype):
    return np.float64 if np.dtype(dtype) in (np.float64, np.complex128) else np.float32


def _ints(seed: int, shape, dtype) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(-9, 10, shape).astype(np.float64)
    if np.iscomplexobj(np.empty(0, dtype)):
        x = x + 1j * rng.integers(-9, 10, shape)
    return x.astype(dtype)


def _matrix(kind: str, dtype) -> np.ndarray:
    """Integer test matrices (exact in every dtype), with pivoting at work."""
    a = _ints(3, (N, N), dtype)
    if kind == "general":
        return a
    if kind == "upper":
        return np.triu(a) + 10 * np.eye(N, dtype=dtype)
    if kind == "hermitian":
        return a + a.conj().T
    if kind == "spd":
        return a @ a.conj().T + np.eye(N, dtype=dtype)
    if kind == "banded":  # the subdiagonal dominates: gbtrf swaps rows
        return np.triu(np.tril(a, 1), -1) + np.diag(np.full(N - 1, 20.0), -1).astype(dtype)
    raise AssertionError(kind)


def _scaled(x: np.ndarray, k: int) -> np.ndarray:
    """``x 2**k`` rounded once (NumPy's ``ldexp``; Inf where it overflows)."""
    with np.errstate(over="ignore", under="ignore"):
        if np.iscomplexobj(x):
            return (np.ldexp(x.real, k) + 1j * np.ldexp(x.imag, k)).astype(x.dtype)
        return np.ldexp(x, k).astype(x.dtype)


def _same(got, want, what: str) -> None:
    got, want = to_np(got), to_np(want)
    assert got.shape == want.shape, what
    assert np.array_equal(got, want), f"{what}: not the exactly scaled result"


def _shift(dtype, k: int) -> int:
    j = SHIFT[_real(dtype)]
    return j if k < 0 else -j


# --------------------------------------------------------------------------- exact equivariance


_FACTORS = {
    "LU": (pv.LU, "general", lambda F, k: ((F.L, 0), (F.U, k), (F.lu, None))),
    "Cholesky": (lambda a: pv.Cholesky(a, lower=True), "spd", lambda F, k: ((F.L, k // 2), (F.U, k // 2))),
    "LDL": (pv.LDL, "hermitian", lambda F, k: ((F.L, 0), (F.D, k))),
    "LDL[upper]": (lambda a: pv.LDL(a, lower=False), "hermitian", lambda F, k: ((F.U, 0), (F.D, k))),
    "Triangular": (pv.Triangular, "upper", lambda F, k: ((F.T, k),)),
    "Banded": (pv.Banded, "banded", lambda F, k: ((F.ab, None),)),
}


def _compact_scaled(F0, k):
    """The compact factors (LU's ``lu``, Banded's ``ab``) of ``2**k A0``: ``U`` times ``2**k``."""
    if isinstance(F0, pv.Banded):
        ab = F0.ab.copy()
        top = F0.lower_bandwidth + F0.upper_bandwidth + 1
        ab[:top] = _scaled(ab[:top], k)
        return ab
    lu = to_np(F0.lu).copy()
    iu = np.triu_indices(lu.shape[0])
    lu[iu] = _scaled(lu[iu], k)
    return lu


@pytest.mark.parametrize("name", list(_FACTORS))
@pytest.mark.parametrize("dtype,k", _cases())
def test_factorization_objects_are_exactly_equivariant(name, dtype, k):
    make, kind, factors = _FACTORS[name]
    a0 = _matrix(kind, dtype)
    F0, F = make(a0), make(_scaled(a0, k))
    assert F0._scale == 0 and F._scale == factor_exponent(np.abs(_scaled(a0, k)).max(), dtype) != 0
    for (got, kg), (want, _) in zip(factors(F, k), factors(F0, k), strict=True):
        _same(got, _compact_scaled(F0, k) if kg is None else _scaled(to_np(want), kg), f"{name} factor")
    assert F.rcond() == F0.rcond()  # rcond is scale invariant, and so are its solves
    b0 = _ints(5, (N, 2), dtype)
    j = _shift(dtype, k)
    for trans in (0, 1, 2):
        _same(F.solve(_scaled(b0, k + j), trans=trans), _scaled(F0.solve(b0, trans=trans), j), "solve")
    sign0, logabs0 = F0.slogdet()
    sign, logabs = F.slogdet()
    u = u_of(dtype)
    assert sign == sign0
    # The pivots are exactly 2^(k + e) times A0's: only the logarithms and the sum round.
    tol = THRESH * N * u * (abs(float(logabs0)) + 2 * N * 1100 * math.log(2))
    assert abs(float(logabs) - (float(logabs0) + N * k * math.log(2))) <= tol
    assert F.norm1() == pytest.approx(math.ldexp(F0.norm1(), k), rel=N * u)


@pytest.mark.parametrize("dtype,k", _cases((np.float64, np.float32)))
def test_inverse_is_unscaled(dtype, k):
    a0 = _matrix("general", dtype)
    inv0 = to_np(pv.LU(a0).inv())
    want = _scaled(inv0, -k)
    if not np.isfinite(want).all():
        pytest.skip("the inverse of this 2^k A0 overflows")
    _same(pv.LU(_scaled(a0, k)).inv(), want, "inv")


@pytest.mark.parametrize(
    "dtype,k", [(np.float64, -496), (np.float64, 496), (np.float32, -60), (np.float32, 60)]
)
def test_determinant_is_unscaled(dtype, k):
    """det(2^k B) = 2^(2k) det(B) for a 2x2 B, representable at these k (outside the safe range)."""
    b = np.array([[3.0, -5.0], [4.0, 1.0]], dtype=dtype)
    F = pv.LU(_scaled(b, k))
    assert F._scale != 0
    logabs = abs(2 * k * math.log(2))
    assert float(F.det()) == pytest.approx(math.ldexp(23.0, 2 * k), rel=THRESH * u_of(dtype) * (logabs + 1))


@pytest.mark.parametrize("dtype,k", _cases())
def test_scipy_compatible_factors_are_exactly_equivariant(dtype, k):
    """lu, lu_factor, cholesky, cho_factor and ldl return the factors of A itself.

    L of LU and LDL is scale free, U and D are times 2^k, Cholesky's factor times 2^(k/2).
    """
    a0 = _matrix("general", dtype)
    a = _scaled(a0, k)
    p0, l0, u0 = pv.lu(a0)
    p, l, u = pv.lu(a)
    _same(p, p0, "P")
    _same(l, l0, "L")
    _same(u, _scaled(u0, k), "U")
    lu0, piv0 = pv.lu_factor(a0)
    lu, piv = pv.lu_factor(a)
    _same(piv, piv0, "piv")
    _same(np.tril(lu, -1), np.tril(lu0, -1), "multipliers")
    _same(np.triu(lu), _scaled(np.triu(lu0), k), "U of lu_factor")
    c0 = _matrix("spd", dtype)
    for lower in (True, False):  # the Cholesky factor of a subnormal matrix is normal: exact too
        _same(pv.cholesky(_scaled(c0, k), lower=lower), _scaled(pv.cholesky(c0, lower=lower), k // 2), "chol")
        cf, _ = pv.cho_factor(_scaled(c0, k), lower=lower)
        cf0, _ = pv.cho_factor(c0, lower=lower)
        tri = np.tril if lower else np.triu
        _same(tri(cf), _scaled(tri(cf0), k // 2), "cho_factor")
    s0 = _matrix("hermitian", dtype)
    for lower in (True, False):
        f0, d0, perm0 = pv.ldl(s0, lower=lower)
        f, d, perm = pv.ldl(_scaled(s0, k), lower=lower)
        _same(perm, perm0, "perm")
        _same(f, f0, "ldl's outer factor")
        _same(d, _scaled(d0, k), "ldl's D")
    b0 = _ints(5, (N, 2), dtype)
    j = _shift(dtype, k)
    subnormal = np.abs(lu[lu != 0]).min() < np.finfo(dtype).tiny
    for trans in (0, 1, 2):
        x = pv.lu_solve((lu, piv), _scaled(b0, k + j), trans=trans)
        if not subnormal:
            _same(x, _scaled(pv.lu_solve((lu0, piv0), b0, trans=trans), j), "lu_solve")
        elif WIDE_RANGE:  # U was rounded to subnormals: x solves the system of these factors
            perm = np.arange(N)
            for i, p_i in enumerate(piv):
                perm[[i, p_i]] = perm[[p_i, i]]
            plu = np.empty((N, N), dtype=WIDE if not np.iscomplexobj(lu) else np.clongdouble)
            plu[perm] = (np.tril(wide(lu), -1) + np.eye(N)) @ np.triu(wide(lu))
            bt = _scaled(b0, k + j)
            assert _backward_ratio(plu, x, bt, _u_eff(dtype, lu, bt), _OPS[trans]) <= THRESH


@pytest.mark.parametrize("method", ["auto", "kernel"])
@pytest.mark.parametrize("dtype,k", _cases())
def test_lu_solve_of_an_lu_object_is_exactly_equivariant(dtype, k, method):
    """lu_solve(F, b) solves with F's factors of 2^e A: F.lu, rounded to subnormals, lost digits."""
    a0 = _matrix("general", dtype)
    F0, F = pv.LU(a0), pv.LU(_scaled(a0, k))
    b0 = _ints(5, (N, 2), dtype)
    j = _shift(dtype, k)
    b = _scaled(b0, k + j)
    before = b.copy()
    kw = {} if method == "auto" else {"method": method}
    for trans in (0, 1, 2, "T"):
        want = _scaled(F0.solve(b0, trans=trans, **kw), j)
        _same(pv.lu_solve(F, b, trans=trans, method=method, overwrite_b=True), want, "lu_solve(LU)")
        want = _scaled(F0.solve(b0[:, 0].tolist(), trans=trans, **kw), j)
        _same(pv.lu_solve(F, b[:, 0].tolist(), trans=trans, method=method), want, "lu_solve(LU, list)")
    assert np.array_equal(b, before)  # overwrite_b permits, it does not oblige
    bad = b.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.lu_solve(F, bad)
    assert np.isnan(pv.lu_solve(F, bad, check_finite=False)[:, 0]).any()


@pytest.mark.parametrize("dtype,k", _cases())
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, 1, 2])
def test_solve_triangular_is_exactly_equivariant(dtype, k, lower, trans):
    t0 = _matrix("upper", dtype)
    t0 = t0.T.copy() if lower else t0
    b0 = _ints(5, (N, 2), dtype)
    j = _shift(dtype, k)
    want = _scaled(pv.solve_triangular(t0, b0, trans=trans, lower=lower), j)
    got = pv.solve_triangular(_scaled(t0, k), _scaled(b0, k + j), trans=trans, lower=lower)
    _same(got, want, "solve_triangular")


@pytest.mark.parametrize("name", ["LU", "Cholesky", "LDL", "Triangular"])
@pytest.mark.parametrize("k", [-1060, -996, 996])
def test_torch_factorizations_are_exactly_equivariant(name, k):
    make, kind, factors = _FACTORS[name]
    a0 = _matrix(kind, np.float64)
    F0, F = make(torch.from_numpy(a0)), make(torch.from_numpy(_scaled(a0, k)))
    for (got, kg), (want, _) in zip(factors(F, k), factors(F0, k), strict=True):
        _same(got, _compact_scaled(F0, k) if kg is None else _scaled(to_np(want), kg), f"{name} factor")
        assert isinstance(got, torch.Tensor)
    assert F.rcond() == F0.rcond()
    b0 = _ints(5, (N, 2), np.float64)
    j = _shift(np.float64, k)
    x = F.solve(torch.from_numpy(_scaled(b0, k + j)))
    assert isinstance(x, torch.Tensor)
    _same(x, _scaled(to_np(F0.solve(torch.from_numpy(b0))), j), "torch solve")


# --------------------------------------------------------------------------- backward errors in long double

needs_wide = pytest.mark.skipif(
    not WIDE_RANGE, reason="needs an extended-range long double for the reference"
)


def _u_eff(dtype, *data) -> float:
    """The unit roundoff plus the gradual-underflow term (tests/adversarial/variants.py)."""
    peaks = [float(np.abs(wide(d)).max()) for d in data]
    return u_of(dtype) + N * float(np.finfo(_real(dtype)).smallest_subnormal) / min(peaks)


def _backward_ratio(a, x, b, u_eff, op=lambda m: m) -> float:
    """Worst column of ``||b - op(A) x||_1 / (||op(A)||_1 ||x||_1 + ||b||_1) / (n u_eff)`` in long double."""
    aw, xw, bw = op(wide(a)), wide(to_np(x)), wide(b)
    worst = 0.0
    for c in range(bw.shape[1]):
        r = bw[:, c] - aw @ xw[:, c]
        num = np.abs(r).sum()
        den = np.abs(aw).sum(axis=0).max() * np.abs(xw[:, c]).sum() + np.abs(bw[:, c]).sum()
        worst = max(worst, float(num / den) / (N * u_eff)) if den > 0 else math.inf
    return worst


def _rhs(a: np.ndarray, dtype) -> np.ndarray:
    """``b = A x`` rounded once from long double, ``x`` of order 1 (b as tiny as A)."""
    x = wide(_ints(7, (N, 2), dtype))
    b = wide(a) @ x
    return b.astype(dtype)


_OPS = {0: lambda m: m, 1: lambda m: m.T, 2: lambda m: m.conj().T}


@needs_wide
@pytest.mark.parametrize(
    "make,kind",
    [
        (pv.LU, "general"),
        (lambda a: pv.LU(a, method="kernel"), "general"),
        (pv.Cholesky, "spd"),
        (pv.LDL, "hermitian"),
        (lambda a: pv.LDL(a, method="kernel"), "hermitian"),
        (pv.Triangular, "upper"),
        (pv.Banded, "banded"),
        (pv.factorize, "general"),
        (pv.factorize, "spd"),
    ],
    ids=[
        "LU",
        "LU-kernel",
        "Cholesky",
        "LDL",
        "LDL-kernel",
        "Triangular",
        "Banded",
        "factorize",
        "factorize-spd",
    ],
)
@pytest.mark.parametrize("dtype,k", _cases())
def test_solves_are_backward_stable_at_extreme_scales(make, kind, dtype, k):
    a = _scaled(_matrix(kind, dtype), k)
    F = make(a)
    for trans in (0, 1, 2):
        bt = (_OPS[trans](wide(a)) @ wide(_ints(7, (N, 2), dtype))).astype(dtype)
        x = F.solve(bt, trans=trans)
        assert _backward_ratio(a, x, bt, _u_eff(dtype, a, bt), _OPS[trans]) <= THRESH
    assert F.rcond() > 1e-4  # the matrices are well conditioned: no overflow in the estimate


@needs_wide
@pytest.mark.parametrize("dtype,k", _cases())
@pytest.mark.parametrize(
    "assume", [None, "general", "pos", "her", "upper triangular", "lower triangular", "banded"]
)
def test_solve_is_backward_stable_and_quiet_at_extreme_scales(dtype, k, assume):
    """pivotal.solve: no spurious warning (refinement stops at the underflow floor), small backward error."""
    kinds = {"pos": "spd", "her": "hermitian", "banded": "banded"}
    kind = "upper" if assume in ("upper triangular", "lower triangular") else kinds.get(assume, "general")
    a = _scaled(_matrix(kind, dtype), k)
    if assume == "lower triangular":
        a = a.T.copy()
    b = _rhs(a, dtype)
    x = pv.solve(a, b, assume_a=assume)
    assert _backward_ratio(a, x, b, _u_eff(dtype, a, b)) <= THRESH
    x = pv.solve(a, b, assume_a=assume, transposed=True)
    assert _backward_ratio(a, x, b, _u_eff(dtype, a, b), _OPS[1]) <= THRESH


@needs_wide
@pytest.mark.parametrize("dtype,k", _cases((np.float64, np.complex128)))
@pytest.mark.parametrize("precision", ["mixed", "fixed"])
def test_refine_converges_quietly_at_extreme_scales(dtype, k, precision):
    """Mixed precision too: the float32 copy is of 2^e A (a cast of A itself would flush it to 0)."""
    a = _scaled(_matrix("general", dtype), k)
    b = _rhs(a, dtype)
    x, rep = pv.refine(a, b, precision=precision, return_report=True)
    assert rep.converged
    assert rep.fallback is None
    assert _backward_ratio(a, x, b, _u_eff(dtype, a, b)) <= THRESH


@needs_wide
@pytest.mark.parametrize("dtype,k", _cases())
def test_scipy_compatible_factors_reconstruct_at_extreme_scales(dtype, k):
    """||A - P L U|| and ||A - L D L^H|| over n ||A|| u_eff (LAPACK xGET01), subnormal factors included."""
    a = _scaled(_matrix("general", dtype), k)
    u_eff = _u_eff(dtype, a)
    p, l, u = (wide(f) for f in pv.lu(a))
    aw = wide(a)
    norm = np.abs(aw).sum(axis=0).max()
    assert float(np.abs(aw - p @ l @ u).sum(axis=0).max() / (N * norm * u_eff)) <= THRESH
    s = _scaled(_matrix("hermitian", dtype), k)
    f, d, _ = (wide(t) for t in pv.ldl(s))
    sw = wide(s)

    def n1(m):
        return np.abs(m).sum(axis=0).max()

    norm = n1(sw) + n1(f) * n1(d) * n1(f.conj().T)  # Bunch-Kaufman: |E| <= c u (|A| + |L||D||L^H|)
    assert float(n1(sw - f @ d @ f.conj().T) / (N * norm * u_eff)) <= THRESH


# --------------------------------------------------------------------------- the pieces


def test_factor_exponent_is_even_and_lands_inside_the_safe_range():
    from pivotal._scaling import safe_range

    for dtype in (np.float64, np.float32):
        lo, hi = safe_range(dtype)
        fi = np.finfo(dtype)
        for amax in (float(fi.smallest_subnormal), float(fi.tiny), lo / 3, lo, hi, hi * 3, float(fi.max)):
            e = factor_exponent(amax, dtype)
            assert e % 2 == 0
            assert lo <= math.ldexp(amax, e) <= hi
            assert (e == 0) == (lo <= amax <= hi)
        assert factor_exponent(0.0, dtype) == factor_exponent(math.nan, dtype) == 0


def _blas(t, b, *, lower, trans=0, unit_diagonal=False):
    import scipy.linalg as sl

    b[...] = sl.solve_triangular(
        t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal, check_finite=False
    )
    return b


def test_solve_in_range_reads_one_triangle_and_leaves_normal_diagonals_alone():
    t0 = _matrix("upper", np.float64)
    compact = t0 + np.tril(np.full((N, N), np.nan), -1)  # LU-style: other data in the other triangle
    b0 = _ints(5, (N, 2), np.float64)
    x0 = _blas(t0, b0.copy(), lower=False)
    for trans in (0, 1):
        want = _scaled(_blas(t0, b0.copy(), lower=False, trans=trans), 200)
        got = solve_in_range(_blas, _scaled(compact, -1060), _scaled(b0, -860), lower=False, trans=trans)
        _same(got, want, "solve_in_range")
    seen = []

    def spy(t, b, **kw):
        seen.append(t)
        return b

    solve_in_range(spy, compact, b0.copy(), lower=False)  # a normal diagonal: passed through, no copy
    tiny_unit = _scaled(compact, -1060)
    solve_in_range(spy, tiny_unit, b0.copy(), lower=False, unit_diagonal=True)  # 1/1 cannot overflow
    assert seen[0] is compact and seen[1] is tiny_unit
    assert np.isfinite(x0).all()


def test_banded_det_sign_counts_0_based_interchanges():
    assert float(pv.Banded(np.diag([2.0, 3.0, 4.0])).det()) == pytest.approx(24.0)
    a = _matrix("banded", np.float64)
    F = pv.Banded(a)
    assert (F.ipiv != np.arange(N)).any()  # rows were swapped
    assert float(F.det()) == pytest.approx(np.linalg.det(a), rel=N * THRESH * u_of(np.float64))
    assert F.slogdet()[0] == np.sign(np.linalg.det(a))


@pytest.mark.parametrize("cls", [pv.QR, pv.QRPivoted])
def test_qr_lstsq_accepts_lists_and_checks_b(cls):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((9, 4))
    b = rng.standard_normal(9)
    F = cls(a)
    assert np.array_equal(F.lstsq(b.tolist()), F.lstsq(b))
    assert np.array_equal(F.lstsq(b[:, None].tolist()), F.lstsq(b[:, None]))
    with pytest.raises(ValueError, match="9 rows"):
        F.lstsq(np.ones(8))
    with pytest.raises(ValueError, match="one at a time"):
        F.lstsq(np.ones((2, 9, 1)))
    with pytest.raises(TypeError, match="same type"):
        F.lstsq(torch.ones(9, dtype=torch.float64))


@pytest.mark.parametrize("lower", [True, False])
def test_raw_cholesky_measures_only_the_triangle_it_reads(lower):
    """NaN or huge values in the unread triangle change neither the scaling nor the factor."""
    from pivotal.factorizations.cholesky import triangle_max

    c0 = _matrix("spd", np.float64)
    k = -1060
    want = _scaled(pv.cholesky(c0, lower=lower), k // 2)
    for junk in (np.nan, 1e300):
        a = _scaled(c0, k)
        other = np.triu_indices(N, 1) if lower else np.tril_indices(N, -1)
        a[other] = junk
        assert triangle_max(a, lower) == np.abs(_scaled(c0, k)).max()
        _same(pv.cholesky(a, lower=lower, check_finite=False), want, "cholesky")
    big = np.random.default_rng(1).standard_normal((1100, 1100))  # several blocks, both kinds of input
    for x in (big, big + 1j * big.T, torch.from_numpy(big)):
        tri = np.tril(to_np(x)) if lower else np.triu(to_np(x))
        assert triangle_max(x, lower, block=256) == np.abs(tri).max()


# --------------------------------------------------------------------------- QR with column pivoting

#: An exactly rank-3 integer matrix: B C with small integer B (9 x 3) and C (3 x 7).
_RANK = 3


def _lowrank(dtype) -> np.ndarray:
    return (_ints(11, (9, _RANK), dtype) @ _ints(12, (_RANK, 7), dtype)).astype(dtype)


_QRP = {
    "vendor": pv.QRPivoted,
    "kernel": lambda a, **kw: pv.QRPivoted(a, method="kernel", **kw),
    "strong": lambda a, **kw: pv.QRPivoted(a, rank_reveal="strong", **kw),
    "torch": lambda a, **kw: pv.QRPivoted(torch.from_numpy(a), **kw),
}


@needs_wide
@pytest.mark.parametrize("how", list(_QRP))
@pytest.mark.parametrize("dtype,k", _cases())
def test_qrpivoted_rank_and_factors_at_extreme_scales(how, dtype, k):
    """The default tolerance max(m, n) u |R_00| underflowed to 0 on subnormal data (rank 7 for rank 3).

    2^k A0 is exact (A0's entries are small integers), so its rank is A0's. The factors reconstruct A
    with a backward error of order u_eff (the factors of A are those of 2^e A rounded once, subnormal
    ones included), and the minimum-norm least-squares solution of a consistent system is that of A0,
    scaled, to the accuracy its condition number sigma_1 / sigma_r allows.
    """
    a0 = _lowrank(dtype)
    a = _scaled(a0, k)
    F = _QRP[how](a)
    assert F.rank == _RANK
    if how == "strong":
        return  # strong RRQR's factors and lstsq are checked in test_kernel_qrcp.py
    q, r, p = (to_np(f) for f in F)
    aw = wide(a)[:, p]
    norm = np.abs(aw).sum(axis=0).max()
    assert float(np.abs(aw - wide(q) @ wide(r)).sum(axis=0).max() / (9 * norm * _u_eff(dtype, a))) <= THRESH
    x0 = _ints(13, (7, 2), dtype)
    b0 = a0.astype(np.float64 if a0.dtype.kind == "f" else np.complex128) @ x0  # exact: integers
    j = _shift(dtype, k)
    b = _scaled(b0.astype(dtype), k + j)
    x = to_np(F.lstsq(torch.from_numpy(b) if how == "torch" else b))
    want = _scaled(np.linalg.pinv(a0.astype(b0.dtype)) @ b0, j)
    s = np.linalg.svd(a0.astype(b0.dtype), compute_uv=False)
    tol = THRESH * 9 * u_of(dtype) * s[0] / s[_RANK - 1]
    assert np.linalg.norm(x - want) <= tol * np.linalg.norm(want)


@pytest.mark.parametrize("how", ["vendor", "kernel", "strong"])
@pytest.mark.parametrize("dtype,k", _cases((np.float64, np.float32)))
def test_qrpivoted_absolute_tol_is_in_the_scale_of_a(how, dtype, k):
    """tol is compared with |R_kk| of A: the factored 2^e A compares with tol 2^e."""
    a0 = _lowrank(dtype)
    d = np.abs(np.diag(to_np(_QRP[how](a0).R)))
    tol0 = math.sqrt(d[0] * d[1])  # between |R_00| and |R_11|, far from both
    assert _QRP[how](a0, tol=tol0).rank == 1
    assert _QRP[how](_scaled(a0, k), tol=math.ldexp(tol0, k)).rank == 1
    assert _QRP[how](_scaled(a0, k), tol=0.0).rank >= _RANK
    huge = float(np.finfo(np.float64).max)  # tol 2^e may overflow: nothing exceeds it
    assert _QRP[how](_scaled(a0, k), tol=huge).rank == 0


@needs_wide
@pytest.mark.parametrize("dtype,k", _cases())
def test_qr_raw_mode_with_pivoting_returns_the_factors_of_a(dtype, k):
    """pivotal.qr(..., pivoting=True, mode='raw') exposes the compact factors: those of A, not of 2^e A."""
    import scipy.linalg as sl

    a = _scaled(_lowrank(dtype), k)
    (qr_, tau), r, p = pv.qr(a, pivoting=True, mode="raw")
    assert np.array_equal(r, np.triu(qr_[: r.shape[0]]))
    orgqr = sl.lapack.get_lapack_funcs("ungqr" if np.iscomplexobj(a) else "orgqr", (qr_,))
    q = orgqr(qr_[:, : len(tau)], tau)[0]
    aw = wide(a)[:, p]
    norm = np.abs(aw).sum(axis=0).max()
    assert float(np.abs(aw - wide(q) @ wide(r)).sum(axis=0).max() / (9 * norm * _u_eff(dtype, a))) <= THRESH
