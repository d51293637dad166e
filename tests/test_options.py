"""Options are declared once: the dataclass fields drive argparse, the defaults and README's tables."""

from dataclasses import fields
from pathlib import Path

from hyperlax.cli.main import build_parser
from hyperlax.cli.readme import update_readme
from hyperlax.commands.options import defaults_of, with_defaults
from hyperlax.commands.study import SearchArgs
from hyperlax.commands.sweep import SweepArgs, resolve_args

README = Path(__file__).parent.parent / "README.md"


def test_readme_flag_tables_are_the_generated_ones():
    text = README.read_text()
    assert "<!-- options:common -->" in text and "<!-- options:optuna-hp-search -->" in text
    assert update_readme(text) == text, "README's flag tables are stale: run python -m hyperlax.cli.readme README.md"


def test_every_option_of_a_command_is_a_flag_with_its_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for command, cls in (("sweep-hp-samples", SweepArgs), ("optuna-hp-search", SearchArgs)):
        actions = {a.dest: a for a in sub[command]._actions}
        for f in fields(cls):
            assert actions[f.name].help.startswith(f.metadata["help"].replace("%", "%%"))
            assert actions[f.name].default is None  # unset stays visible, so a resumed run can fill it


def test_unset_options_resolve_to_the_documented_defaults():
    resolved, resume_dir = resolve_args(SweepArgs())
    assert resume_dir is None
    for name, default in defaults_of(SweepArgs).items():
        assert getattr(resolved, name) == default
    assert with_defaults(SearchArgs(n_trials=3)).n_trials == 3
    assert with_defaults(SearchArgs()).objective_names == ["final_performance"]
