"""Deep Q-Network: replay buffer, target network, epsilon-greedy exploration, optional double Q and dueling head.

One iteration collects `train_frequency` vectorized env steps into the replay buffer, then runs
`gradient_steps` updates of the Huber TD loss (env_step x train_frequency -> update). The target network
follows SB3: whenever an iteration crosses a multiple of `target_update_interval` env steps, it moves `tau`
of the way to the online network (tau = 1: a hard copy). Like ppo.py, `make_train` builds an `Agent` and
returns pure `init` and `segment` for jit and vmap."""

import jax
import jax.numpy as jnp
import optax
from flax import struct

from hyperlax.algos import buffers
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
from hyperlax.envs.spec import EnvSpec, reset_envs, step_envs

NAME = "dqn"
SUPPORTS_DISCRETE = True
SUPPORTS_CONTINUOUS = False

Q_NETWORK = "algorithm.network.q_network.pre_torso"


class Config(struct.PyTreeNode):
    lr: float = traced("Adam learning rate of the Q network")
    gamma: float = traced("discount factor")
    max_grad_norm: float = traced("global gradient-norm clip")
    tau: float = traced("step of the target towards the online network at each target update (1: hard copy)")
    epsilon_start: float = traced("exploration probability at step 0")
    epsilon_end: float = traced("exploration probability after the decay")
    exploration_fraction: float = traced("fraction of total_timesteps over which epsilon decays linearly")
    num_envs: int = structural("parallel environments")
    buffer_size: int = structural("replay buffer capacity in transitions")
    batch_size: int = structural("transitions per gradient update")
    learning_starts: int = structural(minimum=0, help="env steps collected before the first update")
    train_frequency: int = structural("vectorized env steps collected between update phases")
    gradient_steps: int = structural("gradient updates per update phase")
    target_update_interval: int = structural("env steps between target updates (checked once per iteration)")
    double_q: bool = structural("choose the bootstrap action with the online network, value it with the target")
    dueling: bool = structural(
        "Q as a state value plus centred advantages, both linear in the torso's features (Wang et al. 2016)",
        default=False,
    )
    anneal_lr: bool = structural("decay the learning rate linearly to 0 over the run's gradient updates")
    torso: str = torso_field("torso of the Q network: mlp, cnn, module:attr or file.py:attr", key=f"{Q_NETWORK}.name")
    layer_sizes: tuple = structural("hidden layers of the Q network", key=f"{Q_NETWORK}.layer_sizes")
    activation: str = activation_field("activation of the Q network", key=f"{Q_NETWORK}.activation")


class State(struct.PyTreeNode):
    params: dict
    target_params: dict
    opt: optax.OptState
    buffer: buffers.ReplayBuffer
    env_state: object
    obs: jax.Array
    key: jax.Array
    eval_key: jax.Array  # evaluation draws from its own stream, so segment boundaries don't alter training
    env_steps: jax.Array
    finite: jax.Array


def epsilon(hp: Config, env_steps, total_timesteps: int):
    """Linear decay from epsilon_start to epsilon_end over exploration_fraction * total_timesteps, then flat."""
    decay_steps = hp.exploration_fraction * total_timesteps
    progress = jnp.where(decay_steps > 0, jnp.minimum(1.0, env_steps / jnp.maximum(decay_steps, 1.0)), 1.0)
    return hp.epsilon_start + progress * (hp.epsilon_end - hp.epsilon_start)


def target_update_due(steps_before, steps_after, interval: int):
    """True when (steps_before, steps_after] contains a multiple of `interval`."""
    return steps_after // interval > steps_before // interval


def planned_updates(config: Config, total_iterations: int) -> int:
    """Gradient updates of a run: `gradient_steps` in every iteration that ends at or past learning_starts."""
    steps_per_iteration = config.num_envs * config.train_frequency
    first_updating = max(1, -(-config.learning_starts // steps_per_iteration))
    return max(1, total_iterations - first_updating + 1) * config.gradient_steps


class Agent:
    """The network and structural hyperparameters of one compiled program; its methods are the steps of
    training, pure in the traced hyperparameters `hp` and the state."""

    def __init__(self, config: Config, spec: EnvSpec, total_timesteps: int, schedule_length: int | None):
        self.config, self.spec = config, spec
        self.total_timesteps, self.schedule_length = total_timesteps, schedule_length
        q_torso = make_torso(config.torso, config.layer_sizes, config.activation, spec)
        # Dueling: one linear layer gives the value (unit 0) and the advantages (the rest), i.e. two linear
        # heads on the same features.
        outputs = spec.action_dim + 1 if config.dueling else spec.action_dim
        self.q_network = q_torso.head(outputs, orthogonal=False)

    def q_values(self, params, obs):
        out = self.q_network.apply(params, obs)
        if not self.config.dueling:
            return out
        value, advantages = out[..., :1], out[..., 1:]
        return value + advantages - advantages.mean(axis=-1, keepdims=True)

    def optimizer(self, hp: Config):
        return clipped_adam(hp.lr, hp.max_grad_norm, self.schedule_length)

    def greedy_action(self, params, obs):
        return jnp.argmax(self.q_values(params, obs), axis=-1)

    def policy_params(self, state: State) -> dict:
        return {"q": state.params}

    def act(self, params: dict, obs, key=None, deterministic: bool = True):
        """The greedy action, or epsilon-greedy with the configuration's epsilon_end when drawn with `key`."""
        greedy = self.greedy_action(params["q"], obs)
        if deterministic:
            return greedy
        explore_key, random_key = jax.random.split(key)
        explore = jax.random.uniform(explore_key, greedy.shape) < self.config.epsilon_end
        return jnp.where(explore, jax.random.randint(random_key, greedy.shape, 0, self.spec.action_dim), greedy)

    def greedy_policy(self, state: State):
        params = self.policy_params(state)
        return lambda obs: self.act(params, obs)

    def init(self, hp: Config, key) -> State:
        spec = self.spec
        net_key, env_key, eval_key, key = jax.random.split(key, 4)
        dummy_obs = jnp.zeros(spec.obs_shape)
        params = self.q_network.init(net_key, dummy_obs)
        transition = buffers.Transition(dummy_obs, jnp.zeros((), jnp.int32), jnp.zeros(()), dummy_obs, jnp.zeros(()))
        obs, env_state = reset_envs(spec, jax.random.split(env_key, self.config.num_envs))
        return State(
            params=params,
            target_params=params,
            opt=self.optimizer(hp).init(params),
            buffer=buffers.init_buffer(transition, self.config.buffer_size),
            env_state=env_state,
            obs=obs,
            key=key,
            eval_key=eval_key,
            env_steps=jnp.asarray(0, jnp.int32),
            finite=jnp.asarray(True),
        )

    def iteration(self, hp: Config, state: State) -> State:
        """Collect `train_frequency` env steps, run the gradient steps, then the target update when due."""
        config = self.config
        key, collect_key, update_key = jax.random.split(state.key, 3)
        carry = (state.obs, state.env_state, state.buffer, state.env_steps, state.params)
        (obs, env_state, buffer, env_steps, _), _ = jax.lax.scan(
            lambda c, k: self.env_step(hp, c, k), carry, jax.random.split(collect_key, config.train_frequency)
        )
        (params, opt), losses_finite = jax.lax.cond(
            env_steps >= config.learning_starts,
            lambda carry: self.update(hp, carry, state.target_params, buffer, update_key),
            lambda carry: (carry, jnp.ones((config.gradient_steps,), bool)),
            (state.params, state.opt),
        )
        due = target_update_due(state.env_steps, env_steps, config.target_update_interval)
        moved = optax.incremental_update(params, state.target_params, hp.tau)
        target_params = jax.tree.map(lambda new, old: jnp.where(due, new, old), moved, state.target_params)
        finite = state.finite & jnp.all(losses_finite) & tree_is_finite(params)
        return state.replace(
            params=params,
            target_params=target_params,
            opt=opt,
            buffer=buffer,
            env_state=env_state,
            obs=obs,
            key=key,
            env_steps=env_steps,
            finite=finite,
        )

    def env_step(self, hp: Config, carry, key):
        """One epsilon-greedy vectorized env step, stored in the buffer."""
        config, spec = self.config, self.spec
        obs, env_state, buffer, env_steps, params = carry
        explore_key, random_key, step_key = jax.random.split(key, 3)
        explore = jax.random.uniform(explore_key, (config.num_envs,)) < epsilon(hp, env_steps, self.total_timesteps)
        random_action = jax.random.randint(random_key, (config.num_envs,), 0, spec.action_dim)
        action = jnp.where(explore, random_action, self.greedy_action(params, obs))
        next_obs, env_state, reward, terminated, truncated, info = step_envs(spec, step_key, env_state, action)
        # gymnax has already reset finished episodes: store the true last observation, and end the
        # bootstrap only on termination, since a time limit is not a state of the MDP.
        transition = buffers.Transition(obs, action, reward, info["final_observation"], terminated.astype(jnp.float32))
        buffer = buffers.add_batch(buffer, transition)
        return (next_obs, env_state, buffer, env_steps + config.num_envs, params), None

    def update(self, hp: Config, carry, target_params, buffer: buffers.ReplayBuffer, key):
        """`gradient_steps` updates of the TD loss against the (fixed) target network."""

        def gradient_step(carry, key):
            params, opt = carry
            batch = buffers.sample(buffer, key, self.config.batch_size)
            loss, grads = jax.value_and_grad(self.td_loss)(params, target_params, hp, batch)
            updates, opt = self.optimizer(hp).update(grads, opt, params)
            return (optax.apply_updates(params, updates), opt), jnp.isfinite(loss)

        return jax.lax.scan(gradient_step, carry, jax.random.split(key, self.config.gradient_steps))

    def td_loss(self, params, target_params, hp: Config, batch: buffers.Transition):
        next_q_target = self.q_values(target_params, batch.next_obs)
        if self.config.double_q:
            next_action = jnp.argmax(self.q_values(params, batch.next_obs), axis=-1)
            next_q = jnp.take_along_axis(next_q_target, next_action[:, None], axis=-1)[:, 0]
        else:
            next_q = jnp.max(next_q_target, axis=-1)
        target = jax.lax.stop_gradient(batch.reward + hp.gamma * (1.0 - batch.terminated) * next_q)
        q = jnp.take_along_axis(self.q_values(params, batch.obs), batch.action[:, None], axis=-1)[:, 0]
        return jnp.mean(optax.huber_loss(q, target))


def make_train(config: Config, spec: EnvSpec, total_timesteps: int, num_evaluations: int, eval_episodes: int) -> Train:
    steps_per_iteration = config.num_envs * config.train_frequency
    iterations_per_segment = max(1, round(total_timesteps / num_evaluations / steps_per_iteration))
    # The runner calls `segment` num_evaluations times.
    schedule_length = planned_updates(config, num_evaluations * iterations_per_segment) if config.anneal_lr else None
    agent = Agent(config, spec, total_timesteps, schedule_length)
    segment = make_segment(agent.iteration, agent.greedy_policy, spec, iterations_per_segment, eval_episodes)
    return Train(init=agent.init, segment=segment, steps_per_segment=iterations_per_segment * steps_per_iteration)


def make_policy(config: Config, spec: EnvSpec) -> Policy:
    """How an agent of this structure acts on `spec` (see hyperlax.algos.common.Policy); `config`'s
    epsilon_end is the exploration of the stochastic policy."""
    agent = Agent(config, spec, total_timesteps=1, schedule_length=None)
    return Policy(agent.policy_params, agent.act)


def config_problem(config: Config, env: EnvSpec | None = None) -> str | None:
    """A combination of structural values that cannot train (on `env`, when given), or None."""
    if config.num_envs > config.buffer_size:
        return f"buffer_size {config.buffer_size} cannot hold one step of {config.num_envs} envs"
    return torsos_problem(config, env)


def gradient_updates_per_env_step(config: Config) -> float:
    return config.gradient_steps / (config.num_envs * config.train_frequency)
