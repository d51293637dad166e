"""Seams for saved agents, filled by the agents branch: load_agent, evaluate and StudyResult.best_agent call
what it adds, by these names:

- hyperlax.agents.load_agent(path) -> Agent, with agent.act(obs, key=None);
- hyperlax.commands.evaluate.evaluate_agent(agent, episodes: int, seed: int) -> a dict of returns.

Until it is merged, calling them raises ModuleNotFoundError naming the missing module.
"""

from pathlib import Path


def load_agent(path):
    """A saved agent (a trial's or train's agent/ directory) as an Agent: agent.act(obs, key=None)."""
    from hyperlax.agents import load_agent as load  # the agents branch's module

    return load(Path(path))


def evaluate(agent, episodes: int = 100, seed: int = 0) -> dict:
    """Run a saved agent's greedy policy for `episodes` episodes (`hyperlax evaluate`): its returns."""
    from hyperlax.commands.evaluate import evaluate_agent  # the agents branch's module

    return evaluate_agent(load_agent(agent) if isinstance(agent, (str, Path)) else agent, episodes, seed)
