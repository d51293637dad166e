"""One worker of a study: trials stream through a slot pool, asked as slots free and told as they end.

study (storage) -> study.ask() whenever the pool has room -> the trial's sample trains in a slot of a
fixed-width program of its structure -> after each evaluation the pruner may stop it -> its directory is
written and it is told at once, and its slot is refilled. This is the only module of the study that
trains: a trial becomes a `Sample` whose id is the trial number, and the runner's metrics row becomes the
trial's values and user attrs.
"""

import json
import logging
import math
import os
import socket
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import optuna
from optuna.trial import TrialState
from rich.console import Console

from hyperlax.commands.agents import AgentSaving
from hyperlax.commands.execute import make_runner, note_return_range, param_count, stream
from hyperlax.commands.options import SearchArgs
from hyperlax.commands.pruning import PrunerSettings, make_pruner
from hyperlax.commands.rundir import (
    EnvChoice,
    env_choice,
    exclusive,
    make_run_dir,
    parse_env_kwargs,
    parse_return_range,
    run_record,
)
from hyperlax.commands.settings import check_structures, run_settings
from hyperlax.commands.signals import deferred, interrupted
from hyperlax.commands.study._agents import best_when_told, link_artifacts, selected_agents
from hyperlax.commands.study._args import (
    check_objectives_available,
    reevaluation_of,
    resolve_args,
    study_record,
    study_target,
    warm_start_of,
)
from hyperlax.commands.study._constraints import CONSTRAINT_ATTR, parse_bounds, violations
from hyperlax.commands.study._ledger import (
    FINISHED_ELSEWHERE,
    Heartbeats,
    TrialIds,
    beyond_budget,
    fail_stale_trials,
    fail_untrained,
    retry_stale,
    was_trained,
)
from hyperlax.commands.study._lines import header_lines, trial_line
from hyperlax.commands.study._params import suggest_values
from hyperlax.commands.study._reevaluate import reevaluate
from hyperlax.commands.study._reports import best_text, print_summary, write_outputs
from hyperlax.commands.study._samplers import make_sampler
from hyperlax.commands.study._selection import best_trial
from hyperlax.commands.study._storage import DB_FILE, STUDY_FILE, connect_url, mask_url, open_study
from hyperlax.commands.study._tracking import TRACKERS, StudyInfo, open_trackers
from hyperlax.commands.study._warm import PHASES_ATTR, default_params, enqueue_top, warm_start
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Runner, Sample
from hyperlax.results.files import (
    SUMMARY_COLUMNS,
    claim_numbered_dir,
    is_complete,
    write_json_atomic,
    write_samples,
    write_text_atomic,
)
from hyperlax.results.objectives import COST_METRICS as COSTS
from hyperlax.results.outcomes import Reason, Status
from hyperlax.results.progress import BatchProgress
from hyperlax.space.distributions import Categorical

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def trial_dir_name(number: int) -> str:
    return f"trial_{number:05d}"


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
    """One worker: trials stream through a slot pool; each is asked when a slot frees and told when it ends.

    Ask: whenever the pool has room (at most --optuna-study-batch-size per pool step), while fewer than
    --n-trials trials are trained, training or waiting over all workers. Tell: right after the trial's
    directory is written (pool_NNNN/trial_NNNNN), so the sampler sees every result that exists.
    """

    def __init__(self, study, storage, runner: Runner, recipe, args: SearchArgs, study_dir: Path, console: Console):
        self.study, self.runner = study, runner
        self.args, self.study_dir, self.console = args, study_dir, console
        self.distributions, self.conditions = recipe.distributions, recipe.conditions
        self.defaults = recipe.defaults()
        self.trial_ids = TrialIds(storage, study.study_name)
        self.asked = {}  # trial number -> trial, for the trials in the pool, until told
        self.heartbeats = Heartbeats(storage, args.heartbeat_interval)
        settings = runner.settings
        self.progress = BatchProgress(console, args.n_trials, settings.num_evaluations, "trials")
        self.capacity = args.runner_hparam_batch_size
        self.deadline = None if args.timeout is None else time.monotonic() + args.timeout
        self.tracker = None  # the study's trackers (MLflow, W&B, TensorBoard): hyperlax.commands.study._tracking
        self.bounds = parse_bounds(args.constraint)
        self.param_counts = {}  # structure -> trainable parameters: shapes depend on the structure alone
        # --save-agents best: the trials best when told, unless a re-evaluation selects (study._agents)
        mode = "none" if args.save_agents == "best" and args.reevaluate_top else args.save_agents
        wanted = lambda sample, row: best_when_told(study, args.objective_names, row)  # noqa: E731
        self.saving = AgentSaving(mode, recipe, runner, wanted, single=True)
        if mode != "none" and not runner.can_keep_agents():
            console.print(f"--save-agents {mode}: algorithm {runner.algorithm.NAME} has no make_policy; none saved")

    def timed_out(self) -> bool:
        """--timeout has passed: no new trial is asked; those in training finish."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def out_of_patience(self) -> bool:
        """--patience K: K trials finished after the best one (by completion) without beating it."""
        best = None if self.args.patience is None else best_trial(self.study)
        if best is None:
            return False
        later = [t for t in self.study.get_trials(deepcopy=False) if was_trained(t) and t.datetime_complete]
        return sum(t.datetime_complete > best.datetime_complete for t in later) >= self.args.patience

    def stopped(self) -> bool:
        """No new trial is asked: --timeout passed, or --patience ran out; those in training finish."""
        return self.timed_out() or self.out_of_patience()

    def run(self) -> None:
        with self.heartbeats, self.progress:
            self.tell_finished_on_disk()
            while self.unfinished():
                if not self.stream():  # nothing to ask: other workers hold the rest of the budget
                    time.sleep(self.args.heartbeat_interval)

    def unfinished(self) -> bool:
        fail_stale_trials(self.study, self.heartbeats, self.trial_ids)
        trials = self.study.get_trials(deepcopy=False)
        self.show(trials)
        return sum(map(was_trained, trials)) < self.args.n_trials and not self.stopped()

    def stream(self) -> int:
        """Train trials through one pool until nothing more can be asked; how many ended."""
        pool = SlotPool.for_runner(self.runner, self.capacity)
        pool_dir = claim_numbered_dir(self.study_dir, "pool")  # workers sharing the directory never share one
        single = len(self.args.objective_names) == 1
        try:
            keep = self.saving.keeps if self.saving.active else None
            ended = stream(pool, self.next_samples, lambda *result: self.tell(pool_dir, *result),
                           self.should_stop if single else None, self.progress, keep)  # fmt: skip
        except BaseException as exc:
            self.fail_asked(exc)
            raise
        write_text_atomic(pool_dir / "success.txt", f"{ended} trials\n")
        return ended

    def next_samples(self, room: int) -> list:
        """Ask up to `room` trials (waiting, re-enqueued ones first) within the budget, as samples."""
        trials = self.study.get_trials(deepcopy=False)
        finished = sum(map(was_trained, trials))
        running = sum(t.state == TrialState.RUNNING for t in trials)
        count = min(room, self.args.optuna_study_batch_size, self.args.n_trials - finished - running)
        if self.stopped():
            return []
        samples = []
        for _ in range(max(0, count)):
            # A signal waits until the trial is recorded as asked: it is then failed as interrupted (its parameters
            # enqueued again where it has any), not left RUNNING by a worker that no longer knows it.
            with deferred(), warnings.catch_warnings():  # Optuna expects heartbeats with optimize(); see Heartbeats
                warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)
                trial = self.study.ask()
                self.heartbeats.add(self.trial_ids(trial.number))
                self.asked[trial.number] = trial
            values = suggest_values(trial, self.distributions, self.conditions, self.defaults)
            samples.append(Sample.from_values(trial.number, values, self.defaults))
        beyond = set(
            beyond_budget(self.study.get_trials(deepcopy=False), [s.sample_id for s in samples], self.args.n_trials)
        )
        for number in beyond:
            self.heartbeats.discard(self.trial_ids(number))
            fail_untrained(self.study, self.trial_ids, self.asked.pop(number), Reason.BUDGET_REACHED)
        return [s for s in samples if s.sample_id not in beyond]

    def fail_asked(self, exc: BaseException) -> None:
        """Fail the trials still in training: retried when interrupted, not after an error."""
        interrupted = not isinstance(exc, Exception)
        reason = Reason.INTERRUPTED if interrupted else Reason.ERROR
        detail = "" if interrupted else f"error: {type(exc).__name__}: {exc}"[:500]
        for trial in self.asked.values():
            fail_untrained(self.study, self.trial_ids, trial, reason, detail, retry=interrupted)
        self.asked.clear()

    def should_stop(self, sample, evaluation: int, mean_return: float) -> bool:
        """Report a trial's eval return at an evaluation (Optuna's intermediate value at that step) and ask
        the study's pruner; a single-objective study only, as Optuna prunes no other."""
        trial = self.asked[sample.sample_id]
        trial.report(mean_return, evaluation)
        return trial.should_prune()

    def tell(self, pool_dir: Path, sample, row: dict, returns, eval_steps, agent=None) -> None:
        """Write the trial's directory (with its agent, when kept; linked to the trial as an artifact), then
        tell it."""
        trial_dir = pool_dir / trial_dir_name(sample.sample_id)
        structure = self.runner.structure_of(sample)
        if structure not in self.param_counts:
            self.param_counts[structure] = param_count(self.runner, sample)
        row = {**row, "param_count": self.param_counts[structure]}
        extra = None if agent is None else self.saving.writer([sample], [row], {sample.sample_id: agent})
        with deferred():  # written and told, or neither: never forgotten as asked and left RUNNING
            write_samples(trial_dir, [sample], [row], returns, eval_steps, extra)
            if extra is not None and sample.sample_id in self.asked:
                try:
                    link_artifacts(self.asked[sample.sample_id], self.study_dir, trial_dir)
                except FINISHED_ELSEWHERE:  # told by another worker meanwhile: the agent stays in its directory
                    log.warning("trial %d was finished elsewhere; its agent is not linked", sample.sample_id)
            self.tell_row(sample.sample_id, row, trial_dir, structure, sample.values)
            self.asked.pop(sample.sample_id, None)

    def tell_row(self, number: int, row: dict, trial_dir: Path, structure: tuple, values_of: dict) -> None:
        values = [row.get(name) for name in self.args.objective_names]
        state, reason_code, reason = trial_outcome(row, values)
        attrs = {k: row[k] for k in (*SUMMARY_COLUMNS, *COSTS) if row.get(k) not in (None, "")}
        attrs.update(reason=reason, reason_code=str(reason_code), batch_dir=str(trial_dir.relative_to(self.study_dir)))
        attrs.update(structural_key=dict(structure), worker=WORKER)
        if self.bounds and state != TrialState.FAIL:
            attrs[CONSTRAINT_ATTR] = violations(self.bounds, row)
        storage, trial_id = self.trial_ids.storage, self.trial_ids(number)
        try:
            for key, value in attrs.items():
                storage.set_trial_user_attr(trial_id, key, value)
            if CONSTRAINT_ATTR in attrs:  # what Optuna's samplers, best_trials and plots read
                trial = optuna.trial.Trial(self.study, trial_id)
                for bound, value in zip(self.bounds, attrs[CONSTRAINT_ATTR], strict=True):
                    trial.set_constraint(str(bound), value)
            # A pruned trial's value is its last reported intermediate value (Optuna's rule).
            self.study.tell(number, values if state == TrialState.COMPLETE else None, state=state)
        except FINISHED_ELSEWHERE:
            log.warning("trial %d was already finished by another worker; its result stays in %s", number, trial_dir)
        else:
            if self.tracker is not None:
                self.tracker.log_trial(number, state.name, row, trial_dir)
            if not self.args.quiet:
                bounds = attrs.get(CONSTRAINT_ATTR)
                line = trial_line(number, state.name, values, reason, values_of, self.defaults, bounds)
                self.console.print(line, markup=False, highlight=False)
        self.heartbeats.discard(trial_id)
        self.show(self.study.get_trials(deepcopy=False))

    def tell_finished_on_disk(self) -> None:
        """Tell the RUNNING trials whose directory is complete: a worker stopped between writing and telling
        them, and their result is final, so they need no training again."""
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            for trial_dir in self.study_dir.glob(f"pool_*/{trial_dir_name(trial.number)}"):
                if is_complete(trial_dir):
                    [row] = json.loads((trial_dir / "metrics.json").read_text())
                    [stored] = json.loads((trial_dir / "hparams.json").read_text())
                    structure = self.runner.structure_of(Sample(trial.number, stored["values"], stored["config"]))
                    log.warning("trial %d: its result was on disk but not told; told now", trial.number)
                    self.tell_row(trial.number, row, trial_dir, structure, stored["values"])

    def show(self, trials: list) -> None:
        finished = sum(map(was_trained, trials))
        self.progress.set_finished(finished)
        self.progress.set_extra(best_text(self.study, short=True))


def open_tracking(args: SearchArgs, record: dict, storage: str):
    """The study's trackers (--mlflow-tracking-uri, --wandb-project, --tensorboard-dir), or None; each is given
    the study's settings."""
    keys = ("recipe", "env_config", "seed", "num_seeds", "total_timesteps", "num_evaluations", "eval_episodes")
    settings = {**{k: record[k] for k in keys}, "sampler": args.sampler, "pruner": args.pruner}
    settings.update(objective_names=args.objective_names, objective_directions=args.objective_directions)
    return open_trackers(
        {option: getattr(args, option) for option in TRACKERS}, StudyInfo(args.study_name, storage, settings)
    )


def reports_after_interrupt(study, study_dir: Path) -> bool:
    """The told trials are in storage, so their reports are written too; quietly (the interrupt's one line
    stays the only one), and a report error cannot hide the interrupt."""
    verbosity = optuna.logging.get_verbosity()
    try:
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_outputs(study, study_dir)
        return True
    except Exception as exc:
        log.info("reports after the interrupt: %s", exc)
        return False
    finally:
        optuna.logging.set_verbosity(verbosity)


def search(args: SearchArgs, console: Console) -> Path:
    given = args
    args, study_dir, recipe, continuing = resolve_args(args)
    if args.n_jobs > 1:
        from hyperlax.commands.study._jobs import run_jobs

        return run_jobs(given, args, study_dir, continuing, console)
    recipe, warm_params, phases = warm_start(recipe, warm_start_of(args))
    if args.enqueue_defaults:  # the default first: the study's picks are measured against it
        warm_params = [default_params(recipe), *warm_params]
    optuna.logging.set_verbosity(logging.getLogger().getEffectiveLevel())
    settings = run_settings(recipe, args, hparam_batch_size=args.runner_hparam_batch_size, group_by_structure=True)
    env = env_choice(vars(args), study_dir / STUDY_FILE if continuing else None, args.allow_env_change)
    spec, runner = make_runner(recipe, env, settings)
    check_objectives_available(args.objective_names, spec)
    check_structures(runner, recipe, args.runner_hparam_batch_size, "--runner-hparam-batch-size")
    # One writer per study directory, unless the study lives in a shared storage: its workers may share one.
    with exclusive(study_dir) if args.storage is None else nullcontext():
        return run_study(args, study_dir, recipe, continuing, runner, console, (warm_params, phases))


def run_study(
    args: SearchArgs, study_dir: Path, recipe, continuing: bool, runner: Runner, console: Console, warm=([], [])
) -> Path:
    settings, spec = runner.settings, runner.spec
    note_return_range(console, spec)
    record = study_record(recipe, spec, settings, args, warm[1])
    population = args.nsga_population or args.optuna_study_batch_size
    sampler = make_sampler(args.sampler, args.seed, population, args.sampler_startup_trials, recipe.distributions)
    categorical = sorted(k for k, d in recipe.distributions.items() if isinstance(d, Categorical))
    if args.sampler == "cmaes" and categorical:  # said once here: a sampler built per trial would warn every trial
        log.warning("--sampler cmaes cannot sample categorical parameters; drawn at random: %s", ", ".join(categorical))
    url = connect_url(study_dir, args.storage)
    pruner = make_pruner(PrunerSettings.of(args), settings.num_evaluations)
    study, storage = open_study(url, study_target(args), sampler, pruner, record, retry_stale)
    enqueue_top(study, *warm)  # a new study warm-started from a previous one: its top trials first
    make_run_dir(study_dir)  # with a shared storage, only once it opened and matched
    stored_url = args.storage and mask_url(args.storage)
    stored = run_record(args, settings, recipe, spec, storage=stored_url)
    write_json_atomic(study_dir / STUDY_FILE, {**stored, PHASES_ATTR: study.user_attrs.get(PHASES_ATTR, [])})
    width = runner.program_width(args.runner_hparam_batch_size)
    for line in header_lines(args, recipe, spec, settings, width, mask_url(url), continuing):
        console.print(line, markup=False, highlight=False)
    start = time.perf_counter()
    worker = Search(study, storage, runner, recipe, args, study_dir, console)
    worker.tracker = open_tracking(args, record, stored_url or str(study_dir / DB_FILE))
    try:
        worker.run()
    except KeyboardInterrupt as exc:
        told = sum(map(was_trained, study.get_trials(deepcopy=False)))
        reports = ", reports and plots written" if reports_after_interrupt(study, study_dir) else ""
        kept = (
            f"{told} finished trials are kept in the study{reports}, the trials in training were failed as "
            f"interrupted and enqueued again"
        )
        raise interrupted(exc, kept, study_dir) from None
    if worker.out_of_patience():
        console.print(
            f"--patience {args.patience}: {best_text(study)} was not beaten by the {args.patience} trials that "
            f"finished after it; no new trial was asked"
        )
    elif worker.timed_out():
        console.print(
            f"--timeout {args.timeout}s reached: no new trial was asked; continue with --resume-from {study_dir}"
        )
    if worker.tracker is not None:  # the study's tracking ends with this worker; a resume or other worker reopens it
        worker.tracker.finish()
    env = EnvChoice(spec.name, parse_env_kwargs(args.env_kwargs), parse_return_range(args.return_range))
    reevaluate(study, recipe, reevaluation_of(args, env), settings, study_dir, console, WORKER)
    files = write_outputs(study, study_dir)
    rate = runner.meter.rate or None  # the pools of this worker (re-evaluation has its own runner)
    wall = time.perf_counter() - start
    print_summary(console, study, args.n_trials, wall, rate)
    console.print(f"throughput (this worker): {runner.meter.summary(wall)}")
    console.print(f"study: {study_dir}  ({', '.join(str(f.relative_to(study_dir)) for f in files)})")
    if agents := selected_agents(study, study_dir):
        console.print(f"agents: {', '.join(map(str, agents))} (hyperlax evaluate --agent DIR)")
    return study_dir
