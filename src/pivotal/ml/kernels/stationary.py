"""Stationary kernels: RBF and Matern (isotropic or ARD), RationalQuadratic, ExpSineSquared.

All work on row blocks of squared distances from :func:`squared_distances`
(points centred by their mean, one GEMM, clamped at 0, exact zeros for a point
against itself), so memory is ``O(block x n)`` and an ``n x n x d`` array is
never built for the kernel value.

For RBF and Matern, ``dK/dlog l_k = h(s) d_k`` with ``d_k = (x_k - y_k)^2 / l_k^2``
and ``s = sum_k d_k``; :meth:`contract_gradient` computes
``sum_ik W_ik h_ik d_k,ik`` per dimension on a block, with exact coordinate
differences.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import Kernel, for_row_blocks, squared_distances

__all__ = ["RBF", "ExpSineSquared", "Matern", "RationalQuadratic"]


class _Stationary(Kernel):
    """A kernel of the scaled squared distance ``s = sum_k (x_k - y_k)^2 / l_k^2``."""

    _hyper = ("length_scale",)

    @property
    def anisotropic(self) -> bool:
        return np.ndim(self.length_scale) > 0 and np.size(self.length_scale) > 1

    def _scaled(self, X: np.ndarray, shift: np.ndarray) -> np.ndarray:
        ls = np.asarray(self.length_scale, dtype=float)
        if self.anisotropic and ls.size != X.shape[1]:
            raise ValueError(
                f"the anisotropic (ARD) kernel has {ls.size} length scales but X has {X.shape[1]} "
                "features; give one length scale per feature or a scalar."
            )
        return (X - shift) / (ls if ls.ndim else float(ls))

    def _sq(self, X: np.ndarray, i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
        Z = self._scaled(X, X.mean(axis=0))
        return Z, squared_distances(Z[i0:i1], Z, diagonal_offset=i0)

    def _rows(self, X, i0, i1):
        return self._k_of_s(self._sq(X, i0, i1)[1])

    def _cross(self, X, Y):
        shift = X.mean(axis=0)
        return self._k_of_s(squared_distances(self._scaled(X, shift), self._scaled(Y, shift)))

    def _diag(self, X):
        return np.ones(len(X))

    def is_stationary(self) -> bool:
        return True

    # dK/dlog l_k = h(s) * d_k
    def _k_of_s(self, s: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _weight(self, s: np.ndarray, K: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _gradient_blocks(self, X, i0, i1, K):
        if self.n_dims == 0:
            return []
        Z, s = self._sq(X, i0, i1)
        h = self._weight(s, self._k_of_s(s))
        if not self.anisotropic:
            return [h * s]
        return [h * (Z[i0:i1, k, None] - Z[None, :, k]) ** 2 for k in range(Z.shape[1])]

    def _contract(self, X, W):
        return self._contract_and_total(X, W, total=False)[0]

    def _contract_and_total(self, X, W, total=True):
        """``(g, sum_ik W_ik K_ik)``: the length-scale contractions and, with ``total``, ``W``'s weight on ``K``.

        The ARD contraction ``g_j = sum_ik G_ik (z_ij - z_kj)^2`` (``G = h(s) * W``) is, per row
        block ``I``, ``sum_{i in I} z_ij^2 r_i + sum_i (G Z^2)_ij - 2 sum_i z_ij (G Z)_ij`` with
        ``r = G 1``: one GEMM ``G [Z, Z^2, 1]`` for all ``d`` dimensions (``O(n^2 d)`` flops, no
        per-dimension ``n x n`` pass).  Its rounding error is ``gamma B_j`` with
        ``B_j = sum |G_ik| (z_ij^2 + z_kj^2)``, against ``gamma A_j`` with
        ``A_j = sum |G_ik| (z_ij - z_kj)^2`` for the exact differences; a second GEMM,
        ``|G| [Z, Z^2, 1]``, measures both, and where ``B_j > CANCELLATION_LIMIT * A_j`` in a
        block (points far from their mean on the scale of ``l_j``, while ``K`` pairs only near
        ones) that dimension of that block is summed over exact differences instead.  So the
        error is at most ``CANCELLATION_LIMIT`` times that of the exact form.
        """
        free = self.n_dims > 0
        g = np.zeros(self.n_dims)
        tot = 0.0
        if not (free or total):
            return g, tot
        n = X.shape[0]
        Z = self._scaled(X, X.mean(axis=0))
        d = Z.shape[1]
        aug = np.hstack([Z, Z * Z, np.ones((n, 1))]) if free and self.anisotropic else None

        def block(i0: int, i1: int) -> tuple[np.ndarray, float]:
            part = np.zeros(self.n_dims)
            s = squared_distances(Z[i0:i1], Z, diagonal_offset=i0)
            Kb = self._k_of_s(s)
            Wb = W[i0:i1]
            tot = float(np.vdot(Wb, Kb)) if total else 0.0
            if not free:
                return part, tot
            G = self._weight(s, Kb)
            G = np.multiply(G, Wb, out=G if G is not Kb else None)
            if not self.anisotropic:
                part[0] = np.vdot(G, s)
                return part, tot
            Zb = Z[i0:i1]
            P = G @ aug
            form = (
                (Zb * Zb).T @ P[:, -1]
                + P[:, d : 2 * d].sum(axis=0)
                - 2.0 * np.einsum("ij,ij->j", Zb, P[:, :d])
            )
            np.abs(G, out=G)
            Q = G @ aug
            b = (Zb * Zb).T @ Q[:, -1] + Q[:, d : 2 * d].sum(axis=0)
            a = b - 2.0 * np.einsum("ij,ij->j", Zb, Q[:, :d])
            bad = np.flatnonzero(b > CANCELLATION_LIMIT * a)
            if bad.size:  # exact differences for those dimensions (G is |G| now: rebuild it)
                G = self._weight(s, Kb) * Wb
                buf = np.empty_like(G)
                for k in bad:
                    np.subtract(Zb[:, k, None], Z[None, :, k], out=buf)
                    np.square(buf, out=buf)
                    form[k] = np.vdot(G, buf)
            return form, tot

        g = np.zeros(self.n_dims)
        tot = 0.0
        for part, t in for_row_blocks(block, n, n):  # in block order: the sums do not depend on threads
            g += part
            tot += t
        return g, tot


#: The largest ratio ``B_j / A_j`` at which the ARD gradient contraction uses its GEMM form
#: (its rounding bound against that of exact coordinate differences; see ``_contract_and_total``).
CANCELLATION_LIMIT = 1e3


class RBF(_Stationary):
    """Squared-exponential kernel ``exp(-s / 2)``, isotropic or ARD (one length scale per feature).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import RBF
    >>> X = np.array([[0.0, 0.0], [1.0, 2.0]])
    >>> K = RBF([1.0, 2.0])(X)
    >>> bool(np.isclose(K[0, 1], np.exp(-0.5 * (1.0 + 1.0))))
    True
    """

    def __init__(self, length_scale: Any = 1.0, length_scale_bounds: Any = (1e-5, 1e5)):
        self.length_scale = length_scale
        self.length_scale_bounds = length_scale_bounds

    def _k_of_s(self, s):
        out = np.multiply(s, -0.5)
        return np.exp(out, out=out)

    def _weight(self, s, K):
        return K


class Matern(_Stationary):
    """Matern kernel for ``nu`` in 0.5, 1.5, 2.5 (closed forms) or ``inf`` (RBF); isotropic or ARD.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import Matern
    >>> X = np.array([[0.0], [1.0]])
    >>> bool(np.isclose(Matern(1.0, nu=0.5)(X)[0, 1], np.exp(-1.0)))
    True
    """

    _NUS = (0.5, 1.5, 2.5, math.inf)

    def __init__(self, length_scale: Any = 1.0, length_scale_bounds: Any = (1e-5, 1e5), nu: float = 1.5):
        self.length_scale = length_scale
        self.length_scale_bounds = length_scale_bounds
        self.nu = nu

    def _check_nu(self) -> float:
        nu = float(self.nu)
        if nu not in self._NUS:
            raise ValueError(
                f"Matern nu={self.nu!r} is not supported; use one of 0.5, 1.5, 2.5 or inf "
                "(the closed forms with analytic gradients)."
            )
        return nu

    def _k_of_s(self, s):
        nu = self._check_nu()
        if nu == math.inf:
            return np.exp(-0.5 * s)
        r = np.sqrt(s)
        if nu == 0.5:
            return np.exp(-r)
        if nu == 1.5:
            t = math.sqrt(3.0) * r
            return (1.0 + t) * np.exp(-t)
        t = math.sqrt(5.0) * r
        return (1.0 + t + t * t / 3.0) * np.exp(-t)

    def _weight(self, s, K):
        nu = self._check_nu()
        if nu == math.inf:
            return K
        r = np.sqrt(s)
        if nu == 0.5:  # K d_k / r, and d_k / r -> 0 where r = 0
            with np.errstate(divide="ignore", invalid="ignore"):
                h = K / r
            h[r == 0] = 0.0
            return h
        if nu == 1.5:
            return 3.0 * np.exp(-math.sqrt(3.0) * r)
        t = math.sqrt(5.0) * r
        return (5.0 / 3.0) * (1.0 + t) * np.exp(-t)

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", nu={self.nu})"


class _OfDistance(Kernel):
    """A stationary kernel of the unscaled squared distance (isotropic): ``_of_sq(|x - y|^2)``."""

    @staticmethod
    def _sq_rows(X: np.ndarray, i0: int, i1: int) -> np.ndarray:
        Xc = X - X.mean(axis=0)
        return squared_distances(Xc[i0:i1], Xc, diagonal_offset=i0)

    def _rows(self, X, i0, i1):
        return self._of_sq(self._sq_rows(X, i0, i1))

    def _cross(self, X, Y):
        shift = X.mean(axis=0)
        return self._of_sq(squared_distances(X - shift, Y - shift))

    def _of_sq(self, sq: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _free(self) -> list[bool]:
        return [not h.fixed for h in self.hyperparameters]

    def _diag(self, X):
        return np.ones(len(X))

    def is_stationary(self) -> bool:
        return True


class RationalQuadratic(_OfDistance):
    """``(1 + d^2 / (2 alpha l^2))^(-alpha)`` (isotropic, like scikit-learn's).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import RationalQuadratic
    >>> X = np.array([[0.0], [1.0]])
    >>> bool(np.isclose(RationalQuadratic(1.0, 2.0)(X)[0, 1], (1 + 1 / 4) ** -2))
    True
    """

    _hyper = ("alpha", "length_scale")

    def __init__(
        self,
        length_scale: float = 1.0,
        alpha: float = 1.0,
        length_scale_bounds: Any = (1e-5, 1e5),
        alpha_bounds: Any = (1e-5, 1e5),
    ):
        if np.size(length_scale) > 1:
            raise ValueError("RationalQuadratic supports a scalar length scale only (as in scikit-learn).")
        self.length_scale = length_scale
        self.alpha = alpha
        self.length_scale_bounds = length_scale_bounds
        self.alpha_bounds = alpha_bounds

    def _of_sq(self, sq):
        return (1.0 + sq / (2.0 * self.alpha * float(self.length_scale) ** 2)) ** -self.alpha

    def _gradient_blocks(self, X, i0, i1, K):
        s = self._sq_rows(X, i0, i1) / float(self.length_scale) ** 2
        a = float(self.alpha)
        base = 1.0 + s / (2.0 * a)
        K = base**-a
        free, out = self._free(), []
        if free[0]:
            out.append(K * (-a * np.log(base) + s / (2.0 * base)))
        if free[1]:
            out.append(K * s / base)
        return out


class ExpSineSquared(_OfDistance):
    """Periodic kernel ``exp(-2 sin^2(pi d / p) / l^2)`` with ``d = |x - y|``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import ExpSineSquared
    >>> X = np.array([[0.0], [3.0]])
    >>> bool(np.isclose(ExpSineSquared(1.0, periodicity=3.0)(X)[0, 1], 1.0))
    True
    """

    _hyper = ("length_scale", "periodicity")

    def __init__(
        self,
        length_scale: float = 1.0,
        periodicity: float = 1.0,
        length_scale_bounds: Any = (1e-5, 1e5),
        periodicity_bounds: Any = (1e-5, 1e5),
    ):
        if np.size(length_scale) > 1:
            raise ValueError("ExpSineSquared supports a scalar length scale only (as in scikit-learn).")
        self.length_scale = length_scale
        self.periodicity = periodicity
        self.length_scale_bounds = length_scale_bounds
        self.periodicity_bounds = periodicity_bounds

    def _of_sq(self, sq):
        return np.exp(-2.0 * (np.sin(np.pi * np.sqrt(sq) / self.periodicity) / self.length_scale) ** 2)

    def _gradient_blocks(self, X, i0, i1, K):
        d = np.sqrt(self._sq_rows(X, i0, i1))
        ls2 = float(self.length_scale) ** 2
        arg = np.pi * d / self.periodicity
        sin = np.sin(arg)
        K = np.exp(-2.0 * sin**2 / ls2)
        free, out = self._free(), []
        if free[0]:
            out.append(4.0 / ls2 * sin**2 * K)
        if free[1]:
            out.append(4.0 / ls2 * arg * np.cos(arg) * sin * K)
        return out
