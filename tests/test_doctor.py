"""``pivotal.doctor``: what a matrix is and how to solve with it."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import pivotal as pv
from pivotal import gallery
from pivotal.doctor import DoctorReport, Finding

from .helpers import THRESH, solve_residual_ratio, u_of

# randsvd's kappa is achieved to sqrt(n) u kappa (Weyl; gallery.randsvd's Notes) and the SVD
# measures it to THRESH n u kappa: relative tolerance per unit of kappa, n <= 20, float64.
_KAPPA_REL = 2 * THRESH * 20 * u_of(np.float64)

torch = pytest.importorskip("torch")

SECTIONS = ("Matrix", "Norms", "Conditioning", "Recommendation", "Precision", "Findings", "Cost")


def test_hilbert_is_ill_conditioned_and_loses_its_digits():
    H = gallery.hilbert(12)
    r = pv.doctor(H, random_state=0)
    assert isinstance(r, DoctorReport)
    kappa = np.linalg.cond(H)
    assert r.cond2 == pytest.approx(kappa, rel=0.2)  # rounding-limited for kappa ~ 1/u
    assert r.kappa_source == "kappa_2 (SVD)"
    assert r.digits_lost == pytest.approx(math.log10(kappa), abs=0.1)
    assert r.digits_available == pytest.approx(-math.log10(2.0**-53))
    assert r.has("numerically_singular")
    assert r.float32_safe is False and r.refinement == "none"
    assert r.recommendation == "QRPivoted" and any("lstsq" in alt for alt in r.alternatives)
    assert r.structure == ["general", "symmetric", "positive diagonal"]
    # kappa_1 estimate and exact kappa_2 agree within the norm-equivalence factor n
    assert r.condest >= r.cond2 / 12
    # Hilbert(8): ill-conditioned (1.5e10) but not singular: warning, and GMRES-IR territory.
    r8 = pv.doctor(gallery.hilbert(8))
    assert r8.has("ill_conditioned") and not r8.has("numerically_singular")
    assert r8.refinement == "gmres-ir" and r8.float32_safe is False
    assert r8.digits_lost == pytest.approx(math.log10(np.linalg.cond(gallery.hilbert(8))), abs=0.05)
    text = str(r8)
    assert "digits lost" in text and "gmres-ir" in text


def test_spd_recommends_cholesky_and_mixed_precision():
    S = gallery.random_spd(60, 1e3, 3, random_state=1)
    r = pv.doctor(S, random_state=1)
    assert r.recommendation == "Cholesky"
    assert any("cholesky" in why for why in r.reasons)
    assert "symmetric" in r.structure and "positive diagonal" in r.structure
    assert not [f for f in r.findings if f.level in ("error", "warning")]
    assert r.float32_safe is True and r.refinement == "mixed"
    assert r.cond2 == pytest.approx(1e3, rel=_KAPPA_REL * 1e3)
    assert r.rank_svd == r.rank_qrcp == 60
    assert np.linalg.cond(S, 1) / 3 <= r.condest <= np.linalg.cond(S, 1) * (1 + 1e-10)
    assert r.trial is not None and r.trial["backward_error"] < 10 * 2.0**-53 * 60


def test_gfpp_growth_is_flagged_with_a_remedy():
    r = pv.doctor(gallery.gfpp(40), random_state=0)
    assert r.growth_factor == 2.0**39
    assert r.has("large_growth")
    msg = next(f.message for f in r.findings if f.code == "large_growth")
    assert "rook" in msg and "complete" in msg and "QR" in msg
    assert r.growth_rook is not None and r.growth_rook < 3
    assert r.recommendation == "LU (rook pivoting)"
    # the matrix itself is well conditioned: the danger is the algorithm, and a trial solve shows it
    assert r.cond2 < 20 and not r.has("ill_conditioned")
    assert r.has("unstable_solve") and r.trial["backward_error"] > 1e-10
    assert "growth (rook)" in r.timings
    # a single-precision LU with this growth has backward error n rho u_32 >> 1: never advise mixed refinement
    assert r.refinement == "working precision" and "refine='mixed'" not in r.refinement_advice
    assert "grows by" in r.refinement_advice


def test_rank_deficient_rectangular_ranks_agree():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((30, 5)) @ rng.standard_normal((5, 12))
    r = pv.doctor(A, np.ones(30))
    assert r.rank_svd == r.rank_qrcp == 5
    assert r.has("rank_deficient") and r.recommendation == "QRPivoted"
    assert r.condest == math.inf and r.cond2 > 1e13
    assert "growth" in r.skipped and "solve" in r.skipped and r.solve is None
    assert r.structure == ["rectangular"]
    # full-rank rectangular: QR, and cond2 from randsvd
    T = gallery.randsvd(8, 1e4, 3, m=20, random_state=0)
    rt = pv.doctor(T)
    assert rt.recommendation == "QR" and rt.rank_svd == rt.rank_qrcp == 8
    assert rt.cond2 == pytest.approx(1e4, rel=_KAPPA_REL * 1e4)
    assert rt.cond2 / 10 <= rt.condest <= rt.cond2 * 10  # kappa_1(R) estimate vs kappa_2
    assert rt.findings == []


def test_kahan_fools_qrcp():
    r = pv.doctor(gallery.kahan(90))
    assert r.rank_qrcp == 90 and r.rank_svd == 89
    assert r.has("rank_disagreement")
    assert "rank_reveal='strong'" in next(f.message for f in r.findings if f.code == "rank_disagreement")


def test_nan_and_inf_are_reported_not_raised():
    A = np.eye(4)
    A[1, 2] = np.nan
    A[3, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = pv.doctor(A, np.ones(4))
    assert r.nan_count == 1 and r.inf_count == 1
    assert r.codes == ["nonfinite"] and r.findings[0].level == "error"
    for item in ("condition estimate", "svd", "qrcp", "growth", "solve"):
        assert "NaN/Inf" in r.skipped[item]
    assert r.rcond is None and r.cond2 is None and r.solve is None
    assert math.isnan(r.norms["1"])
    d = json.loads(r.to_json())
    assert d["norms"]["1"] == "nan" and d["rcond"] is None
    assert "NaN" in str(r)


def test_all_zero_matrix():
    r = pv.doctor(np.zeros((5, 5)), np.ones(5))
    assert r.has("all_zero") and r.has("solve_failed")
    assert not r.has("singular") and not r.has("rank_deficient")  # all_zero says it
    assert r.nnz == 0 and r.density == 0.0
    assert r.rank_svd == 0 and r.rank_qrcp == 0
    assert r.condest == math.inf and r.cond2 == math.inf and r.rcond == 0.0
    assert r.refinement == "none" and r.digits_lost == math.inf
    assert json.loads(r.to_json())["cond2"] == "inf"


def test_exactly_singular_matrix():
    A = gallery.zero_column(10, 4, random_state=0)
    r = pv.doctor(A, np.ones(10))
    assert r.has("singular") and r.has("zero_columns") and r.has("solve_failed")
    assert r.recommendation == "QRPivoted"
    assert r.rank_svd == r.rank_qrcp == 9


def test_sparse_input_small_is_densified():
    S = sp.random(40, 40, density=0.1, random_state=0, format="csr") + 5 * sp.eye(40, format="csr")
    D = S.toarray()
    r = pv.doctor(S)
    assert r.backend == "scipy.sparse" and r.sparse_format == "csr" and "csr" in r.layout
    assert r.nnz == np.count_nonzero(D) and r.density == pytest.approx(np.count_nonzero(D) / 1600)
    rd = pv.doctor(D)
    assert r.structure == rd.structure and r.recommendation == rd.recommendation
    assert r.cond2 == pytest.approx(rd.cond2) and r.norms == pytest.approx(rd.norms)
    assert any("SparseLU" in alt for alt in r.alternatives)
    assert "refine='mixed'" not in r.refinement_advice  # pivotal.solve refuses it for sparse input
    x = pv.doctor(sp.csc_matrix(D), np.ones(40)).solution
    assert solve_residual_ratio(D, x, np.ones(40)) < THRESH


def test_sparse_input_large_stays_sparse():
    n = 120
    T = sp.diags([-np.ones(n - 1), 4 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csc")
    r = pv.doctor(T, exact_limit=20, random_state=0)
    assert r.has("sparse_large")
    assert r.structure == ["tridiagonal", "symmetric", "positive diagonal"]
    assert r.recommendation == "pivotal.SparseCholesky"
    assert r.refinement == "working precision" and "refine='mixed'" not in r.refinement_advice
    for item in ("svd", "qrcp", "growth"):
        assert item in r.skipped
    exact = np.linalg.cond(T.toarray(), 1)
    # an LU estimate of a lower bound, up to the solves' and inv's 10 n u kappa_1 each
    assert exact / 3 <= r.condest <= exact * (1 + 2 * 10 * n * u_of(np.float64) * exact)
    # tridiagonal, diagonally dominant: GEPP's backward error is a few u per row of 3 entries
    assert r.trial["backward_error"] < THRESH * 3 * u_of(np.float64)
    assert r.norms["1"] == pytest.approx(6.0) and r.norms["fro"] == pytest.approx(np.linalg.norm(T.toarray()))
    # an explicitly stored zero is not a nonzero
    C = sp.csr_matrix((np.array([1.0, 0.0, 2.0]), (np.array([0, 1, 2]), np.array([0, 1, 2]))), shape=(3, 3))
    rc = pv.doctor(C, exact_limit=1)
    assert rc.nnz == 2 and "3 stored entries" in rc.layout
    assert rc.condest == math.inf and rc.has("zero_rows")
    rs = pv.doctor(sp.random(30, 10, density=0.3, random_state=1, format="coo"), exact_limit=2)
    assert rs.recommendation == "pivotal.lstsq"
    rn = pv.doctor(sp.random(30, 30, density=0.2, random_state=2, format="csr") + sp.eye(30), exact_limit=2)
    assert rn.recommendation in ("pivotal.SparseLU", "pivotal.SparseCholesky")


def test_torch_tensor():
    A = gallery.randsvd(20, 1e3, 3, random_state=0)
    T = torch.tensor(A, requires_grad=True)
    r = pv.doctor(T, torch.ones(20, dtype=torch.float64))
    assert r.backend == "torch" and r.device == "cpu" and r.dtype == "float64"
    assert r.layout == "C-contiguous" and r.has("requires_grad")
    assert isinstance(r.solution, torch.Tensor)
    assert solve_residual_ratio(A, r.solution.numpy(), np.ones(A.shape[0])) < THRESH
    assert r.cond2 == pytest.approx(pv.doctor(A).cond2)
    assert pv.doctor(T.detach().T).layout == "F-contiguous"
    # a NumPy b with a torch matrix is converted
    assert isinstance(pv.doctor(T.detach(), np.ones(20)).solution, torch.Tensor)
    r32 = pv.doctor(torch.tensor(A, dtype=torch.float32))
    assert r32.dtype == "float32" and r32.refinement == "not needed" and r32.float32_safe


def test_jax_array():
    jnp = pytest.importorskip("jax.numpy")
    A = gallery.randsvd(10, 1e2, 3, random_state=0).astype(np.float32)
    r = pv.doctor(jnp.asarray(A))
    assert r.backend == "jax" and r.dtype == "float32" and "cpu" in r.device
    assert r.cond2 == pytest.approx(1e2, rel=_KAPPA_REL * 1e2 * u_of(np.float32) / u_of(np.float64))


def test_json_round_trip_and_to_dict():
    r = pv.doctor(gallery.hilbert(6), np.ones(6))
    d = r.to_dict()
    assert json.loads(r.to_json()) == d
    assert json.loads(r.to_json(indent=None)) == d
    assert "solution" not in d and "solve_report" not in d
    for key in (
        "shape",
        "structure",
        "norms",
        "rcond",
        "cond2",
        "rank_svd",
        "rank_qrcp",
        "growth_factor",
        "recommendation",
        "reasons",
        "digits_lost",
        "float32_safe",
        "refinement",
        "findings",
        "timings",
        "skipped",
        "solve",
    ):
        assert key in d
    assert d["shape"] == [6, 6]
    assert all(set(f) == {"level", "code", "message"} for f in d["findings"])
    # inf becomes a string: strict JSON
    rz = pv.doctor(np.zeros((2, 2)))
    assert json.loads(rz.to_json())["condest"] == "inf"
    assert "Infinity" not in rz.to_json() and "NaN" not in rz.to_json()


def test_text_has_the_sections():
    A = gallery.randsvd(15, 1e5, 3, random_state=3)
    text = str(pv.doctor(A, np.ones(15)))
    lines = text.splitlines()
    assert lines[0] == "pivotal doctor: 15 x 15 float64 matrix" and set(lines[1]) == {"="}
    for section in (*SECTIONS, "Certified solve"):
        assert section in lines
    for needle in (
        "rcond (1-norm est.)",
        "kappa_2 (SVD)",
        "rank (QRCP)",
        "GEPP growth",
        "factorization",
        "digits lost",
        "forward bound",
    ):
        assert needle in text
    assert "Trial solve (random b)" in str(pv.doctor(A))
    assert pv.doctor(A)._repr_html_().startswith("<pre>")


def test_certified_solve_bounds_the_true_error():
    for kappa, seed in ((1e4, 0), (1e8, 1), (1e11, 2)):
        A = gallery.randsvd(30, kappa, 3, random_state=seed)
        x_true = np.random.default_rng(seed).standard_normal((30, 2))
        b = A @ x_true
        r = pv.doctor(A, b)
        s = r.solve
        for key in (
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
        ):
            assert key in s
        assert s["method"] == "LU" and r.solve_report.method == "LU"
        x = r.solution
        err = np.abs(x - x_true).max() / np.abs(x).max()
        assert err <= s["forward_error_bound"]
        assert s["backward_error"] < 30 * 2.0**-53
        assert r.trial is None  # the real b replaces the trial solve
        assert "solve" in r.timings


def test_badly_scaled_and_nearly_symmetric():
    rng = np.random.default_rng(0)
    A = np.diag(10.0 ** np.arange(-5, 10, 0.5)) @ rng.standard_normal((30, 30))
    r = pv.doctor(A)
    assert r.has("badly_scaled") and r.row_scale_ratio > 1e13
    assert not r.has("numerically_singular")  # the scaling, not the matrix, is the problem
    assert r.condest_equilibrated < 1e6 < r.condest
    assert r.kappa == r.condest_equilibrated and "equilibration" in r.kappa_source
    X = rng.standard_normal((30, 30))
    S = X @ X.T + 30 * np.eye(30)
    S[0, 1] += 1e-13
    rs = pv.doctor(S)
    assert rs.has("nearly_symmetric") and 0 < rs.asymmetry < 1e-14
    assert "Cholesky" in next(f.message for f in rs.findings if f.code == "nearly_symmetric")
    assert not pv.doctor((S + S.T) / 2).has("nearly_symmetric")
    assert not pv.doctor(X).has("nearly_symmetric")


def test_large_dense_skips_the_exact_items():
    A = np.random.default_rng(0).standard_normal((40, 40))
    r = pv.doctor(A, exact_limit=10)
    assert "exact_limit = 10" in r.skipped["svd"] and "exact_limit" in r.skipped["qrcp"]
    assert r.cond2 is None and r.rank_svd is None
    assert r.growth_factor is not None  # reused from the LU factorization
    assert r.kappa_source == "kappa_1 estimate" and r.kappa == r.condest
    assert "factorization" in r.timings and "condition estimate" in r.timings
    assert "skipped" in str(r)


def test_inputs_and_argument_errors():
    r = pv.doctor([[1, 2], [3, 4]])
    assert r.dtype == "int64" and r.working_dtype == "float64" and r.shape == (2, 2)
    assert "converted from list" in r.layout
    e = pv.doctor(np.zeros((0, 3)))
    assert e.codes == ["empty"] and e.recommendation == "none"
    with pytest.raises(ValueError, match="one matrix"):
        pv.doctor(np.ones(3))
    with pytest.raises(ValueError, match="one matrix"):
        pv.doctor(np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="exact_limit"):
        pv.doctor(np.eye(2), exact_limit=-1)
    with pytest.raises(ValueError, match="shape"):
        pv.doctor(np.eye(3), np.ones(4))
    with pytest.raises(TypeError, match="random_state"):  # pivotal._seeding's rule, as everywhere
        pv.doctor(np.eye(3), random_state="seed")
    with pytest.raises(TypeError, match="numeric"):
        pv.doctor(np.array([["a", "b"], ["c", "d"]]))


def test_findings_are_sorted_by_severity_and_typed():
    r = pv.doctor(gallery.kahan(90))
    levels = [f.level for f in r.findings]
    order = {"error": 0, "warning": 1, "info": 2}
    assert levels == sorted(levels, key=order.__getitem__)
    assert all(isinstance(f, Finding) for f in r.findings)


def test_wide_matrix_and_nonfinite_rhs():
    W = gallery.randsvd(8, 1e4, 3, m=20, random_state=0).T.copy()  # 8 x 20
    r = pv.doctor(W)
    assert r.rank_svd == r.rank_qrcp == 8 and r.cond2 == pytest.approx(1e4, rel=_KAPPA_REL * 1e4)
    assert r.cond2 / 10 <= r.condest <= r.cond2 * 10 and "factorization (A^H)" in r.timings
    rb = pv.doctor(np.eye(3), np.array([1.0, np.nan, 1.0]))
    assert rb.has("nonfinite_rhs") and rb.solve is None and "NaN" in rb.skipped["solve"]


def test_exact_items_run_only_when_cheap_or_asked(monkeypatch):
    from pivotal.doctor import measure

    A = gallery.randsvd(40, 1e4, 3, random_state=0)
    r = pv.doctor(A)  # 40 x 40 costs ~1.7e5 flops: cheap, computed unasked
    assert r.cond2 == pytest.approx(1e4, rel=2 * THRESH * 40 * u_of(np.float64) * 1e4) and r.rank_qrcp == 40
    monkeypatch.setattr(measure, "EXACT_FLOPS", measure.exact_flops(40, 40) / 2)
    r = pv.doctor(A)
    assert r.cond2 is None and r.rank_svd is None and r.rank_qrcp is None
    assert "exact=True" in r.skipped["svd"] and "exact=True" in r.skipped["qrcp"]
    # the estimate stands in: kappa_1 is within a factor n of kappa_2
    assert r.kappa_source == "kappa_1 estimate" and 1e4 / 40 <= r.kappa <= 1e4 * 40
    r = pv.doctor(A, exact=True)
    assert r.cond2 == pytest.approx(1e4, rel=2 * THRESH * 40 * u_of(np.float64) * 1e4)
    r = pv.doctor(gallery.randsvd(10, 10.0, 3, random_state=0), exact=False)
    assert r.cond2 is None and "exact=False" in r.skipped["svd"]
    with pytest.raises(ValueError, match="exact must be"):
        pv.doctor(A, exact="yes")


def test_cost_model_prices_complex_and_rectangular():
    from pivotal.doctor.measure import EXACT_FLOPS, exact_flops, exact_skip_reason

    # Golub-Kahan bidiagonalization: 4 m n^2 - 4 n^3 / 3, the same for A and A^T, four times for complex
    assert exact_flops(300, 100) == exact_flops(100, 300) == 4 * 300 * 100**2 - 4 * 100**3 / 3
    assert exact_flops(50, 50, complex_=True) == 4 * exact_flops(50, 50)
    assert exact_skip_reason(1280, 1280, True, None, 2000) is not None  # the slow case of issue 16
    assert exact_flops(700, 700) <= EXACT_FLOPS < exact_flops(1280, 1280, complex_=True)
    assert "exact_limit = 100" in exact_skip_reason(200, 10, False, True, 100)


def test_progress_hook_sees_each_timed_step():
    from contextlib import nullcontext

    seen = []

    def progress(item):
        seen.append(item)
        return nullcontext()

    r = pv.doctor(gallery.randsvd(12, 1e3, 3, random_state=0), progress=progress)
    assert seen == list(r.timings) and {"factorization", "svd", "qrcp"} <= set(seen)


def test_worst_level_and_rectangular_precision_advice():
    assert pv.doctor(np.array([[1.0, np.nan], [0.0, 1.0]])).worst_level == "error"
    assert pv.doctor(np.eye(3)).worst_level is None
    r = pv.doctor(gallery.randsvd(6, 100.0, 3, m=30, random_state=0))
    assert r.refinement == "working precision" and "refine='mixed'" not in r.refinement_advice
    assert "pivotal.lstsq" in r.refinement_advice


def test_sparse_matrix_is_densified_only_when_cheap_or_asked(monkeypatch):
    from pivotal.doctor import measure

    n = 60
    T = sp.diags([-np.ones(n - 1), 4 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")
    assert not pv.doctor(T).has("sparse_large")  # cheap: the dense analyses run
    monkeypatch.setattr(measure, "EXACT_FLOPS", measure.exact_flops(n, n) / 2)
    r = pv.doctor(T)
    assert r.has("sparse_large") and "exact=True" in next(
        f.message for f in r.findings if f.code == "sparse_large"
    )
    assert r.recommendation == "pivotal.SparseCholesky" and r.cond2 is None
    exact = np.linalg.cond(T.toarray(), 1)  # SuperLU's estimate: a lower bound within a factor 3 here
    assert exact / 3 <= r.condest <= exact * (1 + 2 * 10 * n * u_of(np.float64) * exact)
    r = pv.doctor(T, exact=True)
    assert not r.has("sparse_large") and r.cond2 is not None
