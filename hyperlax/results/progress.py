"""Terminal progress (rich): batches done / total, env-steps/s and ETA, in one line that fits 80 columns (a
log file is 80 wide too): a short bar, then `3/16 trials · 137.9k env-steps/s · best -392.64`, elapsed and
time left."""

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from hyperlax.results.metrics import steps_per_second


def compact(rate: float) -> str:
    """137899.2 -> '137.9k': a rate in few columns."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= scale:
            return f"{rate / scale:.1f}{suffix}"
    return f"{rate:.0f}"


class BatchProgress:
    """One bar advanced per trained segment, with a line of batch counts and throughput."""

    def __init__(self, console: Console, total_batches: int, segments_per_batch: int, label: str = "batches"):
        self.console = console
        self.total_batches = total_batches
        self.segments_per_batch = segments_per_batch
        self.done_batches = 0
        self.label = label
        self.env_steps = 0.0
        self.train_seconds = 0.0
        self.extra = ""
        self.finished = None  # items finished over every worker, when a caller counts them (a shared study)
        self._progress = Progress(
            BarColumn(bar_width=10),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "training", total=total_batches * segments_per_batch, status=self._status()
        )

    def _status(self) -> str:
        rate = steps_per_second(self.env_steps, self.train_seconds)
        done = self.done_batches if self.finished is None else self.finished
        extra = f" · {self.extra}" if self.extra else ""
        return f"{done}/{self.total_batches} {self.label} · {compact(rate)} env-steps/s{extra}"

    def __enter__(self):
        self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        self._progress.__exit__(*exc)

    def on_segment(self, plan, k, num_segments):
        self._progress.advance(self._task)

    def batch_done(self, result) -> None:
        """A batch (a runner's BatchResult) was trained and written."""
        self.done_batches += 1
        self.env_steps += result.env_steps
        self.train_seconds += result.wall_seconds
        self._progress.update(self._task, status=self._status())

    def advance(self, segments: int) -> None:
        """Count trained segments (a pool step trains one per live slot)."""
        self._progress.advance(self._task, segments)

    def set_done(self, done: int, env_steps: float, train_seconds: float) -> None:
        """Items finished so far and the env steps trained in how many seconds (a pool's running totals)."""
        self.done_batches, self.env_steps, self.train_seconds = done, env_steps, train_seconds
        self._progress.update(self._task, status=self._status())

    def set_finished(self, finished: int) -> None:
        """Show this count of finished items instead of this process's own (other workers finish some)."""
        self.finished = finished
        self._progress.update(self._task, status=self._status())

    def set_extra(self, text: str) -> None:
        self.extra = text
        self._progress.update(self._task, status=self._status())
