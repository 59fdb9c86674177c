"""Factorization objects: factor once, then solve, take determinants and estimate conditioning."""

from .base import Factorization
from .cholesky import Cholesky
from .ldl import LDL
from .lu import LU
from .pivoted_cholesky import PivotedCholesky

__all__ = ["Factorization", "LU", "Cholesky", "LDL", "PivotedCholesky"]
