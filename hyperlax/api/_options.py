"""Keywords of the Python API as a command's options: the same dataclasses, defaults and checks as the CLI's
flags (hyperlax.commands.options), with `spec=`, `preset=` and train's `zoo=` read by the CLI's own spec
reader."""

import argparse
import logging
import os
from dataclasses import fields

from hyperlax import configure_xla
from hyperlax.api._env import env_config_of
from hyperlax.cli.main import ArgumentParser, build_parser, commands, use_compile_cache
from hyperlax.cli.specs import spec_flags, zoo_flags
from hyperlax.commands.options import CliArgs, args_from_keywords, flag_name, with_defaults
from hyperlax.errors import InputError

SPEC_KEYS = ("spec", "preset")


class RaisingParser(ArgumentParser):
    """The CLI's parser, but a bad value in a spec is an InputError (the CLI's exits with code 2)."""

    def error(self, message):
        raise InputError(message)


def command_of(name: str):
    return next(command for command in commands() if command.name == name)


def spec_values(command_name: str, spec, preset, zoo=None) -> dict:
    """The option values a spec file, a preset and train's zoo entry give, parsed as `hyperlax COMMAND --spec
    --preset --zoo` would."""
    if spec is None and preset is None and zoo is None:
        return {}
    parser = build_parser(RaisingParser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command_name]
    spec = None if spec is None else os.fspath(spec)
    zoo_tokens = [] if zoo is None else zoo_flags(sub, os.fspath(zoo), spec)
    namespace = sub.parse_args(spec_flags(sub, spec, preset) + zoo_tokens)
    return {k: v for k, v in vars(namespace).items() if v is not None and k != "command_spec"}


def refuse(command, keywords: dict) -> None:
    """A keyword of an option group the command refuses (pbt's pruner) is an input error with the reason."""
    if command.refused:
        options, reason = command.refused
        for f in fields(options):
            if keywords.get(f.name) not in (None, "none"):
                raise InputError(f"{reason}; drop {f.name} ({flag_name(f.name)})")


def command_args(command_name: str, function: str, algo, env, keywords: dict):
    """The command's options from `hyperlax.<function>(algo, env=..., **keywords)` (CliArgs set up here): `algo` is
    algo_and_network_config, `env` env_config (or an env object); a spec's and a preset's values come first,
    the keywords override them, as flags do on the command line."""
    configure_xla()  # before anything here starts JAX's backend (an env object's params digest would)
    command, keywords, what = command_of(command_name), dict(keywords), f"hyperlax.{function}"
    for name, value in (("algo_and_network_config", algo), ("env_config", env)):
        if value is not None and keywords.get(name) is not None:
            raise InputError(f"{what}: {name} given twice (as {name.split('_')[0]}= and {name}=); give one")
    if algo is not None:
        keywords["algo_and_network_config"] = algo
    refuse(command, keywords)
    args_from_keywords(command.options, keywords, what)  # unknown keywords and bad values, before any work
    if env is not None:
        keywords["env_config"] = env_config_of(env)
    given = {k: v for k, v in keywords.items() if k not in SPEC_KEYS and v is not None}
    merged = {**spec_values(command_name, *(keywords.get(k) for k in SPEC_KEYS), keywords.get("zoo")), **given}
    args, cli = args_from_keywords(command.options[:1] + (CliArgs,), merged, what)
    prepare(cli)
    return args


def prepare(cli: CliArgs) -> None:
    """What the CLI sets up before a command trains (XLA's flags are set first thing): the compile cache and
    hyperlax's log level (its logger only: the caller's logging stays as it was)."""
    if cli.log_level is not None:
        logging.getLogger("hyperlax").setLevel(cli.log_level)
    if not with_defaults(cli).no_compile_cache:
        use_compile_cache()
