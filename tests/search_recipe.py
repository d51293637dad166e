"""A tiny PPO recipe for the search tests: small networks and rollouts compile and train in seconds.

The critic's layer sizes are a categorical of lists, so the tests see lists round-trip through Optuna.
"""

from hyperlax.space import Categorical, LogUniform, Uniform


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "ppo",
            "hyperparam": {
                "actor_lr": 1e-3, "critic_lr": 1e-3, "gamma": 0.98, "gae_lambda": 0.9, "clip_eps": 0.2, "ent_coef": 0.0,
                "vf_coef": 0.5, "max_grad_norm": 0.5, "num_envs": 2, "rollout_length": 16, "epochs": 1,
                "num_minibatches": 1, "normalize_observations": False,
            },
            "network": {
                "actor_network": {"pre_torso": {"layer_sizes": [8], "activation": "tanh"}},
                "critic_network": {"pre_torso": {"layer_sizes": [8], "activation": "tanh"}},
            },
        },
        "training": {"total_timesteps": 512, "num_evaluations": 2, "eval_episodes": 1},
    }


def get_base_hyperparam_distributions() -> dict:
    return {
        "algorithm.hyperparam.actor_lr": LogUniform(domain=(1e-4, 1e-2)),
        "algorithm.hyperparam.clip_eps": Uniform(domain=(0.1, 0.3)),
        "algorithm.network.critic_network.pre_torso.layer_sizes": Categorical(values=[[8], [8, 8]]),
    }
