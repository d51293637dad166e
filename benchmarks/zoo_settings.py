"""rl-baselines3-zoo's own tuned hyperparameters, translated to hyperlax's recipes and trained on the zoo's 10
validation seeds at the zoo's budget: where the tuned configuration misses the zoo's published figure, this
tells the agent (hyperlax's implementation, on these seeds) apart from the search.

    python benchmarks/zoo_settings.py --pairs dqn:gymnax:CartPole-v1      # one pair
    python benchmarks/zoo_settings.py --list                              # the translations

Each setting is rl-baselines3-zoo's hyperparams/<algo>.yml entry; what has no hyperlax counterpart is named in
`untranslated`. Results go to docs/zoo/zoo_settings.json (one record per pair, the last run of each kept).
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from zoo import DOCS_DIR, VALIDATION_SEED, VALIDATION_SEEDS, Run, interval, space_json, train  # noqa: E402

HP = "algorithm.hyperparam."
RECORD = DOCS_DIR / "zoo_settings.json"


def hp(**values) -> dict:
    return {HP + key: value for key, value in values.items()}


def net(algo: str, sizes: list, activation: str) -> dict:
    names = {
        "dqn": ["q_network"],
        "sac": ["actor_network", "critic_network"],
        "ppo": ["actor_network", "critic_network"],
    }
    torso = {"layer_sizes": sizes, "activation": activation}
    return {f"algorithm.network.{name}.pre_torso.{key}": value for name in names[algo] for key, value in torso.items()}


# SB3's DQN: a hard target copy (tau 1), no double Q, gradient clip 10, epsilon from 1.
SB3_DQN = hp(tau=1.0, double_q=False, max_grad_norm=10.0, epsilon_start=1.0, anneal_lr=False, num_envs=1)
# rl-baselines3-zoo's SAC for MountainCarContinuous, less its gSDE settings
SAC_MCC = {
    **hp(actor_lr=3e-4, critic_lr=3e-4, buffer_size=50_000, batch_size=512, gamma=0.9999, tau=0.01,
         autotune_alpha=False, init_alpha=0.1, learning_starts=512, updates_per_step=1),
    **net("sac", [64, 64], "relu"),
}  # fmt: skip
SETTINGS = {
    "dqn:gymnax:CartPole-v1": {
        "steps": 50_000,
        "recipe": "dqn_mlp",
        "fixed": {
            **SB3_DQN,
            **hp(
                lr=2.3e-3,
                batch_size=64,
                buffer_size=100_000,
                learning_starts=1000,
                gamma=0.99,
                target_update_interval=10,
                train_frequency=256,
                gradient_steps=128,
                exploration_fraction=0.16,
                epsilon_end=0.04,
            ),
            **net("dqn", [256, 256], "relu"),
        },
        "untranslated": "none (the target copy every 10 env steps falls once per 256-step phase, as in SB3)",
    },
    "dqn:gymnax:MountainCar-v0": {
        "steps": 120_000,
        "recipe": "dqn_mlp",
        "fixed": {
            **SB3_DQN,
            **hp(
                lr=4e-3,
                batch_size=128,
                buffer_size=10_000,
                learning_starts=1000,
                gamma=0.98,
                target_update_interval=600,
                train_frequency=16,
                gradient_steps=8,
                exploration_fraction=0.2,
                epsilon_end=0.07,
            ),
            **net("dqn", [256, 256], "relu"),
        },
        "untranslated": "none",
    },
    "dqn:gymnax:Acrobot-v1": {
        "steps": 100_000,
        "recipe": "dqn_mlp",
        "fixed": {
            **SB3_DQN,
            **hp(
                lr=6.3e-4,
                batch_size=128,
                buffer_size=50_000,
                learning_starts=128,
                gamma=0.99,
                target_update_interval=250,
                train_frequency=4,
                gradient_steps=4,
                exploration_fraction=0.12,
                epsilon_end=0.1,
            ),
            **net("dqn", [256, 256], "relu"),
        },
        "untranslated": "learning_starts 0 (128 here: one batch)",
    },
    "ppo:gymnax:Acrobot-v1": {
        "steps": 1_000_000,
        "recipe": "ppo_sb3",
        "fixed": hp(
            num_envs=16,
            rollout_length=256,
            num_minibatches=64,
            epochs=4,
            gae_lambda=0.94,
            gamma=0.99,
            ent_coef=0.0,
            normalize_observations=True,
            normalize_rewards=True,
        ),
        "untranslated": "none (SB3's batch 64: 16 x 256 / 64 = 64 minibatches)",
    },
    "ppo:gymnax:Pendulum-v1": {
        "steps": 100_000,
        "recipe": "ppo_sb3",
        "fixed": hp(
            num_envs=4,
            rollout_length=1024,
            num_minibatches=64,
            epochs=10,
            gae_lambda=0.95,
            gamma=0.9,
            ent_coef=0.0,
            actor_lr=1e-3,
            critic_lr=1e-3,
            clip_eps=0.2,
            use_sde=True,
            sde_sample_freq=4,
        ),
        "untranslated": "none (SB3's batch 64: 4 x 1024 / 64 = 64 minibatches; one Adam per network)",
    },
    "ppo:gymnax:MountainCarContinuous-v0": {
        "steps": 20_000,
        "recipe": "ppo_sb3",
        "fixed": hp(
            num_envs=1,
            rollout_length=8,
            num_minibatches=1,
            epochs=10,
            gae_lambda=0.9,
            gamma=0.9999,
            ent_coef=0.00429,
            actor_lr=7.77e-5,
            critic_lr=7.77e-5,
            clip_eps=0.1,
            max_grad_norm=5.0,
            vf_coef=0.19,
            use_sde=True,
            log_std_init=-3.29,
            normalize_observations=True,
            normalize_rewards=True,
        ),
        "untranslated": "ortho_init False (orthogonal init here); batch 256 over 8-step rollouts is one minibatch",
    },
    "sac:gymnax:MountainCarContinuous-v0": {
        "steps": 50_000,
        "recipe": "sac_sb3",
        "fixed": {**SAC_MCC, **hp(use_sde=True, sde_sample_freq=32, log_std_init=-3.67)},
        "untranslated": "train_freq 32 x gradient_steps 32 as one update per step (new gSDE noise every 32 steps, "
        "as the zoo draws it per rollout); learning_starts 0 (512 here: one batch)",
    },
    "sac:gymnax:MountainCarContinuous-v0 without gSDE": {
        "env": "gymnax:MountainCarContinuous-v0",
        "steps": 50_000,
        "recipe": "sac_sb3",
        "fixed": SAC_MCC,
        "untranslated": "use_sde left out, to see what gSDE does; otherwise as above",
    },
}


def run(pair: str) -> dict:
    """The zoo's settings for `pair` trained as benchmarks/zoo.py trains a default: the same seeds and flags."""
    setting = SETTINGS[pair]
    env = setting.get("env", pair.split(":", 1)[1])
    flags = ["--algo-and-network-config", setting["recipe"], "--env-config", env, "--search-space",
             space_json(setting["fixed"]), "--total-timesteps", str(setting["steps"])]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="hyperlax-zoo-settings-") as out:
        found = train(Path(out), Run(), flags)
    figures = interval(found["per_seed"]) if found["per_seed"] else {"iqm": None, "low": None, "high": None}
    return {"pair": pair, "total_timesteps": setting["steps"], "recipe": setting["recipe"], "fixed": setting["fixed"],
            "untranslated": setting["untranslated"], "seed": VALIDATION_SEED, "num_seeds": VALIDATION_SEEDS,
            "per_seed": found["per_seed"], **figures, "status": found["status"]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="+", default=[], help="algo:env-config, e.g. dqn:gymnax:CartPole-v1")
    parser.add_argument("--list", action="store_true", help="print the translated settings")
    args = parser.parse_args()
    if args.list:
        for pair, setting in SETTINGS.items():
            print(f"{pair} ({setting['steps']:,} steps, {setting['recipe']}): {setting['untranslated']}")
        return
    if unknown := [pair for pair in args.pairs if pair not in SETTINGS]:
        raise SystemExit(f"unknown pairs {unknown}; --list shows them")
    records = json.loads(RECORD.read_text()) if RECORD.is_file() else {}
    for pair in args.pairs:
        found = run(pair)
        records[pair] = found
        RECORD.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
        figures = (f"IQM {found['iqm']:.4g} [{found['low']:.4g}, {found['high']:.4g}]" if found["iqm"] is not None
                   else f"training {found['status']}")  # fmt: skip
        print(f"{pair}: rl-baselines3-zoo's settings, {VALIDATION_SEEDS} seeds x {found['total_timesteps']:,} steps: "
              f"{figures}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
