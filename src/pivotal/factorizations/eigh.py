"""The ``Eigh`` factorization object: ``A = V diag(w) V^H`` of a Hermitian matrix, solved through the pseudo-inverse."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import backend_name, conj_transpose, is_complex, namespace, to_numpy
from ..errors import NotPositiveDefiniteError
from ..spectral import eigh
from .base import det_parts, index_array
from .cholesky import hermitian_norm1
from .pseudo import LowRank, SpectralFactorization, host_magnitudes, spectral_input, tail_errors

__all__ = ["Eigh"]


class Eigh(SpectralFactorization):
    """Eigendecomposition ``A = V @ diag(w) @ V^H`` of a Hermitian (real symmetric) matrix.

    Vendor LAPACK (``syevr``/``heevr`` through SciPy, or the ``driver``
    asked for) or ``torch.linalg.eigh`` computes it; only the triangle
    selected by ``lower`` is read.  Solves go through the pseudo-inverse
    with the cutoff of :mod:`pivotal.factorizations.pseudo`, applied to
    ``|w|`` (the singular values of a Hermitian matrix).

    Parameters
    ----------
    a : (N, N) array_like
        NumPy array or PyTorch tensor (for JAX use :func:`pivotal.eigh`).
        A tensor that requires grad keeps the factors on the graph: gradients flow through
        the methods (:mod:`pivotal.factorizations.pseudo`, "Gradients").
    lower : bool, optional
        Read the lower (default) or upper triangle.
    rtol, atol : float, optional
        The cutoff of ``solve``, ``lstsq``, ``pinv``, ``rank``, ``null_space`` and ``orth``.
    driver : str, optional
        As in :func:`pivotal.eigh` (standard drivers only).
    overwrite_a, check_finite : bool, optional

    Attributes
    ----------
    w : (N,) array
        Eigenvalues, ascending, real dtype.
    v : (N, N) array
        Orthonormal eigenvectors (columns).
    info : int
        Always 0.
    algorithm : str

    Notes
    -----
    Unpacks as ``(w, v)``.  ``det()`` is ``prod(w)`` (exactly scaled);
    ``logdet()`` is ``sum(log w)`` for a positive definite matrix and raises
    :class:`~pivotal.NotPositiveDefiniteError` otherwise.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> F = pv.Eigh(A)
    >>> bool(np.allclose(A @ F.solve(np.ones(2)), 1.0))
    True
    >>> bool(np.isclose(F.logdet(), np.log(11.0)))
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        lower: bool = True,
        rtol: float | None = None,
        atol: float = 0.0,
        driver: str | None = None,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a, source = spectral_input(self, a, "Eigh", square=True, check_finite=check_finite)
        self.rtol, self.atol = self._check_tolerances(rtol, atol)
        self.lower = bool(lower)
        self._anorm = hermitian_norm1(a, self.lower) if a.shape[0] else 0.0
        w, v = eigh(
            source,
            lower=self.lower,
            overwrite_a=overwrite_a,
            check_finite=False,
            driver=driver,
        )
        if backend_name(a) == "numpy":
            prefix = "he" if is_complex(v.dtype) else "sy"
            name = f"LAPACK {prefix}{driver or 'evr'}"
        elif driver in (None, "evd"):
            name = "torch.linalg.eigh"
        else:
            name = f"LAPACK {driver} (SciPy, on the host)"
        self._set(w, v, f"vendor ({name})")

    def _set(self, w: Any, v: Any, algorithm: str) -> None:
        self._w, self._v = w, v
        self._xp = namespace(v)
        n = int(v.shape[0])
        self.shape = (n, n)
        self.dtype = v.dtype
        self.info = 0
        self.algorithm = algorithm
        self._mags = host_magnitudes(w)
        self._fields = ("w", "v")

    def _sample(self) -> Any:
        return self._v

    @property
    def w(self) -> Any:
        """Eigenvalues ``(N,)``, ascending."""
        return self._w

    @property
    def v(self) -> Any:
        """Eigenvectors ``(N, N)`` (columns)."""
        return self._v

    def _repr_extra(self) -> str:
        return f"rank={self.rank()}, algorithm={self.algorithm!r}"

    def _kept(self, cut: float) -> np.ndarray:
        return np.nonzero(np.abs(to_numpy(self._w).astype(np.float64)) > cut)[0]

    def _pinv_apply(self, b: Any, trans: int, cut: float) -> Any:
        xp = self._xp
        idx = index_array(self._kept(cut), self._v)
        v = xp.take(self._v, idx, axis=1)
        w = xp.astype(xp.take(self._w, idx, axis=0), b.dtype)[:, None]
        if trans == 1 and is_complex(self.dtype):  # A^T = conj(A)
            vc = xp.conj(v)
            return vc @ ((v.T @ b) / w)
        return v @ ((conj_transpose(v) @ b) / w)  # A^H = A

    def _graph_spectrum(self) -> tuple[Any, Any]:
        return self._w, 1.0

    def _det_parts(self) -> tuple[np.ndarray, int]:
        return det_parts(self._w), 0

    def logdet(self) -> Any:
        """``log det A = sum(log w)`` for a positive definite ``A``.

        Raises
        ------
        NotPositiveDefiniteError
            Naming the index (in the ascending order of ``w``) of the first
            non-positive eigenvalue, with its value and the count of such.
        """
        w = to_numpy(self._w).astype(np.float64)
        bad = np.nonzero(~(w > 0))[0]
        if bad.size:
            i = int(bad[0])
            raise NotPositiveDefiniteError(
                i,
                f"logdet needs a positive definite matrix, but eigenvalue {i} (ascending) is {w[i]:.3g} "
                f"and {bad.size} of the {w.size} eigenvalues are not positive; use slogdet() for "
                "(sign, log|det|) of an indefinite matrix.",
            )
        return super().logdet()

    def orth(self, rtol: float | None = None, atol: float | None = None) -> Any:
        """Orthonormal basis of the range: the eigenvectors of the eigenvalues with ``|w| > cutoff``."""
        idx = index_array(self._kept(self.cutoff(rtol, atol)), self._v)
        return self._xp.take(self._v, idx, axis=1)

    def null_space(self, rtol: float | None = None, atol: float | None = None) -> Any:
        """Orthonormal basis of the null space: the eigenvectors of the eigenvalues with ``|w| <= cutoff``."""
        cut = self.cutoff(rtol, atol)
        small = np.nonzero(~(np.abs(to_numpy(self._w).astype(np.float64)) > cut))[0]
        return self._xp.take(self._v, index_array(small, self._v), axis=1)

    def low_rank(self, k: int) -> LowRank:
        """The best rank-``k`` approximation: the ``k`` eigenpairs of largest ``|w|`` (Eckart–Young).

        Returns
        -------
        LowRank
            ``(factorization, spectral_error, frobenius_error)``: an ``Eigh``
            holding those ``k`` pairs (ascending; ``v`` is ``N x k``), and the
            largest discarded ``|w|`` and ``sqrt(sum(w**2))`` over the discarded.

        Examples
        --------
        >>> import numpy as np, pivotal as pv
        >>> G, e2, ef = pv.Eigh(np.diag([-3.0, 1.0, 2.0])).low_rank(2)
        >>> G.w.tolist(), float(e2), float(ef)
        ([-3.0, 2.0], 1.0, 1.0)
        """
        n = self.shape[0]
        k = self._check_k(k, n)
        w = to_numpy(self._w).astype(np.float64)
        order = np.argsort(-np.abs(w), kind="stable")
        keep, drop = np.sort(order[:k]), order[k:]
        spectral, frob = tail_errors(np.abs(w[drop]))
        idx = index_array(keep, self._v)
        out = Eigh.__new__(Eigh)
        out.rtol, out.atol, out._anorm, out.lower = self.rtol, self.atol, self._anorm, self.lower
        out._set(self._xp.take(self._w, idx, axis=0), self._xp.take(self._v, idx, axis=1), self.algorithm)
        out.shape = self.shape
        out.algorithm = f"{self.algorithm}, truncated to rank {k}"
        return LowRank(out, spectral, frob)
