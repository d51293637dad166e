"""Bad input, table-driven (continued from test_bad_input.py): recipes, a user's algorithm or torso, YAML
specs, paths and storage, corrupt resume state. Each case: one line, exit code 2, nothing changed on disk."""

import json

import pytest

from tests.bad_input import (
    ACTIVATION,
    ALIAS_BOMB,
    HP,
    LAYERS,
    LAZY_FAILURE,
    PPO_MEMBERS,
    SEARCH,
    STORED_STUDY,
    STORED_SWEEP,
    SWEEP,
    TORSO_WITHOUT_SHAPE,
    algorithm_ref,
    base_change,
    case_id,
    check_case,
    recipe,
    space_change,
    spec_file,
    torso_ref,
)
from tests.test_bad_input import CASES as FLAG_CASES

CASES = [
    # ---- recipes ----
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.txt"],
        {"recipe.txt": "x = 1\n"},
        "is not a .py file",
    ),
    ("recipe", [*SWEEP[:1], "--algo-and-network-config", "{tmp}/missing.py"], {}, "does not exist"),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "import sys\nsys.exit(3)\n"},
        "raised sys.exit(3)",
    ),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "raise ValueError('first line\\nsecond line\\nthird line')\n"},
        "raised ValueError: first line;",
    ),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "def broken(:\n"},
        "raised SyntaxError",
    ),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "x = undefined_name\n"},
        "raised NameError",
    ),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "x = 1\n"},
        "has no function get_base_config()",
    ),
    (
        "recipe",
        [*SWEEP[:1], "--algo-and-network-config", "{tmp}/recipe.py"],
        {"recipe.py": "get_base_config = 1\ndef get_base_hyperparam_distributions():\n    return {}\n"},
        "has no function get_base_config()",
    ),
    (
        "recipe",
        None,
        recipe(
            "def get_base_config():\n    import sys\n    sys.exit(3)\n"
            "def get_base_hyperparam_distributions():\n    return {}\n"
        ),
        "raised sys.exit(3)",
    ),
    (
        "recipe",
        None,
        recipe("def get_base_config():\n    return None\ndef get_base_hyperparam_distributions():\n    return {}\n"),
        "must return a dict",
    ),
    ("recipe", None, base_change("c['algorithm'] = [1, 2]"), "must return a dict whose algorithm.name"),
    ("recipe", None, base_change("c['algorithm']['name'] = 'a2c'"), "unknown algorithm 'a2c'; valid: ppo, sac, dqn"),
    (
        "recipe",
        None,
        recipe(
            "def get_base_config():\n    return base()\ndef get_base_hyperparam_distributions():\n    return None\n"
        ),
        "returned NoneType",
    ),
    (
        "recipe",
        None,
        recipe("def get_base_config():\n    return base()\ndef get_base_hyperparam_distributions():\n    return [1]\n"),
        "returned list",
    ),
    ("recipe", None, space_change(f"'{HP}.gamma': Uniform(domain=None)"), "two finite numbers; got None"),
    ("recipe", None, space_change(f"'{HP}.gamma': Uniform(domain=(1,))"), "two finite numbers"),
    ("recipe", None, space_change(f"'{HP}.gamma': Uniform(domain=(0.9, float('nan')))"), "two finite numbers"),
    ("recipe", None, space_change(f"'{HP}.gamma': Uniform(domain=(0.99, 0.9))"), "low <= high"),
    ("recipe", None, space_change(f"'{HP}.gamma': Uniform(domain=('a', 'b'))"), "two finite numbers"),
    ("recipe", None, space_change(f"'{HP}.actor_lr': LogUniform(domain=(0, 1e-3))"), "positive lower bound"),
    ("recipe", None, space_change(f"'{HP}.num_envs': UniformInt(domain=(1.5, 4))"), "integer bounds"),
    ("recipe", None, space_change(f"'{HP}.num_envs': UniformInt(domain=(0, 4))"), "expected an integer from 1"),
    ("recipe", None, space_change(f"'{HP}.num_envs': Uniform(domain=(1, 4))"), "is structural; search it with"),
    ("recipe", None, space_change(f"'{HP}.gamma': Categorical(values=[])"), "needs a non-empty list"),
    ("recipe", None, space_change(f"'{HP}.gamma': Categorical(values=None)"), "needs a non-empty list"),
    ("recipe", None, space_change(f"'{HP}.gamma': None"), "is NoneType; use Uniform"),
    ("recipe", None, space_change(f"'{HP}.gamma': [0.9, 0.99]"), "is list; use Uniform"),
    ("recipe", None, space_change(f"'{HP}.nope': Uniform(domain=(0, 1))"), "unknown hyperparameter key"),
    (
        "recipe",
        None,
        space_change(f"'{LAYERS}': Categorical(values=[[64], [-5, 0]])"),
        "expected a list of layer widths",
    ),
    ("recipe", None, space_change(f"'{ACTIVATION}': Categorical(values=['tanh', 'swish'])"), "got 'swish'"),
    ("recipe", None, space_change(f"'{HP}.num_minibatches': Categorical(values=[4, 100000])"), "exceeds the 256"),
    ("recipe", None, base_change("del c['algorithm']['hyperparam']['gamma']"), "has no algorithm.hyperparam.gamma"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['num_envs'] = 0"), "expected an integer from 1"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['num_envs'] = 'eight'"), "got 'eight'"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['num_envs'] = True"), "got True"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['gamma'] = 'high'"), "expected a finite number"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['gamma'] = float('inf')"), "expected a finite number"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['anneal_lr'] = 'yes'"), "expected true or false"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['use_sde'] = 'yes'"), "expected true or false"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['sde_sample_freq'] = -1"), "an integer from 0"),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['log_std_init'] = float('nan')"), "a finite number"),
    (
        "recipe",
        None,
        base_change("c['algorithm']['network']['actor_network']['pre_torso']['layer_sizes'] = [-5, 0]"),
        "expected a list of layer widths",
    ),
    (
        "recipe",
        None,
        base_change("c['algorithm']['network']['actor_network']['pre_torso']['layer_sizes'] = '64'"),
        "expected a list of layer widths",
    ),
    (
        "recipe",
        None,
        base_change("c['algorithm']['network']['actor_network']['pre_torso']['activation'] = 'swish'"),
        "got 'swish'",
    ),
    ("recipe", None, base_change("c['algorithm']['hyperparam']['num_minibatches'] = 10**6"), "exceeds the"),
    # ---- a user's algorithm or torso by reference (relative paths start at the working directory, {tmp}) ----
    ("recipe", None, algorithm_ref("algo.py", PPO_MEMBERS + "make_train = None\n"), "'algo.py' lacks make_train;"),
    ("recipe", None, algorithm_ref("algo.py:Algo", "class Algo:\n    NAME = 'algo'\n"), "lacks Config, make_train"),
    ("recipe", None, algorithm_ref("algo.py:Algo", "x = 1\n"), "algo.py has no attribute 'Algo'"),
    ("recipe", None, algorithm_ref("algo.py:x", "x = 1\n"), "'algo.py:x' lacks NAME, Config, make_train"),
    ("recipe", None, algorithm_ref("algo.py:Algo", "raise RuntimeError('boom')\n"), "raised RuntimeError: boom"),
    ("recipe", None, algorithm_ref("algo.py:Algo", LAZY_FAILURE), "getting Algo from algo.py raised RuntimeError"),
    ("recipe", None, algorithm_ref("none.py:Algo", None), "file 'none.py' does not exist"),
    ("recipe", None, algorithm_ref("no_such_pkg.algo:Algo", None), "cannot import no_such_pkg.algo"),
    ("recipe", None, torso_ref("net.py:Torso", "Torso = 3\n"), "'net.py:Torso' is not a flax.linen.Module class"),
    ("recipe", None, torso_ref("net.py:Torso", TORSO_WITHOUT_SHAPE), "lacks the fields obs_shape"),
    ("recipe", None, torso_ref("net.py:Torso", "import nope_nope\n"), "raised ModuleNotFoundError"),
    ("recipe", None, torso_ref("net.py", "x = 1\n"), "'net.py' is not a flax.linen.Module class"),
    ("recipe", None, torso_ref("cnn", None), "the cnn torso needs image observations"),
    ("recipe", None, base_change("c['training'] = [1]"), "training must be a mapping"),
    ("recipe", None, base_change("c['training']['total_timesteps'] = 'x'"), "training.total_timesteps"),
    ("recipe", None, base_change("c['training']['eval_episodes'] = 10**9"), "training.eval_episodes"),
    # ---- YAML specs ----
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file(b"\x00\xff\xfe binary \x89PNG\r\n"), "is not UTF-8"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file(ALIAS_BOMB), "uses YAML anchors or aliases"),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file("num_samples: 2\n" + "#" * (2 << 20)),
        "a spec is a small YAML file",
    ),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("- a\n- b\n"), "expected a mapping"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("nope: 1\n"), "unknown key 'nope'"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("num_samples: [1, 2]\n"), "takes one value, got a list"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("num_samples: {a: 1}\n"), "needs a value"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("num_samples:\n"), "needs a value"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("num_samples: -3\n"), "must be a positive integer"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("no_compile_cache: maybe\n"), "must be true or false"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("a: [1, 2\n"), "not valid YAML at line"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("a: !!python/object:os.system ls\n"), "not valid YAML"),
    ("spec", [*SWEEP, "--spec", "{tmp}/missing.yaml"], {}, "cannot read it"),
    ("spec", [*SWEEP, "--spec", "{tmp}"], {}, "is a directory"),
    # ---- paths and storage ----
    ("path", [*SWEEP, "--output-root", ""], {}, "--output-root is empty"),
    ("path", [*SWEEP, "--output-root", "{tmp}/file"], {"file": "x"}, "is a file"),
    ("path", [*SWEEP, "--output-root", "{tmp}/file/below"], {"file": "x"}, "cannot be created"),
    ("path", [*SWEEP, "--resume-from", "{tmp}/missing"], {}, "no sweep.json there"),
    ("path", [*SWEEP, "--resume-from", "{tmp}/file"], {"file": "x"}, "no sweep.json there"),
    ("path", ["study-export", "--study-dir", "{tmp}/missing"], {}, "no study.json there"),
    ("path", ["study-status", "--study-dir", "{tmp}"], {}, "no study.json there"),
    ("path", ["study-best", "--study-dir", "{tmp}/file"], {"file": "x"}, "no study.json there"),
    ("path", ["study-export", "--study-dir", "{tmp}", "--output", "{tmp}"], {}, "is not a file name"),
    ("path", ["study-export", "--study-dir", "{tmp}", "--output", "{tmp}/no/such/out.csv"], {}, "does not exist"),
    ("storage", [*SEARCH, "--storage", "nope"], {}, "is not a database URL"),
    ("storage", [*SEARCH, "--storage", "postgresql://u:p@localhost:abc/db"], {}, "its port is not a number"),
    ("storage", [*SEARCH, "--storage", "foo://x"], {}, "unknown database 'foo'"),
    ("storage", [*SEARCH, "--storage", "sqlite:///{tmp}/no/such/dir/s.db"], {}, "does not exist"),
    ("storage", [*SEARCH, "--storage", "sqlite:///{tmp}/empty.db"], {"empty.db": ""}, "is empty"),
    ("storage", [*SEARCH, "--storage", "sqlite:///{tmp}/junk.db"], {"junk.db": "not a database"}, "not an SQLite"),
    ("storage", [*SEARCH, "--storage", "sqlite:///{tmp}"], {}, "is a directory"),
    ("storage", [*SEARCH, "--storage", "journal:"], {}, "names no file"),
    ("storage", ["study-list", "--storage", "sqlite:///{tmp}/missing.db"], {}, "holds no study"),
    ("storage", ["study-list", "--storage", "journal:{tmp}/missing.log"], {}, "holds no study"),
    ("storage", [*SEARCH, "--storage", "journal:{tmp}/no/such/dir/s.log"], {}, "does not exist"),
    ("storage", [*SEARCH, "--storage", "journal:{tmp}"], {}, "is a directory, not a journal"),
    ("storage", [*SEARCH, "--storage", "journal:{tmp}/junk.log"], {"junk.log": "x"}, "not an Optuna journal"),
    ("storage", [*SEARCH, "--storage", "grpc://localhost"], {}, "expected grpc://HOST:PORT"),
    ("storage", [*SEARCH, "--storage", "grpc://localhost:abc"], {}, "expected grpc://HOST:PORT"),
    ("storage", [*SEARCH, "--storage", "grpc://:13000"], {}, "expected grpc://HOST:PORT"),
    ("storage", [*SEARCH, "--storage", "grpc://localhost:13000/db"], {}, "expected grpc://HOST:PORT"),
    # ---- corrupt resume state ----
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": '{"args": {"num_sam'},
        "is not readable JSON",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": b"\xff\xfe\x00"},
        "is not readable JSON",
    ),
    ("resume", ["sweep-hp-samples", "--resume-from", "{tmp}/s"], {"s/sweep.json": ""}, "is not readable JSON"),
    ("resume", ["sweep-hp-samples", "--resume-from", "{tmp}/s"], {"s/sweep.json": "[1, 2]"}, "holds no 'args' mapping"),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": '{"recipe": "x"}'},
        "holds no 'args' mapping",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps({"args": {**STORED_SWEEP["args"], "num_samples": "x"}})},
        "expected an integer",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps({"args": {**STORED_SWEEP["args"], "seed": -5}})},
        "--seed must be a non-negative",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps({"args": {**STORED_SWEEP["args"], "num_seeds": [2]}})},
        "expected an integer",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps({"args": {**STORED_SWEEP["args"], "env_config": "gymnax.nope"}})},
        "unknown env config",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s", "--num-samples", "3"],
        {"s/sweep.json": json.dumps(STORED_SWEEP)},
        "--num-samples 3 differs from 2",
    ),
    ("resume", ["optuna-hp-search", "--resume-from", "{tmp}/s"], {"s/study.json": '{"args": '}, "is not readable JSON"),
    (
        "resume",
        ["optuna-hp-search", "--resume-from", "{tmp}/s"],
        {"s/study.json": '{"args": []}'},
        "holds no 'args' mapping",
    ),
    (
        "resume",
        ["optuna-hp-search", "--resume-from", "{tmp}/s"],
        {"s/study.json": json.dumps({"args": {**STORED_SWEEP["args"], "study_name": "s"}})},
        "lacks objective_names",
    ),
    (
        "resume",
        ["optuna-hp-search", "--resume-from", "{tmp}/s"],
        {"s/study.json": json.dumps(STORED_STUDY)},
        "no optuna_study.db there",
    ),
    (
        "resume",
        ["optuna-hp-search", "--resume-from", "{tmp}/s"],
        {"s/study.json": json.dumps(STORED_STUDY), "s/optuna_study.db": ""},
        "is empty",
    ),
    (
        "resume",
        ["optuna-hp-search", "--resume-from", "{tmp}/s"],
        {
            "s/study.json": json.dumps(STORED_STUDY),
            "s/optuna_study.db": "junk",
        },
        "not an SQLite database",
    ),
    ("resume", ["study-status", "--study-dir", "{tmp}/s"], {"s/study.json": '{"args": {"x": 1}}'}, "names no study"),
    (
        "resume",
        ["study-best", "--study-dir", "{tmp}/s"],
        {"s/study.json": json.dumps({"args": {"study_name": "s"}}), "s/optuna_study.db": ""},
        "is empty",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    check_case(case, tmp_path, capsys, monkeypatch)


def test_the_table_covers_every_kind_with_at_least_100_cases():
    kinds = {}
    for kind, *_ in [*FLAG_CASES, *CASES]:
        kinds[kind] = kinds.get(kind, 0) + 1
    assert len(FLAG_CASES) + len(CASES) >= 100 and set(kinds) == {
        "flag",
        "recipe",
        "spec",
        "path",
        "storage",
        "resume",
    }, kinds
