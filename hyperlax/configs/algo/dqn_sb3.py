"""DQN with Stable-Baselines3's stock hyperparameters: the generic default the zoo compares against.

SB3's `DQN` defaults: learning rate 1e-4, 1M-transition buffer, 100 steps before learning, batch 32, a hard
target copy (tau 1) every 10,000 env steps, gamma 0.99, one update every 4 env steps, epsilon 1 -> 0.05
over the first 10% of training, gradient clip 10, `MlpPolicy` (64x64 ReLU), plain (not double) Q-learning.
A run shorter than 1M steps never fills SB3's buffer, so `benchmarks/zoo.py` sizes the buffer to the run's
budget, which behaves the same and fits in memory. Its search space is the dqn_mlp recipe's.
"""

from hyperlax.configs.algo.dqn_mlp import get_base_hyperparam_distributions  # noqa: F401  (the same space)


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "dqn",
            "hyperparam": {
                "lr": 1e-4,
                "gamma": 0.99,
                "max_grad_norm": 10.0,
                "tau": 1.0,
                "epsilon_start": 1.0,
                "epsilon_end": 0.05,
                "exploration_fraction": 0.1,
                "num_envs": 1,
                "buffer_size": 1_000_000,
                "batch_size": 32,
                "learning_starts": 100,
                "train_frequency": 4,
                "gradient_steps": 1,
                "target_update_interval": 10_000,
                "double_q": False,
                "anneal_lr": False,
            },
            "network": {"q_network": {"pre_torso": {"name": "mlp", "layer_sizes": [64, 64], "activation": "relu"}}},
        },
        "training": {"total_timesteps": 100_000, "num_evaluations": 20, "eval_episodes": 10},
    }
