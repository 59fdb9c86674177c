"""The lab's experiments, one module each, named ``eNN_slug.py`` (``NN`` the course order).

Importing this package imports every such module it finds, and each module
registers itself with :func:`pivotal.lab._record.experiment`; adding an
experiment is adding a file, with no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

_MODULE = re.compile(r"e\d\d_[a-z0-9_]+")

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    if _MODULE.fullmatch(_info.name):
        importlib.import_module(f"{__name__}.{_info.name}")
