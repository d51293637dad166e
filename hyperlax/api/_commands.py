"""The Python API's functions: each runs the command of the same options as the CLI and returns an object.

Keywords come from the CLI's command table (hyperlax.cli.main), so each function takes its command's flags.
Saved agents: hyperlax.api._agents.
"""

from pathlib import Path

from hyperlax.api._options import command_args
from hyperlax.api._results import PBTResult, StudyResult, SweepResult


def console_of(console):
    """The given rich Console (a notebook's works: rich renders progress there), or a new one."""
    if console is not None:
        return console
    from rich.console import Console

    return Console()


def optimize(algo: str | None = None, *, env=None, console=None, **options) -> StudyResult:
    """An Optuna study (`hyperlax optuna-hp-search`): `algo` is --algo-and-network-config, `env` --env-config
    or an env object; every other flag is a keyword of the same name with '_' for '-' (n_trials=16, ...)."""
    args = command_args("optuna-hp-search", "optimize", algo, env, options)
    from hyperlax.commands.study import search

    study_dir = search(args, console_of(console))
    return StudyResult.open(study_dir, args.storage)


def sweep(algo: str | None = None, *, env=None, console=None, **options) -> SweepResult:
    """Train samples of a recipe's search space (`hyperlax sweep-hp-samples`); keywords as its flags."""
    args = command_args("sweep-hp-samples", "sweep", algo, env, options)
    from hyperlax.commands.sweep import sweep as run_sweep

    return SweepResult.open(run_sweep(args, console_of(console)))


def pbt(algo: str | None = None, *, env=None, console=None, **options) -> PBTResult:
    """Population-based training (`hyperlax pbt-search`); keywords as its flags."""
    args = command_args("pbt-search", "pbt", algo, env, options)
    from hyperlax.commands.pbt.search import pbt_search

    return PBTResult(pbt_search(args, console_of(console)))


def train(algo: str | None = None, *, env=None, console=None, **options) -> Path:
    """Train one configuration on several seeds and save its agents (`hyperlax train`): its directory.
    `zoo="ppo:gymnax:CartPole-v1"` (or an entry's file) trains a zoo entry's configuration, as --zoo."""
    from hyperlax.commands.train import train as run_train

    return run_train(command_args("train", "train", algo, env, options), console_of(console))


def zoo_entries() -> list[dict]:
    """The zoo's entries, as `hyperlax zoo --format json` prints them: one checked mapping per (algo, env) pair
    (the format: hyperlax/zoo/__init__.py); `train(zoo=entry["pair"])` trains one's configuration again."""
    from hyperlax.zoo import list_entries

    return [entry.data for entry in list_entries()]
