"""Networks shared by the agents (flax linen): torsos (MLP, CNN) and the heads put on them.

A torso (protocol.Torso) maps observations to features; the recipe picks one per network by a structural
value (`pre_torso.name`: mlp, cnn or a user's class). `Torso.head` puts a linear layer on it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

ACTIVATIONS = {"tanh": nn.tanh, "relu": nn.relu, "elu": nn.elu, "gelu": nn.gelu, "silu": nn.silu}


def orthogonal(gain: float = 1.0):
    """Orthogonal kernel init (Saxe et al.) by Gram-Schmidt, with matmuls only.

    Same distribution as `flax.linen.initializers.orthogonal`: the Q of a Gaussian matrix whose R has a
    positive diagonal. flax gets Q from LAPACK's QR, and jaxlib's CPU QR kernel, batched by vmap, waits
    on its own thread pool for sub-tasks: two such kernels running at once (an actor and a critic layer)
    can take every pool thread and wait forever. With flax's init, 5 of 7 runs of the throughput
    benchmark on a 2-core machine hung; with this one, none of the runs since.
    """

    def init(key, shape, dtype=jnp.float32):
        rows, cols = shape
        tall = (max(rows, cols), min(rows, cols))
        a = jax.random.normal(key, tall, jnp.float32)

        def add_column(j, q):
            v = a[:, j]
            for _ in range(2):  # project twice: classical Gram-Schmidt loses orthogonality once
                v = v - q @ (q.T @ v)
            return q.at[:, j].set(v / jnp.linalg.norm(v))

        q = jax.lax.fori_loop(0, tall[1], add_column, jnp.zeros(tall, jnp.float32))
        q = q if rows >= cols else q.T
        return (gain * q).astype(dtype)

    return init


def dense_init(orthogonal_init: bool, gain: float):
    """Orthogonal kernels of `gain`, or (False) PyTorch's default U(+-1/sqrt(fan_in)), as SB3 and CleanRL
    use for SAC and DQN."""
    if orthogonal_init:
        return orthogonal(gain)
    return nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


def flatten_obs(x, obs_ndim: int):
    """Observations [*batch, *obs_shape] as vectors [*batch, prod(obs_shape)]."""
    return x if obs_ndim == 1 else x.reshape(x.shape[: x.ndim - obs_ndim] + (-1,))


def dense_layers(x, layer_sizes: Sequence[int], activation: str, kernel_init):
    """Hidden Dense layers, created in the calling module's scope (Dense_0, Dense_1, ...)."""
    act = ACTIVATIONS[activation]
    for size in layer_sizes:
        x = act(nn.Dense(size, kernel_init=kernel_init)(x))
    return x


class MLP(nn.Module):
    """Hidden layers of `layer_sizes` with `activation`, then a linear layer of `out_dim` units: the 'mlp'
    torso and its head in one flat module (Dense_0 ... Dense_n), the parameter tree of every built-in
    network; observations of `obs_ndim` > 1 axes are flattened first."""

    layer_sizes: Sequence[int]
    activation: str
    out_dim: int
    out_scale: float = 1.0  # orthogonal init gain of the last layer (small for policy heads)
    orthogonal: bool = True  # False: PyTorch's default init (dense_init)
    obs_ndim: int = 1

    @nn.compact
    def __call__(self, x):
        x = dense_layers(flatten_obs(x, self.obs_ndim), self.layer_sizes, self.activation, self.kernel_init(np.sqrt(2)))
        return nn.Dense(self.out_dim, kernel_init=self.kernel_init(self.out_scale))(x)

    def kernel_init(self, gain: float):
        return dense_init(self.orthogonal, gain)


class MLPTorso(nn.Module):
    """The built-in 'mlp' torso: the observation flattened, then hidden Dense layers (orthogonal init)."""

    layer_sizes: Sequence[int]
    activation: str
    obs_shape: tuple

    @nn.compact
    def __call__(self, obs):
        return dense_layers(
            flatten_obs(obs, len(self.obs_shape)), self.layer_sizes, self.activation, orthogonal(2**0.5)
        )


class CNNTorso(nn.Module):
    """The built-in 'cnn' torso for image observations (height, width, channels): 3x3 convolutions of
    `channels` (stride 1, same padding; small images such as MinAtar's 10x10 keep their resolution), then
    the flattened maps through Dense `layer_sizes`. Every layer uses `activation`."""

    layer_sizes: Sequence[int]
    activation: str
    obs_shape: tuple
    channels: Sequence[int] = (16, 32)

    @staticmethod
    def input_problem(obs_shape: tuple) -> str | None:
        if len(obs_shape) == 3:
            return None
        return f"the cnn torso needs image observations (height, width, channels); this env's have shape {obs_shape}"

    @nn.compact
    def __call__(self, obs):
        act = ACTIVATIONS[self.activation]
        batch = obs.shape[: obs.ndim - 3]
        x = obs.reshape((-1,) + obs.shape[obs.ndim - 3 :])  # nn.Conv wants one batch axis
        for channels in self.channels:
            x = act(nn.Conv(channels, (3, 3), padding="SAME")(x))
        x = x.reshape(batch + (-1,))
        return dense_layers(x, self.layer_sizes, self.activation, nn.initializers.lecun_normal())


class TorsoNetwork(nn.Module):
    """Any torso's features, then a linear layer of `out_dim` units."""

    torso: type
    layer_sizes: Sequence[int]
    activation: str
    obs_shape: tuple
    out_dim: int
    out_scale: float = 1.0
    orthogonal: bool = True

    @nn.compact
    def __call__(self, obs):
        x = self.torso(layer_sizes=self.layer_sizes, activation=self.activation, obs_shape=self.obs_shape)(obs)
        return nn.Dense(self.out_dim, kernel_init=dense_init(self.orthogonal, self.out_scale))(x)


@dataclass(frozen=True)
class Torso:
    """A torso as a recipe chose it: its class (protocol.Torso) and what it is built from."""

    cls: type
    layer_sizes: tuple
    activation: str
    obs_shape: tuple

    @property
    def is_mlp(self) -> bool:
        return self.cls is MLPTorso

    def head(self, out_dim: int, out_scale: float = 1.0, orthogonal: bool = True) -> nn.Module:
        """The torso, then a linear layer of `out_dim` units (gain `out_scale` when orthogonal).

        The built-in MLP stays one flat module, its parameter tree since the start: flax derives init keys
        from module paths, so nesting it under a torso module would change every default network's weights."""
        if self.is_mlp:
            return MLP(self.layer_sizes, self.activation, out_dim, out_scale, orthogonal, len(self.obs_shape))
        args = (self.cls, self.layer_sizes, self.activation, self.obs_shape)
        return TorsoNetwork(*args, out_dim, out_scale, orthogonal)


class GaussianHead(nn.Module):
    """Mean from the torso's head, log std from a state-independent parameter (PPO)."""

    torso: Torso
    action_dim: int

    @nn.compact
    def __call__(self, x):
        mean = self.torso.head(self.action_dim, out_scale=0.01)(x)
        log_std = self.param("log_std", nn.initializers.zeros, (self.action_dim,))
        return mean, jnp.broadcast_to(log_std, mean.shape)


class StateDependentGaussianHead(nn.Module):
    """gSDE's policy head (Raffin et al. 2022; SB3's StateDependentNoiseDistribution, full std): the mean from a
    linear layer on the torso's features, and a log std for each (feature, action) pair. The agent draws the
    exploration noise as features @ M with M ~ N(0, std^2) held for several steps, so it is smooth in time
    and in state. Returns (mean, features, log_std)."""

    torso: Torso
    action_dim: int
    orthogonal: bool = True  # False: PyTorch's default init for the MLP and the mean layer (SAC, as SB3)
    mean_bound: float | None = None  # the mean clipped to +-this (SAC, SB3's clip_mean: out of tanh's flat tails)

    @nn.compact
    def __call__(self, x):
        torso = self.torso
        if torso.is_mlp:
            x = flatten_obs(x, len(torso.obs_shape))
            features = dense_layers(x, torso.layer_sizes, torso.activation, dense_init(self.orthogonal, np.sqrt(2)))
        else:
            features = torso.cls(layer_sizes=torso.layer_sizes, activation=torso.activation, obs_shape=torso.obs_shape)(
                x
            )
        mean = nn.Dense(self.action_dim, kernel_init=dense_init(self.orthogonal, 0.01))(features)
        if self.mean_bound is not None:
            mean = jnp.clip(mean, -self.mean_bound, self.mean_bound)
        log_std = self.param("log_std", nn.initializers.zeros, (features.shape[-1], self.action_dim))
        return mean, features, log_std


def with_log_std_init(actor_params: dict, log_std_init) -> dict:
    """A Gaussian head's parameters with its log std parameter (zeros from the module's init) at log_std_init."""
    inner = actor_params["params"]
    return {**actor_params, "params": {**inner, "log_std": inner["log_std"] + log_std_init}}


class SquashedGaussianHead(nn.Module):
    """Mean and state-dependent log std from one head (SAC); log std clipped to a sane range."""

    torso: Torso
    action_dim: int

    @nn.compact
    def __call__(self, x):
        out = self.torso.head(2 * self.action_dim, orthogonal=False)(x)
        mean, log_std = jnp.split(out, 2, axis=-1)
        return mean, jnp.clip(log_std, -5.0, 2.0)


class QNetwork(nn.Module):
    """Q(s, a) for continuous actions. With the MLP, the action is concatenated to the (flattened)
    observation; with another torso, to its features, followed by one hidden layer of the torso's last width
    (so Q is not linear in the action)."""

    torso: Torso

    @nn.compact
    def __call__(self, obs, action):
        torso = self.torso
        if torso.is_mlp:
            x, layers = flatten_obs(obs, len(torso.obs_shape)), torso.layer_sizes
        else:
            x = torso.cls(layer_sizes=torso.layer_sizes, activation=torso.activation, obs_shape=torso.obs_shape)(obs)
            layers = torso.layer_sizes[-1:]
        q = MLP(layers, torso.activation, 1, orthogonal=False)(jnp.concatenate([x, action], axis=-1))
        return q[..., 0]
