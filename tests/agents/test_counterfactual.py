import math

import numpy as np
import torch

from agents.counterfactual import (
    counterfactual_marginal,
    influence_kl,
    joint_action_alternatives,
    social_relationship,
)

# Prisoner's dilemma R, S, T, P = 4, 0, 5, 1 (LASE dev payoffs); actions 0 = C, 1 = D.
R, S, T, P = 4.0, 0.0, 5.0, 1.0
PAYOFF_0 = torch.tensor([[R, S], [T, P]])  # player 0's reward [a0, a1]


def test_joint_action_alternatives():
    ja = torch.tensor([[1, 0, 2], [0, 1, 1]])
    alt = joint_action_alternatives(ja, agent_idx=1, num_actions=3)
    assert alt.shape == (2, 3, 3)
    assert alt[0].tolist() == [[1, 0, 2], [1, 1, 2], [1, 2, 2]]
    assert alt[1, :, 1].tolist() == [0, 1, 2]
    assert (alt[1, :, [0, 2]] == torch.tensor([0, 1])).all()


def test_marginal_on_2x2_closed_form():
    """Agent 0's counterfactual over agent 1's action, with agent 1 cooperating w.p. p."""
    for p in (0.0, 0.3, 0.93, 1.0):
        probs = torch.tensor([[p, 1 - p]] * 4)
        a0 = torch.tensor([0, 0, 1, 1])
        a1 = torch.tensor([0, 1, 0, 1])
        joint = torch.stack([a0, a1], dim=-1)
        alt = joint_action_alternatives(joint, agent_idx=1, num_actions=2)
        q = PAYOFF_0[alt[..., 0], alt[..., 1]]  # [4, 2]: Q_0 with a1 replaced
        actual, marginal = counterfactual_marginal(q, a1, probs)
        torch.testing.assert_close(actual, torch.tensor([R, S, T, P]))
        expected = torch.tensor([p * R + (1 - p) * S] * 2 + [p * T + (1 - p) * P] * 2)
        torch.testing.assert_close(marginal, expected)
        # closed form: SR = 1 - p when 1 cooperated, -p when it defected (here both rows
        # have Q(., C) > Q(., D), range R - S = T - P = 4)
        sr = social_relationship(q, a1, probs)
        torch.testing.assert_close(sr, torch.tensor([1 - p, -p, 1 - p, -p]))


def test_social_relationship_sign_flips_when_defection_helps_me():
    # a game where agent 1 defecting is *good* for agent 0: SR of a defection is positive
    payoff = torch.tensor([[0.0, 2.0], [0.0, 2.0]])
    p = 0.25
    q = payoff[torch.tensor([0, 0])].reshape(2, 2)
    sr = social_relationship(q, torch.tensor([0, 1]), torch.tensor([[p, 1 - p]] * 2))
    torch.testing.assert_close(sr, torch.tensor([-(1 - p), p]))


def test_social_relationship_is_zero_when_coplayer_is_irrelevant_and_bounded():
    q = torch.tensor([[3.0, 3.0]])
    assert social_relationship(q, torch.tensor([1]), torch.tensor([[0.5, 0.5]])).item() == 0.0
    g = torch.Generator().manual_seed(0)
    q = torch.randn(1000, 5, generator=g) * 10
    probs = torch.softmax(torch.randn(1000, 5, generator=g), -1)
    sr = social_relationship(q, torch.randint(0, 5, (1000,), generator=g), probs)
    assert sr.min() >= -1 and sr.max() <= 1 and sr.abs().max() > 0.3


def test_influence_kl_closed_form_and_zero_when_independent():
    cond = torch.tensor([[0.9, 0.1], [0.2, 0.8]])  # p(a_j | a_k)
    pk = torch.tensor([0.5, 0.5])
    logits = cond.log().expand(2, 2, 2)
    kl = influence_kl(logits, torch.tensor([0, 1]), pk.expand(2, 2))
    m = [0.55, 0.45]
    exp0 = 0.9 * math.log(0.9 / m[0]) + 0.1 * math.log(0.1 / m[1])
    exp1 = 0.2 * math.log(0.2 / m[0]) + 0.8 * math.log(0.8 / m[1])
    np.testing.assert_allclose(kl.numpy(), [exp0, exp1], rtol=1e-5)
    same = torch.tensor([[0.3, 0.7], [0.3, 0.7]]).log()
    assert influence_kl(same, torch.tensor(1), pk).abs().item() < 1e-6
