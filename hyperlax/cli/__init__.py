"""The command line: `hyperlax <command>` or `python -m hyperlax.cli <command>`."""

from hyperlax.cli.main import main

__all__ = ["main"]
