"""ToM-conditioned policies: a PPO actor-critic conditioned on a character embedding of the
co-player, learned from the co-player's behaviour (after Rabinowitz et al. 2018, Sec. 2:
a character net whose embedding conditions predictions of another agent; here the
prediction is used to act).

:class:`ToMActorCritic` has the :class:`agents.networks.ActorCritic` interface
(``step``, ``sequence``, ``initial_state``), so the shared collector and the shared
:class:`agents.ppo.PPO` train it unchanged:

* **character net**: the observation stream (which shows the co-player's moves: the
  last joint actions in ``matrix_game_v0``, the co-player's avatar in grid views) goes
  through an encoder and a GRU; a linear map gives ``e_char`` (``char_dim``). The
  state resets at episode starts, so the embedding is of *this* co-player's behaviour
  so far (co-players are redrawn per episode by the collector's matchmaker);
* **opponent model**: a head predicts the co-player's next action from ``e_char``;
  :class:`OpponentModelLearner` trains it (and the character net) by cross-entropy on
  the co-player actions recorded in each rollout, after the PPO update;
* **policy**: its own encoder of the current observation, concatenated with ``e_char``,
  to policy and value heads.

Without the opponent model (``opponent_model=False``) the same class is a PPO agent
with a recurrent embedding and no supervised signal about the co-player; the plain
baseline is :class:`agents.actor_critic.ActorCriticPolicy` on the same observation.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from agents.actor_critic import ActorCriticPolicy
from agents.networks import NetworkConfig, layer_init, make_encoder
from agents.policy import select_state


class ToMActorCritic(nn.Module):
    """Character net (encoder + GRU) -> ``e_char``; policy on ``[features, e_char]``."""

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        char_dim: int = 8,
        char_hidden: int = 64,
        opponent_actions: int | None = None,
    ):
        super().__init__()
        self.config = config or NetworkConfig()
        self.num_actions = int(num_actions)
        self.char_encoder = make_encoder(obs_space, self.config)
        self.char_gru = nn.GRUCell(self.char_encoder.output_size, char_hidden)
        self.char_out = nn.Linear(char_hidden, char_dim)
        self.encoder = make_encoder(obs_space, self.config)
        width = self.encoder.output_size + char_dim
        self.torso = nn.Sequential(layer_init(nn.Linear(width, 64)), nn.Tanh())
        self.actor = layer_init(nn.Linear(64, self.num_actions), std=0.01)
        self.critic = layer_init(nn.Linear(64, 1), std=1.0)
        self.opponent_head = nn.Linear(char_dim, int(opponent_actions or num_actions))
        self.char_hidden = char_hidden
        self.centralised = False

    @property
    def recurrent(self) -> bool:
        return True

    def initial_state(self, batch_size: int) -> tuple:
        return (torch.zeros(batch_size, self.char_hidden),)

    def embed(self, obs: torch.Tensor, state: tuple) -> tuple[torch.Tensor, tuple]:
        """One step of the character net: ``(e_char [M, D], next state)``."""
        h = self.char_gru(self.char_encoder(obs), state[0])
        return self.char_out(h), (h,)

    def _heads(self, obs: torch.Tensor, e_char: torch.Tensor):
        z = self.torso(torch.cat([self.encoder(obs), e_char], -1))
        return self.actor(z), self.critic(z).squeeze(-1)

    def step(self, obs, state, critic_obs=None):
        e, state = self.embed(obs, state)
        logits, values = self._heads(obs, e)
        return logits, values, state

    def embeddings(self, obs: torch.Tensor, state: tuple, episode_start: torch.Tensor):
        """``e_char [T, M, D]`` over ``[T, M, ...]`` observations (state reset at starts)."""
        out = []
        for t in range(obs.shape[0]):
            keep = (~episode_start[t]).float().unsqueeze(-1)
            state = (state[0] * keep,)
            e, state = self.embed(obs[t], state)
            out.append(e)
        return torch.stack(out)

    def sequence(self, obs, state, episode_start, critic_obs=None):
        T, M = obs.shape[:2]
        e = self.embeddings(obs, state, episode_start)
        logits, values = self._heads(obs.reshape(T * M, *obs.shape[2:]), e.reshape(T * M, -1))
        return logits.reshape(T, M, -1), values.reshape(T, M)


class ToMConditionedPolicy(ActorCriticPolicy):
    """:class:`ToMActorCritic` behind the policy interface (PPO trains it as usual)."""

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        char_dim: int = 8,
        char_hidden: int = 64,
        name: str = "tom_ppo",
    ):
        self.net = ToMActorCritic(obs_space, num_actions, config, char_dim, char_hidden)
        self.name = name
        self.recurrent = True
        self.uses_critic_obs = False

    @torch.no_grad()
    def character(self, obs: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        """``e_char [T, M, D]`` of observation columns ``[T, M, ...]``."""
        obs_t = torch.from_numpy(np.ascontiguousarray(obs))
        starts = torch.from_numpy(np.ascontiguousarray(episode_start))
        return self.net.embeddings(obs_t, self.initial_state(obs.shape[1]), starts).numpy()


class OpponentModelLearner:
    """Supervised opponent modelling for a :class:`ToMConditionedPolicy` in two-player
    envs: cross-entropy of the co-player's action at ``t`` predicted from ``e_char``
    computed on observations up to ``t`` (the character net sees the co-player's past
    moves only).

    Args:
        policy: the policy whose character net and opponent head are trained.
        index: the policy's index in the collector.
        lr: Adam learning rate.
        coef: loss weight.
        epochs: passes over each rollout.
    """

    def __init__(
        self,
        policy: ToMConditionedPolicy,
        index: int = 0,
        lr: float = 1e-3,
        coef: float = 1.0,
        epochs: int = 2,
    ):
        self.policy, self.index, self.coef, self.epochs = policy, index, coef, epochs
        net = policy.net
        params = [
            *net.char_encoder.parameters(),
            *net.char_gru.parameters(),
            *net.char_out.parameters(),
            *net.opponent_head.parameters(),
        ]
        self.optimizer = torch.optim.Adam(params, lr=lr)

    def update(self, rollout) -> dict[str, float]:
        T, B, N = rollout.actions.shape
        if N != 2:
            raise ValueError(f"opponent modelling here needs a two-player env, got {N} seats")
        mask = (rollout.policy_ids == self.index).reshape(T, B * N)
        cols = np.flatnonzero(mask.any(0))
        if cols.size == 0:
            return {}
        other = rollout.actions[:, :, ::-1].reshape(T, B * N)  # the co-player's action
        obs = torch.from_numpy(
            np.ascontiguousarray(rollout.obs.reshape(T, B * N, *rollout.obs.shape[3:])[:, cols])
        )
        starts = torch.from_numpy(
            np.ascontiguousarray(rollout.episode_start.reshape(T, B * N)[:, cols])
        )
        target = torch.from_numpy(np.ascontiguousarray(other[:, cols]))
        weight = torch.from_numpy(np.ascontiguousarray(mask[:, cols])).float()
        init = select_state(rollout.initial_states[self.index], cols)
        net = self.policy.net
        losses, accs = [], []
        for _ in range(self.epochs):
            e = net.embeddings(obs, init, starts)
            logits = net.opponent_head(e)
            ce = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none"
            )
            loss = self.coef * (ce * weight.reshape(-1)).sum() / weight.sum().clamp_min(1)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            losses.append(float(loss.detach()))
            acc = (logits.argmax(-1) == target).float()
            accs.append(float((acc * weight).sum() / weight.sum().clamp_min(1)))
        return {"opponent_loss": float(np.mean(losses)), "opponent_accuracy": accs[-1]}
