"""pbt-search's options: RunArgs and the population's; no pruner (exploit replaces the worst members)."""

from dataclasses import dataclass

from hyperlax.commands.options.fields import float_in, int_in, option
from hyperlax.commands.options.shared import RunArgs


@dataclass
class PBTArgs(RunArgs):
    population_size: int | None = option("members trained side by side", 16, type=int_in(2, 4096), fixed=True)
    ready_interval: int | None = option("evaluations between exploit steps", 2, type=int_in(1, 10_000), fixed=True)
    exploit: str | None = option(
        "truncation (the bottom fraction copies a member of the top fraction) or none", "truncation", fixed=True
    )
    truncation_fraction: float | None = option(
        "the fraction of members at the bottom that exploit, and at the top that they copy", 0.25,
        type=float_in(0.01, 0.5), fixed=True,
    )  # fmt: skip
    explore: str | None = option(
        "perturb (floats x0.8 or x1.2, integers one step) or resample (from the recipe's distribution)",
        "perturb",
        fixed=True,
    )
    resample_probability: float | None = option(
        "perturb: probability of resampling a value instead; resample: of resampling each value", 0.25,
        type=float_in(0.0, 1.0), fixed=True,
    )  # fmt: skip
    pbt_seed: int | None = option("seed of the exploit and explore draws", 0, type=int_in(0, 2**32 - 1), fixed=True)
