"""Command-line interface: ``pivotal demo`` and ``pivotal doctor``.

``pivotal demo`` factors and solves sample systems with each factorization
and prints what a careful user wants to know about each answer: the
algorithm that ran, the backward error of the solve as a LAPACK-style
ratio, the condition estimate against the exact value, and the element
growth that explains a bad result.

``pivotal doctor MATRIX [--rhs B] [--json] [--exact-limit N]`` examines a
matrix stored in a file (``.npy``, ``.npz``, ``.mtx``, ``.csv``/``.txt``)
or taken from the gallery (``gallery:hilbert:12``) and prints
:func:`pivotal.doctor`'s report: structure, conditioning, rank, pivot
growth, the factorization to use and precision advice.  Unreadable files
and bad arguments exit with status 2 and a message on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["CLIError", "demo_report", "load_matrix", "main"]


def _residual_ratio(A: np.ndarray, x: np.ndarray, b: np.ndarray) -> float:
    """``||b - A x||_1 / (n ||A||_1 ||x||_1 u)``: below ~30 means backward stable."""
    n = A.shape[0]
    u = np.finfo(A.dtype).eps / 2
    r = np.abs(b - A @ x).sum()
    return float(r / (n * np.abs(A).sum(axis=0).max() * np.abs(x).sum() * u))


def demo_report(n: int = 200, seed: int = 0) -> str:
    """Build the text report printed by ``pivotal demo``.

    Parameters
    ----------
    n : int
        Size of the random systems.
    seed : int
        Random seed.

    Returns
    -------
    str
        The report.

    Examples
    --------
    >>> text = demo_report(n=30)
    >>> "Wilkinson" in text and "Cholesky" in text
    True
    """
    import pivotal as pv
    from pivotal import gallery

    rng = np.random.default_rng(seed)
    lines: list[str] = []
    add = lines.append
    add(f"pivotal {pv.__version__} demo: factor once, solve, and know the error (n={n})")
    add("")
    add("ratio = ||b - A x|| / (n ||A|| ||x|| u); below 30 means the solve was backward stable.")
    add("")

    header = f"{'system':<30} {'factorization':<34} {'ratio':>9} {'rcond est':>10} {'rcond exact':>11}"
    add(header)
    add("-" * len(header))

    def row(name: str, A: np.ndarray, F, b: np.ndarray) -> None:
        x = F.solve(b)
        exact = 1.0 / (np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1))
        label = f"{type(F).__name__} {F.algorithm}" if hasattr(F, "algorithm") else type(F).__name__
        add(f"{name:<30} {label:<34} {_residual_ratio(A, x, b):9.2g} {F.rcond():10.2e} {exact:11.2e}")

    A = gallery.randsvd(n, 1e6, 3, random_state=rng)
    b = rng.standard_normal(n)
    row("general, kappa=1e6", A, pv.LU(A), b)
    row("general, kappa=1e6", A, pv.LU(A, method="kernel"), b)
    S = gallery.random_spd(n, 1e8, 3, random_state=rng)
    row("SPD, kappa=1e8", S, pv.Cholesky(S, lower=True), b)
    row("SPD, kappa=1e8", S, pv.Cholesky(S, lower=True, method="kernel"), b)
    K = gallery.random_symmetric_indefinite(n, 1e4, 3, random_state=rng)
    row("symmetric indefinite, 1e4", K, pv.LDL(K), b)

    add("")
    add("Wilkinson's growth matrix gfpp(60): partial pivoting doubles the last column 59 times.")
    G = gallery.gfpp(60)
    bg = rng.standard_normal(60)
    add(f"{'pivoting':<10} {'growth rho':>12} {'ratio':>12}")
    for piv in ("partial", "rook", "complete"):
        F = pv.LU(G, pivoting=piv)
        with warnings.catch_warnings():  # the growth is what the table shows
            warnings.simplefilter("ignore", pv.PivotGrowthWarning)
            x = F.solve(bg)
        add(f"{piv:<10} {F.growth_factor():12.3g} {_residual_ratio(G, x, bg):12.3g}")

    add("")
    add("pivotal.solve: SciPy's signature, the factorization chosen from the structure, and a certificate.")
    add(
        f"  {'system':<26} {'method':<11} {'refinement':<11} {'backward err':>12} {'fwd bound':>10} {'true err':>10}"
    )
    cases = [
        ("Hilbert(10)", gallery.hilbert(10), {}),
        ("gfpp(60), refine=False", G, {"refine": False}),
        ("gfpp(60), refine='auto'", G, {}),
        ("kappa=1e5, refine='mixed'", gallery.randsvd(n, 1e5, 3, random_state=rng), {"refine": "mixed"}),
    ]
    for name, M, kw in cases:
        x_true = np.ones(M.shape[0])
        with warnings.catch_warnings():  # the certificate reports what the growth did
            warnings.simplefilter("ignore", pv.PivotGrowthWarning)
            x, rep = pv.solve(M, M @ x_true, return_report=True, **kw)
        err = np.abs(x - x_true).max() / np.abs(x).max()
        add(
            f"  {name:<26} {rep.method:<11} {rep.refinement or 'none':<11} {rep.backward_error:12.1e} "
            f"{rep.forward_error_bound:10.1e} {err:10.1e}"
        )
    add(
        "  (the true error never exceeds the bound; 'auto' refines only when the solve was not backward stable)"
    )

    add("")
    add("Low-rank structure: pivoted Cholesky of a rank-10 PSD matrix.")
    B = rng.standard_normal((n, 10))
    P = B @ B.T
    PC = pv.PivotedCholesky(P)
    add(f"detected rank {PC.rank} of {n}")

    add("")
    add("Tall-skinny QR (20000 x 50) with method='auto': the path records what was tried.")
    for kappa in (1e3, 1e10):
        T = gallery.randsvd(50, kappa, 3, m=20000, random_state=rng)
        F = pv.QR(T)
        orth = np.linalg.norm(np.eye(50) - F.Q.T @ F.Q, 2)
        add(f"  kappa={kappa:.0e}: {' -> '.join(F.path)};  ||I - Q^T Q|| = {orth:.1e}")
    x, _, rank, _ = pv.lstsq(T, T @ np.ones(50))
    add(f"  lstsq on the kappa=1e10 matrix: rank {rank}, max |x - 1| = {np.abs(x - 1).max():.1e}")

    add("")
    m = 400
    add(f"BLAS-2 versus BLAS-3 with our own LU kernel (n={m}):")
    M = rng.standard_normal((m, m))
    for label, bs in (
        ("unblocked (block_size=1)", 1),
        ("blocked (block_size=64)", 64),
        ("recursive (default)", None),
    ):
        t0 = time.perf_counter()
        pv.LU(M, block_size=bs, method="kernel")
        dt = time.perf_counter() - t0
        add(f"  {label:<26} {2 * m**3 / 3 / dt / 1e9:8.2f} GFLOP/s")
    return "\n".join(lines)


class CLIError(Exception):
    """A user error (unreadable file, bad argument): printed, exit status 2."""


_TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")
_GALLERY_DEFAULT_N = 10


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise CLIError(f"{text!r} is not a number") from None


def _gallery_matrix(spec: str, seed: int) -> np.ndarray:
    """``gallery:NAME[:N[:ARG...]]`` -> ``pivotal.gallery.NAME(N, *ARGS)``."""
    import inspect

    from pivotal import gallery

    parts = spec.split(":")[1:]
    if not parts or not parts[0]:
        raise CLIError("write gallery:NAME[:N], e.g. gallery:hilbert:12")
    name, args = parts[0], [_number(t) for t in parts[1:]]
    names = sorted(f for f in gallery.__all__ if callable(getattr(gallery, f)) and f != "scaled")
    if name not in names:
        raise CLIError(f"unknown gallery matrix {name!r}; choose one of: {', '.join(names)}")
    func = getattr(gallery, name)
    if not args:
        args = [_GALLERY_DEFAULT_N]
    if isinstance(args[0], float) or args[0] < 0:
        raise CLIError(f"the size N in {spec!r} must be a non-negative integer")
    kwargs = {}
    if "random_state" in inspect.signature(func).parameters:
        kwargs["random_state"] = seed
    try:
        return func(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        form = ":".join(
            ["gallery", name] + [p.name if p.default is p.empty else f"[{p.name}]" for p in params]
        )
        raise CLIError(f"cannot build {spec!r}: {exc}; write {form}") from None


def _delimiter(path) -> str | None:
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line and not line.startswith("#"):
                if "," in line:
                    return ","
                if ";" in line:
                    return ";"
                return None
    return None


def load_matrix(spec: str, *, key: str | None = None, seed: int = 0):
    """Load the ``MATRIX`` (or ``--rhs``) argument of ``pivotal doctor``.

    Parameters
    ----------
    spec : str
        ``gallery:NAME[:N[:ARG...]]`` or the path of a ``.npy``, ``.npz``
        (the array named ``key``, else the first; a file written by
        ``scipy.sparse.save_npz`` loads as a sparse matrix), ``.mtx``
        (Matrix Market, ``scipy.io.mmread``; sparse stays sparse) or
        ``.csv``/``.txt``/``.tsv``/``.dat`` file (``numpy.loadtxt``, comma,
        semicolon or whitespace separated, ``#`` comments).
    key : str, optional
        Array name inside a ``.npz`` file.
    seed : int, optional
        ``random_state`` of random gallery matrices.

    Returns
    -------
    numpy.ndarray or scipy.sparse matrix

    Raises
    ------
    CLIError
        Unknown format, missing or unreadable file, bad gallery spec.

    Examples
    --------
    >>> load_matrix("gallery:hilbert:3")[0]
    array([1.        , 0.5       , 0.33333333])
    """
    from pathlib import Path

    if spec.startswith("gallery:"):
        return _gallery_matrix(spec, seed)
    path = Path(spec)
    if not path.is_file():
        raise CLIError(f"no such file: {spec} (or use gallery:NAME[:N])")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                files = list(data.files)
                if key is None and {"format", "shape", "data"} <= set(files):
                    import scipy.sparse

                    return scipy.sparse.load_npz(path)
                if not files:
                    raise CLIError(f"{spec} holds no arrays")
                if key is not None and key not in files:
                    raise CLIError(f"{spec} has no array {key!r}; it holds {', '.join(files)}")
                return data[key if key is not None else files[0]]
        if suffix == ".mtx":
            import scipy.io

            return scipy.io.mmread(path)
        if suffix in _TEXT_SUFFIXES:
            return np.loadtxt(path, delimiter=_delimiter(path), ndmin=2, comments="#")
    except CLIError:
        raise
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read {spec}: {exc}") from None
    raise CLIError(
        f"unsupported file type {suffix or '(none)'!r} for {spec}: use .npy, .npz, .mtx, "
        f"{', '.join(_TEXT_SUFFIXES)} or gallery:NAME[:N]"
    )


def _doctor_command(args: argparse.Namespace) -> int:
    import pivotal as pv

    if args.exact_limit < 0:
        raise CLIError(f"--exact-limit must be >= 0, got {args.exact_limit}")
    a = load_matrix(args.matrix, key=args.key, seed=args.seed)
    if len(getattr(a, "shape", ())) != 2:
        raise CLIError(f"{args.matrix} holds an array of shape {tuple(a.shape)}, not a matrix")
    b = None
    if args.rhs is not None:
        b = load_matrix(args.rhs, seed=args.seed)
        if hasattr(b, "toarray"):
            b = b.toarray()
        b = np.asarray(b)
        if b.ndim == 2 and 1 in b.shape and b.shape[0] != a.shape[0]:
            b = b.reshape(-1)
    try:
        report = pv.doctor(a, b, exact_limit=args.exact_limit, random_state=args.seed)
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc)) from None
    print(report.to_json() if args.json else report)
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pivotal",
        description="pivotal: numerically sound matrix decompositions.",
    )
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="factor and solve sample systems and print the error report")
    demo.add_argument("--n", type=int, default=200, help="size of the sample systems (default 200)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    doc = sub.add_parser(
        "doctor",
        help="examine a matrix: structure, conditioning, rank, growth, how to solve with it",
        description="Examine a matrix and print pivotal.doctor's report.",
    )
    doc.add_argument(
        "matrix",
        help="a .npy, .npz, .mtx, .csv or .txt file, or gallery:NAME[:N] (e.g. gallery:hilbert:12)",
    )
    doc.add_argument("--rhs", metavar="B", help="right-hand side file: also run a certified solve")
    doc.add_argument("--json", action="store_true", help="print the report as JSON")
    doc.add_argument(
        "--exact-limit",
        type=int,
        default=2000,
        metavar="N",
        help="largest dimension for the O(n^3) SVD and QRCP items (default 2000)",
    )
    doc.add_argument("--key", help="name of the array in a .npz file (default: the first)")
    doc.add_argument(
        "--seed", type=int, default=0, help="seed of random gallery matrices and the trial solve"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pivotal`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.n < 2:
            parser.error("--n must be at least 2")
        print(demo_report(n=args.n, seed=args.seed))
        return 0
    if args.command == "doctor":
        try:
            return _doctor_command(args)
        except CLIError as exc:
            print(f"pivotal doctor: error: {exc}", file=sys.stderr)
            return 2
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
