"""pivotal: numerically sound matrix decompositions.

Factor once, solve many times, and know the error of every answer.  The
SciPy-compatible functions (``lu``, ``lu_factor``, ``lu_solve``,
``cholesky``, ``cho_factor``, ``cho_solve``, ``ldl``, ``solve_triangular``)
accept NumPy arrays, PyTorch tensors and JAX arrays; the factorization
objects (``LU``, ``Cholesky``, ``LDL``, ``PivotedCholesky``, ``QR``,
``QRPivoted``) add determinants, condition estimates and reusable solves;
``qr``, ``qr_update``/``qr_insert``/``qr_delete``, ``lstsq``, ``null_space``,
``orth`` and ``matrix_rank`` cover least squares and rank; ``svd``, ``svdvals``,
``eigh`` and ``eigvalsh`` (with the ``SVD`` and ``Eigh`` objects) the dense
spectral decompositions; ``expm``, ``logm``, ``sqrtm``, ``funm``,
``fractional_matrix_power``, ``matrix_power`` and ``norm`` the matrix
functions and norms.
"""

from . import gallery
from . import krylov as krylov  # pv.krylov.cg, pv.krylov.minres, ...
from .decompositions import (
    cho_factor,
    cho_solve,
    cholesky,
    ldl,
    lu,
    lu_factor,
    lu_solve,
    qr,
    solve_triangular,
)
from .diagnostics import (
    backward_error,
    cond,
    condest,
    forward_error_bound,
    growth_factor,
    orthogonality_error,
    residual,
)
from .doctor import DoctorReport, doctor
from .errors import (
    IllConditionedWarning,
    LinAlgError,
    LinAlgWarning,
    NotPositiveDefiniteError,
    PivotGrowthWarning,
    SingularMatrixError,
)
from .factorizations import (
    LDL,
    LU,
    QR,
    SVD,
    Banded,
    Cholesky,
    Diagonal,
    Eigh,
    Factorization,
    LowRank,
    PivotedCholesky,
    QRPivoted,
    Triangular,
    factorize,
    select_factorization,
)
from .gaussian import inv_quad_logdet
from .least_squares import lstsq, matrix_rank, null_space, orth, pinv
from .linsolve import SlogdetResult, SolveReport, det, inv, slogdet, solve
from .matfun import ExpmReport, expm, fractional_matrix_power, funm, logm, matrix_power, sqrtm
from .norms import norm
from .qr_updates import qr_delete, qr_insert, qr_update
from .randomized import (
    cur,
    eigsh,
    interp_decomp,
    interpolative,
    nystrom,
    range_finder,
    reigh,
    rqrcp,
    rsvd,
    sketch,
    sketch_lstsq,
    svds,
)
from .refine import RefinementReport, refine
from .sparse import SparseCholesky, SparseLU
from .spectral import eig, eigh, eigvals, eigvalsh, hessenberg, rsf2csf, schur, svd, svdvals
from .structure import StructureInfo, detect_structure

__version__ = "0.1.0"

__all__ = [
    "LDL",
    "LU",
    "QR",
    "SVD",
    "Banded",
    "Cholesky",
    "Diagonal",
    "DoctorReport",
    "Eigh",
    "ExpmReport",
    "Factorization",
    "IllConditionedWarning",
    "LinAlgError",
    "LinAlgWarning",
    "LowRank",
    "NotPositiveDefiniteError",
    "PivotGrowthWarning",
    "PivotedCholesky",
    "QRPivoted",
    "RefinementReport",
    "SingularMatrixError",
    "SlogdetResult",
    "SolveReport",
    "SparseCholesky",
    "SparseLU",
    "StructureInfo",
    "Triangular",
    "backward_error",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "cond",
    "condest",
    "cur",
    "det",
    "detect_structure",
    "doctor",
    "eig",
    "eigh",
    "eigsh",
    "eigvals",
    "eigvalsh",
    "expm",
    "factorize",
    "forward_error_bound",
    "fractional_matrix_power",
    "funm",
    "gallery",
    "growth_factor",
    "hessenberg",
    "interp_decomp",
    "interpolative",
    "inv",
    "inv_quad_logdet",
    "ldl",
    "logm",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_solve",
    "matrix_power",
    "matrix_rank",
    "norm",
    "null_space",
    "nystrom",
    "orth",
    "orthogonality_error",
    "pinv",
    "qr",
    "qr_delete",
    "qr_insert",
    "qr_update",
    "range_finder",
    "refine",
    "reigh",
    "residual",
    "rqrcp",
    "rsf2csf",
    "rsvd",
    "schur",
    "select_factorization",
    "sketch",
    "sketch_lstsq",
    "slogdet",
    "solve",
    "solve_triangular",
    "sqrtm",
    "svd",
    "svds",
    "svdvals",
]
