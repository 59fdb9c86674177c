"""Dense spectral decompositions with SciPy's signatures.

``svd``, ``svdvals``, ``eigh``, ``eigvalsh`` (Hermitian), ``eig``,
``eigvals`` (general, and the generalized problem), ``schur``, ``rsf2csf``
and ``hessenberg``.  Vendor LAPACK (through SciPy), ``torch.linalg`` or
``jax.numpy.linalg`` / ``jax.scipy.linalg`` does the work, except for
``hessenberg(method="kernel")`` (pivotal's Householder reduction); pivotal
validates, batches, reduces the generalized Hermitian problem on the
backends that lack it, and routes what a backend cannot do to SciPy on the
host.  See ``docs/spectral.md``.
"""

from ._eig import eig, eigvals
from ._eigh import eigh, eigvalsh
from ._hessenberg import hessenberg
from ._schur import rsf2csf, schur
from ._svd import svd, svdvals

__all__ = ["eig", "eigh", "eigvals", "eigvalsh", "hessenberg", "rsf2csf", "schur", "svd", "svdvals"]
