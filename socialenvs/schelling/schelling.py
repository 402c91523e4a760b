"""Schelling segregation: the classic rule-based model and Sert et al.'s learning agents.

| | |
|---|---|
| Creation | ``socialenvs.make("schelling_v0")`` (rule-based, Mesa 3.3 defaults) or ``socialenvs.make("schelling_v0", preset="sert2020")`` (learning agents) |
| Agents | ``agent_0`` ... ``agent_{N-1}``; rule mode N = round(density * H * W), learning mode N = 2 * round(kind_density * H * W) |
| Actions | rule mode ``Discrete(3)``: 0 stay, 1 relocate, 2 follow Schelling's rule; learning mode ``Discrete(5)``: up, left, down, right, stay |
| Observation | ``Box(float32, ((2v+1)^2 + 2,))``: own/other window, remaining lifetime, alive flag |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

One environment, two modes (``mode=``).

### Rule-based mode (``mode="rule"``, the default)

The classic model of Schelling (1971) with the semantics of Mesa 3.3's example
(``mesa/examples/basic/schelling``): a 20x20 non-torus grid, each agent of type 0 or 1,
happy when the fraction of same-type agents among its occupied Moore neighbours (radius
1) is at least ``homophily`` = 0.4 (an agent without neighbours has fraction 0, as in
Mesa). One step is Mesa's two-phase update: every agent's happiness is computed first;
then the agents are activated in a random order and each unhappy one jumps to a
uniformly random empty cell (cells freed earlier in the same step included); happiness
is computed again and the episode terminates when every agent is happy.

Actions: 0 = stay, 1 = relocate now (to a uniformly random empty cell), 2 = follow
Schelling's rule (relocate iff unhappy, evaluated when the schedule says, with
probability ``move_probability``). Playing 2 for every agent is the classic model, and
is what :func:`socialenvs.schelling.run` does. The scripted
:class:`~socialenvs.schelling.policy.ThresholdPolicy` computes the same decision from the
observation (1 iff unhappy), which is identical under the two-phase schedule. Reward: 1
for an agent that is happy at the end of the step, else 0 (our choice; no source defines
one).

Older variants as flags (Mesa 2.x to 3.1, spec table in ``specs/schelling.md`` §3):
``torus=True``; ``threshold="count"`` with an integer ``homophily`` (happy iff at least
that many same-type neighbours); ``schedule="async"`` (random-order sequential: each
agent evaluates its happiness at its own turn, seeing the moves made before it);
``move_probability=0.9`` (later Mesa 2.x). Presets: ``mesa`` (the defaults),
``mesa_v3_0`` (torus, count 3, async, minority 0.2) and ``mesa_v3_1`` (the same on
40x40 with minority 0.5).

Population: Mesa draws occupancy per cell (Binomial(H W, density) agents); PettingZoo
needs a fixed agent list, so we place exactly round(density H W) agents on distinct
uniformly random cells. Types are Bernoulli(minority_pc) per agent and per episode, as
in Mesa. With these choices the distributions of steps-to-converge and final same-type
fraction agree with Mesa 3.3 (``tests/schelling/test_schelling_vs_mesa.py``).

### Learning mode (``mode="learning"``)

Sert, Bar-Yam & Morales 2020, *Segregation dynamics with reinforcement learning and
agent based modeling* (Sci. Rep. 10:11771), official code ``egemensert/segregation``
(``schelling_example.py``, ``environment.py``, ``agent.py``): a 50x50 torus with two
kinds A and B, 5% of the cells each (here exactly round(0.05 H W) agents per kind; the
code draws each cell independently). Agents ``0 .. n-1`` are kind A, ``n .. 2n-1`` kind B.

Each step (the code's "iteration") activates every agent in a fresh random order.
Actions are chosen simultaneously from the observations of the previous step, then
executed one agent at a time in that order (in the code each agent decides at its own
turn, from the same stored observation). At its turn:

* a **dead** agent respawns with probability ``respawn_prob`` = 0.2 at a uniformly
  random empty cell, with age 0 and lifetime ``max_age``; its action is ignored;
* an **alive** agent ages by one and its remaining lifetime drops by one; at zero it
  dies of old age (reward ``-death_penalty``); otherwise it tries to move one cell
  (up, left, down, right, stay; torus wrap):

| target cell | effect | reward |
|---|---|---|
| empty | move | beta * alive_reward + SR |
| other kind | the other agent dies (reward -death_penalty); the mover takes its cell and gains 1 + gamma lifetime | beta * alive_reward + SR + interdependence_reward * gamma |
| same kind, or off the grid (``torus=False``) | blocked (occlusion) | -occlusion_penalty |
| stay | — | -stillness_penalty |

The **segregation reward** SR (Sert et al. 2020, Methods; code ``Schelling.default``)
compares the agent's own/other window right after its move with the window it stored
after its previous turn: with D = own_type * (window_now - window_before), SR = sum of
the positive entries of D + alpha * sum of the negative entries (``segregation_reward=
"delta"``, the code). ``segregation_reward="absolute"`` gives SR = s - alpha * d with s,
d the numbers of same-kind and other-kind agents in the window after the move (the
paper's description as summarised in third-party notes). Blocked and still agents get no
SR, but their stored window is refreshed (as in the code).

**Dead agents** stay in the agent list: their observation is all zeros with alive flag
0, their reward is 0 and their actions are ignored until they respawn. Deaths are not
PettingZoo terminations (agents never leave mid-episode); they are reported as ``DEATH``
events (context 1 = eaten, 0 = old age) and in ``sim.died`` (``bool[B, N]``, this step),
which the DQN reproduction uses as Sert's terminal transitions.

The episode is truncated at ``max_cycles`` (5000 iterations in the paper) and terminates
early when the type map has not changed for ``stop_after_unchanged`` = 20 steps (the
code's stop rule; 0 disables it).

### Observations

A flat ``float32`` vector: the (2v+1)x(2v+1) window around the agent (v =
``view_radius``; default 5 in learning mode as in the paper, ``radius`` in rule mode),
row-major, in own/other encoding (+1 own kind, -1 other kind, 0 empty or off the grid;
the centre is the agent itself), then the remaining lifetime as a fraction of
``max_age`` (1 in rule mode; it exceeds 1 after eating, hence the unbounded upper limit),
then the alive flag. In learning mode the window is the one the agent saw right after
its own last turn (the code's stored ``current_state``, which is both the input of its
next decision and the baseline of its next SR); in rule mode it is the window at the end
of the step.

### Events and statistics

Rule mode: ``MOVE`` per relocation (``row``/``col`` = new cell). Learning mode: ``EAT``
(actor ate target, value = interdependence reward), ``DEATH``, ``RESPAWN``. Episode
statistics count ``relocations``, ``deaths``, ``eats`` and ``respawns``. Segregation
metrics of the grid (``socialenvs.metrics``) take ``sim.type_grid()``.

### Arguments

* ``mode`` (str, ``"rule"``): ``"rule"`` or ``"learning"``.
* ``height``, ``width`` (int, 20 rule / 50 learning): grid size.
* ``torus`` (bool, False rule / True learning): wrap-around edges.
* ``density`` (float, 0.8): rule mode, fraction of cells occupied.
* ``minority_pc`` (float, 0.5): rule mode, probability that an agent has type 1.
* ``homophily`` (float, 0.4): rule mode threshold: a fraction, or a count when
  ``threshold="count"``.
* ``threshold`` (str, ``"fraction"``): ``"fraction"`` (Mesa >= 3.2) or ``"count"``.
* ``radius`` (int, 1): Moore radius of the neighbourhood for happiness.
* ``schedule`` (str, ``"two_phase"``): ``"two_phase"`` (Mesa >= 3.2) or ``"async"``.
* ``move_probability`` (float, 1.0): probability that an unhappy rule-follower moves.
* ``stop_when_all_happy`` (bool, True): rule mode, terminate when everyone is happy.
* ``kind_density`` (float, 0.05): learning mode, fraction of cells of each kind.
* ``view_radius`` (int, 5 learning / ``radius`` rule): observation window radius.
* ``alpha`` (float, 1.0): intolerance, weight of the segregation reward's losses.
* ``beta`` (float, 1.0): scale of the alive ("vigilance") reward.
* ``gamma`` (float, 1.0): scale of the interdependence reward and the eating bonus.
* ``interdependence_reward`` (float, 75.0): IR, reward for eating the other kind
  (the README example of the official code).
* ``segregation_reward`` (str, ``"delta"``): ``"delta"`` (code) or ``"absolute"``.
* ``alive_reward`` (float, 0.1), ``death_penalty`` (float, 1.0),
  ``occlusion_penalty`` (float, 1.0), ``stillness_penalty`` (float, 1.0): the code's
  constants.
* ``max_age`` (int, 100): lifetime at (re)birth.
* ``respawn_prob`` (float, 0.2): per-step respawn probability of a dead agent.
* ``stop_after_unchanged`` (int, 20): learning mode early stop (0 = off).
* ``max_cycles`` (int, 500 rule / 5000 learning): steps per episode.

Presets: ``mesa``, ``mesa_v3_0``, ``mesa_v3_1``, ``sert2020`` (learning mode, the
README example: view radius 5, IR 75, max age 100, alpha = beta = gamma = 1).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_range
from socialenvs.core.events import EventKind
from socialenvs.core.sim import Sim

MODES = ("rule", "learning")
THRESHOLDS = ("fraction", "count")
SCHEDULES = ("two_phase", "async")
SEGREGATION_REWARDS = ("delta", "absolute")

# Rule-mode actions.
STAY, RELOCATE, FOLLOW_RULE = 0, 1, 2
# Learning-mode actions (Sert et al. code: directions (-1,0), (0,-1), (1,0), (0,1), (0,0)).
UP, LEFT, DOWN, RIGHT, STILL = 0, 1, 2, 3, 4
MOVES = np.array([(-1, 0), (0, -1), (1, 0), (0, 1), (0, 0)], dtype=np.int64)

# Cell-type codes on the grid: kind 0 (Mesa type 0, Sert's A) is -1, kind 1 is +1.
KIND_VALUE = np.array([-1, 1], dtype=np.int8)

# Neighbour-count packing for cell types -1 / 0 / +1 (see Schelling.neighbour_counts).
_PACKED_KIND = np.array([1, 0, 256], dtype=np.uint16)

# Colours: empty, kind 0, kind 1.
PALETTE = np.array([[245, 245, 245], [31, 119, 180], [255, 127, 14]], dtype=np.uint8)

_MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "rule": {"height": 20, "width": 20, "torus": False, "max_cycles": 500},
    "learning": {"height": 50, "width": 50, "torus": True, "max_cycles": 5000, "view_radius": 5},
}


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


@dataclass
class SchellingConfig:
    mode: str = "rule"
    """``"rule"`` (classic Schelling, Mesa 3.3) or ``"learning"`` (Sert et al. 2020)."""
    height: int | None = None
    """Grid rows (20 in rule mode, 50 in learning mode)."""
    width: int | None = None
    """Grid columns (20 in rule mode, 50 in learning mode)."""
    torus: bool | None = None
    """Wrap-around edges (False in rule mode as in Mesa >= 3.2, True in learning mode)."""
    density: float = 0.8
    """Rule mode: fraction of cells occupied."""
    minority_pc: float = 0.5
    """Rule mode: probability that an agent has type 1."""
    homophily: float = 0.4
    """Rule mode: happiness threshold (a fraction, or a count with ``threshold="count"``)."""
    threshold: str = "fraction"
    """``"fraction"`` of occupied neighbours (Mesa >= 3.2) or ``"count"`` (Mesa <= 3.1)."""
    radius: int = 1
    """Moore radius of the neighbourhood that decides happiness."""
    schedule: str = "two_phase"
    """Rule mode: ``"two_phase"`` (Mesa >= 3.2) or ``"async"`` (random-order sequential)."""
    move_probability: float = 1.0
    """Rule mode: probability that an unhappy rule-follower moves (0.9 in later Mesa 2.x)."""
    stop_when_all_happy: bool = True
    """Rule mode: terminate the episode once every agent is happy."""
    kind_density: float = 0.05
    """Learning mode: fraction of cells holding agents of each kind."""
    view_radius: int | None = None
    """Observation window radius (5 in learning mode, ``radius`` in rule mode)."""
    alpha: float = 1.0
    """Learning mode: intolerance, weight of the losses in the segregation reward."""
    beta: float = 1.0
    """Learning mode: scale of the per-move alive (vigilance) reward."""
    gamma: float = 1.0
    """Learning mode: scale of the interdependence reward and of the eating bonus."""
    interdependence_reward: float = 75.0
    """Learning mode: IR, reward for eating an agent of the other kind."""
    segregation_reward: str = "delta"
    """Learning mode: ``"delta"`` (official code) or ``"absolute"`` (s - alpha d)."""
    alive_reward: float = 0.1
    """Learning mode: alive reward per successful move (before the beta scale)."""
    death_penalty: float = 1.0
    """Learning mode: penalty of dying (eaten or old age)."""
    occlusion_penalty: float = 1.0
    """Learning mode: penalty of a move blocked by the same kind or the grid edge."""
    stillness_penalty: float = 1.0
    """Learning mode: penalty of staying still."""
    max_age: int = 100
    """Learning mode: lifetime at (re)birth."""
    respawn_prob: float = 0.2
    """Learning mode: probability per step that a dead agent respawns."""
    stop_after_unchanged: int = 20
    """Learning mode: terminate when the type map is unchanged this many steps (0 = off)."""
    max_cycles: int | None = None
    """Steps per episode (500 in rule mode, 5000 in learning mode)."""

    PRESETS = {
        "mesa": {"mode": "rule"},
        "mesa_v3_0": {
            "mode": "rule",
            "torus": True,
            "threshold": "count",
            "homophily": 3,
            "schedule": "async",
            "minority_pc": 0.2,
        },
        "mesa_v3_1": {
            "mode": "rule",
            "torus": True,
            "threshold": "count",
            "homophily": 3,
            "schedule": "async",
            "minority_pc": 0.5,
            "height": 40,
            "width": 40,
        },
        "sert2020": {
            "mode": "learning",
            "view_radius": 5,
            "interdependence_reward": 75.0,
            "max_age": 100,
            "alpha": 1.0,
            "beta": 1.0,
            "gamma": 1.0,
        },
    }

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, MODES)
        for key, value in _MODE_DEFAULTS[self.mode].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.view_radius is None:
            self.view_radius = self.radius
        check_choice("threshold", self.threshold, THRESHOLDS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("segregation_reward", self.segregation_reward, SEGREGATION_REWARDS)
        check_choice("torus", self.torus, (True, False))
        check_choice("stop_when_all_happy", self.stop_when_all_happy, (True, False))
        for name in ("height", "width", "radius", "max_age", "max_cycles"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name}={value!r} must be an integer >= 1")
        for name in ("view_radius", "stop_after_unchanged"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name}={value!r} must be an integer >= 0")
        for name in ("density", "minority_pc", "move_probability", "respawn_prob"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        check_range("kind_density", self.kind_density, 0.0, 0.5)
        if self.threshold == "count":
            if not float(self.homophily).is_integer() or self.homophily < 0:
                raise ValueError(
                    f"homophily={self.homophily!r}: with threshold='count' it must be a whole "
                    "number of neighbours >= 0"
                )
        else:
            check_range("homophily", self.homophily, 0.0, 1.0)
        if self.radius > 7:
            raise ValueError(f"radius={self.radius!r} is out of range; allowed: 1..7")
        side = 2 * self.radius + 1
        if self.torus and (self.height < side or self.width < side):
            raise ValueError(
                f"a torus of {self.height}x{self.width} is too small for radius={self.radius}; "
                f"height and width must be >= {side}"
            )
        cells = self.height * self.width
        n = self.num_agents()
        if n < 1 or n >= cells:
            what = "density" if self.mode == "rule" else "kind_density"
            raise ValueError(
                f"{what}={getattr(self, what)!r} gives {n} agents on {cells} cells; "
                f"allowed: at least 1 agent and at least one empty cell"
            )

    def num_agents(self) -> int:
        cells = self.height * self.width
        if self.mode == "rule":
            return int(round(self.density * cells))
        return 2 * int(round(self.kind_density * cells))


def _offset_table(height: int, width: int, radius: int, torus: bool, centre: bool) -> np.ndarray:
    """``[H*W, K]`` flat indices of the Moore-radius cells around each cell, row-major.

    Off-grid cells (no torus) map to the dummy index ``H*W``. With ``centre`` the cell
    itself is included (an observation window), otherwise left out (a neighbourhood).
    """
    d = np.arange(-radius, radius + 1)
    dr, dc = np.meshgrid(d, d, indexing="ij")
    dr, dc = dr.ravel(), dc.ravel()
    if not centre:
        keep = (dr != 0) | (dc != 0)
        dr, dc = dr[keep], dc[keep]
    rows, cols = np.divmod(np.arange(height * width), width)
    r = rows[:, None] + dr[None, :]
    c = cols[:, None] + dc[None, :]
    if torus:
        return ((r % height) * width + (c % width)).astype(np.int64)
    inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
    return np.where(inside, r * width + c, height * width).astype(np.int64)


class Schelling(Sim):
    __doc__ = __doc__
    name = "schelling_v0"
    config_class = SchellingConfig
    agent_prefix = "agent"
    render_fps = 8
    episode_event_metrics = {
        "relocations": EventKind.MOVE,
        "deaths": EventKind.DEATH,
        "eats": EventKind.EAT,
        "respawns": EventKind.RESPAWN,
    }

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        cfg = self.config
        self.learning = cfg.mode == "learning"
        self.height, self.width = int(cfg.height), int(cfg.width)
        self.num_cells = self.height * self.width
        self.num_agents = cfg.num_agents()
        B, N, HW = self.num_envs, self.num_agents, self.num_cells
        self.neighbours = _offset_table(self.height, self.width, cfg.radius, cfg.torus, False)
        self.window = _offset_table(self.height, self.width, cfg.view_radius, cfg.torus, True)
        self.window_size = self.window.shape[1]
        rows, cols = np.divmod(np.arange(HW), self.width)
        r = rows[:, None] + MOVES[None, :, 0]
        c = cols[:, None] + MOVES[None, :, 1]
        if cfg.torus:
            self.move_table = (r % self.height) * self.width + (c % self.width)
        else:
            inside = (r >= 0) & (r < self.height) & (c >= 0) & (c < self.width)
            self.move_table = np.where(inside, r * self.width + c, HW)

        D = self.window_size
        low = np.full(D + 2, -1.0, dtype=np.float32)
        high = np.full(D + 2, 1.0, dtype=np.float32)
        low[D:] = 0.0
        high[D] = np.inf  # remaining lifetime can exceed max_age after eating
        self.observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)
        self.action_space = gymnasium.spaces.Discrete(5 if self.learning else 3)

        # State. Cell arrays carry one extra dummy cell (index HW) standing for "off grid".
        self.cell_type = np.zeros((B, HW + 1), dtype=np.int8)  # -1 / 0 / +1
        self.cell_agent = np.full((B, HW + 1), -1, dtype=np.int64)
        self.pos = np.zeros((B, N), dtype=np.int64)
        self.kind = np.zeros((B, N), dtype=np.int8)  # 0 or 1
        self.alive = np.ones((B, N), dtype=bool)
        self.age = np.zeros((B, N), dtype=np.int64)
        self.time_remaining = np.full((B, N), float(cfg.max_age))  # float: gamma may be fractional
        self.stored_window = np.zeros((B, N, D), dtype=np.int8)  # learning: raw cell types
        self.happy = np.zeros((B, N), dtype=bool)
        self.died = np.zeros((B, N), dtype=bool)
        self.acted = np.zeros((B, N), dtype=bool)
        self.unchanged = np.zeros(B, dtype=np.int64)
        # Empty cells as a "sparse set": empties[b, :n_empty[b]] lists them, slot[b, c]
        # is cell c's position in that list (-1 when occupied). O(1) insert/remove/draw.
        self.empties = np.zeros((B, HW), dtype=np.int64)
        self.n_empty = np.zeros(B, dtype=np.int64)
        self.slot = np.full((B, HW + 1), -1, dtype=np.int64)
        if self.learning:
            n = N // 2
            self.kind[:, n:] = 1
        # happy_table[same, occupied], computed with Python floats exactly as Mesa 3.3's
        # SchellingAgent.assign_state does (no neighbours -> similarity 0).
        K = self.neighbours.shape[1]
        table = np.zeros((K + 1, K + 1), dtype=bool)
        for occ in range(K + 1):
            for same in range(occ + 1):
                if cfg.threshold == "count":
                    table[same, occ] = same >= cfg.homophily
                else:
                    table[same, occ] = (same / occ if occ > 0 else 0.0) >= cfg.homophily
        self._happy_table = table
        # The same table indexed by kind * stride + (n0 + 256 n1), for the packed counts.
        n0, n1 = np.divmod(np.arange(256 * (K + 1)), 256)[::-1]
        ok = n0 + n1 <= K
        stride = 256 * (K + 1)
        packed = np.zeros(2 * stride, dtype=bool)
        packed[:stride][ok] = table[n0[ok], (n0 + n1)[ok]]
        packed[stride:][ok] = table[n1[ok], (n0 + n1)[ok]]
        self._happy_packed, self._happy_packed_stride = packed, stride

    @property
    def stochastic(self) -> bool:
        return True

    # ------------------------------------------------------------------ reset
    def _reset(self, idx: np.ndarray) -> None:
        cfg = self.config
        N, HW = self.num_agents, self.num_cells
        cells = self.rng.permutation(HW, idx)  # [b, HW]: first N cells get agents
        if not self.learning:
            self.kind[idx] = (self.rng.uniform((N,), idx) < cfg.minority_pc).astype(np.int8)
        pos = cells[:, :N]
        rows = idx[:, None]
        self.pos[idx] = pos
        self.cell_type[idx] = 0
        self.cell_agent[idx] = -1
        self.cell_type[rows, pos] = KIND_VALUE[self.kind[idx]]
        self.cell_agent[rows, pos] = np.arange(N)[None, :]
        self.empties[idx] = 0
        self.empties[idx, : HW - N] = cells[:, N:]
        self.n_empty[idx] = HW - N
        self.slot[idx] = -1
        self.slot[rows, cells[:, N:]] = np.arange(HW - N)[None, :]
        self.alive[idx] = True
        self.age[idx] = 0
        self.time_remaining[idx] = int(cfg.max_age)
        self.died[idx] = False
        self.acted[idx] = False
        self.unchanged[idx] = 0
        if self.learning:
            self.stored_window[idx] = self.cell_type[rows[:, :, None], self.window[pos]]
        else:
            self.happy[idx] = self._happiness(idx)

    def set_layout(
        self,
        env: int,
        cells: np.ndarray | list[int],
        kinds: np.ndarray | list[int] | None = None,
    ) -> None:
        """Put the agents of copy ``env`` on given cells (for hand-built scenarios).

        Args:
            env: the copy.
            cells: ``[N]`` flat cell index ``row * width + col`` of each agent, or -1 for
                a dead agent (learning mode only); occupied cells must be distinct.
            kinds: ``[N]`` kinds (0 or 1); rule mode only (learning-mode kinds are fixed).
        """
        cells = np.asarray(cells, dtype=np.int64)
        N, HW = self.num_agents, self.num_cells
        if cells.shape != (N,):
            raise ValueError(f"cells must have shape ({N},), got {cells.shape}")
        alive = cells >= 0
        if (cells >= HW).any() or (not self.learning and not alive.all()):
            raise ValueError(f"cells must lie in 0..{HW - 1} (-1 = dead, learning mode only)")
        if len(np.unique(cells[alive])) != alive.sum():
            raise ValueError("two agents on the same cell")
        if kinds is not None:
            if self.learning:
                raise ValueError("kinds are fixed in learning mode (first half kind 0)")
            self.kind[env] = np.asarray(kinds, dtype=np.int8)
        self.cell_type[env] = 0
        self.cell_agent[env] = -1
        self.cell_type[env, cells[alive]] = KIND_VALUE[self.kind[env, alive]]
        self.cell_agent[env, cells[alive]] = np.flatnonzero(alive)
        self.pos[env] = cells
        self.alive[env] = alive
        free = np.flatnonzero(self.cell_type[env, :HW] == 0)
        self.empties[env] = 0
        self.empties[env, : len(free)] = free
        self.n_empty[env] = len(free)
        self.slot[env] = -1
        self.slot[env, free] = np.arange(len(free))
        if self.learning:
            window = self.cell_type[env, self.window[np.maximum(cells, 0)]]
            self.stored_window[env] = np.where(alive[:, None], window, 0)
        else:
            self.happy[env] = self._happiness(np.array([env]))[0]

    # ------------------------------------------------------------------ rule mode
    def _packed_counts(self, idx: np.ndarray) -> np.ndarray:
        """``int64[b, N]``: each agent's neighbours of kind 0 + 256 x those of kind 1.

        Both kinds are packed into one uint16 (at most (2r+1)^2 - 1 < 256 each for r <= 7)
        and the grid is box-summed in two separable passes: a per-cell convolution rather
        than a gather of every agent's neighbourhood.
        """
        b, H, W, r = len(idx), self.height, self.width, int(self.config.radius)
        t = self.cell_type[idx, : self.num_cells].astype(np.int16).reshape(b, H, W)
        codes = ((257 * t * t + 255 * t) // 2).astype(np.uint16)  # -1 -> 1, 0 -> 0, 1 -> 256
        pad = ((0, 0), (r, r), (r, r))
        padded = np.pad(codes, pad, mode="wrap") if self.config.torus else np.pad(codes, pad)
        rows_sum = padded[:, :, :W].copy()
        for dc in range(1, 2 * r + 1):
            rows_sum += padded[:, :, dc : dc + W]
        box = rows_sum[:, :H].copy()
        for dr in range(1, 2 * r + 1):
            box += rows_sum[:, dr : dr + H]
        flat = np.arange(b)[:, None] * self.num_cells + self.pos[idx]
        own = np.where(self.kind[idx] == 0, 1, 256)
        return np.take(box.reshape(-1), flat).astype(np.int64) - own  # leave self out

    def neighbour_counts(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Same-type and occupied neighbour counts ``int[b, N]`` at the agents' cells."""
        idx = self._all if idx is None else idx
        packed = self._packed_counts(idx)
        n0, n1 = packed & 0xFF, packed >> 8
        return np.where(self.kind[idx] == 0, n0, n1), n0 + n1

    def _is_happy(self, same: np.ndarray, occupied: np.ndarray) -> np.ndarray:
        return self._happy_table[same, occupied]

    def _happiness(self, idx: np.ndarray) -> np.ndarray:
        packed = self._packed_counts(idx)
        return np.take(
            self._happy_packed, packed + self.kind[idx].astype(np.int64) * self._happy_packed_stride
        )

    def _rule_step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        B, N = self.num_envs, self.num_agents
        if cfg.move_probability < 1.0:
            coin = self.rng.uniform((N,)) < cfg.move_probability
        else:
            coin = np.ones((B, N), dtype=bool)
        if cfg.schedule == "two_phase":
            # self.happy was computed at the end of the previous step (or at reset): phase 1.
            movers = (actions == RELOCATE) | ((actions == FOLLOW_RULE) & ~self.happy & coin)
            self._relocate_two_phase(movers)
        else:
            self._relocate_async(actions, coin)
        self.happy = self._happiness(self._all)
        rewards = self.happy.astype(np.float32)
        done = self.happy.all(axis=1) if cfg.stop_when_all_happy else np.zeros(B, dtype=bool)
        return rewards, np.repeat(done[:, None], N, axis=1)

    def _relocate_two_phase(self, movers: np.ndarray) -> None:
        """Movers, in a random order, each jump to a uniformly random empty cell.

        Sequential semantics without a loop: with the empty cells in slots, mover k draws
        a slot s_k uniformly, takes the cell there and leaves its own cell in that slot.
        So mover k gets the old cell of the previous mover that drew the same slot, or
        the slot's initial cell if it is the first; the empty set at every moment is the
        slot contents, so each draw is uniform over the cells empty at that moment
        (Mesa's ``select_random_empty_cell``, cells freed earlier in the step included).
        """
        B, N = movers.shape
        M = self.num_cells - N  # empty cells, constant in rule mode
        order_key = self.rng.uniform((N,))
        draws = self.rng.integers(M, (N,))
        env, agent = np.nonzero(movers)
        if len(env) == 0:
            return
        s = draws[env, agent]
        group = env * M + s
        # Only the order within a slot group matters: sort by group, then random key.
        srt = np.lexsort((order_key[env, agent], group))
        env, agent, s, group = env[srt], agent[srt], s[srt], group[srt]
        first = np.ones(len(group), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        last = np.ones(len(group), dtype=bool)
        last[:-1] = first[1:]
        old = self.pos[env, agent]
        prev_old = np.empty_like(old)
        prev_old[1:] = old[:-1]
        new = np.where(first, self.empties[env, s], prev_old)
        self.empties[env[last], s[last]] = old[last]
        values = self.cell_type[env, old]
        self.cell_type[env, old] = 0
        self.cell_agent[env, old] = -1
        self.cell_type[env, new] = values
        self.cell_agent[env, new] = agent
        self.pos[env, agent] = new
        r, c = np.divmod(new, self.width)
        self.events.add(EventKind.MOVE, env, actor=agent, row=r, col=c)

    def _relocate_async(self, actions: np.ndarray, coin: np.ndarray) -> None:
        """Mesa <= 3.1: agents in a random order each check happiness and move at their turn."""
        B, N = actions.shape
        M = self.num_cells - N
        order = self.rng.permutation(N)
        draws = self.rng.integers(M, (N,))
        own_all = KIND_VALUE[self.kind]
        env = self._all
        for k in range(N):
            agent = order[:, k]
            p = self.pos[env, agent]
            own = own_all[env, agent]
            nb = self.cell_type[env[:, None], self.neighbours[p]]
            same = (nb == own[:, None]).sum(axis=1)
            occupied = (nb != 0).sum(axis=1)
            act = actions[env, agent]
            move = (act == RELOCATE) | (
                (act == FOLLOW_RULE) & ~self._is_happy(same, occupied) & coin[env, agent]
            )
            if not move.any():
                continue
            b, a, p = env[move], agent[move], p[move]
            s = draws[b, k]
            new = self.empties[b, s]
            self.empties[b, s] = p
            self.cell_type[b, new] = own[move]
            self.cell_type[b, p] = 0
            self.cell_agent[b, new] = a
            self.cell_agent[b, p] = -1
            self.pos[b, a] = new
            r, c = np.divmod(new, self.width)
            self.events.add(EventKind.MOVE, b, actor=a, row=r, col=c)

    # ------------------------------------------------------------------ learning mode
    def _add_empty(self, b: np.ndarray, cell: np.ndarray) -> None:
        n = self.n_empty[b]
        self.empties[b, n] = cell
        self.slot[b, cell] = n
        self.n_empty[b] = n + 1

    def _remove_empty(self, b: np.ndarray, cell: np.ndarray) -> None:
        j = self.slot[b, cell]
        last = self.n_empty[b] - 1
        moved = self.empties[b, last]
        self.empties[b, j] = moved
        self.slot[b, moved] = j
        self.slot[b, cell] = -1
        self.n_empty[b] = last

    def _kill(self, b: np.ndarray, victim: np.ndarray, rewards: np.ndarray) -> None:
        cell = self.pos[b, victim]
        self.cell_type[b, cell] = 0
        self.cell_agent[b, cell] = -1
        self.alive[b, victim] = False
        self.pos[b, victim] = -1
        # agent.die() -> reset(): lifetime and age restart for the next life.
        self.age[b, victim] = 0
        self.time_remaining[b, victim] = int(self.config.max_age)
        self.stored_window[b, victim] = 0
        self.died[b, victim] = True
        rewards[b, victim] -= self.config.death_penalty

    def _learning_step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        B, N = self.num_envs, self.num_agents
        rewards = np.zeros((B, N), dtype=np.float64)
        self.died[:] = False
        self.acted[:] = False
        types_before = self.cell_type.copy()
        order = self.rng.permutation(N)
        u_respawn = self.rng.uniform((N,))
        u_cell = self.rng.uniform((N,))
        env = self._all
        for k in range(N):
            agent = order[:, k]
            alive = self.alive[env, agent]
            # Dead agents: respawn with probability p at a random empty cell (Environment.resurrect).
            respawn = ~alive & (u_respawn[:, k] < cfg.respawn_prob) & (self.n_empty > 0)
            if respawn.any():
                b, a = env[respawn], agent[respawn]
                j = np.minimum(
                    (u_cell[b, k] * self.n_empty[b]).astype(np.int64), self.n_empty[b] - 1
                )
                cell = self.empties[b, j]
                self._remove_empty(b, cell)
                self.cell_type[b, cell] = KIND_VALUE[self.kind[b, a]]
                self.cell_agent[b, cell] = a
                self.pos[b, a] = cell
                self.alive[b, a] = True
                self.age[b, a] = 0
                self.time_remaining[b, a] = int(cfg.max_age)
                self.stored_window[b, a] = self.cell_type[b[:, None], self.window[cell]]
                r, c = np.divmod(cell, self.width)
                self.events.add(EventKind.RESPAWN, b, target=a, row=r, col=c)
            if not alive.any():
                continue
            b, a = env[alive], agent[alive]
            self.acted[b, a] = True
            # Agent.decide(): age +1, lifetime -1; at zero Environment.step kills it.
            self.age[b, a] += 1
            self.time_remaining[b, a] -= 1
            old_age = self.time_remaining[b, a] <= 0
            if old_age.any():
                bo, ao = b[old_age], a[old_age]
                cell = self.pos[bo, ao]
                r, c = np.divmod(cell, self.width)
                self._kill(bo, ao, rewards)
                self._add_empty(bo, cell)
                self.events.add(EventKind.DEATH, bo, target=ao, row=r, col=c, context=0)
                b, a = b[~old_age], a[~old_age]
                if len(b) == 0:
                    continue
            own = KIND_VALUE[self.kind[b, a]]
            act = actions[b, a]
            p = self.pos[b, a]
            target = self.move_table[p, act]
            occupant = self.cell_type[b, target]
            off_grid = target == self.num_cells
            free = (occupant == 0) & ~off_grid & (act != STILL)
            eat = (occupant == -own) & ~off_grid
            blocked = ~free & ~eat
            # Blocked (same kind, edge) or still: penalty, no move, no SR.
            rewards[b[blocked], a[blocked]] -= np.where(
                act[blocked] == STILL, cfg.stillness_penalty, cfg.occlusion_penalty
            )
            if eat.any():
                be, ae, te = b[eat], a[eat], target[eat]
                victim = self.cell_agent[be, te]
                r, c = np.divmod(te, self.width)
                self._kill(be, victim, rewards)
                self.events.add(
                    EventKind.DEATH, be, actor=ae, target=victim, row=r, col=c, context=1
                )
                self.events.add(
                    EventKind.EAT,
                    be,
                    actor=ae,
                    target=victim,
                    row=r,
                    col=c,
                    value=cfg.interdependence_reward * cfg.gamma,
                )
                # Agent.eat(gamma): lifetime + 1 + gamma; the mover takes the victim's cell.
                self.time_remaining[be, ae] += 1.0 + cfg.gamma
                self._add_empty(be, self.pos[be, ae])
                self._place(be, ae, te)
                rewards[be, ae] += cfg.interdependence_reward * cfg.gamma
            if free.any():
                bf, af, tf = b[free], a[free], target[free]
                old = self.pos[bf, af]
                # The target leaves the empty set and the old cell takes its slot.
                j = self.slot[bf, tf]
                self.empties[bf, j] = old
                self.slot[bf, old] = j
                self.slot[bf, tf] = -1
                self._place(bf, af, tf)
            moved = free | eat
            window = self.cell_type[b[:, None], self.window[self.pos[b, a]]]  # [m, D]
            if moved.any():
                bm, am = b[moved], a[moved]
                own_m = own[moved][:, None].astype(np.int16)
                if cfg.segregation_reward == "delta":
                    delta = own_m * (window[moved].astype(np.int16) - self.stored_window[bm, am])
                    sr = np.where(delta > 0, delta, 0).sum(1) + cfg.alpha * np.where(
                        delta < 0, delta, 0
                    ).sum(1)
                else:
                    rel = own_m * window[moved]
                    sr = (rel > 0).sum(1) - 1 - cfg.alpha * (rel < 0).sum(1)  # minus self
                rewards[bm, am] += cfg.beta * cfg.alive_reward + sr
            self.stored_window[b, a] = window
        changed = (self.cell_type != types_before).any(axis=1)
        self.unchanged = np.where(changed, 0, self.unchanged + 1)
        if cfg.stop_after_unchanged > 0:
            done = self.unchanged >= cfg.stop_after_unchanged
        else:
            done = np.zeros(B, dtype=bool)
        return rewards.astype(np.float32), np.repeat(done[:, None], N, axis=1)

    def _place(self, b: np.ndarray, a: np.ndarray, cell: np.ndarray) -> None:
        old = self.pos[b, a]
        values = KIND_VALUE[self.kind[b, a]]
        self.cell_type[b, old] = 0
        self.cell_agent[b, old] = -1
        self.cell_type[b, cell] = values
        self.cell_agent[b, cell] = a
        self.pos[b, a] = cell

    # ------------------------------------------------------------------ hooks
    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.learning:
            return self._learning_step(actions)
        return self._rule_step(actions)

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        b, N, D = len(idx), self.num_agents, self.window_size
        obs = np.zeros((b, N, D + 2), dtype=np.float32)
        own = KIND_VALUE[self.kind[idx]][:, :, None]
        if self.learning:
            alive = self.alive[idx]
            obs[:, :, :D] = own * self.stored_window[idx]
            obs[:, :, D] = np.where(alive, self.time_remaining[idx] / self.config.max_age, 0.0)
            obs[:, :, D + 1] = alive
        else:
            obs[:, :, :D] = own * self.cell_type[idx[:, None, None], self.window[self.pos[idx]]]
            obs[:, :, D:] = 1.0
        return obs

    def inactive(self) -> np.ndarray:
        return ~self.alive

    def type_grid(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``int8[b, H, W]`` cell types: -1 kind 0, +1 kind 1, 0 empty."""
        idx = self._all if idx is None else np.asarray(idx)
        return self.cell_type[idx, : self.num_cells].reshape(-1, self.height, self.width)

    def age_grid(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``int64[b, H, W]`` age (steps since (re)birth) of the agent on each cell, -1 if empty."""
        idx = self._all if idx is None else np.asarray(idx)
        agent = self.cell_agent[idx, : self.num_cells]
        ages = np.take_along_axis(self.age[idx], np.maximum(agent, 0), axis=1)
        return np.where(agent >= 0, ages, -1).reshape(-1, self.height, self.width)

    def global_state(self) -> np.ndarray:
        return self.type_grid()

    def _render(self, env: int) -> np.ndarray:
        grid = self.type_grid(np.array([env]))[0]
        frame = PALETTE[np.where(grid == 0, 0, np.where(grid < 0, 1, 2))]
        scale = max(1, 200 // max(self.height, self.width))
        return np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)

    def _render_ansi(self, env: int) -> str:
        grid = self.type_grid(np.array([env]))[0]
        chars = np.array(["x", ".", "o"])[grid + 1]
        lines = ["".join(row) for row in chars]
        return f"{self.name} t={int(self.t[env])}\n" + "\n".join(lines)
