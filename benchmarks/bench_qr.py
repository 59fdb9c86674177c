"""QR and least squares against SciPy (issue 3).

A thin wrapper over the shared cases ``qr_tall``, ``qr_square`` and
``lstsq`` of :mod:`pivotal.bench` (the ones ``pivotal bench`` runs); each
row prints the peer's time, ours, the ratio (ours / peer: below 1 means
pivotal is faster) and both accuracies:

* ``tall``: tall-skinny ``m = 200000``, ``n in {50, 200, 500}``:
  ``pivotal.qr(mode="economic")`` (``method="auto"``, which picks CholeskyQR2
  for well-conditioned input after checking) against
  ``scipy.linalg.qr(mode="economic")`` (and ``numpy.linalg.qr``).  Target: >= 2x faster at n = 200 with
  ``||I - Q^T Q|| <= 1e-13`` and ``||A - QR|| / ||A|| <= 1e-13``.
* ``square``: our blocked Householder kernel (``method="householder"``,
  ``mode="raw"``) against ``scipy.linalg.qr(mode="raw")`` at n = 2000, 4000.
  Target: <= 1.3x SciPy's time.
* ``lstsq``: ``pivotal.lstsq`` (``method="auto"``: Householder QR + SVD of R)
  against ``scipy.linalg.lstsq`` (gelsd) on tall problems: time, the
  normal-equation residual ``||A^T r|| / (||A||_2^2 ||x||)`` (a backward
  error) and the distance to ``numpy.linalg.lstsq``'s solution.

Usage::

    python benchmarks/bench_qr.py tall
    python benchmarks/bench_qr.py square --sizes 2000 4000
    python benchmarks/bench_qr.py lstsq
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["tall", "square", "lstsq", "all"], default="all", nargs="?")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--m", type=int, default=200_000)
    parser.add_argument("--kappa", type=float, default=1e3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    sizes = {}
    if args.which in ("tall", "all"):
        sizes["qr_tall"] = [{"m": args.m, "n": n, "kappa": args.kappa} for n in args.sizes or [50, 200, 500]]
    if args.which in ("square", "all"):
        sizes["qr_square"] = [{"n": n} for n in args.sizes or [2000, 4000]]
    if args.which in ("lstsq", "all"):
        shapes = [(200_000, 50), (100_000, 200), (20_000, 500)]
        sizes["lstsq"] = [{"m": m, "n": n, "kappa": args.kappa} for m, n in shapes]
    run_cases(sizes, args.repeat)


if __name__ == "__main__":
    main()
