"""rejax's PPO anchor (../shared/anchors/rejax_bench.py: 16 envs x 128 steps, 10 epochs x 8 minibatches, 64x64 tanh)
on another env, vmapped over N learning rates with one PRNG key per config. rejax's MLP flattens image observations,
as hyperlax's does. Run beside `python benchmarks/throughput.py --algos ppo-minatar --sizes 8
--total-timesteps 32768 --num-seeds 1 --num-evaluations 1 --skip-sequential`, in the anchors' venv:

    /tmp/venv-rejax/bin/python benchmarks/anchors/rejax_ppo_env.py Breakout-MinAtar 32768 1,8

A brax env is rejax's `brax/<name>` compat, with its env params as JSON; it needs brax in that venv
(`/tmp/venv-rejax/bin/pip install brax`), beside `--algos ppo-brax` (positional backend):

    /tmp/venv-rejax/bin/python benchmarks/anchors/rejax_ppo_env.py brax/inverted_pendulum 32768 8 \
        '{"backend": "positional"}'
"""

import json
import sys
import time

import jax
import jax.numpy as jnp
from rejax import PPO

env, total = sys.argv[1], int(sys.argv[2])
sizes = [int(x) for x in sys.argv[3].split(",")]
env_params = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
base = dict(env=env, env_params=env_params, total_timesteps=total, eval_freq=total, num_envs=16, num_steps=128,
            num_epochs=10, num_minibatches=8, learning_rate=3e-4, max_grad_norm=0.5, gamma=0.99, gae_lambda=0.95,
            clip_eps=0.2, ent_coef=0.0, vf_coef=0.5, normalize_observations=True,
            agent_kwargs=dict(hidden_layer_sizes=(64, 64), activation="tanh"))  # fmt: skip
for n in sizes:
    algos = jax.vmap(lambda lr: PPO.create(**{**base, "learning_rate": lr}))(jnp.logspace(-4, -2.5, n))
    train = jax.jit(jax.vmap(lambda a, k: a.train(k)))
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    start = time.perf_counter()
    compiled = train.lower(algos, keys).compile()
    compile_seconds, start = time.perf_counter() - start, time.perf_counter()
    jax.block_until_ready(compiled(algos, keys))
    run = time.perf_counter() - start
    print(f"rejax PPO {env} N={n}: compile {compile_seconds:.1f}s run {run:.2f}s {n * total / run:,.0f} env-steps/s")
