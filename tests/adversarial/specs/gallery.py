"""Specs of the gallery functions that take an array (the generators are swept over sizes)."""

from __future__ import annotations

import numpy as np

from .. import checks as ck
from ..arith import (
    THRESH,
    WIDE,
    normmax,
    wide,
)
from ..matrices import KINDS, entries
from ..variants import Problem
from .common import (
    overflows,
)
from .registry import spec

# ---------------------------------------------------------------------- gallery (array-taking)


def _check_scaled(c, out):
    a, s = c.ref[0], c.args[1]
    want = a * WIDE(s)
    ck.reconstruction(c, want, out, "gallery.scaled")


def _scaled_args(rng, field, size):
    a = KINDS["general"](rng, field, size)
    return Problem([a, 2.0**-20], meta={"dims": a.shape})


spec(
    "gallery.scaled",
    build=_scaled_args,
    check=_check_scaled,
    nonfinite="propagate",
    exact=True,  # documented: a * scale in the dtype of a (exact for a power of two)
    numpy_output=True,  # documented: returns an ndarray
)


def _vander_args(rng, field, size):
    n = 6 if size is None else size
    x = entries(rng, (n,), field)
    return Problem([x], meta={"dims": (n, n)})


def _check_vander(c, v):
    x = c.ref[0]
    n = x.size
    want = x[:, None] ** np.arange(n - 1, -1, -1)
    if overflows(c, normmax(want)):
        if not np.isinf(wide(v)).any():
            ck.fail("vandermonde: the true entries overflow, got finite values")
        return
    ck.close(v, want, THRESH * max(n, 1) * c.u, "vandermonde", scale=normmax(want) if want.size else 1)


spec("gallery.vandermonde", build=_vander_args, check=_check_vander, numpy_output=True)
