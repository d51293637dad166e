"""optuna-hp-search: an Optuna study whose trials are trained in vectorized super-batches.

study (storage) -> a super-batch of --optuna-study-batch-size trials asked at once -> the runner's batches
of --runner-hparam-batch-size, grouped by structure -> every trial told back. The search knows no RL: a
trial becomes a `Sample` whose id is the trial number, and the runner's metrics row becomes the trial's
values and user attrs.

Workers (processes or machines) started with one --storage URL and --study-name share one study:
- A trial counts toward --n-trials once it was trained: COMPLETE, or FAIL with its result (diverged). A
  trial failed before training (reason interrupted, budget_reached or error) does not count.
- The budget is the first --n-trials trials, in trial-number order, that are trained, training or
  waiting. Right after asking, a worker fails (reason budget_reached) each asked trial that has
  --n-trials such trials before it. Optuna numbers trials under a lock on the study, so every worker sees
  the same order, and racing workers never train more than --n-trials in total.
- Each worker records a heartbeat for every trial it trains. A RUNNING trial whose heartbeat is older
  than 3 heartbeat intervals belongs to a dead worker: any worker fails it (reason interrupted) and
  enqueues its parameters again.
"""

import bisect
import csv
import html
import importlib.util
import io
import json
import logging
import math
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import optuna
import sqlalchemy
from optuna.trial import TrialState
from rich.console import Console
from rich.table import Table

from hyperlax.envs import make_env
from hyperlax.errors import InputError
from hyperlax.metrics import OBJECTIVES
from hyperlax.progress import BatchProgress
from hyperlax.recipes import load_recipe
from hyperlax.results import SUMMARY_COLUMNS, write_json_atomic, write_text_atomic
from hyperlax.runner import Runner, Sample
from hyperlax.space import Categorical, LogUniform, UniformInt
from hyperlax.sweep import check_positive, run_plans, run_settings

log = logging.getLogger(__name__)

STUDY_FILE = "study.json"
DB_FILE = "optuna_study.db"
DIRECTIONS = ("maximize", "minimize")
METRIC_KEYS = tuple(k for k in SUMMARY_COLUMNS if k not in ("status", "reason"))
WORKER = f"{socket.gethostname()}:{os.getpid()}"

# What decides the trials and their results: resuming or joining a study must not change any of these.
RESUME_FIXED = (
    "algo_and_network_config",
    "env_config",
    "study_name",
    "objective_names",
    "objective_directions",
    "seed",
    "total_timesteps",
    "num_seeds",
    "num_evaluations",
    "eval_episodes",
    "storage",
)


@dataclass(frozen=True)
class SamplerSpec:
    make: Callable  # (seed, population_size) -> optuna sampler
    multi_objective: bool = True
    needs: str | None = None  # a module the sampler imports lazily
    install: str = ""
    seed_per_trial: bool = True  # QMC coordinates its sequence through the storage under one seed


SAMPLERS = {
    "tpe": SamplerSpec(lambda seed, population: optuna.samplers.TPESampler(seed=seed, constant_liar=True)),
    "nsgaii": SamplerSpec(
        lambda seed, population: optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    ),
    "nsgaiii": SamplerSpec(
        lambda seed, population: optuna.samplers.NSGAIIISampler(seed=seed, population_size=population)
    ),
    "random": SamplerSpec(lambda seed, population: optuna.samplers.RandomSampler(seed=seed)),
    "cmaes": SamplerSpec(
        lambda seed, population: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        multi_objective=False,
        needs="cmaes",
        install="pip install cmaes",
    ),
    "gp": SamplerSpec(
        lambda seed, population: optuna.samplers.GPSampler(seed=seed),
        needs="torch",
        install="pip install 'hyperlax[gp]'",
    ),
    "qmc": SamplerSpec(
        lambda seed, population: optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed),
        seed_per_trial=False,
    ),
}
DRIVER_EXTRAS = {"postgresql": "pip install 'hyperlax[postgres]'"}
# Pruners, as rl-baselines3-zoo sets them up, over the trial's evaluations (intermediate value at step k =
# mean eval return at evaluation k). Argument: the number of evaluations per trial.
PRUNERS = {
    "none": lambda evaluations: optuna.pruners.NopPruner(),
    "median": lambda evaluations: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=evaluations // 3),
    "halving": lambda evaluations: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4),
    "hyperband": lambda evaluations: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=evaluations, reduction_factor=3
    ),
}
# Objectives that the eval return at an evaluation forecasts; a pruner compares those returns.
RETURN_OBJECTIVES = ("peak_performance", "final_performance", "normalized_auc")


@dataclass
class SearchArgs:
    algo_and_network_config: str | None = None
    env_config: str | None = None
    study_name: str | None = None
    n_trials: int | None = None
    objective_names: list | None = None
    objective_directions: list | None = None
    sampler: str | None = None
    pruner: str | None = None
    optuna_study_batch_size: int | None = None
    runner_hparam_batch_size: int | None = None
    total_timesteps: int | None = None
    num_seeds: int | None = None
    num_evaluations: int | None = None
    eval_episodes: int | None = None
    seed: int | None = None
    storage: str | None = None  # None: the SQLite file optuna_study.db in the study directory
    heartbeat_interval: int | None = None
    output_root: str = "hyperlax_runs"
    resume_from: str | None = None


DEFAULTS = {
    "algo_and_network_config": "ppo_mlp",
    "env_config": "gymnax.pendulum",
    "n_trials": 16,
    "objective_names": ["final_performance"],
    "optuna_study_batch_size": 8,
    "runner_hparam_batch_size": 8,
    "num_seeds": 2,
    "seed": 0,
    "heartbeat_interval": 10,
}
# A study trains --n-trials configurations: unless --total-timesteps is given, each gets the recipe's
# budget capped here, so the default study (16 trials of ppo_mlp) takes about a minute on a laptop CPU.
MAX_DEFAULT_TIMESTEPS = 50_000


# ---------------------------------------------------------------- arguments


def mask_url(url: str) -> str:
    """A storage URL as it may be shown or written: its password replaced by ***."""
    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def redact(text: str, url: str | None) -> str:
    password = sqlalchemy.engine.make_url(url).password if url else None
    return text.replace(password, "***") if password else text


def connect_url(study_dir: Path, storage: str | None) -> str:
    """The URL to connect with: the given one, or the study directory's SQLite file. A masked password
    (as stored in study.json) is dropped, so the driver's own sources (PGPASSWORD, ~/.pgpass) supply it."""
    if storage is None:
        return f"sqlite:///{(study_dir / DB_FILE).resolve()}"
    url = sqlalchemy.engine.make_url(storage)
    return url._replace(password=None).render_as_string(hide_password=False) if url.password == "***" else storage


def check_storage(storage: str) -> None:
    """An SQLAlchemy database URL whose driver is installed; checked before anything is created."""
    try:
        url = sqlalchemy.engine.make_url(storage)
    except sqlalchemy.exc.ArgumentError:
        raise InputError(
            "--storage is not a database URL; give e.g. sqlite:///study.db or postgresql://user:password@host/db"
        ) from None
    try:
        url.get_dialect().import_dbapi()
    except sqlalchemy.exc.NoSuchModuleError:
        raise InputError(
            f"--storage {mask_url(storage)}: unknown database '{url.drivername}'; use sqlite, postgresql or mysql"
        ) from None
    except ImportError as exc:
        hint = DRIVER_EXTRAS.get(
            url.get_backend_name(), "install the package that provides it, or name another driver in the URL"
        )
        raise InputError(
            f"--storage {mask_url(storage)}: its driver module {exc.name} is not installed; {hint}"
        ) from None


def check_objectives(names: list, directions: list) -> None:
    for name in names:
        if name not in OBJECTIVES:
            raise InputError(f"unknown objective '{name}'; valid: {', '.join(OBJECTIVES)}")
    if len(set(names)) != len(names):
        raise InputError(f"--objective-names lists an objective twice: {' '.join(names)}")
    if len(directions) != len(names):
        raise InputError(
            f"--objective-directions: {len(directions)} given for {len(names)} objectives; give one per objective (maximize or minimize)"
        )
    for direction in directions:
        if direction not in DIRECTIONS:
            raise InputError(f"unknown objective direction '{direction}'; valid: {', '.join(DIRECTIONS)}")


def check_sampler(name: str, num_objectives: int) -> None:
    if name not in SAMPLERS:
        raise InputError(f"unknown sampler '{name}'; valid: {', '.join(SAMPLERS)}")
    spec = SAMPLERS[name]
    if num_objectives > 1 and not spec.multi_objective:
        valid = ", ".join(n for n, s in SAMPLERS.items() if s.multi_objective)
        raise InputError(f"--sampler {name} optimises one objective, {num_objectives} given; for several use {valid}")
    if spec.needs and importlib.util.find_spec(spec.needs) is None:
        raise InputError(f"--sampler {name} needs the {spec.needs} package: {spec.install}")


def check_pruner(name: str, objective_names: list) -> None:
    if name not in PRUNERS:
        raise InputError(f"unknown pruner '{name}'; valid: {', '.join(PRUNERS)}")
    if name == "none":
        return
    if len(objective_names) > 1:
        raise InputError(
            f"--pruner {name}: Optuna prunes single-objective studies only, {len(objective_names)} objectives given; use --pruner none"
        )
    if objective_names[0] not in RETURN_OBJECTIVES:
        raise InputError(
            f"--pruner {name} compares eval returns, which do not forecast {objective_names[0]}; "
            f"use it with {', '.join(RETURN_OBJECTIVES)}, or --pruner none"
        )


def split_names(values: list | None) -> list | None:
    """`a b`, `a,b` and `a, b` all name the same list."""
    return None if values is None else [v for item in values for v in str(item).split(",") if v.strip()]


def resolve_args(args: SearchArgs):
    """Fill unset arguments from the stored study.json (resume, or a worker joining a shared study) or the
    defaults, and check all of them; nothing is created. Returns (args, study dir, recipe, continuing)."""
    given = {k: v for k, v in asdict(args).items() if v is not None}
    for key in ("objective_names", "objective_directions"):
        if key in given:
            given[key] = split_names(given[key])
    if "storage" in given:
        check_storage(given["storage"])
    if args.resume_from is not None:
        study_dir = Path(args.resume_from)
        if not (study_dir / STUDY_FILE).is_file():
            raise InputError(
                f"--resume-from {study_dir}: no {STUDY_FILE} there; give the directory optuna-hp-search wrote (it holds {STUDY_FILE})"
            )
        merged = merge_stored(given, study_dir)
    else:
        merged = {**DEFAULTS, **given}
    recipe = load_recipe(merged["algo_and_network_config"])
    env_dir = merged["env_config"].replace(".", "_")
    merged.setdefault("study_name", f"{recipe.name}_{env_dir}")
    if args.resume_from is None:
        study_dir = Path(merged["output_root"]) / recipe.name / env_dir
        stored_path = study_dir / STUDY_FILE
        if stored_path.is_file():
            stored = json.loads(stored_path.read_text())["args"]
            shared = "storage" in given and stored.get("storage") == mask_url(given["storage"])
            if not (shared and stored.get("study_name") == merged["study_name"]):
                raise InputError(
                    f"{study_dir} already holds study '{stored.get('study_name')}'; continue it with --resume-from {study_dir}, "
                    f"or choose another --output-root"
                )
            merged = merge_stored(given, study_dir)  # another worker of the same shared study
    merged.setdefault(
        "total_timesteps",
        min(
            recipe.base_config.get("training", {}).get("total_timesteps", MAX_DEFAULT_TIMESTEPS), MAX_DEFAULT_TIMESTEPS
        ),
    )
    merged.setdefault("objective_directions", ["maximize"] * len(merged["objective_names"]))
    merged.setdefault("sampler", "tpe" if len(merged["objective_names"]) == 1 else "nsgaii")
    merged.setdefault("pruner", "none")
    resolved = SearchArgs(**{k: merged.get(k) for k in SearchArgs.__dataclass_fields__})
    resolved.output_root = str(study_dir.parent.parent)  # <output-root>/<recipe>/<env>: true for a resumed study too
    check_objectives(resolved.objective_names, resolved.objective_directions)
    for name in (
        "n_trials",
        "optuna_study_batch_size",
        "runner_hparam_batch_size",
        "total_timesteps",
        "num_seeds",
        "num_evaluations",
        "eval_episodes",
        "heartbeat_interval",
    ):
        check_positive(name, getattr(resolved, name))
    if resolved.seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {resolved.seed}")
    check_sampler(resolved.sampler, len(resolved.objective_names))
    check_pruner(resolved.pruner, resolved.objective_names)
    if resolved.storage is None and args.resume_from is not None and not (study_dir / DB_FILE).is_file():
        raise InputError(f"--resume-from {study_dir}: no {DB_FILE} there; the study's storage is gone")
    if resolved.storage is not None and "storage" not in given:
        check_storage(resolved.storage)  # the stored URL: its driver may be missing on this machine
    continuing = (study_dir / STUDY_FILE).is_file()
    return resolved, study_dir, recipe, continuing


def merge_stored(given: dict, study_dir: Path) -> dict:
    """The stored arguments updated with the given ones; a given one that decides results must match."""
    stored_path = study_dir / STUDY_FILE
    stored = json.loads(stored_path.read_text())["args"]
    for key in RESUME_FIXED:
        if key not in given:
            continue
        value = mask_url(given[key]) if key == "storage" else given[key]
        if value != stored.get(key):
            raise InputError(
                f"--{key.replace('_', '-')} {value} differs from {stored.get(key)} stored in {stored_path}; "
                f"continue with the stored arguments or start a new study"
            )
    return {**stored, **given}


# ---------------------------------------------------------------- search space


def is_json_encoded(dist) -> bool:
    """Optuna stores categorical choices of None, bool, int, float and str; other choices (lists such as
    layer sizes) go in as JSON strings."""
    return isinstance(dist, Categorical) and not all(
        v is None or isinstance(v, (bool, int, float, str)) for v in dist.values
    )


def suggest_values(trial: optuna.Trial, distributions: dict) -> dict:
    """One configuration `{dotted_key: value}`: each recipe distribution through its suggest_*."""
    values = {}
    for key, dist in sorted(distributions.items()):
        if isinstance(dist, Categorical):
            encoded = is_json_encoded(dist)
            choice = trial.suggest_categorical(
                key, [json.dumps(v) for v in dist.values] if encoded else list(dist.values)
            )
            values[key] = json.loads(choice) if encoded else choice
        elif isinstance(dist, UniformInt):
            values[key] = trial.suggest_int(key, *dist.domain)
        else:
            values[key] = trial.suggest_float(key, *dist.domain, log=isinstance(dist, LogUniform))
    return values


def decode_params(params: dict, json_keys) -> dict:
    return {k: json.loads(v) if k in json_keys else v for k, v in params.items()}


def trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """A sampler built afresh for every trial, seeded by (--seed, trial number).

    Workers sharing a study then never draw the same random numbers (trial numbers are unique), and a
    trial's suggestion does not depend on which worker or super-batch asked it.
    """

    def __init__(self, make: Callable, seed: int):
        self._make, self._seed = make, seed
        self._sampler = make(seed)

    def before_trial(self, study, trial):
        self._sampler = self._make(trial_seed(self._seed, trial.number))
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self._sampler.after_trial(study, trial, state, values)

    def reseed_rng(self):
        self._sampler.reseed_rng()


def make_sampler(name: str, seed: int, population_size: int):
    """The named sampler; genetic ones take a super-batch as one generation."""
    spec = SAMPLERS[name]

    def make(sampler_seed: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return spec.make(sampler_seed, max(2, population_size))

    return TrialSeededSampler(make, seed) if spec.seed_per_trial else make(seed)


# ---------------------------------------------------------------- storage and trial bookkeeping


def rdb_storage(url: str, heartbeat_interval: int, attempts: int = 3):
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=heartbeat_interval, grace_period=3 * heartbeat_interval
            )
        except sqlalchemy.exc.IntegrityError:  # workers creating the tables of an empty database at once: one loses
            if attempt == attempts - 1:
                raise
            time.sleep(1 + attempt)


def open_study(url: str, args: SearchArgs, sampler, pruner, study_record: dict):
    """Create or load the study (with heartbeats) and check it asks what this command asks."""
    interval = args.heartbeat_interval
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = rdb_storage(url, interval)
            study = optuna.create_study(
                storage=storage,
                study_name=args.study_name,
                sampler=sampler,
                pruner=pruner,
                directions=args.objective_directions,
                load_if_exists=True,
            )
            stored_names = study.metric_names
            directions = [d.name.lower() for d in study.directions]
            if stored_names is None:
                study.set_metric_names(list(args.objective_names))
                study.set_user_attr("hyperlax", study_record)
    except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as exc:
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InputError(f"cannot open storage {mask_url(url)}: {redact(first_line, url)}") from None
    if (stored_names or args.objective_names) != args.objective_names or directions != args.objective_directions:
        raise InputError(
            f"study '{args.study_name}' in {mask_url(url)} optimises {' '.join(stored_names or [])} "
            f"({' '.join(directions)}), not {' '.join(args.objective_names)} ({' '.join(args.objective_directions)}); "
            f"use its objectives or another --study-name"
        )
    stored = study.user_attrs.get("hyperlax", study_record)
    for key, value in study_record.items():
        if stored.get(key) != value:
            if isinstance(value, dict):  # name the entries that differ, not the whole search space
                key = f"{key} of {', '.join(sorted(k for k in {*value, *stored.get(key, {})} if value.get(k) != stored.get(key, {}).get(k)))}"
            raise InputError(
                f"study '{args.study_name}' in {mask_url(url)} was started with other {key}; "
                f"use the same settings or another --study-name"
            )
    return study, storage


def was_trained(trial) -> bool:
    """Told from a runner result: COMPLETE, PRUNED, or FAIL with its metrics (diverged). A trial failed by
    fail_trial (interrupted, budget_reached, error) does not count toward --n-trials, even one whose worker
    died while telling it and had already stored its batch_dir."""
    if trial.state == TrialState.FAIL:
        return "batch_dir" in trial.user_attrs and trial.user_attrs.get("reason", "").split(":")[0] not in UNTRAINED
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED)


def beyond_budget(trials: list, numbers, n_trials: int) -> list:
    """Of `numbers`, those preceded by n_trials trials that are trained, training or waiting."""
    claimed = sorted(t.number for t in trials if t.state != TrialState.FAIL or was_trained(t))
    return [n for n in numbers if bisect.bisect_left(claimed, n) >= n_trials]


class Heartbeats:
    """Keeps the trials this worker trains alive in the storage.

    Optuna records heartbeats only inside study.optimize; with ask/tell they are ours to record: one
    thread, every heartbeat interval, for every trial of the super-batch in training.
    """

    def __init__(self, storage, interval: int):
        self.storage, self.interval = storage, interval
        self._ids, self._touched = set(), set()
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="hyperlax-heartbeats", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def __contains__(self, trial_id) -> bool:
        with self._lock:
            return trial_id in self._ids

    def add(self, trial_id: int) -> None:
        self.storage.record_heartbeat(trial_id)
        with self._lock:
            self._ids.add(trial_id)

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)

    def touch_once(self, trial_id: int) -> None:
        """One heartbeat for another worker's trial. A worker killed between creating a trial and its first
        heartbeat leaves a trial that no heartbeat can age; one touch lets it turn stale. A live worker's
        trial loses nothing: its own heartbeats continue."""
        if trial_id not in self._touched:
            self._touched.add(trial_id)
            self.storage.record_heartbeat(trial_id)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = list(self._ids)
            for trial_id in ids:
                try:
                    self.storage.record_heartbeat(trial_id)
                except Exception as exc:  # a lost heartbeat is retried next interval
                    log.warning("heartbeat of trial id %d not recorded: %s", trial_id, exc)


UNTRAINED = ("interrupted", "budget_reached", "error")  # the reasons fail_trial gives


def fail_trial(study, storage, trial, reason: str, retry: bool) -> bool:
    """Fail a trial that was never trained; with `retry`, enqueue its parameters again. False when
    another worker finished or failed it first."""
    try:
        storage.set_trial_user_attr(trial._trial_id, "reason", reason)
        if not storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
            return False
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    if retry and trial.params:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return True


def estimated_batches(num_trials: int, super_batch: int, runner_batch: int) -> int:
    full, rest = divmod(max(0, num_trials), super_batch)
    return full * math.ceil(super_batch / runner_batch) + math.ceil(rest / runner_batch)


# ---------------------------------------------------------------- the search


class Search:
    """One worker's loop: fail stale trials, ask a super-batch, train it through the runner, tell it."""

    def __init__(self, study, storage, runner: Runner, recipe, args: SearchArgs, study_dir: Path, console: Console):
        self.study, self.storage, self.runner = study, storage, runner
        self.args, self.study_dir, self.console = args, study_dir, console
        self.distributions = recipe.distributions
        self.defaults = recipe.defaults()
        self.study_id = storage.get_study_id_from_name(study.study_name)
        self.asked = {}  # trial number -> (trial, values) of the super-batch in training, until told
        self.heartbeats = self.progress = None

    def run(self) -> None:
        a = self.args
        with (
            Heartbeats(self.storage, a.heartbeat_interval) as self.heartbeats,
            BatchProgress(self.console, 0, self.runner.settings.num_evaluations) as self.progress,
        ):
            while True:
                trials = self.study.get_trials(deepcopy=False)
                if self.fail_stale_trials(trials):
                    trials = self.study.get_trials(deepcopy=False)
                finished = sum(map(was_trained, trials))
                running = sum(t.state == TrialState.RUNNING for t in trials)
                self.show(trials)
                if finished >= a.n_trials:
                    self.progress.set_total_batches(self.progress.done_batches)
                    return
                to_ask = min(a.optuna_study_batch_size, a.n_trials - finished - running)
                if to_ask <= 0:
                    self.progress.set_extra(
                        f"· trials {finished}/{a.n_trials} · waiting for {running} trials of other workers"
                    )
                    time.sleep(a.heartbeat_interval)
                    continue
                try:
                    self.ask(to_ask)
                    rest = a.n_trials - finished - running - len(self.asked)
                    self.train(estimated_batches(rest, a.optuna_study_batch_size, a.runner_hparam_batch_size))
                except BaseException as exc:
                    interrupted = not isinstance(exc, Exception)
                    reason = "interrupted" if interrupted else f"error: {type(exc).__name__}: {exc}"[:500]
                    for trial, _ in self.asked.values():
                        fail_trial(self.study, self.storage, trial, reason, retry=interrupted)
                    self.asked.clear()
                    raise

    def fail_stale_trials(self, trials: list) -> int:
        """Fail (reason interrupted) and re-enqueue the trials of workers that stopped sending heartbeats."""
        stale = set(self.storage._get_stale_trial_ids(self.study_id))
        failed = 0
        for trial in trials:
            if trial.state != TrialState.RUNNING or trial._trial_id in self.heartbeats:
                continue
            if trial._trial_id in stale:
                failed += fail_trial(self.study, self.storage, trial, "interrupted", retry=True)
                log.warning(
                    "trial %d: its worker sent no heartbeat for %ds; failed as interrupted, parameters enqueued again",
                    trial.number,
                    3 * self.args.heartbeat_interval,
                )
            else:
                self.heartbeats.touch_once(trial._trial_id)
        return failed

    def ask(self, count: int) -> None:
        """Ask a super-batch (waiting, re-enqueued trials first), then drop the trials beyond the budget."""
        for _ in range(count):
            with warnings.catch_warnings():  # Optuna expects heartbeats with optimize(); Heartbeats records them here
                warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)
                trial = self.study.ask()
            self.heartbeats.add(trial._trial_id)
            self.asked[trial.number] = (trial, suggest_values(trial, self.distributions))
        for number in beyond_budget(self.study.get_trials(deepcopy=False), list(self.asked), self.args.n_trials):
            trial, _ = self.asked.pop(number)
            self.heartbeats.discard(trial._trial_id)
            fail_trial(self.study, self.storage, trial, "budget_reached", retry=False)

    def train(self, batches_after: int) -> None:
        if not self.asked:
            return
        samples = [Sample(number, values, {**self.defaults, **values}) for number, (_, values) in self.asked.items()]
        plans = self.runner.plan(samples)
        self.progress.set_total_batches(self.progress.done_batches + len(plans) + batches_after)
        exec_dir = claim_exec_dir(self.study_dir)
        run_plans(
            self.runner,
            plans,
            exec_dir / "samples",
            self.console,
            progress=self.progress,
            on_batch=lambda plan, result: self.tell(plan, result, exec_dir / "samples" / plan.name),
            should_stop=self.should_stop if len(self.args.objective_names) == 1 else None,
        )

    def should_stop(self, sample, evaluation: int, mean_return: float) -> bool:
        """Report a trial's eval return at an evaluation (Optuna's intermediate value at that step) and ask
        the study's pruner; a single-objective study only, as Optuna prunes no other."""
        trial, _ = self.asked[sample.sample_id]
        if not math.isfinite(mean_return):
            return False  # a diverged trial fails on its own at the end of its batch
        trial.report(mean_return, evaluation)
        return trial.should_prune()

    def tell(self, plan, result, batch_dir: Path) -> None:
        for row in result.rows:
            trial, _ = self.asked.pop(row["sample_id"])
            attrs = {k: row[k] for k in SUMMARY_COLUMNS if row.get(k) not in (None, "")}
            attrs.update(
                batch_dir=str(batch_dir.relative_to(self.study_dir)),
                structural_key=dict(plan.structural_key),
                worker=WORKER,
            )
            values = [row.get(name) for name in self.args.objective_names]
            complete = row["status"] == "ok" and all(v is not None and math.isfinite(v) for v in values)
            if row["status"] == "ok" and not complete:
                attrs["reason"] = "an objective is not finite"
            state = (
                TrialState.PRUNED if row["status"] == "pruned" else TrialState.COMPLETE if complete else TrialState.FAIL
            )
            try:
                for key, value in attrs.items():
                    self.storage.set_trial_user_attr(trial._trial_id, key, value)
                # A pruned trial's value is its last reported intermediate value (Optuna's rule).
                self.study.tell(trial, values if complete else None, state=state)
            except optuna.exceptions.UpdateFinishedTrialError:
                log.warning(
                    "trial %d was failed by another worker that saw no heartbeat from this one; its result stays in %s",
                    trial.number,
                    batch_dir,
                )
            self.heartbeats.discard(trial._trial_id)
        self.show(self.study.get_trials(deepcopy=False))

    def show(self, trials: list) -> None:
        finished = sum(map(was_trained, trials))
        self.progress.set_extra(f"· trials {finished}/{self.args.n_trials} · {best_text(self.study)}")


def claim_exec_dir(study_dir: Path) -> Path:
    """The next free optuna_exec_batch_NNNN; mkdir is atomic, so workers sharing the directory never share one."""
    index = len(list(study_dir.glob("optuna_exec_batch_*")))
    while True:
        path = study_dir / f"optuna_exec_batch_{index:04d}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            index += 1


def best_text(study) -> str:
    try:
        if len(study.directions) == 1:
            best = study.best_trial
            return f"best {best.value:.5g} (trial {best.number})"
        return f"pareto front {len(study.best_trials)} trials"
    except ValueError:  # no complete trial yet
        return "no complete trial yet"


def search(args: SearchArgs, console: Console) -> Path:
    args, study_dir, recipe, continuing = resolve_args(args)
    optuna.logging.set_verbosity(logging.getLogger().getEffectiveLevel())
    spec = make_env(args.env_config)
    settings = run_settings(recipe, args, hparam_batch_size=args.runner_hparam_batch_size, group_by_structure=True)
    runner = Runner(recipe.algorithm, spec, settings)
    study_record = {  # kept in the study itself: workers on other machines check against it
        "recipe": recipe.name,
        "env_config": spec.name,
        "seed": args.seed,
        "num_seeds": settings.num_seeds,
        "total_timesteps": settings.total_timesteps,
        "num_evaluations": settings.num_evaluations,
        "eval_episodes": settings.eval_episodes,
        "distributions": {k: repr(v) for k, v in sorted(recipe.distributions.items())},
        "json_encoded_params": sorted(k for k, d in recipe.distributions.items() if is_json_encoded(d)),
    }
    sampler = make_sampler(args.sampler, args.seed, args.optuna_study_batch_size)
    categorical = sorted(k for k, d in recipe.distributions.items() if isinstance(d, Categorical))
    if args.sampler == "cmaes" and categorical:  # said once here: a sampler built per trial would warn every trial
        log.warning("--sampler cmaes cannot sample categorical parameters; drawn at random: %s", ", ".join(categorical))
    url = connect_url(study_dir, args.storage)
    if args.storage is None:  # the SQLite file lives in the study directory
        study_dir.mkdir(parents=True, exist_ok=True)
    pruner = PRUNERS[args.pruner](settings.num_evaluations)
    study, storage = open_study(url, args, sampler, pruner, study_record)
    study_dir.mkdir(parents=True, exist_ok=True)  # with a shared storage, only once it opened and matched
    write_json_atomic(
        study_dir / STUDY_FILE,
        {
            "args": {
                **asdict(args),
                "total_timesteps": settings.total_timesteps,
                "num_evaluations": settings.num_evaluations,
                "eval_episodes": settings.eval_episodes,
                "storage": args.storage and mask_url(args.storage),
                "resume_from": None,
            },
            "recipe": recipe.name,
            "distributions": study_record["distributions"],
            "env": {"name": spec.name, "gymnax_id": spec.gymnax_id, "return_range": spec.return_range},
        },
    )
    objectives = ", ".join(f"{n} ({d})" for n, d in zip(args.objective_names, args.objective_directions))
    console.print(
        f"optuna study '{args.study_name}'{' (continued)' if continuing else ''}: {args.n_trials} trials of {recipe.name} "
        f"on {spec.name} ({spec.gymnax_id}), sampler {args.sampler}, pruner {args.pruner}, {objectives}; super-batches of "
        f"{args.optuna_study_batch_size}, runner batches of {args.runner_hparam_batch_size}, {settings.num_seeds} seeds, "
        f"{settings.total_timesteps} env steps each -> {mask_url(url)}"
    )
    start = time.perf_counter()
    worker = Search(study, storage, runner, recipe, args, study_dir, console)
    worker.run()
    files = write_outputs(study, study_dir)
    print_summary(console, study, args.n_trials, time.perf_counter() - start, worker.progress)
    console.print(f"study: {study_dir}  ({', '.join(str(f.relative_to(study_dir)) for f in files)})")
    return study_dir


# ---------------------------------------------------------------- outputs


def json_keys_of(study) -> list:
    return study.user_attrs.get("hyperlax", {}).get("json_encoded_params", [])


def objective_names_of(study) -> list:
    return study.metric_names or [f"objective_{i}" for i in range(len(study.directions))]


def trial_record(trial, names: list, json_keys) -> dict:
    """A trial as written to JSON: values by objective, params by dotted key (decoded), metrics, the rest."""
    attrs = trial.user_attrs
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": dict(zip(names, trial.values)) if trial.values else None,
        "params": decode_params(trial.params, json_keys),
        "metrics": {k: attrs[k] for k in METRIC_KEYS if k in attrs},
        **{k: v for k, v in attrs.items() if k not in METRIC_KEYS},
    }


def best_summary(study) -> dict:
    """Single objective: the best trial. Several: every trial of the Pareto front."""
    names, json_keys = objective_names_of(study), json_keys_of(study)
    summary = {
        "study_name": study.study_name,
        "objective_names": names,
        "directions": [d.name.lower() for d in study.directions],
        "finished_trials": sum(map(was_trained, study.get_trials(deepcopy=False))),
    }
    if len(study.directions) > 1:
        return {**summary, "pareto_front": [trial_record(t, names, json_keys) for t in study.best_trials]}
    try:
        return {**summary, "best_trial": trial_record(study.best_trial, names, json_keys)}
    except ValueError:  # no complete trial
        return {**summary, "best_trial": None}


def trials_csv(study) -> str:
    """All trials, one row each, with the columns of study.trials_dataframe(); params decoded, lists as JSON."""
    names, json_keys = objective_names_of(study), json_keys_of(study)
    trials = study.get_trials(deepcopy=False)
    params = sorted({k for t in trials for k in t.params})
    attrs = sorted({k for t in trials for k in t.user_attrs})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "number",
            *(f"values_{n}" for n in names),
            "datetime_start",
            "datetime_complete",
            "duration_seconds",
            *(f"params_{k}" for k in params),
            *(f"user_attrs_{k}" for k in attrs),
            "state",
        ]
    )
    for t in trials:
        duration = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else None
        )
        decoded = decode_params(t.params, json_keys)
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    t.number,
                    *(t.values or [None] * len(names)),
                    t.datetime_start,
                    t.datetime_complete,
                    duration,
                    *(decoded.get(k) for k in params),
                    *(t.user_attrs.get(k) for k in attrs),
                    t.state.name,
                )
            ]
        )
    return out.getvalue()


def csv_cell(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else "" if value is None else value


def write_outputs(study, study_dir: Path) -> list:
    """best_optuna_params.json or pareto_front_params.json, trials.csv and analysis_plots/*.html."""
    summary = best_summary(study)
    best_file = study_dir / ("pareto_front_params.json" if "pareto_front" in summary else "best_optuna_params.json")
    write_json_atomic(best_file, summary)
    write_text_atomic(study_dir / "trials.csv", trials_csv(study))
    return [best_file, study_dir / "trials.csv", *write_plots(study, study_dir / "analysis_plots")]


def write_plots(study, plots_dir: Path) -> list:
    """Optuna's plots, one HTML page each (one figure per objective), sharing one plotly.min.js."""
    import optuna.visualization as vis
    import plotly.offline
    from optuna.importance import PedAnovaImportanceEvaluator  # needs no scikit-learn, unlike fANOVA

    plots_dir.mkdir(exist_ok=True)
    if not (plots_dir / "plotly.min.js").is_file():
        write_text_atomic(plots_dir / "plotly.min.js", plotly.offline.get_plotlyjs())
    names = objective_names_of(study)
    single = len(names) == 1

    def target(i: int, sign: float = 1.0):  # None: the study's own value and direction (one objective)
        return None if single else lambda t: sign * t.values[i]

    def lower_is_better(i: int):  # PED-ANOVA ranks a given target low-is-better
        return target(i, -1.0 if study.directions[i] == optuna.study.StudyDirection.MAXIMIZE else 1.0)

    plots = {
        "optimization_history": lambda i: vis.plot_optimization_history(study, target=target(i), target_name=names[i]),
        "param_importances": lambda i: vis.plot_param_importances(
            study, evaluator=PedAnovaImportanceEvaluator(), target=lower_is_better(i), target_name=names[i]
        ),
        "parallel_coordinate": lambda i: vis.plot_parallel_coordinate(study, target=target(i), target_name=names[i]),
        "slice": lambda i: vis.plot_slice(study, target=target(i), target_name=names[i]),
        "contour": lambda i: vis.plot_contour(study, target=target(i), target_name=names[i]),
    }
    pages = {name: lambda plot=plot: [plot(i) for i in range(len(names))] for name, plot in plots.items()}
    if single:  # every trial's eval return at each evaluation (Optuna's intermediate values)
        pages["intermediate_values"] = lambda: [vis.plot_intermediate_values(study)]
    else:
        pages["pareto_front"] = lambda: [vis.plot_pareto_front(study, target_names=names)]
    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings(
            "ignore", "PedAnovaImportanceEvaluator computes", UserWarning
        )  # targets are lower_is_better
        for name, figures in pages.items():
            try:
                body = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures())
            except Exception as exc:  # e.g. too few complete trials for this plot
                log.warning("%s.html: %s", name, exc)
                body = f"<p>{html.escape(name)}: not available for this study ({html.escape(str(exc))})</p>"
            path = plots_dir / f"{name}.html"
            write_text_atomic(
                path,
                f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(study.study_name)}: '
                f'{name}</title><script src="plotly.min.js"></script></head>\n<body>\n{body}\n</body></html>\n',
            )
            written.append(path)
    return written


def state_counts(study) -> dict:
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials) for state in TrialState}
    counts["finished"] = sum(map(was_trained, trials))
    counts["failed_before_training"] = sum(t.state == TrialState.FAIL and not was_trained(t) for t in trials)
    return counts


def print_summary(console: Console, study, n_trials: int, wall_seconds: float, progress: BatchProgress) -> None:
    counts = state_counts(study)
    table = Table(
        title=f"study '{study.study_name}': {counts['finished']} of {n_trials} trials finished", show_header=False
    )
    rows = [
        ("result", best_text(study)),
        (
            "complete / pruned / failed",
            f"{counts['complete']} / {counts['pruned']} / {counts['fail'] - counts['failed_before_training']}",
        ),
        ("not trained (interrupted, budget reached, error)", str(counts["failed_before_training"])),
        ("wall time", f"{wall_seconds:.1f}s"),
        (
            "env-steps/s (this worker)",
            f"{progress.env_steps / progress.train_seconds:,.0f}" if progress.train_seconds else "-",
        ),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


# ---------------------------------------------------------------- study-status, study-best, study-export


def load_stored_study(study_dir: str, storage: str | None):
    """The study a study directory's study.json names, in its storage (or the --storage given)."""
    path = Path(study_dir)
    if not (path / STUDY_FILE).is_file():
        raise InputError(f"--study-dir {path}: no {STUDY_FILE} there; give the directory optuna-hp-search wrote")
    stored = json.loads((path / STUDY_FILE).read_text())["args"]
    if storage is not None:
        check_storage(storage)
    source = storage or stored.get("storage")
    url = connect_url(path, source)
    if storage is None and stored.get("storage") is None and not (path / DB_FILE).is_file():
        raise InputError(f"--study-dir {path}: no {DB_FILE} there; the study's storage is gone")
    try:
        return optuna.load_study(study_name=stored["study_name"], storage=url)
    except KeyError:
        raise InputError(f"{mask_url(url)} holds no study '{stored['study_name']}'") from None
    except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as exc:
        first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        dropped = source is not None and sqlalchemy.engine.make_url(source).password == "***"
        hint = "; study.json keeps no password: give --storage with it, or set PGPASSWORD" if dropped else ""
        raise InputError(
            f"cannot open study '{stored['study_name']}' in {mask_url(url)}: {redact(first_line, url)}{hint}"
        ) from None


def study_status(study_dir: str, storage: str | None, console: Console) -> None:
    study = load_stored_study(study_dir, storage)
    counts = state_counts(study)
    table = Table(title=f"study '{study.study_name}'")
    table.add_column("", justify="left")
    table.add_column("trials", justify="right")
    for key in ("finished", "complete", "pruned", "fail", "failed_before_training", "running", "waiting"):
        table.add_row(key.replace("_", " "), str(counts[key]))
    console.print(table)
    console.print(best_text(study))


def study_best(study_dir: str, storage: str | None) -> str:
    return json.dumps(best_summary(load_stored_study(study_dir, storage)), indent=2)


def study_export(study_dir: str, storage: str | None, fmt: str) -> str:
    study = load_stored_study(study_dir, storage)
    if fmt == "csv":
        return trials_csv(study)
    names, json_keys = objective_names_of(study), json_keys_of(study)
    return json.dumps(
        [trial_record(t, names, json_keys) for t in study.get_trials(deepcopy=False)], indent=2, default=str
    )
