"""pivotal: numerically sound matrix decompositions.

Factor once, solve many times, and know the error of every answer.  The
SciPy-compatible functions (``lu``, ``lu_factor``, ``lu_solve``,
``cholesky``, ``cho_factor``, ``cho_solve``, ``ldl``, ``solve_triangular``)
accept NumPy arrays, PyTorch tensors and JAX arrays; the factorization
objects (``LU``, ``Cholesky``, ``LDL``, ``PivotedCholesky``) add
determinants, condition estimates and reusable solves.
"""

from . import gallery
from .decompositions import (
    cho_factor,
    cho_solve,
    cholesky,
    ldl,
    lu,
    lu_factor,
    lu_solve,
    solve_triangular,
)
from .diagnostics import growth_factor
from .errors import (
    IllConditionedWarning,
    LinAlgError,
    LinAlgWarning,
    NotPositiveDefiniteError,
    PivotGrowthWarning,
    SingularMatrixError,
)
from .factorizations import LDL, LU, Cholesky, Factorization, PivotedCholesky

__version__ = "0.1.0"

__all__ = [
    "gallery",
    "lu",
    "lu_factor",
    "lu_solve",
    "cholesky",
    "cho_factor",
    "cho_solve",
    "ldl",
    "solve_triangular",
    "growth_factor",
    "Factorization",
    "LU",
    "Cholesky",
    "LDL",
    "PivotedCholesky",
    "LinAlgError",
    "SingularMatrixError",
    "NotPositiveDefiniteError",
    "LinAlgWarning",
    "IllConditionedWarning",
    "PivotGrowthWarning",
]
