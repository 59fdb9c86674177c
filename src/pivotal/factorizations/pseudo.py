"""What ``SVD`` and ``Eigh`` share: solves through the pseudo-inverse, rank, conditioning, low-rank truncation.

The cutoff
----------
A singular value (for ``Eigh``: the modulus of an eigenvalue) counts as
zero when it is at most ``max(atol, rtol * sigma_max)``, with the defaults
``atol = 0`` and ``rtol = max(M, N) * eps`` (``eps`` the machine epsilon of
the factors' dtype): the default of ``numpy.linalg.pinv``,
``numpy.linalg.matrix_rank`` and ``scipy.linalg.pinv``.  A backward-stable
SVD computes the singular values of ``A + E`` with ``||E||_2`` of order
``max(M, N) eps ||A||_2``, so smaller ones are indistinguishable from zero
(Golub & Van Loan, *Matrix Computations*, 4th ed., sec. 5.4.1).  The
factorization's ``rtol``/``atol`` set it; ``lstsq``, ``pinv``, ``rank``,
``null_space`` and ``orth`` take their own.

``solve`` and ``lstsq`` return ``A^+ b`` for that cutoff: the minimum-norm
least-squares solution of the truncated problem.  ``rcond`` and ``cond``
are exact (from the spectrum) and in the 2-norm, unlike the 1-norm
estimates of the other factorizations.

Gradients
---------
Built from a PyTorch tensor that requires grad, ``SVD`` and ``Eigh`` keep
their factors on the graph (they come from :func:`pivotal.svd` /
:func:`pivotal.eigh` and their rules, finite on repeated spectra), and
``solve``, ``lstsq``, ``pinv``, ``inv``, ``det``, ``slogdet``, ``logdet``,
``low_rank``, ``orth`` and ``null_space`` are compositions of differentiable
operations on them: gradients reach ``A`` and ``b``.  The cutoff (which
singular values are kept) is a constant, as is the rank; ``rank``,
``cond``, ``rcond`` and ``singular_values`` are host floats.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .._array import apply_over_batch, is_complex, to_numpy, unit_roundoff, validate_rhs
from .._tracing import torch_needs_grad
from .base import Factorization, factor_input, normalize_trans

__all__ = ["LowRank", "SpectralFactorization", "tail_errors"]


class LowRank(NamedTuple):
    """``low_rank(k)``'s result: the truncated factorization and its Eckart–Young errors.

    ``spectral_error`` is ``||A - A_k||_2`` and ``frobenius_error`` is
    ``||A - A_k||_F`` of the best rank-``k`` approximation ``A_k`` (Eckart &
    Young 1936, Mirsky 1960): the largest discarded singular value and the
    square root of the sum of the squares of all of them.
    """

    factorization: Any
    spectral_error: float
    frobenius_error: float


def tail_errors(discarded: np.ndarray) -> tuple[float, float]:
    """``(max, sqrt(sum of squares))`` of non-negative host values, scaled so that squaring cannot overflow."""
    if discarded.size == 0:
        return 0.0, 0.0
    top = float(np.max(discarded))
    if top == 0 or not math.isfinite(top):
        return top, top
    return top, top * float(np.sqrt(np.sum((discarded / top) ** 2)))


class SpectralFactorization(Factorization):
    """Base of :class:`SVD` and :class:`Eigh`: everything written once on the magnitudes of the spectrum.

    Subclasses set ``self._mags`` (host float64 magnitudes of the singular
    values or eigenvalues, in descending order), ``rtol``/``atol``, and
    implement ``_pinv_apply(b, trans, cut)``, ``null_space``, ``orth`` and
    ``low_rank``.
    """

    _mags: np.ndarray
    rtol: float | None
    atol: float

    # ---------------------------------------------------------------- cutoff and rank
    def _check_tolerances(self, rtol: Any, atol: Any) -> tuple[float | None, float]:
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value is not None and (isinstance(value, bool) or not float(value) >= 0):
                raise ValueError(f"{name} must be a number >= 0 (or None), got {value!r}.")
        return (None if rtol is None else float(rtol)), (0.0 if atol is None else float(atol))

    def default_rtol(self) -> float:
        """``max(M, N) * eps``: NumPy's and SciPy's default relative cutoff for ``pinv`` and ``matrix_rank``."""
        return max(self.shape) * 2.0 * unit_roundoff(self.dtype)

    def cutoff(self, rtol: float | None = None, atol: float | None = None) -> float:
        """The threshold ``max(atol, rtol * sigma_max)`` at or below which a singular value counts as zero.

        ``None`` takes the factorization's own (``rtol=None`` there: :meth:`default_rtol`).
        """
        rtol, atol = self._check_tolerances(rtol, atol)
        rtol = self.rtol if rtol is None else rtol
        rtol = self.default_rtol() if rtol is None else rtol
        atol = self.atol if atol is None else atol
        top = float(self._mags[0]) if self._mags.size else 0.0
        return max(atol, rtol * top)

    def rank(self, rtol: float | None = None, atol: float | None = None) -> int:
        """Numerical rank: the number of singular values above :meth:`cutoff` (NumPy's ``matrix_rank`` rule)."""
        return int(np.count_nonzero(self._mags > self.cutoff(rtol, atol)))

    def singular_values(self) -> np.ndarray:
        """The singular values (``Eigh``: the moduli of the eigenvalues), descending, as host float64."""
        return self._mags.copy()

    # ---------------------------------------------------------------- conditioning (exact, 2-norm)
    def rcond(self) -> float:
        """Reciprocal condition number in the 2-norm, ``sigma_min / sigma_max``, exact from the spectrum.

        1 for an empty matrix and 0 for a zero one.  Defined for rectangular matrices too.
        """
        if self._mags.size == 0:
            return 1.0
        top, bottom = float(self._mags[0]), float(self._mags[-1])
        return 0.0 if top == 0 else bottom / top

    def cond(self) -> float:
        """Condition number in the 2-norm, ``sigma_max / sigma_min`` (``inf`` when singular); ``numpy.linalg.cond``'s."""
        r = self.rcond()
        return math.inf if r == 0 else 1.0 / r

    def _failure_index(self) -> int | None:
        return None  # a converged eigensolver has nothing singular to report: solves use the pseudo-inverse

    # ---------------------------------------------------------------- gradients (module notes)
    def _routes(self, *arrays: Any) -> bool:
        # The pseudo-inverse solves are compositions of differentiable operations on the factors
        # (graph nodes when A required grad) and b: no rule routes them.
        return False

    def _on_graph(self) -> bool:
        """True when the factors are graph nodes (built from a tensor that requires grad)."""
        return torch_needs_grad(self._sample())

    def _graph_spectrum(self) -> tuple[Any, Any]:  # pragma: no cover - abstract
        """``(values, phase)``: ``det A = phase * prod(values)`` with real ``values``, on the graph."""
        raise NotImplementedError

    def slogdet(self) -> tuple[Any, Any]:
        """Sign and natural log of ``|det A|`` (see :meth:`Factorization.slogdet`); on the graph with the factors."""
        if not self._on_graph():
            return super().slogdet()
        self._require_square("the determinant")
        xp = self._xp
        values, phase = self._graph_spectrum()
        sign = phase * xp.astype(xp.prod(xp.sign(values)), self.dtype)
        return sign, xp.sum(xp.log(xp.abs(values)))

    def det(self) -> Any:
        """The determinant (see :meth:`Factorization.det`); on the graph with the factors."""
        if not self._on_graph():
            return super().det()
        self._require_square("the determinant")
        xp = self._xp
        values, phase = self._graph_spectrum()
        return phase * xp.astype(xp.prod(values), self.dtype)

    # ---------------------------------------------------------------- solving through the pseudo-inverse
    def _pinv_apply(self, b: Any, trans: int, cut: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _solve_core(self, b: Any, trans: int) -> Any:
        return self._pinv_apply(b, trans, self.cutoff())

    def solve(self, b: Any, trans: Any = False, *, check_finite: bool = True) -> Any:
        """``A^+ b`` for a square ``A`` (``op(A)^+ b`` with ``trans``), with the factorization's cutoff.

        Equal to ``A^{-1} b`` when no singular value is cut; otherwise the
        minimum-norm least-squares solution.  Warns
        :class:`~pivotal.IllConditionedWarning` (once) when ``rcond() < eps``.
        For rectangular matrices use :meth:`lstsq`.
        """
        return super().solve(b, trans, check_finite=check_finite)

    def lstsq(
        self,
        b: Any,
        trans: Any = False,
        *,
        rtol: float | None = None,
        atol: float | None = None,
        check_finite: bool = True,
    ) -> Any:
        """Minimum-norm least-squares solution ``x = op(A)^+ b`` (any shape), cutting at :meth:`cutoff`.

        Parameters
        ----------
        b : (M,) or (..., M, K) array
            ``M`` rows (``N`` with ``trans``), same backend as the factors.
        trans : {False, True, 0, 1, 2, 'N', 'T', 'C'}, optional
            Solve with ``A``, ``A^T`` or ``A^H``.
        rtol, atol : float, optional
            Override the cutoff (see :mod:`pivotal.factorizations.pseudo`).
        check_finite : bool, optional

        Returns
        -------
        x : (N,) or (..., N, K) array
        """
        t = normalize_trans(trans)
        cut = self.cutoff(rtol, atol)
        m, n = self.shape
        rows, cols = (m, n) if t == 0 else (n, m)
        b = validate_rhs(b, rows, check_finite=check_finite, differentiable=True)  # a composition
        self._check_backend(b)
        xp = self._xp
        dtype = self._result_dtype(b)
        vector = len(b.shape) == 1
        b2 = xp.reshape(b, (rows, 1)) if vector else b
        core = lambda bb, tt: self._pinv_apply(bb, tt, cut)  # noqa: E731
        x = apply_over_batch(lambda bb: self._solve_2d_rect(bb, t, dtype, core, cols), [(b2, 2)])
        return xp.reshape(x, (cols,)) if vector else x

    def _solve_2d_rect(self, b: Any, trans: int, dtype: Any, core, cols: int) -> Any:
        if b.shape[1] == 0 or b.shape[0] == 0 or cols == 0:
            import array_api_compat

            return self._xp.zeros((cols, b.shape[1]), dtype=dtype, device=array_api_compat.device(b))
        return self._solve_2d(b, trans, dtype, core)

    def pinv(self, rtol: float | None = None, atol: float | None = None) -> Any:
        """The pseudo-inverse ``A^+`` (``(N, M)``), singular values at or below :meth:`cutoff` dropped."""
        import array_api_compat

        m = self.shape[0]
        eye = self._xp.eye(m, dtype=self.dtype, device=array_api_compat.device(self._sample()))
        return self.lstsq(eye, rtol=rtol, atol=atol, check_finite=False)

    # ---------------------------------------------------------------- helpers for subclasses
    def _check_k(self, k: Any, limit: int) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= limit:
            raise ValueError(f"k must be an integer with 0 <= k <= {limit}, got {k!r}.")
        return int(k)


def spectral_input(obj: Any, a: Any, owner: str, *, square: bool, check_finite: bool) -> tuple[Any, Any]:
    """``(values, source)`` for ``SVD``/``Eigh``: the validated matrix without a graph (host-side norms),
    and the matrix to decompose, the tensor itself when it requires grad (the factors become graph nodes).
    """
    hint = f"for JAX arrays use pivotal.{owner.lower()}."
    a = factor_input(a, owner, square=square, check_finite=check_finite, jax_hint=hint, obj=obj)
    graph = obj.__dict__.pop("_graph", None)  # remembered by factor_input; this object keeps no graph node
    return a, (a if graph is None else graph)


def host_magnitudes(values: Any) -> np.ndarray:
    """Host float64 ``|values|`` sorted in descending order."""
    mags = np.abs(
        np.asarray(to_numpy(values), dtype=np.complex128 if is_complex(values.dtype) else np.float64)
    )
    return np.sort(mags.astype(np.float64))[::-1].copy()
