"""Rule-based Schelling: socialenvs vs Mesa 3.3, agent-steps per second side by side.

Both models run the same parameters (default: Mesa 3.3's example, 20x20, density 0.8,
50/50 types, homophily 0.4, Moore radius 1, non-torus, two-phase update) for a fixed
number of steps from a fresh random layout, so the early steps with many movers and the
later converged steps both count; model construction/reset is timed separately. Rates
use CPU time of this process (one thread), so other load on a shared machine does not
count against either side. agent-steps = agents x steps.

Ours is measured as the raw batched simulator (``Sim.step``, what ``run()`` uses), the
``VectorEnv`` (observations built every step) and the PettingZoo ``ParallelEnv`` (one
copy, dict I/O), each playing Schelling's rule for every agent.

    python benchmarks/schelling_vs_mesa.py                 # ~1 minute
    python benchmarks/schelling_vs_mesa.py --seeds 10 --steps 30 --batch-sizes 1 256 1024
    python benchmarks/schelling_vs_mesa.py --homophily 0.6 --out schelling_speed.md

Target (DESIGN.md): >= 20x Mesa's agent-steps/s.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import socialenvs  # noqa: E402
from socialenvs.schelling import Schelling  # noqa: E402
from socialenvs.schelling.schelling import FOLLOW_RULE  # noqa: E402

TARGET = 20.0


def measure_mesa(params: dict, seeds: int, steps: int) -> dict:
    from socialenvs.schelling.mesa_reference import build_mesa_model

    agent_steps, build_cpu, step_cpu = 0, 0.0, 0.0
    for seed in range(seeds):
        c0 = time.process_time()
        model = build_mesa_model(seed, **params)
        c1 = time.process_time()
        for _ in range(steps):
            model.step()  # Mesa keeps stepping after convergence, as we do
        c2 = time.process_time()
        build_cpu += c1 - c0
        step_cpu += c2 - c1
        agent_steps += len(model.agents) * steps
    return {"agent_steps": agent_steps, "cpu": step_cpu, "reset_ms": 1e3 * build_cpu / seeds}


def measure_sim(params: dict, batch: int, steps: int, repeats: int) -> dict:
    sim = Schelling(num_envs=batch, **params)
    actions = np.full((batch, sim.num_agents), FOLLOW_RULE)
    agent_steps, step_cpu, reset_cpu = 0, 0.0, 0.0
    for r in range(repeats):
        c0 = time.process_time()
        sim.seed(r * batch)
        sim.reset()
        c1 = time.process_time()
        for _ in range(steps):
            sim.step(actions)
        c2 = time.process_time()
        reset_cpu += c1 - c0
        step_cpu += c2 - c1
        agent_steps += batch * sim.num_agents * steps
    return {
        "agent_steps": agent_steps,
        "cpu": step_cpu,
        "reset_ms": 1e3 * reset_cpu / (repeats * batch),
    }


def measure_vector(params: dict, batch: int, steps: int, repeats: int) -> dict:
    venv = socialenvs.make_vec("schelling_v0", num_envs=batch, stop_when_all_happy=False, **params)
    actions = np.full((batch, venv.num_agents), FOLLOW_RULE)
    agent_steps, cpu = 0, 0.0
    for r in range(repeats):
        venv.reset(seed=r * batch)
        c0 = time.process_time()
        for _ in range(steps):
            venv.step(actions)
        cpu += time.process_time() - c0
        agent_steps += batch * venv.num_agents * steps
    return {"agent_steps": agent_steps, "cpu": cpu, "reset_ms": float("nan")}


def measure_parallel(params: dict, seeds: int, steps: int) -> dict:
    env = socialenvs.make("schelling_v0", stop_when_all_happy=False, **params)
    agent_steps, cpu = 0, 0.0
    for seed in range(seeds):
        env.reset(seed=seed)
        actions = {a: FOLLOW_RULE for a in env.agents}
        c0 = time.process_time()
        for _ in range(steps):
            env.step(actions)
        cpu += time.process_time() - c0
        agent_steps += len(env.possible_agents) * steps
    return {"agent_steps": agent_steps, "cpu": cpu, "reset_ms": float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="Mesa runs (and ParallelEnv runs)")
    parser.add_argument("--steps", type=int, default=50, help="steps per run")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--homophily", type=float, default=0.4)
    parser.add_argument("--height", type=int, default=20)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--density", type=float, default=0.8)
    parser.add_argument("--out", default=None, help="also write the markdown table here")
    args = parser.parse_args(argv)
    params = dict(
        homophily=args.homophily, height=args.height, width=args.width, density=args.density
    )

    rows = []
    mesa = measure_mesa(params, args.seeds, args.steps)
    mesa_rate = mesa["agent_steps"] / mesa["cpu"]
    rows.append(("Mesa 3.3 Schelling", "1", mesa_rate, mesa["reset_ms"]))
    for batch in args.batch_sizes:
        repeats = max(1, min(args.seeds, (args.seeds * 64) // (batch * 8) or 1))
        res = measure_sim(params, batch, args.steps, repeats)
        rows.append(
            ("socialenvs Sim.step", str(batch), res["agent_steps"] / res["cpu"], res["reset_ms"])
        )
    big = max(args.batch_sizes)
    res = measure_vector(params, big, args.steps, 1)
    rows.append(
        ("socialenvs VectorEnv", str(big), res["agent_steps"] / res["cpu"], res["reset_ms"])
    )
    res = measure_parallel(params, max(2, args.seeds // 4), args.steps)
    rows.append(("socialenvs ParallelEnv", "1", res["agent_steps"] / res["cpu"], res["reset_ms"]))

    lines = [
        f"Schelling {args.height}x{args.width}, density {args.density}, homophily "
        f"{args.homophily}, {args.steps} steps per run; CPU-time rates, one thread "
        f"({platform.processor() or platform.machine()}, Python {platform.python_version()})",
        "",
        "| implementation | copies | agent-steps/s | x Mesa | reset ms/copy |",
        "|---|---|---|---|---|",
    ]
    for name, copies, rate, reset_ms in rows:
        reset = "" if np.isnan(reset_ms) else f"{reset_ms:.3f}"
        lines.append(f"| {name} | {copies} | {rate:,.0f} | {rate / mesa_rate:.1f} | {reset} |")
    best = max(r[2] for r in rows[1:])
    lines += [
        "",
        f"best ratio {best / mesa_rate:.1f}x Mesa (target >= {TARGET:.0f}x): "
        f"{'PASS' if best / mesa_rate >= TARGET else 'FAIL'}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
