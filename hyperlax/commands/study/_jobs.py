"""--n-jobs N: N local worker processes on one storage, shown as one progress bar.

Each worker is the same optuna-hp-search command with --n-jobs 1 and the shared storage (without --storage, a
journal file in the study directory: SQLite takes one writer at a time), run quietly with its output in
worker_N.log of the study directory. Workers of one study train exactly --n-trials between them (the ledger's
budget rule, as for workers on several machines). Devices: one GPU per worker when several are visible
(CUDA_VISIBLE_DEVICES), else the CPU cores split into N contiguous sets (each worker sizes its programs to its
own set). Ctrl-C or SIGTERM to this process is passed to every worker as SIGINT: each fails its trials in
training as interrupted and enqueues them again, as a single worker does, so --resume-from continues.
"""

import dataclasses
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hyperlax.commands.options import SearchArgs, as_argv
from hyperlax.commands.rundir import exclusive
from hyperlax.commands.signals import interrupted
from hyperlax.commands.study._ledger import was_trained
from hyperlax.commands.study._reports import best_text, print_summary, write_outputs
from hyperlax.commands.study._storage import JOURNAL, JOURNAL_FILE, make_storage, mask_url
from hyperlax.errors import InputError, RunFailed

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Placement:
    """Where one worker runs: environment variables to set and the CPU cores it may use (None: all)."""

    env: dict
    cores: tuple | None
    text: str


def visible_gpus() -> list:
    """The GPUs a CUDA-enabled JAX would see, found without starting JAX (it would take their memory)."""
    if os.environ.get("JAX_PLATFORMS", "").lower() in ("cpu", "tpu"):
        return []
    if not any(importlib.util.find_spec(p) for p in ("jax_cuda12_plugin", "jax_cuda13_plugin")):
        return []
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return [d.strip() for d in given.split(",") if d.strip() and d.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(line for line in listing.splitlines() if line.startswith("GPU "))]


def placements(n_jobs: int, gpus: list, cores: list) -> list:
    """One GPU per worker when there are several (round robin; workers sharing one do not preallocate its
    memory), else contiguous sets of CPU cores, as even as they divide (a worker gets at least one)."""
    if len(gpus) > 1 or (gpus and n_jobs > 1):
        shared = n_jobs > len(gpus)
        extra = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"} if shared else {}
        return [
            Placement({"CUDA_VISIBLE_DEVICES": gpus[i % len(gpus)], **extra}, None, f"GPU {gpus[i % len(gpus)]}")
            for i in range(n_jobs)
        ]
    if n_jobs > len(cores):
        return [Placement({}, (cores[i % len(cores)],), f"core {cores[i % len(cores)]}") for i in range(n_jobs)]
    bounds = [round(i * len(cores) / n_jobs) for i in range(n_jobs + 1)]
    sets = [tuple(cores[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [Placement({}, s, f"cores {s[0]}-{s[-1]}" if len(s) > 1 else f"core {s[0]}") for s in sets]


def usable_cores() -> list:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def job_storage(resolved: SearchArgs, study_dir: Path, continuing: bool) -> str:
    """The storage the workers share: the one given or stored, else a journal file in the study directory."""
    if resolved.storage is not None:
        return resolved.storage
    if continuing:
        raise InputError(
            f"--n-jobs {resolved.n_jobs}: the study in {study_dir} lives in its SQLite file, which takes one writer; "
            "continue it with --n-jobs 1, or start the study with --n-jobs (a journal file) or a --storage server"
        )
    return f"{JOURNAL}{(study_dir / JOURNAL_FILE).resolve()}"


def worker_argv(args: SearchArgs, storage: str, given_storage: bool) -> list:
    """The worker's command line: this command's options, --n-jobs 1, and the shared storage."""
    worker = dataclasses.replace(args, n_jobs=1, storage=args.storage if given_storage else storage)
    return [sys.executable, "-m", "hyperlax.cli", "optuna-hp-search", *as_argv(worker)]


def start_worker(argv: list, placement: Placement, log_path: Path) -> subprocess.Popen:
    with log_path.open("a") as log:  # the child keeps its own descriptor
        worker = subprocess.Popen(
            argv,
            env={**os.environ, **placement.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C at the terminal reaches this process, which passes it on once
        )
    if placement.cores:  # at once, while the interpreter starts: the threads it makes later inherit the set
        os.sched_setaffinity(worker.pid, placement.cores)
    return worker


class StudyView:
    """One progress bar over the study, read from the storage every POLL_SECONDS."""

    def __init__(self, url: str, study_name: str, n_trials: int, console: Console):
        self.url, self.study_name, self.n_trials = url, study_name, n_trials
        self.storage, self.study = make_storage(url), None
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("trials", total=n_trials, status="")

    def load(self):
        if self.study is None:
            try:
                self.study = optuna.load_study(study_name=self.study_name, storage=self.storage)
            except KeyError:  # no worker created it yet
                return None
        return self.study

    def update(self, running: int) -> None:
        study = self.load()
        if study is None:
            return
        finished = sum(map(was_trained, study.get_trials(deepcopy=False)))
        status = f"· {f'{running} workers' if running else 'done'} · {best_text(study)}"
        self.progress.update(self.task, completed=min(finished, self.n_trials), status=status)


def run_jobs(given: SearchArgs, resolved: SearchArgs, study_dir: Path, continuing: bool, console: Console) -> Path:
    """Run --n-jobs workers of the study and show them as one; returns the study directory."""
    storage = job_storage(resolved, study_dir, continuing)
    gpus = visible_gpus()
    where = placements(resolved.n_jobs, gpus, [] if gpus else usable_cores())
    argv = worker_argv(given, storage, given.storage is not None)
    start = time.perf_counter()
    with exclusive(study_dir):  # the workers share the storage given to them, so they take no lock themselves
        logs = [study_dir / f"worker_{i}.log" for i in range(resolved.n_jobs)]
        console.print(
            f"optuna study '{resolved.study_name}': {resolved.n_trials} trials over {resolved.n_jobs} workers ("
            f"{', '.join(p.text for p in where)}) on {mask_url(storage)}; their output: {study_dir}/worker_N.log"
        )
        view = StudyView(storage, resolved.study_name, resolved.n_trials, console)
        workers = [start_worker(argv, p, log) for p, log in zip(where, logs, strict=True)]
        try:
            watch(workers, view)
        except KeyboardInterrupt as exc:
            stop_all(workers)
            study = view.load()
            told = sum(map(was_trained, study.get_trials(deepcopy=False))) if study else 0
            kept = f"the {len(workers)} workers stopped; {told} finished trials are kept in the study"
            raise interrupted(exc, kept, study_dir) from None
    failed = [(i, w.returncode) for i, w in enumerate(workers) if w.returncode != 0]
    if failed:
        i, code = failed[0]
        raise RunFailed(f"worker {i} of {len(workers)} exited with code {code}; its output: {logs[i]}")
    study = view.load()
    write_outputs(study, study_dir)
    print_summary(console, study, resolved.n_trials, time.perf_counter() - start, None)
    console.print(f"study: {study_dir}")
    return study_dir


def watch(workers: list, view: StudyView) -> None:
    with view.progress:
        while running := sum(w.poll() is None for w in workers):
            view.update(running)
            time.sleep(POLL_SECONDS)
        view.update(0)


def stop_all(workers: list) -> None:
    """SIGINT to every worker, then wait for each: they fail and enqueue again their trials in training."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    for worker in workers:
        while True:
            try:
                worker.wait()
                break
            except KeyboardInterrupt:  # a second Ctrl-C while waiting: the workers are stopping already
                continue
