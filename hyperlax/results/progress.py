"""Terminal progress (rich): batches done / total, env-steps/s and ETA."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from hyperlax.results.metrics import steps_per_second


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
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
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
        return f"{self.label} {self.done_batches}/{self.total_batches} · {rate:,.0f} env-steps/s {self.extra}"

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

    def set_extra(self, text: str) -> None:
        self.extra = text
        self._progress.update(self._task, status=self._status())
