"""A study's saved agents (--save-agents): which trials keep theirs, and their link to the Optuna trial.

`best` must leave the selected trial's agent, but which trial is selected is known only at the end, when the
final states of the trials that ended earlier are gone. Keeping every final state until then would hold
memory for every trial; retraining the winner would cost a run. Instead a trial keeps its agent when, at
the moment it is told, it is the study's best (one objective; ties keep the earlier trial, as Optuna does) or
on its Pareto front (several): the trial finally selected by the study's values was one of those when it
was told, whichever worker told it, so its agent is always on disk; trials that led for a while keep theirs
too (a few small files). With --reevaluate-top, the study selects among the re-evaluated trials by their
fresh-seed values, so the agents saved are those of the re-evaluation's training (every re-evaluated trial,
in reevaluation/round_NNNN/samples/), linked to the study.

Each saved agent's files are also uploaded to an Optuna FileSystemArtifactStore in `<study dir>/artifacts/`
(optuna-dashboard shows them with the trial), before the trial is told: a finished trial takes no new link.
"""

import warnings
from pathlib import Path

from optuna.trial import TrialState

from hyperlax.commands.agents import saved_agent_dirs
from hyperlax.commands.study._selection import dominates, signs_of
from hyperlax.results.outcomes import Status

ARTIFACTS_DIR = "artifacts"


def best_when_told(study, objective_names: list, row: dict) -> bool:
    """Whether a trial with this row, told now, is the study's best (or on its Pareto front)."""
    values = [row.get(name) for name in objective_names]
    if row.get("status") != Status.OK or any(v is None for v in values):
        return False
    signs = signs_of(study)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(signs) == 1:
        return all(signs[0] * values[0] > signs[0] * t.value for t in complete)
    return not any(dominates(t.values, values, signs) for t in complete)


def link_artifacts(study_or_trial, study_dir: Path, results_dir: Path, storage=None) -> int:
    """Upload the agent files in `results_dir` to the study's artifact store, linked to `study_or_trial`;
    how many files."""
    from optuna.artifacts import FileSystemArtifactStore, upload_artifact

    store_dir = study_dir / ARTIFACTS_DIR
    store_dir.mkdir(exist_ok=True)
    store, count = FileSystemArtifactStore(str(store_dir)), 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna.artifacts is experimental and says so on every call
        for agent_dir in saved_agent_dirs(results_dir):
            for path in sorted(agent_dir.iterdir()):
                extra = {} if storage is None else {"storage": storage}
                upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=study_or_trial, **extra)
                count += 1
    return count


def selected_agents(study, study_dir: Path) -> list:
    """The agent directories of the trials the study hands over (re-evaluated ones: their re-evaluation's)."""
    from hyperlax.commands.agents import agent_dir_name
    from hyperlax.commands.study._selection import BY_REEVALUATION, reevaluated_records, selection

    trials, selected_by = selection(study)
    records = reevaluated_records(study) if selected_by == BY_REEVALUATION else {}
    found = []
    for t in trials:
        if t.number in records:
            where = study_dir / records[t.number]["batch_dir"] / agent_dir_name(t.number, alone=False)
        else:
            where = study_dir / t.user_attrs.get("batch_dir", "") / agent_dir_name(t.number, alone=True)
        found += [where] if (where / "agent.json").is_file() else []
    return found
