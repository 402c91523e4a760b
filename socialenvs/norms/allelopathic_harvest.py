"""Allelopathic Harvest: berry colour conventions, free-rider marking, graduated sanctions.

| | |
|---|---|
| Creation | ``socialenvs.make("allelopathic_harvest_v0")`` |
| Agents | ``player_0`` .. ``player_15`` (16 by default) |
| Actions | ``Discrete(11)`` (Melting Pot's action set, below) |
| Observation | ``symbolic``: ``Box(0, 1, (11, 11, 13), uint8)``; ``rgb``: ``Box(0, 255, (12, 11, 3), uint8)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Köster et al. 2020, *Model-free conventions in multi-agent reinforcement learning with
heterogeneous preferences* (arXiv 2010.09054); rules as in Melting Pot's substrate
(``meltingpot/configs/substrates/allelopathic_harvest.py``, ``allelopathic_harvest__open.py``,
``lua/levels/allelopathic_harvest/components.lua``, ``lua/modules/avatar_library.lua``
``Zapper`` and ``GraduatedSanctionsMarking``). The dilemma: every player profits when the
whole map is planted in one colour (berries ripen faster the more berries share their
colour), but players disagree on which colour (half like red, half green), and planting
is costly in time while eating is not, so free-riders who only eat are tempting.

### Map and berries

A 30 x 29 **torus** (our own drawing with Melting Pot's counts): 348 berry patches, 116
red, 116 green and 116 blue, all unripe at the start, and 522 floor cells where players
spawn. ``map="small"`` is a 10 x 12 torus with 48 patches (16 per colour) for fast
experiments; a custom map is a list of strings with ``1``/``2``/``3`` (berry colours) and
``P`` (floor/spawn).

* **Ripening** (``Regrowth``): after any change a berry waits ``min_time_to_ripen`` (10)
  steps, i.e. it cannot ripen during the 10 steps after the change; from then on it ripens
  each step with probability ``ripen_base_rate * N_c`` (5e-6 x the number of berries of its
  colour, ripe and unripe): 5.8e-4 at the even split of 116, 1.74e-3 in full monoculture
  of 348. ``cubic_growth=True`` adds ``N_c^3 * ripen_base_rate * cubic_rate`` (9e-6).
  Berries also wait 10 steps at the start of an episode (our reading of "after any state
  change").
* **Eating**: a player stepping onto a ripe berry gets 2 if it is its favourite colour,
  else 1 (``Taste``); the berry becomes unripe, same colour.
* **Planting**: actions ``fire_1..3`` fire a colour beam (length 3, one cell wide,
  cooldown 2 steps). Every unripe berry of another colour it reaches is recoloured and its
  wait restarts; ripe berries cannot be recoloured; the beam stops at the first player it
  meets (our choice; berries do not block it). A berry is recoloured at most once per step
  (the first firer in this step's random order wins).

### Reduced game (``preset="reduced"``)

A smaller game with the same rules, for experiments that must finish in minutes on a
CPU: ``map="small"`` (48 patches), 4 players (2 like red, 2 green), 500-step episodes,
and ``ripen_base_rate`` scaled by ``(348 / 48) * (2000 / 500) = 29`` to 1.45e-4. The
scaling keeps what a player experiences per episode: at the even split a berry ripens
with probability 2.3e-3 per step, about 1.16 times per episode on average, as on
Melting Pot's map (5.8e-4 per step over 2000 steps); monoculture still ripens 3 x
faster than the even split; there are 12 berries per player (Melting Pot: 22). Without
the scaling (``preset="small"``) a berry ripens on average once in 12,500 steps, about
2 ripe berries per 500-step episode for the whole group, so the only reward a learner
sees is the -10 of removals. Everything else (timers, beams, sanctions, marking) is
unchanged. This is our reduction, not a Melting Pot configuration.

### Free-rider marking

Players start grey ("newborn"). Recolouring a berry paints the planter in that colour.
When a player eats, it turns grey again with probability ``1 - monoculture_fraction``
(``stochasticallyCryptic``), where ``monoculture_fraction = max_c N_c / sum_c N_c``. Grey
therefore signals a possible free-rider.

### Graduated sanctions

``fire_zap`` casts a zap beam of length 3 and width 3 (Melting Pot ``Zapper``: radius 1),
cooldown 4 steps, stopped by the first player on each ray. Zapping has no direct cost or
reward (``penalty_for_being_zapped = reward_for_zapping = 0`` by default).

* **First hit** (level 1 -> 2): the target is frozen for ``freeze_duration`` (25) steps:
  all its actions are ignored. It shows as *marked*.
* **Second hit while marked**: the target gets ``removal_penalty`` (-10) and is removed
  from the map for ``respawn_delay`` (25) steps, then respawns on a random free floor cell
  unmarked. Melting Pot removes it one frame after the hit and freezes it for that frame;
  here it is removed at once, which has the same effect (it cannot act in either case).
* **Recovery**: a marked player that is not hit for ``recovery_time`` (50) steps returns
  to level 1.
* One sanction level per target per step: if several beams hit it in the same step, every
  hit is logged as a ``ZAP`` event but the level advances once (our choice).

Removed players stay in ``agents`` (PettingZoo view); their observation is all zeros and
their actions have no effect.

### Actions (Melting Pot order)

| action | meaning |
|---|---|
| 0 ``noop`` | nothing |
| 1 ``forward``, 2 ``backward``, 3 ``step_left``, 4 ``step_right`` | move relative to the orientation |
| 5 ``turn_left``, 6 ``turn_right`` | turn 90 degrees |
| 7 ``fire_zap`` | sanction beam |
| 8 ``fire_1``, 9 ``fire_2``, 10 ``fire_3`` | plant red, green, blue |

Players move one at a time in a fresh random order each step (the grid core's conflict
rule).

### Observations

An egocentric window 11 cells wide, 9 ahead and 1 behind (Melting Pot's view), turning
with the player; the map wraps around.

* ``obs_type="symbolic"`` (default): ``uint8[11, 11, 13]`` one-hot layers: unripe red,
  green, blue berry; ripe red, green, blue berry; player grey, red, green, blue; marked
  player; and two constant planes: own zap beam ready (``READY_TO_SHOOT``), own planting
  beam ready.
* ``obs_type="rgb"``: ``uint8[12, 11, 3]``, one pixel per cell (Melting Pot's 8-pixel
  sprites are not drawn), plus a bottom status row: pixel 0 white when the zap beam is
  ready, pixel 1 white when the planting beam is ready, pixel 2 the player's own marking
  colour. The player itself is the cell in row 9, column 5.

### Events (the public sanction stream)

``ZAP`` (actor, target, ``row``/``col`` = target cell, ``context`` = ``4 * actor colour +
target colour`` with colours 0 grey, 1 red, 2 green, 3 blue, ``value`` = the target's
sanction level before the hit); ``SANCTION`` (actor = first zapper, target, ``context`` = 1
freeze, 2 removal); ``REMOVE`` (target, ``value`` = respawn delay); ``RESPAWN``; ``EAT``
(actor, cell, ``context`` = berry colour 1..3, ``value`` = reward); ``PLANT`` (actor, cell,
``context`` = new colour 1..3, ``value`` = old colour 1..3). :func:`zap_colours` decodes the
``ZAP`` context. ``berry_counts()`` gives ``N_c`` per copy (monoculture over time).

For sanction-learning agents (classifier norm model) ``record_opportunities=True``
computes, before each step, who could zap whom (``last_opportunities``: ``bool[B, N, N]``,
target on one of the actor's zap rays and the actor able to fire) and a public context
per pair (``last_contexts``, ``float32[B, N, N, 13]``: target colour one-hot, target
marked, target frozen, actor colour one-hot, leading berry colour one-hot); the step's decisions are ``last_zaps`` (``bool[B, N, N]``).
The same data also enter the public event record as ``OPPORTUNITY`` events, one per pair
that could zap or did zap this step (actor, target, ``value`` = 1.0 if the actor zapped
the target, else 0.0; ``context`` = the pair's 13 context bits packed into one integer,
bit k = feature k; :func:`unpack_context` decodes them). A zap that hits a player who
walked into the beam during the step (not an opportunity before it) is included with
``value`` 1. This is the sanction-observation stream of the classifier norm model
(:mod:`agents.cnm`): opportunities, decisions and their context.
``sanction_opportunities()`` returns the next step's opportunities and contexts from the
current state (read-only), for agents that judge their possible targets before acting.

### Arguments

* ``num_players`` (int, 16).
* ``tastes`` (str or tuple, ``"half"``): ``"half"`` (first half like red, the rest green:
  the current ``_open`` substrate and the CNM paper), ``"all_red"`` (2021 release),
  ``"alternate"`` (role ``default``: ``player_idx % 2``), or a tuple of colours 1..3.
* ``map`` (str or list, ``"default"``): ``"default"``, ``"small"`` or ASCII rows.
* ``max_cycles`` (int, 2000).
* ``ripen_base_rate`` (5e-6), ``min_time_to_ripen`` (10), ``cubic_growth`` (False),
  ``cubic_rate`` (9e-6).
* ``reward_most_tasty`` (2), ``reward_default`` (1).
* ``plant_beam_length`` (3), ``plant_cooldown`` (2), ``zap_beam_length`` (3),
  ``zap_beam_width`` (3), ``zap_cooldown`` (4).
* ``freeze_duration`` (25), ``removal_penalty`` (10), ``respawn_delay`` (25),
  ``recovery_time`` (50), ``penalty_for_being_zapped`` (0), ``reward_for_zapping`` (0).
* ``stochastically_cryptic`` (bool, True).
* ``obs_type`` (str, ``"symbolic"``): or ``"rgb"``.
* ``record_opportunities`` (bool, False).

Not implemented: the library's 3-level sanction schedule and the ``RewardForColoring``
hook (both off in Melting Pot's AH).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from socialenvs.core import grid
from socialenvs.core.config import check_choice, check_int, check_range
from socialenvs.core.events import EventKind
from socialenvs.core.sim import Sim

# Our 30 x 29 torus with Melting Pot's counts: 116 each of berry colours 1/2/3, 522 floor.
DEFAULT_MAP = [
    "3P2PP1P3PP3P3PP2P2PP1P1PP3P3P",
    "P2P2PP3P3PP3P3PP2P2PP1P1PP3P3",
    "PP2P2PP3P3PP3P3PP2P2PP1P1PP2P",
    "2PP2P2PP1P1PP3P3PP2P2PP1P1PP2",
    "P2PP2P3PP1P1PP3P3PP2P1PP1P1PP",
    "2P2PP2P1PP1P1PP3P3PP2P1PP1P1P",
    "P2P2PP2P1PP1P3PP3P3PP1P1PP1P2",
    "PP2P2PP2P1PP3P3PP3P3PP1P1PP1P",
    "2PP2P2PP2P1PP3P3PP3P3PP1P1PP1",
    "P2PP2P2PP2P2PP3P3PP3P3PP1P1PP",
    "1P2PP2P2PP2P3PP3P3PP3P3PP1P1P",
    "P1P1PP2P2PP2P3PP3P3PP3P3PP3P1",
    "PP1P1PP2P2PP2P3PP1P1PP3P3PP3P",
    "1PP1P1PP2P2PP2P1PP1P1PP3P3PP2",
    "P1PP1P3PP2P2PP2P1PP1P1PP2P2PP",
    "1P1PP3P3PP3P2PP1P1PP1P3PP2P2P",
    "P1P1PP3P3PP2P2PP1P1PP1P2PP2P2",
    "PP3P3PP3P3PP2P1PP1P1PP2P2PP2P",
    "2PP3P3PP3P3PP1P1PP1P2PP2P2PP2",
    "P3PP3P3PP1P1PP1P2PP2P2PP2P2PP",
    "3P3PP3P3PP1P1PP2P2PP2P2PP2P2P",
    "P3P3PP3P1PP1P1PP2P3PP2P2PP2P1",
    "PP3P3PP1P1PP1P1PP2P3PP2P2PP1P",
    "3PP3P3PP1P1PP1P2PP3P3PP2P3PP3",
    "P1PP1P1PP2P2PP1P2PP3P3PP3P3PP",
    "3P1PP1P2PP2P2PP1P2PP2P3PP3P3P",
    "P1P1PP1P2PP2P2PP1P2PP3P3PP3P3",
    "PP1P1PP2P2PP2P2PP1P1PP3P3PP3P",
    "3PP1P1PP2P3PP2P1PP1P1PP3P3PP3",
    "P3PP1P1PP3P3PP2P1PP1P1PP3P3PP",
]
SMALL_MAP = [
    "1P2PP1P3PP3P",
    "P1P2PP1P2PP1",
    "PP3P1PP1P2PP",
    "2PP3P1PP2P2P",
    "P1PP3P3PP2P2",
    "3P2PP3P3PP3P",
    "P2P2PP3P1PP3",
    "PP3P1PP2P1PP",
    "2PP3P1PP2P1P",
    "P1PP3P2PP3P1",
]
MAPS = {"default": DEFAULT_MAP, "small": SMALL_MAP}

# Cell codes of the view: floor, unripe berries, ripe berries, then players by marking.
FLOOR = 0
UNRIPE = 1  # + colour (0 red, 1 green, 2 blue)
RIPE = 4  # + colour
OUTSIDE = 7  # never visible on a torus; required by the view
AVATAR = 8  # + marking colour (0 grey, 1 red, 2 green, 3 blue)
MARKED_AVATAR = 12  # + marking colour, sanction level 2
NUM_CODES = 16
GREY, RED, GREEN, BLUE = 0, 1, 2, 3
COLOUR_NAMES = ("grey", "red", "green", "blue")

ACTION_NAMES = (
    "noop",
    "forward",
    "backward",
    "step_left",
    "step_right",
    "turn_left",
    "turn_right",
    "fire_zap",
    "fire_1",
    "fire_2",
    "fire_3",
)
NOOP, FIRE_ZAP, FIRE_1 = 0, 7, 8
ACTIONS = grid.ActionTable(
    names=ACTION_NAMES,
    move=np.array(
        [grid.NO_MOVE, grid.FORWARD, grid.BACK, grid.LEFT, grid.RIGHT] + [grid.NO_MOVE] * 6,
        dtype=np.int64,
    ),
    turn=np.array([0, 0, 0, 0, 0, -1, 1, 0, 0, 0, 0], dtype=np.int64),
    relative=True,
)

SYMBOLIC_LAYERS = (
    "unripe_red",
    "unripe_green",
    "unripe_blue",
    "ripe_red",
    "ripe_green",
    "ripe_blue",
    "player_grey",
    "player_red",
    "player_green",
    "player_blue",
    "player_marked",
    "ready_to_zap",
    "ready_to_plant",
)
_LAYER_OF_CODE = np.array([-1, 0, 1, 2, 3, 4, 5, -1, 6, 7, 8, 9, 6, 7, 8, 9])
PALETTE = np.array(
    [
        [70, 60, 45],  # floor
        [120, 40, 40],
        [40, 110, 40],
        [40, 50, 120],  # unripe berries (dull)
        [255, 40, 40],
        [40, 230, 40],
        [60, 90, 255],  # ripe berries (bright)
        [0, 0, 0],  # outside
        [175, 175, 175],
        [250, 120, 120],
        [130, 250, 130],
        [130, 160, 250],  # players
        [95, 95, 95],
        [150, 40, 80],
        [40, 140, 90],
        [60, 60, 170],  # marked players
    ],
    dtype=np.uint8,
)
CONTEXT_SIZE = 13
CONTEXT_FIELDS = (
    "target_grey",
    "target_red",
    "target_green",
    "target_blue",
    "target_marked",
    "target_frozen",
    "actor_grey",
    "actor_red",
    "actor_green",
    "actor_blue",
    "leader_red",
    "leader_green",
    "leader_blue",
)
_CONTEXT_BITS = (1 << np.arange(CONTEXT_SIZE)).astype(np.int64)
TASTES = ("half", "all_red", "alternate")
# Melting Pot's baseRate scaled to the small map (48 instead of 348 berries) and to
# 500-step instead of 2000-step episodes: 5e-6 * (348 / 48) * (2000 / 500) = 1.45e-4.
REDUCED_RIPEN_BASE_RATE = 5e-6 * (348 / 48) * (2000 / 500)


def zap_colours(context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode the ``context`` of ``ZAP`` events: (actor colour, target colour), 0 grey .. 3 blue."""
    context = np.asarray(context)
    return context // 4, context % 4


def pack_context(contexts: np.ndarray) -> np.ndarray:
    """Pack ``[..., 13]`` 0/1 context features into integers (bit k = feature k)."""
    return (np.asarray(contexts) > 0.5).astype(np.int64) @ _CONTEXT_BITS


def unpack_context(codes: np.ndarray) -> np.ndarray:
    """``float32[..., 13]`` context features of packed ``OPPORTUNITY`` contexts
    (names in ``CONTEXT_FIELDS``)."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[..., None] & _CONTEXT_BITS) != 0).astype(np.float32)


def parse_berry_map(rows: list[str]) -> grid.GridMap:
    for ch in set("".join(rows)) - set("123P"):
        raise ValueError(f"map character {ch!r} is not allowed; use 1, 2, 3 (berries) and P")
    return grid.parse_map(rows, {"P": FLOOR, "1": UNRIPE, "2": UNRIPE + 1, "3": UNRIPE + 2})


@dataclass
class AllelopathicHarvestConfig:
    num_players: int = 16
    """Players (Melting Pot: 16)."""
    tastes: Any = "half"
    """``"half"``, ``"all_red"``, ``"alternate"`` or a tuple of favourite colours 1..3."""
    map: Any = "default"
    """``"default"`` (30 x 29), ``"small"`` (10 x 12) or a list of ASCII rows."""
    max_cycles: int = 2000
    """Steps per episode (``episode_timesteps``)."""
    ripen_base_rate: float = 5e-6
    """Ripening probability per same-colour berry per step (``baseRate``)."""
    min_time_to_ripen: int = 10
    """Steps after a change during which a berry cannot ripen."""
    cubic_growth: bool = False
    """Add the cubic ripening term."""
    cubic_rate: float = 9e-6
    """Coefficient of the cubic term."""
    reward_most_tasty: float = 2.0
    """Eating a berry of one's favourite colour."""
    reward_default: float = 1.0
    """Eating any other berry."""
    plant_beam_length: int = 3
    """Reach of the planting beams."""
    plant_cooldown: int = 2
    """Steps between planting shots."""
    zap_beam_length: int = 3
    """Reach of the zap beam."""
    zap_beam_width: int = 3
    """Width of the zap beam (odd; Melting Pot radius 1)."""
    zap_cooldown: int = 4
    """Steps between zaps."""
    freeze_duration: int = 25
    """Steps a first hit freezes the target."""
    removal_penalty: float = 10.0
    """Reward lost by a marked player hit again."""
    respawn_delay: int = 25
    """Steps a removed player stays off the map."""
    recovery_time: int = 50
    """Steps without a hit after which a marked player is unmarked."""
    penalty_for_being_zapped: float = 0.0
    """Reward lost per hit (Melting Pot: 0)."""
    reward_for_zapping: float = 0.0
    """Reward per hit landed (Melting Pot: 0)."""
    stochastically_cryptic: bool = True
    """Eaters turn grey with probability 1 - monoculture fraction."""
    obs_type: str = "symbolic"
    """``"symbolic"`` or ``"rgb"``."""
    record_opportunities: bool = False
    """Record sanction opportunities and contexts each step (for CNM agents)."""

    PRESETS = {
        "meltingpot": {},
        "meltingpot_2021": {"tastes": "all_red"},
        "small": {"map": "small", "num_players": 4, "max_cycles": 500},
        # A documented reduction (module doc, "Reduced game"): the small map and 500-step
        # episodes, ripening rate scaled by (348 / 48) x (2000 / 500) = 29.
        "reduced": {
            "map": "small",
            "num_players": 4,
            "max_cycles": 500,
            "ripen_base_rate": REDUCED_RIPEN_BASE_RATE,
        },
    }

    def __post_init__(self) -> None:
        check_int("num_players", self.num_players, 1)
        check_int("max_cycles", self.max_cycles, 1)
        for name in (
            "min_time_to_ripen",
            "plant_cooldown",
            "zap_cooldown",
            "freeze_duration",
            "recovery_time",
        ):
            check_int(name, getattr(self, name), 0)
        for name in ("plant_beam_length", "zap_beam_length", "respawn_delay"):
            check_int(name, getattr(self, name), 1)
        if self.zap_beam_width % 2 == 0 or self.zap_beam_width < 1:
            raise ValueError(
                f"zap_beam_width={self.zap_beam_width!r} must be a positive odd integer"
            )
        check_range("ripen_base_rate", self.ripen_base_rate, 0.0, 1.0)
        check_range("cubic_rate", self.cubic_rate, 0.0)
        check_choice("obs_type", self.obs_type, ("symbolic", "rgb"))
        if isinstance(self.map, str):
            check_choice("map", self.map, tuple(MAPS))
        if isinstance(self.tastes, str):
            check_choice("tastes", self.tastes, TASTES)
        else:
            t = tuple(self.tastes)
            if len(t) != self.num_players or not all(x in (1, 2, 3) for x in t):
                raise ValueError(
                    f"tastes={self.tastes!r} must be one of {list(TASTES)} or a tuple of "
                    f"{self.num_players} colours in 1..3"
                )

    def taste_array(self) -> np.ndarray:
        """Favourite colour of each player, 0 red, 1 green, 2 blue."""
        N = self.num_players
        if self.tastes == "half":
            return (np.arange(N) >= (N + 1) // 2).astype(np.int64)
        if self.tastes == "all_red":
            return np.zeros(N, dtype=np.int64)
        if self.tastes == "alternate":
            return np.arange(N, dtype=np.int64) % 2
        return np.asarray(self.tastes, dtype=np.int64) - 1

    def map_rows(self) -> list[str]:
        return MAPS[self.map] if isinstance(self.map, str) else list(self.map)


class AllelopathicHarvest(Sim):
    __doc__ = __doc__
    name = "allelopathic_harvest_v0"
    config_class = AllelopathicHarvestConfig
    render_fps = 8
    episode_event_metrics = {
        "berries_eaten": EventKind.EAT,
        "zaps": EventKind.ZAP,
        "replantings": EventKind.PLANT,
        "removals": EventKind.REMOVE,
    }
    #: Decoder of ``OPPORTUNITY`` contexts (the classifier norm model's input) and its size.
    opportunity_features = staticmethod(unpack_context)
    opportunity_feature_size = CONTEXT_SIZE

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        c = self.config
        N, B = int(c.num_players), self.num_envs
        self.num_agents = N
        self.map = parse_berry_map(c.map_rows())
        H, W = self.map.shape
        self.spawn_points = self.map.where("P")
        if len(self.spawn_points) < N:
            raise ValueError(
                f"num_players={N} exceeds the {len(self.spawn_points)} floor cells of the map"
            )
        berries = self.map.where("123")
        self.berry_rows, self.berry_cols = berries[:, 0], berries[:, 1]
        self.num_berries = len(berries)
        if self.num_berries == 0:
            raise ValueError("the map has no berry patches (characters 1, 2, 3)")
        self.initial_colour = (self.map.cells[self.berry_rows, self.berry_cols] - UNRIPE).astype(
            np.int8
        )
        self.berry_index = np.full((H, W), -1, dtype=np.int64)
        self.berry_index[self.berry_rows, self.berry_cols] = np.arange(self.num_berries)
        self.tastes = c.taste_array()
        self.actions = ACTIONS
        self.action_space = gymnasium.spaces.Discrete(ACTIONS.n)
        self.view = grid.EgocentricView(grid.ViewSpec.meltingpot(), H, W, OUTSIDE, wrap=False)
        # Torus views: the map is copied into a canvas padded by wrapping around, then every
        # window is one flat gather with the view's precomputed offsets (several times
        # faster than wrapping each window coordinate).
        pad = self.view.pad
        self._wrap_rows = np.arange(-pad, H + pad) % H
        self._wrap_cols = np.arange(-pad, W + pad) % W
        vh, vw = self.view.shape
        if c.obs_type == "rgb":
            self.observation_space = gymnasium.spaces.Box(0, 255, (vh + 1, vw, 3), np.uint8)
        else:
            self.observation_space = gymnasium.spaces.Box(
                0, 1, (vh, vw, len(SYMBOLIC_LAYERS)), np.uint8
            )
        self.symbolic_table = grid.one_hot_table(_LAYER_OF_CODE, len(SYMBOLIC_LAYERS))
        # Code -> bytes lookups with one np.take (rgb over code pairs): the same bytes as
        # table[codes], about 4x faster for the 13 symbolic layers at B=1024.
        self._symbolic_lookup = grid.CodeLookup(self.symbolic_table)
        self._rgb_lookup = grid.CodeLookup(PALETTE)
        self.plant_beam = grid.beam_shape(c.plant_beam_length, 1, "meltingpot")
        self.zap_beam = grid.beam_shape(c.zap_beam_length, c.zap_beam_width, "meltingpot")
        self.passable = np.ones((H, W), dtype=bool)
        self.opaque = np.zeros((H, W), dtype=bool)
        # State.
        self.colour = np.zeros((B, self.num_berries), dtype=np.int8)  # 0 red, 1 green, 2 blue
        self.ripe = np.zeros((B, self.num_berries), dtype=bool)
        self.wait = np.zeros((B, self.num_berries), dtype=np.int16)
        self.pos = np.zeros((B, N, 2), dtype=np.int64)
        self.ori = np.zeros((B, N), dtype=np.int64)
        self.marking = np.zeros((B, N), dtype=np.int8)  # 0 grey, 1..3 colour
        self.level = np.ones((B, N), dtype=np.int8)  # sanction level 1 or 2
        self.frozen_for = np.zeros((B, N), dtype=np.int64)
        self.marked_for = np.zeros((B, N), dtype=np.int64)  # steps until recovery
        self.removed_for = np.zeros((B, N), dtype=np.int64)
        self.zap_cool = np.zeros((B, N), dtype=np.int64)
        self.plant_cool = np.zeros((B, N), dtype=np.int64)
        self.last_zaps = np.zeros((B, N, N), dtype=bool)
        self.last_opportunities = np.zeros((B, N, N), dtype=bool)
        self.last_contexts = np.zeros((B, N, N, CONTEXT_SIZE), dtype=np.float32)

    # ------------------------------------------------------------------ reset
    def _reset(self, idx: np.ndarray) -> None:
        c = self.config
        self.colour[idx] = self.initial_colour
        self.ripe[idx] = False
        self.wait[idx] = c.min_time_to_ripen
        pos, ori = grid.spawn_agents(self.rng, idx, self.spawn_points, self.num_agents)
        self.pos[idx] = pos
        self.ori[idx] = ori
        for arr in (
            self.marking,
            self.frozen_for,
            self.marked_for,
            self.removed_for,
            self.zap_cool,
            self.plant_cool,
        ):
            arr[idx] = 0
        self.level[idx] = 1
        self.last_zaps[idx] = False
        self.last_opportunities[idx] = False
        self.last_contexts[idx] = 0.0

    # ------------------------------------------------------------------ helpers
    def berry_counts(self) -> np.ndarray:
        """``int64[B, 3]``: berries of each colour (red, green, blue) per copy."""
        B = self.num_envs
        flat = self.colour.astype(np.int64) + 3 * np.arange(B)[:, None]
        return np.bincount(flat.ravel(), minlength=3 * B).reshape(B, 3)

    def monoculture_fraction(self) -> np.ndarray:
        """``float64[B]``: ``max_c N_c / sum_c N_c``."""
        counts = self.berry_counts()
        return counts.max(axis=1) / counts.sum(axis=1)

    def active(self) -> np.ndarray:
        return self.removed_for == 0

    def inactive(self) -> np.ndarray:
        return self.removed_for > 0

    def _cells(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``uint8[b, H, W]`` berry/floor codes (players not drawn)."""
        colour = self.colour if idx is None else self.colour[idx]
        ripe = self.ripe if idx is None else self.ripe[idx]
        cells = np.broadcast_to(np.uint8(FLOOR), (len(colour), *self.map.shape)).copy()
        cells[:, self.berry_rows, self.berry_cols] = UNRIPE + colour + 3 * ripe
        return cells

    def _player_codes(self, idx: np.ndarray) -> np.ndarray:
        marked = self.level[idx] >= 2
        return (np.where(marked, MARKED_AVATAR, AVATAR) + self.marking[idx]).astype(np.uint8)

    def _opportunity_state(
        self, active: np.ndarray, can_act: np.ndarray, ctx: np.ndarray
    ) -> np.ndarray:
        """Who could zap whom now (``bool[B, N, N]``); writes each pair's public context
        into ``ctx`` (``float32[B, N, N, 13]``)."""
        H, W = self.map.shape
        N = self.num_agents
        ready = can_act & (self.zap_cool == 0)
        occ = grid.occupancy(self.pos, (H, W), active)
        res = grid.cast_beams(self.pos, self.ori, ready, self.zap_beam, self.opaque, occ, wrap=True)
        opp = res.hit_matrix(self.num_envs, N)
        ctx[:] = 0.0
        eye4 = np.eye(4, dtype=np.float32)
        counts = self.berry_counts()
        leader = counts.argmax(axis=1)  # 0..2
        tgt_colour = eye4[self.marking]  # [B, N, 4]
        ctx[..., 0:4] = tgt_colour[:, None, :, :]
        ctx[..., 4] = (self.level >= 2)[:, None, :]
        ctx[..., 5] = (self.frozen_for > 0)[:, None, :]
        ctx[..., 6:10] = eye4[self.marking][:, :, None, :]
        ctx[..., 10:13] = np.eye(3, dtype=np.float32)[leader][:, None, None, :]
        return opp

    def _record_opportunities(self, active: np.ndarray, can_act: np.ndarray) -> None:
        """Who could zap whom before this step, and the public context of each pair."""
        self.last_opportunities = self._opportunity_state(active, can_act, self.last_contexts)

    def sanction_opportunities(self) -> tuple[np.ndarray, np.ndarray]:
        """The sanction opportunities of the *next* step, from the current state.

        Returns ``(opportunities, contexts)``: ``bool[B, N, N]`` (actor could zap target)
        and ``float32[B, N, N, 13]`` (the pair's public context, ``CONTEXT_FIELDS``):
        exactly what the next :meth:`step` records as ``last_opportunities`` and
        ``last_contexts`` before it applies the actions. Reads the state only (no
        randomness), so calling it does not change a trajectory. Used to show an agent
        its classifier's view of the players it could zap (:mod:`training.cnm`).
        """
        active = self.removed_for == 0
        can_act = active & (self.frozen_for == 0)
        ctx = np.empty((self.num_envs, self.num_agents, self.num_agents, CONTEXT_SIZE), np.float32)
        return self._opportunity_state(active, can_act, ctx), ctx

    def _emit_opportunities(self) -> None:
        """``OPPORTUNITY`` events: every pair that could zap or zapped, with its decision."""
        env, actor, target = np.nonzero(self.last_opportunities | self.last_zaps)
        if not len(env):
            return
        self.events.add(
            EventKind.OPPORTUNITY,
            env,
            actor=actor,
            target=target,
            context=pack_context(self.last_contexts[env, actor, target]),
            value=self.last_zaps[env, actor, target].astype(np.float32),
        )

    # ------------------------------------------------------------------ step
    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        B, N = self.num_envs, self.num_agents
        H, W = self.map.shape
        rows = np.arange(B)
        rewards = np.zeros((B, N))
        active = self.removed_for == 0
        can_act = active & (self.frozen_for == 0)
        if c.record_opportunities:
            self._record_opportunities(active, can_act)
        actions = np.where(can_act, actions, NOOP)
        counts = self.berry_counts()
        mono = counts.max(axis=1) / counts.sum(axis=1)

        # Turn and move (random order, torus).
        move_dir, turn = ACTIONS.decode(actions, self.ori)
        self.ori = grid.turn_agents(self.ori, turn)
        occ = grid.occupancy(self.pos, (H, W), active)
        order = self.rng.permutation(N)
        moved = grid.move_agents(self.pos, move_dir, order, self.passable, occ, active, wrap=True)

        # Eating: entering a cell with a ripe berry.
        k = self.berry_index[self.pos[..., 0], self.pos[..., 1]]  # [B, N]
        eats = moved & (k >= 0)
        eats &= self.ripe[rows[:, None], np.maximum(k, 0)]
        if c.stochastically_cryptic:
            turn_grey = self.rng.uniform((N,)) >= mono[:, None]
        else:
            turn_grey = np.zeros((B, N), dtype=bool)
        if eats.any():
            b, i = np.nonzero(eats)
            kb = k[b, i]
            colour = self.colour[b, kb].astype(np.int64)
            r = np.where(colour == self.tastes[i], c.reward_most_tasty, c.reward_default)
            rewards[b, i] += r
            self.ripe[b, kb] = False
            self.wait[b, kb] = c.min_time_to_ripen
            grey = turn_grey[b, i]
            self.marking[b[grey], i[grey]] = GREY
            self.events.add(
                EventKind.EAT,
                b,
                actor=i,
                row=self.berry_rows[kb],
                col=self.berry_cols[kb],
                context=colour + 1,
                value=r,
            )

        # Planting beams.
        is_plant = actions >= FIRE_1
        firing = is_plant & (self.plant_cool == 0) & can_act
        if firing.any():
            self.plant_cool[firing] = c.plant_cooldown
            self._plant(firing, actions, occ, order)

        # Zap beam and graduated sanctions.
        zapping = (actions == FIRE_ZAP) & (self.zap_cool == 0) & can_act
        self.last_zaps = np.zeros((B, N, N), dtype=bool)
        newly_removed = np.zeros((B, N), dtype=bool)
        sanctioned = np.zeros((B, N), dtype=bool)
        if zapping.any():
            self.zap_cool[zapping] = c.zap_cooldown
            newly_removed, sanctioned = self._zap(zapping, occ, rewards)

        if c.record_opportunities:
            self._emit_opportunities()

        # Timers: cooldowns (a beam fired at t is ready again at t + cooldown), freezing,
        # recovery, removal.
        self.plant_cool = np.maximum(self.plant_cool - 1, 0)
        self.zap_cool = np.maximum(self.zap_cool - 1, 0)
        keep = ~sanctioned
        self.frozen_for = np.where(
            keep & (self.frozen_for > 0), self.frozen_for - 1, self.frozen_for
        )
        marked = (self.level >= 2) & keep & active
        self.marked_for = np.where(marked, self.marked_for - 1, self.marked_for)
        recovered = marked & (self.marked_for <= 0)
        self.level[recovered] = 1
        waiting = (self.removed_for > 0) & ~newly_removed
        self.removed_for = np.where(waiting, self.removed_for - 1, self.removed_for)
        back = waiting & (self.removed_for == 0)
        if back.any():
            self._respawn(back)

        # Ripening.
        self._ripen(counts)
        return rewards, np.zeros((B, N), dtype=bool)

    def _plant(
        self, firing: np.ndarray, actions: np.ndarray, occ: np.ndarray, order: np.ndarray
    ) -> None:
        res = grid.cast_beams(
            self.pos, self.ori, firing, self.plant_beam, self.opaque, occ, wrap=True
        )
        env, firer, r, col = res.reached_cells()
        k = self.berry_index[r, col]
        beam_colour = actions[env, firer] - FIRE_1
        ok = k >= 0
        env, firer, k, beam_colour = env[ok], firer[ok], k[ok], beam_colour[ok]
        ok = ~self.ripe[env, k] & (self.colour[env, k] != beam_colour)
        env, firer, k, beam_colour = env[ok], firer[ok], k[ok], beam_colour[ok]
        if not len(env):
            return
        # A berry changes at most once per step: the earliest firer in the move order wins.
        rank = np.argsort(order, axis=1)[env, firer]
        key = (env * self.num_berries + k) * (self.num_agents + 1) + rank
        srt = np.argsort(key, kind="stable")
        env, firer, k, beam_colour = env[srt], firer[srt], k[srt], beam_colour[srt]
        first = np.ones(len(env), dtype=bool)
        cell = env * self.num_berries + k
        first[1:] = cell[1:] != cell[:-1]
        env, firer, k, beam_colour = env[first], firer[first], k[first], beam_colour[first]
        old = self.colour[env, k].astype(np.int64)
        self.colour[env, k] = beam_colour
        self.wait[env, k] = self.config.min_time_to_ripen
        self.marking[env, firer] = beam_colour + 1
        self.events.add(
            EventKind.PLANT,
            env,
            actor=firer,
            row=self.berry_rows[k],
            col=self.berry_cols[k],
            context=beam_colour + 1,
            value=old + 1,
        )

    def _zap(self, zapping: np.ndarray, occ: np.ndarray, rewards: np.ndarray):
        c = self.config
        B, N = self.num_envs, self.num_agents
        res = grid.cast_beams(
            self.pos, self.ori, zapping, self.zap_beam, self.opaque, occ, wrap=True
        )
        hits = res.hit_matrix(B, N)  # one hit per (firer, target) even if several rays
        self.last_zaps = hits
        newly_removed = np.zeros((B, N), dtype=bool)
        sanctioned = hits.any(axis=1)
        if not sanctioned.any():
            return newly_removed, sanctioned
        env, firer, target = np.nonzero(hits)
        self.events.add(
            EventKind.ZAP,
            env,
            actor=firer,
            target=target,
            row=self.pos[env, target, 0],
            col=self.pos[env, target, 1],
            context=4 * self.marking[env, firer].astype(np.int64) + self.marking[env, target],
            value=self.level[env, target],
        )
        rewards -= c.penalty_for_being_zapped * hits.sum(axis=1)
        rewards += c.reward_for_zapping * hits.sum(axis=2)
        first_zapper = hits.argmax(axis=1)  # lowest index among the zappers of a target
        b, j = np.nonzero(sanctioned)
        second = self.level[b, j] >= 2
        # First hit: freeze and mark.
        fb, fj = b[~second], j[~second]
        self.level[fb, fj] = 2
        self.frozen_for[fb, fj] = c.freeze_duration
        self.marked_for[fb, fj] = c.recovery_time
        self.events.add(EventKind.SANCTION, fb, actor=first_zapper[fb, fj], target=fj, context=1)
        # Second hit while marked: penalty and removal.
        sb, sj = b[second], j[second]
        rewards[sb, sj] -= c.removal_penalty
        self.level[sb, sj] = 1
        self.frozen_for[sb, sj] = 0
        self.marked_for[sb, sj] = 0
        self.removed_for[sb, sj] = c.respawn_delay
        newly_removed[sb, sj] = True
        self.events.add(EventKind.SANCTION, sb, actor=first_zapper[sb, sj], target=sj, context=2)
        self.events.add(EventKind.REMOVE, sb, target=sj, value=float(c.respawn_delay))
        return newly_removed, sanctioned

    def _respawn(self, back: np.ndarray) -> None:
        """Returning players go to random free floor cells, one player index at a time."""
        H, W = self.map.shape
        sp = self.spawn_points
        N = self.num_agents
        for n in range(N):
            idx = np.flatnonzero(back[:, n])
            if not len(idx):
                continue
            others = (self.removed_for[idx] == 0) & (np.arange(N) != n)
            occ = grid.occupancy(self.pos[idx], (H, W), others)
            free = occ[:, sp[:, 0], sp[:, 1]] < 0
            pos, ori = grid.spawn_agents(self.rng, idx, sp, 1, free)
            self.pos[idx, n] = pos[:, 0]
            self.ori[idx, n] = ori[:, 0]
            self.marking[idx, n] = GREY
            self.events.add(EventKind.RESPAWN, idx, target=n, row=pos[:, 0, 0], col=pos[:, 0, 1])

    def _ripen(self, counts: np.ndarray) -> None:
        c = self.config
        B = self.num_envs
        candidates = ~self.ripe & (self.wait == 0)
        self.wait = np.maximum(self.wait - 1, 0).astype(np.int16)
        n_c = counts[np.arange(B)[:, None], self.colour].astype(np.float64)
        p = c.ripen_base_rate * n_c
        if c.cubic_growth:
            p = p + n_c**3 * c.ripen_base_rate * c.cubic_rate
        u = self.rng.uniform((self.num_berries,))
        self.ripe |= candidates & (u < p)

    # ------------------------------------------------------------------ observe
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        c = self.config
        cells = self._cells(None if len(idx) == self.num_envs else idx)
        active = self.removed_for[idx] == 0
        pos = self.pos[idx]
        b, i = np.nonzero(active)
        cells[b, pos[b, i, 0], pos[b, i, 1]] = self._player_codes(idx)[b, i]
        codes = self._gather_torus(cells, pos, self.ori[idx])
        ready_zap = (self.zap_cool[idx] == 0) & (self.frozen_for[idx] == 0) & active
        ready_plant = (self.plant_cool[idx] == 0) & (self.frozen_for[idx] == 0) & active
        if c.obs_type == "rgb":
            n, N, vh, vw = codes.shape
            obs = np.zeros((n, N, vh + 1, vw, 3), dtype=np.uint8)
            obs[:, :, :vh] = self._rgb_lookup(codes)
            obs[:, :, vh, 0] = ready_zap[..., None] * np.uint8(255)
            obs[:, :, vh, 1] = ready_plant[..., None] * np.uint8(255)
            obs[:, :, vh, 2] = PALETTE[AVATAR + self.marking[idx]]
        else:
            obs = self._symbolic_lookup(codes)
            obs[..., -2] = ready_zap[:, :, None, None]
            obs[..., -1] = ready_plant[:, :, None, None]
        if not active.all():
            obs[~active] = 0
        return obs

    def _gather_torus(self, cells: np.ndarray, pos: np.ndarray, ori: np.ndarray) -> np.ndarray:
        canvas = cells.take(self._wrap_rows, axis=1).take(self._wrap_cols, axis=2)
        b, N = ori.shape
        Hp, Wp = canvas.shape[1:]
        pad = self.view.pad
        base = (np.arange(b) * (Hp * Wp))[:, None] + (pos[..., 0] + pad) * Wp + pos[..., 1] + pad
        flat = base[:, :, None] + self.view.offsets[ori]
        vh, vw = self.view.shape
        return canvas.ravel()[flat].reshape(b, N, vh, vw)

    # ------------------------------------------------------------------ render
    def _frame_codes(self, env: int) -> np.ndarray:
        cells = self._cells(np.array([env]))[0]
        active = self.removed_for[env] == 0
        p = self.pos[env][active]
        cells[p[:, 0], p[:, 1]] = self._player_codes(np.array([env]))[0][active]
        return cells

    def _render(self, env: int) -> np.ndarray:
        return grid.render_rgb(self._frame_codes(env), PALETTE, scale=8)

    def _render_ansi(self, env: int) -> str:
        chars = ".rgbRGB?" + "0" * 8
        text = grid.render_ansi(
            self._frame_codes(env), chars, self.pos[env], None, self.removed_for[env] == 0
        )
        counts = self.berry_counts()[env]
        return f"t={int(self.t[env])} berries R/G/B = {counts.tolist()}\n{text}"
