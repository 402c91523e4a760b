"""Agent species of the ToM gridworld and the Bayes-optimal observer of random agents.

A *species* is a distribution over agents; an *agent* is a parameter vector drawn from
it, fixed across all the episodes the observer sees (Rabinowitz et al. 2018, Sec. 3).
Species here act on a batched :class:`~socialenvs.tom.gridworld.TomGridworld` whose
copy ``b`` is played by agent ``b``; all are numpy-only. (RL-trained species are
policies trained with the shared PPO: see ``agents/tom.py``.)

* :class:`RandomSpecies` ``S(alpha)`` (Sec. 3.1): agent ``i`` has a fixed, state-blind
  policy ``pi_i ~ Dir(alpha * 1_5)``.
* :class:`GoalDirectedSpecies` (Sec. 3.2): agent ``i`` has object rewards
  ``r_i ~ Dir(alpha * 1_K)`` (alpha = 0.01: nearly single-goal) and plans by value
  iteration with ``gamma = 1`` over the remaining steps of the episode, paying the env's
  move and wall costs. It plans on what it knows of the objects
  (:meth:`TomGridworld.known_object_pos`): the truth for fully observing agents, its
  belief for sighted ones (so it heads for where it last saw its goal). Equal-value
  actions are broken uniformly at random.

Bayes-optimal observer (spec agents §1.8): after seeing ``N`` actions of a random agent
with counts ``n_a``, the posterior predictive is ``(alpha + n_a) / (A alpha + N)``, and
the expected probability it puts on the agent's next action is
``(alpha + N (alpha + 1) / (A alpha + 1)) / (A alpha + N)`` for any alpha and ``A``
actions (derived: ``E[pi_a] = 1/A``, ``E[pi_a^2] = (alpha + 1) / (A (A alpha + 1))``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialenvs.tom.gridworld import ACTION_DELTAS, TomGridworld

NUM_ACTIONS = len(ACTION_DELTAS)


# --------------------------------------------------------------------------- Bayes
def bayes_expected_true_action_prob(
    alpha: float, n_past: int | np.ndarray, num_actions: int = NUM_ACTIONS
) -> np.ndarray:
    """Expected probability the Bayes-optimal observer assigns to a Dir(alpha) agent's
    next action after ``n_past`` observed actions (closed form, any alpha > 0)."""
    if not alpha > 0:
        raise ValueError(f"alpha={alpha!r} must be > 0")
    n = np.asarray(n_past, dtype=np.float64)
    A = float(num_actions)
    return (alpha + n * (alpha + 1.0) / (A * alpha + 1.0)) / (A * alpha + n)


def bayes_posterior_predictive(alpha: float, counts: np.ndarray) -> np.ndarray:
    """Posterior predictive ``(alpha + n_a) / (A alpha + N)`` for action counts
    ``[..., A]`` (the Dirichlet-multinomial observer)."""
    if not alpha > 0:
        raise ValueError(f"alpha={alpha!r} must be > 0")
    counts = np.asarray(counts, dtype=np.float64)
    return (alpha + counts) / (counts.shape[-1] * alpha + counts.sum(-1, keepdims=True))


# --------------------------------------------------------------------------- species
class Species:
    """Interface of a species acting on a batched ToM gridworld (copy ``b`` = agent ``b``).

    ``sample_agents`` draws agent parameters; ``begin_episode`` configures the copies
    (e.g. object rewards) after each reset; ``act`` returns ``int64[B]`` actions.
    """

    name = "species"
    #: gridworld kwargs this species needs (merged under the caller's env kwargs)
    env_kwargs: dict[str, Any] = {}

    def sample_agents(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def begin_episode(self, sim: TomGridworld, agents: dict[str, np.ndarray]) -> None:
        pass

    def initial_state(self, n: int) -> Any:
        return ()

    def act(
        self,
        sim: TomGridworld,
        agents: dict[str, np.ndarray],
        state: Any,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def label(self, agents: dict[str, np.ndarray]) -> np.ndarray:
        """``int64[n]`` a discrete label per agent for plots (e.g. the preferred object)."""
        return np.zeros(len(next(iter(agents.values()))), dtype=np.int64)


class RandomSpecies(Species):
    """``S(alpha)``: each agent samples every action from its own ``Dir(alpha)`` policy."""

    def __init__(self, alpha: float):
        if not alpha > 0:
            raise ValueError(f"alpha={alpha!r} must be > 0")
        self.alpha = float(alpha)
        self.name = f"random_alpha{alpha:g}"

    def sample_agents(self, rng, n):
        return {"policy": rng.dirichlet(np.full(NUM_ACTIONS, self.alpha), size=n)}

    def act(self, sim, agents, state, rng):
        policy = agents["policy"]
        u = rng.random(len(policy))[:, None]
        actions = (u > np.cumsum(policy, axis=1)).sum(1)
        return np.minimum(actions, NUM_ACTIONS - 1).astype(np.int64), state

    def label(self, agents):
        return agents["policy"].argmax(1)


def value_iteration(
    walls: np.ndarray,
    object_pos: np.ndarray,
    object_rewards: np.ndarray,
    max_horizon: int,
    move_cost: float,
    wall_cost: float,
) -> np.ndarray:
    """Finite-horizon action values with ``gamma = 1``: ``Q[h, B, A, H*W]`` for
    ``h = 0..max_horizon`` steps left (``Q[0] = 0``).

    Args:
        walls: ``bool[B, H, W]``.
        object_pos: ``int64[B, K, 2]`` object cells (``-1`` rows: absent/unknown).
        object_rewards: ``float[B, K]``; stepping onto an object pays it and ends.
        max_horizon: the longest horizon to compute.
        move_cost, wall_cost: per-step cost and extra cost of bumping into a wall.
    """
    B, H, W = walls.shape
    HW, A = H * W, len(ACTION_DELTAS)
    cells = np.arange(HW)
    r, c = cells // W, cells % W
    # next cell of every action from every cell, blocked by walls
    nr = np.clip(r[None, :] + ACTION_DELTAS[:, :1], 0, H - 1)
    nc = np.clip(c[None, :] + ACTION_DELTAS[:, 1:], 0, W - 1)
    target = nr * W + nc  # [A, HW]
    bump = walls.reshape(B, HW)[:, target]  # [B, A, HW]
    nxt = np.where(bump, cells[None, None, :], target[None])
    flat_nxt = nxt + (np.arange(B) * HW)[:, None, None]  # index into [B * HW]
    terminal = np.zeros((B, HW), dtype=bool)
    reward_at = np.zeros((B, HW), dtype=np.float64)
    rows = np.arange(B)
    for k in range(object_pos.shape[1]):
        ok = object_pos[:, k, 0] >= 0
        flat = object_pos[ok, k, 0] * W + object_pos[ok, k, 1]
        terminal[rows[ok], flat] = True
        reward_at[rows[ok], flat] += object_rewards[ok, k]
    base = -move_cost - wall_cost * bump + np.take(reward_at, flat_nxt)
    goes_on = ~np.take(terminal, flat_nxt)
    Q = np.zeros((int(max_horizon) + 1, B, A, HW), dtype=np.float32)
    V = np.zeros(B * HW)
    for h in range(1, int(max_horizon) + 1):
        q = base + goes_on * np.take(V, flat_nxt)
        Q[h] = q
        V = q.max(1).reshape(-1)
    return Q


class GoalDirectedSpecies(Species):
    """Value-iteration agents with ``Dir(alpha)`` object rewards (Sec. 3.2).

    Args:
        alpha: Dirichlet concentration of the object rewards (0.01: nearly single-goal).
    """

    env_kwargs = {"preferences": "external"}

    def __init__(self, alpha: float = 0.01):
        if not alpha > 0:
            raise ValueError(f"alpha={alpha!r} must be > 0")
        self.alpha = float(alpha)
        self.name = f"goal_directed_alpha{alpha:g}"

    def sample_agents(self, rng, n):
        return {"rewards": rng.dirichlet(np.full(4, self.alpha), size=n)}

    def begin_episode(self, sim, agents):
        K = sim.num_objects
        rewards = agents["rewards"]
        if rewards.shape[1] != K:
            raise ValueError(f"agents have {rewards.shape[1]} object rewards, the env {K} objects")
        sim.set_object_rewards(rewards)

    def initial_state(self, n):
        return {}

    def act(self, sim, agents, state, rng):
        # Plans are cached per episode and recomputed for copies whose knowledge of the
        # objects changed (a swap seen by the agent) or that started a new episode.
        cfg = sim.config
        known = sim.known_object_pos()
        B = sim.num_envs
        if not state or state["known"].shape != known.shape:
            state = {"known": known, "Q": None, "changed": np.ones(B, dtype=bool)}
        changed = (state["known"] != known).any((1, 2)) | (sim.t == 0)
        if state["Q"] is None:
            changed[:] = True
        else:
            # A copy whose episode ended (an object consumed; the batched sim does not
            # reset it) acts on nothing that matters until its next reset: no re-plan.
            changed &= sim.consumed < 0
        if changed.any():
            rows = np.flatnonzero(changed)
            Q_rows = value_iteration(
                sim.walls[rows],
                known[rows],
                sim.object_rewards[rows],
                sim.max_cycles,
                float(cfg.move_cost),
                float(cfg.wall_cost),
            )
            if state["Q"] is None or rows.size == B:
                state["Q"] = Q_rows
            else:
                state["Q"][:, rows] = Q_rows
        state["known"] = known
        horizon = np.maximum(sim.max_cycles - sim.t, 1)
        W = sim.walls.shape[2]
        here = sim.pos[:, 0] * W + sim.pos[:, 1]
        q = state["Q"][horizon, np.arange(B), :, here]  # [B, A]
        best = q >= q.max(1, keepdims=True) - 1e-6
        noise = rng.random(q.shape) * best
        return noise.argmax(1).astype(np.int64), state

    def label(self, agents):
        return agents["rewards"].argmax(1)
