"""ToM-conditioned policies: a PPO actor-critic conditioned on a character embedding of the
co-player, learned from the co-player's behaviour (after Rabinowitz et al. 2018, Sec. 2:
a character net embeds each past episode of an agent, the embeddings are summed, and a
mental net embeds the current episode; here the embeddings condition a policy).

:class:`ToMActorCritic` has the :class:`agents.networks.ActorCritic` interface
(``step``, ``sequence``, ``initial_state``), so the shared collector and the shared
:class:`agents.ppo.PPO` train it unchanged:

* **character net**: the observation stream (which shows the co-player's moves: the
  last joint actions in ``matrix_game_v0``, the co-player's position in grid views) goes
  through an encoder and a GRU over one *game*; the GRU state at a game's end, mapped
  linearly, is that game's embedding, and ``e_char`` is the **sum** over the earlier
  games with the same co-player (Rabinowitz et al. 2018, Sec. 2.1: e_char,i = sum_j
  f(tau_ij)). Games are the inner episodes of a match
  (:class:`training.tom_agents.MatchVectorEnv`), whose observations end with a "new game"
  flag (``game_flag=True``); the recurrent state resets at match starts, when the
  collector's matchmaker draws a new co-player;
* **mental net**: the same GRU's state in the current game, mapped linearly to
  ``e_mental`` (Sec. 2.1: the mental net reads the current episode so far);
* **opponent model**: a head predicts the co-player's next action from
  ``[e_char, e_mental]``; :class:`OpponentModelLearner` trains it (and the character
  net) by cross-entropy on the co-player actions recorded in each rollout, after the PPO
  update;
* **policy**: its own encoder of the current observation, concatenated with the
  layer-normalised ``[e_char, e_mental]`` (Ba et al. 2016, arXiv 1607.06450), to policy
  and value heads.

``past`` selects what the network keeps across games: ``"sum"`` (the character net
above), ``"none"`` (the GRU restarts every game and ``e_char`` stays 0: PPO with memory
of the current game only, the same parameters) or ``"carry"`` (one GRU state over the
whole match, ``e_char`` stays 0: a plain recurrent PPO that may remember past games
without the character-net structure). Without the flag (``game_flag=False``) every
episode is one game and the three are the same network.
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
    """Character / mental net (encoder + GRU over games) -> ``e_char``, ``e_mental``;
    policy and value on ``[features, e_char, e_mental]``.

    Args:
        obs_space: single-agent observation space (with the match flag last when
            ``game_flag``: the last entry of a vector, the last plane of a grid).
        num_actions: own actions.
        config: encoder sizes (:class:`agents.networks.NetworkConfig`).
        char_dim: size of ``e_char`` and of ``e_mental``.
        char_hidden: GRU size.
        opponent_actions: the co-player's actions (default ``num_actions``).
        past: ``"sum"``, ``"none"`` or ``"carry"`` (module docstring).
        game_flag: observations carry the "new game of the same match" flag.
        detach: the policy and value heads read the embeddings without passing gradients
            back, so only the opponent-model loss trains the character / mental net (it
            stays an observer of the co-player, as the ToMnet is; PPO trains the rest).
        past_layout: ``(P, L, F)`` when the flat observations end with a block of ``P``
            observed past games of the co-player, ``L`` steps of ``F`` features each
            (:class:`training.tom_agents.ObservedPastMatchEnv`); every other part of the
            network reads only the observation before the block.
        observed_pasts: embed the block: a per-step encoder and a GRU over each observed
            game, mapped linearly, summed over the ``P`` games and added to ``e_char``
            (Rabinowitz et al. 2018, Sec. 2.1: e_char sums the embeddings of the agent's
            past episodes). ``False`` ignores the block (the network cannot see it).
    """

    PAST = ("sum", "none", "carry")

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        char_dim: int = 8,
        char_hidden: int = 64,
        opponent_actions: int | None = None,
        past: str = "sum",
        game_flag: bool = False,
        detach: bool = False,
        past_layout: tuple[int, int, int] | None = None,
        observed_pasts: bool = False,
    ):
        super().__init__()
        if past not in self.PAST:
            raise ValueError(f"past={past!r} is not allowed; choose one of {self.PAST}")
        self.config = config or NetworkConfig()
        self.num_actions = int(num_actions)
        self.past, self.game_flag, self.detach = past, bool(game_flag), bool(detach)
        self.grid = len(obs_space.shape) == 3
        self.past_layout = None if past_layout is None else tuple(int(x) for x in past_layout)
        self.observed_pasts = bool(observed_pasts)
        if self.observed_pasts and self.past_layout is None:
            raise ValueError("observed_pasts=True needs past_layout=(P, L, F); got None")
        self.current_size = None
        if self.past_layout is not None:
            if self.grid:
                raise ValueError(f"past_layout needs flat observations, got {obs_space.shape}")
            block = int(np.prod(self.past_layout))
            self.current_size = int(obs_space.shape[0]) - block
            if self.current_size < 1 or min(self.past_layout) < 1:
                raise ValueError(
                    f"past_layout={past_layout!r} does not fit observations of {obs_space.shape}"
                )
            obs_space = gymnasium.spaces.Box(
                obs_space.low[: self.current_size], obs_space.high[: self.current_size]
            )
        self.char_encoder = make_encoder(obs_space, self.config)
        self.char_gru = nn.GRUCell(self.char_encoder.output_size, char_hidden)
        self.char_out = nn.Linear(char_hidden, char_dim)
        self.mental_out = nn.Linear(char_hidden, char_dim)
        self.encoder = make_encoder(obs_space, self.config)
        # the summed e_char grows with the number of past games and the opponent-model
        # loss scales both embeddings up; normalised, they cannot saturate the torso
        self.embed_norm = nn.LayerNorm(2 * char_dim)
        width = self.encoder.output_size + 2 * char_dim
        self.torso = nn.Sequential(layer_init(nn.Linear(width, 64)), nn.Tanh())
        self.actor = layer_init(nn.Linear(64, self.num_actions), std=0.01)
        self.critic = layer_init(nn.Linear(64, 1), std=1.0)
        self.opponent_head = nn.Linear(2 * char_dim, int(opponent_actions or num_actions))
        self.char_hidden, self.char_dim = char_hidden, char_dim
        self.opponent_actions = int(opponent_actions or num_actions)
        if self.observed_pasts:
            F_step = self.past_layout[2]
            self.past_encoder = nn.Sequential(nn.Linear(F_step, 64), nn.ReLU())
            self.past_gru = nn.GRU(64, char_hidden, batch_first=True)
            self.past_out = nn.Linear(char_hidden, char_dim)
            # the ToMnet's own training query on the observed games: the co-player's
            # action at each step of one game from the other games' e_char and that
            # game's observations so far (Rabinowitz et al. 2018, Sec. 2.1-2.2)
            view = F_step - 2 * self.opponent_actions
            if view < 1:
                raise ValueError(
                    f"past_layout={past_layout!r}: {F_step} features per step cannot hold a "
                    f"view and two one-hot actions of {self.opponent_actions}"
                )
            self.query_encoder = nn.Sequential(nn.Linear(view, 64), nn.ReLU())
            self.query_gru = nn.GRU(64, char_hidden, batch_first=True)
            self.query_head = nn.Linear(char_dim + char_hidden, self.opponent_actions)
        self.centralised = False

    def current(self, obs: torch.Tensor) -> torch.Tensor:
        """The observation without the observed-past block."""
        return obs if self.current_size is None else obs[..., : self.current_size]

    def observed(self, obs: torch.Tensor) -> torch.Tensor:
        """``[M, D]``: the summed embeddings of the observed past games (zeros without
        ``observed_pasts``)."""
        if not self.observed_pasts:
            return torch.zeros(obs.shape[0], self.char_dim)
        return self.observed_games(obs).sum(1)

    def observed_games(self, obs: torch.Tensor) -> torch.Tensor:
        """``[M, P, D]``: the embedding of each observed past game."""
        P, L, F_step = self.past_layout
        block = obs[:, self.current_size :].reshape(-1, L, F_step)  # [M * P, L, F]
        _, h = self.past_gru(self.past_encoder(block))
        return self.past_out(h[-1]).reshape(-1, P, self.char_dim)

    def observed_query_loss(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Leave-one-out prediction on the observed games of rows ``obs [M, ...]``: the
        co-player's action at each step of game ``p`` from the summed embeddings of the
        other games and game ``p``'s views up to that step (not its actions). Returns the
        mean cross-entropy and accuracy."""
        P, L, F_step = self.past_layout
        A = self.opponent_actions
        games = self.observed_games(obs)  # [M, P, D]
        others = games.sum(1, keepdim=True) - games
        block = obs[:, self.current_size :].reshape(-1, L, F_step)
        view, acts = block[..., : F_step - 2 * A], block[..., F_step - 2 * A : F_step - A]
        h, _ = self.query_gru(self.query_encoder(view))  # [M * P, L, H]
        e = others.reshape(-1, 1, self.char_dim).expand(-1, L, -1)
        logits = self.query_head(torch.cat([e, h], -1)).reshape(-1, A)
        target = acts.reshape(-1, A).argmax(-1)
        loss = F.cross_entropy(logits, target)
        return loss, (logits.argmax(-1) == target).float().mean()

    @property
    def recurrent(self) -> bool:
        return True

    def initial_state(self, batch_size: int) -> tuple:
        """``(GRU state [M, H], e_char [M, D])``."""
        return (torch.zeros(batch_size, self.char_hidden), torch.zeros(batch_size, self.char_dim))

    def new_game(self, obs: torch.Tensor) -> torch.Tensor:
        """``float [M, 1]``: 1 where ``obs`` is the first of a new game of the same match."""
        if not self.game_flag:
            return torch.zeros(obs.shape[0], 1)
        flag = obs[:, 0, 0, -1] if self.grid else self.current(obs)[:, -1]
        return (flag > 0).float().unsqueeze(-1)

    def embed(
        self, obs: torch.Tensor, state: tuple, e_obs: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        """One step: ``(e_char [M, D], e_mental [M, D], next state)``. ``e_char`` is the
        sum over the learner's own earlier games of the match (``past="sum"``) plus, with
        ``observed_pasts``, over the observed past games (``e_obs``: computed here when
        not given)."""
        h, e_char = state
        cur = self.current(obs)
        if self.past != "carry":
            g = self.new_game(obs)
            if self.past == "sum":  # fold the finished game into the character embedding
                e_char = e_char + g * self.char_out(h)
            h = h * (1.0 - g)
        h = self.char_gru(self.char_encoder(cur), h)
        total = e_char
        if self.observed_pasts:
            total = e_char + (self.observed(obs) if e_obs is None else e_obs)
        return total, self.mental_out(h), (h, e_char)

    def _heads(self, obs: torch.Tensor, e_char: torch.Tensor, e_mental: torch.Tensor):
        e = torch.cat([e_char, e_mental], -1)
        e = self.embed_norm(e.detach() if self.detach else e)
        z = self.torso(torch.cat([self.encoder(self.current(obs)), e], -1))
        return self.actor(z), self.critic(z).squeeze(-1)

    def step(self, obs, state, critic_obs=None):
        e_char, e_mental, state = self.embed(obs, state)
        logits, values = self._heads(obs, e_char, e_mental)
        return logits, values, state

    def embeddings(self, obs: torch.Tensor, state: tuple, episode_start: torch.Tensor):
        """``(e_char, e_mental)``, each ``[T, M, D]``, over ``[T, M, ...]`` observations
        (state reset at episode starts)."""
        chars, mentals = [], []
        T, M = obs.shape[:2]
        e_obs = None
        if self.observed_pasts:
            # the block is fixed over an episode (a match): embed it where an episode (or
            # the sequence) starts, in one batched pass, and carry it forward
            first = episode_start.clone()
            first[0] = True
            tt, mm = torch.nonzero(first, as_tuple=True)  # time-major: rising t per column
            table = self.observed(obs[tt, mm])
            pos = torch.full((T, M), -1, dtype=torch.long)
            pos[tt, mm] = torch.arange(tt.numel())
            e_obs = table[pos.cummax(0).values]
        for t in range(T):
            keep = (~episode_start[t]).float().unsqueeze(-1)
            state = tuple(s * keep for s in state)
            e_char, e_mental, state = self.embed(obs[t], state, None if e_obs is None else e_obs[t])
            chars.append(e_char)
            mentals.append(e_mental)
        return torch.stack(chars), torch.stack(mentals)

    def sequence(self, obs, state, episode_start, critic_obs=None):
        T, M = obs.shape[:2]
        e_char, e_mental = self.embeddings(obs, state, episode_start)
        flat = obs.reshape(T * M, *obs.shape[2:])
        logits, values = self._heads(flat, e_char.reshape(T * M, -1), e_mental.reshape(T * M, -1))
        return logits.reshape(T, M, -1), values.reshape(T, M)


class ToMConditionedPolicy(ActorCriticPolicy):
    """:class:`ToMActorCritic` behind the policy interface (PPO trains it as usual).

    ``past``, ``game_flag``, ``detach``, ``past_layout`` and ``observed_pasts`` as in
    :class:`ToMActorCritic`.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        char_dim: int = 8,
        char_hidden: int = 64,
        name: str = "tom_ppo",
        past: str = "sum",
        game_flag: bool = False,
        opponent_actions: int | None = None,
        detach: bool = False,
        past_layout: tuple[int, int, int] | None = None,
        observed_pasts: bool = False,
    ):
        self.net = ToMActorCritic(
            obs_space,
            num_actions,
            config,
            char_dim,
            char_hidden,
            opponent_actions,
            past,
            game_flag,
            detach,
            past_layout,
            observed_pasts,
        )
        self.name = name
        self.recurrent = True
        self.uses_critic_obs = False

    @torch.no_grad()
    def character(self, obs: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        """``e_char [T, M, D]`` of observation columns ``[T, M, ...]``."""
        return self.embeddings(obs, episode_start)[0]

    @torch.no_grad()
    def embeddings(self, obs: np.ndarray, episode_start: np.ndarray) -> tuple:
        """``(e_char, e_mental)`` numpy arrays ``[T, M, D]`` of observation columns."""
        obs_t = torch.from_numpy(np.ascontiguousarray(obs))
        starts = torch.from_numpy(np.ascontiguousarray(episode_start))
        e_char, e_mental = self.net.embeddings(obs_t, self.initial_state(obs.shape[1]), starts)
        return e_char.numpy(), e_mental.numpy()


class OpponentModelLearner:
    """Supervised opponent modelling for a :class:`ToMConditionedPolicy` in two-player
    envs: cross-entropy of the co-player's action at ``t`` predicted from ``[e_char,
    e_mental]`` computed on observations up to ``t`` (the nets see the co-player's past
    moves only). With observed past games (``observed_pasts``) the loss adds, once per
    match in the rollout, the ToMnet's query on those games
    (:meth:`ToMActorCritic.observed_query_loss`): the character net must tell the
    co-player's behaviour apart whatever the learner does in its own games.

    Args:
        policy: the policy whose character net and opponent head are trained.
        index: the policy's index in the collector.
        lr: Adam learning rate.
        coef: loss weight.
        epochs: passes over each rollout.
    """

    # the character / mental nets and the opponent head (observed-past nets included)
    OBSERVER_MODULES = (
        "char_encoder",
        "char_gru",
        "char_out",
        "mental_out",
        "opponent_head",
        "past_encoder",
        "past_gru",
        "past_out",
        "query_encoder",
        "query_gru",
        "query_head",
    )

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
            p
            for name, p in net.named_parameters()
            if name.split(".")[0] in self.OBSERVER_MODULES and hasattr(net, name.split(".")[0])
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
        query = None
        if getattr(net, "observed_pasts", False):  # each match's observed games, once
            first = starts.clone()
            first[0] = True
            rows = first & (weight > 0)
            query = obs[rows]
        losses, accs = [], []
        for _ in range(self.epochs):
            e_char, e_mental = net.embeddings(obs, init, starts)
            logits = net.opponent_head(torch.cat([e_char, e_mental], -1))
            ce = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none"
            )
            loss = self.coef * (ce * weight.reshape(-1)).sum() / weight.sum().clamp_min(1)
            if query is not None:
                q_loss, q_acc = net.observed_query_loss(query)
                loss = loss + self.coef * q_loss
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            losses.append(float(loss.detach()))
            acc = (logits.argmax(-1) == target).float()
            accs.append(float((acc * weight).sum() / weight.sum().clamp_min(1)))
        out = {"opponent_loss": float(np.mean(losses)), "opponent_accuracy": accs[-1]}
        if query is not None:
            out["query_loss"], out["query_accuracy"] = float(q_loss.detach()), float(q_acc)
        return out
