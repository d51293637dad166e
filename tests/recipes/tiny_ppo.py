"""A PPO recipe small enough to compile and train in seconds: for tests only."""

from hyperlax.configs.algo.ppo_mlp import get_base_config as ppo_base
from hyperlax.space import Categorical, LogUniform, Uniform


def get_base_config():
    config = ppo_base()
    config["algorithm"]["hyperparam"].update(num_envs=2, rollout_length=16, epochs=1, num_minibatches=2)
    for net in ("actor_network", "critic_network"):
        config["algorithm"]["network"][net]["pre_torso"]["layer_sizes"] = [8]
    config["training"] = {"total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 2}
    return config


def get_base_hyperparam_distributions():
    return {
        "algorithm.hyperparam.actor_lr": LogUniform(domain=(1e-4, 1e-2)),
        "algorithm.hyperparam.gamma": Uniform(domain=(0.9, 0.99)),
        "algorithm.network.actor_network.pre_torso.layer_sizes": Categorical(values=[[8], [4, 4]]),
    }
