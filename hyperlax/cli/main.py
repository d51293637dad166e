"""Command line: argument parsing, error messages and exit codes; the work is done elsewhere.

Exit codes: 0 done, 2 bad input (one line on stderr, nothing on disk touched), 130 interrupted.
Each command's options are the fields of its dataclass (hyperlax.commands.options): flag, default and help in one place.
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hyperlax import configure_xla
from hyperlax.commands import signals
from hyperlax.commands.options import (
    CliArgs,
    PresetArgs,
    SpecArgs,
    add_options,
    args_from_namespace,
    option,
    with_defaults,
)
from hyperlax.errors import InputError

SPEC_COMMANDS = ("sweep-hp-samples", "optuna-hp-search", "pbt-search")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, and exit code 2."""

    def error(self, message):
        self.exit(2, f"hyperlax: error: {message} (see '{self.prog} --help')\n")


@dataclass
class ShowRecipeArgs:
    recipe: str | None = option("recipe name (ppo_mlp, sac_mlp, dqn_mlp) or path to a recipe .py file", positional=True)
    markdown: bool | None = option("print a Markdown table instead of a terminal table", action="store_true")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple  # dataclasses whose fields are the command's options; the first is what the handler gets
    handler: Callable  # (args of options[0], console) -> None
    description: str | None = None


def run_sweep(args, console) -> None:
    from hyperlax.commands.sweep import sweep

    sweep(args, console)


def run_search(args, console) -> None:
    from hyperlax.commands.study import search

    search(args, console)


def run_pbt(args, console) -> None:
    from hyperlax.commands.pbt.search import pbt_search

    pbt_search(args, console)


def run_validate(args, console) -> None:
    from hyperlax.commands.pbt.validate import is_pbt_dir, validate_pbt

    if is_pbt_dir(args.study_dir):  # a pbt-search directory: replay the winning schedule
        from hyperlax.commands.options import check_values, with_defaults

        check_values(args)
        validate_pbt(args.study_dir, with_defaults(args).num_seeds, console)
        return
    from hyperlax.commands.study import validate_best

    validate_best(args, console)


def run_study_status(args, console) -> None:
    from hyperlax.commands.study import study_status

    study_status(args, console)


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
    # The command modules import JAX and Optuna; only their option dataclasses are needed to parse.
    from hyperlax.commands.pbt.search import PBTArgs
    from hyperlax.commands.study import BestArgs, CompareArgs, ExportArgs, QueryArgs, SearchArgs, ValidateArgs
    from hyperlax.commands.sweep import SweepArgs

    return [
        Command("sweep-hp-samples", "train N samples of a recipe's search space and tabulate them",
                (SweepArgs, CliArgs, SpecArgs, PresetArgs), run_sweep),
        Command("optuna-hp-search", "an Optuna study whose trials stream through a pool of vectorized slots",
                (SearchArgs, CliArgs, SpecArgs, PresetArgs), run_search,
                "An Optuna study whose trials stream through a pool of vectorized slots. Unless --total-timesteps "
                "is given, each trial trains the recipe's total_timesteps, at most 50000."),
        Command("pbt-search", "population-based training: members exploit and explore inside the compiled programs",
                (PBTArgs, CliArgs, SpecArgs), run_pbt),
        Command("study-status", "trial counts by state and the best value of a study", (QueryArgs,), run_study_status),
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
        Command("show-recipe", "a recipe's hyperparameters: traced or structural, default, search distribution",
                (ShowRecipeArgs,), run_show_recipe),
    ]  # fmt: skip


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="hyperlax", description="Vectorized hyperparameter search for JAX RL agents.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    for command in commands():
        p = sub.add_parser(command.name, help=command.help, description=command.description or command.help)
        for options in command.options:
            add_options(p, options)
        p.set_defaults(command_spec=command)
    return parser


def setup(namespace: argparse.Namespace) -> None:
    from rich.logging import RichHandler

    cli = with_defaults(args_from_namespace(CliArgs, namespace))
    logging.basicConfig(level=cli.log_level, format="%(message)s", handlers=[RichHandler(show_path=False)])
    trains = CliArgs in namespace.command_spec.options
    if trains and not cli.no_compile_cache:
        import jax

        cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        jax.config.update("jax_compilation_cache_dir", str(cache_home / "hyperlax" / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


PRESETS_DIR = Path(__file__).parent.parent / "configs" / "presets"
PRESETS = ("quick", "standard", "thorough")
SPACE_KEYS = ("search_space", "search_space_mode", "fixed")  # become one --search-space JSON


def spec_flags(parser: argparse.ArgumentParser, path: str | None, preset: str | None = None) -> list:
    """The flags a YAML spec file holds, as command-line tokens of `parser` (a subcommand's), after those of
    the preset it names (`preset`, given on the command line, wins over the file's)."""
    spec = {} if path is None else read_spec(path)
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise InputError(f"--spec {path}: expected a mapping of flag names to values, got a {type(spec).__name__}")
    spec = dict(spec)
    named = spec.pop("preset", None)
    preset = preset or named
    tokens = preset_flags(parser, preset) if preset is not None else []
    return tokens + mapping_flags(parser, spec, path)


def preset_flags(parser: argparse.ArgumentParser, name) -> list:
    """A shipped preset's flags; the keys this command does not take (n_trials for a sweep) are skipped."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}")
    path = str(PRESETS_DIR / f"{name}.yaml")
    actions = spec_actions(parser)
    preset = {k: v for k, v in read_spec(path).items() if k in SPACE_KEYS or k.replace("_", "-") in actions}
    return mapping_flags(parser, preset, path)


def spec_actions(parser: argparse.ArgumentParser) -> dict:
    actions = {
        a.option_strings[0][2:]: a for a in parser._actions if a.option_strings and a.option_strings[0].startswith("--")
    }
    actions.pop("help", None), actions.pop("spec", None), actions.pop("preset", None)
    return actions


def mapping_flags(parser: argparse.ArgumentParser, spec: dict, path: str) -> list:
    actions, tokens, space = spec_actions(parser), [], {}
    for key, value in spec.items():
        name = str(key).replace("_", "-")
        if name.replace("-", "_") in SPACE_KEYS and "search-space" in actions:
            space[name.replace("-", "_")] = value
            continue
        if name not in actions:
            raise InputError(f"--spec {path}: unknown key '{key}'; valid: {', '.join(sorted(actions))}")
        tokens += spec_tokens(actions[name], name, key, value, path)
    return tokens + (["--search-space", space_option(space, f"--spec {path}")] if space else [])


def space_option(entries: dict, where: str) -> str:
    """A spec's search_space / search_space_mode / fixed entries as the JSON of --search-space (checked in
    hyperlax.space.spec when the recipe is loaded)."""
    space, mode, fixed = (entries.get(k) for k in SPACE_KEYS)
    if space is not None and not isinstance(space, dict):
        raise InputError(f"{where}: search_space must map dotted keys to distributions, got {space!r}")
    if fixed is not None and not isinstance(fixed, dict):
        raise InputError(f"{where}: fixed must map dotted keys to values, got {fixed!r}")
    return json.dumps({"mode": mode or "update", "search_space": space or {}, "fixed": fixed or {}}, sort_keys=True)


MAX_SPEC_BYTES = 1 << 20


def read_spec(path: str):
    """A spec file's YAML, read safely: at most 1 MiB of UTF-8, no anchors or aliases (an alias bomb
    expands to gigabytes), plain YAML types only."""
    import yaml

    spec_path = Path(path)
    try:
        if spec_path.is_dir():
            raise InputError(f"--spec {path} is a directory; give a YAML file")
        size = spec_path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise InputError(f"--spec {path} is {size:,} bytes; a spec is a small YAML file (at most 1 MiB)")
        text = spec_path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"--spec {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"--spec {path} is not UTF-8 text; give a YAML file") from None
    try:
        if any(isinstance(t, (yaml.AliasToken, yaml.AnchorToken)) for t in yaml.scan(text, Loader=yaml.SafeLoader)):
            raise InputError(f"--spec {path} uses YAML anchors or aliases; write the values out")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
        raise InputError(f"--spec {path}: not valid YAML{where}: {problem}") from None


def spec_tokens(action: argparse.Action, name: str, key, value, path: str) -> list:
    """One spec entry as command-line tokens."""
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise InputError(f"--spec {path}: {key} must be true or false, got {value!r}")
        return [f"--{name}"] if value else []
    if isinstance(value, list):
        if action.nargs not in ("+", "*"):
            raise InputError(f"--spec {path}: {key} takes one value, got a list")
        return [f"--{name}", *map(str, value)]
    if isinstance(value, dict) or value is None:
        raise InputError(f"--spec {path}: {key} needs a value, got {value!r}")
    return [f"--{name}", str(value)]


def expand_spec(parser: argparse.ArgumentParser, argv: list) -> list:
    """argv with `--preset NAME` and `--spec FILE` replaced by their flags (the preset's first), put first so
    that the command line overrides them."""
    if not argv or argv[0] not in SPEC_COMMANDS:
        return argv
    rest = list(argv[1:])
    path, preset = take_option(rest, "--spec"), take_option(rest, "--preset")
    if path is None and preset is None:
        return argv
    subparser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[argv[0]]
    if preset is not None and "preset" not in {a.dest for a in subparser._actions}:
        raise InputError(f"{argv[0]} takes no --preset")
    return [argv[0], *spec_flags(subparser, path, preset), *rest]


def take_option(tokens: list, flag: str) -> str | None:
    """Remove `flag VALUE` or `flag=VALUE` from `tokens`; its value, or None."""
    for i, token in enumerate(tokens):
        if token == flag and i + 1 < len(tokens):
            value = tokens[i + 1]
            del tokens[i : i + 2]
            return value
        if token.startswith(f"{flag}="):
            del tokens[i]
            return token.split("=", 1)[1]
    return None


def main(argv=None) -> int:
    configure_xla()  # before anything starts JAX's backend
    signals.install()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return run(argv)
    except InputError as exc:
        print(f"hyperlax: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM, at any point (while JAX starts up too)
        stop = signals.as_interrupted(exc)
        kept = stop.kept or "finished work is kept on disk; continue with --resume-from <dir>"
        print(f"hyperlax: {stop.name}; {kept}", file=sys.stderr)
        return stop.exit_code


def run(argv: list) -> int:
    from rich.console import Console

    parser = build_parser()
    namespace = parser.parse_args(expand_spec(parser, argv))
    command = namespace.command_spec
    setup(namespace)
    command.handler(args_from_namespace(command.options[0], namespace), Console(stderr=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
