"""The zoo: entries read and checked, found by pair (env aliases too) or file, `hyperlax zoo` in its three
formats, `train --zoo` parsed as `--spec` of the entry's spec, and a real tiny study's entry trained again
bitwise (the entry's per-seed returns)."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import hyperlax
from hyperlax.api._options import command_args
from hyperlax.cli.main import build_parser
from hyperlax.cli.specs import expand_spec
from hyperlax.zoo import ZOO_DIR_ENV, entry_path, find_entry, list_entries, load_entry, reproduction_line
from tests.conftest import TINY_PPO
from tests.test_search import run_cli

PAIR = "ppo:gymnax:CartPole-v1"
SPEC = {"algo_and_network_config": TINY_PPO, "env_config": "gymnax:CartPole-v1", "total_timesteps": 64,
        "num_evaluations": 2, "eval_episodes": 1, "num_seeds": 2, "seed_aggregate": "mean", "seed": 1000,
        "num_samples": 1, "search_space_mode": "replace", "search_space": {},
        "fixed": {"algorithm.hyperparam.actor_lr": 0.003}}  # fmt: skip


def zoo_entry(spec: dict = SPEC, per_seed: list = (20.0, 30.0)) -> dict:
    """A well-formed entry whose spec is `spec` and whose tuned runs returned `per_seed`."""

    def result(**changes) -> dict:  # a fresh mapping each time: YAML would write a shared one as an alias
        return {"iqm": 25.0, "low": 20.0, "high": 30.0, "per_seed": list(per_seed), **changes}

    validation = {"seed": spec["seed"], "num_seeds": spec["num_seeds"], "total_timesteps": spec["total_timesteps"],
                  "tuned": result(), "recipe_default": result(recipe="tiny_ppo", iqm=21.5),
                  "generic_default": result(recipe="ppo_sb3", iqm=12.25, low=None, high=None),
                  "improvement_over_recipe_default": {"estimate": 0.62, "low": 0.41, "high": 0.83},
                  "improvement_over_generic_default": {"estimate": 0.93, "low": 0.81, "high": 1.0},
                  "wall_seconds": 3.5}  # fmt: skip
    return {
        "pair": f"ppo:{spec['env_config']}",
        "algo": "ppo",
        "env": spec["env_config"],
        "date": "2026-11-30",
        "command": f"python benchmarks/zoo.py --pairs ppo:{spec['env_config']}",
        "machine": "x86_64, 2 CPU cores, cpu backend, jax 0.10.2",
        "study": {
            "recipe": "tiny_ppo",
            "sampler": "tpe",
            "n_trials": 2,
            "num_seeds": 2,
            "total_timesteps": 64,
            "env_steps": 256,
            "wall_seconds": 4.5,
            "args": ["--n-trials", "2"],
        },
        "validation": validation,
        "reference": {
            "source": "rl-baselines3-zoo benchmark.md",
            "value": 500.0,
            "text": "500.0 ± 0.0",
            "budget": "100k steps",
            "seeds": "one run, many eval episodes",
        },
        "return_range": [0.0, 500.0],
        "verdict": "beats the generic default (P 0.93 [0.81, 1.00])",
        "spec": copy.deepcopy(spec),
    }


def write_entry(path: Path, entry: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(entry, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture
def zoo(tmp_path, monkeypatch) -> Path:
    """A zoo directory of one entry (PAIR), read instead of the shipped one."""
    directory = tmp_path / "zoo"
    write_entry(directory / entry_path(PAIR), zoo_entry())
    monkeypatch.setenv(ZOO_DIR_ENV, str(directory))
    return directory


def test_an_entry_is_found_by_its_pair_an_env_alias_or_its_file(zoo):
    [listed] = list_entries()
    assert listed.path == zoo / "ppo" / "gymnax_CartPole-v1.yaml" and listed.data == zoo_entry()
    assert find_entry(PAIR) == find_entry("ppo:gymnax.cartpole") == find_entry(str(listed.path)) == listed
    assert hyperlax.zoo_entries() == [zoo_entry()]


def test_an_unquoted_date_reads_as_the_same_text(tmp_path):
    path = write_entry(tmp_path / "entry.yaml", zoo_entry())
    path.write_text(path.read_text().replace("date: '2026-11-30'", "date: 2026-11-30"))
    assert "date: 2026-11-30\n" in path.read_text()
    assert load_entry(path).data["date"] == "2026-11-30"


def plain(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_zoo_prints_every_entry_as_markdown_json_and_a_table(zoo, capsys, monkeypatch):
    code, out, err = run_cli(["zoo", "--format", "markdown"], capsys)
    assert code == 0, err
    header, rule, row = out.strip().splitlines()
    assert header.startswith("| pair | budget (env steps) | tuned IQM [95% CI] |") and rule.count("---") == 10
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[:7] == [PAIR, "64 x 2 seeds", "25 [20, 30]", "21.5 [20, 30] (tiny_ppo)", "12.25 (ppo_sb3)",
                         "0.93 [0.81, 1.00]", "0.62 [0.41, 0.83]"]  # fmt: skip
    assert cells[7].startswith("500.0 ± 0.0 (rl-baselines3-zoo benchmark.md; 100k steps")
    assert cells[8].startswith("2 trials x 2 seeds x 64 steps (256 env steps, 4 s, tpe, from tiny_ppo)")
    code, out, err = run_cli(["zoo", "--format", "json"], capsys)
    assert code == 0 and json.loads(out) == [zoo_entry()], err
    for columns in ("80", "400"):  # a table per entry on a narrow terminal, one for all on a wide one
        monkeypatch.setenv("COLUMNS", columns)
        code, out, err = run_cli(["zoo"], capsys)
        assert code == 0 and PAIR in out and "beats the generic default" in plain(out), err
        assert ("steps x seeds" in out) == (columns == "400")


def test_an_empty_zoo_says_so_in_one_line_and_exits_0(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ZOO_DIR_ENV, str(tmp_path))
    for form in ("table", "markdown"):
        code, out, err = run_cli(["zoo", "--format", form], capsys)
        assert (code, out) == (0, f"the zoo holds no entries yet ({tmp_path} has none)\n"), err
    assert run_cli(["zoo", "--format", "json"], capsys)[:2] == (0, "[]\n")


def test_train_zoo_parses_as_the_entrys_spec_and_the_command_line_overrides_it(zoo):
    parser = build_parser()
    namespace = parser.parse_args(expand_spec(parser, ["train", "--zoo", "ppo:gymnax.cartpole", "--num-seeds", "3"]))
    assert (namespace.num_seeds, namespace.seed, namespace.total_timesteps) == (3, 1000, 64)
    assert json.loads(namespace.search_space)["fixed"] == SPEC["fixed"]
    assert namespace.zoo == "ppo:gymnax.cartpole"  # kept, for the report beside the shipped figure
    args = command_args("train", "train", None, None, {"zoo": PAIR, "num_seeds": 3, "no_compile_cache": True})
    assert (args.num_seeds, args.seed, args.eval_episodes, args.zoo) == (3, 1000, 1, PAIR)


def reading(entry, per_seed: list, estimate: float, low, high) -> str:
    """What the report says of a run with `per_seed` returns of IQM `estimate` beside a shipped [low, high]."""
    entry.validation["tuned"].update(low=low, high=high)
    line = reproduction_line(entry, per_seed, {"estimate": estimate, "ci_low": None, "ci_high": None}, 1000, 64)
    return line.rsplit(": ", 1)[1]


def test_the_report_says_whether_the_new_iqm_lies_in_the_shipped_interval(tmp_path):
    entry = load_entry(write_entry(tmp_path / "entry.yaml", zoo_entry()))
    assert reading(entry, [20.0, 30.0], 25.0, 20.0, 30.0) == "the shipped per-seed returns, reproduced exactly"
    assert reading(entry, [21.0, 30.0], 25.5, 20.0, 30.0) == "its IQM lies inside the shipped 95% CI"
    assert reading(entry, [31.0, 40.0], 35.5, 20.0, 30.0) == "its IQM lies outside the shipped 95% CI"
    assert reading(entry, [31.0, 40.0], 35.5, None, None) == "the shipped figure has no interval to compare with"


def final_returns(output_root: Path) -> tuple[list, dict]:
    """A train run's per-seed final returns and its agent's configuration."""
    summary = json.loads((output_root / "tiny_ppo" / "gymnax_CartPole-v1" / "train" / "summary.json").read_text())
    [agent] = summary["agents"]
    return summary["per_seed_final_returns"], json.loads((Path(agent) / "agent.json").read_text())["config"]


def test_an_entry_of_a_real_study_trains_again_to_its_per_seed_returns_bitwise(tmp_path, capsys):
    """study -> study-best --format yaml (seed 1000, 2 seeds) -> train --spec: the entry's validation; then
    train --zoo of the entry gives the same per-seed final returns (same keys, same program width)."""
    study = ["optuna-hp-search", "--algo-and-network-config", TINY_PPO, "--env-config", "gymnax:CartPole-v1",
             "--n-trials", "2", "--total-timesteps", "1000", "--num-evaluations", "2", "--eval-episodes", "2",
             "--num-seeds", "2", "--output-root", str(tmp_path / "study")]  # fmt: skip
    code, _, err = run_cli(study, capsys)
    assert code == 0, err
    study_dir = tmp_path / "study" / "tiny_ppo" / "gymnax_CartPole-v1"
    code, text, err = run_cli(["study-best", "--study-dir", str(study_dir), "--format", "yaml"], capsys)
    assert code == 0, err
    spec = {**yaml.safe_load(text), "num_seeds": 2, "seed": 1000}
    spec_file = write_entry(tmp_path / "spec.yaml", spec)
    code, _, err = run_cli(["train", "--spec", str(spec_file), "--output-root", str(tmp_path / "validation")], capsys)
    assert code == 0, err
    validated, config = final_returns(tmp_path / "validation")
    entry_file = write_entry(tmp_path / "entry.yaml", zoo_entry(spec, validated))
    code, out, err = run_cli(["train", "--zoo", str(entry_file), "--output-root", str(tmp_path / "again")], capsys)
    assert code == 0, err
    again, again_config = final_returns(tmp_path / "again")
    assert again == validated and again_config == config
    assert config["algorithm.hyperparam.actor_lr"] == spec["fixed"]["algorithm.hyperparam.actor_lr"]
    assert f"zoo {PAIR}: shipped tuned IQM" in plain(out) and "reproduced exactly" in plain(out)


def test_every_shipped_entry_loads_under_its_pairs_file_name(monkeypatch):
    monkeypatch.delenv(ZOO_DIR_ENV, raising=False)
    entries = list_entries()
    assert len(entries) >= 13  # benchmarks/zoo_pairs.py's pairs
    for entry in entries:
        algo, env = entry.data["pair"].split(":", 1)
        assert entry.path.parent.name == algo and entry.path.stem == env.replace(":", "_")
        assert entry.data["spec"]["num_seeds"] == entry.data["validation"]["num_seeds"] == 10


def benchmark_zoo():
    """benchmarks/zoo.py as a module (it is a script, not part of the package)."""
    import importlib.util

    path = Path(__file__).parent.parent / "benchmarks" / "zoo.py"
    spec = importlib.util.spec_from_file_location("benchmark_zoo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_zoos_study_compute_counts_a_pruned_trial_up_to_its_last_evaluation(tmp_path):
    """A pruned trial's curves keep the whole evaluation grid with NaN where it stopped (as a study writes
    them): it trained to the last finite evaluation, not to the end of the grid."""
    from hyperlax.engine.runner import Sample
    from hyperlax.results.files import write_samples

    zoo = benchmark_zoo()
    eval_steps = np.array([256, 512, 768, 1024])
    for name, trained in [("complete", 4), ("pruned", 2)]:
        returns = np.full((1, 2, 4, 3), np.nan)  # [config, seed, evaluation, episode]
        returns[:, :, :trained] = 10.0
        write_samples(tmp_path / name, [Sample.from_values(0, {}, {})], [{"sample_id": 0}], returns, eval_steps)
    assert zoo.reached_steps(tmp_path / "complete" / "curves.npz") == 1024
    assert zoo.reached_steps(tmp_path / "pruned" / "curves.npz") == 512
    pair = zoo.PAIRS["dqn:gymnax:CartPole-v1"]
    trials = [{"batch_dir": "complete"}, {"batch_dir": "pruned"}]
    assert zoo.study_env_steps(tmp_path, trials, pair) == (1024 + 512) * pair.study_seeds


def test_every_pairs_study_flags_parse_as_the_cli_reads_them_on_both_budgets(tmp_path):
    """A misspelt flag or a pruner warm-up past the run's evaluations fails here, not minutes into a benchmark."""
    from hyperlax.commands.options import SearchArgs, args_from_namespace
    from hyperlax.commands.study._args import resolve_args

    zoo, parser = benchmark_zoo(), build_parser()
    for backend in ("cpu", "gpu"):
        for pair in zoo.PAIRS.values():
            pair = pair.on(backend)
            namespace = parser.parse_args(["optuna-hp-search", *zoo.study_args(pair, tmp_path)])
            args, *_ = resolve_args(args_from_namespace(SearchArgs, namespace))  # the study's checks; creates nothing
            assert (args.n_trials, args.total_timesteps, args.num_seeds) == (pair.trials, pair.steps, pair.study_seeds)
            assert args.pruner == "median" and args.pruner_warmup_evaluations == pair.pruner_warmup
            assert args.seed_aggregate == pair.seed_aggregate
    assert not any(tmp_path.iterdir())
    assert zoo.PAIRS["sac:gymnax:MountainCarContinuous-v0"].pruner_warmup == 10


def test_a_study_scored_by_another_seed_aggregate_says_so_in_its_compute_cell():
    from hyperlax.commands.zoo import compute_text

    study = {"n_trials": 40, "num_seeds": 3, "total_timesteps": 50_000, "env_steps": 4_000_000,
             "wall_seconds": 1500.0, "sampler": "tpe", "recipe": "dqn_mlp"}  # fmt: skip
    assert compute_text(study).startswith("40 trials x 3 seeds x 50,000 steps (4,000,000 env steps, 1500 s")
    assert compute_text({**study, "seed_aggregate": "mean"}) == compute_text(study)
    assert compute_text({**study, "seed_aggregate": "min"}).startswith("40 trials x 3 seeds (scored by their min) x")
