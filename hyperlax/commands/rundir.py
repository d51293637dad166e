"""Run directories: where a run writes, one writer at a time, and the arguments it stored to resume from.

sweep-hp-samples, optuna-hp-search and pbt-search resolve their options here, once, at the command boundary:
the given values over those a resumed run stored (which must not change what decides the results) or over
the defaults.
"""

import math
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml
from filelock import FileLock, Timeout

from hyperlax.commands.options import check_values, defaults_of, fixed_options, with_defaults
from hyperlax.commands.provenance import versions, warn_if_changed
from hyperlax.engine.runner import RunSettings
from hyperlax.envs import in_memory
from hyperlax.envs.registry import env_dir_name, make_env
from hyperlax.envs.spec import EnvSpec
from hyperlax.envs.user import source_of
from hyperlax.errors import InputError
from hyperlax.registry import is_file_reference, split_reference
from hyperlax.results.files import read_json
from hyperlax.space.recipes import Recipe

LOCK_FILE = "hyperlax.lock"
PID_FILE = "hyperlax.lock.pid"  # beside the lock: on Windows no other process can read a held lock file


def check_output_root(output_root) -> None:
    """--output-root is a directory that exists and is writable, or one that can be created."""
    if not str(output_root).strip():
        raise InputError("--output-root is empty; give a directory for the results")
    path = Path(output_root)
    if path.exists() and not path.is_dir():
        raise InputError(f"--output-root {output_root} is a file; give a directory for the results")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"--output-root {output_root}: {existing} is a file, so the directory cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--output-root {output_root}: {existing} is not writable; choose another directory")


def make_run_dir(path: Path) -> None:
    """Create a run directory; a filesystem that refuses it (read-only, /proc, no space) is an input error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"--output-root: cannot create {path} ({reason}); choose another directory") from None


@contextmanager
def exclusive(run_dir: Path, recheck: Callable | None = None):
    """Hold `run_dir`/hyperlax.lock for the run (filelock: fcntl on POSIX, msvcrt on Windows): a second run
    writing to the same directory stops with an input error naming the first one's pid. `recheck` runs once
    the lock is held (what another run may have written since the checks before it)."""
    make_run_dir(run_dir)
    lock = FileLock(run_dir / LOCK_FILE, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        pid_file = run_dir / PID_FILE
        holder = (pid_file.read_text().strip() if pid_file.is_file() else "") or "unknown"
        raise InputError(
            f"{run_dir} is being written by another hyperlax run (pid {holder}); wait for it to end, "
            f"or choose another --output-root"
        ) from None
    try:
        (run_dir / PID_FILE).write_text(f"{os.getpid()}\n")
        if recheck is not None:
            recheck()
        yield
    finally:
        lock.release()


def run_dir(output_root, recipe: Recipe, env_config: str) -> Path:
    """<output-root>/<recipe>/<env's directory name>: where a sweep or study of this pair lives."""
    return Path(output_root) / recipe.name / env_dir_name(env_config)


def given_values(args) -> dict:
    """The arguments that were set (on the command line, by a spec or by the caller)."""
    return {k: v for k, v in asdict(args).items() if v is not None}


def stored_record(stored_path: Path) -> dict:
    """What a run stored in its sweep.json or study.json (run_record), with its 'args' mapping checked."""
    stored = read_json(stored_path, "stored run")
    if not isinstance(stored, dict) or not isinstance(stored.get("args"), dict):
        raise InputError(f"{stored_path} holds no 'args' mapping; it was not written by hyperlax, or it was edited")
    return stored


def stored_args(stored_path: Path) -> dict:
    """The arguments a run stored in its sweep.json or study.json."""
    return stored_record(stored_path)["args"]


def merge_stored(
    given: dict, stored_path: Path, fixed: tuple, required: tuple = (), as_stored: Callable = lambda key, value: value
) -> dict:
    """The stored arguments updated with the given ones; a given one in `fixed` (it decides the results)
    must equal its stored value (`as_stored` turns a given value into its stored form, e.g. a masked URL).
    Every key in `required` must have been stored: without it the stored run cannot be told apart."""
    record = stored_record(stored_path)
    warn_if_changed(record, stored_path)  # other versions: proceed, but say that results may differ
    stored = record["args"]
    missing = [key for key in required if key not in stored]
    if missing:
        raise InputError(
            f"{stored_path} lacks {', '.join(missing)}; it was truncated or edited (restore it, or start anew)"
        )
    for key in fixed:
        if key not in given:
            continue
        value = as_stored(key, given[key])
        if value != stored.get(key):
            raise InputError(
                f"--{key.replace('_', '-')} {value} differs from {stored.get(key)} stored in {stored_path}; "
                f"continue with the stored arguments or start anew in another --output-root"
            )
    return {**stored, **given}


@dataclass(frozen=True)
class StoredRun:
    """What a command writes in its run directory: the file holding its arguments, and how to name it."""

    file: str  # sweep.json, study.json, pbt.json
    writer: str  # who wrote the directory, as an error message names it
    holds: str = ""  # what such a directory holds, when worth saying
    required: tuple = ()  # arguments every stored file has (newer options may be missing: their defaults)

    def check_resumable(self, resume_dir: Path) -> None:
        if not (resume_dir / self.file).is_file():
            holds = f" (it holds {self.holds})" if self.holds else ""
            raise InputError(
                f"--resume-from {resume_dir}: no {self.file} there; give the directory {self.writer} wrote{holds}"
            )


def merge_options(cls, given: dict, resume_from: str | None, run: StoredRun, as_stored=None) -> dict:
    """The given arguments over those stored in --resume-from's run file, or over the defaults of `cls`."""
    if resume_from is None:
        return {**defaults_of(cls), **given}
    resume_dir = Path(resume_from)
    run.check_resumable(resume_dir)
    extra = {} if as_stored is None else {"as_stored": as_stored}
    return merge_stored(given, resume_dir / run.file, fixed_options(cls), run.required, **extra)


def resolved_options(cls, merged: dict):
    """The options of `cls` from merged values, every unset one with a default set to it, all checked."""
    options = with_defaults(cls(**{f.name: merged.get(f.name) for f in fields(cls)}))
    check_values(options)
    return options


def run_record(args, settings: RunSettings, recipe: Recipe, spec: EnvSpec, **args_override) -> dict:
    """What sweep.json and study.json keep: the resolved arguments, the recipe, its space, the env, and the
    versions and JAX backend it ran with."""
    return {
        "args": {
            **asdict(args),
            "total_timesteps": settings.total_timesteps,
            "num_evaluations": settings.num_evaluations,
            "eval_episodes": settings.eval_episodes,
            "resume_from": None,
            "allow_env_change": None,  # given anew on each resume, never inherited
            **args_override,
        },
        "recipe": recipe.name,
        "distributions": {k: repr(v) for k, v in recipe.distributions.items()},
        "env": {**env_record(spec), **({"source": "in-memory"} if in_memory.is_in_memory(spec.name) else {})},
        "versions": versions(spec.env),
    }


def env_record(spec: EnvSpec) -> dict:
    """The env as a run stores it: the reference as given, its id and params digest, its return range, and for a
    user env the factory's file (absolute path, SHA-256), so resumes and workers elsewhere find and check it."""
    source = source_of(spec.name)
    record = {"name": spec.name, "id": spec.env_id, "params_digest": spec.params_digest}
    return {**record, "return_range": spec.return_range, **({"source": source} if source else {})}


@dataclass(frozen=True)
class EnvChoice:
    """--env-config, --env-kwargs and --return-range, parsed and checked; `make()` builds the env."""

    reference: str
    kwargs: dict | None = None
    return_range: tuple | None = None

    def make(self) -> EnvSpec:
        return make_env(self.reference, self.kwargs, self.return_range)


def env_choice(values: dict, run_file: Path | None = None, allow_change: bool = False) -> EnvChoice:
    """The env of resolved arguments (or a run's stored ones); with the run file of a run being continued, a user
    env's file is found again (at the stored absolute path when the reference no longer resolves) and checked
    against its stored SHA-256."""
    reference = values["env_config"]
    stored = read_json(run_file, "stored run").get("env") if run_file is not None and run_file.is_file() else None
    if isinstance(stored, dict) and isinstance(stored.get("source"), dict):
        reference = located(reference, stored["source"], allow_change, run_file)
    kwargs = parse_env_kwargs(values.get("env_kwargs"))
    return EnvChoice(reference, kwargs, parse_return_range(values.get("return_range")))


def located(reference: str, source: dict, allow_change: bool, run_file: Path) -> str:
    """`reference`, or the stored absolute path with its factory when the reference no longer finds the file."""
    current = source_of(reference)
    if current is None and is_file_reference(reference) and Path(str(source.get("path"))).is_file():
        reference = f"{source['path']}:{split_reference(reference)[1]}"
        current = source_of(reference)
    if current is None:
        raise InputError(f"env '{reference}': its file {source.get('path')} (stored in {run_file}) is gone; restore it")
    if current["sha256"] != source.get("sha256") and not allow_change:
        raise InputError(
            f"env '{reference}': {current['path']} changed since the run in {run_file.parent} started (SHA-256 "
            f"differs); restore it, or pass --allow-env-change to continue with the changed env"
        )
    return reference


def parse_env_kwargs(value) -> dict | None:
    """--env-kwargs as a mapping: JSON or YAML text (or a spec's mapping) with string keys."""
    if value is None or isinstance(value, dict):
        mapping = value
    else:
        try:
            mapping = yaml.safe_load(str(value))
        except yaml.YAMLError as exc:
            problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
            raise InputError(f"--env-kwargs: not valid JSON or YAML ({problem}); give a mapping such as "
                             f"'{{\"max_steps_in_episode\": 200}}'") from None  # fmt: skip
    if mapping is not None and (not isinstance(mapping, dict) or not all(isinstance(k, str) for k in mapping)):
        raise InputError(f"--env-kwargs: expected a mapping of parameter names to values, got {value!r}")
    return mapping or None


def parse_return_range(value) -> tuple | None:
    """--return-range LOW HIGH: two finite numbers, LOW below HIGH."""
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(f"--return-range: expected two numbers LOW HIGH, got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InputError(f"--return-range {low:g} {high:g}: expected finite numbers with LOW below HIGH")
    return (low, high)
