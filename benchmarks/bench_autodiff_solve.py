"""Gradients through ``pivotal.solve`` and ``pivotal.inv_quad_logdet`` against PyTorch autograd (issue 12).

A thin wrapper over the shared cases ``autodiff_solve`` and
``inv_quad_logdet`` of :mod:`pivotal.bench` (the ones ``pivotal bench``
runs).  Two comparisons, each printing torch's time, ours, the ratio (ours /
torch: below 1 means pivotal is faster) and each side's gradient error
against a closed-form float64 adjoint from SciPy:

* ``solve``: value plus backward of ``sum(W * solve(A, B))`` at n = 2000 with
  100 right-hand sides, ``pivotal.solve`` (LU, its checks and the
  ``refine="auto"`` backward-error test, then one adjoint solve with the same
  factors) against ``torch.linalg.solve``.  Target: <= 1.2x torch's time.
* ``gp``: value plus gradient of ``b^T A^{-1} b + log det A`` (the Gaussian
  process negative log likelihood's data terms) at n = 4000,
  ``pivotal.inv_quad_logdet`` (one Cholesky, ``A^{-1}`` from the factor)
  against torch autograd through ``torch.linalg.cholesky`` +
  ``torch.cholesky_solve`` + the log det from the factor's diagonal.
  Target: <= 1.0x.

Both run in float64 on CPU tensors with torch's default thread count.

Usage::

    python benchmarks/bench_autodiff_solve.py            # both
    python benchmarks/bench_autodiff_solve.py solve --n 2000 --k 100 --repeats 5
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", nargs="?", choices=["solve", "gp", "all"], default="all")
    parser.add_argument("--n", type=int, default=None, help="matrix size (default 2000 / 4000)")
    parser.add_argument("--k", type=int, default=100, help="right-hand sides for solve")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch

    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    sizes = {}
    if args.which in ("solve", "all"):
        sizes["autodiff_solve"] = [{"n": args.n or 2000, "k": args.k}]
    if args.which in ("gp", "all"):
        sizes["inv_quad_logdet"] = [{"n": args.n or 4000}]
    run_cases(sizes, args.repeats)


if __name__ == "__main__":
    main()
