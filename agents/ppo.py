"""Proximal policy optimisation (Schulman et al. 2017, arXiv 1707.06347) on shared rollouts.

One :class:`PPO` learner owns one :class:`~agents.actor_critic.ActorCriticPolicy` and
updates it from a :class:`training.rollout.Rollout` on the slots that policy played
(``rollout.policy_ids == index``). Every multi-agent arrangement is a choice of policies
and slots, not a different algorithm:

* parameter sharing: one policy on every seat, one learner;
* independent learners: one policy and one learner per seat (each sees only its slots);
* centralised critic: build the policy with ``critic_space=joint_critic_space(...)``;
  the value head then reads every agent's observation (MAPPO-style; Yu et al. 2022,
  arXiv 2103.01955), the actor stays decentralised;
* populations: slots change owner at episode boundaries; each learner trains on the
  episodes it played.

Recurrent policies are trained on whole ``T``-step columns (one column per slot),
starting from the state the collector had at the rollout's start and resetting at
recorded episode starts, as in CleanRL's ``ppo_atari_lstm.py``; feed-forward policies
on shuffled single steps. The loss is the clipped surrogate, 0.5 x squared value error
and an entropy bonus; advantages are normalised per minibatch. Advantages come from
:func:`training.gae.gae` via ``rollout.compute_gae`` (computed once for all learners).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from agents.actor_critic import ActorCriticPolicy
from agents.policy import select_state

DIAGNOSTICS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_frac")


@dataclass
class PPOConfig:
    """PPO hyperparameters (defaults follow CleanRL's ``ppo.py``)."""

    lr: float = 2.5e-4
    """Adam learning rate."""
    anneal_lr: bool = True
    """Decay the learning rate linearly to 0 over the run."""
    num_steps: int = 128
    """Steps per env copy in each rollout."""
    epochs: int = 4
    """Passes over each rollout."""
    minibatches: int = 4
    """Minibatches per epoch."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE lambda."""
    clip_coef: float = 0.2
    """Surrogate clipping range."""
    ent_coef: float = 0.01
    """Entropy bonus weight."""
    vf_coef: float = 0.5
    """Value loss weight."""
    max_grad_norm: float = 0.5
    """Gradient clipping norm."""
    norm_adv: bool = True
    """Normalise advantages per minibatch."""
    centralised_critic: bool = False
    """Value head on every agent's observation of the copy (decentralised actor)."""

    def __post_init__(self) -> None:
        for name in ("lr", "num_steps", "epochs", "minibatches"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ppo.{name}={getattr(self, name)!r} must be > 0")
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ppo.{name}={getattr(self, name)!r} must lie in [0, 1]")
        for name in ("clip_coef", "ent_coef", "vf_coef", "max_grad_norm"):
            if getattr(self, name) < 0:
                raise ValueError(f"ppo.{name}={getattr(self, name)!r} must be >= 0")


class PPO:
    """PPO learner for one policy.

    Args:
        policy: the policy to train (its ``net`` parameters are optimised).
        config: hyperparameters.
        index: the policy's index in the collector's ``policies`` (which slots are its).
    """

    def __init__(self, policy: ActorCriticPolicy, config: PPOConfig, index: int = 0):
        self.policy = policy
        self.config = config
        self.index = index
        self.optimizer = torch.optim.Adam(policy.net.parameters(), lr=config.lr, eps=1e-5)

    def set_progress(self, fraction_done: float) -> None:
        """Anneal the learning rate given the fraction of training done."""
        if self.config.anneal_lr:
            lr = self.config.lr * max(1.0 - float(fraction_done), 0.0)
            for g in self.optimizer.param_groups:
                g["lr"] = lr

    def state_dict(self) -> dict:
        return {"net": self.policy.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.policy.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])

    # ------------------------------------------------------------------ update
    def _loss(self, logits, values, actions, old_logp, adv, returns, weight):
        cfg = self.config
        log_p = torch.log_softmax(logits, dim=-1)
        new_logp = log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        entropy = -(log_p.exp() * log_p).sum(-1)
        n = weight.sum().clamp_min(1.0)
        if cfg.norm_adv:
            mean = (adv * weight).sum() / n
            std = (((adv - mean) ** 2 * weight).sum() / n).sqrt()
            adv = (adv - mean) / (std + 1e-8)
        ratio = (new_logp - old_logp).exp()
        surrogate = torch.max(
            -adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
        )
        pg_loss = (surrogate * weight).sum() / n
        v_loss = 0.5 * (((values - returns) ** 2) * weight).sum() / n
        ent = (entropy * weight).sum() / n
        loss = pg_loss + cfg.vf_coef * v_loss - cfg.ent_coef * ent
        with torch.no_grad():
            approx_kl = (((ratio - 1) - (new_logp - old_logp)) * weight).sum() / n
            clipfrac = (((ratio - 1).abs() > cfg.clip_coef).float() * weight).sum() / n
            # diagnostics stay tensors; update() converts them once at the end
            diagnostics = torch.stack([pg_loss, v_loss, ent, approx_kl, clipfrac])
        return loss, diagnostics

    def _step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.net.parameters(), self.config.max_grad_norm)
        self.optimizer.step()

    def update(self, rollout) -> dict[str, float]:
        """Train on this policy's slots of ``rollout`` (GAE must already be computed).

        Returns:
            Mean losses and diagnostics over the minibatches (empty if the policy played
            no slot in this rollout).
        """
        if rollout.advantages is None:
            raise ValueError("call rollout.compute_gae(gamma, lam) before PPO.update")
        T, B, N = rollout.actions.shape
        mask = (rollout.policy_ids == self.index).reshape(T, B * N)
        if not mask.any():
            return {}
        net = self.policy.net
        cols = np.flatnonzero(mask.any(axis=0))

        def columns(x: np.ndarray | None) -> torch.Tensor | None:
            if x is None:
                return None
            x = x.reshape(T, B * N, *x.shape[3:])
            return torch.from_numpy(np.ascontiguousarray(x[:, cols] if cols.size < B * N else x))

        obs = columns(rollout.obs)
        cobs = columns(rollout.critic_obs) if self.policy.uses_critic_obs else None
        actions = columns(rollout.actions)
        old_logp = columns(rollout.log_probs)
        adv = columns(rollout.advantages)
        returns = columns(rollout.returns)
        starts = columns(rollout.episode_start)
        weight = torch.from_numpy(np.ascontiguousarray(mask[:, cols])).float()
        stats: list[torch.Tensor] = []
        cfg = self.config

        if self.policy.recurrent:
            init = select_state(rollout.initial_states[self.index], cols)
            C = cols.size
            mb = max(C // cfg.minibatches, 1)
            for _ in range(cfg.epochs):
                perm = torch.randperm(C)
                for s in range(0, C, mb):
                    j = perm[s : s + mb]
                    state = tuple(x.index_select(0, j) for x in init)
                    logits, values = net.sequence(
                        obs.index_select(1, j),
                        state,
                        starts.index_select(1, j),
                        None if cobs is None else cobs.index_select(1, j),
                    )
                    loss, st = self._loss(
                        logits,
                        values,
                        actions.index_select(1, j),
                        old_logp.index_select(1, j),
                        adv.index_select(1, j),
                        returns.index_select(1, j),
                        weight.index_select(1, j),
                    )
                    self._step(loss)
                    stats.append(st)
        else:
            flat = weight.reshape(-1) > 0
            every = bool(flat.all())  # e.g. a shared policy: no gather needed

            def entries(x):
                if x is None:
                    return None
                x = x.reshape(-1, *x.shape[2:])
                return x if every else x[flat]

            obs_f, cobs_f = entries(obs), entries(cobs)
            act_f, logp_f, adv_f, ret_f = (
                entries(actions),
                entries(old_logp),
                entries(adv),
                entries(returns),
            )
            M = act_f.shape[0]
            mb = max(M // cfg.minibatches, 1)
            ones = torch.ones(M)
            for _ in range(cfg.epochs):
                perm = torch.randperm(M)
                for s in range(0, M, mb):
                    j = perm[s : s + mb]
                    # index_select copies whole rows (memcpy); x[j] on a uint8 image
                    # batch goes element by element and was ~15x slower
                    logits, values, _ = net.step(
                        obs_f.index_select(0, j),
                        (),
                        None if cobs_f is None else cobs_f.index_select(0, j),
                    )
                    loss, st = self._loss(
                        logits,
                        values,
                        act_f[j],
                        logp_f[j],
                        adv_f[j],
                        ret_f[j],
                        ones[: j.numel()],
                    )
                    self._step(loss)
                    stats.append(st)
        means = torch.stack(stats).mean(0).tolist()
        out = dict(zip(DIAGNOSTICS, means))
        with torch.no_grad():
            v = rollout.values.reshape(T, B * N)[mask]
            r = rollout.returns.reshape(T, B * N)[mask]
            var = np.var(r)
            out["explained_variance"] = float(1 - np.var(r - v) / var) if var > 0 else float("nan")
        return out
