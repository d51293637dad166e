"""What the Python API hands back: a study, a sweep or a PBT run, as objects over the directory it wrote."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from hyperlax.errors import InputError

AGENT_DIR = "agent"  # a trial's saved agent: pool_NNNN/trial_NNNNN/agent/ (--save-agents best, the default)


@dataclass
class StudyResult:
    """An Optuna study that optimize() ran (or a study directory opened with StudyResult.open)."""

    study: object  # optuna.Study
    study_dir: Path

    @classmethod
    def open(cls, study_dir, storage: str | None = None) -> "StudyResult":
        """The study a directory optuna-hp-search / optimize() wrote holds (`storage`: a URL with its password,
        when study.json's is not enough)."""
        from hyperlax.commands.study import load_stored_study

        return cls(load_stored_study(str(study_dir), storage), Path(study_dir))

    @property
    def best_trials(self) -> list:
        """One objective: [the best trial]; several: the Pareto front. After --reevaluate-top, chosen by the
        re-evaluated values, as study-best reports."""
        from hyperlax.commands.study._selection import selection

        return selection(self.study)[0]

    @property
    def best_trial(self):
        """The best trial (optuna FrozenTrial) of a single-objective study."""
        if len(self.study.directions) > 1:
            raise InputError("a study of several objectives has no single best trial; use best_trials (the front)")
        trials = self.best_trials
        if not trials:
            raise InputError(f"study {self.study.study_name} has no complete trial yet")
        return trials[0]

    @property
    def best_params(self) -> dict:
        """The best trial's hyperparameters, {dotted_key: value}, as the recipe takes them (lists decoded)."""
        from hyperlax.commands.study import decode_params
        from hyperlax.commands.study._params import json_keys_of

        return decode_params(self.best_trial.params, json_keys_of(self.study))

    @property
    def best_value(self) -> float:
        return self.best_trial.value

    def summary(self) -> dict:
        """What `hyperlax study-best` prints: the best trial or the Pareto front, with its selection."""
        from hyperlax.commands.study._reports import best_summary

        return best_summary(self.study)

    def trials_dataframe(self, **kwargs):
        """Optuna's trials table (pandas DataFrame; needs pandas); kwargs go to optuna.Study.trials_dataframe."""
        return self.study.trials_dataframe(**kwargs)

    def trial_dir(self, number: int) -> Path:
        """Where trial `number` wrote its hparams, metrics and curves (pool_NNNN/trial_NNNNN)."""
        trial = self.study.trials[number]
        if "batch_dir" not in trial.user_attrs:
            raise InputError(f"trial {number} has no directory: it was not trained (state {trial.state.name})")
        return self.study_dir / trial.user_attrs["batch_dir"]

    @property
    def paths(self) -> dict:
        """The study's files that exist: study.json, the SQLite storage, trials.csv, the best params (or the
        Pareto front's), the plots and re-evaluation directories."""
        names = ("study.json", "optuna_study.db", "trials.csv", "best_optuna_params.json", "pareto_front_params.json",
                 "analysis_plots", "reevaluation", "validation")  # fmt: skip
        return {name: self.study_dir / name for name in names if (self.study_dir / name).exists()}

    def best_agent(self):
        """The best trial's saved agent (a study run with save_agents): hyperlax.load_agent of its agent/."""
        from hyperlax.api._agents import load_agent

        return load_agent(self.trial_dir(self.best_trial.number) / AGENT_DIR)


@dataclass
class SweepResult:
    """A sweep that sweep() ran: its directory and one record per sample (results.csv's columns)."""

    sweep_dir: Path
    rows: list = field(repr=False)  # metrics.json rows: values, metrics, status, per-seed lists

    @classmethod
    def open(cls, sweep_dir) -> "SweepResult":
        from hyperlax.results.files import collect_rows

        return cls(Path(sweep_dir), collect_rows(Path(sweep_dir) / "samples"))

    @property
    def results(self) -> list[dict]:
        """One dict per sample: sample_id, each hyperparameter, each metric, status, batch_dir."""
        from hyperlax.results.files import results_table

        return results_table(self.rows)

    @property
    def results_csv(self) -> Path:
        return self.sweep_dir / "results.csv"

    def best(self, metric: str = "final_performance") -> dict:
        """The finished sample with the highest `metric` (its results record)."""
        ok = [r for r in self.results if r["status"] == "ok" and r.get(metric) is not None]
        if not ok:
            raise InputError(f"{self.sweep_dir}: no finished sample has {metric}")
        return max(ok, key=lambda r: (r[metric], -r["sample_id"]))


@dataclass
class PBTResult:
    """A population-based training run that pbt() ran: its directory and the winning schedule."""

    run_dir: Path

    @property
    def best_schedule(self) -> dict:
        """best_pbt_schedule.json: the winning member, its final return and its hyperparameters per interval."""
        return json.loads((self.run_dir / "best_pbt_schedule.json").read_text())

    @property
    def members_csv(self) -> Path:
        return self.run_dir / "members.csv"
