"""YAML specs and presets: `--spec FILE` and `--preset NAME` become command-line flags, put before the given
ones so that the command line overrides them."""

import argparse
import json
from pathlib import Path

from hyperlax.errors import InputError
from hyperlax.results.yaml_files import read_yaml
from hyperlax.zoo import find_entry

SPEC_COMMANDS = ("sweep-hp-samples", "optuna-hp-search", "pbt-search", "train")


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
    return tokens + mapping_flags(parser, spec, f"--spec {path}")


def preset_flags(parser: argparse.ArgumentParser, name) -> list:
    """A shipped preset's flags; the keys this command does not take (n_trials for a sweep) are skipped."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}")
    path = str(PRESETS_DIR / f"{name}.yaml")
    actions = spec_actions(parser)
    preset = {k: v for k, v in read_spec(path).items() if k in SPACE_KEYS or k.replace("_", "-") in actions}
    return mapping_flags(parser, preset, f"--spec {path}")


def spec_actions(parser: argparse.ArgumentParser) -> dict:
    actions = {
        a.option_strings[0][2:]: a for a in parser._actions if a.option_strings and a.option_strings[0].startswith("--")
    }
    actions.pop("help", None), actions.pop("spec", None), actions.pop("preset", None)
    return actions


def mapping_flags(parser: argparse.ArgumentParser, spec: dict, where: str) -> list:
    """A spec's entries as command-line tokens; `where` names the spec in messages ("--spec FILE")."""
    actions, tokens, space = spec_actions(parser), [], {}
    for key, value in spec.items():
        name = str(key).replace("_", "-")
        if name.replace("-", "_") in SPACE_KEYS and "search-space" in actions:
            space[name.replace("-", "_")] = value
            continue
        if name not in actions:
            raise InputError(f"{where}: unknown key '{key}'; valid: {', '.join(sorted(actions))}")
        if name == "grid":  # a mapping of dotted keys to values, as one JSON option like the search space
            if not isinstance(value, dict):
                raise InputError(f"{where}: grid must map dotted keys to lists of values, got {value!r}")
            tokens += ["--grid", json.dumps(value, sort_keys=True)]
            continue
        tokens += spec_tokens(actions[name], name, key, value, where)
    return tokens + (["--search-space", space_option(space, where)] if space else [])


def space_option(entries: dict, where: str) -> str:
    """A spec's search_space / search_space_mode / fixed entries as the JSON of --search-space (checked in
    hyperlax.space.spec when the recipe is loaded)."""
    space, mode, fixed = (entries.get(k) for k in SPACE_KEYS)
    if space is not None and not isinstance(space, dict):
        raise InputError(f"{where}: search_space must map dotted keys to distributions, got {space!r}")
    if fixed is not None and not isinstance(fixed, dict):
        raise InputError(f"{where}: fixed must map dotted keys to values, got {fixed!r}")
    return json.dumps({"mode": mode or "update", "search_space": space or {}, "fixed": fixed or {}}, sort_keys=True)


def read_spec(path: str):
    """A spec file's YAML, read safely (hyperlax.results.yaml_files)."""
    return read_yaml(path, "--spec", "a spec")


def spec_tokens(action: argparse.Action, name: str, key, value, where: str) -> list:
    """One spec entry as command-line tokens."""
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise InputError(f"{where}: {key} must be true or false, got {value!r}")
        return [f"--{name}"] if value else []
    if isinstance(value, list):
        if isinstance(action.nargs, int) and len(value) != action.nargs:
            raise InputError(f"{where}: {key} takes {action.nargs} values, got {len(value)}")
        if action.nargs not in ("+", "*") and not isinstance(action.nargs, int):
            raise InputError(f"{where}: {key} takes one value, got a list")
        return [f"--{name}", *map(str, value)]
    if isinstance(value, dict) and action.metavar == "MAPPING":  # --env-kwargs: the mapping as JSON
        return [f"--{name}", json.dumps(value)]
    if isinstance(value, dict) or value is None:
        raise InputError(f"{where}: {key} needs a value, got {value!r}")
    return [f"--{name}", str(value)]


def expand_spec(parser: argparse.ArgumentParser, argv: list) -> list:
    """argv with `--preset NAME` and `--spec FILE` replaced by their flags (the preset's first), and train's
    `--zoo PAIR_OR_FILE` preceded by its entry's spec's flags (it stays, for train's report), put first so
    that the command line overrides them."""
    if not argv or argv[0] not in SPEC_COMMANDS:
        return argv
    rest = list(argv[1:])
    path, preset = take_option(rest, "--spec"), take_option(rest, "--preset")
    zoo = option_value(rest, "--zoo") if argv[0] == "train" else None
    if path is None and preset is None and zoo is None:
        return argv
    subparser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[argv[0]]
    if preset is not None and "preset" not in {a.dest for a in subparser._actions}:
        raise InputError(f"{argv[0]} takes no --preset")
    zoo_tokens = [] if zoo is None else zoo_flags(subparser, zoo, path)
    return [argv[0], *spec_flags(subparser, path, preset), *zoo_tokens, *rest]


def zoo_flags(parser: argparse.ArgumentParser, reference: str, spec_path) -> list:
    """The flags of the spec of the zoo entry `reference` names (a pair or an entry's file); a --spec too
    would name a second configuration."""
    if spec_path is not None:
        raise InputError("--zoo and --spec both name the configuration to train; give one of them")
    entry = find_entry(reference)
    return mapping_flags(parser, entry.spec, f"--zoo {reference}: spec of {entry.path}")


def option_value(tokens: list, flag: str) -> str | None:
    """The value of `flag VALUE` or `flag=VALUE` in `tokens` (left there), or None."""
    kept = list(tokens)
    return take_option(kept, flag)


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
