"""What pruning saves with the slot pool: the same Optuna study with --pruner none and --pruner halving, at
several program widths. For each: wall seconds, env steps trained (summed over trials, from each trial's
curve), the best trial's final return, and that trial retrained on fresh seeds (validate-best).

Compiling is not what pruning saves, so by default a one-trial warm-up study per width first fills a
private JAX compilation cache and every measured study reads its programs from there (`--cold` compiles in
every study instead); the compile seconds each study still spent are reported beside the wall time.

    python benchmarks/pruning.py                                   # 64 trials x 100k steps, widths 2 and 16
    python benchmarks/pruning.py --n-trials 32 --total-timesteps 50000 --widths 16 --validate-seeds 0
    python benchmarks/pruning.py --markdown docs/results.md        # also write the table into that file

Each run is a separate `hyperlax optuna-hp-search` process in its own output root, so runs share nothing.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def run_study(root: Path, args, pruner: str, width: int, n_trials: int | None = None) -> dict:
    out = root / f"{pruner}_w{width}_{n_trials or args.n_trials}"
    command = [
        sys.executable, "-m", "hyperlax.cli", "optuna-hp-search",
        "--algo-and-network-config", args.recipe, "--env-config", args.env,
        "--n-trials", str(n_trials or args.n_trials), "--total-timesteps", str(args.total_timesteps),
        "--num-evaluations", str(args.num_evaluations), "--num-seeds", str(args.num_seeds),
        "--optuna-study-batch-size", str(args.pool), "--runner-hparam-batch-size", str(args.pool),
        "--program-width", str(width), "--pruner", pruner, "--seed", str(args.seed),
        "--output-root", str(out), *(["--no-compile-cache"] if args.cold else []),
    ]  # fmt: skip
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    if n_trials is not None:  # a warm-up
        return {}
    study_dir = next(out.glob("*/*/study.json")).parent
    best = json.loads((study_dir / "best_optuna_params.json").read_text())["best_trial"]
    row = {"pruner": pruner, "width": width, "wall_seconds": wall, "env_steps": trained_env_steps(study_dir),
           "compile_seconds": max_compile_seconds(study_dir),
           "best_trial": best["number"], "best_final": best["values"]["final_performance"],
           "states": trial_states(study_dir)}  # fmt: skip
    if args.validate_seeds:
        validate = [sys.executable, "-m", "hyperlax.cli", "validate-best", "--study-dir", str(study_dir),
                    "--num-seeds", str(args.validate_seeds)]  # fmt: skip
        subprocess.run(validate, check=True, stdout=subprocess.DEVNULL, env=env)
        [report] = json.loads((study_dir / "validation" / "validation.json").read_text())
        row["fresh_final"] = report["validation"]["final_performance"]
        row["fresh_std"] = report["validation"]["final_std_across_seeds"]
    return row


def trained_env_steps(study_dir: Path) -> float:
    """Env steps trained by every trial: its evaluations that ran (not NaN) x steps per evaluation x seeds."""
    total = 0.0
    for curves_file in study_dir.glob("pool_*/trial_*/curves.npz"):
        curves = np.load(curves_file)
        returns, eval_steps = curves["returns"][0], curves["eval_steps"]  # [seeds, evaluations, episodes]
        trained = (~np.isnan(returns).all(axis=(0, 2))).sum()
        total += trained * eval_steps[0] * returns.shape[0]
    return total


def max_compile_seconds(study_dir: Path) -> float:
    """Compile seconds of the study's pool (every trial row carries the pool's running total); with the
    programs in the compilation cache, this is loading them and compiling the small refill merge."""
    rows = [json.loads(f.read_text())[0] for f in study_dir.glob("pool_*/trial_*/metrics.json")]
    return max((r.get("compile_seconds") or 0.0 for r in rows), default=0.0)


def trial_states(study_dir: Path) -> str:
    states = {}
    for metrics_file in study_dir.glob("pool_*/trial_*/metrics.json"):
        [row] = json.loads(metrics_file.read_text())
        states[row["status"]] = states.get(row["status"], 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(states.items()))


def markdown(rows: list, args) -> str:
    lines = [
        f"{args.n_trials} trials of {args.recipe} on {args.env}, {args.total_timesteps} env steps and "
        f"{args.num_evaluations} evaluations each, {args.num_seeds} seeds, a pool of {args.pool} slots, "
        f"{'compiling in every study' if args.cold else 'programs compiled by a warm-up study first'}; "
        f"`python {' '.join(sys.argv)}`",
        "",
        "| pruner | program width | wall s | of which compile s | env steps trained | trials | best final return | "
        f"best on {args.validate_seeds} fresh seeds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        fresh = f"{r['fresh_final']:.1f} ± {r['fresh_std']:.1f}" if "fresh_final" in r else "-"
        best = f"{r['best_final']:.1f} (trial {r['best_trial']})"
        cells = [
            r["pruner"],
            r["width"],
            f"{r['wall_seconds']:.1f}",
            f"{r['compile_seconds']:.1f}",
            f"{r['env_steps']:,.0f}",
            r["states"],
            best,
            fresh,
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    for width in sorted({r["width"] for r in rows}):
        pair = {r["pruner"]: r for r in rows if r["width"] == width}
        if {"none", "halving"} <= set(pair):
            none, halving = pair["none"], pair["halving"]
            wall, steps = (halving[k] / none[k] for k in ("wall_seconds", "env_steps"))
            lines.append(
                f"\nWidth {width}: halving took {wall:.2f}x the wall time and trained {steps:.2f}x the env steps."
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="ppo_mlp")
    parser.add_argument("--env", default="gymnax.pendulum")
    parser.add_argument("--n-trials", type=int, default=64)
    parser.add_argument("--total-timesteps", type=int, default=100_000)
    parser.add_argument("--num-evaluations", type=int, default=10)
    parser.add_argument("--num-seeds", type=int, default=2)
    parser.add_argument("--pool", type=int, default=16, help="slots (--runner-hparam-batch-size)")
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 16])
    parser.add_argument("--pruners", nargs="+", default=["none", "halving"])
    parser.add_argument("--validate-seeds", type=int, default=5, help="0: no fresh-seed retraining")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold", action="store_true", help="no warm-up: every study compiles its programs")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--markdown", help="a Markdown file whose <!-- pruning --> section gets the table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for width in args.widths:
            if not args.cold:
                run_study(Path(tmp), args, "none", width, n_trials=1)
            for pruner in args.pruners:
                rows.append(run_study(Path(tmp), args, pruner, width))
                print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows, args)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.markdown:
        path = Path(args.markdown)
        text = path.read_text()
        section = f"<!-- pruning -->\n{table}\n<!-- /pruning -->"
        pattern = re.compile(r"<!-- pruning -->.*?<!-- /pruning -->", re.S)
        path.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text}\n{section}\n")


if __name__ == "__main__":
    main()
