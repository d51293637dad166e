"""sweep-hp-samples' options."""

from dataclasses import dataclass

from hyperlax.commands.options.agents import save_agents_option
from hyperlax.commands.options.fields import int_in, option, parse_bool
from hyperlax.commands.options.shared import PrunerArgs, RunArgs, SpaceArgs


@dataclass
class SweepArgs(PrunerArgs, RunArgs, SpaceArgs):
    ALSO_FIXED = (
        "program_width",
        "pruner",
        "pruner_startup_trials",
        "pruner_warmup_evaluations",
        "halving_reduction_factor",
    )

    num_samples: int | None = option("samples to draw", 8, type=int_in(1, 1_000_000), fixed=True)
    hparam_batch_size: int | None = option("configurations per compiled batch", 8, type=int_in(1, 65_536), fixed=True)
    sampling_method: str | None = option("qmc_sobol (scrambled Sobol, seeded) or random", "qmc_sobol", fixed=True)
    sequential: bool | None = option(
        "one configuration per run (run_0000, ...)", False, type=parse_bool, nargs="?", const=True,
        metavar="True/False", fixed=True,
    )  # fmt: skip
    group_by_structural_hparams: bool | None = option(
        "gather all samples of one structure before batching: fewer compiles, batches out of sample order",
        False, type=parse_bool, nargs="?", const=True, metavar="True/False", fixed=True,
    )  # fmt: skip
    save_agents: str | None = save_agents_option(
        "a sample that beats every sample before it by final_performance when it ends", "none"
    )
