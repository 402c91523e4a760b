"""Smoke test of ``benchmarks/tom_conditioned.py`` at a tiny budget: both games, every
arm trains, evaluates, plots and returns the numbers the suite checks (no learning
asserts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tom_conditioned.py"


@pytest.mark.parametrize("what", ["pd", "coin"])
def test_tom_conditioned_runs_at_a_tiny_budget(tmp_path, what, monkeypatch, load_benchmark):
    bench = load_benchmark("tom_conditioned")
    arms = ["tom", "ppo"] if what == "coin" else ["tom", "ppo", "ppo_match"]
    ppo = dict(bench.SETTINGS[what]["ppo"], num_steps=20, epochs=1, minibatches=1)
    monkeypatch.setitem(bench.SETTINGS[what], "ppo", ppo)
    budget = dict(steps=20 * 8, num_envs=8, episodes=6)  # one PPO iteration
    res = bench.run(what, "fast", [0], str(tmp_path), arms=arms, budget=budget)
    s = res["summary"]
    assert {"tom_heldout_return", "ppo_heldout_return", "tom_char_centroid_accuracy"} <= set(s)
    assert 0.0 <= s["tom_char_probe_accuracy"] <= 1.0 and s["seeds_tom_beats_ppo"] in (0, 1)
    row = res["per_seed"]["0"]["tom"]
    assert len(row["heldout_game_returns"]) == bench.SETTINGS[what]["games"]
    assert "char_centroid_accuracy" not in res["per_seed"]["0"]["ppo"]
    json.dumps(res)  # what the CLI writes
    for plot in res["plots"]:
        assert Path(plot).exists()


def test_registered_in_the_suite_with_the_issue_checks():
    bench_dir = str(SCRIPT.parent)
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    import reproduce

    reproduce.discover()
    for name in ("tom_conditioned_pd", "tom_conditioned_coin"):
        exp = reproduce.REGISTRY[name]
        judged = {c.metric: c for c in exp.checks if not c.context}
        assert judged["tom_heldout_return"].other == "ppo_heldout_return"
        assert judged["tom_char_centroid_accuracy"].value == 0.6
        fail = {"tom_heldout_return": 40.0, "ppo_heldout_return": 41.0}
        assert judged["tom_heldout_return"].evaluate(fail) == "fail"
