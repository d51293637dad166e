"""Options of the commands around saved agents: hyperlax train and hyperlax evaluate (--save-agents of the
other commands is declared with each)."""

from dataclasses import dataclass

from hyperlax.commands.options.fields import int_in, option
from hyperlax.commands.options.shared import RunArgs, SpaceArgs

SAVE_AGENTS_HELP = "none, best or all: keep the final parameters of every seed of the chosen configurations "


def save_agents_option(chosen: str, default: str):
    """--save-agents of a command, whose `best` keeps `chosen`."""
    return option(SAVE_AGENTS_HELP + f"(best: {chosen}) in agent/ beside their results", default,
                  choices=["none", "best", "all"])  # fmt: skip


@dataclass
class TrainArgs(RunArgs, SpaceArgs):
    """hyperlax train: one configuration on several seeds, its agents saved."""

    ALSO_FIXED = ("program_width",)

    num_seeds: int | None = option("seeds, trained in the same program", 5, type=int_in(1, 1024), fixed=True)
    from_study: str | None = option(
        "a study directory: train its selected trial (the configuration study-best --format yaml writes); its "
        "recipe, env and budget unless given",
        metavar="STUDY_DIR",
    )
    zoo: str | None = option(
        "a zoo entry: a pair hyperlax zoo lists (ppo:gymnax:CartPole-v1) or an entry's .yaml file; trains its "
        "spec as --spec would (flags override it), then prints the shipped tuned IQM beside the new one",
        metavar="PAIR_OR_FILE",
    )
    num_samples: int | None = option(
        "configurations: train trains one (so a study-best --format yaml spec, which says 1, runs as it is)",
        1,
        type=int_in(1, 1),
    )


@dataclass
class EvaluateArgs:
    """hyperlax evaluate: a saved agent's returns, and an animation."""

    agent: str | None = option("an agent directory a run saved (agent/ or agent_NNNNN/)", required=True, metavar="PATH")
    episodes: int | None = option("episodes to run, in parallel", 10, type=int_in(1, 100_000))
    stochastic: bool | None = option(
        "act by sampling (PPO, SAC: the policy's distribution; DQN: epsilon-greedy with its epsilon_end) instead "
        "of greedily",
        False,
        action="store_true",
    )
    seed: int | None = option("seed of the episodes' keys", 0, type=int_in(0, 2**32 - 1))
    seed_index: int | None = option("which of the agent's training seeds acts", 0, type=int_in(0, 1023))
    env_config: str | None = option(
        "another env with the same observation and action spaces (a robustness check)", shown="the agent's env"
    )
    render: str | None = option(
        "write one episode as a GIF animation there (gymnax's visualizer: classic control, MinAtar, bsuite "
        "Catch, ...; needs hyperlax[render])",
        metavar="OUT.gif",
    )
