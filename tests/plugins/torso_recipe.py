"""tiny_ppo with a user's torso (tests/plugins/torsos.py:LayerNormTorso) for the policy, named by its path."""

from pathlib import Path

from tests.recipes.tiny_ppo import get_base_config as tiny_ppo_base
from tests.recipes.tiny_ppo import get_base_hyperparam_distributions  # noqa: F401

TORSO = f"{Path(__file__).parent / 'torsos.py'}:LayerNormTorso"


def get_base_config():
    config = tiny_ppo_base()
    config["algorithm"]["network"]["actor_network"]["pre_torso"]["name"] = TORSO
    return config
