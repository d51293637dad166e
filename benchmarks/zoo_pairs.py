"""The zoo's (algo, env) pairs: each one's study budget, the defaults it is compared with, and the published
tuned reference beside it (rl-baselines3-zoo's benchmark.md: one SB3 run with per-env tuned hyperparameters,
deterministic policy, mean ± std over the eval episodes; gymnax's README for bsuite Catch)."""

from dataclasses import dataclass, field, replace

HP = "algorithm.hyperparam."


def zoo_reference(value: float, std: float, budget: str, episodes: int) -> dict:
    return {
        "source": "rl-baselines3-zoo benchmark.md",
        "value": value,
        "text": f"{value:.1f} ± {std:.1f}",
        "budget": f"{budget} steps",
        "seeds": f"one run, {episodes} eval episodes",
    }


@dataclass(frozen=True)
class Pair:
    algo: str
    env: str
    steps: int  # env steps per configuration and seed, in the study and in validation
    trials: int  # the study's trial budget (it may stop sooner at its --timeout)
    study_seeds: int
    timeout: int  # seconds after which the study asks no new trial
    reference: dict | None = None
    fixed: dict = field(default_factory=dict)  # the recipe's defaults changed for this env (tuned and recipe default)
    env_kwargs: dict = field(default_factory=dict)
    # Where the defaults already reach the maximum return, the final return cannot separate configurations: the
    # area under the learning curve (how soon and how steadily they get there) can.
    objective: str = "final_performance"
    search: dict = field(default_factory=dict)  # search-space entries added to the recipe's (--search-space)
    reevaluate: tuple = (3, 3)  # the study's best K trials trained again on S unseen seeds (--reevaluate-top/-seeds)
    slots: int = 8  # trials trained at once (--runner-hparam-batch-size and --optuna-study-batch-size)
    # The budget on a GPU (fields above replaced, e.g. trials, slots, steps): one vmapped program trains a wide
    # batch of trials at about the cost of one, so the same 30 minutes buy a larger study.
    gpu: dict = field(default_factory=dict)
    # The recipe the study starts from (its default is trial 0) and whose values it searches around; by default
    # the algo's own recipe. Where SB3's stock values beat a study of that recipe, the study starts from them.
    start: str | None = None
    # Evaluations a trial runs before the median pruner may stop it (None: the pruner's default, a third of them).
    # Where an agent pays for exploring before it first finds the reward, early returns rank the explorers last.
    pruner_warmup: int | None = None
    # How a trial's seeds become its score (--seed-aggregate): "min" ranks a configuration by its worst seed, where
    # the mean cannot tell one that ends at the maximum on every seed from one that passes through it on some.
    seed_aggregate: str = "mean"

    def on(self, backend: str) -> "Pair":
        """This pair with the budget for a JAX backend ("cpu", "gpu", ...)."""
        return replace(self, **self.gpu, gpu={}) if backend == "gpu" and self.gpu else self

    @property
    def name(self) -> str:
        return f"{self.algo}:{self.env}"

    @property
    def recipe(self) -> str:
        return f"{self.algo}_mlp"

    @property
    def study_recipe(self) -> str:
        return self.start or self.recipe

    @property
    def generic(self) -> str:
        return f"{self.algo}_sb3"

    @property
    def generic_fixed(self) -> dict:
        # SB3's 1M buffer never fills in a shorter run: a buffer the run's size behaves the same and fits in memory
        return {HP + "buffer_size": min(1_000_000, self.steps)} if self.algo in ("dqn", "sac") else {}

    def budget_text(self) -> str:
        study = f"study <= {self.trials} trials x {self.study_seeds} seeds x {self.steps:,} steps (<= {self.timeout} s)"
        study += f" from {self.start}'s values" if self.start else ""
        study += f", pruned only after {self.pruner_warmup} evaluations" if self.pruner_warmup is not None else ""
        study += f", a trial scored by the {self.seed_aggregate} of its seeds" if self.seed_aggregate != "mean" else ""
        text = f"{study}, then 3 configurations x 10 seeds x {self.steps:,} steps"
        return text + (f"; on a GPU: {self.on('gpu').budget_text()}" if self.gpu else "")


# gymnax-blines' PPO settings for Breakout-MinAtar (64 envs x 128 steps, 4 epochs, 8 minibatches, gamma 0.999, GAE
# 0.95, clip 0.2, entropy 0.01, lr 5e-4, value weight 0.5, gradient clip 0.5) on the recipe's 64x64 MLP.
MINATAR_PPO = {
    **{HP + k: v for k, v in dict(num_envs=64, rollout_length=128, epochs=4, num_minibatches=8, gamma=0.999).items()},
    **{HP + k: v for k, v in dict(actor_lr=5e-4, critic_lr=5e-4, clip_eps=0.2, ent_coef=0.01, gae_lambda=0.95).items()},
    HP + "vf_coef": 0.5,
    HP + "max_grad_norm": 0.5,
    HP + "normalize_observations": False,  # binary image channels
}
CATCH = {"source": "gymnax README (gymnax-blines PPO)", "value": 1.0, "text": "1.0 (the maximum)",
         "budget": "not stated", "seeds": "not stated"}  # fmt: skip
BRAX_PENDULUM = {"source": "brax inverted_pendulum: 1000 is the maximum (1 per upright step, 1000 steps)",
                 "value": 1000.0, "text": "1000 (the maximum)", "budget": "-", "seeds": "-"}  # fmt: skip

# 64 trials (Pendulum) and 128 (MountainCarContinuous): at 16-24 the study is TPE's random start-up, and a rerun
# with gSDE added to the space found no configuration that leaves MountainCarContinuous's valley; 64 trials
# reached the flag 3 points short of the zoo, 128 above it (docs/results.md).
# rl-baselines3-zoo's tuned PPO for Pendulum and MountainCarContinuous scales rewards (VecNormalize) and explores
# with gSDE (use_sde; its log std starts at log_std_init): searched there, new noise every 4 steps as the zoo's
# Pendulum agent draws it.
REWARD_SCALING_AND_GSDE = {
    HP + "normalize_rewards": {"categorical": [False, True]},
    HP + "use_sde": {"categorical": [False, True]},
    HP + "log_std_init": {"uniform": [-4.0, 0.5]},
}
SDE_EVERY_4 = {HP + "sde_sample_freq": 4}
# MountainCarContinuous: the 64-trial study's best log std sat at the top of [-4, 0.5], and rl-baselines3-zoo's agent
# uses gamma 0.9999 (a flag 100+ steps away still counts), above the recipe's [0.8, 0.999].
MCC_PPO_SPACE = {
    **REWARD_SCALING_AND_GSDE,
    HP + "log_std_init": {"uniform": [-4.0, 1.0]},
    HP + "gamma": {"uniform": [0.9, 0.9999]},
}

# SAC MountainCarContinuous at the zoo's 50k steps on the CPU: its agent's 64x64 networks (a 256x256 study of 50k
# steps does not fit 30 CPU minutes) and its gSDE exploration, held for the recipe default too.
SAC_MCC_FIXED = {
    "algorithm.network.actor_network.pre_torso.layer_sizes": [64, 64],
    "algorithm.network.critic_network.pre_torso.layer_sizes": [64, 64],
    HP + "use_sde": True,
}
# Third study, after SAC's gSDE learned its features from the noise (as SB3's SAC): before that fix a torso
# whose features shrank could not widen its noise again and alpha grew without bound, so the two earlier studies'
# best trials (gamma 0.906-0.912, critic_lr at the bottom of its range) say little about the agent now. A first run
# with ranges closed in around them (gamma 0.85-0.95) reached the flag on most seeds (peaks 94-98) and then forgot
# it: 100+ steps away the flag is worth almost nothing at gamma 0.9. So gamma up to the zoo's 0.9999, the entropy
# weight fixed or tuned (the zoo's is fixed), critic_lr down to 5e-5 (twice at the recipe's lower edge), and each
# trial scored by its worst of 3 seeds (the second study's entry stood still on 2 seeds of 10).
SAC_MCC_SPACE = {
    HP + "gamma": {"uniform": [0.9, 0.9999]},
    HP + "autotune_alpha": {"categorical": [True, False]},
    HP + "critic_lr": {"log_uniform": [5e-5, 3e-3]},
    HP + "log_std_init": {"uniform": [-4.0, -1.0]},
}
# A gSDE trial pays for its actions before it first reaches the flag, a still one does not: with the median pruner's
# default warm-up (a third of the evaluations) a first run pruned 9 of its 12 gSDE trials and none of the others.
SAC_MCC_WARMUP = 10
# PPO on Breakout-MinAtar: the update's shape searched too (SB3's stock PPO, 10 epochs of 64-sample minibatches,
# beat gymnax-blines' 4 epochs x 8 minibatches at 250k steps); each structure compiles once
MINATAR_UPDATES = {HP + "epochs": {"categorical": [4, 10]}, HP + "num_minibatches": {"categorical": [4, 8, 32]}}
# DQN CartPole: six studies ended at 500 on 1-4 of 10 fresh seeds: the greedy policy reaches 500 and drops again.
# On seeds outside the studies' and the validation's (500-509 and 600-609), the sixth study's entry with the learning
# rate annealed to 0 from 4e-3 ended at 500 on 4-7 of 10 (459.8 [356.0, 500.0], 438.3 [334.1, 500.0], 461.4 with a
# gradient clip of 10), from 2e-3 or 8e-3 on 3-4 (354-378); a target copy every 64 steps (32 updates) never held
# 500 (96.2), one every 512 learned later (409.6). So the seventh anneals every trial, searches the rate from 2e-3
# to 8e-3 beside the sixth's narrowed traced ranges, scores a trial by the median of its 3 seeds (most seeds at
# 500, not the mean of swings) and prunes only after half the evaluations: these curves swing between 100 and 500
# until then.
DQN_CARTPOLE_SPACE = {
    HP + "lr": {"log_uniform": [2e-3, 8e-3]},
    HP + "anneal_lr": {"categorical": [True]},
    HP + "gamma": {"uniform": [0.98, 0.999]},
    HP + "tau": {"uniform": [0.8, 1.0]},
    HP + "epsilon_end": {"log_uniform": [1e-3, 3e-2]},
    HP + "exploration_fraction": {"uniform": [0.05, 0.15]},
    HP + "max_grad_norm": {"log_uniform": [1.0, 100.0]},
}
# DQN MountainCar, third study: the second searched batch, buffer and target period around the recipe's update phase
# (128 updates every 256 steps) and its selected trial stayed 35 short of the zoo, whose own settings reach the flag
# on every validation seed here (-115.3). Their update phase (8 updates of batch 128 every 16 steps, a 10k buffer, a
# target copy every 600 steps) is held, for the recipe default too; the traced values are searched around it, the
# learning rate up to 1e-2 (the zoo's 4e-3 is above the recipe's 3e-3), and double Q on or off (the zoo's is off).
DQN_ZOO_UPDATES = {
    HP + "train_frequency": 16,
    HP + "gradient_steps": 8,
    HP + "batch_size": 128,
    HP + "buffer_size": 10_000,
    HP + "target_update_interval": 600,
}
DQN_MC_SPACE = {
    HP + "lr": {"log_uniform": [1e-4, 1e-2]},
    HP + "double_q": {"categorical": [True, False]},
}
GPU_STUDY = {"trials": 32, "study_seeds": 2, "timeout": 150, "slots": 16, "reevaluate": (3, 3)}

PAIRS = {
    pair.name: pair
    for pair in [
        Pair(
            "ppo",
            "gymnax:CartPole-v1",
            100_000,
            24,
            3,
            300,
            zoo_reference(500.0, 0.0, "100k", 300),
            objective="normalized_auc",
        ),
        Pair(
            "ppo",
            "gymnax:Pendulum-v1",
            100_000,
            64,
            3,
            600,
            zoo_reference(-172.225, 104.159, "100k", 750),
            fixed=SDE_EVERY_4,
            search=REWARD_SCALING_AND_GSDE,
        ),
        # rl-baselines3-zoo's budget: at 200k steps every configuration was still short of its figure. 48 trials x 2
        # seeds: 12 x 3 kept the recipe's default, tuned on Pendulum and far from Acrobot's best (docs/results.md).
        # SB3's stock PPO (one env x 2048 steps, 32 minibatches) beat two studies that started from the recipe's
        # default, one of them with the rollout's shape searched too (docs/results.md): the study starts from SB3's
        # values, with no entropy bonus (0) inside the entropy range.
        Pair(
            "ppo",
            "gymnax:Acrobot-v1",
            1_000_000,
            48,
            2,
            1200,
            zoo_reference(-73.506, 18.201, "1M", 2013),
            search={HP + "ent_coef": {"uniform": [0.0, 0.05]}},
            start="ppo_sb3",
        ),
        Pair("ppo", "gymnax:Catch-bsuite", 20_000, 16, 3, 240, CATCH, objective="normalized_auc"),
        Pair(
            "ppo",
            "gymnax:MountainCarContinuous-v0",
            100_000,
            128,
            3,
            600,
            zoo_reference(88.343, 2.572, "20k", 633),
            fixed=SDE_EVERY_4,
            search=MCC_PPO_SPACE,
        ),
        Pair(
            "dqn",
            "gymnax:CartPole-v1",
            50_000,
            40,
            3,
            1300,
            zoo_reference(500.0, 0.0, "50k", 300),
            search=DQN_CARTPOLE_SPACE,
            pruner_warmup=10,
            seed_aggregate="median",
            gpu=GPU_STUDY,
        ),
        Pair(
            "sac",
            "gymnax:Pendulum-v1",
            20_000,
            4,
            1,
            300,
            zoo_reference(-156.995, 88.714, "20k", 750),
            reevaluate=(2, 2),
        ),
        Pair(
            "ppo",
            "gymnax:Breakout-MinAtar",
            250_000,
            8,
            1,
            360,
            None,
            MINATAR_PPO,
            gpu={"trials": 48, "study_seeds": 2, "timeout": 180, "slots": 16, "search": MINATAR_UPDATES},
        ),
        Pair(
            "dqn",
            "gymnax:Acrobot-v1",
            50_000,
            8,
            1,
            360,
            zoo_reference(-76.639, 11.752, "100k", 1932),
            gpu={"steps": 100_000, **GPU_STUDY},
        ),
        # Twice the zoo's 120k steps: at 120k this agent's seeds are still improving (on seeds 500-509 five at -97 to
        # -108, four at -135 to -149); the shipped 120k configuration trained for 240k ended at -95 to -99.5 on 9 of
        # those 10 (-98.6 [-119.0, -97.2]). At 240k the 2-core CPU's 30 minutes hold 8 one-seed trials beside the
        # 7.2M env steps of validation; a GPU's hold 32 x 2.
        Pair(
            "dqn",
            "gymnax:MountainCar-v0",
            240_000,
            8,
            1,
            600,
            zoo_reference(-100.849, 9.925, "120k", 1487),
            fixed=DQN_ZOO_UPDATES,
            search=DQN_MC_SPACE,
            reevaluate=(2, 2),
            gpu=GPU_STUDY,
        ),
        Pair("dqn", "gymnax:Breakout-MinAtar", 50_000, 4, 1, 300, reevaluate=(2, 2), gpu=GPU_STUDY),
        Pair(
            "sac",
            "gymnax:MountainCarContinuous-v0",
            50_000,
            32,
            3,
            1200,
            zoo_reference(94.679, 1.134, "50k", 1443),
            fixed=SAC_MCC_FIXED,
            search=SAC_MCC_SPACE,
            pruner_warmup=SAC_MCC_WARMUP,
            seed_aggregate="min",
            gpu={**GPU_STUDY, "study_seeds": 3},
        ),
        Pair("ppo", "brax:inverted_pendulum", 100_000, 6, 1, 300, BRAX_PENDULUM, {}, {"backend": "positional"}),
    ]
}
