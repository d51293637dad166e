"""The zoo's entries on disk: where they are, reading and checking one, finding one by its pair name."""

import os
from dataclasses import dataclass
from pathlib import Path

from hyperlax.errors import InputError
from hyperlax.results.yaml_files import read_yaml
from hyperlax.zoo.schema import canonical_env, entry_problem

ZOO_DIR_ENV = "HYPERLAX_ZOO_DIR"  # read instead of the shipped directory when set
SHIPPED_DIR = Path(__file__).parent
FIX = "a zoo entry is what benchmarks/zoo.py writes (its format: hyperlax/zoo/__init__.py)"


@dataclass(frozen=True)
class ZooEntry:
    path: Path
    data: dict  # the checked YAML mapping

    @property
    def pair(self) -> str:
        return self.data["pair"]

    @property
    def spec(self) -> dict:
        return self.data["spec"]

    @property
    def validation(self) -> dict:
        return self.data["validation"]


def zoo_dir() -> Path:
    return Path(os.environ.get(ZOO_DIR_ENV) or SHIPPED_DIR)


def entry_path(pair: str) -> Path:
    """Where an entry lives under the zoo directory: ppo:gymnax:CartPole-v1 -> ppo/gymnax_CartPole-v1.yaml."""
    algo, _, env = pair.partition(":")
    return Path(algo) / f"{env.replace(':', '_')}.yaml"


def load_entry(path) -> ZooEntry:
    """A zoo entry file, read and checked."""
    data = read_yaml(path, "zoo entry", "a zoo entry")
    problem = entry_problem(data)
    if problem:
        raise InputError(f"zoo entry {path}: {problem}; {FIX}")
    return ZooEntry(Path(path), {**data, "date": str(data["date"])})  # an unquoted date reads as a date


def list_entries() -> list[ZooEntry]:
    """Every entry of the zoo directory, by file name; one misplaced or broken is an input error."""
    directory = zoo_dir()
    if not directory.is_dir():
        raise InputError(f"{ZOO_DIR_ENV}={directory}: no such directory; give the directory of zoo entries")
    entries = [load_entry(path) for path in sorted(directory.glob("*/*.yaml"))]
    for entry in entries:
        expected = directory / entry_path(entry.pair)
        if entry.path != expected:
            raise InputError(f"zoo entry {entry.path} holds {entry.pair}, whose file is {expected}; rename it")
    return entries


def canonical_pair(name: str) -> str:
    """A pair as the zoo names it: ppo:gymnax.cartpole -> ppo:gymnax:CartPole-v1."""
    algo, _, env = name.partition(":")
    return f"{algo}:{canonical_env(env)}"


def names_a_file(reference: str) -> bool:
    return reference.endswith((".yaml", ".yml")) or os.sep in reference or Path(reference).is_file()


def find_entry(reference: str) -> ZooEntry:
    """The entry a pair name (aliases of the env registry too) or an entry's YAML file names."""
    if names_a_file(reference):
        return load_entry(reference)
    entries = list_entries()
    pair = canonical_pair(reference)
    found = next((entry for entry in entries if canonical_pair(entry.pair) == pair), None)
    if found is None:
        shipped = ", ".join(entry.pair for entry in entries) or f"none ({zoo_dir()} holds no entry)"
        raise InputError(f"unknown zoo pair '{reference}'; the zoo holds: {shipped}; or give an entry's .yaml file")
    return found
