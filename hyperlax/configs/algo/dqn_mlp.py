"""DQN with an MLP Q network: base config and search space.

Defaults follow rl-baselines3-zoo's CartPole-v1 entry: 256x256 ReLU, learning rate 2.3e-3, batch 64,
gamma 0.99, 128 updates after every 256 env steps, hard target copy every phase, epsilon 1 -> 0.04 over
16% of training, SB3's gradient clip of 10. The search space covers the traced floats, so a whole
sample shares one compiled program.
"""

from hyperlax.space import LogUniform, Uniform


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "dqn",
            "hyperparam": {
                "lr": 2.3e-3,
                "gamma": 0.99,
                "max_grad_norm": 10.0,
                "tau": 1.0,
                "epsilon_start": 1.0,
                "epsilon_end": 0.04,
                "exploration_fraction": 0.16,
                "num_envs": 1,
                "buffer_size": 100_000,
                "batch_size": 64,
                "learning_starts": 1000,
                "train_frequency": 256,
                "gradient_steps": 128,
                "target_update_interval": 10,
                "double_q": False,
            },
            "network": {"q_network": {"pre_torso": {"layer_sizes": [256, 256], "activation": "relu"}}},
        },
        "training": {"total_timesteps": 100_000, "num_evaluations": 20, "eval_episodes": 10},
    }


def get_base_hyperparam_distributions() -> dict:
    return {
        "algorithm.hyperparam.lr": LogUniform(domain=(1e-4, 5e-3)),
        "algorithm.hyperparam.gamma": Uniform(domain=(0.95, 0.999)),
        "algorithm.hyperparam.max_grad_norm": LogUniform(domain=(0.5, 10.0)),
        "algorithm.hyperparam.tau": Uniform(domain=(0.1, 1.0)),
        "algorithm.hyperparam.epsilon_end": Uniform(domain=(0.01, 0.1)),
        "algorithm.hyperparam.exploration_fraction": Uniform(domain=(0.05, 0.5)),
    }
