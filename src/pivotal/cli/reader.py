"""Reading and writing the matrices of the command line (``pivotal doctor``, ``pivotal solve``).

A matrix argument is ``gallery:NAME[:N[:ARG...]]`` or the path of a ``.npy``,
``.npz``, ``.mtx`` (Matrix Market) or text (``.csv``, ``.txt``, ``.tsv``,
``.dat``) file.  Every way a file can be unusable (missing, a directory,
truncated, a bad header, no numbers, too large a gallery matrix) is a
:class:`CLIError` with a one-line message, which the commands print and exit
with status 2.  Nothing is imported beyond NumPy (SciPy for ``.mtx`` and
sparse ``.npz``), so this module works without the ``cli`` extra.
"""

from __future__ import annotations

import inspect
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["GALLERY_MAX_ENTRIES", "TEXT_SUFFIXES", "CLIError", "load_matrix", "save_matrix"]


class CLIError(Exception):
    """A user error (unreadable file, bad argument): printed on one line, exit status 2."""


#: the text formats ``numpy.loadtxt`` reads
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")
#: the largest gallery matrix the command line builds: 2**27 entries (1 GiB in float64, n = 11585)
GALLERY_MAX_ENTRIES = 2**27
_GALLERY_DEFAULT_N = 10
#: what reading a damaged file raises (NumPy, SciPy's Matrix Market reader, zip archives)
_READ_ERRORS = (OSError, ValueError, EOFError, UnicodeDecodeError, IndexError, KeyError, TypeError)


def one_line(text: object) -> str:
    """``text`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(str(text).split())


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise CLIError(f"{text!r} is not a number") from None


def _gallery_form(name: str, func: Any) -> str:
    params = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return ":".join(["gallery", name] + [p.name if p.default is p.empty else f"[{p.name}]" for p in params])


def _check_gallery_size(spec: str, n: int) -> None:
    """Refuse, before anything is allocated, a gallery matrix larger than :data:`GALLERY_MAX_ENTRIES`."""
    if n * n > GALLERY_MAX_ENTRIES:
        gib = n * n * 8 / 2**30
        largest = int(GALLERY_MAX_ENTRIES**0.5)
        raise CLIError(
            f"{spec} would be a {n} x {n} matrix ({gib:.3g} GiB in float64); the command line builds "
            f"gallery matrices up to n = {largest} (1 GiB): choose a smaller N"
        )


def _gallery_matrix(spec: str, seed: int) -> np.ndarray:
    """``gallery:NAME[:N[:ARG...]]`` -> ``pivotal.gallery.NAME(N, *ARGS)``."""
    from pivotal import gallery

    parts = spec.split(":")[1:]
    if not parts or not parts[0]:
        raise CLIError("write gallery:NAME[:N], e.g. gallery:hilbert:12")
    name, args = parts[0], [_number(t) for t in parts[1:]]
    names = sorted(f for f in gallery.__all__ if callable(getattr(gallery, f)) and f != "scaled")
    if name not in names:
        raise CLIError(f"unknown gallery matrix {name!r}; choose one of: {', '.join(names)}")
    func = getattr(gallery, name)
    args = args or [_GALLERY_DEFAULT_N]
    if isinstance(args[0], float) or args[0] < 0:
        raise CLIError(f"the size N in {spec!r} must be a non-negative integer")
    _check_gallery_size(spec, args[0])
    kwargs = {"random_state": seed} if "random_state" in inspect.signature(func).parameters else {}
    try:
        return func(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"cannot build {spec!r}: {one_line(exc)}; write {_gallery_form(name, func)}") from None


def _first_data_line(path: Path) -> str | None:
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line and not line.startswith("#"):
                return line
    return None


def _load_text(path: Path, spec: str) -> np.ndarray:
    line = _first_data_line(path)
    if line is None:
        raise CLIError(f"{spec} holds no numbers (the file is empty or only comments)")
    delimiter = "," if "," in line else (";" if ";" in line else None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "input contained no data" and the like: an error here
        try:
            return np.loadtxt(path, delimiter=delimiter, ndmin=2, comments="#")
        except UserWarning as exc:
            raise CLIError(f"cannot read {spec}: {one_line(exc)}") from None


def _load_npz(path: Path, spec: str, key: str | None) -> Any:
    with (
        open(path, "rb") as fh,
        np.load(fh, allow_pickle=False) as data,
    ):  # the handle closes on a bad zip too
        files = list(data.files)
        if key is None and {"format", "shape", "data"} <= set(files):
            import scipy.sparse

            return scipy.sparse.load_npz(path)
        if not files:
            raise CLIError(f"{spec} holds no arrays")
        if key is not None and key not in files:
            raise CLIError(f"{spec} has no array {key!r}; it holds {', '.join(files)}")
        return data[key if key is not None else files[0]]


def _load_file(path: Path, spec: str, key: str | None) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with open(path, "rb") as fh:
            return np.load(fh, allow_pickle=False)
    if suffix == ".npz":
        return _load_npz(path, spec, key)
    if suffix == ".mtx":
        import scipy.io

        return scipy.io.mmread(path)
    if suffix in TEXT_SUFFIXES:
        return _load_text(path, spec)
    raise CLIError(
        f"unsupported file type {suffix or '(none)'!r} for {spec}: use .npy, .npz, .mtx, "
        f"{', '.join(TEXT_SUFFIXES)} or gallery:NAME[:N]"
    )


def load_matrix(spec: str, *, key: str | None = None, seed: int = 0) -> Any:
    """Load the ``MATRIX`` (or right-hand side) argument of ``pivotal doctor`` and ``pivotal solve``.

    Parameters
    ----------
    spec : str
        ``gallery:NAME[:N[:ARG...]]`` (at most :data:`GALLERY_MAX_ENTRIES`
        entries) or the path of a ``.npy``, ``.npz`` (the array named
        ``key``, else the first; a file written by ``scipy.sparse.save_npz``
        loads as a sparse matrix), ``.mtx`` (Matrix Market,
        ``scipy.io.mmread``; sparse stays sparse) or
        ``.csv``/``.txt``/``.tsv``/``.dat`` file (``numpy.loadtxt``, comma,
        semicolon or whitespace separated, ``#`` comments).
    key : str, optional
        Array name inside a ``.npz`` file.
    seed : int, optional
        ``random_state`` of random gallery matrices.

    Returns
    -------
    numpy.ndarray or scipy.sparse matrix

    Raises
    ------
    CLIError
        Unknown format, missing, unreadable or empty file, a directory, bad
        or too large gallery spec; the message is one line.

    Examples
    --------
    >>> load_matrix("gallery:hilbert:3")[0]
    array([1.        , 0.5       , 0.33333333])
    >>> load_matrix("gallery:hilbert:100000")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pivotal.cli.reader.CLIError: gallery:hilbert:100000 would be a 100000 x 100000 matrix (74.5 GiB in float64); ...
    """
    if spec.startswith("gallery:"):
        return _gallery_matrix(spec, seed)
    path = Path(spec)
    if path.is_dir():
        raise CLIError(f"{spec} is a directory, not a matrix file")
    if not path.exists():
        raise CLIError(f"no such file: {spec} (or use gallery:NAME[:N])")
    try:
        return _load_file(path, spec, key)
    except CLIError:
        raise
    except (*_READ_ERRORS, zipfile.BadZipFile) as exc:
        raise CLIError(f"cannot read {spec}: {one_line(exc) or type(exc).__name__}") from None


def output_format(path: str, like: str) -> str:
    """The suffix to write ``path`` in: its own, else that of the input ``like`` (``.npy`` for gallery/.npz).

    Examples
    --------
    >>> output_format("x.csv", "a.npy"), output_format("x", "a.mtx"), output_format("x", "gallery:hilbert")
    ('.csv', '.mtx', '.npy')
    """
    suffix = Path(path).suffix.lower()
    if suffix:
        if suffix not in (".npy", ".mtx", *TEXT_SUFFIXES):
            raise CLIError(f"cannot write {path}: use a .npy, .mtx, .csv or .txt file name")
        return suffix
    if like.startswith("gallery:"):
        return ".npy"
    own = Path(like).suffix.lower()
    return own if own in (".npy", ".mtx", *TEXT_SUFFIXES) else ".npy"


def save_matrix(path: str, x: np.ndarray, like: str) -> Path:
    """Write ``x`` to ``path`` in :func:`output_format`'s format; returns the path written."""
    suffix = output_format(path, like)
    target = Path(path) if Path(path).suffix else Path(path + suffix)
    x2 = x.reshape(-1, 1) if x.ndim == 1 else x
    try:
        if suffix == ".npy":
            np.save(target, x)
        elif suffix == ".mtx":
            import scipy.io

            scipy.io.mmwrite(target, x2)
        else:
            np.savetxt(target, x2, delimiter="," if suffix == ".csv" else " ", fmt="%.17g")
    except OSError as exc:
        raise CLIError(f"cannot write {target}: {one_line(exc)}") from None
    return target
