"""Factorization objects: factor once, then solve, take determinants and estimate conditioning."""

from .banded import Banded
from .base import Factorization
from .cholesky import Cholesky
from .eigh import Eigh
from .factorize import Selection, factorize, select_factorization
from .ldl import LDL
from .lu import LU
from .pivoted_cholesky import PivotedCholesky
from .pseudo import LowRank
from .qr import QR, QRPivoted
from .svd import SVD
from .triangular import Diagonal, Triangular

__all__ = [
    "LDL",
    "LU",
    "QR",
    "SVD",
    "Banded",
    "Cholesky",
    "Diagonal",
    "Eigh",
    "Factorization",
    "LowRank",
    "PivotedCholesky",
    "QRPivoted",
    "Selection",
    "Triangular",
    "factorize",
    "select_factorization",
]
