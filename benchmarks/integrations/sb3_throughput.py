"""Agent-steps/s of the two Stable-Baselines3 routes, random actions, one process.

Compares our ``SB3VecEnv`` adapter (one batched ``VectorEnv`` step for all copies) with
the SuperSuit recipe (``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1``, one
ParallelEnv dict step per copy) on the same env, config and number of slots, and prints
the ratio. Environment stepping only (no learning).

    python benchmarks/integrations/sb3_throughput.py harvest_v0 --copies 1 8 64 --steps 200
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _rate(venv, steps: int, rng: np.random.Generator) -> float:
    venv.reset()
    n_actions = int(venv.action_space.n)
    actions = [rng.integers(n_actions, size=venv.num_envs) for _ in range(steps)]
    start = time.perf_counter()
    for a in actions:
        venv.step(a)
    return steps * venv.num_envs / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_id", nargs="?", default="harvest_v0")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--env-kwargs", type=json.loads, default={})
    args = parser.parse_args(argv)

    from socialenvs.wrappers.sb3 import make_sb3_vec_env, supersuit_vec_env

    rng = np.random.default_rng(0)
    print(f"{args.env_id} {args.env_kwargs}: agent-steps/s, random actions")
    print(f"{'copies':>6} {'slots':>6} {'SB3VecEnv':>12} {'SuperSuit':>12} {'ratio':>7}")
    for b in args.copies:
        ours = make_sb3_vec_env(args.env_id, num_envs=b, **args.env_kwargs)
        ours.seed(0)
        theirs = supersuit_vec_env(args.env_id, num_copies=b, seed=0, **args.env_kwargs)
        r_ours = _rate(ours, args.steps, rng)
        r_theirs = _rate(theirs, args.steps, rng)
        print(
            f"{b:>6} {ours.num_envs:>6} {r_ours:>12,.0f} {r_theirs:>12,.0f} {r_ours / r_theirs:>6.1f}x"
        )


if __name__ == "__main__":
    main()
