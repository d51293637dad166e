"""The three action distributions the agents need, as pure functions (no distrax/tfp dependency)."""

import jax
import jax.numpy as jnp

_LOG_2PI = jnp.log(2.0 * jnp.pi)


def normal_sample(key, mean, log_std):
    return mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)


def normal_log_prob(x, mean, log_std):
    """Log density of a diagonal Gaussian, summed over the action dimensions."""
    z = (x - mean) * jnp.exp(-log_std)
    return jnp.sum(-0.5 * z**2 - log_std - 0.5 * _LOG_2PI, axis=-1)


def normal_entropy(log_std):
    return jnp.sum(log_std + 0.5 * (1.0 + _LOG_2PI), axis=-1)


def sde_matrices(key, log_std, batch_shape: tuple):
    """gSDE's exploration matrices, one per batch entry: M ~ N(0, exp(log_std)^2), [*batch, features, actions]."""
    return jnp.exp(log_std) * jax.random.normal(key, batch_shape + log_std.shape)


def sde_noise(features, matrices, learn_features: bool = False):
    """The exploration noise features @ M, per batch entry. With learn_features the gradient reaches the
    features through the noise (SB3's SAC); without it only M learns from it (SB3's PPO)."""
    features = features if learn_features else jax.lax.stop_gradient(features)
    return jnp.einsum("...f,...fa->...a", features, matrices)


def sde_log_std(features, log_std, learn_features: bool = False, epsilon: float = 1e-6):
    """Log std of the action under gSDE: the noise features @ M is Gaussian with variance features^2 @ std^2.
    With learn_features the features learn from it too (SB3's SAC: its entropy term can then widen the noise by
    the features, not by log_std alone); without it they are held constant (SB3's PPO)."""
    features = features if learn_features else jax.lax.stop_gradient(features)
    variance = features**2 @ jnp.exp(log_std) ** 2
    return 0.5 * jnp.log(variance + epsilon)


def tanh_normal_sample_and_log_prob(key, mean, log_std):
    """Sample tanh(u), u ~ N(mean, std), and its log density with the change-of-variables correction.

    log(1 - tanh(u)^2) is written as 2 * (log 2 - u - softplus(-2u)), which stays finite for large |u|.
    """
    u = normal_sample(key, mean, log_std)
    log_prob = tanh_normal_log_prob(u, mean, log_std)  # traced before tanh(u), as it always was: same program
    return jnp.tanh(u), log_prob


def tanh_normal_log_prob(u, mean, log_std):
    """Log density of tanh(u), u drawn from N(mean, std)."""
    log_prob = normal_log_prob(u, mean, log_std)
    log_det = jnp.sum(2.0 * (jnp.log(2.0) - u - jax.nn.softplus(-2.0 * u)), axis=-1)
    return log_prob - log_det


def categorical_sample(key, logits):
    return jax.random.categorical(key, logits)


def categorical_log_prob(action, logits):
    log_probs = jax.nn.log_softmax(logits)
    return jnp.take_along_axis(log_probs, action[..., None].astype(jnp.int32), axis=-1)[..., 0]


def categorical_entropy(logits):
    log_probs = jax.nn.log_softmax(logits)
    return -jnp.sum(jnp.exp(log_probs) * log_probs, axis=-1)
