"""The rollout collector every learner uses.

:class:`RolloutCollector` steps a :class:`socialenvs.VectorEnv` (``B`` copies, ``N``
agent seats, so ``B * N`` agent *slots*) with any assignment of policies to slots:

* one shared policy on every seat (parameter sharing): ``Matchmaker([0] * N)``;
* one policy per agent (independent learners): ``Matchmaker(list(range(N)))``;
* scripted or frozen co-players: ``Matchmaker([0, 1])`` with ``policies = [ppo, tft]``
  and ``learners=[0]`` -- only learner slots matter for training;
* populations: a seat given as a list of policy indices is filled, per episode and per
  env copy, by a member drawn from that list (``Matchmaker([[0, 1, 2], [0, 1, 2]])``
  samples both players of every episode from a population of three).

:meth:`RolloutCollector.from_agents` builds the same from a mapping agent name ->
policy (or list of policies).

Each step the collector gathers the observations of the slots each policy plays, calls
:meth:`agents.policy.Policy.act` once per policy, steps the env with the joint action and
records, for every slot, ``[T, B, N]`` arrays of observations, actions (the joint
action), log-probs, values, rewards, terminated/truncated/done flags, episode starts,
which policy played it, and the step's public events. Recurrent states are carried per
policy for all ``B * N`` slots and reset to ``initial_state`` when a copy's episode ends
(the env resets that copy in the same step; see :class:`socialenvs.VectorEnv`).

Bootstrapping: ``next_values[t]`` is the value the GAE bootstraps from after step ``t``:
``V(s_{t+1})`` inside an episode, ``V(final_obs)`` computed with the state after step
``t`` when the episode was truncated, and 0 when the agent was terminated (see
:mod:`training.gae`). Only learner slots get values; others are 0.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np

from agents.policy import Policy, State, assign_state, clone_state, reset_state, select_state
from socialenvs.core.views import VectorEnv
from training.gae import gae


class Matchmaker:
    """Which policy plays each seat of each env copy, redrawn at every episode start.

    Args:
        seats: one entry per agent seat: a policy index (always that policy), or a list
            of policy indices (one is drawn per episode and copy).
        probs: optional per-seat sampling probabilities, aligned with ``seats`` (``None``
            entries or a missing list mean uniform).
    """

    def __init__(self, seats: Sequence[int | Sequence[int]], probs: Sequence | None = None):
        if len(seats) == 0:
            raise ValueError("seats must name a policy index for every agent seat")
        self.choices: list[np.ndarray] = []
        self.probs: list[np.ndarray | None] = []
        for i, s in enumerate(seats):
            arr = np.atleast_1d(np.asarray(s, dtype=np.int64))
            if arr.ndim != 1 or arr.size == 0 or arr.min() < 0:
                raise ValueError(f"seat {i}: {s!r} must be a policy index or a non-empty list")
            self.choices.append(arr)
            p = None if probs is None else probs[i]
            if p is not None:
                p = np.asarray(p, dtype=np.float64)
                if p.shape != arr.shape or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
                    raise ValueError(
                        f"seat {i}: probs {p!r} must be {arr.size} weights summing to 1"
                    )
            self.probs.append(p)

    @property
    def num_seats(self) -> int:
        return len(self.choices)

    @property
    def stochastic(self) -> bool:
        return any(c.size > 1 for c in self.choices)

    @property
    def policy_indices(self) -> set[int]:
        return {int(k) for c in self.choices for k in c}

    def assign(self, rng: np.random.Generator, num_envs: int) -> np.ndarray:
        """``int64[num_envs, N]`` policy indices for ``num_envs`` new episodes."""
        out = np.empty((num_envs, self.num_seats), dtype=np.int64)
        for i, (c, p) in enumerate(zip(self.choices, self.probs)):
            out[:, i] = c[0] if c.size == 1 else rng.choice(c, size=num_envs, p=p)
        return out


def joint_critic_obs(obs: np.ndarray) -> np.ndarray:
    """Every agent's observation of its copy, own first, for a centralised critic.

    ``[B, N, D]`` -> ``[B, N, N * D]``; grid views ``[B, N, H, W, C]`` ->
    ``[B, N, H, W, N * C]`` (stacked along channels). Slot ``(b, i)`` sees agents
    ``i, i+1, ...`` (mod N), so a shared critic can tell itself from the others.
    """
    B, N = obs.shape[:2]
    order = (np.arange(N)[:, None] + np.arange(N)[None, :]) % N  # [i, j] -> agent
    joint = obs[:, order]  # [B, N, N, ...]
    if obs.ndim == 5:
        H, W, C = obs.shape[2:]
        return joint.transpose(0, 1, 3, 4, 2, 5).reshape(B, N, H, W, N * C)
    return joint.reshape(B, N, -1)


def joint_critic_space(space: gymnasium.spaces.Box, num_agents: int) -> gymnasium.spaces.Box:
    """The observation space of :func:`joint_critic_obs`."""
    if len(space.shape) == 3:
        low = np.concatenate([space.low] * num_agents, axis=-1)
        high = np.concatenate([space.high] * num_agents, axis=-1)
    else:
        low = np.tile(space.low.reshape(-1), num_agents)
        high = np.tile(space.high.reshape(-1), num_agents)
    return gymnasium.spaces.Box(low, high, dtype=space.dtype)


@dataclass
class Rollout:
    """``T`` steps of ``B`` copies x ``N`` seats (all arrays ``[T, B, N, ...]``).

    Attributes:
        obs: observations the actions were chosen from.
        actions: the joint actions taken (``int64``).
        log_probs, values: from the acting policy (learner slots; 0 elsewhere).
        rewards: rewards received.
        terminated, truncated: per-slot flags from the env.
        dones: the slot's episode ended at ``t`` (cuts GAE traces).
        next_values: bootstrap values after ``t`` (see the module docstring).
        episode_start: the slot's state was reset before step ``t``.
        policy_ids: index of the policy that played each slot.
        learner_mask: ``policy_ids`` is one of the collector's learners.
        initial_states: per policy, its state of all ``B * N`` slots before step 0.
        events: one structured event array per step (``infos["events"]``).
        episodes: finished-episode statistics: dicts of ``infos["episode"]`` arrays plus
            ``envs [k]`` (copy indices), ``policy_ids [k, N]`` and ``step`` (env steps
            collected when it ended).
        critic_obs: centralised-critic inputs, when a policy uses them.
        next_obs: observation after step ``t`` (``final_obs`` at episode ends), when
            requested (value-based learners).
        advantages, returns: filled by :meth:`compute_gae`.
    """

    obs: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    dones: np.ndarray
    next_values: np.ndarray
    episode_start: np.ndarray
    policy_ids: np.ndarray
    learner_mask: np.ndarray
    initial_states: list[State]
    events: list[np.ndarray] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    critic_obs: np.ndarray | None = None
    next_obs: np.ndarray | None = None
    advantages: np.ndarray | None = None
    returns: np.ndarray | None = None

    @property
    def num_steps(self) -> int:
        return int(self.actions.shape[0])

    def compute_gae(self, gamma: float, lam: float) -> None:
        """Fill ``advantages`` and ``returns`` for every slot at once."""
        self.advantages, self.returns = gae(
            self.rewards, self.values, self.next_values, self.dones, gamma, lam
        )

    def slot_mask(self, policy: int) -> np.ndarray:
        """``bool[T, B, N]``: steps played by policy ``policy``."""
        return self.policy_ids == policy


class RolloutCollector:
    """Steps a :class:`VectorEnv` with a set of policies and records rollouts.

    Args:
        venv: the vector env.
        policies: every policy that may play (learners, frozen and scripted co-players).
        matchmaker: seat -> policy assignment (default: policy 0 on every seat).
        learners: indices of policies whose slots are trained on (values, bootstraps);
            default all torch-free-agnostic policies listed, i.e. ``range(len(policies))``.
        seed: seeds the env (copy i gets ``seed + i``) and the collector's numpy
            generator (population draws and scripted policies' randomness).
        record_next_obs: also store the observation after each step (for DQN).
        deterministic: act greedily (evaluation).
    """

    def __init__(
        self,
        venv: VectorEnv,
        policies: Sequence[Policy],
        matchmaker: Matchmaker | None = None,
        learners: Sequence[int] | None = None,
        seed: int | None = None,
        record_next_obs: bool = False,
        deterministic: bool = False,
    ):
        self.venv = venv
        self.policies = list(policies)
        if not self.policies:
            raise ValueError("give at least one policy")
        N = venv.num_agents
        self.matchmaker = matchmaker or Matchmaker([0] * N)
        if self.matchmaker.num_seats != N:
            raise ValueError(
                f"the matchmaker has {self.matchmaker.num_seats} seats but the env has {N} agents"
            )
        bad = [k for k in self.matchmaker.policy_indices if k >= len(self.policies)]
        if bad:
            raise ValueError(
                f"policy indices {bad} given to seats, but only {len(self.policies)} policies"
            )
        self.learners = list(range(len(self.policies)) if learners is None else learners)
        for k in self.learners:
            if not 0 <= k < len(self.policies):
                raise ValueError(
                    f"learner index {k} is not one of the {len(self.policies)} policies"
                )
        self.record_next_obs = record_next_obs
        self.deterministic = deterministic
        self.uses_critic_obs = [bool(getattr(p, "uses_critic_obs", False)) for p in self.policies]
        self.rng = np.random.default_rng(seed)
        self.env_steps = 0
        obs, _ = venv.reset(seed=seed)
        self._start(obs)

    @classmethod
    def from_agents(
        cls,
        venv: VectorEnv,
        agent_policies: dict[str, Policy | Sequence[Policy]],
        learners: Sequence[Policy] = (),
        **kwargs: Any,
    ) -> RolloutCollector:
        """Build from ``{agent name: policy or list of policies (a population)}``.

        ``learners`` lists the policy objects to train; the same object on several seats is
        one policy with shared parameters.
        """
        names = venv.possible_agents
        unknown = sorted(set(agent_policies) - set(names))
        missing = [a for a in names if a not in agent_policies]
        if unknown or missing:
            raise ValueError(
                f"agent_policies must map exactly {names}; unknown {unknown}, missing {missing}"
            )
        policies: list[Policy] = []

        def index(p: Policy) -> int:
            for k, q in enumerate(policies):
                if q is p:
                    return k
            policies.append(p)
            return len(policies) - 1

        seats: list[int | list[int]] = []
        for a in names:
            p = agent_policies[a]
            seats.append([index(q) for q in p] if isinstance(p, (list, tuple)) else index(p))
        learner_idx = [index(p) for p in learners]
        return cls(venv, policies, Matchmaker(seats), learners=learner_idx, **kwargs)

    # ------------------------------------------------------------------ state
    def _start(self, obs: np.ndarray) -> None:
        B, N = self.venv.num_envs, self.venv.num_agents
        self.obs = obs
        self.assignment = self.matchmaker.assign(self.rng, B)
        self.states: list[State] = [p.initial_state(B * N) for p in self.policies]
        self.episode_start = np.ones((B, N), dtype=bool)
        self._index_slots()

    def _index_slots(self) -> None:
        flat = self.assignment.reshape(-1)
        n = flat.size
        self._slots: list[np.ndarray | None] = []
        for k in range(len(self.policies)):
            idx = np.flatnonzero(flat == k)
            # None = every slot, which avoids gathering and scattering for shared policies
            self._slots.append(None if idx.size == n else idx)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue collecting exactly (env included, pickled)."""
        return {
            "venv": pickle.dumps(self.venv),
            "obs": self.obs,
            "assignment": self.assignment,
            "states": [clone_state(s) for s in self.states],
            "episode_start": self.episode_start,
            "rng": self.rng.bit_generator.state,
            "env_steps": self.env_steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.venv = pickle.loads(state["venv"])
        self.obs = state["obs"]
        self.assignment = state["assignment"]
        self.states = [clone_state(s) for s in state["states"]]
        self.episode_start = state["episode_start"]
        self.rng.bit_generator.state = state["rng"]
        self.env_steps = int(state["env_steps"])
        self._index_slots()

    # ------------------------------------------------------------------ acting
    def _act(self, obs: np.ndarray, critic_obs: np.ndarray | None):
        BN = obs.shape[0] * obs.shape[1]
        flat_obs = obs.reshape(BN, *obs.shape[2:])
        flat_cobs = None if critic_obs is None else critic_obs.reshape(BN, *critic_obs.shape[2:])
        actions = np.zeros(BN, dtype=np.int64)
        log_probs = np.zeros(BN, dtype=np.float32)
        values = np.zeros(BN, dtype=np.float32)
        for k, policy in enumerate(self.policies):
            idx = self._slots[k]
            if idx is not None and idx.size == 0:
                continue
            sel = slice(None) if idx is None else idx
            state = self.states[k] if idx is None else select_state(self.states[k], idx)
            kwargs = {}
            if self.uses_critic_obs[k]:
                kwargs["critic_obs"] = flat_cobs[sel]
            out = policy.act(
                flat_obs[sel], state, deterministic=self.deterministic, rng=self.rng, **kwargs
            )
            actions[sel] = out.actions
            log_probs[sel] = out.log_probs
            values[sel] = out.values
            if idx is None:
                self.states[k] = out.state
            else:
                assign_state(self.states[k], idx, out.state)
        return actions, log_probs, values

    def _values(
        self,
        obs_flat: np.ndarray,
        cobs_flat: np.ndarray | None,
        slots: np.ndarray,
        states: list[State],
    ) -> np.ndarray:
        """Learner values of ``slots`` (flat indices) from ``obs_flat`` with ``states``."""
        out = np.zeros(slots.size, dtype=np.float32)
        flat_assign = self.assignment.reshape(-1)[slots]
        for k in self.learners:
            m = flat_assign == k
            if not m.any():
                continue
            idx = slots[m]
            kwargs = {}
            if self.uses_critic_obs[k]:
                kwargs["critic_obs"] = cobs_flat[idx]
            out[m] = self.policies[k].value(obs_flat[idx], select_state(states[k], idx), **kwargs)
        return out

    def collect(self, num_steps: int) -> Rollout:
        """Step every copy ``num_steps`` times and return the recorded :class:`Rollout`."""
        if num_steps < 1:
            raise ValueError(f"num_steps={num_steps!r} must be >= 1")
        venv = self.venv
        T, B, N = int(num_steps), venv.num_envs, venv.num_agents
        obs_shape = self.obs.shape[2:]
        use_cobs = any(self.uses_critic_obs)
        learner_set = np.zeros(len(self.policies), dtype=bool)
        learner_set[self.learners] = True

        ro = Rollout(
            obs=np.empty((T, B, N, *obs_shape), dtype=self.obs.dtype),
            actions=np.empty((T, B, N), dtype=np.int64),
            log_probs=np.empty((T, B, N), dtype=np.float32),
            values=np.empty((T, B, N), dtype=np.float32),
            rewards=np.empty((T, B, N), dtype=np.float32),
            terminated=np.empty((T, B, N), dtype=bool),
            truncated=np.empty((T, B, N), dtype=bool),
            dones=np.empty((T, B, N), dtype=bool),
            next_values=np.zeros((T, B, N), dtype=np.float32),
            episode_start=np.empty((T, B, N), dtype=bool),
            policy_ids=np.empty((T, B, N), dtype=np.int64),
            learner_mask=np.empty((T, B, N), dtype=bool),
            initial_states=[clone_state(s) for s in self.states],
        )
        if use_cobs:
            cshape = joint_critic_obs(self.obs[:1]).shape[2:]
            ro.critic_obs = np.empty((T, B, N, *cshape), dtype=self.obs.dtype)
        if self.record_next_obs:
            ro.next_obs = np.empty((T, B, N, *obs_shape), dtype=self.obs.dtype)

        for t in range(T):
            obs = self.obs
            cobs = joint_critic_obs(obs) if use_cobs else None
            actions, log_probs, values = self._act(obs, cobs)
            ro.obs[t] = obs
            if use_cobs:
                ro.critic_obs[t] = cobs
            ro.actions[t] = actions.reshape(B, N)
            ro.log_probs[t] = log_probs.reshape(B, N)
            ro.values[t] = values.reshape(B, N)
            ro.episode_start[t] = self.episode_start
            ro.policy_ids[t] = self.assignment
            ro.learner_mask[t] = learner_set[self.assignment]

            next_obs, rewards, terminated, truncated, infos = venv.step(ro.actions[t])
            self.env_steps += B
            done_envs = infos["done_envs"]
            ro.rewards[t] = rewards
            ro.terminated[t] = terminated
            ro.truncated[t] = truncated
            ro.dones[t] = terminated | done_envs[:, None]
            ro.events.append(infos["events"])
            if self.record_next_obs:
                ro.next_obs[t] = infos["final_obs"] if "final_obs" in infos else next_obs

            if done_envs.any():
                envs = np.flatnonzero(done_envs)
                # Bootstrap truncated (not terminated) learner slots from the final
                # observation, with the state reached after this step (before its reset).
                final = infos["final_obs"]
                boot = np.zeros((B, N), dtype=bool)
                boot[envs] = ~terminated[envs]
                boot &= ro.learner_mask[t]
                if boot.any():
                    slots = np.flatnonzero(boot.reshape(-1))
                    fcobs = (
                        joint_critic_obs(final).reshape(B * N, *ro.critic_obs.shape[3:])
                        if use_cobs
                        else None
                    )
                    v = self._values(final.reshape(B * N, *obs_shape), fcobs, slots, self.states)
                    ro.next_values[t].reshape(-1)[slots] = v
                ep = dict(infos["episode"])
                ep["envs"] = envs
                ep["policy_ids"] = self.assignment[envs].copy()
                ep["step"] = self.env_steps
                ro.episodes.append(ep)
                # Recurrent states of the finished copies restart with the next episode.
                mask = np.zeros((B, N), dtype=bool)
                mask[envs] = True
                flat_mask = mask.reshape(-1)
                for k, policy in enumerate(self.policies):
                    self.states[k] = reset_state(policy, self.states[k], flat_mask)
                if self.matchmaker.stochastic:
                    self.assignment = self.assignment.copy()
                    self.assignment[envs] = self.matchmaker.assign(self.rng, envs.size)
                    self._index_slots()
            self.episode_start = np.broadcast_to(done_envs[:, None], (B, N)).copy()
            self.obs = next_obs

        # Inside an episode the bootstrap value is V of the next observation.
        within = ~ro.dones
        ro.next_values[:-1] = np.where(within[:-1], ro.values[1:], ro.next_values[:-1])
        last = within[-1] & learner_set[self.assignment]
        if last.any():
            slots = np.flatnonzero(last.reshape(-1))
            cobs = (
                joint_critic_obs(self.obs).reshape(B * N, *ro.critic_obs.shape[3:])
                if use_cobs
                else None
            )
            v = self._values(self.obs.reshape(B * N, *obs_shape), cobs, slots, self.states)
            ro.next_values[-1].reshape(-1)[slots] = v
        return ro
