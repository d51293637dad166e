"""The vectorized runner: samples -> structural groups -> batches -> programs (hyperlax.engine.programs) -> curves.

It knows nothing about Optuna or files: configurations `{dotted_key: value}` come in, one row of metrics
and a learning curve per configuration go out.
"""

import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import numpy as np

from hyperlax.algos.common import config_from_flat, stack_configs, structural_key
from hyperlax.algos.protocol import Algorithm
from hyperlax.engine.programs import Meter, cache_hits, config_sharding, listen_for_cache_hits, over_rows, run_parallel
from hyperlax.envs.spec import EnvSpec
from hyperlax.errors import InputError
from hyperlax.results.metrics import compute_metrics, steps_per_second
from hyperlax.results.outcomes import Reason, Status

log = logging.getLogger(__name__)

# The program width: how many configurations one compiled program trains. A program trains (configuration,
# seed) rows, program width x seeds of them, in one vmapped axis, and XLA picks different vectorised code for
# different axis sizes, so the same configuration trained in programs of different widths drifts apart in
# float rounding (measured: up to 25% in return after 20k PPO steps, and a 1-row program differs from a 2-row
# one). Every CPU program of a run therefore has one width, and a configuration gets bitwise-identical results
# in any batch, at any position, with any companions and in sequential mode: at least CPU_MIN_ROWS rows, so a
# configuration with 2 seeds or more fills a program alone, and with 1 seed two configurations share one (a
# configuration alone takes a discarded padding twin). Narrow programs are also the fast ones on a CPU: one
# per core, side by side (see hyperlax.engine.programs.run_parallel).
CPU_MIN_ROWS = 2


def cpu_program_width(num_seeds: int) -> int:
    """The program width on CPU: as few configurations as give CPU_MIN_ROWS rows."""
    return max(1, CPU_MIN_ROWS // num_seeds)


@dataclass(frozen=True)
class RunSettings:
    total_timesteps: int
    num_evaluations: int = 20
    num_seeds: int = 2
    eval_episodes: int = 10
    seed: int = 0
    hparam_batch_size: int = 8
    sequential: bool = False
    group_by_structure: bool = False
    program_width: int | None = None  # --program-width; None: cpu_program_width on CPU, the batch on GPU
    seed_aggregate: str = "mean"  # how peak, final and AUC of the seeds become one value (metrics.SEED_AGGREGATES)


@dataclass(frozen=True)
class Sample:
    sample_id: int
    values: dict  # the sampled hyperparameters, by dotted key
    flat_config: dict  # the full configuration by dotted key: recipe defaults updated with `values`
    key_id: int | None = None  # whose PRNG keys it trains with (None: its own id); equal ids share keys

    @classmethod
    def from_values(cls, sample_id: int, values: dict, defaults: dict, key_id: int | None = None) -> "Sample":
        """A sample of `values` over a recipe's `defaults` (flat `{dotted_key: value}` dicts both)."""
        return cls(sample_id, values, {**defaults, **values}, key_id)

    @property
    def keys_id(self) -> int:
        return self.sample_id if self.key_id is None else self.key_id


@dataclass
class BatchPlan:
    name: str  # batch_00000 or run_0000: the directory the batch is written to
    samples: list
    structural_key: tuple
    padded_size: int  # configs trained (>= len(samples)): a whole number of programs
    program_width: int  # configs per program


@dataclass
class BatchResult:
    rows: list  # one dict per sample: sample_id, status, reason and every metric
    returns: np.ndarray  # [config, seed, evaluation, episode]
    eval_steps: np.ndarray  # [evaluation]
    compile_seconds: float
    wall_seconds: float  # training, compiles excluded
    env_steps: float  # trained by the batch's samples (padding twins excluded)
    agents: dict = field(default_factory=dict)  # sample id -> Runner.agent_params, when asked to keep them

    @property
    def env_steps_per_second(self) -> float:
        return steps_per_second(self.env_steps, self.wall_seconds)


def config_keys(seed: int, sample_id: int, num_seeds: int) -> np.ndarray:
    """The PRNG keys of one configuration: they depend on (seed, sample id, seed index) alone."""
    base = jax.random.fold_in(jax.random.PRNGKey(seed), sample_id)
    return np.stack([np.asarray(jax.random.fold_in(base, s)) for s in range(num_seeds)])


def program_width(batch_size: int, backend: str, given: int | None, num_seeds: int) -> int:
    """Configs per program: `given` (--program-width) when set; else cpu_program_width(num_seeds) on CPU, and
    on GPU the group's whole batch, so it compiles once."""
    if given is not None:
        return given
    return cpu_program_width(num_seeds) if backend == "cpu" else batch_size


def padded_size(num_configs: int, batch_size: int, backend: str, given: int | None, num_seeds: int) -> int:
    """Configs actually trained for a batch of `num_configs`: a whole number of programs.

    A padded slot repeats a configuration and its result is discarded. On GPU it costs almost nothing
    next to a compile, so a short last batch takes the group's shape and reuses its program. On CPU a
    padded slot costs real compute: only a 1-seed batch of odd size has one.
    """
    width = program_width(batch_size, backend, given, num_seeds)
    return max(1, math.ceil(num_configs / width)) * width


def batch_plan(name: str, samples: list, key: tuple, batch_size: int, backend: str, given, num_seeds: int):
    """The plan of `samples` (of one structural `key`) in programs of the width a batch of `batch_size` gets."""
    return BatchPlan(
        name,
        samples,
        key,
        padded_size(len(samples), batch_size, backend, given, num_seeds),
        program_width(batch_size, backend, given, num_seeds),
    )


def plan_batches(samples: list, structure_of: Callable, settings: RunSettings, backend: str) -> list:
    """Slice samples into batches whose configurations share one structural key.

    sequential: one sample per run, in sample order (two per run on CPU with one seed: sequential_runs).
    batched (default): samples are taken in sample order, `hparam_batch_size` at a time; a slice that
      mixes structures is split into one batch per structure.
    group_by_structure: all samples of one structure are gathered first (structures in order of first
      appearance), then sliced, so batches are full and each structure compiles as few shapes as possible.
    """
    given, seeds = settings.program_width, settings.num_seeds
    if settings.sequential:
        return [
            batch_plan(f"run_{i:04d}", run, structure_of(run[0]), 1, backend, given, seeds)
            for i, run in enumerate(sequential_runs(samples, structure_of, settings, backend))
        ]
    size = settings.hparam_batch_size
    if settings.group_by_structure:
        batches = [
            group[i : i + size]
            for group in group_by(samples, structure_of).values()
            for i in range(0, len(group), size)
        ]
    else:
        batches = [
            group
            for i in range(0, len(samples), size)
            for group in group_by(samples[i : i + size], structure_of).values()
        ]
    group_sizes = {key: min(size, len(group)) for key, group in group_by(samples, structure_of).items()}
    plans = []
    for batch in batches:
        key = structure_of(batch[0])
        plans.append(batch_plan(f"batch_{len(plans):05d}", batch, key, group_sizes[key], backend, given, seeds))
    return plans


def sequential_runs(samples: list, structure_of: Callable, settings: RunSettings, backend: str) -> list:
    """Sequential mode's runs, in sample order: one sample each, except on CPU with one seed, where two
    consecutive samples of one structure share a run. Its program has two config slots either way, and
    the samples are independent and bitwise equal in either slot: a second sample costs what its padding
    twin would."""
    per_run = cpu_program_width(settings.num_seeds) if backend == "cpu" and settings.program_width is None else 1
    runs = []
    for sample in samples:
        if runs and len(runs[-1]) < per_run and structure_of(runs[-1][0]) == structure_of(sample):
            runs[-1].append(sample)
        else:
            runs.append([sample])
    return runs


def group_by(samples: list, structure_of: Callable) -> dict:
    groups = {}
    for s in samples:
        groups.setdefault(structure_of(s), []).append(s)
    return groups


def is_out_of_memory(exc: Exception) -> bool:
    return "RESOURCE_EXHAUSTED" in str(exc) or "out of memory" in str(exc).lower()


class Runner:
    """Trains batches of configurations of one algorithm on one env, reusing compiled programs."""

    def __init__(self, algorithm: Algorithm, spec: EnvSpec, settings: RunSettings):
        name = algorithm.NAME
        if spec.discrete and not algorithm.SUPPORTS_DISCRETE:
            raise InputError(
                f"{name} needs continuous actions but {spec.name} has discrete ones; pick a continuous env"
            )
        if not spec.discrete and not algorithm.SUPPORTS_CONTINUOUS:
            raise InputError(f"{name} needs discrete actions but {spec.name} has continuous ones; pick a discrete env")
        self.algorithm = algorithm
        self.spec = spec
        self.settings = settings
        self.backend = jax.default_backend()
        self._programs = {}  # (structural key, keys shape) -> (init, segment, steps_per_segment)
        self.meter = Meter()
        listen_for_cache_hits()

    def make_hp(self, sample: Sample):
        """The sample's hyperparameters as the algorithm's `Config` pytree."""
        return config_from_flat(self.algorithm.Config, sample.flat_config)

    def structure_of(self, sample: Sample) -> tuple:
        return structural_key(self.make_hp(sample))

    def program_width(self, batch_size: int) -> int:
        """Configs per program for batches (or a pool) of `batch_size` under this runner's settings."""
        return program_width(batch_size, self.backend, self.settings.program_width, self.settings.num_seeds)

    def plan(self, samples: list) -> list:
        return plan_batches(samples, self.structure_of, self.settings, self.backend)

    def compiled(self, hp, keys) -> tuple:
        """The compiled `(init, segment, steps_per_segment)` of a program of stacked hyperparameters `hp` and
        keys [program width, seeds, 2], and the seconds compiling took now (0.0 when reused).

        Compiled once per structure and program shape, then reused: the runner's batches and every slot pool
        of the runner share them. `init(hp, keys)` gives the state [width, seeds, ...]; `segment(hp, state)`
        trains up to the next evaluation and gives `(state, output)` with `eval_returns` and `finite`.
        """
        cache_key = (structural_key(hp), keys.shape)
        if cache_key in self._programs:
            return self._programs[cache_key], 0.0
        s = self.settings
        train = self.algorithm.make_train(hp, self.spec, s.total_timesteps, s.num_evaluations, s.eval_episodes)
        batched_init, batched_segment = over_rows(train.init), over_rows(train.segment)
        rows = config_sharding(keys.shape[0])
        placement = {} if rows is None else {"in_shardings": rows, "out_shardings": rows}
        start, hits_before = time.perf_counter(), cache_hits()
        init = jax.jit(batched_init, **placement).lower(hp, keys).compile()
        state_shape = jax.eval_shape(batched_init, hp, keys)
        # A GPU updates the state in place; XLA:CPU does not use donated buffers, so it is not asked to.
        donate = (1,) if self.backend != "cpu" else ()
        segment = jax.jit(batched_segment, donate_argnums=donate, **placement).lower(hp, state_shape).compile()
        seconds = time.perf_counter() - start
        from_cache = cache_hits() - hits_before == 2  # init and segment both read from the persistent cache
        self.meter.cached += from_cache
        self.meter.compiled += not from_cache
        self.meter.compile_seconds += seconds
        self._programs[cache_key] = (init, segment, train.steps_per_segment)
        return self._programs[cache_key], seconds

    def can_keep_agents(self) -> bool:
        """The algorithm says how its agents act (protocol.Algorithm's optional make_policy)."""
        return callable(getattr(self.algorithm, "make_policy", None))

    def agent_params(self, sample: Sample, states) -> dict:
        """What a saved agent keeps of a sample's final states [seeds, ...], read after the program returned:
        `params` (Policy.params_of: parameters, observation statistics), and the `eval_key` and `env_steps`
        that the last evaluation drew its episodes with; numpy leaves with a leading seed axis."""
        policy = self.algorithm.make_policy(self.make_hp(sample), self.spec)
        keep = jax.vmap(lambda s: {"params": policy.params_of(s), "eval_key": s.eval_key, "env_steps": s.env_steps})
        return jax.tree.map(np.asarray, keep(states))

    def run_batch(self, plan: BatchPlan, on_segment: Callable | None = None, keep_agents: bool = False) -> BatchResult:
        """Train one batch; out of memory splits it in half and retries each half.

        `on_segment(plan, evaluation, num_evaluations)`, when given, runs after every segment. With
        `keep_agents`, the result's `agents` hold each sample's final agent parameters (`agent_params`).
        """
        try:
            return self._run(plan, on_segment, keep_agents)
        except Exception as exc:  # XlaRuntimeError has no stable import path across jax versions
            if not is_out_of_memory(exc) or len(plan.samples) == 1:
                raise
            log.warning("%s: out of memory with %d configs, retrying in two halves", plan.name, len(plan.samples))
            return merge_results(
                [self.run_batch(self._part_plan(plan, part), on_segment, keep_agents) for part in halves(plan.samples)]
            )

    def _part_plan(self, plan: BatchPlan, part: list) -> BatchPlan:
        """The plan of part of a batch, in programs no wider than the part (a given width halves with it)."""
        s, n = self.settings, len(part)
        given = s.program_width and min(s.program_width, n)
        return batch_plan(plan.name, part, plan.structural_key, n, self.backend, given, s.num_seeds)

    def _run(self, plan: BatchPlan, on_segment: Callable | None, keep_agents: bool) -> BatchResult:
        s = self.settings
        n, width = len(plan.samples), plan.program_width
        # Padding repeats the first configuration with its own keys; its results are discarded.
        padded = plan.samples + [plan.samples[0]] * (plan.padded_size - n)
        programs = [padded[i : i + width] for i in range(0, len(padded), width)]  # the samples of each program
        hps = [stack_configs([self.make_hp(sample) for sample in program]) for program in programs]
        keys = [np.stack([config_keys(s.seed, x.keys_id, s.num_seeds) for x in program]) for program in programs]
        (init, segment, steps_per_segment), compile_seconds = self.compiled(hps[0], keys[0])
        eval_steps = steps_per_segment * np.arange(1, s.num_evaluations + 1)
        start = time.perf_counter()
        states = run_parallel([functools.partial(init, hp, key) for hp, key in zip(hps, keys, strict=True)])
        returns, finite = [], np.ones((plan.padded_size, s.num_seeds), bool)
        for k in range(s.num_evaluations):
            outputs = run_parallel([functools.partial(segment, *args) for args in zip(hps, states, strict=True)])
            states = [state for state, _ in outputs]
            finite &= np.concatenate([np.asarray(out.finite) for _, out in outputs])
            returns.append(np.concatenate([np.asarray(out.eval_returns) for _, out in outputs]))
            if on_segment is not None:
                on_segment(plan, k + 1, s.num_evaluations)
        wall = time.perf_counter() - start
        returns = np.stack(returns, axis=2)[:n]  # [config, seed, evaluation, episode]
        scoring = (self.spec.return_range, s.seed_aggregate)
        rows = [
            metrics_row(sample.sample_id, returns[i], eval_steps, bool(finite[i].all()), *scoring)
            for i, sample in enumerate(plan.samples)
        ]
        env_steps = s.num_seeds * n * s.num_evaluations * steps_per_segment  # padding twins do not count
        self.meter.add_training(env_steps, wall)
        for row in rows:
            row.update(env_steps_per_second=steps_per_second(env_steps, wall), compile_seconds=compile_seconds)
        agents = self._final_agents(plan.samples, states, width) if keep_agents else {}
        return BatchResult(rows, returns, eval_steps, compile_seconds, wall, env_steps, agents)

    def _final_agents(self, samples: list, states: list, width: int) -> dict:
        """Each sample's agent parameters from its program's final state (after the program returned, so
        training is not slowed); sample i is row i % width of program i // width."""
        return {
            sample.sample_id: self.agent_params(sample, take_row(states[i // width], i % width))
            for i, sample in enumerate(samples)
        }


def take_row(state, i: int):
    return jax.tree.map(lambda x: x[i], state)


def metrics_row(
    sample_id: int, returns: np.ndarray, eval_steps: np.ndarray, finite: bool, return_range, seed_aggregate="mean"
) -> dict:
    """A sample's row: status, reason and every metric of its curve (returns [seeds, evaluations, episodes])."""
    row = {"sample_id": sample_id, "status": Status.OK, "reason_code": "", "reason": ""}
    if not finite or not np.all(np.isfinite(returns)):
        reason = "non-finite parameters, losses or returns (diverged)"
        row.update(status=Status.FAILED, reason_code=Reason.DIVERGED, reason=reason)
        return row
    row.update(compute_metrics(returns, eval_steps, return_range, seed_aggregate))
    return row


def stopped_row(
    sample_id: int, returns: np.ndarray, eval_steps: np.ndarray, finite: bool, return_range, seed_aggregate="mean"
) -> dict:
    """The row of a sample stopped by a pruner after len(eval_steps) evaluations: metrics of its curve so far."""
    row = metrics_row(sample_id, returns, eval_steps, finite, return_range, seed_aggregate)
    if row["status"] == Status.OK:
        reason = f"pruned after {int(eval_steps[-1])} env steps"
        row.update(status=Status.PRUNED, reason_code=Reason.PRUNED, reason=reason)
    return row


def halves(samples: list) -> tuple:
    half = len(samples) // 2
    return samples[:half], samples[half:]


def merge_results(parts: list) -> BatchResult:
    return BatchResult(
        rows=[row for p in parts for row in p.rows],
        returns=np.concatenate([p.returns for p in parts]),
        eval_steps=parts[0].eval_steps,
        compile_seconds=sum(p.compile_seconds for p in parts),
        wall_seconds=sum(p.wall_seconds for p in parts),
        env_steps=sum(p.env_steps for p in parts),
        agents={k: v for p in parts for k, v in p.agents.items()},
    )
