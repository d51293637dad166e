"""DQN with an MLP Q network: base config and search space.

Defaults start from rl-baselines3-zoo's CartPole-v1 entry: 256x256 ReLU, batch 64, gamma 0.99, 128
updates after every 256 env steps, a hard target copy every update phase (zoo: every 10 env steps, which
SB3 applies while collecting, so once per phase), gradient clip 10. Over 5 seeds and 100k steps the zoo's
learning rate of 2.3e-3 oscillated between 100 and 500, so three values differ, chosen by a small 5-seed
sweep: learning rate 7e-4, double Q, epsilon 1 -> 0.01 over the first 10% of training. Linear learning-rate
annealing is available but off: on the same 5 seeds it gave 367.8 ± 163.2 (and 415.7 ± 116.7 at lr 1e-3)
against 406.5 ± 143.5 without, no better than seed noise.

Ranges: gamma from 0.9 and lr from 3e-5 (SB3's default 1e-4 sat near the old edge); from the zoo's studies,
whose best values sat at edges, epsilon_end on a log scale down to 0.001 and the gradient clip up to 100
(tau stops at 1, a hard copy, its natural bound).
"""

from hyperlax.space import LogUniform, Uniform


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "dqn",
            "hyperparam": {
                "lr": 7e-4,
                "gamma": 0.99,
                "max_grad_norm": 10.0,
                "tau": 1.0,
                "epsilon_start": 1.0,
                "epsilon_end": 0.01,
                "exploration_fraction": 0.1,
                "num_envs": 1,
                "buffer_size": 100_000,
                "batch_size": 64,
                "learning_starts": 1000,
                "train_frequency": 256,
                "gradient_steps": 128,
                "target_update_interval": 256,
                "double_q": True,
                "anneal_lr": False,
            },
            "network": {"q_network": {"pre_torso": {"name": "mlp", "layer_sizes": [256, 256], "activation": "relu"}}},
        },
        "training": {"total_timesteps": 100_000, "num_evaluations": 20, "eval_episodes": 10},
    }


def get_base_hyperparam_distributions() -> dict:
    return {
        "algorithm.hyperparam.lr": LogUniform(domain=(3e-5, 3e-3)),
        "algorithm.hyperparam.gamma": Uniform(domain=(0.9, 0.999)),
        "algorithm.hyperparam.max_grad_norm": LogUniform(domain=(0.5, 100.0)),
        "algorithm.hyperparam.tau": Uniform(domain=(0.1, 1.0)),
        "algorithm.hyperparam.epsilon_end": LogUniform(domain=(0.001, 0.1)),
        "algorithm.hyperparam.exploration_fraction": Uniform(domain=(0.05, 0.3)),
    }
