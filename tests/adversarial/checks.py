"""Checkers' building blocks: LAPACK-style ratios computed in wide precision.

Each function raises ``AssertionError`` with the measured ratio when the
property fails.  Every ratio is written so that NaN fails it (``assert r <=
THRESH``, never ``assert not r > THRESH``).  ``u`` is the unit roundoff of
the working precision the variant calls for (float32's for float16 and bool
input, SciPy's promotion).
"""

from __future__ import annotations

import numpy as np

from .arith import THRESH, WIDE, ct, host, is_torch, norm1, normf, normmax, ratio, wide


def fail(msg: str):
    raise AssertionError(msg)


def shape_of(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def expect_shape(x, shape, what: str) -> None:
    if shape_of(x) != tuple(shape):
        fail(f"{what} has shape {shape_of(x)}, expected {tuple(shape)}")


def all_finite(x) -> bool:
    return bool(np.isfinite(wide(x)).all())


def columns(x):
    """A wide 2-D view: vectors become one column."""
    x = wide(x)
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


def solution(case, a, x, b, what: str = "x", op=lambda m: m) -> float:
    """Normwise backward error of ``x`` for ``op(A) x = b``, per column, over ``n u``.

    Rigal-Gaches: ``eta = ||b - A x|| / (||A|| ||x|| + ||b||)``; a backward
    stable solver (LU with modest growth, Cholesky, QR, triangular
    substitution) gives ``eta <= c n u`` (Higham, Thm 7.1 and 9.4; the 1-norm
    as in LAPACK's xGET02).
    """
    a = op(wide(a))
    if shape_of(x) != shape_of(b):
        fail(f"{what} has shape {shape_of(x)}, expected that of b, {shape_of(b)}")
    xw, bw = columns(x), columns(b)
    n = max(a.shape[0], 1)
    worst = 0.0
    for j in range(bw.shape[1]):
        r = bw[:, j] - a @ xw[:, j]
        eta = ratio(norm1(r), norm1(a) * norm1(xw[:, j]) + norm1(bw[:, j]))
        worst = max(worst, eta / (n * case.u)) if not np.isnan(eta) else float("nan")
    if not worst <= THRESH:
        fail(f"{what}: backward error ratio {worst:.3g} > {THRESH} (eta / (n u))")
    return worst


def reconstruction(case, a, product, what: str, norm_scale=None) -> float:
    """``||A - product||_1 / (n ||A||_1 u)`` (LAPACK xGET01); ``norm_scale`` replaces ``||A||``."""
    a, p = wide(a), wide(product)
    if a.shape != p.shape:
        fail(f"{what}: product has shape {p.shape}, expected {a.shape}")
    n = max(max(a.shape) if a.ndim else 1, 1)
    den = norm1(a) if norm_scale is None else WIDE(norm_scale)
    r = ratio(norm1(a - p), den * n * case.u)
    if not r <= THRESH:
        fail(f"{what}: reconstruction ratio {r:.3g} > {THRESH} (||A - F|| / (n ||A|| u))")
    return r


def orthonormal(case, q, what: str, scale: float = 1.0) -> float:
    """``||I - Q^H Q||_1 / (m u scale)`` (LAPACK xQRT01's orthogonality test; ``scale`` for Gram-Schmidt)."""
    q = columns(q)
    m, k = q.shape
    if k == 0:
        return 0.0
    r = ratio(norm1(np.eye(k, dtype=WIDE) - ct(q) @ q), max(m, 1) * case.u * scale)
    if not r <= THRESH:
        fail(f"{what}: loss of orthogonality ratio {r:.3g} > {THRESH}")
    return r


def upper_triangular(r, what: str, k: int = 0) -> None:
    """Exactly zero below the ``k``-th diagonal (the algorithms write zeros, not rounding)."""
    r = wide(r)
    if r.ndim == 2 and np.tril(r, k - 1).any():
        fail(f"{what} is not upper triangular (nonzeros below the diagonal)")


def lower_triangular(l, what: str) -> None:
    l = wide(l)
    if l.ndim == 2 and np.triu(l, 1).any():
        fail(f"{what} is not lower triangular")


def close(got, want, tol: float, what: str, scale=None) -> float:
    """``|got - want| <= tol * (|want| or scale)``, elementwise maximum, in wide arithmetic."""
    g, w = wide(got), wide(want)
    if g.shape != w.shape:
        fail(f"{what} has shape {g.shape}, expected {w.shape}")
    if g.size == 0:
        return 0.0
    if scale is None:  # entrywise relative error
        err = float(np.max(np.abs(g - w) / np.maximum(np.abs(w), np.finfo(WIDE).tiny)))
    else:
        err = ratio(normmax(g - w), scale)
    if not err <= tol:
        fail(f"{what}: relative error {err:.3g} > {tol:.3g}")
    return err


def least_squares(case, a, x, b, what: str = "x") -> float:
    """Backward stability of a least-squares solution (LAPACK xQRT17-style).

    A backward-stable ``x`` solves ``min ||(A + E) x - (b + f)||`` exactly with
    ``||E|| <= c u ||A||``, ``||f|| <= c u ||b||``; from the normal equations
    of the perturbed problem ``||A^H r|| <= c u ||A|| (||A|| ||x|| + ||b|| +
    ||r||)`` with ``r = b - A x`` (Frobenius norms, ``c ~ max(m, n)``).
    """
    a, xw, bw = wide(a), columns(x), columns(b)
    if xw.shape[0] != a.shape[1]:
        fail(f"{what} has {xw.shape[0]} rows, expected {a.shape[1]}")
    r = bw - a @ xw
    worst = 0.0
    mn = max(*a.shape, 1)
    for j in range(bw.shape[1]):
        num = normf(ct(a) @ r[:, j])
        den = normf(a) * (normf(a) * normf(xw[:, j]) + normf(bw[:, j]) + normf(r[:, j])) * mn * case.u
        q = ratio(num, den)
        worst = float("nan") if np.isnan(q) else max(worst, q)
    if not worst <= THRESH:
        fail(f"{what}: least-squares backward error ratio {worst:.3g} > {THRESH}")
    return worst


def singular_values(case, s, ref, what: str, extra=0.0) -> float:
    """``|s_i - sigma_i| <= THRESH max(m, n) u sigma_1 + extra`` (Weyl: backward stable SVD)."""
    s = np.sort(wide(s).real)[::-1]
    ref = np.sort(wide(ref).real)[::-1][: s.size]
    if s.size != ref.size:
        fail(f"{what}: {s.size} values, expected {ref.size}")
    if s.size == 0:
        return 0.0
    mn = max(case.meta.get("dims", (1,)))
    bound = THRESH * mn * case.u * np.abs(ref).max() + WIDE(extra)
    err = np.max(np.abs(s - ref))
    if not err <= bound:
        fail(f"{what}: max |s - sigma| = {float(err):.3g} > {float(bound):.3g}")
    return float(ratio(err, bound))


def backend_preserved(case, result) -> None:
    """Floating outputs of a torch call are torch tensors, of a NumPy call are not."""
    want_torch = case.variant.torch and not case.spec.numpy_output
    for x in _arrays(result):
        if is_torch(x) != want_torch:
            got = "torch.Tensor" if is_torch(x) else type(x).__name__
            fail(f"result type not preserved: got {got} for {case.variant.name} input")


def precision_kept(case, result) -> None:
    """No floating output is less precise than the working precision (SciPy's promotion)."""
    if case.spec.exact:
        return
    for x in _arrays(result):
        dt = x.dtype
        if is_torch(x):
            import torch

            if not (dt.is_floating_point or dt.is_complex):
                continue
            u = float(torch.finfo(dt).eps) / 2
        else:
            if dt.kind not in "fc":
                continue
            u = float(np.finfo(dt).eps) / 2
        if u > case.u * 1.001:
            fail(f"output dtype {dt} is less precise than the working precision {case.working}")


def _arrays(result):
    if isinstance(result, (tuple, list)):
        for r in result:
            yield from _arrays(r)
    elif is_torch(result) or isinstance(result, np.ndarray):
        yield result


def any_nonfinite(result) -> bool:
    for x in _arrays(result):
        h = host(x)
        if h.dtype.kind in "fc" and not np.isfinite(h).all():
            return True
    return any(isinstance(r, float) and not np.isfinite(r) for r in _flat(result))


def _flat(result):
    if isinstance(result, (tuple, list)):
        for r in result:
            yield from _flat(r)
    else:
        yield result
