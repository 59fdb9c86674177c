"""Kernel base class, hyperparameters, ``+`` / ``*`` composition and the blockwise distance helper.

The API is scikit-learn's (``theta`` in log space, ``bounds``,
``clone_with_theta``, ``__call__(X, Y=None, eval_gradient=False)``, ``diag``,
``hyperparameters``, ``get_params`` / ``set_params``, ``n_dims``,
``requires_vector_input``), so a scikit-learn user can swap kernels in one
line.  One method is added: :meth:`Kernel.contract_gradient`, the weighted
sums ``g_j = sum_ik W_ik dK_ik/dtheta_j`` computed in row blocks, which is what
the Gaussian-process likelihood gradient needs, without the ``n x n x p``
array of ``__call__(..., eval_gradient=True)``.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from ..._array import from_numpy, to_numpy
from .._estimator import Parameters

__all__ = [
    "BLOCK_ELEMENTS",
    "ConstantKernel",
    "Hyperparameter",
    "Kernel",
    "LowRankWeights",
    "Product",
    "Sum",
    "as_like",
    "for_row_blocks",
    "host_array",
    "max_threads",
    "row_blocks",
    "set_max_threads",
    "squared_distances",
    "tensor_of",
]

#: Target number of entries of one ``rows x n`` block (8 MiB of float64).
BLOCK_ELEMENTS = 1 << 20


class Hyperparameter(NamedTuple):
    """A kernel hyperparameter's specification (the fields of scikit-learn's ``Hyperparameter``).

    ``bounds`` is ``"fixed"`` or an array of shape ``(2,)`` or ``(n_elements, 2)``
    in the parameter's own (not log) scale.
    """

    name: str
    value_type: str
    bounds: Any
    n_elements: int = 1
    fixed: bool = False


def _as_bounds(bounds: Any, n_elements: int) -> Any:
    if isinstance(bounds, str):
        if bounds != "fixed":
            raise ValueError(f"bounds must be a (low, high) pair or 'fixed', got {bounds!r}.")
        return bounds
    b = np.atleast_2d(np.asarray(bounds, dtype=float))
    if n_elements > 1 and b.shape[0] == 1:
        b = np.repeat(b, n_elements, axis=0)
    if b.shape != (n_elements, 2):
        raise ValueError(
            f"bounds has shape {np.shape(bounds)}; expected (2,) or ({n_elements}, 2) for {n_elements} value(s)."
        )
    if np.any(b <= 0) or np.any(b[:, 0] > b[:, 1]):
        raise ValueError(f"bounds {b.tolist()} must be positive with low <= high (they are taken in log).")
    return b


def row_blocks(n_rows: int, n_cols: int) -> tuple[range, int]:
    """Start indices of row blocks of about :data:`BLOCK_ELEMENTS` entries each."""
    step = max(1, BLOCK_ELEMENTS // max(n_cols, 1))
    return range(0, n_rows, step), step


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


#: The thread count set by :func:`set_max_threads` (``None``: from the environment, see :func:`max_threads`).
_MAX_THREADS: list[int | None] = [None]
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
_POOL_PREFIX = "pivotal-kernel"


def _env_threads(name: str, *, strict: bool) -> int | None:
    """A positive thread count from the variable ``name`` (its first comma-separated entry), or ``None``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    first = value.split(",")[0].strip()
    if first.isdigit() and int(first) >= 1:
        return int(first)
    if strict:
        raise ValueError(
            f"{name}={value!r} must be a positive integer (the number of threads for kernel passes); "
            f"set it to e.g. 1, or unset it to use one thread per CPU."
        )
    return None  # an OpenMP setting we cannot read (e.g. "false"): not ours to refuse


def max_threads() -> int:
    """The number of threads :func:`for_row_blocks` may use: the first of these that is set.

    1. :func:`set_max_threads`;
    2. the environment variable ``PIVOTAL_NUM_THREADS`` (a positive integer; anything else raises);
    3. ``OMP_NUM_THREADS`` (its first entry, when it is a positive integer), the variable by which
       process pools (Dask workers, joblib's loky backend, pytest set-ups) ask each compute library
       to stay within its share of the cores;
    4. the number of CPUs this process may run on.

    The environment is read at each call, so a change takes effect at the next kernel pass.

    Examples
    --------
    >>> from pivotal.ml.kernels.base import max_threads, set_max_threads
    >>> previous = set_max_threads(3)
    >>> max_threads()
    3
    >>> set_max_threads(previous)
    3
    """
    if _MAX_THREADS[0] is not None:
        return _MAX_THREADS[0]
    for name, strict in (("PIVOTAL_NUM_THREADS", True), ("OMP_NUM_THREADS", False)):
        n = _env_threads(name, strict=strict)
        if n is not None:
            return n
    return _cpu_count()


def set_max_threads(n: int | None) -> int | None:
    """Set the number of threads of kernel passes for the whole process; returns the previous setting.

    ``None`` returns to the environment's choice (:func:`max_threads`).  One thread runs the
    row blocks in the calling thread, with no pool.  The results do not depend on this setting
    (:func:`for_row_blocks`).

    Examples
    --------
    >>> from pivotal.ml.kernels.base import set_max_threads
    >>> previous = set_max_threads(1)   # e.g. in a process that already runs one task per core
    >>> set_max_threads(previous)
    1
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(
            f"set_max_threads takes a positive int or None (the environment's choice), got {n!r}."
        )
    previous = _MAX_THREADS[0]
    _MAX_THREADS[0] = n
    return previous


def _pool(threads: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=_POOL_PREFIX)
        return _POOLS[threads]


def for_row_blocks(fn: Callable[[int, int], Any], n_rows: int, n_cols: int) -> list:
    """``[fn(i0, i1) for each row block]`` (:func:`row_blocks`), in block order, on :func:`max_threads` threads.

    A kernel pass is elementwise work on ``n^2`` entries (an ``exp`` each, about 10 ns where
    NumPy has no vectorised ``exp``), which NumPy runs on one core: the blocks go to a
    thread pool with :func:`max_threads` threads (by default one per available CPU, fewer
    where ``PIVOTAL_NUM_THREADS``, ``OMP_NUM_THREADS`` or :func:`set_max_threads` say so;
    NumPy releases the GIL in ufuncs and BLAS calls).  With one thread, or one block, the
    blocks run in the calling thread.  ``fn`` must only read shared data and write its own
    rows.  Results come back in block order, so sums over them do not depend on the number
    of threads or the scheduling.  A pass started inside a block runs in that block's thread.

    Examples
    --------
    >>> from pivotal.ml.kernels.base import for_row_blocks
    >>> for_row_blocks(lambda i0, i1: (i0, i1), 3, 4)
    [(0, 3)]
    """
    starts, step = row_blocks(n_rows, n_cols)
    spans = [(i0, min(i0 + step, n_rows)) for i0 in starts]
    limit = max_threads()
    nested = threading.current_thread().name.startswith(
        _POOL_PREFIX
    )  # a block's own pass: no waiting on the pool
    if min(limit, len(spans)) <= 1 or nested:
        return [fn(i0, i1) for i0, i1 in spans]
    return list(_pool(limit).map(lambda span: fn(*span), spans))


def squared_distances(A: np.ndarray, B: np.ndarray, *, diagonal_offset: int | None = None) -> np.ndarray:
    """``||a_i - b_j||^2`` by ``|a|^2 + |b|^2 - 2 a.b`` (one GEMM), clamped at 0.

    The caller centres both point sets by the same shift first, so the
    cancellation error is ``eps`` times the squared spread, not the squared
    distance from the origin.  With ``diagonal_offset = i0`` the block holds
    rows ``i0:`` of a matrix of the points against themselves: its entries
    ``(r, i0 + r)`` are set to exactly 0.
    """
    d = A @ B.T  # one temporary: the GEMM's result is scaled and shifted in place
    d *= -2.0
    d += np.einsum("ij,ij->i", A, A)[:, None]
    d += np.einsum("ij,ij->i", B, B)[None, :]
    np.maximum(d, 0.0, out=d)
    if diagonal_offset is not None:
        r = np.arange(min(A.shape[0], B.shape[0] - diagonal_offset))
        d[r, diagonal_offset + r] = 0.0
    return d


class LowRankWeights:
    """The weights ``W = A B^T + diag(d)`` of :meth:`Kernel.contract_gradient`, never formed: rows on demand.

    ``W[i0:i1]`` is the ``(i1 - i0, n)`` block ``A[i0:i1] B^T`` (one GEMM) plus
    its part of ``diag(d)``; ``sum()`` and ``trace()`` cost ``O(n c)``.  The
    matrix-free Gaussian process passes the data term, the preconditioner's
    exact part and the probes' correction (``pivotal.ml._gp_iterative``).
    """

    def __init__(self, A: np.ndarray, B: np.ndarray, d: np.ndarray | None = None):
        if A.ndim != 2 or A.shape != B.shape:
            raise ValueError(f"A and B must be (n, c) arrays of one shape; got {A.shape} and {B.shape}.")
        if d is not None and np.shape(d) != (A.shape[0],):
            raise ValueError(f"d must have shape ({A.shape[0]},), got {np.shape(d)}.")
        self.A, self.B, self.d = A, B, d
        self.shape = (A.shape[0], A.shape[0])

    def __getitem__(self, rows: slice) -> np.ndarray:
        out = self.A[rows] @ self.B.T
        if self.d is not None:
            i0, i1, _ = rows.indices(self.shape[0])
            out[np.arange(i1 - i0), np.arange(i0, i1)] += self.d[i0:i1]
        return out

    def sum(self) -> float:
        extra = 0.0 if self.d is None else float(self.d.sum())
        return float(self.A.sum(axis=0) @ self.B.sum(axis=0)) + extra

    def trace(self) -> float:
        extra = 0.0 if self.d is None else float(self.d.sum())
        return float(np.einsum("ij,ij->", self.A, self.B)) + extra


class Kernel(Parameters):
    """Base class of the covariance kernels (scikit-learn's kernel API plus :meth:`contract_gradient`).

    A subclass lists its hyperparameters in ``_hyper`` (in scikit-learn's
    order: alphabetical), stores each value as an attribute and its bounds as
    ``<name>_bounds``, and implements :meth:`_rows` (a row block of ``K(X, X)``),
    :meth:`_cross` (``K(X, Y)``), :meth:`diag` and :meth:`_gradient_blocks`
    (the derivatives of a row block of ``K(X, X)`` with respect to each free
    ``log`` hyperparameter); :meth:`_contract` may be overridden by a closed form.
    """

    _hyper: tuple[str, ...] = ()
    requires_vector_input = True

    def clone_with_theta(self, theta: Any) -> Kernel:
        """A deep copy with the free hyperparameters set from ``theta`` (log scale)."""
        k = copy.deepcopy(self)
        k.theta = theta
        return k

    def _value_size(self, name: str) -> int:
        return np.size(getattr(self, name))

    @property
    def hyperparameters(self) -> list[Hyperparameter]:
        """The hyperparameters, in ``theta`` order."""
        out = []
        for name in self._hyper:
            n_el = self._value_size(name)
            bounds = _as_bounds(getattr(self, f"{name}_bounds"), n_el)
            fixed = isinstance(bounds, str)
            out.append(Hyperparameter(name, "numeric", bounds, n_el, fixed))
        return out

    @property
    def n_dims(self) -> int:
        """Number of free (non-fixed) hyperparameters: the length of ``theta``."""
        return sum(h.n_elements for h in self.hyperparameters if not h.fixed)

    @property
    def theta(self) -> np.ndarray:
        """Log of the free hyperparameters, flattened."""
        vals = [
            np.ravel(np.asarray(getattr(self, h.name), dtype=float))
            for h in self.hyperparameters
            if not h.fixed
        ]
        return np.log(np.concatenate(vals)) if vals else np.empty(0)

    @theta.setter
    def theta(self, theta: Any) -> None:
        theta = self._checked_theta(theta)
        i = 0
        for h in self.hyperparameters:
            if h.fixed:
                continue
            vals = np.exp(theta[i : i + h.n_elements])
            i += h.n_elements
            old = getattr(self, h.name)
            setattr(self, h.name, vals if np.ndim(old) > 0 else float(vals[0]))

    def _checked_theta(self, theta: Any) -> np.ndarray:
        theta = np.asarray(theta, dtype=float).ravel()
        if theta.size != self.n_dims:
            raise ValueError(
                f"theta has {theta.size} entries; this kernel has {self.n_dims} free hyperparameters."
            )
        return theta

    @property
    def bounds(self) -> np.ndarray:
        """Log of the bounds of the free hyperparameters, shape ``(n_dims, 2)``."""
        b = [np.log(h.bounds) for h in self.hyperparameters if not h.fixed]
        return np.vstack(b) if b else np.empty((0, 2))

    # ---------------------------------------------------------------- evaluation
    def __call__(self, X: Any, Y: Any = None, eval_gradient: bool = False):
        """``K(X, Y)`` (``Y=None``: ``K(X, X)``); with ``eval_gradient``, also ``dK/dtheta``.

        The gradient, shape ``(n, n, n_dims)``, is scikit-learn's API and is
        only available for ``Y=None``.  The Gaussian process does not use it:
        it calls :meth:`contract_gradient`.
        """
        like = tensor_of(X, Y)
        X = _points(X, self.requires_vector_input)
        if Y is not None and eval_gradient:
            raise ValueError("eval_gradient=True is only supported when Y is None (as in scikit-learn).")
        K = self._matrix(X, None if Y is None else _points(Y, self.requires_vector_input))
        if not eval_gradient:
            return as_like(K, like)
        n = X.shape[0]
        grad = np.empty((n, n, self.n_dims))
        for j, block in enumerate(self._gradient_blocks(X, 0, n, K)):
            grad[:, :, j] = block
        return as_like(K, like), as_like(grad, like)

    def contract_gradient(self, X: Any, W: Any) -> np.ndarray:
        """``g_j = sum_ik W_ik dK(X, X)_ik / dtheta_j`` for every free hyperparameter, in row blocks.

        Equivalent to ``np.einsum("ik,ikj->j", W, self(X, eval_gradient=True)[1])``
        without the ``n x n x n_dims`` array: memory is ``O(block x n)`` beyond ``W``.

        Parameters
        ----------
        X : (n, d) array_like
        W : (n, n) array_like, a pair ``(A, B)`` of ``(n, c)`` arrays, or a triple ``(A, B, d)``
            The weights (for the Gaussian-process likelihood, ``alpha alpha^T - K^{-1}``);
            a pair stands for ``W = A B^T`` and a triple for ``A B^T + diag(d)``, whose row
            blocks are formed one at a time (memory ``O(block x n + n c)``: the matrix-free
            likelihood).

        Returns
        -------
        (n_dims,) numpy.ndarray
            A vector in hyperparameter space: NumPy on the host, like ``theta``, for any input.
        """
        X = _points(X, self.requires_vector_input)
        if not isinstance(W, tuple):
            W = host_array(W)
        n = X.shape[0]
        if isinstance(W, tuple):
            if len(W) not in (2, 3):
                raise ValueError(
                    "W given as a tuple must be a pair (A, B) of (n, c) arrays, W = A B^T, or a triple "
                    "(A, B, d) with d of shape (n,), W = A B^T + diag(d)."
                )
            W = LowRankWeights(*(np.asarray(host_array(w), dtype=float) for w in W))
        else:
            W = np.asarray(W, dtype=float)
        if W.shape != (n, n):
            raise ValueError(f"W has shape {W.shape}; expected ({n}, {n}) for {n} points.")
        return self._contract(X, W)

    def matmul(self, X: Any, V: Any) -> np.ndarray:
        """``K(X, X) @ V`` in row blocks of ``K``: memory ``O(block x n)``, ``K`` never formed.

        Each block is the kernel's own rows (the same code as ``self(X)``), so the
        product is that of the matrix ``self(X)`` up to the rounding of the GEMM.

        Examples
        --------
        >>> import numpy as np
        >>> from pivotal.ml.kernels import RBF
        >>> X = np.linspace(0, 1, 5)[:, None]; V = np.ones((5, 2))
        >>> bool(np.allclose(RBF(0.3).matmul(X, V), RBF(0.3)(X) @ V))
        True
        """
        like = tensor_of(X, V)
        X = _points(X, self.requires_vector_input)
        V = np.asarray(host_array(V), dtype=float)
        n = X.shape[0]
        if V.shape[0] != n:
            raise ValueError(f"V has {V.shape[0]} rows; expected {n} (one per point).")
        return as_like(self._matmul(X, V), like)

    def _matmul(self, X: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``K(X, X) @ V`` by row blocks; sums, constant factors and white noise override it."""
        n = X.shape[0]
        out = np.empty(V.shape)

        def block(i0: int, i1: int) -> None:
            out[i0:i1] = self._rows(X, i0, i1) @ V

        for_row_blocks(block, n, n)
        return out

    def _contract(self, X: np.ndarray, W: np.ndarray) -> np.ndarray:
        n = X.shape[0]

        def block(i0: int, i1: int) -> np.ndarray:
            Wb = W[i0:i1]
            return np.array([np.vdot(Wb, b) for b in self._gradient_blocks(X, i0, i1, None)], dtype=float)

        g = np.zeros(self.n_dims)
        for part in for_row_blocks(block, n, n):
            g += part
        return g

    def _contract_and_total(
        self, X: np.ndarray, W: np.ndarray, total: bool = True
    ) -> tuple[np.ndarray, float]:
        """``(self._contract(X, W), sum_ik W_ik K_ik)``; kernels that have ``K`` at hand override it.

        The total is what a constant factor's derivative needs (``Product``); ``total=False``
        skips it (0.0).
        """
        g = self._contract(X, W) if self.n_dims else np.empty(0)
        return g, (float(np.vdot(W, self._matrix(X, None))) if total else 0.0)

    def _matrix(self, X: np.ndarray, Y: np.ndarray | None) -> np.ndarray:
        """``K(X, Y)``; for ``Y=None`` assembled from row blocks of ``K(X, X)``."""
        if Y is not None:
            return self._cross(X, Y)
        n = X.shape[0]
        if n * n <= 4 * BLOCK_ELEMENTS:
            return self._rows(X, 0, n)
        K = np.empty((n, n))

        def block(i0: int, i1: int) -> None:
            K[i0:i1] = self._rows(X, i0, i1)

        for_row_blocks(block, n, n)
        return K

    def _rows(self, X: np.ndarray, i0: int, i1: int) -> np.ndarray:  # pragma: no cover - abstract
        """Rows ``i0:i1`` of ``K(X, X)`` (exact X-vs-X semantics: zero self-distances, white noise)."""
        raise NotImplementedError

    def _cross(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """``K(X, Y)`` for two point sets (no white noise between them)."""
        raise NotImplementedError

    def _gradient_blocks(self, X: np.ndarray, i0: int, i1: int, K: np.ndarray | None) -> list[np.ndarray]:
        """``dK(X, X)[i0:i1] / dtheta_j`` for each free ``j`` (``K``: the full matrix, when known)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def diag(self, X: Any) -> np.ndarray:
        """The diagonal of ``K(X, X)``, without the matrix (a PyTorch tensor for tensor input)."""
        like = tensor_of(X)
        X = host_array(X)
        return as_like(np.asarray(self._diag(X), dtype=float), like)

    def _diag(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_stationary(self) -> bool:
        """Whether the kernel depends on ``X - Y`` only."""
        return False

    # ---------------------------------------------------------------- composition
    def __add__(self, other: Any) -> Sum:
        return Sum(self, other if isinstance(other, Kernel) else ConstantKernel(other))

    def __radd__(self, other: Any) -> Sum:
        return Sum(other if isinstance(other, Kernel) else ConstantKernel(other), self)

    def __mul__(self, other: Any) -> Product:
        return Product(self, other if isinstance(other, Kernel) else ConstantKernel(other))

    def __rmul__(self, other: Any) -> Product:
        return Product(other if isinstance(other, Kernel) else ConstantKernel(other), self)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return False
        a, b = self.get_params(), other.get_params()
        return a.keys() == b.keys() and all(np.all(np.equal(a[k], b[k])) for k in a)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        args = ", ".join(f"{h.name}={_fmt(getattr(self, h.name))}" for h in self.hyperparameters)
        return f"{type(self).__name__}({args})"


def _fmt(v: Any) -> str:
    return np.array2string(np.asarray(v), precision=3) if np.ndim(v) else f"{float(v):.3g}"


def host_array(x: Any) -> Any:
    """A PyTorch tensor (CPU or CUDA) as a host NumPy array; JAX and CuPy arrays are refused.

    The kernels compute on the host in float64 NumPy (the boundary conversion of the
    module notes); other inputs are returned unchanged.
    """
    mod = type(x).__module__.split(".")[0]
    if mod == "torch":
        return to_numpy(x)
    if mod in ("jax", "jaxlib", "cupy"):
        raise TypeError(
            f"pivotal.ml kernels take NumPy arrays or PyTorch tensors; got a {mod} array. "
            "Convert with np.asarray(x)."
        )
    return x


def tensor_of(*xs: Any) -> Any:
    """The first PyTorch tensor among ``xs`` (results go back to its device), or None."""
    for x in xs:
        if type(x).__module__.split(".")[0] == "torch":
            return x
    return None


def as_like(out: Any, like: Any) -> Any:
    """``out`` as a float64 tensor on ``like``'s device when ``like`` is a tensor; else unchanged."""
    if like is None:
        return out
    import torch

    return from_numpy(np.ascontiguousarray(out), like, dtype=torch.float64)


def _points(X: Any, vector: bool) -> np.ndarray:
    X = np.asarray(host_array(X), dtype=float)
    if X.ndim != 2 and vector:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}.")
    return X


class _Pair(Kernel):
    """``k1 (op) k2``: theta is ``k1``'s then ``k2``'s."""

    def __init__(self, k1: Kernel, k2: Kernel):
        self.k1 = k1
        self.k2 = k2

    @property
    def hyperparameters(self) -> list[Hyperparameter]:
        out = []
        for prefix, k in (("k1", self.k1), ("k2", self.k2)):
            out += [h._replace(name=f"{prefix}__{h.name}") for h in k.hyperparameters]
        return out

    @property
    def theta(self) -> np.ndarray:
        return np.concatenate([self.k1.theta, self.k2.theta])

    @theta.setter
    def theta(self, theta: Any) -> None:
        theta = self._checked_theta(theta)
        m = self.k1.n_dims
        self.k1.theta = theta[:m]
        self.k2.theta = theta[m:]

    @property
    def bounds(self) -> np.ndarray:
        return np.vstack([self.k1.bounds, self.k2.bounds])

    @property
    def requires_vector_input(self) -> bool:  # type: ignore[override]
        return self.k1.requires_vector_input or self.k2.requires_vector_input

    def is_stationary(self) -> bool:
        return self.k1.is_stationary() and self.k2.is_stationary()


class Sum(_Pair):
    """``k1 + k2``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import RBF, WhiteKernel
    >>> k = RBF(0.5) + WhiteKernel(0.1)
    >>> X = np.linspace(0, 1, 4)[:, None]
    >>> bool(np.allclose(k(X), RBF(0.5)(X) + 0.1 * np.eye(4)))
    True
    """

    def _rows(self, X, i0, i1):
        for a, b in ((self.k1, self.k2), (self.k2, self.k1)):
            if getattr(a, "_diagonal_only", False):  # white noise: added on the diagonal in place
                out = b._rows(X, i0, i1)
                r = np.arange(i1 - i0)
                out[r, i0 + r] += a._diagonal_value()
                return out
        return self.k1._rows(X, i0, i1) + self.k2._rows(X, i0, i1)

    def _cross(self, X, Y):
        return self.k1._cross(X, Y) + self.k2._cross(X, Y)

    def _gradient_blocks(self, X, i0, i1, K):
        return self.k1._gradient_blocks(X, i0, i1, None) + self.k2._gradient_blocks(X, i0, i1, None)

    def _contract(self, X, W):
        return np.concatenate([self.k1._contract(X, W), self.k2._contract(X, W)])

    def _matmul(self, X, V):
        return self.k1._matmul(X, V) + self.k2._matmul(X, V)

    def _diag(self, X):
        return self.k1._diag(X) + self.k2._diag(X)

    def __repr__(self) -> str:
        return f"{self.k1!r} + {self.k2!r}"


class Product(_Pair):
    """``k1 * k2`` (entrywise).

    The gradient contraction uses the product rule on the weights:
    ``sum W (dK1 * K2) = k1.contract(W * K2)``, so nothing larger than ``n x n`` is formed.
    """

    def _rows(self, X, i0, i1):
        for c, other in ((self.k1, self.k2), (self.k2, self.k1)):
            if isinstance(c, ConstantKernel):  # a constant factor scales the other's rows in place
                out = other._rows(X, i0, i1)
                out *= float(c.constant_value)
                return out
        return self.k1._rows(X, i0, i1) * self.k2._rows(X, i0, i1)

    def _cross(self, X, Y):
        return self.k1._cross(X, Y) * self.k2._cross(X, Y)

    def _gradient_blocks(self, X, i0, i1, K):
        K1, K2 = self.k1._rows(X, i0, i1), self.k2._rows(X, i0, i1)
        return [g * K2 for g in self.k1._gradient_blocks(X, i0, i1, None)] + [
            g * K1 for g in self.k2._gradient_blocks(X, i0, i1, None)
        ]

    def _contract(self, X, W):
        if self.n_dims == 0:
            return np.empty(0)
        if isinstance(W, LowRankWeights) and not (
            isinstance(self.k1, ConstantKernel) or isinstance(self.k2, ConstantKernel)
        ):
            return Kernel._contract(self, X, W)  # the product rule block by block: no n x n weights
        if not isinstance(W, LowRankWeights):
            for c, k, c_first in ((self.k1, self.k2, True), (self.k2, self.k1, False)):
                if isinstance(c, ConstantKernel):  # one pass over k gives both halves
                    cv = float(c.constant_value)
                    gk, tot = k._contract_and_total(X, W, total=c.n_dims > 0)
                    gc = np.array([cv * tot]) if c.n_dims else np.empty(0)
                    gk = cv * gk
                    return np.concatenate([gc, gk] if c_first else [gk, gc])
        return np.concatenate([self._half(self.k1, self.k2, X, W), self._half(self.k2, self.k1, X, W)])

    def _matmul(self, X, V):
        for c, other in ((self.k1, self.k2), (self.k2, self.k1)):
            if isinstance(c, ConstantKernel):  # a constant factor scales the product
                return float(c.constant_value) * other._matmul(X, V)
        return Kernel._matmul(self, X, V)

    @staticmethod
    def _half(k: Kernel, other: Kernel, X: np.ndarray, W: np.ndarray) -> np.ndarray:
        """``k``'s part of the product rule: ``k.contract(W * K_other)``.

        A constant factor is a scalar: ``c * k.contract(W)``, and the constant's own
        derivative is ``c * sum(W * K_k)``; neither needs an ``n x n`` constant matrix.
        """
        if k.n_dims == 0:
            return np.empty(0)
        if isinstance(other, ConstantKernel):
            return float(other.constant_value) * k._contract(X, W)
        if isinstance(k, ConstantKernel):
            if isinstance(W, LowRankWeights):  # sum(W * K_other) by row blocks
                n = X.shape[0]
                total = sum(for_row_blocks(lambda i0, i1: np.vdot(W[i0:i1], other._rows(X, i0, i1)), n, n))
                return np.array([float(k.constant_value) * total])
            return np.array([float(k.constant_value) * np.vdot(W, other._matrix(X, None))])
        return k._contract(X, W * other._matrix(X, None))

    def _diag(self, X):
        return self.k1._diag(X) * self.k2._diag(X)

    def __repr__(self) -> str:
        return f"{self.k1!r} * {self.k2!r}"


class ConstantKernel(Kernel):
    """``k(x, y) = constant_value``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import ConstantKernel
    >>> ConstantKernel(2.0)(np.zeros((2, 1))).tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """

    _hyper = ("constant_value",)
    requires_vector_input = False

    def __init__(self, constant_value: float = 1.0, constant_value_bounds: Any = (1e-5, 1e5)):
        self.constant_value = constant_value
        self.constant_value_bounds = constant_value_bounds

    def _rows(self, X, i0, i1):
        return np.full((i1 - i0, X.shape[0]), float(self.constant_value))

    def _cross(self, X, Y):
        return np.full((X.shape[0], Y.shape[0]), float(self.constant_value))

    def _gradient_blocks(self, X, i0, i1, K):
        if self.n_dims == 0:
            return []
        return [np.full((i1 - i0, X.shape[0]), float(self.constant_value))]

    def _contract(self, X, W):
        return np.array([self.constant_value * W.sum()]) if self.n_dims else np.empty(0)

    def _matmul(self, X, V):
        return np.broadcast_to(float(self.constant_value) * V.sum(axis=0), V.shape).copy()

    def _diag(self, X):
        return np.full(_num(X), float(self.constant_value))

    def is_stationary(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"{np.sqrt(self.constant_value):.3g}**2"


def _num(X: Any) -> int:
    return len(X)
