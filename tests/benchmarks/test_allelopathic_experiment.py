"""Smoke test of the ``allelopathic_cnm`` reproduction runner at a tiny budget: it trains
both populations on the reduced game and reports every metric of its report, the zap
matrices and the plot (no claims about the results)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_allelopathic_runner(tmp_path, monkeypatch):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import reproduce

    reproduce.discover()
    norms = sys.modules["socialenvs_experiments_norms"]
    monkeypatch.setitem(norms.BUDGET, "allelopathic", {"fast": 1024, "full": 1024})
    monkeypatch.setattr(norms, "ALLELOPATHIC_FAST_COPIES", 4)
    monkeypatch.setattr(norms, "EVAL_EPISODES", 2)
    monkeypatch.setattr(norms, "ALLELOPATHIC_FAST_ENV", {"preset": "reduced", "max_cycles": 50})
    out = norms.run_allelopathic(reproduce.Context(out_dir=str(tmp_path), tier="fast", seed=0))
    for name in ("baseline", "cnm"):
        for k in ("collective_return", "monoculture_final", "zaps", "cpu_seconds"):
            assert np.isfinite(out[f"{k}_{name}"]), k
        assert 1 / 3 <= out[f"monoculture_final_{name}"] <= 1
        assert out[f"opportunities_{name}"] > 0  # the sanction stream reached the classifier
        assert 0 <= out[f"classifier_balanced_accuracy_{name}"] <= 1
        m = np.loadtxt(tmp_path / f"zap_colour_matrix_{name}.txt")
        assert m.shape == (4, 4) and m.sum() == out[f"zaps_{name}"] * 2
        assert out[f"evaluation_zaps_total_{name}"] == m.sum()
    assert Path(out["plots"][0]).exists()
    # The accuracy counts only on enough evaluation zaps: the fourth check reads the total.
    zap_check = [
        c
        for c in reproduce.REGISTRY["allelopathic_cnm"].checks
        if c.metric == "evaluation_zaps_total_cnm"
    ][0]
    few = {"evaluation_zaps_total_cnm": norms.EVAL_MIN_ZAPS - 1}
    enough = {"evaluation_zaps_total_cnm": norms.EVAL_MIN_ZAPS}
    assert zap_check.evaluate(few) == "fail" and zap_check.evaluate(enough) == "pass"


def test_medium_tier_trains_the_reduced_game_longer(monkeypatch):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import reproduce

    reproduce.discover()
    norms = sys.modules["socialenvs_experiments_norms"]
    assert "medium" in reproduce.REGISTRY["allelopathic_cnm"].tiers
    budget = norms.BUDGET["allelopathic"]
    assert budget["fast"] < budget["medium"]
    seen = {}

    def fake_train(env_id, kw, cnm, **opts):
        seen.setdefault("kw", kw)
        seen.setdefault("steps", opts["steps"])
        raise RuntimeError("stop")

    import training.cnm

    monkeypatch.setattr(training.cnm, "train_cnm", fake_train)
    ctx = reproduce.Context(out_dir="unused", tier="medium", seed=0)
    with pytest.raises(RuntimeError, match="stop"):
        norms.run_allelopathic(ctx)
    assert seen == {"kw": norms.ALLELOPATHIC_FAST_ENV, "steps": budget["medium"]}
    # an experiment without the tier is refused by name
    with pytest.raises(SystemExit):
        reproduce.main(["--tier", "medium", "--only", "ssd_harvest_ppo"])


def test_candidate_script_changes_only_the_cnm_population(tmp_path, monkeypatch):
    """``allelopathic_cnm_candidates.py`` trains the CNM population alone with the given
    CNMConfig fields, takes the baselines from a reproduction's results and checks the
    three orderings against them."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import json

    import allelopathic_cnm_candidates as cand
    import reproduce

    reproduce.discover()
    norms = sys.modules["socialenvs_experiments_norms"]
    monkeypatch.setitem(norms.BUDGET, "allelopathic", {"fast": 1024, "full": 1024})
    monkeypatch.setattr(norms, "ALLELOPATHIC_FAST_COPIES", 4)
    monkeypatch.setattr(norms, "EVAL_EPISODES", 2)
    monkeypatch.setattr(norms, "ALLELOPATHIC_FAST_ENV", {"preset": "reduced", "max_cycles": 50})
    seen = []
    real = norms.run_allelopathic

    def spy(ctx, cnm_overrides=None, populations=("baseline", "cnm")):
        seen.append((dict(cnm_overrides), populations))
        return real(ctx, cnm_overrides, populations)

    monkeypatch.setattr(norms, "run_allelopathic", spy)
    ref = tmp_path / "ref.json"
    base = {"collective_return_baseline": -1e9, "monoculture_final_baseline": 2.0}
    ref.write_text(json.dumps({"allelopathic_cnm": {"measured": base}}))
    out = tmp_path / "out"
    args = ["--seed", "0", "--gate", "0.55", "--gate-window", "3", "--out", str(out)]
    assert cand.main([*args, "--baseline", str(ref)]) == 0
    assert seen == [({"gate_accuracy": 0.55, "gate_window": 3}, ("cnm",))]
    res = json.loads((out / "fast_seed0" / "results.json").read_text())
    assert "collective_return_baseline" in res["measured"]  # taken from the reference
    assert "cpu_seconds_baseline" not in res["measured"]  # nothing trained for it
    assert res["checks"]["collective_return_cnm > collective_return_baseline"] == "pass"
    assert res["checks"]["monoculture_final_cnm > monoculture_final_baseline"] == "fail"
    assert res["checks"]["classifier_balanced_accuracy_cnm ≥ 0.6"] in ("pass", "fail")
    assert "gate_first_open_cnm" in res["measured"]
    hist = json.loads((out / "fast_seed0" / "history_cnm.json").read_text())
    assert hist and all("gate_open" in h for h in hist if "classifier_balanced_accuracy" in h)
    with pytest.raises(ValueError, match="gate_accuracy"):
        cand.main(["--gate", "2", "--out", str(out)])
