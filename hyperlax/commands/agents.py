"""Saving agents (--save-agents none|best|all): which finished samples keep their final parameters, and the
manifest that lets `hyperlax evaluate` and `hyperlax.load_agent` act with them.

The parameters are read from the final training state after the program returned (Runner.agent_params: a
batch's result, or a slot of the pool just before it is freed), so saving never slows training. They are
written into the sample's directory with its results, before success.txt, which lists them:
`agent/` in a directory made for one configuration (a study's trial, a pruned sweep's sample, `hyperlax
train`'s batch), `agent_NNNNN/` (the sample id or trial number) in the batches of a sweep, a re-evaluation
or a validation.
"""

import importlib.metadata
import math
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hyperlax
from hyperlax.engine.runner import Runner, Sample
from hyperlax.results.agents import AGENT_FILES, write_agent
from hyperlax.results.outcomes import Status

SAVE_MODES = ("none", "best", "all")
VERSIONED = ("jax", "jaxlib", "flax", "optax", "gymnax", "optuna")
KEPT_STATUSES = (Status.OK, Status.PRUNED)  # a diverged sample's parameters are not finite: never saved


def versions() -> dict:
    found = {"hyperlax": hyperlax.__version__, "python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def agent_dir_name(sample_id: int, alone: bool) -> str:
    return "agent" if alone else f"agent_{sample_id:05d}"


def env_record(spec) -> dict:
    """The env's identity and spaces, as a saved agent needs them."""
    return {
        "name": spec.name,
        "env_id": spec.env_id,
        "params_digest": spec.params_digest,
        "obs_shape": list(spec.obs_shape),
        "discrete": spec.discrete,
        "action_dim": spec.action_dim,
        "action_low": spec.action_low,
        "action_high": spec.action_high,
        "max_episode_steps": spec.max_episode_steps,
    }


@dataclass
class AgentSaving:
    """What a run saves: `mode` (none, best, all), and `wanted(sample, row) -> bool` for a finished sample
    (all: every one that trained; best: the command decides, e.g. the best so far). `recipe` and `runner`
    give the manifest its algorithm, configuration, env and budget; `single`: each directory holds one
    configuration, whose agent is `agent/`."""

    mode: str
    recipe: object
    runner: Runner
    wanted: Callable | None = None
    single: bool = False

    @property
    def active(self) -> bool:
        return self.mode != "none" and self.runner.can_keep_agents()

    def keeps(self, sample: Sample, row: dict) -> bool:
        if not self.active or row["status"] not in KEPT_STATUSES:
            return False
        return self.mode == "all" or self.wanted is None or self.wanted(sample, row)

    def manifest(self, sample: Sample, row: dict, saved: dict) -> dict:
        settings, spec = self.runner.settings, self.runner.spec
        return {
            "algorithm": self.recipe.algo_name,
            "algorithm_name": self.runner.algorithm.NAME,
            "recipe": self.recipe.name,
            "sample_id": sample.sample_id,
            "config": sample.flat_config,
            "values": sample.values,
            "env": env_record(spec),
            "num_seeds": int(saved["env_steps"].shape[0]),
            "seed": settings.seed,
            "key_id": sample.keys_id,
            "training": {
                "total_timesteps": settings.total_timesteps,
                "num_evaluations": settings.num_evaluations,
                "eval_episodes": settings.eval_episodes,
                "env_steps": [int(n) for n in saved["env_steps"]],
            },
            "status": str(row["status"]),
            "final_performance": row.get("final_performance"),
            "versions": versions(),
        }

    def writer(self, samples: list, rows: list, agents: dict) -> Callable | None:
        """write_samples' `extra`: the agents of the samples this run keeps, written into the directory."""
        rows_by_id = {row["sample_id"]: row for row in rows}
        kept = [s for s in samples if s.sample_id in agents and self.keeps(s, rows_by_id[s.sample_id])]
        if not kept:
            return None

        def write(directory: Path) -> list:
            names = []
            for sample in kept:
                name = agent_dir_name(sample.sample_id, alone=self.single)
                saved = agents[sample.sample_id]
                write_agent(directory / name, saved, self.manifest(sample, rows_by_id[sample.sample_id], saved))
                names += [f"{name}/{file}" for file in AGENT_FILES]
            return names

        return write


def saved_agent_dirs(directory: Path) -> list:
    """The agent directories a results directory holds."""
    return sorted(p for p in directory.glob("agent*") if p.is_dir())


class BestSoFar:
    """`wanted` of a sweep's --save-agents best: a sample whose final_performance beats every sample that
    ended before it (those already on disk included, so a resume goes on where it stopped)."""

    def __init__(self, rows: list = ()):
        self.best = max((v for r in rows if (v := ok_value(r)) is not None), default=-math.inf)

    def __call__(self, sample: Sample, row: dict) -> bool:
        value = ok_value(row)
        if value is None or value <= self.best:
            return False
        self.best = value
        return True


def ok_value(row: dict) -> float | None:
    value = row.get("final_performance")
    ok = row.get("status") == Status.OK and value is not None and math.isfinite(value)
    return value if ok else None
