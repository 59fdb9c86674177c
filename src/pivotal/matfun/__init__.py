"""Matrix functions with SciPy's signatures: ``expm``, ``logm``, ``sqrtm``, ``funm``, ``fractional_matrix_power``,
``matrix_power``; and :class:`ExpmReport`, the report of pivotal's scaling-and-squaring exponential.

One module per function; ``_scaling_squaring.py`` is pivotal's own
Al-Mohy-Higham algorithm and ``_pade.py`` its Padé coefficients, ``θ_m``
table and backward-error series.  See ``docs/matfun.md``.
"""

from ._expm import ExpmReport, expm
from ._funm import funm
from ._logm import logm
from ._power import fractional_matrix_power, matrix_power
from ._sqrtm import sqrtm

__all__ = ["ExpmReport", "expm", "fractional_matrix_power", "funm", "logm", "matrix_power", "sqrtm"]
