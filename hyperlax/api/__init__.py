"""hyperlax's Python API: the commands as functions whose keywords are the CLI's flags.

    import hyperlax
    study = hyperlax.optimize("ppo_mlp", env="gymnax.cartpole", n_trials=16, total_timesteps=50_000)
    study.best_params, study.best_value, study.study_dir, study.trials_dataframe()

Every option of a command is a keyword named as its flag without '--' and with '_' for '-', with the same
default, checks and messages (the keywords are the fields of the same dataclasses, hyperlax.commands.options);
a bad value or an unknown keyword raises hyperlax.InputError. `env=` also takes an env object built in this
process, `(env, params)` or `(env, params, (R_min, R_max))`. `console=` takes a rich Console (progress bars
render in a notebook too). `import hyperlax` stays light: these are imported when first used.
"""

from hyperlax.api._agents import evaluate, load_agent
from hyperlax.api._commands import optimize, pbt, sweep, train, zoo_entries
from hyperlax.api._results import PBTResult, StudyResult, SweepResult

__all__ = [
    "PBTResult",
    "StudyResult",
    "SweepResult",
    "evaluate",
    "load_agent",
    "optimize",
    "pbt",
    "sweep",
    "train",
    "zoo_entries",
]
