"""Run the rule-based Schelling model standalone: ``socialenvs.schelling.run(...)``.

Plays Schelling's rule for every agent (action ``FOLLOW_RULE``) on ``num_envs``
independent copies at once until each copy converges (everyone happy) or ``max_steps``,
and returns the segregation metrics at the start and the end. Command line:
``python -m socialenvs.schelling --seeds 20 --homophily 0.5``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from socialenvs import metrics
from socialenvs.core.config import check_int
from socialenvs.schelling.schelling import FOLLOW_RULE, Schelling


@dataclass
class SchellingRun:
    """Results of :func:`run`, one entry per copy (seed ``seed + i``).

    Attributes:
        converged: ``bool[B]``, every agent happy within ``max_steps``.
        steps: ``int[B]``, steps until convergence (Mesa's step count when ``running``
            turns False); ``max_steps`` for copies that did not converge.
        same_fraction_start, same_fraction_end: ``float[B]`` mean same-type neighbour
            fraction at the start and the end.
        unhappy_start, unhappy_end: ``float[B]`` fraction of unhappy agents.
        dissimilarity_start, dissimilarity_end: ``float[B]`` dissimilarity on 5x5 blocks.
        all_same_end: ``float[B]`` share of agents without an other-type neighbour.
        grids: ``int8[B, H, W]`` final type grids.
        same_fraction_history: ``float[T + 1, B]`` mean same fraction after each step.
    """

    converged: np.ndarray
    steps: np.ndarray
    same_fraction_start: np.ndarray
    same_fraction_end: np.ndarray
    unhappy_start: np.ndarray
    unhappy_end: np.ndarray
    dissimilarity_start: np.ndarray
    dissimilarity_end: np.ndarray
    all_same_end: np.ndarray
    grids: np.ndarray
    same_fraction_history: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Medians and means over copies, as printed by the command line."""
        s = self.steps
        return {
            "copies": int(len(s)),
            "converged": int(self.converged.sum()),
            "median_steps": float(np.median(s)),
            "min_steps": int(s.min()),
            "max_steps": int(s.max()),
            "same_fraction_start": float(np.nanmean(self.same_fraction_start)),
            "same_fraction_end": float(np.nanmean(self.same_fraction_end)),
            "same_fraction_end_std": float(np.nanstd(self.same_fraction_end)),
            "all_same_end": float(np.nanmean(self.all_same_end)),
            "dissimilarity_start": float(np.nanmean(self.dissimilarity_start)),
            "dissimilarity_end": float(np.nanmean(self.dissimilarity_end)),
            "unhappy_end": float(np.nanmean(self.unhappy_end)),
        }


def _all_same(grid: np.ndarray, radius: int, torus: bool) -> np.ndarray:
    same, occupied = metrics.neighbour_counts(grid, radius, torus)
    agents = grid != 0
    return (agents & (same == occupied)).sum((-2, -1)) / agents.sum((-2, -1))


def run(num_envs: int = 20, seed: int = 0, max_steps: int = 500, **config: Any) -> SchellingRun:
    """Run the rule-based model on ``num_envs`` copies (seeds ``seed .. seed+B-1``).

    Args:
        num_envs: independent copies (one per seed).
        seed: seed of copy 0.
        max_steps: step limit per copy.
        **config: :class:`~socialenvs.schelling.schelling.SchellingConfig` fields
            (``mode`` must stay ``"rule"``), or ``preset=``.

    Returns:
        A :class:`SchellingRun` with per-copy convergence and segregation metrics.
    """
    config = dict(config)
    if config.get("mode", "rule") != "rule":
        raise ValueError(f"mode={config['mode']!r}: run() plays the rule-based model; use 'rule'")
    check_int("max_steps", max_steps, 1)
    config["max_cycles"] = int(max_steps)
    sim = Schelling(num_envs=num_envs, **config)
    cfg = sim.config
    sim.seed(seed)
    sim.reset()
    radius, torus = cfg.radius, cfg.torus

    def measure(grid):
        return (
            metrics.same_type_fraction(grid, radius, torus),
            metrics.fraction_unhappy(grid, cfg.homophily, radius, torus, cfg.threshold),
            metrics.dissimilarity_index(grid, 5),
        )

    grid0 = sim.type_grid().copy()
    same0, unhappy0, d0 = measure(grid0)
    history = [same0]
    actions = np.full((sim.num_envs, sim.num_agents), FOLLOW_RULE, dtype=np.int64)
    done = np.zeros(sim.num_envs, dtype=bool)
    steps = np.full(sim.num_envs, max_steps, dtype=np.int64)
    for t in range(1, max_steps + 1):
        _, terminated, _ = sim.step(actions)
        history.append(metrics.same_type_fraction(sim.type_grid(), radius, torus))
        newly = terminated[:, 0] & ~done
        steps[newly] = t
        done |= terminated[:, 0]
        if done.all():
            break
    if not cfg.stop_when_all_happy:
        done = sim.happy.all(axis=1)
    grid = sim.type_grid().copy()
    same1, unhappy1, d1 = measure(grid)
    return SchellingRun(
        converged=done.copy(),
        steps=steps,
        same_fraction_start=same0,
        same_fraction_end=same1,
        unhappy_start=unhappy0,
        unhappy_end=unhappy1,
        dissimilarity_start=d0,
        dissimilarity_end=d1,
        all_same_end=_all_same(grid, radius, torus),
        grids=grid,
        same_fraction_history=np.stack(history),
        config={k: v for k, v in asdict(cfg).items()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m socialenvs.schelling",
        description="Run the rule-based Schelling model (Mesa 3.3 semantics by default) over "
        "several seeds and print segregation metrics.",
    )
    parser.add_argument("--seeds", type=int, default=20, help="number of seeds (copies)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--preset", default=None, help="mesa, mesa_v3_0 or mesa_v3_1")
    parser.add_argument("--height", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--density", type=float)
    parser.add_argument("--minority-pc", type=float)
    parser.add_argument("--homophily", type=float)
    parser.add_argument("--threshold", choices=["fraction", "count"])
    parser.add_argument("--radius", type=int)
    parser.add_argument("--schedule", choices=["two_phase", "async"])
    parser.add_argument("--move-probability", type=float)
    parser.add_argument("--torus", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    keys = (
        "preset",
        "height",
        "width",
        "density",
        "minority_pc",
        "homophily",
        "threshold",
        "radius",
        "schedule",
        "move_probability",
        "torus",
    )
    config = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    try:
        result = run(num_envs=args.seeds, seed=args.seed, max_steps=args.max_steps, **config)
    except ValueError as exc:
        parser.error(str(exc))
    summary = result.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k:>22}: {v:.4g}" if isinstance(v, float) else f"{k:>22}: {v}")
    return 0
