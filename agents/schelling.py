"""The Q-network of Sert et al. 2020's segregation agents, for ``schelling_v0``.

Sert, Bar-Yam & Morales 2020 (Sci. Rep. 10:11771), official code ``mind.py``: the
(2v+1)x(2v+1) own/other window goes through v unpadded 3x3 convolutions with 16 channels
and ReLU (11x11 -> 1x1 for v = 5), a global mean pool, the remaining-lifetime fraction is
appended (17 features) and one linear layer gives the 5 Q-values; Kaiming-normal
(fan-out) initialisation on that layer. One network per kind, shared by all agents of
the kind, both kinds initialised identically (``same=True`` in the code).

It plugs into the shared DQN: :func:`sert_q_policy` returns an :class:`agents.dqn.QPolicy`
whose ``net`` is this network, so :class:`agents.dqn.DQN` trains it unchanged.
"""

from __future__ import annotations

import gymnasium
import torch
from torch import nn

from agents.dqn import QPolicy


class SertQNetwork(nn.Module):
    """Q-values ``[M, 5]`` from ``schelling_v0`` learning-mode observations ``[M, D + 2]``.

    Args:
        view_radius: v, the window radius of the env (``D = (2v + 1)^2``).
        num_actions: 5 in the learning mode.
        channels: convolution channels (16 in the paper's code).
    """

    def __init__(self, view_radius: int = 5, num_actions: int = 5, channels: int = 16):
        super().__init__()
        if view_radius < 1:
            raise ValueError(f"view_radius={view_radius!r} must be >= 1")
        self.side = 2 * view_radius + 1
        layers: list[nn.Module] = []
        in_ch = 1
        for _ in range(view_radius):
            layers += [nn.Conv2d(in_ch, channels, 3), nn.ReLU()]
            in_ch = channels
        self.convs = nn.Sequential(*layers)
        self.out = nn.Linear(channels + 1, num_actions)
        nn.init.kaiming_normal_(self.out.weight, mode="fan_out", nonlinearity="relu")
        self.num_actions = num_actions

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        d = self.side * self.side
        window = obs[:, :d].reshape(-1, 1, self.side, self.side)
        features = self.convs(window).mean(dim=(-2, -1))
        lifetime = obs[:, d : d + 1]
        return self.out(torch.cat([features, lifetime], dim=1))


def sert_q_policy(
    obs_space: gymnasium.spaces.Box, view_radius: int, name: str = "sert_dqn"
) -> QPolicy:
    """A :class:`QPolicy` whose network is :class:`SertQNetwork`."""
    side = 2 * view_radius + 1
    if obs_space.shape != (side * side + 2,):
        raise ValueError(
            f"observation shape {obs_space.shape} does not match view_radius={view_radius} "
            f"(expected ({side * side + 2},))"
        )
    policy = QPolicy(obs_space, 5, head_sizes=(), name=name)
    policy.net = SertQNetwork(view_radius)
    return policy
