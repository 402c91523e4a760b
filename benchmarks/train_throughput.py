"""End-to-end PPO training throughput on ``harvest_v0`` (environment + learning).

Measures agent-steps per second (env steps x agents) in one process for three stages,
so the ratios show where time goes:

* ``env``: the VectorEnv stepped with random actions;
* ``collect``: the rollout collector with the PPO policy acting (no learning);
* ``train``: full PPO iterations (collection + GAE + PPO update), the number the
  target in DESIGN.md (>= 20k agent-steps/s on 2 cores) refers to.

Usage::

    python benchmarks/train_throughput.py                       # defaults below
    python benchmarks/train_throughput.py --threads 2 --obs-type rgb --set ppo.epochs=4

Defaults: 5 agents, 15x15 views, B=32 copies, 128-step rollouts, PPO with 4 epochs of 4
minibatches, the default CNN. Prints a markdown table and, with ``--json``, writes it.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from socialenvs import make_vec
from training.config import make_config
from training.trainer import Trainer

TARGET = 20_000


def measure(fn, min_seconds: float) -> tuple[float, int]:
    """Call ``fn`` (returns agent-steps done) until ``min_seconds`` pass; steps/s."""
    fn()  # warm-up
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_seconds:
        done += fn()
    return done / (time.perf_counter() - t0), done


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--threads", type=int, default=2, help="torch threads (the target is for 2 cores)"
    )
    p.add_argument("--num-envs", type=int, default=32)
    p.add_argument("--obs-type", default="rgb", choices=["rgb", "symbolic"])
    p.add_argument("--seconds", type=float, default=20.0, help="minimum time per stage")
    p.add_argument("--set", action="append", default=[], help="extra config overrides")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    env_kwargs = {"obs_type": args.obs_type, "max_cycles": 1000}
    venv = make_vec("harvest_v0", num_envs=args.num_envs, **env_kwargs)
    N = venv.num_agents
    venv.reset(seed=0)
    rng = np.random.default_rng(0)
    n_act = int(venv.single_action_space.n)

    def env_only() -> int:
        for _ in range(128):
            venv.step(rng.integers(0, n_act, (args.num_envs, N)))
        return 128 * args.num_envs * N

    sets = [
        f"num_envs={args.num_envs}",
        f"threads={args.threads}",
        "steps=1000000000",
        f"env_kwargs.obs_type={args.obs_type}",
        "out=runs/throughput",
    ] + args.set
    cfg = make_config(env="harvest_v0", sets=sets)
    trainer = Trainer(cfg, progress=False, tensorboard=False)
    T = cfg.ppo.num_steps

    def collect_only() -> int:
        trainer.collector.collect(T)
        return T * args.num_envs * N

    def train_iteration() -> int:
        ro = trainer.collector.collect(T)
        trainer._learn_ppo(ro)
        return T * args.num_envs * N

    results = {}
    for name, fn in (("env", env_only), ("collect", collect_only), ("train", train_iteration)):
        rate, steps = measure(fn, args.seconds)
        results[name] = rate
        print(f"{name:8s} {rate:12,.0f} agent-steps/s ({steps} agent-steps)", flush=True)
    info = {
        "threads": args.threads,
        "num_envs": args.num_envs,
        "obs_type": args.obs_type,
        "rollout": T,
        "epochs": cfg.ppo.epochs,
        "minibatches": cfg.ppo.minibatches,
        "agents": N,
        "target_train": TARGET,
        **{f"{k}_agent_steps_per_s": v for k, v in results.items()},
        "train_vs_target": results["train"] / TARGET,
        "overrides": args.set,
    }
    print("\n| stage | agent-steps/s | share of env-only speed |\n|---|---|---|")
    for k, v in results.items():
        print(f"| {k} | {v:,.0f} | {v / results['env']:.2f} |")
    print(
        f"\nend-to-end PPO: {results['train']:,.0f} agent-steps/s = "
        f"{results['train'] / TARGET:.2f} x the {TARGET:,} target"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return info


if __name__ == "__main__":
    main()
