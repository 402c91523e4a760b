"""Allelopathic Harvest throughput and reset time, 16 players, one thread.

Measures ``allelopathic_harvest_v0`` (default Melting Pot configuration: 30 x 29 torus,
16 players) with random actions: the ``VectorEnv`` at several batch sizes and the
PettingZoo ``ParallelEnv``, in agent-steps per CPU second (episodes reset inside the
timed loop), and the time of one ``reset`` of one copy. If ``meltingpot`` is importable
its ``allelopathic_harvest__open`` substrate is timed in the same process and the ratio
is printed; otherwise the ratio is taken against the reference figures of our design
document (about 4k agent-steps/s and a 4.3 s reset for Melting Pot with 16 players on a
2-core CPU machine), and the table says so.

    python benchmarks/allelopathic_throughput.py
    python benchmarks/allelopathic_throughput.py --batch-sizes 64 256 --seconds 3 --obs-type rgb
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import socialenvs  # noqa: E402

MELTINGPOT_REFERENCE_AGENT_STEPS = 4_000.0
MELTINGPOT_REFERENCE_RESET_S = 4.3
TARGET_RATIO = 50.0


def _rate(step, seconds: float) -> tuple[int, float]:
    calls, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        step(calls)
        calls += 1
    return calls, max(time.process_time() - cpu0, 1e-9)


def vector_rate(batch: int, seconds: float, **kwargs) -> float:
    venv = socialenvs.make_vec("allelopathic_harvest_v0", num_envs=batch, **kwargs)
    venv.reset(seed=0)
    n = venv.num_agents
    acts = np.random.default_rng(0).integers(11, size=(16, batch, n))
    for i in range(3):  # warm-up
        venv.step(acts[i])
    calls, cpu = _rate(lambda i: venv.step(acts[i % 16]), seconds)
    return calls * batch * n / cpu


def parallel_rate(seconds: float, **kwargs) -> float:
    env = socialenvs.make("allelopathic_harvest_v0", **kwargs)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    table = [
        {a: int(x) for a, x in zip(env.possible_agents, row)}
        for row in rng.integers(11, size=(16, len(env.possible_agents)))
    ]

    def step(i):
        if not env.agents:
            env.reset()
        env.step(table[i % 16])

    calls, cpu = _rate(step, seconds)
    return calls * len(env.possible_agents) / cpu


def reset_seconds(repeats: int = 50, **kwargs) -> float:
    env = socialenvs.make("allelopathic_harvest_v0", **kwargs)
    env.reset(seed=0)
    t0 = time.perf_counter()
    for k in range(repeats):
        env.reset(seed=k)
    return (time.perf_counter() - t0) / repeats


def meltingpot_rate(seconds: float) -> tuple[float, float] | None:
    try:
        from meltingpot import substrate  # type: ignore
    except ImportError:
        return None
    roles = ["default"] * 16
    t0 = time.perf_counter()
    env = substrate.build("allelopathic_harvest__open", roles=roles)
    env.reset()
    reset_s = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    calls, cpu = _rate(lambda i: env.step(list(rng.integers(11, size=16))), seconds)
    return calls * 16 / cpu, reset_s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64, 256])
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--obs-type", default="symbolic", choices=["symbolic", "rgb"])
    args = p.parse_args()
    kw = {"obs_type": args.obs_type}
    mp = meltingpot_rate(args.seconds)
    if mp is None:
        ref, ref_reset, source = (
            MELTINGPOT_REFERENCE_AGENT_STEPS,
            MELTINGPOT_REFERENCE_RESET_S,
            "design-document reference (meltingpot not installed)",
        )
    else:
        ref, ref_reset = mp
        source = "measured in this process"
    print(
        f"Melting Pot allelopathic_harvest, 16 players: {ref:,.0f} agent-steps/s, "
        f"reset {ref_reset:.2f} s ({source})\n"
    )
    print(f"| view | agent-steps/s | x Melting Pot | target x{TARGET_RATIO:.0f} |")
    print("|---|---|---|---|")
    par = parallel_rate(args.seconds, **kw)
    print(f"| ParallelEnv (B=1) | {par:,.0f} | {par / ref:.1f} | - |")
    best = 0.0
    for b in args.batch_sizes:
        r = vector_rate(b, args.seconds, **kw)
        best = max(best, r)
        ok = "pass" if r / ref >= TARGET_RATIO else "fail"
        print(f"| VectorEnv B={b} | {r:,.0f} | {r / ref:.1f} | {ok} |")
    reset = reset_seconds(**kw)
    print(
        f"\nreset of one copy: {reset * 1e3:.2f} ms ({ref_reset / reset:,.0f}x faster than "
        f"{ref_reset:.1f} s; target < 10 ms: {'pass' if reset < 0.01 else 'fail'})"
    )
    print(
        f"best batched rate: {best:,.0f} agent-steps/s = {best / ref:.1f}x "
        f"({'pass' if best / ref >= TARGET_RATIO else 'fail'})"
    )


if __name__ == "__main__":
    main()
