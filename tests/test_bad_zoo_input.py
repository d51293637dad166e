"""Bad zoo entries and --zoo references, table-driven: every case is one `hyperlax train --zoo` or
`hyperlax zoo` call that must print one line `hyperlax: error: ...` naming the problem, exit with code 2,
raise nothing and leave the directory tree exactly as it was (as tests/test_bad_input.py)."""

import copy

import pytest

import hyperlax
from hyperlax.cli.main import build_parser
from hyperlax.cli.specs import expand_spec
from hyperlax.zoo import ZOO_DIR_ENV, entry_path, load_entry
from tests.bad_input import ALIAS_BOMB, assert_refused, snapshot
from tests.test_zoo import PAIR, zoo_entry
from tests.test_zoo import write_entry as write_yaml


def edit(key: str, value):
    """A change to a good entry: its dotted `key` set to `value`."""

    def change(entry: dict) -> dict:
        *parents, last = key.split(".")
        for parent in parents:
            entry = entry[parent]
        entry[last] = value

    return change


def drop(key: str):
    return lambda entry: entry.pop(key)


ENTRY = ["train", "--zoo", "{tmp}/entry.yaml"]
# (argv, {tmp}/entry.yaml: a change to a good entry, its text, or None for the good entry, expected message part)
CASES = [
    (["train", "--zoo", "ppo:gymnax:Pong-v0"], None, f"unknown zoo pair 'ppo:gymnax:Pong-v0'; the zoo holds: {PAIR};"),
    (["train", "--zoo", "sac:gymnax.cartpole"], None, "unknown zoo pair 'sac:gymnax.cartpole'"),
    (["train", "--zoo", "{tmp}/missing.yaml"], None, "zoo entry {tmp}/missing.yaml: cannot read it"),
    (["train", "--zoo", "{tmp}"], None, "zoo entry {tmp} is a directory; give a YAML file"),
    (ENTRY, b"\x00\xff\xfe\x81 binary", "zoo entry {tmp}/entry.yaml is not UTF-8 text"),
    (ENTRY, "pair: [unclosed\n", "zoo entry {tmp}/entry.yaml: not valid YAML at line"),
    (ENTRY, ALIAS_BOMB, "uses YAML anchors or aliases"),
    (ENTRY, "- a list\n- of things\n", "the file must be a mapping of the entry's keys, got a list"),
    (ENTRY, "", "the file must be a mapping of the entry's keys, got null"),
    (ENTRY, drop("spec"), "zoo entry {tmp}/entry.yaml: it lacks spec; a zoo entry is what benchmarks/zoo.py writes"),
    (ENTRY, edit("extra", 1), "unknown key extra; an entry holds exactly pair, algo, env"),
    (ENTRY, edit("validation.tuned.iqm", "high"), "validation.tuned.iqm must be a number, got 'high'"),
    (ENTRY, edit("validation.tuned.low", True), "validation.tuned.low must be a number or null, got True"),
    (ENTRY, edit("validation.generic_default", {"iqm": 1.0}), "validation.generic_default lacks recipe"),
    (ENTRY, edit("validation.tuned.per_seed", [1.0, 2.0, 3.0]), "per_seed holds 3 values, not num_seeds"),
    (ENTRY, edit("study.args", ["--n-trials", 2]), "study.args must be a list of strings"),
    (ENTRY, edit("study", "many trials"), "study must be a mapping, got a str"),
    (ENTRY, edit("reference.value", "lots"), "reference.value must be a number or null, got 'lots'"),
    (ENTRY, edit("date", 20261130), "date must be a date (YYYY-MM-DD), got 20261130"),
    (ENTRY, edit("pair", "dqn:gymnax:CartPole-v1"), "pair 'dqn:gymnax:CartPole-v1' is not algo:env"),
    (ENTRY, edit("spec.env_config", "gymnax.pendulum"), "spec.env_config 'gymnax.pendulum' is not the entry's env"),
    (ENTRY, edit("spec.seed", 0), "spec.seed is 0, validation.seed 1000: training the spec would not give"),
    (ENTRY, lambda e: e["spec"].pop("total_timesteps"), "spec.total_timesteps is None"),
    (ENTRY, edit("spec.n_trials", 4), "--zoo {tmp}/entry.yaml: spec of {tmp}/entry.yaml: unknown key 'n_trials'"),
    (ENTRY, edit("spec.num_evaluations", "many"), "argument --num-evaluations: expected an integer"),
    ([*ENTRY, "--spec", "{tmp}/entry.yaml"], None, "--zoo and --spec both name the configuration to train"),
    ([*ENTRY, "--from-study", "{tmp}"], None, "--zoo and --from-study both name the configuration to train"),
    (["train", "--zoo", PAIR, "--num-seeds", "0"], None, "argument --num-seeds: must be a positive integer"),
    (["zoo", "--format", "csv"], None, "invalid choice: 'csv'"),
]  # fmt: skip


def materialize(tmp_path, content) -> None:
    """{tmp}/entry.yaml from a good entry changed by `content`, or `content`'s text (None: a good entry)."""
    entry = zoo_entry()
    if callable(content):
        content(entry)
    if isinstance(content, (str, bytes)):
        data = content if isinstance(content, bytes) else content.encode()
        (tmp_path / "entry.yaml").write_bytes(data)
    else:
        write_yaml(tmp_path / "entry.yaml", entry)


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """One good entry (PAIR) in the zoo directory, read instead of the shipped one."""
    write_yaml(tmp_path / "zoo" / entry_path(PAIR), zoo_entry())
    monkeypatch.setenv(ZOO_DIR_ENV, str(tmp_path / "zoo"))
    return tmp_path / "zoo"


@pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}-{c[2][:40]}" for i, c in enumerate(CASES)])
def test_a_bad_zoo_entry_or_reference_is_one_line_exit_2_and_changes_nothing(case, zoo, tmp_path, capsys, monkeypatch):
    argv, content, message = case
    materialize(tmp_path, content)
    monkeypatch.chdir(tmp_path)  # the default --output-root, hyperlax_runs, would land here
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert_refused(argv, message.replace("{tmp}", str(tmp_path)), tmp_path, capsys)


def test_the_unchanged_entry_of_the_table_reads_and_parses(zoo, tmp_path):
    """The table's cases fail for their change alone."""
    materialize(tmp_path, None)
    assert load_entry(tmp_path / "entry.yaml").data == zoo_entry()
    parser = build_parser()
    assert parser.parse_args(expand_spec(parser, ["train", "--zoo", str(tmp_path / "entry.yaml")])).seed == 1000


@pytest.mark.parametrize(
    "files, message",
    [
        ({"dqn/gymnax_CartPole-v1.yaml": zoo_entry()}, "holds ppo:gymnax:CartPole-v1, whose file is"),
        ({"ppo/gymnax_Acrobot-v1.yaml": "pair: 3\n"}, "gymnax_Acrobot-v1.yaml: it lacks algo, env"),
    ],
)
def test_a_misplaced_or_broken_entry_in_the_zoo_directory_is_one_line_exit_2(
    files, message, zoo, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        path = zoo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content) if isinstance(content, str) else write_yaml(path, copy.deepcopy(content))
    for argv in (["zoo"], ["zoo", "--format", "json"], ["train", "--zoo", PAIR]):
        assert_refused(argv, message, tmp_path, capsys)


def test_a_zoo_directory_that_is_not_there_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ZOO_DIR_ENV, str(tmp_path / "nowhere"))
    assert_refused(["zoo"], f"{ZOO_DIR_ENV}={tmp_path / 'nowhere'}: no such directory", tmp_path, capsys)


@pytest.mark.parametrize(
    "keywords, message",
    [
        ({"zoo": "ppo:gymnax:Pong-v0"}, f"unknown zoo pair 'ppo:gymnax:Pong-v0'; the zoo holds: {PAIR};"),
        ({"zoo": PAIR, "spec": "{tmp}/entry.yaml"}, "--zoo and --spec both name the configuration to train"),
        ({"zoo": PAIR, "from_study": "{tmp}"}, "--zoo and --from-study both name the configuration to train"),
        ({"zoo": "{tmp}/entry.yaml", "num_seeds": 0}, "--num-seeds must be a positive integer"),
    ],
)
def test_bad_zoo_keywords_of_the_python_api_raise_input_error_and_change_nothing(
    keywords, message, zoo, tmp_path, monkeypatch
):
    materialize(tmp_path, None)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(hyperlax.InputError) as raised:
        hyperlax.train(
            **{k: v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v for k, v in keywords.items()}
        )
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert snapshot(tmp_path) == before


def test_an_abbreviated_flag_is_refused_not_taken_for_another(tmp_path, capsys):
    # argparse would take --zo for --zoo and skip the entry's expansion: the flag must be spelt out
    argv = ["train", "--zo", "ppo:gymnax:CartPole-v1", "--output-root", str(tmp_path)]
    assert_refused(argv, "unrecognized arguments: --zo", tmp_path, capsys)
