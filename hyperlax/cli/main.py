"""Command line: argument parsing, error messages and exit codes; the work is done elsewhere.

Exit codes: 0 done, 2 bad input (one line on stderr, nothing on disk touched), 130 interrupted.
Each command's options are the fields of its dataclass (hyperlax.commands.options): flag, default and help in one place.
"""

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from hyperlax import configure_xla
from hyperlax.cli.specs import expand_spec
from hyperlax.commands import signals
from hyperlax.commands.options import (
    BestArgs,
    CliArgs,
    CompareArgs,
    EvaluateArgs,
    ExportArgs,
    ListArgs,
    PBTArgs,
    PresetArgs,
    PrunerArgs,
    QueryArgs,
    SearchArgs,
    ShowRecipeArgs,
    SpecArgs,
    SweepArgs,
    TrainArgs,
    ValidateArgs,
    ZooArgs,
    add_options,
    args_from_namespace,
    check_values,
    flag_name,
    with_defaults,
)
from hyperlax.errors import InputError, RunFailed


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, and exit code 2; no abbreviated flags
    (`--spe F` must not pass for `--spec F` while skipping the spec's expansion)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"allow_abbrev": False, **kwargs})

    def error(self, message):
        self.exit(2, f"hyperlax: error: {message} (see '{self.prog} --help')\n")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple  # dataclasses whose fields are the command's options; the first is what the handler gets
    handler: Callable  # (args of options[0], console) -> None
    description: str | None = None
    # (options dataclass, reason): flags other commands take that this one refuses with the reason; hidden
    # from --help, parsed only to say why (rather than argparse's "unrecognized arguments").
    refused: tuple = ()


PBT_REFUSES = (PrunerArgs, "pbt-search does not prune: exploit replaces the worst members")


def run_sweep(args, console) -> None:
    from hyperlax.commands.sweep import sweep

    sweep(args, console)


def run_search(args, console) -> None:
    from hyperlax.commands.study import search

    search(args, console)


def run_pbt(args, console) -> None:
    from hyperlax.commands.pbt.search import pbt_search

    pbt_search(args, console)


def run_train(args, console) -> None:
    from hyperlax.commands.train import train

    train(args, console)


def run_evaluate(args, console) -> None:
    from hyperlax.commands.evaluate import evaluate_agent

    evaluate_agent(args, console)


def run_validate(args, console) -> None:
    from hyperlax.commands.pbt.validate import is_pbt_dir, validate_pbt

    if is_pbt_dir(args.study_dir):  # a pbt-search directory: replay the winning schedule
        if args.env_config is not None:
            raise InputError(
                "validate-best --env-config retrains a study's trials; a pbt-search schedule is replayed on its own env"
            )
        if args.save_agents not in (None, "none"):
            raise InputError("validate-best --save-agents: a pbt-search directory's validation saves no agents")
        check_values(args)
        validate_pbt(args.study_dir, with_defaults(args).num_seeds, console)
        return
    from hyperlax.commands.study import validate_best

    validate_best(args, console)


def run_study_status(args, console) -> None:
    from hyperlax.commands.study import study_status

    study_status(args, console)


def run_study_list(args, console) -> None:
    from hyperlax.commands.study import study_list

    study_list(args, console)


def run_study_best(args, console) -> None:
    from hyperlax.commands.study import study_best

    write_text(study_best(args), None)


def run_study_export(args, console) -> None:
    from hyperlax.commands.study import study_export

    check_output_file(args.output)
    write_text(study_export(args), args.output)


def run_study_plots(args, console) -> None:
    from hyperlax.commands.study import study_plots

    study_plots(args, console)


def run_study_compare(args, console) -> None:
    from hyperlax.commands.study import study_compare

    study_compare(args, console)


def check_output_file(output: str | None) -> None:
    """--output names a file to (over)write in an existing directory."""
    if output is None:
        return
    path = Path(output)
    if not output.strip() or path.is_dir():
        raise InputError(f"--output {output!r} is not a file name; give the path of a file to write")
    if not path.parent.is_dir():
        raise InputError(f"--output {output}: directory {path.parent} does not exist; create it or write elsewhere")


def write_text(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text)
        except OSError as exc:
            raise InputError(f"--output {output}: cannot write it ({exc.strerror})") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def run_zoo(args, console) -> None:
    from hyperlax.commands.zoo import show_zoo

    text = show_zoo(args, console)
    if text is not None:
        write_text(text, None)


def run_show_recipe(args, console) -> None:
    from rich.table import Table

    from hyperlax.space.recipes import describe, load_recipe, markdown_table

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


def commands() -> list:
    return [
        Command("sweep-hp-samples", "train N samples of a recipe's search space and tabulate them",
                (SweepArgs, CliArgs, SpecArgs, PresetArgs), run_sweep),
        Command("optuna-hp-search", "an Optuna study whose trials stream through a pool of vectorized slots",
                (SearchArgs, CliArgs, SpecArgs, PresetArgs), run_search,
                "An Optuna study whose trials stream through a pool of vectorized slots. Unless --total-timesteps "
                "is given, each trial trains the recipe's total_timesteps, at most 50000."),
        Command("pbt-search", "population-based training: members exploit and explore inside the compiled programs",
                (PBTArgs, CliArgs, SpecArgs), run_pbt, refused=PBT_REFUSES),
        Command("study-status", "trial counts by state and the best value of a study", (QueryArgs,), run_study_status),
        Command("study-list", "the studies in a storage: trials by state, best value, directions", (ListArgs,),
                run_study_list),
        Command("study-best", "the best trial (or Pareto front) of a study as JSON, or with --format yaml the best "
                "trial's full configuration as a spec that sweep-hp-samples --spec runs again", (BestArgs,),
                run_study_best),
        Command("study-export", "all trials of a study as CSV or JSON", (ExportArgs,), run_study_export),
        Command("study-plots", "write a study's plots, best params and trials.csv again, from its storage",
                (QueryArgs,), run_study_plots),
        Command("study-compare", "studies side by side: a table of their best trials and their optimization "
                "histories on one plotly page", (CompareArgs,), run_study_compare),
        Command("validate-best", "retrain a study's best trial (or Pareto front) on fresh seeds",
                (ValidateArgs, CliArgs), run_validate),
        Command("train", "train one configuration (a spec, a study's selected trial, or flags) on several seeds: "
                "the final return's IQM with a bootstrap CI, and an agent per seed",
                (TrainArgs, CliArgs, SpecArgs), run_train),
        Command("evaluate", "run a saved agent's episodes: the return's IQM with a bootstrap CI, and a GIF with "
                "--render", (EvaluateArgs, CliArgs), run_evaluate),
        Command("zoo", "the zoo: per (algo, env) pair a tuned configuration, validated on fresh seeds beside the "
                "recipe's default and a generic default; hyperlax train --zoo PAIR trains one", (ZooArgs,), run_zoo),
        Command("show-recipe", "a recipe's hyperparameters: traced or structural, default, search distribution",
                (ShowRecipeArgs,), run_show_recipe),
    ]  # fmt: skip


def build_parser(parser_class=ArgumentParser) -> ArgumentParser:
    """The CLI's parser (`parser_class`: the Python API's raises InputError where the CLI's exits)."""
    parser = parser_class(prog="hyperlax", description="Vectorized hyperparameter search for JAX RL agents.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=parser_class)
    for command in commands():
        p = sub.add_parser(command.name, help=command.help, description=command.description or command.help)
        for options in command.options:
            add_options(p, options)
        if command.refused:
            add_options(p, command.refused[0], hidden=True)
        p.set_defaults(command_spec=command)
    return parser


def check_refused(command: Command, namespace: argparse.Namespace) -> None:
    """A refused flag given (other than the "none" that means not using it) is an input error."""
    if not command.refused:
        return
    options, reason = command.refused
    for f in fields(options):
        if getattr(namespace, f.name, None) not in (None, "none"):
            raise InputError(f"{reason}; drop {flag_name(f.name)}")


def setup(namespace: argparse.Namespace) -> None:
    from rich.logging import RichHandler

    cli = with_defaults(args_from_namespace(CliArgs, namespace))
    logging.basicConfig(level=cli.log_level, format="%(message)s", handlers=[RichHandler(show_path=False)])
    trains = CliArgs in namespace.command_spec.options
    if trains and not cli.no_compile_cache:
        use_compile_cache()


def use_compile_cache() -> None:
    """JAX's persistent compilation cache in ~/.cache/hyperlax/jax (or $XDG_CACHE_HOME/hyperlax/jax)."""
    import jax

    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    jax.config.update("jax_compilation_cache_dir", str(cache_home / "hyperlax" / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def main(argv=None) -> int:
    configure_xla()  # before anything starts JAX's backend
    signals.install()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return run(argv)
    except InputError as exc:
        print(f"hyperlax: error: {exc}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"hyperlax: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM, at any point (while JAX starts up too)
        return report_interrupt(exc)
    except ImportError as exc:  # a signal inside a library's import: numpy re-raises it as an ImportError
        signal_exc = interrupt_behind(exc)
        if signal_exc is None:
            raise
        return report_interrupt(signal_exc)


def interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM an exception was raised from (its cause or context chain), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def report_interrupt(exc: KeyboardInterrupt) -> int:
    stop = signals.as_interrupted(exc)
    kept = stop.kept or "finished work is kept on disk; continue with --resume-from <dir>"
    print(f"hyperlax: {stop.name}; {kept}", file=sys.stderr)
    return stop.exit_code


def run(argv: list) -> int:
    from rich.console import Console

    parser = build_parser()
    namespace = parser.parse_args(expand_spec(parser, argv))
    command = namespace.command_spec
    check_refused(command, namespace)
    setup(namespace)
    command.handler(args_from_namespace(command.options[0], namespace), Console(stderr=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
