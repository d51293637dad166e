"""One worker's loop: fail stale trials, ask a super-batch, train it through the runner, tell every trial.

study (storage) -> a super-batch of --optuna-study-batch-size trials asked at once -> the runner's batches
of --runner-hparam-batch-size, grouped by structure -> every trial told back. This is the only module of
the study that trains: a trial becomes a `Sample` whose id is the trial number, and the runner's metrics
row becomes the trial's values and user attrs.
"""

import logging
import math
import os
import socket
import time
import warnings
from pathlib import Path

import optuna
from optuna.trial import TrialState
from rich.console import Console

from hyperlax.outcomes import Reason, Status
from hyperlax.progress import BatchProgress
from hyperlax.results import SUMMARY_COLUMNS, write_json_atomic
from hyperlax.run import make_runner, run_plans, run_record, run_settings
from hyperlax.runner import Runner, Sample
from hyperlax.space import Categorical
from hyperlax.study._args import SearchArgs, resolve_args
from hyperlax.study._ledger import (
    FINISHED_ELSEWHERE,
    Heartbeats,
    TrialIds,
    beyond_budget,
    fail_stale_trials,
    fail_untrained,
    retry_stale,
    was_trained,
)
from hyperlax.study._params import json_encoded_keys, suggest_values
from hyperlax.study._reports import best_text, print_summary, write_outputs
from hyperlax.study._samplers import make_pruner, make_sampler
from hyperlax.study._storage import STUDY_FILE, connect_url, mask_url, open_study

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


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


def estimated_batches(num_trials: int, super_batch: int, runner_batch: int) -> int:
    full, rest = divmod(max(0, num_trials), super_batch)
    return full * math.ceil(super_batch / runner_batch) + math.ceil(rest / runner_batch)


def trial_outcome(row: dict, values: list) -> tuple[TrialState, str, str]:
    """A runner row as Optuna state, reason code and reason text."""
    if row["status"] == Status.PRUNED:
        return TrialState.PRUNED, row["reason_code"], row["reason"]
    if row["status"] != Status.OK:
        return TrialState.FAIL, row["reason_code"], row["reason"]
    if not all(v is not None and math.isfinite(v) for v in values):
        return TrialState.FAIL, Reason.NON_FINITE_OBJECTIVE, "an objective is not finite"
    return TrialState.COMPLETE, "", ""


class Search:
    """One worker's loop: fail stale trials, ask a super-batch, train it through the runner, tell it."""

    def __init__(self, study, storage, runner: Runner, recipe, args: SearchArgs, study_dir: Path, console: Console):
        self.study, self.runner = study, runner
        self.args, self.study_dir, self.console = args, study_dir, console
        self.distributions = recipe.distributions
        self.defaults = recipe.defaults()
        self.trial_ids = TrialIds(storage, study.study_name)
        self.asked = {}  # trial number -> (trial, values) of the super-batch in training, until told
        self.heartbeats = Heartbeats(storage, args.heartbeat_interval)
        self.progress = BatchProgress(console, 0, runner.settings.num_evaluations)

    def run(self) -> None:
        with self.heartbeats, self.progress:
            while self.step():
                pass

    def step(self) -> bool:
        """Ask and train one super-batch, or wait for other workers; False once the budget is finished."""
        a = self.args
        fail_stale_trials(self.study, self.heartbeats, self.trial_ids)
        trials = self.study.get_trials(deepcopy=False)
        finished = sum(map(was_trained, trials))
        running = sum(t.state == TrialState.RUNNING for t in trials)
        self.show(trials)
        if finished >= a.n_trials:
            self.progress.set_total_batches(self.progress.done_batches)
            return False
        to_ask = min(a.optuna_study_batch_size, a.n_trials - finished - running)
        if to_ask <= 0:
            self.progress.set_extra(f"· trials {finished}/{a.n_trials} · waiting for {running} trials of other workers")
            time.sleep(a.heartbeat_interval)
            return True
        try:
            self.ask(to_ask)
            rest = a.n_trials - finished - running - len(self.asked)
            self.train(estimated_batches(rest, a.optuna_study_batch_size, a.runner_hparam_batch_size))
        except BaseException as exc:
            interrupted = not isinstance(exc, Exception)
            reason = Reason.INTERRUPTED if interrupted else Reason.ERROR
            detail = "" if interrupted else f"error: {type(exc).__name__}: {exc}"[:500]
            for trial, _ in self.asked.values():
                fail_untrained(self.study, self.trial_ids, trial, reason, detail, retry=interrupted)
            self.asked.clear()
            raise
        return True

    def ask(self, count: int) -> None:
        """Ask a super-batch (waiting, re-enqueued trials first), then drop the trials beyond the budget."""
        for _ in range(count):
            with warnings.catch_warnings():  # Optuna expects heartbeats with optimize(); Heartbeats records them here
                warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)
                trial = self.study.ask()
            self.heartbeats.add(self.trial_ids(trial.number))
            self.asked[trial.number] = (trial, suggest_values(trial, self.distributions))
        for number in beyond_budget(self.study.get_trials(deepcopy=False), list(self.asked), self.args.n_trials):
            trial, _ = self.asked.pop(number)
            self.heartbeats.discard(self.trial_ids(number))
            fail_untrained(self.study, self.trial_ids, trial, Reason.BUDGET_REACHED)

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
            values = [row.get(name) for name in self.args.objective_names]
            state, reason_code, reason = trial_outcome(row, values)
            attrs = {k: row[k] for k in SUMMARY_COLUMNS if row.get(k) not in (None, "")}
            attrs.update(
                reason=reason, reason_code=str(reason_code), batch_dir=str(batch_dir.relative_to(self.study_dir))
            )
            attrs.update(structural_key=dict(plan.structural_key), worker=WORKER)
            try:
                for key, value in attrs.items():
                    trial.set_user_attr(key, value)
                # A pruned trial's value is its last reported intermediate value (Optuna's rule).
                self.study.tell(trial, values if state == TrialState.COMPLETE else None, state=state)
            except FINISHED_ELSEWHERE:
                log.warning(
                    "trial %d was failed by another worker that saw no heartbeat from this one; its result stays in %s",
                    trial.number,
                    batch_dir,
                )
            self.heartbeats.discard(self.trial_ids(trial.number))
        self.show(self.study.get_trials(deepcopy=False))

    def show(self, trials: list) -> None:
        finished = sum(map(was_trained, trials))
        self.progress.set_extra(f"· trials {finished}/{self.args.n_trials} · {best_text(self.study)}")


def study_record(recipe, spec, settings, args: SearchArgs) -> dict:
    """What the study itself keeps: workers on other machines check their settings against it."""
    return {
        "recipe": recipe.name,
        "env_config": spec.name,
        "seed": args.seed,
        "num_seeds": settings.num_seeds,
        "total_timesteps": settings.total_timesteps,
        "num_evaluations": settings.num_evaluations,
        "eval_episodes": settings.eval_episodes,
        "distributions": {k: repr(v) for k, v in sorted(recipe.distributions.items())},
        "json_encoded_params": json_encoded_keys(recipe.distributions),
    }


def search(args: SearchArgs, console: Console) -> Path:
    args, study_dir, recipe, continuing = resolve_args(args)
    optuna.logging.set_verbosity(logging.getLogger().getEffectiveLevel())
    settings = run_settings(recipe, args, hparam_batch_size=args.runner_hparam_batch_size, group_by_structure=True)
    spec, runner = make_runner(recipe, args.env_config, settings)
    record = study_record(recipe, spec, settings, args)
    sampler = make_sampler(args.sampler, args.seed, args.optuna_study_batch_size)
    categorical = sorted(k for k, d in recipe.distributions.items() if isinstance(d, Categorical))
    if args.sampler == "cmaes" and categorical:  # said once here: a sampler built per trial would warn every trial
        log.warning("--sampler cmaes cannot sample categorical parameters; drawn at random: %s", ", ".join(categorical))
    url = connect_url(study_dir, args.storage)
    if args.storage is None:  # the SQLite file lives in the study directory
        study_dir.mkdir(parents=True, exist_ok=True)
    pruner = make_pruner(args.pruner, settings.num_evaluations)
    study, storage = open_study(url, args, sampler, pruner, record, retry_stale)
    study_dir.mkdir(parents=True, exist_ok=True)  # with a shared storage, only once it opened and matched
    stored_url = args.storage and mask_url(args.storage)
    write_json_atomic(study_dir / STUDY_FILE, run_record(args, settings, recipe, spec, storage=stored_url))
    objectives = ", ".join(f"{n} ({d})" for n, d in zip(args.objective_names, args.objective_directions, strict=True))
    console.print(
        f"optuna study '{args.study_name}'{' (continued)' if continuing else ''}: {args.n_trials} trials of "
        f"{recipe.name} on {spec.name} ({spec.gymnax_id}), sampler {args.sampler}, pruner {args.pruner}, "
        f"{objectives}; super-batches of {args.optuna_study_batch_size}, runner batches of "
        f"{args.runner_hparam_batch_size}, {settings.num_seeds} seeds, {settings.total_timesteps} env steps "
        f"each -> {mask_url(url)}"
    )
    start = time.perf_counter()
    worker = Search(study, storage, runner, recipe, args, study_dir, console)
    worker.run()
    files = write_outputs(study, study_dir)
    progress = worker.progress
    rate = progress.env_steps / progress.train_seconds if progress.train_seconds else None
    print_summary(console, study, args.n_trials, time.perf_counter() - start, rate)
    console.print(f"study: {study_dir}  ({', '.join(str(f.relative_to(study_dir)) for f in files)})")
    return study_dir
