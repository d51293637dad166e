"""Results on disk: one directory per batch (complete once `success.txt` lists its intact files) and a results
table."""

import csv
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from hyperlax.errors import InputError
from hyperlax.results.objectives import OBJECTIVES

SUMMARY_COLUMNS = (
    "status",
    "reason",
    *OBJECTIVES,
    "final_mean_across_seeds",
    "final_std_across_seeds",
    "final_iqm_across_seeds",
    "per_seed_final_returns",
    "per_seed_peak_performance",
    "per_seed_normalized_auc",
    "env_steps_per_second",
    "compile_seconds",
)


def write_json_atomic(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=_json_default))


def write_text_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file; the temporary name is
    per process, so workers sharing a directory never write into each other's."""
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


BATCH_FILES = ("hparams.json", "metrics.json", "curves.npz")


def file_digest(path: Path) -> dict:
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def claim_numbered_dir(parent: Path, prefix: str) -> Path:
    """The next free `parent`/<prefix>_NNNN, created; mkdir is atomic, so processes sharing `parent` never
    claim the same one."""
    parent.mkdir(parents=True, exist_ok=True)
    index = len(list(parent.glob(f"{prefix}_*")))
    while True:
        path = parent / f"{prefix}_{index:04d}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            index += 1


def is_complete(batch_dir: Path) -> bool:
    """A directory is complete when `success.txt` lists its files (BATCH_FILES, and any saved agent's) and
    each is there, intact (same size and SHA-256). A truncated, deleted or edited file makes it incomplete,
    so a resume trains it again."""
    try:
        manifest = json.loads((batch_dir / "success.txt").read_text())
        files = manifest["files"]
        inside = all(not Path(n).is_absolute() and ".." not in Path(n).parts for n in files)
        return inside and set(BATCH_FILES) <= set(files) and all(file_digest(batch_dir / n) == files[n] for n in files)
    except (OSError, ValueError, KeyError, TypeError):  # missing, unreadable, not a manifest
        return False


def read_json(path: Path, what: str):
    """JSON a run wrote earlier; anything else (missing, truncated, not UTF-8) is an input error naming it."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what}: {path} is missing") from None
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise InputError(f"{what}: {path} is not readable JSON ({reason}); restore it or start anew") from None


def write_batch(batch_dir: Path, plan, result, extra=None) -> None:
    """Write configs, metrics and curves of one batch; `success.txt` last marks it complete."""
    write_samples(batch_dir, plan.samples, result.rows, result.returns, result.eval_steps, extra)


def write_samples(
    batch_dir: Path, samples: list, rows: list, returns: np.ndarray, eval_steps: np.ndarray, extra=None
) -> None:
    """Write configs, metrics and curves [config, seed, evaluation, episode] of samples; `success.txt` last
    marks the directory complete. `extra(batch_dir)`, when given, writes more files (saved agents) and gives
    their paths relative to `batch_dir`, which the manifest lists too."""
    batch_dir.mkdir(parents=True, exist_ok=True)
    (batch_dir / "success.txt").unlink(missing_ok=True)
    write_json_atomic(
        batch_dir / "hparams.json",
        [{"sample_id": s.sample_id, "values": s.values, "config": s.flat_config} for s in samples],
    )
    write_json_atomic(batch_dir / "metrics.json", rows)
    tmp = batch_dir / "curves.tmp.npz"
    np.savez(tmp, sample_ids=np.array([s.sample_id for s in samples]), returns=returns, eval_steps=eval_steps)
    os.replace(tmp, batch_dir / "curves.npz")
    names = [*BATCH_FILES, *(extra(batch_dir) if extra is not None else [])]
    manifest = {"configurations": len(samples), "files": {n: file_digest(batch_dir / n) for n in names}}
    write_json_atomic(batch_dir / "success.txt", manifest)


def read_batch(batch_dir: Path) -> list[dict]:
    """Rows of a complete batch: each sample's values joined with its metrics."""
    hparams = json.loads((batch_dir / "hparams.json").read_text())
    metrics = {row["sample_id"]: row for row in json.loads((batch_dir / "metrics.json").read_text())}
    return [{**metrics[h["sample_id"]], "values": h["values"], "batch_dir": batch_dir.name} for h in hparams]


def collect_rows(samples_dir: Path) -> list[dict]:
    rows = []
    for batch_dir in sorted(samples_dir.glob("*")):
        if batch_dir.is_dir() and is_complete(batch_dir):
            rows.extend(read_batch(batch_dir))
    return sorted(rows, key=lambda r: r["sample_id"])


def results_table(rows: list[dict], id_column: str = "sample_id") -> list[dict]:
    """One record per configuration, the columns of results.csv: id, every sampled hyperparameter (None where
    a configuration has no value for it), every metric, status, batch directory."""
    keys = sorted({k for row in rows for k in row["values"]})
    return [
        {
            id_column: row["sample_id"],
            **{k: row["values"].get(k) for k in keys},
            **{c: row.get(c) for c in SUMMARY_COLUMNS},
            "batch_dir": row.get("batch_dir", ""),
        }
        for row in rows
    ]


def write_results_csv(path: Path, rows: list[dict], id_column: str = "sample_id") -> None:
    """One row per configuration: id, every sampled hyperparameter, every metric, status."""
    keys = sorted({k for row in rows for k in row["values"]})
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([id_column, *keys, *SUMMARY_COLUMNS, "batch_dir"])
        for record in results_table(rows, id_column):
            writer.writerow([_cell(value) for value in record.values()])
    os.replace(tmp, path)


def _cell(value):
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    return "" if value is None else value
