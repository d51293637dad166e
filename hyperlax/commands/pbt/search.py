"""pbt-search: population-based training inside the compiled programs (Jaderberg et al. 2017).

A population trains side by side, each member a slot of the slot pool's programs. Every --ready-interval
evaluations the members are ranked by their mean eval return over that interval; with --exploit
truncation the bottom --truncation-fraction copy the training state of a uniformly chosen member of the top
fraction (exploit: a row gather between programs, no checkpoint files), then change their hyperparameters
(explore: --explore perturb multiplies each traced float by 0.8 or 1.2 and moves integers one step;
resample draws from the recipe's distribution with --resample-probability); values stay in their
distribution's domain, so a lineage that pushes past a bound piles up there: at the end, a warning names
each of the winner's final values within 5% of a bound. Structural hyperparameters cannot change inside a
program: the population shares the first draw's. Each member keeps its own PRNG streams. After every
interval the population is checkpointed, so a run killed at any point resumes from the last finished
interval with the same lineage.
"""

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
from rich.console import Console

from hyperlax.algos.common import dotted_key, is_traced
from hyperlax.commands.execute import make_runner, note_return_range
from hyperlax.commands.options import PBTArgs
from hyperlax.commands.pbt.records import best_schedule, load_checkpoint, save_checkpoint, write_outputs
from hyperlax.commands.rundir import (
    StoredRun,
    check_output_root,
    env_choice,
    exclusive,
    given_values,
    merge_options,
    resolved_options,
    run_dir,
    run_record,
)
from hyperlax.commands.settings import check_structures, run_settings
from hyperlax.commands.signals import interrupted
from hyperlax.engine.pool import SlotPool
from hyperlax.engine.runner import Sample
from hyperlax.errors import InputError
from hyperlax.results.files import write_json_atomic
from hyperlax.results.progress import BatchProgress
from hyperlax.space.distributions import Categorical, LogUniform, Uniform, UniformInt, sample
from hyperlax.space.edges import edge_warning, range_edges
from hyperlax.space.recipes import Recipe, load_recipe

PBT_FILE = "pbt.json"
PBT = StoredRun(
    PBT_FILE, "pbt-search", required=("algo_and_network_config", "env_config", "population_size", "seed", "num_seeds")
)
EXPLOITS = ("truncation", "none")
EXPLORES = ("perturb", "resample")


def resolve_args(args: PBTArgs) -> tuple[PBTArgs, Path | None]:
    merged = merge_options(PBTArgs, given_values(args), args.resume_from, PBT)
    resolved = resolved_options(PBTArgs, merged)
    if args.resume_from is None:
        check_output_root(resolved.output_root)
    for name, valid in (("exploit", EXPLOITS), ("explore", EXPLORES)):
        if getattr(resolved, name) not in valid:
            raise InputError(f"unknown --{name} '{getattr(resolved, name)}'; valid: {', '.join(valid)}")
    return resolved, (Path(args.resume_from) if args.resume_from is not None else None)


def searched_keys(recipe: Recipe) -> list:
    """The traced hyperparameters PBT may change: those the recipe searches."""
    traced = {dotted_key(f) for f in dataclasses.fields(recipe.algorithm.Config) if is_traced(f)}
    return sorted(k for k in recipe.distributions if k in traced)


def initial_members(recipe: Recipe, args: PBTArgs) -> list:
    """Each member's sampled values: traced ones its own draw, structural ones the first draw's for all."""
    drawn = sample(recipe.distributions, args.population_size, "qmc_sobol", args.seed)
    traced = set(searched_keys(recipe))
    shared = {k: v for k, v in drawn[0].items() if k not in traced}
    return [{**{k: v for k, v in d.items() if k in traced}, **shared} for d in drawn]


def clip_to(dist, value):
    if isinstance(dist, Categorical):
        return value
    low, high = dist.domain
    value = min(max(value, low), high)
    return int(round(value)) if isinstance(dist, UniformInt) else float(value)


def explore_value(dist, value, mode: str, resample_probability: float, rng: np.random.Generator):
    """A new value of one hyperparameter: perturbed (x0.8 / x1.2, integers ±1, categorical to a neighbour)
    or resampled from its distribution; always inside the distribution's domain."""
    if mode == "resample" or rng.random() < resample_probability:
        return dist.from_unit(float(rng.random()))
    if isinstance(dist, Categorical):
        index = dist.values.index(value) if value in dist.values else 0
        return dist.values[int(np.clip(index + rng.choice([-1, 1]), 0, len(dist.values) - 1))]
    if isinstance(dist, UniformInt):
        return clip_to(dist, value + int(rng.choice([-1, 1])))
    assert isinstance(dist, (Uniform, LogUniform))
    return clip_to(dist, value * float(rng.choice([0.8, 1.2])))


def winner_range_edges(winner: dict, recipe: Recipe) -> list:
    """The winner's final values of the searched keys that sit at an edge of their range: explore clips
    values into the range, so a lineage pushing past a bound piles up there."""
    keys = searched_keys(recipe)
    final = winner["schedule"][-1]["hparams"]
    return range_edges({k: final[k] for k in keys}, {k: recipe.distributions[k] for k in keys})


def exploit_pairs(returns: np.ndarray, fraction: float, rng: np.random.Generator) -> dict:
    """Truncation selection: each member of the bottom fraction -> a uniformly chosen member of the top."""
    count = max(1, math.floor(len(returns) * fraction))
    order = np.argsort(returns, kind="stable")  # ascending: worst first
    bottom, top = order[:count], order[-count:]
    return {int(member): int(rng.choice(top)) for member in bottom}


class Population:
    """The members in a slot pool's programs; member m is the pool's sample m."""

    def __init__(self, runner, recipe: Recipe, members: list, args: PBTArgs):
        self.defaults = recipe.defaults()
        self.pool = SlotPool.for_runner(runner, args.population_size)
        for m, values in enumerate(members):
            self.pool.add(Sample.from_values(m, values, self.defaults))

    def step(self) -> np.ndarray:
        """One segment of every member: their eval returns [member, seeds, episodes]."""
        slots = {slot.sample.sample_id: slot for slot in self.pool.step()}
        return np.stack([slots[m].returns[-1] for m in sorted(slots)])

    def set_values(self, member: int, values: dict) -> None:
        self.pool.set_hyperparameters(Sample.from_values(member, values, self.defaults))


def run_interval(population: Population, evaluations: int, progress) -> np.ndarray:
    returns = []
    for _ in range(evaluations):
        returns.append(population.step())
        progress.advance(1)
    return np.stack(returns, axis=2)  # [member, seeds, evaluations, episodes]


def next_generation(members: list, returns: np.ndarray, recipe: Recipe, args: PBTArgs, rng) -> tuple[list, dict]:
    """Exploit and explore after an interval: the members' new values and member -> parent copied."""
    if args.exploit == "none":
        return members, {}
    pairs = exploit_pairs(returns.mean(axis=(1, 2, 3)), args.truncation_fraction, rng)
    keys = searched_keys(recipe)
    new = [dict(values) for values in members]
    for member, parent in pairs.items():
        new[member] = dict(members[parent])
        for key in keys:
            new[member][key] = explore_value(
                recipe.distributions[key], members[parent][key], args.explore, args.resample_probability, rng
            )
    return new, pairs


def pbt_search(args: PBTArgs, console: Console) -> Path:
    args, resume_dir = resolve_args(args)
    recipe = load_recipe(args.algo_and_network_config)
    out = resume_dir or run_dir(args.output_root, recipe, args.env_config)
    if resume_dir is None and (out / PBT_FILE).exists():
        raise InputError(
            f"{out} already holds a PBT run; continue it with --resume-from {out} or choose another --output-root"
        )
    settings = run_settings(recipe, args, hparam_batch_size=args.population_size)
    if args.ready_interval >= settings.num_evaluations:
        raise InputError(
            f"--ready-interval {args.ready_interval} leaves no exploit step in {settings.num_evaluations} "
            f"evaluations; give fewer than --num-evaluations"
        )
    env = env_choice(vars(args), resume_dir and resume_dir / PBT_FILE, args.allow_env_change)
    spec, runner = make_runner(recipe, env, settings)
    note_return_range(console, spec)
    check_structures(runner, recipe, args.population_size, "--population-size")
    with exclusive(out):
        if resume_dir is None:
            write_json_atomic(out / PBT_FILE, run_record(args, settings, recipe, spec))
        try:
            train_population(args, recipe, runner, out, console)
        except KeyboardInterrupt as exc:
            raise interrupted(exc, f"every finished interval is checkpointed in {out / 'pbt'}", out) from None
    return out


def train_population(args: PBTArgs, recipe: Recipe, runner, out: Path, console: Console) -> None:
    settings = runner.settings
    intervals = math.ceil(settings.num_evaluations / args.ready_interval)
    rng = np.random.default_rng(args.pbt_seed)
    members, lineage, curves = initial_members(recipe, args), [], []
    population = Population(runner, recipe, members, args)
    start_interval, parents = 0, {m: m for m in range(args.population_size)}
    checkpoint = load_checkpoint(out)
    if checkpoint is not None:
        start_interval, members, parents, lineage, curves, leaves, rng.bit_generator.state = checkpoint
        for m, values in enumerate(members):
            population.set_values(m, values)
        population.pool.load_states(leaves)
        console.print(f"resuming after interval {start_interval} of {intervals}")
    fixed = {k: v for k, v in members[0].items() if k not in searched_keys(recipe)}
    console.print(
        f"pbt: {args.population_size} members of {recipe.name} on {runner.spec.name}, {intervals} intervals of "
        f"{args.ready_interval} evaluations, exploit {args.exploit}, explore {args.explore} -> {out}"
        + (f"; structural values fixed for all: {fixed}" if fixed else "")
    )
    start = time.perf_counter()
    with BatchProgress(console, intervals, args.ready_interval, "intervals") as progress:
        progress.set_done(start_interval, 0, 0)
        for t in range(start_interval, intervals):
            done = t * args.ready_interval
            returns = run_interval(population, min(args.ready_interval, settings.num_evaluations - done), progress)
            curves.append(returns)
            lineage += [{"interval": t, "member": m, "parent": parents.get(m, m), "hparams": members[m],
                         "return": float(returns[m].mean())} for m in range(args.population_size)]  # fmt: skip
            parents = {m: m for m in range(args.population_size)}
            if t + 1 < intervals:
                members, pairs = next_generation(members, returns, recipe, args, rng)
                for member, parent in pairs.items():
                    population.pool.copy_row(parent, member)
                    population.set_values(member, members[member])
                parents.update(pairs)
            save_checkpoint(
                out, t + 1, members, parents, lineage, curves, population.pool.states(), rng.bit_generator.state
            )
            progress.set_done(t + 1, population.pool.meter.env_steps, population.pool.meter.train_seconds)
    steps_per_evaluation = population.pool.slot(0).steps_per_segment
    winner = best_schedule(lineage)
    edges = winner_range_edges(winner, recipe)
    files = write_outputs(
        out, searched_keys(recipe), args, lineage, np.concatenate(curves, axis=2), steps_per_evaluation, edges
    )
    console.print(
        f"pbt: member {winner['member']} wins with {winner['final_return']:.4g} after "
        f"{time.perf_counter() - start:.0f}s; {', '.join(str(f.relative_to(out)) for f in files)}"
    )
    for record in edges:
        where = "in a copy of the recipe (--algo-and-network-config FILE.py)"
        console.print(edge_warning(record, f"winning member {winner['member']}'s", where), markup=False, soft_wrap=True)
    console.print(f"throughput: {runner.meter.summary(time.perf_counter() - start)}")
