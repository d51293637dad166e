"""MLP networks shared by the agents (flax linen)."""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

ACTIVATIONS = {"tanh": nn.tanh, "relu": nn.relu, "elu": nn.elu, "gelu": nn.gelu, "silu": nn.silu}


class MLP(nn.Module):
    """Hidden layers of `layer_sizes` with `activation`, then a linear layer of `out_dim` units."""

    layer_sizes: Sequence[int]
    activation: str
    out_dim: int
    out_scale: float = 1.0  # orthogonal init gain of the last layer (small for policy heads)
    # False: PyTorch's default U(+-1/sqrt(fan_in)) kernels, as SB3 and CleanRL use for SAC and DQN. It
    # needs no QR: jaxlib's CPU QR kernel, vmapped over a batch of wide layers, can deadlock its
    # thread pool when several run at once.
    orthogonal: bool = True

    def kernel_init(self, gain: float):
        if self.orthogonal:
            return nn.initializers.orthogonal(gain)
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
        return MLP(self.layer_sizes, self.activation, 1, orthogonal=False)(jnp.concatenate([obs, action], axis=-1))[..., 0]
