"""Command options declared once: a dataclass per command whose fields carry flag, default and help.

As in CleanRL's `Args`, one declaration serves everything: the CLI builds its argparse options from the
fields, a command fills the values left unset from their defaults (after those stored by a resumed run),
and README's flag tables are generated from them (`python -m hyperlax.cli.readme README.md` rewrites them; a
test checks that README matches). Every field's value is None until set, so "not given" stays visible.

This package imports neither JAX nor Optuna: `hyperlax --help`, the README generator and a Python API
read the same declarations. `fields` holds the machinery, `shared` the options several commands take, and
one module per command its own.
"""

from hyperlax.commands.options.agents import EvaluateArgs, TrainArgs
from hyperlax.commands.options.fields import (
    add_options,
    args_from_keywords,
    args_from_namespace,
    as_argv,
    check_values,
    defaults_of,
    fixed_options,
    flag_name,
    float_in,
    int_in,
    markdown_table,
    nonnegative_int,
    option,
    parse_bool,
    with_defaults,
)
from hyperlax.commands.options.pbt import PBTArgs
from hyperlax.commands.options.recipe import ShowRecipeArgs
from hyperlax.commands.options.shared import CliArgs, PresetArgs, PrunerArgs, RunArgs, SpaceArgs, SpecArgs
from hyperlax.commands.options.study import (
    BestArgs,
    CompareArgs,
    ExportArgs,
    ListArgs,
    QueryArgs,
    SearchArgs,
    ValidateArgs,
)
from hyperlax.commands.options.sweep import SweepArgs
from hyperlax.commands.options.zoo import ZooArgs

__all__ = [
    "BestArgs",
    "CliArgs",
    "CompareArgs",
    "EvaluateArgs",
    "ExportArgs",
    "ListArgs",
    "PBTArgs",
    "PresetArgs",
    "PrunerArgs",
    "QueryArgs",
    "RunArgs",
    "SearchArgs",
    "ShowRecipeArgs",
    "SpaceArgs",
    "SpecArgs",
    "SweepArgs",
    "TrainArgs",
    "ValidateArgs",
    "ZooArgs",
    "add_options",
    "as_argv",
    "args_from_keywords",
    "args_from_namespace",
    "check_values",
    "defaults_of",
    "fixed_options",
    "flag_name",
    "float_in",
    "int_in",
    "markdown_table",
    "nonnegative_int",
    "option",
    "parse_bool",
    "with_defaults",
]
