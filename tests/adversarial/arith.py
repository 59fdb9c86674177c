"""Reference arithmetic for the adversarial checkers: wide precision, wide range.

The checkers never trust a BLAS product of the data under test.  They convert
every input and output exactly to NumPy's ``longdouble`` (x86-64 extended
precision: a 64-bit significand and a 15-bit exponent, so no entry between
1e-4900 and 1e4900 over- or underflows) and form residuals there.  Entries of
the inputs scaled to 1e+-300 or to subnormals are therefore exact, and the
rounding of a residual (about 2**-64) is far below the unit roundoff of
float64 that the tolerances are measured in.  Reference decompositions
(singular values, determinants) run in float64 on the input divided by an
exact power of two (:func:`normalized`), then are scaled back in wide
arithmetic.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - torch is a test dependency
    torch = None

WIDE = np.longdouble
CWIDE = np.clongdouble

#: True where ``longdouble`` has the range the scale variants need (x86-64 and
#: aarch64 Linux); elsewhere (longdouble == double) those variants are skipped.
WIDE_RANGE = np.finfo(WIDE).maxexp >= 16384

THRESH = 30.0  # LAPACK's threshold for its test ratios


def host(x):
    """A NumPy view of a NumPy array, list, PyTorch tensor or masked array's data."""
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().resolve_conj().resolve_neg().numpy()
    if isinstance(x, np.ma.MaskedArray):
        return np.asarray(x.data)
    return np.asarray(x)


def is_torch(x) -> bool:
    return torch is not None and isinstance(x, torch.Tensor)


def wide(x) -> np.ndarray:
    """``x`` converted exactly to ``longdouble`` (``clongdouble`` if complex)."""
    a = host(x)
    return a.astype(CWIDE if np.iscomplexobj(a) else WIDE)


def unit_roundoff(dtype) -> float:
    """``u = eps / 2`` of a NumPy or PyTorch floating dtype."""
    if torch is not None and isinstance(dtype, torch.dtype):
        return float(torch.finfo(dtype).eps) / 2
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def norm1(x) -> np.ndarray:
    """1-norm (max column sum of a matrix, sum of a vector), in wide arithmetic; 0 when empty."""
    x = wide(x)
    if x.size == 0:
        return WIDE(0)
    a = np.abs(x)
    return a.sum() if x.ndim == 1 else a.sum(axis=0).max()


def normf(x) -> np.ndarray:
    """Frobenius (2-norm of a vector) in wide arithmetic."""
    x = wide(x)
    if x.size == 0:
        return WIDE(0)
    return np.sqrt((np.abs(x) ** 2).sum())


def normmax(x) -> np.ndarray:
    x = wide(x)
    return np.abs(x).max() if x.size else WIDE(0)


def ratio(num, den) -> float:
    """``num / den`` as a float, with ``0/0 = 0`` and ``x/0 = inf`` (NaN stays NaN)."""
    num, den = WIDE(num), WIDE(den)
    if np.isnan(num) or np.isnan(den):
        return float("nan")
    if den == 0:
        return 0.0 if num == 0 else float("inf")
    return float(num / den)


def ct(x):
    """Conjugate transpose of a wide matrix."""
    return np.conj(x).T if np.iscomplexobj(x) else x.T


def normalized(x) -> tuple[np.ndarray, int]:
    """``(y, e)`` with ``x == y * 2**e`` exactly, ``y`` float64/complex128 and ``max|y|`` in [0.5, 1).

    ``x`` holds float64 (or narrower) values of any magnitude, so dividing by
    a power of two is exact and lands in float64's normal range.
    """
    x = wide(x)
    peak = normmax(x)
    if peak == 0 or not np.isfinite(peak):
        return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64), 0
    e = int(np.frexp(peak)[1])
    y = np.ldexp(x.real, -e) if not np.iscomplexobj(x) else np.ldexp(x.real, -e) + 1j * np.ldexp(x.imag, -e)
    return y.astype(np.complex128 if np.iscomplexobj(x) else np.float64), e


def svdvals(x) -> np.ndarray:
    """Singular values of ``x`` (float64 reference on exactly rescaled data), as wide numbers."""
    y, e = normalized(x)
    if y.size == 0:
        return np.zeros(0, dtype=WIDE)
    return np.ldexp(np.linalg.svd(y, compute_uv=False).astype(WIDE), e)


def eigvalsh(x) -> np.ndarray:
    """Eigenvalues (ascending) of a Hermitian ``x``, float64 reference on rescaled data, as wide numbers."""
    y, e = normalized(x)
    if y.size == 0:
        return np.zeros(0, dtype=WIDE)
    return np.ldexp(np.linalg.eigvalsh(y).astype(WIDE), e)


def slogdet(x) -> tuple[complex, float]:
    """``(sign, natural log |det|)`` of ``x`` (float64 reference on rescaled data; no over/underflow)."""
    y, e = normalized(x)
    n = y.shape[0]
    if n == 0:
        return 1.0, 0.0
    sign, logabs = np.linalg.slogdet(y)
    return complex(sign), float(logabs) + n * e * float(np.log(2.0))


def cond1(x) -> float:
    """``||A||_1 ||A^{-1}||_1`` of a square ``x`` (float64 reference on rescaled data)."""
    y, _ = normalized(x)
    if y.size == 0:
        return 1.0
    return float(np.linalg.cond(y, 1))


def cond2(x) -> float:
    s = svdvals(x)
    return ratio(s.max(), s.min()) if s.size else 1.0


def solve_ref(a, b) -> np.ndarray:
    """``A^{-1} b`` to about 1e-19 relative accuracy: float64 solve plus one wide refinement step."""
    ya, ea = normalized(a)
    bw = wide(b)
    yb, eb = normalized(bw)
    x = np.linalg.solve(ya, yb).astype(ya.dtype)
    xw = wide(x)
    aw = wide(ya)
    for _ in range(2):
        r = wide(yb) - aw @ xw
        xw = xw + wide(np.linalg.solve(ya, r.astype(ya.dtype)))
    return np.ldexp(xw.real, eb - ea) + (1j * np.ldexp(xw.imag, eb - ea) if np.iscomplexobj(xw) else 0)
