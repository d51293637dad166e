class InputError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits with code 2."""


class RunFailed(Exception):
    """A run that failed where its cause is already written down (a worker's log): the CLI prints the message,
    which names that place, on one line and exits with code 1; a traceback of the parent would say nothing."""


def raised(exc: BaseException) -> str:
    """An exception in one line: its type and the first line of its message."""
    if isinstance(exc, SystemExit):
        return f"sys.exit({exc.code!r})"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
