"""Smoke test of ``benchmarks/tom_reproduce.py`` at a tiny budget: every runner trains,
evaluates, plots and returns the numbers the suite checks (no learning asserts)."""

from __future__ import annotations

from pathlib import Path


def test_tom_runners_at_a_tiny_budget(tmp_path, load_benchmark):
    bench = load_benchmark("tom_reproduce")
    tiny = dict(steps=2, batch_size=4, lr=1e-3)
    bench.BUDGETS["fast"] = {
        "random": tiny,
        "goal": tiny,
        "false_belief": tiny,
        "channels": 4,
        "eval_size": 24,
        "chunk": 8,
    }
    res = bench.run_random([0.5], "fast", 0, str(tmp_path))
    curve = res["alphas"]["0.5"]["curve"]
    assert set(curve) == {0, 1, 5, 10} and "bayes" in curve[5]
    goal = bench.run_goal("fast", 0, str(tmp_path))
    assert 0.0 <= goal["embedding_centroid_accuracy"] <= 1.0
    fb = bench.run_false_belief("fast", 0, str(tmp_path))
    assert {"js_inside", "js_outside"} <= set(fb["sighted"])
    for plot in res["plots"] + goal["plots"] + fb["plots"]:
        assert Path(plot).exists()
