"""The autodiff mechanism: dispatch, refusal of functions without rules, the registry and its documentation."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

import pivotal as pv
from pivotal.autodiff import needs_rule, registry

from ._autodiff_helpers import jax_x64, matrix

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "autodiff.md"


def test_registry_and_docs_rule_table_agree():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- rule-table")[1].split("<!-- end rule-table -->")[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        documented[cells[0].strip("`")] = (tuple(re.findall(r"`([^`]+)`", cells[1])), cells[5], cells[4])
    rules = registry()
    assert set(documented) == set(rules)
    for name, rule in rules.items():
        functions, caveats, mode = documented[name]
        assert functions == rule.functions, name
        assert caveats == rule.caveats, name
        assert mode == ("forward, reverse" if rule.jvp is not None else "reverse"), name
        assert rule.reference  # every rule cites its derivation


def test_every_routed_function_is_public():
    for rule in registry().values():
        for f in rule.functions:
            owner, _, method = f.partition(".")
            obj = getattr(pv, owner)
            assert callable(getattr(obj, method) if method else obj), f


def test_needs_rule():
    torch = pytest.importorskip("torch")
    a = np.ones((2, 2))
    t = torch.ones(2, 2, requires_grad=True)
    assert not needs_rule(a, None, torch.ones(2))
    assert needs_rule(a, t)
    with torch.no_grad():
        assert not needs_rule(t)


def test_torch_func_is_refused_clearly():
    torch = pytest.importorskip("torch")
    A = torch.tensor(matrix(3, seed=4))
    b = torch.ones(3, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"pivotal\.solve was called inside a torch\.func transform"):
        torch.func.grad(lambda A: pv.solve(A, b).sum())(A)
    with pytest.raises(TypeError, match=r"pivotal\.lu_factor was called inside a torch\.func transform"):
        torch.func.vmap(pv.lu_factor)(torch.stack([A, A]))


def test_functions_without_rules_refuse_clearly():
    torch = pytest.importorskip("torch")
    A = torch.tensor(matrix(4, seed=1), requires_grad=True)
    b = torch.ones(4, dtype=torch.float64)
    cases = {
        "lu_factor": lambda: pv.lu_factor(A, pivoting="rook"),
        "QRPivoted": lambda: pv.QRPivoted(A),
        "PivotedCholesky": lambda: pv.PivotedCholesky(A @ A.T),
    }
    for name, call in cases.items():
        with pytest.raises(ValueError, match=rf"pivotal\.{name} has no derivative rule yet.*detach"):
            call()
    with pytest.raises(ValueError, match="no derivative rule yet"):
        pv.solve_triangular(torch.triu(A), b, block_size=2)  # the kernel path has no rule
    with torch.no_grad():  # no graph: no refusal
        assert pv.lu_factor(A)[0].shape == (4, 4)


def test_jax_host_options_refuse_under_tracing():
    jax = pytest.importorskip("jax")
    with jax_x64():
        jnp = jax.numpy
        a = jnp.asarray(matrix(4, seed=2))
        lu, piv = pv.lu_factor(a)
        with pytest.raises(TypeError, match=r"pivotal\.lu_solve with .*method='kernel'"):
            jax.grad(lambda m: pv.lu_solve((m, piv), jnp.ones(4), method="kernel").sum())(lu)
        with pytest.raises(TypeError, match=r"pivotal\.solve_triangular"):
            jax.jit(lambda m: pv.solve_triangular(m, jnp.ones(4), block_size=2))(jnp.triu(a))


def test_host_functions_name_themselves_under_jax_tracing():
    """lstsq (under jit) and range_finder run host code: a traced array gets the clear TypeError, not JAX's error.

    (rsvd has a rule since issue 12: tests/test_autodiff_topk_wired.py.)
    """
    jax = pytest.importorskip("jax")
    with jax_x64():
        jnp = jax.numpy
        a = jnp.asarray(np.vander(np.linspace(0.0, 1.0, 6), 3))
        b = jnp.ones(6)
        with pytest.raises(TypeError, match=r"pivotal\.lstsq with"):
            jax.jit(jax.grad(lambda m: pv.lstsq(m, b)[0].sum()))(a)
        with pytest.raises(TypeError, match=r"pivotal\.range_finder with"):
            jax.jit(lambda m: pv.range_finder(m, 2, random_state=0))(a)
        x = pv.lstsq(a, b)[0]  # concrete JAX input still runs on the host
        np.testing.assert_allclose(
            np.asarray(x), np.linalg.lstsq(np.asarray(a), np.ones(6), rcond=None)[0], atol=1e-10
        )


def test_plain_numpy_results_unchanged():
    a = matrix(5, seed=3)
    b = np.arange(5.0)
    assert np.array_equal(pv.solve(a, b), pv.solve(a.copy(), b.copy()))
    assert isinstance(pv.slogdet(a).logabsdet, np.floating)


def test_jax_adapter_cache_is_bounded(monkeypatch):
    # Each distinct set of static options builds a custom_vjp; options that are new objects
    # every call (operators, preconditioners) must not grow the cache without bound.
    jax = pytest.importorskip("jax")
    from pivotal.autodiff import _jax

    monkeypatch.setattr(_jax, "_CACHE_SIZE", 3)
    monkeypatch.setattr(_jax, "_FUNCTIONS", type(_jax._FUNCTIONS)())
    with jax_x64():
        jnp = jax.numpy
        a = jnp.asarray(matrix(4, 10.0, seed=3))
        b = jnp.ones(4)
        expected = np.linalg.solve(np.asarray(a).T, np.ones(4))  # d(sum x)/db = A^{-T} 1
        for rtol in (1e-13, 1e-12, 1e-11, 1e-10, 1e-9):  # five distinct keys
            g = jax.grad(lambda v, rtol=rtol: pv.krylov.gmres(a, v, rtol=rtol)[0].sum())(b)
            # forward and adjoint solves each within kappa * rtol (kappa = 10): 2 kappa rtol, with margin
            assert np.linalg.norm(np.asarray(g) - expected) <= 10 * 2 * 10.0 * rtol * np.linalg.norm(expected)
        assert len(_jax._FUNCTIONS) <= 3
