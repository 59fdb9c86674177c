"""``doctor``: what a matrix is, and how to solve with it.

:func:`doctor` examines one matrix (NumPy, PyTorch, JAX, ``scipy.sparse``
or any array-like) and returns a :class:`DoctorReport`: storage and
sparsity, detected structure, norms, condition estimates (an ``O(n^2)``
estimate from a factorization, and the exact ``kappa_2`` by SVD for
moderate sizes), the numerical rank by SVD and by column-pivoted QR, the
element growth of Gaussian elimination, the factorization pivotal would
use and why, precision advice (is float32 enough, how many digits are
lost, does mixed-precision refinement pay) and a list of findings
(NaN/Inf, zero or badly scaled rows, singularity, nearly-symmetric input,
dangerous pivot growth).  With a right-hand side it also runs a certified
solve (:func:`pivotal.solve` with ``return_report=True``).

Every ``O(n^3)`` item records its cost in :attr:`DoctorReport.timings`, or
why it was skipped in :attr:`DoctorReport.skipped` (matrices larger than
``exact_limit``, NaN/Inf input, large sparse matrices).  The analyses run on
a host (NumPy) copy of the matrix; the certified solve runs on the user's
own backend and device.
"""

from __future__ import annotations

import html
import json
import math
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._array import _numpy_working_dtype as _np_working_dtype
from ._array import backend_name, dtype_name, is_complex, refuse_masked, to_numpy, unit_roundoff
from .errors import LinAlgWarning

__all__ = ["DoctorReport", "Finding", "doctor"]

#: unit roundoff of IEEE single precision, ``2**-24``
U32 = 2.0**-24
#: ``kappa * u32`` at or below this: float32 is safe (two or more correct digits).
FLOAT32_SAFE = 1e-2
#: classic mixed-precision IR (float32 LU, float64 residual) converges for kappa up to about this.
IR_LIMIT = 1e6
#: GMRES-IR with float32 LU factors converges for kappa up to about this (Carson & Higham 2018).
GMRES_IR_LIMIT = 1e12
#: max/min row (column) scale ratio from which a matrix is reported as badly scaled.
SCALE_RATIO = 1e4

_LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One observation of :func:`doctor`.

    Attributes
    ----------
    level : {"error", "warning", "info"}
        ``error``: a solve will fail or be meaningless as posed; ``warning``:
        accuracy is at risk, with a remedy; ``info``: worth knowing.
    code : str
        Stable identifier, e.g. ``"nonfinite"``, ``"singular"``,
        ``"numerically_singular"``, ``"ill_conditioned"``, ``"rank_deficient"``,
        ``"rank_disagreement"``, ``"all_zero"``, ``"zero_rows"``,
        ``"zero_columns"``, ``"badly_scaled"``, ``"nearly_symmetric"``,
        ``"large_growth"``, ``"unstable_solve"``, ``"solve_failed"``,
        ``"nonfinite_rhs"``, ``"sparse_large"``, ``"empty"``,
        ``"requires_grad"``.
    message : str
        What was found and what to do about it.
    """

    level: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """``{"level", "code", "message"}``."""
        return {"level": self.level, "code": self.code, "message": self.message}


@dataclass
class DoctorReport:
    """What :func:`doctor` found out about a matrix.

    Numbers that were not computed are ``None`` (the reason is in
    :attr:`skipped`).  Condition numbers are ``inf`` for singular matrices.

    Attributes
    ----------
    shape : tuple of int
    dtype : str
        dtype of the input; ``working_dtype`` is the one analyses run in
        (integers are analysed in float64, float16 in float32).
    backend, device, layout : str
        ``"numpy"``, ``"torch"``, ``"jax"`` or ``"scipy.sparse"``; the device
        (``"cpu"``, ``"cuda:0"``, ...); the memory layout (``"C-contiguous"``,
        ``"F-contiguous"``, ``"strided"``, ``"sparse csr"``, ...).
    sparse_format : str or None
        ``"csr"``, ``"csc"``, ``"coo"``, ... for ``scipy.sparse`` input.
    nnz, density : int, float
        Nonzero entries (NaN counts as nonzero; explicitly stored zeros of a
        sparse matrix do not) and ``nnz / (M N)``.
    nan_count, inf_count : int
    structure : list of str
        :meth:`pivotal.StructureInfo.tags`.
    norms : dict
        ``{"1", "inf", "fro", "max"}``: the matrix 1-, inf- and Frobenius
        norms and ``max |a_ij|``.
    row_scale_ratio, col_scale_ratio : float or None
        ``max / min`` of the nonzero row (column) max-norms; ``None`` if
        every row (column) is zero.
    asymmetry : float or None
        ``||A - A^H||_F / ||A||_F`` (``A^T`` for real ``A``) of a square
        matrix.
    rcond, condest : float or None
        Estimated reciprocal condition number in the 1-norm and its inverse
        (:func:`pivotal.condest`; for a rectangular matrix, of ``R`` from
        QR, since ``kappa_2(A) = kappa_2(R)``).
    condest_equilibrated : float or None
        The ``kappa_1`` estimate after scaling rows and columns by powers of
        two (LAPACK ``xGEEQU``), computed for badly scaled square matrices.
    cond2, sigma_max, sigma_min : float or None
        Exact ``kappa_2`` and the extreme singular values (SVD).
    rank_svd, rank_qrcp : int or None
        Numerical rank by SVD and by QR with column pivoting (NumPy's rule
        ``tol = sigma_max max(M, N) eps``, the same for ``|R_kk|``).
    growth_factor : float or None
        Element growth ``max|U| / max|A|`` of LU with partial pivoting
        (square ``A``); ``growth_rook`` the same with rook pivoting, computed
        when partial pivoting's growth is large.
    recommendation : str
        The factorization to use.
    reasons : list of str
        Why: the structure found, what was tried (``factorize(A).path``) and
        any override.
    alternatives : list of str
        Other sound ways to solve, when they matter.
    kappa, kappa_source : float or None, str or None
        The condition number the advice uses (``cond2`` when computed, else
        ``condest``) and which one it is.
    digits_lost, digits_available : float or None, float
        ``log10(kappa)`` and ``-log10(u)`` of the working precision.
    float32_safe : bool or None
        ``kappa * u_32 <= 1e-2``: single precision still gives two or more
        correct digits.
    refinement : str or None
        ``"mixed"`` (classic mixed-precision refinement: single-precision
        factors, double-precision residuals; ``kappa <= 1e6``),
        ``"gmres-ir"`` (``kappa <= 1e12``), ``"working precision"`` (factor
        in double; fixed-precision refinement at most), ``"not needed"``
        (single-precision input for which single precision is safe),
        ``"double"`` (single-precision input that needs double precision) or
        ``"none"`` (singular to double precision: no refinement helps);
        ``refinement_advice`` says it in words.
    trial : dict or None
        Without ``b``: a solve with a random right-hand side using the
        factorization above: ``backward_error``,
        ``componentwise_backward_error`` and ``forward_error_bound``.
    solve : dict or None
        With ``b``: :meth:`pivotal.SolveReport.to_dict` of the certified
        solve (``method``, ``path``, ``rcond``, ``backward_error``,
        ``componentwise_backward_error``, ``forward_error_bound``,
        ``refinement``, ``refinement_steps``, ``residual_norm``, ``dtype``,
        ...) plus ``correct_digits = -log10(forward_error_bound)``;
        ``solution`` and ``solve_report`` hold ``x`` and the
        :class:`pivotal.SolveReport` itself (not part of :meth:`to_dict`).
    findings : list of Finding
    timings : dict
        Seconds spent on each expensive item.
    skipped : dict
        Item -> reason, for items not computed.
    """

    shape: tuple[int, int]
    dtype: str
    working_dtype: str
    backend: str
    device: str
    layout: str
    sparse_format: str | None = None
    nnz: int = 0
    density: float = 0.0
    nan_count: int = 0
    inf_count: int = 0
    structure: list[str] = field(default_factory=list)
    norms: dict[str, float] = field(default_factory=dict)
    row_scale_ratio: float | None = None
    col_scale_ratio: float | None = None
    asymmetry: float | None = None
    rcond: float | None = None
    condest: float | None = None
    condest_equilibrated: float | None = None
    cond2: float | None = None
    sigma_max: float | None = None
    sigma_min: float | None = None
    rank_svd: int | None = None
    rank_qrcp: int | None = None
    growth_factor: float | None = None
    growth_rook: float | None = None
    recommendation: str = ""
    reasons: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    kappa: float | None = None
    kappa_source: str | None = None
    digits_lost: float | None = None
    digits_available: float = 0.0
    float32_safe: bool | None = None
    refinement: str | None = None
    refinement_advice: str | None = None
    trial: dict[str, float] | None = None
    solve: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    solution: Any = field(default=None, repr=False, compare=False)
    solve_report: Any = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ access
    @property
    def codes(self) -> list[str]:
        """The :attr:`Finding.code` of every finding, in order."""
        return [f.code for f in self.findings]

    def has(self, code: str) -> bool:
        """True when a finding with this ``code`` was made."""
        return code in self.codes

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the report.

        Only plain ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``
        and ``None`` appear.  Non-finite floats become the strings ``"inf"``,
        ``"-inf"`` and ``"nan"`` (JSON has no such numbers); ``None`` means
        "not computed" (see ``skipped``).  ``solution`` and ``solve_report``
        are left out.
        """
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name in ("solution", "solve_report"):
                continue
            value = getattr(self, name)
            if name == "findings":
                value = [f.to_dict() for f in value]
            out[name] = _jsonable(value)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string (strict JSON: no NaN/Infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"

    def __str__(self) -> str:
        return _render(self)


# ============================================================================ helpers


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, (complex, np.complexfloating)):
        return str(complex(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return str(value)


def _fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return format(x, spec)


class _Clock:
    def __init__(self, report: DoctorReport):
        self.report = report

    @contextmanager
    def __call__(self, item: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.report.timings[item] = self.report.timings.get(item, 0.0) + time.perf_counter() - t0


def _is_sparse(a: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is a core dependency
        return False
    return bool(sp.issparse(a))


def _storage(a: Any) -> tuple[str, str, str]:
    """``(backend, device, layout)`` of the user's object."""
    if _is_sparse(a):
        return "scipy.sparse", "cpu", f"sparse {a.format} ({type(a).__name__})"
    name = backend_name(a)
    if name == "torch":
        if a.layout != __import__("torch").strided:
            return "torch", str(a.device), f"torch {a.layout}".replace("torch.", "")
        c = a.is_contiguous()
        f = a.ndim == 2 and a.mT.is_contiguous()
        return "torch", str(a.device), _layout(c, f)
    if name == "jax":
        try:
            device = ", ".join(sorted(str(d) for d in a.devices()))
        except (AttributeError, TypeError, RuntimeError):  # pragma: no cover - tracers and older JAX
            device = "unknown"
        return "jax", device.lower(), "C-contiguous (XLA buffer)"
    if isinstance(a, np.ndarray):
        return "numpy", "cpu", _layout(a.flags.c_contiguous, a.flags.f_contiguous)
    return "numpy", "cpu", f"converted from {type(a).__name__}"


def _layout(c: bool, f: bool) -> str:
    if c and f:
        return "C- and F-contiguous"
    if c:
        return "C-contiguous"
    if f:
        return "F-contiguous"
    return "strided (not contiguous)"


def _host_dense(a: Any) -> np.ndarray:
    """The input as a 2-D NumPy array (a detached host copy for torch/JAX)."""
    if backend_name(a) == "torch":
        a = a.detach()
        if a.layout != __import__("torch").strided:
            a = a.to_dense()
    x = to_numpy(a) if backend_name(a) != "numpy" else np.asarray(a)
    if isinstance(x, np.matrix):
        x = np.asarray(x)
    return x


#: Largest dense size (entries) of a broadcast (stride-0) view that doctor materialises: 2 GiB in float64.
BROADCAST_LIMIT = 2**28


def _dense_copy_of_broadcast(x: np.ndarray) -> np.ndarray:
    """``x``, or a dense copy of a broadcast view; a ``ValueError`` when that copy would be too large.

    A view with a stride-0 axis (``numpy.broadcast_to``, ``torch.expand``)
    holds one row or column however large its shape; doctor's analyses
    factor the dense matrix, which for ``broadcast_to(1.0, (10**6, 10**6))``
    would need 8 TB (and the entrywise counts alone scan ``10**12`` entries).
    Views up to :data:`BROADCAST_LIMIT` entries are copied and examined like
    any matrix; larger ones are refused before anything is scanned.
    """
    if x.ndim != 2 or all(st != 0 for st in x.strides) or x.size <= 1:
        return x
    if x.size > BROADCAST_LIMIT:
        m, n = x.shape
        raise ValueError(
            f"a is a broadcast (stride-0) view of shape {m} x {n}: its {x.size:.3g} entries repeat one "
            f"row or column, but doctor factors the dense matrix ({x.size * x.itemsize / 2**30:.3g} GiB), "
            f"which is refused beyond {BROADCAST_LIMIT:.3g} entries. Examine the distinct part "
            "(a[:1] or a[:, :1]), or a smaller matrix."
        )
    return np.ascontiguousarray(x)


def _check_2d(shape: tuple, what: str = "a") -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(
            f"doctor examines one matrix: expected {what} of shape (M, N), got {tuple(shape)}; "
            "for a batch call doctor on each matrix (a[i])."
        )
    return int(shape[0]), int(shape[1])


def _working(dtype: np.dtype) -> np.dtype:
    if dtype.kind not in "biufc":
        raise TypeError(f"doctor needs a numeric matrix, got dtype {dtype}.")
    return np.dtype(_np_working_dtype(dtype))


def _single_name(dt: np.dtype) -> str:
    return "complex64" if dt.kind == "c" else "float32"


def _add(report: DoctorReport, level: str, code: str, message: str) -> None:
    report.findings.append(Finding(level, code, message))


# ============================================================================ the analyses


def _norms_dense(A: np.ndarray) -> dict[str, float]:
    absA = np.abs(A)
    return {
        "1": float(absA.sum(axis=0).max()),
        "inf": float(absA.sum(axis=1).max()),
        "fro": float(np.linalg.norm(A, "fro")),
        "max": float(absA.max()),
    }


def _norms_sparse(S: Any) -> dict[str, float]:
    absS = abs(S)
    data = absS.data if hasattr(absS, "data") else absS.tocoo().data
    return {
        "1": float(absS.sum(axis=0).max()),
        "inf": float(absS.sum(axis=1).max()),
        "fro": float(np.sqrt(np.sum(np.asarray(data, dtype=np.float64) ** 2))),
        "max": float(data.max()) if data.size else 0.0,
    }


def _ratio(v: np.ndarray) -> float | None:
    nz = v[v > 0]
    if nz.size == 0:
        return None
    return float(nz.max() / nz.min())


def _sparse_structure(S: Any):
    """:class:`StructureInfo` of a sparse matrix from its pattern, without densifying."""
    from .structure import StructureInfo

    m, n = S.shape
    coo = S.tocoo()
    keep = (coo.data != 0) | np.isnan(coo.data) if coo.data.dtype.kind in "fc" else coo.data != 0
    rows, cols = coo.row[keep], coo.col[keep]
    d = rows.astype(np.int64) - cols.astype(np.int64)
    kl = int(max(d.max(), 0)) if d.size else 0
    ku = int(max((-d).max(), 0)) if d.size else 0
    symmetric = hermitian = positive = False
    if m == n:
        symmetric = abs(S - S.T).count_nonzero() == 0
        hermitian = (abs(S - S.conj().T).count_nonzero() == 0) if is_complex(S.dtype) else symmetric
        diag = S.diagonal()
        positive = bool(n > 0 and np.all(np.imag(diag) == 0) and np.all(np.real(diag) > 0))
    return StructureInfo((m, n), kl, ku, bool(symmetric), bool(hermitian), positive)


def _equilibrated_condest(A: np.ndarray) -> float:
    """``kappa_1`` estimate after LAPACK ``xGEEQU``-style row then column scaling by powers of two."""
    from .diagnostics import condest

    absA = np.abs(A)
    r = absA.max(axis=1)
    r = np.exp2(-np.round(np.log2(np.where(r > 0, r, 1.0))))
    B = A * r[:, None]
    c = np.abs(B).max(axis=0)
    c = np.exp2(-np.round(np.log2(np.where(c > 0, c, 1.0))))
    return condest(B * c[None, :])


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise ValueError(
        f"random_state must be None, an int seed or a numpy.random.Generator, got {type(random_state).__name__}."
    )


def _random_rhs(rng: np.random.Generator, m: int, dt: np.dtype) -> np.ndarray:
    b = rng.standard_normal(m)
    if dt.kind == "c":
        b = b + 1j * rng.standard_normal(m)
    return b.astype(dt)


# ============================================================================ doctor


def doctor(a: Any, b: Any = None, *, exact_limit: int = 2000, random_state: Any = None) -> DoctorReport:
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
        is densified when ``max(M, N) <= 2 * exact_limit``; larger ones get
        the sparse-only analyses (pattern, norms, and an estimate from
        ``scipy.sparse.linalg.splu``).
    random_state : None, int or numpy.random.Generator, optional
        Seeds the random right-hand side of the trial solve made when ``b``
        is not given.

    Returns
    -------
    DoctorReport
        ``print(report)`` for the text, ``report.to_dict()`` /
        ``report.to_json()`` for machines.

    Raises
    ------
    ValueError
        ``a`` is not 2-D, ``b`` does not match ``a``'s rows, a bad
        ``exact_limit``/``random_state``, or ``a`` is a broadcast (stride-0)
        view of more than :data:`BROADCAST_LIMIT` entries (its dense form,
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
    if isinstance(exact_limit, bool) or not isinstance(exact_limit, (int, np.integer)) or exact_limit < 0:
        raise ValueError(f"exact_limit must be a non-negative integer, got {exact_limit!r}.")
    exact_limit = int(exact_limit)
    rng = _rng(random_state)
    refuse_masked(a, "a")
    sparse = _is_sparse(a)
    if not sparse and backend_name(a) == "torch":
        a_user = a.detach()
    else:
        a_user = a
    if not sparse and not hasattr(a_user, "shape"):
        a_user = np.asarray(a_user)
    m, n = _check_2d(tuple(a_user.shape))
    if b is not None:
        bshape = tuple(getattr(b, "shape", np.shape(b)))
        if len(bshape) not in (1, 2) or bshape[0] != m:
            raise ValueError(f"b must have shape ({m},) or ({m}, K) to match a {m}x{n} matrix, got {bshape}.")
    backend, device, layout = _storage(a)

    if sparse:
        in_dtype = np.dtype(a.dtype)
    else:
        A0 = _dense_copy_of_broadcast(_host_dense(a_user))
        in_dtype = A0.dtype
    wdt = _working(np.dtype(in_dtype))
    u = unit_roundoff(wdt)
    report = DoctorReport(
        shape=(m, n),
        dtype=dtype_name(getattr(a_user, "dtype", in_dtype)),
        working_dtype=str(wdt),
        backend=backend,
        device=device,
        layout=layout,
        sparse_format=a.format if sparse else None,
        digits_available=-math.log10(u),
    )
    clock = _Clock(report)
    if backend == "torch" and getattr(a, "requires_grad", False):
        _add(report, "info", "requires_grad", "the tensor requires grad; doctor analysed a detached copy.")

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", LinAlgWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            from scipy.linalg import LinAlgWarning as _SciPyLinAlgWarning

            warnings.simplefilter("ignore", _SciPyLinAlgWarning)
        except ImportError:  # pragma: no cover
            pass
        dense = None
        if sparse:
            S = a
            densify = max(m, n) <= 2 * exact_limit
            if densify:
                dense = S.toarray().astype(wdt, copy=False)
            _examine_sparse_basics(report, S)
            if not densify:
                _add(
                    report,
                    "info",
                    "sparse_large",
                    f"sparse {m}x{n} with max(M, N) > 2 * exact_limit = {2 * exact_limit}: kept sparse; "
                    "the dense analyses are skipped.",
                )
        else:
            dense = A0.astype(wdt, copy=False)
            with clock("norms and counts"):
                _examine_dense_basics(report, dense)

        if m == 0 or n == 0:
            _add(report, "info", "empty", f"the matrix is empty ({m}x{n}); there is nothing to factor.")
            report.recommendation = "none"
            report.reasons = ["empty matrix"]
            for item in ("condition estimate", "svd", "qrcp", "growth"):
                report.skipped[item] = "empty matrix"
            if b is not None:
                report.skipped["solve"] = "empty matrix"
            return report

        finite = report.nan_count == 0 and report.inf_count == 0
        if dense is not None:
            with clock("structure"):
                from .structure import detect_structure

                info = detect_structure(dense)
        else:
            with clock("structure"):
                info = _sparse_structure(S)
        report.structure = info.tags()
        _shape_findings(report, finite)

        if not finite:
            reason = "the matrix contains NaN/Inf"
            for item in ("condition estimate", "svd", "qrcp", "growth"):
                report.skipped[item] = reason
            if dense is not None:
                from .factorizations.factorize import select_factorization

                sel = select_factorization(dense)
                report.recommendation, report.reasons = sel.factorization, list(sel.reasons)
            else:
                report.recommendation = "scipy.sparse.linalg.splu" if m == n else "scipy.sparse.linalg.lsqr"
                report.reasons = [", ".join(report.structure)]
            report.reasons.append("(no factorization attempted: clean the NaN/Inf first)")
            if b is not None:
                report.skipped["solve"] = reason
        elif dense is not None:
            F = _examine_dense(report, dense, info, exact_limit, clock, u, rng, want_trial=b is None)
            _recommend(report, dense, F, info, u)
            if sparse:
                report.alternatives.append(
                    "scipy.sparse.linalg.splu (or an iterative solver) once the sparse matrix is large"
                )
        else:
            _examine_sparse_large(report, S, info, clock, u, rng, want_trial=b is None)

        _precision_advice(report, wdt, u)
        if b is not None and finite:
            _certified_solve(report, a_user, dense, b, clock, sparse, m, n)
    _sort_findings(report)
    return report


def _sort_findings(report: DoctorReport) -> None:
    order = {level: i for i, level in enumerate(_LEVELS)}
    report.findings.sort(key=lambda f: order.get(f.level, len(order)))


# ---------------------------------------------------------------------------- basics


def _examine_dense_basics(report: DoctorReport, A: np.ndarray) -> None:
    m, n = A.shape
    report.nnz = int(np.count_nonzero(A))
    report.density = report.nnz / (m * n) if m * n else 0.0
    if A.dtype.kind in "fc":
        report.nan_count = int(np.isnan(A).sum())
        report.inf_count = int(np.isinf(A).sum())
    if m * n == 0:
        report.norms = {"1": 0.0, "inf": 0.0, "fro": 0.0, "max": 0.0}
        return
    report.norms = _norms_dense(A)
    if report.nan_count or report.inf_count:
        return
    absA = np.abs(A)
    report.row_scale_ratio = _ratio(absA.max(axis=1))
    report.col_scale_ratio = _ratio(absA.max(axis=0))
    if m == n:
        sym = A.conj().T if A.dtype.kind == "c" else A.T
        fro = report.norms["fro"]
        report.asymmetry = float(np.linalg.norm(A - sym, "fro") / fro) if fro > 0 else 0.0


def _examine_sparse_basics(report: DoctorReport, S: Any) -> None:
    m, n = S.shape
    report.nnz = int(S.count_nonzero())
    report.density = report.nnz / (m * n) if m * n else 0.0
    stored = int(S.nnz)
    if stored != report.nnz:
        report.layout += f", {stored} stored entries"
    data = S.tocoo().data
    if data.dtype.kind in "fc":
        report.nan_count = int(np.isnan(data).sum())
        report.inf_count = int(np.isinf(data).sum())
    if m * n == 0:
        report.norms = {"1": 0.0, "inf": 0.0, "fro": 0.0, "max": 0.0}
        return
    report.norms = _norms_sparse(S)
    if report.nan_count or report.inf_count:
        return
    absS = abs(S)
    report.row_scale_ratio = _ratio(np.asarray(absS.max(axis=1).todense()).ravel())
    report.col_scale_ratio = _ratio(np.asarray(absS.max(axis=0).todense()).ravel())
    if m == n:
        sym = S.conj().T if is_complex(S.dtype) else S.T
        fro = report.norms["fro"]
        diff = (S - sym).tocoo().data
        report.asymmetry = float(np.sqrt(np.sum(np.abs(diff) ** 2)) / fro) if fro > 0 else 0.0


def _shape_findings(report: DoctorReport, finite: bool) -> None:
    if not finite:
        parts = []
        if report.nan_count:
            parts.append(f"{report.nan_count} NaN")
        if report.inf_count:
            parts.append(f"{report.inf_count} Inf")
        _add(
            report,
            "error",
            "nonfinite",
            f"the matrix contains {' and '.join(parts)} entries: every factorization would raise "
            "(check_finite) or return garbage. Find where they come from (a division by zero, "
            "an overflow, missing data) and clean the input; the numerical analyses were skipped.",
        )
        return
    if report.nnz == 0:
        _add(
            report,
            "error",
            "all_zero",
            "the matrix is all zeros: it has rank 0 and no system with it can be solved.",
        )
        return


def _scale_ratio(report: DoctorReport) -> float:
    return max(report.row_scale_ratio or 1.0, report.col_scale_ratio or 1.0)


def _nearly_symmetric(report: DoctorReport, info: Any, u: float) -> bool:
    """Square, not exactly symmetric (Hermitian for complex), but ``||A - A^H|| / ||A|| <= sqrt(u)``."""
    m, n = report.shape
    if m != n or report.asymmetry is None:
        return False
    exact = info.hermitian if np.dtype(report.working_dtype).kind == "c" else info.symmetric
    return not exact and 0 < report.asymmetry <= math.sqrt(u)


# ---------------------------------------------------------------------------- dense


def _examine_dense(report, A, info, exact_limit, clock, u, rng, want_trial):
    from .diagnostics import backward_error, condest, forward_error_bound, growth_factor
    from .factorizations.factorize import factorize
    from .factorizations.lu import LU
    from .factorizations.qr import QRPivoted

    m, n = A.shape
    big = max(m, n) > exact_limit
    too_big = f"max(M, N) = {max(m, n)} > exact_limit = {exact_limit} (O(n^3); raise exact_limit to force it)"

    _zero_lines(report, np.abs(A).max(axis=1), np.abs(A).max(axis=0))

    with clock("factorization"):
        F = factorize(A, check=False, check_finite=False)
    Fc = F
    if m < n:  # kappa(A) = kappa(R) holds for the QR of the tall A^H, not for the leading block of a wide R
        with clock("factorization (A^H)"):
            Fc = factorize(A.conj().T, check=False, check_finite=False)
    with clock("condition estimate"):
        if m == n:
            report.condest = float(condest(F))
        elif isinstance(Fc, QRPivoted) and Fc.rank < min(m, n):
            report.condest = math.inf  # its rcond() is that of the leading rank x rank block only
        else:
            rc = Fc.rcond()
            report.condest = math.inf if rc == 0 else 1.0 / rc
    report.rcond = 0.0 if math.isinf(report.condest) else 1.0 / report.condest

    if big:
        report.skipped["svd"] = too_big
    else:
        import scipy.linalg

        with clock("svd"):
            try:
                s = scipy.linalg.svdvals(A, check_finite=False)
            except (np.linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - LAPACK non-convergence
                s = None
                report.skipped["svd"] = f"the SVD did not converge ({exc})"
        if s is not None:
            smax, smin = float(s[0]), float(s[-1])
            report.sigma_max, report.sigma_min = smax, smin
            report.cond2 = math.inf if smin == 0 else smax / smin
            tol = smax * max(m, n) * 2 * u
            report.rank_svd = int(np.sum(s > tol))

    if isinstance(Fc, QRPivoted):
        report.rank_qrcp = int(Fc.rank)
    elif big:
        report.skipped["qrcp"] = too_big
    else:
        with clock("qrcp"):
            report.rank_qrcp = int(QRPivoted(A, check_finite=False).rank)

    if m == n:
        if isinstance(F, LU) and getattr(F, "pivoting", "partial") == "partial":
            report.growth_factor = float(F.growth_factor())
        elif big:
            report.skipped["growth"] = too_big
        else:
            with clock("growth"):
                report.growth_factor = float(growth_factor(A))
        rho = report.growth_factor
        if rho is not None and rho > max(100.0, float(n)):
            if max(m, n) <= min(exact_limit, 1000):
                with clock("growth (rook)"):
                    report.growth_rook = float(growth_factor(A, "rook"))
            else:
                report.skipped["growth (rook)"] = f"n = {n} > min(exact_limit, 1000)"
    else:
        report.skipped["growth"] = "rectangular matrix (LU growth is for square systems)"

    if m == n and _scale_ratio(report) >= SCALE_RATIO:
        if big:
            report.skipped["equilibration"] = too_big
        else:
            with clock("equilibration"):
                report.condest_equilibrated = float(_equilibrated_condest(A))

    if want_trial:
        if m != n:
            report.skipped["trial solve"] = "rectangular matrix (least squares; use pivotal.lstsq)"
        elif not F.issuccess():
            report.skipped["trial solve"] = "the factorization failed (singular)"
        else:
            with clock("trial solve"):
                bt = _random_rhs(rng, m, A.dtype)
                x = F.solve(bt, check_finite=False)
                report.trial = {
                    "backward_error": float(backward_error(A, x, bt)),
                    "componentwise_backward_error": float(backward_error(A, x, bt, "componentwise")),
                    "forward_error_bound": float(forward_error_bound(A, x, bt, factorization=F)),
                }
    return F


def _zero_lines(report: DoctorReport, rowmax: np.ndarray, colmax: np.ndarray) -> None:
    """Record zero rows/columns (used by the findings) when the matrix is not all zero."""
    if report.nnz == 0 or report.nan_count or report.inf_count:
        return
    m, n = report.shape
    zr, zc = int(np.sum(rowmax == 0)), int(np.sum(colmax == 0))
    if zr:
        _add(
            report,
            "error" if m <= n else "warning",
            "zero_rows",
            f"{zr} row(s) are entirely zero: "
            + ("the matrix is singular." if m == n else "those equations read 0 = b_i."),
        )
    if zc:
        _add(
            report,
            "error" if n <= m else "warning",
            "zero_columns",
            f"{zc} column(s) are entirely zero: the matching unknowns do not enter the equations "
            "(rank deficient; lstsq sets them to 0).",
        )


# ---------------------------------------------------------------------------- sparse (large)


def _examine_sparse_large(report, S, info, clock, u, rng, want_trial):
    import scipy.sparse.linalg as spla

    m, n = S.shape
    absS = abs(S)
    _zero_lines(
        report, np.asarray(absS.max(axis=1).todense()).ravel(), np.asarray(absS.max(axis=0).todense()).ravel()
    )
    reason = "sparse matrix larger than 2 * exact_limit: the dense O(n^3) analyses are skipped"
    for item in ("svd", "qrcp", "growth"):
        report.skipped[item] = reason
    herm = info.hermitian if is_complex(S.dtype) else info.symmetric
    if m != n:
        report.recommendation = "scipy.sparse.linalg.lsqr"
        report.reasons = [
            ", ".join(report.structure),
            f"sparse rectangular {m}x{n}: an iterative least-squares solver (lsqr, lsmr)",
        ]
        report.skipped["condition estimate"] = "rectangular sparse matrix"
        return
    if herm and info.positive_diagonal:
        report.recommendation = "scipy.sparse.linalg.splu"
        report.reasons = [
            ", ".join(report.structure),
            (
                "sparse symmetric with positive diagonal: a sparse Cholesky (CHOLMOD, scikit-sparse) or "
                "conjugate gradients (scipy.sparse.linalg.cg) if positive definite; splu otherwise"
            ),
        ]
    else:
        report.recommendation = "scipy.sparse.linalg.splu"
        report.reasons = [
            ", ".join(report.structure),
            "sparse square: sparse LU (SuperLU) with a fill-reducing ordering",
        ]
    dt = np.dtype(S.dtype) if np.dtype(S.dtype).kind in "fc" else np.dtype(np.float64)
    with clock("factorization"):
        try:
            lu = spla.splu(S.tocsc().astype(dt))
        except RuntimeError as exc:
            lu = None
            report.condest, report.rcond = math.inf, 0.0
            report.reasons.append(f"splu failed: {exc}")
    if lu is None:
        report.skipped["trial solve"] = "the sparse factorization failed (singular)"
        return
    trans_h = "H" if dt.kind == "c" else "T"
    with clock("condition estimate"):
        op = spla.LinearOperator(
            (n, n),
            matvec=lu.solve,
            rmatvec=lambda v: lu.solve(np.asarray(v, dtype=dt), trans=trans_h),
            dtype=dt,
        )
        est = float(spla.onenormest(op))
        anorm = report.norms["1"]
        report.condest = math.inf if not math.isfinite(est) else anorm * est
        report.rcond = 0.0 if not report.condest or math.isinf(report.condest) else 1.0 / report.condest
    if want_trial:
        with clock("trial solve"):
            bt = _random_rhs(rng, m, dt)
            x = lu.solve(bt)
            r = bt - S @ x
            num = float(np.abs(r).max())
            den = report.norms["inf"] * float(np.abs(x).max()) + float(np.abs(bt).max())
            report.trial = {"backward_error": num / den if den else 0.0}


# ---------------------------------------------------------------------------- conclusions


def _scaling_explains(report: DoctorReport, u: float) -> bool:
    """The matrix is ill-conditioned only because of its row/column scaling.

    True when equilibration (powers-of-two row and column scaling) brings
    the ``kappa_1`` estimate below ``1/sqrt(u)`` and at least 100 times down.
    """
    keq = report.condest_equilibrated
    if keq is None or not math.isfinite(keq) or report.condest is None:
        return False
    kappa = max(report.condest, report.cond2 or 0.0)
    return keq * math.sqrt(u) < 1 and kappa > 100 * keq


def _recommend(report: DoctorReport, A: np.ndarray, F: Any, info: Any, u: float) -> None:
    from .factorizations.factorize import select_factorization

    m, n = report.shape
    report.recommendation = type(F).__name__
    report.reasons = list(getattr(F, "path", []) or select_factorization(A).reasons)
    alts = report.alternatives
    kappa = report.cond2 if report.cond2 is not None else report.condest
    ranks = [r for r in (report.rank_svd, report.rank_qrcp) if r is not None]
    k = min(m, n)
    deficient = bool(ranks) and min(ranks) < k
    nrank = f"numerical rank {min(ranks)} of {k}" if ranks else ""
    scaling = _scaling_explains(report, u)
    failed = m == n and not F.issuccess()
    singular = failed or report.nnz == 0 or (kappa is not None and math.isinf(kappa))
    numerically = kappa is not None and not math.isinf(kappa) and kappa * u >= 1
    if scaling and not failed:  # the scaling, not the matrix, is the problem: see "badly_scaled"
        singular = numerically = deficient = False

    rank_differ = (
        report.rank_svd is not None and report.rank_qrcp is not None and report.rank_svd != report.rank_qrcp
    )
    if rank_differ and not scaling:
        _add(
            report,
            "warning",
            "rank_disagreement",
            f"QR with column pivoting finds rank {report.rank_qrcp} but the SVD finds {report.rank_svd}: "
            "greedy pivoting was fooled (a Kahan-type matrix). Trust the SVD, or use strong RRQR: "
            "pivotal.QRPivoted(A, rank_reveal='strong').",
        )

    single = np.dtype(report.working_dtype).itemsize <= (
        8 if np.dtype(report.working_dtype).kind == "c" else 4
    )
    u64 = unit_roundoff(np.float64)
    double_hint = (
        f" Or solve in double precision: kappa * u_64 = {_fmt(kappa * u64)}."
        if single and kappa is not None and math.isfinite(kappa) and kappa * u64 < 1
        else ""
    )
    if m == n:
        if singular and report.nnz > 0:
            where = f" ({type(F).__name__} failed at index {F.info - 1})" if failed and F.info > 0 else ""
            _add(
                report,
                "error",
                "singular",
                f"the matrix is exactly singular{where}: A x = b has no solution or infinitely many. "
                "Use pivotal.lstsq for the minimum-norm least-squares solution, or fix the model.",
            )
        elif numerically:
            _add(
                report,
                "error",
                "numerically_singular",
                f"kappa ~ {_fmt(kappa)} >= 1/u = {_fmt(1 / u)}: the matrix is singular to working precision "
                f"({report.working_dtype}); a solve may have no correct digits. Use a rank-revealing "
                "least-squares solve (pivotal.lstsq), regularise (e.g. Tikhonov), or reformulate."
                + double_hint,
            )
        elif deficient and report.nnz > 0:
            _add(
                report,
                "warning",
                "rank_deficient",
                f"{nrank} (singular values below max(M, N) eps sigma_max, NumPy's matrix_rank rule): "
                "the matrix is singular to working precision for solving purposes.",
            )
        if singular or numerically or deficient:
            report.recommendation = "QRPivoted"
            report.reasons.append(
                f"singular to working precision ({nrank or 'kappa u >= 1'}): rank-revealing QR "
                "(pivotal.lstsq) gives the minimum-norm least-squares answer with a rank cut-off"
            )
            alts.append("pivotal.lstsq(A, b) (QR with column pivoting, or method='svd')")
        rho = report.growth_factor
        if rho is not None and rho > max(100.0, float(n)) and not (singular or numerically):
            rook = report.growth_rook
            msg = (
                f"LU with partial pivoting has element growth {_fmt(rho)} (backward error up to ~ n rho u = "
                f"{_fmt(n * rho * u)})"
            )
            if rook is not None:
                msg += f"; rook pivoting grows only {_fmt(rook)}"
            msg += (
                ". Use pivotal.LU(A, pivoting='rook') or pivoting='complete', or QR (no growth), "
                "and check the backward error of the solve (pivotal.solve refines when it is large)."
            )
            _add(report, "warning", "large_growth", msg)
            if report.recommendation == "LU":
                if rook is not None and rook <= max(100.0, float(n)):
                    report.recommendation = "LU (rook pivoting)"
                    report.reasons.append(
                        f"partial pivoting growth {_fmt(rho)}; rook pivoting growth {_fmt(rook)}"
                    )
                else:
                    report.recommendation = "QR"
                    report.reasons.append(
                        f"partial pivoting growth {_fmt(rho)}: Householder QR has no element growth"
                    )
            alts.extend(
                ["pivotal.LU(A, pivoting='complete')", "pivotal.QR(A) (Householder, backward stable)"]
            )
        trial = report.trial
        if trial is not None and trial["backward_error"] > 100 * n * u and not (singular or numerically):
            _add(
                report,
                "warning",
                "unstable_solve",
                f"a trial solve with a random b had normwise backward error {_fmt(trial['backward_error'])} >> "
                f"n u = {_fmt(n * u)}: {type(F).__name__} was not backward stable on this matrix; refine "
                "(pivotal.solve(..., refine=True)) or use the factorization recommended above.",
            )
    elif deficient and report.nnz > 0:
        _add(
            report,
            "warning",
            "rank_deficient",
            f"{nrank}: least-squares solutions are not unique. pivotal.lstsq returns the minimum-norm "
            "one (QR with column pivoting, or method='svd').",
        )
        report.recommendation = "QRPivoted"
        alts.append("pivotal.lstsq(A, b)")
    elif numerically:
        _add(
            report,
            "error",
            "numerically_singular",
            f"kappa ~ {_fmt(kappa)} >= 1/u: the columns are dependent to working precision; use pivotal.lstsq."
            + double_hint,
        )

    if (
        kappa is not None
        and not scaling
        and not math.isinf(kappa)
        and kappa * u < 1
        and kappa >= 1 / math.sqrt(u)
    ):
        _add(
            report,
            "warning",
            "ill_conditioned",
            f"ill-conditioned: kappa ~ {_fmt(kappa)}, so about {_fmt(math.log10(kappa), '.1f')} of the "
            f"{_fmt(-math.log10(u), '.1f')} digits of {report.working_dtype} can be lost in a solve. "
            "Ask for the certified solve (pivotal.solve(A, b, return_report=True)) and read its error bound."
            + double_hint,
        )

    if _scale_ratio(report) >= SCALE_RATIO:
        ratio = _scale_ratio(report)
        which = "rows" if (report.row_scale_ratio or 1) >= (report.col_scale_ratio or 1) else "columns"
        msg = (
            f"badly scaled: the {which} differ in size by a factor {_fmt(ratio)} (max/min of their max-norms)"
        )
        keq = report.condest_equilibrated
        if keq is not None and report.condest is not None:
            msg += f"; scaling rows and columns by powers of 2 takes kappa_1 from ~ {_fmt(report.condest)} to ~ {_fmt(keq)}"
        if scaling:
            msg += ": the ill-conditioning comes from the scaling, not from the matrix"
            report.reasons.append(f"equilibrate first: kappa_1 ~ {_fmt(report.condest)} -> {_fmt(keq)}")
        msg += ". Equilibrate (solve (D_r A D_c) y = D_r b, x = D_c y) or rescale the units of the model."
        _add(report, "warning", "badly_scaled", msg)

    if _nearly_symmetric(report, info, u):
        cplx = A.dtype.kind == "c"
        H = (A + (A.conj().T if cplx else A.T)) / 2
        then = select_factorization(H).factorization
        kind = "Hermitian" if cplx else "symmetric"
        _add(
            report,
            "warning",
            "nearly_symmetric",
            f"nearly {kind}: ||A - A^{'H' if cplx else 'T'}|| / ||A|| = {_fmt(report.asymmetry)} "
            f"(small, but not zero). If it is meant to be {kind}, symmetrise with "
            f"(A + A.{'conj().T' if cplx else 'T'}) / 2: pivotal would then use {then} "
            "(about half the cost of LU); the change is a perturbation of that relative size.",
        )


def _precision_advice(report: DoctorReport, wdt: np.dtype, u: float) -> None:
    kappa, source = None, None
    if _scaling_explains(report, u):
        kappa, source = report.condest_equilibrated, "kappa_1 estimate after equilibration"
    elif report.cond2 is not None:
        kappa, source = report.cond2, "kappa_2 (SVD)"
    elif report.condest is not None:
        kappa, source = report.condest, "kappa_1 estimate"
    report.kappa, report.kappa_source = kappa, source
    if kappa is None:
        return
    single = _single_name(wdt)
    double = "complex128" if wdt.kind == "c" else "float64"
    is_single = wdt.itemsize <= (8 if wdt.kind == "c" else 4)
    u64 = unit_roundoff(np.float64)
    report.digits_lost = math.inf if math.isinf(kappa) else math.log10(max(kappa, 1.0))
    report.float32_safe = bool(kappa * U32 <= FLOAT32_SAFE)
    if math.isinf(kappa) or kappa * u64 >= 1 or (kappa * u >= 1 and not is_single):
        report.refinement = "none"
        report.refinement_advice = (
            "no refinement can help: the matrix is singular to working precision; "
            "use a rank-revealing least-squares solve or more precision."
        )
        return
    if is_single:
        if report.float32_safe:
            report.refinement = "not needed"
            report.refinement_advice = (
                f"{single} gives about {_fmt(-math.log10(kappa * U32), '.1f')} correct digits."
            )
        else:
            report.refinement = "double"
            report.refinement_advice = (
                f"kappa * u_32 = {_fmt(kappa * U32)}: cast to {double} and solve in double precision "
                f"(kappa * u_64 = {_fmt(kappa * u64)}), or refine with double-precision residuals."
            )
        return
    if kappa <= IR_LIMIT:
        report.refinement = "mixed"
        report.refinement_advice = (
            f"mixed-precision iterative refinement converges: factor in {single} (about twice as fast, half the "
            "memory), compute residuals in double, and reach double-precision accuracy in a few steps "
            "(pivotal.solve(A, b, refine='mixed'))."
        )
        if max(report.shape) < 500:
            report.refinement_advice += " At this size the saving is negligible."
    elif kappa <= GMRES_IR_LIMIT:
        report.refinement = "gmres-ir"
        report.refinement_advice = (
            f"classic refinement with {single} factors may stall (kappa * u_32 = {_fmt(kappa * U32)}); "
            f"GMRES-IR with the {single} LU factors as preconditioner still converges (Carson & Higham, 2018)."
        )
    else:
        report.refinement = "working precision"
        report.refinement_advice = (
            f"kappa ~ {_fmt(kappa)} is beyond mixed precision: factor in {report.working_dtype}; fixed-precision "
            "refinement (refine=True) only improves the componentwise backward error."
        )


def _certified_solve(report, a_user, dense, b, clock, sparse, m, n):
    from ._array import from_numpy
    from .errors import LinAlgError
    from .linsolve import solve

    if m != n:
        report.skipped["solve"] = "rectangular matrix: use pivotal.lstsq for least squares"
        return
    b_host = to_numpy(b) if backend_name(b) != "numpy" else np.asarray(b)
    if b_host.dtype.kind in "fc" and not np.isfinite(b_host).all():
        _add(
            report,
            "error",
            "nonfinite_rhs",
            f"b contains {int(np.isnan(b_host).sum())} NaN and {int(np.isinf(b_host).sum())} Inf entries; "
            "the solve was skipped. Clean the right-hand side.",
        )
        report.skipped["solve"] = "b contains NaN/Inf"
        return
    if sparse:
        if dense is None:
            report.skipped["solve"] = (
                "large sparse matrix: use scipy.sparse.linalg.spsolve (dense certified solve skipped)"
            )
            return
        a_solve = dense
    else:
        a_solve = a_user
    target = backend_name(a_solve) if hasattr(a_solve, "shape") else "numpy"
    b_solve = b
    if backend_name(b) == "torch":
        b_solve = b.detach()
    if backend_name(b_solve) != target:
        host = to_numpy(b_solve) if backend_name(b_solve) != "numpy" else np.asarray(b_solve)
        b_solve = host if target == "numpy" else from_numpy(host, like=a_solve)
    with clock("solve"):
        try:
            x, rep = solve(a_solve, b_solve, return_report=True)
        except (LinAlgError, np.linalg.LinAlgError) as exc:
            _add(report, "error", "solve_failed", f"the certified solve failed: {exc}")
            return
    report.solution = x
    report.solve_report = rep
    report.solve = dict(rep.to_dict())
    bound = rep.forward_error_bound
    if math.isfinite(bound) and bound > 0:
        report.solve["correct_digits"] = max(0.0, -math.log10(bound))


# ============================================================================ text


#: width of the text report
TEXT_WIDTH = 100


def _wrap(prefix: str, text: str) -> str:
    """``prefix + text`` wrapped at :data:`TEXT_WIDTH`, continuation lines aligned under ``text``."""
    import textwrap

    return textwrap.fill(
        str(text),
        width=max(TEXT_WIDTH, len(prefix) + 30),
        initial_indent=prefix,
        subsequent_indent=" " * len(prefix),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _render(r: DoctorReport) -> str:
    m, n = r.shape
    title = f"pivotal doctor: {m} x {n} {r.dtype} matrix"
    lines = [title, "=" * len(title)]

    def section(name: str, rows: list[tuple[str, str]]) -> None:
        rows = [(k, v) for k, v in rows if v is not None]
        if not rows:
            return
        lines.append("")
        lines.append(name)
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            lines.append(_wrap(f"  {k:<{width}}  ", v))

    storage = f"{r.backend}, {r.device}, {r.layout}"
    nonzeros = f"{r.nnz} of {m * n} (density {_fmt(r.density, '.3g')})"
    if r.nan_count or r.inf_count:
        nonzeros += f"; {r.nan_count} NaN, {r.inf_count} Inf"
    section(
        "Matrix",
        [
            ("shape", f"{m} x {n}"),
            (
                "dtype",
                r.dtype if r.dtype == r.working_dtype else f"{r.dtype} (analysed as {r.working_dtype})",
            ),
            ("storage", storage),
            ("nonzeros", nonzeros),
            ("structure", ", ".join(r.structure) if r.structure else "n/a"),
        ],
    )
    if r.norms:
        section(
            "Norms",
            [
                ("1-norm", _fmt(r.norms.get("1"))),
                ("inf-norm", _fmt(r.norms.get("inf"))),
                ("Frobenius", _fmt(r.norms.get("fro"))),
                ("max |a_ij|", _fmt(r.norms.get("max"))),
                ("row scale ratio", _fmt(r.row_scale_ratio) if r.row_scale_ratio is not None else None),
                ("col scale ratio", _fmt(r.col_scale_ratio) if r.col_scale_ratio is not None else None),
                ("asymmetry", _fmt(r.asymmetry) if r.asymmetry is not None else None),
            ],
        )

    def item(value: Any, key: str, extra: str = "") -> str:
        if value is None:
            return "skipped (see Cost)" if key in r.skipped else "n/a"
        return _fmt(value) + extra

    k = min(m, n)
    section(
        "Conditioning",
        [
            (
                "rcond (1-norm est.)",
                item(
                    r.rcond,
                    "condition estimate",
                    f"  (kappa_1 ~ {_fmt(r.condest)})" if r.condest is not None else "",
                ),
            ),
            (
                "kappa_2 (SVD)",
                item(
                    r.cond2,
                    "svd",
                    f"  (sigma {_fmt(r.sigma_max)} .. {_fmt(r.sigma_min)})"
                    if r.sigma_max is not None
                    else "",
                ),
            ),
            ("rank (SVD)", item(r.rank_svd, "svd", f" of {k}")),
            ("rank (QRCP)", item(r.rank_qrcp, "qrcp", f" of {k}")),
            ("GEPP growth", item(r.growth_factor, "growth") if m == n else None),
            ("rook growth", item(r.growth_rook, "growth (rook)") if r.growth_rook is not None else None),
        ],
    )
    section(
        "Recommendation",
        [("factorization", r.recommendation or "n/a")]
        + [("why" if i == 0 else "", why) for i, why in enumerate(r.reasons)]
        + [("alternatives" if i == 0 else "", alt) for i, alt in enumerate(r.alternatives)],
    )
    if r.kappa is not None:
        single = _single_name(np.dtype(r.working_dtype))
        section(
            "Precision",
            [
                ("kappa used", f"{_fmt(r.kappa)} ({r.kappa_source})"),
                (
                    "digits lost",
                    f"{_fmt(r.digits_lost, '.1f')} of {_fmt(r.digits_available, '.1f')} ({r.working_dtype})",
                ),
                (f"{single} safe", f"{_fmt(r.float32_safe)} (kappa * u_32 = {_fmt(r.kappa * U32)})"),
                ("refinement", f"{r.refinement}: {r.refinement_advice}" if r.refinement else None),
            ],
        )
    if r.trial is not None:
        section(
            "Trial solve (random b)",
            [
                ("backward error", _fmt(r.trial.get("backward_error"))),
                (
                    "componentwise",
                    _fmt(r.trial["componentwise_backward_error"])
                    if "componentwise_backward_error" in r.trial
                    else None,
                ),
                (
                    "forward bound",
                    _fmt(r.trial["forward_error_bound"]) if "forward_error_bound" in r.trial else None,
                ),
            ],
        )
    if r.solve is not None:
        s = r.solve
        section(
            "Certified solve",
            [
                ("method", str(s.get("method"))),
                ("path", " -> ".join(s.get("path", []))),
                ("rcond", _fmt(s.get("rcond"))),
                (
                    "backward error",
                    (
                        f"{_fmt(s.get('backward_error'))} (normwise), "
                        f"{_fmt(s.get('componentwise_backward_error'))} (componentwise)"
                    ),
                ),
                (
                    "forward bound",
                    _fmt(s.get("forward_error_bound"))
                    + (
                        f"  (>= {_fmt(s['correct_digits'], '.1f')} correct digits)"
                        if "correct_digits" in s
                        else ""
                    ),
                ),
                ("refinement", f"{s.get('refinement') or 'none'} ({s.get('refinement_steps', 0)} steps)"),
                ("residual norm", _fmt(s.get("residual_norm"))),
            ],
        )
    if r.findings:
        lines.append("")
        lines.append("Findings")
        width = max(len(f.level) for f in r.findings) + 2
        lines.extend(_wrap(f"  {'[' + f.level + ']':<{width}}  ", f.message) for f in r.findings)
    else:
        lines.append("")
        lines.append("Findings")
        lines.append("  none: nothing to worry about")
    cost_rows = [(name, f"{secs:.3g} s") for name, secs in r.timings.items()]
    cost_rows += [(name, f"skipped: {why}") for name, why in r.skipped.items()]
    section("Cost", cost_rows)
    return "\n".join(lines)
