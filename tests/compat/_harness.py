"""Run SciPy's own test modules against pivotal's functions.

Each ``test_scipy_*.py`` module beside this file holds one SciPy test file,
taken from the *installed* SciPy at test time (nothing is vendored):

1. :func:`rebound_namespace` executes that file's source in a fresh
   namespace and rebinds every module global that *is* a SciPy function
   pivotal provides (``scipy.linalg.solve`` -> ``pivotal.solve``, ...); the
   thin module re-exports the namespace so that pytest collects SciPy's tests
   under ``tests/compat/``.
2. Tests that cannot reach a rebound function (:func:`reaches_pivotal`: SciPy's
   eigenvalue or banded-solver tests, say) are deselected: they would run
   SciPy's code only.
3. When a rebound test fails, ``conftest.py`` runs the same test from an
   untouched copy of the source (:func:`untouched_twin`, SciPy's own
   functions).  The failure counts only if SciPy's run passes; otherwise the
   test is reported as an expected failure "with SciPy too".
4. The intended deviations are the table in ``docs/compat.md``
   (:func:`deviations`); the tests it names are strict ``xfail``, so a
   deviation that starts to pass (a stale entry) fails the suite, and so
   does a row that names no test (``test_deviation_table.py``).
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import re
import types
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

import pivotal

#: The SciPy test modules the harness runs, by the name of the module beside this file.
SCIPY_MODULES = {
    "test_scipy_basic": "scipy.linalg.tests.test_basic",
    "test_scipy_decomp": "scipy.linalg.tests.test_decomp",
    "test_scipy_decomp_cholesky": "scipy.linalg.tests.test_decomp_cholesky",
    "test_scipy_decomp_ldl": "scipy.linalg.tests.test_decomp_ldl",
    "test_scipy_decomp_lu": "scipy.linalg.tests.test_decomp_lu",
    "test_scipy_decomp_update": "scipy.linalg.tests.test_decomp_update",
    "test_scipy_matfuncs": "scipy.linalg.tests.test_matfuncs",
    "test_scipy_svds": "scipy.sparse.linalg._eigen.tests.test_svds",
}

#: SciPy namespaces whose functions pivotal replaces, by name.
_SCIPY_NAMESPACES = (scipy.linalg, scipy.sparse.linalg)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "compat.md"


@cache
def replacements() -> dict[int, Any]:
    """``id(scipy function) -> pivotal function`` for every public pivotal name SciPy also has."""
    out = {}
    for name in pivotal.__all__:
        ours = getattr(pivotal, name)
        if not callable(ours) or isinstance(ours, type):
            continue
        for ns in _SCIPY_NAMESPACES:
            theirs = getattr(ns, name, None)
            if theirs is not None and callable(theirs) and not isinstance(theirs, type):
                out[id(theirs)] = ours
    return out


def source_path(module: str) -> Path | None:
    """Path of an installed SciPy test module, or ``None`` when SciPy was installed without its tests."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def _execute(module: str) -> dict[str, Any]:
    path = source_path(module)
    if path is None:
        raise FileNotFoundError(module)
    ns: dict[str, Any] = {
        "__name__": module,
        "__file__": str(path),
        "__package__": module.rpartition(".")[0],
        "__builtins__": __builtins__,
    }
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    with _hypothesis_profile_kept():
        exec(code, ns)
    return ns


def rebound_namespace(module: str) -> dict[str, Any]:
    """SciPy's test module ``module`` executed afresh, its SciPy functions rebound to pivotal's."""
    ns = _execute(module)
    table = replacements()
    rebound = sorted(name for name, value in ns.items() if id(value) in table)
    for name in rebound:
        ns[name] = table[id(ns[name])]
    ns["__pivotal_rebound__"] = rebound
    return ns


def load(thin_module: str) -> dict[str, Any]:
    """The globals of the thin module ``tests/compat/<thin_module>.py``: SciPy's tests, rebound.

    Skips the module when the installed SciPy ships without its tests.
    """
    name = thin_module.rpartition(".")[2]
    module = SCIPY_MODULES[name]
    if source_path(module) is None:
        import pytest

        pytest.skip(
            f"the installed SciPy has no {module} (installed without its tests)", allow_module_level=True
        )
    ns = rebound_namespace(module)
    out = {k: v for k, v in ns.items() if not (k.startswith("__") and k.endswith("__"))}
    out["SCIPY_SOURCE"] = module
    out["SCIPY_NAMESPACE"] = ns
    return out


def _code_names(code: types.CodeType) -> set[str]:
    """Global and attribute names a code object (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _functions_of(obj: Any) -> list[types.FunctionType]:
    if isinstance(obj, types.FunctionType):
        return [obj]
    if not isinstance(obj, type):
        return []
    out = []
    for klass in obj.__mro__[:-1]:
        for value in vars(klass).values():
            func = getattr(value, "__func__", value)  # staticmethod, classmethod
            if isinstance(func, property):
                out += [f for f in (func.fget, func.fset) if f is not None]
            elif isinstance(func, types.FunctionType):
                out.append(func)
    return out


def _is_pivotal(value: Any, depth: int = 2) -> bool:
    """``value`` is one of pivotal's rebound functions (or holds one, in a tuple or list)."""
    if any(value is ours for ours in replacements().values()):
        return True
    if depth and isinstance(value, (tuple, list)):
        return any(_is_pivotal(v, depth - 1) for v in value)
    return False


def reaches_pivotal(obj: Any, ns: dict[str, Any], memo: dict[int, bool] | None = None) -> bool:
    """Whether a test function or class can call one of the rebound functions of ``ns``.

    Follows the names its code (and its class's methods, and the module's helper functions and
    classes it names) refers to; a name counts whether it is read as a global or as an attribute,
    so the answer errs on the side of "yes".  Tests that cannot reach pivotal run SciPy's code
    only, and the harness leaves them out.
    """
    memo = {} if memo is None else memo
    if id(obj) in memo:
        return memo[id(obj)]
    memo[id(obj)] = False  # cycles
    rebound = set(ns["__pivotal_rebound__"])
    functions = _functions_of(obj)
    attrs = vars(obj).values() if isinstance(obj, type) else ()
    names = set().union(*(_code_names(f.__code__) for f in functions)) if functions else set()
    found = bool(names & rebound) or any(_is_pivotal(v) for v in attrs)
    if not found:
        found = any(
            reaches_pivotal(ns[n], ns, memo)
            for n in sorted(names)
            if n in ns and isinstance(ns[n], (types.FunctionType, type)) and _defined_in(ns[n], ns)
        )
    memo[id(obj)] = found
    return found


def _defined_in(obj: Any, ns: dict[str, Any]) -> bool:
    if isinstance(obj, types.FunctionType):
        return obj.__globals__ is ns
    return getattr(obj, "__module__", None) == ns["__name__"]


@cache
def _untouched(module: str) -> dict[str, Any]:
    return _execute(module)


class _hypothesis_profile_kept:
    """Keep the caller's Hypothesis profile: ``scipy.conftest`` loads its own on import."""

    def __enter__(self):
        try:
            import hypothesis
        except ImportError:
            self.name = None
            return self
        self.hyp = hypothesis
        self.name = hypothesis.settings.get_current_profile_name()
        return self

    def __exit__(self, *exc):
        if self.name is not None and self.hyp.settings.get_current_profile_name() != self.name:
            self.hyp.settings.load_profile(self.name)
        return False


def _copied(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, types.ModuleType):
        return value
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable fixture value is shared as it is
        return value


def _call_setup(obj: Any, name: str, arg: Any) -> None:
    fn = getattr(obj, name, None)
    if fn is None:
        return
    try:
        nparams = len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        nparams = 0
    fn(arg) if nparams else fn()


def untouched_twin(module: str, function: Any, cls: type | None, kwargs: dict[str, Any]):
    """A callable running the same test as ``function`` from SciPy's untouched source."""
    ns = _untouched(module)
    if cls is None:
        target = ns.get(function.__name__)
        if target is None:
            return None
        return lambda: target(**{k: _copied(v) for k, v in kwargs.items()})
    twin_cls = ns.get(cls.__name__)
    if twin_cls is None or not hasattr(twin_cls, function.__name__):
        return None

    def run():
        if twin_cls not in _classes_set_up:
            _call_setup(twin_cls, "setup_class", None)
            _classes_set_up.add(twin_cls)
        inst = twin_cls()
        method = getattr(inst, function.__name__)
        _call_setup(inst, "setup_method", method)
        try:
            method(**{k: _copied(v) for k, v in kwargs.items()})
        finally:
            _call_setup(inst, "teardown_method", method)

    return run


_classes_set_up: set = set()


# --------------------------------------------------------------------------- docs/compat.md


@dataclass
class Deviation:
    """One row of the deviation table: a node-id pattern and the reason."""

    pattern: str
    reason: str
    regex: re.Pattern = field(repr=False)
    matched: int = 0

    def matches(self, test_id: str) -> bool:
        return self.regex.fullmatch(test_id) is not None


_ROW = re.compile(r"^\|\s*`(?P<pattern>[^`]+)`\s*\|\s*(?P<reason>.+?)\s*\|\s*$")
START, END = "<!-- compat:deviations -->", "<!-- /compat:deviations -->"


def parse_deviations(text: str) -> list[Deviation]:
    """The rows of the table between ``START`` and ``END`` in ``docs/compat.md``.

    Each row is ``| `pattern` | reason |`` (see :func:`compile_pattern`; ``[``
    and ``]`` of parametrized ids need no escaping).  Patterns are matched
    against ``<SciPy test file>::<class>::<test>[<params>]``.
    """
    try:
        body = text.split(START, 1)[1].split(END, 1)[0]
    except IndexError:
        raise ValueError(f"{DOCS} lacks the {START} ... {END} block") from None
    rows = []
    for line in body.splitlines():
        m = _ROW.match(line.strip())
        if m is None:
            continue
        pattern = m["pattern"]
        rows.append(Deviation(pattern, m["reason"], compile_pattern(pattern)))
    return rows


def compile_pattern(pattern: str) -> re.Pattern:
    """``*`` matches any characters, ``{x,y,z}`` one of the listed texts; everything else is literal."""
    out = []
    for token in re.split(r"(\*|\{[^{}]*\})", pattern):
        if token == "*":
            out.append(".*")
        elif token.startswith("{") and token.endswith("}"):
            out.append("(?:" + "|".join(re.escape(alt) for alt in token[1:-1].split(",")) + ")")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out))


@cache
def deviations() -> tuple[Deviation, ...]:
    """The intended deviations listed in ``docs/compat.md``."""
    return tuple(parse_deviations(DOCS.read_text(encoding="utf-8")))
