"""The gymnax envs by name: today's short names (aliases of gymnax ids), the ids gymnax registers but cannot
build here, and each env's return range with where it comes from.

A return range (R_min, R_max) bounds an episode's return; `normalized_auc` and `stability_score` divide by
R_max - R_min, so that they compare across trials and studies. Each range is a function of the env's params
(so `--env-kwargs {"max_steps_in_episode": 200}` moves it with them) read off the env's code in gymnax 1.0.1:
a per-step reward bound times the episode's step limit, or a bound on the one reward an episode gives. An env
whose rewards have no useful bound has None: its two normalised metrics are unavailable (NaN) unless the user
gives `--return-range LOW HIGH`, never guessed. This module imports nothing heavy.
"""

# The names users typed before `gymnax:<id>` existed; they stay, and name the same envs (same results).
ALIASES = {
    "gymnax.pendulum": "Pendulum-v1",
    "gymnax.cartpole": "CartPole-v1",
    "gymnax.acrobot": "Acrobot-v1",
    "gymnax.mountain_car_continuous": "MountainCarContinuous-v0",
}

# Registered in gymnax.registered_envs, but `gymnax.make` fails to build them here.
SKIPPED = {
    "MNISTBandit-bsuite": "gymnax.make downloads the MNIST data set when it builds it",
}


def steps(params) -> float:
    return float(params.max_steps_in_episode)


# gymnax id -> (params -> (R_min, R_max) or None). Sources: the step functions in gymnax/environments/.
RETURN_RANGES = {
    # +1 per step alive
    "CartPole-v1": lambda p: (0.0, steps(p)),
    # the conventional scale, -8 per step (-1600 over 200 steps): the worst case, -(pi^2 + 0.1 * 8^2 + 0.001 * 2^2)
    # = -16.3 per step, needs the pole held upside down spinning at full speed, and no policy stays there
    "Pendulum-v1": lambda p: (-8.0 * steps(p), 0.0),
    # -1 per step until the goal
    "Acrobot-v1": lambda p: (-steps(p), 0.0),
    "MountainCar-v0": lambda p: (-steps(p), 0.0),
    # +100 at the goal, -0.1 * action^2 per step with |action| <= 1
    "MountainCarContinuous-v0": lambda p: (-max(100.0, 0.1 * steps(p)), 100.0),
    # MinAtar (Asterix, Breakout, Freeway, Seaquest, SpaceInvaders) and Pong: at most about +1 per step gives only
    # [0, 1000+], which would squash every learning curve against 0; no range, give --return-range.
    # one reward of +1 (caught) or -1 (missed) per episode
    "Catch-bsuite": lambda p: (-1.0, 1.0),
    # +1 at the treasure, minus unscaled_move_cost spread over the moves right; noisy rewards when not deterministic
    "DeepSea-bsuite": lambda p: (-float(p.unscaled_move_cost), 1.0) if p.deterministic else None,
    # one reward of +1 or -1 at the end of the chain
    "MemoryChain-bsuite": lambda p: (-1.0, 1.0),
    # a random +1 or -1 on each of the chain_length steps, the last one decided by the umbrella
    "UmbrellaChain-bsuite": lambda p: (-float(p.chain_length), float(p.chain_length)),
    # one reward per episode: 1, or optimal_return for the best context
    "DiscountingChain-bsuite": lambda p: (0.0, max(1.0, float(p.optimal_return))),
    # an arm's reward in [0, 1] per step
    "SimpleBandit-bsuite": lambda p: (0.0, steps(p)),
    # +1 once, at the goal (the episode ends there)
    "FourRooms-misc": lambda p: (0.0, 1.0),
    "FrozenLake-misc": lambda p: (0.0, 1.0),
    # MetaMaze: +reward at each goal reached, and the goal is found again and again; no useful bound.
    # sparse: +1 per step inside the goal; dense: minus the (unbounded) distance
    "PointRobot-misc": lambda p: None if p.dense_reward else (0.0, steps(p)),
    # a reward of 0 or 1 per step
    "BernoulliBandit-misc": lambda p: (0.0, steps(p)),
    # GaussianBandit (Gaussian rewards), Reacher and Swimmer (unbounded costs): no range.
}
