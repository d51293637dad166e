"""hyperlax from Python: a study and its best agent, a sweep, and an env object built in this process.

    python examples/python_api.py            # about two minutes on a laptop CPU

Every CLI flag is a keyword of the same name (n_trials for --n-trials). CI runs this file with a tiny budget:
HYPERLAX_EXAMPLE_ALGO (a recipe), HYPERLAX_EXAMPLE_STEPS, HYPERLAX_EXAMPLE_TRIALS and HYPERLAX_EXAMPLE_OUTPUT.
"""

import os
import warnings

import jax

import hyperlax

ALGO = os.environ.get("HYPERLAX_EXAMPLE_ALGO", "ppo_mlp")
STEPS = int(os.environ.get("HYPERLAX_EXAMPLE_STEPS", 50_000))
TRIALS = int(os.environ.get("HYPERLAX_EXAMPLE_TRIALS", 16))
OUTPUT = os.environ.get("HYPERLAX_EXAMPLE_OUTPUT", "hyperlax_runs")
BUDGET = {"total_timesteps": STEPS, "num_seeds": 1, "output_root": OUTPUT}


def main() -> None:
    # An Optuna study: the result wraps the optuna.Study and the directory it wrote.
    study = hyperlax.optimize(ALGO, env="gymnax.cartpole", n_trials=TRIALS, pruner="halving", **BUDGET)
    print("best value", study.best_value, "params", study.best_params)
    print("study directory", study.study_dir, "files", sorted(study.paths))
    print(study.trials_dataframe(attrs=("number", "value", "state")))

    # The selected trial's agent (save_agents="best" is a study's default): act, and evaluate it again.
    agent = study.best_agent()
    obs, _ = agent.spec.env.reset(jax.random.PRNGKey(0), agent.spec.params)
    print("greedy action", agent.act(obs))
    scores = hyperlax.evaluate(agent, episodes=20)
    print("best agent: return IQM", scores["iqm"], "95% CI", scores["ci"])

    # A sweep of the recipe's search space: a results table of plain dicts (results.csv's columns).
    swept = hyperlax.sweep(ALGO, env="gymnax.cartpole", num_samples=2, **BUDGET)
    best = swept.best("final_performance")
    print("best sample", best["sample_id"], best["final_performance"], "of", len(swept.results), "in", swept.sweep_dir)

    # An env object from this process (its return range comes from the catalog for gymnax's CartPole-v1).
    import gymnax

    env, params = gymnax.make("CartPole-v1")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        in_memory = hyperlax.optimize(ALGO, env=(env, params), n_trials=2, study_name="in_memory", **BUDGET)
    print("in-memory env:", in_memory.study_dir.name, "|", *(str(w.message) for w in said))

    # Bad input raises hyperlax.InputError with the CLI's one-line message.
    try:
        hyperlax.optimize(ALGO, env="gymnax.cartpole", n_trials=0)
    except hyperlax.InputError as exc:
        print("InputError:", exc)


if __name__ == "__main__":
    main()
