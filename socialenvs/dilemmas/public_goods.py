"""N-player public goods game with an optional costly-punishment stage.

| | |
|---|---|
| Creation | ``socialenvs.make("public_goods_v0", punishment="linear")`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (one group, N = 4 by default) |
| Actions | ``Discrete(A)``, ``A = max(contribution_levels, max_points + 1)`` (21 by default) |
| Observation | ``Box(0, 1, (6 + 3 N + A,), float32)``: stage, public history, action mask |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Each **period** has a contribution stage and, when ``punishment`` is not ``"none"``, a
punishment stage (Fehr & Gächter 2002, *Altruistic punishment in humans*, Nature 415:137;
Fehr & Gächter 2000, AER 90:980).

* **Contribution stage** (one step). Every player keeps ``endowment`` E and contributes
  ``g_i`` of it; action ``k`` contributes ``g = E k / (contribution_levels - 1)``. First-stage
  payoff ``pi1_i = E - g_i + mpcr * sum_k g_k`` (E = 20, MPCR 0.4, N = 4 in both papers),
  paid at this step.
* **Punishment stage** (``N - 1`` steps, one per target). At punishment step ``s``
  (1..N-1) player ``i`` decides how many points ``p`` (0..``max_points``) to assign to the
  player ``s`` seats to its right, ``(i + s) mod N``; all players decide simultaneously and
  see every contribution of the period. Action ``a <= max_points`` assigns ``a`` points.

  - ``"linear"`` (2002): each point costs the punisher ``punish_cost`` (1) and removes
    ``punish_impact`` (3) from the target, paid at the step of the decision.
  - ``"convex"`` (2000): the punisher pays the convex cost ``c(p)`` = 0, 1, 2, 4, 6, 9, 12,
    16, 20, 25, 30 for p = 0..10 at the decision step; each point received cuts the
    target's first-stage payoff by 10%, capped at 100%, settled at the last punishment
    step. The 2000 numbers are tagged unverified in our spec (recalled, not checked
    against the AER paper).

**Staging.** One ``Discrete`` action space serves both stages. The observation says which
stage it is and carries an ``action_mask`` of the actions that mean something now; an
action outside the mask is a no-op, i.e. it is read as 0 (contribute nothing / assign no
points). Stage layout of the observation vector (offsets in ``OBS_FIELDS`` of the sim):

| field | size | meaning |
|---|---|---|
| ``stage`` | 2 | one-hot: contribution, punishment |
| ``target`` | N - 1 | one-hot seat offset of the current punishment target (zeros when contributing) |
| ``progress`` | 1 | periods played / ``periods`` |
| ``contributions`` | N | this period's contributions / E, own first then seats to the right (zeros while contributing) |
| ``last_contributions`` | N | last period's contributions / E, same order |
| ``punished_last`` | 1 | points received in the last period / (``max_points`` (N - 1)) |
| ``target_contribution`` | 1 | the current target's contribution / E |
| ``own_minus_target`` | 1 | (own - target contribution) / (2E) + 0.5 |
| ``punishments_given`` | N | points this player assigned this period / ``max_points``, seat order |
| ``action_mask`` | A | 1 for actions meaningful in this stage |

**Choices where the sources are silent** (documented design, not from the papers): the
env is one fixed group (perfect-stranger or partner rematching across groups is a
training-side choice of which learners fill the seats); punishments are decided one
target per step so that one ``Discrete`` action covers them; rewards are paid as they
accrue (contributions at the contribution step, punishment costs and damage at their
step, the convex 10%-cut at the last punishment step) so that the episode return equals
the experiments' total earnings.

### Events

``CONTRIBUTE`` (actor, ``value`` = MU contributed); ``PUNISH`` (actor, target, ``value`` =
points, ``context`` = sanction code of :mod:`socialenvs.norms.sanctions`: ``JUST`` when the
target contributed less than the punisher, ``UNJUST`` (anti-social punishment, Herrmann,
Thöni & Gächter 2008) when it contributed at least as much). Episode statistics:
``contributions`` (count of contribution events with positive value), ``punishments``.

### Sanction opportunities

With ``record_opportunities=True`` every punishment step also emits one ``OPPORTUNITY``
event per (punisher, target) pair, whether or not points were assigned: ``value`` = the
points, ``context`` = the pair's public context packed into one integer,
``target level + L (actor level + L * sum of the other players' levels)`` with ``L`` =
``contribution_levels`` and *level* = the contribution action ``k`` (it must fit the
event record's 16-bit context: ``L^2 ((N - 2)(L - 1) + 1) <= 32767``, true for the
defaults). ``PublicGoods.opportunity_features`` decodes it into
the features named in ``OPPORTUNITY_FIELDS`` (target's contribution, punisher's
contribution and the group's mean contribution, each a share of the endowment), the input
of the classifier norm model (:mod:`agents.cnm`). Everything in it is public in the
experiments: every player sees every contribution before punishing (Fehr & Gächter 2002).

### Arguments

* ``num_players`` (int, 4): group size N (>= 2).
* ``endowment`` (float, 20): E per period.
* ``mpcr`` (float, 0.4): marginal per-capita return; must lie in (1/N, 1) for a dilemma.
* ``periods`` (int, 6): periods per episode (2002: 6; 2000: 10).
* ``contribution_levels`` (int, 21): number of contribution choices from 0 to E.
* ``punishment`` (str, ``"none"``): ``"none"``, ``"linear"`` (2002) or ``"convex"`` (2000).
* ``max_points`` (int, 10): most points one player may assign to one target per period.
* ``punish_cost`` / ``punish_impact`` (float, 1 / 3): linear technology.
* ``max_cycles`` (int or None): steps per episode; default = the full game length.
* ``record_opportunities`` (bool, False): emit the sanction opportunities above.

Presets: ``fehr_gaechter_2002`` (linear, 6 periods), ``fehr_gaechter_2000`` (convex,
10 periods), ``no_punishment``.

### Version history

* v0: initial release.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from socialenvs.core.config import check_choice, check_int, check_range
from socialenvs.core.events import EventKind
from socialenvs.core.layout import field_slices
from socialenvs.core.sim import Sim
from socialenvs.norms.sanctions import JUST, UNJUST

CONTRIBUTE_STAGE, PUNISH_STAGE = 0, 1
PUNISHMENTS = ("none", "linear", "convex")
# Fehr & Gächter 2000 (AER 90:980) convex cost of assigning p = 0..10 points [unverified].
CONVEX_COST = np.array([0, 1, 2, 4, 6, 9, 12, 16, 20, 25, 30], dtype=np.float64)
CONVEX_CUT_PER_POINT = 0.1
#: Features of a decoded ``OPPORTUNITY`` context, each a share of the endowment.
OPPORTUNITY_FIELDS = ("target_contribution", "actor_contribution", "group_mean_contribution")
_MAX_CONTEXT = np.iinfo(np.int16).max  # the event record's context field


@dataclass
class PublicGoodsConfig:
    num_players: int = 4
    """Group size N."""
    endowment: float = 20.0
    """Endowment E per period (Fehr & Gächter: 20 MU)."""
    mpcr: float = 0.4
    """Marginal per-capita return of the public good."""
    periods: int = 6
    """Periods per episode (2002: 6; 2000: 10)."""
    contribution_levels: int = 21
    """Contribution choices, equally spaced from 0 to E."""
    punishment: str = "none"
    """``"none"``, ``"linear"`` (cost 1 : impact 3) or ``"convex"`` (2000 cost table)."""
    max_points: int = 10
    """Most points one player may assign to one target per period."""
    punish_cost: float = 1.0
    """Linear technology: cost per point to the punisher."""
    punish_impact: float = 3.0
    """Linear technology: payoff removed from the target per point."""
    max_cycles: int | None = None
    """Steps per episode; ``None`` = ``periods`` times the steps of a period."""
    record_opportunities: bool = False
    """Emit an ``OPPORTUNITY`` event for every punisher-target pair of a punishment step
    (``value`` = points assigned, 0 included): the public sanction stream that
    classifier-norm learners train on (see "Sanction opportunities" above)."""

    PRESETS = {
        "fehr_gaechter_2002": {"punishment": "linear", "periods": 6},
        "fehr_gaechter_2000": {"punishment": "convex", "periods": 10},
        "no_punishment": {"punishment": "none"},
    }

    def __post_init__(self) -> None:
        check_int("num_players", self.num_players, 2)
        check_int("periods", self.periods, 1)
        check_int("contribution_levels", self.contribution_levels, 2)
        check_int("max_points", self.max_points, 1)
        check_choice("punishment", self.punishment, PUNISHMENTS)
        check_range("endowment", self.endowment, 1e-9)
        check_range("mpcr", self.mpcr, 0.0, 1.0)
        check_range("punish_cost", self.punish_cost, 0.0)
        check_range("punish_impact", self.punish_impact, 0.0)
        if self.punishment == "convex" and self.max_points > len(CONVEX_COST) - 1:
            raise ValueError(
                f"max_points={self.max_points} exceeds the convex cost table; allowed: 1..10"
            )
        if self.max_cycles is None:
            self.max_cycles = self.periods * self.steps_per_period
        check_int("max_cycles", self.max_cycles, 1)
        L = self.contribution_levels
        codes = L * L * ((self.num_players - 2) * (L - 1) + 1)
        if self.record_opportunities and codes > _MAX_CONTEXT + 1:
            raise ValueError(
                f"record_opportunities with contribution_levels={L} and num_players="
                f"{self.num_players} needs {codes} context codes; allowed: at most "
                f"{_MAX_CONTEXT + 1} (the event record's 16-bit context)"
            )

    @property
    def steps_per_period(self) -> int:
        return 1 + (self.num_players - 1) * (self.punishment != "none")


class PublicGoods(Sim):
    __doc__ = __doc__
    name = "public_goods_v0"
    config_class = PublicGoodsConfig
    render_fps = 4
    episode_event_metrics = {"punishments": EventKind.PUNISH}
    #: The game draws no random numbers: seeds do not change trajectories.
    stochastic = False
    #: Size of :meth:`opportunity_features`.
    opportunity_feature_size = len(OPPORTUNITY_FIELDS)

    def _setup(self) -> None:
        c = self.config
        N, B = int(c.num_players), self.num_envs
        self.num_agents = N
        self.num_actions = max(int(c.contribution_levels), int(c.max_points) + 1)
        A = self.num_actions
        sizes = [
            ("stage", 2),
            ("target", N - 1),
            ("progress", 1),
            ("contributions", N),
            ("last_contributions", N),
            ("punished_last", 1),
            ("target_contribution", 1),
            ("own_minus_target", 1),
            ("punishments_given", N),
            ("action_mask", A),
        ]
        self.OBS_FIELDS, obs_size = field_slices(sizes)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (obs_size,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        self.contribution_values = np.linspace(0.0, c.endowment, int(c.contribution_levels))
        # seat[i, s] = the player s seats to the right of player i (egocentric order).
        self.seat = (np.arange(N)[:, None] + np.arange(N)[None, :]) % N
        self.masks = np.zeros((2, A), dtype=np.float32)
        self.masks[CONTRIBUTE_STAGE, : int(c.contribution_levels)] = 1.0
        self.masks[PUNISH_STAGE, : int(c.max_points) + 1] = 1.0
        self.contrib = np.zeros((B, N))
        self.last_contrib = np.zeros((B, N))
        self.first_stage = np.zeros((B, N))
        self.points = np.zeros((B, N, N))  # points[b, i, j]: i assigned to j this period
        self.punished_last = np.zeros((B, N))
        self.period = np.zeros(B, dtype=np.int64)
        self.substep = np.zeros(B, dtype=np.int64)  # 0 = contribution, s >= 1 = target offset

    def _reset(self, idx: np.ndarray) -> None:
        for arr in (
            self.contrib,
            self.last_contrib,
            self.first_stage,
            self.points,
            self.punished_last,
        ):
            arr[idx] = 0.0
        self.period[idx] = 0
        self.substep[idx] = 0

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        B, N = self.num_envs, self.num_agents
        rewards = np.zeros((B, N))
        contributing = self.substep == 0
        stage = np.where(contributing, CONTRIBUTE_STAGE, PUNISH_STAGE)
        valid = self.masks[stage][np.arange(B)[:, None], actions] > 0
        actions = np.where(valid, actions, 0)  # out-of-stage actions are no-ops

        if contributing.any():
            b = np.flatnonzero(contributing)
            g = self.contribution_values[actions[b]]
            self.contrib[b] = g
            self.points[b] = 0.0
            pi1 = c.endowment - g + c.mpcr * g.sum(axis=1, keepdims=True)
            self.first_stage[b] = pi1
            rewards[b] = pi1
            self.events.add(
                EventKind.CONTRIBUTE,
                np.repeat(b, N),
                actor=np.tile(np.arange(N), len(b)),
                value=g.reshape(-1),
            )
        punishing = ~contributing
        if punishing.any():
            b = np.flatnonzero(punishing)
            s = self.substep[b]
            targets = self.seat[:, s].T  # [len(b), N]: target of each punisher
            p = actions[b].astype(np.float64)
            rows = np.arange(len(b))[:, None]
            self.points[b[:, None], np.arange(N)[None, :], targets] = p
            if c.punishment == "linear":
                rewards[b] -= c.punish_cost * p
                received = np.zeros((len(b), N))
                np.add.at(received, (np.broadcast_to(rows, targets.shape), targets), p)
                rewards[b] -= c.punish_impact * received
            else:
                rewards[b] -= CONVEX_COST[actions[b]]
                last = b[s == N - 1]
                if len(last):
                    total = np.minimum(self.points[last].sum(axis=1), 1.0 / CONVEX_CUT_PER_POINT)
                    rewards[last] -= self.first_stage[last] * CONVEX_CUT_PER_POINT * total
            who = np.nonzero(p > 0)
            if len(who[0]):
                actor = who[1]
                target = targets[who]
                env = b[who[0]]
                unjust = self.contrib[env, target] >= self.contrib[env, actor]
                self.events.add(
                    EventKind.PUNISH,
                    env,
                    actor=actor,
                    target=target,
                    context=np.where(unjust, UNJUST, JUST),
                    value=p[who],
                )
            if c.record_opportunities:
                self._emit_opportunities(b, targets, p)

        # Advance the stage machine.
        self.substep += 1
        end_period = self.substep >= c.steps_per_period
        if end_period.any():
            e = np.flatnonzero(end_period)
            self.substep[e] = 0
            self.period[e] += 1
            self.last_contrib[e] = self.contrib[e]
            self.punished_last[e] = self.points[e].sum(axis=1)
        terminated = np.broadcast_to((self.period >= c.periods)[:, None], (B, N)).copy()
        return rewards, terminated

    def _emit_opportunities(self, b: np.ndarray, targets: np.ndarray, points: np.ndarray) -> None:
        """One ``OPPORTUNITY`` event per punisher of copies ``b`` (target ``targets[k, i]``)."""
        N, L = self.num_agents, int(self.config.contribution_levels)
        env = np.repeat(b, N)
        actor = np.tile(np.arange(N), len(b))
        target = targets.reshape(-1)
        level = np.rint(self.contrib[b] * (L - 1) / self.config.endowment).astype(np.int64)
        own = level.reshape(-1)
        theirs = level[np.repeat(np.arange(len(b)), N), target]
        rest = np.repeat(level.sum(axis=1), N) - own - theirs
        code = theirs + L * (own + L * rest)
        self.events.add(
            EventKind.OPPORTUNITY,
            env,
            actor=actor,
            target=target,
            context=code,
            value=points.reshape(-1),
        )

    def opportunity_features(self, codes: np.ndarray) -> np.ndarray:
        """``float32[..., 3]`` features (``OPPORTUNITY_FIELDS``) of packed opportunity contexts."""
        codes = np.asarray(codes, dtype=np.int64)
        L = int(self.config.contribution_levels)
        target, actor, rest = codes % L, (codes // L) % L, codes // (L * L)
        total = (target + actor + rest) / ((L - 1) * self.num_agents)
        feats = np.stack([target / (L - 1), actor / (L - 1), total], axis=-1)
        return feats.astype(np.float32)

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        c, F = self.config, self.OBS_FIELDS
        n, N = len(idx), self.num_agents
        E = float(c.endowment)
        obs = np.zeros((n, N, self.observation_space.shape[0]), dtype=np.float32)
        sub = self.substep[idx]
        punishing = sub > 0
        stage = punishing.astype(np.int64)
        obs[:, :, F["stage"]] = np.eye(2, dtype=np.float32)[stage][:, None, :]
        tgt = np.zeros((n, N - 1), dtype=np.float32)
        tgt[punishing, sub[punishing] - 1] = 1.0
        obs[:, :, F["target"]] = tgt[:, None, :]
        obs[:, :, F["progress"]] = (self.period[idx] / c.periods)[:, None, None]
        seat = self.seat  # [N, N]
        contrib = np.where(punishing[:, None], self.contrib[idx], 0.0)
        obs[:, :, F["contributions"]] = contrib[:, seat] / E
        obs[:, :, F["last_contributions"]] = self.last_contrib[idx][:, seat] / E
        obs[:, :, F["punished_last"]] = (self.punished_last[idx] / (c.max_points * (N - 1)))[
            ..., None
        ]
        target = seat[:, np.maximum(sub, 1)].T  # [n, N]
        tc = np.take_along_axis(contrib, target, axis=1)
        obs[:, :, F["target_contribution"]] = (tc / E)[..., None]
        diff = np.where(punishing[:, None], (contrib - tc) / (2 * E) + 0.5, 0.0)
        obs[:, :, F["own_minus_target"]] = diff[..., None]
        given = self.points[idx]  # [n, i, j]
        given_ego = np.take_along_axis(given, np.broadcast_to(seat, given.shape), axis=2)
        obs[:, :, F["punishments_given"]] = given_ego / c.max_points
        obs[:, :, F["action_mask"]] = self.masks[stage][:, None, :]
        return obs

    def action_mask(self, idx: np.ndarray | None = None) -> np.ndarray:
        """``int8[len(idx), N, A]``: actions meaningful in each copy's current stage."""
        idx = self._all if idx is None else np.asarray(idx)
        stage = (self.substep[idx] > 0).astype(np.int64)
        m = self.masks[stage].astype(np.int8)
        return np.broadcast_to(m[:, None, :], (len(idx), self.num_agents, m.shape[-1])).copy()

    def _render(self, env: int) -> np.ndarray:
        """Bars of this period's contributions (green) and points received (red)."""
        c, N = self.config, self.num_agents
        h = 40
        frame = np.full((h, N * 12, 3), 255, dtype=np.uint8)
        g = (self.contrib[env] / c.endowment * (h // 2)).astype(int)
        received = self.points[env].sum(axis=0)
        r = np.minimum(received / max(c.max_points * (N - 1), 1) * (h // 2), h // 2).astype(int)
        for i in range(N):
            x = i * 12
            frame[h // 2 - g[i] : h // 2, x + 2 : x + 10] = (60, 180, 75)
            frame[h // 2 : h // 2 + r[i], x + 2 : x + 10] = (230, 25, 75)
        return frame

    def _render_ansi(self, env: int) -> str:
        stage = "contribute" if self.substep[env] == 0 else f"punish +{self.substep[env]}"
        contrib = ", ".join(f"{v:.0f}" for v in self.contrib[env])
        return f"period {int(self.period[env])} ({stage}); contributions [{contrib}]"
