"""rejax's DQN anchor (../shared/anchors/rejax_dqn_bench.py) at several replay-buffer sizes.

rejax 0.1.3 samples a minibatch without replacement over its whole buffer (`jax.random.choice(replace=False,
p=mask)`), O(buffer size) per update; hyperlax samples with replacement, O(batch size). Run beside
`python benchmarks/throughput.py --algos dqn64 --sizes 8 --total-timesteps 4096 --num-seeds 1 --num-evaluations 1
--skip-sequential` to see how much of the DQN ratio is that sampler. Runs in the anchors' venv:

    /tmp/venv-rejax/bin/python benchmarks/anchors/rejax_dqn_buffer.py 4096 8 100000,4096,1024
"""

import sys
import time

import jax
import jax.numpy as jnp
from rejax import DQN

total, n = int(sys.argv[1]), int(sys.argv[2])
buffer_sizes = [int(x) for x in sys.argv[3].split(",")]
base = dict(env="CartPole-v1", total_timesteps=total, eval_freq=total, num_envs=1, fill_buffer=256, batch_size=64,
            gamma=0.99, target_update_freq=256, ddqn=True, agent_kwargs=dict(activation="relu"))  # fmt: skip
for buffer_size in buffer_sizes:
    lrs = jnp.logspace(-4, -2.5, n)
    algos = jax.vmap(lambda lr, b=buffer_size: DQN.create(**base, buffer_size=b, learning_rate=lr))(lrs)
    train = jax.jit(jax.vmap(lambda a, k: a.train(k)))  # one key per config, as in a real sweep
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    start = time.perf_counter()
    compiled = train.lower(algos, keys).compile()
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    jax.block_until_ready(compiled(algos, keys))
    seconds = time.perf_counter() - start
    print(f"rejax DQN N={n} buffer {buffer_size:>7,}: compile {compile_seconds:.1f}s run {seconds:.2f}s "
          f"{n * total / seconds:,.0f} env-steps/s", flush=True)  # fmt: skip
