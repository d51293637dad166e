"""Command line: argument parsing, error messages and exit codes; the work is done elsewhere.

Exit codes: 0 done, 2 bad input (one line on stderr, nothing on disk touched), 130 interrupted.
"""

import argparse
import logging
import os
import sys
from pathlib import Path

from hyperlax.errors import InputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, and exit code 2."""

    def error(self, message):
        self.exit(2, f"hyperlax: error: {message} (see '{self.prog} --help')\n")


def parse_bool(text: str) -> bool:
    lowered = str(text).lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got '{text}'")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def add_common_run_flags(p: argparse.ArgumentParser) -> None:
    """Flags every training command shares. Unset ones come from the recipe or a resumed run."""
    p.add_argument(
        "--algo-and-network-config", help="recipe name (ppo_mlp, sac_mlp, dqn_mlp) or path to a recipe .py file"
    )
    p.add_argument(
        "--env-config",
        help="env config, e.g. gymnax.pendulum, gymnax.cartpole, gymnax.acrobot, gymnax.mountain_car_continuous",
    )
    p.add_argument(
        "--total-timesteps", type=positive_int, help="env steps per configuration and seed (default: the recipe's)"
    )
    p.add_argument(
        "--num-seeds", type=positive_int, help="seeds per configuration, trained in the same program (default 2)"
    )
    p.add_argument(
        "--num-evaluations",
        type=positive_int,
        help="evaluations along training = points of the learning curve (default 20)",
    )
    p.add_argument(
        "--eval-episodes",
        type=positive_int,
        help="episodes per evaluation, deterministic policy (default: the recipe's)",
    )
    p.add_argument("--seed", type=int, help="master seed: samples/trials and training keys derive from it (default 0)")
    p.add_argument(
        "--output-root",
        default="hyperlax_runs",
        help="results go to <output-root>/<recipe>/<env>/ (default hyperlax_runs)",
    )
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper)
    p.add_argument("--no-compile-cache", action="store_true", help="do not use the JAX persistent compilation cache")
    p.add_argument(
        "--spec",
        metavar="FILE.yaml",
        help="YAML file of flag values, keyed by flag name without dashes "
        "(n_trials: 64, or n-trials: 64); flags given on the command line override it",
    )


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="hyperlax", description="Vectorized hyperparameter search for JAX RL agents.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    sweep = sub.add_parser("sweep-hp-samples", help="train N samples of a recipe's search space and tabulate them")
    add_common_run_flags(sweep)
    sweep.add_argument("--num-samples", type=positive_int, help="samples to draw (default 8)")
    sweep.add_argument("--hparam-batch-size", type=positive_int, help="configurations per compiled batch (default 8)")
    sweep.add_argument("--sampling-method", help="qmc_sobol (scrambled Sobol, default) or random")
    sweep.add_argument(
        "--sequential", nargs="?", const=True, type=parse_bool, help="one configuration per run (run_0000, ...)"
    )
    sweep.add_argument(
        "--group-by-structural-hparams",
        nargs="?",
        const=True,
        type=parse_bool,
        help="gather all samples of a structure before batching: fewer compiles, batches out of sample order",
    )
    sweep.add_argument("--resume-from", help="a sweep directory to continue: complete batches are skipped")
    sweep.set_defaults(handler=run_sweep)

    search = sub.add_parser(
        "optuna-hp-search",
        help="an Optuna study whose trials are trained in vectorized super-batches",
        description="An Optuna study whose trials are trained in vectorized super-batches. Unless "
        "--total-timesteps is given, each trial trains the recipe's total_timesteps, at most 50000.",
    )
    add_common_run_flags(search)
    search.add_argument(
        "--study-name",
        help="Optuna study name (default <recipe>_<env>); workers sharing --storage and name share the study",
    )
    search.add_argument(
        "--n-trials", type=positive_int, help="trials to train in total, over all workers and resumes (default 16)"
    )
    search.add_argument(
        "--objective-names",
        nargs="+",
        metavar="NAME",
        help="one or more of peak_performance, final_performance, stability_score, normalized_auc (default final_performance)",
    )
    search.add_argument(
        "--objective-directions",
        nargs="+",
        metavar="DIRECTION",
        help="maximize or minimize, one per objective (default maximize)",
    )
    search.add_argument(
        "--sampler", help="tpe (default, one objective), nsgaii (default, several), nsgaiii, random, cmaes, gp, qmc"
    )
    search.add_argument(
        "--pruner",
        help="none (default), median, halving or hyperband: stop trials whose eval return falls behind "
        "at an evaluation; one return objective only",
    )
    search.add_argument(
        "--optuna-study-batch-size",
        type=positive_int,
        help="trials asked at once and trained as one super-batch (default 8)",
    )
    search.add_argument(
        "--runner-hparam-batch-size",
        type=positive_int,
        help="configurations per compiled batch within a super-batch (default 8)",
    )
    search.add_argument(
        "--storage",
        help="Optuna storage URL, e.g. postgresql://user:password@host/db for several workers "
        "(default: SQLite optuna_study.db in the study directory)",
    )
    search.add_argument(
        "--heartbeat-interval",
        type=positive_int,
        help="seconds between heartbeats of trials in training; a trial silent for 3 intervals is failed and retried (default 10)",
    )
    search.add_argument("--resume-from", help="a study directory to continue until --n-trials trials are finished")
    search.set_defaults(handler=run_search)

    for name, help_text in (
        ("study-status", "trial counts by state and the best trial of a study"),
        ("study-best", "the best trial (or Pareto front) of a study, as JSON"),
        ("study-export", "all trials of a study as CSV or JSON"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--study-dir", required=True, help="the directory optuna-hp-search wrote (holds study.json)")
        p.add_argument("--storage", help="storage URL, when study.json's (stored without password) is not enough")
        if name == "study-export":
            p.add_argument("--format", choices=["csv", "json"], default="csv")
            p.add_argument("--output", help="file to write (default: standard output)")
        p.set_defaults(handler=run_study_command)
    validate = sub.add_parser("validate-best", help="retrain a study's best trial (or Pareto front) on fresh seeds")
    validate.add_argument("--study-dir", required=True, help="the directory optuna-hp-search wrote (holds study.json)")
    validate.add_argument("--storage", help="storage URL, when study.json's (stored without password) is not enough")
    validate.add_argument("--num-seeds", type=positive_int, default=5, help="fresh seeds (default 5)")
    validate.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper
    )
    validate.add_argument(
        "--no-compile-cache", action="store_true", help="do not use the JAX persistent compilation cache"
    )
    validate.set_defaults(handler=run_validate)

    show = sub.add_parser(
        "show-recipe", help="a recipe's hyperparameters: traced or structural, default, search distribution"
    )
    show.add_argument("recipe", help="recipe name (ppo_mlp, sac_mlp, dqn_mlp) or path to a recipe .py file")
    show.add_argument("--markdown", action="store_true", help="print a Markdown table instead of a terminal table")
    show.set_defaults(handler=run_show_recipe, log_level="WARNING", no_compile_cache=True)
    return parser


def setup(args) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING"), format="%(message)s", handlers=[RichHandler(show_path=False)]
    )
    if not getattr(args, "no_compile_cache", True):
        import jax

        cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        jax.config.update("jax_compilation_cache_dir", str(cache_home / "hyperlax" / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def run_sweep(args, console) -> None:
    from hyperlax.sweep import SweepArgs, sweep

    fields = {k: getattr(args, k) for k in SweepArgs.__dataclass_fields__ if hasattr(args, k)}
    sweep(SweepArgs(**fields), console)


def run_show_recipe(args, console) -> None:
    from rich.table import Table

    from hyperlax.recipes import describe, load_recipe, markdown_table

    recipe = load_recipe(args.recipe)
    if args.markdown:
        print(markdown_table(recipe))
        return
    table = Table(title=f"{recipe.name} ({recipe.algo_name})")
    for column in ("key", "kind", "default", "search distribution", "meaning"):
        table.add_column(column)
    for row in describe(recipe):
        table.add_row(row["key"], row["kind"], str(row["default"]), row["distribution"], row["help"])
    console.print(table)


def run_validate(args, console) -> None:
    from hyperlax.validate import validate_best

    validate_best(args.study_dir, args.storage, args.num_seeds, console)


def run_search(args, console) -> None:
    from hyperlax.search import SearchArgs, search

    fields = {k: getattr(args, k) for k in SearchArgs.__dataclass_fields__ if hasattr(args, k)}
    search(SearchArgs(**fields), console)


def run_study_command(args, console) -> None:
    from hyperlax import search

    if args.command == "study-status":
        search.study_status(args.study_dir, args.storage, console)
        return
    text = (
        search.study_best(args.study_dir, args.storage)
        if args.command == "study-best"
        else search.study_export(args.study_dir, args.storage, args.format)
    )
    if getattr(args, "output", None):
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def spec_flags(parser: argparse.ArgumentParser, path: str) -> list:
    """The flags a YAML spec file holds, as command-line tokens of `parser` (a subcommand's)."""
    import yaml

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(f"--spec {path}: cannot read it ({exc.strerror})") from None
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"--spec {path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise InputError(f"--spec {path}: expected a mapping of flag names to values, got a {type(spec).__name__}")
    actions = {
        a.option_strings[0][2:]: a for a in parser._actions if a.option_strings and a.option_strings[0].startswith("--")
    }
    actions.pop("help", None), actions.pop("spec", None)
    tokens = []
    for key, value in spec.items():
        name = str(key).replace("_", "-")
        if name not in actions:
            raise InputError(f"--spec {path}: unknown key '{key}'; valid: {', '.join(sorted(actions))}")
        action = actions[name]
        if isinstance(action, argparse._StoreTrueAction):
            if not isinstance(value, bool):
                raise InputError(f"--spec {path}: {key} must be true or false, got {value!r}")
            tokens += [f"--{name}"] if value else []
        elif isinstance(value, list):
            if action.nargs not in ("+", "*"):
                raise InputError(f"--spec {path}: {key} takes one value, got a list")
            tokens += [f"--{name}", *map(str, value)]
        elif isinstance(value, dict) or value is None:
            raise InputError(f"--spec {path}: {key} needs a value, got {value!r}")
        else:
            tokens += [f"--{name}", str(value)]
    return tokens


def expand_spec(parser: argparse.ArgumentParser, argv: list) -> list:
    """argv with `--spec FILE` replaced by the file's flags, put first so that the command line overrides them."""
    if not argv or argv[0] not in ("sweep-hp-samples", "optuna-hp-search"):
        return argv
    rest, path = list(argv[1:]), None
    for i, token in enumerate(rest):
        if token == "--spec" and i + 1 < len(rest):
            path = rest[i + 1]
            del rest[i : i + 2]
            break
        if token.startswith("--spec="):
            path = token.split("=", 1)[1]
            del rest[i]
            break
    if path is None:
        return argv
    subparser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[argv[0]]
    return [argv[0], *spec_flags(subparser, path), *rest]


def main(argv=None) -> int:
    from rich.console import Console

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        argv = expand_spec(parser, argv)
    except InputError as exc:
        print(f"hyperlax: error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    console = Console(stderr=False)
    try:
        setup(args)
        args.handler(args, console)
    except InputError as exc:
        print(f"hyperlax: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "hyperlax: interrupted; finished batches are kept on disk, continue with --resume-from <dir>",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
