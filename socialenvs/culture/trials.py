"""Trials, demonstrators and visibility: what Memory Sequence and TSP share.

Cook et al. 2024 (*Artificial Generational Intelligence*, §3-4, App. A, D) build their
in-context tasks as episodes of ``K`` trials on one fixed task instance. A learner acts;
``n`` demonstrators are synchronised to the learner (each step they propose an action
for the learner's *current* state) and their proposals enter the learner's observation
on steps where the learner can see them.

Demonstrators (``demonstrators=``):

* ``"oracle"``: the env's built-in noisy oracles (task-specific, see each env);
* ``"external"``: a :data:`DemonstratorHook` set with :meth:`TrialSim.set_demonstrator`
  supplies the proposals (e.g. frozen networks of a previous generation). Without a hook
  the demonstrators act uniformly at random (a generation-0 stand-in);
* ``"none"``: no demonstrator is ever visible (plain RL²).

Why a hook and not extra PettingZoo agents: the demonstrator's proposal for the learner's
current state must be in the learner's observation *before* the learner acts, and which
state comes next (e.g. a new trial after a mistake) depends on the learner's action. In a
simultaneous-move env a demonstrator agent could only act on the learner's previous
state, one step late, which removes the social signal these tasks are about. The hook is
called right after each step (and at reset) with the demonstrators' own observations, as
the official code runs its demonstrators between learner steps.

Visibility (``visibility=``), one Bernoulli draw per step shared by all demonstrators:

* ``"trials"``: ``p = 1 - k / (K - 1)`` in trial ``k`` (paper App. A, Alg. 2): full in
  the first trial, zero in the last;
* ``"external"``: ``p`` set by the trainer with :meth:`TrialSim.set_visibility`, e.g.
  :func:`annealed_visibility` over training (in-weights accumulation, Alg. 3).
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.sim import Sim

DemonstratorHook = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``hook(env_idx int[b], demo_obs float32[b, n, obs_dim], trial_start bool[b]) -> int[b, n]``.

Called after every step and at reset for copies ``env_idx``; ``trial_start`` marks
copies whose next step opens a trial (a recurrent demonstrator resets its state there).
Returns each demonstrator's proposal for the learner's current state."""

DEMONSTRATOR_MODES = ("oracle", "external", "none")
VISIBILITY_MODES = ("trials", "external")
DEMO_FEEDBACK = ("own", "learner")


def trial_visibility(trial: np.ndarray | int, num_trials: int) -> np.ndarray:
    """In-context schedule ``p = 1 - k / (K - 1)`` (Cook et al. 2024, App. A), clipped to [0, 1].

    For ``K = 4``: trials 0..3 give 1, 2/3, 1/3, 0.
    """
    if num_trials < 2:
        raise ValueError(f"num_trials={num_trials!r} must be >= 2 for a visibility schedule")
    k = np.asarray(trial, dtype=np.float64)
    return np.clip(1.0 - k / (num_trials - 1), 0.0, 1.0)


def annealed_visibility(step: np.ndarray | int, total_steps: int) -> np.ndarray:
    """In-weights schedule ``p = 1 - t / (T - 1)`` (Cook et al. 2024, §4, Alg. 3), clipped."""
    if total_steps < 2:
        raise ValueError(f"total_steps={total_steps!r} must be >= 2")
    t = np.asarray(step, dtype=np.float64)
    return np.clip(1.0 - t / (total_steps - 1), 0.0, 1.0)


def check_trial_config(cfg) -> None:
    """Validation shared by the trial-based configs (``ValueError`` naming the bad value)."""
    check_choice("demonstrators", cfg.demonstrators, DEMONSTRATOR_MODES)
    check_choice("visibility", cfg.visibility, VISIBILITY_MODES)
    check_choice("demo_feedback", cfg.demo_feedback, DEMO_FEEDBACK)
    check_int("num_trials", cfg.num_trials, 1)
    if cfg.visibility == "trials" and cfg.num_trials < 2:
        raise ValueError(
            f"visibility='trials' needs num_trials >= 2, got {cfg.num_trials}; "
            "use visibility='external' for single-trial episodes"
        )
    check_int("num_demonstrators", cfg.num_demonstrators, 0)


class TrialSim(Sim):
    """Base of single-learner, multi-trial tasks with synchronised demonstrators.

    Subclasses set ``self.num_actions`` and ``self.trial_capacity`` (most steps in a trial)
    in ``_task_setup`` and implement ``_task_reset``, ``_task_new_trial``, ``_score``,
    ``_advance`` and ``_oracle``. The learner is the only PettingZoo agent (``learner``).

    State read by trainers and evaluators: ``trial int64[B]`` (current trial),
    ``trial_scores float64[B, K]`` (sum of positive rewards per trial, the papers'
    evaluation score), ``visible bool[B]`` (demonstrators shown in the current obs).
    """

    agent_prefix = "learner"
    demo_hook: DemonstratorHook | None = None

    @property
    def agent_names(self) -> list[str]:
        return ["learner"]

    # ------------------------------------------------------------------ task hooks
    def _task_setup(self) -> None:
        raise NotImplementedError

    def _task_reset(self, idx: np.ndarray) -> None:
        """New task instance for copies ``idx`` (start of an episode)."""
        raise NotImplementedError

    def _task_new_trial(self, idx: np.ndarray) -> None:
        """Return copies ``idx`` to the start state of the same task instance."""
        raise NotImplementedError

    def _score(self, proposals: np.ndarray) -> np.ndarray:
        """Reward of each candidate action ``[B, M]`` in every copy's current state."""
        raise NotImplementedError

    def _advance(self, actions: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        """Apply the learner's actions; return ``bool[B]``: the trial ended."""
        raise NotImplementedError

    def _oracle(self, idx: np.ndarray) -> np.ndarray:
        """Built-in demonstrators' proposals ``int64[len(idx), n]`` for the current state."""
        raise NotImplementedError

    def _oracle_reset(self, idx: np.ndarray) -> None:
        """Draw per-episode oracle parameters (accuracies, temperatures) for ``idx``."""

    # ------------------------------------------------------------------ Sim hooks
    def _setup(self) -> None:
        cfg = self.config
        self._task_setup()
        B, A, K = self.num_envs, self.num_actions, int(cfg.num_trials)
        self.num_agents = 1
        self.num_demos = int(cfg.num_demonstrators)
        self.own_feedback = bool(cfg.obs_own_feedback)
        self.trial_onehot = bool(cfg.trial_onehot)
        # Observation layout (Cook et al. 2024, App. D.1/D.3; official notebooks):
        # [own last action (A), trial ended (1), last reward (1)] if own feedback,
        # then demonstrators' proposals (n * A), visible flag (1), trial one-hot (K) if on.
        self.slices: dict[str, slice] = {}
        offset = 0
        parts = []
        if self.own_feedback:
            parts += [("own_action", A), ("trial_ended", 1), ("reward", 1)]
        parts += [("demonstrators", self.num_demos * A), ("visible", 1)]
        if self.trial_onehot:
            parts += [("trial", K)]
        for name, size in parts:
            self.slices[name] = slice(offset, offset + size)
            offset += size
        self.obs_dim = offset
        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (offset,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        n = self.num_demos
        self.trial = np.zeros(B, dtype=np.int64)
        self.trial_scores = np.zeros((B, K), dtype=np.float64)
        self.last_action = np.full(B, -1, dtype=np.int64)
        self.last_reward = np.zeros(B, dtype=np.float64)
        self.trial_ended = np.zeros(B, dtype=bool)
        self.demo_actions = np.zeros((B, n), dtype=np.int64)
        self.demo_last_action = np.full((B, n), -1, dtype=np.int64)
        self.demo_last_reward = np.zeros((B, n), dtype=np.float64)
        self.visible = np.zeros(B, dtype=bool)
        self.visibility_prob = np.ones(B, dtype=np.float64)

    def set_demonstrator(self, hook: DemonstratorHook | None) -> None:
        """Install the external demonstrators (``demonstrators="external"``)."""
        if self.config.demonstrators != "external" and hook is not None:
            raise ValueError(
                f"set_demonstrator needs demonstrators='external', "
                f"got demonstrators={self.config.demonstrators!r}"
            )
        self.demo_hook = hook

    def set_visibility(self, p: float | np.ndarray) -> None:
        """Probability that demonstrators are visible on a step (``visibility="external"``)."""
        p_arr = np.broadcast_to(np.asarray(p, dtype=np.float64), (self.num_envs,))
        if np.any(p_arr < 0) or np.any(p_arr > 1):
            raise ValueError(f"visibility probability {p!r} is out of range; allowed: [0, 1]")
        self.visibility_prob[:] = p_arr

    def _reset(self, idx: np.ndarray) -> None:
        self._task_reset(idx)
        self._oracle_reset(idx)
        self.trial[idx] = 0
        self.trial_scores[idx] = 0.0
        self.last_action[idx] = -1
        self.last_reward[idx] = 0.0
        self.trial_ended[idx] = False
        self.demo_last_action[idx] = -1
        self.demo_last_reward[idx] = 0.0
        self._refresh_demonstrators(idx, np.ones(len(idx), dtype=bool))

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K = int(self.config.num_trials)
        a = actions[:, 0]
        rewards = self._score(a[:, None])[:, 0]
        demo_rewards = self._score(self.demo_actions) if self.num_demos else None
        trial_before = self.trial.copy()
        ended = self._advance(a, rewards)
        self.trial_scores[self._all, np.minimum(trial_before, K - 1)] += np.maximum(rewards, 0.0)
        self.last_action[:] = a
        self.last_reward[:] = rewards
        self.trial_ended[:] = ended
        if self.num_demos:
            self.demo_last_action[:] = self.demo_actions
            self.demo_last_reward[:] = demo_rewards
        self.trial += ended
        terminated = self.trial >= K
        again = np.flatnonzero(ended & ~terminated)
        if again.size:
            self._task_new_trial(again)
        self._refresh_demonstrators(self._all, ended)
        self.events.add(
            EventKind.ACT, self._all, actor=0, context=a, value=rewards.astype(np.float32)
        )
        return rewards[:, None].astype(np.float32), terminated[:, None].copy()

    def _refresh_demonstrators(self, idx: np.ndarray, trial_start: np.ndarray) -> None:
        """New proposals for the learner's current state and a new visibility draw."""
        mode = self.config.demonstrators
        if self.num_demos:
            if mode == "oracle":
                self.demo_actions[idx] = self._oracle(idx)
            elif mode == "external" and self.demo_hook is not None:
                out = np.asarray(self.demo_hook(idx, self.demonstrator_obs(idx), trial_start))
                if out.shape != (len(idx), self.num_demos):
                    raise ValueError(
                        f"demonstrator hook returned shape {out.shape}, "
                        f"expected {(len(idx), self.num_demos)}"
                    )
                self.demo_actions[idx] = out
            else:  # "none", or "external" without a hook: uniform random proposals
                self.demo_actions[idx] = self.rng.integers(self.num_actions, (self.num_demos,), idx)
        if self.config.visibility == "trials":
            p = trial_visibility(self.trial[idx], int(self.config.num_trials))
        else:
            p = self.visibility_prob[idx]
        draw = self.rng.uniform((), idx)
        self.visible[idx] = (draw < p) & (mode != "none") & (self.num_demos > 0)

    # ------------------------------------------------------------------ observations
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        obs = np.zeros((len(idx), self.obs_dim), dtype=np.float32)
        rows = np.arange(len(idx))
        A, K = self.num_actions, int(self.config.num_trials)
        if self.own_feedback:
            s = self.slices["own_action"]
            last = self.last_action[idx]
            has = last >= 0
            obs[rows[has], s.start + last[has]] = 1.0
            obs[:, self.slices["trial_ended"].start] = self.trial_ended[idx]
            obs[:, self.slices["reward"].start] = self.last_reward[idx]
        vis = self.visible[idx]
        if self.num_demos:
            s = self.slices["demonstrators"]
            cols = s.start + np.arange(self.num_demos) * A + self.demo_actions[idx]  # [b, n]
            r = np.repeat(rows[vis], self.num_demos)
            obs[r, cols[vis].ravel()] = 1.0
        obs[:, self.slices["visible"].start] = vis
        if self.trial_onehot:
            obs[rows, self.slices["trial"].start + np.minimum(self.trial[idx], K - 1)] = 1.0
        return obs[:, None, :]

    def demonstrator_obs(self, idx: np.ndarray) -> np.ndarray:
        """Observations of the demonstrators ``float32[len(idx), n, obs_dim]``.

        Same layout as the learner's. With own feedback (in-context), a demonstrator sees
        its own last proposal and its reward (``demo_feedback="own"``) or, as the official
        notebooks do, the learner's (``"learner"``); the trial-ended flag; an empty
        demonstrator block with flag 0 (it believes it is alone, paper Alg. 2); the trial.
        Without own feedback (in-weights), the constant input of the official code: zeros
        with the visible flag set.
        """
        n, K = self.num_demos, int(self.config.num_trials)
        b = len(idx)
        obs = np.zeros((b, n, self.obs_dim), dtype=np.float32)
        if not self.own_feedback:
            obs[:, :, self.slices["visible"].start] = 1.0
            return obs
        if self.config.demo_feedback == "own":
            last, rew = self.demo_last_action[idx], self.demo_last_reward[idx]
        else:
            last = np.repeat(self.last_action[idx, None], n, axis=1)
            rew = np.repeat(self.last_reward[idx, None], n, axis=1)
        bi, di = np.nonzero(last >= 0)
        obs[bi, di, self.slices["own_action"].start + last[bi, di]] = 1.0
        obs[:, :, self.slices["trial_ended"].start] = self.trial_ended[idx, None]
        obs[:, :, self.slices["reward"].start] = rew
        if self.trial_onehot:
            t = np.minimum(self.trial[idx], K - 1)
            obs[np.arange(b), :, self.slices["trial"].start + t] = 1.0
        return obs
