"""A DQN recipe small enough to compile and train in seconds: for tests only."""

from hyperlax.configs.algo.dqn_mlp import get_base_config as dqn_base
from hyperlax.configs.algo.dqn_mlp import get_base_hyperparam_distributions  # noqa: F401  (the recipe's space)


def get_base_config():
    config = dqn_base()
    config["algorithm"]["hyperparam"].update(
        buffer_size=256,
        batch_size=16,
        learning_starts=16,
        train_frequency=4,
        gradient_steps=2,
        target_update_interval=8,
    )
    config["algorithm"]["network"]["q_network"]["pre_torso"]["layer_sizes"] = [16]
    config["training"] = {"total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 1}
    return config
