"""PPO with MLP actor and critic: base config and search space.

Copy this file to make your own search space, then pass its path to `--algo-and-network-config`.

The traced defaults are the best trial (rounded) of a 64-trial TPE study of this search space on
Pendulum-v1 at 200k steps (README, "Measured"); they also solve CartPole-v1. Linear learning-rate
annealing (`anneal_lr`, as in CleanRL and PureJaxRL) was added after that study: with it the default
config's 5-seed mean return on Pendulum-v1 at 500k steps went from -470.2 to -177.2 (docs/results.md).

`normalize_rewards` (SB3's VecNormalize for rewards, which rl-baselines3-zoo's tuned PPO for Pendulum-v1 and
MountainCarContinuous-v0 uses) is off and not searched: every key searched here is traced, so a study
compiles one program and fills its whole width, while a Categorical([False, True]) is structural: it
would split every batch in two and compile each program twice. Search it where rewards are badly scaled:
`--search-space '{"mode": "update", "search_space":
{"algorithm.hyperparam.normalize_rewards": {"categorical": [false, true]}}}'`.

Ranges: gamma from 0.8 (rl-baselines3-zoo's tuned Pendulum PPO uses 0.9, which sat at the old edge), and, from
the zoo's studies (benchmarks/zoo.py, whose end-of-study warnings flagged best values at an edge), critic_lr up
to 1e-2, ent_coef up to 5e-2 and gae_lambda from 0.7.
"""

from hyperlax.space import LogUniform, Uniform


def get_base_config() -> dict:
    return {
        "algorithm": {
            "name": "ppo",
            "hyperparam": {
                "actor_lr": 6e-4,
                "critic_lr": 2.5e-3,
                "gamma": 0.94,
                "gae_lambda": 0.91,
                "clip_eps": 0.12,
                "ent_coef": 0.005,
                "vf_coef": 0.8,
                "max_grad_norm": 4.5,
                "num_envs": 8,
                "rollout_length": 32,
                "epochs": 10,
                "num_minibatches": 4,
                "normalize_observations": True,
                "normalize_rewards": False,
                "anneal_lr": True,
            },
            "network": {
                "actor_network": {"pre_torso": {"name": "mlp", "layer_sizes": [64, 64], "activation": "tanh"}},
                "critic_network": {"pre_torso": {"name": "mlp", "layer_sizes": [64, 64], "activation": "tanh"}},
            },
        },
        "training": {"total_timesteps": 200_000, "num_evaluations": 20, "eval_episodes": 10},
    }


def get_base_hyperparam_distributions() -> dict:
    return {
        "algorithm.hyperparam.actor_lr": LogUniform(domain=(1e-5, 3e-3)),
        "algorithm.hyperparam.critic_lr": LogUniform(domain=(1e-5, 1e-2)),
        "algorithm.hyperparam.gamma": Uniform(domain=(0.8, 0.999)),
        "algorithm.hyperparam.gae_lambda": Uniform(domain=(0.7, 1.0)),
        "algorithm.hyperparam.clip_eps": Uniform(domain=(0.1, 0.3)),
        "algorithm.hyperparam.ent_coef": LogUniform(domain=(1e-5, 5e-2)),
        "algorithm.hyperparam.vf_coef": Uniform(domain=(0.25, 1.0)),
        "algorithm.hyperparam.max_grad_norm": Uniform(domain=(0.3, 5.0)),
    }
