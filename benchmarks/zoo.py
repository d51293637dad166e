"""The hyperlax zoo: per (algo, env) pair, a study finds a configuration, which is then trained on 10 fresh
seeds beside the recipe's default and a generic default (SB3's stock values: ppo_sb3, dqn_sb3, sac_sb3),
all three on the same keys.

    python benchmarks/zoo.py --pairs ppo:gymnax:CartPole-v1        # one pair, its stated budget
    python benchmarks/zoo.py --list                                  # the pairs and their budgets (CPU, GPU)
    python benchmarks/zoo.py --render                                # docs/results.md's zoo section again
    python benchmarks/zoo.py --refresh                               # every entry's figures computed again

Per pair: `hyperlax optuna-hp-search` (TPE from the recipe's default as trial 0, median pruning, the best 3
trials re-evaluated on 3 seeds the study never trained, capped by --timeout), `hyperlax study-best --format
yaml` for the selected configuration, then three `hyperlax train --num-seeds 10 --seed 1000` runs. It writes
the zoo entry hyperlax/zoo/<algo>/<env>.yaml (the spec `hyperlax train --zoo PAIR` trains, its budget and
figures) and docs/zoo/<algo>_<env>.json (curves for the learning-curve page); docs/results.md's zoo section is
rendered from every JSON there, so pairs run one at a time. Each hyperlax command is its own process in a
scratch directory: nothing is shared between runs but the compile cache.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from zoo_pairs import PAIRS, Pair  # noqa: E402
from zoo_report import entry_records, render_results  # noqa: E402

from hyperlax.commands.study._tracking import curve_of  # noqa: E402
from hyperlax.results.intervals import improvement_interval, iqm_interval  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# A difference in IQM under this share of the env's return range is no gain worth the name, whatever P says
# (SAC on MountainCarContinuous: every configuration stands still, and they differ by the action cost).
PRACTICAL_SHARE = 0.01
VALIDATION_SEED, VALIDATION_SEEDS = 1000, 10
ZOO_DIR, DOCS_DIR = ROOT / "hyperlax" / "zoo", ROOT / "docs" / "zoo"


@dataclass
class Run:
    """One hyperlax command's wall seconds."""

    seconds: float = 0.0
    log: list = field(default_factory=list)


def hyperlax(run: Run, *args: str) -> str:
    """Run a hyperlax command (its output kept in the log); its standard output."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hyperlax.cli", *args], capture_output=True, text=True)
    run.seconds += time.perf_counter() - start
    run.log.append(" ".join(args))
    if done.returncode != 0:
        raise SystemExit(f"hyperlax {args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def space_json(fixed: dict, search: dict | None = None) -> str:
    return json.dumps({"mode": "update", "search_space": search or {}, "fixed": fixed}, sort_keys=True)


def env_flags(pair: Pair) -> list:
    return ["--env-kwargs", json.dumps(pair.env_kwargs, sort_keys=True)] if pair.env_kwargs else []


def study_args(pair: Pair, out: Path) -> list:
    (top, seeds), seed_flags = pair.reevaluate, ["--num-seeds", str(pair.study_seeds), "--seed", "0"]
    args = ["--algo-and-network-config", pair.study_recipe, "--env-config", pair.env, "--n-trials", str(pair.trials),
            "--total-timesteps", str(pair.steps), *seed_flags, "--objective-names", pair.objective,
            "--enqueue-defaults", "--pruner", "median", "--reevaluate-top", str(top), "--reevaluate-seeds",
            str(seeds), "--timeout", str(pair.timeout), "--quiet", "--output-root", str(out),
            *env_flags(pair)]  # fmt: skip
    if pair.pruner_warmup is not None:
        args += ["--pruner-warmup-evaluations", str(pair.pruner_warmup)]
    if pair.seed_aggregate != "mean":
        args += ["--seed-aggregate", pair.seed_aggregate]
    if pair.slots != 8:
        args += ["--runner-hparam-batch-size", str(pair.slots), "--optuna-study-batch-size", str(pair.slots)]
    # a key the study searches is not held at the pair's value (the recipe default still trains with it)
    fixed = {key: value for key, value in pair.fixed.items() if key not in pair.search}
    if fixed or pair.search:
        args += ["--search-space", space_json(fixed, pair.search)]
    return args


def run_study(pair: Pair, scratch: Path) -> tuple[dict, dict]:
    """The study, then the selected configuration as a spec; (spec, study record)."""
    run, args = Run(), study_args(pair, scratch / "study")
    hyperlax(run, "optuna-hp-search", *args)
    study_dir = next((scratch / "study").glob("*/*/study.json")).parent
    spec = yaml.safe_load(hyperlax(run, "study-best", "--study-dir", str(study_dir), "--format", "yaml"))
    trials = json.loads(hyperlax(run, "study-export", "--study-dir", str(study_dir), "--format", "json"))
    summary = json.loads((study_dir / "best_optuna_params.json").read_text())
    record = {
        "recipe": pair.study_recipe,
        "sampler": "tpe",
        "objective": pair.objective,
        "pruner": "median",
        "n_trials": sum(t["state"] == "COMPLETE" for t in trials),
        "n_pruned": sum(t["state"] == "PRUNED" for t in trials),
        "num_seeds": pair.study_seeds,
        "seed_aggregate": pair.seed_aggregate,
        "total_timesteps": pair.steps,
        "env_steps": study_env_steps(study_dir, trials, pair),
        "wall_seconds": round(run.seconds, 1),
        "selected_by": summary.get("selected_by"),
        "range_edges": summary.get("range_edges", []),
        "args": ["optuna-hp-search", *args],
    }
    return spec, record


def reached_steps(curves: Path) -> int:
    """The env step of the last evaluation a trial reached: a pruned trial's later evaluations are NaN."""
    curve = curve_of(curves.parent)  # (env steps, mean return) of each evaluation reached
    return curve[-1][0] if curve else 0


def study_env_steps(study_dir: Path, trials: list, pair: Pair) -> int:
    """Env steps the study trained: each trial's last evaluation reached x its seeds, plus the re-evaluations."""
    total = 0
    for trial in trials:
        curves = study_dir / str(trial.get("batch_dir") or "") / "curves.npz"
        reached = pair.steps
        if trial.get("batch_dir") and curves.is_file():
            reached = reached_steps(curves)
        total += reached * pair.study_seeds
    for curves in study_dir.glob("reevaluation/**/curves.npz"):
        samples, seeds = np.load(curves)["returns"].shape[:2]
        total += samples * seeds * pair.steps
    return total  # (each reevaluation batch's samples x seeds x steps)


def train(out: Path, run: Run, flags: list) -> dict:
    """`hyperlax train` on the validation seeds; per-seed finals and the curve of each seed."""
    hyperlax(run, "train", *flags, "--num-seeds", str(VALIDATION_SEEDS), "--seed", str(VALIDATION_SEED),
             "--output-root", str(out))  # fmt: skip
    summary = json.loads(next(out.glob("*/*/train/summary.json")).read_text())
    if summary["status"] != "ok":
        return {"status": summary["status"], "per_seed": [], "curve": None}
    curves = np.load(Path(summary["batch_dir"]) / "curves.npz")
    per_seed_curves = curves["returns"][0].mean(axis=-1)  # [seeds, evaluations]
    return {
        "status": "ok",
        "per_seed": [float(v) for v in summary["per_seed_final_returns"]],
        "eval_steps": [int(s) for s in curves["eval_steps"]],
        "curves": per_seed_curves.tolist(),
    }


def validate(pair: Pair, spec: dict, scratch: Path) -> dict:
    """The tuned spec, the recipe default and the generic default, each on the same 10 fresh seeds."""
    spec = {**spec, "num_seeds": VALIDATION_SEEDS, "seed": VALIDATION_SEED}
    spec_file = scratch / "tuned.yaml"
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    budget = ["--total-timesteps", str(pair.steps), "--env-config", pair.env, *env_flags(pair)]
    runs = {"tuned": Run(), "recipe_default": Run(), "generic_default": Run()}
    results = {
        "tuned": train(scratch / "tuned", runs["tuned"], ["--spec", str(spec_file)]),
        "recipe_default": train(scratch / "recipe", runs["recipe_default"], [
            "--algo-and-network-config", pair.recipe, *budget, *(["--search-space", space_json(pair.fixed)]
                                                                 if pair.fixed else [])]),
        "generic_default": train(scratch / "generic", runs["generic_default"], [
            "--algo-and-network-config", pair.generic, *budget,
            *(["--search-space", space_json(pair.generic_fixed)] if pair.generic_fixed else [])]),
    }  # fmt: skip
    for name, result in results.items():
        result["wall_seconds"] = round(runs[name].seconds, 1)
    results["tuned"]["spec"] = spec
    return results


def interval(values) -> dict:
    found = iqm_interval(values)
    return {"iqm": found.estimate, "low": found.low, "high": found.high}


def improvement(values, baseline) -> dict:
    if not values or not baseline:
        return {"estimate": None, "low": None, "high": None}
    found = improvement_interval(values, baseline)
    return {"estimate": found.estimate, "low": found.low, "high": found.high}


def compared(p: dict, label: str, negligible: bool = False) -> str:
    if p["estimate"] is None:
        return f"no comparison with {label}"
    shown = f"P {p['estimate']:.2f} [{p['low']:.2f}, {p['high']:.2f}]"
    if p["estimate"] >= 0.75 and (p["low"] or 0) > 0.5:
        if negligible:
            return f"no practical gain over {label} (IQMs within 1% of the return range; {shown})"
        return f"beats {label} ({shown})"
    if p["high"] is not None and p["high"] < 0.5:
        return f"LOSES to {label} ({shown})"
    return f"not better than {label} with confidence ({shown})"


def against_reference(tuned: dict, reference: dict | None) -> str | None:
    """Does the 10-seed IQM reach the published figure, or its interval hold it?"""
    if not reference or reference.get("value") is None:
        return None
    value = reference["value"]
    if tuned["iqm"] >= value:
        return f"IQM at or above the published {value:g}"
    if tuned["low"] is not None and tuned["low"] <= value <= tuned["high"]:
        return f"the published {value:g} lies inside the tuned interval"
    return f"BELOW the published {value:g} (outside the tuned interval)"


def verdict(validation: dict, reference: dict | None = None, return_range: list | None = None) -> str:
    """One honest line: does the tuned configuration beat each default with confidence? Where both end at one
    value on every seed (the env's maximum), the final return cannot tell them apart: the area under the
    curve (how soon and how steadily they got there) is named instead. A confident win by less than
    PRACTICAL_SHARE of the env's return range is named as no practical gain."""
    parts, auc = [], validation.get("area_under_curve")
    span = (return_range[1] - return_range[0]) if return_range else None
    for name, label in (("generic_default", "the generic default"), ("recipe_default", "the recipe default")):
        finals = set(validation["tuned"]["per_seed"]) | set(validation[name]["per_seed"])
        if len(finals) == 1 and auc:
            by_auc = compared(auc[f"improvement_over_{name}"], label)
            parts.append(f"ties {label} at {finals.pop():g} on every seed, and on the area under the curve {by_auc}")
        else:
            gap = abs(validation["tuned"]["iqm"] - validation[name]["iqm"])
            negligible = span is not None and gap < PRACTICAL_SHARE * span
            parts.append(compared(validation[f"improvement_over_{name}"], label, negligible))
    if validation.get("tuned_is_recipe_default"):
        parts.insert(0, "the study kept the recipe's default (no trial beat it on re-evaluation)")
    published = against_reference(validation["tuned"], reference)
    return "; ".join(parts + ([published] if published else []))


def same_curves(curves: dict) -> bool:
    """Every seed's whole learning curve equal: the study selected the recipe's default itself (trial 0)."""
    tuned, default = curves["tuned"].get("curves"), curves["recipe_default"].get("curves")
    return tuned is not None and tuned == default


def area_under_curve(curves: dict) -> dict:
    """Per configuration, each seed's mean eval return over the evaluations (the area under its learning curve
    over the budget), its IQM and interval, and P(tuned > each default) on it."""
    per_seed = {name: [float(np.mean(seed)) for seed in c["curves"]] if c.get("curves") else [] for name, c in
                curves.items()}  # fmt: skip
    figures = {name: {**interval(v), "per_seed": v} for name, v in per_seed.items() if v}
    for name in ("recipe_default", "generic_default"):
        figures[f"improvement_over_{name}"] = improvement(per_seed["tuned"], per_seed[name])
    return figures


def machine() -> str:
    import jax

    backend = jax.default_backend()
    device = f" ({jax.devices()[0].device_kind})" if backend != "cpu" else ""
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {backend} backend{device}, jax {jax.__version__}"


def compare(validation: dict, curves: dict) -> None:
    """The tuned configuration against each default in `validation` (whose per-seed finals it reads), on the
    final return and on the area under the curve (`curves`: per configuration, each seed's curve)."""
    for name in ("recipe_default", "generic_default"):
        validation[f"improvement_over_{name}"] = improvement(
            validation["tuned"]["per_seed"], validation[name]["per_seed"]
        )
    validation["area_under_curve"] = area_under_curve(curves)
    validation["tuned_is_recipe_default"] = same_curves(curves)


def env_return_range(env: str, env_kwargs: dict | None = None) -> list | None:
    """The env's (R_min, R_max) of an episode's return, where hyperlax knows it."""
    from hyperlax.envs.registry import make_env

    found = make_env(env, env_kwargs or None).return_range
    return None if found is None else [float(v) for v in found]


def entry(pair: Pair, study: dict, results: dict, command: str) -> dict:
    validation = {"seed": VALIDATION_SEED, "num_seeds": VALIDATION_SEEDS, "total_timesteps": pair.steps}
    for name in ("tuned", "recipe_default", "generic_default"):
        row = {"recipe": pair.recipe if name != "generic_default" else pair.generic} if name != "tuned" else {}
        validation[name] = {**row, **interval(results[name]["per_seed"]), "per_seed": results[name]["per_seed"]}
    compare(validation, results)
    validation["wall_seconds"] = round(sum(r["wall_seconds"] for r in results.values()), 1)
    return_range = env_return_range(pair.env, pair.env_kwargs)
    return {
        "pair": pair.name,
        "algo": pair.algo,
        "env": pair.env,
        "date": datetime.date.today().isoformat(),
        "command": command,
        "machine": machine(),
        "study": study,
        "validation": validation,
        "reference": pair.reference,
        "return_range": return_range,
        "verdict": verdict(validation, pair.reference, return_range),
        "spec": results["tuned"]["spec"],
    }


def run_pair(pair: Pair) -> dict:
    command = f"python benchmarks/zoo.py --pairs {pair.name}"
    print(f"== {pair.name}: {pair.budget_text()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="hyperlax-zoo-") as scratch:
        spec, study = run_study(pair, Path(scratch))
        done = f"{study['n_trials']} complete, {study['n_pruned']} pruned, {study['wall_seconds']} s"
        print(f"   study: {done}", flush=True)
        results = validate(pair, spec, Path(scratch))
    found = entry(pair, study, results, command)
    write_entry(found, {name: {k: results[name].get(k) for k in ("eval_steps", "curves")} for name in results})
    print(f"   {found['verdict']}", flush=True)
    return found


def refresh(record_file: Path) -> None:
    """An entry's figures and verdict computed again from what docs/zoo/ keeps (per-seed finals and curves)."""
    record = json.loads(record_file.read_text())
    found, curves = record["entry"], record["curves"]
    validation = found["validation"]
    compare(validation, curves)
    found["verdict"] = verdict(validation, found.get("reference"), found["return_range"])
    write_entry(found, curves)


def write_entry(found: dict, curves: dict) -> None:
    found = json.loads(json.dumps(found))  # fresh objects: YAML without aliases
    name = found["env"].replace(":", "_").replace("/", "_")
    (ZOO_DIR / found["algo"]).mkdir(parents=True, exist_ok=True)
    header = (
        f"# hyperlax zoo entry, written by `{found['command']}`; `hyperlax train --zoo {found['pair']}` trains it\n"
    )
    text = yaml.safe_dump(found, sort_keys=False, allow_unicode=True, width=120)
    (ZOO_DIR / found["algo"] / f"{name}.yaml").write_text(header + text)
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    (DOCS_DIR / f"{found['algo']}_{name}.json").write_text(json.dumps({"entry": found, "curves": curves}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="+", default=[], help="algo:env-config, e.g. ppo:gymnax:CartPole-v1")
    parser.add_argument("--list", action="store_true", help="print the pairs and their budgets")
    parser.add_argument("--render", action="store_true", help="only render docs/results.md from docs/zoo/*.json")
    parser.add_argument("--refresh", action="store_true", help="recompute every entry's figures from docs/zoo/*.json")
    args = parser.parse_args()
    if args.list:
        for pair in PAIRS.values():
            print(f"{pair.name}: {pair.budget_text()}")
        return
    unknown = [name for name in args.pairs if name not in PAIRS]
    if unknown:
        raise SystemExit(f"unknown pairs {unknown}; --list shows them")
    if args.pairs:
        import jax

        for name in args.pairs:
            run_pair(PAIRS[name].on(jax.default_backend()))
    if args.refresh:
        for record_file in entry_records(DOCS_DIR):
            refresh(record_file)
    render_results(DOCS_DIR, ROOT / "docs" / "results.md")


if __name__ == "__main__":
    main()
