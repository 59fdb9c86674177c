"""Least squares and rank: ``lstsq``, ``matrix_rank``, ``null_space``, ``orth``.

``lstsq`` is SciPy-compatible (``(x, residues, rank, s)``) and adds
``method=``:

============ ================================================================
``"svd"``    SVD of ``A`` (LAPACK ``gesdd``): minimum-norm, rank by ``cond``.
``"qr"``     Householder QR; assumes full rank (warns when ``R`` says otherwise).
``"qrcp"``   Column-pivoted QR + complete orthogonal decomposition:
             minimum-norm solution of rank-deficient problems, the rank
             decided as LAPACK's ``gelsy`` does (incremental condition
             estimation of the leading blocks of ``R``).
``"normal"`` Normal equations ``A^H A x = A^H b`` by Cholesky -- for comparison
             only; squares the condition number (warns when that loses more
             than half the digits).
``"sketch"`` Randomized sketch-and-precondition LSQR with iterative refinement
             (SPIR, :func:`pivotal.randomized._sketch_lstsq`) for tall ``A``
             (``M >= N``): ``O(MN)`` work per iteration instead of QR's
             ``O(MN^2)``, backward stable, with a backward-error check that
             falls back to Householder QR.  Uses a fixed seed (deterministic).
             ``s`` is ``None`` (as for ``gelsy``); a sketch that shows ``A``
             rank deficient sends the problem to QR + SVD of ``R``
             (minimum-norm, rank by ``cond``).
``"auto"``   Large, very tall problems on the CPU -- ``M N >= 2e7``,
             ``M >= 40 N``, ``N >= 100`` and at most ``max(1, N // 128)``
             right-hand sides -- use ``"sketch"``, which measured 1.2-2x
             faster there (``benchmarks/bench_sketch_lstsq.py
             --crossover``); ``s`` is then ``None``.  Other tall problems
             (``M >= 2N``): Householder QR,
             then the SVD of the small ``R`` ("R-SVD", Chan 1982) -- the same
             minimum-norm answer and singular values as ``gelsd`` at a
             fraction of its cost.  Otherwise ``"svd"``.
============ ================================================================

As LAPACK's drivers do (``xGELSD``, ``xGELSY``), every method first scales
``A`` and ``b`` by powers of two into the safe range (largest entry between
about ``1e-146`` and ``1e146`` in float64, :mod:`pivotal._scaling`) and
unscales ``x``, the residues and ``s``: the normal equations and the sketch
square their input, and subnormal entries would lose digits at every
operation.  Results that are themselves beyond the range (residues of a
``1e300``-sized problem, ``x`` of a subnormal ``A`` with a normal ``b``)
overflow to ``inf`` or underflow, as LAPACK's do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _array
from ._array import (
    apply_over_batch,
    backend_name,
    conj_transpose,
    device_of,
    from_numpy,
    is_scipy_sparse,
    namespace,
    result_dtype,
    to_float,
    to_numpy,
    validate_matrix,
    validate_rhs,
    working_copy,
    working_dtype,
)
from ._direct_lstsq import (
    LstsqSolution,
    solve_normal,
    solve_qr,
    solve_qr_svd,
    solve_qrcp,
    solve_svd,
)
from ._scaling import ldexp, max_abs, scale_least_squares, unscale_solution
from ._tracing import is_tracer, needs_rule, refuse_tracer
from .autodiff import apply

__all__ = ["LSTSQ_METHODS", "lstsq", "matrix_rank", "null_space", "orth", "pinv"]

LSTSQ_METHODS = ("auto", "svd", "qr", "qrcp", "normal", "sketch")
# (``"auto"`` may also resolve to ``"qr_svd"``: Householder QR, then the SVD of R.)

#: Seed of the sketch behind ``method="sketch"`` (fixed, so that ``lstsq`` is deterministic).
SKETCH_SEED = 0
_DRIVERS = {"gelsd": "svd", "gelss": "svd", "gelsy": "qrcp"}


def _lstsq_core(a: Any, b: Any, cond: float | None, method: str, dtype: Any):
    """2-D core: ``a`` (m, n), ``b`` (m, k).  Returns ``(x, residues, rank, s)``.

    The steps of LAPACK's least-squares drivers: the working dtype and the
    ``cond`` threshold, the method (``"auto"`` resolved), ``A`` and ``b``
    scaled by powers of two into the safe range (``xGELSD``'s ``anrm`` /
    ``bnrm`` step, :mod:`pivotal._scaling`), the solve, the residues, and
    the scaling undone on ``x``, the residues and ``s``.
    """
    a, b = _in_dtype(a, dtype), _in_dtype(b, dtype)
    m, n = a.shape
    k = b.shape[1]
    cond = _default_cond(cond, dtype)
    if m == 0 or n == 0:
        return _empty_solution(a, b, n, dtype)
    method = _resolve_method(method, a, m, n, k)
    a_s, b_s, ea, eb = scale_least_squares(a, b)
    sol = _solve(method, a_s, b_s, cond, dtype)
    residues = sol.residues if sol.residues is not None else _residues(a_s, b_s, sol.x, sol.rank, dtype)
    return _unscaled(sol, residues, ea, eb)


def _in_dtype(x: Any, dtype: Any) -> Any:
    return x if x.dtype == dtype else working_copy(x, dtype=dtype)


def _default_cond(cond: float | None, dtype: Any) -> float:
    """``cond``, or machine epsilon (``2u``) when it is None or negative (SciPy's rule)."""
    return 2 * _array.unit_roundoff(dtype) if cond is None or cond < 0 else float(cond)


def _empty_solution(a: Any, b: Any, n: int, dtype: Any):
    xp = namespace(a)
    m, k = b.shape
    device, rdt = device_of(a), _array.real_dtype(dtype)
    x = xp.zeros((n, k), dtype=dtype, device=device)
    # rank == N < M when N == 0: the residual is b itself (SciPy's and gelsd's convention).
    residues = xp.sum(xp.abs(b) ** 2, axis=0) if m > n else xp.zeros((0,), dtype=rdt, device=device)
    return x, residues, 0, xp.zeros((0,), dtype=rdt, device=device)


def _resolve_method(method: str, a: Any, m: int, n: int, k: int) -> str:
    """``"auto"`` resolved (see the module table); ``"sketch"`` refused for wide ``A``."""
    if method == "auto":
        if _prefer_sketch(a, m, n, k):
            return "sketch"
        return "qr_svd" if m >= 2 * n else "svd"
    if method == "sketch" and m < n:
        raise ValueError(
            f"method='sketch' needs a tall matrix (M >= N), got {m}x{n}; use method='auto' "
            "or 'svd' for the minimum-norm solution of underdetermined problems."
        )
    return method


#: ``lstsq``'s stack depth at the solvers' warnings, so that they point at the caller of ``lstsq``.
_WARN_DEPTH = 5


def _solve(method: str, a: Any, b: Any, cond: float, dtype: Any) -> LstsqSolution:
    """The solver of ``method`` on the scaled problem."""
    if method == "svd":
        return solve_svd(a, b, cond)
    if method == "qr_svd":
        return solve_qr_svd(a, b, cond)
    if method == "qr":
        return solve_qr(a, b, cond, stacklevel=_WARN_DEPTH)
    if method == "qrcp":
        return solve_qrcp(a, b, cond)
    if method == "normal":
        return solve_normal(a, b, cond, stacklevel=_WARN_DEPTH)
    if method == "sketch":
        return _solve_sketch(a, b, cond, dtype)
    raise ValueError(method)  # pragma: no cover - validated by lstsq


def _solve_sketch(a: Any, b: Any, cond: float, dtype: Any) -> LstsqSolution:
    """SPIR (:mod:`pivotal.randomized.spir`) with a fixed seed; ``s`` is None (as for gelsy).

    The residues come from the solver's last residual evaluation when ``A``
    has full rank.
    """
    from .randomized.spir import default_sketch_size, solve

    m, n = a.shape
    x, info = solve(
        a,
        b,
        sketch="sparse_sign",
        d=default_sketch_size(m, n),
        tol=4 * _array.unit_roundoff(dtype),
        maxiter=None,
        refine=True,
        random_state=SKETCH_SEED,
        rank_tol=4 * cond,
        fallback_cond=cond,
        scale=False,  # done by _lstsq_core
    )
    residues = None
    if info.rank == n and m > n:
        rn = _array.from_numpy(info.residual_norms, a, dtype=_array.real_dtype(dtype))
        residues = rn * rn
    return LstsqSolution(x, info.rank, None, residues)


def _residues(a: Any, b: Any, x: Any, rank: int, dtype: Any) -> Any:
    """``||b - A x||^2`` per column when ``rank == N < M`` (SciPy's rule), else an empty array."""
    xp = namespace(a)
    m, n = a.shape
    if rank == n and m > n:
        return xp.sum(xp.abs(b - a @ x) ** 2, axis=0)
    return xp.zeros((0,), dtype=_array.real_dtype(dtype), device=device_of(a))


def _unscaled(sol: LstsqSolution, residues: Any, ea: int, eb: int):
    """``(x, residues, rank, s)`` of the problem before scaling (``A 2**ea``, ``b 2**eb``)."""
    s = None if sol.s is None else ldexp(sol.s, -ea)
    return unscale_solution(sol.x, ea, eb), ldexp(residues, -2 * eb), sol.rank, s


#: ``method="auto"`` uses the sketch (SPIR) where it measured faster than Householder
#: QR + SVD of R (``benchmarks/bench_sketch_lstsq.py --crossover`` on a 2-core x86 VM,
#: OpenBLAS, 2 threads: 1.2-2x from 200000x100, 200000x200, 50000x500; slower below
#: N = 100 or ~2e7 entries, and with several right-hand sides):  M * N at least ...
SKETCH_MIN_ELEMENTS = 20_000_000
#: ... ``M >= SKETCH_MIN_RATIO * N`` ...
SKETCH_MIN_RATIO = 40
#: ... ``N >= SKETCH_MIN_COLS`` (below, Householder QR costs only a few passes over ``A``) ...
SKETCH_MIN_COLS = 100
#: ... and at most ``max(1, N // SKETCH_RHS_DIVISOR)`` right-hand sides.
SKETCH_RHS_DIVISOR = 128


def _prefer_sketch(a: Any, m: int, n: int, k: int) -> bool:
    """Whether ``method="auto"`` should use the sketch for this problem (see the module table)."""
    if backend_name(a) == "torch" and a.device.type != "cpu":
        return False  # not measured on GPUs: keep the direct solver there
    return (
        m * n >= SKETCH_MIN_ELEMENTS
        and m >= SKETCH_MIN_RATIO * n
        and n >= SKETCH_MIN_COLS
        and k <= max(1, n // SKETCH_RHS_DIVISOR)
    )


def lstsq(
    a: Any,
    b: Any,
    cond: float | None = None,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    lapack_driver: str | None = None,
    *,
    method: str = "auto",
):
    """Least-squares solution of ``a @ x = b`` (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, N) array_like
    b : (..., M) or (..., M, K) array_like
    cond : float, optional
        Singular values below ``cond * largest`` count as zero; default
        machine epsilon.  ``"qrcp"`` (``gelsy``): the rank is the largest
        ``k`` whose leading ``k x k`` block of ``R`` has an estimated
        condition number below ``1 / cond`` (LAPACK's rule); ``"qr"`` warns
        when ``R``'s condition estimate is below ``cond``.  With
        ``"sketch"`` the sketch's ``s_min / s_max`` (accurate to the sketch's
        distortion) is screened against ``max(4 cond, 10 max(N, 10) eps/2)``
        and, below it, the direct solver decides the rank with ``cond``.
    overwrite_a, overwrite_b, check_finite : bool, optional
        As in SciPy (``overwrite_*`` may be used to save memory).
    lapack_driver : {None, "gelsd", "gelss", "gelsy"}, optional
        SciPy's driver names map to ``method="svd"`` (gelsd, gelss) and
        ``method="qrcp"`` (gelsy).
    method : {"auto", "svd", "qr", "qrcp", "normal", "sketch"}, keyword-only
        See the module documentation.
        For a ``scipy.sparse`` ``a``: ``"auto"``, ``"qr"`` (SuiteSparseQR),
        ``"sketch"`` (sketch-preconditioned LSQR), ``"lsmr"`` or ``"lsqr"``;
        the result then also carries ``.method`` (the route that ran) and
        ``.path`` (see :func:`pivotal.sparse.routes.lstsq`, docs/sparse.md).

    Returns
    -------
    x : (..., N) or (..., N, K) array
        Least-squares (minimum-norm when rank deficient, except ``"qr"``) solution.
    residues : array
        Squared 2-norms of the residual columns when ``rank == N < M``
        (a scalar for 1-D ``b``); otherwise an empty array.  For a batch:
        shape ``batch + (K,)`` (``batch`` for 1-D ``b``) when every element
        has ``rank == N < M``, else an empty ``batch + (0,)`` array.
    rank : int or int array
        Effective rank of ``a``; one per element (shape ``batch``) for a batch.
    s : array or None
        Singular values of ``a`` ("svd", and "auto" unless it chose
        "sketch"), else ``None`` (as gelsy).

    Raises
    ------
    ValueError
        Unknown ``method`` or driver, incompatible shapes, NaN/Inf with
        ``check_finite``, or ``method="sketch"`` with ``M < N``.

    Warns
    -----
    IllConditionedWarning
        ``method="qr"`` on a numerically rank-deficient matrix.
    LinAlgWarning
        ``method="normal"`` when squaring the condition number loses more than
        half of the digits.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    >>> x, res, rank, s = pv.lstsq(A, np.array([1.0, 2.0, 2.0]))
    >>> np.allclose(x, np.linalg.lstsq(A, [1.0, 2.0, 2.0], rcond=None)[0]), rank
    (True, 2)
    """
    if lapack_driver is not None:
        if lapack_driver not in _DRIVERS:
            raise ValueError(f'LAPACK driver "{lapack_driver}" is not found; use one of {tuple(_DRIVERS)}.')
        mapped = _DRIVERS[lapack_driver]
        if method not in ("auto", mapped):
            raise ValueError(f"lapack_driver={lapack_driver!r} conflicts with method={method!r}.")
        method = mapped
    if is_scipy_sparse(a):
        from .sparse.routes import lstsq as sparse_lstsq

        return sparse_lstsq(a, b, cond=cond, method=method, check_finite=check_finite)
    if method not in LSTSQ_METHODS:
        raise ValueError(f"method={method!r} is not one of {LSTSQ_METHODS}.")
    a = validate_matrix(a, check_finite=check_finite, differentiable=True)
    m = a.shape[-2]
    b = validate_rhs(b, m, check_finite=check_finite, differentiable=True)
    if needs_rule(a, b):
        from .autodiff.lstsq_rules import LSTSQ

        return apply(LSTSQ, lstsq_forward, a, b, cond=cond, method=method)
    if backend_name(a) == "jax":
        from ._backends import jax as jb

        return jb.from_host(lstsq(jb.to_host(a), jb.to_host(b), cond, check_finite=False, method=method))
    dtype = result_dtype(a, b)
    vector = len(b.shape) == 1
    batched = len(a.shape) > 2 or len(b.shape) > 2

    def core(a2, b2):
        b2m = b2[:, None] if vector else b2
        x, residues, rank, s = _lstsq_core(a2, b2m, cond, method, dtype)
        if batched:  # one rank per element: an integer array of the batch's shape
            rank = from_numpy(np.asarray(rank, dtype=np.int64), s)
        if batched and not residues.shape[0]:
            # A placeholder of the full-rank shape so that the batch stacks; it is
            # dropped below (this element is rank deficient or not tall).
            residues = namespace(s).zeros((b2m.shape[1],), dtype=s.dtype, device=device_of(s))
        if vector:
            x = x[:, 0]
            if residues.shape[0]:
                residues = residues.reshape(()) if batched else residues[0]  # a 0-d array stacks
        return x, residues, rank, s

    x, residues, rank, s = apply_over_batch(core, [(a, 2), (b, 1 if vector else 2)])
    if batched:
        residues = _batch_residues(residues, rank, a.shape[-2], a.shape[-1], vector)
    return x, residues, rank, s


def _batch_residues(residues: Any, rank: Any, m: int, n: int, vector: bool) -> Any:
    """Residues of a batch: kept where every element is tall and of full rank, else empty.

    SciPy returns residues only for ``rank == N < M``; in a batch they are
    returned, with shape ``batch + (K,)`` (``batch`` for a vector ``b``),
    only when that holds for every element, and are otherwise an empty
    ``batch + (0,)`` array (``torch.linalg.lstsq``'s rule).
    """
    ranks = np.asarray(to_numpy(rank))
    if m > n and bool(np.all(ranks == n)):
        return residues
    if vector:
        residues = residues[..., None]
    return residues[..., :0]


def lstsq_forward(a: Any, b: Any, *, cond: float | None, method: str):
    """The forward of :data:`pivotal.autodiff.lstsq_rules.LSTSQ`: ``lstsq`` on values without a graph.

    Under ``jax.jit`` there are no values, and the shape of ``residues``
    depends on the rank found, so no host callback can stand in: refused.
    """
    for x, name in ((a, "a"), (b, "b")):
        refuse_tracer(x, name, "jax.jit (the shape of the residues depends on the rank it finds)")
    return lstsq(a, b, cond, check_finite=False, method=method)


def _refuse_nonfinite(A: Any) -> None:
    """The ``ValueError`` of :func:`matrix_rank` for NaN or Inf in ``A``."""
    xp = namespace(A)
    if xp.isdtype(A.dtype, ("real floating", "complex floating")) and not math.isfinite(max_abs(A)):
        raise ValueError(
            "matrix_rank: A contains NaN or Inf, and a matrix with such entries has no numerical "
            "rank; remove or replace them first (numpy.nan_to_num, for instance)."
        )


def matrix_rank(
    A: Any,
    tol: float | None = None,
    hermitian: bool = False,
    *,
    rtol: float | None = None,
    method: str = "svd",
):
    """Numerical rank (NumPy-compatible signature) by SVD or by column-pivoted QR.

    Parameters
    ----------
    A : (..., M, N) array_like
    tol : float, optional
        Absolute threshold; default ``S.max() * max(M, N) * eps`` (NumPy's).
    hermitian : bool, optional
        Use the eigenvalues of a Hermitian ``A`` (``method="svd"`` only).
    rtol : float, optional
        Relative threshold (``tol = rtol * S.max()``); exclusive with ``tol``.
    method : {"svd", "qrcp"}, keyword-only
        ``"qrcp"`` applies the same rule to ``|diag(R)|`` of the pivoted QR,
        which is cheaper and reliable except on adversarial inputs such as
        Kahan's matrix (use strong RRQR via :class:`pivotal.QRPivoted` there).

    Returns
    -------
    int (or an integer array for batched input)

    Raises
    ------
    ValueError
        When ``A`` contains NaN or Inf: such a matrix has no numerical rank.
        (NumPy's ``matrix_rank`` raises ``LinAlgError("SVD did not
        converge")`` from inside LAPACK for NaN, and returns a meaningless
        rank, 0 for ``[[inf]]``, for Inf.)

    Notes
    -----
    The default and ``rtol`` thresholds are applied as ``S / S.max() >
    rtol`` rather than ``S > rtol * S.max()``, which is the same except that
    the product underflows to 0 for subnormal data and every rounding error
    would then count as rank.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.outer(np.arange(1.0, 5.0), np.arange(1.0, 4.0))
    >>> pv.matrix_rank(A), pv.matrix_rank(A, method="qrcp")
    (1, 1)
    >>> pv.matrix_rank(A * 2.0**-1070)   # subnormal entries: still rank 1
    1
    """
    if tol is not None and rtol is not None:
        raise ValueError("`tol` and `rtol` can't be both set.")
    if method not in ("svd", "qrcp"):
        raise ValueError(f"method={method!r} is not one of ('svd', 'qrcp').")
    A = _array.as_array(A, "A")
    if len(A.shape) < 2:  # NumPy's rule: rank 1 unless all zero (0-d arrays included)
        _refuse_nonfinite(A)
        xp = namespace(A)
        return int(bool(to_float(xp.any(A != 0))))
    A = validate_matrix(A, "A", check_finite=False)
    _refuse_nonfinite(A)
    if backend_name(A) == "jax":
        from ._backends import jax as jb

        return matrix_rank(jb.to_host(A), tol, hermitian, rtol=rtol, method=method)

    def core(a2):
        xp = namespace(a2)
        m, n = a2.shape
        if m == 0 or n == 0:
            return 0
        if method == "svd":
            a2 = a2 if a2.dtype == working_dtype(a2) else working_copy(a2)
            if hermitian:
                s = xp.abs(xp.linalg.eigvalsh(a2))
            else:
                s = xp.linalg.svdvals(a2)
        else:
            from .factorizations.qr import QRPivoted

            F = QRPivoted(a2, check_finite=False)
            k = min(m, n)
            s = xp.abs(xp.linalg.diagonal(F.R[:k, :k]))
        if tol is not None:
            keep = s > float(tol)
        else:
            smax = to_float(xp.max(s))
            if smax == 0:
                return 0
            eps = 2 * _array.unit_roundoff(working_dtype(a2))
            keep = s / smax > (float(rtol) if rtol is not None else max(m, n) * eps)
        return int(to_float(xp.sum(xp.astype(keep, xp.int64))))

    if len(A.shape) == 2:
        return core(A)
    batch = A.shape[:-2]
    flat = [core(A[idx]) for idx in np.ndindex(*batch)]
    return np.asarray(flat, dtype=np.int64).reshape(batch)


def pinv(
    a: Any,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    return_rank: bool = False,
    check_finite: bool = True,
):
    """Moore-Penrose pseudo-inverse by SVD (SciPy-compatible).

    Singular values ``s_i <= atol + rtol * s_max`` are treated as zero.

    Parameters
    ----------
    a : (..., M, N) array_like
        NumPy array, PyTorch tensor or JAX array.
    atol : float, optional
        Absolute threshold, default 0.
    rtol : float, optional
        Relative threshold, default ``max(M, N) * eps`` (SciPy's default).
    return_rank : bool, optional
        Also return the effective rank.
    check_finite : bool, optional

    Returns
    -------
    B : (..., N, M) array
    rank : int or int array
        Only with ``return_rank``.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])   # rank 1
    >>> B, r = pv.pinv(A, return_rank=True)
    >>> r, bool(np.allclose(A @ B @ A, A)), bool(np.allclose(B @ A @ B, B))
    (1, True, True)
    """
    a = validate_matrix(a, check_finite=check_finite, differentiable=True)
    if (atol is not None and atol < 0) or (rtol is not None and rtol < 0):
        raise ValueError(f"atol and rtol must be nonnegative, got atol={atol}, rtol={rtol}.")
    m, n = int(a.shape[-2]), int(a.shape[-1])
    atol = 0.0 if atol is None else float(atol)
    if needs_rule(a):
        from .autodiff.lstsq_rules import PINV

        return apply(PINV, pinv_forward, a, atol=atol, rtol=rtol, return_rank=return_rank)
    if backend_name(a) == "jax":
        from ._backends import jax as jb

        res = pinv(jb.to_host(a), atol=atol, rtol=rtol, return_rank=return_rank, check_finite=False)
        import jax.numpy as jnp

        return (jnp.asarray(res[0]), res[1]) if return_rank else jnp.asarray(res)
    ranks: list[int] = []

    def core(a2):
        xp = namespace(a2)
        dtype = working_dtype(a2)
        a2 = a2 if a2.dtype == dtype else working_copy(a2)
        if m == 0 or n == 0:
            ranks.append(0)
            return xp.zeros((n, m), dtype=dtype, device=device_of(a2))
        eps = 2 * _array.unit_roundoff(dtype)
        rt = max(m, n) * eps if rtol is None else float(rtol)
        u, s, vh = xp.linalg.svd(a2, full_matrices=False)
        val = atol + rt * to_float(s[0])
        rank = int(to_float(xp.sum(xp.astype(s > val, xp.int64))))
        ranks.append(rank)
        v = conj_transpose(vh[:rank, :]) / xp.reshape(xp.astype(s[:rank], dtype), (1, rank))
        return v @ conj_transpose(u[:, :rank])

    B = apply_over_batch(core, [(a, 2)])
    if not return_rank:
        return B
    batch = tuple(a.shape[:-2])
    return B, (ranks[0] if not batch else np.asarray(ranks, dtype=np.int64).reshape(batch))


def pinv_forward(a: Any, *, atol: float, rtol: float | None, return_rank: bool):
    """The forward of :data:`pivotal.autodiff.lstsq_rules.PINV`: ``pinv`` on values without a graph.

    A JAX array traced by ``jax.jit`` (no values) goes to the host through
    ``jax.pure_callback`` with the result's shape, ``(..., N, M)`` (and the
    ranks as an ``int32`` array of the batch shape).
    """
    if is_tracer(a):
        import jax

        batch, m, n = tuple(a.shape[:-2]), int(a.shape[-2]), int(a.shape[-1])
        out = jax.ShapeDtypeStruct(batch + (n, m), working_dtype(a))
        if return_rank:
            out = (out, jax.ShapeDtypeStruct(batch, np.int32))
        return jax.pure_callback(_host_pinv(atol, rtol, return_rank), out, a, vmap_method="broadcast_all")
    return pinv(a, atol=atol, rtol=rtol, return_rank=return_rank, check_finite=False)


_HOST_PINV: dict = {}


def _host_pinv(atol: float, rtol: float | None, return_rank: bool):
    """``pinv`` on NumPy values, for ``jax.pure_callback`` (one function per option set, cached)."""

    def host(a):
        out = pinv(np.asarray(a), atol=atol, rtol=rtol, return_rank=return_rank, check_finite=False)
        if return_rank:
            return np.asarray(out[0]), np.asarray(out[1], dtype=np.int32)
        return np.asarray(out)

    return _HOST_PINV.setdefault((atol, rtol, return_rank), host)


def null_space(
    A: Any,
    rcond: float | None = None,
    *,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
    method: str = "svd",
):
    """Orthonormal basis of the null space of ``A`` (SciPy-compatible).

    Parameters
    ----------
    A : (M, N) array_like
    rcond : float, optional
        Relative threshold; default ``eps * max(M, N)`` (SciPy's).
    overwrite_a, check_finite : bool, optional
    lapack_driver : {"gesdd", "gesvd"}, optional
        SVD driver (NumPy backend; PyTorch uses ``torch.linalg.svd``).
    method : {"svd", "qrcp"}, keyword-only
        ``"qrcp"``: column-pivoted QR and a complete orthogonal decomposition.

    Returns
    -------
    Z : (N, K) array, ``K`` the dimension of the numerical null space.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> Z = pv.null_space(A)
    >>> np.allclose(A @ Z, 0), Z.shape
    (True, (2, 1))
    """
    return _subspace(A, rcond, "null", check_finite, lapack_driver, method)


def orth(A: Any, rcond: float | None = None, *, method: str = "svd"):
    """Orthonormal basis of the range of ``A`` (SciPy-compatible).

    Parameters
    ----------
    A : (M, N) array_like
    rcond : float, optional
        Relative threshold; default ``eps * max(M, N)``.
    method : {"svd", "qrcp"}, keyword-only

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    >>> pv.orth(A).shape
    (2, 2)
    """
    return _subspace(A, rcond, "orth", True, "gesdd", method)


def _subspace_routed(A, rcond, which, lapack_driver, method):
    """``orth``/``null_space`` of a tensor that requires grad or a JAX array under ``jax.grad``."""
    from .autodiff.lstsq_rules import NULL_SPACE, ORTH

    if method != "svd":
        raise ValueError(
            f"the gradient of pivotal.{'null_space' if which == 'null' else 'orth'} is that of the SVD's "
            f"basis: use method='svd' (method={method!r} gives another basis), or detach A."
        )
    m, n = int(A.shape[-2]), int(A.shape[-1])
    eps = 2 * _array.unit_roundoff(working_dtype(A))
    rc = eps * max(m, n) if rcond is None else float(rcond)
    if which == "null":  # the backward solves with pinv's rule (its forward travels as an option)
        return apply(
            NULL_SPACE, subspace_forward, A, rcond=rc, which=which, driver=lapack_driver, pinv=pinv_forward
        )
    return apply(
        ORTH, subspace_forward, A, rcond=rc, which=which, driver=lapack_driver, degenerate_tol=1e3 * eps
    )


def subspace_forward(
    A: Any, *, rcond: float, which: str, driver: str, degenerate_tol: float = 0.0, pinv=None
):
    """The forward of the ``orth``/``null_space`` rules (``pinv``: carried to the backward only)."""
    refuse_tracer(A, "A", "jax.jit (the basis has as many columns as the rank it finds)")
    return _subspace(A, rcond, which, False, driver, "svd")


def _subspace(A, rcond, which, check_finite, lapack_driver, method):
    if method not in ("svd", "qrcp"):
        raise ValueError(f"method={method!r} is not one of ('svd', 'qrcp').")
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"lapack_driver must be 'gesdd' or 'gesvd', got {lapack_driver!r}.")
    A = validate_matrix(A, "A", check_finite=check_finite, batch=False, differentiable=True)
    if needs_rule(A):
        return _subspace_routed(A, rcond, which, lapack_driver, method)
    if backend_name(A) == "jax":
        from ._backends import jax as jb

        return jb.from_host(_subspace(jb.to_host(A), rcond, which, False, lapack_driver, method))
    xp = namespace(A)
    m, n = A.shape
    A = A if A.dtype == working_dtype(A) else working_copy(A)
    eps = 2 * _array.unit_roundoff(A.dtype)
    rc = eps * max(m, n) if rcond is None else float(rcond)
    if method == "qrcp":
        from .factorizations.qr import QRPivoted

        k = min(m, n)
        F = QRPivoted(A, check_finite=False)
        diag = xp.abs(xp.linalg.diagonal(F.R[:k, :k])) if k else None
        r00 = to_float(diag[0]) if k else 0.0
        # |R_kk| / |R_00| > rc: rc |R_00| underflows for subnormal data (see matrix_rank)
        F.rank = int(to_float(xp.sum(xp.astype(diag / r00 > rc, xp.int64)))) if r00 > 0 else 0
        return F.null_space() if which == "null" else F.orth()
    if backend_name(A) == "numpy":
        import scipy.linalg as sl

        u, s, vh = sl.svd(A, full_matrices=which == "null", lapack_driver=lapack_driver)
    else:  # orth needs the thin U only: a full M x M U would not fit for tall A
        u, s, vh = xp.linalg.svd(A, full_matrices=which == "null")
    smax = to_float(xp.max(s)) if s.shape[0] else 0.0
    rank = int(to_float(xp.sum(xp.astype(s / smax > rc, xp.int64)))) if smax > 0 else 0
    if which == "null":
        return conj_transpose(vh[rank:, :])
    return u[:, :rank]
