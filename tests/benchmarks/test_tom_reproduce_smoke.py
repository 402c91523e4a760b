"""Smoke test of ``benchmarks/tom_reproduce.py`` at a tiny budget: every runner trains,
evaluates, plots and returns the numbers the suite checks (no learning asserts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_tom_runners_at_a_tiny_budget(tmp_path, load_benchmark):
    bench = load_benchmark("tom_reproduce")
    tiny = dict(steps=2, batch_size=4, lr=1e-3)
    bench.BUDGETS["fast"] = {
        "random": tiny,
        "goal": tiny,
        # a warm-up that never leaves the plateau: two attempts of 2, then the whole loss
        "false_belief": dict(
            steps=6,
            batch_size=4,
            lr=1e-3,
            warmup_steps=2,
            warmup_exit_loss=0.0,
            warmup_window=1,
            warmup_patience=2,
            warmup_restarts=1,
            warmup_mental_off=True,
            mental_ramp_steps=2,
        ),
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
    for obs in ("sighted", "full"):
        assert fb[obs]["warmup"] == {"minibatches": 4, "restarts": 1, "left_plateau": False}
    for plot in res["plots"] + goal["plots"] + fb["plots"]:
        assert Path(plot).exists()


def _tiny_random_budget(bench) -> None:
    """The fast tier's random-agent runs cut to a few minibatches and samples."""
    bench.BUDGETS["fast"] = {
        **bench.BUDGETS["fast"],
        "random": dict(steps=2, batch_size=4, lr=1e-3),
        "random_eval_size": 16,
        "chunk": 8,
    }


def test_steps_option_overrides_the_tiers_minibatches(tmp_path, load_benchmark):
    bench = load_benchmark("tom_reproduce")
    _tiny_random_budget(bench)
    bench.main(["random", "--alphas", "0.5", "--steps", "3", "--out", str(tmp_path)])
    assert bench.BUDGETS["fast"]["random"] == dict(steps=3, batch_size=4, lr=1e-3)
    res = json.loads((tmp_path / "random_results.json").read_text())
    assert "--steps 3" in res["command"] and set(res["alphas"]) == {"0.5"}
    with pytest.raises(ValueError, match="--steps 0"):
        bench.main(["random", "--steps", "0", "--out", str(tmp_path)])
    # a loss warm-up keeps its share of the run
    bench.BUDGETS["fast"].update(
        goal=dict(steps=4, batch_size=4, lr=1e-3, warmup_steps=2), channels=4, eval_size=16
    )
    bench.main(["goal", "--steps", "6", "--out", str(tmp_path)])
    assert bench.BUDGETS["fast"]["goal"] == dict(steps=6, batch_size=4, lr=1e-3, warmup_steps=3)


@pytest.fixture
def spawn_by_default():
    """Make "spawn" the default start method (as some libraries do), then restore it."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_false_belief_observers_in_two_processes_give_the_same_numbers(
    tmp_path, load_benchmark, spawn_by_default
):
    bench = load_benchmark("tom_reproduce")
    bench.BUDGETS["fast"] = {
        **bench.BUDGETS["fast"],
        "false_belief": dict(steps=3, batch_size=8, lr=1e-3, warmup_steps=1),
        "channels": 4,
        "eval_size": 24,
        "chunk": 8,
    }
    one = bench.run_false_belief("fast", 3, str(tmp_path / "one"))
    two = bench.run_false_belief("fast", 3, str(tmp_path / "two"), jobs=2)
    alone = bench.run_false_belief("fast", 3, str(tmp_path / "alone"), observers=["sighted"])
    assert "full" not in alone
    for obs, run in (("sighted", two), ("full", two), ("sighted", alone)):
        for key in ("js_inside", "js_outside", "js_sr_inside", "js_sr_outside"):
            assert run[obs][key] == one[obs][key], (obs, key)
        assert run[obs]["final_loss"]["loss"] == one[obs]["final_loss"]["loss"]
    assert one["sighted"]["js_sr_outside"] != one["full"]["js_sr_outside"]
    with pytest.raises(ValueError, match="observers"):
        bench.run_false_belief("fast", 3, str(tmp_path), observers=["blind"])
    with pytest.raises(ValueError, match="--jobs 0"):
        bench.main(["false_belief", "--jobs", "0", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--lr -0.001"):
        bench.main(["false_belief", "--lr", "-0.001", "--out", str(tmp_path)])


def test_char_dim_option_widens_the_random_agents_embedding(tmp_path, load_benchmark):
    bench = load_benchmark("tom_reproduce")
    _tiny_random_budget(bench)
    bench.main(["random", "--alphas", "0.5", "--char-dim", "8", "--out", str(tmp_path)])
    from training.tom import load_tomnet

    net = load_tomnet(str(tmp_path / "random_alpha0.5" / "tomnet.pt"))
    assert net.config.char_dim == 8
    with pytest.raises(ValueError, match="--char-dim 8"):
        bench.main(["goal", "--char-dim", "8", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--char-dim 0"):
        bench.main(["random", "--char-dim", "0", "--out", str(tmp_path)])
