"""Derivative rules of the top-k spectral routines: ``svds``/``rsvd`` and ``eigsh``/``reigh``/``nystrom``.

The forward is the routine's ordinary host code (ARPACK, LAPACK or the
randomized iteration) run on the values without a graph; the backward is
the matrix-free top-k backward of :mod:`.topk_vjp` (:func:`~.topk_vjp.svds_vjp`,
:func:`~.topk_vjp.eigsh_vjp`), whose :class:`~.topk_gradient.LowRankGradient`
``left @ right^H`` (rank ``<= 2k``) is multiplied out once into the dense
cotangent of ``A``.  Derivation, tolerances and the options of ``backward=``:
the module notes of :mod:`.topk_vjp` and ``docs/autodiff_spectral.md``.

The randomized routines (``rsvd``, ``reigh``, ``nystrom``) get the gradient
of the triplets (eigenpairs) they return, taken as the exact top-k pairs of
``A``: the random test matrices and the power/Krylov iterations are not
differentiated (``torch.svd_lowrank`` differentiates through them, which
gives the gradient of the approximation procedure and is unstable when the
pairs are not separated, pytorch#69531).  The gradient is therefore as
accurate as the pairs are converged: the residual ``||A v - s u||`` enters
it linearly.

JAX: outside ``jit`` the forward and the backward run on the concrete
values; under ``jit`` both go through ``jax.pure_callback`` with explicit
result shapes (the forward is host code, the backward's Krylov solves are
Python loops with convergence tests), so ``jax.jit(jax.grad(f))`` works.
Such a callback has no ``vmap`` rule of its own: ``vmap`` runs it once per
batch element (``vmap_method="sequential"``).  Second derivatives are not
available: PyTorch's ``create_graph=True`` raises a ``RuntimeError``, and JAX
refuses to differentiate the callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import backend_name, from_numpy, to_numpy
from .._tracing import is_tracer
from ._apply import apply
from ._rule import Rule, register

__all__ = [
    "BACKWARDS",
    "EIGSH",
    "SVDS",
    "Opaque",
    "check_backward",
    "host_forward",
    "refuse_backward_without_graph",
    "topk_eigh",
    "topk_svd",
]

#: The values of ``backward=`` in the public functions ("auto" resolves per ``which``).
BACKWARDS = ("auto", "cg", "minres", "block", "augmented")


def check_backward(backward: Any, func: str, *, definite: bool) -> str:
    """``backward=`` checked and resolved: ``"auto"`` is ``"cg"`` when ``definite`` else ``"minres"``.

    ``definite`` says whether the complement systems are definite: true for
    the largest singular values / largest-magnitude eigenvalues
    (``which="LM"``), the pairs the randomized routines return.  ``"cg"``
    on an indefinite system is refused (it could stop on a wrong answer).
    """
    if not isinstance(backward, str) or backward not in BACKWARDS:
        raise ValueError(
            f"{func}: backward must be one of {', '.join(map(repr, BACKWARDS))}, got {backward!r}."
        )
    if backward == "auto":
        return "cg" if definite else "minres"
    if backward == "cg" and not definite:
        raise ValueError(
            f"{func}: backward='cg' needs the largest-magnitude pairs (which='LM'): for the others the "
            "complement system is indefinite. Use backward='minres' (or 'auto')."
        )
    return backward


def refuse_backward_without_graph(backward: Any, A: Any, func: str) -> None:
    """``ValueError`` for ``backward=`` on input that can never be differentiated (no parameter is idle).

    ``backward`` selects the method of the gradient, which exists for a
    dense PyTorch tensor or JAX array.  NumPy, ``scipy.sparse`` and
    ``LinearOperator`` input have no graph: their users call
    :func:`pivotal.autodiff.svds_vjp` / :func:`~pivotal.autodiff.eigsh_vjp`
    with ``backward=`` directly.
    """
    if backward == "auto":
        return
    if backend_name(A) in ("torch", "jax") and hasattr(A, "shape"):
        return
    raise ValueError(
        f"{func}: backward={backward!r} selects the method of the gradient, which only PyTorch tensors and "
        f"JAX arrays have; {type(A).__name__} input has no graph. Drop backward=, or compute the gradient "
        "with pivotal.autodiff.svds_vjp / eigsh_vjp(..., backward=...)."
    )


# --------------------------------------------------------------------------- options and the JAX host forward


class Opaque:
    """An option that is not hashable (a start vector, an options dict, a key array), hashed by identity.

    The rules' options are keyword arguments that the JAX adapter uses as a
    cache key; :meth:`wrap` passes hashable values through unchanged.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    @staticmethod
    def wrap(x: Any) -> Any:
        try:
            hash(x)
        except TypeError:
            return Opaque(x)
        return x

    @staticmethod
    def unwrap(x: Any) -> Any:
        return x.value if isinstance(x, Opaque) else x


def _real_dtype(dtype: Any) -> Any:
    import jax.numpy as jnp

    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype


def host_forward(fn: Callable[[np.ndarray], tuple], a: Any, shapes: tuple[tuple[tuple[int, ...], bool], ...]):
    """``fn`` (NumPy in, tuple of NumPy out) on ``a``: directly, or for a JAX ``a`` as JAX arrays.

    ``shapes`` gives each output's shape and whether it is real (singular
    values, eigenvalues) or has ``a``'s dtype: under ``jax.jit`` (a traced
    ``a``) ``fn`` runs through ``jax.pure_callback`` with these result
    shapes.  PyTorch (and NumPy) ``a`` is passed to ``fn`` unchanged.
    """
    if backend_name(a) != "jax":
        return fn(a)
    import jax
    import jax.numpy as jnp

    specs = tuple(jax.ShapeDtypeStruct(s, _real_dtype(a.dtype) if real else a.dtype) for s, real in shapes)

    def host(x):
        out = fn(np.asarray(x))
        return tuple(np.asarray(to_numpy(o), dtype=sp.dtype) for o, sp in zip(out, specs, strict=True))

    if is_tracer(a):
        return tuple(jax.pure_callback(host, specs, a, vmap_method="sequential"))
    return tuple(jnp.asarray(o) for o in host(to_numpy(a)))


def _host_backward(a: Any, gradient: Callable[..., np.ndarray], *arrays: Any) -> Any:
    """The dense cotangent of a JAX ``a`` from ``gradient(a, *arrays)`` (NumPy), through a callback when traced."""
    import jax
    import jax.numpy as jnp

    def host(*xs):
        return np.asarray(gradient(*(np.asarray(x) for x in xs)), dtype=a.dtype)

    if any(is_tracer(x) for x in (a, *arrays)):
        spec = jax.ShapeDtypeStruct(a.shape, a.dtype)
        return jax.pure_callback(host, spec, a, *arrays, vmap_method="sequential")
    return jnp.asarray(host(*(to_numpy(x) for x in (a, *arrays))))


def _torch_backward(a: Any, gradient: Callable[..., Any], *arrays: Any) -> Any:
    """The dense cotangent of a PyTorch ``a``: on the host in NumPy for a CPU tensor, else in torch.

    The backward's Krylov loop is many small operations around the products
    with ``A``: on the CPU, NumPy runs them with less overhead than torch
    (whose per-operation dispatch and thread pool cost more than the
    ``n x k`` operations themselves) and the products are the same BLAS
    calls.  CUDA tensors stay on their device.
    """
    _refuse_double_backward(a)
    if a.device.type != "cpu":
        return gradient(a, *arrays)
    host = gradient(*(to_numpy(x) for x in (a, *arrays)))
    return from_numpy(np.ascontiguousarray(host), a, a.dtype)


def _refuse_double_backward(a: Any) -> None:
    """PyTorch runs a backward with grad mode on only for ``create_graph=True``: not supported here."""
    import torch

    if torch.is_grad_enabled():
        raise RuntimeError(
            "second derivatives through the top-k routines (svds, eigsh, rsvd, reigh, nystrom) are not "
            "supported: their backward runs Krylov solves and host code that are not recorded. Use "
            "backward(create_graph=False), or pivotal.svd / pivotal.eigh for higher derivatives."
        )


def _nonzero(g: Any) -> Any:
    """``g``, or None for an all-zero cotangent (an output the loss does not use: no solve for it)."""
    if g is None:
        return None
    if backend_name(g) == "torch":
        return g if bool(g.any()) else None
    return g if np.any(np.asarray(g)) else None


# --------------------------------------------------------------------------- SVD


def _svds_dense_gradient(a, U, s, Vh, gU, gs, gVh, *, backward):
    from .topk_vjp import svds_vjp

    gU, gs, gVh = _nonzero(gU), _nonzero(gs), _nonzero(gVh)
    if gU is None and gs is None and gVh is None:
        return a * 0
    return svds_vjp(a, U, s, Vh, gU, gs, gVh, backward=backward).to_dense()


def _svds_rule_vjp(static, args, out, cts, needs, primal):
    (a,) = args
    U, s, Vh = out
    gU, gs, gVh = cts
    backward = static["backward"]

    def gradient(a, U, s, Vh, gU, gs, gVh):
        return _svds_dense_gradient(a, U, s, Vh, gU, gs, gVh, backward=backward)

    if backend_name(a) == "jax":
        return (_host_backward(a, gradient, U, s, Vh, gU, gs, gVh),)
    if backend_name(a) == "torch":
        return (_torch_backward(a, gradient, U, s, Vh, gU, gs, gVh),)
    return (gradient(a, U, s, Vh, gU, gs, gVh),)


SVDS = register(
    Rule(
        name="svds",
        functions=("svds", "rsvd"),
        argnums=(0,),
        vjp=_svds_rule_vjp,
        caveats="dense A; matrix-free backward (backward=); needs s_k > s_(k+1); rsvd: gradient of the "
        "returned triplets taken as exact, not of the random iteration",
        reference="docs/autodiff_spectral.md; pivotal.autodiff.topk_vjp (Seeger et al. 2017)",
    )
)


def topk_svd(primal: Callable[..., tuple], a: Any, *, backward: str, **static: Any) -> tuple:
    """``primal(a, backward=..., **static) = (U, s, Vh)``, recorded with :data:`SVDS` when ``a`` is differentiated.

    ``primal`` runs the public function's forward on a value without a
    graph (for a JAX ``a``, through :func:`host_forward`); ``static`` must
    be hashable.
    """
    return apply(SVDS, primal, a, backward=backward, **static)


# --------------------------------------------------------------------------- Hermitian eigenpairs


def _eigsh_dense_gradient(a, w, V, gw, gV, *, backward):
    from .topk_vjp import eigsh_vjp

    gw, gV = _nonzero(gw), _nonzero(gV)
    if gw is None and gV is None:
        return a * 0
    return eigsh_vjp(a, w, V, gw, gV, backward=backward).to_dense()


def _eigsh_rule_vjp(static, args, out, cts, needs, primal):
    (a,) = args
    w, V = out
    gw, gV = cts
    backward = static["backward"]

    def gradient(a, w, V, gw, gV):
        return _eigsh_dense_gradient(a, w, V, gw, gV, backward=backward)

    if backend_name(a) == "jax":
        return (_host_backward(a, gradient, w, V, gw, gV),)
    if backend_name(a) == "torch":
        return (_torch_backward(a, gradient, w, V, gw, gV),)
    return (gradient(a, w, V, gw, gV),)


EIGSH = register(
    Rule(
        name="eigsh",
        functions=("eigsh", "reigh", "nystrom"),
        argnums=(0,),
        vjp=_eigsh_rule_vjp,
        caveats="dense Hermitian A (the gradient is Hermitian); needs the k values separated from the rest; "
        "reigh/nystrom: gradient of the returned pairs taken as exact",
        reference="docs/autodiff_spectral.md; pivotal.autodiff.topk_vjp",
    )
)


def topk_eigh(primal: Callable[..., tuple], a: Any, *, backward: str, **static: Any) -> tuple:
    """``primal(a, backward=..., **static) = (w, V)``, recorded with :data:`EIGSH` when ``a`` is differentiated."""
    return apply(EIGSH, primal, a, backward=backward, **static)
