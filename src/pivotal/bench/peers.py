"""Which peer libraries are installed, found without importing them.

A peer is a library a benchmark case compares against.  Detection asks the
import system for the module (``importlib.util.find_spec``) and the package
metadata for its version, so that listing peers stays cheap; the case imports
the library only when it runs.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

#: Peer name -> (import name, distribution name, human name).
PEERS: dict[str, tuple[str, str, str]] = {
    "numpy": ("numpy", "numpy", "NumPy"),
    "scipy": ("scipy", "scipy", "SciPy"),
    "sklearn": ("sklearn", "scikit-learn", "scikit-learn"),
    "torch": ("torch", "torch", "PyTorch"),
    "jax": ("jax", "jax", "JAX"),
}


def is_installed(peer: str) -> bool:
    """Whether the peer library can be imported.

    Examples
    --------
    >>> is_installed("numpy")
    True
    """
    module = PEERS[peer][0] if peer in PEERS else peer
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def version(peer: str) -> str | None:
    """The installed version of the peer library, or None when it is missing.

    Examples
    --------
    >>> version("numpy") is not None
    True
    """
    if not is_installed(peer):
        return None
    dist = PEERS[peer][1] if peer in PEERS else peer
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def display_name(peer: str) -> str:
    """The library's name as people write it ("scikit-learn", "PyTorch").

    Examples
    --------
    >>> display_name("sklearn")
    'scikit-learn'
    """
    return PEERS[peer][2] if peer in PEERS else peer


def installed_peers() -> dict[str, str | None]:
    """Every known peer with its version (None for the missing ones).

    Examples
    --------
    >>> "scipy" in installed_peers()
    True
    """
    return {peer: version(peer) for peer in PEERS}
