"""Memory Sequence: recall a digit sequence, helped by (noisy) demonstrators.

| | |
|---|---|
| Creation | ``socialenvs.make("memory_sequence_v0")`` (in-context) or ``preset="in_weights"`` |
| Agents | ``learner`` (demonstrators are part of the env, see below) |
| Actions | ``Discrete(num_digits)``: the digit for the current position |
| Observation | ``Box(-1, 1, (dim,), float32)``; in-context default dim 19, in-weights 51 |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

After Cook et al. 2024, *Artificial Generational Intelligence: Cultural Accumulation in
RL* (NeurIPS 2024), §3.1 and App. D.1, and the official code (FLAIROx/cultural-accumulation,
``memory_sequence.ipynb``: ``MetaMemSeq`` and ``MemSeq``).

A hidden sequence of ``seq_len`` digits is fixed for the episode. At each step the learner
names the digit at its current position: +1 if right, -1 if wrong. In-context mode ends a
trial on the first mistake (``reset_on_mistake``) or after ``trial_len`` actions; the next
trial restarts at position 0 on the *same* sequence, so an agent that remembers what it
learnt gets further each trial. The episode ends after ``num_trials`` trials.

### Demonstrators

``num_demonstrators`` demonstrators propose a digit for the learner's current position
each step (see :mod:`socialenvs.culture.trials` for ``demonstrators=`` and
``visibility=``). The built-in noisy oracles (in-context meta-training, paper Alg. 1):
oracle ``i`` has a per-episode accuracy ``p_i = 1 - 1 / (1 + U_i * m)``, ``U_i ~ U(0, 1)``,
``m = oracle_m``, sorted ascending over ``i``; each step it proposes the correct digit with
probability ``p_i`` and otherwise a uniformly random digit (which can also be correct).
``oracle_accuracy`` fixes the ``p_i`` instead (e.g. ``(0, 0, 0)``: random generation-0
demonstrators at evaluation, as in the official code). With ``m = 2`` the accuracy bound is
``1 - 1/3 = 0.67``, the paper's headline curve; figure legends 0.33 / 0.67 / 0.86 are
``m = 0.5 / 2 / 6``.

Visibility in-context: one Bernoulli draw per step, ``p = 1 - k/(K-1)`` in trial ``k``;
hidden demonstrators' one-hots are zeroed and the flag is 0 (paper App. A).

### Observation (in order)

* own last digit one-hot (``num_digits``), trial-ended flag, last reward (if
  ``obs_own_feedback``);
* each demonstrator's proposal one-hot (``num_demonstrators * num_digits``), zero when
  hidden; visible flag;
* trial one-hot (``num_trials``) if ``trial_onehot``.

The reset observation is zeros except the demonstrator block and the trial one-hot.

### In-weights mode (``preset="in_weights"``, paper §5.2, code ``MemSeq``)

10 digits, one sequence fixed for all of training (``sequence_seed``), a single 23-action
trial with no reset on mistakes (maximum return 23, random policy about -18.4),
5 external demonstrators (the previous generation's networks, sorted ascending by return)
and an observation of only their proposals plus the visible flag: the learner's recurrent
core must keep time itself. Visibility is set by the trainer (annealed 1 -> 0).

### Paper / code differences (flags; defaults follow the paper's figures)

| flag | default | alternative |
|---|---|---|
| ``trial_onehot`` | True (paper App. D.1) | False: the notebooks' 15-dim obs |
| ``oracle_m`` | 2 (headline 0.67 curve) | 0.5: the committed notebook |
| ``reset_on_mistake`` (in-weights) | False (figure starts at about -19) | True: ``MemSeq`` default |
| ``demo_feedback`` | ``"own"``: demonstrators see their own digit and reward | ``"learner"``: the notebooks feed them the learner's |

``demo_feedback`` is our choice (the paper is silent): with ``"own"`` a previous-generation
demonstrator sees what it saw in its own independent final trial.

### Arguments

* ``num_digits`` (int, 3), ``seq_len`` (int, 24), ``trial_len`` (int, 24): most actions per trial.
* ``num_trials`` (int, 4): trials per episode ``K`` (the RL² long baseline uses 32).
* ``reset_on_mistake`` (bool, True).
* ``sequence_seed`` (int or None, None): None draws a new sequence per episode from the
  env seed; an int fixes it (in-weights: 42; evaluation: a held-out seed).
* ``num_demonstrators`` (int, 3), ``demonstrators`` (``"oracle"``), ``visibility``
  (``"trials"``), ``oracle_m`` (2.0), ``oracle_accuracy`` (tuple or None),
  ``demo_feedback`` (``"own"``), ``obs_own_feedback`` (True), ``trial_onehot`` (True).
* ``max_cycles`` (int or None): defaults to ``num_trials * trial_len`` (never binding).

Presets: ``in_context`` (the defaults), ``in_weights``, ``rl2`` (no demonstrators),
``notebook`` (code values: ``oracle_m = 0.5``, no trial one-hot, learner feedback).

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialenvs.core.config import check_int
from socialenvs.culture.trials import TrialSim, check_trial_config

IN_WEIGHTS = dict(
    num_digits=10,
    seq_len=24,
    trial_len=23,
    num_trials=1,
    reset_on_mistake=False,
    sequence_seed=42,
    num_demonstrators=5,
    demonstrators="external",
    visibility="external",
    obs_own_feedback=False,
    trial_onehot=False,
)


@dataclass
class MemorySequenceConfig:
    num_digits: int = 3
    """Digits (actions); 3 in-context, 10 in-weights (paper App. D.1)."""
    seq_len: int = 24
    """Length of the hidden sequence."""
    trial_len: int = 24
    """Most actions in a trial (in-weights code: 23)."""
    num_trials: int = 4
    """Trials per episode ``K``."""
    reset_on_mistake: bool = True
    """End the trial on the first wrong digit."""
    sequence_seed: int | None = None
    """None: a new sequence per episode; int: one fixed sequence."""
    num_demonstrators: int = 3
    """Demonstrators whose proposals the learner may see."""
    demonstrators: str = "oracle"
    """``"oracle"``, ``"external"`` or ``"none"``."""
    visibility: str = "trials"
    """``"trials"`` (1 - k/(K-1)) or ``"external"`` (set by the trainer)."""
    oracle_m: float = 2.0
    """Oracle accuracy scale ``m``: ``p = 1 - 1/(1 + U m)``."""
    oracle_accuracy: tuple | None = None
    """Fixed oracle accuracies (one per demonstrator) instead of sampled ones."""
    demo_feedback: str = "own"
    """What external demonstrators see as their last digit and reward: ``"own"`` or ``"learner"``."""
    obs_own_feedback: bool = True
    """Own last digit, trial-ended flag and reward in the observation."""
    trial_onehot: bool = True
    """Trial one-hot in the observation (paper; not in the notebooks)."""
    max_cycles: int | None = None
    """Step cap; defaults to ``num_trials * trial_len``."""

    PRESETS = {
        "in_context": {},
        "in_weights": IN_WEIGHTS,
        "rl2": {"demonstrators": "none"},
        "notebook": {"oracle_m": 0.5, "trial_onehot": False, "demo_feedback": "learner"},
    }

    def __post_init__(self) -> None:
        check_trial_config(self)
        for name in ("num_digits", "seq_len", "trial_len"):
            v = getattr(self, name)
            check_int(name, v, 1)
        if self.num_digits < 2:
            raise ValueError(f"num_digits={self.num_digits!r} must be >= 2")
        if self.trial_len > self.seq_len:
            raise ValueError(f"trial_len={self.trial_len!r} must be <= seq_len={self.seq_len}")
        if self.oracle_m < 0:
            raise ValueError(f"oracle_m={self.oracle_m!r} is out of range; allowed: [0, inf]")
        if self.oracle_accuracy is not None:
            acc = tuple(float(x) for x in self.oracle_accuracy)
            if len(acc) != self.num_demonstrators or not all(0 <= x <= 1 for x in acc):
                raise ValueError(
                    f"oracle_accuracy={self.oracle_accuracy!r} must hold "
                    f"{self.num_demonstrators} values in [0, 1]"
                )
            self.oracle_accuracy = acc
        if self.max_cycles is None:
            self.max_cycles = self.num_trials * self.trial_len
        check_int("max_cycles", self.max_cycles, 1)


def oracle_accuracies(u: np.ndarray, m: float) -> np.ndarray:
    """Sorted per-episode oracle accuracies ``1 - 1/(1 + U m)`` (official ``MetaMemSeq``)."""
    return np.sort(1.0 - 1.0 / (1.0 + u * m), axis=-1)


class MemorySequence(TrialSim):
    __doc__ = __doc__
    name = "memory_sequence_v0"
    config_class = MemorySequenceConfig
    render_fps = 8

    def _task_setup(self) -> None:
        cfg = self.config
        self.num_actions = int(cfg.num_digits)
        B, L = self.num_envs, int(cfg.seq_len)
        self.sequence = np.zeros((B, L), dtype=np.int64)
        self.position = np.zeros(B, dtype=np.int64)
        self.oracle_acc = np.zeros((B, int(cfg.num_demonstrators)), dtype=np.float64)
        self.fixed_sequence = None
        # Nothing observable is random with a fixed sequence and no demonstrators.
        self.stochastic = cfg.sequence_seed is None or cfg.demonstrators != "none"
        if cfg.sequence_seed is not None:
            # A constant of the config, not episode randomness: the same for every copy.
            self.fixed_sequence = np.random.default_rng(cfg.sequence_seed).integers(
                self.num_actions, size=L
            )

    def _task_reset(self, idx: np.ndarray) -> None:
        if self.fixed_sequence is None:
            self.sequence[idx] = self.rng.integers(self.num_actions, (self.sequence.shape[1],), idx)
        else:
            self.sequence[idx] = self.fixed_sequence
        self.position[idx] = 0

    def _task_new_trial(self, idx: np.ndarray) -> None:
        self.position[idx] = 0

    def _oracle_reset(self, idx: np.ndarray) -> None:
        n = self.num_demos
        if not n:
            return
        if self.config.oracle_accuracy is not None:
            self.oracle_acc[idx] = self.config.oracle_accuracy
        else:
            u = self.rng.uniform((n,), idx)
            self.oracle_acc[idx] = oracle_accuracies(u, float(self.config.oracle_m))

    def correct_digit(self, idx: np.ndarray | None = None) -> np.ndarray:
        """The digit at the learner's current position."""
        idx = self._all if idx is None else idx
        return self.sequence[idx, np.minimum(self.position[idx], self.sequence.shape[1] - 1)]

    def _score(self, proposals: np.ndarray) -> np.ndarray:
        return np.where(proposals == self.correct_digit()[:, None], 1.0, -1.0)

    def _advance(self, actions: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        wrong = rewards < 0
        ended = self.position >= int(self.config.trial_len) - 1
        if self.config.reset_on_mistake:
            ended = ended | wrong
        self.position = np.where(ended, 0, self.position + 1)
        return ended

    def _oracle(self, idx: np.ndarray) -> np.ndarray:
        n = self.num_demos
        hit = self.rng.uniform((n,), idx) < self.oracle_acc[idx]
        guess = self.rng.integers(self.num_actions, (n,), idx)
        return np.where(hit, self.correct_digit(idx)[:, None], guess)

    def _render(self, env: int) -> np.ndarray:
        """The sequence as a strip: grey = ahead, green = current position; one row per
        demonstrator below, blue where its proposal is correct, red where wrong."""
        L, cell = self.sequence.shape[1], 12
        rows = 1 + self.num_demos
        frame = np.full((rows, L, 3), 200, dtype=np.uint8)
        pos = int(min(self.position[env], L - 1))
        frame[0, :pos] = (120, 120, 120)
        frame[0, pos] = (60, 180, 75)
        right = self.demo_actions[env] == self.correct_digit(np.array([env]))[0]
        for i in range(self.num_demos):
            frame[1 + i, pos] = (0, 130, 200) if right[i] else (230, 25, 75)
        return np.repeat(np.repeat(frame, cell, axis=0), cell, axis=1)

    def _render_ansi(self, env: int) -> str:
        seq = "".join(str(d) if d < 10 else "?" for d in self.sequence[env])
        p = int(self.position[env])
        return (
            f"trial {int(self.trial[env])} position {p} t={int(self.t[env])}\n"
            f"{seq}\n{' ' * p}^ proposals={self.demo_actions[env].tolist()} "
            f"visible={bool(self.visible[env])}"
        )
