"""Population-based training against a TPE study and against the same population without exploitation.

    python benchmarks/pbt.py                               # PPO Pendulum, 16 members x 200k steps, 2 seeds
    python benchmarks/pbt.py --total-timesteps 100000 --population-size 8 --ways pbt none   # issue 11's check

Three ways, each a separate process in its own output root with a private compilation cache (a warm-up run
compiles first, so wall times compare training): `pbt-search` (truncation, perturb), `pbt-search --exploit
none` (the same random starts, no exploitation), and `optuna-hp-search` with as many trials as members
(TPE). For each: the best final return during the search, the chosen configuration retrained on fresh seeds
by `validate-best` (for PBT: its winning schedule replayed, and its final values held constant), wall time.
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


def cli(argv: list, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hyperlax.cli", *argv], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def common(args) -> list:
    return ["--algo-and-network-config", args.recipe, "--env-config", args.env, "--total-timesteps",
            str(args.total_timesteps), "--num-evaluations", str(args.num_evaluations), "--num-seeds",
            str(args.num_seeds), "--seed", str(args.seed)]  # fmt: skip


def run_way(root: Path, way: str, args, env: dict) -> dict:
    out = root / way
    if way == "tpe":
        argv = ["optuna-hp-search", *common(args), "--n-trials", str(args.population_size),
                "--optuna-study-batch-size", str(args.population_size), "--runner-hparam-batch-size",
                str(args.population_size), "--output-root", str(out)]  # fmt: skip
    else:
        argv = ["pbt-search", *common(args), "--population-size", str(args.population_size), "--ready-interval",
                str(args.ready_interval), "--exploit", "truncation" if way == "pbt" else "none",
                "--output-root", str(out)]  # fmt: skip
    wall = cli(argv, env)
    run_dir = next(p.parent for p in out.glob("*/*/*.json") if p.name in ("study.json", "pbt.json"))
    row = {"way": way, "wall_seconds": wall}
    if way == "tpe":
        best = json.loads((run_dir / "best_optuna_params.json").read_text())["best_trial"]
        row["best_final"] = best["values"]["final_performance"]
    else:
        row["best_final"] = json.loads((run_dir / "best_pbt_schedule.json").read_text())["final_return"]
    if args.validate_seeds:
        cli(["validate-best", "--study-dir", str(run_dir), "--num-seeds", str(args.validate_seeds)], env)
        report = json.loads((run_dir / "validation" / "validation.json").read_text())
        if way == "tpe":
            row["fresh"] = report[0]["validation"]["final_performance"]
        else:
            row["fresh"] = report["schedule"]["final_performance"]
            row["fresh_constant"] = report["final_hparams_constant"]["final_performance"]
    return row


def markdown(rows: list, args) -> str:
    lines = [
        f"{args.recipe} on {args.env}: {args.population_size} members (or trials) x {args.total_timesteps} env "
        f"steps, {args.num_evaluations} evaluations, {args.num_seeds} seeds, ready interval {args.ready_interval}; "
        f"fresh seeds: {args.validate_seeds}; `python {' '.join(sys.argv)}`",
        "",
        "| way | best final return in the search | fresh seeds: chosen | fresh seeds: PBT final values constant "
        "| wall s |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        fresh = "-" if r.get("fresh") is None else f"{r['fresh']:.1f}"
        constant = "-" if r.get("fresh_constant") is None else f"{r['fresh_constant']:.1f}"
        lines.append(f"| {r['way']} | {r['best_final']:.1f} | {fresh} | {constant} | {r['wall_seconds']:.1f} |")
    by_way = {r["way"]: r for r in rows}
    if {"pbt", "none"} <= set(by_way):
        ratio = by_way["pbt"]["wall_seconds"] / by_way["none"]["wall_seconds"]
        lines.append(f"\nExploitation cost: pbt took {ratio:.2f}x the wall time of the same population without it.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="ppo_mlp")
    parser.add_argument("--env", default="gymnax.pendulum")
    parser.add_argument("--population-size", type=int, default=16)
    parser.add_argument("--total-timesteps", type=int, default=200_000)
    parser.add_argument("--num-evaluations", type=int, default=20)
    parser.add_argument("--ready-interval", type=int, default=2)
    parser.add_argument("--num-seeds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validate-seeds", type=int, default=5, help="0: no fresh-seed retraining")
    parser.add_argument("--ways", nargs="+", default=["pbt", "none", "tpe"], choices=["pbt", "none", "tpe"])
    parser.add_argument("--markdown", help="a Markdown file whose <!-- pbt --> section gets the table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        warm = ["pbt-search", *common(args), "--population-size", str(args.population_size), "--ready-interval",
                str(args.ready_interval), "--output-root", str(Path(tmp) / "warm-up")]  # fmt: skip
        cli(warm, env)  # compiles the population's programs into the private cache
        for way in args.ways:
            rows.append(run_way(Path(tmp), way, args, env))
            print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows, args)
    print(table)
    if args.markdown:
        path = Path(args.markdown)
        text, section = path.read_text(), f"<!-- pbt -->\n{table}\n<!-- /pbt -->"
        pattern = re.compile(r"<!-- pbt -->.*?<!-- /pbt -->", re.S)
        path.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text}\n{section}\n")


if __name__ == "__main__":
    main()
