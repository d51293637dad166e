"""Proof that the default configurations learn: train each (algo, env) default config on several seeds
and write docs/results.md with mean ± std final return, budget, wall time and a learning-curve plot.

    python benchmarks/learning.py                     # every pair below, 5 seeds
    python benchmarks/learning.py --pairs sac:gymnax.pendulum --num-seeds 3
    python benchmarks/learning.py --pairs ppo:brax:inverted_pendulum --total-timesteps 20000 --output /tmp/r.md

A pair may change the recipe's defaults for its env (`overrides`, dotted keys) and pass env kwargs; the brax
pairs need `pip install -e ".[brax]"`. `--total-timesteps` replaces every pair's budget (a smoke run).

Each pair's result is kept in docs/curves/<algo>_<env>.json, and docs/results.md is rendered from every
result there, so pairs can be re-run one at a time. Seeds are trained together in one vmapped program
(the runner's seed axis). "Final return" is the mean eval return (deterministic policy, 10 episodes) at the
last evaluation, per seed.
"""

import argparse
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import hyperlax

hyperlax.configure_xla()  # the CLI's XLA settings, before JAX starts

import jax  # noqa: E402
import plotly.graph_objects as go

from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe


@dataclass(frozen=True)
class Pair:
    recipe: str
    steps: int
    threshold: float  # what the mean final return must reach
    overrides: dict = field(default_factory=dict)  # the recipe's defaults changed for this env, by dotted key
    env_kwargs: dict = field(default_factory=dict)


HP = "algorithm.hyperparam."
# gymnax-blines' PPO settings for Breakout-MinAtar (agents/Breakout-MinAtar/ppo.yaml: 64 envs x 128 steps, 4 epochs,
# 8 minibatches, lr 5e-4, clip 0.2, entropy 0.01, GAE 0.95, gamma 0.999), on the recipe's 64x64 tanh MLP (theirs:
# 2 x 256) to fit a CPU; the MLP torso flattens the 10x10x4 image.
MINATAR_PPO = {
    **{HP + k: v for k, v in dict(num_envs=64, rollout_length=128, epochs=4, num_minibatches=8, gamma=0.999).items()},
    **{HP + k: v for k, v in dict(actor_lr=5e-4, critic_lr=5e-4, clip_eps=0.2, ent_coef=0.01, gae_lambda=0.95).items()},
    HP + "vf_coef": 0.5,
    HP + "max_grad_norm": 0.5,
    HP + "normalize_observations": False,  # binary image channels
}
# A uniformly random policy scores 0.47 on Breakout-MinAtar (1000 episodes, seed 0); the pairs ask for 10x that.
BREAKOUT_RANDOM = 0.466
BRAX = {"backend": "positional"}  # the quickest brax backend on a CPU

PAIRS = {
    ("ppo", "gymnax.cartpole"): Pair("ppo_mlp", 200_000, 450.0),
    ("ppo", "gymnax.pendulum"): Pair("ppo_mlp", 500_000, -400.0),
    ("sac", "gymnax.pendulum"): Pair("sac_mlp", 20_000, -250.0),
    ("dqn", "gymnax.cartpole"): Pair("dqn_mlp", 100_000, 400.0),
    ("ppo", "gymnax:Catch-bsuite"): Pair("ppo_mlp", 200_000, 0.8),
    ("ppo", "gymnax:Breakout-MinAtar"): Pair("ppo_mlp", 1_000_000, 10 * BREAKOUT_RANDOM, MINATAR_PPO),
    ("dqn", "gymnax:Breakout-MinAtar"): Pair("dqn_mlp", 100_000, 10 * BREAKOUT_RANDOM),
    ("ppo", "brax:inverted_pendulum"): Pair("ppo_mlp", 2_000_000, 900.0, {}, BRAX),
    ("sac", "brax:inverted_pendulum"): Pair("sac_mlp", 10_000, 900.0, {}, BRAX),
}

REFERENCES = """\
## Published references

rl-baselines3-zoo `benchmark.md` (Stable-Baselines3 agents with per-env tuned hyperparameters, one run each,
deterministic policy, mean ± std episode return over many evaluation episodes):

| algo | env | budget | zoo return |
|---|---|---|---|
| PPO | CartPole-v1 | 100k | 500.0 ± 0.0 |
| PPO | Pendulum-v1 | 100k | -172.2 ± 104.2 |
| SAC | Pendulum-v1 | 20k | -157.0 ± 88.7 |
| DQN | CartPole-v1 | 50k | 500.0 ± 0.0 |

PureJaxRL's `ppo.py` (gymnax CartPole-v1, 4 envs x 128 steps, 500k steps) reaches a return of about 500.
The zoo tunes every (algo, env) pair, while each hyperlax row uses one default config per algorithm, so
these are a plausibility check, not a like-for-like comparison.

Catch-bsuite: gymnax's README lists its PPO and ES agents (gymnax-blines) at a return of 1, the maximum.
Breakout-MinAtar: gymnax-blines' PPO (`agents/Breakout-MinAtar/ppo.yaml`) trains 10M steps (64 envs x 128
steps, a 2 x 256 MLP, gamma 0.999); the PPO row uses those settings on a 64 x 64 MLP at a tenth of that budget
or less, and the DQN row the recipe's default. We found no final return for it in gymnax's or gymnax-blines'
README, so the threshold is 10x a uniformly random policy's 0.47 (1000 episodes). brax inverted_pendulum:
reward 1 per step upright, 1000 at most (the 1000-step time limit); its rows use the positional backend.
"""


def train_default(pair: Pair, env_name: str, total_timesteps: int, num_seeds: int, num_evaluations: int):
    recipe, spec = load_recipe(pair.recipe), make_env(env_name, pair.env_kwargs)
    settings = RunSettings(
        total_timesteps=total_timesteps,
        num_evaluations=num_evaluations,
        num_seeds=num_seeds,
        eval_episodes=10,
        seed=0,
        hparam_batch_size=1,
    )
    runner = Runner(recipe.algorithm, spec, settings)
    [plan] = runner.plan([Sample.from_values(0, pair.overrides, recipe.defaults())])
    start = time.perf_counter()
    result = runner.run_batch(plan)
    return spec, result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="+", default=[f"{a}:{e}" for a, e in PAIRS], help="algo:env-config")
    parser.add_argument("--num-seeds", type=int, default=5)
    parser.add_argument("--num-evaluations", type=int, default=20)
    parser.add_argument("--total-timesteps", type=int, help="every pair's budget instead of its own")
    parser.add_argument("--output", default="docs/results.md")
    args = parser.parse_args()
    out = Path(args.output)
    (out.parent / "curves").mkdir(parents=True, exist_ok=True)
    device = jax.devices()[0].device_kind
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {jax.default_backend()} backend ({device}), jax {jax.__version__}"
    for text in args.pairs:
        algo, env_name = text.split(":", 1)
        record = run_pair(algo, env_name, args, out.parent / "curves")
        record["machine"] = machine
        print(
            f"{record['name']}: final return {record['mean']:.1f} ± {record['std']:.1f} "
            f"(threshold {record['threshold']:g}), {record['wall_seconds']:.0f} s",
            flush=True,
        )
        (out.parent / "curves" / f"{record['name']}.json").write_text(json.dumps(record, indent=2))
    render(out)
    print(f"wrote {out}")


def run_pair(algo: str, env_name: str, args, curves_dir: Path) -> dict:
    """Train one pair's default config on every seed; its curve plot, and its record for the table."""
    pair = PAIRS[(algo, env_name)]
    steps = args.total_timesteps or pair.steps
    spec, result, wall = train_default(pair, env_name, steps, args.num_seeds, args.num_evaluations)
    per_seed = result.returns[0, :, -1, :].mean(axis=-1)  # [seed]: last evaluation
    name = f"{algo}_{spec.env_id.replace(':', '_')}"
    budget = f" --total-timesteps {steps}" if args.total_timesteps else ""
    curves = result.returns[0].mean(axis=-1)  # [seed, evaluation]
    fig = go.Figure()
    for s, curve in enumerate(curves):
        fig.add_trace(go.Scatter(x=result.eval_steps, y=curve, mode="lines", name=f"seed {s}", opacity=0.4))
    fig.add_trace(
        go.Scatter(x=result.eval_steps, y=curves.mean(0), mode="lines+markers", name="mean", line={"width": 3})
    )
    fig.add_hline(y=pair.threshold, line_dash="dash", annotation_text=f"threshold {pair.threshold:g}")
    fig.update_layout(
        title=f"{algo.upper()} default config on {spec.env_id}", xaxis_title="env steps", yaxis_title="eval return"
    )
    fig.write_html(curves_dir / f"{name}.html", include_plotlyjs="cdn")
    return {
        "name": name,
        "algo": algo,
        "env": spec.env_id,
        "steps": steps,
        "seeds": args.num_seeds,
        "threshold": pair.threshold,
        "overrides": pair.overrides,
        "env_kwargs": pair.env_kwargs,
        "mean": float(per_seed.mean()),
        "std": float(per_seed.std()),
        "per_seed": per_seed.tolist(),
        "wall_seconds": wall,
        "compile_seconds": result.compile_seconds,
        "command": f"python benchmarks/learning.py --pairs {algo}:{env_name} --num-seeds {args.num_seeds}{budget}",
    }


def render(out: Path) -> None:
    rows = []
    for path in sorted((out.parent / "curves").glob("*.json")):
        r = json.loads(path.read_text())
        met = "yes" if r["mean"] >= r["threshold"] else "NO"
        digits = 1 if abs(r["threshold"]) >= 10 else 2  # returns of order 1 (Catch, MinAtar) need decimals
        rows.append(
            f"| {r['algo'].upper()} | {r['env']} | {r['steps']:,} | {r['seeds']} | "
            f"{r['mean']:.{digits}f} ± {r['std']:.{digits}f} | "
            f"{', '.join(f'{x:.{digits - 1}f}' for x in r['per_seed'])} | ≥ {r['threshold']:.3g} | {met} | "
            f"{r['wall_seconds']:.0f} s (compile {r['compile_seconds']:.0f} s) | "
            f"[curve](curves/{path.stem}.html) | `{r['command']}` on {r['machine']} |"
        )
    # What other benchmarks write after the references, from the first <!-- name --> marker on, is kept.
    previous = out.read_text() if out.exists() else ""
    others = "\n" + previous[previous.index("<!-- ") :] if "<!-- " in previous else ""
    out.write_text(
        """# Default configurations learn

Each row trains the recipe's default config on several seeds (one vmapped program); final return = mean
eval return (10 episodes, deterministic policy) at the last of 20 evaluations, mean ± std over seeds.
Wall time includes the compile; some rows ran with other jobs sharing the 2-core CPU, so read wall times as
upper bounds. Produced by `benchmarks/learning.py`; each row names its command and machine.

"""
        + "| algo | env | env steps | seeds | final return | per seed | threshold | met | wall time | learning curve "
        + "| produced by |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        + REFERENCES
        + others
    )


if __name__ == "__main__":
    main()
