"""Goal Sequence: visit goals in a hidden order, next to an embodied demonstrator.

| | |
|---|---|
| Creation | ``socialenvs.make("goal_sequence_v0")`` (in-context) or ``preset="in_weights"`` |
| Agents | ``learner``, ``demonstrator`` (both embodied in one grid) |
| Actions | ``Discrete(3)``: 0 turn left, 1 turn right, 2 forward |
| Observation | ``Box(0, 1, (V*V*5 + 4 + K + 3,), float32)``; default 56 |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

After Cook et al. 2024, *Artificial Generational Intelligence* (NeurIPS 2024), §3.1 and
App. D.2, and the official code (FLAIROx/cultural-accumulation, ``goal_seq/env``), an
adaptation of Goal Cycle (Ndousse et al. 2021).

A 7x7 grid (no inner walls, walls beyond the edge) holds 3 goals at random cells. A hidden
sequence of goal indices says which goal is the next target: moving forward onto the
current target's cell pays +1 and advances that agent's target; moving forward onto
another goal pays ``-penalty``. Agents may share cells and stand on goals. Each agent has
its own position in the sequence. The episode is ``num_trials`` trials of ``trial_len``
steps on the same goals and sequence; each trial restarts both agents at their start
cells (learner at row 3, column 0; demonstrator at row 3, column 1; both facing east).

### Demonstrator

``demonstrator``: ``"external"`` (default: its action comes from the joint action, e.g.
a trained oracle, a previous generation or a replay) or ``"oracle"``: the env drives it
with a scripted oracle that walks to its *displayed* target (turn towards it, then
forward), and ignores the submitted action. ``demonstrator_view``: ``"oracle"`` gives the
demonstrator the privileged image of the paper's oracle (channels: wall, any goal, its
displayed target, empty, empty); ``"learner"`` gives it the learner's channels (needed when
a previous-generation learner network is the demonstrator). The learner never appears in
the demonstrator's view (paper Alg. 2: the new generation is masked out).

Correlated oracle noise (paper fn. 3, code "scrambled"): each time the demonstrator hits
its target, with probability ``oracle_noise`` its displayed target becomes the goal
``oracle_noise_offset`` places further along the sequence (wrong about 2/3 of the time)
until its next hit or until it steps onto that displayed goal.

### Visibility

The learner sees the demonstrator in its agent channel with probability
``p = 1 - k/(K-1)`` in trial ``k``, drawn per step (``visibility="trials"``), or a
probability set by the trainer with :meth:`GoalSequence.set_visibility`
(``"external"``, in-weights annealing). Otherwise the cell is blank.

### Observation (in order)

Egocentric image ``V x V x 5`` (row 0 farthest ahead, the agent at the back centre;
learner channels: wall, goal 0, goal 1, goal 2, demonstrator), own direction one-hot (4),
trial one-hot (``num_trials``), own last reward one-hot for -1 / 0 / +1 (3).

### Paper / code differences (flags; defaults follow the paper)

| flag | default | code |
|---|---|---|
| ``view_size`` | 3 (paper: 3x3 in front) | 5 |
| ``trial_len`` | 30 (paper, in-context) | 50 |
| ``sequence_mode`` | ``"non_repeating"``: each next goal uniform among the other two | ``"iid"``: repeats allowed |
| ``goal_cells_distinct`` | True | False: sampled with replacement |
| ``turn_rescore`` | False | True: a turn re-scores when the new target is the goal underfoot |
| ``forced_first_step`` | True (code: learner forced forward, demonstrator idle at trial step 0, which makes replays exact) | — |

The exact "non-repeating" rule, distinct goal cells, no turn re-score, the oracle's
noise persistence and the scripted oracle are our choices (the paper is silent).

### In-weights mode (``preset="in_weights"``, paper §5.2)

One 50-step trial, random start cells and directions, goal identities visible to both
agents, the sequence fixed across training (``sequence_seed``; code resamples it:
``sequence_seed=None``), goal cells random per episode, visibility set by the trainer.

### Arguments

``grid_size`` (7), ``num_goals`` (3), ``sequence_len`` (100), ``sequence_mode``,
``sequence_seed`` (None), ``goal_cells_distinct`` (True), ``view_size`` (3),
``trial_len`` (30), ``num_trials`` (4), ``penalty`` (1.0), ``turn_rescore`` (False),
``forced_first_step`` (True), ``random_start`` (False), ``demonstrator``
(``"external"``), ``demonstrator_view`` (``"oracle"``), ``oracle_noise`` (0.2),
``oracle_noise_offset`` (10), ``visibility`` (``"trials"``), ``max_cycles`` (None:
``num_trials * trial_len``).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.grid import DIRECTIONS, EAST, EgocentricView, ViewSpec, turn_agents
from socialenvs.core.sim import Sim
from socialenvs.culture.trials import trial_visibility

TURN_LEFT, TURN_RIGHT, FORWARD = 0, 1, 2
EMPTY, WALL, GOAL0 = 0, 1, 2
LEARNER, DEMONSTRATOR = 0, 1
NUM_CHANNELS = 5
GOAL_COLOURS = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200]], dtype=np.uint8)


@dataclass
class GoalSequenceConfig:
    grid_size: int = 7
    """Side of the square grid."""
    num_goals: int = 3
    """Goal objects (and goal types)."""
    sequence_len: int = 100
    """Length of the hidden goal sequence."""
    sequence_mode: str = "non_repeating"
    """``"non_repeating"`` (paper) or ``"iid"`` (code)."""
    sequence_seed: int | None = None
    """None: a new sequence per episode; int: one fixed sequence."""
    goal_cells_distinct: bool = True
    """Goals on distinct cells (code: with replacement)."""
    view_size: int = 3
    """Egocentric window side ``V`` (paper 3, code 5); must be odd."""
    trial_len: int = 30
    """Steps per trial (paper 30, code 50)."""
    num_trials: int = 4
    """Trials per episode ``K``."""
    penalty: float = 1.0
    """Cost of stepping onto a wrong goal."""
    turn_rescore: bool = False
    """Code quirk: a turn scores when the agent stands on its new target."""
    forced_first_step: bool = True
    """At trial step 0 the learner moves forward and the demonstrator idles (code)."""
    random_start: bool = False
    """Random start cells and directions (in-weights env)."""
    demonstrator: str = "external"
    """``"external"`` or ``"oracle"`` (scripted, env-driven)."""
    demonstrator_view: str = "oracle"
    """``"oracle"`` (privileged target channel) or ``"learner"`` channels."""
    oracle_noise: float = 0.2
    """Probability of scrambling the displayed target at each hit."""
    oracle_noise_offset: int = 10
    """How far along the sequence a scrambled target is taken."""
    visibility: str = "trials"
    """``"trials"`` (1 - k/(K-1)) or ``"external"``."""
    max_cycles: int | None = None
    """Step cap; defaults to ``num_trials * trial_len``."""

    PRESETS = {
        "in_context": {},
        "in_weights": dict(
            num_trials=1,
            trial_len=50,
            random_start=True,
            forced_first_step=False,
            demonstrator_view="learner",
            visibility="external",
            sequence_seed=0,
        ),
        "code": dict(
            view_size=5,
            trial_len=50,
            sequence_mode="iid",
            goal_cells_distinct=False,
            turn_rescore=True,
        ),
    }

    def __post_init__(self) -> None:
        check_choice("sequence_mode", self.sequence_mode, ("non_repeating", "iid"))
        check_choice("demonstrator", self.demonstrator, ("external", "oracle"))
        check_choice("demonstrator_view", self.demonstrator_view, ("oracle", "learner"))
        check_choice("visibility", self.visibility, ("trials", "external"))
        for name, low in (
            ("grid_size", 3),
            ("num_goals", 2),
            ("sequence_len", 2),
            ("view_size", 1),
            ("trial_len", 2),
            ("num_trials", 1),
            ("oracle_noise_offset", 1),
        ):
            v = getattr(self, name)
            check_int(name, v, low)
        if self.view_size % 2 == 0:
            raise ValueError(f"view_size={self.view_size!r} must be odd")
        if self.num_goals > self.grid_size**2 - 2:
            raise ValueError(f"num_goals={self.num_goals!r} does not fit the grid")
        if self.visibility == "trials" and self.num_trials < 2:
            raise ValueError(f"visibility='trials' needs num_trials >= 2, got {self.num_trials}")
        if not 0 <= self.oracle_noise <= 1:
            raise ValueError(f"oracle_noise={self.oracle_noise!r} is out of range; allowed: [0, 1]")
        if self.max_cycles is None:
            self.max_cycles = self.num_trials * self.trial_len
        check_int("max_cycles", self.max_cycles, 1)


class GoalSequence(Sim):
    __doc__ = __doc__
    name = "goal_sequence_v0"
    config_class = GoalSequenceConfig
    render_fps = 6

    @property
    def agent_names(self) -> list[str]:
        return ["learner", "demonstrator"]

    def _setup(self) -> None:
        cfg = self.config
        B, S, G, K = self.num_envs, int(cfg.grid_size), int(cfg.num_goals), int(cfg.num_trials)
        self.num_agents = 2
        V = int(cfg.view_size)
        # MiniGrid-style window: V rows ahead including the agent's own, agent at the back
        # centre (official env, agent_view_size).
        spec = ViewSpec(forward=V - 1, back=0, left=V // 2, right=V // 2)
        self.view = EgocentricView(spec, S, S, outside_code=WALL)
        self.agent_view = EgocentricView(spec, S, S, outside_code=0)
        self.image_shape = (V, V, NUM_CHANNELS)
        self.obs_dim = V * V * NUM_CHANNELS + 4 + K + 3
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (self.obs_dim,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(3)
        self.goal_pos = np.zeros((B, G, 2), dtype=np.int64)
        self.sequence = np.zeros((B, int(cfg.sequence_len)), dtype=np.int64)
        self.pos = np.zeros((B, 2, 2), dtype=np.int64)
        self.ori = np.zeros((B, 2), dtype=np.int64)
        self.start_pos = np.zeros((B, 2, 2), dtype=np.int64)
        self.start_ori = np.zeros((B, 2), dtype=np.int64)
        self.score = np.zeros((B, 2), dtype=np.int64)
        self.shown_target = np.full(B, -1, dtype=np.int64)  # demonstrator's scrambled target
        self.last_reward = np.zeros((B, 2), dtype=np.float64)
        self.trial = np.zeros(B, dtype=np.int64)
        self.trial_step = np.zeros(B, dtype=np.int64)
        self.trial_scores = np.zeros((B, K), dtype=np.float64)
        self.visible = np.zeros(B, dtype=bool)
        self.visibility_prob = np.ones(B, dtype=np.float64)
        self.fixed_sequence = None
        if cfg.sequence_seed is not None:
            self.fixed_sequence = self._make_sequence(
                np.random.default_rng(cfg.sequence_seed).uniform(size=(1, cfg.sequence_len))
            )[0]

    # ------------------------------------------------------------------ helpers
    def _make_sequence(self, u: np.ndarray) -> np.ndarray:
        """Goal sequences from uniforms ``u[b, L]``."""
        G = int(self.config.num_goals)
        if self.config.sequence_mode == "iid":
            return np.minimum((u * G).astype(np.int64), G - 1)
        # Non-repeating: the first goal uniform, each next one uniform among the others.
        first = np.minimum((u[:, :1] * G).astype(np.int64), G - 1)
        steps = 1 + np.minimum((u[:, 1:] * (G - 1)).astype(np.int64), G - 2)
        return (first + np.concatenate([np.zeros_like(first), np.cumsum(steps, 1)], 1)) % G

    def target(self, agent: int, idx: np.ndarray | None = None) -> np.ndarray:
        """The true current target goal of ``agent`` in copies ``idx``."""
        idx = self._all if idx is None else idx
        L = self.sequence.shape[1]
        return self.sequence[idx, self.score[idx, agent] % L]

    def displayed_target(self, idx: np.ndarray | None = None) -> np.ndarray:
        """The demonstrator's target as its privileged view shows it (maybe scrambled)."""
        idx = self._all if idx is None else idx
        shown = self.shown_target[idx]
        return np.where(shown >= 0, shown, self.target(DEMONSTRATOR, idx))

    def set_visibility(self, p: float | np.ndarray) -> None:
        """Probability that the learner sees the demonstrator (``visibility="external"``)."""
        p_arr = np.broadcast_to(np.asarray(p, dtype=np.float64), (self.num_envs,))
        if np.any(p_arr < 0) or np.any(p_arr > 1):
            raise ValueError(f"visibility probability {p!r} is out of range; allowed: [0, 1]")
        self.visibility_prob[:] = p_arr

    def cells(self, idx: np.ndarray) -> np.ndarray:
        """``uint8[b, S, S]`` cell codes (goals drawn over empty floor)."""
        S, G = int(self.config.grid_size), int(self.config.num_goals)
        cells = np.zeros((len(idx), S, S), dtype=np.uint8)
        rows = np.repeat(np.arange(len(idx)), G)
        gp = self.goal_pos[idx].reshape(-1, 2)
        cells[rows, gp[:, 0], gp[:, 1]] = GOAL0 + np.tile(np.arange(G), len(idx))
        return cells

    # ------------------------------------------------------------------ Sim hooks
    def _reset(self, idx: np.ndarray) -> None:
        cfg = self.config
        S, G, L = int(cfg.grid_size), int(cfg.num_goals), int(cfg.sequence_len)
        if self.fixed_sequence is None:
            self.sequence[idx] = self._make_sequence(self.rng.uniform((L,), idx))
        else:
            self.sequence[idx] = self.fixed_sequence
        start_cells = np.array([[3 % S, 0], [3 % S, 1]])  # (row, col) of (x, y) = (0,3), (1,3)
        if cfg.random_start:
            flat = self.rng.integers(S * S, (2,), idx)
            self.start_pos[idx] = np.stack([flat // S, flat % S], axis=-1)
            self.start_ori[idx] = self.rng.integers(4, (2,), idx)
            free = np.ones((len(idx), S * S), dtype=bool)
        else:
            self.start_pos[idx] = start_cells
            self.start_ori[idx] = EAST
            free = np.ones((len(idx), S * S), dtype=bool)
            free[:, start_cells[:, 0] * S + start_cells[:, 1]] = False
        if cfg.goal_cells_distinct:
            flat = self.rng.choose(free, G, idx)
        else:
            u = self.rng.uniform((G,), idx)
            choices = np.flatnonzero(free[0])
            flat = choices[np.minimum((u * len(choices)).astype(np.int64), len(choices) - 1)]
        self.goal_pos[idx] = np.stack([flat // S, flat % S], axis=-1)
        self.trial[idx] = 0
        self.trial_scores[idx] = 0.0
        self._new_trial(idx)

    def _new_trial(self, idx: np.ndarray) -> None:
        self.pos[idx] = self.start_pos[idx]
        self.ori[idx] = self.start_ori[idx]
        self.score[idx] = 0
        self.shown_target[idx] = -1
        self.last_reward[idx] = 0.0
        self.trial_step[idx] = 0
        self._draw_visibility(idx)

    def _draw_visibility(self, idx: np.ndarray) -> None:
        if self.config.visibility == "trials":
            p = trial_visibility(self.trial[idx], int(self.config.num_trials))
        else:
            p = self.visibility_prob[idx]
        self.visible[idx] = self.rng.uniform((), idx) < p

    def oracle_action(self) -> np.ndarray:
        """Scripted oracle: forward if that gets closer to the displayed target, else turn
        towards it (``int64[B]``)."""
        goal = self.goal_pos[self._all, self.displayed_target()]
        delta = goal - self.pos[:, DEMONSTRATOR]
        ori = self.ori[:, DEMONSTRATOR]
        progress = (DIRECTIONS[None, :, :] * delta[:, None, :]).sum(-1) > 0  # [B, 4]
        ahead = progress[self._all, ori]
        want = np.argmax(progress, axis=1)  # first improving direction
        right = ((want - ori) & 3) == 1
        turn = np.where(right, TURN_RIGHT, TURN_LEFT)
        return np.where(ahead | ~progress.any(1), FORWARD, turn)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        S = int(cfg.grid_size)
        actions = actions.copy()
        if cfg.demonstrator == "oracle":
            actions[:, DEMONSTRATOR] = self.oracle_action()
        if cfg.forced_first_step:
            first = self.trial_step == 0
            actions[first, LEARNER] = FORWARD
            idle = -1  # the demonstrator does nothing on the forced step
            actions[first, DEMONSTRATOR] = idle
        turn = np.where(actions == TURN_LEFT, -1, np.where(actions == TURN_RIGHT, 1, 0))
        self.ori = turn_agents(self.ori, turn)
        fwd = actions == FORWARD
        new = np.clip(self.pos + DIRECTIONS[self.ori] * fwd[..., None], 0, S - 1)
        moved = (new != self.pos).any(-1)
        self.pos = new
        # Goal under each agent after the move: index or -1.
        on_goal = (self.pos[:, :, None, :] == self.goal_pos[:, None, :, :]).all(-1)  # [B,2,G]
        rewards = np.zeros((self.num_envs, 2), dtype=np.float64)
        for agent in (LEARNER, DEMONSTRATOR):
            tgt = self.target(agent)
            hit_target = on_goal[self._all, agent, tgt]
            scores = moved[:, agent] & hit_target
            if cfg.turn_rescore:
                scores |= (turn[:, agent] != 0) & hit_target
            wrong = moved[:, agent] & on_goal[:, agent].any(-1) & ~hit_target
            rewards[:, agent] = scores * 1.0 - wrong * float(cfg.penalty)
            if agent == DEMONSTRATOR:
                self._update_oracle_noise(scores, on_goal[:, agent], moved[:, agent])
            self.score[:, agent] += scores
            env = np.flatnonzero(scores | wrong)
            if env.size:
                self.events.add(
                    EventKind.COLLECT,
                    env,
                    actor=agent,
                    row=self.pos[env, agent, 0],
                    col=self.pos[env, agent, 1],
                    context=np.where(scores[env], 1, 0),
                    value=rewards[env, agent].astype(np.float32),
                )
        K = int(cfg.num_trials)
        self.trial_scores[self._all, np.minimum(self.trial, K - 1)] += np.maximum(rewards[:, 0], 0)
        self.last_reward = rewards
        self.trial_step += 1
        ended = self.trial_step >= int(cfg.trial_len)
        self.trial += ended
        terminated = self.trial >= K
        again = np.flatnonzero(ended & ~terminated)
        if again.size:
            self._new_trial(again)
        stay = np.flatnonzero(~ended)
        if stay.size:
            self._draw_visibility(stay)
        return rewards.astype(np.float32), np.repeat(terminated[:, None], 2, axis=1)

    def _update_oracle_noise(self, scored: np.ndarray, on_goal: np.ndarray, moved: np.ndarray):
        """Scramble the displayed target at hits; clear it on reaching the shown goal."""
        reached_shown = moved & on_goal[self._all, self.displayed_target()]
        self.shown_target[reached_shown] = -1
        scramble = (self.rng.uniform(()) < float(self.config.oracle_noise)) & scored
        L = self.sequence.shape[1]
        ahead = self.sequence[
            self._all, (self.score[:, DEMONSTRATOR] + 1 + self.config.oracle_noise_offset) % L
        ]
        self.shown_target = np.where(scored, np.where(scramble, ahead, -1), self.shown_target)

    # ------------------------------------------------------------------ observations
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        cfg = self.config
        b, K, G = len(idx), int(cfg.num_trials), int(cfg.num_goals)
        V = int(cfg.view_size)
        codes = self.view.gather(self.cells(idx), self.pos[idx], self.ori[idx])  # [b,2,V,V]
        img = np.zeros((b, 2, V, V, NUM_CHANNELS), dtype=np.float32)
        img[..., 0] = codes == WALL
        goal = codes.astype(np.int64) - GOAL0  # goal index or negative
        learner_layers = np.stack([goal == g for g in range(min(G, 3))], axis=-1)
        img[:, LEARNER, ..., 1 : 1 + learner_layers.shape[-1]] = learner_layers[:, LEARNER]
        if cfg.demonstrator_view == "learner":
            img[:, DEMONSTRATOR, ..., 1 : 1 + learner_layers.shape[-1]] = learner_layers[
                :, DEMONSTRATOR
            ]
        else:
            shown = self.displayed_target(idx)
            img[:, DEMONSTRATOR, ..., 1] = goal[:, DEMONSTRATOR] >= 0
            img[:, DEMONSTRATOR, ..., 2] = goal[:, DEMONSTRATOR] == shown[:, None, None]
        # The learner's agent channel: the demonstrator's cell when visible.
        S = int(cfg.grid_size)
        other = np.zeros((b, S, S), dtype=np.uint8)
        dp = self.pos[idx, DEMONSTRATOR]
        other[np.arange(b), dp[:, 0], dp[:, 1]] = self.visible[idx]
        seen = self.agent_view.gather(other, self.pos[idx, :1], self.ori[idx, :1])
        img[:, LEARNER, ..., 4] = seen[:, 0]
        extra = np.zeros((b, 2, 4 + K + 3), dtype=np.float32)
        rows = np.repeat(np.arange(b), 2)
        agents = np.tile([0, 1], b)
        extra[rows, agents, self.ori[idx].ravel()] = 1.0
        extra[rows, agents, 4 + np.repeat(np.minimum(self.trial[idx], K - 1), 2)] = 1.0
        r = np.sign(self.last_reward[idx]).astype(np.int64) + 1  # -1, 0, +1 -> 0, 1, 2
        extra[rows, agents, 4 + K + r.ravel()] = 1.0
        return np.concatenate([img.reshape(b, 2, -1), extra], axis=-1)

    def _render(self, env: int) -> np.ndarray:
        """The grid, goals in their colours, learner white, demonstrator grey (black
        frame when the learner can see it)."""
        S, cell = int(self.config.grid_size), 12
        frame = np.full((S, S, 3), 40, dtype=np.uint8)
        G = int(self.config.num_goals)
        for g in range(G):
            r, c = self.goal_pos[env, g]
            frame[r, c] = GOAL_COLOURS[g % len(GOAL_COLOURS)]
        img = np.repeat(np.repeat(frame, cell, axis=0), cell, axis=1)
        for agent, colour in ((DEMONSTRATOR, (160, 160, 160)), (LEARNER, (255, 255, 255))):
            r, c = self.pos[env, agent] * cell
            img[r + 3 : r + cell - 3, c + 3 : c + cell - 3] = colour
            dr, dc = DIRECTIONS[self.ori[env, agent]]
            cr, cc = r + cell // 2 + dr * 4, c + cell // 2 + dc * 4
            img[cr - 1 : cr + 1, cc - 1 : cc + 1] = (0, 0, 0)
        return img

    def _render_ansi(self, env: int) -> str:
        S = int(self.config.grid_size)
        grid = np.full((S, S), ".", dtype="<U1")
        for g in range(int(self.config.num_goals)):
            r, c = self.goal_pos[env, g]
            grid[r, c] = str(g)
        for agent, ch in ((DEMONSTRATOR, "D"), (LEARNER, "L")):
            r, c = self.pos[env, agent]
            grid[r, c] = ch
        return (
            f"trial {int(self.trial[env])} step {int(self.trial_step[env])} "
            f"targets {self.target(LEARNER, np.array([env]))[0]}/"
            f"{self.target(DEMONSTRATOR, np.array([env]))[0]} "
            f"visible={bool(self.visible[env])}\n" + "\n".join("".join(row) for row in grid)
        )
