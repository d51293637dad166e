"""Samplers by name, and the per-trial seeding that makes workers draw different trials (pruners live in
hyperlax.commands.pruning)."""

import importlib
import importlib.util
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna

from hyperlax.commands.study._params import choices_of
from hyperlax.errors import InputError


@dataclass(frozen=True)
class SamplerSpec:
    make: Callable  # (seed, population_size, startup_trials or None) -> optuna sampler
    multi_objective: bool = True
    needs: str | None = None  # a module the sampler imports lazily
    install: str = ""
    seed_per_trial: bool = True  # QMC coordinates its sequence through the storage under one seed


def startup(trials: int | None) -> dict:
    """n_startup_trials when given, else the sampler's own default (TPE 10, GP 10)."""
    return {} if trials is None else {"n_startup_trials": trials}


SAMPLERS = {
    "tpe": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.TPESampler(seed=seed, constant_liar=True, **startup(trials))
    ),
    "nsgaii": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    ),
    "nsgaiii": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.NSGAIIISampler(seed=seed, population_size=population)
    ),
    "random": SamplerSpec(lambda seed, population, trials: optuna.samplers.RandomSampler(seed=seed)),
    "cmaes": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.CmaEsSampler(
            seed=seed, warn_independent_sampling=False, **startup(trials)
        ),
        multi_objective=False,
        needs="cmaes",
        install="pip install cmaes",
    ),
    "gp": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.GPSampler(seed=seed, **startup(trials)),
        needs="torch",
        install="pip install 'hyperlax[gp]'",
    ),
    "qmc": SamplerSpec(
        lambda seed, population, trials: optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed),
        seed_per_trial=False,
    ),
    "grid": SamplerSpec(None, seed_per_trial=False),  # built by make_grid_sampler over the study's --grid
}


def trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """A sampler built afresh for every trial, seeded by (--seed, trial number).

    Workers sharing a study then never draw the same random numbers (trial numbers are unique), and a
    trial's suggestion does not depend on which worker asked it, or when.
    """

    def __init__(self, make: Callable, seed: int):
        self._make, self._seed = make, seed
        self._sampler = make(seed)

    def before_trial(self, study, trial):
        self._sampler = self._make(trial_seed(self._seed, trial.number))
        self._sampler.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._sampler.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self._sampler.after_trial(study, trial, state, values)

    def reseed_rng(self):
        self._sampler.reseed_rng()


class StudyGridSampler(optuna.samplers.GridSampler):
    """Optuna's GridSampler in an ask/tell loop: its after_trial calls study.stop() once the grid is covered,
    which raises outside study.optimize; here the budget (--n-trials, at most the grid's size) ends the study."""

    def after_trial(self, study, trial, state, values) -> None:
        """Nothing to stop: the worker asks no trial beyond the budget."""


def make_grid_sampler(distributions: dict, seed: int) -> StudyGridSampler:
    """A GridSampler over the study's grid (the recipe's Categoricals that --grid made), its choices encoded as
    `_params.suggest_values` suggests them (JSON strings for lists), so each grid point is a valid suggestion."""
    return StudyGridSampler({key: choices_of(dist) for key, dist in sorted(distributions.items())}, seed=seed)


def make_sampler(
    name: str, seed: int, population_size: int, startup_trials: int | None = None, distributions: dict | None = None
):
    """The named sampler; genetic ones take `population_size` trials as one generation (a study gives its
    --nsga-population, by default --optuna-study-batch-size); `startup_trials`: TPE's, CMA-ES's and GP's
    n_startup_trials (random trials before the model), their own default when None; `distributions`: the
    study's space, which grid walks."""
    if is_user_sampler(name):
        return make_user_sampler(name, seed)
    if name == "grid":
        return make_grid_sampler(distributions or {}, seed)
    spec = SAMPLERS[name]

    def make(sampler_seed: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return spec.make(sampler_seed, max(2, population_size), startup_trials)

    return TrialSeededSampler(make, seed) if spec.seed_per_trial else make(seed)


OPTUNAHUB = "optunahub:"


def is_user_sampler(name: str) -> bool:
    """`package.module:Class`, `path/to/file.py:Class` or `optunahub:PACKAGE:Class` (not a built-in name)."""
    return ":" in name


def user_sampler_class(name: str) -> type:
    """The optuna BaseSampler subclass `name` points to; a one-line error for anything else."""
    if name.startswith(OPTUNAHUB):
        package, _, attr = name[len(OPTUNAHUB) :].rpartition(":")
        if importlib.util.find_spec("optunahub") is None:
            raise InputError(f"--sampler {name} needs the optunahub package: pip install optunahub")
        import optunahub

        try:
            module = optunahub.load_module(package)
        except Exception as exc:
            raise InputError(f"--sampler {name}: optunahub cannot load '{package}': {exc}") from None
    else:
        source, _, attr = name.rpartition(":")
        module = user_module(source, name)
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, optuna.samplers.BaseSampler)):
        raise InputError(f"--sampler {name}: {attr!r} there is not a subclass of optuna.samplers.BaseSampler")
    return cls


def user_module(source: str, name: str):
    try:
        if source.endswith(".py"):
            path = Path(source)
            if not path.is_file():
                raise InputError(f"--sampler {name}: file {source} does not exist")
            spec = importlib.util.spec_from_file_location(f"hyperlax_user_sampler_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(source)
    except InputError:
        raise
    except ModuleNotFoundError as exc:
        raise InputError(
            f"--sampler {name}: no module {exc.name}; give package.module:Class or file.py:Class"
        ) from None
    except (Exception, SystemExit) as exc:
        raise InputError(f"--sampler {name}: importing {source} raised {type(exc).__name__}: {exc}") from None


def make_user_sampler(name: str, seed: int):
    """A user's sampler, built once: with seed=--seed when its constructor takes a seed, else without arguments."""
    cls = user_sampler_class(name)
    takes_seed = "seed" in inspect.signature(cls).parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return cls(seed=seed) if takes_seed else cls()
