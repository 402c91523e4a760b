"""Smoke test of the independent-PPO SSD baselines (``benchmarks/experiments/ssd_baselines.py``)
and the reproduction runner's report: registered, the Harvest runner produces its metrics and
curves at a tiny budget, and published numbers are reported as context, not pass/fail."""

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
    return reproduce, sys.modules["socialenvs_experiments_ssd_baselines"]


def test_registered_with_a_pass_fail_ordering_and_context_targets():
    reproduce, _ = _module()
    for name, a3c in (("ssd_harvest_ppo", 485.0), ("ssd_cleanup_ppo", 89.0)):
        exp = reproduce.REGISTRY[name]
        assert set(exp.tiers) == {"fast", "full"}
        judged = [c for c in exp.checks if not c.context]
        context = [c for c in exp.checks if c.context]
        assert [c.kind for c in judged] == ["greater"]
        assert [c.value for c in context] == [a3c]
        # a context check never fails, whatever we measure
        assert context[0].evaluate({"collective_return": -1e6}) == "context"


def test_harvest_runner_and_report_at_a_tiny_budget(tmp_path, monkeypatch):
    reproduce, ssd = _module()
    tiny = dict(steps=256, num_envs=4, num_steps=32, max_cycles=32, eval_cycles=20)
    monkeypatch.setitem(ssd.TIERS, "fast", tiny)
    monkeypatch.setattr(ssd, "EVAL_EPISODES", 2)
    results = reproduce.run_selection(["ssd_harvest_ppo"], "fast", str(tmp_path), 0)
    res = results["ssd_harvest_ppo"]
    assert res["error"] is None, res["error"]
    m = res["measured"]
    assert m["train_env_steps"] == 256 and m["train_agent_steps"] == 256 * 5
    for k in ("collective_return", "equality", "random_collective_return", "zaps"):
        assert np.isfinite(m[k]), k
    assert m["peace"] == 5.0  # SSD beams fine, they never remove a player
    assert [c["result"] for c in res["checks"]][1] == "context"
    report = (tmp_path / "report.md").read_text()
    assert "| collective_return | 485 |" in report and "| context |" in report
    assert "s CPU (load average" in report
    assert (tmp_path / "ssd_harvest_ppo" / "curves.png").exists()
