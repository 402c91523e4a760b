"""LASE and the social-preference baselines trained under one loop.

LASE -- Kong, Huang, Zhu, Qi, Feng 2024, "Learning to Balance Altruism and Self-interest
Based on Empathy in Mixed-Motive Games" (NeurIPS 2024, arXiv 2410.07863). Each learning
agent ``i`` owns four parts (§4 of the paper; sizes and defaults from the authors'
development code as summarised in the agents spec §2):

1. a **policy** (actor-critic) trained by A2C on its *post-gift* reward;
2. a **social-relationship critic** ``Q_i(o_i, a)`` over its own observation and the
   one-hot *joint* action, learned SARSA-style on its own extrinsic reward:
   target ``r_i + gamma_sr * Q_i(o'_i, a')``;
3. a **perspective-taking module** ``PT_i(o_i, j)`` that imagines co-player ``j``'s
   observation; ``j``'s action distribution is inferred by applying agent ``i``'s *own*
   actor to the imagined observation (self-other modelling). The actor is the SR
   network's **SR policy** head ``pi_mu``, trained on ``i``'s own extrinsic reward (the
   dev code's ``ACself`` actor; loss ``-log pi_mu(a_i | o_i) * delta_SARSA``), not the
   gift-trained policy that acts (``pt_lens="policy"`` is that variant, kept as an
   ablation). PT loss, trained on the co-player's actual actions:
   ``(1 - delta) CE(pi_mu(PT_i(o_i, j)), a_j) + delta |PT_i(o_i, j) - o_i|_1``;
4. the **counterfactual social relationship**
   ``SR_ij = (Q_i(o_i, a) - E_{a'_j ~ pi^_j} Q_i(o_i, (a'_j, a_-j))) / range_a'_j Q_i``
   in ``[-1, 1]`` (:func:`agents.counterfactual.social_relationship`),

and gifts ``w_ij = max(SR_ij, 0)/(N - 1)`` of its reward to ``j`` (keeping
``w_ii = 1 - sum_j w_ij``) at every step: zero-sum, applied with
:func:`socialenvs.wrappers.rewards.gift_rewards`, the same function the gifting wrapper
uses. ``perspective_taking=False`` is the paper's "LASE w/o" ablation: ``pi^_j`` is
agent ``i``'s actor applied to ``j``'s *true* observation.

Baselines (same networks, same A2C update, same rollouts; only the reward differs):

* ``selfish`` -- A2C on the extrinsic reward (``w = I``);
* ``fixed_gifting`` -- every agent gives a fixed share ``fixed_gift`` of its reward to
  each co-player (default ``1/N``: the fully shared "prosocial" reward; LASE's "GO"
  control is gifting without the learned relationship, exact definition unconfirmed);
* ``random_gifting`` -- random row-normalised gift weights each step (dev-code
  ``random`` mode);
* ``inequity_aversion`` -- Hughes et al. 2018 utility on smoothed rewards
  (:func:`socialenvs.wrappers.rewards.inequity_aversion_rewards`);
* ``social_influence`` -- Jaques et al. 2019 with a model of other agents (MOA): agent
  ``k`` learns ``p(a_j^{t+1} | o_k^t, a_k^t)`` and gets ``si_weight`` times the causal
  influence ``sum_j KL[p(a_j | a_k) || sum_a'_k pi_k(a'_k) p(a_j | a'_k)]``
  (:func:`agents.counterfactual.influence_kl`, the same primitive as LASE's SR).

Choices where the sources are silent (documented in ``docs/lase.md``): feed-forward
networks (the dev code has an LSTM; our envs' observations carry what the IPD needs),
on-policy training of the SR critic and the PT module on each rollout instead of a
5000-episode replay buffer, the PT module's co-player cross-entropy on every step (the
dev code restricts it to steps where ``j`` is in view), SARSA samples whose next joint
action falls outside the rollout are dropped, and the episode end is terminal for the
SR critic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents.actor_critic import ActorCriticPolicy
from agents.counterfactual import influence_kl, joint_action_alternatives, social_relationship
from agents.networks import NetworkConfig, layer_init, make_encoder
from agents.policy import Policy, PolicyStep, State
from socialenvs.core.config import check_choice, check_range
from socialenvs.wrappers.rewards import gift_rewards, inequity_aversion_rewards

METHODS = (
    "lase",
    "selfish",
    "fixed_gifting",
    "random_gifting",
    "inequity_aversion",
    "social_influence",
)

PT_LENSES = ("sr_policy", "policy")


@dataclass
class LASEConfig:
    """Settings of LASE and the baselines (defaults: LASE dev code, see the agents spec §2.6)."""

    method: str = "lase"
    """One of ``METHODS``."""
    perspective_taking: bool = True
    """LASE: infer co-players' policies through imagined observations (False: "LASE w/o")."""
    pt_lens: str = "sr_policy"
    """Whose actor infers a co-player's policy from its (imagined) observation:
    ``sr_policy`` (the SR network's actor, trained on the own extrinsic reward, as the
    LASE dev code's ``ACself``) or ``policy`` (the acting, gift-trained policy; an
    ablation that breaks symmetry in the IPD, see ``docs/lase.md``)."""
    gamma: float = 0.98
    """Discount of the policy's returns."""
    gae_lambda: float = 1.0
    """GAE lambda of the policy update (1: n-step returns over the episode, as the dev code)."""
    lr_policy: float = 1e-4
    """Adam learning rate of the actor-critic."""
    lr_sr: float = 5e-5
    """Adam learning rate of the SR critic (and of the MOA model for social influence)."""
    lr_pt: float = 3e-5
    """Adam learning rate of the perspective-taking module."""
    sr_gamma: float = 0.99
    """Discount of the SARSA SR critic."""
    pt_delta: float = 0.1
    """Weight of the imagined-observation L1 term in the PT loss."""
    value_coef: float = 0.5
    """Critic loss weight of the A2C update."""
    entropy_coef: float = 0.01
    """Entropy bonus of the A2C update."""
    max_grad_norm: float = 1.0
    """Gradient clipping of every update."""
    normalize_advantages: bool = True
    """Standardise advantages per update."""
    aux_updates: int = 1
    """Gradient steps of the SR critic / PT module / MOA model per rollout."""
    sr_hidden: int = 64
    """Hidden width of the SR critic head, the PT module and the MOA model."""
    epsilon_start: float = 0.5
    """Epsilon-greedy exploration at the start (dev code)."""
    epsilon_end: float = 0.05
    """Epsilon after ``epsilon_episodes`` episodes."""
    epsilon_episodes: int = 2000
    """Episodes (per env copy) over which epsilon decays linearly."""
    fixed_gift: float | None = None
    """``fixed_gifting``: share of reward given to each co-player (None: 1/N)."""
    ia_alpha: float = 0.0
    """``inequity_aversion``: disadvantageous-inequity weight (LIO's IA baseline: 0)."""
    ia_beta: float = 0.05
    """``inequity_aversion``: advantageous-inequity weight."""
    ia_gamma: float = 0.99
    """``inequity_aversion``: smoothing ``gamma`` (smoothing factor gamma * lam)."""
    ia_lam: float = 0.95
    """``inequity_aversion``: smoothing ``lam`` (LIO config's 0.95)."""
    si_weight: float = 1.0
    """``social_influence``: weight of the influence reward (SSD Cleanup script: 1.0)."""
    network: NetworkConfig = field(default_factory=NetworkConfig)
    """Encoder sizes of the policy, SR critic and MOA (the core must be ``none``)."""

    def __post_init__(self) -> None:
        check_choice("method", self.method, METHODS)
        check_choice("pt_lens", self.pt_lens, PT_LENSES)
        for name in ("gamma", "gae_lambda", "sr_gamma", "pt_delta", "ia_gamma", "ia_lam"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        for name in ("epsilon_start", "epsilon_end"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        for name in ("lr_policy", "lr_sr", "lr_pt"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be > 0")
        if self.aux_updates < 0:
            raise ValueError(f"aux_updates={self.aux_updates!r} must be >= 0")
        if self.fixed_gift is not None:
            check_range("fixed_gift", self.fixed_gift, 0.0, 1.0)
        if isinstance(self.network, dict):
            self.network = NetworkConfig(**self.network)
        if self.network.core != "none":
            raise ValueError(
                f"network.core={self.network.core!r} is not supported by LASE; allowed: 'none'"
            )


# ----------------------------------------------------------------------------- modules


class JointActionCritic(nn.Module):
    """The SR network: ``Q_i(o_i, a)`` over the own observation and the one-hot joint
    action, and an **SR policy** head ``pi_mu(a_i | o_i)`` on the same encoder.

    The SR policy is the lens of perspective taking (co-player ``j``'s policy is
    ``pi_mu(. | o^_j)``). It is trained on agent ``i``'s *own extrinsic* reward (LASE dev
    code's ``ACself`` network: one encoder, a critic head over the joint action and an
    actor head over the observation), so it models "what I would do if I were only
    self-interested", not the gift-shaped policy that acts.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_agents: int,
        num_actions: int,
        config: NetworkConfig,
        hidden: int = 64,
    ):
        super().__init__()
        self.num_agents, self.num_actions = num_agents, num_actions
        self.encoder = make_encoder(obs_space, config)
        self.head = nn.Sequential(
            layer_init(nn.Linear(self.encoder.output_size + num_agents * num_actions, hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(hidden, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(self.encoder.output_size, hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(hidden, num_actions), std=0.01),
        )

    def policy_logits(self, obs: torch.Tensor) -> torch.Tensor:
        """Logits ``[M, A]`` of the SR policy ``pi_mu(. | obs)``."""
        return self.actor(self.encoder(obs))

    def forward(self, obs: torch.Tensor, joint_action: torch.Tensor) -> torch.Tensor:
        """Q of ``[M, *obs]`` and joint actions ``int64[M, N]`` or ``[M, K, N]`` (K per obs)."""
        feats = self.encoder(obs)
        onehot = F.one_hot(joint_action, self.num_actions).flatten(-2).float()
        if joint_action.dim() == 3:
            feats = feats.unsqueeze(1).expand(-1, joint_action.shape[1], -1)
        return self.head(torch.cat([feats, onehot], dim=-1)).squeeze(-1)


class PerspectiveTaking(nn.Module):
    """Imagines co-player ``j``'s observation from one's own: ``PT(o_i, onehot(j))``.

    Works on the flattened observation scaled to [0, 1] (a grid view ``H x W x C``
    included) and returns an observation in the space's own units (sigmoid x high).
    """

    def __init__(self, obs_space: gymnasium.spaces.Box, num_agents: int, hidden: int = 128):
        super().__init__()
        self.shape = tuple(obs_space.shape)
        self.dim = int(np.prod(self.shape))
        high = float(np.max(obs_space.high))
        self.scale = high if np.isfinite(high) and high > 0 else 1.0
        self.num_agents = num_agents
        self.net = nn.Sequential(
            layer_init(nn.Linear(self.dim + num_agents, hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(hidden, hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(hidden, self.dim), std=0.1),
        )

    def normalise(self, obs: torch.Tensor) -> torch.Tensor:
        return obs.reshape(obs.shape[0], -1).float() / self.scale

    def forward(self, obs: torch.Tensor, coplayer: int) -> torch.Tensor:
        x = self.normalise(obs)
        who = F.one_hot(torch.full((x.shape[0],), coplayer), self.num_agents).float()
        out = torch.sigmoid(self.net(torch.cat([x, who], dim=-1)))
        return (out * self.scale).reshape(obs.shape[0], *self.shape)


class OtherAgentsModel(nn.Module):
    """MOA (Jaques et al. 2019, §2.3): ``p(a_j^{t+1} | o_k^t, a_k^t)`` for every agent ``j``."""

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_agents: int,
        num_actions: int,
        config: NetworkConfig,
        hidden: int = 64,
    ):
        super().__init__()
        self.num_agents, self.num_actions = num_agents, num_actions
        self.encoder = make_encoder(obs_space, config)
        self.head = nn.Sequential(
            layer_init(nn.Linear(self.encoder.output_size + num_actions, hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(hidden, num_agents * num_actions), std=0.01),
        )

    def forward(self, obs: torch.Tensor, own_action: torch.Tensor) -> torch.Tensor:
        """Logits ``[M, N, A]`` (``own_action [M]``) or ``[M, K, N, A]`` (``[M, K]``)."""
        feats = self.encoder(obs)
        onehot = F.one_hot(own_action, self.num_actions).float()
        if own_action.dim() == 2:
            feats = feats.unsqueeze(1).expand(-1, own_action.shape[1], -1)
        out = self.head(torch.cat([feats, onehot], dim=-1))
        return out.reshape(*out.shape[:-1], self.num_agents, self.num_actions)


class EpsilonGreedy(Policy):
    """An :class:`ActorCriticPolicy` that plays a uniformly random action w.p. ``epsilon``."""

    def __init__(self, inner: ActorCriticPolicy, num_actions: int, epsilon: float = 0.0):
        self.inner, self.num_actions, self.epsilon = inner, num_actions, epsilon
        self.name = inner.name

    def act(
        self,
        obs: np.ndarray,
        state: State = (),
        *,
        deterministic: bool = False,
        rng: np.random.Generator | None = None,
        **kwargs: Any,
    ) -> PolicyStep:
        out = self.inner.act(obs, state, deterministic=deterministic, rng=rng)
        if not deterministic and self.epsilon > 0:
            rng = rng or np.random.default_rng()
            explore = rng.random(len(obs)) < self.epsilon
            out.actions = np.where(
                explore, rng.integers(0, self.num_actions, len(obs)), out.actions
            )
        return out

    def value(self, obs: np.ndarray, state: State = (), **kwargs: Any) -> np.ndarray:
        return self.inner.value(obs, state)


def lase_gift_weights(sr: torch.Tensor) -> torch.Tensor:
    """Gift weights from social relationships ``sr [..., N, N]`` (row i: i's view of j).

    ``w_ij = max(SR_ij, 0) / (N - 1)`` for ``j != i`` and ``w_ii = 1 - sum_{j != i} w_ij``
    (Kong et al. 2024, §4.3): every row sums to one and all weights are >= 0.
    """
    n = sr.shape[-1]
    eye = torch.eye(n, dtype=torch.bool)
    gifts = torch.where(eye, torch.zeros_like(sr), sr.clamp_min(0.0) / max(n - 1, 1))
    return gifts + torch.diag_embed(1.0 - gifts.sum(-1))


# ----------------------------------------------------------------------------- learner


class SocialLearner:
    """Independent learners on seats ``seats`` of an ``N``-agent env with one method.

    Args:
        obs_space: the single-agent observation space.
        num_actions: size of the ``Discrete`` action space.
        num_agents: ``N``.
        seats: the seats this learner controls (default all); other seats are played by
            co-players given to the collector, whose gift rows stay the identity.
        config: :class:`LASEConfig`.
        seed: seeds torch's parameter initialisation and the random gift weights.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        num_agents: int,
        seats: list[int] | None = None,
        config: LASEConfig | None = None,
        seed: int = 0,
    ):
        self.config = cfg = config or LASEConfig()
        self.num_agents, self.num_actions = int(num_agents), int(num_actions)
        self.seats = list(range(num_agents) if seats is None else seats)
        bad = [s for s in self.seats if not 0 <= s < num_agents]
        if bad or len(set(self.seats)) != len(self.seats):
            raise ValueError(
                f"seats={self.seats!r} must be distinct indices in 0..{num_agents - 1}"
            )
        torch.manual_seed(seed)
        self.gen = torch.Generator().manual_seed(seed + 1)
        N, A = self.num_agents, self.num_actions
        self.policies: dict[int, EpsilonGreedy] = {}
        self.opt_policy, self.sr_critic, self.opt_sr = {}, {}, {}
        self.pt, self.opt_pt, self.moa, self.opt_moa = {}, {}, {}, {}
        for i in self.seats:
            inner = ActorCriticPolicy(obs_space, A, cfg.network, name=f"{cfg.method}_{i}")
            self.policies[i] = EpsilonGreedy(inner, A, cfg.epsilon_start)
            self.opt_policy[i] = torch.optim.Adam(inner.net.parameters(), lr=cfg.lr_policy)
            if cfg.method == "lase":
                self.sr_critic[i] = JointActionCritic(obs_space, N, A, cfg.network, cfg.sr_hidden)
                self.opt_sr[i] = torch.optim.Adam(self.sr_critic[i].parameters(), lr=cfg.lr_sr)
                if cfg.perspective_taking:
                    self.pt[i] = PerspectiveTaking(obs_space, N, 2 * cfg.sr_hidden)
                    self.opt_pt[i] = torch.optim.Adam(self.pt[i].parameters(), lr=cfg.lr_pt)
            if cfg.method == "social_influence":
                self.moa[i] = OtherAgentsModel(obs_space, N, A, cfg.network, cfg.sr_hidden)
                self.opt_moa[i] = torch.optim.Adam(self.moa[i].parameters(), lr=cfg.lr_sr)
        self.ia_smoothed: np.ndarray | None = None
        self.episodes_seen = 0

    # ------------------------------------------------------------------ helpers
    def set_episodes(self, episodes: int) -> None:
        """Anneal epsilon linearly with the number of episodes per env copy seen so far."""
        cfg = self.config
        frac = min(1.0, episodes / max(cfg.epsilon_episodes, 1))
        eps = cfg.epsilon_start + frac * (cfg.epsilon_end - cfg.epsilon_start)
        for p in self.policies.values():
            p.epsilon = eps

    def _actor_probs(self, i: int, obs: torch.Tensor) -> torch.Tensor:
        logits, _, _ = self.policies[i].inner.net.step(obs, ())
        return F.softmax(logits, dim=-1)

    def _lens_logits(self, i: int, obs: torch.Tensor) -> torch.Tensor:
        """Logits of the actor agent ``i`` puts itself in others' shoes with."""
        if self.config.pt_lens == "sr_policy":
            return self.sr_critic[i].policy_logits(obs)
        logits, _, _ = self.policies[i].inner.net.step(obs, ())
        return logits

    def _lens_modules(self, i: int) -> list[nn.Module]:
        if self.config.pt_lens == "sr_policy":
            return [self.sr_critic[i]]
        return [self.policies[i].inner.net]

    def predicted_policy(
        self, i: int, j: int, obs: torch.Tensor, obs_j: torch.Tensor
    ) -> torch.Tensor:
        """Agent i's inferred action distribution of co-player j (``[M, A]``, no grad).

        The lens (``pt_lens``) applied to the imagined observation ``PT_i(o_i, j)``, or to
        ``j``'s true observation ``obs_j`` without perspective taking ("LASE w/o").
        """
        with torch.no_grad():
            seen = self.pt[i](obs, j) if self.config.perspective_taking else obs_j
            return F.softmax(self._lens_logits(i, seen), dim=-1)

    def social_relationships(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``SR [M, N, N]`` of the LASE seats (row i, column j; zero elsewhere).

        ``obs [M, N, ...]`` and joint ``actions int64[M, N]`` of ``M`` steps.
        """
        M, N, A = actions.shape[0], self.num_agents, self.num_actions
        sr = torch.zeros(M, N, N)
        with torch.no_grad():
            for i in self.sr_critic:
                for j in range(N):
                    if j == i:
                        continue
                    alt = joint_action_alternatives(actions, j, A)  # [M, A, N]
                    q_alt = self.sr_critic[i](obs[:, i], alt)  # [M, A]
                    probs = self.predicted_policy(i, j, obs[:, i], obs[:, j])
                    sr[:, i, j] = social_relationship(q_alt, actions[:, j], probs)
        return sr

    # ------------------------------------------------------------------ auxiliary updates
    def _step(self, opt: torch.optim.Optimizer, loss: torch.Tensor, params) -> None:
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, self.config.max_grad_norm)
        opt.step()

    def _update_sr_critic(self, obs, actions, rewards, next_ok, episode_end, T, B) -> dict:
        """SARSA on each LASE seat's extrinsic reward over ``[T*B]`` samples.

        The SR policy head learns by actor-critic on the same samples: loss
        ``-log pi_mu(a_i | o_i) * delta`` with the SARSA TD error
        ``delta = r_i + gamma_sr Q(o', a') - Q(o, a)`` (detached), added to
        ``value_coef`` x the critic's squared error (LASE dev code's ``ACself`` loss).
        """
        cfg, stats = self.config, {}
        # The next sample of step (t, b) is (t + 1, b), valid inside the episode and the
        # rollout; an episode end bootstraps 0; a rollout end inside an episode is dropped.
        nxt = torch.arange(T * B) + B
        valid_next = next_ok.reshape(-1)
        use = valid_next | episode_end.reshape(-1)
        for i, critic in self.sr_critic.items():
            for _ in range(cfg.aux_updates):
                with torch.no_grad():
                    q_next = torch.zeros(T * B)
                    idx = torch.nonzero(valid_next).squeeze(-1)
                    if idx.numel():
                        q_next[idx] = critic(obs[nxt[idx], i], actions[nxt[idx]])
                    target = rewards[:, i] + cfg.sr_gamma * q_next
                q = critic(obs[:, i], actions)
                critic_loss = F.mse_loss(q[use], target[use])
                logp = F.log_softmax(critic.policy_logits(obs[use, i]), dim=-1)
                chosen = logp.gather(-1, actions[use, i].unsqueeze(-1)).squeeze(-1)
                actor_loss = -(chosen * (target[use] - q[use]).detach()).mean()
                loss = actor_loss + cfg.value_coef * critic_loss
                self._step(self.opt_sr[i], loss, critic.parameters())
            stats[f"sr_critic_loss_{i}"] = float(critic_loss.detach())
            stats[f"sr_policy_loss_{i}"] = float(actor_loss.detach())
        return stats

    def _update_pt(self, obs: torch.Tensor, actions: torch.Tensor) -> dict:
        cfg, stats = self.config, {}
        for i, pt in self.pt.items():
            for _ in range(cfg.aux_updates):
                loss = torch.zeros(())
                for j in range(self.num_agents):
                    if j == i:
                        continue
                    imagined = pt(obs[:, i], j)
                    ce = F.cross_entropy(self._lens_logits(i, imagined), actions[:, j])
                    l1 = (pt.normalise(imagined) - pt.normalise(obs[:, i])).abs().sum(-1).mean()
                    loss = loss + (1 - cfg.pt_delta) * ce + cfg.pt_delta * l1
                self._step(self.opt_pt[i], loss, pt.parameters())
                for lens in self._lens_modules(i):  # the lens is not trained by this loss
                    lens.zero_grad(set_to_none=True)
            stats[f"pt_loss_{i}"] = float(loss.detach())
        return stats

    def _influence_rewards(self, obs, actions, next_ok, T: int, B: int) -> tuple[np.ndarray, dict]:
        """Train the MOA models and return the influence rewards ``[T*B, N]``."""
        cfg, N, A = self.config, self.num_agents, self.num_actions
        infl = np.zeros((T * B, N), dtype=np.float32)
        nxt = torch.arange(T * B) + B
        idx = torch.nonzero(next_ok.reshape(-1)).squeeze(-1)
        stats = {}
        others_mask = torch.ones(N, dtype=torch.bool)
        for k, moa in self.moa.items():
            mask = others_mask.clone()
            mask[k] = False
            for _ in range(cfg.aux_updates):
                if idx.numel() == 0:
                    break
                logits = moa(obs[idx, k], actions[idx, k])[:, mask]  # [m, N-1, A]
                target = actions[nxt[idx]][:, mask]
                loss = F.cross_entropy(logits.reshape(-1, A), target.reshape(-1))
                self._step(self.opt_moa[k], loss, moa.parameters())
                stats[f"moa_loss_{k}"] = float(loss.detach())
            with torch.no_grad():
                alt = torch.arange(A).expand(T * B, A)
                cond = moa(obs[:, k], alt)  # [M, A_k, N, A_j]
                pk = self._actor_probs(k, obs[:, k])
                total = torch.zeros(T * B)
                for j in range(N):
                    if j != k:
                        total += influence_kl(cond[:, :, j], actions[:, k], pk)
            infl[:, k] = total.numpy()
        return infl, stats

    # ------------------------------------------------------------------ main update
    def gift_weights(
        self, obs: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Gift weights ``[M, N, N]`` of the method (identity rows for non-learner seats)."""
        cfg, N = self.config, self.num_agents
        M = actions.shape[0]
        w = torch.eye(N).expand(M, N, N).clone()
        sr = None
        if cfg.method == "lase":
            sr = self.social_relationships(obs, actions)
            lw = lase_gift_weights(sr)
            for i in self.seats:
                w[:, i] = lw[:, i]
        elif cfg.method == "fixed_gifting":
            share = 1.0 / N if cfg.fixed_gift is None else cfg.fixed_gift
            if share * (N - 1) > 1.0 + 1e-9:
                raise ValueError(f"fixed_gift={share!r} gives away more than everything with N={N}")
            row = torch.full((N,), share)
            for i in self.seats:
                w[:, i] = row
                w[:, i, i] = 1.0 - share * (N - 1)
        elif cfg.method == "random_gifting":
            rnd = torch.rand(M, N, N, generator=self.gen)
            rnd = rnd / rnd.sum(-1, keepdim=True)
            for i in self.seats:
                w[:, i] = rnd[:, i]
        return w, sr

    def update(self, ro) -> dict[str, Any]:
        """One update of every seat from a :class:`training.rollout.Rollout`.

        Returns statistics: mean gift weights ``gift_weights [N, N]`` over the rollout,
        mean ``social_relationship [N, N]`` (LASE), losses, and the training rewards.
        """
        cfg = self.config
        T, B, N = ro.actions.shape
        M = T * B
        obs = torch.from_numpy(np.ascontiguousarray(ro.obs.reshape(M, N, *ro.obs.shape[3:])))
        if not obs.is_floating_point():
            obs = obs.float()
        actions = torch.from_numpy(ro.actions.reshape(M, N))
        rewards = ro.rewards.reshape(M, N)
        dones_any = ro.dones.any(axis=-1)  # [T, B]
        next_ok = torch.from_numpy(np.concatenate([~dones_any[:-1], np.zeros((1, B), bool)]))
        stats: dict[str, Any] = {}

        if cfg.method == "lase":
            stats.update(
                self._update_sr_critic(
                    obs,
                    actions,
                    torch.from_numpy(rewards),
                    next_ok,
                    torch.from_numpy(dones_any),
                    T,
                    B,
                )
            )
            if cfg.perspective_taking:
                stats.update(self._update_pt(obs, actions))

        w, sr = self.gift_weights(obs, actions)
        train_rewards = gift_rewards(rewards, w.numpy())
        if cfg.method == "inequity_aversion":
            train_rewards = self._inequity_aversion(ro.rewards, ro.episode_start).reshape(M, N)
        elif cfg.method == "social_influence":
            infl, s = self._influence_rewards(obs, actions, next_ok, T, B)
            stats.update(s)
            stats["influence_reward"] = infl.mean(0)
            train_rewards = rewards + cfg.si_weight * infl
        train_rewards = train_rewards.reshape(T, B, N)

        for i in self.seats:
            stats.update(
                self._update_policy(
                    i,
                    obs[:, i],
                    actions[:, i],
                    train_rewards[..., i],
                    ro.values[..., i],
                    ro.next_values[..., i],
                    ro.dones[..., i],
                )
            )
        stats["gift_weights"] = w.mean(0).numpy()
        if sr is not None:
            stats["social_relationship"] = sr.mean(0).numpy()
        stats["train_reward"] = train_rewards.mean(axis=(0, 1))
        stats["extrinsic_reward"] = ro.rewards.mean(axis=(0, 1))
        return stats

    def _inequity_aversion(self, rewards: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        cfg = self.config
        T, B, N = rewards.shape
        if self.ia_smoothed is None or self.ia_smoothed.shape != (B, N):
            self.ia_smoothed = np.zeros((B, N))
        out = np.empty_like(rewards)
        for t in range(T):
            self.ia_smoothed[episode_start[t].any(-1)] = 0.0
            out[t], self.ia_smoothed = inequity_aversion_rewards(
                rewards[t], self.ia_smoothed, cfg.ia_alpha, cfg.ia_beta, cfg.ia_gamma, cfg.ia_lam
            )
        # only learner seats use the shaped reward; co-players are not trained anyway
        return out

    def _update_policy(self, i, obs, actions, rewards, values, next_values, dones) -> dict:
        """A2C step of seat ``i`` (advantages from :func:`training.gae.gae`)."""
        from training.gae import gae

        cfg = self.config
        adv, ret = gae(rewards, values, next_values, dones, cfg.gamma, cfg.gae_lambda)
        adv_t = torch.from_numpy(adv.reshape(-1))
        ret_t = torch.from_numpy(ret.reshape(-1))
        if cfg.normalize_advantages and adv_t.numel() > 1:
            adv_t = (adv_t - adv_t.mean()) / (adv_t.std() + 1e-8)
        net = self.policies[i].inner.net
        logits, v, _ = net.step(obs, ())
        logp = F.log_softmax(logits, -1)
        chosen = logp.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        entropy = -(logp.exp() * logp).sum(-1).mean()
        pg = -(chosen * adv_t).mean()
        vf = F.mse_loss(v, ret_t)
        loss = pg + cfg.value_coef * vf - cfg.entropy_coef * entropy
        self._step(self.opt_policy[i], loss, net.parameters())
        return {
            f"pg_loss_{i}": float(pg.detach()),
            f"value_loss_{i}": float(vf.detach()),
            f"entropy_{i}": float(entropy.detach()),
        }

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"config": self.config, "seats": self.seats}
        for name in ("sr_critic", "pt", "moa"):
            out[name] = {i: m.state_dict() for i, m in getattr(self, name).items()}
        out["policy"] = {i: p.inner.net.state_dict() for i, p in self.policies.items()}
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in ("sr_critic", "pt", "moa"):
            for i, sd in state[name].items():
                getattr(self, name)[i].load_state_dict(sd)
        for i, sd in state["policy"].items():
            self.policies[i].inner.net.load_state_dict(sd)
