"""Where the time of a training program goes, and what each layout change bought (docs/results.md).

    python benchmarks/profile_programs.py               # PPO Pendulum and SAC Pendulum, 8 configurations
    python benchmarks/profile_programs.py --algos ppo   # one of them

For each algorithm (the structures of benchmarks/throughput.py, one seed per configuration):
- the FLOPs of one gradient update per configuration, from XLA's cost analysis of the compiled update;
- the time of one iteration and the share of it spent collecting (env steps, buffer writes);
- the CPU's matmul rate (a 1024x1024 float32 matmul), as the practical peak the achieved rate is read against;
- HLO op counts of the segment program with two nested vmaps (configs, seeds) and with one axis of rows;
- env-steps/s of 8 configurations in programs of 2 along the changes made: nested vmaps launched from one
  thread (the old layout), one axis of rows from one thread, and rows with one thread per core (today's).
"""

import argparse
import collections
import functools
import re
import time

import hyperlax

hyperlax.configure_xla()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from throughput import BENCHMARKS, make_samples  # noqa: E402

from hyperlax.algos.common import config_from_flat, stack_configs  # noqa: E402
from hyperlax.engine.programs import cpu_cores, over_rows, run_parallel  # noqa: E402
from hyperlax.engine.runner import config_keys  # noqa: E402
from hyperlax.envs.registry import make_env  # noqa: E402
from hyperlax.space.recipes import load_recipe  # noqa: E402

STEPS = {"ppo": 32_768, "sac": 1_024}  # env steps per configuration in the layout comparison


def seconds_per_call(fn, *args, budget: float = 2.0) -> float:
    jax.block_until_ready(fn(*args))
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < budget:
        jax.block_until_ready(fn(*args))
        calls += 1
    return (time.perf_counter() - start) / calls


def flops(compiled) -> float:
    cost = compiled.cost_analysis()
    return (cost[0] if isinstance(cost, list) else cost)["flops"]


def matmul_rate() -> float:
    a = jnp.ones((1024, 1024), jnp.float32)
    return 2 * 1024**3 / seconds_per_call(jax.jit(jnp.matmul), a, a)


def agent_of(algo, module, config, spec):
    if algo == "ppo":
        return module.Agent(config, spec, None)
    return module.Agent(config, spec)


def update_and_collect(algo, module, agent, hp, state, rows):
    """One vmapped gradient update (compiled), its arguments, and jitted collect steps and iterations to time
    (the same number of each)."""
    keys = jnp.stack([jax.random.PRNGKey(i) for i in range(rows)])
    if algo == "ppo":
        size, spec = agent.minibatch_size, agent.spec
        batch = module.Minibatch(jnp.zeros((rows, size, spec.obs_dim)), jnp.zeros((rows, size, spec.action_dim)),
                                 jnp.zeros((rows, size)), jnp.ones((rows, size)), jnp.ones((rows, size)))  # fmt: skip
        carry = (state.actor_params, state.critic_params, state.actor_opt, state.critic_opt)
        update = jax.jit(jax.vmap(agent.update_minibatch)).lower(hp, carry, batch).compile()
        collect = jax.jit(jax.vmap(lambda h, s: agent.collect_rollout(h, s)[0]))
        return update, (hp, carry, batch), collect, jax.jit(jax.vmap(agent.iteration))
    update = jax.jit(jax.vmap(lambda h, s, k: agent.update(h, s.learner, s.buffer, k)))
    update = update.lower(hp, state, keys).compile()
    # SAC steps the env once per iteration: 100 of them in a scan, so the launch of a call is not measured
    collect = jax.jit(jax.vmap(repeated(lambda h, s: agent.collect(s, *jax.random.split(s.key, 3)), 100)))
    return update, (hp, state, keys), collect, jax.jit(jax.vmap(repeated(agent.iteration, 100)))


def repeated(step, n: int):
    return lambda hp, state: jax.lax.scan(lambda s, _: (step(hp, s), None), state, None, n)[0]


def profile_update(algo, recipe, spec, configs):
    module = recipe.algorithm
    rows = 2
    hp = stack_configs(configs[:rows])
    agent = agent_of(algo, module, configs[0], spec)
    state = jax.jit(jax.vmap(agent.init))(hp, jnp.stack([jax.random.PRNGKey(i) for i in range(rows)]))
    update, _, collect, iterate = update_and_collect(algo, module, agent, hp, state, rows)
    per_update = flops(update) / rows
    iteration = seconds_per_call(iterate, hp, state)
    collecting = seconds_per_call(collect, hp, state)
    updates_per_step = module.gradient_updates_per_env_step(configs[0])
    print(f"  one gradient update: {per_update / 1e6:.1f} MFLOP per configuration (XLA cost analysis); "
          f"{updates_per_step:.4g} updates per env step -> {per_update * updates_per_step / 1e6:.3g} MFLOP "
          f"per env step")  # fmt: skip
    print(f"  iterations of {rows} configurations on one thread: {iteration * 1e3:.2f} ms, of which collecting "
          f"{collecting * 1e3:.2f} ms ({collecting / iteration:.0%})")  # fmt: skip
    return per_update * updates_per_step


def op_counts(train, hp, keys) -> dict:
    layouts = {
        "nested vmaps": (
            jax.vmap(jax.vmap(train.init, in_axes=(None, 0))),
            jax.vmap(jax.vmap(train.segment, in_axes=(None, 0))),
        ),  # fmt: skip
        "one axis of rows": (over_rows(train.init), over_rows(train.segment)),
    }
    counts = {}
    for name, (init, segment) in layouts.items():
        text = jax.jit(segment).lower(hp, jax.eval_shape(init, hp, keys)).compile().as_text()
        ops = collections.Counter(re.findall(r"= \S+ ([\w-]+)\(", text))
        counts[name] = {op: ops[op] for op in ("dot", "transpose", "copy", "fusion")}
    return counts


def layout_rates(algo, recipe, spec, samples, configs) -> dict:
    """env-steps/s of 8 configurations as 4 programs of 2, per layout and launch."""
    train = recipe.algorithm.make_train(configs[0], spec, STEPS[algo], 2, 4)
    hps = [stack_configs(configs[i : i + 2]) for i in range(0, len(configs), 2)]
    keys = [np.stack([config_keys(0, s.sample_id, 1) for s in samples[i : i + 2]]) for i in range(0, len(samples), 2)]
    nested = (jax.vmap(jax.vmap(train.init, in_axes=(None, 0))), jax.vmap(jax.vmap(train.segment, in_axes=(None, 0))))
    rows = (over_rows(train.init), over_rows(train.segment))
    rates = {}
    for name, (init, segment), parallel in (("nested vmaps, one thread", nested, False),
                                             ("one axis of rows, one thread", rows, False),
                                             ("one axis of rows, a thread per core", rows, True)):  # fmt: skip
        init_c = jax.jit(init).lower(hps[0], keys[0]).compile()
        segment_c = jax.jit(segment).lower(hps[0], jax.eval_shape(init, hps[0], keys[0])).compile()
        states = [init_c(h, k) for h, k in zip(hps, keys, strict=True)]
        start = time.perf_counter()
        for _ in range(2):
            calls = [functools.partial(segment_c, h, s) for h, s in zip(hps, states, strict=True)]
            outs = run_parallel(calls) if parallel else [jax.block_until_ready(call()) for call in calls]
            states = [state for state, _ in outs]
        rates[name] = len(configs) * 2 * train.steps_per_segment / (time.perf_counter() - start)
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algos", nargs="+", default=["ppo", "sac"], choices=sorted(STEPS))
    args = parser.parse_args()
    peak = matmul_rate()
    print(f"backend {jax.default_backend()}, {cpu_cores()} cores, jax {jax.__version__}; "
          f"1024x1024 float32 matmul: {peak / 1e9:.0f} GFLOP/s (the practical peak)")  # fmt: skip
    for algo in args.algos:
        recipe_name, env_name, overrides = BENCHMARKS[algo]
        recipe, spec = load_recipe(recipe_name), make_env(env_name)
        samples = make_samples(recipe, overrides, 8)
        configs = [config_from_flat(recipe.algorithm.Config, s.flat_config) for s in samples]
        print(f"\n{algo} on {spec.env_id}")
        flops_per_step = profile_update(algo, recipe, spec, configs)
        train = recipe.algorithm.make_train(configs[0], spec, STEPS[algo], 2, 4)
        keys = np.stack([config_keys(0, s.sample_id, 1) for s in samples[:2]])
        for name, counts in op_counts(train, stack_configs(configs[:2]), keys).items():
            print(f"  segment HLO, {name}: " + ", ".join(f"{n} {op}" for op, n in counts.items()))
        for name, rate in layout_rates(algo, recipe, spec, samples, configs).items():
            achieved = rate * flops_per_step
            print(f"  8 configs, programs of 2, {name}: {rate:,.0f} env-steps/s, {achieved / 1e9:.0f} GFLOP/s "
                  f"({achieved / peak:.0%} of the matmul peak)")  # fmt: skip


if __name__ == "__main__":
    main()
