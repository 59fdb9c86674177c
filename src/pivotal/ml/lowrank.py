"""Low-rank approximation with certified errors, and LoRA/PiSSA adapter initialisation.

:func:`low_rank_approx` returns the factors of a rank-``r`` approximation
``W_r = U diag(s) Vh`` together with its error:

* ``frobenius_error`` ``||W - W_r||_F`` is computed from the residual itself
  (blockwise, ``2 m n r`` flops), not from ``||W||_F^2 - sum s^2``, which
  cancels when the approximation is good.
* ``spectral_error`` estimates ``||W - W_r||_2`` by block power iteration on
  the residual operator (a lower bound, accurate to a few percent), and
  ``spectral_error_bound`` is an upper bound that holds with probability at
  least ``1 - 10^-6``: ``10 sqrt(2/pi) max_i ||(W - W_r) w_i||`` over six
  Gaussian probes (Halko, Martinsson & Tropp 2011, Lemma 4.1).
* With ``method="svd"`` the approximation is the Eckart-Young optimum and
  both errors are exact (``sigma_{r+1}`` and the root of the discarded
  squares); ``optimal_*`` hold the optimum and ``ratio_*`` the ratio to it.
  Randomized methods report ``spectral_ratio_bound``, an upper bound of
  ``||W - W_r||_2 / sigma_{r+1}`` from the bound above and the sketch's
  ``(r+1)``-th Ritz value (a lower bound of ``sigma_{r+1}`` by interlacing).

The errors are computed on first access: the factorization alone costs
nothing more.

:func:`lora_init` initialises a LoRA adapter ``W ~ W_residual + B A``
(``B``: ``out x r``, ``A``: ``r x in``) the way PEFT names them, on NumPy
arrays or PyTorch tensors (CPU or CUDA), in the weight's dtype, with the
decomposition computed in at least float32.

:class:`GaLoreProjector` projects gradients onto a rank-``r`` subspace of
their own (Zhao et al. 2024, GaLore), refreshed every ``update_proj_gap``
steps by a randomized SVD warm-started from the previous subspace: two
products with the gradient and one small SVD instead of a full
decomposition.  A refresh that fails (non-finite gradient, an SVD that does
not converge in low precision) keeps the previous subspace, or retries in
float64, and warns; it never returns a zero projector (GaLore issue #58).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._array import backend_name, namespace, to_float
from .._seeding import as_generator
from ..randomized import rsvd
from ..spectral import svd

__all__ = ["GaLoreProjector", "LoraInit", "LowRankApproximation", "lora_init", "low_rank_approx"]

METHODS = ("auto", "svd", "rsvd", "block_krylov", "krylov")

#: Block Krylov steps of ``method="krylov"``: ``2 * KRYLOV_DEPTH + 1`` products with ``W``.
KRYLOV_DEPTH = 3


def _compute_dtype(W: Any):
    """At least float32 for the decomposition (half precision accumulates in float32)."""
    if backend_name(W) == "torch":
        import torch

        return torch.float32 if W.dtype in (torch.float16, torch.bfloat16) else W.dtype
    return np.result_type(W.dtype, np.float32)


def _astype(x: Any, dtype: Any) -> Any:
    return x.to(dtype) if backend_name(x) == "torch" else x.astype(dtype, copy=False)


def _gaussian(shape: tuple, like: Any, random_state: Any) -> Any:
    g = as_generator(random_state).standard_normal(shape)
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(g, dtype=like.dtype, device=like.device)
    return g.astype(like.dtype, copy=False)


def _norm(x: Any) -> float:
    return to_float(namespace(x).linalg.vector_norm(x))


@dataclass
class LowRankApproximation:
    """``W ~ U @ diag(s) @ Vh`` of rank ``rank``, with its errors (computed on first access).

    Unpacks as ``U, s, Vh``.

    Attributes
    ----------
    U, s, Vh : arrays
        The factors (orthonormal columns / rows, ``s`` descending).
    rank : int
    method : str
        ``"svd"``, ``"rsvd"``, ``"block_krylov"`` or ``"krylov"``.
    frobenius_error, spectral_error, spectral_error_bound : float
        See the module documentation.
    optimal_spectral, optimal_frobenius : float or None
        The Eckart-Young optimum, when known (``method="svd"``).
    spectral_ratio_bound : float
        Upper bound of ``spectral error / sigma_{r+1}`` (1 for ``"svd"``).
    """

    U: Any
    s: Any
    Vh: Any
    rank: int
    method: str
    _W: Any = field(repr=False)
    _tail: Any = field(repr=False, default=None)  # all discarded singular values (svd)
    _next_ritz: float | None = field(repr=False, default=None)  # (r+1)-th Ritz value (randomized)
    _cache: dict = field(repr=False, default_factory=dict)

    def __iter__(self):
        return iter((self.U, self.s, self.Vh))

    def _residual(self, X: Any) -> Any:
        """``(W - U diag(s) Vh) X``."""
        return self._W @ X - self.U @ (self.s[:, None] * (self.Vh @ X))

    def _residual_h(self, Y: Any) -> Any:
        xp = namespace(Y)
        Wh = xp.conj(self._W).T if hasattr(xp, "conj") else self._W.conj().T
        return Wh @ Y - xp.conj(self.Vh).T @ (self.s[:, None] * (xp.conj(self.U).T @ Y))

    @property
    def optimal_spectral(self) -> float | None:
        if self._tail is None:
            return None
        return float(self._tail[0]) if self._tail.size else 0.0

    @property
    def optimal_frobenius(self) -> float | None:
        if self._tail is None:
            return None
        return float(np.sqrt(np.sum(self._tail.astype(np.float64) ** 2)))

    @property
    def frobenius_error(self) -> float:
        if "fro" not in self._cache:
            m = self._W.shape[0]
            total = 0.0
            step = max(1, (1 << 22) // max(self._W.shape[1], 1))  # ~32 MB of float64 rows per block
            for i in range(0, m, step):
                block = self._W[i : i + step] - (self.U[i : i + step] * self.s) @ self.Vh
                total += _norm(block) ** 2
            self._cache["fro"] = math.sqrt(total)
        return self._cache["fro"]

    def _spectral(self) -> tuple[float, float]:
        if "spec" not in self._cache:
            if self._tail is not None:
                self._cache["spec"] = (self.optimal_spectral, self.optimal_spectral)
            else:
                probes = 6
                X = _gaussian((self._W.shape[1], probes), self.U, 12345)
                Y = self._residual(X)
                xp = namespace(Y)
                cols = xp.linalg.vector_norm(Y, axis=0)
                # Halko et al. Lemma 4.1: for standard Gaussian w_i (not normalised), with probability
                # >= 1 - 10^-probes, ||E|| <= 10 sqrt(2/pi) max_i ||E w_i||
                bound = 10 * math.sqrt(2 / math.pi) * to_float(xp.max(cols))
                est = to_float(xp.max(cols / xp.linalg.vector_norm(X, axis=0)))
                for _ in range(4):  # block power iteration on E^H E: Ritz values increase towards ||E||
                    Z = self._residual_h(Y)
                    Q, _ = xp.linalg.qr(Z)
                    Y = self._residual(Q)
                    est = max(est, to_float(xp.linalg.matrix_norm(Y, ord=2)))
                self._cache["spec"] = (est, max(bound, est))
        return self._cache["spec"]

    @property
    def spectral_error(self) -> float:
        return self._spectral()[0]

    @property
    def spectral_error_bound(self) -> float:
        return self._spectral()[1]

    @property
    def spectral_ratio_bound(self) -> float:
        if self._tail is not None:
            return 1.0
        if not self._next_ritz:
            return math.inf
        return self.spectral_error_bound / self._next_ritz


def _orthonormal_block(X: Any, basis: Any, xp: Any) -> Any:
    """Orthonormal columns spanning ``X`` projected off the orthonormal ``basis`` (block CGS2, QR, CGS again).

    The last projection keeps the new block orthogonal to ``basis`` even when ``X`` was (nearly) inside it,
    as for a weight of low rank.
    """
    if basis is not None:
        for _ in range(2):
            X = X - basis @ (basis.mT @ X)
    Q = xp.linalg.qr(X)[0]
    if basis is not None:
        Q = xp.linalg.qr(Q - basis @ (basis.mT @ Q))[0]
    return Q


def _krylov(
    matmat: Any, rmatmat: Any, n: int, like: Any, rank: int, block: int, depth: int, random_state: Any
) -> tuple[Any, Any, Any, float | None] | None:
    """Fixed-depth block Krylov on ``W^T W`` (``block`` columns, ``2 depth + 1`` products with ``W``).

    ``W`` (``m x n``) is seen through ``matmat(Z) = W Z`` and ``rmatmat(Y) = W^T Y``; ``like`` is an
    array of the working backend, dtype and device.  ``Z`` is the orthonormal basis of
    ``span{Omega, (W^T W) Omega, ..., (W^T W)^depth Omega}``, built block by block (each block
    orthogonalised against the earlier ones) while ``Y = W Z`` is kept, so the Rayleigh-Ritz step on
    ``W Z Z^T`` (a QR of ``Y``, an SVD of its triangle) needs no further product.  Returns ``U, s, Vh``
    of rank ``rank`` and the next Ritz value, or None when the products are not finite.
    """
    xp = namespace(like)
    Z = _orthonormal_block(_gaussian((n, block), like, random_state), None, xp)
    Zs, Ys = [Z], [matmat(Z)]
    m = Ys[0].shape[0]
    for _ in range(depth):
        if block * (len(Zs) + 1) > min(m, n):
            break
        basis = xp.concat(Zs, axis=1)
        Z = _orthonormal_block(rmatmat(Ys[-1]), basis, xp)
        Zs.append(Z)
        Ys.append(matmat(Z))
    Q, R = xp.linalg.qr(xp.concat(Ys, axis=1))
    if not bool(xp.all(xp.isfinite(R))):  # NaN/Inf in W, or overflow: a free check on the small triangle
        return None
    u, s, vh = xp.linalg.svd(R, full_matrices=False)
    basis = xp.concat(Zs, axis=1)
    U, Vh = Q @ u[:, :rank], vh[:rank] @ basis.mT
    next_ritz = to_float(s[rank]) if s.shape[0] > rank else None
    return U, s[:rank], Vh, next_ritz


def low_rank_approx(
    W: Any,
    rank: int | None = None,
    *,
    tol: float | None = None,
    method: str = "auto",
    random_state: Any = None,
) -> LowRankApproximation:
    """A rank-``r`` approximation of ``W`` with certified errors.

    Parameters
    ----------
    W : (m, n) array_like
        NumPy array or PyTorch tensor (CPU or CUDA).
    rank : int, optional
        The rank; with ``tol``, an upper limit.
    tol : float, optional
        Relative Frobenius tolerance: the smallest rank with
        ``||W - W_r||_F <= tol ||W||_F``.
    method : {"auto", "svd", "rsvd", "block_krylov", "krylov"}
        Full SVD (the exact optimum) or :func:`pivotal.rsvd` (subspace or
        block Krylov iteration, adaptive: within about 1% of
        ``sigma_{r+1}`` in the spectral norm).  ``"krylov"``: the fastest,
        a fixed-depth block Krylov iteration (block ``rank``, 3 steps: 7
        products with ``W``, in ``W``'s backend and dtype, no adaptive
        stopping and no extra pass), whose error is only reported a
        posteriori; it needs ``rank``, not ``tol``.  ``"auto"``: ``"svd"``
        when ``min(m, n) <= 512`` or the rank exceeds a quarter of it, else
        ``"rsvd"``.
    random_state : seed for the randomized methods.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import low_rank_approx
    >>> W = np.diag([3.0, 2.0, 1.0, 0.5])
    >>> approx = low_rank_approx(W, 2)
    >>> approx.rank, approx.spectral_error, round(approx.frobenius_error, 12)
    (2, 1.0, 1.118033988750)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if rank is None and tol is None:
        raise ValueError("give rank, tol or both (tol chooses the smallest sufficient rank, up to rank).")
    if getattr(W, "ndim", None) != 2:
        W = np.asarray(W)
        if W.ndim != 2:
            raise ValueError(f"W must be a 2-D matrix, got shape {W.shape}.")
    m, n = W.shape
    k = min(m, n)
    if rank is not None and (
        not isinstance(rank, (int, np.integer)) or isinstance(rank, bool) or not 0 <= rank <= k
    ):
        raise ValueError(f"rank must be an integer in [0, min(m, n)] = [0, {k}], got {rank!r}.")
    if tol is not None and not 0 < tol < 1:
        raise ValueError(f"tol must lie in (0, 1), got {tol!r}.")
    Wc = _astype(W, _compute_dtype(W))
    if method == "auto":
        method = "svd" if k <= 512 or (rank is not None and rank > k // 4) else "rsvd"
    if method == "svd":
        U, s, Vh = svd(Wc, full_matrices=False)
        s_host = np.asarray(s.cpu() if backend_name(s) == "torch" else s, dtype=np.float64)
        r = rank if rank is not None else k
        if tol is not None:
            tails = np.sqrt(np.cumsum((s_host**2)[::-1])[::-1])  # tails[i] = ||sigma_{i:}||
            total = tails[0] if tails.size else 0.0
            fits = np.flatnonzero(np.append(tails[1:], 0.0) <= tol * total)
            r = min(r, int(fits[0]) + 1 if fits.size else k)
        return LowRankApproximation(U[:, :r], s[:r], Vh[:r], r, "svd", Wc, _tail=s_host[r:])
    if method == "krylov":
        if tol is not None or rank is None:
            raise ValueError("method='krylov' has a fixed rank: give rank, not tol (use 'rsvd' for tol).")
        if rank == 0:
            method = "rsvd"  # nothing to iterate on
        else:
            found = _krylov(
                lambda Z: Wc @ Z, lambda Y: Wc.mT @ Y, n, Wc, rank, rank, KRYLOV_DEPTH, random_state
            )
            if found is not None:
                U, s, Vh, next_ritz = found
                return LowRankApproximation(U, s, Vh, rank, "krylov", Wc, _next_ritz=next_ritz)
            # NaN/Inf in W (refused below by rsvd's check) or overflow in the products (rsvd scales W first)
            method = "rsvd"
    kind = "subspace" if method == "rsvd" else "block_krylov"
    want = None if rank is None else min(rank + 1, k)  # one more: its Ritz value bounds sigma_{r+1}
    U, s, Vh = rsvd(Wc, want, tol=tol, method=kind, random_state=random_state)
    r = s.shape[0] if tol is not None and (rank is None or s.shape[0] <= rank) else min(rank, s.shape[0])
    next_ritz = to_float(s[r]) if s.shape[0] > r else None
    return LowRankApproximation(U[:, :r], s[:r], Vh[:r], r, method, Wc, _next_ritz=next_ritz)


@dataclass
class LoraInit:
    """LoRA initialisation: unpacks as ``B, A, W_residual`` (PEFT's names: ``lora_B``, ``lora_A``).

    ``W = W_residual + B @ A`` (to rounding, in the weight's dtype).

    Attributes
    ----------
    B : (out, r)
    A : (r, in)
    W_residual : (out, in)
    method : str
    approximation : LowRankApproximation or None
        The rank-``r`` approximation and its certified errors (``"pissa"``
        and ``"svd"``): ``approximation.frobenius_error`` against
        ``approximation.optimal_frobenius`` (exact SVD) or
        ``approximation.spectral_ratio_bound`` (randomized).
    """

    B: Any
    A: Any
    W_residual: Any
    method: str
    approximation: LowRankApproximation | None = None

    def __iter__(self):
        return iter((self.B, self.A, self.W_residual))


def lora_init(
    W: Any,
    r: int,
    *,
    method: str = "pissa",
    solver: str = "auto",
    random_state: Any = None,
) -> LoraInit:
    """Initialise a rank-``r`` LoRA adapter for the weight ``W`` (``out x in``).

    Parameters
    ----------
    W : (out, in) array or tensor
    r : int
        Adapter rank.
    method : {"pissa", "svd", "zeros", "gaussian"}
        ``"pissa"``: the principal part moves into the adapter,
        ``B = U_r S_r^(1/2)``, ``A = S_r^(1/2) V_r^T``, ``W_residual = W - B A``
        (Meng et al. 2024, PiSSA).  ``"svd"``: the same product with
        ``B = U_r S_r`` and orthonormal ``A = V_r^T``.  ``"zeros"``: PEFT's
        default, ``B = 0`` and ``A`` Kaiming-uniform, ``W_residual = W``.
        ``"gaussian"``: ``B = 0``, ``A ~ N(0, 1/r)``, ``W_residual = W``.
    solver : {"auto", "svd", "rsvd", "block_krylov", "krylov"}
        How the rank-``r`` part is found (see :func:`low_rank_approx`).
        ``"auto"``: the exact ``"svd"`` when ``min(out, in) <= 512`` or
        ``r`` exceeds a quarter of it, else ``"krylov"`` (7 products with
        ``W``, in ``W``'s backend and dtype; on the benchmark weights its
        Frobenius error is within 0.4% of Eckart-Young, at or below that of
        PEFT's ``torch.svd_lowrank(W, q=r, niter=4)``, which takes 10).
    random_state : seed (randomized solvers, and ``A`` for "zeros"/"gaussian").

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import lora_init
    >>> W = np.random.default_rng(0).standard_normal((64, 32))
    >>> B, A, W_res = lora_init(W, 4)
    >>> B.shape, A.shape, bool(np.allclose(W_res + B @ A, W))
    ((64, 4), (4, 32), True)
    """
    if method not in ("pissa", "svd", "zeros", "gaussian"):
        raise ValueError(f"method must be 'pissa', 'svd', 'zeros' or 'gaussian', got {method!r}.")
    if getattr(W, "ndim", None) != 2:
        raise ValueError("W must be a 2-D weight matrix (out_features x in_features).")
    out_f, in_f = W.shape
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or not 1 <= r <= min(out_f, in_f):
        raise ValueError(f"r must be an integer in [1, min(out, in)] = [1, {min(out_f, in_f)}], got {r!r}.")
    if method in ("zeros", "gaussian"):
        if solver != "auto":
            raise ValueError(f"solver is used only by method='pissa' or 'svd', not {method!r}.")
        rng = as_generator(random_state)
        if method == "zeros":  # Kaiming-uniform with a = sqrt(5), as torch.nn.Linear and PEFT
            bound = 1 / math.sqrt(in_f)
            A = rng.uniform(-bound, bound, (r, in_f))
        else:
            A = rng.standard_normal((r, in_f)) / math.sqrt(r)
        A = _like(A, W)
        B = _zeros_like((out_f, r), W)
        return LoraInit(B, A, _copy(W), method)
    if solver == "auto":
        k = min(out_f, in_f)
        solver = "svd" if k <= 512 or r > k // 4 else "krylov"
    approx = low_rank_approx(W, r, method=solver, random_state=random_state)
    U, s, Vh = approx
    if method == "pissa":
        root = namespace(s).sqrt(s)
        B, A = U * root, root[:, None] * Vh
    else:
        B, A = U * s, Vh
    B, A = _astype(B, W.dtype), _astype(A, W.dtype)
    Wc = approx._W
    Bc, Ac = _astype(B, Wc.dtype), _astype(A, Wc.dtype)
    if backend_name(Wc) == "torch":  # one fused pass over W
        import torch

        residual = torch.addmm(Wc, Bc, Ac, alpha=-1)
    else:
        residual = Wc - Bc @ Ac
    residual = _astype(residual, W.dtype)
    return LoraInit(B, A, residual, method, approx)


def _like(x: np.ndarray, W: Any) -> Any:
    if backend_name(W) == "torch":
        import torch

        return torch.as_tensor(x, device=W.device).to(W.dtype)
    return x.astype(np.result_type(W.dtype, np.float32) if W.dtype.kind != "f" else W.dtype)


def _zeros_like(shape: tuple, W: Any) -> Any:
    if backend_name(W) == "torch":
        import torch

        return torch.zeros(shape, dtype=W.dtype, device=W.device)
    return np.zeros(shape, dtype=W.dtype)


def _copy(W: Any) -> Any:
    return W.clone() if backend_name(W) == "torch" else np.array(W, copy=True)


class GaLoreProjector:
    """Gradient low-rank projection for memory-efficient training (GaLore), on PyTorch tensors.

    Parameters
    ----------
    rank : int
        Rank of the projected gradient.
    update_proj_gap : int, default 200
        Refresh the subspace every this many steps (step 0 included).
    scale : float, default 1.0
        Applied by :meth:`project_back`.
    proj_type : {"std", "reverse_std", "left", "right"}, default "std"
        ``"std"``: project the smaller side (``m >= n``: right, ``G V``;
        else left, ``U^T G``); ``"reverse_std"`` the other; ``"left"`` /
        ``"right"`` always that side.
    n_iter : int, default 1
        Power iterations of a refresh (a warm start needs few).
    random_state : seed of the first refresh's test matrix.

    Attributes
    ----------
    projector : tensor or None
        ``U_r`` (``m x r``, left) or ``V_r^T`` (``r x n``, right).
    refreshes, fallbacks : int
        Refreshes made, and those that had to fall back.

    Examples
    --------
    >>> import torch
    >>> from pivotal.ml import GaLoreProjector
    >>> G = torch.randn(64, 8, dtype=torch.float64) @ torch.randn(8, 32, dtype=torch.float64)
    >>> proj = GaLoreProjector(8, update_proj_gap=10)
    >>> low = proj.project(G, step=0)
    >>> tuple(low.shape), bool(torch.allclose(proj.project_back(low), G))
    ((64, 8), True)
    """

    def __init__(
        self,
        rank: int,
        *,
        update_proj_gap: int = 200,
        scale: float = 1.0,
        proj_type: str = "std",
        n_iter: int = 1,
        random_state: Any = None,
    ):
        if not isinstance(rank, (int, np.integer)) or isinstance(rank, bool) or rank < 1:
            raise ValueError(f"rank must be a positive integer, got {rank!r}.")
        if not isinstance(update_proj_gap, (int, np.integer)) or update_proj_gap < 1:
            raise ValueError(f"update_proj_gap must be a positive integer, got {update_proj_gap!r}.")
        if proj_type not in ("std", "reverse_std", "left", "right"):
            raise ValueError(f"proj_type must be 'std', 'reverse_std', 'left' or 'right', got {proj_type!r}.")
        if not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
            raise ValueError(f"n_iter must be a non-negative integer, got {n_iter!r}.")
        self.rank, self.update_proj_gap, self.scale = int(rank), int(update_proj_gap), float(scale)
        self.proj_type, self.n_iter = proj_type, int(n_iter)
        self._rng = as_generator(random_state)
        self.projector = None
        self.side: str | None = None
        self.refreshes = self.fallbacks = 0

    def _side(self, m: int, n: int) -> str:
        if self.proj_type in ("left", "right"):
            return self.proj_type
        right = m >= n
        if self.proj_type == "reverse_std":
            right = not right
        return "right" if right else "left"

    def project(self, grad: Any, step: int) -> Any:
        """The projected gradient (``G V_r``: ``m x r``, or ``U_r^T G``: ``r x n``); refreshes when due."""
        import torch

        if not isinstance(grad, torch.Tensor) or grad.ndim != 2:
            raise TypeError("GaLoreProjector.project needs a 2-D torch.Tensor gradient.")
        if self.rank > min(grad.shape):
            raise ValueError(f"rank {self.rank} exceeds min(grad.shape) = {min(grad.shape)}.")
        side = self._side(*grad.shape)
        if self.projector is None or side != self.side or step % self.update_proj_gap == 0:
            self._refresh(grad, side)
        P = self.projector.to(grad.dtype)
        return grad @ P.mT if self.side == "right" else P.mT @ grad

    def project_back(self, low_rank_grad: Any) -> Any:
        """``scale`` times the full-size gradient (``low V_r^T`` or ``U_r low``)."""
        if self.projector is None:
            raise RuntimeError("project_back before project: no subspace has been computed yet.")
        P = self.projector.to(low_rank_grad.dtype)
        full = low_rank_grad @ P if self.side == "right" else P @ low_rank_grad
        return full * self.scale if self.scale != 1.0 else full

    def _refresh(self, grad: Any, side: str) -> None:
        import torch

        G = grad.detach()
        G = G.mT if side == "right" else G  # find the left singular subspace of G (or G^T)
        work = torch.float32 if G.dtype in (torch.float16, torch.bfloat16) else G.dtype
        previous = self.projector if side == self.side else None
        start = None if previous is None else (previous.mT if side == "right" else previous).to(work)
        basis = None
        if bool(torch.isfinite(G).all()):
            for dtype in (work, torch.float64):  # retry in float64 when the working precision fails
                try:
                    basis = self._top_left_subspace(G.to(dtype), start if start is None else start.to(dtype))
                except (torch.linalg.LinAlgError, RuntimeError):
                    basis = None
                if basis is not None and bool(torch.isfinite(basis).all()):
                    break
                basis = None
        if basis is None:
            self.fallbacks += 1
            if previous is None:
                raise ValueError(
                    "GaLoreProjector: the first gradient is not finite (or its SVD failed in float64 too): "
                    "there is no subspace to fall back to. Check the loss for NaN/Inf."
                )
            from ..errors import LinAlgWarning, warn_user

            warn_user(
                LinAlgWarning("GaLoreProjector: the subspace refresh failed; the previous subspace is kept.")
            )
            return
        self.projector = basis.mT.contiguous() if side == "right" else basis.contiguous()
        self.side = side
        self.refreshes += 1

    def _top_left_subspace(self, G: Any, start: Any) -> Any:
        """Orthonormal ``m x r`` basis of ``G``'s dominant left singular subspace (warm-started)."""
        import torch

        m, n = G.shape
        r = self.rank
        extra = min(10, n - r, m - r) if min(m, n) > r else 0
        omega = torch.as_tensor(self._rng.standard_normal((n, r + extra)), dtype=G.dtype, device=G.device)
        if start is not None:  # warm start: the previous subspace, seen from the right, plus fresh directions
            omega[:, :r] = G.mT @ start
        Q, _ = torch.linalg.qr(G @ omega)
        for _ in range(self.n_iter):
            Q, _ = torch.linalg.qr(G.mT @ Q)
            Q, _ = torch.linalg.qr(G @ Q)
        U_small, _, _ = torch.linalg.svd(Q.mT @ G, full_matrices=False)
        return Q @ U_small[:, :r]
