"""Smoke test of ``benchmarks/tom_reproduce.py`` at a tiny budget: every runner trains,
evaluates, plots and returns the numbers the suite checks (no learning asserts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tom_reproduce.py"


def _load():
    spec = importlib.util.spec_from_file_location("tom_reproduce_bench", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_tom_runners_at_a_tiny_budget(tmp_path):
    bench = _load()
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
