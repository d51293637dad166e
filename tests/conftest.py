import os
from pathlib import Path

import jax
import pytest

TESTS = Path(__file__).parent
TINY_PPO = str(TESTS / "recipes" / "tiny_ppo.py")

# One compilation cache for the whole run, CLI subprocesses included, so each program compiles once.
CACHE = Path(os.environ.setdefault("XDG_CACHE_HOME", str(TESTS.parent / ".pytest_cache" / "xdg")))
jax.config.update("jax_compilation_cache_dir", str(CACHE / "hyperlax" / "jax"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


@pytest.fixture
def tiny_ppo():
    return TINY_PPO
