"""The lab's experiments, one module each, named ``eNN_slug.py`` (``NN`` the course order).

Importing this package imports every such module it finds, and each module
registers itself with :func:`pivotal.lab._record.experiment`; adding an
experiment is adding a file, with no list to edit.  A module that needs an
optional package which is not installed (PyTorch, say) is left out, and
:data:`UNAVAILABLE` says why: the command line and ``results.json`` list it,
so nothing is left out silently.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

_MODULE = re.compile(r"e\d\d_[a-z0-9_]+")


def load_modules(path: list[str], package: str) -> dict[str, str]:
    """Import every ``eNN_slug`` module of ``package`` (found on ``path``), in name order.

    Returns ``{module name: "needs <package>"}`` for the modules whose import
    failed for want of a third-party package; any other import error
    (pivotal's own code included) is raised.
    """
    unavailable = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda info: info.name):
        if _MODULE.fullmatch(info.name):
            try:
                importlib.import_module(f"{package}.{info.name}")
            except ImportError as exc:
                if exc.name is None or exc.name.split(".")[0] == "pivotal":
                    raise  # pivotal's own code must import: a bug, not a missing extra
                unavailable[info.name] = f"needs {exc.name.split('.')[0]}"
    return unavailable


#: ``{module name: "needs <package>"}`` for the experiments whose optional dependency is missing.
UNAVAILABLE: dict[str, str] = load_modules(__path__, __name__)
