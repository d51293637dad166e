"""Proximal Policy Optimization (clipped objective, GAE), continuous or discrete actions.

The whole training loop is pure JAX: `make_train` closes over the structural hyperparameters and the env
and returns `init` and `segment`, which jit and vmap accept as they are. Traced hyperparameters come in
as the `config` argument, so one compiled program trains a batch of configurations.
"""

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax import distributions as D
from hyperlax.algos.common import SegmentOutput, Train, clipped_adam, structural, traced, tree_is_finite
from hyperlax.envs import EnvSpec, evaluate
from hyperlax.networks import MLP, GaussianHead

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
    anneal_lr: bool = structural("decay both learning rates linearly to 0 over training")
    actor_layer_sizes: tuple = structural("hidden layers of the policy", key=f"{ACTOR}.layer_sizes")
    actor_activation: str = structural("activation of the policy", key=f"{ACTOR}.activation")
    critic_layer_sizes: tuple = structural("hidden layers of the value network", key=f"{CRITIC}.layer_sizes")
    critic_activation: str = structural("activation of the value network", key=f"{CRITIC}.activation")


class ObsStats(struct.PyTreeNode):
    mean: jax.Array
    var: jax.Array
    count: jax.Array


class State(struct.PyTreeNode):
    actor_params: dict
    critic_params: dict
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    obs_stats: ObsStats
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


def optimizer(lr, max_grad_norm, num_updates: int | None = None):
    return clipped_adam(lr, max_grad_norm, num_updates, eps=1e-5)  # CleanRL's and PureJaxRL's eps for PPO


def make_train(config: Config, spec: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int) -> Train:
    steps_per_iteration = config.num_envs * config.rollout_length
    iterations_per_segment = max(1, round(total_timesteps / num_evaluations / steps_per_iteration))
    minibatch_size = steps_per_iteration // config.num_minibatches
    # The runner calls `segment` num_evaluations times, so this is every gradient step of the run.
    num_updates = num_evaluations * iterations_per_segment * config.epochs * config.num_minibatches
    schedule_length = num_updates if config.anneal_lr else None
    if spec.discrete:
        actor = MLP(config.actor_layer_sizes, config.actor_activation, spec.action_dim, out_scale=0.01)
    else:
        actor = GaussianHead(config.actor_layer_sizes, config.actor_activation, spec.action_dim)
    critic = MLP(config.critic_layer_sizes, config.critic_activation, 1)

    def normalize(stats: ObsStats, obs):
        if not config.normalize_observations:
            return obs
        return jnp.clip((obs - stats.mean) / jnp.sqrt(stats.var + 1e-8), -10.0, 10.0)

    def value(params, obs):
        return critic.apply(params, obs)[..., 0]

    def sample_action(params, obs, key):
        if spec.discrete:
            logits = actor.apply(params, obs)
            action = D.categorical_sample(key, logits)
            return action, action, D.categorical_log_prob(action, logits)
        mean, log_std = actor.apply(params, obs)
        action = D.normal_sample(key, mean, log_std)
        return action, jnp.clip(action, spec.action_low, spec.action_high), D.normal_log_prob(action, mean, log_std)

    def log_prob_and_entropy(params, obs, action):
        if spec.discrete:
            logits = actor.apply(params, obs)
            return D.categorical_log_prob(action, logits), D.categorical_entropy(logits)
        mean, log_std = actor.apply(params, obs)
        return D.normal_log_prob(action, mean, log_std), D.normal_entropy(log_std)

    def greedy_policy(params, stats):
        def act(obs):
            obs = normalize(stats, obs)
            if spec.discrete:
                return jnp.argmax(actor.apply(params, obs), axis=-1)
            return jnp.clip(actor.apply(params, obs)[0], spec.action_low, spec.action_high)

        return act

    def init(hp: Config, key) -> State:
        actor_key, critic_key, env_key, eval_key, key = jax.random.split(key, 5)
        dummy_obs = jnp.zeros((spec.obs_dim,))
        actor_params = actor.init(actor_key, dummy_obs)
        critic_params = critic.init(critic_key, dummy_obs)
        obs, env_state = jax.vmap(spec.env.reset, in_axes=(0, None))(
            jax.random.split(env_key, config.num_envs), spec.params
        )
        return State(
            actor_params=actor_params,
            critic_params=critic_params,
            actor_opt=optimizer(hp.actor_lr, hp.max_grad_norm, schedule_length).init(actor_params),
            critic_opt=optimizer(hp.critic_lr, hp.max_grad_norm, schedule_length).init(critic_params),
            obs_stats=ObsStats(jnp.zeros(spec.obs_dim), jnp.ones(spec.obs_dim), jnp.asarray(1e-4)),
            env_state=env_state,
            obs=obs,
            key=key,
            eval_key=eval_key,
            env_steps=jnp.asarray(0, jnp.int32),
            finite=jnp.asarray(True),
        )

    def rollout(hp: Config, state: State):
        def env_step(carry, _):
            obs, env_state, key = carry
            key, action_key, step_key = jax.random.split(key, 3)
            norm_obs = normalize(state.obs_stats, obs)
            action, env_action, log_prob = sample_action(state.actor_params, norm_obs, action_key)
            next_obs, env_state, reward, terminated, truncated, info = jax.vmap(spec.env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(step_key, config.num_envs), env_state, env_action, spec.params
            )
            # A time limit is not a real end: bootstrap from the value of the last observation.
            final_value = value(state.critic_params, normalize(state.obs_stats, info["final_observation"]))
            reward = reward + hp.gamma * final_value * (truncated & ~terminated)
            done = (terminated | truncated).astype(jnp.float32)
            transition = (obs, norm_obs, action, log_prob, value(state.critic_params, norm_obs), reward, done)
            return (next_obs, env_state, key), transition

        (obs, env_state, key), transitions = jax.lax.scan(
            env_step, (state.obs, state.env_state, state.key), None, config.rollout_length
        )
        return state.replace(obs=obs, env_state=env_state, key=key), transitions

    def advantages(hp: Config, values, rewards, dones, last_value):
        def backward(carry, step):
            gae, next_value = carry
            value_t, reward, done = step
            delta = reward + hp.gamma * next_value * (1.0 - done) - value_t
            gae = delta + hp.gamma * hp.gae_lambda * (1.0 - done) * gae
            return (gae, value_t), gae

        _, adv = jax.lax.scan(
            backward, (jnp.zeros_like(last_value), last_value), (values, rewards, dones), reverse=True
        )
        return adv, adv + values

    def actor_loss(params, hp: Config, obs, action, old_log_prob, adv):
        log_prob, entropy = log_prob_and_entropy(params, obs, action)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        ratio = jnp.exp(log_prob - old_log_prob)
        clipped = jnp.clip(ratio, 1.0 - hp.clip_eps, 1.0 + hp.clip_eps)
        return -jnp.minimum(ratio * adv, clipped * adv).mean() - hp.ent_coef * entropy.mean()

    def critic_loss(params, hp: Config, obs, targets):
        return hp.vf_coef * 0.5 * jnp.mean((value(params, obs) - targets) ** 2)

    def update_minibatch(hp: Config, carry, minibatch):
        actor_params, critic_params, actor_opt, critic_opt = carry
        obs, action, old_log_prob, adv, targets = minibatch
        a_loss, a_grads = jax.value_and_grad(actor_loss)(actor_params, hp, obs, action, old_log_prob, adv)
        c_loss, c_grads = jax.value_and_grad(critic_loss)(critic_params, hp, obs, targets)
        a_updates, actor_opt = optimizer(hp.actor_lr, hp.max_grad_norm, schedule_length).update(a_grads, actor_opt)
        c_updates, critic_opt = optimizer(hp.critic_lr, hp.max_grad_norm, schedule_length).update(c_grads, critic_opt)
        carry = (
            optax.apply_updates(actor_params, a_updates),
            optax.apply_updates(critic_params, c_updates),
            actor_opt,
            critic_opt,
        )
        return carry, jnp.isfinite(a_loss) & jnp.isfinite(c_loss)

    def iteration(hp: Config, state: State) -> State:
        state, (raw_obs, obs, action, log_prob, values, rewards, dones) = rollout(hp, state)
        last_value = value(state.critic_params, normalize(state.obs_stats, state.obs))
        adv, targets = advantages(hp, values, rewards, dones, last_value)
        batch = jax.tree.map(
            lambda x: x.reshape((steps_per_iteration,) + x.shape[2:]), (obs, action, log_prob, adv, targets)
        )

        def epoch(carry, key):
            order = jax.random.permutation(key, steps_per_iteration)[: config.num_minibatches * minibatch_size]
            minibatches = jax.tree.map(
                lambda x: x[order].reshape((config.num_minibatches, minibatch_size) + x.shape[1:]), batch
            )
            return jax.lax.scan(lambda c, mb: update_minibatch(hp, c, mb), carry, minibatches)

        key, epoch_key = jax.random.split(state.key)
        carry = (state.actor_params, state.critic_params, state.actor_opt, state.critic_opt)
        (actor_params, critic_params, actor_opt, critic_opt), losses_finite = jax.lax.scan(
            epoch, carry, jax.random.split(epoch_key, config.epochs)
        )
        obs_stats = state.obs_stats
        if config.normalize_observations:
            obs_stats = update_obs_stats(obs_stats, raw_obs.reshape(-1, spec.obs_dim))
        finite = state.finite & jnp.all(losses_finite) & tree_is_finite((actor_params, critic_params))
        return state.replace(
            actor_params=actor_params,
            critic_params=critic_params,
            actor_opt=actor_opt,
            critic_opt=critic_opt,
            obs_stats=obs_stats,
            key=key,
            env_steps=state.env_steps + steps_per_iteration,
            finite=finite,
        )

    def segment(hp: Config, state: State):
        state, _ = jax.lax.scan(lambda s, _: (iteration(hp, s), None), state, None, iterations_per_segment)
        eval_key = jax.random.fold_in(state.eval_key, state.env_steps)
        returns = evaluate(spec, greedy_policy(state.actor_params, state.obs_stats), eval_key, eval_episodes)
        finite = state.finite & jnp.all(jnp.isfinite(returns))
        return state, SegmentOutput(returns, finite, state.env_steps)

    return Train(init=init, segment=segment, steps_per_segment=iterations_per_segment * steps_per_iteration)


def gradient_updates_per_env_step(config: Config) -> float:
    return config.epochs * config.num_minibatches / (config.num_envs * config.rollout_length)
