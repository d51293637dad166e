"""Proximal Policy Optimization (clipped objective, GAE), continuous or discrete actions.

The whole training loop is pure JAX. `make_train` builds an `Agent` that holds the structural
hyperparameters, the env and the networks, and returns its `init` and a `segment`, which jit and vmap
accept as they are. Traced hyperparameters come in as the `config` argument (`hp` in the steps), so one
compiled program trains a batch of configurations. One iteration: collect_rollout -> gae -> update.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax.algos import distributions as D
from hyperlax.algos.common import (
    Policy,
    Train,
    activation_field,
    clipped_adam,
    make_segment,
    make_torso,
    structural,
    torso_field,
    torsos_problem,
    traced,
    tree_is_finite,
)
from hyperlax.algos.networks import GaussianHead, StateDependentGaussianHead, with_log_std_init
from hyperlax.envs.spec import EnvSpec, reset_envs, step_envs

NAME = "ppo"
SUPPORTS_DISCRETE = True
SUPPORTS_CONTINUOUS = True

ACTOR = "algorithm.network.actor_network.pre_torso"
CRITIC = "algorithm.network.critic_network.pre_torso"


class Config(struct.PyTreeNode):
    actor_lr: float = traced("Adam learning rate of the policy network")
    critic_lr: float = traced("Adam learning rate of the value network")
    gamma: float = traced("discount factor")
    gae_lambda: float = traced("GAE lambda: bias/variance trade-off of the advantage estimate")
    clip_eps: float = traced("PPO ratio clipping range")
    ent_coef: float = traced("weight of the entropy bonus")
    vf_coef: float = traced("weight of the value loss")
    max_grad_norm: float = traced("global gradient-norm clip, per network")
    num_envs: int = structural("parallel environments")
    rollout_length: int = structural("env steps per environment between updates")
    epochs: int = structural("passes over each rollout")
    num_minibatches: int = structural("minibatches per epoch")
    normalize_observations: bool = structural("normalize observations with running mean/std")
    normalize_rewards: bool = structural(
        "train on rewards divided by the running std of the discounted return, clipped to ±10", default=False
    )
    anneal_lr: bool = structural("decay both learning rates linearly to 0 over training")
    log_std_init: float = traced("continuous actions: initial log std of the Gaussian policy", default=0.0)
    use_sde: bool = structural(
        "continuous actions: gSDE exploration, noise = the policy's features x a random matrix held for a while",
        default=False,
    )
    sde_sample_freq: int = structural("use_sde: steps between new noise matrices, 0: per rollout", minimum=0, default=0)
    actor_torso: str = torso_field("torso of the policy: mlp, cnn, module:attr or file.py:attr", key=f"{ACTOR}.name")
    actor_layer_sizes: tuple = structural("hidden layers of the policy", key=f"{ACTOR}.layer_sizes")
    actor_activation: str = activation_field("activation of the policy", key=f"{ACTOR}.activation")
    critic_torso: str = torso_field(
        "torso of the value network: mlp, cnn, module:attr or file.py:attr", key=f"{CRITIC}.name"
    )
    critic_layer_sizes: tuple = structural("hidden layers of the value network", key=f"{CRITIC}.layer_sizes")
    critic_activation: str = activation_field("activation of the value network", key=f"{CRITIC}.activation")


class ObsStats(struct.PyTreeNode):
    mean: jax.Array
    var: jax.Array
    count: jax.Array


class ReturnStats(struct.PyTreeNode):
    """What reward normalization keeps: each env's discounted return so far and their running statistics."""

    returns: jax.Array  # [num_envs]
    stats: ObsStats  # of the returns, scalars: only the variance scales rewards


class State(struct.PyTreeNode):
    actor_params: dict
    critic_params: dict
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    obs_stats: ObsStats
    return_stats: ReturnStats
    env_state: object
    obs: jax.Array
    key: jax.Array
    eval_key: jax.Array  # evaluation draws from its own stream, so segment boundaries don't alter training
    env_steps: jax.Array
    finite: jax.Array


def update_obs_stats(stats: ObsStats, batch: jax.Array) -> ObsStats:
    """Merge a batch into running mean/variance (parallel Welford update)."""
    batch_mean, batch_var, n = batch.mean(0), batch.var(0), batch.shape[0]
    delta = batch_mean - stats.mean
    total = stats.count + n
    mean = stats.mean + delta * n / total
    m2 = stats.var * stats.count + batch_var * n + delta**2 * stats.count * n / total
    return ObsStats(mean, m2 / total, total)


def normalize_rewards(stats: ReturnStats, reward, done, gamma) -> tuple[ReturnStats, jax.Array]:
    """SB3's VecNormalize for rewards (PureJaxRL's NormalizeVecReward): each env's discounted return joins the
    running variance, and the reward is divided by its std, not centred, and clipped to ±10. An episode's
    end restarts its env's return after this step, as SB3 does."""
    returns = stats.returns * gamma + reward
    running = update_obs_stats(stats.stats, returns)
    scaled = jnp.clip(reward / jnp.sqrt(running.var + 1e-8), -10.0, 10.0)
    return ReturnStats(returns * (1.0 - done), running), scaled


def optimizer(lr, max_grad_norm, num_updates: int | None = None):
    return clipped_adam(lr, max_grad_norm, num_updates, eps=1e-5)  # CleanRL's and PureJaxRL's eps for PPO


class Transition(NamedTuple):
    """One env step of a rollout (each field [rollout_length, num_envs, ...] after the scan)."""

    obs: jax.Array  # raw, for the running observation statistics
    norm_obs: jax.Array  # what the networks saw
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array  # normalized (normalize_rewards), plus the bootstrapped value at a time limit
    done: jax.Array


class Minibatch(NamedTuple):
    obs: jax.Array  # normalized
    action: jax.Array
    log_prob: jax.Array
    advantage: jax.Array
    target: jax.Array


def gae(values, rewards, dones, last_value, gamma, gae_lambda):
    """Generalized advantage estimates of a rollout ([T, ...] arrays, time first); `done` cuts the recursion."""

    def backward(carry, step):
        advantage, next_value = carry
        value_t, reward, done = step
        delta = reward + gamma * next_value * (1.0 - done) - value_t
        advantage = delta + gamma * gae_lambda * (1.0 - done) * advantage
        return (advantage, value_t), advantage

    _, advantages = jax.lax.scan(
        backward, (jnp.zeros_like(last_value), last_value), (values, rewards, dones), reverse=True
    )
    return advantages


class Agent:
    """The networks and structural hyperparameters of one compiled program; its methods are the steps of
    training, pure in the traced hyperparameters `hp` and the state."""

    def __init__(self, config: Config, spec: EnvSpec, schedule_length: int | None):
        self.config, self.spec, self.schedule_length = config, spec, schedule_length
        self.steps_per_iteration = config.num_envs * config.rollout_length
        self.minibatch_size = self.steps_per_iteration // config.num_minibatches
        actor_torso = make_torso(config.actor_torso, config.actor_layer_sizes, config.actor_activation, spec)
        if spec.discrete:
            self.actor = actor_torso.head(spec.action_dim, out_scale=0.01)
        elif config.use_sde:
            self.actor = StateDependentGaussianHead(actor_torso, spec.action_dim)
        else:
            self.actor = GaussianHead(actor_torso, spec.action_dim)
        self.critic = make_torso(config.critic_torso, config.critic_layer_sizes, config.critic_activation, spec).head(1)

    # ---- networks ----

    def normalize(self, stats: ObsStats, obs):
        if not self.config.normalize_observations:
            return obs
        return jnp.clip((obs - stats.mean) / jnp.sqrt(stats.var + 1e-8), -10.0, 10.0)

    def value(self, params, obs):
        return self.critic.apply(params, obs)[..., 0]

    def sample_action(self, params, obs, key, sde_matrices=None):
        """(action, the action clipped to the env's bounds, log-probability of the unclipped action). With gSDE
        the noise comes from `sde_matrices` (drawn from `key` when None)."""
        spec = self.spec
        if spec.discrete:
            logits = self.actor.apply(params, obs)
            action = D.categorical_sample(key, logits)
            return action, action, D.categorical_log_prob(action, logits)
        if self.config.use_sde:
            mean, features, log_std = self.actor.apply(params, obs)
            if sde_matrices is None:
                sde_matrices = D.sde_matrices(key, log_std, mean.shape[:-1])
            action = mean + D.sde_noise(features, sde_matrices)
            log_prob = D.normal_log_prob(action, mean, D.sde_log_std(features, log_std))
        else:
            mean, log_std = self.actor.apply(params, obs)
            action = D.normal_sample(key, mean, log_std)
            log_prob = D.normal_log_prob(action, mean, log_std)
        return action, jnp.clip(action, spec.action_low, spec.action_high), log_prob

    def log_prob_and_entropy(self, params, obs, action):
        if self.spec.discrete:
            logits = self.actor.apply(params, obs)
            return D.categorical_log_prob(action, logits), D.categorical_entropy(logits)
        if self.config.use_sde:
            mean, features, log_std = self.actor.apply(params, obs)
            log_std = D.sde_log_std(features, log_std)
        else:
            mean, log_std = self.actor.apply(params, obs)
        return D.normal_log_prob(action, mean, log_std), D.normal_entropy(log_std)

    def draw_sde_matrices(self, params, key):
        """gSDE: a fresh exploration matrix for each env."""
        return D.sde_matrices(key, params["params"]["log_std"], (self.config.num_envs,))

    def policy_params(self, state: State) -> dict:
        """What acting needs: the policy's parameters and the observation statistics."""
        return {"actor": state.actor_params, "obs_stats": state.obs_stats}

    def act(self, params: dict, obs, key=None, deterministic: bool = True):
        """The greedy action (argmax, or the Gaussian mean clipped to the bounds), or one sampled with `key`."""
        spec, obs = self.spec, self.normalize(params["obs_stats"], obs)
        if deterministic:
            if spec.discrete:
                return jnp.argmax(self.actor.apply(params["actor"], obs), axis=-1)
            return jnp.clip(self.actor.apply(params["actor"], obs)[0], spec.action_low, spec.action_high)
        return self.sample_action(params["actor"], obs, key)[1]

    def greedy_policy(self, state: State):
        params = self.policy_params(state)
        return lambda obs: self.act(params, obs)

    # ---- training ----

    def init(self, hp: Config, key) -> State:
        spec, schedule_length = self.spec, self.schedule_length
        actor_key, critic_key, env_key, eval_key, key = jax.random.split(key, 5)
        dummy_obs = jnp.zeros(spec.obs_shape)
        actor_params = self.actor.init(actor_key, dummy_obs)
        if not spec.discrete:
            actor_params = with_log_std_init(actor_params, hp.log_std_init)
        critic_params = self.critic.init(critic_key, dummy_obs)
        obs, env_state = reset_envs(spec, jax.random.split(env_key, self.config.num_envs))
        return State(
            actor_params=actor_params,
            critic_params=critic_params,
            actor_opt=optimizer(hp.actor_lr, hp.max_grad_norm, schedule_length).init(actor_params),
            critic_opt=optimizer(hp.critic_lr, hp.max_grad_norm, schedule_length).init(critic_params),
            obs_stats=ObsStats(jnp.zeros(spec.obs_shape), jnp.ones(spec.obs_shape), jnp.asarray(1e-4)),
            return_stats=ReturnStats(
                jnp.zeros(self.config.num_envs), ObsStats(jnp.asarray(0.0), jnp.asarray(1.0), jnp.asarray(1e-4))
            ),
            env_state=env_state,
            obs=obs,
            key=key,
            eval_key=eval_key,
            env_steps=jnp.asarray(0, jnp.int32),
            finite=jnp.asarray(True),
        )

    def iteration(self, hp: Config, state: State) -> State:
        """Collect a rollout, estimate advantages, then update both networks on it."""
        state, rollout = self.collect_rollout(hp, state)
        last_value = self.value(state.critic_params, self.normalize(state.obs_stats, state.obs))
        advantages = gae(rollout.value, rollout.reward, rollout.done, last_value, hp.gamma, hp.gae_lambda)
        return self.update(hp, state, rollout, advantages, advantages + rollout.value)

    def collect_rollout(self, hp: Config, state: State) -> tuple[State, Transition]:
        config = self.config

        def env_step(carry, t):
            obs, env_state, return_stats, key, sde_matrices = carry
            key, action_key, step_key = jax.random.split(key, 3)
            if config.use_sde and config.sde_sample_freq > 0:  # new matrices every sde_sample_freq steps
                fresh = self.draw_sde_matrices(state.actor_params, action_key)
                sde_matrices = jnp.where((t > 0) & (t % config.sde_sample_freq == 0), fresh, sde_matrices)
            norm_obs = self.normalize(state.obs_stats, obs)
            action, env_action, log_prob = self.sample_action(state.actor_params, norm_obs, action_key, sde_matrices)
            next_obs, env_state, reward, terminated, truncated, info = step_envs(
                self.spec, step_key, env_state, env_action
            )
            done = (terminated | truncated).astype(jnp.float32)
            if self.config.normalize_rewards:
                return_stats, reward = normalize_rewards(return_stats, reward, done, hp.gamma)
            # A time limit is not a real end: bootstrap from the value of the last observation (the critic
            # learns the normalized scale, so its value is added after normalization, as in SB3).
            final_value = self.value(state.critic_params, self.normalize(state.obs_stats, info["final_observation"]))
            reward = reward + hp.gamma * final_value * (truncated & ~terminated)
            value = self.value(state.critic_params, norm_obs)
            transition = Transition(obs, norm_obs, action, log_prob, value, reward, done)
            return (next_obs, env_state, return_stats, key, sde_matrices), transition

        key, sde_matrices = state.key, None
        if config.use_sde:  # each rollout starts with fresh matrices (SB3 resets the noise per rollout)
            key, sde_key = jax.random.split(key)
            sde_matrices = self.draw_sde_matrices(state.actor_params, sde_key)
        carry = (state.obs, state.env_state, state.return_stats, key, sde_matrices)
        steps = jnp.arange(config.rollout_length)
        (obs, env_state, return_stats, key, _), rollout = jax.lax.scan(env_step, carry, steps)
        return state.replace(obs=obs, env_state=env_state, return_stats=return_stats, key=key), rollout

    def update(self, hp: Config, state: State, rollout: Transition, advantages, targets) -> State:
        """`epochs` passes of minibatch updates over the rollout, then the observation statistics."""
        config = self.config
        batch = jax.tree.map(
            lambda x: x.reshape((self.steps_per_iteration,) + x.shape[2:]),
            Minibatch(rollout.norm_obs, rollout.action, rollout.log_prob, advantages, targets),
        )
        key, epoch_key = jax.random.split(state.key)
        carry = (state.actor_params, state.critic_params, state.actor_opt, state.critic_opt)
        (actor_params, critic_params, actor_opt, critic_opt), losses_finite = jax.lax.scan(
            lambda c, k: self.update_epoch(hp, c, k, batch), carry, jax.random.split(epoch_key, config.epochs)
        )
        obs_stats = state.obs_stats
        if config.normalize_observations:
            obs_stats = update_obs_stats(obs_stats, rollout.obs.reshape((-1,) + self.spec.obs_shape))
        finite = state.finite & jnp.all(losses_finite) & tree_is_finite((actor_params, critic_params))
        return state.replace(
            actor_params=actor_params,
            critic_params=critic_params,
            actor_opt=actor_opt,
            critic_opt=critic_opt,
            obs_stats=obs_stats,
            key=key,
            env_steps=state.env_steps + self.steps_per_iteration,
            finite=finite,
        )

    def update_epoch(self, hp: Config, carry, key, batch: Minibatch):
        """One shuffled pass over the batch (a remainder smaller than a minibatch is left out)."""
        num_minibatches, minibatch_size = self.config.num_minibatches, self.minibatch_size
        order = jax.random.permutation(key, self.steps_per_iteration)[: num_minibatches * minibatch_size]
        minibatches = jax.tree.map(lambda x: x[order].reshape((num_minibatches, minibatch_size) + x.shape[1:]), batch)
        return jax.lax.scan(lambda c, mb: self.update_minibatch(hp, c, mb), carry, minibatches)

    def update_minibatch(self, hp: Config, carry, mb: Minibatch):
        actor_params, critic_params, actor_opt, critic_opt = carry
        a_loss, a_grads = jax.value_and_grad(self.actor_loss)(actor_params, hp, mb)
        c_loss, c_grads = jax.value_and_grad(self.critic_loss)(critic_params, hp, mb)
        actor_optimizer = optimizer(hp.actor_lr, hp.max_grad_norm, self.schedule_length)
        critic_optimizer = optimizer(hp.critic_lr, hp.max_grad_norm, self.schedule_length)
        a_updates, actor_opt = actor_optimizer.update(a_grads, actor_opt)
        c_updates, critic_opt = critic_optimizer.update(c_grads, critic_opt)
        carry = (
            optax.apply_updates(actor_params, a_updates),
            optax.apply_updates(critic_params, c_updates),
            actor_opt,
            critic_opt,
        )
        return carry, jnp.isfinite(a_loss) & jnp.isfinite(c_loss)

    def actor_loss(self, params, hp: Config, mb: Minibatch):
        log_prob, entropy = self.log_prob_and_entropy(params, mb.obs, mb.action)
        adv = (mb.advantage - mb.advantage.mean()) / (mb.advantage.std() + 1e-8)
        ratio = jnp.exp(log_prob - mb.log_prob)
        clipped = jnp.clip(ratio, 1.0 - hp.clip_eps, 1.0 + hp.clip_eps)
        return -jnp.minimum(ratio * adv, clipped * adv).mean() - hp.ent_coef * entropy.mean()

    def critic_loss(self, params, hp: Config, mb: Minibatch):
        return hp.vf_coef * 0.5 * jnp.mean((self.value(params, mb.obs) - mb.target) ** 2)


def make_train(config: Config, spec: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int) -> Train:
    steps_per_iteration = config.num_envs * config.rollout_length
    iterations_per_segment = max(1, round(total_timesteps / num_evaluations / steps_per_iteration))
    # The runner calls `segment` num_evaluations times, so this is every gradient step of the run.
    num_updates = num_evaluations * iterations_per_segment * config.epochs * config.num_minibatches
    agent = Agent(config, spec, schedule_length=num_updates if config.anneal_lr else None)
    segment = make_segment(agent.iteration, agent.greedy_policy, spec, iterations_per_segment, eval_episodes)
    return Train(init=agent.init, segment=segment, steps_per_segment=iterations_per_segment * steps_per_iteration)


def make_policy(config: Config, spec: EnvSpec) -> Policy:
    """How an agent of this structure acts on `spec` (see hyperlax.algos.common.Policy)."""
    agent = Agent(config, spec, schedule_length=None)
    return Policy(agent.policy_params, agent.act)


def config_problem(config: Config, env: EnvSpec | None = None) -> str | None:
    """A combination of structural values that cannot train (on `env`, when given), or None."""
    steps = config.num_envs * config.rollout_length
    if config.num_minibatches > steps:
        return f"num_minibatches {config.num_minibatches} exceeds the {steps} transitions of a rollout"
    if config.use_sde and env is not None and env.discrete:
        return "use_sde: gSDE explores continuous actions; this env's actions are discrete (set use_sde false)"
    return torsos_problem(config, env)


def gradient_updates_per_env_step(config: Config) -> float:
    return config.epochs * config.num_minibatches / (config.num_envs * config.rollout_length)
