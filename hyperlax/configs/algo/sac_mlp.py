"""SAC with MLP actor and twin critics: base config and search space.

Defaults follow rl-baselines3-zoo's Pendulum-v1 entry (SB3's SAC defaults with learning rate 1e-3, 20k
steps): 256x256 ReLU networks, batch 256, tau 0.005, gamma 0.99, one update per env step, learned alpha
starting at 1 with target entropy -|A|. Two differ: 1000 random steps before learning (SB3: 100) and a
100k buffer (SB3: 1M, which a 20k-step run never fills). The search space covers the traced floats, so a
whole sample shares one compiled program.
"""

from hyperlax.space import LogUniform, Uniform


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "sac",
            "hyperparam": {
                "actor_lr": 1e-3,
                "critic_lr": 1e-3,
                "alpha_lr": 1e-3,
                "gamma": 0.99,
                "tau": 0.005,
                "init_alpha": 1.0,
                "num_envs": 1,
                "buffer_size": 100_000,
                "batch_size": 256,
                "learning_starts": 1000,
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


def get_base_hyperparam_distributions() -> dict:
    return {
        "algorithm.hyperparam.actor_lr": LogUniform(domain=(1e-4, 3e-3)),
        "algorithm.hyperparam.critic_lr": LogUniform(domain=(1e-4, 3e-3)),
        "algorithm.hyperparam.alpha_lr": LogUniform(domain=(1e-4, 3e-3)),
        "algorithm.hyperparam.gamma": Uniform(domain=(0.9, 0.999)),
        "algorithm.hyperparam.tau": LogUniform(domain=(1e-3, 5e-2)),
        "algorithm.hyperparam.init_alpha": LogUniform(domain=(0.01, 1.0)),
    }
