"""Gram-Schmidt QR: classical (CGS), modified (MGS) and CGS with reorthogonalization (CGS2).

Each algorithm orthonormalizes the columns of an ``(m, n)`` matrix ``A``
(``m >= n``) one at a time and returns the economic factors ``A = Q R``
with ``Q`` ``(m, n)`` and ``R`` ``(n, n)`` upper triangular, ``diag(R) >= 0``
(real).  They are column-oriented (BLAS-1/BLAS-2), so they exist for
teaching, for comparing stability, and as the orthogonalization step of
Krylov methods (Arnoldi, GMRES), which build the basis one vector at a
time.  For a QR factorization of a given matrix use Householder QR, TSQR or
CholeskyQR2.

Stability in floating point (``u`` the unit roundoff; Björck 1967,
Giraud-Langou-Rozložník 2005)
------------------------------------------------------------------------

========  ======================  =====================================
method    ``||A - QR||``          ``||I - Q^H Q||``
========  ======================  =====================================
CGS       ``O(u) ||A||``          ``O(u) cond(A)^2`` (only while
                                  ``cond(A)^2 u < 1``; worse beyond)
MGS       ``O(u) ||A||``          ``O(u) cond(A)``
CGS2      ``O(u) ||A||``          ``O(u)`` provided ``cond(A) u < 1``
========  ======================  =====================================

CGS computes all the projections of a column from the original vector, so
rounding errors in earlier directions are never removed; MGS projects the
partly updated vector, which damps them to ``O(u cond(A))``; CGS2 simply
projects twice ("twice is enough"): the second pass removes what the first
left, and the result is orthogonal to working precision.  CGS and CGS2 are
matrix-vector products (one and two ``Q^H v`` per column), MGS a sequence of
dot products and vector updates.

Dependent columns
-----------------
Column ``j`` is treated as linearly dependent on the columns before it when
its projected remainder ``w`` satisfies ``||w||_2 <= max(m, n) u ||a_j||_2``
(this includes zero columns): each projection is an inner product of
length ``m`` whose rounding error is bounded by about ``m u ||a_j||``, so
below that size ``w`` consists of rounding errors and carries no
information about ``A`` (the threshold is NumPy's ``matrix_rank``
convention).  Then ``R[j, j] = 0`` (the remainder is dropped, a backward
error of at most ``max(m, n) u ||a_j||``) and
``Q[:, j]`` is still a unit vector orthogonal to the previous columns: the
standard basis vector ``e_i`` with the smallest component in the span so
far, orthogonalized twice and normalized.  So, as with Householder QR,
``Q`` always has orthonormal columns (up to the method's own loss of
orthogonality), ``A = Q R`` holds, and an exactly zero diagonal entry of
``R`` reports the dependency.  Nothing is raised; check ``diag(R)`` (or
use QR with column pivoting) when the rank matters.

References
----------
Å. Björck, "Solving linear least squares problems by Gram-Schmidt
orthogonalization", BIT 7, 1-21, 1967.

L. Giraud, J. Langou and M. Rozložník, "The loss of orthogonality in the
Gram-Schmidt orthogonalization process", Comput. Math. Appl. 50(7),
1069-1075, 2005.

L. Giraud, J. Langou, M. Rozložník and J. van den Eshof, "Rounding error
analysis of the classical Gram-Schmidt orthogonalization process", Numer.
Math. 101, 87-100, 2005.

N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
SIAM, 2002, sec. 19.8.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from .._array import backend_name, namespace, to_float, unit_roundoff
from .tsqr import _tall_input

__all__ = ["cgs", "cgs2", "mgs"]


#: Docstring sections the three algorithms share, by placeholder (filled by :func:`_shared_doc`).
_DOC_FRAGMENTS = {
    "{PARAMETERS}": """Parameters
    ----------
    a : (m, n) array
        NumPy array or PyTorch tensor, real or complex, ``m >= n``.  Not
        modified.  Integer and half-precision input is computed in the
        working dtype (float64 / float32).
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).""",
    "{R_AND_RAISES}": """R : (n, n) array
        Upper triangular, real non-negative diagonal; ``R[j, j] == 0``
        marks a dependent column (see the module notes).

    Raises
    ------
    ValueError
        Not 2-D, ``m < n``, or non-finite entries with ``check_finite``.""",
}


def _shared_doc(func):
    """Fill the placeholders of :data:`_DOC_FRAGMENTS` in ``func``'s docstring."""
    for key, text in _DOC_FRAGMENTS.items():
        func.__doc__ = func.__doc__.replace(key, text)
    return func


def _column_major_copy(a: Any) -> Any:
    """A fresh copy of ``a`` whose columns are contiguous (both backends)."""
    if backend_name(a) == "torch":
        return a.clone() if a.mT.is_contiguous() else a.mT.contiguous().mT
    import numpy as np

    return np.array(a, order="F", copy=True)


def _setup(a: Any, func: str, check_finite: bool):
    a = _tall_input(a, func, check_finite)
    xp = namespace(a)
    n = int(a.shape[1])
    dev = array_api_compat.device(a)
    work = _column_major_copy(a)
    r = xp.zeros((n, n), dtype=a.dtype, device=dev)
    # Threshold below which a projected column counts as dependent: the
    # rounding error of length-m inner products (see "Dependent columns").
    colnorms = _norm2(work, xp, axis=0) if n else None
    tol = max(int(a.shape[0]), n) * unit_roundoff(a.dtype)
    return xp, work, r, colnorms, tol, n


def _norm2(x: Any, xp, axis: int | None = None) -> Any:
    """2-norm(s) scaled by the largest magnitude, as LAPACK's ``xNRM2``: no overflow or underflow.

    ``vector_norm`` squares the entries, so columns of size 1e+-160 (or
    subnormal) would give ``inf`` or 0 and be taken as dependent.
    """
    peak = xp.max(xp.abs(x), axis=axis, keepdims=True)
    safe = xp.where((peak > 0) & (peak < float("inf")), peak, xp.ones_like(peak))
    norms = xp.linalg.vector_norm(x / safe, axis=axis, keepdims=True) * safe
    return xp.reshape(norms, (-1,)) if axis is not None else xp.reshape(norms, ())


def _herm(x: Any, xp) -> Any:
    """Conjugate transpose (for 1-D input, the conjugate)."""
    if xp.isdtype(x.dtype, "complex floating"):
        x = xp.conj(x)
    return x.T if len(x.shape) == 2 else x


def _completion(q: Any, j: int, xp) -> Any:
    """A unit vector orthogonal to ``q[:, :j]`` (requires ``j < m``).

    Starts from ``e_i`` with ``i`` the row of ``q[:, :j]`` of smallest norm,
    whose remainder has squared norm ``>= 1 - j/m``; two projections
    (CGS2) make it orthogonal to working precision.
    """
    m = int(q.shape[0])
    qj = q[:, :j]
    i = int(xp.argmin(xp.sum(xp.abs(qj) ** 2, axis=1))) if j else 0
    v = xp.zeros((m,), dtype=q.dtype, device=array_api_compat.device(q))
    v[i] = 1
    for _ in range(2):
        if j:
            v = v - qj @ (_herm(qj, xp) @ v)
    return v / xp.linalg.vector_norm(v)


def _finish_column(w: Any, j: int, q: Any, r: Any, colnorms: Any, tol: float, xp) -> None:
    """Normalize the remainder ``w`` into ``q[:, j]`` and ``r[j, j]`` (or handle dependency)."""
    nrm = _norm2(w, xp)
    if to_float(nrm) <= tol * to_float(colnorms[j]):
        r[j, j] = 0
        q[:, j] = _completion(q, j, xp)
    else:
        r[j, j] = nrm
        q[:, j] = w / nrm


def _classical(a: Any, func: str, check_finite: bool, passes: int) -> tuple[Any, Any]:
    """Classical Gram-Schmidt with ``passes`` projections per column (CGS: 1, CGS2: 2).

    Each pass computes ``s = Q_j^H w`` from the current remainder and
    subtracts ``Q_j s``; ``R[:j, j]`` is the sum of the passes' ``s``.
    """
    xp, q, r, colnorms, tol, n = _setup(a, func, check_finite)
    for j in range(n):
        w = q[:, j]
        if j:
            qj = q[:, :j]
            qh = _herm(qj, xp)
            total = None
            for _ in range(passes):
                s = qh @ w
                w = w - qj @ s
                total = s if total is None else total + s
            r[:j, j] = total
        _finish_column(w, j, q, r, colnorms, tol, xp)
    return q, r


@_shared_doc
def cgs(a: Any, *, check_finite: bool = True) -> tuple[Any, Any]:
    """Classical Gram-Schmidt QR, ``A = Q R``.

    For each column, all projections onto the previous ``q_i`` are computed
    from the original column at once: ``r = Q_j^H a_j``,
    ``w = a_j - Q_j r``, ``q_j = w / ||w||``.

    {PARAMETERS}

    Returns
    -------
    Q : (m, n) array
        Columns of unit norm; orthogonal only to ``O(u cond(A)^2)``.
    {R_AND_RAISES}

    See Also
    --------
    cgs2 : the same with one reorthogonalization, orthogonal to ``O(u)``.
    mgs : modified Gram-Schmidt.

    References
    ----------
    .. [1] Å. Björck, "Numerics of Gram-Schmidt orthogonalization", Linear
       Algebra Appl. 197-198, 297-316, 1994.
    .. [2] L. Giraud, J. Langou, M. Rozložník and J. van den Eshof, "Rounding
       error analysis of the classical Gram-Schmidt orthogonalization
       process", Numer. Math. 101, 87-100, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.gram_schmidt import cgs
    >>> A = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 2.0]])
    >>> Q, R = cgs(A)
    >>> bool(np.allclose(Q @ R, A)), bool(np.allclose(Q.T @ Q, np.eye(2)))
    (True, True)
    >>> float(R[0, 0])
    5.0
    """
    return _classical(a, "cgs", check_finite, passes=1)


@_shared_doc
def mgs(a: Any, *, check_finite: bool = True) -> tuple[Any, Any]:
    """Modified Gram-Schmidt QR, ``A = Q R``.

    As soon as ``q_j`` is known it is projected out of all the remaining
    columns (``r_jk = q_j^H a_k``, ``a_k -= q_j r_jk``), so every later
    projection sees the partly orthogonalized vector.  This right-looking
    ordering performs exactly the same floating-point operations as the
    column-by-column (left-looking) MGS, one vectorized rank-1 update per
    column.

    {PARAMETERS}

    Returns
    -------
    Q : (m, n) array
        Columns of unit norm, orthogonal to ``O(u cond(A))`` (Björck 1967).
    {R_AND_RAISES}

    Notes
    -----
    MGS is backward stable for least squares when used with the augmented
    matrix ``[A, b]`` (Björck and Paige 1992), even though ``Q`` itself
    loses orthogonality in proportion to ``cond(A)``.

    References
    ----------
    .. [1] Å. Björck, "Solving linear least squares problems by Gram-Schmidt
       orthogonalization", BIT 7, 1-21, 1967.
    .. [2] Å. Björck and C. C. Paige, "Loss and recapture of orthogonality in
       the modified Gram-Schmidt algorithm", SIAM J. Matrix Anal. Appl.
       13(1), 176-190, 1992.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.gram_schmidt import mgs
    >>> A = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    >>> Q, R = mgs(A)
    >>> bool(np.allclose(Q @ R, A)), bool(np.allclose(Q.T @ Q, np.eye(3)))
    (True, True)
    """
    xp, q, r, colnorms, tol, n = _setup(a, "mgs", check_finite)
    for j in range(n):
        _finish_column(q[:, j], j, q, r, colnorms, tol, xp)
        if j + 1 < n:
            qcol = q[:, j]
            rest = q[:, j + 1 :]
            s = _herm(qcol, xp) @ rest
            r[j, j + 1 :] = s
            q[:, j + 1 :] = rest - qcol[:, None] * s[None, :]
    return q, r


@_shared_doc
def cgs2(a: Any, *, check_finite: bool = True) -> tuple[Any, Any]:
    """Classical Gram-Schmidt with one full reorthogonalization (CGS2), ``A = Q R``.

    Each column is projected twice: ``s1 = Q_j^H a_j``, ``w = a_j - Q_j s1``,
    ``s2 = Q_j^H w``, ``w -= Q_j s2``, and ``R[:j, j] = s1 + s2``.

    {PARAMETERS}

    Returns
    -------
    Q : (m, n) array
        Orthonormal to ``O(u)`` whenever ``cond(A) u < 1`` ("twice is
        enough"; Giraud, Langou, Rozložník and van den Eshof 2005).
    {R_AND_RAISES}

    References
    ----------
    .. [1] L. Giraud, J. Langou and M. Rozložník, "The loss of orthogonality
       in the Gram-Schmidt orthogonalization process", Comput. Math. Appl.
       50(7), 1069-1075, 2005.
    .. [2] L. Giraud, J. Langou, M. Rozložník and J. van den Eshof, "Rounding
       error analysis of the classical Gram-Schmidt orthogonalization
       process", Numer. Math. 101, 87-100, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.kernels.gram_schmidt import cgs2
    >>> A = gallery.randsvd(10, 1e10, m=40, random_state=0)
    >>> Q, R = cgs2(A)
    >>> u = 2.0**-53  # LAPACK-style ratios: ||I - Q^T Q|| / (m u) and ||A - QR|| / (m ||A|| u) < 30
    >>> bool(np.linalg.norm(np.eye(10) - Q.T @ Q) < 30 * 40 * u)
    True
    >>> bool(np.linalg.norm(A - Q @ R) < 30 * 40 * np.linalg.norm(A) * u)
    True
    """
    return _classical(a, "cgs2", check_finite, passes=2)
