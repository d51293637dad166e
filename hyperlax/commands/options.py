"""Command options declared once: a dataclass per command whose fields carry flag, default and help.

As in CleanRL's `Args`, one declaration serves everything: the CLI builds its argparse options from the
fields, a command fills the values left unset from their defaults (after those stored by a resumed run),
and README's flag tables are generated from them (`python -m hyperlax.commands.options README.md` rewrites them; a
test checks that README matches). Every field's value is None until set, so "not given" stays visible.
"""

import argparse
import dataclasses
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from hyperlax.errors import InputError
from hyperlax.results.metrics import SEED_AGGREGATES


def int_in(low: int, high: int):
    """An argparse type: an integer from `low` to `high`. The bounds keep every count within what memory,
    int32 step counters and JAX's PRNG seeds can hold."""

    def parse(text) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got '{text}'") from None
        if value < low:
            kind = "a positive integer" if low == 1 else "a non-negative integer" if low == 0 else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {kind}, got {value}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}, got {value:,}")
        return value

    parse.bounds = (low, high)
    return parse


def float_in(low: float, high: float):
    """An argparse type: a number from `low` to `high`."""

    def parse(text) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, got '{text}'") from None
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"must be a number from {low} to {high}, got {value}")
        return value

    parse.bounds = (low, high)
    return parse


positive_int = int_in(1, 10**9)
nonnegative_int = int_in(0, 10**9)


def parse_bool(text: str) -> bool:
    lowered = str(text).lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got '{text}'")


def option(help: str, default=None, *, type=None, shown: str | None = None, fixed: bool = False, **argparse_kwargs):
    """A command option. `default` is applied when neither the command line, a spec nor a resumed run sets
    it; `shown` is the default as documented when it is not a plain value (e.g. "the recipe's"); `fixed`
    marks options that decide the results, which a resumed run must not change. The rest goes to argparse."""
    meta = {"help": help, "default": default, "type": type, "shown": shown, "fixed": fixed, "argparse": argparse_kwargs}
    return field(default=None, metadata=meta)


def flag_name(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def defaults_of(cls) -> dict:
    """The documented defaults of a command's options that have a plain value."""
    return {f.name: f.metadata["default"] for f in fields(cls) if f.metadata.get("default") is not None}


def fixed_options(cls) -> tuple:
    """Options that decide the results: a resumed run must keep their stored values (a command may name
    more in its class attribute ALSO_FIXED)."""
    return tuple(f.name for f in fields(cls) if f.metadata.get("fixed")) + tuple(getattr(cls, "ALSO_FIXED", ()))


def default_text(f: dataclasses.Field) -> str:
    meta = f.metadata
    if meta.get("shown") is not None:
        return meta["shown"]
    value = meta.get("default")
    if value is None or value is False and meta["argparse"].get("action") == "store_true":
        return ""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def add_options(parser: argparse.ArgumentParser, cls) -> None:
    """One argparse option per field of `cls`; the help ends with the documented default."""
    for f in fields(cls):
        meta = f.metadata
        kwargs = dict(meta["argparse"])
        if meta["type"] is not None:
            kwargs["type"] = meta["type"]
        shown = default_text(f)
        help_text = f"{meta['help']} (default {shown})" if shown else meta["help"]
        if kwargs.pop("positional", False):
            parser.add_argument(f.name, help=help_text, **kwargs)
        else:
            parser.add_argument(flag_name(f.name), dest=f.name, help=help_text.replace("%", "%%"), **kwargs)


def check_values(args) -> None:
    """Every set integer option within its bounds, whether it came from the command line, a spec, a stored
    run or a caller: the option's own argparse type decides."""
    for f in fields(args):
        value, parse = getattr(args, f.name), f.metadata.get("type")
        if value is None or not hasattr(parse, "bounds"):
            continue
        kind = (int, float) if isinstance(parse.bounds[0], float) else int
        if isinstance(value, bool) or not isinstance(value, kind):
            what = "an integer" if kind is int else "a number"
            raise InputError(f"{flag_name(f.name)}: expected {what}, got {value!r}")
        try:
            parse(value)
        except argparse.ArgumentTypeError as exc:
            raise InputError(f"{flag_name(f.name)} {exc}") from None


def with_defaults(args):
    """`args` with every unset option that has a documented default set to it."""
    return dataclasses.replace(args, **{k: v for k, v in defaults_of(type(args)).items() if getattr(args, k) is None})


def args_from_namespace(cls, namespace: argparse.Namespace):
    """The command's dataclass from parsed arguments (fields that parsing left out stay None)."""
    return cls(**{f.name: getattr(namespace, f.name, None) for f in fields(cls)})


def markdown_table(options: list) -> str:
    """README's table of `options` (dataclass fields): flag, meaning, default."""
    lines = ["| flag | meaning | default |", "|---|---|---|"]
    for f in options:
        meta = f.metadata
        label = f.name if meta["argparse"].get("positional") else flag_name(f.name)
        metavar = meta["argparse"].get("metavar")
        if metavar and not meta["argparse"].get("positional"):
            label += f" [{metavar}]" if meta["argparse"].get("nargs") == "?" else f" {metavar}"
        shown = default_text(f) or ("required" if meta["argparse"].get("required") else "")
        cell = f"`{shown}`" if shown and meta.get("shown") is None and shown != "required" else shown
        cell, meaning = (text.replace("|", "\\|").replace("<", "&lt;") for text in (cell, meta["help"]))  # markdown
        lines.append(f"| `{label}` | {meaning} | {cell} |")
    return "\n".join(lines)


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
    """Options of every command that trains configurations (sweep-hp-samples, optuna-hp-search)."""

    algo_and_network_config: str | None = option(
        "recipe name (ppo_mlp, sac_mlp, dqn_mlp) or path to your recipe .py file", "ppo_mlp", fixed=True
    )
    env_config: str | None = option(
        "gymnax.pendulum, gymnax.cartpole, gymnax.acrobot or gymnax.mountain_car_continuous",
        "gymnax.pendulum",
        fixed=True,
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

    def pruner_settings(self):
        from hyperlax.commands.pruning import PrunerSettings

        return PrunerSettings(
            self.pruner or "none",
            self.pruner_startup_trials,
            self.pruner_warmup_evaluations,
            self.halving_reduction_factor,
        )


def readme_sections() -> dict:
    """README flag tables by marker name, generated from the command dataclasses."""
    from hyperlax.commands.pbt.search import PBTArgs
    from hyperlax.commands.study import BestArgs, CompareArgs, ExportArgs, QueryArgs, SearchArgs, ValidateArgs
    from hyperlax.commands.sweep import SweepArgs

    shared = {f.name for f in (*fields(RunArgs), *fields(SpaceArgs))}
    return {
        "common": markdown_table(
            [*fields(RunArgs), *fields(SpaceArgs), *fields(CliArgs), *fields(SpecArgs), *fields(PresetArgs)]
        ),  # fmt: skip
        "sweep-hp-samples": markdown_table([f for f in fields(SweepArgs) if f.name not in shared]),
        "optuna-hp-search": markdown_table([f for f in fields(SearchArgs) if f.name not in shared]),
        "pbt-search": markdown_table([f for f in fields(PBTArgs) if f.name not in shared]),
        "validate-best": markdown_table(fields(ValidateArgs)),
        "study-commands": markdown_table([*fields(ExportArgs), *fields(BestArgs)[len(fields(QueryArgs)) :]]),
        "study-compare": markdown_table(fields(CompareArgs)),
    }


# A table's body holds no '<' (markdown_table escapes it), so a block can never run into the next one.
MARKER = re.compile(r"(<!-- options:(?P<name>[\w-]+) -->\n)(?P<body>[^<]*?)(<!-- /options -->)")


def update_readme(text: str) -> str:
    """README text with every `<!-- options:NAME -->` ... `<!-- /options -->` block regenerated."""
    sections = readme_sections()
    return MARKER.sub(lambda m: m.group(1) + sections[m.group("name")] + "\n" + m.group(4), text)


if __name__ == "__main__":  # python -m hyperlax.commands.options README.md
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(update_readme(path.read_text()))
