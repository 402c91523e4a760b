"""ToM gridworld: the 11x11 world of the Machine Theory of Mind experiments.

| | |
|---|---|
| Creation | ``socialenvs.make("tom_gridworld_v0")``, ``preset="deep_rl"`` / ``"false_belief"`` |
| Agents | ``agent_0`` (one agent; the ToMnet observer is not a player) |
| Actions | ``Discrete(5)``: 0 stay, 1 up, 2 down, 3 left, 4 right |
| Observation | ``Box(0, 1, (11, 11, C), uint8)`` one-hot planes; ``C = 6`` by default |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

After Rabinowitz et al. 2018, *Machine Theory of Mind* (ICML 2018, arXiv 1802.07740),
Sec. 3 and Appendix: an ``11 x 11`` grid with border walls, random interior wall
segments, four consumable objects of distinct colours at random cells and one agent.
Consuming an object (stepping onto it) ends the episode; otherwise it ends at
``max_cycles`` (31 steps in Sec. 3.1-3.2, 51 in Sec. 3.3-3.5).

### Observation (planes, in order)

walls, object 0..3, agent, [subgoal when ``subgoal=True``], [4 preference planes when
``observe_preference=True``: the plane of the agent's preferred object is all ones].
What the agent sees of the objects depends on ``observability`` (Sec. 3.3-3.4):

* ``"full"``: every object where it is;
* ``"sighted"``: the agent sees the whole map at the first step (its "initial glimpse";
  our choice, so that it holds a belief to be false about) and afterwards only a
  ``window_size x window_size`` window centred on itself. Its object planes show its
  **belief**: objects where it last saw them. An object seen in the window updates the
  belief; an object missing from its believed cell while that cell is in view is
  believed where the object now seen in that cell was believed before (a swap
  exchanges two objects, and the agent knows it: ``swap_inference``, our choice), or
  dropped from the belief (unknown) when no such object is seen or with
  ``swap_inference=False``. A swap outside the window therefore leaves a false belief,
  and one with either cell in view is seen;
* ``"blind"``: no object planes (all zero) and no subgoal plane after the first step.

The ToMnet observer always sees the true state (:meth:`TomGridworld.observer_state`).

### Rewards

Every step costs ``move_cost`` (stay included: time is the cost; our choice) and a move
into a wall costs ``wall_cost`` more. Stepping onto object ``k`` pays
``object_rewards[k]`` and ends the episode. With ``subgoal=True`` a subgoal cell pays
``subgoal_reward`` once and does not end the episode; object rewards are then paid only
after the subgoal was visited (Sec. 3.3: the subgoal "must be visited before" the
preferred object; what an object pays before the subgoal is not stated, we pay 0).
``timeout_penalty`` is charged at the last step when no object was consumed.

Defaults follow Sec. 3.2 (spec agents §1.3): move 0.01, wall 0.05. Preset ``deep_rl``
(Sec. 3.3): subgoal +1, goal +1, move 0.005, wall 0.05, no object -1, 51 steps, 0-6
walls, the preferred object one-hot per episode and shown to the agent.

Object rewards per copy: ``preferences="one_hot"`` draws a preferred object uniformly at
every reset (reward 1, others 0); ``"external"`` keeps what
:meth:`TomGridworld.set_object_rewards` set (species with Dirichlet preferences use it).

### Swap events (false belief, Sec. 3.4)

With probability ``swap_prob`` per episode, at a step drawn uniformly from
``swap_steps`` (inclusive), two distinct objects drawn uniformly exchange cells at the
end of that step (so the next observation shows it); with ``swap_preferred=True`` one
of the two is always the agent's preferred object (the Sec. 3.4 setting). :meth:`TomGridworld.swap_objects`
swaps on demand. Each swap emits two ``SWAP`` events (context = object, row/col = its
new cell).

### Walls

``U{min_walls..max_walls}`` straight segments, each horizontal or vertical with equal
probability, of length ``U{2..max_segment_len}`` from a uniform interior start cell,
clipped at the border (segment shapes are not given in the paper; our choice). The
objects, the agent and the subgoal take distinct free cells, objects and subgoal at
Manhattan distance >= ``min_start_distance`` (5) from the agent (our choice: no episode
can end within 4 steps, and an agent next to an object reveals little; 0 gives the
paper's uniform placement).

### Arguments

``grid_size`` (11), ``num_objects`` (4), ``min_walls`` (0), ``max_walls`` (4),
``max_segment_len`` (4), ``max_cycles`` (31), ``observability`` (``"full"``),
``window_size`` (5; the paper's window size is not known to us), ``subgoal`` (False),
``subgoal_reward`` (1.0), ``move_cost`` (0.01), ``wall_cost`` (0.05),
``timeout_penalty`` (0.0), ``preferences`` (``"one_hot"``), ``observe_preference``
(False), ``swap_prob`` (0.0), ``swap_steps`` ((1, 10)), ``swap_preferred`` (False),
``min_start_distance`` (5), ``swap_inference`` (True).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice
from socialenvs.core.events import EventKind
from socialenvs.core.grid import render_ansi, render_rgb
from socialenvs.core.sim import Sim

STAY, UP, DOWN, LEFT, RIGHT = range(5)
ACTION_NAMES = ("stay", "up", "down", "left", "right")
#: ``(drow, dcol)`` of each action (spec agents §1.2 order: stay, up, down, left, right).
ACTION_DELTAS = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
EMPTY, WALL = 0, 1
OBJECT0 = 2  # cell codes of objects in renders: 2 .. 2 + K - 1, then subgoal, agent
OBJECT_COLOURS = np.array(
    [[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25], [145, 30, 180]], np.uint8
)
OBSERVABILITY = ("full", "sighted", "blind")


@dataclass
class TomGridworldConfig:
    grid_size: int = 11
    """Side of the square map, border walls included."""
    num_objects: int = 4
    """Consumable, terminal objects (at most 5)."""
    min_walls: int = 0
    """Fewest interior wall segments."""
    max_walls: int = 4
    """Most interior wall segments (Sec. 3.1-3.2: 4; Sec. 3.3-3.5: 6)."""
    max_segment_len: int = 4
    """Longest wall segment (cells)."""
    max_cycles: int = 31
    """Episode cap (31 in Sec. 3.1-3.2, 51 in Sec. 3.3-3.5)."""
    observability: str = "full"
    """What the agent sees of the objects: ``full``, ``sighted`` or ``blind``."""
    window_size: int = 5
    """Side of the sighted agent's window (odd)."""
    subgoal: bool = False
    """Place a non-terminal subgoal cell that must be visited first (Sec. 3.3)."""
    subgoal_reward: float = 1.0
    """Reward of the subgoal."""
    move_cost: float = 0.01
    """Cost of every step."""
    wall_cost: float = 0.05
    """Extra cost of bumping into a wall."""
    timeout_penalty: float = 0.0
    """Cost charged at the last step when no object was consumed (Sec. 3.3: 1)."""
    preferences: str = "one_hot"
    """``one_hot`` (a preferred object per reset) or ``external`` (set by the caller)."""
    observe_preference: bool = False
    """Add 4 planes marking the preferred object (goal-conditioned RL species)."""
    swap_prob: float = 0.0
    """Probability that an episode has a swap event."""
    swap_steps: tuple[int, int] = (1, 10)
    """Range of steps (inclusive) after which the swap happens."""
    swap_preferred: bool = False
    """Every swap moves the agent's preferred object (exchanged with another drawn
    uniformly), as in the Sec. 3.4 false-belief test; False: two objects drawn uniformly."""
    min_start_distance: int = 5
    """Objects and subgoal start at least this Manhattan distance from the agent (0: the
    paper's uniform placement)."""
    swap_inference: bool = True
    """Sighted agents know that objects move only by exchanges: an object seen arriving
    in the cell where another was believed came from its own believed cell, so the one
    it replaced is now believed there (our choice; False drops the replaced object from
    the belief, the rule of the runs in docs/tom.md before this flag)."""

    PRESETS = {
        "random_agents": {},
        "goal_directed": {},
        "deep_rl": dict(
            max_walls=6,
            max_cycles=51,
            subgoal=True,
            move_cost=0.005,
            timeout_penalty=1.0,
            observe_preference=True,
        ),
        "false_belief": dict(max_walls=6, max_cycles=51, observability="sighted", swap_prob=0.5),
    }

    def __post_init__(self) -> None:
        check_choice("observability", self.observability, OBSERVABILITY)
        check_choice("preferences", self.preferences, ("one_hot", "external"))
        for name, low in (
            ("grid_size", 5),
            ("num_objects", 1),
            ("min_walls", 0),
            ("max_walls", 0),
            ("max_segment_len", 2),
            ("max_cycles", 1),
            ("window_size", 1),
            ("min_start_distance", 0),
        ):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name}={v!r} must be an integer >= {low}")
        if self.num_objects > len(OBJECT_COLOURS):
            raise ValueError(f"num_objects={self.num_objects!r} must be <= {len(OBJECT_COLOURS)}")
        if self.max_walls < self.min_walls:
            raise ValueError(f"max_walls={self.max_walls!r} must be >= min_walls={self.min_walls}")
        if self.window_size % 2 == 0:
            raise ValueError(f"window_size={self.window_size!r} must be odd")
        if not 0.0 <= self.swap_prob <= 1.0:
            raise ValueError(f"swap_prob={self.swap_prob!r} is out of range; allowed: [0, 1]")
        lo, hi = (int(x) for x in self.swap_steps)
        if not 1 <= lo <= hi:
            raise ValueError(f"swap_steps={self.swap_steps!r} must be (lo, hi) with 1 <= lo <= hi")
        self.swap_steps = (lo, hi)
        if self.swap_prob > 0 and self.num_objects < 2:
            raise ValueError("swap events need num_objects >= 2")
        for name in ("move_cost", "wall_cost", "timeout_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0 (it is a cost)")


class TomGridworld(Sim):
    __doc__ = __doc__
    name = "tom_gridworld_v0"
    config_class = TomGridworldConfig
    agent_prefix = "agent"
    render_fps = 6
    episode_event_metrics = {"objects_consumed": EventKind.EAT}

    def _setup(self) -> None:
        cfg = self.config
        B, S, K = self.num_envs, int(cfg.grid_size), int(cfg.num_objects)
        self.num_agents = 1
        self.num_objects = K
        self.state_channels = 1 + K + 1 + int(cfg.subgoal)
        self.obs_channels = self.state_channels + (K if cfg.observe_preference else 0)
        self.observation_space = gymnasium.spaces.Box(
            0, 1, (S, S, self.obs_channels), dtype=np.uint8
        )
        self.action_space = gymnasium.spaces.Discrete(5)
        border = np.ones((S, S), dtype=bool)
        border[1:-1, 1:-1] = False
        self._border = border
        self.walls = np.zeros((B, S, S), dtype=bool)
        self.pos = np.zeros((B, 2), dtype=np.int64)
        self.obj_pos = np.zeros((B, K, 2), dtype=np.int64)
        self.belief_pos = np.zeros((B, K, 2), dtype=np.int64)  # -1: unknown
        self.subgoal_pos = np.zeros((B, 2), dtype=np.int64)
        self.subgoal_done = np.zeros(B, dtype=bool)
        self.object_rewards = np.zeros((B, K), dtype=np.float64)
        self.object_rewards[:, 0] = 1.0
        self.consumed = np.full(B, -1, dtype=np.int64)
        self.swap_step = np.full(B, -1, dtype=np.int64)
        # the two objects of this episode's swap (with ``swap_preferred``, set to the pair
        # actually swapped when the swap happens)
        self.swap_pair = np.zeros((B, 2), dtype=np.int64)
        self.swapped = np.zeros(B, dtype=bool)

    # ------------------------------------------------------------------ public helpers
    def set_object_rewards(self, rewards: np.ndarray, idx: np.ndarray | None = None) -> None:
        """Object rewards ``[len(idx), K]`` of copies ``idx`` (kept across resets when
        ``preferences="external"``)."""
        idx = self._all if idx is None else np.asarray(idx)
        rewards = np.asarray(rewards, dtype=np.float64)
        if rewards.shape != (len(idx), self.num_objects):
            raise ValueError(
                f"rewards must have shape {(len(idx), self.num_objects)}, got {rewards.shape}"
            )
        self.object_rewards[idx] = rewards

    @property
    def preferred_object(self) -> np.ndarray:
        """``int64[B]`` the object with the highest reward in each copy."""
        return self.object_rewards.argmax(axis=1)

    def swap_objects(self, idx: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """Exchange the cells of objects ``a[i]`` and ``b[i]`` in copies ``idx[i]`` now and
        update sighted beliefs as a new observation would."""
        idx, a, b = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (idx, a, b))
        if (
            np.any(a == b)
            or a.min(initial=0) < 0
            or max(a.max(initial=0), b.max(initial=0)) >= (self.num_objects)
        ):
            raise ValueError(f"swap needs two distinct objects in 0..{self.num_objects - 1}")
        pa = self.obj_pos[idx, a].copy()
        self.obj_pos[idx, a] = self.obj_pos[idx, b]
        self.obj_pos[idx, b] = pa
        for obj in (a, b):
            self.events.add(
                EventKind.SWAP,
                idx,
                row=self.obj_pos[idx, obj, 0],
                col=self.obj_pos[idx, obj, 1],
                context=obj,
            )
        self._update_belief(idx)

    def in_window(self, cells: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Whether cells ``[b, ..., 2]`` lie in the sighted window of copies ``idx``."""
        idx = self._all if idx is None else idx
        r = int(self.config.window_size) // 2
        centre = self.pos[idx].reshape(len(idx), *([1] * (cells.ndim - 2)), 2)
        return (np.abs(cells - centre) <= r).all(-1)

    def known_object_pos(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``int64[b, K, 2]`` where the agent thinks the objects are (-1: unknown/none):
        the truth for ``full``, the belief for ``sighted``/``blind`` (the initial glimpse
        only, for blind agents), consumed objects as -1."""
        idx = self._all if idx is None else idx
        if self.config.observability == "full":
            out = self.obj_pos[idx].copy()
        else:
            out = self.belief_pos[idx].copy()
        gone = self.consumed[idx]
        rows = np.flatnonzero(gone >= 0)
        out[rows, gone[rows]] = -1
        return out

    def observer_state(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``uint8[b, H, W, C_state]`` true state planes (walls, objects, agent[, subgoal])
        as the ToMnet observer sees them."""
        idx = self._all if idx is None else np.asarray(idx)
        return self._planes(idx, self.obj_pos[idx], np.ones(len(idx), dtype=bool))

    # ------------------------------------------------------------------ internals
    def _planes(self, idx: np.ndarray, obj_pos: np.ndarray, show_subgoal: np.ndarray):
        cfg = self.config
        S, K, b = int(cfg.grid_size), self.num_objects, len(idx)
        out = np.zeros((b, S, S, self.state_channels), dtype=np.uint8)
        out[..., 0] = self.walls[idx]
        rows = np.arange(b)
        consumed = self.consumed[idx]
        for k in range(K):
            ok = (obj_pos[:, k, 0] >= 0) & (consumed != k)
            out[rows[ok], obj_pos[ok, k, 0], obj_pos[ok, k, 1], 1 + k] = 1
        out[rows, self.pos[idx, 0], self.pos[idx, 1], 1 + K] = 1
        if cfg.subgoal:
            ok = ~self.subgoal_done[idx] & show_subgoal
            out[rows[ok], self.subgoal_pos[idx[ok], 0], self.subgoal_pos[idx[ok], 1], 2 + K] = 1
        return out

    def _update_belief(self, idx: np.ndarray) -> None:
        if self.config.observability != "sighted" or idx.size == 0:
            return
        true, old = self.obj_pos[idx], self.belief_pos[idx]  # [b, K, 2]
        seen = self.in_window(true, idx)  # [b, K]
        known, old_in_view = (old >= 0).all(-1), self.in_window(old, idx)
        stale = old_in_view & known & ~seen  # believed in view, not there
        belief = np.where(seen[..., None], true, old)
        belief[stale] = -1
        if self.config.swap_inference and stale.any():
            # object k seen arriving at the cell where j was believed came from k's old
            # cell, and j went there (objects move only by exchanges); only when that
            # old cell is out of view (j is not seen anywhere)
            moved = seen & known & (old != true).any(-1) & ~old_in_view
            arrived = (
                stale[:, :, None]
                & moved[:, None, :]
                & (true[:, None, :, :] == old[:, :, None, :]).all(-1)
            )  # [b, j, k]
            found = arrived.any(-1)
            source = arrived.argmax(-1)  # k for each j
            rows = np.arange(len(idx))[:, None]
            belief[found] = old[rows, source][found]
        self.belief_pos[idx] = belief

    def _draw_walls(self, idx: np.ndarray) -> None:
        cfg = self.config
        S, M, L = int(cfg.grid_size), int(cfg.max_walls), int(cfg.max_segment_len)
        b = len(idx)
        walls = np.broadcast_to(self._border, (b, S, S)).copy()
        if M > 0:
            count = cfg.min_walls + self.rng.integers(M - cfg.min_walls + 1, (), idx)
            vertical = self.rng.integers(2, (M,), idx).astype(bool)
            length = 2 + self.rng.integers(L - 1, (M,), idx)
            start = 1 + self.rng.integers(S - 2, (M, 2), idx)
            rows = np.arange(b)
            for m in range(M):
                for j in range(L):
                    on = (m < count) & (j < length[:, m])
                    r = start[:, m, 0] + np.where(vertical[:, m], j, 0)
                    c = start[:, m, 1] + np.where(vertical[:, m], 0, j)
                    on &= (r < S - 1) & (c < S - 1)
                    walls[rows[on], r[on], c[on]] = True
        self.walls[idx] = walls

    # ------------------------------------------------------------------ Sim hooks
    def _reset(self, idx: np.ndarray) -> None:
        cfg = self.config
        S, K = int(cfg.grid_size), self.num_objects
        self._draw_walls(idx)
        free = ~self.walls[idx].reshape(len(idx), S * S)
        n_place = K + 1 + int(cfg.subgoal)
        if (free.sum(1) < n_place).any():  # pragma: no cover - walls are sparse
            raise ValueError("the walls leave too few free cells; lower max_walls")
        agent = self.rng.choose(free, 1, idx)[:, 0]
        ar, ac = agent // S, agent % S
        flat = np.arange(S * S)
        dist = np.abs(flat[None] // S - ar[:, None]) + np.abs(flat[None] % S - ac[:, None])
        far = free & (dist >= int(cfg.min_start_distance)) & (flat[None] != agent[:, None])
        # a copy whose agent is boxed in falls back to any free cell
        short = far.sum(1) < n_place - 1
        far[short] = free[short] & (flat[None] != agent[short, None])
        cells = self.rng.choose(far, n_place - 1, idx)
        rc = np.stack([cells // S, cells % S], axis=-1)  # [b, n_place - 1, 2]
        self.obj_pos[idx] = rc[:, :K]
        self.pos[idx] = np.stack([ar, ac], axis=-1)
        if cfg.subgoal:
            self.subgoal_pos[idx] = rc[:, K]
        self.subgoal_done[idx] = False
        self.consumed[idx] = -1
        self.swapped[idx] = False
        if cfg.preferences == "one_hot":
            pref = self.rng.integers(K, (), idx)
            self.object_rewards[idx] = np.eye(K)[pref]
        lo, hi = cfg.swap_steps
        has_swap = self.rng.uniform((), idx) < cfg.swap_prob
        when = lo + self.rng.integers(hi - lo + 1, (), idx)
        self.swap_step[idx] = np.where(has_swap, when, -1)
        first = self.rng.integers(K, (), idx)
        second = (first + 1 + self.rng.integers(max(K - 1, 1), (), idx)) % K
        self.swap_pair[idx] = np.stack([first, second], axis=-1)
        # Initial glimpse: every agent starts knowing the true layout (blind agents never
        # see it, but a planner given their "belief" gets the start layout).
        self.belief_pos[idx] = self.obj_pos[idx]

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        K = self.num_objects
        act = actions[:, 0]
        target = self.pos + ACTION_DELTAS[act]
        bump = self.walls[self._all, target[:, 0], target[:, 1]]
        self.pos = np.where(bump[:, None], self.pos, target)
        rewards = -cfg.move_cost - cfg.wall_cost * bump
        if cfg.subgoal:
            hit = ~self.subgoal_done & (self.pos == self.subgoal_pos).all(-1)
            rewards = rewards + cfg.subgoal_reward * hit
            self.subgoal_done |= hit
            env = np.flatnonzero(hit)
            self.events.add(
                EventKind.EAT,
                env,
                actor=0,
                row=self.pos[env, 0],
                col=self.pos[env, 1],
                context=K,
                value=cfg.subgoal_reward,
            )
        on = (self.obj_pos == self.pos[:, None, :]).all(-1)  # [B, K]
        eaten = on.any(1)
        obj = on.argmax(1)
        paid = eaten & (self.subgoal_done if cfg.subgoal else True)
        gain = np.where(paid, self.object_rewards[self._all, obj], 0.0)
        rewards = rewards + gain
        self.consumed = np.where(eaten, obj, self.consumed)
        env = np.flatnonzero(eaten)
        self.events.add(
            EventKind.EAT,
            env,
            actor=0,
            row=self.pos[env, 0],
            col=self.pos[env, 1],
            context=obj[env],
            value=gain[env].astype(np.float32),
        )
        last = self.t + 1 >= self.max_cycles
        rewards = rewards - cfg.timeout_penalty * (last & ~eaten)
        swap = np.flatnonzero((self.swap_step == self.t + 1) & ~eaten)
        if swap.size:
            self.swapped[swap] = True
            first, second = self.swap_pair[swap, 0], self.swap_pair[swap, 1]
            if cfg.swap_preferred:
                # the preferred object is known only now (external preferences are set
                # after reset); the partner keeps its reset-time draw as an offset
                offset = (second - first - 1) % K
                first = self.preferred_object[swap]
                second = (first + 1 + offset) % K
                self.swap_pair[swap] = np.stack([first, second], axis=-1)  # what was swapped
            self.swap_objects(swap, first, second)
        self._update_belief(self._all)
        return rewards[:, None].astype(np.float32), eaten[:, None].copy()

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        cfg = self.config
        K = self.num_objects
        if cfg.observability == "full":
            planes = self._planes(idx, self.obj_pos[idx], np.ones(len(idx), dtype=bool))
        elif cfg.observability == "sighted":
            planes = self._planes(idx, self.belief_pos[idx], np.ones(len(idx), dtype=bool))
        else:
            at_start = self.t[idx] == 0
            hidden = np.where(at_start[:, None, None], self.obj_pos[idx], -1)
            planes = self._planes(idx, hidden, at_start)
        if cfg.observe_preference:
            S = int(cfg.grid_size)
            pref = np.eye(K, dtype=np.uint8)[self.preferred_object[idx]]
            planes = np.concatenate(
                [planes, np.broadcast_to(pref[:, None, None, :], (len(idx), S, S, K))], axis=-1
            )
        return planes[:, None]

    def _codes(self, env: int) -> np.ndarray:
        K = self.num_objects
        codes = self.walls[env].astype(np.uint8) * WALL
        for k in range(K):
            if self.consumed[env] != k:
                codes[self.obj_pos[env, k, 0], self.obj_pos[env, k, 1]] = OBJECT0 + k
        if self.config.subgoal and not self.subgoal_done[env]:
            codes[self.subgoal_pos[env, 0], self.subgoal_pos[env, 1]] = OBJECT0 + K
        return codes

    def _render(self, env: int) -> np.ndarray:
        K = self.num_objects
        palette = np.concatenate(
            [
                np.array([[0, 0, 0], [127, 127, 127]], np.uint8),
                OBJECT_COLOURS[:K],
                np.array([[255, 255, 255], [255, 255, 255]], np.uint8),
            ]
        )
        codes = self._codes(env)
        codes[self.pos[env, 0], self.pos[env, 1]] = OBJECT0 + K + 1
        return render_rgb(codes, palette)

    def _render_ansi(self, env: int) -> str:
        K = self.num_objects
        chars = ".#" + "abcde"[:K] + "*"
        return render_ansi(self._codes(env), chars, self.pos[env : env + 1])
