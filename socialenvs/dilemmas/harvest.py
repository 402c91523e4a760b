"""Commons Harvest: a common-pool resource dilemma on a gridworld.

| | |
|---|---|
| Creation | ``socialenvs.make("harvest_v0")``, ``socialenvs.make_vec("harvest_v0", num_envs=256)`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (N = 5; 7 with ``rules="meltingpot"``) |
| Actions | ``Discrete(8)``: SSD's 7 movement actions + fire |
| Observation | ``Box(0, 255, (15, 15, 3), uint8)`` (``rgb``) or ``Box(0, 1, (15, 15, 8), uint8)`` (``symbolic``) |
| Parallel API | yes (AEC through ``parallel_to_aec``); batched through ``make_vec`` |

Apples grow in patches; an apple regrows with a probability that rises with the number
of apples near it, so a patch that is harvested bare never comes back. Eating is
individually rewarding, restraint is collectively rewarding: the tragedy of the commons
of Perolat et al. 2017 (NeurIPS, arXiv 1707.06600) in the form of the Sequential Social
Dilemma "Harvest" (Hughes et al. 2018, NeurIPS; SSD codebase
``social_dilemmas/envs/harvest.py``) and Melting Pot's ``commons_harvest__open``
(Agapiou et al. 2022). Agents can fire a beam that fines (SSD) or removes (Melting Pot)
the players it hits, which lets them police the commons -- or fight over it.

### Rules (``rules="ssd"``, the default; SSD codebase, spec dilemmas §2 and §8.1)

* Map: our own 16 x 38 map (:data:`HARVEST_MAP`) with SSD ``HARVEST_MAP``'s counts:
  155 apple cells in 11 patches, 20 spawn points, 104 walls (the border), 329 empty
  cells. Every apple cell holds an apple at reset.
* Actions (SSD ``agent.py``): 0 move left, 1 move right, 2 move forward, 3 move back
  (all relative to the avatar's orientation), 4 stay, 5 turn clockwise, 6 turn
  counter-clockwise, 7 fire. Spawn orientation is uniform over N/E/S/W.
* Each step, in order: turns; moves, resolved one agent at a time in a random order (an
  agent cannot enter a wall or a cell occupied at its turn); an agent entering an apple
  cell eats it (+1); fire beams are cast from the new positions, all against the same
  state; apples regrow.
* Fire beam: length 5, width 3. The centre ray covers the 5 cells ahead; the two side
  rays start at the avatar's left/right neighbours and go 5 cells forward (forward 0..4).
  A ray stops before a wall and at the first avatar it hits. Firing costs the firer -1;
  each beam that hits an avatar costs it -50 (a player hit by two beams pays twice).
  Hit avatars are not removed. Beam cells are drawn (yellow / ``beam`` layer) in the
  observations of the step they were fired.
* Regrowth: every empty apple cell with no avatar on it grows an apple with
  probability ``[0, 0.005, 0.02, 0.05][min(k, 3)]``, k = apples in its 3 x 3 Moore
  neighbourhood (SSD compares the offset's squared length with the unsquared "radius
  2", which yields the Moore neighbourhood; ``regrowth_neighbourhood="disc"`` gives
  the true radius-2 disc).
* Episodes last ``max_cycles`` = 1000 steps and are truncated (the SSD env itself never
  ends; its PettingZoo wrapper and Hughes et al. 2018 use 1000).

### Melting Pot rules (``rules="meltingpot"``; ``commons_harvest__open``, spec §8.3)

Regrowth over the radius-2 disc with probabilities ``[0, 0.0025, 0.005, 0.025]``; 7
players; zap length 3, width 3 (every ray covers forward 1..3), cooldown 2 steps; a
hit player is removed from the map for 4 steps and then reappears at a random free
spawn point with a random orientation; no reward or cost for zapping. Melting Pot's
own map, its 11 x 11 forward-looking window (``view="meltingpot"``) and its random
episode end (at least 1000 steps, then p = 0.15 per 100 steps) are not reproduced by
default: our map and ``max_cycles`` are used.

Removed players stay in ``agents``; their actions have no effect; **their observation
is all zeros** (no ordinary observation is: the avatar itself is always in view), and
``Sim.inactive()`` reports them (the peace metric counts these steps).

### Observations

An egocentric window centred on the avatar (radius ``view_radius`` = 7: 15 x 15), turned
so that the avatar faces up (``rotate_view``). ``rgb``: SSD's colours (empty black,
walls grey, apples green, beam yellow, off-map dark grey) and one colour per player
(:func:`socialenvs.core.grid.agent_palette`). ``symbolic``: 8 one-hot layers ``wall``
(incl. off-map), ``apple``, ``beam``, ``waste``, ``river``, ``clean_beam`` (the last three
always 0 here; shared with Cleanup), ``self``, ``others``.

### Events and statistics

``EAT`` (actor, cell), ``ZAP`` (actor = firer, target = hit player), ``REMOVE`` and
``RESPAWN`` (Melting Pot rules). Episode statistics add ``apples_eaten`` and ``zaps``.

### Arguments

* ``rules`` (``"ssd"``): ``"ssd"`` or ``"meltingpot"``; fills every ``None`` below.
* ``num_agents`` (5 / 7), ``max_cycles`` (1000).
* ``obs_type`` (``"rgb"``): ``"rgb"`` or ``"symbolic"``.
* ``view`` (``"centred"``), ``view_radius`` (7), ``rotate_view`` (True).
* ``regrowth_probs`` (SSD / MP table above): 4 probabilities for k = 0, 1, 2, >= 3.
* ``regrowth_neighbourhood`` (``"moore"`` / ``"disc"``).
* ``beam_length`` (5 / 3), ``beam_width`` (3), ``fire_cost`` (-1 / 0), ``hit_penalty``
  (-50 / 0), ``zap_cooldown`` (0 / 2), ``removal_duration`` (0 / 4), ``apple_reward`` (1).
* ``ascii_map``: custom map; legend ``@`` wall, ``A`` apple cell, ``P`` spawn point,
  space empty.
* ``action_set`` (``"ssd"``), ``fire_enabled`` (True): see :mod:`socialenvs.dilemmas.ssd_grid`.

### Version history

* v0: initial release. Choices where the sources are silent: the map (same counts as
  SSD's); simultaneous beams (each beam hitting an avatar fines it); removed players'
  all-zero observation and respawn at a random free spawn point; Melting Pot's beam as
  forward 1..L for every ray; move conflicts resolved sequentially in a random order (an
  avatar cannot follow into a cell vacated later in the same order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from socialenvs.core.config import check_choice
from socialenvs.core.events import EventKind
from socialenvs.core.rng import probability_threshold
from socialenvs.dilemmas.ssd_grid import (
    APPLE,
    EMPTY,
    WALL,
    GridDilemma,
    GridDilemmaConfig,
    check_probabilities,
)

#: Our own Harvest map, 16 x 38, with the counts of SSD's ``HARVEST_MAP``: 155 apple
#: cells (``A``), 20 spawn points (``P``), 104 walls (``@``), 329 empty cells.
HARVEST_MAP = [
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@P   A   P   A    P     A   P   A    @",
    "@   AAA     AAA        AAA     AAA   @",
    "@  AAAAA   AAAAA      AAAAA   AAAAA  @",
    "@   AAA  P  AAA   A    AAA  P  AAA   @",
    "@    A  A    A   AAA    A   A   A    @",
    "@      AAA      AAAAA      AAA       @",
    "@ PP  AAAAA PP AAAAAAA PP AAAAA   PP @",
    "@      AAA      AAAAA      AAA       @",
    "@       A        AAA        A        @",
    "@    A       A    A     A       A    @",
    "@   AAA  P  AAA        AAA  P  AAA   @",
    "@  AAAAA   AAAAA      AAAAA   AAAAA  @",
    "@   AAA     AAA        AAA     AAA   @",
    "@    A   P   A    P     A   P   A   P@",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
]

HARVEST_LEGEND = {"@": WALL, "A": APPLE, "P": EMPTY, " ": EMPTY}

#: Regrowth probability by the number of nearby apples (0, 1, 2, >= 3).
SSD_REGROWTH_PROBS = (0.0, 0.005, 0.02, 0.05)  # SSD harvest.py
MELTINGPOT_REGROWTH_PROBS = (0.0, 0.0025, 0.005, 0.025)  # commons_harvest__open
#: Squared radius of each neighbourhood (offsets with dr^2 + dc^2 <= this).
NEIGHBOURHOOD_RADIUS2 = {"moore": 2, "disc": 4}


@dataclass
class HarvestConfig(GridDilemmaConfig):
    regrowth_probs: Any = None
    """Regrowth probability for 0, 1, 2, >= 3 nearby apples; SSD or Melting Pot table."""
    regrowth_neighbourhood: str | None = None
    """``"moore"`` (3 x 3, SSD) or ``"disc"`` (radius 2, Melting Pot)."""

    RULE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {
        "ssd": dict(
            GridDilemmaConfig.RULE_DEFAULTS["ssd"],
            regrowth_probs=SSD_REGROWTH_PROBS,
            regrowth_neighbourhood="moore",
        ),
        "meltingpot": dict(
            GridDilemmaConfig.RULE_DEFAULTS["meltingpot"],
            regrowth_probs=MELTINGPOT_REGROWTH_PROBS,
            regrowth_neighbourhood="disc",
        ),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        self.regrowth_probs = check_probabilities("regrowth_probs", self.regrowth_probs, 4)
        check_choice(
            "regrowth_neighbourhood", self.regrowth_neighbourhood, list(NEIGHBOURHOOD_RADIUS2)
        )


class Harvest(GridDilemma):
    __doc__ = __doc__
    name = "harvest_v0"
    config_class = HarvestConfig
    DEFAULT_MAP = HARVEST_MAP
    LEGEND = HARVEST_LEGEND
    episode_event_metrics = {"apples_eaten": EventKind.EAT, "zaps": EventKind.ZAP}

    def _setup_resources(self) -> None:
        self.apple_cells = self.map.where("A")  # [K, 2]
        self.apple_r, self.apple_c = self.apple_cells[:, 0], self.apple_cells[:, 1]
        K = len(self.apple_cells)
        r2 = NEIGHBOURHOOD_RADIUS2[self.config.regrowth_neighbourhood]
        # Apples only ever sit on apple cells, so a cell's nearby apples are found among
        # the apple cells within the neighbourhood: neighbours[k] lists them (padded
        # with K, an always-empty sentinel). The cell itself is left out: it can only
        # regrow when it is empty.
        d2 = ((self.apple_cells[:, None, :] - self.apple_cells[None, :, :]) ** 2).sum(-1)
        near = (d2 > 0) & (d2 <= r2)
        width = max(1, int(near.sum(1).max()) if K else 1)
        self.apple_neighbours = np.full((K, width), K, dtype=np.int64)
        for k in range(K):
            nb = np.flatnonzero(near[k])
            self.apple_neighbours[k, : len(nb)] = nb
        self.regrowth_table = np.asarray(self.config.regrowth_probs, dtype=np.float64)
        self.regrowth_thresholds = probability_threshold(self.regrowth_table)
        # Threshold by raw neighbour count (counts >= 3 share the last entry).
        counts = np.minimum(np.arange(self.apple_neighbours.shape[1] + 1), 3)
        self._threshold_by_count = self.regrowth_thresholds[counts]
        self.apple_flat = self.apple_r * self.map.width + self.apple_c
        self._apple_buf = np.zeros((self.num_envs, K + 1), dtype=bool)

    def nearby_apples(self) -> np.ndarray:
        """``int64[B, K]``: apples in each apple cell's regrowth neighbourhood (centre
        excluded), in the order of ``apple_cells``."""
        apples = self.cells[:, self.apple_r, self.apple_c] == APPLE
        padded = np.concatenate([apples, np.zeros((self.num_envs, 1), bool)], axis=1)
        return padded[:, self.apple_neighbours].sum(-1)

    def _grow_resources(self, occ: np.ndarray) -> None:
        K = len(self.apple_r)
        if not K:
            return
        B = self.num_envs
        if B == 1:
            self._grow_one(occ)
            return
        if self._apple_buf.shape[0] != B:
            self._apple_buf = np.zeros((B, K + 1), dtype=bool)  # last column: sentinel
        apples = self._apple_buf
        np.equal(
            np.take(self.cells.reshape(B, -1), self.apple_flat, axis=1), APPLE, out=apples[:, :K]
        )
        # Only empty, unoccupied apple cells can regrow: count their neighbours and draw
        # for them alone (a sparse draw: the same numbers a full [B, K] draw would give).
        free = np.take(occ.reshape(B, -1), self.apple_flat, axis=1) < 0
        free &= ~apples[:, :K]
        b, j = np.nonzero(free)
        k = apples[b[:, None], self.apple_neighbours[j]].sum(-1)
        thresholds = self._threshold_by_count[k]
        if self._threshold_by_count[0] == 0:
            keep = np.flatnonzero(k)
            b, j, thresholds = b[keep], j[keep], thresholds[keep]
        grow = (self.rng.bits_at(b, j) >> np.uint64(11)) < thresholds
        if grow.any():
            self.cells[b[grow], self.apple_r[j[grow]], self.apple_c[j[grow]]] = APPLE

    def _grow_one(self, occ: np.ndarray) -> None:
        """:meth:`_grow_resources` for one copy: the same candidates, draws and growth,
        in fewer numpy calls (flat 1-D takes instead of batched fancy indexing)."""
        K = len(self.apple_flat)
        cells = self.cells.reshape(-1)
        apples = self._apple_buf[0]  # last entry: the always-empty sentinel
        np.equal(cells.take(self.apple_flat), APPLE, out=apples[:K])
        free = occ.reshape(-1).take(self.apple_flat) < 0
        free &= ~apples[:K]
        j = free.nonzero()[0]
        k = apples[self.apple_neighbours[j]].sum(-1)
        if self._threshold_by_count[0] == 0:
            keep = k > 0
            j, k = j[keep], k[keep]
        bits = self.rng.bits_at(j, j)  # one copy: every draw is copy 0's
        grow = (bits >> np.uint64(11)) < self._threshold_by_count[k]
        if grow.any():
            j = j[grow]
            self.cells[0, self.apple_r[j], self.apple_c[j]] = APPLE

    def apples(self) -> np.ndarray:
        """``int64[B]`` apples currently on the map of each copy."""
        return (self.cells == APPLE).sum(axis=(1, 2))
