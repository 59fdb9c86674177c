"""The ``SVD`` factorization object: ``A = U diag(s) Vh``, solved through the pseudo-inverse."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import backend_name, conj_transpose, is_complex, namespace, to_numpy
from ..spectral import svd
from .base import dense_norm1, det_parts
from .pseudo import LowRank, SpectralFactorization, host_magnitudes, spectral_input, tail_errors

__all__ = ["SVD"]


class SVD(SpectralFactorization):
    """Singular value decomposition ``A = U @ diag(s) @ Vh`` of an ``M x N`` matrix (thin factors).

    Vendor LAPACK (``gesdd``/``gesvd`` through SciPy) or ``torch.linalg.svd``
    computes it.  Solves go through the pseudo-inverse with the cutoff of
    :mod:`pivotal.factorizations.pseudo`: singular values at or below
    ``max(atol, rtol * s[0])``, ``rtol = max(M, N) eps`` by default (NumPy's
    and SciPy's ``pinv``), count as zero.

    Parameters
    ----------
    a : (M, N) array_like
        NumPy array or PyTorch tensor (for JAX use :func:`pivotal.svd`).
        A tensor that requires grad keeps the factors on the graph: gradients flow through
        the methods (:mod:`pivotal.factorizations.pseudo`, "Gradients").
    rtol, atol : float, optional
        The cutoff of ``solve``, ``lstsq``, ``pinv``, ``rank``, ``null_space`` and ``orth``.
    lapack_driver : {"gesdd", "gesvd"}, optional
        As in :func:`pivotal.svd`.
    overwrite_a, check_finite : bool, optional

    Attributes
    ----------
    U : (M, K) array
    s : (K,) array
        Singular values, descending, of the real dtype (``K = min(M, N)``).
    Vh : (K, N) array
    info : int
        Always 0 (a non-converging SVD raises ``LinAlgError``).
    algorithm : str

    Notes
    -----
    Unpacks as ``(U, s, Vh)``.  ``rcond()`` and ``cond()`` are exact and in
    the 2-norm (``s[-1] / s[0]``); ``det()`` is ``prod(s)`` times the
    determinants (of modulus one) of ``U`` and ``Vh``.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])      # rank 1
    >>> F = pv.SVD(A)
    >>> F.rank(), bool(np.allclose(F.pinv(), np.linalg.pinv(A)))
    (1, True)
    >>> b = np.array([1.0, 2.0, 3.0])
    >>> bool(np.allclose(F.lstsq(b), np.linalg.lstsq(A, b, rcond=None)[0]))
    True
    >>> approx = F.low_rank(1)
    >>> approx.spectral_error < 1e-14
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        rtol: float | None = None,
        atol: float = 0.0,
        lapack_driver: str = "gesdd",
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a, source = spectral_input(self, a, "SVD", square=False, check_finite=check_finite)
        self.rtol, self.atol = self._check_tolerances(rtol, atol)
        self._anorm = dense_norm1(a)
        u, s, vh = svd(
            source,
            full_matrices=False,
            overwrite_a=overwrite_a,
            check_finite=False,
            lapack_driver=lapack_driver,
        )
        name = "LAPACK " + lapack_driver if backend_name(a) == "numpy" else "torch.linalg.svd"
        if backend_name(a) == "torch" and lapack_driver == "gesvd" and a.device.type == "cpu":
            name = "LAPACK gesvd (SciPy, on the host)"
        self._set(u, s, vh, (int(a.shape[0]), int(a.shape[1])), f"vendor ({name})")

    def _set(self, u: Any, s: Any, vh: Any, shape: tuple[int, int], algorithm: str) -> None:
        self._U, self._s, self._Vh = u, s, vh
        self._xp = namespace(u)
        self.shape = shape
        self.dtype = u.dtype
        self.info = 0
        self.algorithm = algorithm
        self._mags = host_magnitudes(s)
        self._fields = ("U", "s", "Vh")

    @classmethod
    def _from_factors(cls, u, s, vh, like: SVD, algorithm: str) -> SVD:
        out = cls.__new__(cls)
        out.rtol, out.atol, out._anorm = like.rtol, like.atol, like._anorm
        out._set(u, s, vh, like.shape, algorithm)
        return out

    def _sample(self) -> Any:
        return self._U

    @property
    def U(self) -> Any:
        """Left singular vectors ``(M, K)`` (columns)."""
        return self._U

    @property
    def s(self) -> Any:
        """Singular values ``(K,)``, descending."""
        return self._s

    @property
    def Vh(self) -> Any:
        """Right singular vectors ``(K, N)`` (rows)."""
        return self._Vh

    @property
    def V(self) -> Any:
        """``Vh^H``, ``(N, K)``."""
        return conj_transpose(self._Vh)

    def _repr_extra(self) -> str:
        return f"rank={self.rank()}, algorithm={self.algorithm!r}"

    def _pinv_apply(self, b: Any, trans: int, cut: float) -> Any:
        xp = self._xp
        r = int(np.count_nonzero(self._mags > cut))
        u, s, vh = self._U[:, :r], self._s[:r], self._Vh[:r, :]
        s = xp.astype(s, b.dtype)[:, None]
        if trans == 0:  # A^+ = V S^+ U^H
            return conj_transpose(vh) @ ((conj_transpose(u) @ b) / s)
        if trans == 1:  # (A^T)^+ = conj(U) S^+ conj(Vh)
            if is_complex(self.dtype):
                return xp.conj(u) @ ((xp.conj(vh) @ b) / s)
            return u @ ((vh @ b) / s)
        return u @ ((vh @ b) / s)  # (A^H)^+ = U S^+ Vh

    def _graph_spectrum(self) -> tuple[Any, Any]:
        xp = self._xp
        return self._s, xp.linalg.det(self._U) * xp.linalg.det(self._Vh)  # phases of modulus one

    def _det_parts(self) -> tuple[np.ndarray, int]:
        # det A = det(U) prod(s) det(Vh); det(U), det(Vh) have modulus one (their phases, from LU).
        phase = 1.0
        for q in (self._U, self._Vh):
            sign, _ = np.linalg.slogdet(
                np.asarray(to_numpy(q), dtype=np.complex128 if is_complex(q.dtype) else np.float64)
            )
            phase = phase * sign
        return det_parts(self._s, sign=phase.item() if hasattr(phase, "item") else phase), 0

    def orth(self, rtol: float | None = None, atol: float | None = None) -> Any:
        """Orthonormal basis of the range of ``A``: the first ``rank`` columns of ``U``."""
        return self._U[:, : self.rank(rtol, atol)]

    def null_space(self, rtol: float | None = None, atol: float | None = None) -> Any:
        """Orthonormal basis ``(N, N - rank)`` of the null space of ``A``.

        The rows of ``Vh`` beyond the rank, completed (when ``M < N``, where
        the thin ``Vh`` has only ``M`` rows) by the complete QR
        factorization of the first ``rank`` rows' conjugate transpose.
        """
        r = self.rank(rtol, atol)
        n = self.shape[1]
        if self._Vh.shape[0] == n:
            return conj_transpose(self._Vh[r:, :])
        q, _ = self._xp.linalg.qr(conj_transpose(self._Vh[:r, :]), mode="complete")
        return q[:, r:]

    def low_rank(self, k: int) -> LowRank:
        """The best rank-``k`` approximation (Eckart–Young): the first ``k`` singular triplets.

        Returns
        -------
        LowRank
            ``(factorization, spectral_error, frobenius_error)``: an ``SVD``
            of ``U[:, :k] diag(s[:k]) Vh[:k]`` (same shape as ``A``), and
            ``||A - A_k||_2 = s[k]`` and ``||A - A_k||_F = sqrt(sum(s[k:]**2))``
            (as host floats, 0 when ``k = min(M, N)``).

        Examples
        --------
        >>> import numpy as np, pivotal as pv
        >>> F = pv.SVD(np.diag([3.0, 2.0, 1.0]))
        >>> G, e2, ef = F.low_rank(1)
        >>> float(e2), bool(np.isclose(ef, np.sqrt(5.0))), G.rank()
        (2.0, True, 1)
        """
        k = self._check_k(k, min(self.shape))
        spectral, frob = tail_errors(self._mags[k:])
        trunc = self._from_factors(
            self._U[:, :k], self._s[:k], self._Vh[:k, :], self, f"{self.algorithm}, truncated to rank {k}"
        )
        return LowRank(trunc, spectral, frob)
