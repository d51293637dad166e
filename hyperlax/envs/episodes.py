"""Episodes outside training: returns of a stochastic policy, one episode's env states to draw, and drawing
them with gymnax's visualizer (`hyperlax evaluate --stochastic`, `--render`).

The deterministic returns are hyperlax.envs.spec.evaluate's, the loop the training program evaluates with.
"""

import importlib.util
import os
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from hyperlax.envs.spec import EnvSpec, reset_envs, step_envs
from hyperlax.errors import InputError

# The gymnax ids gymnax.visualize.Visualizer draws (its vis_gym, vis_minatar, vis_catch, vis_circle, vis_maze).
DRAWN = (
    "Acrobot-v1", "CartPole-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Catch-bsuite",
    "Asterix-MinAtar", "Breakout-MinAtar", "Freeway-MinAtar", "Seaquest-MinAtar", "SpaceInvaders-MinAtar",
    "Pong-misc", "PointRobot-misc", "MetaMaze-misc", "FourRooms-misc",
)  # fmt: skip


# gymnax draws these through gymnasium's classic-control renderer, which needs pygame.
CLASSIC_CONTROL = DRAWN[:5]
# pygame greets on import and SDL opens audio and video devices; drawing off-screen needs neither.
QUIET_SDL = {"PYGAME_HIDE_SUPPORT_PROMPT": "1", "SDL_AUDIODRIVER": "dummy", "SDL_VIDEODRIVER": "dummy"}


def stochastic_returns(spec: EnvSpec, policy: Callable, key: jax.Array, num_episodes: int) -> jax.Array:
    """Returns of `num_episodes` parallel episodes of `policy(obs, key) -> action` (a fresh key per step)."""
    reset_key, step_key = jax.random.split(key)
    obs, env_state = reset_envs(spec, jax.random.split(reset_key, num_episodes))

    def step(carry, key):
        obs, env_state, returns, running = carry
        act_key, env_key = jax.random.split(key)
        obs, env_state, reward, terminated, truncated, _ = step_envs(spec, env_key, env_state, policy(obs, act_key))
        returns = returns + reward * running
        running = running * (1.0 - jnp.logical_or(terminated, truncated))
        return (obs, env_state, returns, running), None

    init = (obs, env_state, jnp.zeros(num_episodes), jnp.ones(num_episodes))
    (_, _, returns, _), _ = jax.lax.scan(step, init, jax.random.split(step_key, spec.max_episode_steps))
    return returns


def episode_states(spec: EnvSpec, policy: Callable, key: jax.Array) -> tuple[list, np.ndarray]:
    """One episode of `policy(obs, key)`: its env states (first to last, before each step) and the return so
    far after each step."""
    reset_key, step_key = jax.random.split(key)
    obs, env_state = spec.env.reset(reset_key, spec.params)

    def step(carry, key):
        obs, env_state = carry
        act_key, env_key = jax.random.split(key)
        next_obs, next_state, reward, terminated, truncated, _ = spec.env.step(
            env_key, env_state, policy(obs, act_key), spec.params
        )
        return (next_obs, next_state), (env_state, reward, jnp.logical_or(terminated, truncated))

    keys = jax.random.split(step_key, spec.max_episode_steps)
    _, (states, rewards, done) = jax.jit(lambda c, k: jax.lax.scan(step, c, k))((obs, env_state), keys)
    done = np.asarray(done)
    length = int(np.argmax(done)) + 1 if done.any() else len(done)
    frames = [jax.tree.map(lambda x, t=t: x[t], states) for t in range(length)]
    return frames, np.cumsum(np.asarray(rewards)[:length])


def render_problem(spec: EnvSpec) -> str | None:
    """Why `--render` cannot draw this env, or None."""
    if spec.renderer is None and spec.env_id not in DRAWN:
        return f"--render: gymnax draws no frames for {spec.env_id} ({spec.name}); drop --render"
    needed = ["matplotlib", "imageio"] + (["pygame"] if spec.env_id in CLASSIC_CONTROL else [])
    if missing := [name for name in needed if importlib.util.find_spec(name) is None]:
        return f"--render needs {', '.join(missing)}: pip install 'hyperlax[render]'"
    return None


def write_animation(spec: EnvSpec, states: list, returns: np.ndarray, path: str) -> int:
    """Draw the states (spec.renderer, else gymnax's Visualizer) into a GIF at `path`; the number of frames."""
    if problem := render_problem(spec):
        raise InputError(problem)
    import imageio.v2 as imageio

    if spec.renderer is not None:
        frames = [np.asarray(spec.renderer(state, spec.params)) for state in states]
        imageio.mimsave(path, frames, duration=0.05, loop=0)
        return len(frames)
    import matplotlib

    for name, value in QUIET_SDL.items():
        os.environ.setdefault(name, value)
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from gymnax.visualize.visualizer import Visualizer

    vis = Visualizer(spec.env, spec.params, states, returns)
    try:
        vis.init()
        frames = []
        for t in range(len(states)):
            vis.update(t)
            vis.fig.canvas.draw()
            frames.append(np.asarray(vis.fig.canvas.buffer_rgba())[..., :3].copy())
    finally:
        plt.close(vis.fig)
    imageio.mimsave(path, frames, duration=vis.interval / 1000, loop=0)
    return len(frames)
