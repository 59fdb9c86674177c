"""Dense spectral decompositions with SciPy's signatures: ``svd``, ``svdvals``, ``eigh``, ``eigvalsh``.

Vendor LAPACK (through SciPy), ``torch.linalg`` or ``jax.numpy.linalg``
does the work; pivotal validates, batches, reduces the generalized
problem on the backends that lack it, and routes what a backend cannot do
to SciPy on the host.  See ``docs/spectral.md``.
"""

from ._eigh import eigh, eigvalsh
from ._svd import svd, svdvals

__all__ = ["eigh", "eigvalsh", "svd", "svdvals"]
