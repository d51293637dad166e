"""Throughput of the vectorized runner: compile seconds and env-steps/s for N configs in one batch,
and the wall time of one N-config sweep batched vs sequential.

    python benchmarks/throughput.py                       # PPO Pendulum, N = 1, 8, 32
    python benchmarks/throughput.py --algos ppo sac dqn   # all three algorithms
    python benchmarks/throughput.py --sizes 64 512 2048   # many configs (GPU)
    python benchmarks/throughput.py --algos dqn64         # DQN as rejax's anchor trains it (64x64, 1 update/step)
    python benchmarks/throughput.py --algos ppo-minatar ppo-brax   # PPO's structure on Breakout-MinAtar and a brax env

The configurations differ in their traced hyperparameters (Sobol samples of the recipe's space) and share
the structure below, so each N is one structural group. Compile seconds are measured with the persistent
compilation cache off, so they are real compiles. On CPU the configurations run in narrow programs, one per
core side by side; on a GPU each N is one program of N configurations (its config axis split over all
visible devices).
"""

import argparse
import time

import hyperlax

hyperlax.configure_xla()  # the CLI's XLA settings, before JAX starts

import jax  # noqa: E402

from hyperlax.algos.common import config_from_flat
from hyperlax.engine.runner import Runner, RunSettings, Sample
from hyperlax.envs.registry import make_env
from hyperlax.space.distributions import sample
from hyperlax.space.recipes import load_recipe

# rejax's PPO anchor structure (../shared/anchors/rejax_bench.py, benchmarks/anchors/rejax_ppo_env.py)
PPO = {
    "algorithm.hyperparam.num_envs": 16,
    "algorithm.hyperparam.rollout_length": 128,
    "algorithm.hyperparam.epochs": 10,
    "algorithm.hyperparam.num_minibatches": 8,
    "algorithm.network.actor_network.pre_torso.layer_sizes": [64, 64],
    "algorithm.network.critic_network.pre_torso.layer_sizes": [64, 64],
    "algorithm.network.actor_network.pre_torso.activation": "tanh",
    "algorithm.network.critic_network.pre_torso.activation": "tanh",
}
BENCHMARKS = {
    # algo: (recipe, env, structural overrides[, env kwargs])
    "ppo": ("ppo_mlp", "gymnax.pendulum", PPO),
    "ppo-minatar": ("ppo_mlp", "gymnax:Breakout-MinAtar", PPO),
    "ppo-brax": ("ppo_mlp", "brax:inverted_pendulum", PPO, {"backend": "positional"}),  # needs the brax extra
    # Learning starts early so that short runs measure steady-state updates, not the random warm-up.
    "sac": ("sac_mlp", "gymnax.pendulum", {"algorithm.hyperparam.learning_starts": 256}),
    "dqn": ("dqn_mlp", "gymnax.cartpole", {"algorithm.hyperparam.learning_starts": 256}),
    # rejax's DQN (the anchor): its Q network is fixed at 64x64, one gradient update per env step.
    "dqn64": (
        "dqn_mlp",
        "gymnax.cartpole",
        {
            "algorithm.hyperparam.learning_starts": 256,
            "algorithm.hyperparam.train_frequency": 1,
            "algorithm.hyperparam.gradient_steps": 1,
            "algorithm.network.q_network.pre_torso.layer_sizes": [64, 64],
        },
    ),
}


def make_samples(recipe, overrides: dict, n: int) -> list:
    defaults = {**recipe.defaults(), **overrides}
    traced = {
        k: d for k, d in recipe.distributions.items() if k.startswith("algorithm.hyperparam.") and k not in overrides
    }
    return [Sample.from_values(i, v, defaults) for i, v in enumerate(sample(traced, n, "qmc_sobol", 0))]


def run_all(runner: Runner, samples: list) -> tuple[float, float]:
    """Train every sample; return (compile seconds, wall seconds including compiles)."""
    start, compile_seconds = time.perf_counter(), 0.0
    for plan in runner.plan(samples):
        compile_seconds += runner.run_batch(plan).compile_seconds
    return compile_seconds, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algos", nargs="+", default=["ppo"], choices=sorted(BENCHMARKS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--total-timesteps", type=int, default=65_536, help="env steps per config and seed")
    parser.add_argument("--num-seeds", type=int, default=2)
    parser.add_argument("--num-evaluations", type=int, default=4)
    parser.add_argument("--skip-sequential", action="store_true", help="skip the batched-vs-sequential comparison")
    args = parser.parse_args()
    print(
        f"backend: {jax.default_backend()} ({jax.devices()[0].device_kind}), {jax.device_count()} device(s), "
        f"jax {jax.__version__}"
    )
    for algo in args.algos:
        recipe_name, env_name, overrides, *env_kwargs = BENCHMARKS[algo]
        recipe, spec = load_recipe(recipe_name), make_env(env_name, env_kwargs[0] if env_kwargs else {})
        structure = config_from_flat(recipe.algorithm.Config, {**recipe.defaults(), **overrides})
        # Off-policy agents only update after `learning_starts`; count the updates the run really makes.
        learning_fraction = (
            1 - min(getattr(structure, "learning_starts", 0), args.total_timesteps) / args.total_timesteps
        )
        updates_per_step = recipe.algorithm.gradient_updates_per_env_step(structure) * learning_fraction
        print(
            f"\n{algo} on {spec.env_id}: {args.total_timesteps} env steps x {args.num_seeds} seeds per config, "
            f"{updates_per_step:.4g} gradient updates per env step on average"
        )
        print(f"{'N':>5} {'compile s':>10} {'train s':>9} {'compile %':>10} {'env-steps/s':>13} {'updates/s':>11}")
        for n in args.sizes:
            settings = RunSettings(
                total_timesteps=args.total_timesteps,
                num_evaluations=args.num_evaluations,
                num_seeds=args.num_seeds,
                eval_episodes=4,
                hparam_batch_size=n,
            )
            runner = Runner(recipe.algorithm, spec, settings)
            [plan] = runner.plan(make_samples(recipe, overrides, n))
            result = runner.run_batch(plan)
            rate = result.env_steps_per_second
            share = result.compile_seconds / (result.compile_seconds + result.wall_seconds)
            print(
                f"{n:>5} {result.compile_seconds:>10.1f} {result.wall_seconds:>9.1f} {share:>10.0%} {rate:>13,.0f} "
                f"{rate * updates_per_step:>11,.0f}"
            )
        if args.skip_sequential:
            continue
        n = max(args.sizes)
        samples = make_samples(recipe, overrides, n)
        for mode, sequential in (("batched", False), ("sequential", True)):
            settings = RunSettings(
                total_timesteps=args.total_timesteps,
                num_evaluations=args.num_evaluations,
                num_seeds=args.num_seeds,
                eval_episodes=4,
                hparam_batch_size=n,
                sequential=sequential,
            )
            compile_seconds, wall = run_all(Runner(recipe.algorithm, spec, settings), samples)
            print(f"{n}-config sweep {mode:>10}: wall {wall:7.1f} s (compile {compile_seconds:.1f} s)")


if __name__ == "__main__":
    main()
