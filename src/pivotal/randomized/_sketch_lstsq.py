"""The public entry point of the sketch-and-precondition least-squares solver: :func:`sketch_lstsq`.

It validates the input (NumPy, PyTorch, or a row-chunked Dask ``A``,
:mod:`pivotal.randomized._dask_lstsq`) and runs the one driver of
:mod:`pivotal.randomized.spir`, whose module notes describe the algorithm
(SPIR: sketch, precondition, LSQR with iterative refinement, a
backward-error check with a Householder QR fallback) and the backward-error
estimate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from array_api_compat import is_dask_array

from .._array import (
    backend_name,
    result_dtype,
    unit_roundoff,
    validate_matrix,
    validate_rhs,
    working_copy,
)
from .._tracing import needs_rule
from ..autodiff import apply
from ._random import RandomState
from .sketches import SketchingOperator
from .spir import Ops, SketchLstsqInfo, check_tall, default_sketch_size, solve

__all__ = ["SketchLstsqInfo", "sketch_lstsq"]


def sketch_lstsq(
    A: Any,
    b: Any,
    *,
    sketch: str | SketchingOperator = "sparse_sign",
    sketch_size: int | None = None,
    tol: float | None = None,
    maxiter: int | None = None,
    refine: bool = True,
    random_state: RandomState = None,
    check_finite: bool = True,
    return_info: bool = False,
):
    """Backward-stable randomized least squares for tall matrices (sketch-and-precondition + refinement).

    Solves ``min ||A x - b||_2`` for ``A`` of shape ``(m, n)`` with ``m >> n``
    and full column rank, in ``O(m n log(1/tol) + d n^2)`` operations: the
    sketch's QR preconditions LSQR so that the iteration count does not
    depend on ``kappa(A)``, and iterative refinement (SPIR, Epperly, Meier &
    Nakatsukasa 2024) makes the answer backward stable.  A final
    backward-error check falls back to Householder QR when it fails, so the
    result is never worse than ``pivotal.lstsq(A, b, method="qr")``.  See
    :mod:`pivotal.randomized.spir` for the algorithm.  ``A`` and ``b`` are
    first scaled by powers of two into LAPACK's safe range (as ``xGELSD``
    does), so entries near the overflow or underflow thresholds, or
    subnormal ones, are solved at full accuracy.

    Parameters
    ----------
    A : (m, n) array_like
        NumPy array or PyTorch tensor (any device), real or complex, with
        ``m >= n``.  It is never copied when it already has the working
        dtype.  Or a ``dask.array.Array`` chunked by rows only (one chunk
        along the columns; ``A.rechunk({1: -1})`` otherwise), which is never
        gathered on one worker: each LSQR iteration is one pass over its
        row chunks (see :mod:`pivotal.randomized._dask_lstsq`).
    b : (m,) or (m, k) array_like
        Right-hand side(s).  The columns of a 2-D ``b`` are solved
        together: one pass over ``A`` per LSQR iteration serves every
        column still iterating, and each column stops on its own test.
        With a dask ``A``, a dask array (rechunked like ``A``'s rows) or a
        NumPy array.
    sketch : {"sparse_sign", "gaussian", "srht"} or SketchingOperator, optional
        The embedding (see :func:`pivotal.randomized.sketch`).  The sparse
        sign sketch (8 nonzeros per column) costs ``O(mn)`` to apply and is
        the fastest on dense NumPy input; ``"srht"`` needs a full FFT/DCT of
        ``A``; ``"gaussian"`` costs ``O(d m n)``.  An operator of shape
        ``(d, m)`` is used as given.
    sketch_size : int, optional
        Rows ``d`` of the sketch, at least ``n``; default ``6 n`` (``8 n``
        when ``m >= 200 n``), at least ``n + 32``.  The distortion is about
        ``eta = sqrt(n / d)`` and each LSQR iteration reduces the error by
        about that factor, so larger sketches mean fewer passes over ``A``
        but a costlier QR of ``S A`` (``2 d n^2``).  Of ``3 n, 4 n, 6 n, 8
        n, 12 n``, these were the fastest (within 10%) on 20000x500,
        50000x200, 200000x100 and 200000x500 problems; ``4 n`` needs ~25%
        more iterations than ``6 n``.  With ``d >= m`` no sketch is used
        (``S = I``).
    tol : float, optional
        Target for the estimated relative backward error
        ``eta_KW(x) / ||A||_2`` (see :mod:`pivotal.randomized.spir`); default ``4 u`` with
        ``u`` the unit roundoff of the working dtype (``4.4e-16`` for
        float64).  Values below ``u`` are raised to ``u``.
    maxiter : int, optional
        LSQR iterations per solve; default ``10 + 2 ceil(log(u) / log(eta))``
        with ``eta = sqrt(n / d)``.
    refine : bool, optional
        ``True`` (default): SPIR -- the first solve, a refinement solve, a
        second refinement solve for columns that still miss ``tol``, then
        the backward-error check and the QR fallback.
        ``False``: plain sketch-and-precondition (one LSQR solve from the
        sketch-and-solve warm start), for comparison; its backward error is
        still estimated and reported, a :class:`pivotal.LinAlgWarning` is
        issued when it misses ``tol``, and there is no fallback.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed of the sketch.  Ints and NumPy generators draw it on the host,
        so NumPy and PyTorch input give the same result, to rounding.
        Must be None when ``sketch`` is an operator.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``A`` or ``b`` (default True).
    return_info : bool, optional
        Also return a :class:`SketchLstsqInfo`.

    Returns
    -------
    x : (n,) or (n, k) array
        The least-squares solution, in the backend, device and working dtype
        of ``A`` and ``b``; a NumPy array for a dask ``A`` (the same as for
        NumPy input to rounding, for a fixed seed and any row chunking).
    info : SketchLstsqInfo
        Only with ``return_info=True``: iterations, the backward-error
        estimate, the sketch's ``rcond`` and whether (and why) it fell back.

    Raises
    ------
    ValueError
        ``A`` is not 2-D, is wide (``m < n``: use :func:`pivotal.lstsq` for
        underdetermined problems), ``b`` has the wrong number of rows,
        NaN/Inf with ``check_finite``, a bad ``sketch``, ``sketch_size``,
        ``tol`` or ``maxiter``.

    Warns
    -----
    LinAlgWarning
        With ``refine=False``, when the backward-error estimate misses
        ``tol``.

    Notes
    -----
    Rank-deficient or numerically rank-deficient ``A`` (the sketch's
    ``s_min / s_max <= 10 max(n, 10) u``) is solved by the minimum-norm
    direct solver (Householder QR, then the SVD of ``R``, dropping singular
    values below ``10 max(n, 10) u s_max``), with ``info.fallback ==
    "rank_deficient"`` and ``info.rank``.  When ``m`` is not larger than
    the sketch size, ``A`` itself is factored (``info.sketch ==
    "identity"``) and the refinement runs as usual.

    Several right-hand sides are solved as a block: each LSQR iteration
    makes one pass over ``A`` for all columns still iterating (a matrix
    product with ``k`` columns), with per-column scalars and stopping
    tests.  With many columns a direct solver is usually faster
    (``pivotal.lstsq`` decides that with ``method="auto"``).

    On CUDA tensors everything stays on the device except ``O(k)``
    scalars per iteration (and the ``n x k`` backward-error vector); the
    products with ``A`` are not blocked there.

    References
    ----------
    E. N. Epperly, M. Meier and Y. Nakatsukasa, "Fast randomized
    least-squares solvers can be just as accurate and stable as classical
    direct solvers", arXiv:2406.03468 (SPIR).  C. C. Paige and M. A.
    Saunders, "LSQR", ACM TOMS 8, 1982.  R. Karlson and B. Walden, BIT 37,
    1997 (the backward-error estimate).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> from pivotal.randomized import sketch_lstsq
    >>> rng = np.random.default_rng(0)
    >>> A = pv.gallery.randsvd(40, 1e8, 3, m=3000, random_state=rng)
    >>> b = rng.standard_normal(3000)            # large residual
    >>> x, info = sketch_lstsq(A, b, random_state=0, return_info=True)
    >>> x_qr = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> r, r_qr = np.linalg.norm(b - A @ x), np.linalg.norm(b - A @ x_qr)
    >>> # both minimal up to the rounding of b - A x: gamma_{n+1} (|b| + |A||x|), n = 40
    >>> tol = 41 * np.finfo(float).eps * (np.linalg.norm(b) + np.linalg.norm(A) * np.linalg.norm(x))
    >>> bool(abs(r - r_qr) <= tol)       # the least-squares residual
    True
    >>> info.method, info.fallback, bool(info.backward_error <= info.tol)
    ('spir', None, True)
    """
    for name, val in (("refine", refine), ("return_info", return_info), ("check_finite", check_finite)):
        if not isinstance(val, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {val!r}.")
    ops = None
    if is_dask_array(A) or is_dask_array(b):  # see pivotal.randomized._dask_lstsq
        from . import _dask_lstsq

        ops, b2, vector = _dask_lstsq._validate(A, b, check_finite)
        m, n, dtype = ops.m, ops.n, ops.dtype
    else:
        # NaN/Inf are refused by the scan that scales A and b (solve's first pass)
        A = validate_matrix(A, "A", check_finite=False, batch=False, differentiable=True)
        m, n = int(A.shape[0]), int(A.shape[1])
        check_tall(m, n)
        b = validate_rhs(b, m, "b", check_finite=False, a_name="A", differentiable=True)
        if len(b.shape) > 2:
            raise ValueError(
                f"b must have shape ({m},) or ({m}, k), got {tuple(b.shape)}; "
                "sketch_lstsq does not batch over leading dimensions (loop over them)."
            )
        if backend_name(A) != backend_name(b):
            raise TypeError(
                f"A is a {backend_name(A)} array and b a {backend_name(b)} array; "
                "pass both from the same backend."
            )
        if backend_name(A) == "jax":
            raise TypeError(
                "sketch_lstsq takes NumPy arrays and PyTorch tensors; convert JAX arrays with "
                "numpy.asarray (or call pivotal.lstsq(..., method='sketch'), which does)."
            )
        dtype = result_dtype(A, b)
        if needs_rule(A, b):  # the derivative of the least-squares solution (autodiff.lstsq_rules)
            from ..autodiff.lstsq_rules import SKETCH_LSTSQ
            from ..least_squares import lstsq_forward  # the backward's solves (a constant argument)

            options = {"sketch": sketch, "sketch_size": sketch_size, "tol": tol, "maxiter": maxiter}
            options.update(refine=refine, random_state=random_state, check_finite=check_finite)
            return apply(
                SKETCH_LSTSQ, _sketch_primal, A, b, lstsq_forward, return_info=return_info, **options
            )
    d = _check_sketch(sketch, sketch_size, random_state, m, n)
    tol = _check_tol(tol, unit_roundoff(dtype))
    if maxiter is not None and (
        isinstance(maxiter, (bool, np.bool_)) or int(maxiter) != maxiter or maxiter < 1
    ):
        raise ValueError(f"maxiter must be a positive integer or None, got {maxiter!r}.")
    if ops is None:
        vector = len(b.shape) == 1
        ops = Ops(A if A.dtype == dtype else working_copy(A, dtype=dtype))
        b2 = b[:, None] if vector else b
        b2 = b2 if b2.dtype == dtype else working_copy(b2, dtype=dtype)
    x, info = solve(
        ops,
        b2,
        sketch=sketch,
        d=d,
        tol=tol,
        maxiter=maxiter,
        refine=bool(refine),
        random_state=random_state,
        check_finite=check_finite,
    )
    if vector:
        x = x[:, 0]
    return (x, info) if return_info else x


def _sketch_primal(A: Any, b: Any, lstsq_forward: Any, **options: Any):
    """The forward of :data:`pivotal.autodiff.lstsq_rules.SKETCH_LSTSQ`: on values without a graph.

    ``lstsq_forward`` (:func:`pivotal.least_squares.lstsq_forward`) is only
    carried to the backward, which solves with it.
    """
    return sketch_lstsq(A, b, **options)


def _check_sketch(sketch, sketch_size, random_state, m: int, n: int) -> int:
    """Validate the sketch options; returns the sketch size ``d``."""
    if isinstance(sketch, SketchingOperator):
        if sketch_size is not None and sketch_size != sketch.d:
            raise ValueError(
                f"sketch_size={sketch_size!r} conflicts with the operator's d={sketch.d}; "
                "pass one or the other."
            )
        if random_state is not None:
            raise ValueError(
                "random_state cannot be combined with a sketching operator, which is already "
                "seeded; pass one or the other."
            )
        if sketch.m != m:
            raise ValueError(
                f"the sketching operator has m={sketch.m} columns but A has {m} rows; build it with m={m}."
            )
        d = sketch.d
    elif isinstance(sketch, str):
        if sketch_size is None:
            d = default_sketch_size(m, n)
        else:
            if isinstance(sketch_size, (bool, np.bool_)) or int(sketch_size) != sketch_size:
                raise ValueError(f"sketch_size must be an integer, got {sketch_size!r}.")
            d = int(sketch_size)
    else:
        raise TypeError(
            "sketch must be 'sparse_sign', 'gaussian', 'srht' or a SketchingOperator, got "
            f"{type(sketch).__name__}."
        )
    if d < n:
        raise ValueError(
            f"the sketch size d={d} is smaller than n={n}, so the sketch of A would be rank "
            f"deficient; use at least 2 n (the default is {default_sketch_size(m, n)})."
        )
    return d


def _check_tol(tol, u: float) -> float:
    if tol is None:
        return 4 * u
    if isinstance(tol, (bool, np.bool_)):
        raise TypeError(f"tol must be a positive number or None, got {tol!r}.")
    tol = float(tol)
    if not (tol > 0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}; for example tol=1e-12.")
    return max(tol, u)
