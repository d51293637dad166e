"""optuna-hp-search and the commands around a study (status, best, export, validate-best).

One concept per module, as in Optuna's own `optuna/study/`: `_args` (resolving and checking the options declared in
hyperlax.commands.options), `_storage` (URLs: database, journal file, gRPC proxy; opening a study, database
errors), `_samplers` (samplers by name or a user's class; pruners live in hyperlax.commands.pruning), `_params`
(recipe distributions as suggestions), `_ledger` (budget, heartbeats, failing and retrying), `_worker` (ask ->
runner -> tell), `_jobs` (--n-jobs: local worker processes, one progress view), `_selection` (what a study hands
over), `_reevaluate` (the top trials on fresh seeds at the end), `_reports` (records, JSON, CSV, tables,
study-list), `_plots`, `_compare` (study-plots, study-compare), `_best_spec` (study-best, also as a YAML spec),
`_tracking` (the tracker interface; `_mlflow`, `_wandb`, `_tensorboard` imported only when asked) and `_validate`
(validate-best); only `_worker`, `_reevaluate` and `_validate` train. This module is their public surface.
"""

from hyperlax.commands.options import BestArgs, CompareArgs, ExportArgs, QueryArgs, SearchArgs, ValidateArgs
from hyperlax.commands.study._best_spec import best_configuration, study_best
from hyperlax.commands.study._compare import study_compare, study_plots
from hyperlax.commands.study._ledger import beyond_budget, was_trained
from hyperlax.commands.study._params import decode_params, suggest_values
from hyperlax.commands.study._reports import study_export, study_list, study_status
from hyperlax.commands.study._samplers import SAMPLERS, make_sampler
from hyperlax.commands.study._storage import connect_url, load_stored_study, mask_url
from hyperlax.commands.study._validate import validate_best
from hyperlax.commands.study._worker import search

__all__ = [
    "SAMPLERS",
    "BestArgs",
    "CompareArgs",
    "ExportArgs",
    "QueryArgs",
    "SearchArgs",
    "ValidateArgs",
    "best_configuration",
    "beyond_budget",
    "connect_url",
    "decode_params",
    "load_stored_study",
    "make_sampler",
    "mask_url",
    "search",
    "study_compare",
    "study_plots",
    "study_best",
    "study_export",
    "study_list",
    "study_status",
    "suggest_values",
    "validate_best",
    "was_trained",
]
