"""A :class:`~agents.networks.ActorCritic` network behind the :class:`~agents.policy.Policy`
interface: what PPO trains, what frozen co-players and previous generations run."""

from __future__ import annotations

import copy

import gymnasium
import numpy as np
import torch

from agents.networks import ActorCritic, NetworkConfig
from agents.policy import Policy, PolicyStep, State


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x))


class ActorCriticPolicy(Policy):
    """Categorical policy from an actor-critic network.

    Args:
        obs_space: single-agent observation space.
        num_actions: size of the ``Discrete`` action space.
        config: network sizes and core.
        critic_space: input space of a centralised critic (``None``: decentralised).
        name: label for logs.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        critic_space: gymnasium.Space | None = None,
        name: str = "ppo",
    ):
        self.net = ActorCritic(obs_space, num_actions, config, critic_space)
        self.name = name
        self.recurrent = self.net.recurrent
        self.uses_critic_obs = self.net.centralised

    def initial_state(self, batch_size: int) -> State:
        return self.net.initial_state(batch_size)

    @torch.no_grad()
    def act(
        self,
        obs: np.ndarray,
        state: State = (),
        *,
        deterministic: bool = False,
        rng: np.random.Generator | None = None,
        critic_obs: np.ndarray | None = None,
    ) -> PolicyStep:
        cobs = None if critic_obs is None else _tensor(critic_obs)
        logits, values, state = self.net.step(_tensor(obs), state, cobs)
        log_p = torch.log_softmax(logits, dim=-1)
        if deterministic:
            actions = log_p.argmax(dim=-1)
        else:
            actions = torch.multinomial(log_p.exp(), 1).squeeze(-1)
        chosen = log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        return PolicyStep(actions.numpy(), chosen.numpy(), values.numpy(), state)

    @torch.no_grad()
    def value(
        self, obs: np.ndarray, state: State = (), critic_obs: np.ndarray | None = None
    ) -> np.ndarray:
        cobs = None if critic_obs is None else _tensor(critic_obs)
        _, values, _ = self.net.step(_tensor(obs), state, cobs)
        return values.numpy()

    def frozen(self, name: str | None = None) -> ActorCriticPolicy:
        """An independent copy that later training of this policy does not change."""
        other = copy.deepcopy(self)
        other.name = name or f"{self.name}_frozen"
        for p in other.net.parameters():
            p.requires_grad_(False)
        return other
