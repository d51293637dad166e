"""Environment configs: the names users type, the gymnax ids behind them, and reference return ranges.

`return_range` is (R_min, R_max) of an episode's return, used by `normalized_auc` so that the metric is
comparable across trials and studies.
"""

ENV_CONFIGS = {
    "gymnax.pendulum": {"gymnax_id": "Pendulum-v1", "return_range": (-1600.0, 0.0)},
    "gymnax.cartpole": {"gymnax_id": "CartPole-v1", "return_range": (0.0, 500.0)},
    "gymnax.acrobot": {"gymnax_id": "Acrobot-v1", "return_range": (-500.0, 0.0)},
    "gymnax.mountain_car_continuous": {"gymnax_id": "MountainCarContinuous-v0", "return_range": (-100.0, 100.0)},
}
