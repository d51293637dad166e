"""What a study prints as it goes: its header and one line per told trial (unless --quiet)."""

import json


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def header_lines(args, recipe, spec, settings, width: int, url: str, continuing: bool) -> list:
    """The study's header, in lines that fit 80 columns for the usual names."""
    objectives = ", ".join(f"{n} ({d})" for n, d in zip(args.objective_names, args.objective_directions, strict=True))
    programs = f"{plural(width, 'trial')} × {plural(settings.num_seeds, 'seed')}"
    return [
        f"optuna study '{args.study_name}'{' (continued)' if continuing else ''}: {args.n_trials} trials",
        f"  {recipe.name} on {spec.name} ({spec.env_id})",
        f"  {objectives}",
        *([f"  constraints {', '.join(args.constraint)}"] if args.constraint else []),
        f"  sampler {args.sampler}, pruner {args.pruner}; {settings.total_timesteps:,} env steps per trial",
        f"  up to {args.runner_hparam_batch_size} trials at once, in programs of {programs}",
        f"  storage {url}",
    ]


def shown(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value) if isinstance(value, list) else str(value)


def trial_line(number: int, state: str, values: list, reason: str, params: dict, defaults: dict, bounds) -> str:
    """`trial 7 COMPLETE 123.4 · actor_lr=0.0003 gamma=0.98`: the parameters that differ from the recipe's
    defaults, by their last dotted part when that is unambiguous."""
    value = ", ".join(f"{v:.5g}" for v in values if v is not None) if state == "COMPLETE" else reason
    if bounds is not None and any(c > 0 for c in bounds):
        value += " (infeasible)"
    changed = {k: v for k, v in sorted(params.items()) if defaults.get(k) != v}
    leaves = [k.rsplit(".", 1)[-1] for k in changed]
    names = {k: k.rsplit(".", 1)[-1] if leaves.count(k.rsplit(".", 1)[-1]) == 1 else k for k in changed}
    text = " ".join(f"{names[k]}={shown(v)}" for k, v in changed.items())
    return f"trial {number} {state} {value}" + (f" · {text}" if text else "")
