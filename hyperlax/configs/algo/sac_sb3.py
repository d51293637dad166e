"""SAC with Stable-Baselines3's stock hyperparameters: the generic default the zoo compares against.

SB3's `SAC` defaults: learning rate 3e-4 for actor, critics and entropy weight, 1M-transition buffer, 100
random steps before learning, batch 256, tau 0.005, gamma 0.99, one update per env step, learned alpha
starting at 1 with target entropy -|A|, `MlpPolicy` (256x256 ReLU). A run shorter than 1M steps never
fills SB3's buffer, so `benchmarks/zoo.py` sizes the buffer to the run's budget, which behaves the same and
fits in memory. Its search space is the sac_mlp recipe's.
"""

from hyperlax.configs.algo.sac_mlp import get_base_hyperparam_distributions  # noqa: F401  (the same space)


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "sac",
            "hyperparam": {
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "alpha_lr": 3e-4,
                "gamma": 0.99,
                "tau": 0.005,
                "init_alpha": 1.0,
                "num_envs": 1,
                "buffer_size": 1_000_000,
                "batch_size": 256,
                "learning_starts": 100,
                "updates_per_step": 1,
                "autotune_alpha": True,
            },
            "network": {
                "actor_network": {"pre_torso": {"name": "mlp", "layer_sizes": [256, 256], "activation": "relu"}},
                "critic_network": {"pre_torso": {"name": "mlp", "layer_sizes": [256, 256], "activation": "relu"}},
            },
        },
        "training": {"total_timesteps": 20_000, "num_evaluations": 20, "eval_episodes": 10},
    }
