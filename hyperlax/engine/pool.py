"""Slot pool: samples stream through fixed-width compiled programs (continuous batching of trials).

A program has W slots (W: its program width); slot i trains one sample: row i of the program's
traced-hyperparameter array and of its state (× seeds). One pool step runs one segment of every program that has a
live slot. Between steps the caller decides per slot: continue, or stop (finished, pruned, diverged), after
which the slot is refilled: row i of the hyperparameters and keys is rewritten and row i of the state replaced
by a fresh init. The refill re-runs the program's compiled init over all its rows and keeps row i by a mask,
so shapes never change and nothing recompiles.

A sample's curve depends on its own inputs alone: its keys come from (seed, sample id, seed index), and every
step-dependent schedule (evaluation times, PPO's lr annealing, DQN's epsilon, learning starts) from the
counters of its own state, which the refill resets. With a fixed program width on CPU a sample's curve is
therefore bitwise equal wherever and whenever it ran: alone, in a batch, or refilled mid-run.

Programs are per structure. The pool holds at most `capacity` live samples; a sample whose structure has no
free slot opens another program of that structure (compiled once per structure and program width), and
programs left without a live sample are dropped. Programs of different structures time-share the device: every
step runs one segment of each live program, side by side on the CPU's cores (or queued on a GPU).

The programs are the pool's own: callers fill, step and free slots by sample id, and population-based training
copies a slot's training state (`copy_row`), changes its hyperparameters (`set_hyperparameters`), and saves
and restores every state (`states`, `load_states`) through the pool's methods.
"""

import logging
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.algos.common import stack_configs
from hyperlax.engine.programs import Meter, run_parallel
from hyperlax.engine.runner import Runner, Sample, config_keys, is_out_of_memory

log = logging.getLogger(__name__)


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
    """One compiled program of one structure: slot i is its row i (x seeds)."""

    def __init__(self, runner: Runner, structure: tuple, program_width: int):
        self.runner, self.structure = runner, structure
        self.slots: list[Slot | None] = [None] * program_width
        self.hps = [None] * program_width  # the traced rows: each slot's hyperparameters (the Config pytree)
        self.keys = None  # [program width, seeds, 2]
        self.hp = self.state = None  # hps stacked; the training state [program width, seeds, ...]
        self.segment = None  # the compiled segment, once initialised
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
        self.hps[i] = self.runner.make_hp(sample)
        keys = config_keys(s.seed, sample.keys_id, s.num_seeds)
        if self.keys is None:  # the first sample fills every row, so the program has a valid state at once
            self.hps = [self.hps[i]] * len(self.slots)
            self.keys = np.stack([keys] * len(self.slots))
        self.keys[i] = keys
        self.fresh.add(i)

    def prepare(self) -> None:
        """Compile (in the calling thread: compiles are not shared) and give the filled slots a fresh state."""
        if not self.fresh:
            return
        self.hp = stack_configs(self.hps)
        (init, self.segment, self.steps_per_segment), seconds = self.runner.compiled(self.hp, self.keys)
        self.compile_seconds += seconds
        fresh = init(self.hp, self.keys)
        if self.state is None:
            self.state = fresh
        else:
            mask = np.array([i in self.fresh for i in range(len(self.slots))])
            self.state = keep_rows(mask, fresh, self.state)
        self.fresh.clear()

    def row(self, i: int):
        """Slot i's training state (every seed)."""
        self.prepare()
        return take_row(self.state, i)

    def adopt(self, i: int, row) -> None:
        """Slot i continues from another slot's training state `row`, keeping its own PRNG keys."""
        own = take_row(self.state, i)
        self.state = put_row(self.state, i, row.replace(**{name: getattr(own, name) for name in KEY_FIELDS}))

    def set_hp(self, i: int, hp) -> None:
        """Slot i trains with other traced values from the next segment on; its state stays."""
        self.hps[i] = hp
        self.hp = stack_configs(self.hps)

    def run_segment(self):
        """One segment of this program (after `prepare`); the result is stored by `collect`."""
        return self.segment(self.hp, self.state)

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
    """Programs of `program_width` slots; at most `capacity` samples in training at once."""

    def __init__(self, runner: Runner, program_width: int, capacity: int):
        self.runner, self.program_width, self.capacity = runner, program_width, capacity
        self.programs: list[Program] = []
        self.waiting: list[Sample] = []  # samples to (re)start as soon as there is room: after out of memory
        self.meter = Meter()  # env steps trained by live slots (empty slots compute, but count for nothing)

    @classmethod
    def for_runner(cls, runner: Runner, capacity: int) -> "SlotPool":
        """A pool of `capacity` slots in programs of the runner's program width for that many."""
        return cls(runner, runner.program_width(capacity), capacity)

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
            program = Program(self.runner, structure, self.program_width)
            self.programs.append(program)
        program.fill(program.free_slot(), sample)

    def step(self) -> list:
        """One segment of every program with a live slot; the live slots after it (see Slot).

        Out of memory halves the pool (capacity, and the program width with it when it no longer fits) and
        starts the samples it held again from their beginning: their keys are their own, so their results are
        those they would have had (bitwise on CPU when the program width is unchanged)."""
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
        self.program_width = min(self.program_width, self.capacity)
        log.warning("out of memory: the pool shrinks to %d slots (programs of %d); %d samples start again",
                    self.capacity, self.program_width, len(held))  # fmt: skip
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
        self.meter.add_training(env_steps, seconds)
        self.runner.meter.add_training(env_steps, seconds)
        return live

    def _locate(self, sample_id: int) -> tuple:
        """(program, slot index) of a sample in a slot."""
        for p in self.programs:
            for i, slot in enumerate(p.slots):
                if slot is not None and slot.sample.sample_id == sample_id:
                    return p, i
        raise KeyError(sample_id)

    def remove(self, sample_id: int) -> Slot:
        """Free the slot of a sample (finished, pruned or failed); its row keeps running until refilled."""
        program, i = self._locate(sample_id)
        slot, program.slots[i] = program.slots[i], None
        return slot

    def slot(self, sample_id: int) -> Slot:
        program, i = self._locate(sample_id)
        return program.slots[i]

    def samples(self) -> list:
        return [slot.sample for p in self.programs for slot in p.slots if slot is not None]

    def row(self, sample_id: int):
        """A sample's training state (every seed): parameters, optimizer, normalizer, buffer, env states,
        counters and keys."""
        program, i = self._locate(sample_id)
        return program.row(i)

    def agent_params(self, sample_id: int) -> dict:
        """A sample's final agent parameters (Runner.agent_params), read from its slot before it is freed."""
        program, i = self._locate(sample_id)
        return self.runner.agent_params(program.slots[i].sample, program.row(i))

    def copy_row(self, src_id: int, dst_id: int) -> None:
        """Sample `dst_id` continues from the training state of sample `src_id`, keeping its own PRNG keys
        (population-based training's exploit: a row gather, within a program or across two)."""
        (dst, i), (src, j) = self._locate(dst_id), self._locate(src_id)
        dst.adopt(i, src.row(j))

    def set_hyperparameters(self, sample: Sample) -> None:
        """The slot of `sample.sample_id` trains with `sample`'s values from the next segment on; its training
        state and PRNG keys stay (population-based training's explore, a replayed schedule)."""
        program, i = self._locate(sample.sample_id)
        program.slots[i].sample = sample
        program.set_hp(i, self.runner.make_hp(sample))

    def states(self) -> list:
        """Every program's training state, in program order (what `load_states` takes back)."""
        return [p.state for p in self.programs]

    def load_states(self, leaves: list) -> None:
        """Put saved states (each program's leaves, in the order of `states`) in place of the fresh ones."""
        for program, program_leaves in zip(self.programs, leaves, strict=True):
            program.prepare()
            treedef = jax.tree.structure(program.state)
            program.state = jax.tree.unflatten(treedef, [jnp.asarray(x) for x in program_leaves])
