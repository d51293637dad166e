"""A SAC recipe small enough to compile and train in seconds: for tests only."""

from hyperlax.configs.algo.sac_mlp import get_base_config as sac_base
from hyperlax.configs.algo.sac_mlp import get_base_hyperparam_distributions  # noqa: F401  (the recipe's space)


def get_base_config():
    config = sac_base()
    config["algorithm"]["hyperparam"].update(num_envs=2, buffer_size=256, batch_size=16, learning_starts=16)
    for net in ("actor_network", "critic_network"):
        config["algorithm"]["network"][net]["pre_torso"]["layer_sizes"] = [16]
    config["training"] = {"total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 1}
    return config
