"""Provenance and portability: what a run records of the versions it ran with, the warning when a resume runs
under others, and a package that imports on Windows (no POSIX-only module; the lock is filelock's)."""

import ast
import json
import logging
from pathlib import Path

import gymnax

import hyperlax
from hyperlax.commands.options import SweepArgs
from hyperlax.commands.provenance import BACKEND, changes, versions
from hyperlax.commands.rundir import merge_options
from hyperlax.commands.sweep import SWEEP
from tests.bad_input import STORED_SWEEP

PACKAGE = Path(hyperlax.__file__).parent
POSIX_ONLY = {"fcntl", "pwd", "grp", "termios", "resource", "posix"}


def test_versions_name_hyperlax_jax_its_libraries_optuna_the_env_package_and_the_backend():
    env, _ = gymnax.make("CartPole-v1")
    found = versions(env)
    assert set(found) == {"hyperlax", "jax", "jaxlib", "flax", "optax", "optuna", "gymnax", BACKEND}
    assert found["hyperlax"] == hyperlax.__version__ and found[BACKEND] == "cpu"
    assert all(isinstance(v, str) for v in found.values())


def test_changes_list_what_differs_and_ignore_what_the_stored_record_lacks():
    assert changes({"jax": "0.4.30", "optuna": "4.9"}, {"jax": "0.5.0", "optuna": "4.9", "flax": "1"}) == [
        "jax 0.4.30 -> 0.5.0"
    ]
    assert changes({}, versions()) == []


def test_a_resume_under_other_versions_warns_in_one_line_and_proceeds(tmp_path, caplog):
    stored = {**STORED_SWEEP, "versions": {**versions(), "jax": "0.0.1"}}
    (tmp_path / "sweep.json").write_text(json.dumps(stored))
    with caplog.at_level(logging.WARNING, logger="hyperlax"):
        merged = merge_options(SweepArgs, {"resume_from": str(tmp_path)}, str(tmp_path), SWEEP)
    [record] = [r for r in caplog.records if r.name.startswith("hyperlax")]
    message = record.getMessage()
    assert "\n" not in message and "results may differ" in message and f"jax 0.0.1 -> {versions()['jax']}" in message
    assert merged["num_samples"] == STORED_SWEEP["args"]["num_samples"]


def test_a_resume_under_the_same_versions_says_nothing(tmp_path, caplog):
    (tmp_path / "sweep.json").write_text(json.dumps({**STORED_SWEEP, "versions": versions()}))
    with caplog.at_level(logging.WARNING, logger="hyperlax"):
        merge_options(SweepArgs, {"resume_from": str(tmp_path)}, str(tmp_path), SWEEP)
    assert not [r for r in caplog.records if r.name.startswith("hyperlax")]


def test_no_module_imports_a_posix_only_module_so_hyperlax_imports_on_windows():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] in POSIX_ONLY]
    assert not found
