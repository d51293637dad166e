"""Ctrl-C (SIGINT) and SIGTERM stop a run cleanly, with what was kept said in one line.

The CLI installs a handler for both: it records the signal and raises `Interrupted` (a KeyboardInterrupt,
so every `except BaseException` cleanup path runs: trials in training are failed as interrupted and
enqueued again). Inside `deferred()` (writing a result and telling it) the signal waits until the block
ends, so a result is never written without being told. `check()` at safe points re-raises a signal that
library code swallowed, so a run never carries on after one.
"""

import functools
import signal
import sys
import threading
from contextlib import contextmanager

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal; `kept` says what is on disk (set by the command that was running)."""

    def __init__(self, signum: int = signal.SIGINT, kept: str = ""):
        super().__init__(signum)
        self.signum, self.kept = signum, kept

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 130)

    @property
    def name(self) -> str:
        return "interrupted" if self.signum == signal.SIGINT else "terminated"


_received: int | None = None
_raised = False  # the received signal was raised once; cleanup that follows is not cut short again
_deferring = 0


def _handle(signum, frame) -> None:
    global _received, _raised
    _received, _raised = signum, False
    if not _deferring:
        _raise()


def _raise() -> None:
    global _raised
    _raised = True
    raise Interrupted(_received)


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only, as Python requires)."""
    global _received, _raised
    _received, _raised = None, False
    for signum in EXIT_CODES:
        signal.signal(signum, _handle)
    sys.unraisablehook = _quiet_unraisable


def _quiet_unraisable(unraisable) -> None:
    """A signal that lands in a garbage-collection callback cannot propagate from there (Python prints it
    as 'Exception ignored'); `check()` raises it at the next safe point, so it is not printed."""
    if not isinstance(unraisable.exc_value, Interrupted):
        sys.__unraisablehook__(unraisable)


def as_interrupted(exc: KeyboardInterrupt) -> Interrupted:
    """The Interrupted for a KeyboardInterrupt (native code may re-raise a plain one for our signal)."""
    return exc if isinstance(exc, Interrupted) else Interrupted(_received or signal.SIGINT)


def check() -> None:
    """Raise Interrupted if a signal arrived (and was swallowed, or deferred)."""
    if _received is not None:
        _raise()


@contextmanager
def deferred():
    """A block that a signal does not cut short; a signal that arrived meanwhile is raised when it ends.
    Only the main thread is deferred (signals are handled there); other threads run the block as is."""
    global _deferring
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _received is not None and not _raised:
        _raise()


def defer_calls(obj):
    """`obj` with every public method of its class run inside `deferred()`. Given an Optuna storage: a signal
    that lands inside a database call (a session half-committed, a connection half-reset) would leave the
    storage unusable for the cleanup that fails the trials in training; deferred, it waits for the call."""
    for name in dir(type(obj)):
        method = getattr(obj, name, None) if not name.startswith("_") else None
        if callable(method):
            setattr(obj, name, _deferring_call(method))
    return obj


def _deferring_call(method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        with deferred():
            return method(*args, **kwargs)

    return call


def interrupted(exc: KeyboardInterrupt, kept: str, resume_dir, then: str = "; continue") -> Interrupted:
    """The Interrupted a command raises when stopped: what it kept, and how to go on from there."""
    stop = as_interrupted(exc)
    stop.kept = f"{kept}{then} with --resume-from {resume_dir}"
    return stop
