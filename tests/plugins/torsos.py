"""A user's torso: a flax module built from layer_sizes, activation and obs_shape (protocol.Torso). Tests only."""

import flax.linen as nn

from hyperlax.algos.networks import ACTIVATIONS, flatten_obs


class LayerNormTorso(nn.Module):
    """Dense layers, each followed by layer normalisation and the activation."""

    layer_sizes: tuple
    activation: str
    obs_shape: tuple

    @nn.compact
    def __call__(self, obs):
        x = flatten_obs(obs, len(self.obs_shape))
        for size in self.layer_sizes:
            x = ACTIVATIONS[self.activation](nn.LayerNorm()(nn.Dense(size)(x)))
        return x
