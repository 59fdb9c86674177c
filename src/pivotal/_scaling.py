"""Scaling into LAPACK's safe range, before an algorithm squares or sketches its input.

Algorithms that form ``A^H A`` (CholeskyQR, the normal equations, Gram
matrices of a range finder) or sums of squares (``||A||_F^2``, the
Karlson-Walden estimate) overflow once the entries pass about ``1e154``
and lose all accuracy once they fall below ``1e-154``; computing on
subnormal numbers loses accuracy at every operation.  LAPACK's drivers
(``xGELSD``, ``xGELSY``, ``xGESDD``) avoid both by scaling first:

    anrm = max |a_ij|;  if anrm < smlnum: A <- A (smlnum / anrm);
                        if anrm > bignum: A <- A (bignum / anrm);

with ``smlnum = sqrt(safmin / eps)`` (about ``1e-146`` in float64, ``3e-16``
in float32) and ``bignum = 1 / smlnum``, and undo it on the results.  Here
the factor is a power of two (:func:`scale_exponent`), so scaling is exact
unless it moves entries into or out of the subnormal range: a subnormal
matrix is scaled up exactly, and only entries below ``eps * anrm`` (which do
not affect a normwise result) can be rounded when a huge matrix is scaled
down.  Inside ``[smlnum, bignum]`` nothing is scaled: the squares then lie
in ``[smlnum^2, bignum^2] = [safmin / eps, eps / safmin]``, clear of
overflow and, up to a factor ``eps``, of underflow.

Helpers: :func:`max_abs` (one pass, no full-size temporary, each entry of a
broadcast view once), :func:`scale_exponent`, :func:`safe_scale` (both,
with the NaN/Inf check in the same pass) and :func:`ldexp`.  The callers
scale their own working copy, run the algorithm, and unscale what carries
the scale: ``R`` of a QR (``Q`` does not), singular values and eigenvalues,
``x`` of ``min ||A x - b||`` by ``2**(e_a - e_b)`` when ``A`` and ``b`` were
scaled by ``2**e_a`` and ``2**e_b``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from array_api_compat import is_dask_array

from ._array import backend_name, distinct_entries, finfo, real_dtype, to_float

__all__ = [
    "abs_max_parts",
    "largest",
    "ldexp",
    "log_product",
    "max_abs",
    "safe_range",
    "safe_scale",
    "scale_exponent",
    "scale_least_squares",
    "scaled_product",
    "split_exponent",
    "times_power_of_two",
    "unscale_solution",
]

#: Rows per block of :func:`max_abs` on complex NumPy input (a block of ``|A|`` stays in cache).
_BLOCK_ROWS = 4096

#: Beyond this binary exponent every float format over- or underflows (keeps ``ldexp``'s argument an int32).
_EXPONENT_CLAMP = 1 << 20

#: Factors per partial product of :func:`scaled_product`: 512 mantissas of modulus in
#: ``[1/2, sqrt(2))`` multiply to a modulus in ``[2**-512, 2**256]``, far from over- and underflow.
_CHUNK = 512

#: torch dtypes whose CPU tensors are scanned through a NumPy view.
_TORCH_VIA_NUMPY = ("float32", "float64", "complex64", "complex128")


def safe_range(dtype: Any, degree: int = 2) -> tuple[float, float]:
    """``(smlnum, bignum) = ((safmin / eps)**(1 / degree), its reciprocal)`` for ``dtype``.

    ``safmin`` is the smallest normalised number and ``eps`` the machine
    epsilon (``dlamch('S')``, ``dlamch('P')``).  ``degree=2`` is LAPACK's
    range (``xGELSD``): squares of numbers in it stay clear of overflow and,
    up to a factor ``eps``, of underflow.  An algorithm whose intermediate
    quantities are of higher degree in ``A`` needs a narrower range: the
    randomized range finders form ``||A A^H Q||_F^2`` (degree 4), so they use
    ``degree=4`` (about ``[1e-73, 1e73]`` in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import safe_range
    >>> lo, hi = safe_range(np.float64)
    >>> f"{lo:.3g}", f"{hi:.3g}"
    ('1e-146', '9.99e+145')
    >>> f"{safe_range(np.float64, degree=4)[0]:.3g}"
    '1e-73'
    """
    fi = finfo(real_dtype(dtype))
    smlnum = (float(fi.tiny) / float(fi.eps)) ** (1.0 / degree)
    return smlnum, 1.0 / smlnum


def max_abs(x: Any) -> float:
    """``max |x_ij|`` as a Python float: NaN if ``x`` holds a NaN, ``inf`` if it holds an Inf.

    One pass over the data without a full-size temporary (real NumPy input:
    ``max`` and ``min``; complex: ``|x|`` by row blocks), each entry of a
    broadcast (stride-0) view read once.  NumPy, PyTorch, JAX, Dask arrays
    and ``scipy.sparse`` matrices (the stored entries).  0 for empty input.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import max_abs
    >>> max_abs(np.array([[1.0, -3.0], [2.0, 0.5]])), max_abs(np.array([3 + 4j]))
    (3.0, 5.0)
    >>> max_abs(np.broadcast_to(-2.0, (10**6, 10**6)))   # scans one entry
    2.0
    """
    if hasattr(x, "nnz") and hasattr(x, "tocsr"):  # scipy.sparse: the stored entries
        x = x.data if x.format in ("csr", "csc", "coo", "bsr", "dia") else x.tocsr().data
    if is_dask_array(x):
        import dask

        return largest(dask.compute(*abs_max_parts(x)))
    name = backend_name(x)
    if name == "torch":
        x = distinct_entries(x.detach())
        if x.numel() == 0:
            return 0.0
        if x.device.type != "cpu" or str(x.dtype).replace("torch.", "") not in _TORCH_VIA_NUMPY:
            return to_float(x.abs().max())
        # NumPy's scan of a zero-copy view is several times faster than torch's on the CPU.
        x = x.resolve_conj().resolve_neg().numpy()
    if name == "jax":
        import jax.numpy as jnp

        return float(jnp.max(jnp.abs(x))) if x.size else 0.0
    x = distinct_entries(np.asarray(x))
    if x.size == 0:
        return 0.0
    if x.dtype.kind != "c":
        return largest(abs_max_parts(x))
    flat = x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)
    out = 0.0
    for i in range(0, flat.shape[0], _BLOCK_ROWS):
        v = float(np.max(np.abs(flat[i : i + _BLOCK_ROWS])))
        if math.isnan(v):
            return v
        out = max(out, v)
    return out


def abs_max_parts(x: Any) -> tuple:
    """Reductions of ``x`` whose largest value is ``max |x_ij|``: ``(max x, -min x)``, or ``(max |x|,)`` if complex.

    Lazy for a Dask array, so that a caller can compute them in the same pass
    as other reductions (``dask.compute(*parts, ...)``); ``()`` when ``x``
    is empty.  Combine the computed values with :func:`largest`.
    """
    if x.size == 0:
        return ()
    if np.dtype(x.dtype).kind == "c":
        return (abs(x).max(),)
    return (x.max(), -x.min())


def largest(values) -> float:
    """The largest of ``values`` as a float (0 for none), NaN if one of them is NaN."""
    values = [float(v) for v in values]
    return math.nan if any(math.isnan(v) for v in values) else max(values, default=0.0)


def scale_exponent(anrm: float, dtype: Any, degree: int = 2) -> int:
    """The ``e`` with ``anrm * 2**e`` in ``[smlnum, bignum]`` (:func:`safe_range`), nearest the bound it crossed.

    0 when ``anrm`` already lies in the range, is 0 (nothing to scale) or is
    not finite (nothing can be scaled; NaN/Inf are the caller's to report).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import scale_exponent, safe_range
    >>> scale_exponent(1.0, np.float64), scale_exponent(0.0, np.float64)
    (0, 0)
    >>> e = scale_exponent(1e300, np.float64)
    >>> lo, hi = safe_range(np.float64)
    >>> e < 0 and lo <= 1e300 * 2.0**e <= hi
    True
    """
    if not (anrm > 0 and math.isfinite(anrm)):
        return 0
    lo, hi = safe_range(dtype, degree)
    if lo <= anrm <= hi:
        return 0
    _, ea = math.frexp(anrm)  # anrm = f 2**ea, f in [0.5, 1)
    if anrm < lo:
        e = math.frexp(lo)[1] - ea
        while math.ldexp(anrm, e) < lo:
            e += 1
    else:
        e = math.frexp(hi)[1] - ea
        while math.ldexp(anrm, e) > hi:
            e -= 1
    return e


def safe_scale(x: Any, name: str = "a", *, check_finite: bool = False, degree: int = 2) -> tuple[int, float]:
    """``(e, anrm)``: ``anrm = max |x_ij|`` and its :func:`scale_exponent`, in one pass over ``x``.

    With ``check_finite`` a NaN or Inf in ``x`` raises the ``ValueError`` of
    :func:`pivotal._array.check_finite_or_raise` (same message, naming
    ``name``), so a caller that scales needs no separate finiteness scan.
    """
    anrm = max_abs(x)
    if check_finite and not math.isfinite(anrm):
        raise ValueError(
            f"array must not contain infs or NaNs (found in {name}); clean the input, "
            "or pass check_finite=False if non-finite values are intended."
        )
    return scale_exponent(anrm, x.dtype, degree), anrm


def ldexp(x: Any, e: int, *, inplace: bool = False) -> Any:
    """``x * 2**e``, exact unless entries enter or leave the subnormal range; ``x`` itself for ``e == 0``.

    Multiplies by powers of two that the dtype represents (two steps when
    ``2**e`` itself does not fit), so the factor is never rounded to 0 or
    Inf.  ``inplace=True`` overwrites a writable ``x`` (NumPy, PyTorch);
    otherwise a new array is returned.  Works on NumPy, PyTorch, Dask arrays
    and ``scipy.sparse`` matrices, and on Python or NumPy scalars.
    """
    e = int(e)
    if e == 0:
        return x
    if isinstance(x, (float, int, np.floating)):
        return math.ldexp(float(x), e) if isinstance(x, (float, int)) else type(x)(math.ldexp(float(x), e))
    fi = finfo(real_dtype(x.dtype))
    step = math.frexp(float(fi.max))[1] - 2  # 2**step and 2**-step are normal numbers of the dtype
    out = x
    # Results beyond the range are what they are (Inf, or subnormal and 0): not worth a warning.
    with np.errstate(over="ignore", under="ignore"):
        while e:
            k = max(-step, min(step, e))
            f = 2.0**k
            if inplace:
                out *= f
            else:
                out = out * f
                inplace = backend_name(out) in ("numpy", "torch") and not (
                    hasattr(out, "nnz") or is_dask_array(out)
                )
            e -= k
    return out


def times_power_of_two(x: Any, e: int) -> Any:
    """``x * 2**e`` in ``x``'s dtype and backend, in two steps, so that ``2**e`` itself cannot overflow.

    Exact while the result stays in the normal range (a subnormal ``x`` scaled up, a huge one scaled
    down).  Unlike :func:`ldexp` it always returns a new array and takes NumPy scalars as they are.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([2.0**-1074, 3 * 2.0**-1060])  # subnormal; 2.0**1074 overflows
    >>> times_power_of_two(x, 1074).tolist()
    [1.0, 49152.0]
    >>> times_power_of_two(np.float32(3.0), -2)
    np.float32(0.75)
    """
    h = e // 2
    return (x * 2.0**h) * 2.0 ** (e - h)


def scale_least_squares(a: Any, b: Any, *, check_finite: bool = False) -> tuple[Any, Any, int, int]:
    """``(2**ea A, 2**eb b, ea, eb)``: ``A`` and ``b`` each scaled into the safe range (``xGELSD``).

    ``A`` and ``b`` are returned themselves (not copied) when they need no
    scaling.  Undo with :func:`unscale_solution` (``x``), ``2**-eb`` (residual
    norms) and ``2**-ea`` (singular values).
    """
    ea, _ = safe_scale(a, "a", check_finite=check_finite)
    eb, _ = safe_scale(b, "b", check_finite=check_finite)
    return ldexp(a, ea), ldexp(b, eb), ea, eb


def unscale_solution(x: Any, ea: int, eb: int) -> Any:
    """``x`` of ``min ||A x - b||`` from that of the problem scaled by :func:`scale_least_squares`.

    ``(2**ea A) x_s = 2**eb b`` gives ``x = 2**(ea - eb) x_s``.
    """
    return ldexp(x, ea - eb)


def split_exponent(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(m, e)`` with ``d = m * 2**e`` exactly and ``max(|Re m|, |Im m|)`` in ``[1/2, 1)``, elementwise.

    For a float64 or complex128 array ``d``; where ``d`` is 0, Inf or NaN,
    ``m = d`` and ``e = 0``.  A complex entry is split by its larger part
    (its modulus may overflow where the parts do not).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import split_exponent
    >>> m, e = split_exponent(np.array([12.0, -2.0**-1070, 0.0]))
    >>> m.tolist(), e.tolist()
    ([0.75, -0.5, 0.0], [4, -1069, 0])
    """
    d = np.asarray(d)
    if d.dtype.kind != "c":
        return np.frexp(d)
    e = np.frexp(np.maximum(np.abs(d.real), np.abs(d.imag)))[1]
    m = np.empty_like(d)
    m.real, m.imag = np.ldexp(d.real, -e), np.ldexp(d.imag, -e)
    return m, e


def _host_factors(d: Any) -> np.ndarray:
    d = np.asarray(d).reshape(-1)
    return d.astype(np.complex128 if d.dtype.kind == "c" else np.float64, copy=False)


def _scalar_times_power_of_two(x: Any, e: int) -> Any:
    """The scalar ``x * 2**e`` rounded once (``inf`` or 0 beyond the range), of ``x``'s type."""
    e = max(-_EXPONENT_CLAMP, min(_EXPONENT_CLAMP, int(e)))
    with np.errstate(over="ignore", under="ignore"):
        if np.iscomplexobj(x):
            return type(x)(complex(np.ldexp(x.real, e), np.ldexp(x.imag, e)))
        return type(x)(np.ldexp(x, e))


def scaled_product(d: Any, exponent: int = 0) -> Any:
    """``prod(d) * 2**exponent``, over- or underflowing only if it does (a float64/complex128 scalar).

    ``d`` is a 1-D array of factors (promoted to float64/complex128).  Each
    factor is split exactly into ``m 2**e`` (:func:`split_exponent`); the
    mantissas are multiplied in chunks that cannot over- or underflow and
    renormalised, the exponents summed, and the result scaled once at the
    end.  No logarithms: the product is as accurate as the direct one, and
    exact where that is (``exp(log|d|)`` loses digits, e.g. -16.000002 for
    -16 in single precision).  A determinant is this product over the
    pivots of a factorization.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import scaled_product
    >>> float(scaled_product(np.full(8, 2.0**-1070), exponent=8 * 1070))   # each factor subnormal
    1.0
    >>> complex(scaled_product(np.array([1e300j, 1e-300, 2.0])))
    2j
    >>> float(scaled_product(np.array([1e200, 1e200, 1e-300])))   # 1e100, no intermediate overflow
    1e+100
    """
    d = _host_factors(d)
    one = d.dtype.type(1)
    if d.size == 0:
        return _scalar_times_power_of_two(one, exponent)
    m, e = split_exponent(d)
    mant, expo = one, int(e.sum(dtype=np.int64)) + int(exponent)
    for i in range(0, m.size, _CHUNK):
        mant = mant * np.prod(m[i : i + _CHUNK])
        if not np.isfinite(mant) or mant == 0:  # a zero, Inf or NaN factor: the product is what it is
            return mant
        mm, k = split_exponent(np.asarray(mant))
        mant, expo = mm[()], expo + int(k)
    return _scalar_times_power_of_two(mant, expo)


def log_product(d: Any, exponent: int = 0) -> tuple[Any, float]:
    """``(phase, log|p|)`` of ``p = prod(d) * 2**exponent``: :func:`scaled_product`'s ``slogdet``.

    ``phase`` is ``+-1`` (real ``d``) or a complex number of modulus 1, and
    ``(0, -inf)`` when a factor is zero (``numpy.linalg.slogdet``'s
    convention); NaN factors give NaN.  The logarithms are taken of the
    mantissas, so subnormal or huge factors lose nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal._scaling import log_product
    >>> phase, logabs = log_product(np.array([-1e300, 1e300, 2.0**-1070]))
    >>> float(phase), round(logabs, 6)
    (-1.0, 639.883573)
    """
    d = _host_factors(d)
    m, e = split_exponent(d)
    if bool(np.any(m == 0)):
        return d.dtype.type(0), -math.inf
    absm = np.abs(m)
    logabs = float(np.sum(np.log(absm))) + (int(e.sum(dtype=np.int64)) + int(exponent)) * math.log(2.0)
    if d.dtype.kind != "c":
        return d.dtype.type(np.prod(np.sign(m))), logabs
    phase = np.prod(m / absm)  # of moduli 1 up to rounding: no over- or underflow
    return phase / abs(phase), logabs
