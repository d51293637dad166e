"""The bad-input tables' shared parts: argv prefixes, recipe and spec builders, stored runs, and the check
every case must pass (tests/test_bad_input.py, test_bad_recipe_input.py and the other test_bad_*_input.py)."""

from pathlib import Path

from hyperlax.cli.main import main
from tests.conftest import TINY_PPO

SWEEP = ["sweep-hp-samples", "--algo-and-network-config", TINY_PPO, "--env-config", "gymnax.cartpole",
         "--total-timesteps", "64", "--num-evaluations", "2", "--eval-episodes", "1", "--num-seeds", "1"]  # fmt: skip
SEARCH = ["optuna-hp-search", *SWEEP[1:]]
PPO = "from hyperlax.configs.algo.ppo_mlp import get_base_config as base, get_base_hyperparam_distributions as space\n"
SPACE = "from hyperlax.space import Categorical, LogUniform, Uniform, UniformInt\n"


def recipe(body: str) -> dict:
    """A recipe file built from ppo_mlp's, changed by `body` (which may redefine either function)."""
    return {"recipe.py": PPO + SPACE + body}


def base_change(statement: str) -> dict:
    """ppo_mlp's recipe with one statement applied to its base config `c`."""
    return recipe(f"def get_base_config():\n    c = base()\n    {statement}\n    return c\n"
                  "def get_base_hyperparam_distributions():\n    return space()\n")  # fmt: skip


def space_change(entries: str) -> dict:
    """ppo_mlp's recipe whose search space is ppo_mlp's updated with `entries` (a dict literal's items)."""
    return recipe("def get_base_config():\n    return base()\n"
                  f"def get_base_hyperparam_distributions():\n    return {{**space(), {entries}}}\n")  # fmt: skip


def algorithm_ref(reference: str, text: str | None) -> dict:
    """ppo_mlp's recipe with algorithm.name = `reference`, and `text` as the file it names (None: no file)."""
    files = base_change(f"c['algorithm']['name'] = {reference!r}")
    return files if text is None else {**files, reference.split(":")[0]: text}


def torso_ref(reference: str, text: str | None) -> dict:
    """ppo_mlp's recipe whose policy torso is `reference`, and `text` as the file it names (None: no file)."""
    files = base_change(f"c['algorithm']['network']['actor_network']['pre_torso']['name'] = {reference!r}")
    return files if text is None else {**files, reference.split(":")[0]: text}


PPO_MEMBERS = "from hyperlax.algos.ppo import NAME, SUPPORTS_CONTINUOUS, SUPPORTS_DISCRETE, Config, config_problem\n"
LAZY_FAILURE = "def __getattr__(name):\n    raise RuntimeError('lazy ' + name)\n"
TORSO_WITHOUT_SHAPE = "import flax.linen as nn\nclass Torso(nn.Module):\n    layer_sizes: tuple\n    activation: str\n"


def spec_file(text) -> dict:
    return {"spec.yaml": text}


def space_spec(entry: str) -> dict:
    """A spec whose search_space holds one entry (`{HP}` stands for algorithm.hyperparam)."""
    return spec_file(
        "search_space:\n  " + entry.replace("{HP}", "algorithm.hyperparam").replace("{{", "{").replace("}}", "}") + "\n"
    )


HP = "algorithm.hyperparam"
LAYERS = "algorithm.network.actor_network.pre_torso.layer_sizes"
ACTIVATION = "algorithm.network.actor_network.pre_torso.activation"
STORED_SWEEP = {
    "args": {
        "algo_and_network_config": TINY_PPO,
        "env_config": "gymnax.cartpole",
        "num_samples": 2,
        "seed": 0,
        "output_root": "x",
        "num_seeds": 1,
        "hparam_batch_size": 2,
        "sequential": False,
        "sampling_method": "qmc_sobol",
        "group_by_structural_hparams": False,
        "pruner": "none",
        "total_timesteps": 64,
        "num_evaluations": 2,
        "eval_episodes": 1,
    },
    "recipe": "tiny_ppo",
}
STORED_STUDY = {"args": {**STORED_SWEEP["args"], "study_name": "s", "objective_names": ["final_performance"],
                         "objective_directions": ["maximize"], "n_trials": 2}}  # fmt: skip
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n"

# (kind, argv; {tmp} is the test's directory, files to create there before the call, expected message part)


def materialize(tmp_path: Path, files: dict) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def case_id(case) -> str:
    kind, argv, files, message = case
    return f"{kind}:{message[:40]}"


def assert_refused(argv: list, message: str, tmp_path: Path, capsys) -> None:
    """`argv` run from `tmp_path` prints one line `hyperlax: error: ...` holding `message`, exits with code 2,
    raises nothing, and leaves the directory tree exactly as it was."""
    before = snapshot(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("hyperlax: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before


def check_case(case, tmp_path, capsys, monkeypatch) -> None:
    """Run one table case (kind, argv, files, message) with assert_refused; argv None: a sweep of {tmp}/recipe.py."""
    kind, argv, files, message = case
    materialize(tmp_path, files)
    if argv is None:  # a recipe case: a sweep of that recipe
        argv = ["sweep-hp-samples", "--algo-and-network-config", "{tmp}/recipe.py", "--env-config", "gymnax.pendulum"]
    monkeypatch.chdir(tmp_path)  # the default --output-root, hyperlax_runs, would land here
    assert_refused([a.replace("{tmp}", str(tmp_path)) for a in argv], message, tmp_path, capsys)
