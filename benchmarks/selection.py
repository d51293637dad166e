"""Selection that holds on fresh seeds: the same PPO Pendulum study three ways, and how far each one's score
of the configuration it selects is from that configuration's score on fresh seeds.

- plain: mean over the study's 2 seeds, the best trial selected;
- iqm: `--seed-aggregate iqm --num-seeds 4`;
- reevaluate: `--reevaluate-top 4` (the 4 best trials again on 5 fresh seeds, the best of those selected).

For each: the selected trial's study score (and re-evaluated score), `hyperlax validate-best --num-seeds 5`
on seeds neither used (its final_performance uses the study's seed aggregate, so it is the same statistic
as the study score; also its IQM with a 95% interval and the probability of improvement over the recipe's
default), the overstatement (score - fresh) / |fresh| in %, and the wall time of the study and of the
validation (compile included: every run compiles its own programs).

    python benchmarks/selection.py                                 # 32 trials x 100k steps
    python benchmarks/selection.py --n-trials 8 --total-timesteps 20000 --ways plain reevaluate
    python benchmarks/selection.py --markdown docs/results.md      # also write the table into that file

Each run is a separate `hyperlax` process in its own output root, so runs share nothing.
"""

import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WAYS = {
    "plain": [],
    "iqm": ["--seed-aggregate", "iqm", "--num-seeds", "4"],
    "reevaluate": ["--reevaluate-top", "4", "--reevaluate-seeds", "5"],
}
LABELS = {
    "plain": "plain (mean of 2 seeds)",
    "iqm": "`--seed-aggregate iqm --num-seeds 4`",
    "reevaluate": "`--reevaluate-top 4` (5 seeds)",
}


def hyperlax(*args: str) -> float:
    """Run a hyperlax command; its wall seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hyperlax.cli", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_way(root: Path, args, way: str) -> dict:
    out = root / way
    study_seconds = hyperlax(
        "optuna-hp-search", "--algo-and-network-config", args.recipe, "--env-config", args.env,
        "--n-trials", str(args.n_trials), "--total-timesteps", str(args.total_timesteps),
        "--seed", str(args.seed), "--no-compile-cache", "--output-root", str(out), *WAYS[way],
    )  # fmt: skip
    study_dir = next(out.glob("*/*/study.json")).parent
    validate_seconds = hyperlax(
        "validate-best", "--study-dir", str(study_dir), "--num-seeds", str(args.validate_seeds), "--no-compile-cache"
    )
    summary = json.loads((study_dir / "best_optuna_params.json").read_text())
    best = summary["best_trial"]
    [report] = json.loads((study_dir / "validation" / "validation.json").read_text())
    fresh = report["validation"]["final_performance"]
    score = best["values"]["final_performance"]
    reevaluated = (best.get("reevaluated_values") or {}).get("final_performance")
    return {
        "way": way,
        "study_seconds": study_seconds,
        "validate_seconds": validate_seconds,
        "selected_trial": best["number"],
        "selected_by": summary["selected_by"],
        "study_best_trial": summary.get("study_best_trial", best["number"]),
        "score": score,
        "reevaluated": reevaluated,
        "fresh": fresh,
        "fresh_iqm": report["iqm_final_return"],
        "default_iqm": report["baseline"]["iqm_final_return"],
        "improvement": report["probability_of_improvement"],
        "overstatement": overstatement(score, fresh),
        "reevaluated_overstatement": None if reevaluated is None else overstatement(reevaluated, fresh),
    }


def overstatement(score: float, fresh: float) -> float:
    """How much higher (in % of the fresh score's magnitude) a score is than the fresh-seed score."""
    return 100.0 * (score - fresh) / abs(fresh)


def interval(i: dict, digits: str = ".1f") -> str:
    return f"{i['estimate']:{digits}} [{i['ci_low']:{digits}}, {i['ci_high']:{digits}}]"


def markdown(rows: list, args) -> str:
    lines = [
        f"{args.n_trials} trials of {args.recipe} on {args.env}, {args.total_timesteps:,} env steps each, TPE, "
        f"seed {args.seed}; the selected trial retrained by `validate-best --num-seeds {args.validate_seeds}` "
        f"on fresh seeds. Overstatement = (score - fresh) / |fresh|, with fresh the validation's "
        f"final_performance in the study's own seed aggregate. {platform.machine()}, "
        f"`{' '.join(sys.argv)}`.",
        "",
        "| way | selected trial | study score | re-evaluated score | fresh score | overstatement | "
        "fresh IQM [95% CI] | default's fresh IQM [95% CI] | P(better than default) | study wall s | "
        "validate wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        selected = f"{r['selected_trial']}" + (
            f" (study best: {r['study_best_trial']})" if r["study_best_trial"] != r["selected_trial"] else ""
        )
        over = f"{r['overstatement']:+.0f}%"
        if r["reevaluated"] is not None:
            over += f" (re-evaluated: {r['reevaluated_overstatement']:+.0f}%)"
        cells = [
            LABELS[r["way"]],
            selected,
            f"{r['score']:.1f}",
            "-" if r["reevaluated"] is None else f"{r['reevaluated']:.1f}",
            f"{r['fresh']:.1f}",
            over,
            interval(r["fresh_iqm"]),
            interval(r["default_iqm"]),
            interval(r["improvement"], ".2f"),
            f"{r['study_seconds']:.0f}",
            f"{r['validate_seconds']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="ppo_mlp")
    parser.add_argument("--env", default="gymnax.pendulum")
    parser.add_argument("--n-trials", type=int, default=32)
    parser.add_argument("--total-timesteps", type=int, default=100_000)
    parser.add_argument("--validate-seeds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ways", nargs="+", choices=list(WAYS), default=list(WAYS))
    parser.add_argument("--markdown", help="a Markdown file whose <!-- selection --> section gets the table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for way in args.ways:
            rows.append(run_way(Path(tmp), args, way))
            print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows, args)
    print(table)
    if args.markdown:
        path = Path(args.markdown)
        text = path.read_text()
        section = f"<!-- selection -->\n{table}\n<!-- /selection -->"
        pattern = re.compile(r"<!-- selection -->.*?<!-- /selection -->", re.S)
        path.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text}\n{section}\n")


if __name__ == "__main__":
    main()
