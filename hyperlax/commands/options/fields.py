"""The option machinery: `option(...)` declares a field (flag, default, help, check); the rest turns the
fields into argparse options, fills defaults, checks bounds and writes README's table rows."""

import argparse
import dataclasses
import os
from dataclasses import field, fields

from hyperlax.errors import InputError


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


def add_options(parser: argparse.ArgumentParser, cls, hidden: bool = False) -> None:
    """One argparse option per field of `cls`; the help ends with the documented default (`hidden`: no help,
    for options parsed only to be refused)."""
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
            shown_help = argparse.SUPPRESS if hidden else help_text.replace("%", "%%")
            parser.add_argument(flag_name(f.name), dest=f.name, help=shown_help, **kwargs)


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
        metavar = " ".join(metavar) if isinstance(metavar, tuple) else metavar
        if metavar and not meta["argparse"].get("positional"):
            label += f" [{metavar}]" if meta["argparse"].get("nargs") == "?" else f" {metavar}"
        shown = default_text(f) or ("required" if meta["argparse"].get("required") else "")
        cell = f"`{shown}`" if shown and meta.get("shown") is None and shown != "required" else shown
        cell, meaning = (text.replace("|", "\\|").replace("<", "&lt;") for text in (cell, meta["help"]))  # markdown
        lines.append(f"| `{label}` | {meaning} | {cell} |")
    return "\n".join(lines)


def as_argv(args) -> list:
    """The command line that sets exactly the options set in `args` (a command run again, e.g. as a worker)."""
    argv = []
    for f in fields(args):
        value = getattr(args, f.name)
        if value is None or value is False and f.metadata["argparse"].get("action") == "store_true":
            continue
        if f.metadata["argparse"].get("positional"):
            argv += list(map(str, value)) if isinstance(value, list) else [str(value)]
        elif f.metadata["argparse"].get("action") == "store_true":
            argv.append(flag_name(f.name))
        else:
            argv += [flag_name(f.name), *(map(str, value) if isinstance(value, list) else [str(value)])]
    return argv


def keyword_value(f: dataclasses.Field, value):
    """A Python caller's `value` for option `f`, as the flag's parser would give it (a path as its text, a
    tuple as a list, a log level upper-cased), after the checks argparse makes of a flag: its choices, a list
    for a multi-value flag, a bool for a switch. Bounds are check_values' (the same for every source)."""
    meta, flag, kwargs = f.metadata, flag_name(f.name), f.metadata["argparse"]
    if kwargs.get("action") == "store_true" or meta["type"] is parse_bool:
        if not isinstance(value, bool):
            raise InputError(f"{flag}: expected True or False, got {value!r}")
        return value
    many = kwargs.get("nargs") in ("+", "*")
    if many and isinstance(value, (str, os.PathLike)):  # objective_names="final_performance": a list of one
        value = [value]
    if many and not isinstance(value, (list, tuple)):
        raise InputError(f"{flag}: expected a list, got {value!r}")
    items = []
    for item in value if many else [value]:
        if meta["type"] in (None, str.upper):  # a text option
            if not isinstance(item, (str, os.PathLike)):
                raise InputError(f"{flag}: expected a string, got {item!r}")
            item = os.fspath(item).upper() if meta["type"] is str.upper else os.fspath(item)
        if kwargs.get("choices") is not None and item not in kwargs["choices"]:
            raise InputError(f"{flag}: invalid choice {item!r}; valid: {', '.join(map(str, kwargs['choices']))}")
        items.append(item)
    return items if many else items[0]


def args_from_keywords(classes: tuple, keywords: dict, what: str) -> tuple:
    """One instance of each options dataclass in `classes` from a Python caller's keywords, named as the
    options' fields (the flag without '--', '_' for '-'): unset ones None, each set one checked as the CLI
    checks its flag; an unknown keyword is an InputError naming the valid ones."""
    names = sorted({f.name for cls in classes for f in fields(cls)})
    unknown = sorted(set(keywords) - set(names))
    if unknown:
        raise InputError(f"{what}: unknown keyword {', '.join(unknown)}; valid: {', '.join(names)}")
    built = []
    for cls in classes:
        given = {f.name: keyword_value(f, keywords[f.name]) for f in fields(cls) if keywords.get(f.name) is not None}
        args = cls(**given)
        check_values(args)
        built.append(args)
    return tuple(built)
