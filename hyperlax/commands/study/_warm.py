"""Phases: a study warm-started from a previous one. Its top-K trials are enqueued first (`enqueue_trial`),
and with --narrow each float/int range shrinks to a window of relative width F around the previous best
(in log space for log distributions), clipped to the original domain. The chain of phases is kept in the
study's user attr `phases` and in study.json."""

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from hyperlax.commands.study._params import decode_params, json_keys_of
from hyperlax.commands.study._selection import ranked, selection
from hyperlax.commands.study._storage import load_stored_study
from hyperlax.errors import InputError
from hyperlax.space.distributions import Categorical, IntLog, LogUniform, UniformInt
from hyperlax.space.recipes import Recipe

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


def warm_start(recipe: Recipe, warm: WarmStart) -> tuple[Recipe, list, list]:
    """(the recipe, narrowed when asked; the previous study's top-K params to enqueue; the phase chain)."""
    if warm.study_dir is None:
        return recipe, [], []
    previous = load_stored_study(warm.study_dir, None)
    top = top_trials(previous, warm.top_k)
    if not top:
        raise InputError(f"--warm-start-from {warm.study_dir}: the study has no complete trial to start from")
    selected, _ = selection(previous)
    best = decode_params((selected or top)[0].params, json_keys_of(previous))
    if warm.narrow is not None:
        recipe = Recipe(recipe.name, recipe.base_config, narrowed(recipe.distributions, best, warm.narrow))
    phase = {
        "study_dir": str(Path(warm.study_dir).resolve()),
        "study_name": previous.study_name,
        "top_k": len(top),
        "enqueued_trials": [t.number for t in top],
        "narrow": warm.narrow,
        "best_values": (selected or top)[0].values,
    }
    chain = [*previous.user_attrs.get(PHASES_ATTR, []), phase]
    return recipe, [dict(t.params) for t in top], chain


def enqueue_top(study, params: list, chain: list) -> None:
    """A new study only: enqueue the previous top trials first and record the chain of phases."""
    if not params or study.get_trials(deepcopy=False):
        return
    for values in params:
        study.enqueue_trial(values, skip_if_exists=True)
    study.set_user_attr(PHASES_ATTR, chain)


def phases_text(study) -> list:
    """One line per earlier phase of this study, oldest first."""
    return [
        f"phase {i + 1}: '{p['study_name']}' ({p['study_dir']}), top {p['top_k']} trials enqueued"
        + (f", ranges narrowed to {p['narrow']:g}" if p.get("narrow") is not None else "")
        for i, p in enumerate(study.user_attrs.get(PHASES_ATTR, []))
    ]
