"""One seeding rule for every ``random_state=`` in pivotal.

``random_state`` may be ``None`` (fresh OS entropy), a non-negative int seed,
a ``numpy.random.Generator`` (used as is), a ``torch.Generator`` or a JAX
PRNG key.  :func:`as_generator` turns any of them into a NumPy generator and
:func:`seed_kind` says which family it belongs to; both reject a bool, a
negative seed or another type with one message.  The gallery, the condition
estimators, the randomized toolkit and ``pivotal.ml`` all seed through here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RandomState", "as_generator", "seed_kind"]

RandomState = Any  # None | int | numpy.random.Generator | torch.Generator | JAX key

_TYPE_ADVICE = (
    "random_state must be None, a non-negative int seed, a numpy.random.Generator, "
    "a torch.Generator or a JAX PRNG key"
)


# --------------------------------------------------------------------------- classification


def _is_torch_generator(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and type(x).__name__ == "Generator"


def _is_jax_key(x: Any) -> bool:
    if not type(x).__module__.startswith("jax"):
        return False
    try:
        import jax
    except ImportError:  # pragma: no cover - jax is optional
        return False
    if not isinstance(x, jax.Array):
        return False
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
        return True
    # Raw uint32 keys from jax.random.PRNGKey: shape (2,) (threefry) or similar.
    return x.dtype == np.uint32 and x.ndim == 1


def _check_seed(random_state: Any) -> None:
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"{_TYPE_ADVICE}; got a bool ({random_state!r}), which is not a seed.")
    if isinstance(random_state, (int, np.integer)) and int(random_state) < 0:
        raise ValueError(
            f"random_state must be a non-negative int seed, got {int(random_state)}; "
            "pass e.g. random_state=0."
        )


def seed_kind(random_state: Any) -> str:
    """One of ``"numpy"`` (None, int, Generator), ``"torch"`` or ``"jax"``."""
    _check_seed(random_state)
    if random_state is None or isinstance(random_state, (int, np.integer, np.random.Generator)):
        return "numpy"
    if _is_torch_generator(random_state):
        return "torch"
    if _is_jax_key(random_state):
        return "jax"
    raise TypeError(f"{_TYPE_ADVICE}; got {type(random_state).__name__}. Pass e.g. random_state=0.")


# --------------------------------------------------------------------------- generators


def as_generator(random_state: RandomState = None) -> np.random.Generator:
    """A ``numpy.random.Generator`` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        ``None``: a fresh generator seeded by the operating system; an int:
        ``numpy.random.default_rng(seed)``; a Generator: returned as is (its
        state advances as numbers are drawn).  A ``torch.Generator`` is
        consumed for a 128-bit seed (two ``torch.randint`` draws on its
        device), and a JAX key's raw bits seed the NumPy generator; both are
        deterministic.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        For any other type (a bool is not a seed; neither is a legacy
        ``numpy.random.RandomState``).
    ValueError
        For a negative int seed.

    Examples
    --------
    >>> from pivotal._seeding import as_generator
    >>> float(as_generator(0).random()) == float(as_generator(0).random())
    True
    """
    kind = seed_kind(random_state)
    if kind == "numpy":
        if isinstance(random_state, np.random.Generator):
            return random_state
        return np.random.default_rng(None if random_state is None else int(random_state))
    if kind == "torch":
        import torch

        words = torch.randint(
            0, 2**62, (2,), generator=random_state, device=random_state.device, dtype=torch.int64
        )
        return np.random.default_rng([int(w) for w in words.cpu()])
    import jax

    key = random_state
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.random.default_rng([int(w) for w in np.asarray(key).ravel()])
