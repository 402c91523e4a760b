"""Reproduction: punishment raises cooperation in the population prisoner's dilemma.

Dasgupta & Musolesi (arXiv 2301.08278): with direct + third-party punishment (DP+TPP)
learned cooperation exceeds the no-punishment baseline; unjust (anti-social) punishment
persists because the punish stage keeps epsilon = 0.2. This trains fresh populations of
staged DQN agents (:mod:`agents.punishment`) under ``none``, ``dp`` and ``tpp_dp`` and
reports, over the last quarter of episodes, the cooperation rate, punishments per
episode, the unjust-punishment rate and the combined reward. Target (ordering only; the
paper gives figures, not numbers): cooperation(tpp_dp) > cooperation(none).

    python benchmarks/partner_choice_reproduce.py                  # fast tier, ~3-5 CPU min
    python benchmarks/partner_choice_reproduce.py --episodes 2000 --seeds 20   # paper scale

The paper scale (2000 episodes, 20 runs, 3 mechanisms) costs about 1 CPU second per
episode here, i.e. roughly 33 CPU hours; runs are independent and can be spread over cores.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from training.punishment import train_partner_choice  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=60)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--mechanisms", nargs="+", default=["none", "dp", "tpp_dp"])
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = {}
    for mech in args.mechanisms:
        per_seed = []
        for seed in range(args.seeds):
            h = train_partner_choice(args.episodes, seed=seed, punishment=mech)
            tail = h[-max(1, args.episodes // 4) :]
            per_seed.append({k: float(np.nanmean([e[k] for e in tail])) for k in tail[0]})
        rows[mech] = {k: float(np.nanmean([s[k] for s in per_seed])) for k in per_seed[0]}
    print(f"episodes {args.episodes}, seeds {args.seeds}; means over the last quarter\n")
    print("| mechanism | cooperation | punishments/ep | unjust rate | combined reward |")
    print("|---|---|---|---|---|")
    for mech, r in rows.items():
        print(
            f"| {mech} | {r['cooperation']:.3f} | {r['punishments']:.1f} | "
            f"{r['unjust_rate']:.3f} | {r['combined_reward']:.1f} |"
        )
    if "none" in rows and "tpp_dp" in rows:
        ok = rows["tpp_dp"]["cooperation"] > rows["none"]["cooperation"]
        print(f"\ntarget cooperation(tpp_dp) > cooperation(none): {'pass' if ok else 'fail'}")


if __name__ == "__main__":
    main()
