"""DQN options: TD loss choice, gradient clipping, config validation."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.dqn import DQN, DQNConfig, QPolicy
from training.config import make_config

SPACE = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
BATCH = {  # one terminal transition repeated: TD target 50, far above Huber's threshold of 1
    "obs": torch.zeros(8, 3),
    "actions": torch.zeros(8, dtype=torch.long),
    "rewards": torch.full((8,), 50.0),
    "next_obs": torch.zeros(8, 3),
    "terminated": torch.ones(8),
}


def _output_bias_step(**options) -> float:
    """How far one plain-SGD step moves Q(s, a=0)'s output bias."""
    torch.manual_seed(0)
    policy = QPolicy(SPACE, 2, head_sizes=())
    learner = DQN(policy, DQNConfig(**options))
    learner.optimizer = torch.optim.SGD(policy.net.parameters(), lr=1e-3)  # step = lr * grad
    bias = [p for p in policy.net.parameters() if p.ndim == 1][-1]
    before = bias.detach().clone()
    learner.learn(BATCH)
    return float((bias.detach() - before)[0])


def test_mse_pushes_with_the_td_error_and_huber_with_its_sign():
    huber = _output_bias_step(loss="huber", max_grad_norm=None)
    mse = _output_bias_step(loss="mse", max_grad_norm=None)
    assert huber == pytest.approx(1e-3, rel=1e-3)  # d/dq of mean smooth-L1 is -1 per unit
    assert mse == pytest.approx(1e-3 * 2 * 50, rel=0.1)  # 2 (target - q), q ~ 0 at init
    # Clamping every gradient element to [-1, 1] (Sert et al.'s code) caps the MSE step.
    clamped = _output_bias_step(loss="mse", max_grad_norm=None, grad_clip_value=1.0)
    assert clamped == pytest.approx(1e-3, rel=1e-6)


def test_bad_dqn_options_raise():
    with pytest.raises(ValueError, match="loss"):
        DQNConfig(loss="l1")
    with pytest.raises(ValueError, match="grad_clip_value"):
        DQNConfig(grad_clip_value=0.0)
    with pytest.raises(ValueError, match="max_grad_norm"):
        DQNConfig(max_grad_norm=-1.0)


def test_optional_fields_parse_from_the_command_line():
    sets = ["agent=dqn", "dqn.max_grad_norm=null", "dqn.grad_clip_value=1", "dqn.loss=mse"]
    cfg = make_config(sets=sets)
    assert cfg.dqn.max_grad_norm is None
    assert cfg.dqn.grad_clip_value == 1.0 and isinstance(cfg.dqn.grad_clip_value, float)
    assert cfg.dqn.loss == "mse"
    with pytest.raises(ValueError, match="grad_clip_value"):
        make_config(sets=["dqn.grad_clip_value=abc"])
