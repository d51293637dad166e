import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.algos import buffers


def filled(capacity: int, values: list) -> buffers.ReplayBuffer:
    buffer = buffers.init_buffer({"x": jnp.zeros(()), "v": jnp.zeros((2,))}, capacity)
    for chunk in values:
        chunk = jnp.asarray(chunk, jnp.float32)
        buffer = buffers.add_batch(buffer, {"x": chunk, "v": jnp.stack([chunk, -chunk], axis=1)})
    return buffer


def test_empty_buffer_has_capacity_shaped_zeros():
    buffer = filled(5, [])
    assert buffer.data["x"].shape == (5,) and buffer.data["v"].shape == (5, 2)
    assert int(buffer.size) == 0 and int(buffer.position) == 0


def test_add_writes_in_order_until_full():
    buffer = filled(5, [[1, 2], [3]])
    np.testing.assert_array_equal(buffer.data["x"], [1, 2, 3, 0, 0])
    np.testing.assert_array_equal(buffer.data["v"][:3], [[1, -1], [2, -2], [3, -3]])
    assert int(buffer.size) == 3 and int(buffer.position) == 3


def test_add_overwrites_the_oldest_once_full():
    buffer = filled(5, [[1, 2, 3], [4, 5, 6], [7]])
    np.testing.assert_array_equal(buffer.data["x"], [6, 7, 3, 4, 5])
    assert int(buffer.size) == 5 and int(buffer.position) == 2


def test_sample_draws_only_filled_slots():
    buffer = filled(100, [[1, 2, 3]])
    batch = buffers.sample(buffer, jax.random.PRNGKey(0), 1000)
    assert set(np.asarray(batch["x"]).tolist()) == {1.0, 2.0, 3.0}
    np.testing.assert_array_equal(batch["v"][:, 0], batch["x"])  # fields of one transition stay together


def test_sample_after_wraparound_sees_every_slot():
    buffer = filled(4, [[1, 2, 3], [4, 5, 6]])
    batch = buffers.sample(buffer, jax.random.PRNGKey(1), 1000)
    assert set(np.asarray(batch["x"]).tolist()) == {3.0, 4.0, 5.0, 6.0}


def test_named_transitions_keep_their_fields_through_add_and_sample():
    example = buffers.Transition(
        jnp.zeros((3,)), jnp.zeros((), jnp.int32), jnp.zeros(()), jnp.zeros((3,)), jnp.zeros(())
    )
    buffer = buffers.init_buffer(example, 8)
    step = jnp.arange(4, dtype=jnp.float32)
    batch = buffers.Transition(
        obs=jnp.stack([step] * 3, axis=1),
        action=jnp.arange(4, dtype=jnp.int32),
        reward=-step,
        next_obs=jnp.stack([step + 1] * 3, axis=1),
        terminated=(step == 3).astype(jnp.float32),
    )
    sampled = buffers.sample(buffers.add_batch(buffer, batch), jax.random.PRNGKey(2), 64)
    assert isinstance(sampled, buffers.Transition) and sampled.action.dtype == jnp.int32
    np.testing.assert_array_equal(sampled.reward, -sampled.obs[:, 0])
    np.testing.assert_array_equal(sampled.next_obs, sampled.obs + 1)
    np.testing.assert_array_equal(sampled.terminated, sampled.action == 3)
