"""Bad input, table-driven: every case is one CLI call that must print one line `hyperlax: error: ...`
naming the problem, exit with code 2, raise nothing and leave the directory tree exactly as it was."""

import json
from pathlib import Path

import pytest

from hyperlax.cli.main import main
from hyperlax.commands.rundir import exclusive
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
CASES = [
    # ---- flags of sweep-hp-samples ----
    ("flag", [*SWEEP, "--seed", "-1"], {}, "must be a non-negative integer, got -1"),
    ("flag", [*SWEEP, "--seed", "100000000000000000000000"], {}, "must be at most 4,294,967,295"),
    ("flag", [*SWEEP, "--seed", "1e23"], {}, "expected an integer from 0 to 4294967295, got '1e23'"),
    ("flag", [*SWEEP, "--seed", "abc"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--seed", ""], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-samples", "0"], {}, "must be a positive integer, got 0"),
    ("flag", [*SWEEP, "--num-samples", "-5"], {}, "must be a positive integer, got -5"),
    ("flag", [*SWEEP, "--num-samples", "100000000"], {}, "must be at most 1,000,000"),
    ("flag", [*SWEEP, "--num-samples", "1.5"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-samples"], {}, "expected one argument"),
    ("flag", [*SWEEP, "--hparam-batch-size", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--hparam-batch-size", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SWEEP, "--total-timesteps", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--total-timesteps", str(10**20)], {}, "must be at most 1,000,000,000"),
    ("flag", [*SWEEP, "--total-timesteps", "1e5"], {}, "expected an integer"),
    ("flag", [*SWEEP, "--num-seeds", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--num-seeds", "100000"], {}, "must be at most 1,024"),
    ("flag", [*SWEEP, "--num-evaluations", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--num-evaluations", "1000000"], {}, "must be at most 10,000"),
    ("flag", [*SWEEP, "--eval-episodes", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--eval-episodes", "10000000"], {}, "must be at most 100,000"),
    ("flag", [*SWEEP, "--eval-episodes", "100000", "--num-seeds", "1024"], {}, "a batch needs about"),
    ("flag", [*SWEEP, "--sampling-method", "grid"], {}, "unknown sampling method 'grid'"),
    ("flag", [*SWEEP, "--sampling-method", ""], {}, "unknown sampling method ''"),
    ("flag", [*SWEEP, "--sequential", "maybe"], {}, "expected True or False, got 'maybe'"),
    ("flag", [*SWEEP, "--group-by-structural-hparams", "2"], {}, "expected True or False"),
    ("flag", [*SWEEP, "--program-width", "0"], {}, "must be a positive integer"),
    ("flag", [*SWEEP, "--program-width", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SWEEP, "--pruner", "nope"], {}, "unknown pruner 'nope'"),
    ("flag", [*SWEEP, "--pruner", "median", "--pruner-startup-trials", "-1"], {}, "must be a non-negative integer"),
    ("flag", [*SWEEP, "--pruner", "halving", "--pruner-warmup-evaluations", "5"], {}, "leaves nothing to prune"),
    ("flag", [*SWEEP, "--pruner", "halving", "--pruner-warmup-evaluations", "0"], {}, "needs at least 1"),
    ("flag", [*SWEEP, "--pruner", "halving", "--halving-reduction-factor", "1"], {}, "must be at least 2"),
    (
        "flag",
        [*SWEEP, "--pruner", "median", "--halving-reduction-factor", "3"],
        {},
        "with --pruner halving or hyperband",
    ),
    ("flag", [*SWEEP, "--log-level", "LOUD"], {}, "invalid choice: 'LOUD'"),
    ("flag", [*SWEEP, "--nope"], {}, "unrecognized arguments: --nope"),
    ("flag", ["sweep-hp-samples", "--env-config", "gymnax.nope"], {}, "unknown env config 'gymnax.nope'"),
    ("flag", ["sweep-hp-samples", "--env-config", ""], {}, "unknown env config ''"),
    ("flag", ["sweep-hp-samples", "--algo-and-network-config", ""], {}, "no recipe given"),
    ("flag", ["sweep-hp-samples", "--algo-and-network-config", "ppo_nope"], {}, "unknown recipe 'ppo_nope'"),
    ("flag", ["nope-command"], {}, "invalid choice: 'nope-command'"),
    ("flag", [], {}, "the following arguments are required: command"),
    # ---- YAML search spaces, presets ----
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.nope: {{uniform: [0, 1]}}"),
        "unknown hyperparameter key 'algorithm.hyperparam.nope'",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.actor_lr: {{log_uniform: [0, 1]}}"),
        "'algorithm.hyperparam.actor_lr': LogUniform needs a positive lower bound",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{uniform: [0.99, 0.9]}}"),
        "'algorithm.hyperparam.gamma': domain must be (low, high) with low <= high",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{normal: [0, 1]}}"),
        "search_space: algorithm.hyperparam.gamma: expected one of log_uniform",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.epochs: {{int_log: [0, 4]}}"),
        "'algorithm.hyperparam.epochs': IntLog needs a lower bound of at least 1",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.rollout_length: {{power_of_two: [5, 99]}}"),
        "power_of_two needs exponents from 0 to 30",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.epochs: {{int: [0, 4]}}"),
        "a value of algorithm.hyperparam.epochs's distribution",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        space_spec("{HP}.gamma: {{categorical: []}}"),
        "categorical needs a non-empty list",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file("search_space_mode: merge\n"),
        "search_space_mode: expected replace or update, got 'merge'",
    ),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("search_space: [1]\n"), "search_space must map"),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.nope: 1}}\n"),
        "fixed: unknown hyperparameter key 'algorithm.hyperparam.nope'",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.epochs: -1}}\n"),
        "algorithm.hyperparam.epochs:",
    ),
    (
        "spec",
        [*SWEEP, "--spec", "{tmp}/spec.yaml"],
        spec_file(f"fixed: {{{HP}.gamma: 0.9}}\nsearch_space: {{{HP}.gamma: {{uniform: [0.9, 0.99]}}}}\n"),
        "search_space and fixed both name algorithm.hyperparam.gamma",
    ),
    ("spec", [*SWEEP, "--search-space", "{{"], {}, "--search-space is not JSON"),
    ("spec", [*SWEEP, "--preset", "huge"], {}, "unknown preset 'huge'; valid: quick, standard, thorough"),
    ("spec", [*SWEEP, "--spec", "{tmp}/spec.yaml"], spec_file("preset: huge\n"), "unknown preset 'huge'"),
    # ---- flags of optuna-hp-search ----
    ("flag", [*SEARCH, "--objective-names", ","], {}, "--objective-names gives no objective"),
    ("flag", [*SEARCH, "--timeout", "0"], {}, "must be a positive integer, got 0"),
    ("flag", [*SEARCH, "--narrow", "0"], {}, "must be a number from 0.001 to 1.0, got 0.0"),
    ("flag", [*SEARCH, "--warm-start-top-k", "0"], {}, "must be a positive integer, got 0"),
    ("path", [*SEARCH, "--warm-start-from", "{tmp}/none"], {}, "no study.json there"),
    ("flag", [*SEARCH, "--sampler-startup-trials", "-1"], {}, "must be a non-negative integer, got -1"),
    ("flag", [*SEARCH, "--constraint", "param_count<20000"], {}, "expected METRIC<=VALUE or METRIC>=VALUE"),
    ("flag", [*SEARCH, "--patience", "0"], {}, "must be a positive integer, got 0"),
    (
        "flag",
        [*SEARCH, "--patience", "3", "--objective-names", "final_performance", "param_count"],
        {},
        "--patience stops when one objective's best stops improving; 2 objectives",
    ),
    ("flag", [*SEARCH, "--constraint", "params<=20000"], {}, "unknown metric 'params'"),
    ("flag", [*SEARCH, "--constraint", "param_count<=lots"], {}, "the bound 'lots' is not a finite number"),
    ("flag", [*SEARCH, "--constraint", "wall_seconds>=nan"], {}, "the bound 'nan' is not a finite number"),
    ("flag", [*SEARCH, "--constraint", "param_count<=9", "--sampler", "random"], {}, "cannot avoid infeasible"),
    ("flag", [*SEARCH, "--nsga-population", "1"], {}, "must be at least 2, got 1"),
    ("flag", [*SEARCH, "--objective-names", "nope"], {}, "unknown objective 'nope'"),
    ("flag", [*SEARCH, "--objective-names", "final_performance", "final_performance"], {}, "lists an objective twice"),
    ("flag", [*SEARCH, "--objective-directions", "up"], {}, "unknown objective direction 'up'"),
    ("flag", [*SEARCH, "--objective-directions", "maximize", "maximize"], {}, "2 given for 1 objectives"),
    ("flag", [*SEARCH, "--sampler", "nope"], {}, "unknown sampler 'nope'"),
    ("flag", [*SEARCH, "--sampler", "{tmp}/missing.py:Mine"], {}, "does not exist"),
    ("flag", [*SEARCH, "--sampler", "no_such_module_here:Mine"], {}, "no module no_such_module_here"),
    ("flag", [*SEARCH, "--sampler", "os.path:join"], {}, "not a subclass of optuna.samplers.BaseSampler"),
    ("flag", [*SEARCH, "--sampler", "{tmp}/bad.py:Mine"], {"bad.py": "raise ValueError('no')"}, "raised ValueError"),
    ("flag", [*SEARCH, "--sampler", "optunahub:samplers/auto_sampler:AutoSampler"], {}, "pip install optunahub"),
    (
        "flag",
        [*SEARCH, "--sampler", "cmaes", "--objective-names", "final_performance", "stability_score"],
        {},
        "optimises one objective",
    ),
    (
        "flag",
        [*SEARCH, "--pruner", "median", "--objective-names", "final_performance", "peak_performance"],
        {},
        "prunes single-objective studies only",
    ),
    ("flag", [*SEARCH, "--pruner", "halving", "--objective-names", "stability_score"], {}, "do not forecast"),
    ("flag", [*SEARCH, "--n-trials", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--n-trials", "10000000"], {}, "must be at most 1,000,000"),
    ("flag", [*SEARCH, "--optuna-study-batch-size", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--runner-hparam-batch-size", "1000000"], {}, "must be at most 65,536"),
    ("flag", [*SEARCH, "--heartbeat-interval", "0"], {}, "must be a positive integer"),
    ("flag", [*SEARCH, "--heartbeat-interval", "100000"], {}, "must be at most 3,600"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", ""], {}, "--mlflow-tracking-uri '': expected a URI of file:"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", "ftp://x/m"], {}, "--mlflow-tracking-uri 'ftp://x/m': expected"),
    ("flag", [*SEARCH, "--mlflow-tracking-uri", "mlruns"], {}, "(e.g. file:/tmp/mlruns or sqlite:///mlflow.db)"),
    ("flag", ["study-best", "--study-dir", "{tmp}", "--format", "xml"], {}, "invalid choice: 'xml'"),
    ("flag", ["validate-best", "--study-dir", "{tmp}", "--num-seeds", "0"], {}, "must be a positive integer"),
    ("flag", ["validate-best"], {}, "the following arguments are required: --study-dir"),
    ("flag", ["study-export", "--study-dir", "{tmp}", "--format", "xml"], {}, "invalid choice: 'xml'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--exploit", "nope"], {}, "unknown --exploit 'nope'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--explore", "nope"], {}, "unknown --explore 'nope'"),
    ("flag", ["pbt-search", *SWEEP[1:], "--truncation-fraction", "0.9"], {}, "must be a number from 0.01 to 0.5"),
    ("flag", ["pbt-search", *SWEEP[1:], "--resample-probability", "nan"], {}, "must be a number from 0.0 to 1.0"),
    ("flag", ["pbt-search", *SWEEP[1:], "--population-size", "1"], {}, "must be at least 2"),
    ("flag", ["pbt-search", *SWEEP[1:], "--ready-interval", "2"], {}, "leaves no exploit step"),
    ("flag", ["pbt-search", *SWEEP[1:], "--pruner", "halving"], {}, "pbt-search does not prune"),
    ("path", ["pbt-search", *SWEEP[1:], "--resume-from", "{tmp}"], {}, "no pbt.json there"),
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


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    kind, argv, files, message = case
    materialize(tmp_path, files)
    if argv is None:  # a recipe case: a sweep of that recipe
        argv = ["sweep-hp-samples", "--algo-and-network-config", "{tmp}/recipe.py", "--env-config", "gymnax.pendulum"]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    monkeypatch.chdir(tmp_path)  # the default --output-root, hyperlax_runs, would land here
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


def test_the_table_covers_every_kind_with_at_least_100_cases():
    kinds = {}
    for kind, *_ in CASES:
        kinds[kind] = kinds.get(kind, 0) + 1
    assert len(CASES) >= 100 and set(kinds) == {"flag", "recipe", "spec", "path", "storage", "resume"}, kinds


def test_a_second_writer_of_a_run_directory_is_refused_naming_the_first(tmp_path, capsys):
    out = tmp_path / "out"
    run_dir = out / "tiny_ppo" / "gymnax_cartpole"
    with exclusive(run_dir):  # a sweep holding the directory
        before = snapshot(tmp_path)
        code = main([*SWEEP, "--output-root", str(out)])
        assert snapshot(tmp_path) == before
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"is being written by another hyperlax run (pid {__import__('os').getpid()})" in err
