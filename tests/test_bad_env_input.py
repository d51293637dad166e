"""Bad env input, table-driven like tests/test_bad_input.py (whose helpers it uses): an unknown gymnax id, bad
--env-kwargs and --return-range, every way a user's env factory can fail, an algorithm that cannot act in the
env, an objective the env cannot score, and a user env changed since the run it resumes. Each case is one line
`hyperlax: error: ...`, exit 2, and nothing created or changed."""

import json

import pytest

from tests.bad_input import SEARCH, SWEEP, assert_refused, materialize
from tests.conftest import TESTS

EXAMPLE = (TESTS.parent / "examples" / "sign_env.py").read_text()
TINY_SAC = str(TESTS / "recipes" / "tiny_sac.py")


def with_env(reference: str, *flags: str, base=SWEEP) -> list:
    """The command `base` on env `reference` (the --env-config after base's own), with `flags` added."""
    return [*base, "--env-config", reference, *flags, "--output-root", "{tmp}/out"]


def env_file(text: str) -> dict:
    return {"env.py": text}


def example_changed(old: str, new: str) -> dict:
    assert old in EXAMPLE
    return env_file(EXAMPLE.replace(old, new))


STORED = {"args": {"algo_and_network_config": "ppo_mlp", "env_config": "{tmp}/env.py:make", "num_samples": 2,
                   "sampling_method": "qmc_sobol", "seed": 0, "num_seeds": 1},
          "env": {"source": {"path": "{tmp}/env.py", "sha256": "0" * 64}}}  # fmt: skip

CASES = [
    # ---- gymnax ids and parameters ----
    ("gymnax", with_env("gymnax:Nope-v0"), {}, "unknown gymnax env 'Nope-v0'; valid: CartPole-v1"),
    ("gymnax", with_env("gymnax:MNISTBandit-bsuite"), {}, "hyperlax skips MNISTBandit-bsuite"),
    ("gymnax", with_env("gymnax.nope"), {}, "unknown env config 'gymnax.nope'"),
    ("gymnax", with_env("gymnax.cartpole", "--env-kwargs", "{max_steps: [1"), {}, "--env-kwargs: not valid JSON"),
    ("gymnax", with_env("gymnax.cartpole", "--env-kwargs", "[1, 2]"), {}, "--env-kwargs: expected a mapping"),
    ("gymnax", with_env("gymnax.cartpole", "--env-kwargs", '{"nope": 1}'), {}, "has no parameter 'nope'"),
    (
        "gymnax",
        with_env("gymnax.cartpole", "--env-kwargs", '{"max_steps_in_episode": "long"}'),
        {},
        "max_steps_in_episode is an integer, got 'long'",
    ),
    ("gymnax", with_env("gymnax.cartpole", "--env-kwargs", '{"gravity": true}'), {}, "gravity is a number, got True"),
    # ---- --return-range ----
    ("range", with_env("gymnax.cartpole", "--return-range", "5", "1"), {}, "expected finite numbers with LOW below"),
    ("range", with_env("gymnax.cartpole", "--return-range", "0", "nan"), {}, "expected finite numbers with LOW below"),
    ("range", with_env("gymnax.cartpole", "--return-range", "0", "x"), {}, "invalid float value: 'x'"),
    # ---- a user's factory ----
    ("user", with_env("{tmp}/env.py:make"), env_file("import no_such_module\n"), "raised ModuleNotFoundError"),
    ("user", with_env("{tmp}/env.py:nope"), env_file(EXAMPLE), "has no attribute 'nope'"),
    ("user", with_env("{tmp}/env.py"), env_file(EXAMPLE), "name the factory too"),
    ("user", with_env("{tmp}/missing.py:make"), {}, "does not exist"),
    ("user", with_env("no_such_package.envs:make"), {}, "cannot import no_such_package.envs"),
    ("user", with_env("{tmp}/env.py:make"), env_file("make = 3\n"), "make is not callable"),
    (
        "user",
        with_env("{tmp}/env.py:make"),
        env_file("def make():\n    raise ValueError('boom')\n"),
        "make() raised ValueError: boom",
    ),  # fmt: skip
    (
        "user",
        with_env("{tmp}/env.py:make", "--env-kwargs", '{"size": 3}'),
        env_file(EXAMPLE),
        "make(size=3) raised TypeError",
    ),  # fmt: skip
    ("user", with_env("{tmp}/env.py:make"), env_file("def make():\n    return 1, 2, 3\n"), "returned a 3-tuple"),
    ("user", with_env("{tmp}/env.py:make"), env_file("def make():\n    return None\n"), "returned NoneType"),
    ("user", with_env("{tmp}/env.py:make"), env_file("def make():\n    return object(), None\n"), "lacks reset, step"),
    (
        "user",
        with_env("{tmp}/env.py:make"),
        example_changed("return state.x[None], state\n", "return jnp.array([float(state.x)]), state\n"),
        "reset(key, params) does not trace",
    ),
    (
        "user",
        with_env("{tmp}/env.py:make"),
        example_changed("done = state.time", "done = bool(state.x > 2) or state.time"),
        "step(key, state, action, params) does not trace",
    ),
    (
        "user",
        with_env("{tmp}/env.py:make"),
        example_changed(
            "return SignEnv(), EnvParams(max_steps_in_episode=max_steps_in_episode)", "return SignEnv(), {}"
        ),
        "no max_steps_in_episode",
    ),
    (
        "user",
        ["sweep-hp-samples", "--algo-and-network-config", TINY_SAC, *with_env("{tmp}/env.py:make", base=[])],
        env_file(EXAMPLE),
        "sac needs continuous actions but {tmp}/env.py:make has discrete ones",
    ),
    (
        "user",
        with_env("{tmp}/env.py:make", "--objective-names", "normalized_auc", base=SEARCH),
        env_file(EXAMPLE),
        "--objective-names normalized_auc: {tmp}/env.py:make has no return range",
    ),
    (
        "user",
        with_env("gymnax:Breakout-MinAtar", "--objective-names", "stability_score", base=SEARCH),
        {},
        "--objective-names stability_score: gymnax:Breakout-MinAtar has no return range",
    ),
    # ---- a user env changed since the run being resumed ----
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps(STORED), **env_file(EXAMPLE)},
        "changed since the run in {tmp}/s started (SHA-256 differs); restore it, or pass --allow-env-change",
    ),
    (
        "resume",
        ["sweep-hp-samples", "--resume-from", "{tmp}/s"],
        {"s/sweep.json": json.dumps(STORED)},
        "(stored in {tmp}/s/sweep.json) is gone; restore it",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}:{c[3][:40]}" for c in CASES])
def test_bad_env_input_is_one_line_exit_2_and_changes_nothing(case, tmp_path, capsys, monkeypatch):
    kind, argv, files, message = case
    materialize(tmp_path, {name: text.replace("{tmp}", str(tmp_path)) for name, text in files.items()})
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert_refused(argv, message.replace("{tmp}", str(tmp_path)), tmp_path, capsys)
