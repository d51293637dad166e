import numpy as np

from hyperlax.algos.ppo import gae


def gae_loop(values, rewards, dones, last_value, gamma, gae_lambda):
    """The textbook recursion, one step at a time, in float64."""
    advantages, advantage, next_value = np.zeros(len(values)), 0.0, last_value
    for t in reversed(range(len(values))):
        not_done = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * not_done - values[t]
        advantage = delta + gamma * gae_lambda * not_done * advantage
        advantages[t], next_value = advantage, values[t]
    return advantages


def test_gae_matches_a_hand_computation_with_an_episode_end_in_the_middle():
    # gamma 0.9, lambda 0.8 (gamma * lambda = 0.72); the episode ends at t=1, so t=1 bootstraps from nothing
    # and t=0 does not see past it:
    #   t=3: 2 + 0.9*5 - 4 = 2.5
    #   t=2: (-1 + 0.9*4 - 3) + 0.72*2.5 = -0.4 + 1.8 = 1.4
    #   t=1: 0.5 - 2 = -1.5
    #   t=0: (1 + 0.9*2 - 1) + 0.72*(-1.5) = 1.8 - 1.08 = 0.72
    values = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    rewards = np.array([1.0, 0.5, -1.0, 2.0], np.float32)
    dones = np.array([0.0, 1.0, 0.0, 0.0], np.float32)
    advantages = gae(values, rewards, dones, np.float32(5.0), 0.9, 0.8)
    np.testing.assert_allclose(advantages, [0.72, -1.5, 1.4, 2.5], rtol=1e-6)


def test_gae_of_a_batch_of_envs_matches_the_loop_per_env():
    rng = np.random.default_rng(0)
    steps, envs = 12, 3
    values = rng.normal(size=(steps, envs)).astype(np.float32)
    rewards = rng.normal(size=(steps, envs)).astype(np.float32)
    dones = (rng.random((steps, envs)) < 0.2).astype(np.float32)
    last_value = rng.normal(size=envs).astype(np.float32)
    advantages = np.asarray(gae(values, rewards, dones, last_value, 0.99, 0.95))
    for env in range(envs):
        expected = gae_loop(values[:, env], rewards[:, env], dones[:, env], last_value[env], 0.99, 0.95)
        np.testing.assert_allclose(advantages[:, env], expected, rtol=1e-5, atol=1e-5)


def test_gae_with_lambda_1_is_the_bootstrapped_discounted_return_minus_the_value():
    values = np.array([0.5, -0.2, 0.3], np.float32)
    rewards = np.array([1.0, 2.0, 3.0], np.float32)
    dones = np.zeros(3, np.float32)
    returns = [1.0 + 0.9 * 2.0 + 0.81 * 3.0 + 0.729 * 4.0, 2.0 + 0.9 * 3.0 + 0.81 * 4.0, 3.0 + 0.9 * 4.0]
    advantages = gae(values, rewards, dones, np.float32(4.0), 0.9, 1.0)
    np.testing.assert_allclose(np.asarray(advantages) + values, returns, rtol=1e-6)
