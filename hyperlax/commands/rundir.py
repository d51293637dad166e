"""Run directories: where a run writes, one writer at a time, and the arguments it stored to resume from.

sweep-hp-samples, optuna-hp-search and pbt-search resolve their options here, once, at the command boundary:
the given values over those a resumed run stored (which must not change what decides the results) or over
the defaults.
"""

import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from filelock import FileLock, Timeout

from hyperlax.commands.options import check_values, defaults_of, fixed_options, with_defaults
from hyperlax.commands.provenance import versions, warn_if_changed
from hyperlax.engine.runner import RunSettings
from hyperlax.envs import in_memory
from hyperlax.envs.gymnax import EnvSpec
from hyperlax.errors import InputError
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
    """<output-root>/<recipe>/<env with '.' replaced by '_'>: where a sweep or study of this pair lives."""
    return Path(output_root) / recipe.name / env_config.replace(".", "_")


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
            **args_override,
        },
        "recipe": recipe.name,
        "distributions": {k: repr(v) for k, v in recipe.distributions.items()},
        "env": {
            "name": spec.name,
            "gymnax_id": spec.gymnax_id,
            "return_range": spec.return_range,
            **({"source": "in-memory"} if in_memory.is_in_memory(spec.name) else {}),
        },
        "versions": versions(spec.env),
    }
