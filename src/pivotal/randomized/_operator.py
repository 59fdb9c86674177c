"""``A`` seen through its products ``A @ X`` and ``A^H @ X``, and the Gaussian draws of one call.

The randomized algorithms (:mod:`pivotal.randomized._subspace` and the
public :func:`range_finder`, :func:`rsvd`, :func:`reigh`, :func:`nystrom`)
touch ``A`` only through :class:`_Operator`, whatever its type: a NumPy or
PyTorch array, a JAX array (computed on as NumPy), a ``scipy.sparse``
matrix, a ``scipy.sparse.linalg.LinearOperator``, or a broadcast view.

Scaling.  With ``scale=True`` (the public entry points) a dense or sparse
``A`` is scaled by a power of two ``2**e`` into a safe range
(:mod:`pivotal._scaling`) before any product: the algorithms form Gram
matrices (CholeskyQR, the implicit steps, block Krylov's ``W^H W``) and
sums of squares of power iterates (``||A A^H Q||_F^2``, degree 4 in
``A``), so the range is that of degree 4, about ``[1e-73, 1e73]`` in
float64 (LAPACK's ``[1e-146, 1e146]`` is that of degree 2); and products of
subnormal numbers lose their digits.
The callers unscale what carries the scale (singular values and
eigenvalues by ``2**-e``; bases do not).  The scan that finds ``e`` is also
the NaN/Inf check.  A LinearOperator is used as given.

Broadcast views.  A dense array with a stride-0 axis (``numpy.broadcast_to``,
``torch.expand``) repeats one row or one column: it is kept as its distinct
block and multiplied through it (``kind == "broadcast"``), in ``O((m + n)
l)`` per product instead of the ``O(m n l)`` of a product with the full
view, which for ``numpy.broadcast_to(1.0, (10**6, 10**6))`` would run for
hours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._array import (
    backend_name,
    conj_transpose,
    distinct_entries,
    from_numpy,
    is_complex,
    namespace,
    to_float,
    to_numpy,
    validate_matrix,
    working_dtype,
)
from .._backends import numpy as numpy_backend
from .._scaling import ldexp, safe_scale
from ._random import RandomState, _kind, as_generator, standard_normal

__all__ = ["SCALE_DEGREE", "mm"]

#: The highest degree in ``A`` of the quantities the randomized algorithms form (module notes).
SCALE_DEGREE = 4


class _Operator:
    """``A`` seen through two products, ``A @ X`` and ``A^H @ X``, whatever its type.

    ``kind`` is ``"dense"`` (NumPy or PyTorch), ``"broadcast"`` (a dense
    view with a stride-0 axis, kept as its distinct block ``a``),
    ``"sparse"`` (scipy.sparse, products in NumPy) or ``"linop"`` (a
    ``scipy.sparse.linalg.LinearOperator``).  JAX arrays are computed on as
    NumPy and converted back by :meth:`out`.  ``n_products`` counts the
    columns multiplied, in units of ``A @ x``.  ``scale_exp`` is the ``e``
    of ``2**e A``, the matrix the products use (see the module notes).
    """

    def __init__(
        self,
        a: Any,
        name: str = "A",
        *,
        check_finite: bool = True,
        hermitian: bool = False,
        scale: bool = False,
    ):
        self.jax = False
        self.n_products = 0
        self.hermitian = hermitian
        self.scale_exp = 0
        if isinstance(a, scipy.sparse.linalg.LinearOperator):
            if len(a.shape) != 2:
                raise ValueError(f"{name} must be a 2-D LinearOperator, got shape {a.shape}.")
            self.kind = "linop"
            self.a = a
            dt = np.dtype(a.dtype) if a.dtype is not None else np.dtype(np.float64)
            self.dtype = working_dtype(np.empty(0, dtype=dt))
            self.like = None
            self.shape = (int(a.shape[0]), int(a.shape[1]))
        elif scipy.sparse.issparse(a):
            if a.ndim != 2:
                raise ValueError(f"{name} must be a 2-D sparse matrix, got shape {a.shape}.")
            self.kind = "sparse"
            self.dtype = working_dtype(np.empty(0, dtype=a.dtype))
            self.shape = (int(a.shape[0]), int(a.shape[1]))
            a = self._scaled(a.tocsr().astype(self.dtype, copy=False), name, check_finite, scale)
            self.a = a
            # A^H as the CSC view of A (no copy): its product scatters into the
            # small (n, l) result while streaming A and X row by row, 8x faster
            # than a CSR copy of A^H, whose rows gather from all of the tall X.
            self.ah = a if hermitian else (a.T.conj() if is_complex(a.dtype) else a.T)
            self.like = None
        else:
            a = validate_matrix(a, name, batch=False, check_finite=False)
            if backend_name(a) == "jax":
                self.jax = True
                self.jax_like = a
                a = to_numpy(a)
            self.shape = (int(a.shape[0]), int(a.shape[1]))
            self.dtype = working_dtype(a)
            core = distinct_entries(a)
            self.kind = "broadcast" if tuple(core.shape) != self.shape else "dense"
            if self.kind == "broadcast":  # a small block: a contiguous copy suits BLAS
                core = core.contiguous() if backend_name(core) == "torch" else np.ascontiguousarray(core)
            core = (
                core.to(self.dtype) if backend_name(core) == "torch" else np.asarray(core, dtype=self.dtype)
            )
            self.a = self._scaled(core, name, check_finite, scale)
            self.ah = self.a if hermitian else conj_transpose(self.a)
            self.like = self.a if backend_name(self.a) == "torch" else None
        self.xp = namespace(self.like) if self.like is not None else namespace(np.empty(0))

    @classmethod
    def of(cls, a: Any, name: str = "A", **options: Any) -> _Operator:
        """``a`` itself when it already is an operator (the Dask paths pass one), else ``_Operator(a, ...)``."""
        return a if isinstance(a, _Operator) else cls(a, name, **options)

    def _scaled(self, a: Any, name: str, check_finite: bool, scale: bool) -> Any:
        """``a`` (or ``2**e a`` with ``scale``), after the scan that refuses NaN/Inf (``check_finite``)."""
        if not (check_finite or scale):
            return a
        e, _ = safe_scale(a, name, check_finite=check_finite, degree=SCALE_DEGREE)
        if not scale or e == 0:
            return a
        self.scale_exp = e
        return ldexp(a, e)

    @property
    def complex(self) -> bool:
        return is_complex(self.dtype)

    # Both products return a fresh array that the caller may overwrite (a
    # LinearOperator's result is copied: it might be an array of the user's).

    def matmat(self, x: Any) -> Any:
        self.n_products += int(x.shape[1])
        if self.kind == "linop":
            return np.array(self.a.matmat(x), dtype=self.dtype, order="C")
        return self._product(self.a, x, self.shape[0])

    def rmatmat(self, x: Any) -> Any:
        self.n_products += int(x.shape[1])
        if self.kind == "linop":
            if self.hermitian:
                return np.array(self.a.matmat(x), dtype=self.dtype, order="C")
            return np.array(self.a.rmatmat(x), dtype=self.dtype, order="C")
        return self._product(self.ah, x, self.shape[1])

    def _product(self, a: Any, x: Any, rows: int) -> Any:
        """``a @ x``; for a broadcast view, through its distinct block ``a``."""
        if self.kind != "broadcast":
            return mm(a, x)
        if a.shape[1] == 1 and x.shape[0] != 1:  # equal columns: A x = a (1^T x)
            x = self.xp.sum(x, axis=0, keepdims=True)
        y = mm(a, x)
        if y.shape[0] != rows:  # equal rows: repeat the one row of a x
            y = self.xp.ones((rows, 1), dtype=y.dtype, device=_device(y)) * y
        return y

    def symmetry_defect(self, x: Any) -> Any:
        """``A x - A^H x`` (not counted in ``n_products``); dense, broadcast and sparse ``A``."""
        ah = self.a.conj().T if self.kind == "sparse" else conj_transpose(self.a)
        return self._product(self.a, x, self.shape[0]) - self._product(ah, x, self.shape[1])

    def fro2(self) -> float | None:
        """``||2**e A||_F^2`` (of the matrix the products use), or None when it is unknown (matrix-free)."""
        if self.kind == "linop":
            return None
        if self.kind == "sparse":
            d = self.a.data
            return float(np.vdot(d, d).real)
        if backend_name(self.a) == "torch":
            f2 = to_float(self.xp.linalg.vector_norm(self.a)) ** 2
        else:
            f2 = float(np.linalg.norm(self.a)) ** 2
        repeats = (self.shape[0] // int(self.a.shape[0])) * (self.shape[1] // int(self.a.shape[1]))
        return f2 * repeats

    def zeros(self, shape: tuple[int, int]) -> Any:
        """Zeros of the working dtype on ``A``'s backend and device."""
        if self.like is not None:
            return self.xp.zeros(shape, dtype=self.dtype, device=self.like.device)
        return np.zeros(shape, dtype=self.dtype)

    def out(self, x: Any) -> Any:
        """A result in the user's backend (JAX input gets JAX output)."""
        if self.jax:
            return from_numpy(to_numpy(x), self.jax_like)
        return x

    def unscaled(self, x: Any) -> Any:
        """``2**-e x``: singular values or eigenvalues of ``A`` from those of ``2**e A``."""
        return ldexp(x, -self.scale_exp)


def _device(x: Any):
    return x.device if backend_name(x) == "torch" else "cpu"


def mm(a: Any, x: Any) -> Any:
    """``a @ x``; for NumPy arrays through the backend's BLAS ``gemm`` (no copies).

    The kernels (CholeskyQR2's ``syrk``/``trsm``) run on SciPy's BLAS, and
    NumPy's ``@`` on NumPy's own OpenBLAS copy; alternating between the two
    thread pools makes each wait for the other's spinning threads (several
    times slower on a few busy cores), so every sizeable product here goes
    through SciPy's too.
    """
    if isinstance(a, np.ndarray) and isinstance(x, np.ndarray) and a.dtype == x.dtype:
        return numpy_backend.matmul(a, x)
    return a @ x


class _Draw:
    """Gaussian blocks for one call: one generator, advanced block after block."""

    def __init__(self, random_state: RandomState, op: _Operator):
        kind = _kind(random_state)
        self.state = as_generator(random_state) if kind == "numpy" else random_state
        self.kind = kind
        self.op = op

    def normal(self, shape: tuple[int, int]) -> Any:
        if self.kind == "jax":
            import jax

            self.state, sub = jax.random.split(self.state)
        else:
            sub = self.state
        return standard_normal(shape, like=self.op.like, dtype=self.op.dtype, random_state=sub)
