"""The zoo: for each (algo, env) pair, the configuration a study found, validated on fresh seeds beside the
recipe's default and a generic default (SB3's stock values), shipped with hyperlax as
`hyperlax/zoo/<algo>/<env config with ':' replaced by '_'>.yaml` (e.g. ppo/gymnax_CartPole-v1.yaml).

`benchmarks/zoo.py` writes the entries; `hyperlax zoo` tabulates them and `hyperlax train --zoo PAIR` trains
an entry's configuration again. An entry is a YAML mapping of exactly these keys:

    pair: ppo:gymnax:CartPole-v1        # algo:env, the name users type
    algo: ppo
    env: gymnax:CartPole-v1
    date: '2026-11-30'
    command: python benchmarks/zoo.py --pairs ppo:gymnax:CartPole-v1
    machine: x86_64, 2 CPU cores, cpu backend, jax 0.10.2
    study: {recipe, sampler, n_trials, num_seeds, total_timesteps, env_steps, wall_seconds, args}
    validation:                         # fresh seeds, the same keys for all three configurations
      seed, num_seeds, total_timesteps, wall_seconds
      tuned: {iqm, low, high, per_seed}
      recipe_default: {recipe, iqm, low, high, per_seed}
      generic_default: {recipe, iqm, low, high, per_seed}
      improvement_over_recipe_default: {estimate, low, high}   # P(tuned > default) with its 95% CI
      improvement_over_generic_default: {estimate, low, high}
    reference: {source, value, text, budget, seeds}   # a published figure, or null
    return_range: [low, high] of an episode's return, or null   # a gain under 1% of it is no practical gain
    verdict: a one-line reading
    spec: what `hyperlax study-best --format yaml` writes, with the validation's seed and num_seeds, so that
          `hyperlax train --spec` of it (or `train --zoo`) trains the validation's tuned runs again

`low`/`high` are null where no interval can be computed; a reference's value may be null. Every key above
must be there with its type (keys inside the mappings beyond these are ignored); a file that breaks this is
one line naming it. HYPERLAX_ZOO_DIR, when set, is read instead of the shipped directory (tests, drafts).
"""

from hyperlax.zoo.entries import (
    ZOO_DIR_ENV,
    ZooEntry,
    canonical_pair,
    entry_path,
    find_entry,
    list_entries,
    load_entry,
    zoo_dir,
)
from hyperlax.zoo.schema import entry_problem
from hyperlax.zoo.text import interval_text, reproduction_line

__all__ = [
    "ZOO_DIR_ENV",
    "ZooEntry",
    "canonical_pair",
    "entry_path",
    "entry_problem",
    "find_entry",
    "interval_text",
    "list_entries",
    "load_entry",
    "reproduction_line",
    "zoo_dir",
]
