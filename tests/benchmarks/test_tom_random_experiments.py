"""The ToMnet random-agent experiments of the suite: the paper's other species run with
a wider e_char, and every Bayes check reads a metric the runner returns."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _reproduce(load_benchmark):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import reproduce
    import tom_reproduce

    reproduce.discover()
    tiny = dict(steps=2, batch_size=4, lr=1e-3)
    tom_reproduce.BUDGETS["smoke_test"] = {"random": tiny, "eval_size": 8, "chunk": 8}
    return reproduce, tom_reproduce


def test_other_alphas_experiment_runs_with_the_wider_embedding(tmp_path, load_benchmark):
    reproduce, tom_reproduce = _reproduce(load_benchmark)
    try:
        for name, alphas, width in (
            ("tomnet_random_agents", ("0.01", "3"), 2),
            ("tomnet_random_agents_other_alphas", ("0.03", "0.1", "0.3", "1"), 8),
        ):
            exp = reproduce.REGISTRY[name]
            out = tmp_path / name
            ctx = reproduce.Context(out_dir=str(out), tier="smoke_test", seed=0)
            measured = exp.run(ctx)
            judged = [c for c in exp.checks if not c.context]
            assert {c.metric for c in judged} <= set(measured)
            assert {c.metric.split("_")[0][1:] for c in judged} == set(alphas)
            for check in judged:
                assert check.evaluate(measured) in ("pass", "fail")
            from training.tom import load_tomnet

            net = load_tomnet(str(out / f"random_alpha{alphas[0]}" / "tomnet.pt"))
            assert net.config.char_dim == width
    finally:
        del tom_reproduce.BUDGETS["smoke_test"]


def test_bayes_check_fails_a_prior_only_observer(load_benchmark):
    reproduce, _ = _reproduce(load_benchmark)
    exp = reproduce.REGISTRY["tomnet_random_agents_other_alphas"]
    check = next(c for c in exp.checks if c.metric == "a0.3_n10_tomnet")
    assert check.evaluate({"a0.3_n10_tomnet": 0.2}) == "fail"
    assert check.evaluate({"a0.3_n10_tomnet": check.value + 0.01}) == "pass"
