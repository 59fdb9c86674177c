"""K-FAC: Kronecker-factored natural-gradient preconditioning through Cholesky solves.

For a layer ``y = W a`` the Fisher block is approximated by ``A ⊗ G`` with
``A = E[a a^T]`` (input activations, a 1 appended for the bias) and
``G = E[g g^T]`` (per-example output gradients); Martens & Grosse (2015).
The preconditioned gradient is

    (G + lambda_G I)^{-1} grad (A + lambda_A I)^{-1}

computed by two Cholesky factorizations and triangular solves: no explicit
inverse (the usual ``torch.inverse`` of a float32 factor is where K-FAC
implementations produce NaN).  With ``pi_damping`` (Martens & Grosse,
sec. 6.3) ``lambda_A = pi sqrt(lambda)`` and ``lambda_G = sqrt(lambda) / pi``
with ``pi = sqrt((tr A / dim A) / (tr G / dim G))``; otherwise both are
``sqrt(lambda)``.

A damped factor that is still not numerically positive definite (a float32
covariance of rank-deficient activations) is refactored in float64, then with
the damping multiplied by 10 until it succeeds (at most 10 times); a
``LinAlgWarning`` says which, and the damping used is recorded.

``Conv2d`` layers use the KFC factors (Grosse & Martens 2016): ``A`` over
the unfolded input patches, ``G`` over the output gradients at every spatial
position.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import backend_name, namespace, to_float
from ..decompositions import cho_solve, cholesky
from ..errors import LinAlgWarning, NotPositiveDefiniteError, warn_user

__all__ = ["KFACPreconditioner", "damped_cholesky", "kfac_precondition"]

MAX_ESCALATIONS = 10


def _trace(x: Any) -> float:
    return to_float(namespace(x).sum(namespace(x).linalg.diagonal(x)))


def _split_damping(A_cov: Any, G_cov: Any, damping: float, pi_damping: bool) -> tuple[float, float]:
    root = math.sqrt(damping)
    if not pi_damping:
        return root, root
    ta, tg = _trace(A_cov) / A_cov.shape[0], _trace(G_cov) / G_cov.shape[0]
    pi = math.sqrt(ta / tg) if ta > 0 and tg > 0 and math.isfinite(ta / tg) else 1.0
    return pi * root, root / pi


def _shifted(cov: Any, shift: float) -> Any:
    xp = namespace(cov)
    return cov + shift * xp.eye(cov.shape[0], dtype=cov.dtype, device=getattr(cov, "device", None))


def _to_float64(x: Any) -> Any:
    if backend_name(x) == "torch":
        import torch

        return x.to(torch.float64)
    return np.asarray(x, dtype=np.float64)


def damped_cholesky(cov: Any, damping: float, name: str = "covariance") -> tuple[Any, float, bool]:
    """Lower Cholesky factor of ``cov + damping I``, with the fallbacks of the module documentation.

    Returns
    -------
    L : array
        In ``cov``'s dtype, or float64 after a float64 retry.
    damping : float
        The damping finally used.
    promoted : bool
        Whether the factor is float64 because the working precision failed.
    """
    xp = namespace(cov)
    u = float(np.finfo(np.float32 if "32" in str(cov.dtype) else np.float64).eps)
    candidates = [(cov, False)]
    if "float32" in str(cov.dtype) or "float16" in str(cov.dtype):
        candidates.append((_to_float64(cov), True))
    for escalation in range(MAX_ESCALATIONS + 1):
        shift = damping * 10.0**escalation
        for work, promoted in candidates:
            try:
                L = cholesky(_shifted(work, shift), lower=True, check_finite=False)
            except NotPositiveDefiniteError:
                continue
            d = xp.linalg.diagonal(L) if backend_name(L) != "numpy" else np.diagonal(L)
            scale = max(to_float(xp.max(xp.abs(xp.linalg.diagonal(work)))), shift, 1e-300)
            if not bool(xp.all(xp.isfinite(L))) or to_float(xp.min(d)) ** 2 <= cov.shape[0] * u * scale:
                continue
            if promoted or escalation:
                how = "in float64" if promoted else f"in {cov.dtype}"
                warn_user(
                    LinAlgWarning(
                        f"K-FAC: {name} + damping * I was not numerically positive definite; factored {how} "
                        f"with damping {shift:.3g} (asked {damping:.3g})."
                    )
                )
            return L, shift, promoted
    raise NotPositiveDefiniteError(
        0,
        f"K-FAC: {name} + damping * I is not positive definite even with damping {damping * 10.0**MAX_ESCALATIONS:.3g} "
        f"(asked {damping:.3g}): the covariance holds NaN/Inf or is far from positive semidefinite.",
    )


def _precondition_with(LG: Any, grad: Any, LA: Any) -> Any:
    """``(LG LG^T)^{-1} grad (LA LA^T)^{-1}`` by triangular solves, in ``grad``'s dtype."""
    work = grad if grad.dtype == LG.dtype else (_to_float64(grad) if "64" in str(LG.dtype) else grad)
    X = cho_solve((LG, True), work, check_finite=False)  # (G + l I)^{-1} grad
    Y = cho_solve((LA, True), X.T, check_finite=False).T  # ... (A + l I)^{-1}  (A symmetric)
    if Y.dtype != grad.dtype:
        Y = Y.to(grad.dtype) if backend_name(Y) == "torch" else Y.astype(grad.dtype)
    return Y


def kfac_precondition(A_cov: Any, G_cov: Any, grad: Any, damping: float, *, pi_damping: bool = True) -> Any:
    """``(G + lambda_G I)^{-1} grad (A + lambda_A I)^{-1}`` by Cholesky solves (NumPy or PyTorch).

    Parameters
    ----------
    A_cov : (in, in) array
        Activation covariance (symmetric positive semidefinite).
    G_cov : (out, out) array
        Output-gradient covariance.
    grad : (out, in) array
        The layer's gradient.
    damping : float
        ``lambda > 0``, split between the factors (see the module documentation).
    pi_damping : bool

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml import kfac_precondition
    >>> A, G = np.diag([4.0, 1.0]), np.diag([9.0])
    >>> kfac_precondition(A, G, np.array([[1.0, 1.0]]), 1e-12, pi_damping=False).round(6).tolist()
    [[0.027778, 0.111111]]
    """
    if not (isinstance(damping, (int, float)) and math.isfinite(damping) and damping > 0):
        raise ValueError(f"damping must be a positive finite number, got {damping!r}.")
    if grad.ndim != 2 or A_cov.shape != (grad.shape[1],) * 2 or G_cov.shape != (grad.shape[0],) * 2:
        raise ValueError(
            f"shapes do not match: grad {tuple(grad.shape)} needs A_cov ({grad.shape[1]}, {grad.shape[1]}) and "
            f"G_cov ({grad.shape[0]}, {grad.shape[0]}), got {tuple(A_cov.shape)} and {tuple(G_cov.shape)}."
        )
    lam_A, lam_G = _split_damping(A_cov, G_cov, damping, pi_damping)
    LA, _, _ = damped_cholesky(A_cov, lam_A, "A_cov")
    LG, _, _ = damped_cholesky(G_cov, lam_G, "G_cov")
    return _precondition_with(LG, grad, LA)


class _LayerState:
    def __init__(self, name: str, module: Any):
        self.name, self.module = name, module
        self.A = self.G = None
        self.LA = self.LG = None
        self.damping_used: tuple[float, float] | None = None


class KFACPreconditioner:
    """Precondition every ``Linear`` / ``Conv2d`` layer's gradient of a PyTorch model by K-FAC.

    Call :meth:`step` after ``loss.backward()`` and before ``optimizer.step()``:
    it replaces each registered layer's ``.grad`` (weight and bias) by the
    preconditioned one.

    Parameters
    ----------
    model : torch.nn.Module
    damping : float, default 1e-3
    factor_decay : float, default 0.95
        Running-average weight of the old factors.
    factor_update_steps : int, default 1
        Gather covariances every this many steps.
    inv_update_steps : int, default 10
        Refactor the damped covariances every this many steps; reuse the
        Cholesky factors in between.
    pi_damping : bool, default True
    layers : tuple of module types, default (Linear, Conv2d)

    Attributes
    ----------
    steps : int
    layer_names : list of str

    Examples
    --------
    >>> import torch
    >>> from pivotal.ml import KFACPreconditioner
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    >>> kfac = KFACPreconditioner(model, damping=1e-2)
    >>> loss = model(torch.randn(16, 4, dtype=torch.float64)).square().mean()
    >>> loss.backward()
    >>> kfac.step()
    >>> kfac.layer_names, kfac.steps
    (['0', '2'], 1)
    """

    def __init__(
        self,
        model: Any,
        *,
        damping: float = 1e-3,
        factor_decay: float = 0.95,
        factor_update_steps: int = 1,
        inv_update_steps: int = 10,
        pi_damping: bool = True,
        layers: tuple | None = None,
    ):
        import torch

        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
        if not (math.isfinite(damping) and damping > 0):
            raise ValueError(f"damping must be a positive finite number, got {damping!r}.")
        if not 0 <= factor_decay < 1:
            raise ValueError(f"factor_decay must lie in [0, 1), got {factor_decay!r}.")
        for name, value in (
            ("factor_update_steps", factor_update_steps),
            ("inv_update_steps", inv_update_steps),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self.damping, self.factor_decay, self.pi_damping = float(damping), float(factor_decay), pi_damping
        self.factor_update_steps, self.inv_update_steps = factor_update_steps, inv_update_steps
        layers = (torch.nn.Linear, torch.nn.Conv2d) if layers is None else tuple(layers)
        self.steps = 0
        self._layers: list[_LayerState] = []
        self._handles = []
        for name, module in model.named_modules():
            if not isinstance(module, layers) or not module.weight.requires_grad:
                continue
            if isinstance(module, torch.nn.Conv2d):
                if module.groups != 1 or isinstance(module.padding, str) or module.padding_mode != "zeros":
                    raise ValueError(
                        f"layer {name!r}: K-FAC's Conv2d factors need groups=1 and numeric zero padding; "
                        "exclude the layer with layers=(torch.nn.Linear,) or change it."
                    )
            elif not isinstance(module, torch.nn.Linear):
                raise ValueError(f"layer {name!r}: only Linear and Conv2d layers have K-FAC factors here.")
            state = _LayerState(name, module)
            self._layers.append(state)
            self._handles.append(module.register_forward_hook(self._forward_hook(state)))
        if not self._layers:
            raise ValueError(
                "the model has no Linear or Conv2d layer with trainable weights to precondition."
            )

    @property
    def layer_names(self) -> list[str]:
        return [s.name for s in self._layers]

    def _gathering(self, module: Any) -> bool:
        import torch

        return module.training and torch.is_grad_enabled() and self.steps % self.factor_update_steps == 0

    def _update(self, old: Any, new: Any) -> Any:
        return new if old is None else self.factor_decay * old + (1 - self.factor_decay) * new

    def _forward_hook(self, state: _LayerState):
        # The output gradient is caught by a hook on the output tensor (a module backward hook would
        # fire, with a warning, on a first layer whose input needs no gradient).
        def hook(module, inputs, output):
            if not self._gathering(module) or not output.requires_grad:
                return
            a = _activations(module, inputs[0].detach())
            state.A = self._update(state.A, a.mT @ a / a.shape[0])

            def grad_hook(grad):
                g = _output_gradients(module, grad.detach())
                state.G = self._update(state.G, g.mT @ g / g.shape[0])

            output.register_hook(grad_hook)

        return hook

    def step(self) -> None:
        """Precondition the registered layers' gradients in place (refactoring when due)."""
        import torch

        refactor = self.steps % self.inv_update_steps == 0
        for state in self._layers:
            module = state.module
            if module.weight.grad is None or state.A is None or state.G is None:
                continue
            if refactor or state.LA is None:
                lam_A, lam_G = _split_damping(state.A, state.G, self.damping, self.pi_damping)
                state.LA, used_A, _ = damped_cholesky(state.A, lam_A, f"layer {state.name!r} A")
                state.LG, used_G, _ = damped_cholesky(state.G, lam_G, f"layer {state.name!r} G")
                state.damping_used = (used_A, used_G)
            grad = module.weight.grad.reshape(module.weight.shape[0], -1)
            if module.bias is not None and module.bias.grad is not None:
                grad = torch.cat([grad, module.bias.grad[:, None]], dim=1)
            with torch.no_grad():
                nat = _precondition_with(state.LG, grad, state.LA)
                w = nat[:, : module.weight[0].numel()].reshape(module.weight.shape)
                module.weight.grad.copy_(w)
                if module.bias is not None and module.bias.grad is not None:
                    module.bias.grad.copy_(nat[:, -1])
        self.steps += 1

    def state_dict(self) -> dict:
        """Factors and counters (the Cholesky factors are recomputed after loading)."""
        return {
            "steps": self.steps,
            "factors": {s.name: {"A": s.A, "G": s.G} for s in self._layers},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s output (layer names must match)."""
        factors = state["factors"]
        if set(factors) != set(self.layer_names):
            raise ValueError(
                f"layer names differ: saved {sorted(factors)}, model has {sorted(self.layer_names)}."
            )
        self.steps = int(state["steps"])
        for s in self._layers:
            s.A, s.G = factors[s.name]["A"], factors[s.name]["G"]
            s.LA = s.LG = None  # refactored at the next step

    def remove(self) -> None:
        """Remove the hooks from the model."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _activations(module: Any, x: Any) -> Any:
    """Rows ``[a, 1]`` (the 1 for the bias): inputs of a Linear, unfolded patches of a Conv2d."""
    import torch

    if isinstance(module, torch.nn.Conv2d):
        patches = torch.nn.functional.unfold(
            x, module.kernel_size, dilation=module.dilation, padding=module.padding, stride=module.stride
        )  # (B, C k k, L)
        a = patches.transpose(1, 2).reshape(-1, patches.shape[1])
    else:
        a = x.reshape(-1, x.shape[-1])
    if module.bias is not None:
        a = torch.cat([a, torch.ones(a.shape[0], 1, dtype=a.dtype, device=a.device)], dim=1)
    return a


def _output_gradients(module: Any, g: Any) -> Any:
    """Per-example output gradients as rows (the mean loss's 1/batch undone), per position for Conv2d."""
    import torch

    batch = g.shape[0]
    if isinstance(module, torch.nn.Conv2d):
        g = g.permute(0, 2, 3, 1).reshape(-1, g.shape[1])
    else:
        g = g.reshape(-1, g.shape[-1])
    return g * batch
