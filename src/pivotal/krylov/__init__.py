"""Krylov solvers: ``cg``, ``minres``, ``gmres``, ``lsqr`` with SciPy's signatures, array-agnostic and batched.

``block_cg`` solves a family of shifted Hermitian systems in one shared block Krylov space.

``pivotal.krylov.cg(A, b)`` is :func:`scipy.sparse.linalg.cg`'s call, and
returns what it returns; it also accepts PyTorch tensors (CPU or CUDA) and
JAX arrays, runs in their namespace and on their device, solves ``(n, k)``
right-hand sides in one batched iteration (each column converging on its
own), takes any pivotal ``Factorization`` as the preconditioner ``M``, and
with ``return_info=True`` reports iterations, true residuals and
convergence per column (:class:`KrylovInfo`).  See ``docs/krylov.md``.
"""

from ._result import KrylovInfo
from .block_cg import block_cg
from .cg import cg
from .gmres import gmres
from .lsqr import lsqr
from .minres import minres

__all__ = ["KrylovInfo", "block_cg", "cg", "gmres", "lsqr", "minres"]
