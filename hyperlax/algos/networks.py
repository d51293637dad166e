"""MLP networks shared by the agents (flax linen)."""

from collections.abc import Sequence

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


class MLP(nn.Module):
    """Hidden layers of `layer_sizes` with `activation`, then a linear layer of `out_dim` units."""

    layer_sizes: Sequence[int]
    activation: str
    out_dim: int
    out_scale: float = 1.0  # orthogonal init gain of the last layer (small for policy heads)
    # False: PyTorch's default U(+-1/sqrt(fan_in)) kernels, as SB3 and CleanRL use for SAC and DQN.
    orthogonal: bool = True

    def kernel_init(self, gain: float):
        if self.orthogonal:
            return orthogonal(gain)
        return nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")

    @nn.compact
    def __call__(self, x):
        act = ACTIVATIONS[self.activation]
        for size in self.layer_sizes:
            x = act(nn.Dense(size, kernel_init=self.kernel_init(np.sqrt(2)))(x))
        return nn.Dense(self.out_dim, kernel_init=self.kernel_init(self.out_scale))(x)


class GaussianHead(nn.Module):
    """Mean from an MLP, log std from a state-independent parameter (PPO)."""

    layer_sizes: Sequence[int]
    activation: str
    action_dim: int

    @nn.compact
    def __call__(self, x):
        mean = MLP(self.layer_sizes, self.activation, self.action_dim, out_scale=0.01)(x)
        log_std = self.param("log_std", nn.initializers.zeros, (self.action_dim,))
        return mean, jnp.broadcast_to(log_std, mean.shape)


class SquashedGaussianHead(nn.Module):
    """Mean and state-dependent log std from one MLP (SAC); log std clipped to a sane range."""

    layer_sizes: Sequence[int]
    activation: str
    action_dim: int

    @nn.compact
    def __call__(self, x):
        out = MLP(self.layer_sizes, self.activation, 2 * self.action_dim, orthogonal=False)(x)
        mean, log_std = jnp.split(out, 2, axis=-1)
        return mean, jnp.clip(log_std, -5.0, 2.0)


class QNetwork(nn.Module):
    """Q(s, a) for continuous actions: the action is concatenated to the observation."""

    layer_sizes: Sequence[int]
    activation: str

    @nn.compact
    def __call__(self, obs, action):
        return MLP(self.layer_sizes, self.activation, 1, orthogonal=False)(jnp.concatenate([obs, action], axis=-1))[
            ..., 0
        ]
