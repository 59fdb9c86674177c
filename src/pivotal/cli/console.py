"""Output for the command line: stdout that survives a closed pipe, one-line errors, and progress on stderr."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from .reader import CLIError, one_line

#: a step must run this long (seconds) before the progress indicator shows it
PROGRESS_DELAY = 1.0


class Exit(Exception):
    """End the command with ``code`` (the message, if any, is already printed)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def echo(text: str) -> None:
    """Print ``text`` to stdout; a reader that went away (``| head``) ends the command quietly."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
        raise Exit(0) from None


def quiet_stdout() -> None:
    """Point stdout at ``/dev/null`` so that the interpreter's final flush cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture)
        pass


def error(command: str, message: str, code: int = 2) -> Exit:
    """Print ``pivotal COMMAND: error: MESSAGE`` (one line) on stderr; return the :class:`Exit` to raise."""
    print(f"pivotal {command}: error: {one_line(message)}", file=sys.stderr)
    return Exit(code)


def warn(command: str, message: str) -> None:
    """Print ``pivotal COMMAND: warning: MESSAGE`` (one line) on stderr."""
    print(f"pivotal {command}: warning: {one_line(message)}", file=sys.stderr)


@contextmanager
def user_errors(command: str) -> Iterator[None]:
    """A :class:`CLIError` raised inside becomes its one-line message and exit status 2."""
    try:
        yield
    except CLIError as exc:
        raise error(command, str(exc)) from None


def stderr_console():
    """A rich console on stderr."""
    from rich.console import Console

    return Console(stderr=True)


def progress_reporter(
    console=None, delay: float = PROGRESS_DELAY
) -> Callable[[str], AbstractContextManager] | None:
    """``progress(item)`` for :func:`pivotal.doctor`: a spinner on stderr for steps slower than ``delay``.

    ``None`` when stderr is not a terminal (nothing to animate).
    """
    console = console if console is not None else stderr_console()
    if not console.is_terminal:
        return None

    @contextmanager
    def step(item: str) -> Iterator[None]:
        status = console.status(f"doctor: {item} ...", spinner="dots")
        timer = threading.Timer(delay, status.start)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            timer.join()
            status.stop()

    return step
