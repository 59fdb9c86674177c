"""Lab experiments 9-17: each quick run passes its computed claims, and its numbers satisfy the theory.

The checks here recompute what the claims say from ``Outcome.data`` (so a claim that misreads its own
data is caught), plus theory the claims leave implicit.  Nothing timing-based is asserted.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import types
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure as MplFigure

from pivotal.lab import Outcome, Settings, registry
from pivotal.lab.timing import one_blas_thread

MODULES = {
    "forward_error": "e09_forward_error",
    "refinement": "e10_refinement",
    "blas_levels": "e11_blas_levels",
    "gp": "e12_gp",
    "gradients": "e13_gradients",
    "randomized": "e14_randomized",
    "kfac_probing": "e15_kfac_probing",
    "condest": "e16_condest",
    "fill_in": "e17_fill_in",
}
U = float(np.finfo(np.float64).eps) / 2
_CACHE: dict[str, Outcome] = {}


def _one_blas_thread() -> contextlib.AbstractContextManager:
    # The results do not depend on the thread count; on a loaded 2-core machine two BLAS threads per
    # process make these small problems 10-50x slower, so the tests use one where threadpoolctl exists.
    return one_blas_thread()[0]


def experiment_module(name: str) -> types.ModuleType:
    """The module that registered experiment ``name``.

    Imported here unless it is registered already: pytest's doctest collection may have imported the
    file under another module name, and importing it again would register it twice.
    """
    if name not in registry():
        importlib.import_module(f"pivotal.lab.experiments.{MODULES[name]}")
    return sys.modules[registry()[name].run.__module__]


def outcome(name: str) -> Outcome:
    """Run the quick experiment once per session."""
    if name not in _CACHE:
        with _one_blas_thread():
            _CACHE[name] = experiment_module(name).run(Settings(quick=True, seed=0))
    return _CACHE[name]


@pytest.mark.parametrize("name", list(MODULES))
def test_outcome_is_complete_and_claims_pass(name: str) -> None:
    out = outcome(name)
    assert name in registry()
    assert isinstance(out, Outcome) and out.shows
    assert out.claims and out.figures and out.tables
    failed = [f"{c.statement}: {c.evidence}" for c in out.claims if not c.passed]
    assert not failed, failed
    for c in out.claims:
        assert isinstance(c.passed, bool) and c.evidence
    for fig in out.figures:
        assert isinstance(fig.figure, MplFigure) and fig.name and fig.caption
    for table in out.tables:
        assert all(len(row) == len(table.columns) for row in table.rows)
    json.dumps(out.data, allow_nan=False)  # results.json must be strict JSON


def test_forward_error_follows_kappa_and_kappa_squared() -> None:
    d = outcome("forward_error")
    k = np.array(d.data["kappa"])
    for key in ("lu", "qr", "qr_least_squares"):
        assert np.all(np.array(d.data[key]) <= d.data["n"] * k * U)
    ne = [(kk, e) for kk, e in zip(k, d.data["normal_equations"], strict=True) if e is not None]
    # the normal equations' error is of order kappa^2 u (and above kappa u once kappa^2 u >> kappa u)
    assert all(e <= d.data["n"] * kk**2 * U for kk, e in ne)
    assert all(e >= kk * U for kk, e in ne if kk >= 1e4)
    assert d.data["slope_normal_equations"] > 1.6 > 1.4 > d.data["slope_qr_least_squares"] > 0.6
    assert min(d.data["normal_equations_breakdown_kappa"]) ** 2 * U > 1e-2


def test_refinement_reaches_working_accuracy_below_one_over_u_low() -> None:
    d = outcome("refinement").data
    u32 = d["unit_roundoff_low"]
    for i, kappa in enumerate(d["kappa"]):
        if kappa * u32 < 0.5:
            assert not d["classic_working"]["fallback"][i]
            assert d["classic_extended"]["error"][i] <= 4 * U
            assert d["classic_working"]["error"][i] <= d["n"] * kappa * U
        for name in ("classic_working", "classic_extended", "gmres_working"):
            assert d[name]["backward_error"][i] <= (d["n"] + 1) * U
    # float32 LU alone is far from float64 accuracy on the same systems
    assert max(d["float32_lu_error"]) > 1e-4


def test_blas_levels_factorizations_are_backward_stable() -> None:
    d = outcome("blas_levels").data
    for per_kind in d["scaled_residuals"].values():
        for errors in per_kind.values():
            assert len(errors) == len(d["factorization_sizes"])
            assert max(errors) < 30
    assert all(r > 0 for r in d["gemm_gflops"] + d["gemv_gflops"])  # rates recorded, not judged here


def test_gp_optimum_is_the_landscape_maximum() -> None:
    d = outcome("gp").data
    grid = np.array(d["grid_lml"])
    assert grid.shape == (len(d["grid_noises"]), len(d["grid_length_scales"]))
    assert grid.max() <= d["lml_optimum"] + 1e-8 * abs(d["lml_optimum"])
    assert d["max_posterior_std"] <= d["prior_std"] * (1 + 1e-12)
    assert 0.5 * d["true_noise"] <= d["noise"] <= 2 * d["true_noise"]


def test_gradients_match_finite_differences() -> None:
    d = outcome("gradients").data
    for name, values in d["fd_discrepancy"].items():
        errors = np.array(values)
        assert errors.min() <= 1e-6, name
        # the smallest step is rounding-dominated (u/h); L is linear in b, so only its other checks truncate
        assert errors[-1] > 10 * errors.min(), name
        if name != "solve_b":
            assert errors[0] > 10 * errors.min(), name
    if d["torch"] is not None:
        assert d["torch"]["svds_vs_full_svd_autograd"] <= 1e-8
        assert d["torch"]["logdet_vs_inverse"] <= d["n"] * d["kappa"] * U


def test_gradients_without_torch_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    module = experiment_module("gradients")
    monkeypatch.setattr(module, "import_torch", lambda: None)
    with _one_blas_thread():
        out = module.run(Settings(quick=True))
    assert out.data["torch"] is None
    assert "PyTorch is not installed" in out.shows
    assert all(c.passed for c in out.claims) and len(out.claims) == 4


def test_randomized_svd_never_beats_eckart_young() -> None:
    d = outcome("randomized").data
    spec = np.array(d["spectral_ratio"])
    assert d["smallest_ratio"] >= 1 - 1e-10
    assert spec.min() >= 1 - 1e-10 and np.array(d["frobenius_ratio"]).min() >= 1 - 1e-10
    # more power iterations never hurt on average, at any oversampling
    assert np.all(spec[-1] <= spec[0])
    for q_row, b_row in zip(spec, d["hmt_bound"], strict=True):
        for v, b in zip(q_row, b_row, strict=True):
            assert b is None or v <= b
    lora = d["lora_relative_error"]
    np.testing.assert_allclose(lora["pissa_svd"], lora["eckart_young"], rtol=1e-10)
    assert lora["zeros"] == [1.0] * len(d["lora_ranks"])
    assert d["lora_reconstruction_error"] <= 10 * U


def test_kfac_and_probing_follow_their_condition_numbers() -> None:
    d = outcome("kfac_probing").data
    kf, pr = d["kfac"], d["probe"]
    assert all(r <= b for r, b in zip(kf["rel_diff"], kf["bound"], strict=True))
    k = np.array(pr["kappa"])
    assert all(e <= 10 * kk * U for e, kk in zip(pr["qr"], k, strict=True))
    ne = [(kk, e) for kk, e in zip(k, pr["normal"], strict=True) if e is not None]
    assert all(e <= 10 * kk**2 * U for kk, e in ne)
    # kappa^2 u, not kappa u: at kappa >= 1e4 the normal equations lose more than QR's bound allows
    assert all(e > 10 * kk * U for kk, e in ne if kk >= 1e4)
    # they break down (Cholesky of X^T X) only where kappa^2 u is not small
    assert all(kk**2 * U > 1e-2 for kk, e in zip(k, pr["normal"], strict=True) if e is None)
    assert all(e <= 10 * rk * U for e, rk in zip(pr["ridge"], pr["ridge_kappa"], strict=True))


def test_exact_rational_reference_solves_the_normal_equations() -> None:
    module = experiment_module("kfac_probing")
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    y = np.array([[1.0], [0.0], [2.0]])
    # by hand: X^T X = [[35, 49], [49, 69]], X^T y = [11, 16], det = 14 (and 66.25 with alpha = 1/2)
    expected = [[float(Fraction(-25, 14))], [1.5]]
    assert module.exact_solve_normal(x, y).tolist() == expected  # correctly rounded, not merely close
    expected_ridge = [[float(Fraction(-39, 2) / Fraction(265, 4))], [float(Fraction(29) / Fraction(265, 4))]]
    assert module.exact_solve_normal(x, y, 0.5).tolist() == expected_ridge


def test_condest_is_a_lower_bound() -> None:
    d = outcome("condest").data
    for family in d["families"].values():
        exact, est, n = (np.array(family[key]) for key in ("exact", "estimate", "n"))
        assert set(n) == set(d["sizes"])
        assert np.all(est <= exact * (1 + 10 * n * exact * U))
        assert np.all(est >= exact / 10)  # observed: within 3 almost always; 10 is the claim's outer limit


def test_fill_in_counts() -> None:
    module = experiment_module("fill_in")
    d = outcome("fill_in").data
    tri = d["tridiagonal"]
    assert tri["cholesky"]["natural"] == 2 * tri["n"] - 1 == tri["permuted_cholesky"]["RCM"]
    lap = d["laplacian"]
    for k, nat in zip(lap["k"], lap["cholesky_natural"], strict=True):
        n = k * k
        assert nat == n * (k + 1) - k * k + k - 1  # the grid's envelope, filled completely
    assert all(
        m < r < n
        for m, r, n in zip(
            lap["cholesky_minimum degree"], lap["cholesky_RCM"], lap["cholesky_natural"], strict=True
        )
    )
    # the LU counts without pivoting on an SPD M-matrix: L and U^T share the Cholesky pattern
    assert lap["lu_natural"] == [
        2 * c - k * k for c, k in zip(lap["cholesky_natural"], lap["k"], strict=True)
    ]
    # the fill counts agree with a symbolic count on a tiny example: an arrow matrix pointing up-left fills
    # completely, pointing down-right not at all
    import scipy.sparse as sp

    arrow = np.eye(6) * 4
    arrow[0, :] = arrow[:, 0] = 1
    arrow[0, 0] = 6
    a = sp.csr_matrix(arrow)
    assert module.cholesky_fill(a, np.arange(6)) == 21
    assert module.cholesky_fill(a, np.arange(6)[::-1]) == 11
