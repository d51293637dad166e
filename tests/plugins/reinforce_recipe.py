"""A recipe whose algorithm is a user's file (tests/plugins/reinforce.py), named by its path."""

from pathlib import Path

from hyperlax.space import LogUniform, UniformInt


def get_base_config():
    return {
        "algorithm": {
            "name": str(Path(__file__).parent / "reinforce.py"),
            "hyperparam": {"lr": 3e-3, "num_envs": 4},
        },
        "training": {"total_timesteps": 2048, "num_evaluations": 2, "eval_episodes": 2},
    }


def get_base_hyperparam_distributions():
    return {
        "algorithm.hyperparam.lr": LogUniform(domain=(1e-3, 1e-2)),
        "algorithm.hyperparam.num_envs": UniformInt(domain=(2, 4)),
    }
