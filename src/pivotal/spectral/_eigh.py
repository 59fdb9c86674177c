"""``eigh`` and ``eigvalsh``: SciPy's signatures on NumPy, PyTorch and JAX (vendor LAPACK does the work).

* NumPy: ``scipy.linalg.eigh`` with every option, over the batch.
* PyTorch and JAX, ``driver=None`` (or ``"evd"``/``"gvd"``): the vendor's
  divide-and-conquer solver (``torch.linalg.eigh`` / ``eigvalsh``,
  ``jax.lax.linalg.eigh``, both LAPACK ``syevd``/``heevd`` on the CPU).
  The generalized problem is reduced to a standard one by the Cholesky
  factor of ``b`` (:mod:`pivotal.spectral._generalized`), as LAPACK's ``sygvd``
  does, since neither library has a generalized solver.  Subsets are
  taken from the full spectrum (by slicing for ``subset_by_index``, by a
  mask for ``subset_by_value``), which is what ``syevr`` costs to within a
  constant; ``subset_by_value`` has a data-dependent shape and so cannot be
  traced by ``jax.jit``.
* PyTorch and JAX with another explicit ``driver`` (``"ev"``, ``"evr"``,
  ``"evx"``, ``"gv"``, ``"gvx"``): SciPy's driver runs on the host and the
  result is copied back (JAX: not traceable).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import (
    apply_over_batch,
    backend_name,
    check_flag,
    from_numpy,
    on_host,
    result_dtype,
    to_numpy,
    working,
)
from .._tracing import concrete_value, needs_rule, torch_needs_grad
from ..errors import NotPositiveDefiniteError
from ._common import refuse_traced, same_backend, validated
from ._generalized import reduce_generalized, standard_eigh
from ._options import EighOptions, eigh_options

__all__ = ["eigh", "eigvalsh"]

#: Drivers that torch and JAX run natively (``None``: the backend's default).
_NATIVE_DRIVERS = (None, "evd", "gvd")


def eigh(
    a: Any,
    b: Any = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: str | None = None,
):
    """Eigenvalues and eigenvectors of a Hermitian (or real symmetric) matrix (SciPy-compatible).

    Solves ``a v = w v``, or with ``b`` the generalized problem selected by
    ``type``: 1 ``a v = w b v``, 2 ``a b v = w v``, 3 ``b a v = w v``, with
    ``b`` Hermitian positive definite.

    Parameters
    ----------
    a : (..., M, M) array_like
        Hermitian matrix; only the triangle selected by ``lower`` is read.
    b : (..., M, M) array_like, optional
        Hermitian positive definite matrix (same triangle read).
    lower : bool, optional
        Read the lower (default) or upper triangle of ``a`` and ``b``.
    eigvals_only : bool, optional
        Return the eigenvalues only.
    overwrite_a, overwrite_b : bool, optional
        Permission to destroy NumPy input (as SciPy); torch and JAX input is never overwritten.
    type : {1, 2, 3}, optional
        The generalized problem (ignored without ``b``, as in SciPy).
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (pass False under ``jax.jit``).
    subset_by_index : (2,) sequence of int, optional
        The eigenvalues of ascending indices ``lo <= i <= hi`` (inclusive).
    subset_by_value : (2,) sequence of float, optional
        The eigenvalues in the half-open interval ``(lo, hi]``.  In a batch,
        each matrix must have the same number of them (else ``ValueError``).
    driver : {None, "ev", "evd", "evr", "evx", "gv", "gvd", "gvx"}, optional
        The LAPACK driver (SciPy's rules: the ``g*`` ones need ``b``, subsets
        need ``evr``, ``evx`` or ``gvx``).  ``None`` is each backend's
        default: SciPy's ``evr`` (``gvd``, or ``gvx`` with a subset) on NumPy,
        divide and conquer on torch and JAX.  On torch and JAX ``"evd"`` and
        ``"gvd"`` run natively and the others run SciPy's on the host.

    Returns
    -------
    w : (..., K) array
        Eigenvalues in ascending order (``K = M``, or the subset's size), real dtype.
    v : (..., M, K) array
        Orthonormal eigenvectors (columns); with ``b`` normalized as
        ``v^H b v = I`` (types 1, 2) or ``v^H b^{-1} v = I`` (type 3).
        Not returned with ``eigvals_only``.

    Raises
    ------
    NotPositiveDefiniteError
        ``b`` is not positive definite (a ``LinAlgError``; ``index`` is the
        0-based order of the leading minor of ``b`` that is not, minus one).
    LinAlgError
        If the eigensolver does not converge.
    ValueError
        Non-square or mismatched inputs, NaN/Inf (with ``check_finite``), or
        invalid options (SciPy's checks).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> w, v = pv.eigh(A)
    >>> np.allclose(w, [1.0, 3.0]), np.allclose(A @ v, v * w)
    (True, True)
    >>> B = np.diag([1.0, 4.0])
    >>> w, v = pv.eigh(A, B)
    >>> np.allclose(A @ v, B @ v * w), np.allclose(v.T @ B @ v, np.eye(2))
    (True, True)
    """
    check_flag(lower, "lower")
    check_flag(eigvals_only, "eigvals_only")
    a = validated(a, "a", check_finite=check_finite, square=True)
    n = int(a.shape[-1])
    if b is not None:
        b = validated(b, "b", check_finite=check_finite, square=True)
        same_backend(a, b)
        if b.shape[-1] != n:
            raise ValueError(
                f"wrong b dimensions {tuple(b.shape)}, should be {tuple(a.shape)}: a and b must have the "
                "same order."
            )
    opts = eigh_options(
        n,
        b is not None,
        lower=lower,
        eigvals_only=eigvals_only,
        type=type,
        subset_by_index=subset_by_index,
        subset_by_value=subset_by_value,
        driver=driver,
    )
    dtype = result_dtype(a) if b is None else result_dtype(a, b)
    name = backend_name(a)
    if name == "numpy":
        return _numpy_eigh(a, b, opts, dtype, bool(overwrite_a), bool(overwrite_b))
    x, y = working(a, dtype), None if b is None else working(b, dtype)
    if needs_rule(x, y) and (y is None or opts.type == 1):
        return _eigh_routed(x, y, opts)
    if y is not None and (torch_needs_grad(x) or torch_needs_grad(y)):
        raise ValueError(
            f"pivotal.eigh(a, b, type={opts.type}) has no derivative rule (only the generalized problem "
            "of type 1, a v = w b v, has one): detach a and b (or use torch.no_grad()), or rewrite the "
            "problem as type 1 (type 2, a b v = w v, is a v = w b^-1 v)."
        )
    if opts.driver not in _NATIVE_DRIVERS:
        refuse_traced(f"eigh(driver={opts.driver!r}) on JAX", x, y)
        return on_host(lambda h, g: _numpy_eigh(h, g, opts, h.dtype, True, True), x, y)
    return _vendor_eigh(x, y, opts)


def eigvalsh(
    a: Any,
    b: Any = None,
    *,
    lower: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: str | None = None,
):
    """Eigenvalues of a Hermitian (or real symmetric) matrix, ascending (SciPy-compatible).

    ``eigh(..., eigvals_only=True)``; see :func:`eigh` for the parameters.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> w = pv.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> np.allclose(w, [1.0, 3.0])
    True
    """
    return eigh(
        a,
        b,
        lower=lower,
        eigvals_only=True,
        overwrite_a=overwrite_a,
        overwrite_b=overwrite_b,
        type=type,
        check_finite=check_finite,
        subset_by_index=subset_by_index,
        subset_by_value=subset_by_value,
        driver=driver,
    )


def _b_not_positive_definite(order: int) -> NotPositiveDefiniteError:
    return NotPositiveDefiniteError(
        order - 1,
        f"b is not positive definite: its leading minor of order {order} is not positive (Cholesky "
        f"of b failed at column {order - 1}), so the generalized problem has no Hermitian-definite "
        "reduction. Check b (a mass or covariance matrix must be positive definite), add a small "
        "diagonal shift, or solve the non-symmetric problem with scipy.linalg.eig(a, b).",
    )


def _count_guard(opts: EighOptions):
    """Wrap a 2-D eigh core so that a batch whose members have different subset sizes fails clearly."""
    counts: list[int] = []

    def wrap(core):
        def checked(*args):
            out = core(*args)
            k = (out if opts.eigvals_only else out[0]).shape[-1]
            if counts and k != counts[0]:
                _, lo, hi = opts.subset
                raise ValueError(
                    f"subset_by_value=({lo}, {hi}) selects {counts[0]} eigenvalues of one matrix of the "
                    f"batch and {k} of another, which cannot be stacked; use subset_by_index, or loop "
                    "over the batch."
                )
            counts.append(k)
            return out

        return checked

    return wrap


def _numpy_eigh(a, b, opts: EighOptions, dtype, overwrite_a: bool, overwrite_b: bool):
    x = working(a, dtype)
    y = None if b is None else working(b, dtype)
    ow_a = overwrite_a or x is not a  # a converted copy is ours to destroy
    ow_b = b is not None and (overwrite_b or y is not b)
    index = (opts.subset[1], opts.subset[2]) if opts.subset and opts.subset[0] == "index" else None
    value = (opts.subset[1], opts.subset[2]) if opts.subset and opts.subset[0] == "value" else None

    def core(a2, b2=None):
        try:
            return scipy.linalg.eigh(
                a2,
                b2,
                lower=opts.lower,
                eigvals_only=opts.eigvals_only,
                overwrite_a=ow_a,
                overwrite_b=ow_b,
                type=opts.type or 1,
                check_finite=False,
                subset_by_index=index,
                subset_by_value=value,
                driver=opts.driver,
            )
        except np.linalg.LinAlgError as err:  # SciPy's message for b: "The leading minor of order k of B ..."
            words = str(err).split()
            if b2 is not None and str(err).startswith("The leading minor of order"):
                raise _b_not_positive_definite(int(words[5])) from None
            raise

    arrays = [(x, 2)] if y is None else [(x, 2), (y, 2)]
    return apply_over_batch(_count_guard(opts)(core), arrays)


def _eigh_full(x, y, *, lower: bool, itype: int, driver: str | None):
    """The rule's primal: every eigenpair ``(w, v)`` of ``x`` (with ``y``: ``b``), without a graph."""
    opts = EighOptions(lower=lower, eigvals_only=False, type=itype, driver=driver, subset=None)
    if driver not in _NATIVE_DRIVERS:  # under jax.grad without jit the values are concrete here
        refuse_traced(f"eigh(driver={driver!r}) on JAX", x, y)
        return on_host(lambda h, g: _numpy_eigh(h, g, opts, h.dtype, True, True), x, y)
    return _vendor_eigh(x, y, opts)


def _eigh_routed(x, y, opts: EighOptions):
    """:func:`eigh` through the ``eigh`` rule: the full decomposition is recorded, subsets are slices of it."""
    from ..autodiff import apply
    from ..autodiff.spectral_rules import EIGH

    w, v = apply(EIGH, _eigh_full, x, y, lower=opts.lower, itype=opts.type, driver=opts.driver)
    w, v = _subset(w, v, opts)
    return w if opts.eigvals_only else (w, v)


def _vendor_eigh(x, y, opts: EighOptions):
    """torch / JAX: the vendor's standard solver, after the Cholesky reduction when ``y`` (``b``) is given."""
    n = x.shape[-1]
    if n == 0:
        w, v = _empty_like(x, y)
    elif y is None:
        w, v = standard_eigh(x, opts.lower, opts.eigvals_only)
    else:
        try:
            c, back = reduce_generalized(x, y, opts.lower, opts.type)
        except NotPositiveDefiniteError as err:
            # jax's Cholesky fills the whole factor with NaN, which hides the failing column: find it here.
            index = _host_failure_index(y, opts.lower) if backend_name(y) == "jax" else err.index
            raise _b_not_positive_definite(index + 1) from None
        w, v = standard_eigh(c, True, opts.eigvals_only)
        v = None if v is None else back(v)
    w, v = _subset(w, v, opts)
    return w if opts.eigvals_only else (w, v)


def _empty_like(x, y):
    """``(w, v)`` of order 0 for the (broadcast) batch of ``x`` and ``y``."""
    from .._array import device_of, namespace, real_dtype

    xp = namespace(x)
    batch = tuple(np.broadcast_shapes(tuple(x.shape[:-2]), () if y is None else tuple(y.shape[:-2])))
    dev = device_of(x)
    return (
        xp.zeros((*batch, 0), dtype=real_dtype(x.dtype), device=dev),
        xp.zeros((*batch, 0, 0), dtype=x.dtype, device=dev),
    )


def _host_failure_index(b, lower: bool) -> int:
    """Column at which the Cholesky factorization of ``b`` (host copy) fails; 0 if it does not."""
    from ..decompositions import cholesky

    try:
        cholesky(to_numpy(b), lower=lower, check_finite=False)
    except NotPositiveDefiniteError as err:
        return err.index
    return 0


def _subset(w, v, opts: EighOptions):
    if opts.subset is None:
        return w, v
    kind, lo, hi = opts.subset
    if kind == "index":
        return w[..., lo : hi + 1], None if v is None else v[..., lo : hi + 1]
    known = concrete_value(w)  # under jax.grad (without jit) the values are known
    if known is None:
        refuse_traced("eigh(subset_by_value=...) on JAX (its result's shape depends on the values)", w)
    wn = to_numpy(known)  # detached: the selection is a constant
    start = (wn <= lo).sum(axis=-1)  # ascending: the selection (lo, hi] is start : start + k
    counts = ((wn > lo) & (wn <= hi)).sum(axis=-1)
    if counts.size and np.any(counts != counts.reshape(-1)[0]):
        raise ValueError(
            f"subset_by_value=({lo}, {hi}) selects between {counts.min()} and {counts.max()} eigenvalues "
            "of the matrices of the batch, which cannot be stacked; use subset_by_index, or loop over "
            "the batch."
        )
    k = int(counts.reshape(-1)[0]) if counts.size else 0
    if start.size == 0 or np.all(start == start.reshape(-1)[0]):
        s = int(start.reshape(-1)[0]) if start.size else 0
        return w[..., s : s + k], None if v is None else v[..., s : s + k]
    return _gather(w, v, start, k)


def _gather(w, v, first, k):
    """Per-matrix contiguous ranges ``first[i] : first[i] + k`` of a batch (different starts)."""
    idx = first[..., None] + np.arange(k)
    ind = from_numpy(idx.astype(np.int64), w)
    name = backend_name(w)
    if name == "torch":
        import torch

        ws = torch.take_along_dim(w, ind, dim=-1)
        vs = (
            None if v is None else torch.take_along_dim(v, ind[..., None, :].expand(*v.shape[:-1], k), dim=-1)
        )
        return ws, vs
    import jax.numpy as jnp

    ws = jnp.take_along_axis(w, ind, axis=-1)
    vs = (
        None
        if v is None
        else jnp.take_along_axis(v, jnp.broadcast_to(ind[..., None, :], (*v.shape[:-1], k)), axis=-1)
    )
    return ws, vs
