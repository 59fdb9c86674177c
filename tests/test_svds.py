"""svds / eigsh: SciPy-compatible signatures, conventions and errors; every method against references."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as ssl

from pivotal.errors import LinAlgWarning
from pivotal.randomized import eigsh, svds
from pivotal.randomized._svds import select_eigsh_method, select_svds_method

from .helpers import THRESH

EPS = np.finfo(np.float64).eps


def _seed(method):
    """``rng=0`` for the methods that use a seed; the exact dense path refuses one."""
    return {} if method == "dense" else {"rng": 0}


@pytest.mark.parametrize("ours, theirs", [(svds, ssl.svds), (eigsh, ssl.eigsh)])
def test_signature_matches_scipy(ours, theirs):
    o = inspect.signature(ours).parameters
    t = inspect.signature(theirs).parameters
    assert list(o)[: len(t)] == list(t)
    for name, p in t.items():
        assert o[name].kind == p.kind, name
        assert o[name].default == p.default, name
    extras = [p for p in o.values() if p.name not in t]
    assert extras and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extras)


def _matrix(m, n, dtype=np.float64, seed=0, decay=0.8):
    """m x n with singular values decay**i (well separated), random singular vectors."""
    rng = np.random.default_rng(seed)
    p = min(m, n)
    cplx = np.issubdtype(dtype, np.complexfloating)

    def orth(r, c):
        x = rng.standard_normal((r, c)) + (1j * rng.standard_normal((r, c)) if cplx else 0)
        return np.linalg.qr(x)[0]

    s = 10 * decay ** np.arange(p) + 0.01
    return ((orth(m, p) * s) @ orth(n, p).conj().T).astype(dtype)


def _symmetric(n, seed=0, cplx=False, decay=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0)
    q = np.linalg.qr(x)[0]
    lam = rng.permutation(np.arange(n) - n / 2 + 0.25)  # distinct magnitudes and values
    if decay:  # alternating signs, geometric magnitudes: fast for Krylov methods
        lam = 10 * 0.8 ** np.arange(n) * (-1.0) ** np.arange(n) + 0.01
    a = (q * lam) @ q.conj().T
    return (a + a.conj().T) / 2


def _value_tol(A, dtype=np.float64) -> float:
    """Two backward-stable eigen/singular value solvers (ARPACK at tol=0 converges to machine
    precision, our dense and randomized paths are QR/SVD based) are exact for perturbations of
    THRESH n u ||A||, which moves each value by at most that (Weyl): they agree to twice it."""
    A = A.toarray() if sp.issparse(A) else np.asarray(A)
    return 2 * THRESH * max(A.shape) * np.finfo(dtype).eps / 2 * np.linalg.norm(A, 2)


def _vector_tol(A, gap: float) -> float:
    """... and each vector (or subspace) by that over the gap to the rest (Davis-Kahan, Wedin)."""
    return _value_tol(A) / gap


def _svd_ratio(A, u, s, vh):
    """Backward-error style ratio of the triplets: residuals over (n ||A|| eps)."""
    A = A.toarray() if sp.issparse(A) else np.asarray(A)
    r1 = np.linalg.norm(A @ vh.conj().T - u * s)
    r2 = np.linalg.norm(A.conj().T @ u - vh.conj().T * s)
    return max(r1, r2) / (max(A.shape) * np.linalg.norm(A, 2) * EPS)


def _subspace_gap(X, Y):
    """sin of the largest principal angle between span(X) and span(Y) (sign/phase independent)."""
    return float(np.sin(sla.subspace_angles(X, Y).max()))


@pytest.mark.parametrize("method", ["auto", "dense", "lanczos", "randomized", "gkl"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_svds_methods_match_scipy(method, dtype):
    A = _matrix(300, 200, dtype)
    u, s, vh = svds(A, k=5, method=method, **_seed(method))
    ur, sr, vhr = ssl.svds(A, k=5, rng=0)
    assert np.all(np.diff(s) >= 0)  # ascending, like SciPy
    np.testing.assert_allclose(s, sr, rtol=0, atol=_value_tol(A))
    assert _svd_ratio(A, u, s, vh) < THRESH
    sig = np.linalg.svd(A, compute_uv=False)
    tol = _vector_tol(A, sig[4] - sig[5])  # the top 5 against the rest
    assert _subspace_gap(u, ur) <= tol and _subspace_gap(vh.conj().T, vhr.conj().T) <= tol
    # per-vector agreement up to a unit phase: |u_i^H u_ref_i| = cos(angle) = 1 - angle**2 / 2
    angle = _vector_tol(A, np.min(-np.diff(sig[:6])))
    # (plus gamma_m for evaluating the inner products of unit vectors)
    np.testing.assert_allclose(np.abs(np.sum(u.conj() * ur, axis=0)), 1, rtol=0, atol=angle**2 + 300 * EPS)
    assert u.dtype == ur.dtype and s.dtype == sr.dtype


@pytest.mark.parametrize("kind", ["sparse", "linop"])
@pytest.mark.parametrize("method", ["auto", "dense", "lanczos", "randomized", "gkl"])
def test_svds_sparse_and_linop(kind, method):
    S = sp.csr_array(_matrix(300, 200, seed=1))
    A = S if kind == "sparse" else ssl.aslinearoperator(S)
    if kind == "linop" and method == "dense":
        pytest.skip("a LinearOperator has no dense form")
    u, s, vh = svds(A, k=4, method=method, **_seed(method))
    ref = np.linalg.svd(S.toarray(), compute_uv=False)
    np.testing.assert_allclose(s, ref[:4][::-1], rtol=0, atol=_value_tol(S))
    assert isinstance(u, np.ndarray) and _svd_ratio(S, u, s, vh) < 100


@pytest.mark.parametrize("method", ["dense", "lanczos"])
def test_svds_which_sm(method):
    A = _matrix(40, 30, decay=0.9)
    s = svds(A, k=3, which="SM", method=method, return_singular_vectors=False, **_seed(method))
    ref = np.linalg.svd(A, compute_uv=False)
    # the smallest values may be found through A^H A: absolute error value_tol ||A|| / sigma
    np.testing.assert_allclose(s, ref[-3:][::-1], rtol=0, atol=_value_tol(A) * ref[0] / ref[-1])
    assert np.all(np.diff(s) >= 0)


@pytest.mark.parametrize("shape", [(30, 20), (20, 30)])
@pytest.mark.parametrize("rsv", [True, False, "u", "vh"])
@pytest.mark.parametrize("method", ["dense", "lanczos", "randomized", "gkl"])
def test_svds_return_singular_vectors(shape, rsv, method):
    A = _matrix(*(10 * np.array(shape)))
    ours = svds(A, k=3, return_singular_vectors=rsv, method=method, **_seed(method))
    theirs = ssl.svds(A, k=3, return_singular_vectors=rsv, rng=0)
    if rsv is False:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=_value_tol(A))
        return
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.shape == b.shape


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0}, {"k": 20}, {"k": 25}, {"k": 2.5}, {"k": 3, "which": "LA"}, {"k": 3, "tol": -1},
        {"k": 3, "ncv": 3}, {"k": 3, "maxiter": 0}, {"k": 3, "return_singular_vectors": "x"},
        {"k": 3, "solver": "nope"},
    ],
)  # fmt: skip
@pytest.mark.parametrize("method", ["auto", "dense", "randomized", "gkl"])
def test_svds_errors_like_scipy(kwargs, method):
    A = _matrix(30, 20)
    with pytest.raises(ValueError, match=r"\S") as theirs:  # compared below
        ssl.svds(A, **kwargs)
    with pytest.raises(ValueError, match=r"\S") as ours:
        svds(A, method=method, **kwargs)
    assert _canonical(str(ours.value)) == _canonical(str(theirs.value))


def _canonical(message: str) -> str:
    """SciPy prints some allowed values as a set, whose order depends on string hashing."""
    import re

    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def test_svds_other_errors():
    A = _matrix(30, 20)
    with pytest.raises(ValueError, match="must not be empty"):
        svds(np.zeros((0, 3)), 1)
    with pytest.raises(ValueError, match="method must be one of"):
        svds(A, 3, method="magic")
    with pytest.raises(ValueError, match="largest singular values only"):
        svds(A, 3, which="SM", method="randomized")
    with pytest.raises(ValueError, match="method='lanczos' only"):
        svds(A, 3, solver="propack", method="dense")
    with pytest.raises(TypeError, match="rng= only"):
        svds(A, 3, rng=0, random_state=0, method="dense")
    # propack allows k = min(M, N), as in SciPy
    s = svds(A, 20, solver="propack", return_singular_vectors=False, rng=0)
    np.testing.assert_allclose(
        np.sort(s), np.sort(np.linalg.svd(A, compute_uv=False)), rtol=0, atol=_value_tol(A)
    )


def test_svds_random_state_alias_and_dtype():
    A = _matrix(30, 20).astype(np.float32)
    _, s, _ = svds(A, 3, random_state=0, method="lanczos")
    assert s.dtype == np.float32
    s2 = svds(A, 3, method="dense", return_singular_vectors=False)
    assert s2.dtype == np.float32
    np.testing.assert_allclose(s, s2, rtol=0, atol=_value_tol(A, np.float32))
    s3 = svds(np.arange(12).reshape(4, 3), 2, return_singular_vectors=False)
    assert s3.dtype == np.float64


def test_randomized_warns_when_not_converged():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((120, 100))  # flat spectrum: block Krylov converges slowly
    with pytest.warns(LinAlgWarning, match="relative residual"):
        svds(A, 5, method="randomized", maxiter=1, rng=0)


def test_selection_rule():
    assert select_svds_method(np.ones((100, 80)), 5)[0] == "dense"
    assert select_svds_method(np.ones((600, 550)), 5)[0] == "gkl"
    assert select_svds_method(ssl.aslinearoperator(np.eye(600)), 5)[0] == "gkl"
    assert select_svds_method(ssl.aslinearoperator(np.eye(600)), 5, which="SM")[0] == "lanczos"
    assert select_svds_method(np.ones((600, 550)), 200)[0] == "dense"
    assert select_svds_method(np.ones((600, 550)), 5, which="SM")[0] == "dense"
    assert select_svds_method(sp.eye_array(600), 5)[0] == "lanczos"
    assert select_svds_method(ssl.aslinearoperator(np.eye(10)), 2)[0] == "lanczos"
    assert select_svds_method(np.eye(10), 2, solver="lobpcg")[0] == "lanczos"
    assert select_eigsh_method(np.eye(600), 5)[0] == "lanczos"
    assert select_eigsh_method(np.eye(60), 5)[0] == "dense"
    assert select_eigsh_method(np.eye(60), 5, sigma=1.0)[0] == "lanczos"
    method, reason = select_eigsh_method(sp.eye_array(600), 5)
    assert method == "lanczos" and "sparse" in reason


# --------------------------------------------------------------------------- eigsh


@pytest.mark.parametrize("which", ["LM", "SM", "LA", "SA", "BE"])
@pytest.mark.parametrize("method", ["auto", "dense", "lanczos"])
def test_eigsh_which_matches_scipy(which, method):
    A = _symmetric(40)
    w, v = eigsh(A, k=5, which=which, method=method, **_seed(method))
    wr, vr = ssl.eigsh(A, k=5, which=which, rng=0)
    np.testing.assert_allclose(w, wr, rtol=0, atol=_value_tol(A))
    assert np.all(np.diff(w) > 0)
    assert np.linalg.norm(A @ v - v * w) < 100 * 40 * EPS * np.linalg.norm(A, 2)
    lam = np.linalg.eigvalsh(A)
    gap = np.min([np.min(np.abs(np.delete(lam, np.argmin(np.abs(lam - x))) - x)) for x in w])
    np.testing.assert_allclose(
        np.abs(np.sum(v * vr, axis=0)), 1, rtol=0, atol=_vector_tol(A, gap) ** 2 + 40 * EPS
    )
    w_only = eigsh(A, k=5, which=which, method=method, return_eigenvectors=False, **_seed(method))
    np.testing.assert_allclose(
        w_only,
        ssl.eigsh(A, k=5, which=which, return_eigenvectors=False, rng=0),
        rtol=0,
        atol=_value_tol(A),
    )


@pytest.mark.parametrize("method", ["auto", "dense", "lanczos", "randomized"])
def test_eigsh_complex_sparse_linop(method):
    A = _symmetric(200, cplx=True, decay=True)
    w, v = eigsh(A, k=3, method=method, **_seed(method))
    wr = ssl.eigsh(A, k=3, rng=0, return_eigenvectors=False)
    np.testing.assert_allclose(
        np.sort(w), np.sort(wr), rtol=0, atol=_value_tol(A)
    )  # SciPy's complex path is unsorted
    assert np.iscomplexobj(v) and np.linalg.norm(A @ v - v * w) < _value_tol(A)
    S = sp.csr_array(_symmetric(200, seed=2, decay=True))
    for a in [S] if method == "dense" else [S, ssl.aslinearoperator(S)]:
        w2, _ = eigsh(a, k=3, method=method, **_seed(method))
        np.testing.assert_allclose(
            np.sort(w2), np.sort(ssl.eigsh(S, k=3, rng=0)[0]), rtol=0, atol=_value_tol(S)
        )


def test_eigsh_shift_invert_and_generalized_delegate():
    A = _symmetric(30)
    M = np.diag(np.linspace(1, 2, 30))
    for kw in [{"sigma": 0.1}, {"M": M}, {"M": M, "sigma": 0.1, "which": "LM"}]:
        # delegated to ARPACK: the same computation, within the generalized problem's value
        # tolerance (kappa(M) scales the backward error of B = M^{-1/2} A M^{-1/2})
        tol = _value_tol(A) * np.linalg.cond(M)
        np.testing.assert_allclose(
            eigsh(A, 3, rng=0, **kw)[0], ssl.eigsh(A, 3, rng=0, **kw)[0], rtol=0, atol=tol
        )
    with pytest.raises(ValueError, match="method='lanczos' only"):
        eigsh(A, 3, sigma=0.1, method="dense")


def test_eigsh_errors_and_k_ge_n():
    A = _symmetric(10)
    for kw in [{"k": 0}, {"k": 3, "which": "LR"}]:
        with pytest.raises(ValueError, match=r"\S") as theirs:  # compared below
            ssl.eigsh(A, **kw)
        with pytest.raises(ValueError, match=r"\S") as ours:
            eigsh(A, **kw)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="square"):
        eigsh(np.ones((3, 4)), 1)
    with pytest.raises(ValueError, match="BE"):
        eigsh(_symmetric(10, cplx=True), 2, which="BE")
    with pytest.raises(ValueError, match="largest-magnitude"):
        eigsh(A, 2, which="LA", method="randomized")
    with pytest.warns(RuntimeWarning, match="k >= N"):
        w = eigsh(A, 12, return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(w), np.linalg.eigvalsh(A), rtol=0, atol=_value_tol(A))
    with pytest.warns(RuntimeWarning), pytest.raises(TypeError):
        eigsh(sp.csr_array(A), 10)


def test_eigsh_randomized_accuracy():
    A = _symmetric(300, decay=True)
    w, v = eigsh(A, 4, method="randomized", rng=0)
    np.testing.assert_allclose(w, ssl.eigsh(A, 4, rng=0)[0], rtol=0, atol=_value_tol(A))
    assert np.linalg.norm(A @ v - v * w, axis=0).max() <= THRESH * 300 * EPS / 2 * np.abs(w).max()


# --------------------------------------------------------------------------- torch


@pytest.mark.parametrize("method", ["auto", "dense", "lanczos", "randomized"])
def test_torch_input(method):
    torch = pytest.importorskip("torch")
    A = _matrix(300, 200)
    At = torch.as_tensor(A)
    u, s, vh = svds(At, 3, method=method, **_seed(method))
    assert all(isinstance(x, torch.Tensor) for x in (u, s, vh))
    np.testing.assert_allclose(s.numpy(), ssl.svds(A, 3, rng=0)[1], rtol=0, atol=_value_tol(A))
    assert _svd_ratio(A, u.numpy(), s.numpy(), vh.numpy()) < THRESH
    S = _symmetric(200, decay=True)
    w, v = eigsh(torch.as_tensor(S), 3, method=method, **_seed(method))
    assert isinstance(w, torch.Tensor) and isinstance(v, torch.Tensor)
    np.testing.assert_allclose(w.numpy(), ssl.eigsh(S, 3, rng=0)[0], rtol=0, atol=_value_tol(S))
    s_only = svds(At, 3, method=method, return_singular_vectors=False, **_seed(method))
    assert isinstance(s_only, torch.Tensor)
    np.testing.assert_allclose(s_only.numpy(), s.numpy(), rtol=0, atol=_value_tol(A))


def test_no_warnings_on_default_paths():
    A = _matrix(30, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svds(A, 3)
        eigsh(_symmetric(20), 3)


# --------------------------------------------------------------------------- non-finite and extreme-scale input

#: Powers of two (exact scalings): ARPACK's relative threshold (1e-20), 1e+-300, subnormal.
SCALES = {"2**-66": 2.0**-66, "2**-996": 2.0**-996, "2**996": 2.0**996, "2**-1040": 2.0**-1040}
U64 = EPS / 2


def _unit(A):
    """``(2**e A, e)`` with ``max |2**e a_ij|`` in ``[1/2, 1)``: exact for these matrices."""
    e = -np.frexp(np.abs(A).max())[1]
    return np.ldexp(A.real, e) + (1j * np.ldexp(A.imag, e) if np.iscomplexobj(A) else 0), e


def _subnormal_rounding(e: int) -> float:
    """Half a unit of the subnormal range, ``2**-1075``, after rescaling by ``2**e``."""
    return float(np.ldexp(1.0, e - 1075))


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("kind", ["dense", "sparse", "torch"])
@pytest.mark.parametrize("method", ["lanczos", "randomized", "gkl"])
def test_svds_at_extreme_scale(scale, kind, method):
    """Accurate triplets where ARPACK alone fails (1e+-300: ArpackError) or stops at once (2e-11 error).

    Singular values of ``2**k A`` are ``2**k`` those of ``A``; judged on the exactly rescaled
    matrix against LAPACK: a backward-stable partial SVD gives ``|s - s_ref| <= c n u ||A||``
    and residuals ``||A v - s u||, ||A^H u - s v|| <= c n u ||A||`` (ARPACK's tol=0 is eps),
    plus, at the subnormal scale, the rounding of the returned ``s`` to a subnormal number
    (``2**-1075``, i.e. ``q = 2**(e - 1075)`` after rescaling by ``2**e``).
    """
    A0 = np.random.default_rng(3).standard_normal((60, 40))  # flat spectrum: at 2**-66 SciPy's error is 2e-9
    A = A0 * SCALES[scale]  # a power of two: exact, also for the subnormal scale (few bits kept)
    if kind == "sparse":
        A = sp.csr_array(A)
    elif kind == "torch":
        torch = pytest.importorskip("torch")
        A = torch.as_tensor(A)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LinAlgWarning)
        u, s, vh = svds(A, k=3, method=method, rng=0)
    u, s, vh = (np.asarray(x) for x in (u, s, vh))
    An, e = _unit(A0 * SCALES[scale])
    sn = np.ldexp(s, e)
    norm2 = np.linalg.norm(An, 2)
    sref = np.linalg.svd(An, compute_uv=False)[:3][::-1]
    q = _subnormal_rounding(e)
    assert np.max(np.abs(sn - sref)) <= 30 * 60 * U64 * norm2 + q
    r = max(np.linalg.norm(An @ vh.conj().T - u * sn), np.linalg.norm(An.conj().T @ u - vh.conj().T * sn))
    assert r <= 1000 * 60 * U64 * norm2 + 3 * q  # randomized: its own target 1000 u (module notes)


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("shift", [False, True])
def test_eigsh_arpack_at_extreme_scale(scale, kind, shift):
    """As :func:`test_svds_at_extreme_scale`, for eigsh's ARPACK path (also shift-invert: sigma is scaled)."""
    S0 = _symmetric(40, seed=4, decay=True)
    S = S0 * SCALES[scale]
    kw = {"sigma": 9.0 * SCALES[scale]} if shift else {}
    w, v = eigsh(sp.csr_array(S) if kind == "sparse" else S, 3, rng=0, **kw)
    Sn, e = _unit(S)
    wn = np.ldexp(w, e)
    lam = np.linalg.eigvalsh(Sn)
    key = np.abs(lam - np.ldexp(9.0 * SCALES[scale], e)) if shift else -np.abs(lam)
    want = np.sort(lam[np.argsort(key)][:3])
    norm2, q = np.abs(lam).max(), _subnormal_rounding(e)
    assert np.max(np.abs(np.sort(wn) - want)) <= 30 * 40 * U64 * norm2 + q
    assert np.linalg.norm(Sn @ v - v * wn) <= 30 * 40 * U64 * norm2 + 3 * q


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("kind", ["dense", "sparse", "torch", "broadcast"])
@pytest.mark.parametrize("method", ["auto", "dense", "lanczos", "randomized"])
def test_nonfinite_input_raises_valueerror_on_every_path(bad, kind, method):
    """ARPACK has no finiteness check (ArpackError, or NaN out): every path raises the ValueError."""
    A = _matrix(30, 20)
    A[3, 4] = bad
    S = _symmetric(20)
    S[2, 5] = S[5, 2] = bad
    if kind == "sparse":
        A, S = sp.csr_array(A), sp.csr_array(S)
    elif kind == "torch":
        torch = pytest.importorskip("torch")
        A, S = torch.as_tensor(A), torch.as_tensor(S)
    elif kind == "broadcast":  # stride-0: scanned once per distinct entry
        A, S = np.broadcast_to(bad, (30, 20)), np.broadcast_to(bad, (20, 20))
    # rng selects ARPACK under "auto" (a seeded call), and seeds the other iterative methods; the
    # dense path (torch.linalg.eigh returned a wrong answer silently) takes no seed.
    with pytest.raises(ValueError, match="infs or NaNs"):
        svds(A, 3, method=method, **_seed(method))
    with pytest.raises(ValueError, match="infs or NaNs"):
        eigsh(S, 3, method=method, **_seed(method))


def test_eigsh_accepts_array_like():
    """SciPy 1.17's eigsh fails with AttributeError on a list; ours computes (docs/compat.md)."""
    S = _symmetric(12, decay=True)
    for method in ("auto", "dense", "lanczos"):
        w, v = eigsh(S.tolist(), 3, method=method, **_seed(method))
        np.testing.assert_allclose(w, eigsh(S, 3, method="dense")[0], rtol=1e-12)
        assert isinstance(w, np.ndarray) and np.linalg.norm(S @ v - v * w) <= 30 * 12 * U64 * 10
    w = eigsh(tuple(map(tuple, S)), 2, return_eigenvectors=False)
    assert w.shape == (2,)
