"""Trials and samples streaming through the slot pool, end to end through the CLI: told as they end,
nothing told is lost or trained again after a kill, and sweeps prune too."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState

from hyperlax.cli.main import main
from hyperlax.commands.study import was_trained
from hyperlax.engine.runner import Sample
from hyperlax.results.files import write_samples
from tests.test_search import SEARCH, load, run_cli, study_dir_of
from tests.test_sweep_cli import results, sweep


def test_a_result_written_but_not_told_is_told_on_resume_and_not_trained_again(tmp_path):
    assert run_cli([*SEARCH, "--study-name", "window", "--n-trials", "2", "--output-root", str(tmp_path)])[0] == 0
    study_dir = study_dir_of(tmp_path)
    study = load(study_dir, "window")
    source = study_dir / study.trials[0].user_attrs["batch_dir"]
    # A worker killed between writing trial 2's directory and telling it: RUNNING, with a complete directory.
    orphan = study.ask()
    target = study_dir / "pool_0009" / f"trial_{orphan.number:05d}"
    [row], [stored] = (json.loads((source / name).read_text()) for name in ("metrics.json", "hparams.json"))
    row["sample_id"] = orphan.number
    curves = np.load(source / "curves.npz")
    sample = Sample(orphan.number, stored["values"], stored["config"])
    write_samples(target, [sample], [row], curves["returns"], curves["eval_steps"])

    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir), "--n-trials", "3"])[0] == 0

    trials = load(study_dir, "window").get_trials()
    assert len(trials) == 3  # told from disk: no trial was asked to replace it
    told = trials[orphan.number]
    assert told.state == TrialState.COMPLETE and told.value == row["final_performance"]
    assert told.user_attrs["batch_dir"] == f"pool_0009/trial_{orphan.number:05d}"


@pytest.mark.slow
def test_sigkill_mid_study_then_resume_trains_exactly_n_trials_and_keeps_every_told_one(tmp_path):
    argv = [*SEARCH, "--study-name", "kill", "--n-trials", "10", "--total-timesteps", "4096", "--num-evaluations", "8",
            "--runner-hparam-batch-size", "2", "--optuna-study-batch-size", "2", "--heartbeat-interval", "1",
            "--output-root", str(tmp_path)]  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "hyperlax.cli", *argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    study_dir = study_dir_of(tmp_path)
    deadline = time.monotonic() + 240
    told = {}
    while time.monotonic() < deadline and len(told) < 3 and worker.poll() is None:
        time.sleep(0.2)
        if not (study_dir / "study.json").exists():
            continue  # the study is not open yet
        try:
            told = {t.number: t for t in load(study_dir, "kill").get_trials() if was_trained(t)}
        except (KeyError, optuna.exceptions.StorageInternalError, sqlalchemy.exc.OperationalError):
            continue  # the database is busy
    worker.kill()
    worker.wait()
    assert 3 <= len(told) < 10, f"killed after {len(told)} told trials; the test needs a worker killed mid-study"

    assert run_cli(["optuna-hp-search", "--resume-from", str(study_dir)])[0] == 0

    trials = load(study_dir, "kill").get_trials()
    assert sum(map(was_trained, trials)) == 10
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for number, before in told.items():  # every told trial kept as it was, none trained twice
        after = trials[number]
        assert (after.state, after.values, after.user_attrs["batch_dir"]) == (
            before.state, before.values, before.user_attrs["batch_dir"],
        )  # fmt: skip
    params = [json.dumps(t.params, sort_keys=True) for t in trials if was_trained(t)]
    assert len(set(params)) == len(params)


@pytest.mark.slow
def test_a_sweep_with_a_pruner_marks_pruned_samples_and_resume_trains_only_the_missing_one(tmp_path):
    extra = ["--num-samples", "6", "--hparam-batch-size", "2", "--pruner", "halving", "--num-evaluations", "4",
             "--total-timesteps", "128"]  # fmt: skip
    assert sweep(tmp_path, *extra) == 0
    sweep_dir = tmp_path / "tiny_ppo" / "gymnax_cartpole"
    rows = results(sweep_dir)
    assert len(rows) == 6 and {row["status"] for row in rows.values()} == {"ok", "pruned"}
    for row in rows.values():
        curves = np.load(sweep_dir / "samples" / row["batch_dir"] / "curves.npz")["returns"][0]
        trained = ~np.isnan(curves).all(axis=(0, 2))
        assert trained.all() if row["status"] == "ok" else trained[0] and not trained.all()
        assert row["per_seed_final_returns"]  # a pruned sample keeps the metrics of its curve so far
    kept = sweep_dir / "samples" / "sample_00000" / "metrics.json"
    kept_mtime = kept.stat().st_mtime_ns
    (sweep_dir / "samples" / "sample_00003" / "success.txt").unlink()

    assert main(["sweep-hp-samples", "--resume-from", str(sweep_dir)]) == 0

    assert kept.stat().st_mtime_ns == kept_mtime
    assert (sweep_dir / "samples" / "sample_00003" / "success.txt").exists()
    assert len(results(sweep_dir)) == 6
