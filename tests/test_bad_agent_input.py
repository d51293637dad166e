"""Bad agent files, table-driven: every case is one `hyperlax evaluate` call that must print one line
`hyperlax: error: ...` naming the problem, exit with code 2, raise nothing and leave the directory tree
exactly as it was (as tests/test_bad_input.py, for the files --save-agents writes)."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from hyperlax.algos.common import config_from_flat
from hyperlax.cli.main import main
from hyperlax.commands.agents import env_record
from hyperlax.envs.registry import make_env
from hyperlax.results.agents import MANIFEST_FILE, PARAMS_FILE, write_agent
from hyperlax.space.recipes import load_recipe
from tests.bad_input import assert_refused
from tests.conftest import TINY_PPO


def make_agent(agent_dir: Path, recipe_ref: str = TINY_PPO, env_config: str = "gymnax.cartpole") -> None:
    """A well-formed one-seed agent of `recipe_ref` on `env_config` with zero parameters (nothing trains)."""
    recipe, spec = load_recipe(recipe_ref), make_env(env_config)
    algorithm, flat = recipe.algorithm, recipe.defaults()
    config = config_from_flat(algorithm.Config, flat)
    state = jax.eval_shape(algorithm.make_train(config, spec, 64, 2, 1).init, config, jax.random.PRNGKey(0))
    template = jax.eval_shape(algorithm.make_policy(config, spec).params_of, state)
    params = jax.tree.map(lambda leaf: np.zeros((1, *leaf.shape), leaf.dtype), template)
    saved = {"params": params, "eval_key": np.zeros((1, 2), np.uint32), "env_steps": np.zeros(1, np.int32)}
    training = {"total_timesteps": 64, "num_evaluations": 2, "eval_episodes": 1, "env_steps": [0]}
    manifest = {"algorithm": recipe.algo_name, "algorithm_name": algorithm.NAME, "recipe": recipe.name,
                "sample_id": 0, "config": flat, "values": {}, "env": env_record(spec), "num_seeds": 1, "seed": 0,
                "training": training}  # fmt: skip
    write_agent(agent_dir, saved, manifest)


def edit_manifest(**changes):
    def edit(agent_dir: Path) -> None:
        manifest = json.loads((agent_dir / MANIFEST_FILE).read_text())
        for key, value in changes.items():
            if value is None:
                manifest.pop(key)
            elif isinstance(value, dict) and isinstance(manifest.get(key), dict):
                manifest[key] = {**manifest[key], **value}
            else:
                manifest[key] = value
        (agent_dir / MANIFEST_FILE).write_text(json.dumps(manifest))

    return edit


def write_file(name: str, data: bytes):
    return lambda agent_dir: (agent_dir / name).write_bytes(data)


def truncate_params(agent_dir: Path) -> None:
    data = (agent_dir / PARAMS_FILE).read_bytes()
    (agent_dir / PARAMS_FILE).write_bytes(data[: len(data) // 2])


def garbage_params(agent_dir: Path) -> None:
    """Bytes that are not msgpack, with the manifest's digest updated to match them."""
    data = b"\xc1\xc1 not msgpack at all"
    (agent_dir / PARAMS_FILE).write_bytes(data)
    edit_manifest(params_sha256=__import__("hashlib").sha256(data).hexdigest())(agent_dir)


def other_algorithm(agent_dir: Path) -> None:
    """A PPO agent's parameters under a DQN manifest (DQN's configuration on the same env)."""
    dqn = load_recipe("dqn_mlp")
    edit_manifest(algorithm="dqn", algorithm_name="dqn", config=dqn.defaults())(agent_dir)


def replace_with_file(agent_dir: Path) -> None:
    for path in agent_dir.iterdir():
        path.unlink()
    agent_dir.rmdir()
    agent_dir.write_text("not a directory\n")


AGENT = ["evaluate", "--agent", "{tmp}/agent", "--episodes", "2"]
# (argv, change to a good agent or None, message)
CASES = [
    (["evaluate", "--agent", "{tmp}/missing"], None, "no such directory"),
    (AGENT, replace_with_file, "is not a directory"),
    (AGENT, lambda d: (d / MANIFEST_FILE).unlink(), "no agent.json there"),
    (AGENT, write_file(MANIFEST_FILE, b"\x00\xff{garbage"), "is not readable JSON"),
    (AGENT, write_file(MANIFEST_FILE, b'{"format": "something else"}'), "is not a hyperlax agent manifest"),
    (AGENT, edit_manifest(format_version=99), "agent format version 99"),
    (AGENT, truncate_params, "does not match its digest"),
    (AGENT, lambda d: (d / PARAMS_FILE).unlink(), "cannot read params.msgpack"),
    (AGENT, garbage_params, "does not decode"),
    (AGENT, other_algorithm, "does not fit dqn's networks"),
    (AGENT, edit_manifest(algorithm="no_such_algo"), "unknown algorithm 'no_such_algo'"),
    (AGENT, edit_manifest(algorithm_name="sac"), "is ppo, not sac"),
    (AGENT, edit_manifest(config=None), "agent.json lacks or mangles"),
    (AGENT, edit_manifest(env={"obs_shape": [5]}), "has other spaces than the agent was trained in"),
    (AGENT, edit_manifest(env={"params_digest": "0" * 64}), "parameters differ from those it was trained with"),
    (AGENT, edit_manifest(env={"name": "gymnax.nowhere"}), "unknown env config 'gymnax.nowhere'"),
    ([*AGENT, "--env-config", "gymnax.pendulum"], None, "--env-config gymnax.pendulum has other spaces"),
    ([*AGENT, "--seed-index", "3"], None, "the agent has 1 seeds"),
    ([*AGENT, "--render", "{tmp}/no/such/dir/x.gif"], None, "give a file to write in an existing directory"),
    (["evaluate", "--agent", "{tmp}/agent", "--episodes", "0"], None, "must be a positive integer"),
    (["evaluate"], None, "the following arguments are required: --agent"),
    # the flags around agents of the other commands
    (["train", "--from-study", "{tmp}/nowhere"], None, "--from-study {tmp}/nowhere: no such directory"),
    (["train", "--from-study", "{tmp}/agent"], None, "no study.json there"),
    (["train", "--num-samples", "2"], None, "--num-samples: must be at most 1"),
    (["optuna-hp-search", "--save-agents", "every"], None, "invalid choice: 'every'"),
    (["sweep-hp-samples", "--save-agents", "some"], None, "invalid choice: 'some'"),
    (["validate-best", "--study-dir", "{tmp}", "--save-agents", "x"], None, "invalid choice: 'x'"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c[2][:40]}" for i, c in enumerate(CASES)])
def test_a_bad_agent_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    argv, change, message = case
    make_agent(tmp_path / "agent")
    if change is not None:
        change(tmp_path / "agent")
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert_refused(argv, message.replace("{tmp}", str(tmp_path)), tmp_path, capsys)


def test_a_good_agent_of_the_table_evaluates(tmp_path, capsys):
    """The table's cases fail for their change alone: the unchanged agent evaluates."""
    make_agent(tmp_path / "agent")
    assert main(["evaluate", "--agent", str(tmp_path / "agent"), "--episodes", "2"]) == 0
    assert "return IQM" in capsys.readouterr().out
