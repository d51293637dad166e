"""README's flag tables, generated from the option dataclasses: `python -m hyperlax.cli.readme README.md`
rewrites every `<!-- options:NAME -->` block (tests/test_options.py checks that README is current)."""

import re
import sys
from dataclasses import fields
from pathlib import Path

from hyperlax.commands.options import (
    BestArgs,
    CliArgs,
    CompareArgs,
    EvaluateArgs,
    ExportArgs,
    ListArgs,
    PBTArgs,
    PresetArgs,
    PrunerArgs,
    QueryArgs,
    RunArgs,
    SearchArgs,
    SpaceArgs,
    SpecArgs,
    SweepArgs,
    TrainArgs,
    ValidateArgs,
    ZooArgs,
    markdown_table,
)


def readme_sections() -> dict:
    """README flag tables by marker name, generated from the command dataclasses."""
    shared = {f.name for f in (*fields(RunArgs), *fields(PrunerArgs), *fields(SpaceArgs))}
    return {
        "common": markdown_table(
            [
                *fields(RunArgs),
                *fields(PrunerArgs),
                *fields(SpaceArgs),
                *fields(CliArgs),
                *fields(SpecArgs),
                *fields(PresetArgs),
            ]
        ),  # fmt: skip
        "sweep-hp-samples": markdown_table([f for f in fields(SweepArgs) if f.name not in shared]),
        "optuna-hp-search": markdown_table([f for f in fields(SearchArgs) if f.name not in shared]),
        "pbt-search": markdown_table([f for f in fields(PBTArgs) if f.name not in shared]),
        "validate-best": markdown_table(fields(ValidateArgs)),
        "train": markdown_table([f for f in fields(TrainArgs) if f.name not in shared or f.name == "num_seeds"]),
        "evaluate": markdown_table(fields(EvaluateArgs)),
        "study-commands": markdown_table([*fields(ExportArgs), *fields(BestArgs)[len(fields(QueryArgs)) :]]),
        "study-compare": markdown_table(fields(CompareArgs)),
        "study-list": markdown_table(fields(ListArgs)),
        "zoo": markdown_table(fields(ZooArgs)),
    }


# A table's body holds no '<' (markdown_table escapes it), so a block can never run into the next one.
MARKER = re.compile(r"(<!-- options:(?P<name>[\w-]+) -->\n)(?P<body>[^<]*?)(<!-- /options -->)")


def update_readme(text: str) -> str:
    """README text with every `<!-- options:NAME -->` ... `<!-- /options -->` block regenerated."""
    sections = readme_sections()
    return MARKER.sub(lambda m: m.group(1) + sections[m.group("name")] + "\n" + m.group(4), text)


if __name__ == "__main__":  # python -m hyperlax.cli.readme README.md
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(update_readme(path.read_text()))
