"""The cultural-accumulation reproductions (``benchmarks/experiments/culture.py``) are
registered with the suite, and every metric their checks name is produced by
``benchmarks/culture.py``'s ``metrics`` (on hand-made results: no training here)."""

from __future__ import annotations

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
