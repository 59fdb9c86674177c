"""Experiments 1-8 of ``pivotal lab`` (quick mode): every claim passes, and results.json's numbers say so.

The data checks restate each claim from the JSON file alone (the issue's
examples: CGS's orthogonality error on Hilbert(12) more than 1000 times
Householder's, the mean random growth below 2 n^(2/3), ...), so that a claim
computed wrongly in an experiment would not go unnoticed.
"""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("matplotlib")

from pivotal.lab import run_lab

U = 2.0**-53
MINE = (
    "substitution",
    "pivoting",
    "growth",
    "determinant",
    "householder_sign",
    "orthogonality",
    "rank_revealing",
    "cholesky",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab")
    result = run_lab(out, quick=True, only=list(MINE), progress=False)
    doc = json.loads((out / "results.json").read_text())
    return result, {e["name"]: e for e in doc["experiments"]}


def num(x):
    """A number from results.json (non-finite floats are spelled "inf", "-inf", "nan")."""
    return float(x)


@pytest.mark.parametrize("name", MINE)
def test_every_claim_passes(lab, name):
    _, exps = lab
    e = exps[name]
    assert e["error"] is None, e["error"]
    assert e["claims"], "an experiment must check at least one claim"
    failed = [c for c in e["claims"] if not c["passed"]]
    assert not failed, failed
    assert e["status"] == "passed"
    assert e["figures"] and e["tables"] and e["shows"]


def test_order_is_the_course_order(lab):
    result, _ = lab
    assert [r.experiment.name for r in result.runs] == list(MINE)
    assert [r.experiment.order for r in result.runs] == list(range(1, 9))


def test_substitution_backward_errors(lab):
    d = lab[1]["substitution"]["data"]
    for key in ("forward_pivotal", "forward_scipy", "back_pivotal", "back_scipy"):
        for n, e in zip(d["n"], d[f"backward_error_over_u_{key}"], strict=True):
            assert e <= 2 * n + 2
    assert d["cond1_max"][-1] > 1e3 * d["cond1_max"][0]


def test_pivoting_error_and_growth(lab):
    d = lab[1]["pivoting"]["data"]
    for eps, e_none, e_gepp, g_none, g_gepp in zip(
        d["epsilon"],
        d["error"]["none"],
        d["error"]["partial"],
        d["growth"]["none"],
        d["growth"]["partial"],
        strict=True,
    ):
        assert e_gepp <= 9 * 8 * U  # kappa_inf(A) <= 9, growth <= 2
        assert g_gepp <= 2 and 0.25 / eps <= g_none <= 1 / eps
        if eps < U:
            assert e_none > 0.1  # every digit lost


def test_growth_against_n(lab):
    d = lab[1]["growth"]["data"]
    for n, gp, gc in zip(d["n"], d["mean_growth"]["partial"], d["mean_growth"]["complete"], strict=True):
        assert gp < 2 * n ** (2 / 3)
        assert gc < 2 * n**0.5
    for n, g in zip(d["gfpp_n"], d["gfpp_growth"]["partial"], strict=True):
        assert g == 2.0 ** (n - 1)
    assert max(d["gfpp_growth"]["rook"] + d["gfpp_growth"]["complete"]) <= 2


def test_determinant_singular_and_overflow(lab):
    d = lab[1]["determinant"]["data"]
    for e, b in zip(d["logdet_error_pivotal"], d["logdet_bound"], strict=True):
        assert e <= b
    assert d["twin_rows_slogdet"]["pivotal"] == [0.0, "-inf"]
    assert num(d["overflow"]["det"]["pivotal"]) == math.inf
    assert math.isfinite(num(d["overflow"]["logabsdet"]["pivotal"]))
    s = d["singular_classic_det"]
    assert abs(s["pivotal"]) <= s["bound"]


def test_householder_sign(lab):
    d = lab[1]["householder_sign"]["data"]
    for delta, good, bad in zip(
        d["delta"], d["v1_relative_error"]["good"], d["v1_relative_error"]["bad"], strict=True
    ):
        assert good <= d["m"] * U
        if delta * delta < U / 2:
            assert bad >= 0.5
        else:
            assert bad <= 8 * U / delta**2
    assert max(d["tail_left"]["bad"]) >= 0.5 and max(d["tail_left"]["good"]) <= d["m"] * U
    assert max(d["backward_error"]["bad"]) > 1e4 * U and max(d["backward_error"]["good"]) <= 4 * d["m"] * U


def test_orthogonality_cgs_against_householder(lab):
    h = lab[1]["orthogonality"]["data"]["hilbert"]
    i = h["n"].index(12)
    assert h["cgs"][i] > 1e3 * h["householder"][i]
    rs = lab[1]["orthogonality"]["data"]["randsvd"]
    m, n = lab[1]["orthogonality"]["data"]["randsvd_shape"]
    for data in (h, rs):
        assert max(data["householder"] + data["givens"] + data["cgs2"]) <= m * n * U
    for k, v in zip(rs["kappa"], rs["mgs"], strict=True):
        assert v <= n * k * U


def test_rank_revelation(lab):
    d = lab[1]["rank_revealing"]["data"]
    r = d["rank_deficient"]
    assert r["qrcp_rank"] == r["rank"] == 4
    k = d["kahan"]
    assert k["qrcp_identity_permutation"]
    assert k["qrcp_rdiag"][-1] / k["singular_values"][-1] > 1e3
    assert k["strong_rdiag"][-1] <= k["gu_eisenstat_factor"] * k["singular_values"][-1]


def test_cholesky_logdet(lab):
    d = lab[1]["cholesky"]["data"]
    for e, b in zip(d["logdet_error_cholesky"], d["logdet_bound"], strict=True):
        assert e <= b
    assert num(d["overflow"]["det"]) == math.inf
    assert abs(d["overflow"]["logdet"] - d["overflow"]["exact"]) <= 1e-9 * abs(d["overflow"]["exact"])
    assert all(t > 0 for key in ("cholesky", "lu") for t in d["time_s"][key])
