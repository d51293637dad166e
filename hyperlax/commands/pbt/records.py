"""What pbt-search keeps: the checkpoint after every interval, the lineage, the members table, the winning
schedule, and two plotly pages."""

import csv
import html
import io
import json
import os
import shutil
from pathlib import Path

import jax
import numpy as np

from hyperlax.results.files import read_json, write_json_atomic, write_text_atomic

CHECKPOINT = "pbt/checkpoint"


def save_checkpoint(out: Path, interval: int, members, parents, lineage, curves, states, rng_state) -> None:
    """Everything needed to continue after `interval` intervals; replaced atomically (a new directory
    renamed over the old one), so a kill at any moment leaves the previous or the new checkpoint whole."""
    target = out / CHECKPOINT
    tmp = target.with_name(f"checkpoint.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    leaves = [jax.tree.leaves(state) for state in states]
    arrays = {f"p{p}_{i}": np.asarray(leaf) for p, state in enumerate(leaves) for i, leaf in enumerate(state)}
    np.savez(tmp / "states.npz", curves=np.concatenate(curves, axis=2), **arrays)
    meta = {"interval": interval, "members": members, "parents": {str(k): v for k, v in parents.items()},
            "lineage": lineage, "rng_state": rng_state, "programs": len(states),
            "interval_lengths": [c.shape[2] for c in curves]}  # fmt: skip
    write_json_atomic(tmp / "state.json", meta)
    old = target.with_name("checkpoint.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(out: Path):
    """(interval, members, parents, lineage, curves, leaves per program, rng state) or None."""
    target = out / CHECKPOINT
    if not (target / "state.json").is_file():
        old = target.with_name("checkpoint.old")  # killed between the two renames
        if not (old / "state.json").is_file():
            return None
        target = old
    meta = read_json(target / "state.json", "--resume-from")
    with np.load(target / "states.npz") as data:
        leaves = [[data[f"p{p}_{i}"] for i in range(sum(k.startswith(f"p{p}_") for k in data.files))]
                  for p in range(meta["programs"])]  # fmt: skip
        all_curves = data["curves"]
    bounds = np.cumsum([0, *meta["interval_lengths"]])
    curves = [all_curves[:, :, a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    parents = {int(k): v for k, v in meta["parents"].items()}
    return meta["interval"], meta["members"], parents, meta["lineage"], curves, leaves, meta["rng_state"]


def best_schedule(lineage: list) -> dict:
    """The winner (best return in the last interval) and its lineage's hyperparameters, interval by interval:
    in each interval, those of the member whose weights the winner carries on."""
    last = max(entry["interval"] for entry in lineage)
    entries = {(e["interval"], e["member"]): e for e in lineage}
    winner = max((e for e in lineage if e["interval"] == last), key=lambda e: e["return"])
    schedule, member = [], winner["member"]
    for t in range(last, -1, -1):
        entry = entries[(t, member)]
        schedule.append({"interval": t, "member": member, "hparams": entry["hparams"], "return": entry["return"]})
        member = entry["parent"]
    return {"member": winner["member"], "final_return": winner["return"], "schedule": schedule[::-1]}


def members_csv(lineage: list) -> str:
    last = max(e["interval"] for e in lineage)
    exploited = {}
    for e in lineage:
        if e["parent"] != e["member"]:
            exploited[e["member"]] = exploited.get(e["member"], 0) + 1
    finals = sorted((e for e in lineage if e["interval"] == last), key=lambda e: -e["return"])
    keys = sorted(finals[0]["hparams"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["member", "final_return", "times_exploited", *keys])
    for e in finals:
        values = (json.dumps(v) if isinstance(v, list) else v for v in (e["hparams"][k] for k in keys))
        writer.writerow([e["member"], f"{e['return']:.6g}", exploited.get(e["member"], 0), *values])
    return out.getvalue()


def write_outputs(
    out: Path, searched: list, args, lineage: list, curves: np.ndarray, steps_per_evaluation: int, edges: list
) -> list:
    """pbt/lineage.json, members.csv, best_pbt_schedule.json (with `range_edges`: the winner's final values at
    an edge of their range) and the two plot pages."""
    winner = best_schedule(lineage)
    interval_steps = args.ready_interval * steps_per_evaluation
    for entry in winner["schedule"]:
        entry["start_env_step"] = entry["interval"] * interval_steps
    best = {**winner, "env_steps_per_interval": interval_steps, "ready_interval": args.ready_interval,
            "searched": searched, "range_edges": edges}  # fmt: skip
    write_json_atomic(out / "pbt" / "lineage.json", lineage)
    write_text_atomic(out / "members.csv", members_csv(lineage))
    write_json_atomic(out / "best_pbt_schedule.json", best)
    plots = write_plots(out / "analysis_plots", lineage, best, curves, steps_per_evaluation, interval_steps)
    return [out / "pbt" / "lineage.json", out / "members.csv", out / "best_pbt_schedule.json", *plots]


def page(title: str, figures: list) -> str:
    body = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<script src="plotly.min.js"></script></head>\n<body>\n{body}\n</body></html>\n')  # fmt: skip


def write_plots(plots_dir: Path, lineage, best, curves, steps_per_evaluation: int, interval_steps: int) -> list:
    import plotly.graph_objects as go
    import plotly.offline

    plots_dir.mkdir(parents=True, exist_ok=True)
    if not (plots_dir / "plotly.min.js").is_file():
        write_text_atomic(plots_dir / "plotly.min.js", plotly.offline.get_plotlyjs())
    members = sorted({e["member"] for e in lineage})
    schedules = []
    for key in best["searched"]:
        figure = go.Figure()
        for m in members:
            entries = sorted((e for e in lineage if e["member"] == m), key=lambda e: e["interval"])
            x = [e["interval"] * interval_steps for e in entries]
            y = [e["hparams"][key] for e in entries]
            faded = {"opacity": 0.2, "line": {"color": "grey"}, "showlegend": False}
            figure.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=f"member {m}", **faded))
        x = [e["start_env_step"] for e in best["schedule"]]
        y = [e["hparams"][key] for e in best["schedule"]]
        name = f"winning lineage (member {best['member']})"
        figure.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", line_shape="hv", line={"width": 3}, name=name))
        figure.update_layout(title=key, xaxis_title="env steps", yaxis_title=key)
        schedules.append(figure)
    returns = go.Figure()
    steps = steps_per_evaluation * np.arange(1, curves.shape[2] + 1)
    exploited = [e for e in lineage if e["parent"] != e["member"]]
    for m in members:
        returns.add_trace(go.Scatter(x=steps, y=curves[m].mean(axis=(0, 2)), mode="lines", name=f"member {m}",
                                     opacity=1.0 if m == best["member"] else 0.35))  # fmt: skip
    returns.add_trace(go.Scatter(
        x=[e["interval"] * interval_steps for e in exploited],
        y=[float(curves[e["member"]][:, e["interval"] * best["ready_interval"]].mean()) for e in exploited],
        mode="markers", marker={"symbol": "x", "size": 9}, name="exploit (copied a better member)"))  # fmt: skip
    returns.update_layout(title="eval return of every member", xaxis_title="env steps", yaxis_title="mean eval return")
    written = []
    for name, figures in (("pbt_schedules", schedules), ("pbt_returns", [returns])):
        path = plots_dir / f"{name}.html"
        write_text_atomic(path, page(name, figures))
        written.append(path)
    return written
