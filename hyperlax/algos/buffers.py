"""A circular replay buffer that lives in the jitted training state (SAC, DQN).

The storage is a pytree of arrays with a fixed leading `capacity` axis, so the buffer has one shape for
the whole run and vmaps over configurations and seeds like any other state.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import struct


class Transition(NamedTuple):
    """One env step as SAC and DQN replay it (batched: each field gets a leading axis)."""

    obs: jax.Array
    action: jax.Array
    reward: jax.Array
    next_obs: jax.Array  # the true last observation when the episode ended, not gymnax's reset one
    terminated: jax.Array  # float 0/1; a time limit is not a termination, so truncated steps keep bootstrapping


class ReplayBuffer(struct.PyTreeNode):
    data: object  # pytree of arrays [capacity, ...]
    position: jax.Array  # the slot the next transition is written to
    size: jax.Array  # filled slots, at most capacity


def init_buffer(example, capacity: int) -> ReplayBuffer:
    """An empty buffer holding `capacity` transitions shaped like `example` (one transition, no batch axis)."""
    data = jax.tree.map(lambda x: jnp.zeros((capacity,) + jnp.shape(x), jnp.result_type(x)), example)
    return ReplayBuffer(data, jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32))


def add_batch(buffer: ReplayBuffer, batch) -> ReplayBuffer:
    """Write a batch of transitions (leading axis n <= capacity), overwriting the oldest once full."""
    capacity = jax.tree.leaves(buffer.data)[0].shape[0]
    n = jax.tree.leaves(batch)[0].shape[0]
    slots = (buffer.position + jnp.arange(n)) % capacity
    data = jax.tree.map(lambda store, x: store.at[slots].set(x), buffer.data, batch)
    return ReplayBuffer(data, (buffer.position + n) % capacity, jnp.minimum(buffer.size + n, capacity))


def sample(buffer: ReplayBuffer, key: jax.Array, batch_size: int):
    """`batch_size` transitions drawn uniformly, with replacement, from the filled slots only."""
    slots = jax.random.randint(key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    return jax.tree.map(lambda store: store[slots], buffer.data)
