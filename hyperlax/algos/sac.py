"""Soft Actor-Critic: tanh-squashed Gaussian actor, twin Q critics with Polyak targets, learned entropy weight.

One iteration is one vectorized env step (its transitions go to a replay buffer in the state) followed by
`updates_per_step` gradient updates (collect -> update). Like ppo.py, `make_train` builds an `Agent` from the
structural hyperparameters and returns pure `init` and `segment` that jit and vmap accept as they are.
With use_sde the policy explores by gSDE (SB3's StateDependentNoiseDistribution, with SB3's SAC's
learn_features=True): each env's noise matrix is held for sde_sample_freq steps, which rl-baselines3-zoo's tuned
MountainCarContinuous agent relies on.
"""

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax.algos import buffers
from hyperlax.algos import distributions as D
from hyperlax.algos.common import (
    Policy,
    Train,
    activation_field,
    make_segment,
    make_torso,
    structural,
    torso_field,
    torsos_problem,
    traced,
    tree_is_finite,
)
from hyperlax.algos.networks import QNetwork, SquashedGaussianHead, StateDependentGaussianHead, with_log_std_init
from hyperlax.envs.spec import EnvSpec, reset_envs, step_envs

NAME = "sac"
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
    learning_starts: int = structural(minimum=0, help="env steps of uniform random actions before the first update")
    updates_per_step: int = structural("gradient updates per vectorized env step")
    autotune_alpha: bool = structural("learn alpha towards the target entropy -|A|")
    use_sde: bool = structural(
        "gSDE exploration, noise = the policy's features x a random matrix held for sde_sample_freq steps",
        default=False,
    )
    sde_sample_freq: int = structural("use_sde: env steps between new noise matrices", default=32)
    log_std_init: float = traced("use_sde: initial log std of the noise matrix's entries", default=-3.0)
    actor_torso: str = torso_field("torso of the policy: mlp, cnn, module:attr or file.py:attr", key=f"{ACTOR}.name")
    actor_layer_sizes: tuple = structural("hidden layers of the policy", key=f"{ACTOR}.layer_sizes")
    actor_activation: str = activation_field("activation of the policy", key=f"{ACTOR}.activation")
    critic_torso: str = torso_field(
        "torso of each Q network: mlp, cnn, module:attr or file.py:attr", key=f"{CRITIC}.name"
    )
    critic_layer_sizes: tuple = structural("hidden layers of each Q network", key=f"{CRITIC}.layer_sizes")
    critic_activation: str = activation_field("activation of the Q networks", key=f"{CRITIC}.activation")


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
    sde_matrices: jax.Array | None = None  # use_sde: each env's noise matrix, [envs, features, actions]


class Agent:
    """The networks and structural hyperparameters of one compiled program; its methods are the steps of
    training, pure in the traced hyperparameters `hp` and the state."""

    def __init__(self, config: Config, spec: EnvSpec):
        self.config, self.spec = config, spec
        actor_torso = make_torso(config.actor_torso, config.actor_layer_sizes, config.actor_activation, spec)
        if config.use_sde:
            self.actor = StateDependentGaussianHead(actor_torso, spec.action_dim, orthogonal=False, mean_bound=2.0)
        else:
            self.actor = SquashedGaussianHead(actor_torso, spec.action_dim)
        self.critic = QNetwork(
            make_torso(config.critic_torso, config.critic_layer_sizes, config.critic_activation, spec)
        )
        self.target_entropy = -float(spec.action_dim)

    # ---- networks ----

    def twin_q(self, params, obs, action):
        return jax.vmap(self.critic.apply, in_axes=(0, None, None))(params, obs, action)

    def to_env(self, action):
        """The actor acts in [-1, 1]; the env wants [action_low, action_high]."""
        spec = self.spec
        return spec.action_low + 0.5 * (action + 1.0) * (spec.action_high - spec.action_low)

    def sample_action(self, params, obs, key, sde_matrices=None):
        """(tanh of a Gaussian sample, its log density). With gSDE the noise is features @ `sde_matrices`, or
        @ one matrix drawn from `key` for the whole batch (SB3 draws it anew for every gradient step)."""
        if not self.config.use_sde:
            mean, log_std = self.actor.apply(params, obs)
            return D.tanh_normal_sample_and_log_prob(key, mean, log_std)
        mean, features, log_std = self.actor.apply(params, obs)
        if sde_matrices is None:
            sde_matrices = D.sde_matrices(key, log_std, ())
        # SB3's SAC learns the features from the noise (learn_features=True): held constant, a torso whose features
        # shrink cannot widen its noise again, the entropy stays under its target and alpha grows without bound
        u = mean + D.sde_noise(features, sde_matrices, learn_features=True)
        return jnp.tanh(u), D.tanh_normal_log_prob(u, mean, D.sde_log_std(features, log_std, learn_features=True))

    def policy_params(self, state: State) -> dict:
        return {"actor": state.learner.actor_params}

    def act(self, params: dict, obs, key=None, deterministic: bool = True):
        """tanh of the Gaussian mean (or of a sample drawn with `key`), scaled to the env's bounds."""
        if deterministic:
            return self.to_env(jnp.tanh(self.actor.apply(params["actor"], obs)[0]))
        return self.to_env(self.sample_action(params["actor"], obs, key)[0])

    def draw_sde_matrices(self, actor_params, key):
        """gSDE: a fresh noise matrix for each env."""
        return D.sde_matrices(key, actor_params["params"]["log_std"], (self.config.num_envs,))

    def greedy_policy(self, state: State):
        params = self.policy_params(state)
        return lambda obs: self.act(params, obs)

    # ---- training ----

    def init(self, hp: Config, key) -> State:
        spec = self.spec
        actor_key, critic_key, env_key, eval_key, key = jax.random.split(key, 5)
        dummy_obs, dummy_action = jnp.zeros(spec.obs_shape), jnp.zeros((spec.action_dim,))
        actor_params = self.actor.init(actor_key, dummy_obs)
        sde_matrices = None
        if self.config.use_sde:
            actor_params = with_log_std_init(actor_params, hp.log_std_init)
            key, sde_key = jax.random.split(key)
            sde_matrices = self.draw_sde_matrices(actor_params, sde_key)
        critic_params = jax.vmap(self.critic.init, in_axes=(0, None, None))(
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
        transition = buffers.Transition(dummy_obs, dummy_action, jnp.zeros(()), dummy_obs, jnp.zeros(()))
        obs, env_state = reset_envs(spec, jax.random.split(env_key, self.config.num_envs))
        return State(
            learner=learner,
            buffer=buffers.init_buffer(transition, self.config.buffer_size),
            env_state=env_state,
            obs=obs,
            key=key,
            eval_key=eval_key,
            env_steps=jnp.asarray(0, jnp.int32),
            finite=jnp.asarray(True),
            sde_matrices=sde_matrices,
        )

    def iteration(self, hp: Config, state: State) -> State:
        """One vectorized env step into the buffer, then `updates_per_step` updates once learning has started."""
        config = self.config
        key, action_key, random_key, step_key, update_key = jax.random.split(state.key, 5)
        collected = self.collect(state, action_key, random_key, step_key)

        def updates(learner):
            keys = jax.random.split(update_key, config.updates_per_step)
            return jax.lax.scan(lambda learner, key: self.update(hp, learner, collected.buffer, key), learner, keys)

        def no_updates(learner):
            return learner, jnp.ones((config.updates_per_step,), bool)

        started = collected.env_steps >= config.learning_starts
        learner, losses_finite = jax.lax.cond(started, updates, no_updates, state.learner)
        finite = state.finite & jnp.all(losses_finite)
        finite &= tree_is_finite((learner.actor_params, learner.critic_params, learner.log_alpha))
        return collected.replace(learner=learner, key=key, finite=finite)

    def collect(self, state: State, action_key, random_key, step_key) -> State:
        """Act (uniformly at random before learning_starts), step the envs, store the transitions."""
        sde_matrices = state.sde_matrices
        if self.config.use_sde:  # new matrices every sde_sample_freq steps
            fresh = self.draw_sde_matrices(state.learner.actor_params, jax.random.fold_in(action_key, 1))
            due = (state.env_steps // self.config.num_envs) % self.config.sde_sample_freq == 0
            sde_matrices = jnp.where(due, fresh, sde_matrices)
        policy_action, _ = self.sample_action(state.learner.actor_params, state.obs, action_key, sde_matrices)
        random_action = jax.random.uniform(random_key, policy_action.shape, minval=-1.0, maxval=1.0)
        action = jnp.where(state.env_steps < self.config.learning_starts, random_action, policy_action)
        next_obs, env_state, reward, terminated, truncated, info = step_envs(
            self.spec, step_key, state.env_state, self.to_env(action)
        )
        # gymnax has already reset finished episodes: store the true last observation, and end the
        # bootstrap only on termination, since a time limit is not a state of the MDP.
        transition = buffers.Transition(
            state.obs, action, reward, info["final_observation"], terminated.astype(jnp.float32)
        )
        buffer = buffers.add_batch(state.buffer, transition)
        env_steps = state.env_steps + self.config.num_envs
        return state.replace(
            buffer=buffer, env_state=env_state, obs=next_obs, env_steps=env_steps, sde_matrices=sde_matrices
        )

    def update(self, hp: Config, learner: Learner, buffer: buffers.ReplayBuffer, key):
        """One gradient step of the critics, the actor and alpha on a sampled batch, then the Polyak step."""
        sample_key, critic_key, actor_key = jax.random.split(key, 3)
        batch = buffers.sample(buffer, sample_key, self.config.batch_size)
        c_loss, c_grads = jax.value_and_grad(self.critic_loss)(learner.critic_params, learner, hp, batch, critic_key)
        c_updates, critic_opt = optax.adam(hp.critic_lr).update(c_grads, learner.critic_opt)
        learner = learner.replace(
            critic_params=optax.apply_updates(learner.critic_params, c_updates), critic_opt=critic_opt
        )

        (a_loss, log_prob), a_grads = jax.value_and_grad(self.actor_loss, has_aux=True)(
            learner.actor_params, learner, batch.obs, actor_key
        )
        a_updates, actor_opt = optax.adam(hp.actor_lr).update(a_grads, learner.actor_opt)
        learner = learner.replace(
            actor_params=optax.apply_updates(learner.actor_params, a_updates), actor_opt=actor_opt
        )

        if self.config.autotune_alpha:
            alpha_grad = jax.grad(self.alpha_loss)(learner.log_alpha, log_prob)
            alpha_update, alpha_opt = optax.adam(hp.alpha_lr).update(alpha_grad, learner.alpha_opt)
            learner = learner.replace(
                log_alpha=optax.apply_updates(learner.log_alpha, alpha_update), alpha_opt=alpha_opt
            )

        target_params = optax.incremental_update(learner.critic_params, learner.target_params, hp.tau)
        learner = learner.replace(target_params=target_params)
        return learner, jnp.isfinite(c_loss) & jnp.isfinite(a_loss)

    def critic_loss(self, critic_params, learner: Learner, hp: Config, batch: buffers.Transition, key):
        next_action, next_log_prob = self.sample_action(learner.actor_params, batch.next_obs, key)
        next_q = jnp.min(self.twin_q(learner.target_params, batch.next_obs, next_action), axis=0)
        alpha = jnp.exp(learner.log_alpha)
        target = batch.reward + hp.gamma * (1.0 - batch.terminated) * (next_q - alpha * next_log_prob)
        q = self.twin_q(critic_params, batch.obs, batch.action)
        return 0.5 * jnp.mean(jnp.sum((q - jax.lax.stop_gradient(target)) ** 2, axis=0))

    def actor_loss(self, actor_params, learner: Learner, obs, key):
        action, log_prob = self.sample_action(actor_params, obs, key)
        q = jnp.min(self.twin_q(learner.critic_params, obs, action), axis=0)
        return jnp.mean(jnp.exp(learner.log_alpha) * log_prob - q), log_prob

    def alpha_loss(self, log_alpha, log_prob):
        return -jnp.mean(log_alpha * jax.lax.stop_gradient(log_prob + self.target_entropy))


def make_train(config: Config, spec: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int) -> Train:
    iterations_per_segment = max(1, round(total_timesteps / num_evaluations / config.num_envs))
    agent = Agent(config, spec)
    segment = make_segment(agent.iteration, agent.greedy_policy, spec, iterations_per_segment, eval_episodes)
    return Train(init=agent.init, segment=segment, steps_per_segment=iterations_per_segment * config.num_envs)


def make_policy(config: Config, spec: EnvSpec) -> Policy:
    """How an agent of this structure acts on `spec` (see hyperlax.algos.common.Policy)."""
    agent = Agent(config, spec)
    return Policy(agent.policy_params, agent.act)


def config_problem(config: Config, env: EnvSpec | None = None) -> str | None:
    """A combination of structural values that cannot train (on `env`, when given), or None."""
    if config.num_envs > config.buffer_size:
        return f"buffer_size {config.buffer_size} cannot hold one step of {config.num_envs} envs"
    return torsos_problem(config, env)


def gradient_updates_per_env_step(config: Config) -> float:
    return config.updates_per_step / config.num_envs
