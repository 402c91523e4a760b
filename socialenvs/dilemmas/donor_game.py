"""Donor game with reputation traces (indirect reciprocity), optional costly punishment.

| | |
|---|---|
| Creation | ``socialenvs.make("donor_game_v0", punishment=True)`` |
| Agents | ``player_0`` .. ``player_{N-1}`` (N = 12 by default, even) |
| Actions | ``Discrete(11)``, or ``Discrete(21)`` with punishment |
| Observation | ``Box(0, 1, (4 + 3 k + A,), float32)``, k = trace length |
| Parallel API | yes (AEC through ``parallel_to_aec``) |

Vallinder & Hughes 2024, *Cultural evolution of cooperation among LLM agents* (arXiv
2412.10270, §2; notebook ``aronvallinder/llm-donor-game``). Every player starts a game
with ``endowment`` (10) resources. In each of N rounds the players are split into donor /
recipient pairs; each donor gives a fraction of its current resources and the recipient
receives ``multiplier`` (2) times the gift. Roles alternate: a donor in round t is a
recipient in round t + 1.

**Pairing schedule.** Players ``0..N/2-1`` form group A, the rest group B. Pairing ``k``
matches A_i with B_{(i + k) mod N/2}. The first N/2 rounds play pairings 0, 1, ... with A
donating in even rounds and B in odd rounds (B rotates past A, roles toggling each round);
the second N/2 rounds replay every pairing with the roles reversed (the notebook's
``extendRounds``), ordered so that roles keep alternating (pairing ``(k + 1) mod N/2`` in
round ``N/2 + k`` when N/2 is even, pairing ``k`` when it is odd; our choice, which keeps
the paper's maximum average final resources, 10 x 1.5 x 2^11 = 30,720 for N = 12, when
everyone always gives everything). For N >= 6 no two consecutive rounds pair the same
players, so there is no direct reciprocity (with N = 4 one repeat is unavoidable). ``role_order="b_first"`` swaps the roles of every round:
the paper plays each generation twice, once each way, so that every player is a
final-round recipient once ("fairness fix"); generational selection (top 50% survive) is
a training-side loop.

**Trace (reputation).** A donor sees its recipient's last donation (fraction of resources
given, and whether it was a punishment), then the last donation before that of the player
that donation went to, and so on, up to ``trace_length`` (3) hops: 0, 1, 2, 3 hops exist in
rounds 1, 2, 3, >= 4 as in the paper.

**Punishment** (``punishment=True``): a donor may instead spend a fraction x of its
resources to remove ``punishment_loss`` (2) x from the recipient, whose resources are
floored at 0. The grid of x is our choice (the spec leaves it open): the same 10%..100%
steps as donations.

### Actions (one ``Discrete`` space; only donors act)

| action | meaning |
|---|---|
| ``0..10`` | donate ``action / 10`` of current resources |
| ``11..20`` | (punishment only) punish, spending ``(action - 10) / 10`` of current resources |

Recipients' actions are no-ops (their ``action_mask`` allows only 0).

### Observation (fields in ``OBS_FIELDS`` of the sim)

| field | size | meaning |
|---|---|---|
| ``is_donor`` | 1 | 1 when this player donates this round |
| ``own_resources`` | 1 | own resources / (10 * 2^round), clipped to 1 |
| ``partner_resources`` | 1 | partner's resources, same scale |
| ``round`` | 1 | round / rounds if ``observe_round``, else 0 (the paper hides the horizon) |
| ``trace`` | 3 k | per hop: (exists, fraction given, was a punishment), about the partner |
| ``action_mask`` | A | actions meaningful now |

Rewards are the change of own resources each round, so a game's return is final minus
initial resources.

### Events

``DONATE`` (actor, target, ``value`` = resources given before multiplication, ``context`` =
tenths given); ``PUNISH`` (actor, target, ``value`` = resources spent, ``context`` =
sanction code: ``JUST`` when the target's last donation gave less than half of its
resources or was itself a punishment, ``UNJUST`` when it gave at least half, 0 when the
target has not donated yet; the 50% line is our choice, after the paper's observation
that cooperation takes off above ~50% mean donation).

### Arguments

* ``num_players`` (int, 12): even, >= 2.
* ``endowment`` (float, 10), ``multiplier`` (float, 2; paper ablations 1.5 and 3).
* ``trace_length`` (int, 3): hops of the reputation trace (0..3 in the paper's ablations).
* ``punishment`` (bool, False), ``punishment_loss`` (float, 2).
* ``role_order`` (str, ``"a_first"``): ``"a_first"`` or ``"b_first"`` (roles reversed).
* ``observe_round`` (bool, False).
* ``max_cycles`` (int or None): rounds per episode; default N (the whole game).

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

DONATION_LEVELS = 11  # 0%, 10%, ..., 100%
COOPERATION_LINE = 0.5


@dataclass
class DonorGameConfig:
    num_players: int = 12
    """Players per game (even)."""
    endowment: float = 10.0
    """Resources at the start of a game."""
    multiplier: float = 2.0
    """The recipient gets this many times the gift (``cooperationGain``)."""
    trace_length: int = 3
    """Hops of reputation trace shown to donors."""
    punishment: bool = False
    """Allow costly punishment instead of a donation."""
    punishment_loss: float = 2.0
    """Resources removed from the recipient per unit spent on punishment."""
    role_order: str = "a_first"
    """``"a_first"``: group A donates in round 0; ``"b_first"``: all roles reversed."""
    observe_round: bool = False
    """Show the round index (the paper does not tell agents the number of rounds)."""
    max_cycles: int | None = None
    """Rounds per episode; ``None`` = N, the whole schedule."""

    PRESETS = {
        "vallinder_hughes": {},
        "vallinder_hughes_punishment": {"punishment": True},
        "short_trace": {"trace_length": 1},
    }

    def __post_init__(self) -> None:
        n = self.num_players
        if not isinstance(n, (int, np.integer)) or n < 2 or n % 2:
            raise ValueError(f"num_players={n!r} must be an even integer >= 2")
        if not isinstance(self.trace_length, (int, np.integer)) or not 0 <= self.trace_length:
            raise ValueError(f"trace_length={self.trace_length!r} must be an integer >= 0")
        check_range("endowment", self.endowment, 1e-9)
        check_range("multiplier", self.multiplier, 0.0)
        check_range("punishment_loss", self.punishment_loss, 0.0)
        check_choice("role_order", self.role_order, ("a_first", "b_first"))
        check_choice("punishment", self.punishment, (True, False))
        if self.max_cycles is None:
            self.max_cycles = int(n)
        check_int("max_cycles", self.max_cycles, 1)


def pairing_schedule(num_players: int, b_first: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The round-robin schedule: ``partner[r, i]`` and ``donor[r, i]`` (bool) for N rounds."""
    H = num_players // 2
    rounds = 2 * H
    partner = np.zeros((rounds, num_players), dtype=np.int64)
    donor = np.zeros((rounds, num_players), dtype=bool)
    for r in range(rounds):
        if r < H:
            k, a_donates = r, r % 2 == 0
        else:
            q = r - H
            k = (q + 1) % H if H % 2 == 0 else q
            a_donates = k % 2 == 1  # reversed roles of pairing k
        for i in range(H):
            j = H + (i + k) % H
            partner[r, i], partner[r, j] = j, i
            donor[r, i], donor[r, j] = a_donates, not a_donates
    if b_first:
        donor = ~donor
    return partner, donor


def trace_tables(partner: np.ndarray, donor: np.ndarray, hops: int) -> tuple[np.ndarray, ...]:
    """Static hop tables: for player ``a`` observed at round ``r``, hop ``h`` is the donation
    made by ``agent[r, a, h]`` in round ``round[r, a, h]`` (-1 when it does not exist)."""
    rounds, n = donor.shape
    last = np.full((n, rounds + 1), -1, dtype=np.int64)  # last donor round < r
    for a in range(n):
        prev = -1
        for r in range(rounds + 1):
            last[a, r] = prev
            if r < rounds and donor[r, a]:
                prev = r
    hop_agent = np.full((rounds, n, max(hops, 1)), -1, dtype=np.int64)
    hop_round = np.full((rounds, n, max(hops, 1)), -1, dtype=np.int64)
    for r in range(rounds):
        for a in range(n):
            agent, before = a, r
            for h in range(hops):
                rr = last[agent, before]
                if rr < 0:
                    break
                hop_agent[r, a, h], hop_round[r, a, h] = agent, rr
                agent, before = partner[rr, agent], rr
    return hop_agent, hop_round


class DonorGame(Sim):
    __doc__ = __doc__
    name = "donor_game_v0"
    config_class = DonorGameConfig
    render_fps = 2
    episode_event_metrics = {"donations": EventKind.DONATE, "punishments": EventKind.PUNISH}
    #: The game draws no random numbers: seeds do not change trajectories.
    stochastic = False

    def _setup(self) -> None:
        c = self.config
        N, B, k = int(c.num_players), self.num_envs, int(c.trace_length)
        self.num_agents = N
        self.num_actions = DONATION_LEVELS + (DONATION_LEVELS - 1) * bool(c.punishment)
        A = self.num_actions
        self.partner, self.donor = pairing_schedule(N, c.role_order == "b_first")
        self.rounds = self.partner.shape[0]
        self.hop_agent, self.hop_round = trace_tables(self.partner, self.donor, k)
        sizes = [
            ("is_donor", 1),
            ("own_resources", 1),
            ("partner_resources", 1),
            ("round", 1),
            ("trace", 3 * k),
            ("action_mask", A),
        ]
        self.OBS_FIELDS, obs_size = field_slices(sizes)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (obs_size,), np.float32)
        self.action_space = gymnasium.spaces.Discrete(A)
        self.resources = np.zeros((B, N))
        # given[b, r, a]: fraction a gave (or spent punishing) as donor in round r.
        self.given = np.zeros((B, self.rounds, N))
        self.punished = np.zeros((B, self.rounds, N), dtype=bool)

    def _reset(self, idx: np.ndarray) -> None:
        self.resources[idx] = self.config.endowment
        self.given[idx] = 0.0
        self.punished[idx] = False

    def _round(self) -> np.ndarray:
        return np.minimum(self.t, self.rounds - 1)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        B, N = self.num_envs, self.num_agents
        r = self._round()
        donor = self.donor[r]  # [B, N]
        partner = self.partner[r]
        before = self.resources.copy()
        actions = np.where(donor, actions, 0)
        punish = actions >= DONATION_LEVELS
        frac = np.where(punish, actions - (DONATION_LEVELS - 1), actions) / 10.0
        amount = frac * self.resources * donor
        self.resources -= amount
        gift = np.where(punish, 0.0, amount * c.multiplier)
        loss = np.where(punish, amount * c.punishment_loss, 0.0)
        received = np.zeros((B, N))
        np.put_along_axis(received, partner, gift, axis=1)  # gifts go to partners
        damage = np.zeros((B, N))
        np.put_along_axis(damage, partner, loss, axis=1)
        self.resources = np.maximum(self.resources + received - damage, 0.0)
        rows = np.arange(B)
        self.given[rows, r] = np.where(donor, frac, self.given[rows, r])
        self.punished[rows, r] = donor & punish

        env, actor = np.nonzero(donor & ~punish)
        self.events.add(
            EventKind.DONATE,
            env,
            actor=actor,
            target=partner[env, actor],
            context=np.rint(frac[env, actor] * 10).astype(np.int64),
            value=amount[env, actor],
        )
        env, actor = np.nonzero(donor & punish)
        if len(env):
            target = partner[env, actor]
            last_round = self.hop_round[r[env], target, 0] if c.trace_length > 0 else None
            if last_round is None:
                context = np.zeros(len(env), dtype=np.int64)
            else:
                lr = np.maximum(last_round, 0)
                last_frac = self.given[env, lr, target]
                last_pun = self.punished[env, lr, target]
                just = (last_frac < COOPERATION_LINE) | last_pun
                context = np.where(last_round < 0, 0, np.where(just, JUST, UNJUST))
            self.events.add(
                EventKind.PUNISH,
                env,
                actor=actor,
                target=target,
                context=context,
                value=amount[env, actor],
            )
        terminated = np.broadcast_to((self.t + 1 >= self.rounds)[:, None], (B, N)).copy()
        return self.resources - before, terminated

    def _observe(self, idx: np.ndarray) -> np.ndarray:
        c, F = self.config, self.OBS_FIELDS
        n, N, k = len(idx), self.num_agents, int(c.trace_length)
        obs = np.zeros((n, N, self.observation_space.shape[0]), dtype=np.float32)
        r = np.minimum(self.t[idx], self.rounds - 1)
        donor = self.donor[r]  # [n, N]
        partner = self.partner[r]
        scale = (c.endowment * 2.0 ** r.astype(np.float64))[:, None]
        res = self.resources[idx]
        obs[:, :, F["is_donor"]] = donor[..., None]
        obs[:, :, F["own_resources"]] = np.minimum(res / scale, 1.0)[..., None]
        partner_res = np.take_along_axis(res, partner, axis=1)
        obs[:, :, F["partner_resources"]] = np.minimum(partner_res / scale, 1.0)[..., None]
        if c.observe_round:
            obs[:, :, F["round"]] = (r / self.rounds)[:, None, None]
        if k > 0:
            agent = self.hop_agent[r[:, None], partner]  # [n, N, k]
            rnd = self.hop_round[r[:, None], partner]
            exists = agent >= 0
            e = idx[:, None, None]
            frac = np.where(exists, self.given[e, np.maximum(rnd, 0), np.maximum(agent, 0)], 0)
            pun = exists & self.punished[e, np.maximum(rnd, 0), np.maximum(agent, 0)]
            trace = np.stack([exists, frac, pun], axis=-1).reshape(n, N, 3 * k)
            obs[:, :, F["trace"]] = trace
        mask = np.zeros((n, N, self.num_actions), dtype=np.float32)
        mask[..., 0] = 1.0
        mask[donor] = 1.0
        obs[:, :, F["action_mask"]] = mask
        return obs

    def _render(self, env: int) -> np.ndarray:
        """Resources as bars on a log scale; donors this round in blue, recipients grey."""
        N = self.num_agents
        h = 48
        frame = np.full((h, N * 8, 3), 255, dtype=np.uint8)
        top = np.log2(self.config.endowment * 2.0**self.rounds + 1.0)
        hgt = (np.log2(self.resources[env] + 1.0) / top * h).astype(int)
        donor = self.donor[min(int(self.t[env]), self.rounds - 1)]
        for i in range(N):
            colour = (0, 130, 200) if donor[i] else (128, 128, 128)
            frame[h - hgt[i] :, i * 8 + 1 : i * 8 + 7] = colour
        return frame

    def _render_ansi(self, env: int) -> str:
        res = ", ".join(f"{v:.1f}" for v in self.resources[env])
        return f"round {int(self.t[env])}: resources [{res}]"
