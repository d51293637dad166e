"""Slot pool: samples stream through fixed-width compiled programs (continuous batching of trials).

A program has W slots; slot i trains one sample: row i of the program's traced-hyperparameter array and of
its state (× seeds). One pool step runs one segment of every program that has a live slot. Between steps the
caller decides per slot: continue, or stop (finished, pruned, diverged), after which the slot is refilled:
row i of the hyperparameters and keys is rewritten and row i of the state replaced by a fresh init. The
refill re-runs the program's compiled init over all its rows and keeps row i by a mask, so shapes never
change and nothing recompiles.

A sample's curve depends on its own inputs alone: its keys come from (seed, sample id, seed index), and
every step-dependent schedule (evaluation times, PPO's lr annealing, DQN's epsilon, learning starts) from
the counters of its own state, which the refill resets. With a fixed width on CPU a sample's curve is
therefore bitwise equal wherever and whenever it ran: alone, in a batch, or refilled mid-run.

Programs are per structure. The pool holds at most `capacity` live samples; a sample whose structure has no
free slot opens another program of that structure (compiled once per structure and width), and programs
left without a live sample are dropped. Programs of different structures time-share the device: every step
runs one segment of each live program, side by side on the CPU's cores (or queued on a GPU).
"""

import logging
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.algos.common import stack_configs
from hyperlax.engine.programs import run_parallel
from hyperlax.engine.runner import Runner, Sample, chunk_width, config_keys, is_out_of_memory

log = logging.getLogger(__name__)


def pool_width(program_width: int | None, capacity: int, backend: str, num_seeds: int) -> int:
    """Slots per program: --program-width when given; else cpu_width on CPU (bitwise results, programs side
    by side on the cores), and on GPU the whole capacity, one wide program."""
    return chunk_width(capacity, backend, program_width, num_seeds)


@dataclass
class Slot:
    """A sample in training and what it has produced so far."""

    sample: Sample
    returns: list = field(default_factory=list)  # per evaluation: eval returns [seeds, episodes]
    finite: np.ndarray | None = None  # [seeds]: False once that seed's parameters, losses or returns diverged
    steps_per_segment: int = 0  # env steps between two evaluations (its program's)
    train_seconds: float = 0.0  # the pool steps it trained in, compiles excluded: what the sample cost

    @property
    def evaluations(self) -> int:
        return len(self.returns)


@jax.jit
def keep_rows(mask, new, old):
    """`new` where mask[config] is True, else `old`, leaf by leaf (leading axis: config)."""
    return jax.tree.map(lambda n, o: jnp.where(mask.reshape(mask.shape + (1,) * (n.ndim - 1)), n, o), new, old)


# The state fields an exploit step leaves alone: each member keeps its own random streams.
KEY_FIELDS = ("key", "eval_key")


@jax.jit
def take_row(state, i):
    return jax.tree.map(lambda x: x[i], state)


@jax.jit
def put_row(state, i, row):
    return jax.tree.map(lambda x, v: x.at[i].set(v), state, row)


class Program:
    """One compiled program of `width` slots of one structure."""

    def __init__(self, runner: Runner, structure: tuple, width: int):
        self.runner, self.structure, self.width = runner, structure, width
        self.slots: list[Slot | None] = [None] * width
        self.configs = [None] * width  # the traced rows: the config of each slot's latest sample
        self.keys = None  # [width, seeds, 2]
        self.hp = self.state = None
        self.fresh = set()  # slots filled since the last step: initialised before it
        self.compile_seconds = 0.0
        self.steps_per_segment = 0

    @property
    def live(self) -> int:
        return sum(slot is not None for slot in self.slots)

    def free_slot(self) -> int | None:
        return next((i for i, slot in enumerate(self.slots) if slot is None), None)

    def fill(self, i: int, sample: Sample) -> None:
        s = self.runner.settings
        self.slots[i] = Slot(sample, finite=np.ones(s.num_seeds, bool))
        self.configs[i] = self.runner.make_config(sample)
        keys = config_keys(s.seed, sample.keys_id, s.num_seeds)
        if self.keys is None:  # the first sample fills every row, so the program has a valid state at once
            self.configs = [self.configs[i]] * self.width
            self.keys = np.stack([keys] * self.width)
        self.keys[i] = keys
        self.fresh.add(i)

    def initialise_fresh(self) -> None:
        """Write the traced rows of the filled slots and give them a fresh state."""
        self.hp = stack_configs(self.configs)
        (init, _, self.steps_per_segment), seconds = self.runner._compiled(self.hp, self.keys)
        self.compile_seconds += seconds
        fresh = init(self.hp, self.keys)
        if self.state is None:
            self.state = fresh
        else:
            mask = np.array([i in self.fresh for i in range(self.width)])
            self.state = keep_rows(mask, fresh, self.state)
        self.fresh.clear()

    def row(self, i: int):
        """Slot i's training state (every seed), e.g. to copy into another slot."""
        if self.fresh:
            self.initialise_fresh()
        return take_row(self.state, i)

    def adopt(self, i: int, row) -> None:
        """Slot i continues from another slot's training state (parameters, optimizer, normalizer, buffer, env
        states, counters), keeping its own PRNG keys (population-based training's exploit)."""
        own = take_row(self.state, i)
        self.state = put_row(self.state, i, row.replace(**{name: getattr(own, name) for name in KEY_FIELDS}))

    def set_config(self, i: int, config) -> None:
        """Slot i trains with other traced values from the next segment on; its state stays (PBT's explore)."""
        self.configs[i] = config
        self.hp = stack_configs(self.configs)

    def prepare(self) -> None:
        """Compile and initialise what `run_segment` needs (in the calling thread: compiles are not shared)."""
        if self.fresh:
            self.initialise_fresh()

    def run_segment(self):
        """One segment of this program (after `prepare`); the result is stored by `collect`."""
        (_, segment, _), _ = self.runner._compiled(self.hp, self.keys)
        return segment(self.hp, self.state)

    def collect(self, output) -> list:
        """Store a segment's result; the live slots, each with its new evaluation appended."""
        self.state, out = output
        returns, finite = np.asarray(out.eval_returns), np.asarray(out.finite)
        live = []
        for i, slot in enumerate(self.slots):
            if slot is not None:
                slot.steps_per_segment = self.steps_per_segment
                slot.returns.append(returns[i])
                slot.finite &= finite[i]
                live.append(slot)
        return live


class SlotPool:
    """Programs of `width` slots; at most `capacity` samples in training at once."""

    def __init__(self, runner: Runner, width: int, capacity: int):
        self.runner, self.width, self.capacity = runner, width, capacity
        self.programs: list[Program] = []
        self.waiting: list[Sample] = []  # samples to (re)start as soon as there is room: after out of memory
        self.env_steps = 0.0  # trained by live slots (slots without a sample compute, but count for nothing)
        self.train_seconds = 0.0

    @classmethod
    def for_runner(cls, runner: Runner, capacity: int) -> "SlotPool":
        """A pool of `capacity` slots in programs of the runner's width (pool_width)."""
        s = runner.settings
        return cls(runner, pool_width(s.program_width, capacity, runner.backend, s.num_seeds), capacity)

    @property
    def live(self) -> int:
        """Samples in the pool: in a slot or waiting for one."""
        return sum(p.live for p in self.programs) + len(self.waiting)

    @property
    def has_room(self) -> bool:
        return self.live < self.capacity

    @property
    def compile_seconds(self) -> float:
        return sum(p.compile_seconds for p in self.programs)

    def add(self, sample: Sample) -> None:
        """Put a sample into a free slot of its structure, opening a program of that structure if needed."""
        if self.waiting:
            self.waiting.append(sample)
        else:
            self._place(sample)

    def _place(self, sample: Sample) -> None:
        structure = self.runner.structure_of(sample)
        program = next((p for p in self.programs if p.structure == structure and p.free_slot() is not None), None)
        if program is None:
            self.programs = [p for p in self.programs if p.live]  # an empty program only holds memory
            program = Program(self.runner, structure, self.width)
            self.programs.append(program)
        program.fill(program.free_slot(), sample)

    def step(self) -> list:
        """One segment of every program with a live slot; the live slots after it (see Slot).

        Out of memory halves the pool (capacity, and the width with it when it no longer fits) and starts
        the samples it held again from their beginning: their keys are their own, so their results are
        those they would have had (bitwise on CPU when the width is unchanged)."""
        while True:
            try:
                return self._step()
            except Exception as exc:  # XlaRuntimeError has no stable import path across jax versions
                if not is_out_of_memory(exc) or self.capacity == 1:
                    raise
                self.halve()

    def halve(self) -> None:
        held = self.samples() + self.waiting
        self.capacity = max(1, self.capacity // 2)
        self.width = min(self.width, self.capacity)
        log.warning("out of memory: the pool shrinks to %d slots (programs of %d); %d samples start again",
                    self.capacity, self.width, len(held))  # fmt: skip
        self.programs, self.waiting = [], held

    def _step(self) -> list:
        while self.waiting and sum(p.live for p in self.programs) < self.capacity:
            self._place(self.waiting.pop(0))
        running = [p for p in self.programs if p.live]
        start, compiled_before = time.perf_counter(), self.compile_seconds
        for program in running:
            program.prepare()
        outputs = run_parallel([program.run_segment for program in running])  # side by side on the cores
        live = []
        env_steps = 0
        for program, output in zip(running, outputs, strict=True):
            slots = program.collect(output)
            env_steps += len(slots) * program.steps_per_segment * self.runner.settings.num_seeds
            live += slots
        seconds = time.perf_counter() - start - (self.compile_seconds - compiled_before)
        for slot in live:
            slot.train_seconds += seconds
        self.env_steps += env_steps
        self.train_seconds += seconds
        self.runner.meter.env_steps += env_steps
        self.runner.meter.train_seconds += seconds
        return live

    def remove(self, sample_id: int) -> Slot:
        """Free the slot of a sample (finished, pruned or failed); its row keeps running until refilled."""
        for p in self.programs:
            for i, slot in enumerate(p.slots):
                if slot is not None and slot.sample.sample_id == sample_id:
                    p.slots[i] = None
                    return slot
        raise KeyError(sample_id)

    def samples(self) -> list:
        return [slot.sample for p in self.programs for slot in p.slots if slot is not None]
