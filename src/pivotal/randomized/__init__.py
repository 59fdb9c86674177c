"""Randomized numerical linear algebra: sketches, range finders, rSVD, Nyström, randomized QRCP, ID/CUR.

Every function takes an explicit ``random_state=`` (None, int,
``numpy.random.Generator``, ``torch.Generator`` or a JAX key) and
keyword-only options.
"""

from ._interpolative import (
    CURResult,
    cur,
    interp_decomp,
    interpolative,
    reconstruct_interp_matrix,
    reconstruct_matrix_from_id,
    reconstruct_skel_matrix,
)
from ._nystrom import nystrom
from ._range_finder import range_finder
from ._rqrcp import RQRCPResult, rqrcp
from ._rsvd import reigh, rsvd
from ._sketch_lstsq import SketchLstsqInfo, sketch_lstsq
from ._svds import eigsh, svds
from .sketches import (
    GaussianSketch,
    SketchingOperator,
    SparseSignSketch,
    SRHTSketch,
    sketch,
)

__all__: list[str] = [
    "CURResult",
    "GaussianSketch",
    "RQRCPResult",
    "SRHTSketch",
    "SketchLstsqInfo",
    "SketchingOperator",
    "SparseSignSketch",
    "cur",
    "eigsh",
    "interp_decomp",
    "interpolative",
    "nystrom",
    "range_finder",
    "reconstruct_interp_matrix",
    "reconstruct_matrix_from_id",
    "reconstruct_skel_matrix",
    "reigh",
    "rqrcp",
    "rsvd",
    "sketch",
    "sketch_lstsq",
    "svds",
]
