"""Options shared by several commands: logging and the compile cache, specs and presets, the search space,
what every training command takes (RunArgs) and pruning (PrunerArgs: the sweep and the study prune, PBT does
not)."""

from dataclasses import dataclass

from hyperlax.commands.options.fields import int_in, nonnegative_int, option, parse_bool
from hyperlax.results.objectives import SEED_AGGREGATES


@dataclass
class CliArgs:
    """How a training command logs and compiles; not stored with a run, as they change none of its results."""

    log_level: str | None = option(
        "log level: DEBUG, INFO, WARNING or ERROR",
        "WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
    )
    no_compile_cache: bool | None = option(
        "do not use the JAX persistent compilation cache (~/.cache/hyperlax/jax)", False, action="store_true"
    )


@dataclass
class SpecArgs:
    spec: str | None = option(
        "YAML file of flag values keyed by flag name (n_trials: 64 or n-trials: 64; lists for multi-value "
        "flags); flags on the command line override it; a malformed file or unknown key is an input error",
        metavar="FILE.yaml",
    )


@dataclass
class PresetArgs:
    preset: str | None = option(
        "quick, standard or thorough: a spec shipped with hyperlax (hyperlax/configs/presets/); --spec and flags "
        "override it; a spec may name one (preset: quick)",
        choices=["quick", "standard", "thorough"],
    )


@dataclass
class SpaceArgs:
    search_space: str | None = option(
        'the search space as JSON {"mode": replace|update, "search_space": {key: distribution}, "fixed": '
        "{key: value}}; a spec's search_space, search_space_mode and fixed keys become this option",
        shown="the recipe's",
        metavar="JSON",
        fixed=True,
    )


@dataclass
class RunArgs:
    """Options of every command that trains configurations (sweep-hp-samples, optuna-hp-search, pbt-search)."""

    algo_and_network_config: str | None = option(
        "recipe name (ppo_mlp, sac_mlp, dqn_mlp; *_sb3: SB3 stock values) or path to your recipe .py file",
        "ppo_mlp",
        fixed=True,
    )
    env_config: str | None = option(
        "gymnax:<id> for any env gymnax registers (gymnax:CartPole-v1, gymnax:Breakout-MinAtar, ...), the short "
        "names gymnax.pendulum, gymnax.cartpole, gymnax.acrobot, gymnax.mountain_car_continuous, or your own "
        "env: path/to/file.py:make or package.module:make (see Bring your own environment)",
        "gymnax.pendulum",
        fixed=True,
    )
    env_kwargs: str | None = option(
        "the env's parameters as a JSON or YAML mapping, e.g. '{\"max_steps_in_episode\": 200}': gymnax params "
        "fields (checked by name and type), or the keywords of your make(**kwargs)",
        shown="the env's",
        metavar="MAPPING",
        fixed=True,
    )
    return_range: list | None = option(
        "bounds of an episode's return, for normalized_auc and stability_score",
        shown="the catalog's (hyperlax/envs/catalog.py); without one those two metrics are unavailable",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        fixed=True,
    )
    allow_env_change: bool | None = option(
        "resume (or join) although your env's file changed since the run started (its SHA-256 is stored)",
        False,
        type=parse_bool,
        nargs="?",
        const=True,
        metavar="True/False",
    )
    total_timesteps: int | None = option(
        "env steps per configuration and seed",
        type=int_in(1, 10**9),
        shown="the recipe's (a study caps it at 50000 unless given)",
        fixed=True,
    )
    num_seeds: int | None = option(
        "seeds per configuration, trained in the same program", 2, type=int_in(1, 1024), fixed=True
    )
    seed_aggregate: str | None = option(
        "how the seeds' final, peak and AUC become one value: mean (of the seed-mean curve), or per seed "
        "first, then iqm, median, min or mean-minus-std",
        "mean",
        choices=list(SEED_AGGREGATES),
        fixed=True,
    )
    num_evaluations: int | None = option(
        "evaluations along training = points of the learning curve",
        type=int_in(1, 10_000),
        shown="the recipe's (20)",
        fixed=True,
    )
    eval_episodes: int | None = option(
        "episodes per evaluation, deterministic policy", type=int_in(1, 100_000), shown="the recipe's (10)", fixed=True
    )
    seed: int | None = option(
        "master seed: samples, trials and training keys derive from it", 0, type=int_in(0, 2**32 - 1), fixed=True
    )
    output_root: str | None = option(
        "results go to <output-root>/<recipe>/<env with . replaced by _>/", "hyperlax_runs"
    )
    resume_from: str | None = option("a sweep or study directory to continue")
    program_width: int | None = option(
        "configurations per compiled program: a fixed width keeps every configuration's results bitwise equal "
        "wherever it runs; wider programs use a GPU better",
        type=int_in(1, 65_536),
        shown="on CPU 1 (2 with one seed), one program per core; on GPU the runner batch size",
    )


@dataclass
class PrunerArgs:
    """Pruning: stop configurations that fall behind (sweep-hp-samples, optuna-hp-search).

    A command lists it before RunArgs among its bases (`class SweepArgs(PrunerArgs, RunArgs, SpaceArgs)`):
    dataclass fields follow the reversed MRO, so the pruner flags come after RunArgs' in --help and README.
    """

    pruner: str | None = option(
        "none, median, halving (asynchronous successive halving, recommended) or hyperband: stop configurations "
        "whose eval return falls behind at an evaluation; their slot is refilled at once",
        "none",
    )
    pruner_startup_trials: int | None = option(
        "median: trials finished before any pruning; halving/hyperband: results a rung needs before it prunes",
        type=nonnegative_int,
        shown="median 5, halving/hyperband 0",
    )
    pruner_warmup_evaluations: int | None = option(
        "median: evaluations before a trial can be pruned; halving/hyperband: evaluations before the first rung",
        type=nonnegative_int,
        shown="median a third of --num-evaluations, halving/hyperband 1",
    )
    halving_reduction_factor: int | None = option(
        "halving/hyperband: a rung keeps the top 1/factor of its results", type=int_in(2, 100),
        shown="halving 4, hyperband 3",
    )  # fmt: skip
