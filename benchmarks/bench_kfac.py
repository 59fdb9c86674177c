"""K-FAC against SGD and Adam on an MLP (784-512-256-10) with synthetic data (issue 14).

A thin wrapper over the shared case ``kfac`` of :mod:`pivotal.bench` (the
one ``pivotal bench`` runs).  Trains the same network from the same
initialisation with plain SGD at ``--lr / 5`` preconditioned by
:class:`pivotal.ml.KFACPreconditioner` (ours), SGD (momentum 0.9, ``--lr``)
and Adam (1e-3), full-batch on a synthetic 10-class problem (inputs with a
decaying covariance spectrum, labels from a random teacher network), and
prints for each the wall time to reach the target training loss (or to run
``--max-steps``), the ratio ours / peer, the steps taken and the final
loss.  K-FAC does more work per step (factor updates and, every
``inv_update_steps``, Cholesky factorizations of 785 x 785 and 513 x 513
factors), so it can win on steps and lose on time: both are printed.

Usage::

    python benchmarks/bench_kfac.py                       # 2048 samples, target loss 0.3
    python benchmarks/bench_kfac.py --n 1024 --max-steps 300 --target 0.5
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
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--target", type=float, default=0.3)
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    import torch

    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; float32, full batch of {args.n}")
    sizes = [{"n": args.n, "target": args.target, "max_steps": args.max_steps, "lr": args.lr}]
    run_cases({"kfac": sizes}, 1)


if __name__ == "__main__":
    main()
