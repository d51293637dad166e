"""Saved agents from Python: load_agent and evaluate, the same as `hyperlax evaluate` without the printing."""

from pathlib import Path


def load_agent(path, env_config: str | None = None, seed_index: int = 0):
    """A saved agent (a trial's, a sweep's or train's agent/ directory): agent.act(obs) acts greedily,
    agent.act(obs, key, deterministic=False) samples; `env_config`: another env with the same spaces."""
    from hyperlax.commands.evaluate import load_agent as load

    return load(Path(path), env_config, seed_index)


def evaluate(agent, episodes: int = 100, seed: int = 0, deterministic: bool = True) -> dict:
    """Run an agent (or the agent saved at a path) for `episodes` episodes, as `hyperlax evaluate` does: its
    returns, and their IQM with a 95% bootstrap interval."""
    import jax

    from hyperlax.results.intervals import iqm_interval

    agent = load_agent(agent) if isinstance(agent, (str, Path)) else agent
    returns = agent.returns(episodes, jax.random.PRNGKey(seed), deterministic=deterministic)
    interval = iqm_interval(returns.tolist())
    return {"returns": returns, "iqm": interval.estimate, "ci": (interval.low, interval.high)}
