import math

import pytest

from hyperlax.errors import InputError
from hyperlax.space.distributions import Categorical, LogUniform, Uniform, UniformInt, sample, unit_points

SPACE = {
    "algorithm.hyperparam.actor_lr": LogUniform(domain=(1e-5, 1e-3)),
    "algorithm.hyperparam.gamma": Uniform(domain=(0.9, 0.999)),
    "algorithm.hyperparam.num_envs": UniformInt(domain=(2, 5)),
    "algorithm.network.actor_network.pre_torso.layer_sizes": Categorical(values=[[32, 32], [64, 64]]),
}


@pytest.mark.parametrize("method", ["qmc_sobol", "random"])
def test_same_seed_gives_the_same_samples_and_another_seed_does_not(method):
    assert sample(SPACE, 8, method, seed=3) == sample(SPACE, 8, method, seed=3)
    assert sample(SPACE, 8, method, seed=3) != sample(SPACE, 8, method, seed=4)


@pytest.mark.parametrize("method", ["qmc_sobol", "random"])
def test_samples_stay_in_their_domains(method):
    for s in sample(SPACE, 64, method, seed=0):
        assert 1e-5 <= s["algorithm.hyperparam.actor_lr"] <= 1e-3
        assert 0.9 <= s["algorithm.hyperparam.gamma"] <= 0.999
        assert s["algorithm.hyperparam.num_envs"] in (2, 3, 4, 5)
        assert s["algorithm.network.actor_network.pre_torso.layer_sizes"] in ([32, 32], [64, 64])


def test_sobol_covers_both_halves_of_every_dimension():
    points = unit_points(8, 3, "qmc_sobol", seed=0)
    for d in range(3):
        assert (points[:, d] < 0.5).sum() == 4


def test_a_sobol_prefix_does_not_depend_on_the_sample_count():
    assert sample(SPACE, 3, "qmc_sobol", 1) == sample(SPACE, 8, "qmc_sobol", 1)[:3]


def test_log_uniform_is_uniform_in_log_space():
    dist = LogUniform(domain=(1e-4, 1e-2))
    assert dist.from_unit(0.5) == pytest.approx(1e-3)
    assert math.log10(dist.from_unit(0.25)) == pytest.approx(-3.5)


def test_uniform_int_reaches_both_bounds_and_categorical_every_value():
    assert {UniformInt(domain=(2, 5)).from_unit(u / 100) for u in range(100)} == {2, 3, 4, 5}
    assert Categorical(values=["a", "b", "c"]).from_unit(0.999) == "c"


def test_unknown_sampling_method_is_an_input_error():
    with pytest.raises(InputError, match="unknown sampling method 'grid'.*qmc_sobol, random"):
        sample(SPACE, 4, "grid", 0)
