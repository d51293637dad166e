"""Weights & Biases tracking of a study (--wandb-project; the optional `wandb` package, the wandb extra): a
Tracker of `_tracking`.

One W&B run per told trial in the project, grouped by the study's name (W&B's `group`), named trial_NNNNN: its
config holds the trial's params (dotted keys) and the study's settings (`study.*`), its history the eval return
at every evaluation reached with W&B's step = env steps, its summary the final metrics and `state`; its tags the
state (COMPLETE, PRUNED, FAIL) and a failed trial's run ends with exit code 1. W&B's own settings apply:
`WANDB_MODE=offline` writes the runs under `WANDB_DIR` (default ./wandb) for a later `wandb sync`; online mode
needs `wandb login`. W&B's console capture is off, so the study's progress bar and lines stay as they are.
This module imports wandb; nothing imports it unless the option is given.
"""

from hyperlax.commands.study._tracking import CURVE_METRIC, StudyInfo, ToldTrial


class WandbTracker:
    flag = "--wandb-project"

    def __init__(self, project: str, study: StudyInfo):
        import wandb

        self.wandb, self.project, self.study = wandb, project, study
        self.settings = wandb.Settings(console="off", silent=True, x_disable_stats=True, x_save_requirements=False)

    def log_trial(self, trial: ToldTrial) -> None:
        config = {**{f"study.{k}": v for k, v in self.study.settings.items()}, **trial.params}
        run = self.wandb.init(
            project=self.project, group=self.study.name, name=trial.name, job_type="trial", config=config,
            tags=[trial.state], reinit="create_new", settings=self.settings,
        )  # fmt: skip
        try:
            for steps, value in trial.curve:
                run.log({CURVE_METRIC: value, "env_steps": steps}, step=steps)
            run.summary.update({**trial.metrics, "state": trial.state, "trial": trial.number})
        finally:
            run.finish(exit_code=1 if trial.state == "FAIL" else 0)

    def finish(self) -> None:
        """Each trial's run ended as it was logged; W&B's service may still hold their last records, which its
        teardown writes (offline: the .wandb files are complete once the study's worker ends)."""
        self.wandb.teardown()
