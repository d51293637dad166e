"""Proof that the default configurations learn: train each (algo, env) default config on several seeds
and write docs/results.md with mean ± std final return, budget, wall time and a learning-curve plot.

    python benchmarks/learning.py                     # every pair below, 5 seeds
    python benchmarks/learning.py --pairs sac:gymnax.pendulum --num-seeds 3

Each pair's result is kept in docs/curves/<algo>_<env>.json, and docs/results.md is rendered from every
result there, so pairs can be re-run one at a time. Seeds are trained together in one vmapped program
(the runner's seed axis). "Final return" is the mean eval return (deterministic policy, 10 episodes) at the
last evaluation, per seed.
"""

import argparse
import json
import platform
import re
import time
from pathlib import Path

import hyperlax

hyperlax.configure_xla()  # the CLI's XLA settings, before JAX starts

import jax  # noqa: E402
import plotly.graph_objects as go

from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.space.recipes import load_recipe

# (algo, env config): (recipe, env steps, threshold the mean final return must reach)
PAIRS = {
    ("ppo", "gymnax.cartpole"): ("ppo_mlp", 200_000, 450.0),
    ("ppo", "gymnax.pendulum"): ("ppo_mlp", 500_000, -400.0),
    ("sac", "gymnax.pendulum"): ("sac_mlp", 20_000, -250.0),
    ("dqn", "gymnax.cartpole"): ("dqn_mlp", 100_000, 400.0),
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
"""


def train_default(recipe_name: str, env_name: str, total_timesteps: int, num_seeds: int, num_evaluations: int):
    recipe, spec = load_recipe(recipe_name), make_env(env_name)
    settings = RunSettings(
        total_timesteps=total_timesteps,
        num_evaluations=num_evaluations,
        num_seeds=num_seeds,
        eval_episodes=10,
        seed=0,
        hparam_batch_size=1,
    )
    runner = Runner(recipe.algorithm, spec, settings)
    [plan] = runner.plan([Sample.from_values(0, {}, recipe.defaults())])
    start = time.perf_counter()
    result = runner.run_batch(plan)
    return spec, result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="+", default=[f"{a}:{e}" for a, e in PAIRS], help="algo:env-config")
    parser.add_argument("--num-seeds", type=int, default=5)
    parser.add_argument("--num-evaluations", type=int, default=20)
    parser.add_argument("--output", default="docs/results.md")
    args = parser.parse_args()
    out = Path(args.output)
    (out.parent / "curves").mkdir(parents=True, exist_ok=True)
    device = jax.devices()[0].device_kind
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {jax.default_backend()} backend ({device}), jax {jax.__version__}"
    for pair in args.pairs:
        algo, env_name = pair.split(":")
        recipe_name, steps, threshold = PAIRS[(algo, env_name)]
        spec, result, wall = train_default(recipe_name, env_name, steps, args.num_seeds, args.num_evaluations)
        per_seed = result.returns[0, :, -1, :].mean(axis=-1)  # [seed]: last evaluation
        name = f"{algo}_{spec.env_id}"
        record = {
            "algo": algo,
            "env": spec.env_id,
            "steps": steps,
            "seeds": args.num_seeds,
            "threshold": threshold,
            "mean": float(per_seed.mean()),
            "std": float(per_seed.std()),
            "per_seed": per_seed.tolist(),
            "wall_seconds": wall,
            "compile_seconds": result.compile_seconds,
            "machine": machine,
            "command": f"python benchmarks/learning.py --pairs {pair} --num-seeds {args.num_seeds}",
        }
        (out.parent / "curves" / f"{name}.json").write_text(json.dumps(record, indent=2))
        print(
            f"{name}: final return {record['mean']:.1f} ± {record['std']:.1f} (threshold {threshold:g}), {wall:.0f} s",
            flush=True,
        )
        curves = result.returns[0].mean(axis=-1)  # [seed, evaluation]
        fig = go.Figure()
        for s, curve in enumerate(curves):
            fig.add_trace(go.Scatter(x=result.eval_steps, y=curve, mode="lines", name=f"seed {s}", opacity=0.4))
        fig.add_trace(
            go.Scatter(x=result.eval_steps, y=curves.mean(0), mode="lines+markers", name="mean", line={"width": 3})
        )
        fig.add_hline(y=threshold, line_dash="dash", annotation_text=f"threshold {threshold:g}")
        fig.update_layout(
            title=f"{algo.upper()} default config on {spec.env_id}",
            xaxis_title="env steps",
            yaxis_title="eval return",
        )
        fig.write_html(out.parent / "curves" / f"{name}.html", include_plotlyjs="cdn")
    render(out)
    print(f"wrote {out}")


def render(out: Path) -> None:
    rows = []
    for path in sorted((out.parent / "curves").glob("*.json")):
        r = json.loads(path.read_text())
        met = "yes" if r["mean"] >= r["threshold"] else "NO"
        rows.append(
            f"| {r['algo'].upper()} | {r['env']} | {r['steps']:,} | {r['seeds']} | {r['mean']:.1f} ± {r['std']:.1f} | "
            f"{', '.join(f'{x:.0f}' for x in r['per_seed'])} | ≥ {r['threshold']:g} | {met} | "
            f"{r['wall_seconds']:.0f} s (compile {r['compile_seconds']:.0f} s) | "
            f"[curve](curves/{path.stem}.html) | `{r['command']}` on {r['machine']} |"
        )
    # Sections other benchmarks write between <!-- name --> and <!-- /name --> markers are kept.
    previous = out.read_text() if out.exists() else ""
    others = "".join(f"\n{m.group(0)}\n" for m in re.finditer(r"<!-- ([\w-]+) -->.*?<!-- /\1 -->", previous, re.S))
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
