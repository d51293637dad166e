"""Phases: a study warm-started from a previous one. Its top-K trials are enqueued first (`enqueue_trial`),
and with --narrow each float/int range shrinks to a window of relative width F around the previous best
(in log space for log distributions), clipped to the original domain. A key the previous phase searched (or
inherited) that this one no longer searches takes the previous best's value, not the recipe's default,
unless the spec's `fixed:` sets it. The chain of phases, with what each inherited, is kept in the study's
user attr `phases` and in study.json."""

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

from hyperlax.commands.rundir import stored_args
from hyperlax.commands.study._params import decode_params, is_json_encoded, json_keys_of
from hyperlax.commands.study._selection import ranked, selection
from hyperlax.commands.study._storage import STUDY_FILE, load_stored_study
from hyperlax.errors import InputError
from hyperlax.space.distributions import Categorical, IntLog, LogUniform, UniformInt, is_number
from hyperlax.space.recipes import Recipe, load_recipe
from hyperlax.space.spec import with_fixed

PHASES_ATTR = "phases"


def top_trials(study, k: int) -> list:
    """The K best complete trials (several objectives: the Pareto front, first K by trial number)."""
    if len(study.directions) > 1:
        return sorted(study.best_trials, key=lambda t: t.number)[:k]
    return ranked(study)[:k]


def window(dist, center: float, fraction: float):
    """`dist` shrunk to a window of relative width `fraction` around `center`, inside its domain."""
    low, high = dist.domain
    log = isinstance(dist, (LogUniform, IntLog))
    to, back = (math.log, math.exp) if log else (float, float)
    half = fraction * (to(high) - to(low)) / 2
    new_low, new_high = max(to(low), to(center) - half), min(to(high), to(center) + half)
    if isinstance(dist, UniformInt):
        new_low, new_high = math.floor(back(new_low) + 1e-9), math.ceil(back(new_high) - 1e-9)
        return dataclasses.replace(dist, domain=(max(int(low), new_low), min(int(high), new_high)))
    return dataclasses.replace(dist, domain=(max(low, back(new_low)), min(high, back(new_high))))


def narrowed(distributions: dict, best: dict, fraction: float) -> dict:
    return {
        key: dist if isinstance(dist, Categorical) or key not in best else window(dist, best[key], fraction)
        for key, dist in distributions.items()
    }


@dataclass(frozen=True)
class WarmStart:
    """--warm-start-from (None: a cold start), --warm-start-top-k and --narrow."""

    study_dir: str | None
    top_k: int
    narrow: float | None
    env_config: str = ""  # this study's: the previous one must have trained the same env and algorithm
    fixed: tuple = ()  # keys the spec fixes: they keep the spec's value, not the previous best's


def check_same_problem(previous, recipe: Recipe, warm: WarmStart) -> None:
    """--warm-start-from a study of another env or algorithm: its best values do not transfer."""
    stored = stored_args(Path(warm.study_dir) / STUDY_FILE)
    env = stored.get("env_config")
    try:
        algo = load_recipe(stored["algo_and_network_config"]).algo_name
    except (InputError, KeyError):
        algo = previous.user_attrs.get("hyperlax", {}).get("recipe")
    if env != warm.env_config or algo != recipe.algo_name:
        raise InputError(
            f"--warm-start-from {warm.study_dir}: that study trained {algo} on {env}, this one {recipe.algo_name} "
            f"on {warm.env_config}; warm-start from a study of the same algorithm and env"
        )


def inherited_values(previous, best: dict, recipe: Recipe, fixed: tuple) -> dict:
    """The previous phase's best values (its params and what it inherited itself) of the keys this phase
    neither searches nor fixes."""
    earlier = previous.user_attrs.get(PHASES_ATTR, [])
    values = {**(earlier[-1].get("inherited", {}) if earlier else {}), **best}
    defaults = recipe.defaults()
    return {
        k: v for k, v in sorted(values.items()) if k in defaults and k not in recipe.distributions and k not in fixed
    }


def warm_start(recipe: Recipe, warm: WarmStart) -> tuple[Recipe, list, list]:
    """(the recipe, narrowed when asked; the previous study's top-K params to enqueue; the phase chain)."""
    if warm.study_dir is None:
        return recipe, [], []
    previous = load_stored_study(warm.study_dir, None)
    check_same_problem(previous, recipe, warm)
    top = top_trials(previous, warm.top_k)
    if not top:
        raise InputError(f"--warm-start-from {warm.study_dir}: the study has no complete trial to start from")
    selected, _ = selection(previous)
    best = decode_params((selected or top)[0].params, json_keys_of(previous))
    inherited = inherited_values(previous, best, recipe, warm.fixed)
    base = with_fixed(recipe.base_config, inherited, recipe.defaults())
    distributions = recipe.distributions
    if warm.narrow is not None:
        distributions = narrowed(distributions, best, warm.narrow)
    recipe = Recipe(recipe.name, base, distributions, recipe.conditions)
    phase = {
        "study_dir": str(Path(warm.study_dir).resolve()),
        "study_name": previous.study_name,
        "top_k": len(top),
        "enqueued_trials": [t.number for t in top],
        "narrow": warm.narrow,
        "best_values": (selected or top)[0].values,
        "inherited": inherited,
    }
    chain = [*previous.user_attrs.get(PHASES_ATTR, []), phase]
    searched = recipe.distributions  # an enqueued trial sets only the keys this phase searches
    return recipe, [{k: v for k, v in t.params.items() if k in searched} for t in top], chain


def with_inherited(recipe: Recipe, study) -> Recipe:
    """The recipe as a warm-started study trained it: the values its phase inherited in the base config."""
    inherited = study.user_attrs.get("hyperlax", {}).get("inherited", {})
    base = with_fixed(recipe.base_config, inherited, recipe.defaults())
    return Recipe(recipe.name, base, recipe.distributions, recipe.conditions)


def enqueue_top(study, params: list, chain: list) -> None:
    """A new study only: enqueue the previous top trials first and record the chain of phases."""
    if not params or study.get_trials(deepcopy=False):
        return
    for values in params:
        study.enqueue_trial(values, skip_if_exists=True)
    study.set_user_attr(PHASES_ATTR, chain)


def default_params(recipe: Recipe) -> dict:
    """The recipe's defaults of the searched keys, as the study stores them, where their ranges hold them."""
    defaults, params = recipe.defaults(), {}
    for key, dist in recipe.distributions.items():
        value = defaults.get(key)
        if isinstance(dist, Categorical):
            if value in dist.values:
                params[key] = json.dumps(value) if is_json_encoded(dist) else value
        elif is_number(value) and dist.domain[0] <= value <= dist.domain[1]:
            params[key] = value
    return params


def phases_text(study) -> list:
    """Per earlier phase of this study, oldest first: a line, then one per value the next phase inherited."""
    lines = []
    for i, p in enumerate(study.user_attrs.get(PHASES_ATTR, [])):
        narrow = f", ranges narrowed to {p['narrow']:g}" if p.get("narrow") is not None else ""
        lines.append(f"phase {i + 1}: '{p['study_name']}' ({p['study_dir']}), top {p['top_k']} trials enqueued{narrow}")
        lines += [f"  phase {i + 2} inherited {k} = {v}" for k, v in p.get("inherited", {}).items()]
    return lines
