"""End-to-end PPO training throughput on ``harvest_v0`` (environment + learning).

Measures agent-steps per second (env steps x agents) in one process for three stages,
so the ratios show where time goes:

* ``env``: the VectorEnv stepped with random actions;
* ``collect``: the rollout collector with the PPO policy acting (no learning);
* ``train``: full PPO iterations (collection + GAE + PPO update), the number the
  target in DESIGN.md (>= 20k agent-steps/s on 2 cores) refers to.

Usage::

    python benchmarks/train_throughput.py                       # defaults below
    python benchmarks/train_throughput.py --obs-type symbolic --set ppo.epochs=2

Defaults: 5 agents, 15x15 views, B=32 copies, 128-step rollouts, PPO with 4 epochs of 4
minibatches, the default CNN. Prints a markdown table and, with ``--json``, writes it.

Each stage is reported per wall-clock second and per CPU-second of this process
(``time.process_time``: every thread of the process). On a machine shared with other
jobs the wall-clock rate only says how much of a core the process was given; the
per-CPU-second rate is what one dedicated core would do with ``--threads 1``. The load
average during the run is printed with the result.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from socialenvs import make_vec
from training.config import make_config
from training.perf import keep_freed_memory
from training.trainer import Trainer

TARGET = 20_000


def measure(fn, min_seconds: float) -> tuple[float, float, int]:
    """Call ``fn`` (returns agent-steps done) until ``min_seconds`` pass.

    Returns agent-steps per wall-clock second, agent-steps per CPU-second of this
    process (all its threads; robust to other processes sharing the cores) and the
    agent-steps done.
    """
    fn()  # warm-up
    done, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:  # at least one call, however busy the machine
        done += fn()
        if time.perf_counter() - t0 >= min_seconds:
            break
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return done / wall, done / max(cpu, 1e-9), done


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1, as in training: 2 threads on a busy machine run ~10x slower)",
    )
    p.add_argument("--num-envs", type=int, default=32)
    p.add_argument("--obs-type", default="rgb", choices=["rgb", "symbolic"])
    p.add_argument("--seconds", type=float, default=20.0, help="minimum time per stage")
    p.add_argument("--set", action="append", default=[], help="extra config overrides")
    p.add_argument("--json", help="write the results here")
    p.add_argument(
        "--no-keep-freed-memory",
        action="store_true",
        help="leave glibc's malloc at its defaults (training.perf.keep_freed_memory)",
    )
    args = p.parse_args(argv)
    tuned = False if args.no_keep_freed_memory else keep_freed_memory()
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

    results, per_cpu = {}, {}
    load_before = os.getloadavg()[0]
    for name, fn in (("env", env_only), ("collect", collect_only), ("train", train_iteration)):
        rate, cpu_rate, steps = measure(fn, args.seconds)
        results[name], per_cpu[name] = rate, cpu_rate
        print(
            f"{name:8s} {rate:12,.0f} agent-steps/s  {cpu_rate:12,.0f} per CPU-second "
            f"({steps} agent-steps)",
            flush=True,
        )
    load = (load_before + os.getloadavg()[0]) / 2
    info = {
        "threads": args.threads,
        "num_envs": args.num_envs,
        "obs_type": args.obs_type,
        "rollout": T,
        "epochs": cfg.ppo.epochs,
        "minibatches": cfg.ppo.minibatches,
        "agents": N,
        "target_train": TARGET,
        "cores": os.cpu_count(),
        "load_average": load,
        "keep_freed_memory": tuned,
        **{f"{k}_agent_steps_per_s": v for k, v in results.items()},
        **{f"{k}_agent_steps_per_cpu_s": v for k, v in per_cpu.items()},
        "train_vs_target": results["train"] / TARGET,
        "overrides": args.set,
    }
    print(
        "\n| stage | agent-steps/s (wall) | per CPU-second | share of env-only speed (CPU) |"
        "\n|---|---|---|---|"
    )
    for k, v in results.items():
        print(f"| {k} | {v:,.0f} | {per_cpu[k]:,.0f} | {per_cpu[k] / per_cpu['env']:.2f} |")
    print(
        f"\nend-to-end PPO: {results['train']:,.0f} agent-steps/s wall-clock = "
        f"{results['train'] / TARGET:.2f} x the {TARGET:,} target "
        f"(load average {load:.1f} on {os.cpu_count()} cores); "
        f"{per_cpu['train']:,.0f} agent-steps per CPU-second of this process"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return info


if __name__ == "__main__":
    main()
