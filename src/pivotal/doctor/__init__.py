"""``doctor``: what a matrix is, and how to solve with it.

:func:`doctor` examines one matrix (NumPy, PyTorch, JAX, ``scipy.sparse``
or any array-like) and returns a :class:`DoctorReport`: storage and
sparsity, detected structure, norms, condition estimates (an ``O(n^2)``
estimate from a factorization, and the exact ``kappa_2`` by SVD when it is
cheap or asked for), the numerical rank by SVD and by column-pivoted QR, the
element growth of Gaussian elimination, the factorization pivotal would
use and why, precision advice (is float32 enough, how many digits are
lost, does mixed-precision refinement pay) and a list of findings
(NaN/Inf, zero or badly scaled rows, singularity, nearly-symmetric input,
dangerous pivot growth).  With a right-hand side it also runs a certified
solve (:func:`pivotal.solve` with ``return_report=True``).

Every ``O(n^3)`` item records its cost in :attr:`DoctorReport.timings`, or
why it was skipped in :attr:`DoctorReport.skipped` (too costly to run
unasked, larger than ``exact_limit``, NaN/Inf input, large sparse
matrices).  The analyses run on a host (NumPy) copy of the matrix; the
certified solve runs on the user's own backend and device.

The package is in layers that the command line and the lab share:
:mod:`~pivotal.doctor.inputs` (what is accepted), :mod:`~pivotal.doctor.measure`
(the numbers), :mod:`~pivotal.doctor.recommend` (findings and advice),
:mod:`~pivotal.doctor.render` (text and JSON) and :mod:`~pivotal.doctor.report`
(the records).
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import backend_name, dtype_name, refuse_masked, unit_roundoff
from .._seeding import as_generator
from ..errors import LinAlgWarning
from .certify import certified_solve
from .inputs import check_2d, dense_copy_of_broadcast, host_dense, is_sparse, storage, working_dtype
from .measure import (
    Clock,
    Progress,
    dense_basics,
    measure_dense,
    measure_sparse_large,
    sparse_basics,
    sparse_skip_reason,
    sparse_structure,
)
from .recommend import (
    add,
    all_zero_finding,
    nonfinite_finding,
    precision_advice,
    recommend_dense,
    recommend_nonfinite,
    recommend_sparse_large,
    sort_findings,
    zero_line_findings,
)
from .report import DoctorReport, Finding

__all__ = ["DoctorReport", "Finding", "doctor"]

#: the O(n^3) items, skipped together for empty or non-finite input
_EXACT_ITEMS = ("condition estimate", "svd", "qrcp", "growth")


@dataclass
class _Input:
    """The user's matrix, and its dense host copy for the analyses (``None`` for sparse input)."""

    user: Any
    sparse: bool
    host: np.ndarray | None
    dtype: np.dtype


def doctor(
    a: Any,
    b: Any = None,
    *,
    exact_limit: int = 2000,
    exact: bool | None = None,
    random_state: Any = None,
    progress: Progress | None = None,
) -> DoctorReport:
    """Examine a matrix: what it is, how well conditioned, and how to solve with it.

    Parameters
    ----------
    a : (M, N) array_like or scipy.sparse matrix/array
        NumPy array, PyTorch tensor (any device; tensors that require grad
        are detached), JAX array, ``scipy.sparse`` matrix or array, or
        anything ``numpy.asarray`` accepts.  NaN and Inf are reported, not
        raised.
    b : (M,) or (M, K) array_like, optional
        Right-hand side(s).  For a square ``a``, runs the certified solve
        ``pivotal.solve(a, b, return_report=True)`` on ``a``'s own backend
        (a NumPy ``b`` is converted to it) and records its
        :class:`pivotal.SolveReport`; a singular system is reported as a
        ``"solve_failed"`` finding.
    exact_limit : int, optional
        Largest ``max(M, N)`` for the ``O(n^3)`` exact items (SVD for
        ``kappa_2`` and the SVD rank, QR with column pivoting, LU growth when
        the recommended factorization is not LU).  The factorization behind
        the condition estimate always runs for dense input.  A sparse matrix
        is densified when ``max(M, N) <= 2 * exact_limit`` and its dense
        analyses are cheap (see ``exact``) or asked for; others get the
        sparse-only analyses (pattern, norms, and an estimate from
        SuperLU, ``scipy.sparse.linalg.splu``).
    exact : bool or None, optional
        Whether to run the exact ``O(n^3)`` items (SVD, QR with column
        pivoting) within ``exact_limit``: ``None`` (default) runs them when
        they are cheap, at most :data:`pivotal.doctor.measure.EXACT_FLOPS`
        floating-point operations each by :func:`~pivotal.doctor.measure.exact_flops`'s
        count (about a second); above that the ``O(n^2)`` condition
        estimate stands in for ``kappa_2`` and ``skipped`` says so.
        ``True`` runs them whatever the cost, ``False`` never.
    random_state : None, int or numpy.random.Generator, optional
        Seeds the random right-hand side of the trial solve made when ``b``
        is not given.
    progress : callable, optional
        ``progress(item)`` returns a context manager that doctor enters
        around each timed step (``"factorization"``, ``"svd"``, ``"qrcp"``,
        ...): the command line shows a progress indicator with it.

    Returns
    -------
    DoctorReport
        ``print(report)`` for the text, ``report.to_dict()`` /
        ``report.to_json()`` for machines.

    Raises
    ------
    ValueError
        ``a`` is not 2-D, ``b`` does not match ``a``'s rows, a bad
        ``exact_limit``/``exact``/``random_state``, or ``a`` is a broadcast (stride-0)
        view of more than :data:`pivotal.doctor.inputs.BROADCAST_LIMIT` entries (its dense form,
        which the analyses factor, would not fit).
    TypeError
        Non-numeric ``a``.

    See Also
    --------
    pivotal.detect_structure, pivotal.select_factorization, pivotal.condest,
    pivotal.growth_factor, pivotal.solve

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> r = pv.doctor(pv.gallery.hilbert(12))
    >>> r.recommendation, r.rank_svd, r.has("numerically_singular")
    ('QRPivoted', 11, True)
    >>> round(r.digits_lost)
    16
    >>> S = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 4.0]])
    >>> r = pv.doctor(S, np.ones(3))
    >>> r.recommendation, r.structure, r.float32_safe
    ('Cholesky', ['tridiagonal', 'symmetric', 'positive diagonal'], True)
    >>> r.solve["backward_error"] < 30 * 3 * 2**-53 and bool(np.allclose(S @ r.solution, 1.0))
    True
    >>> print(r)  # doctest: +ELLIPSIS
    pivotal doctor: 3 x 3 float64 matrix
    ...
    """
    _check_options(exact_limit, exact)
    rng = as_generator(random_state)
    inp = _prepare(a, b)
    report = _new_report(a, inp)
    clock = Clock(report, progress)
    with _quiet():
        _examine(report, inp, b, clock, exact=exact, exact_limit=int(exact_limit), rng=rng)
    sort_findings(report)
    return report


def _check_options(exact_limit: Any, exact: Any) -> None:
    if isinstance(exact_limit, bool) or not isinstance(exact_limit, (int, np.integer)) or exact_limit < 0:
        raise ValueError(f"exact_limit must be a non-negative integer, got {exact_limit!r}.")
    if exact not in (None, True, False):
        raise ValueError(f"exact must be None (when cheap), True or False, got {exact!r}.")


def _prepare(a: Any, b: Any) -> _Input:
    """Check ``a`` and ``b``; a host copy of dense ``a``."""
    refuse_masked(a, "a")
    sparse = is_sparse(a)
    a_user = a.detach() if not sparse and backend_name(a) == "torch" else a
    if not sparse and not hasattr(a_user, "shape"):
        a_user = np.asarray(a_user)
    m, n = check_2d(tuple(a_user.shape))
    if b is not None:
        bshape = tuple(getattr(b, "shape", np.shape(b)))
        if len(bshape) not in (1, 2) or bshape[0] != m:
            raise ValueError(f"b must have shape ({m},) or ({m}, K) to match a {m}x{n} matrix, got {bshape}.")
    if sparse:
        return _Input(a_user, True, None, np.dtype(a.dtype))
    host = dense_copy_of_broadcast(host_dense(a_user))
    return _Input(a_user, False, host, host.dtype)


def _new_report(a: Any, inp: _Input) -> DoctorReport:
    wdt = working_dtype(inp.dtype)
    backend, device, layout = storage(a)
    report = DoctorReport(
        shape=tuple(int(d) for d in inp.user.shape),
        dtype=dtype_name(getattr(inp.user, "dtype", inp.dtype)),
        working_dtype=str(wdt),
        backend=backend,
        device=device,
        layout=layout,
        sparse_format=a.format if inp.sparse else None,
        digits_available=-math.log10(unit_roundoff(wdt)),
    )
    if backend == "torch" and getattr(a, "requires_grad", False):
        add(report, "info", "requires_grad", "the tensor requires grad; doctor analysed a detached copy.")
    return report


@contextmanager
def _quiet():
    """The analyses meet singular and ill-conditioned matrices on purpose: their warnings become findings."""
    from scipy.linalg import LinAlgWarning as SciPyLinAlgWarning

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        for category in (LinAlgWarning, RuntimeWarning, SciPyLinAlgWarning):
            warnings.simplefilter("ignore", category)
        yield


def _examine(
    report: DoctorReport,
    inp: _Input,
    b: Any,
    clock: Clock,
    *,
    exact: bool | None,
    exact_limit: int,
    rng: np.random.Generator,
) -> None:
    m, n = report.shape
    wdt = np.dtype(report.working_dtype)
    dense, zero_lines = _basics(report, inp, clock, exact, exact_limit)
    if m == 0 or n == 0:
        _empty(report, b)
        return
    finite = report.nan_count == 0 and report.inf_count == 0
    with clock("structure"):
        info = _structure(dense, inp)
    report.structure = info.tags()
    if not finite:
        _nonfinite(report, dense, b)
    elif dense is not None:
        F = measure_dense(
            report, dense, clock, exact=exact, exact_limit=exact_limit, rng=rng, want_trial=b is None
        )
        _no_lines(report, *zero_lines)
        recommend_dense(report, dense, F, info, unit_roundoff(wdt))
        if inp.sparse:
            report.alternatives.append(
                "pivotal.SparseLU / pivotal.SparseCholesky (or a Krylov solver, pivotal.krylov) once the sparse "
                "matrix is large"
            )
    else:
        _no_lines(report, *zero_lines)
        failure = measure_sparse_large(report, inp.user, clock, rng, want_trial=b is None)
        recommend_sparse_large(report, inp.user, info, failure)
    precision_advice(report, wdt, unit_roundoff(wdt))
    if b is not None and finite:
        certified_solve(report, inp.user, dense, b, clock, inp.sparse)


def _basics(
    report: DoctorReport, inp: _Input, clock: Clock, exact: bool | None, exact_limit: int
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Counts, norms and scales; the dense matrix the analyses factor (``None``: sparse, kept sparse).

    Also returns the number of zero rows and columns.
    """
    wdt = np.dtype(report.working_dtype)
    m, n = report.shape
    if not inp.sparse:
        dense = inp.host.astype(wdt, copy=False)
        with clock("norms and counts"):
            zero_lines = dense_basics(report, dense)
        return dense, zero_lines
    keep_sparse = sparse_skip_reason(m, n, wdt.kind == "c", exact, exact_limit)
    dense = inp.user.toarray().astype(wdt, copy=False) if keep_sparse is None else None
    zero_lines = sparse_basics(report, inp.user)
    if keep_sparse is not None:
        add(
            report,
            "info",
            "sparse_large",
            f"sparse {m}x{n} kept sparse: {keep_sparse}; the dense analyses are skipped.",
        )
    return dense, zero_lines


def _structure(dense: np.ndarray | None, inp: _Input) -> Any:
    if dense is None:
        return sparse_structure(inp.user)
    from ..structure import detect_structure

    return detect_structure(dense)


def _empty(report: DoctorReport, b: Any) -> None:
    m, n = report.shape
    add(report, "info", "empty", f"the matrix is empty ({m}x{n}); there is nothing to factor.")
    report.recommendation = "none"
    report.reasons = ["empty matrix"]
    for item in _EXACT_ITEMS:
        report.skipped[item] = "empty matrix"
    if b is not None:
        report.skipped["solve"] = "empty matrix"


def _nonfinite(report: DoctorReport, dense: np.ndarray | None, b: Any) -> None:
    nonfinite_finding(report)
    reason = "the matrix contains NaN/Inf"
    for item in _EXACT_ITEMS:
        report.skipped[item] = reason
    recommend_nonfinite(report, dense)
    if b is not None:
        report.skipped["solve"] = reason


def _no_lines(report: DoctorReport, zero_rows: int, zero_cols: int) -> None:
    """The all-zero finding, or the zero rows and columns of a matrix that is not all zero."""
    if report.nnz == 0:
        all_zero_finding(report)
    else:
        zero_line_findings(report, zero_rows, zero_cols)
