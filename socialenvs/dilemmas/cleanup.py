"""Cleanup: a public-goods dilemma on a gridworld.

| | |
|---|---|
| Creation | ``socialenvs.make("cleanup_v0")``, ``socialenvs.make("cleanup_v0", preset="lase_small")`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (N = 5; 7 with ``rules="meltingpot"``) |
| Actions | ``Discrete(9)``: SSD's 7 movement actions + fire + clean |
| Observation | ``Box(0, 255, (15, 15, 3), uint8)`` (``rgb``) or ``Box(0, 1, (15, 15, 8), uint8)`` (``symbolic``) |
| Parallel API | yes (AEC through ``parallel_to_aec``); batched through ``make_vec`` |

Apples grow in an orchard only while the river next to it is clean, and waste keeps
accumulating in the river. Cleaning earns nothing; eating earns +1. Everybody wants the
river cleaned and nobody wants to be the one who cleans it: the public-goods dilemma
of the Sequential Social Dilemma "Cleanup" (Hughes et al. 2018, NeurIPS; SSD codebase
``social_dilemmas/envs/cleanup.py``) and Melting Pot's ``clean_up`` (Agapiou et al. 2022).

### Rules (``rules="ssd"``, the default; SSD codebase, spec dilemmas §3 and §8.2)

* Map: our own 25 x 18 map (:data:`CLEANUP_MAP`) with the structure and counts of SSD's
  ``CLEANUP_MAP``: a river on the left (63 clean river cells ``R`` and 56 initial-waste
  cells ``H``: 119 cells that can hold waste), 12 stream cells (``S``) crossing to an
  orchard of 103 apple cells (``B``, empty at reset) on the right, 10 spawn points,
  82 walls (the border). Agents may walk everywhere except walls.
* Actions: SSD's 0 move left, 1 move right, 2 move forward, 3 move back (relative to
  the orientation), 4 stay, 5 turn clockwise, 6 turn counter-clockwise, 7 fire
  (penalty beam), 8 clean.
* Each step, in order: turns; moves in a random order; eating (+1); beams (penalty and
  cleaning, all cast against the same state from the new positions); then waste
  density ``d = waste cells / 119`` is measured and resources spawn:
  - ``d >= depletion_threshold`` (0.4): no apples and no waste spawn;
  - otherwise every orchard cell without apple or avatar grows an apple with
    probability ``apple_respawn_prob * (1 - (d - restoration) / (depletion -
    restoration))`` (0.05 at ``d <= restoration_threshold`` = 0, falling linearly to 0
    at 40 % waste), and the clean river cells are visited in random order with one
    draw each at ``waste_spawn_prob`` (0.5): the first success becomes waste -- **at
    most one new waste cell per step**. We sample this outcome directly (a new waste
    cell with probability ``1 - (1 - p)^M`` over the M clean river cells, placed
    uniformly among them) and skip river cells an avatar stands on.
* At reset the 56 initial-waste cells are waste: ``d = 0.47 >= 0.4``, so **no apples
  grow until agents clean**.
* Penalty beam as in Harvest: length 5, width 3, -1 to the firer, -50 to each avatar
  hit, nobody removed. Cleaning beam: length 5, width 3, free; each ray turns the first
  waste cell it reaches into river and stops there (it also stops at the first avatar,
  harmlessly, and before walls). A waste cell reached by two beams counts once, for
  the lowest-indexed firer.

### Melting Pot rules (``rules="meltingpot"``; ``clean_up``, spec §8.3)

Same thresholds and growth rate; 7 players; waste spawns only after the first 50 steps;
zap length 3, width 3, cooldown 10, a hit player is removed for 50 steps (all-zero
observation, no effect of its actions, then back on a random free spawn point); no
reward or cost for zapping; cleaning beam length 3, width 3, cooldown 2.

### Presets (``preset=``)

* ``cleanup_small_sym`` (LIO, Yang et al. 2020; spec §4): our own symmetric 7 x 7 map
  with a row of 5 waste cells above and a row of 5 orchard cells below, 2 agents, 50
  steps, 9 x 9 window, apple 0.5, depletion 0.6, restoration 0, waste 0.5; cleaning
  beam width 3; orientation fixed to north and view not rotated ("rotation disabled"):
  actions move N/E/S/W, stay, clean (no penalty beam: our choice, LIO studies
  incentives, not punishment).
* ``cleanup_10x10_sym`` (LIO): our own symmetric 10 x 10 map, 3 agents, 50 steps, 15 x 15
  window, apple 0.3, depletion 0.4, restoration 0 and waste 0.5 (both not known;
  chosen), otherwise as ``cleanup_small_sym``.
* ``lase_small`` (LASE, Kong et al. 2024, dev code; spec §5): 4 agents on an 8 x 8 map
  without walls (two river rows holding 8 initial waste cells, two orchard rows), 5 x 5
  unrotated window, ``symbolic`` observations, 100 steps, waste spawn 0.1, 7 actions:
  move N/E/S/W (turning the avatar to face that way), stay, fire, clean; both beams a
  single ray of length 5; no punishment (the fire action exists, as in the LASE code,
  but costs and fines 0). Apple respawn 0.05 and thresholds 0.4 / 0 are SSD's (the
  LASE appendix values are not known).

### Observations

As Harvest (:mod:`socialenvs.dilemmas.harvest`): ``rgb`` with SSD's colours plus waste
(brown), river (blue), stream (light blue), cleaning beam (cyan); or 8 ``symbolic``
layers ``wall, apple, beam, waste, river, clean_beam, self, others`` (stream cells light
the ``river`` layer).

### Events and statistics

``EAT``, ``ZAP``, ``CLEAN`` (actor, cell), ``SPAWN`` (a new waste cell; ``context`` =
the waste cell code), ``REMOVE``/``RESPAWN`` (Melting Pot rules).
Episode statistics add ``apples_eaten``, ``waste_cleaned`` and ``zaps``.

### Arguments

All of Harvest's except the regrowth ones, plus:

* ``depletion_threshold`` (0.4), ``restoration_threshold`` (0.0), ``apple_respawn_prob``
  (0.05), ``waste_spawn_prob`` (0.5), ``waste_spawn_delay`` (0 / 50).
* ``clean_beam_length`` (5 / 3), ``clean_beam_width`` (3), ``clean_cost`` (0),
  ``clean_cooldown`` (0 / 2).
* ``ascii_map``: legend ``@`` wall, ``B`` orchard cell, ``H`` river cell holding waste,
  ``R`` clean river cell, ``S`` stream, ``P`` spawn point, space empty.

### Version history

* v0: initial release. Choices where the sources are silent: the maps; waste never
  spawns under an avatar; simultaneous beams; cleaning credit for a doubly-hit cell;
  the LIO and LASE action sets described above; removal as in Harvest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from socialenvs.core import grid
from socialenvs.core.config import check_int, check_range
from socialenvs.core.events import EventKind
from socialenvs.core.rng import probability_threshold
from socialenvs.dilemmas.ssd_grid import (
    APPLE,
    CLEAN_BEAM,
    EMPTY,
    RIVER,
    STREAM,
    WALL,
    WASTE,
    GridDilemma,
    GridDilemmaConfig,
)

#: Our own Cleanup map, 25 x 18, with the structure and counts of SSD's ``CLEANUP_MAP``.
CLEANUP_MAP = [
    "@@@@@@@@@@@@@@@@@@",
    "@RRRRR      BBBBB@",
    "@HHHHHH     BBBBB@",
    "@RRRRR  P    BBBB@",
    "@HHHHH    P BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH P    BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@RRRRR      BBBBB@",
    "@HHHHH   P   BBBB@",
    "@RRRRR     PBBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR  P   BBBBB@",
    "@RRRRR    P  BBBB@",
    "@HHHHHH     BBBBB@",
    "@RRRRR P     BBBB@",
    "@HHHHH      BBBBB@",
    "@RRRRR   P   BBBB@",
    "@HHHHH      BBBBB@",
    "@RRRRR     P BBBB@",
    "@HHRRR      BBBBB@",
    "@RRRRR       BBBB@",
    "@@@@@@@@@@@@@@@@@@",
]

#: LIO-style small symmetric map (ours): waste above, orchard below, 2 spawn points.
CLEANUP_SMALL_SYM_MAP = [
    "@@@@@@@",
    "@HHHHH@",
    "@     @",
    "@P   P@",
    "@     @",
    "@BBBBB@",
    "@@@@@@@",
]

#: LIO-style 10 x 10 symmetric map (ours): 8 of 16 river cells hold waste.
CLEANUP_10X10_SYM_MAP = [
    "@@@@@@@@@@",
    "@HRHRRHRH@",
    "@RHRHHRHR@",
    "@        @",
    "@ P    P @",
    "@   PP   @",
    "@        @",
    "@BBBBBBBB@",
    "@BBBBBBBB@",
    "@@@@@@@@@@",
]

#: LASE small Cleanup map (ours): 8 x 8, no walls, 8 of 16 river cells hold waste.
LASE_SMALL_MAP = [
    "HRHRRHRH",
    "RHRHHRHR",
    "        ",
    "  P  P  ",
    " P    P ",
    "        ",
    "BBBBBBBB",
    "BBBBBBBB",
]

CLEANUP_LEGEND = {
    "@": WALL,
    "B": EMPTY,
    "H": WASTE,
    "R": RIVER,
    "S": STREAM,
    "P": EMPTY,
    " ": EMPTY,
}

_LIO_COMMON = dict(
    clean_beam_width=3,
    rotate_view=False,
    action_set="fixed",
    fire_enabled=False,
)


@dataclass
class CleanupConfig(GridDilemmaConfig):
    depletion_threshold: float = 0.4
    """Waste density at and above which neither apples nor waste spawn (SSD
    thresholdDepletion)."""
    restoration_threshold: float = 0.0
    """Waste density at and below which apples grow at ``apple_respawn_prob`` (SSD
    thresholdRestoration)."""
    apple_respawn_prob: float = 0.05
    """Maximum per-cell apple growth probability (SSD appleRespawnProbability)."""
    waste_spawn_prob: float = 0.5
    """Per-cell waste draw probability while density is below depletion (at most one
    new waste cell per step)."""
    waste_spawn_delay: int | None = None
    """Steps before waste starts to spawn; default 0 (SSD) / 50 (Melting Pot)."""
    clean_beam_length: int | None = None
    """Cleaning-beam length; default 5 (SSD) / 3 (Melting Pot)."""
    clean_beam_width: int = 3
    """Cleaning-beam width (odd)."""
    clean_cost: float = 0.0
    """Reward added to the cleaner for each use of the cleaning beam."""
    clean_cooldown: int | None = None
    """Steps after a cleaning shot before the next; default 0 (SSD) / 2 (Melting Pot)."""

    RULE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {
        "ssd": dict(
            GridDilemmaConfig.RULE_DEFAULTS["ssd"],
            waste_spawn_delay=0,
            clean_beam_length=5,
            clean_cooldown=0,
        ),
        "meltingpot": dict(
            GridDilemmaConfig.RULE_DEFAULTS["meltingpot"],
            zap_cooldown=10,
            removal_duration=50,
            waste_spawn_delay=50,
            clean_beam_length=3,
            clean_cooldown=2,
        ),
    }

    PRESETS = {
        "cleanup_small_sym": dict(
            _LIO_COMMON,
            ascii_map=CLEANUP_SMALL_SYM_MAP,
            num_agents=2,
            max_cycles=50,
            view_radius=4,
            apple_respawn_prob=0.5,
            depletion_threshold=0.6,
            restoration_threshold=0.0,
            waste_spawn_prob=0.5,
        ),
        "cleanup_10x10_sym": dict(
            _LIO_COMMON,
            ascii_map=CLEANUP_10X10_SYM_MAP,
            num_agents=3,
            max_cycles=50,
            view_radius=7,
            apple_respawn_prob=0.3,
            depletion_threshold=0.4,
            restoration_threshold=0.0,
            waste_spawn_prob=0.5,
        ),
        "lase_small": dict(
            ascii_map=LASE_SMALL_MAP,
            num_agents=4,
            max_cycles=100,
            view_radius=2,
            rotate_view=False,
            obs_type="symbolic",
            action_set="absolute",
            waste_spawn_prob=0.1,
            beam_length=5,
            beam_width=1,
            clean_beam_length=5,
            clean_beam_width=1,
            fire_cost=0.0,
            hit_penalty=0.0,
        ),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in (
            "depletion_threshold",
            "restoration_threshold",
            "apple_respawn_prob",
            "waste_spawn_prob",
        ):
            check_range(name, getattr(self, name), 0.0, 1.0)
        if self.restoration_threshold >= self.depletion_threshold:
            raise ValueError(
                f"restoration_threshold={self.restoration_threshold!r} must be below "
                f"depletion_threshold={self.depletion_threshold!r}"
            )
        check_int("waste_spawn_delay", self.waste_spawn_delay, 0)
        check_int("clean_beam_length", self.clean_beam_length, 1)
        check_int("clean_cooldown", self.clean_cooldown, 0)
        if self.clean_beam_width < 1 or self.clean_beam_width % 2 == 0:
            raise ValueError(
                f"clean_beam_width={self.clean_beam_width!r} must be a positive odd integer"
            )


class Cleanup(GridDilemma):
    __doc__ = __doc__
    name = "cleanup_v0"
    config_class = CleanupConfig
    DEFAULT_MAP = CLEANUP_MAP
    LEGEND = CLEANUP_LEGEND
    extra_action_names = ("clean",)
    episode_event_metrics = {
        "apples_eaten": EventKind.EAT,
        "waste_cleaned": EventKind.CLEAN,
        "zaps": EventKind.ZAP,
    }

    def _setup_resources(self) -> None:
        cfg = self.config
        self.CLEAN = self.actions.index("clean")
        self.clean_beam = grid.beam_shape(
            cfg.clean_beam_length,
            cfg.clean_beam_width,
            "ssd" if cfg.rules == "ssd" else "meltingpot",
        )
        self.orchard_cells = self.map.where("B")
        self.river_cells = self.map.where("HR")  # every cell that can hold waste
        if not len(self.river_cells):
            raise ValueError("a Cleanup map needs river cells ('R' or 'H')")
        self.clean_cooldown_left = np.zeros((self.num_envs, self.num_agents), dtype=np.int64)
        W = self.map.width
        self.river_flat = self.river_cells[:, 0] * W + self.river_cells[:, 1]
        self.orchard_flat = self.orchard_cells[:, 0] * W + self.orchard_cells[:, 1]

    def _reset_resources(self, idx: np.ndarray) -> None:
        self.clean_cooldown_left[idx] = 0

    # ------------------------------------------------------------------ rules
    def waste_density(self) -> np.ndarray:
        """``float64[B]``: fraction of the river cells holding waste."""
        river = np.take(self.cells.reshape(self.num_envs, -1), self.river_flat, axis=1)
        return np.count_nonzero(river == WASTE, axis=1) / len(self.river_flat)

    def apple_spawn_prob(self, density: np.ndarray) -> np.ndarray:
        """Per-cell apple growth probability at waste density ``density`` (SSD rule)."""
        cfg = self.config
        lo, hi = cfg.restoration_threshold, cfg.depletion_threshold
        frac = np.clip((density - lo) / (hi - lo), 0.0, 1.0)
        return np.where(density >= hi, 0.0, cfg.apple_respawn_prob * (1.0 - frac))

    def waste_spawn_prob(self, density: np.ndarray) -> np.ndarray:
        """Per-draw waste probability at waste density ``density``."""
        cfg = self.config
        p = np.where(density >= cfg.depletion_threshold, 0.0, cfg.waste_spawn_prob)
        return np.where(self.t + 1 > cfg.waste_spawn_delay, p, 0.0)

    def _extra_actions(self, actions, active, occ, rewards):
        cfg = self.config
        cleaning = (actions == self.CLEAN) & active
        if cfg.clean_cooldown:
            cleaning &= self.clean_cooldown_left == 0
            self.clean_cooldown_left = np.maximum(self.clean_cooldown_left - 1, 0)
            self.clean_cooldown_left[cleaning] = cfg.clean_cooldown - 1
        if not cleaning.any():
            return None
        if cfg.clean_cost:
            rewards += cleaning * np.float32(cfg.clean_cost)
        res = grid.cast_beams(
            self.pos,
            self.ori,
            cleaning,
            self.clean_beam,
            self.walls,
            occ,
            absorb=self.cells == WASTE,
        )
        b, f, r, c = res.absorbed_cells()
        if len(b):
            H, W = self.map.shape
            _, first = np.unique((b * H + r) * W + c, return_index=True)
            b, f, r, c = b[first], f[first], r[first], c[first]
            self.cells[b, r, c] = RIVER
            self.events.add(EventKind.CLEAN, b, actor=f, row=r, col=c)
        rb, _, rr, rc = res.reached_cells()
        return rb, rr, rc, np.full(len(rb), CLEAN_BEAM, np.uint8)

    def _grow_resources(self, occ: np.ndarray) -> None:
        B = self.num_envs
        if B == 1:
            self._grow_one(occ.reshape(-1))
            return
        cells, occ = self.cells.reshape(B, -1), occ.reshape(B, -1)
        river = np.take(cells, self.river_flat, axis=1)  # [B, 119] codes
        density = np.count_nonzero(river == WASTE, axis=1) / len(self.river_flat)
        self._grow_apples(cells, occ, self.apple_spawn_prob(density))
        # Waste can only spawn in copies below the depletion threshold: look at those.
        prob = self.waste_spawn_prob(density)
        live = np.flatnonzero(prob > 0)
        if len(live):
            free_river = (river[live] == RIVER) & (np.take(occ[live], self.river_flat, axis=1) < 0)
            self._spawn_waste(free_river, prob[live], live)

    def _grow_one(self, occ: np.ndarray) -> None:
        """:meth:`_grow_resources` for one copy (``occ`` flat): the same draws and
        outcomes with Python scalars for the per-copy quantities, in a few numpy calls.

        The probabilities are the same IEEE operations as :meth:`apple_spawn_prob`,
        :meth:`waste_spawn_prob` and :func:`probability_threshold`, in the same order;
        ``(1 - p) ** M`` stays in numpy (its ``power`` may use other code than Python's).
        """
        cfg = self.config
        cells = self.cells.reshape(-1)
        river = cells.take(self.river_flat)
        density = int(np.count_nonzero(river == WASTE)) / len(self.river_flat)
        lo, hi = cfg.restoration_threshold, cfg.depletion_threshold
        flat = self.orchard_flat
        if density >= hi:
            # Depleted: no apple and no waste can spawn. The apple draw is still made
            # (it moves the copy's counter, as in the batched path); waste draws none.
            if len(flat):
                self.rng.bits_at(_NO_CELLS, _NO_CELLS)
            return
        if len(flat):
            frac = (density - lo) / (hi - lo)
            frac = 0.0 if frac < 0.0 else (1.0 if frac > 1.0 else frac)
            p = cfg.apple_respawn_prob * (1.0 - frac)
            j = _NO_CELLS
            if p > 0:
                free = cells.take(flat) != APPLE
                free &= occ.take(flat) < 0
                j = free.nonzero()[0]
            bits = self.rng.bits_at(j, j)  # one copy: every draw is copy 0's
            threshold = math.ceil(min(max(p, 0.0), 1.0) * _TWO_53)
            grow = (bits >> np.uint64(11)) < np.uint64(threshold)
            if grow.any():
                j = j[grow]
                self.cells[0, self.orchard_cells[j, 0], self.orchard_cells[j, 1]] = APPLE
        p = cfg.waste_spawn_prob if int(self.t[0]) + 1 > cfg.waste_spawn_delay else 0.0
        if not p > 0:
            return
        free_river = ((river == RIVER) & (occ.take(self.river_flat) < 0)).nonzero()[0]
        m = len(free_river)
        if not m:
            return
        u = self.rng.uniform((2,))[0].tolist()
        spawn_prob = 1.0 - (1.0 - np.array([p])) ** np.array([m], dtype=np.int64)
        if u[0] < spawn_prob[0]:
            kth = min(int(u[1] * m), m - 1)  # uniform in [0, M)
            r, c = self.river_cells[free_river[kth]].tolist()
            self.cells[0, r, c] = WASTE
            self.events.add(EventKind.SPAWN, _COPY0, row=r, col=c, context=WASTE)

    def _grow_apples(self, cells: np.ndarray, occ: np.ndarray, prob: np.ndarray) -> None:
        """Apples on free orchard cells with probability ``prob[b]`` (flat views)."""
        flat = self.orchard_flat
        if not len(flat):
            return
        # One draw per orchard cell and copy, evaluated only where it can matter (a
        # sparse draw gives the numbers the full draw would): free cells of the copies
        # where apples can grow.
        live = np.flatnonzero(prob > 0)
        free = np.take(cells[live], flat, axis=1) != APPLE
        free &= np.take(occ[live], flat, axis=1) < 0
        b, j = np.nonzero(free)
        b = live[b]
        thresholds = probability_threshold(prob)[b]
        grow = (self.rng.bits_at(b, j) >> np.uint64(11)) < thresholds
        if grow.any():
            cells[b[grow], flat[j[grow]]] = APPLE

    def _spawn_waste(self, free_river: np.ndarray, prob: np.ndarray, rows: np.ndarray) -> None:
        """At most one new waste cell per copy among ``free_river`` (``bool[k, 119]``) of
        the copies ``rows`` (``prob``: ``[k]``, their waste probabilities).

        SSD visits the M clean river cells in random order with one draw of probability
        p each, and the first success becomes waste. So some cell becomes waste with
        probability ``1 - (1 - p)^M``, and which one is uniform over the M cells (the
        order is random). We draw exactly that: two uniforms per copy instead of M.
        Copies where p = 0 draw nothing (their counters do not move: reproducible).
        """
        free_count = np.count_nonzero(free_river, axis=1)
        k = np.flatnonzero((prob > 0) & (free_count > 0))
        if not len(k):
            return
        copies = rows[k]
        u = self.rng.uniform((2,), copies)
        m = free_count[k]
        spawn = u[:, 0] < 1.0 - (1.0 - prob[k]) ** m
        if spawn.any():
            k, copies, u, m = k[spawn], copies[spawn], u[spawn], m[spawn]
            kth = np.minimum((u[:, 1] * m).astype(np.int64), m - 1)  # uniform in [0, M)
            # Column of the kth free river cell of each copy.
            j = (np.cumsum(free_river[k], axis=1) > kth[:, None]).argmax(axis=1)
            r, c = self.river_cells[j, 0], self.river_cells[j, 1]
            self.cells[copies, r, c] = WASTE
            self.events.add(EventKind.SPAWN, copies, row=r, col=c, context=WASTE)

    def apples(self) -> np.ndarray:
        """``int64[B]`` apples currently on the map of each copy."""
        return (self.cells == APPLE).sum(axis=(1, 2))


_NO_CELLS = np.zeros(0, dtype=np.int64)
_COPY0 = np.zeros(1, dtype=np.int64)
_TWO_53 = float(1 << 53)
