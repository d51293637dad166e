"""Trackers behind one interface: MLflow (tests/test_lifecycle.py), Weights & Biases offline, TensorBoard event
files; each holds one eval-return curve per told trial, step = env steps."""

import json
import logging
import struct
from pathlib import Path

import pytest

from hyperlax.commands.study._tracking import StudyInfo, ToldTrial, Trackers
from tests.test_search import SEARCH, run_cli

STUDY = StudyInfo("tracked", "sqlite:///x.db", {"recipe": "tiny_ppo", "seed": 0})
TRIAL = ToldTrial(3, "COMPLETE", {"algorithm.network.layers": [8], "algorithm.hyperparam.actor_lr": 1e-3},
                  {"final_performance": 12.5}, [(32, 10.0), (64, 12.5)])  # fmt: skip


def scalars(trial_dir: Path, tag: str) -> list:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(trial_dir))
    events.Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)]


def wandb_records(path: Path) -> list:
    """The records of an offline run's .wandb file: W&B's LevelDB-style log (a 7-byte header, then 32 KiB
    blocks of chunks: crc32 u32, length u16, type u8 with 1 full, 2 first, 3 middle, 4 last)."""
    from wandb.proto import wandb_internal_pb2

    data, pos, pending, records = path.read_bytes(), 7, b"", []
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7]) if left >= 7 else (0, 0, 0)
        if left < 7 or (length, kind) == (0, 0):  # the block's zero padding
            pos += left
            continue
        pending, pos = pending + data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind in (1, 4):
            records.append(wandb_internal_pb2.Record.FromString(pending))
            pending = b""
    return records


def wandb_runs(wandb_dir: Path) -> dict:
    """display name -> (run record, eval_return history as (step, value), exit code) of each offline run."""
    runs = {}
    for path in sorted(wandb_dir.glob("wandb/offline-run-*/run-*.wandb")):
        records = {}
        history = []
        for record in wandb_records(path):
            kind = record.WhichOneof("record_type")
            records[kind] = record
            if kind == "history":
                items = {
                    item.key or ".".join(item.nested_key): json.loads(item.value_json) for item in record.history.item
                }
                history.append((items["_step"], items["eval_return"]))
        runs[records["run"].run.display_name] = (records["run"].run, history, records["exit"].exit.exit_code)
    return runs


@pytest.fixture
def offline_wandb(tmp_path, monkeypatch) -> Path:
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    return tmp_path


def test_a_tensorboard_trial_directory_holds_its_curve_final_metrics_and_params(tmp_path):
    pytest.importorskip("tensorboardX")
    from hyperlax.commands.study._tensorboard import TensorBoardTracker

    TensorBoardTracker(str(tmp_path), STUDY).log_trial(TRIAL)
    trial_dir = tmp_path / "tracked" / "trial_00003"
    assert scalars(trial_dir, "eval_return") == [(32, 10.0), (64, 12.5)]
    assert scalars(trial_dir, "final/final_performance") == [(64, 12.5)]


def test_a_wandb_offline_run_holds_the_trials_curve_params_and_state(offline_wandb):
    from hyperlax.commands.study._wandb import WandbTracker

    tracker = WandbTracker("hyperlax-tests", STUDY)
    tracker.log_trial(TRIAL)
    tracker.finish()
    [(name, (run, history, exit_code))] = wandb_runs(offline_wandb).items()
    config = {item.key: json.loads(item.value_json) for item in run.config.update}
    assert (name, run.run_group, run.project, list(run.tags)) == ("trial_00003", "tracked", "hyperlax-tests",
                                                                   ["COMPLETE"])  # fmt: skip
    assert config["algorithm.network.layers"] == [8] and config["study.recipe"] == "tiny_ppo"
    assert history == [(32, 10.0), (64, 12.5)] and exit_code == 0


def test_a_tracker_that_fails_is_a_warning_and_the_others_still_log(tmp_path, caplog):
    logged = []

    class Broken:
        flag = "--broken"

        def log_trial(self, trial):
            raise OSError("disk full")

    class Kept:
        flag = "--kept"

        def log_trial(self, trial):
            logged.append(trial)

    trial_dir = tmp_path / "trial_00001"
    trial_dir.mkdir()
    (trial_dir / "hparams.json").write_text(json.dumps([{"values": {"a": 1}}]))
    import numpy as np

    np.savez(trial_dir / "curves.npz", returns=np.ones((1, 2, 3, 4)), eval_steps=np.array([10, 20, 30]))
    with caplog.at_level(logging.WARNING):
        Trackers([Broken(), Kept()]).log_trial(1, "PRUNED", {"final_performance": 1.0}, trial_dir)
    assert "--broken: trial 1 was not logged: disk full" in caplog.text
    [trial] = logged
    assert (trial.params, trial.metrics, trial.curve) == ({"a": 1}, {"final_performance": 1.0},
                                                         [(10, 1.0), (20, 1.0), (30, 1.0)])  # fmt: skip


@pytest.mark.slow
def test_wandb_offline_and_tensorboard_hold_one_curve_per_trial(offline_wandb, capsys):
    pytest.importorskip("tensorboardX")
    board = offline_wandb / "tb"
    argv = [*SEARCH, "--n-trials", "3", "--pruner", "none", "--output-root", str(offline_wandb / "runs"),
            "--study-name", "both", "--wandb-project", "hyperlax-tests", "--tensorboard-dir", str(board)]  # fmt: skip
    assert run_cli(argv, capsys)[0] == 0
    runs = wandb_runs(offline_wandb)
    assert sorted(runs) == ["trial_00000", "trial_00001", "trial_00002"]
    for run, history, exit_code in runs.values():
        assert run.run_group == "both" and exit_code == 0
        assert [step for step, _ in history] == [32, 64]  # --num-evaluations 2 of --total-timesteps 64
    trial_dirs = sorted((board / "both").iterdir())
    assert [d.name for d in trial_dirs] == sorted(runs)
    for trial_dir in trial_dirs:
        assert [step for step, _ in scalars(trial_dir, "eval_return")] == [32, 64]
