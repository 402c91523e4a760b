"""Mesa's Schelling model as a reference implementation (needs ``mesa``, dev extra).

Runs the example model shipped with Mesa 3.3 (``mesa.examples.basic.schelling``) and,
for the older variants, the same agent with Mesa <= 3.1's rules (count threshold, torus,
random-order sequential moves) built on Mesa 3.3's grid. Used by the validation test
(``tests/schelling/test_schelling_vs_mesa.py``) and the speed benchmark
(``benchmarks/schelling_vs_mesa.py``); never imported by the environment itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialenvs import metrics


@dataclass
class MesaRun:
    """Per-seed results with the same fields as :class:`socialenvs.schelling.SchellingRun`."""

    converged: np.ndarray
    steps: np.ndarray
    same_fraction_start: np.ndarray
    same_fraction_end: np.ndarray
    dissimilarity_start: np.ndarray
    dissimilarity_end: np.ndarray
    num_agents: np.ndarray


def build_mesa_model(
    seed: int,
    height: int = 20,
    width: int = 20,
    density: float = 0.8,
    minority_pc: float = 0.5,
    homophily: float = 0.4,
    radius: int = 1,
    torus: bool = False,
    threshold: str = "fraction",
    schedule: str = "two_phase",
):
    """A Mesa model: the 3.3 example for the defaults, else a variant with Mesa <= 3.1 rules."""
    from mesa.discrete_space import OrthogonalMooreGrid
    from mesa.examples.basic.schelling.agents import SchellingAgent
    from mesa.examples.basic.schelling.model import Schelling

    if not torus and threshold == "fraction" and schedule == "two_phase":
        return Schelling(
            height=height,
            width=width,
            density=density,
            minority_pc=minority_pc,
            homophily=homophily,
            radius=radius,
            seed=seed,
        )

    class VariantAgent(SchellingAgent):
        def similar(self) -> bool:
            neighbours = list(self.cell.get_neighborhood(radius=self.radius).agents)
            same = sum(1 for n in neighbours if n.type == self.type)
            if threshold == "count":
                return same >= self.homophily
            return (same / len(neighbours) if neighbours else 0.0) >= self.homophily

        def assign_state(self) -> None:
            self.happy = self.similar()
            if self.happy:
                self.model.happy += 1

        def step(self) -> None:
            # Mesa <= 3.1: the agent checks its happiness at its own turn.
            if schedule == "async":
                if not self.similar():
                    self.cell = self.model.grid.select_random_empty_cell()
            elif not self.happy:
                self.cell = self.model.grid.select_random_empty_cell()

    class VariantModel(Schelling):
        def __init__(self):
            super(Schelling, self).__init__(seed=seed)
            self.grid = OrthogonalMooreGrid(
                (width, height), torus=torus, random=self.random, capacity=1
            )
            self.happy = 0
            for cell in self.grid.all_cells:
                if self.random.random() < density:
                    kind = 1 if self.random.random() < minority_pc else 0
                    VariantAgent(self, cell, kind, homophily=homophily, radius=radius)
            self.agents.do("assign_state")

        def step(self):
            self.happy = 0
            self.agents.shuffle_do("step")
            self.agents.do("assign_state")
            self.running = self.happy < len(self.agents)

    return VariantModel()


def mesa_type_grid(model) -> np.ndarray:
    """``int8[W, H]`` grid of a Mesa Schelling model: -1 type 0, +1 type 1, 0 empty."""
    dims = model.grid.dimensions
    grid = np.zeros(dims, dtype=np.int8)
    for cell in model.grid.all_cells:
        for agent in cell.agents:
            grid[cell.coordinate] = 1 if agent.type == 1 else -1
    return grid


def run_mesa(seeds: range | list[int], max_steps: int = 500, **params) -> MesaRun:
    """Run Mesa's model once per seed until ``running`` turns False or ``max_steps``."""
    radius = params.get("radius", 1)
    torus = params.get("torus", False)
    rows = []
    for seed in seeds:
        model = build_mesa_model(int(seed), **params)
        g0 = mesa_type_grid(model)
        steps = 0
        while model.running and steps < max_steps:
            model.step()
            steps += 1
        g1 = mesa_type_grid(model)
        rows.append(
            (
                not model.running,
                steps,
                metrics.same_type_fraction(g0, radius, torus),
                metrics.same_type_fraction(g1, radius, torus),
                metrics.dissimilarity_index(g0, 5),
                metrics.dissimilarity_index(g1, 5),
                len(model.agents),
            )
        )
    cols = list(zip(*rows))
    return MesaRun(*(np.asarray(c) for c in cols))
