"""docs/results.md's zoo section and the zoo's learning-curve pages, rendered from docs/zoo/*.json (what
benchmarks/zoo.py keeps of each pair): the table of every pair, and per pair one plotly page with the IQM
over the 10 validation seeds of each configuration and its 95% bootstrap band."""

import json
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from hyperlax.commands.zoo import entry_row, markdown_table
from hyperlax.results.intervals import iqm_interval
from hyperlax.zoo import ZooEntry

NAMES = {"tuned": "tuned (study)", "recipe_default": "recipe default", "generic_default": "generic default (SB3)"}
COLOURS = {"tuned": "31,119,180", "recipe_default": "255,127,14", "generic_default": "44,160,44"}


def band(per_seed: np.ndarray) -> tuple[list, list, list]:
    """IQM over seeds at every evaluation, with its 95% bootstrap interval."""
    found = [iqm_interval(per_seed[:, k].tolist()) for k in range(per_seed.shape[1])]
    low = [f.low if f.low is not None else f.estimate for f in found]
    high = [f.high if f.high is not None else f.estimate for f in found]
    return [f.estimate for f in found], low, high


def curve_page(record: dict, path: Path) -> None:
    entry = record["entry"]
    fig = go.Figure()
    for name, curves in record["curves"].items():
        if not curves.get("curves"):
            continue
        steps, (mid, low, high) = curves["eval_steps"], band(np.asarray(curves["curves"]))
        rgb = COLOURS[name]
        fig.add_trace(go.Scatter(x=steps + steps[::-1], y=high + low[::-1], fill="toself", line={"width": 0},
                                 fillcolor=f"rgba({rgb},0.2)", hoverinfo="skip", showlegend=False))  # fmt: skip
        fig.add_trace(go.Scatter(x=steps, y=mid, mode="lines+markers", name=NAMES[name], line={"color": f"rgb({rgb})"}))
    reference = entry.get("reference")
    if reference and reference.get("value") is not None:
        fig.add_hline(y=reference["value"], line_dash="dash", annotation_text=f"published: {reference['text']}")
    fig.update_layout(
        title=f"{entry['pair']}: IQM eval return over 10 fresh seeds, 95% bootstrap band",
        xaxis_title="env steps",
        yaxis_title="eval return",
    )
    fig.write_html(path, include_plotlyjs="cdn", div_id=path.stem)  # a fixed id: a render changes no page it need not


def entry_records(docs_dir: Path) -> list[Path]:
    """docs/zoo/<algo>_<env>.json, one per entry (zoo_settings.json, benchmarks/zoo_settings.py's, is not one)."""
    return [path for path in sorted(docs_dir.glob("*.json")) if not path.name.startswith("zoo_")]


def render_results(docs_dir: Path, results_md: Path) -> None:
    """Write each pair's curve page and docs/results.md's <!-- zoo --> section."""
    records = [json.loads(p.read_text()) for p in entry_records(docs_dir)]
    rows = []
    for record in records:
        page = docs_dir / f"{record['entry']['algo']}_{record['entry']['env'].replace(':', '_')}.html"
        curve_page(record, page)
        pair, *cells = entry_row(ZooEntry(page, record["entry"]))  # the table `hyperlax zoo --format markdown` prints
        rows.append((f"{pair} ([curves](zoo/{page.name}))", *cells))
    commands = "\n".join(f"- `{e['command']}` ({e['date']}, {e['machine']})" for e in (r["entry"] for r in records))
    intro = INTRO.format(started=started_elsewhere([r["entry"] for r in records]))
    section = "\n".join(["<!-- zoo -->", "## The zoo (`benchmarks/zoo.py`)", "", intro, "", markdown_table(rows), "",
                         "Produced by:", "", commands, "<!-- /zoo -->"])  # fmt: skip
    text = results_md.read_text()
    pattern = re.compile(r"<!-- zoo -->.*?<!-- /zoo -->", re.S)
    found = pattern.search(text)
    results_md.write_text(pattern.sub(lambda _: section, text) if found else f"{text}\n{section}\n")


def started_elsewhere(entries: list) -> str:
    """The pairs whose study started from another recipe's values than the algo's own (Pair.start)."""
    started = [f"{e['pair']} starts from {e['study']['recipe']}'s values" for e in entries
               if e["study"]["recipe"] != e["validation"]["recipe_default"]["recipe"]]  # fmt: skip
    return f"; the study of {', '.join(started)} instead" if started else ""


INTRO = """\
Per pair, a study of the recipe's search space (TPE with the recipe's default as its first trial, median
pruning, the best 3 trials re-evaluated on 3 unseen seeds{started}) selects a configuration; `hyperlax train --num-
seeds 10 --seed 1000` then trains it beside the recipe's default and SB3's stock values (`ppo_sb3`, `dqn_sb3`,
`sac_sb3`) on the same 10 fresh seeds (the study trained seeds from master seed 0). Figures: IQM of the per-
seed final return (mean of 10 deterministic episodes at the last of 20 evaluations) with its 95% bootstrap
interval; P(tuned > default) is the probability that a tuned seed beats a default seed, with its 95% bootstrap
interval. A confident win by less than 1% of the env's return range is called no practical gain. Each
configuration ships as `hyperlax/zoo/<algo>/<env>.yaml`; `hyperlax zoo` prints this table and `hyperlax train
--zoo PAIR` trains one. On a GPU a pair takes its GPU budget (`benchmarks/zoo_pairs.py`, `Pair.gpu`); the
machine of each row is under "Produced by". The published references tune per env too, often at a larger
budget and with more machinery (noted per pair); they are one run each."""
