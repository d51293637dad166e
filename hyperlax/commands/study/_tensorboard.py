"""TensorBoard event files of a study (--tensorboard-dir; the optional `tensorboardX` package, the tensorboard
extra): a Tracker of `_tracking`.

One sub-directory per told trial, DIR/<study name>/trial_NNNNN (TensorBoard shows each as a run): the scalar
`eval_return` at every evaluation reached (step = env steps), the final metrics as `final/<metric>` at the
trial's last step, and the text `params` (dotted key = value) and `state`. `tensorboard --logdir DIR` shows
them. tensorboardX writes the files without TensorFlow or PyTorch. This module imports it; nothing imports it
unless the option is given.
"""

from pathlib import Path

from hyperlax.commands.study._tracking import CURVE_METRIC, StudyInfo, ToldTrial, param_value


class TensorBoardTracker:
    flag = "--tensorboard-dir"

    def __init__(self, directory: str, study: StudyInfo):
        from tensorboardX import SummaryWriter

        self.writer, self.root = SummaryWriter, Path(directory) / study.name

    def log_trial(self, trial: ToldTrial) -> None:
        writer = self.writer(logdir=str(self.root / trial.name))
        try:
            for steps, value in trial.curve:
                writer.add_scalar(CURVE_METRIC, value, steps)
            last = trial.curve[-1][0] if trial.curve else 0
            for key, value in trial.metrics.items():
                writer.add_scalar(f"final/{key}", value, last)
            params = "\n\n".join(f"`{k}` = {param_value(v)}" for k, v in sorted(trial.params.items()))
            writer.add_text("params", params, last)
            writer.add_text("state", trial.state, last)
        finally:
            writer.close()

    def finish(self) -> None:
        """Each trial's writer closed as it was logged: nothing stays open."""
