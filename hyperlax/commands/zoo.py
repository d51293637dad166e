"""hyperlax zoo: the shipped zoo entries (hyperlax/zoo/, or $HYPERLAX_ZOO_DIR) as a terminal table, a markdown
table docs can embed, or JSON (the entries themselves)."""

import json

from rich.console import Console
from rich.table import Table

from hyperlax.commands.options import ZooArgs, with_defaults
from hyperlax.zoo import ZooEntry, interval_text, list_entries, zoo_dir

COLUMNS = ("pair", "budget (env steps)", "tuned IQM [95% CI]", "recipe default IQM [CI]", "generic default IQM [CI]",
           "P(tuned > generic) [CI]", "P(tuned > recipe default) [CI]", "published reference", "study compute",
           "verdict")  # fmt: skip


def default_text(result: dict) -> str:
    return f"{interval_text(result['iqm'], result['low'], result['high'])} ({result['recipe']})"


def improvement_text(improvement: dict) -> str:
    return interval_text(improvement["estimate"], improvement["low"], improvement["high"], ".2f")


def reference_text(reference: dict | None) -> str:
    if reference is None:
        return "none published"
    return f"{reference['text']} ({reference['source']}; {reference['budget']}; {reference['seeds']})"


def compute_text(study: dict) -> str:
    """The study's cost: trials x seeds x steps per trial, the env steps it trained, its wall time."""
    aggregate = study.get("seed_aggregate", "mean")
    seeds = f"{study['num_seeds']} seeds" + (f" (scored by their {aggregate})" if aggregate != "mean" else "")
    return (f"{study['n_trials']} trials x {seeds} x {study['total_timesteps']:,} steps "
            f"({study['env_steps']:,} env steps, {study['wall_seconds']:.0f} s, {study['sampler']}, "
            f"from {study['recipe']})")  # fmt: skip


def entry_row(entry: ZooEntry) -> tuple:
    """An entry's cells, in the order of COLUMNS."""
    data, validation = entry.data, entry.validation
    return (
        data["pair"],
        f"{validation['total_timesteps']:,} x {validation['num_seeds']} seeds",
        interval_text(validation["tuned"]["iqm"], validation["tuned"]["low"], validation["tuned"]["high"]),
        default_text(validation["recipe_default"]),
        default_text(validation["generic_default"]),
        improvement_text(validation["improvement_over_generic_default"]),
        improvement_text(validation["improvement_over_recipe_default"]),
        reference_text(data["reference"]),
        compute_text(data["study"]),
        data["verdict"],
    )


def markdown_table(rows: list) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return "\n".join(lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows])


# The terminal's headers, shorter than the markdown's; the caption says what the figures are.
SHORT_COLUMNS = ("pair", "steps x seeds", "tuned", "recipe default", "generic default", "P(> generic)",
                 "P(> recipe default)", "reference", "study", "verdict")  # fmt: skip
CAPTION = ("final return's IQM over fresh seeds [95% CI]; P(> ...): probability that a tuned seed beats a "
           "default's, [95% CI]; study: trials x seeds x steps (env steps, wall, sampler)")  # fmt: skip


WIDE = 160  # terminal columns from which the entries share one table; narrower, a table each


def terminal_table(rows: list) -> Table:
    table = Table(title=f"the hyperlax zoo ({zoo_dir()})", caption=CAPTION)
    for column in SHORT_COLUMNS:
        table.add_column(column, no_wrap=column == "pair", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def entry_table(row: tuple) -> Table:
    """One entry as a table of (column, value) lines, for a narrow terminal."""
    table = Table(title=row[0], show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for column, value in zip(COLUMNS[1:], row[1:], strict=True):
        table.add_row(column, value)
    return table


def show_zoo(args: ZooArgs, console: Console) -> str | None:
    """The zoo in the chosen format: text to print as it is (markdown, json), or None once printed (table)."""
    form = with_defaults(args).format
    entries = list_entries()
    if form == "json":
        return json.dumps([entry.data for entry in entries], indent=2)
    if not entries:
        return f"the zoo holds no entries yet ({zoo_dir()} has none)"
    rows = [entry_row(entry) for entry in entries]
    if form == "markdown":
        return markdown_table(rows)
    if console.width >= WIDE:
        console.print(terminal_table(rows))
    else:
        for row in rows:
            console.print(entry_table(row))
    return None
