"""Dataset generator for the ToMnet observer (Rabinowitz et al. 2018, Sec. 2-3).

A sample is about one agent drawn from a species: ``N_past ~ U{0..n_past_max}`` past
episodes of that agent, the current episode up to a query time ``t ~ U{0..len - 1}``,
the query state ``x_t``, and the targets: the next action ``a_t``, which object the
agent consumes by the end of the current episode (one-hot, zeros if none), and the
successor representations ``SR_gamma(s) = (1/Z) sum_{dt=0}^{T-t} gamma^dt 1[s_{t+dt} = s]``
of its position for each discount (spec agents §1.5). States are what the observer
sees: true-state planes from :meth:`TomGridworld.observer_state` (walls, objects,
agent[, subgoal]); actions are indices (the ToMnet spatialises them).

A batch of ``S`` samples runs ``S`` copies of the gridworld, copy ``b`` played by
agent ``b`` for ``n_past_max + 1`` episodes (the last is the current one), then picks
``N_past``, the query time and the targets per sample. ``past_mode="snapshot"`` keeps
one random step of each past episode (the single-snapshot setting of Sec. 3.1 and
Fig. 5); ``episode_steps`` caps the recorded steps (``1`` for random agents, whose
past episodes are single state-action pairs in Sec. 3.1).

Reproducible by seed: batch ``k`` of ``TomDataset(..., seed=s)`` is a function of
``(s, k)`` only (agent draws, episode seeds, ``N_past``, query times).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialenvs.core.config import check_choice
from socialenvs.tom.gridworld import TomGridworld
from socialenvs.tom.species import Species

SR_DISCOUNTS = (0.5, 0.9, 0.99)


@dataclass
class TomBatch:
    """One batch of ToMnet samples (``S`` samples, ``P`` past slots of ``L`` steps,
    current prefixes padded to ``T`` steps; states ``uint8[..., H, W, C]``)."""

    past_states: np.ndarray
    """``uint8[S, P, L, H, W, C]`` states of the past episodes."""
    past_actions: np.ndarray
    """``int64[S, P, L]`` actions taken in them."""
    past_step_mask: np.ndarray
    """``bool[S, P, L]`` real (not padding) steps."""
    past_mask: np.ndarray
    """``bool[S, P]`` past episodes that exist (the first ``N_past``)."""
    n_past: np.ndarray
    """``int64[S]``."""
    current_states: np.ndarray
    """``uint8[S, T, H, W, C]`` current episode before the query."""
    current_actions: np.ndarray
    """``int64[S, T]``."""
    current_mask: np.ndarray
    """``bool[S, T]`` steps before the query time."""
    query_state: np.ndarray
    """``uint8[S, H, W, C]`` the state at the query time."""
    query_time: np.ndarray
    """``int64[S]``."""
    target_action: np.ndarray
    """``int64[S]`` the action taken at the query state."""
    target_consumption: np.ndarray
    """``float32[S, K]`` object consumed by the end of the current episode."""
    target_sr: np.ndarray
    """``float32[S, G, H, W]`` successor representations, one per discount."""
    agents: dict[str, np.ndarray] = field(default_factory=dict)
    """The agents' parameters (e.g. ``policy`` or ``rewards``)."""
    labels: np.ndarray | None = None
    """``int64[S]`` species label per agent (dominant action / preferred object)."""
    current_swapped: np.ndarray | None = None
    """``bool[S]`` whether a swap happened in the current episode at or before the query."""

    def __len__(self) -> int:
        return int(self.target_action.shape[0])


@dataclass
class Episodes:
    """``B`` episodes recorded from a batched gridworld."""

    states: np.ndarray  # uint8[B, T + 1, H, W, C]
    actions: np.ndarray  # int64[B, T]
    valid: np.ndarray  # bool[B, T] step t was taken inside the episode
    pos: np.ndarray  # int64[B, T + 1, 2]
    consumed: np.ndarray  # int64[B], -1 if none
    swap_time: np.ndarray  # int64[B], observation index at which the swap shows, -1 if none

    @property
    def lengths(self) -> np.ndarray:
        return self.valid.sum(1)


def run_episodes(
    sim: TomGridworld,
    species: Species,
    agents: dict[str, np.ndarray],
    rng: np.random.Generator,
    max_steps: int | None = None,
) -> Episodes:
    """Reset every copy and play one episode of each (copy ``b`` = agent ``b``)."""
    T = sim.max_cycles if max_steps is None else min(int(max_steps), sim.max_cycles)
    B = sim.num_envs
    sim.reset()
    species.begin_episode(sim, agents)
    state = species.initial_state(B)
    first = sim.observer_state()
    states = np.zeros((B, T + 1, *first.shape[1:]), dtype=np.uint8)
    actions = np.zeros((B, T), dtype=np.int64)
    valid = np.zeros((B, T), dtype=bool)
    pos = np.zeros((B, T + 1, 2), dtype=np.int64)
    states[:, 0], pos[:, 0] = first, sim.pos
    alive = np.ones(B, dtype=bool)
    swap_time = np.full(B, -1, dtype=np.int64)
    consumed = np.full(B, -1, dtype=np.int64)
    for t in range(T):
        a, state = species.act(sim, agents, state, rng)
        actions[:, t] = np.where(alive, a, 0)
        valid[:, t] = alive
        was_swapped = sim.swapped.copy()
        _, terminated, _ = sim.step(a[:, None])
        newly = sim.swapped & ~was_swapped & alive
        swap_time[newly] = t + 1
        # finished copies keep their final frame
        states[:, t + 1] = np.where(alive[:, None, None, None], sim.observer_state(), states[:, t])
        pos[:, t + 1] = np.where(alive[:, None], sim.pos, pos[:, t])
        ended = alive & terminated[:, 0]
        consumed[ended] = sim.consumed[ended]
        alive &= ~terminated[:, 0]
        if not alive.any():
            break
    return Episodes(states, actions, valid, pos, consumed, swap_time)


def successor_representation(
    pos: np.ndarray, start: np.ndarray, end: np.ndarray, shape: tuple[int, int], discounts
) -> np.ndarray:
    """``float32[B, G, H, W]`` normalised discounted occupancy of ``pos[b, start..end]``."""
    B, T1 = pos.shape[:2]
    H, W = shape
    dt = np.arange(T1)[None, :] - start[:, None]
    inside = (dt >= 0) & (np.arange(T1)[None, :] <= end[:, None])
    flat = pos[..., 0] * W + pos[..., 1]
    out = np.zeros((B, len(discounts), H * W), dtype=np.float64)
    rows = np.repeat(np.arange(B), T1)
    for g, gamma in enumerate(discounts):
        w = np.where(inside, float(gamma) ** np.maximum(dt, 0), 0.0)
        np.add.at(out[:, g], (rows, flat.reshape(-1)), w.reshape(-1))
    out /= out.sum(-1, keepdims=True)
    return out.reshape(B, len(discounts), H, W).astype(np.float32)


class TomDataset:
    """Batches of ToMnet samples for one species (see the module docstring).

    Args:
        species: who the agents are.
        env_kwargs: gridworld arguments (merged over ``species.env_kwargs``).
        n_past_max: ``N_past ~ U{0..n_past_max}``.
        past_mode: ``"trajectory"`` (whole past episodes) or ``"snapshot"`` (one step).
        episode_steps: record at most this many steps per episode (default: all).
        sr_discounts: discounts of the SR targets.
        query_steps: ``(lo, hi)``: draw query times uniformly from ``lo..hi`` (clipped to
            the episode) instead of from the whole current episode, e.g. around the
            swap steps of the false-belief test.
        swap_query_share: the share of current episodes with a swap that are queried
            at the very step the swap shows (the situation the false-belief test edits
            in: the objects have just moved, the agent acts next); the others keep the
            query time above (default 0). Our option; the paper does not say how its
            query times were drawn.
        past_swaps: whether past episodes may have swap events too (the gridworld's
            ``swap_prob``). ``False`` keeps swaps to the current episode: the pasts then
            show where the agent goes when nothing moves (what the character net reads),
            and the current episode holds the swap (what the mental net must track).
            Our option; the paper does not say whether its past episodes had swaps.
        seed: base seed.
    """

    def __init__(
        self,
        species: Species,
        env_kwargs: dict[str, Any] | None = None,
        n_past_max: int = 10,
        past_mode: str = "trajectory",
        episode_steps: int | None = None,
        sr_discounts: tuple[float, ...] = SR_DISCOUNTS,
        query_steps: tuple[int, int] | None = None,
        swap_query_share: float = 0.0,
        past_swaps: bool = True,
        seed: int = 0,
    ):
        check_choice("past_mode", past_mode, ("trajectory", "snapshot"))
        if not isinstance(n_past_max, (int, np.integer)) or n_past_max < 0:
            raise ValueError(f"n_past_max={n_past_max!r} must be an integer >= 0")
        if episode_steps is not None and episode_steps < 1:
            raise ValueError(f"episode_steps={episode_steps!r} must be >= 1 or None")
        self.species = species
        self.env_kwargs = {**species.env_kwargs, **(env_kwargs or {})}
        self.n_past_max = int(n_past_max)
        self.past_mode = past_mode
        self.episode_steps = episode_steps
        self.sr_discounts = tuple(float(g) for g in sr_discounts)
        if query_steps is not None:
            lo, hi = (int(x) for x in query_steps)
            if not 0 <= lo <= hi:
                raise ValueError(f"query_steps={query_steps!r} must be (lo, hi) with 0 <= lo <= hi")
            query_steps = (lo, hi)
        self.query_steps = query_steps
        if not 0.0 <= float(swap_query_share) <= 1.0:
            raise ValueError(f"swap_query_share={swap_query_share!r} must be in [0, 1]")
        self.swap_query_share = float(swap_query_share)
        self.past_swaps = bool(past_swaps)
        self.seed = int(seed)
        probe = TomGridworld(num_envs=1, **self.env_kwargs)
        self.grid_shape = (int(probe.config.grid_size),) * 2
        self.state_channels = probe.state_channels
        self.num_objects = probe.num_objects
        self.max_steps = (
            probe.max_cycles if episode_steps is None else min(episode_steps, probe.max_cycles)
        )

    def batch(self, size: int, index: int = 0, n_past: int | None = None) -> TomBatch:
        """Batch number ``index`` of ``size`` samples (a function of seed and index);
        ``n_past`` fixes ``N_past`` for every sample (evaluation by ``N_past``)."""
        if size < 1:
            raise ValueError(f"size={size!r} must be >= 1")
        if n_past is not None and not 0 <= n_past <= self.n_past_max:
            raise ValueError(f"n_past={n_past!r} is out of range; allowed: [0, {self.n_past_max}]")
        tag = 0 if n_past is None else 1 + int(n_past)
        rng = np.random.default_rng([self.seed, int(index), int(size), tag])
        sim = TomGridworld(num_envs=size, **self.env_kwargs)
        sim.seed(int(rng.integers(2**31)))
        agents = self.species.sample_agents(rng, size)
        P = self.n_past_max
        swap_prob = sim.config.swap_prob
        episodes = []
        for k in range(P + 1):  # the last episode is the current one
            sim.config.swap_prob = swap_prob if self.past_swaps or k == P else 0.0
            episodes.append(run_episodes(sim, self.species, agents, rng, self.max_steps))
        return self._assemble(episodes, agents, rng, n_past)

    def __iter__(self) -> Iterator[TomBatch]:
        raise TypeError("use iterate(batch_size) to stream batches")

    def iterate(self, batch_size: int, start: int = 0) -> Iterator[TomBatch]:
        """Batches ``start, start + 1, ...`` of ``batch_size`` samples, forever."""
        index = start
        while True:
            yield self.batch(batch_size, index)
            index += 1

    def _assemble(self, episodes: list[Episodes], agents, rng, fixed_n_past=None) -> TomBatch:
        P = self.n_past_max
        cur = episodes[-1]
        S, T = cur.actions.shape
        n_past = rng.integers(0, P + 1, size=S)
        if fixed_n_past is not None:
            n_past[:] = fixed_n_past
        past_mask = np.arange(P)[None, :] < n_past[:, None]
        if P:
            states = np.stack([e.states[:, :-1] for e in episodes[:-1]], axis=1)
            actions = np.stack([e.actions for e in episodes[:-1]], axis=1)
            steps = np.stack([e.valid for e in episodes[:-1]], axis=1)
        else:
            states = np.zeros((S, 0, T, *cur.states.shape[2:]), dtype=np.uint8)
            actions = np.zeros((S, 0, T), dtype=np.int64)
            steps = np.zeros((S, 0, T), dtype=bool)
        if self.past_mode == "snapshot" and P:
            lengths = steps.sum(-1)  # >= 1: every episode takes a first step
            pick = np.minimum((rng.random((S, P)) * lengths).astype(np.int64), lengths - 1)
            s_idx, p_idx = np.meshgrid(np.arange(S), np.arange(P), indexing="ij")
            states = states[s_idx, p_idx, pick][:, :, None]
            actions = actions[s_idx, p_idx, pick][:, :, None]
            steps = np.ones((S, P, 1), dtype=bool)
        steps = steps & past_mask[..., None]
        length = cur.lengths
        u = rng.random(S)
        if self.query_steps is None:
            t_q = np.minimum((u * length).astype(np.int64), length - 1)
        else:
            lo, hi = self.query_steps
            t_q = np.minimum(lo + (u * (hi - lo + 1)).astype(np.int64), length - 1)
        if self.swap_query_share > 0.0:  # drawn only here: other configs keep their data
            seen = (cur.swap_time >= 0) & (cur.swap_time < length)
            pick = seen & (rng.random(S) < self.swap_query_share)
            t_q = np.where(pick, cur.swap_time, t_q)
        rows = np.arange(S)
        current_mask = np.arange(T)[None, :] < t_q[:, None]
        consumption = np.zeros((S, self.num_objects), dtype=np.float32)
        ate = np.flatnonzero(cur.consumed >= 0)
        consumption[ate, cur.consumed[ate]] = 1.0
        sr = successor_representation(cur.pos, t_q, length, self.grid_shape, self.sr_discounts)
        swapped = (cur.swap_time >= 0) & (cur.swap_time <= t_q)
        return TomBatch(
            past_states=np.ascontiguousarray(states * steps[..., None, None, None]),
            past_actions=np.where(steps, actions, 0),
            past_step_mask=steps,
            past_mask=past_mask,
            n_past=n_past.astype(np.int64),
            current_states=np.ascontiguousarray(
                cur.states[:, :-1] * current_mask[..., None, None, None]
            ),
            current_actions=np.where(current_mask, cur.actions, 0),
            current_mask=current_mask,
            query_state=cur.states[rows, t_q],
            query_time=t_q,
            target_action=cur.actions[rows, t_q],
            target_consumption=consumption,
            target_sr=sr,
            agents=agents,
            labels=self.species.label(agents),
            current_swapped=swapped,
        )
