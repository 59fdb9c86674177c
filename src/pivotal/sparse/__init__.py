"""Sparse direct solvers: factorization objects, fill-reducing orderings and symbolic fill.

:class:`SparseLU` (SuperLU) and :class:`SparseCholesky` (MKL PARDISO or CHOLMOD through the
``sparse`` extra, SuperLU otherwise) implement pivotal's ``Factorization`` interface; :func:`ordering`,
:func:`elimination_tree` and :func:`symbolic_fill` expose orderings and fill-in as functions.
``pivotal.solve``, ``pivotal.factorize`` and ``pivotal.lstsq`` accept ``scipy.sparse`` input
and come here.  See docs/sparse.md.
"""

from ._pardiso import pardiso_binding
from .cholesky import SparseCholesky, cholmod_binding
from .fill import FillReport
from .lu import SparseLU
from .ordering import ordering
from .symbolic import elimination_tree, symbolic_fill

__all__ = [
    "FillReport",
    "SparseCholesky",
    "SparseLU",
    "cholmod_binding",
    "elimination_tree",
    "ordering",
    "pardiso_binding",
    "symbolic_fill",
]
