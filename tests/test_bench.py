"""The benchmark harness, its accuracy measures and the ``pivotal bench`` command (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.linalg as sl

from pivotal._permutations import ipiv_to_perm
from pivotal.bench import accuracy as acc
from pivotal.bench import peers, runner, suite
from pivotal.bench.cases_autodiff import topk_reference
from pivotal.bench.registry import Case, Side
from pivotal.bench.render import format_text, to_json
from pivotal.bench.timing import Timing, time_alternating

U = np.finfo(np.float64).eps / 2

# ------------------------------------------------------------------ timing


def test_timing_summaries():
    t = Timing((5.0, 1.0, 3.0, 2.0, 4.0))
    assert (t.median, t.min, t.max) == (3.0, 1.0, 5.0)
    assert t.iqr == pytest.approx(2.0)  # quartiles 2 and 4 (inclusive method)
    assert Timing((0.5,)).iqr == 0.0
    with pytest.raises(ValueError, match="at least one repetition"):
        Timing(())


def test_time_alternating_order_and_counts():
    calls = []
    fns = [lambda i=i: calls.append(i) for i in range(3)]
    timings = time_alternating(fns, repeats=2, warmup=1)
    assert [len(t.times) for t in timings] == [2, 2, 2]
    # warm-up in order, then forward on even repetitions and backward on odd ones
    assert calls == [0, 1, 2, 0, 1, 2, 2, 1, 0]
    with pytest.raises(ValueError, match="repeats"):
        time_alternating(fns, repeats=0)


def test_ratio_is_ours_over_peer():
    c = runner.Comparison("c", "n=1", {}, "ours", "scipy", "peer", Timing((1.0, 3.0)), Timing((4.0,)), {}, {})
    assert c.ratio == pytest.approx(0.5)


# ------------------------------------------------------------------ accuracy measures


def test_lu_ratio_and_pivots_match_scipy():
    a = np.random.default_rng(0).standard_normal((60, 60))
    lu, piv = sl.lu_factor(a)
    perm = ipiv_to_perm(piv, 60)
    p, _, _ = sl.lu(a)  # a = p l u, so a[perm] = l u with perm = argmax of p's columns
    np.testing.assert_array_equal(perm, np.argmax(p, axis=0))
    l, u = np.tril(lu, -1) + np.eye(60), np.triu(lu)
    good = acc.lu_ratio(a, l, u, perm)
    assert good < 30
    u_bad = u.copy()
    u_bad[0, 0] *= 1 + 1e-8  # a relative perturbation far above n u
    assert acc.lu_ratio(a, l, u_bad, perm) > 1e3 * max(good, 1e-3)


def test_factor_ratios_and_orthogonality():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 50))
    spd = x @ x.T + 50 * np.eye(50)
    assert acc.cholesky_ratio(spd, np.linalg.cholesky(spd)) < 30
    sym = x + x.T
    l, d, _ = sl.ldl(sym)
    assert acc.ldl_ratio(sym, l, d) < 30
    q, r = np.linalg.qr(x)
    assert acc.orthogonality(q) < 50 * 50 * U
    assert acc.reconstruction(x, q @ r) < 50 * U * 10
    # classical Gram-Schmidt on Hilbert(10) loses orthogonality like kappa^2 u (far above Householder's)
    h = sl.hilbert(10)
    qg = np.zeros_like(h)
    for j in range(10):
        v = h[:, j] - qg[:, :j] @ (qg[:, :j].T @ h[:, j])
        qg[:, j] = v / np.linalg.norm(v)
    assert acc.orthogonality(qg) > 1e6 * acc.orthogonality(np.linalg.qr(h)[0])


def test_solution_errors():
    # an integer matrix and solution: b = A x is exact in float64
    a = np.array([[4.0, 1.0, 0.0], [1.0, 5.0, 2.0], [0.0, 2.0, 6.0]])
    x = np.array([1.0, -2.0, 3.0])
    b = a @ x
    assert acc.forward_error(acc.accurate_solution(a, b), x) <= 4 * U
    assert acc.forward_error(np.array([1.0, -2.0, 3.3]), x) == pytest.approx(0.1)
    rng = np.random.default_rng(2)
    m = rng.standard_normal((80, 5))
    rhs = rng.standard_normal(80)
    xs = np.linalg.lstsq(m, rhs, rcond=None)[0]
    assert acc.normal_equation_residual(m, rhs, xs) < 100 * U
    assert acc.normal_equation_residual(m, rhs, xs * (1 + 1e-6)) > 1e-8
    berr = acc.LstsqBackwardError(m, rhs)
    assert berr(xs) < 10  # units of u
    assert berr(xs + 1e-8 * np.linalg.norm(xs)) > 1e3


def test_lowrank_errors_reach_eckart_young():
    rng = np.random.default_rng(3)
    q1, _ = np.linalg.qr(rng.standard_normal((40, 30)))
    q2, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    s = 1.0 / np.arange(1, 31)
    a = (q1 * s) @ q2.T
    u, sv, vh = np.linalg.svd(a, full_matrices=False)
    k = 5
    assert acc.spectral_error(a, u[:, :k], sv[:k], vh[:k]) == pytest.approx(s[k], rel=1e-10)
    assert acc.frobenius_error(a, u[:, :k], sv[:k], vh[:k]) == pytest.approx(
        np.sqrt(np.sum(s[k:] ** 2)), rel=1e-10
    )
    # the Lanczos path (sparse input) agrees with the dense one
    import scipy.sparse

    sp = scipy.sparse.csr_array(a)
    assert acc.spectral_error(sp, u[:, :k], sv[:k], vh[:k]) == pytest.approx(s[k], rel=1e-6)


def test_numerical_rank():
    assert acc.numerical_rank(np.diag([2.0, 1.0, 1e-17]), (3, 3)) == 2
    assert acc.numerical_rank(np.diag([2.0, 1.0, 0.5]), (3, 3)) == 3
    assert acc.numerical_rank(np.zeros((2, 2)), (2, 2)) == 0


def test_topk_reference_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    n, k = 6, 2
    q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q1 * np.array([6.0, 5.0, 3.0, 2.0, 1.0, 0.5])) @ q2.T
    xi, phi, psi = rng.standard_normal(k), rng.standard_normal((n, k)), rng.standard_normal((n, k))

    def f(x):
        u, s, vt = np.linalg.svd(x)
        idx = np.argmax(np.abs(u[:, :k]), axis=0)
        sg = np.sign(u[idx, np.arange(k)])
        return xi @ s[:k] + np.sum(phi * u[:, :k] * sg) + np.sum(psi * (vt[:k].T * sg))

    g = topk_reference(a, k, xi, phi, psi)
    h = 1e-6
    fd = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            e = np.zeros_like(a)
            e[i, j] = h
            fd[i, j] = (f(a + e) - f(a - e)) / (2 * h)
    # central differences: O(h^2) truncation plus O(u / h) rounding, about 1e-9 relative here
    assert np.linalg.norm(g - fd) / np.linalg.norm(fd) < 1e-6


# ------------------------------------------------------------------ registry, peers, runner


def test_select_and_unknown_names():
    names = list(suite.all_cases())
    assert len(names) == len(set(names)) >= 20
    assert [c.name for c in suite.select("ldl, cholesky")] == ["ldl", "cholesky"]
    with pytest.raises(KeyError, match="unknown benchmark case nope; valid names: solve"):
        suite.select("lu,nope")
    with pytest.raises(KeyError, match="names no benchmark case"):
        suite.select(" , ")
    assert len(suite.select(None)) == len(names)


def test_every_case_is_complete():
    for case in suite.all_cases().values():
        assert case.quick and case.full and case.peers and case.metrics, case.name
        assert all(p.library in peers.PEERS for p in case.peers), case.name
        assert all(case.label(p) for p in case.quick + case.full), case.name


def _toy_case(peer_libraries, fail=False):
    def setup(p):
        if fail:
            raise ValueError("bad problem")
        return np.arange(p["n"], dtype=float)

    return Case(
        name="toy",
        description="sum against sum",
        setup=setup,
        ours=Side("np.sum", np.sum),
        peers=tuple(Side(f"{lib}.sum", np.sum, lib) for lib in peer_libraries),
        accuracy=lambda x, r: {"error": abs(r - x.sum())},
        metrics={"error": "absolute error"},
        quick=({"n": 5},),
        full=({"n": 10},),
    )


def test_missing_peer_is_skipped_with_a_message(monkeypatch):
    monkeypatch.setattr(peers, "is_installed", lambda lib: lib != "sklearn")
    run = runner.run_suite([_toy_case(["sklearn", "numpy"])], quick=True, repeats=2)
    assert [c.peer_library for c in run.comparisons] == ["numpy"]
    assert len(run.skipped) == 1 and not run.skipped[0].error
    assert run.skipped[0].reason == "scikit-learn is not installed: skipped toy against sklearn.sum"
    c = run.comparisons[0]
    assert c.ours_accuracy == {"error": 0.0} and len(c.ours.times) == 2
    assert "skipped: scikit-learn is not installed" in format_text(run)


def test_case_needing_a_missing_library_is_skipped(monkeypatch):
    monkeypatch.setattr(peers, "is_installed", lambda lib: lib != "torch")
    run = runner.run_suite(suite.select("autodiff_solve"), quick=True, repeats=1)
    assert run.comparisons == []
    assert run.skipped[0].reason == "PyTorch not installed: skipped autodiff_solve"


def test_a_failing_case_is_reported_and_the_suite_goes_on():
    run = runner.run_suite([_toy_case(["numpy"], fail=True), _toy_case(["numpy"])], quick=True, repeats=1)
    assert len(run.comparisons) == 1
    (err,) = run.errors
    assert "toy n=5 failed: ValueError: bad problem" in err.reason


# ------------------------------------------------------------------ the command


@pytest.fixture(scope="module")
def schema():
    return json.loads(resources.files("pivotal").joinpath("schemas/bench.schema.json").read_text())


def _invoke(args):
    from click.testing import CliRunner

    from pivotal.bench.command import command

    return CliRunner().invoke(command, args)


def test_command_table():
    result = _invoke(["--quick", "--only", "cholesky", "--repeats", "2"])
    assert result.exit_code == 0, result.output
    assert "cholesky" in result.output and "scipy.linalg.cholesky" in result.output
    assert "lapack_ratio" in result.output


def test_command_json_validates_against_the_schema(schema):
    jsonschema = pytest.importorskip("jsonschema")
    result = _invoke(["--quick", "--only", "cholesky,lu", "--repeats", "1", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema)
    assert [r["case"] for r in doc["results"]] == ["cholesky", "lu"]
    for r in doc["results"]:
        assert r["ours"]["accuracy"]["lapack_ratio"] < 30
        assert r["peer"]["accuracy"]["lapack_ratio"] < 30
        assert r["ratio"] == pytest.approx(r["ours"]["time"]["median_s"] / r["peer"]["time"]["median_s"])
    assert doc["quick"] is True and doc["repeats"] == 1 and doc["skipped"] == []
    # the schema is not vacuous
    bad = dict(doc, results=[dict(doc["results"][0], ratio="fast")])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_command_skips_missing_peer(monkeypatch, schema):
    jsonschema = pytest.importorskip("jsonschema")
    monkeypatch.setattr(peers, "is_installed", lambda lib: lib != "scipy")
    result = _invoke(["--quick", "--only", "ldl", "--json"])
    assert result.exit_code == 0, result.output
    assert "skipped: SciPy is not installed: skipped ldl against scipy.linalg.ldl" in result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema)
    assert doc["results"] == [] and doc["skipped"][0]["peer"] == "scipy"


def test_command_bad_only_exits_2_with_one_line():
    result = _invoke(["--only", "lu,bogus"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert (
        len(lines) == 1
        and "unknown benchmark case bogus; valid names:" in lines[0]
        and "cholesky" in lines[0]
    )


def test_command_bad_repeats_and_list():
    assert _invoke(["--repeats", "0"]).exit_code == 2
    listed = _invoke(["--list"])
    assert listed.exit_code == 0 and "rsvd" in listed.output and "sklearn" in listed.output


def test_importing_pivotal_bench_imports_no_optional_library():
    code = (
        "import sys, pivotal, pivotal.bench, pivotal.bench.suite; pivotal.bench.all_cases(); "
        "print(sorted(m for m in ('click', 'rich', 'torch', 'sklearn', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_json_has_no_nan():
    run = runner.BenchRun(quick=True, repeats=1)
    run.comparisons.append(
        runner.Comparison(
            "c",
            "n=1",
            {"kappa": 1e3, "block_size": None, "kind": "full"},
            "o",
            "numpy",
            "p",
            Timing((1.0,)),
            Timing((1.0,)),
            {"e": float("nan")},
            {"e": None},
        )
    )
    doc = to_json(run, [SimpleNamespace(name="c", description="d", metrics={"e": "x"}, requires=())])
    assert doc["results"][0]["ours"]["accuracy"]["e"] is None
    assert doc["results"][0]["params"] == {"kappa": 1e3, "block_size": None, "kind": "full"}
    json.dumps(doc, allow_nan=False)


def test_json_into_a_closed_pipe_exits_quietly():
    # ``pivotal bench --json | head -1``: the reader goes away before the output is written
    proc = subprocess.Popen(
        [sys.executable, "-m", "pivotal.bench", "--quick", "--only", "cholesky", "--repeats", "1", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
