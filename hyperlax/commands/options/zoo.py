"""hyperlax zoo's options (train's --zoo is declared with train's)."""

from dataclasses import dataclass

from hyperlax.commands.options.fields import option


@dataclass
class ZooArgs:
    """hyperlax zoo: the entries shipped in hyperlax/zoo/ (or $HYPERLAX_ZOO_DIR)."""

    format: str | None = option(
        "table (a terminal table), markdown (a table docs can embed) or json (the entries themselves)",
        "table",
        choices=["table", "markdown", "json"],
    )
