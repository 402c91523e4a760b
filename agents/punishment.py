"""Staged punishment agents of Dasgupta & Musolesi (arXiv 2301.08278, JAAMAS 2025).

Every agent has one DQN per stage of ``partner_choice_v0`` -- select, play, punish -- as in
the paper's code (``DQN/*``, ``Agents/*``): an MLP input -> 128 -> ReLU -> actions, Huber
loss, Adam, target copy every 200 updates, replay batches of 100, and per-stage learning
rates, discounts, buffer sizes and epsilon schedules (sanctions-norms spec §4.4). The
shared pieces :class:`~agents.dqn.QPolicy`, :class:`~agents.dqn.DQN` and
:class:`~agents.dqn.ReplayBuffer` do the learning; this module only maps the env's
observation onto each stage's state and builds the transitions.

Stage states (cut from the env's observation fields):

* select: the reputations of all players (egocentric order);
* play: partner's and own previous move (one-hot over C, D, unknown), plus the two
  reputations when ``reputation_in_state``;
* punish: the move of the player who may be punished and of its partner.

Transitions (our simplification, documented): each decision is one transition whose
reward is what the decision earned before the agent's next decision of the same stage --
for play, the round's payoff plus any punishment received for that round (the paper
charges punishment to the victim's play reward); for punishment, the punisher's payoff;
for selection, the payoff of the first round with the chosen partner. The next state is
the state of the agent's next decision in that stage within the episode (terminal at the
episode's end), bootstrapped with the stage's discount 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np
import torch

from agents.dqn import DQN, DQNConfig, QPolicy, ReplayBuffer
from agents.networks import NetworkConfig

SELECT, PLAY, PUNISH = 0, 1, 2
STAGE_NAMES = ("select", "play", "punish")


@dataclass
class StageSettings:
    """Hyperparameters of one stage's DQN (Dasgupta & Musolesi's code, spec §4.4)."""

    lr: float
    buffer_size: int
    eps_max: float
    eps_min: float
    eps_decay: float
    gamma: float = 0.9
    batch_size: int = 100
    target_update_interval: int = 200


DM_STAGES = {
    SELECT: StageSettings(
        lr=0.01, buffer_size=131072, eps_max=0.8889, eps_min=0.0001, eps_decay=0.3000667
    ),
    PLAY: StageSettings(
        lr=0.1, buffer_size=131072, eps_max=0.8889, eps_min=0.01, eps_decay=0.3000667
    ),
    PUNISH: StageSettings(
        lr=0.001, buffer_size=524288, eps_max=0.8889, eps_min=0.2, eps_decay=0.5000444
    ),
}


def stage_state(
    obs: np.ndarray, fields: dict[str, slice], stage: int, reputation_in_state: bool = True
) -> np.ndarray:
    """The D&M state of ``stage`` from ``partner_choice_v0`` observations ``[..., D]``."""
    if stage == SELECT:
        return obs[..., fields["reputations"]]
    if stage == PLAY:
        parts = [obs[..., fields["opp_prev"]], obs[..., fields["own_prev"]]]
        if reputation_in_state:
            parts += [obs[..., fields["opp_reputation"]], obs[..., fields["own_reputation"]]]
        return np.concatenate(parts, axis=-1)
    return np.concatenate(
        [obs[..., fields["victim_action"]], obs[..., fields["other_action"]]], axis=-1
    )


class StagedPunishmentAgents:
    """A population of ``N`` agents, each with a select, a play and a punish DQN.

    Args:
        num_agents: population size.
        fields: the env's ``OBS_FIELDS``.
        num_actions: the env's action-space size.
        reputation_in_state: reputations in the play state.
        stages: per-stage settings (default: the paper's).
        hidden: MLP width (paper: 128).
        seed: torch and numpy seed.
    """

    def __init__(
        self,
        num_agents: int,
        fields: dict[str, slice],
        num_actions: int,
        reputation_in_state: bool = True,
        stages: dict | None = None,
        hidden: int = 128,
        seed: int = 0,
    ):
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.fields = fields
        self.reputation_in_state = reputation_in_state
        self.stages = stages or DM_STAGES
        self.num_agents = num_agents
        sizes = {
            SELECT: fields["reputations"].stop - fields["reputations"].start,
            PLAY: 6 + 2 * reputation_in_state,
            PUNISH: 4,
        }
        n_act = {SELECT: max(num_agents - 1, 1), PLAY: 2, PUNISH: 2}
        net = NetworkConfig(hidden_sizes=(hidden,))
        self.policies, self.learners, self.buffers = {}, {}, {}
        for s, st in self.stages.items():
            space = gymnasium.spaces.Box(-np.inf, np.inf, (sizes[s],), np.float32)
            for i in range(num_agents):
                pol = QPolicy(space, n_act[s], net, head_sizes=(), name=f"{STAGE_NAMES[s]}_{i}")
                pol.epsilon = st.eps_max
                cfg = DQNConfig(
                    lr=st.lr,
                    gamma=st.gamma,
                    batch_size=st.batch_size,
                    buffer_size=st.buffer_size,
                    double=False,
                    target_update_interval=st.target_update_interval,
                    eps_start=st.eps_max,
                    eps_end=st.eps_min,
                )
                self.policies[s, i] = pol
                self.learners[s, i] = DQN(pol, cfg)
                self.buffers[s, i] = ReplayBuffer(min(st.buffer_size, 200_000), (sizes[s],))
        self.num_actions = num_actions
        self.fresh: set[tuple[int, int]] = set()

    def act(self, obs: np.ndarray, stage_of: np.ndarray) -> np.ndarray:
        """Actions ``[N]`` for one copy's observations ``[N, D]``; ``stage_of[i]`` is the
        agent's stage (0 select, 1 play, 2 punish) or -1 when idle."""
        actions = np.zeros(self.num_agents, dtype=np.int64)
        for i in np.flatnonzero(stage_of >= 0):
            s = int(stage_of[i])
            x = stage_state(obs[i], self.fields, s, self.reputation_in_state)[None]
            actions[i] = self.policies[s, i].act(x.astype(np.float32), rng=self.rng).actions[0]
        return actions

    def store(self, stage: int, agent: int, state, action, reward, next_state, done) -> None:
        self.fresh.add((stage, agent))
        self.buffers[stage, agent].add(
            np.asarray([state], np.float32),
            np.asarray([action]),
            np.asarray([reward], np.float32),
            np.asarray([next_state], np.float32),
            np.asarray([float(done)], np.float32),
        )

    def learn(self) -> None:
        """One gradient step for every stage network that stored a transition since the
        last call (and has a batch of data); then decay its epsilon by
        ``(max - min) * eps_decay`` per update, as the paper's code does."""
        fresh, self.fresh = self.fresh, set()
        for s, i in sorted(fresh):
            learner = self.learners[s, i]
            buf = self.buffers[s, i]
            st = self.stages[s]
            if len(buf) < st.batch_size:
                continue
            learner.learn(buf.sample(st.batch_size, self.rng))
            pol = self.policies[s, i]
            pol.epsilon = max(st.eps_min, pol.epsilon - (st.eps_max - st.eps_min) * st.eps_decay)
