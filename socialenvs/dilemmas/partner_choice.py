"""Population prisoner's dilemma with partner selection, punishment and reputation.

| | |
|---|---|
| Creation | ``socialenvs.make("partner_choice_v0", punishment="tpp_dp")`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (N = 5) |
| Actions | ``Discrete(max(2, N - 1))``; meaning depends on the stage |
| Observation | ``Box(0, 1, (19 + N + A,), float32)`` |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Dasgupta & Musolesi 2023, *Investigating the impact of direct punishment on the emergence
of cooperation in multi-agent reinforcement learning systems* (arXiv 2301.08278, JAAMAS
2025; code ``nayanadasgupta/Understanding_Punishment_In_MAS_With_RL``: ``MatrixGame``,
``Mechanisms/Punishment.py``, ``Reputation.py``, ``PartnerSelection.py``).

An episode is N **encounters**: every player in turn is the *focal* player and gets a
partner, chosen by the focal player (``partner_selection=True``) or uniformly at random.
The pair plays ``rounds`` (10) rounds of the prisoner's dilemma (T, R, P, S = 4, 3, 1, 0).
After every round comes the punishment stage of the configured mechanism:

* ``"dp"`` (direct punishment): each player of the pair may punish its partner;
* ``"tpp"`` (third-party punishment): for each player of the pair a punisher is drawn
  uniformly from the players outside the pair (the two may be the same player) and may
  punish it;
* ``"tpp_dp"``: both; ``"none"``: no punishment stage.

Punishment payoffs (the code's constants): the victim loses 3; punishing a defector
(just) pays the punisher +2, or costs it 3 with ``costly_punishment=True`` (the
"CostlyPunishment" experiments); punishing a cooperator (unjust) costs the punisher 10.

**Reputation** is a public integer per player, 0 at the start of an episode (our choice;
the code keeps it per run): +1 per C and -1 per D (``reputation`` includes ``"play"``),
+2 per just and -3 per unjust punishment (includes ``"punish"``). Which source the paper's
headline runs use is not known; we default to ``"both"``.

### Stages and actions (one ``Discrete`` space; masks in the observation)

Every step is one stage of the current encounter, identical across copies (stages are a
fixed function of the step count). Players with no decision in a stage are *idle*: their
action is ignored. An acting player's action outside its stage's range is read as 0.

| stage | who acts | actions |
|---|---|---|
| select (only with ``partner_selection``) | focal | ``a`` in 0..N-2: partner = the player ``a + 1`` seats to the right |
| play | focal and partner | 0 = cooperate, 1 = defect |
| punish (direct) | focal and partner, each about the other | 0 = no, 1 = punish |
| punish (third party, one step per pair member) | the drawn punisher | 0 = no, 1 = punish |

### Observation (fields in ``OBS_FIELDS`` of the sim)

| field | size | meaning |
|---|---|---|
| ``stage`` | 4 | one-hot: select, play, punish, idle |
| ``third_party`` | 1 | 1 when punishing as a third party |
| ``opp_prev`` / ``own_prev`` | 3 + 3 | the partner's / own previous move this encounter: C, D, unknown (D&M's play state) |
| ``opp_reputation`` / ``own_reputation`` | 1 + 1 | reputations squashed to [0, 1] by ``0.5 + 0.5 tanh(rep / 10)`` |
| ``victim_action`` / ``other_action`` | 2 + 2 | when punishing: the move of the player who may be punished and of its partner (D&M's punish state) |
| ``progress`` | 1 | step / episode length |
| ``reputations`` | N | everyone's squashed reputation, own first then seats to the right (D&M's select state) |
| ``action_mask`` | A | actions meaningful now (only action 0 when idle) |

### Events

``SELECT`` (focal, chosen partner); ``ACT`` (actor, target = partner, ``context`` = move,
``value`` = payoff); ``PUNISH`` (actor, target, ``context`` = ``JUST`` or ``UNJUST``, plus
``THIRD_PARTY`` for third-party punishment; ``value`` = victim loss). Episode statistics:
``cooperations``, ``punishments``.

Not implemented: the Centipede stage game, the caveman-network restriction of third-party
punishers, and the individual-reputation matrix variant.

### Arguments

* ``num_players`` (int, 5), ``rounds`` (int, 10).
* ``punishment`` (str, ``"dp"``): ``"none"``, ``"dp"``, ``"tpp"``, ``"tpp_dp"``.
* ``costly_punishment`` (bool, False).
* ``partner_selection`` (bool, False).
* ``reputation`` (str, ``"both"``): ``"play"``, ``"punish"``, ``"both"``.
* ``reputation_in_play_state`` (bool, True): if False, reputations are zeroed in the play
  stage (D&M's ``repInNoState``).
* ``max_cycles`` (int or None): default the whole episode.

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int
from socialenvs.core.events import EventKind
from socialenvs.core.layout import field_slices
from socialenvs.core.sim import Sim
from socialenvs.norms.sanctions import JUST, THIRD_PARTY, UNJUST

COOPERATE, DEFECT = 0, 1
# Row player's IPD payoffs, Dasgupta & Musolesi ``MatrixGame/IPDGame.py``: R, S / T, P.
IPD = np.array([[3.0, 0.0], [4.0, 1.0]])
VICTIM_LOSS = 3.0
JUST_REWARD, JUST_COST, UNJUST_COST = 2.0, -3.0, -10.0
JUST_REPUTATION, UNJUST_REPUTATION = 2, -3

SELECT, PLAY, PUNISH_DP, PUNISH_TPP_FOCAL, PUNISH_TPP_PARTNER = range(5)
MECHANISMS = ("none", "dp", "tpp", "tpp_dp")
REPUTATION_SCALE = 10.0


@dataclass
class PartnerChoiceConfig:
    num_players: int = 5
    """Population size (D&M: 5)."""
    rounds: int = 10
    """Prisoner's-dilemma rounds per encounter."""
    punishment: str = "dp"
    """``"none"``, ``"dp"``, ``"tpp"`` or ``"tpp_dp"``."""
    costly_punishment: bool = False
    """Just punishment costs the punisher 3 instead of paying 2."""
    partner_selection: bool = False
    """The focal player chooses its partner (else uniformly random)."""
    reputation: str = "both"
    """What feeds reputation: ``"play"``, ``"punish"`` or ``"both"``."""
    reputation_in_play_state: bool = True
    """Show reputations in the play stage."""
    max_cycles: int | None = None
    """Steps per episode; ``None`` = N encounters."""

    PRESETS = {
        "no_punishment": {"punishment": "none"},
        "direct": {"punishment": "dp"},
        "third_party": {"punishment": "tpp"},
        "direct_and_third_party": {"punishment": "tpp_dp"},
        "selection_reputation": {"punishment": "tpp_dp", "partner_selection": True},
    }

    def __post_init__(self) -> None:
        n = self.num_players
        if not isinstance(n, (int, np.integer)) or n < 3:
            raise ValueError(f"num_players={n!r} must be an integer >= 3 (third parties)")
        check_int("rounds", self.rounds, 1)
        check_choice("punishment", self.punishment, MECHANISMS)
        check_choice("reputation", self.reputation, ("play", "punish", "both"))
        check_choice("costly_punishment", self.costly_punishment, (True, False))
        check_choice("partner_selection", self.partner_selection, (True, False))
        if self.max_cycles is None:
            self.max_cycles = n * len(self.encounter_stages())
        check_int("max_cycles", self.max_cycles, 1)

    def encounter_stages(self) -> list[int]:
        per_round = [PLAY]
        if self.punishment in ("dp", "tpp_dp"):
            per_round.append(PUNISH_DP)
        if self.punishment in ("tpp", "tpp_dp"):
            per_round += [PUNISH_TPP_FOCAL, PUNISH_TPP_PARTNER]
        return [SELECT] * bool(self.partner_selection) + per_round * int(self.rounds)


def squash_reputation(rep: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(np.asarray(rep, dtype=np.float64) / REPUTATION_SCALE)


class PartnerChoice(Sim):
    __doc__ = __doc__
    name = "partner_choice_v0"
    config_class = PartnerChoiceConfig
    render_fps = 4
    episode_event_metrics = {
        "cooperations": (EventKind.ACT, COOPERATE),
        "punishments": EventKind.PUNISH,
    }

    def _setup(self) -> None:
        c = self.config
        N, B = int(c.num_players), self.num_envs
        self.num_agents = N
        self.num_actions = max(2, N - 1)
        A = self.num_actions
        self.stages = np.array(c.encounter_stages(), dtype=np.int64)
        self.episode_length = N * len(self.stages)
        sizes = [
            ("stage", 4),
            ("third_party", 1),
            ("opp_prev", 3),
            ("own_prev", 3),
            ("opp_reputation", 1),
            ("own_reputation", 1),
            ("victim_action", 2),
            ("other_action", 2),
            ("progress", 1),
            ("reputations", N),
            ("action_mask", A),
        ]
        self.OBS_FIELDS, obs_size = field_slices(sizes)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (obs_size,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        self.seat = (np.arange(N)[:, None] + np.arange(N)[None, :]) % N
        self.stage_actions = {
            SELECT: N - 1,
            PLAY: 2,
            PUNISH_DP: 2,
            PUNISH_TPP_FOCAL: 2,
            PUNISH_TPP_PARTNER: 2,
        }
        self.partner = np.zeros(B, dtype=np.int64)
        # Moves of the last completed round of this encounter (focal, partner); 2 = none.
        self.moves = np.full((B, 2), 2, dtype=np.int64)
        self.third = np.zeros((B, 2), dtype=np.int64)  # TPP punisher of focal / partner
        self.reputation = np.zeros((B, N), dtype=np.int64)

    # ------------------------------------------------------------------ schedule
    def _position(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(focal player, stage) of step ``t`` (clipped to the episode)."""
        t = np.minimum(t, self.episode_length - 1)
        L = len(self.stages)
        return t // L, self.stages[t % L]

    def _draw_partner(self, idx: np.ndarray, t: np.ndarray) -> None:
        """Random partner for copies ``idx`` whose encounter starts at step ``t``."""
        focal, _ = self._position(t)
        offset = 1 + self.rng.integers(self.num_agents - 1, (), idx)
        self.partner[idx] = (focal + offset) % self.num_agents
        self.moves[idx] = 2

    def _draw_third_parties(self, idx: np.ndarray) -> None:
        N = self.num_agents
        focal, _ = self._position(self.t[idx])
        partner = self.partner[idx]
        k = self.rng.integers(N - 2, (2,), idx)  # the k-th player outside the pair
        outside = np.ones((len(idx), N), dtype=bool)
        outside[np.arange(len(idx)), focal] = False
        outside[np.arange(len(idx)), partner] = False
        order = np.argsort(~outside, axis=1, kind="stable")[:, : N - 2]
        self.third[idx] = np.take_along_axis(order, k, axis=1)

    def _reset(self, idx: np.ndarray) -> None:
        self.reputation[idx] = 0
        self.moves[idx] = 2
        if not self.config.partner_selection:
            self._draw_partner(idx, np.zeros(len(idx), dtype=np.int64))

    # ------------------------------------------------------------------ step
    def _actors(self, focal: int, stage: int, b: np.ndarray) -> np.ndarray:
        """``bool[len(b), N]``: who decides in this stage."""
        acting = np.zeros((len(b), self.num_agents), dtype=bool)
        rows = np.arange(len(b))
        if stage == SELECT:
            acting[rows, focal] = True
        elif stage in (PLAY, PUNISH_DP):
            acting[rows, focal] = True
            acting[rows, self.partner[b]] = True
        elif stage == PUNISH_TPP_FOCAL:
            acting[rows, self.third[b, 0]] = True
        else:
            acting[rows, self.third[b, 1]] = True
        return acting

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        B, N = self.num_envs, self.num_agents
        rewards = np.zeros((B, N))
        focal_all, stage_all = self._position(self.t)
        rep_play = c.reputation in ("play", "both")
        rep_punish = c.reputation in ("punish", "both")
        for stage in np.unique(stage_all):
            b = np.flatnonzero(stage_all == stage)
            focal = focal_all[b]
            partner = self.partner[b]
            a = actions[b]
            a = np.where(a < self.stage_actions[int(stage)], a, 0)
            if stage == SELECT:
                choice = (focal + 1 + a[np.arange(len(b)), focal]) % N
                self.partner[b] = choice
                self.moves[b] = 2
                self.events.add(EventKind.SELECT, b, actor=focal, target=choice)
            elif stage == PLAY:
                m_f = a[np.arange(len(b)), focal]
                m_p = a[np.arange(len(b)), partner]
                self.moves[b, 0], self.moves[b, 1] = m_f, m_p
                r_f, r_p = IPD[m_f, m_p], IPD[m_p, m_f]
                rewards[b, focal] += r_f
                rewards[b, partner] += r_p
                if rep_play:
                    self.reputation[b, focal] += np.where(m_f == COOPERATE, 1, -1)
                    self.reputation[b, partner] += np.where(m_p == COOPERATE, 1, -1)
                self.events.add(
                    EventKind.ACT, b, actor=focal, target=partner, context=m_f, value=r_f
                )
                self.events.add(
                    EventKind.ACT, b, actor=partner, target=focal, context=m_p, value=r_p
                )
                if c.punishment in ("tpp", "tpp_dp"):
                    self._draw_third_parties(b)
            else:
                if stage == PUNISH_DP:
                    punishers = np.stack([focal, partner], axis=1)
                    victims = np.stack([partner, focal], axis=1)
                    victim_moves = self.moves[b][:, ::-1]
                    context_extra = 0
                else:
                    j = 0 if stage == PUNISH_TPP_FOCAL else 1
                    punishers = self.third[b, j][:, None]
                    victims = np.stack([focal, partner], axis=1)[:, j : j + 1]
                    victim_moves = self.moves[b, j : j + 1]
                    context_extra = THIRD_PARTY
                decide = np.take_along_axis(a, punishers, axis=1) == 1
                just = victim_moves == DEFECT
                if c.costly_punishment:
                    pay = np.where(just, JUST_COST, UNJUST_COST)
                else:
                    pay = np.where(just, JUST_REWARD, UNJUST_COST)
                for k in range(punishers.shape[1]):
                    d = decide[:, k]
                    rewards[b, punishers[:, k]] += d * pay[:, k]
                    rewards[b, victims[:, k]] -= d * VICTIM_LOSS
                    if rep_punish:
                        self.reputation[b, punishers[:, k]] += d * np.where(
                            just[:, k], JUST_REPUTATION, UNJUST_REPUTATION
                        )
                    e = np.flatnonzero(d)
                    self.events.add(
                        EventKind.PUNISH,
                        b[e],
                        actor=punishers[e, k],
                        target=victims[e, k],
                        context=np.where(just[e, k], JUST, UNJUST) | context_extra,
                        value=VICTIM_LOSS,
                    )
        # Copies whose next step starts an encounter get a random partner now.
        L = len(self.stages)
        nxt = self.t + 1
        starting = (nxt % L == 0) & (nxt < self.episode_length)
        if starting.any() and not c.partner_selection:
            s = np.flatnonzero(starting)
            self._draw_partner(s, nxt[s])
        terminated = np.broadcast_to((nxt >= self.episode_length)[:, None], (B, N)).copy()
        return rewards, terminated

    # ------------------------------------------------------------------ observe
    def _observe(self, idx: np.ndarray) -> np.ndarray:
        c, F = self.config, self.OBS_FIELDS
        n, N, A = len(idx), self.num_agents, self.num_actions
        obs = np.zeros((n, N, self.observation_space.shape[0]), dtype=np.float32)
        focal, stage = self._position(self.t[idx])
        partner = self.partner[idx]
        rows = np.arange(n)
        done = self.t[idx] >= self.episode_length
        acting = np.zeros((n, N), dtype=bool)
        third_party = np.zeros((n, N), dtype=bool)
        for s in np.unique(stage):
            m = np.flatnonzero((stage == s) & ~done)
            if len(m):
                acting[m] = self._actors(focal[m], int(s), idx[m])
                if s in (PUNISH_TPP_FOCAL, PUNISH_TPP_PARTNER):
                    third_party[m] = acting[m]
        stage_code = np.where(stage == SELECT, 0, np.where(stage == PLAY, 1, 2))
        code = np.where(acting, stage_code[:, None], 3)
        obs[:, :, F["stage"]] = np.eye(4, dtype=np.float32)[code]
        obs[:, :, F["third_party"]] = third_party[..., None]
        # Partner of each player in the pair (others see nothing about a partner).
        opp = np.full((n, N), -1, dtype=np.int64)
        opp[rows, focal] = partner
        opp[rows, partner] = focal
        in_pair = opp >= 0
        slot = np.full((n, N), -1, dtype=np.int64)  # 0 = focal, 1 = partner
        slot[rows, focal] = 0
        slot[rows, partner] = 1
        prev = self.moves[idx]  # the last completed round of this encounter
        own_prev = np.where(in_pair, np.take_along_axis(prev, np.maximum(slot, 0), 1), 2)
        opp_prev = np.where(in_pair, np.take_along_axis(prev, 1 - np.maximum(slot, 0), 1), 2)
        eye3 = np.eye(3, dtype=np.float32)
        obs[:, :, F["opp_prev"]] = eye3[opp_prev]
        obs[:, :, F["own_prev"]] = eye3[own_prev]
        rep = squash_reputation(self.reputation[idx])
        show_rep = np.ones((n, N), dtype=bool)
        if not c.reputation_in_play_state:
            show_rep &= ~((stage == PLAY)[:, None] & acting)
        obs[:, :, F["own_reputation"]] = (rep * show_rep)[..., None]
        opp_rep = np.where(in_pair, np.take_along_axis(rep, np.maximum(opp, 0), 1), 0.0)
        obs[:, :, F["opp_reputation"]] = (opp_rep * show_rep)[..., None]
        # Punish state: the victim's move and its partner's move this round.
        punishing = acting & (code == 2)
        moves = self.moves[idx]
        j = np.where(stage == PUNISH_TPP_PARTNER, 1, 0)
        tpp_victim = np.take_along_axis(moves, j[:, None], 1)[:, 0]
        tpp_other = np.take_along_axis(moves, 1 - j[:, None], 1)[:, 0]
        victim = np.where(third_party, tpp_victim[:, None], opp_prev)
        other = np.where(third_party, tpp_other[:, None], own_prev)
        eye2 = np.eye(2, dtype=np.float32)
        obs[:, :, F["victim_action"]] = eye2[np.minimum(victim, 1)] * punishing[..., None]
        obs[:, :, F["other_action"]] = eye2[np.minimum(other, 1)] * punishing[..., None]
        obs[:, :, F["progress"]] = (
            np.minimum(self.t[idx], self.episode_length) / self.episode_length
        )[:, None, None]
        obs[:, :, F["reputations"]] = rep[:, self.seat]
        mask = np.zeros((n, N, A), dtype=np.float32)
        mask[..., 0] = 1.0
        width = np.where(stage == SELECT, N - 1, 2)
        allowed = np.arange(A)[None, None, :] < width[:, None, None]
        mask[acting] = allowed.repeat(N, axis=1)[acting]
        obs[:, :, F["action_mask"]] = mask
        return obs

    def _render(self, env: int) -> np.ndarray:
        """Reputations as bars (green positive, red negative); the current pair outlined."""
        N = self.num_agents
        h = 40
        frame = np.full((h, N * 10, 3), 255, dtype=np.uint8)
        focal, _ = self._position(self.t[env : env + 1])
        for i in range(N):
            r = int(self.reputation[env, i])
            size = min(abs(r), h // 2)
            x = i * 10
            if r >= 0:
                frame[h // 2 - size : h // 2, x + 2 : x + 8] = (60, 180, 75)
            else:
                frame[h // 2 : h // 2 + size, x + 2 : x + 8] = (230, 25, 75)
            if i in (int(focal[0]), int(self.partner[env])):
                frame[0:2, x : x + 10] = (0, 0, 0)
        return frame

    def _render_ansi(self, env: int) -> str:
        focal, stage = self._position(self.t[env : env + 1])
        names = ["select", "play", "punish", "punish_tpp_focal", "punish_tpp_partner"]
        return (
            f"step {int(self.t[env])}: focal {int(focal[0])}, partner {int(self.partner[env])}, "
            f"stage {names[int(stage[0])]}, reputations {self.reputation[env].tolist()}"
        )
