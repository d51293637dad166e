"""show-recipe's options."""

from dataclasses import dataclass

from hyperlax.commands.options.fields import option


@dataclass
class ShowRecipeArgs:
    recipe: str | None = option(
        "recipe name (ppo_mlp, sac_mlp, dqn_mlp; *_sb3: SB3 stock values) or path to a recipe .py file", positional=True
    )
    markdown: bool | None = option("print a Markdown table instead of a terminal table", action="store_true")
