"""Smoke test of the sanctions/norms reproductions (``benchmarks/experiments/norms.py``):
registered, and the public-goods and commons runners produce their metrics and plots at a
tiny budget (no claims about the results)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _module():
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import reproduce

    reproduce.discover()
    return reproduce, sys.modules["socialenvs_experiments_norms"]


def test_registered_with_checks():
    reproduce, _ = _module()
    for name in (
        "public_goods_punishment",
        "commons_sanctions",
        "allelopathic_cnm",
        "partner_choice_punishment",
    ):
        exp = reproduce.REGISTRY[name]
        assert exp.checks and {"fast", "full"} <= set(exp.tiers)


def test_public_goods_and_commons_runners(tmp_path, monkeypatch):
    reproduce, norms = _module()
    monkeypatch.setitem(norms.BUDGET, "public_goods", {"fast": 60, "full": 60})
    monkeypatch.setitem(norms.BUDGET, "commons", {"fast": 40, "full": 40})
    monkeypatch.setattr(norms, "EVAL_EPISODES", 4)
    monkeypatch.setattr(norms, "PG_DISPOSITION_ITERS", 3)
    ctx = reproduce.Context(out_dir=str(tmp_path), tier="fast", seed=0)
    pg = norms.run_public_goods(ctx)
    for m in ("selfish", "ia", "selfish_disposition", "ia_disposition"):
        for k in ("contribution_none", "contribution_punish", "antisocial_punishment_rate_punish"):
            assert np.isfinite(pg[f"{k}_{m}"])
        assert 0 <= pg[f"contribution_none_{m}"] <= 1
        assert pg[f"punish_points_per_period_punish_{m}"] > 0  # untrained learners punish
    assert Path(pg["plots"][0]).exists()
    cm = norms.run_commons(ctx)
    for s in ("none", "fine", "peer"):
        assert 1 <= cm[f"survival_time_{s}"] <= 12
        assert 0 <= cm[f"over_usage_{s}"] <= 1
    assert Path(cm["plots"][0]).exists()
