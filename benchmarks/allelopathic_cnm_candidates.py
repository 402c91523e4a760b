"""Candidate changes to the CNM agents of ``allelopathic_cnm``, run against its baselines.

``python benchmarks/reproduce.py --only allelopathic_cnm`` trains a baseline PPO population
and a CNM population and checks Vinitsky et al. 2023's three orderings. This script runs
the same experiment code (:func:`experiments.norms.run_allelopathic`: the same game,
networks, PPO settings, budgets per tier, seeds and evaluation) with some
:class:`~agents.cnm.CNMConfig` fields changed for the CNM population only, and by default
trains only that population: the baseline population does not depend on those fields, so
its numbers are those of the reproduction's run at the same tier and seed (pass
``--baseline results.json`` to check against them, or ``--with-baseline`` to train it
again). Every candidate is reported as measured in docs/norms.md, pass or fail; the
reproduction itself keeps the paper's design unless a candidate is adopted there.

Usage::

    python benchmarks/allelopathic_cnm_candidates.py --tier medium --seed 0 --gate 0.55 \\
        --baseline docs/reproductions/allelopathic_cnm/medium_seed1/results.json

Writes ``results.json``, the training histories (``history_cnm.json``), zap matrices and
the monoculture plot to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import reproduce  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tier", default="fast", choices=("fast", "medium", "full"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--gate",
        type=float,
        default=0.0,
        help="CNMConfig.gate_accuracy: pay the pseudo-reward once the classifier's recent "
        "held-out balanced accuracy reaches this (0: from the start)",
    )
    p.add_argument("--gate-window", type=int, default=10, help="CNMConfig.gate_window")
    p.add_argument("--alpha", type=float, default=None, help="CNMConfig.alpha")
    p.add_argument("--beta", type=float, default=None, help="CNMConfig.beta")
    p.add_argument("--hard", action="store_true", help="CNMConfig.hard")
    p.add_argument(
        "--policy-signal",
        action="store_true",
        help="CNMConfig.policy_signal: each learner sees its classifier's verdict on the "
        "players it could zap",
    )
    p.add_argument("--with-baseline", action="store_true", help="also train the baseline")
    p.add_argument(
        "--baseline",
        default="",
        help="results.json of the reproduction's run at the same tier and seed, whose "
        "baseline numbers the candidate is checked against",
    )
    p.add_argument("--out", default="runs/allelopathic_cnm_candidates")
    args = p.parse_args(argv)

    reproduce.discover()
    run_allelopathic = sys.modules["socialenvs_experiments_norms"].run_allelopathic

    overrides: dict = {"gate_accuracy": args.gate, "gate_window": args.gate_window}
    if args.alpha is not None:
        overrides["alpha"] = args.alpha
    if args.beta is not None:
        overrides["beta"] = args.beta
    if args.hard:
        overrides["hard"] = True
    if args.policy_signal:
        overrides["policy_signal"] = True
    from agents.cnm import CNMConfig

    CNMConfig(**overrides)  # bad values fail here, before any training
    if args.with_baseline and args.baseline:
        p.error("--with-baseline and --baseline exclude each other")
    out_dir = os.path.join(args.out, f"{args.tier}_seed{args.seed}")
    os.makedirs(out_dir, exist_ok=True)
    pops = ("baseline", "cnm") if args.with_baseline else ("cnm",)
    start = time.perf_counter()
    ctx = reproduce.Context(out_dir=out_dir, tier=args.tier, seed=args.seed)
    measured = run_allelopathic(ctx, cnm_overrides=overrides, populations=pops)
    if args.baseline:
        with open(args.baseline) as f:
            ref = json.load(f)["allelopathic_cnm"]["measured"]
        for k, v in ref.items():
            if k.endswith("_baseline"):
                measured.setdefault(k, v)
    # the reproduction's own checks; "missing" where a baseline number is not known
    checks = {
        f"{c.metric} {c.reference()}": c.evaluate(measured)
        for c in reproduce.REGISTRY["allelopathic_cnm"].checks
    }
    result = {
        "tier": args.tier,
        "seed": args.seed,
        "cnm_overrides": overrides,
        "baseline_from": args.baseline or ("trained" if args.with_baseline else None),
        "measured": {k: v for k, v in measured.items() if k != "plots"},
        "checks": checks,
        "seconds": time.perf_counter() - start,
    }
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(result, f, indent=1, default=float)
    for k, v in sorted(result["measured"].items()):
        print(f"{k:45s} {v:.4g}" if isinstance(v, float) else f"{k:45s} {v}")
    for k, verdict in checks.items():
        print(f"{verdict.upper():8s} {k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
