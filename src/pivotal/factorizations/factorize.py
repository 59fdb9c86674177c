"""``factorize``: the decision table that picks a factorization from the matrix's structure."""

from __future__ import annotations

from typing import Any, NamedTuple

from .._array import (
    backend_name,
    is_complex,
    is_scipy_sparse,
    unit_roundoff,
    validate_matrix,
    working_dtype,
)
from ..structure import StructureInfo, detect_structure
from .banded import Banded
from .base import Factorization
from .cholesky import Cholesky
from .eigh import Eigh
from .ldl import LDL
from .lu import LU
from .qr import QR, QRPivoted
from .svd import SVD
from .triangular import Diagonal, Triangular

__all__ = ["ASSUME", "Selection", "factorize", "select_factorization"]

ASSUME = (
    "auto",
    "general",
    "symmetric",
    "hermitian",
    "positive definite",
    "triangular",
    "diagonal",
    "banded",
    "svd",
    "eigh",
)


class Selection(NamedTuple):
    """The factorization :func:`factorize` would build, and why."""

    factorization: str
    reasons: list[str]


def _square_choice(s: StructureInfo, backend: str, cplx: bool) -> Selection:
    reasons = [", ".join(s.tags())]
    if s.diagonal:
        return Selection("Diagonal", reasons + ["diagonal: divide"])
    if s.upper_triangular or s.lower_triangular:
        side = "upper" if s.upper_triangular else "lower"
        return Selection("Triangular", reasons + [f"{side} triangular: substitution"])
    herm = s.hermitian if cplx else s.symmetric
    if herm and s.positive_diagonal:
        kind = "hermitian" if cplx else "symmetric"
        return Selection(
            "Cholesky", reasons + [f"{kind} with positive diagonal: try cholesky, ldl if it fails"]
        )
    if herm:
        return Selection("LDL", reasons + ["symmetric indefinite: ldl (bunch-kaufman)"])
    if s.symmetric and cplx:
        return Selection("LDL", reasons + ["complex symmetric: ldl (bunch-kaufman, A = L D L^T)"])
    if s.permuted_triangular:
        return Selection(
            "Triangular",
            reasons + [f"row-permuted {s.permuted_triangular} triangular: permute, then substitution"],
        )
    if s.bidiagonal or s.tridiagonal or s.banded:
        if backend == "numpy":
            return Selection(
                "Banded", reasons + [f"banded (kl={s.lower_bandwidth}, ku={s.upper_bandwidth}): lapack gbtrf"]
            )
        return Selection("LU", reasons + ["banded, but torch has no banded LAPACK: lu (partial pivoting)"])
    return Selection("LU", reasons + ["general square: lu (partial pivoting)"])


def select_factorization(a: Any, *, assume: str = "auto") -> Selection:
    """The factorization :func:`factorize` would choose for ``a``, without computing it.

    Parameters
    ----------
    a : (M, N) array_like
    assume : str, optional
        See :func:`factorize`.

    Returns
    -------
    Selection
        ``(factorization, reasons)``.  For a symmetric matrix with a positive
        diagonal this is ``"Cholesky"``; whether it falls back to ``LDL`` is
        known only after trying (``factorize(...).path`` records it).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> pv.select_factorization(np.array([[2.0, 1.0], [1.0, 2.0]])).factorization
    'Cholesky'
    >>> pv.select_factorization(np.ones((5, 3))).reasons
    ['rectangular', 'rectangular 5x3: qr, qrcp if R is rank deficient']
    """
    if assume not in ASSUME:
        raise ValueError(f"assume={assume!r} is not one of {ASSUME}.")
    a = validate_matrix(a, check_finite=False, batch=False)
    m, n = a.shape
    if assume == "svd":
        return Selection(
            "SVD", ["assume='svd': singular value decomposition, solves through the pseudo-inverse"]
        )
    if m != n:
        if assume not in ("auto", "general"):
            raise ValueError(f"assume={assume!r} needs a square matrix, got {m}x{n}.")
        return Selection("QR", ["rectangular", f"rectangular {m}x{n}: qr, qrcp if R is rank deficient"])
    explicit = {
        "general": ("LU", "assume='general': lu (partial pivoting)"),
        "symmetric": ("LDL", "assume='symmetric': ldl (bunch-kaufman)"),
        "hermitian": ("LDL", "assume='hermitian': ldl (bunch-kaufman)"),
        "positive definite": ("Cholesky", "assume='positive definite': cholesky"),
        "triangular": ("Triangular", "assume='triangular': substitution"),
        "diagonal": ("Diagonal", "assume='diagonal': divide"),
        "banded": ("Banded", "assume='banded': lapack gbtrf"),
        "eigh": ("Eigh", "assume='eigh': hermitian eigendecomposition, solves through the pseudo-inverse"),
    }
    if assume == "banded" and backend_name(a) != "numpy":
        return Selection(
            "LU", ["assume='banded', but only NumPy has LAPACK's band routines: lu (partial pivoting)"]
        )
    if assume in explicit:
        name, why = explicit[assume]
        return Selection(name, [why])
    return _square_choice(detect_structure(a), backend_name(a), is_complex(working_dtype(a)))


def factorize(
    a: Any, *, assume: str = "auto", check: bool = True, check_finite: bool = True
) -> Factorization:
    """Factor ``a`` with the factorization its structure calls for.

    Under ``assume="auto"`` one pass (:func:`pivotal.detect_structure`) finds:

    ========================================= =====================================
    structure                                 factorization
    ========================================= =====================================
    diagonal                                  :class:`Diagonal`
    upper / lower triangular                  :class:`Triangular`
    symmetric/Hermitian, positive diagonal    :class:`Cholesky`, on failure :class:`LDL`
    symmetric/Hermitian otherwise             :class:`LDL` (Bunch-Kaufman)
    bi-/tridiagonal or banded (NumPy)         :class:`Banded` (LAPACK ``gbtrf``)
    other square                              :class:`LU` (partial pivoting)
    rectangular                               :class:`QR`, or :class:`QRPivoted` when
                                              ``R`` is numerically rank deficient
    ========================================= =====================================

    The spectral factorizations are never chosen automatically (they cost
    several times an LU or QR); ask for them with ``assume="svd"`` (any
    shape: :class:`SVD`) or ``assume="eigh"`` (Hermitian: :class:`Eigh`,
    reading the lower triangle).  Both solve through the pseudo-inverse,
    so they suit singular and rank-deficient matrices.

    Parameters
    ----------
    a : (M, N) array_like
        NumPy array or PyTorch tensor.
    assume : {"auto", "general", "symmetric", "hermitian", "positive definite", "triangular", "diagonal", \
"banded", "svd", "eigh"}
        Skip detection and use the named structure (or, for ``"svd"`` and
        ``"eigh"``, the named spectral factorization).
    check : bool, optional
        Raise on numerical failure (singular, not positive definite); with
        False return the unsuccessful factorization.
    check_finite : bool, optional

    Returns
    -------
    Factorization
        With ``.path``: every step taken and why, e.g.
        ``['symmetric, positive diagonal', '... try cholesky ...',
        'cholesky failed at column 17', 'ldl (bunch-kaufman)']``.

    Raises
    ------
    SingularMatrixError, NotPositiveDefiniteError
        With ``check`` (index attached); an all-zero matrix raises, it never
        yields inf/NaN.
    ValueError
        NaN/Inf (with ``check_finite``) or a bad ``assume``.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 2.0], [2.0, 1.0]])
    >>> F = pv.factorize(A)
    >>> type(F).__name__, F.path[-2:]
    ('LDL', ['cholesky failed at column 1', 'ldl (bunch-kaufman)'])
    >>> bool(np.allclose(A @ F.solve(np.ones(2)), 1.0))
    True
    """
    if is_scipy_sparse(a):
        from ..sparse.routes import factorize as sparse_factorize

        return sparse_factorize(a, assume=assume, check=check, check_finite=check_finite)
    a = validate_matrix(a, check_finite=check_finite, batch=False)
    sel = select_factorization(a, assume=assume)
    path = list(sel.reasons)
    cplx = is_complex(working_dtype(a))
    name = sel.factorization
    if name == "QR":
        F = QR(a, check_finite=False)
        m, n = a.shape
        rc = F.rcond()
        if rc < max(m, n) * 2 * unit_roundoff(working_dtype(a)):
            path.append(f"R numerically rank deficient (rcond={rc:.2g}): qrcp")
            F = QRPivoted(a, check_finite=False)
            path.append(f"qrcp rank {F.rank}")
        else:
            path.append(f"qr ({F.algorithm})")
    elif name == "Cholesky":
        F = Cholesky(a, lower=True, check=False, check_finite=False)
        if F.issuccess():
            path.append(f"cholesky ({F.algorithm})")
        elif assume == "positive definite":
            if check:
                F._raise_if_failed("factor the matrix")
            path.append(f"cholesky failed at column {F.info - 1}")
        else:
            path.append(f"cholesky failed at column {F.info - 1}")
            F = LDL(a, hermitian=True, check=check, check_finite=False)
            path.append("ldl (bunch-kaufman)")
    elif name == "LDL":
        hermitian = assume != "symmetric" and (not cplx or detect_structure(a).hermitian)
        F = LDL(a, hermitian=hermitian, check=check, check_finite=False)
        path.append(f"ldl ({F.algorithm})")
    elif name == "Triangular":
        F = Triangular(a, check=check, check_finite=False)
    elif name == "Diagonal":
        F = Diagonal(a, check=check, check_finite=False)
    elif name == "Banded":
        F = Banded(a, check=check, check_finite=False)
    elif name == "SVD":
        F = SVD(a, check_finite=False)
        path.append(f"svd ({F.algorithm}), numerical rank {F.rank()} of {min(F.shape)}")
    elif name == "Eigh":
        F = Eigh(a, check_finite=False)
        path.append(f"eigh ({F.algorithm}), numerical rank {F.rank()} of {F.shape[0]}")
    else:
        F = LU(a, check=check, check_finite=False)
        path.append(f"lu ({F.algorithm})")
    if check and F.shape[0] == F.shape[1] and not F.issuccess():
        F._raise_if_failed("factor the matrix")
    F.path = path
    return F
