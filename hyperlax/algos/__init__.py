"""Algorithm registry: every module exposes `Config`, `make_train`, SUPPORTS_DISCRETE/CONTINUOUS."""

from hyperlax.algos import dqn, ppo, sac

ALGORITHMS = {"ppo": ppo, "sac": sac, "dqn": dqn}
