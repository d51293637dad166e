"""Soft Actor-Critic: tanh-squashed Gaussian actor, twin Q critics with Polyak targets, learned entropy weight.

One iteration is one vectorized env step (its transitions go to a replay buffer in the state) followed by
`updates_per_step` gradient updates. Like ppo.py, `make_train` closes over the structural hyperparameters
and returns pure `init` and `segment` that jit and vmap accept as they are.
"""

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax import buffers
from hyperlax import distributions as D
from hyperlax.algos.common import SegmentOutput, Train, structural, traced, tree_is_finite
from hyperlax.envs import EnvSpec, evaluate
from hyperlax.networks import QNetwork, SquashedGaussianHead

SUPPORTS_DISCRETE = False
SUPPORTS_CONTINUOUS = True

ACTOR = "algorithm.network.actor_network.pre_torso"
CRITIC = "algorithm.network.critic_network.pre_torso"


class Config(struct.PyTreeNode):
    actor_lr: float = traced("Adam learning rate of the policy")
    critic_lr: float = traced("Adam learning rate of the twin Q networks")
    alpha_lr: float = traced("Adam learning rate of log(alpha) when autotune_alpha is on")
    gamma: float = traced("discount factor")
    tau: float = traced("Polyak step of the target critics after every update")
    init_alpha: float = traced("entropy weight at the start (the fixed weight when autotune_alpha is off)")
    num_envs: int = structural("parallel environments")
    buffer_size: int = structural("replay buffer capacity in transitions")
    batch_size: int = structural("transitions per gradient update")
    learning_starts: int = structural("env steps of uniform random actions before the first update")
    updates_per_step: int = structural("gradient updates per vectorized env step")
    autotune_alpha: bool = structural("learn alpha towards the target entropy -|A|")
    actor_layer_sizes: tuple = structural("hidden layers of the policy", key=f"{ACTOR}.layer_sizes")
    actor_activation: str = structural("activation of the policy", key=f"{ACTOR}.activation")
    critic_layer_sizes: tuple = structural("hidden layers of each Q network", key=f"{CRITIC}.layer_sizes")
    critic_activation: str = structural("activation of the Q networks", key=f"{CRITIC}.activation")


class Learner(struct.PyTreeNode):
    """Everything a gradient update changes."""

    actor_params: dict
    critic_params: dict  # the two critics stacked on a leading axis
    target_params: dict
    log_alpha: jax.Array
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    alpha_opt: optax.OptState


class State(struct.PyTreeNode):
    learner: Learner
    buffer: buffers.ReplayBuffer
    env_state: object
    obs: jax.Array
    key: jax.Array
    eval_key: jax.Array  # evaluation draws from its own stream, so segment boundaries don't alter training
    env_steps: jax.Array
    finite: jax.Array


def make_train(config: Config, spec: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int) -> Train:
    iterations_per_segment = max(1, round(total_timesteps / num_evaluations / config.num_envs))
    actor = SquashedGaussianHead(config.actor_layer_sizes, config.actor_activation, spec.action_dim)
    critic = QNetwork(config.critic_layer_sizes, config.critic_activation)
    target_entropy = -float(spec.action_dim)

    def twin_q(params, obs, action):
        return jax.vmap(critic.apply, in_axes=(0, None, None))(params, obs, action)

    def to_env(action):
        """The actor acts in [-1, 1]; the env wants [action_low, action_high]."""
        return spec.action_low + 0.5 * (action + 1.0) * (spec.action_high - spec.action_low)

    def sample_action(params, obs, key):
        mean, log_std = actor.apply(params, obs)
        return D.tanh_normal_sample_and_log_prob(key, mean, log_std)

    def greedy_policy(params):
        return lambda obs: to_env(jnp.tanh(actor.apply(params, obs)[0]))

    def init(hp: Config, key) -> State:
        actor_key, critic_key, env_key, eval_key, key = jax.random.split(key, 5)
        dummy_obs, dummy_action = jnp.zeros((spec.obs_dim,)), jnp.zeros((spec.action_dim,))
        actor_params = actor.init(actor_key, dummy_obs)
        critic_params = jax.vmap(critic.init, in_axes=(0, None, None))(
            jax.random.split(critic_key), dummy_obs, dummy_action
        )
        log_alpha = jnp.log(hp.init_alpha)
        learner = Learner(
            actor_params=actor_params,
            critic_params=critic_params,
            target_params=critic_params,
            log_alpha=log_alpha,
            actor_opt=optax.adam(hp.actor_lr).init(actor_params),
            critic_opt=optax.adam(hp.critic_lr).init(critic_params),
            alpha_opt=optax.adam(hp.alpha_lr).init(log_alpha),
        )
        transition = (dummy_obs, dummy_action, jnp.zeros(()), dummy_obs, jnp.zeros(()))
        obs, env_state = jax.vmap(spec.env.reset, in_axes=(0, None))(
            jax.random.split(env_key, config.num_envs), spec.params
        )
        return State(
            learner=learner,
            buffer=buffers.init_buffer(transition, config.buffer_size),
            env_state=env_state,
            obs=obs,
            key=key,
            eval_key=eval_key,
            env_steps=jnp.asarray(0, jnp.int32),
            finite=jnp.asarray(True),
        )

    def critic_loss(critic_params, learner: Learner, hp: Config, batch, key):
        obs, action, reward, next_obs, terminated = batch
        next_action, next_log_prob = sample_action(learner.actor_params, next_obs, key)
        next_q = jnp.min(twin_q(learner.target_params, next_obs, next_action), axis=0)
        alpha = jnp.exp(learner.log_alpha)
        target = reward + hp.gamma * (1.0 - terminated) * (next_q - alpha * next_log_prob)
        q = twin_q(critic_params, obs, action)
        return 0.5 * jnp.mean(jnp.sum((q - jax.lax.stop_gradient(target)) ** 2, axis=0))

    def actor_loss(actor_params, learner: Learner, obs, key):
        action, log_prob = sample_action(actor_params, obs, key)
        q = jnp.min(twin_q(learner.critic_params, obs, action), axis=0)
        return jnp.mean(jnp.exp(learner.log_alpha) * log_prob - q), log_prob

    def alpha_loss(log_alpha, log_prob):
        return -jnp.mean(log_alpha * jax.lax.stop_gradient(log_prob + target_entropy))

    def update(hp: Config, learner: Learner, buffer: buffers.ReplayBuffer, key):
        sample_key, critic_key, actor_key = jax.random.split(key, 3)
        batch = buffers.sample(buffer, sample_key, config.batch_size)
        c_loss, c_grads = jax.value_and_grad(critic_loss)(learner.critic_params, learner, hp, batch, critic_key)
        c_updates, critic_opt = optax.adam(hp.critic_lr).update(c_grads, learner.critic_opt)
        learner = learner.replace(
            critic_params=optax.apply_updates(learner.critic_params, c_updates), critic_opt=critic_opt
        )

        (a_loss, log_prob), a_grads = jax.value_and_grad(actor_loss, has_aux=True)(
            learner.actor_params, learner, batch[0], actor_key
        )
        a_updates, actor_opt = optax.adam(hp.actor_lr).update(a_grads, learner.actor_opt)
        learner = learner.replace(
            actor_params=optax.apply_updates(learner.actor_params, a_updates), actor_opt=actor_opt
        )

        if config.autotune_alpha:
            alpha_grad = jax.grad(alpha_loss)(learner.log_alpha, log_prob)
            alpha_update, alpha_opt = optax.adam(hp.alpha_lr).update(alpha_grad, learner.alpha_opt)
            learner = learner.replace(
                log_alpha=optax.apply_updates(learner.log_alpha, alpha_update), alpha_opt=alpha_opt
            )

        target_params = optax.incremental_update(learner.critic_params, learner.target_params, hp.tau)
        learner = learner.replace(target_params=target_params)
        return learner, jnp.isfinite(c_loss) & jnp.isfinite(a_loss)

    def iteration(hp: Config, state: State) -> State:
        key, action_key, random_key, step_key, update_key = jax.random.split(state.key, 5)
        policy_action, _ = sample_action(state.learner.actor_params, state.obs, action_key)
        random_action = jax.random.uniform(random_key, policy_action.shape, minval=-1.0, maxval=1.0)
        action = jnp.where(state.env_steps < config.learning_starts, random_action, policy_action)
        next_obs, env_state, reward, terminated, truncated, info = jax.vmap(spec.env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(step_key, config.num_envs), state.env_state, to_env(action), spec.params
        )
        # gymnax has already reset finished episodes: store the true last observation, and end the
        # bootstrap only on termination, since a time limit is not a state of the MDP.
        transition = (state.obs, action, reward, info["final_observation"], terminated.astype(jnp.float32))
        buffer = buffers.add_batch(state.buffer, transition)
        env_steps = state.env_steps + config.num_envs

        def updates(learner):
            return jax.lax.scan(
                lambda l, k: update(hp, l, buffer, k), learner, jax.random.split(update_key, config.updates_per_step)
            )

        def no_updates(learner):
            return learner, jnp.ones((config.updates_per_step,), bool)

        learner, losses_finite = jax.lax.cond(env_steps >= config.learning_starts, updates, no_updates, state.learner)
        finite = state.finite & jnp.all(losses_finite)
        finite &= tree_is_finite((learner.actor_params, learner.critic_params, learner.log_alpha))
        return state.replace(
            learner=learner,
            buffer=buffer,
            env_state=env_state,
            obs=next_obs,
            key=key,
            env_steps=env_steps,
            finite=finite,
        )

    def segment(hp: Config, state: State):
        state, _ = jax.lax.scan(lambda s, _: (iteration(hp, s), None), state, None, iterations_per_segment)
        eval_key = jax.random.fold_in(state.eval_key, state.env_steps)
        returns = evaluate(spec, greedy_policy(state.learner.actor_params), eval_key, eval_episodes)
        finite = state.finite & jnp.all(jnp.isfinite(returns))
        return state, SegmentOutput(returns, finite, state.env_steps)

    return Train(init=init, segment=segment, steps_per_segment=iterations_per_segment * config.num_envs)


def gradient_updates_per_env_step(config: Config) -> float:
    return config.updates_per_step / config.num_envs
