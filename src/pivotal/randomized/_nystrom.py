"""Randomized Nyström approximation of a positive semidefinite matrix.

For PSD ``A`` (``n x n``) and a test matrix ``Omega`` (``n x l``) with
orthonormal columns, the Nyström approximation is

    A_nys = (A Omega) (Omega^H A Omega)^+ (A Omega)^H,

which is PSD, never exceeds ``A`` (``A - A_nys`` is PSD) and equals ``A``
exactly when ``rank(A) <= l``.  Computed naively the pseudo-inverse is
unstable; Tropp, Yurtsever, Udell and Cevher (2017, Alg. 3) stabilise it
with a tiny shift ``nu``: with ``Y_nu = A Omega + nu Omega``,
``B = Omega^H Y_nu`` (positive definite), ``C = chol(B)``, the thin SVD
``Y_nu C^{-1} = U S V^H`` gives ``A_nys + nu I ~ U S^2 U^H`` on the range, and
``lam = max(S^2 - nu, 0)``, truncated to rank ``k``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from array_api_compat import is_dask_array

from .._array import backend_name, conj_transpose, to_float
from .._backends import get_backend
from .._tracing import needs_rule
from ..autodiff.topk_rules import Opaque, host_forward, topk_eigh
from . import _dask
from ._operator import _Draw, _Operator
from ._random import RandomState
from ._rsvd import check_hermitian, graph_rank
from ._signs import fix_signs
from ._subspace import _orth, check_rank

__all__ = ["nystrom"]


def _eps(dtype: Any) -> float:
    return float(np.finfo(np.dtype(str(dtype).replace("torch.", ""))).eps)


_WHAT = "symmetric (Hermitian) positive semidefinite"


def nystrom(
    A: Any,
    k: int,
    *,
    n_oversamples: int = 10,
    n_iter: int = 0,
    random_state: RandomState = None,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """Randomized Nyström approximation ``A ~ U @ diag(lam) @ U^H`` of a PSD matrix, of rank ``k``.

    Stabilised with a shift as in Tropp, Yurtsever, Udell and Cevher (2017,
    Alg. 3): ``nu = eps * ||A Omega||_F`` is added before the Cholesky
    factorization of the core matrix and subtracted from the eigenvalues
    afterwards.  The approximation is PSD by construction, and exact (to
    rounding) when ``rank(A) <= k + n_oversamples``.

    Parameters
    ----------
    A : (n, n) array_like, scipy.sparse matrix, LinearOperator or dask array
        Symmetric (Hermitian) positive semidefinite; NumPy, PyTorch (any
        device), JAX, ``scipy.sparse``, a ``LinearOperator`` (only
        ``A @ X`` is used) or a ``dask.array.Array`` chunked by rows (used
        through distributed products; the results are then NumPy arrays).
        Dense and sparse input is checked for symmetry with one random
        product, and scaled by a power of two into a safe range (any
        finite scale works; ``lam`` is unscaled); a broadcast view (a
        stride-0 axis) is multiplied through its distinct row or column.
    k : int
        Rank of the approximation, ``0 <= k <= n``.
    n_oversamples : int, optional
        Extra test vectors (default 10): ``l = min(k + n_oversamples, n)``.
    n_iter : int, optional
        Power iterations on the test matrix, ``Omega = orth(A^q G)`` (default
        0, the plain Nyström method; 1 or 2 help for slowly decaying
        spectra).  The result stays PSD.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed; ints and NumPy generators give the same result on NumPy and
        PyTorch (to rounding).
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``A`` (default True).

    Returns
    -------
    U : (n, k) array
        Orthonormal columns; the entry of largest absolute value of each
        column is real and positive.
    lam : (k,) array
        Nonnegative eigenvalues of the approximation, descending (real).

    Raises
    ------
    ValueError
        ``A`` not square, not symmetric, or visibly indefinite (the shifted
        core matrix ``Omega^H A Omega + nu I`` is not positive definite, so
        ``A`` has negative eigenvalues: use :func:`reigh`); bad ``k``,
        ``n_oversamples`` or ``n_iter``.

    Notes
    -----
    A dense PyTorch tensor that requires grad, or a JAX array under
    ``jax.grad`` / ``jax.jit``, gets the gradient of ``(U, lam)`` taken as
    exact top-``k`` eigenpairs of ``A`` (:func:`pivotal.autodiff.eigsh_vjp`,
    ``backward="cg"``), not of the sketch: exact when ``rank(A) <= k``,
    otherwise as accurate as the pairs (``n_iter`` power iterations help).

    References
    ----------
    .. [1] J. A. Tropp, A. Yurtsever, M. Udell and V. Cevher, "Fixed-rank
       approximation of a positive-semidefinite matrix from streaming data",
       NeurIPS 2017, Algorithm 3.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import nystrom
    >>> G = np.random.default_rng(0).standard_normal((300, 15))
    >>> A = G @ G.T                                   # PSD of rank 15
    >>> U, lam = nystrom(A, 15, random_state=0)
    >>> bool(np.allclose(U @ np.diag(lam) @ U.T, A))
    True
    >>> bool((lam >= 0).all())
    True
    """
    if isinstance(n_oversamples, (bool, np.bool_)) or not isinstance(n_oversamples, (int, np.integer)):
        raise TypeError(f"nystrom: n_oversamples must be an int >= 0, got {n_oversamples!r}.")
    if n_oversamples < 0:
        raise ValueError(f"nystrom: n_oversamples must be >= 0, got {n_oversamples}.")
    if isinstance(n_iter, (bool, np.bool_)) or not isinstance(n_iter, (int, np.integer)):
        raise TypeError(f"nystrom: n_iter must be an int >= 0, got {n_iter!r}.")
    if n_iter < 0:
        raise ValueError(f"nystrom: n_iter must be an int >= 0, got {n_iter}.")
    if needs_rule(A):
        k = graph_rank(k, A, "nystrom")
        lam, U = topk_eigh(
            _nystrom_primal, A, backward="cg", k=k, n_oversamples=int(n_oversamples), n_iter=int(n_iter),
            random_state=Opaque.wrap(random_state), check_finite=check_finite,
        )  # fmt: skip
        return U, lam
    if is_dask_array(A):  # products on the cluster, NumPy results: see pivotal.randomized._dask
        A = _dask.client_operator(A, check_finite, hermitian=True, func="nystrom")
    op = _Operator.of(A, check_finite=check_finite, hermitian=True, scale=True)
    check_hermitian(op, "nystrom", _WHAT)
    k = check_rank(k, op, allow_none=False, func="nystrom")
    n = op.shape[0]
    xp = op.xp
    if k == 0:
        kw = {"dtype": op.dtype}
        if op.like is not None:
            kw["device"] = op.like.device
        rdt = op.like.real.dtype if op.like is not None else np.finfo(op.dtype).dtype
        return op.out(xp.zeros((n, 0), **kw)), op.out(xp.zeros((0,), **dict(kw, dtype=rdt)))
    ell = min(k + int(n_oversamples), n)
    draw = _Draw(random_state, op)
    omega, _ = _orth(draw.normal((n, ell)))
    for _ in range(int(n_iter)):
        omega, _ = _orth(op.matmat(omega))
    Y = op.matmat(omega)
    eps = _eps(op.dtype)
    nu = eps * math.sqrt(_fro2(Y))
    backend = get_backend(Y)
    for _ in range(4):
        Ynu = Y + nu * omega
        B = conj_transpose(omega) @ Ynu
        B = (B + conj_transpose(B)) / 2
        low, info = backend.vendor_potrf(B, lower=True)
        if not info:
            break
        nu *= 100  # rounding in B can exceed the first shift; a larger one is still O(u ||A||)
    else:
        raise ValueError(
            "nystrom: the core matrix Omega^H A Omega (shifted by a multiple of u ||A||) is not "
            "positive definite, so A is not positive semidefinite (it has clearly negative "
            "eigenvalues). Use reigh for indefinite symmetric matrices."
        )
    C = xp.tril(low)
    F = xp.asarray(Ynu, copy=True)
    # F <- Y_nu C^{-H}: B = C C^H (C lower), so Y_nu B^{-1} Y_nu^H = F F^H.
    backend.trsm_inplace(C, F, lower=True, trans=2, side="right")
    if backend_name(F) == "torch":
        import torch

        U, S, _ = torch.linalg.svd(F, full_matrices=False)
        lam = torch.clamp(S[:k] ** 2 - nu, min=0)
    else:
        U, S, _ = np.linalg.svd(F, full_matrices=False)
        lam = np.maximum(S[:k] ** 2 - nu, 0)
    U, _ = fix_signs(U[:, :k])
    return op.out(U), op.out(op.unscaled(lam))


def _nystrom_primal(a, *, backward, k, n_oversamples, n_iter, random_state, check_finite):
    """The forward of the ``eigsh`` rule for :func:`nystrom`: ``(lam, U)`` on the values of ``a``."""

    def run(x):
        U, lam = nystrom(
            x, k, n_oversamples=n_oversamples, n_iter=n_iter, random_state=Opaque.unwrap(random_state),
            check_finite=check_finite,
        )  # fmt: skip
        return lam, U

    n = int(a.shape[0])
    return host_forward(run, a, (((k,), True), ((n, k), False)))


def _fro2(x: Any) -> float:
    if backend_name(x) == "torch":
        return to_float(x.norm()) ** 2
    return float(np.vdot(x, x).real)
