"""The cultural-accumulation reproductions (``benchmarks/experiments/culture.py``) are
registered with the suite, and every metric their checks name is produced by
``benchmarks/culture.py``'s ``metrics`` (on hand-made results: no training here)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _modules():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import culture
    import reproduce

    reproduce.discover()
    return reproduce, culture


RESULTS = {
    "memseq_in_context": {
        "generations": [[0.5, 1.0, 1.5, 2.0]] + [[3.0, 3.0, 3.0, 3.0]] * 7,
        "rl2_short": [1.0] * 4,
        "rl2_long": [0.5] * 28 + [2.0] * 4,
        "oracle": 2.5,
        "seconds": 1.0,
    },
    "memseq_oracle_sweep": {"plateaus": {"0.33": 2.0, "0.67": 3.0, "0.86": 1.0}, "seconds": 1},
    "memseq_in_weights": {
        "final_scores": [[-18, -17], [-12, -10], [-5, -8]],
        "baseline": -9.0,
        "seconds": 1.0,
    },
}


def test_registered_tiers_and_metrics():
    reproduce, culture = _modules()
    fast = {n for n, e in reproduce.REGISTRY.items() if n.startswith("culture_")}
    assert fast == {f"culture_{n}" for n in culture.ALL_EXPERIMENTS}
    for name in culture.ALL_EXPERIMENTS:
        exp = reproduce.REGISTRY[f"culture_{name}"]
        assert ("fast" in exp.tiers) == (name in culture.TIERS["fast"].experiments)
        kind = "memseq_in_weights" if "weights" in name else name
        kind = "memseq_in_context" if name == "tsp_in_context" else kind
        measured = culture.metrics(name, RESULTS[kind])
        for check in exp.checks:
            assert check.evaluate(measured) == "pass", (name, check.metric, measured)


def test_in_context_metrics_values():
    _, culture = _modules()
    m = culture.metrics("memseq_in_context", RESULTS["memseq_in_context"])
    assert m["generation_0"] == 1.25 and m["last_generation"] == 3.0
    assert m["rl2_all_generations"] == 2.0, "RL² over all generations: its last K trials"
    m = culture.metrics("memseq_in_weights", RESULTS["memseq_in_weights"])
    assert m["generation_2"] == -5 and m["single_lifetime"] == -9.0


def test_suite_runs_an_experiment_end_to_end(tmp_path, monkeypatch):
    import dataclasses

    reproduce, culture = _modules()
    tiny = dataclasses.replace(culture.TIERS["smoke"], sweep_steps=1_024, instances=1)
    monkeypatch.setitem(culture.TIERS, "fast", tiny)
    res = reproduce.run_selection(["culture_memseq_oracle_sweep"], "fast", str(tmp_path), 0)
    r = res["culture_memseq_oracle_sweep"]
    assert r["error"] is None
    assert {c["result"] for c in r["checks"]} <= {"pass", "fail"}
    assert set(r["measured"]) >= {"plateau_0.33", "plateau_0.67", "plateau_0.86"}
    assert (tmp_path / "culture_memseq_oracle_sweep" / "memseq_oracle_sweep_seed0.png").exists()


def test_steps8m_tier_is_fast_with_the_papers_step_budget():
    import dataclasses
    import math

    _, culture = _modules()
    fast, t8 = culture.TIERS["fast"], culture.TIERS["steps8m"]
    assert (t8.meta_steps, t8.sweep_steps, t8.tsp_steps) == (8_000_000,) * 3
    budgets = ("experiments", "meta_steps", "sweep_steps", "tsp_steps")
    same = {f.name for f in dataclasses.fields(fast)} - set(budgets)
    assert all(getattr(fast, k) == getattr(t8, k) for k in same)
    assert set(t8.experiments) == {"memseq_in_context", "memseq_oracle_sweep", "tsp_in_context"}
    # --skip-rl2: the RL² checks are left out, not passed or failed on missing numbers
    r = dict(RESULTS["memseq_in_context"], rl2_short=None, rl2_long=None)
    names = [c[0] for c in culture._ic_checks(r, 4)]
    assert len(names) == 2 and not any("RL²" in n for n in names)
    assert math.isnan(culture.metrics("tsp_in_context", r)["rl2_one_generation"])


def test_oracle_sweep_subset_runs_only_the_checks_it_has_both_sides_of():
    _, culture = _modules()
    tier = culture.TIERS["smoke"]
    r = culture.memseq_oracle_sweep(tier, 0, oracle_m=(0.5, 6.0))
    assert set(r["plateaus"]) == {"0.33", "0.86"}
    assert [c[0] for c in r["checks"]] == ["0.33 > 0.86 (too-accurate oracle is worst)"]
    assert r["checks"][0][1:3] == (r["plateaus"]["0.33"], r["plateaus"]["0.86"])
    alone = culture.memseq_oracle_sweep(tier, 0, oracle_m=(0.5,))
    assert list(alone["plateaus"]) == ["0.33"] and alone["checks"] == []
    assert alone["plateaus"]["0.33"] == r["plateaus"]["0.33"], "same seed, same learner"


def test_rl2_only_trains_the_baselines_with_the_full_runs_seeds(tmp_path, monkeypatch):
    _, culture = _modules()
    import pytest

    tiny = dataclasses.replace(culture.TIERS["smoke"], meta_steps=256, instances=1)
    monkeypatch.setitem(culture.TIERS, "smoke", tiny)
    seen = []
    real = culture.C.meta_train

    def spy(env_id, kwargs, ppo, steps, num_envs, hidden, seed, **kw):
        seen.append((kwargs.get("demonstrators"), kwargs.get("num_trials"), seed))
        return real(env_id, kwargs, ppo, steps, num_envs, hidden, seed, **kw)

    monkeypatch.setattr(culture.C, "meta_train", spy)
    monkeypatch.setattr(
        culture.C, "in_context_generations", lambda *a, **k: pytest.fail("no generations")
    )
    out = tmp_path / "rl2"
    argv = ["--tier", "smoke", "--only", "memseq_in_context", "--seeds", "3", "--out", str(out)]
    assert culture.main(argv + ["--rl2-only"]) == 0
    # the RL² nets of seed 3, as a full run trains them (model seeds 4 and 5), and no learner
    assert seen == [("none", None, 4), ("none", 32, 5)]
    import json

    r = json.loads((out / "culture.json").read_text())["memseq_in_context/seed3"]
    assert len(r["rl2_short"]) == 4 and len(r["rl2_long"]) == 32 and "generations" not in r
    assert r["checks"] == [] and (out / "memseq_in_context_seed3.png").exists()
    with pytest.raises(SystemExit):
        culture.main(argv + ["--rl2-only", "--skip-rl2"])
    with pytest.raises(SystemExit):
        culture.main(["--tier", "smoke", "--only", "memseq_in_weights", "--rl2-only"])


def test_goalseq_view_size_reaches_the_env(monkeypatch):
    _, culture = _modules()
    assert culture.TIERS["gs300k"].gs_view_size == 3  # the paper's 3x3
    wide = culture.TIERS["gs300k_view5"]
    assert wide.gs_view_size == 5
    same = {f.name for f in dataclasses.fields(wide)} - {"gs_view_size"}
    assert all(getattr(wide, k) == getattr(culture.TIERS["gs300k"], k) for k in same)
    seen = []

    def spy(env_id, kwargs, *args, **kw):
        seen.append(dict(kwargs))
        raise RuntimeError("stop")

    monkeypatch.setattr(culture.C, "in_weights_generations", spy)
    import pytest

    with pytest.raises(RuntimeError, match="stop"):
        culture.goalseq_in_weights(wide, 0)
    assert seen == [{"preset": "in_weights", "view_size": 5}]
