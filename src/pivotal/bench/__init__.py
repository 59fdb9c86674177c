"""The benchmark suite: pivotal against SciPy, NumPy, scikit-learn, PyTorch and JAX.

One implementation serves ``pivotal bench`` (:mod:`pivotal.bench.command`,
the ``cli`` extra) and the scripts in ``benchmarks/``:

* :mod:`~pivotal.bench.timing`: warm-up, alternating repeats, median and spread;
* :mod:`~pivotal.bench.accuracy`: LAPACK-style ratios, orthogonality,
  reconstruction, forward and backward errors, low-rank errors;
* :mod:`~pivotal.bench.peers`: which peer libraries are installed;
* :mod:`~pivotal.bench.registry`: the :class:`Case` records; the cases live in
  ``cases_dense``, ``cases_lstsq``, ``cases_sparse``, ``cases_ml`` and ``cases_autodiff``, and
  :mod:`~pivotal.bench.suite` collects and selects them;
* :mod:`~pivotal.bench.runner`: runs cases against the installed peers;
* :mod:`~pivotal.bench.render`: JSON (``pivotal/schemas/bench.schema.json``),
  plain text and a rich table.

Importing this package imports neither click, rich, torch nor scikit-learn:
the cases import their peers when they run.

Examples
--------
>>> from pivotal.bench import select, run_suite
>>> run = run_suite(select("cholesky"), quick=True, repeats=1)
>>> [(c.case, c.peer_library) for c in run.comparisons]
[('cholesky', 'scipy')]
>>> run.comparisons[0].ours_accuracy["lapack_ratio"] < 30
True
"""

from .registry import Case, Side
from .runner import BenchRun, Comparison, Skip, run_suite
from .suite import all_cases, select

__all__ = ["BenchRun", "Case", "Comparison", "Side", "Skip", "all_cases", "run_suite", "select"]
