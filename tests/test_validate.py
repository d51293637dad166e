import json

import optuna
import pytest

from hyperlax.cli import main
from tests.test_search import SEARCH, study_dir_of


@pytest.mark.slow
def test_validate_best_retrains_the_best_trial_on_fresh_seeds(tmp_path, capsys):
    assert main([*SEARCH, "--study-name", "v", "--n-trials", "2", "--output-root", str(tmp_path)]) == 0
    study_dir = study_dir_of(tmp_path)
    assert main(["validate-best", "--study-dir", str(study_dir), "--num-seeds", "3"]) == 0
    [report] = json.loads((study_dir / "validation" / "validation.json").read_text())
    study = optuna.load_study(study_name="v", storage=f"sqlite:///{study_dir / 'optuna_study.db'}")
    best = study.best_trial
    assert report["trial"] == best.number
    assert report["search_values"] == {"final_performance": best.value}
    assert report["validation_status"] == "ok" and len(report["validation"]["per_seed_final_returns"]) == 3
    searched = json.loads((study_dir / best.user_attrs["batch_dir"] / "hparams.json").read_text())
    assert {h["sample_id"]: h["values"] for h in searched}[best.number] == report["params"]
    capsys.readouterr()
    assert main(["validate-best", "--study-dir", str(study_dir)]) == 2  # never overwrites a validation
    assert "already holds a validation" in capsys.readouterr().err
