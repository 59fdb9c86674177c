"""Lab experiments 9-17: each quick run passes its computed claims, and its numbers satisfy the theory.

The checks here recompute what the claims say from ``Outcome.data`` (so a claim that misreads its own
data is caught), plus theory the claims leave implicit.  Nothing timing-based is asserted.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure as MplFigure

from pivotal.lab._record import Outcome, Settings, registry

MODULES = {
    "forward_error": "e09_forward_error",
    "refinement": "e10_refinement",
    "blas_levels": "e11_blas_levels",
    "gp": "e12_gp",
    "gradients": "e13_gradients",
}
U = float(np.finfo(np.float64).eps) / 2
_CACHE: dict[str, Outcome] = {}


def outcome(name: str) -> Outcome:
    """Run the quick experiment once per session."""
    if name not in _CACHE:
        module = importlib.import_module(f"pivotal.lab.experiments.{MODULES[name]}")
        _CACHE[name] = module.run(Settings(quick=True, seed=0))
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
    module = importlib.import_module("pivotal.lab.experiments.e13_gradients")
    monkeypatch.setattr(module, "import_torch", lambda: None)
    out = module.run(Settings(quick=True))
    assert out.data["torch"] is None
    assert "PyTorch is not installed" in out.shows
    assert all(c.passed for c in out.claims) and len(out.claims) == 4
