"""Marginalise one agent's action under a predicted policy: the counterfactual primitive.

Two social-preference mechanisms ask the same question -- "how different is what
happened from what would happen on average had agent ``k`` acted according to its
(predicted) policy?":

* LASE's **social relationship** (Kong et al. 2024, §4.2): agent ``i`` compares its
  joint-action value ``Q_i(o_i, a)`` with the expectation over co-player ``j``'s action
  ``sum_{a'_j} pi_j(a'_j) Q_i(o_i, (a'_j, a_-j))``, normalised by the range of the
  counterfactual values so that ``SR_ij`` lies in ``[-1, 1]`` (a COMA-style baseline,
  Foerster et al. 2018, that marginalises one co-player only);
* **social influence** (Jaques et al. 2019, §2.1): influencer ``k`` compares agent ``j``'s
  action distribution given ``k``'s actual action, ``p(a_j | a_k)``, with the marginal
  ``sum_{a'_k} p(a'_k) p(a_j | a'_k)`` by a KL divergence.

Both are :func:`counterfactual_marginal` over a tensor whose axis ``dim`` enumerates the
marginalised agent's alternative actions. :func:`joint_action_alternatives` builds the
batch of joint actions that a joint-action critic is evaluated on to fill that axis.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def joint_action_alternatives(
    joint_action: torch.Tensor, agent_idx: int, num_actions: int
) -> torch.Tensor:
    """Every joint action obtained by replacing agent ``agent_idx``'s action.

    Args:
        joint_action: ``int64[..., N]`` the actual joint actions.
        agent_idx: the agent whose action is varied.
        num_actions: its number of actions ``A``.

    Returns:
        ``int64[..., A, N]``: row ``a`` is ``joint_action`` with entry ``agent_idx`` set to ``a``.
    """
    alt = (
        joint_action.unsqueeze(-2)
        .expand(*joint_action.shape[:-1], num_actions, joint_action.shape[-1])
        .clone()
    )
    alt[..., agent_idx] = torch.arange(num_actions, device=joint_action.device)
    return alt


def counterfactual_marginal(
    values: torch.Tensor,
    actual_action: torch.Tensor,
    policy_probs: torch.Tensor,
    dim: int = -1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The actual and the policy-averaged entry of ``values`` along the action axis ``dim``.

    Args:
        values: ``[..., A, ...]`` quantities indexed along ``dim`` by the marginalised
            agent's alternative actions (joint-action Q values, or another agent's
            action probabilities conditioned on each alternative).
        actual_action: ``int64[...]`` the action actually taken (batch shape of ``values``
            without ``dim`` and the trailing dims after it).
        policy_probs: ``[..., A]`` the (predicted) policy of the marginalised agent.
        dim: the action axis of ``values``.

    Returns:
        ``(actual, marginal)`` with the axis ``dim`` removed:
        ``values[..., a, ...]`` and ``sum_a' pi(a') values[..., a', ...]``.
    """
    dim = dim % values.dim()
    trailing = values.dim() - dim - 1
    probs = policy_probs.reshape(*policy_probs.shape, *([1] * trailing))
    marginal = (probs * values).sum(dim=dim)
    index = actual_action.reshape(*actual_action.shape, 1, *([1] * trailing))
    index = index.expand(*values.shape[:dim], 1, *values.shape[dim + 1 :])
    actual = values.gather(dim, index).squeeze(dim)
    return actual, marginal


def social_relationship(
    q_alternatives: torch.Tensor,
    actual_action: torch.Tensor,
    policy_probs: torch.Tensor,
    eps: float = 1e-8,
) -> torch.Tensor:
    """LASE's counterfactual social relationship, in ``[-1, 1]``.

    ``SR = (Q(a) - sum_a' pi(a') Q(a'_j, a_-j)) / (max_a' Q(a'_j, a_-j) - min_a' Q(a'_j, a_-j))``
    (Kong et al. 2024, §4.2); 0 where the counterfactual values do not depend on the
    co-player's action (zero range).

    Args:
        q_alternatives: ``[..., A]`` agent i's Q of the joint actions where co-player j's
            action is replaced by each alternative (:func:`joint_action_alternatives`).
        actual_action: ``int64[...]`` j's actual action.
        policy_probs: ``[..., A]`` predicted policy of j.
    """
    actual, marginal = counterfactual_marginal(q_alternatives, actual_action, policy_probs)
    spread = q_alternatives.amax(dim=-1) - q_alternatives.amin(dim=-1)
    sr = (actual - marginal) / spread.clamp_min(eps)
    return torch.where(spread > eps, sr, torch.zeros_like(sr)).clamp(-1.0, 1.0)


def influence_kl(
    conditional_logits: torch.Tensor,
    influencer_action: torch.Tensor,
    influencer_probs: torch.Tensor,
) -> torch.Tensor:
    """Jaques et al. 2019 causal influence of agent k on agent j (one pair).

    ``KL[ p(a_j | a_k) || sum_a'_k p(a'_k) p(a_j | a'_k) ]``.

    Args:
        conditional_logits: ``[..., A_k, A_j]`` logits of j's action given each of k's.
        influencer_action: ``int64[...]`` k's actual action.
        influencer_probs: ``[..., A_k]`` k's policy (the counterfactual distribution).

    Returns:
        ``[...]`` non-negative influence.
    """
    cond = F.softmax(conditional_logits, dim=-1)
    actual, marginal = counterfactual_marginal(cond, influencer_action, influencer_probs, dim=-2)
    actual = actual.clamp_min(1e-12)
    return (actual * (actual.log() - marginal.clamp_min(1e-12).log())).sum(-1)
