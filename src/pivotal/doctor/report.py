"""The records :func:`pivotal.doctor` returns: :class:`Finding` and :class:`DoctorReport`."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from .._report_values import jsonable
from ._values import LEVELS

__all__ = ["DoctorReport", "Finding"]


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

    @property
    def worst_level(self) -> str | None:
        """The most severe :attr:`Finding.level` (``"error"``, ``"warning"``, ``"info"``), ``None`` if none."""
        levels = {f.level for f in self.findings}
        return next((level for level in LEVELS if level in levels), None)

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
            out[name] = jsonable(value)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string (strict JSON: no NaN/Infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"

    def __str__(self) -> str:
        from .render import render_text

        return render_text(self)
