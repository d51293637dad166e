"""PPO with Stable-Baselines3's stock hyperparameters: the generic default the zoo compares against.

SB3's `PPO` defaults (learning rate 3e-4, 2048 steps per rollout, minibatches of 64, 10 epochs, gamma 0.99,
GAE lambda 0.95, clip 0.2, no entropy bonus, value weight 0.5, gradient clip 0.5) with rl-baselines3-zoo's
default of one env and SB3's `MlpPolicy` (separate 64x64 tanh actor and critic). Neither observations nor
rewards normalized and no learning-rate annealing, as in SB3 unless asked. SB3 steps one Adam over both
networks; here each network has its own Adam at the same rate. A user who has no time to tune starts here;
`benchmarks/zoo.py` measures what a study adds. Its search space is the ppo_mlp recipe's.
"""

from hyperlax.configs.algo.ppo_mlp import get_base_hyperparam_distributions  # noqa: F401  (the same space)


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "ppo",
            "hyperparam": {
                "actor_lr": 3e-4,
                "critic_lr": 3e-4,
                "gamma": 0.99,
                "gae_lambda": 0.95,
                "clip_eps": 0.2,
                "ent_coef": 0.0,
                "vf_coef": 0.5,
                "max_grad_norm": 0.5,
                "num_envs": 1,
                "rollout_length": 2048,
                "epochs": 10,
                "num_minibatches": 32,  # 2048 / SB3's batch_size 64
                "normalize_observations": False,
                "normalize_rewards": False,
                "anneal_lr": False,
            },
            "network": {
                "actor_network": {"pre_torso": {"name": "mlp", "layer_sizes": [64, 64], "activation": "tanh"}},
                "critic_network": {"pre_torso": {"name": "mlp", "layer_sizes": [64, 64], "activation": "tanh"}},
            },
        },
        "training": {"total_timesteps": 200_000, "num_evaluations": 20, "eval_episodes": 10},
    }
