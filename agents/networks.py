"""Neural building blocks: observation encoders, recurrent cores, actor-critic and Q networks.

Encoders turn the observations of one agent slot into a feature vector:

* :class:`GridEncoder` -- a small CNN for egocentric grid views from 5x5 to 15x15, in
  either observation type of the grid envs: ``"rgb"`` (H x W x 3 uint8, scaled by 1/255)
  or ``"symbolic"`` (H x W x C uint8 one-hot layers, used as they are). Two 3x3
  convolutions (the SSD baselines use one 3x3 conv with 6 channels, Jaques et al. 2019
  §4; we use two small ones, the second strided on views of 7x7 or more, to keep the
  fully connected layer small) followed by one fully connected layer.
* :class:`MLPEncoder` -- for flat vector observations (matrix games, culture tasks).

:func:`make_encoder` picks one from the observation space. :class:`RecurrentCore` wraps
``nn.GRUCell`` / ``nn.LSTMCell`` (or nothing) behind one step/sequence API whose state is
a tuple of tensors ``[M, hidden]`` that is reset to zeros at episode starts.
:class:`ActorCritic` (encoder + core + policy and value heads, optionally a value head
on a centralised input) and :class:`QNetwork` (encoder + core-free MLP head) are what
PPO and DQN train; both are reusable by other learners.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from torch import nn

from socialenvs.core.config import check_choice

CORES = ("none", "gru", "lstm")


@dataclass
class NetworkConfig:
    """Sizes of the encoder, recurrent core and heads."""

    conv_channels: tuple[int, ...] = (8, 16)
    """Channels of the 3x3 convolutions of the grid encoder."""
    conv_strides: tuple[int, ...] = (2, 2)
    """Stride of each convolution (a 3x3 kernel with stride 2 still sees every cell).
    With the defaults a 15x15 view becomes 7x7x8 then 3x3x16: about 40k multiply-adds
    per observation, small enough for PPO on Harvest at tens of thousands of agent-steps
    per second on two CPU cores (``benchmarks/train_throughput.py``)."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Layer sizes of the MLP encoder for vector observations."""
    feature_size: int = 64
    """Width of the fully connected layer after the convolutions."""
    core: str = "none"
    """Recurrent core: ``none``, ``gru`` or ``lstm``."""
    core_size: int = 128
    """Hidden size of the recurrent core."""

    def __post_init__(self) -> None:
        check_choice("core", self.core, CORES)
        self.conv_channels = tuple(int(c) for c in self.conv_channels)
        self.conv_strides = tuple(int(c) for c in self.conv_strides)
        if len(self.conv_strides) < len(self.conv_channels) or min(self.conv_strides) < 1:
            raise ValueError(
                f"conv_strides={self.conv_strides!r} needs a positive stride per conv layer "
                f"(conv_channels={self.conv_channels!r})"
            )
        self.hidden_sizes = tuple(int(c) for c in self.hidden_sizes)
        for name in ("feature_size", "core_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be a positive integer")
        if not self.conv_channels or min(self.conv_channels) < 1:
            raise ValueError(f"conv_channels={self.conv_channels!r} must be positive integers")


def layer_init(layer: nn.Module, std: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Module:
    """Orthogonal weights and constant bias (the usual PPO initialisation, CleanRL style)."""
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def is_grid_space(space: gymnasium.Space) -> bool:
    """Whether ``space`` is an image-like ``H x W x C`` Box (a grid view)."""
    return isinstance(space, gymnasium.spaces.Box) and len(space.shape) == 3


class GridEncoder(nn.Module):
    """Small CNN for ``[M, H, W, C]`` grid views (uint8 ``rgb`` or ``symbolic``)."""

    def __init__(self, space: gymnasium.spaces.Box, config: NetworkConfig):
        super().__init__()
        H, W, C = space.shape
        if min(H, W) < 3:
            raise ValueError(f"grid views must be at least 3x3, got {H}x{W}")
        high = float(np.max(space.high))
        # rgb is 0..255; symbolic one-hot layers are already 0/1.
        self.scale = 1.0 / high if high > 1.0 else 1.0
        layers: list[nn.Module] = []
        in_ch, h = C, min(H, W)
        # Small views (5x5, 7x7) keep full resolution in every layer; larger ones use the
        # configured strides (decided on the view size, not per layer, so that a 15x15
        # view becomes 7x7 then 3x3 as documented in NetworkConfig.conv_strides).
        small_view = h < 9
        for ch, stride in zip(config.conv_channels, config.conv_strides):
            if h < 3:
                break
            if small_view:
                stride = 1
            layers += [layer_init(nn.Conv2d(in_ch, ch, 3, stride=stride)), nn.ReLU()]
            h = (h - 3) // stride + 1
            in_ch = ch
        self.conv = nn.Sequential(*layers, nn.Flatten())
        with torch.no_grad():
            n_flat = self.conv(torch.zeros(1, C, H, W)).shape[1]
        self.fc = nn.Sequential(layer_init(nn.Linear(n_flat, config.feature_size)), nn.ReLU())
        self.output_size = config.feature_size

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        # Convert and scale in the observation's own (channels-last) layout with one new
        # buffer, then view it as NCHW: same values and strides as permute-then-convert,
        # without a second large temporary.
        x = obs.float()
        if self.scale != 1.0:
            x = x.mul_(self.scale) if x is not obs else x * self.scale
        return self.fc(self.conv(x.permute(0, 3, 1, 2)))


class MLPEncoder(nn.Module):
    """MLP for flat ``[M, D]`` vector observations."""

    def __init__(self, space: gymnasium.spaces.Box, config: NetworkConfig):
        super().__init__()
        in_size = int(np.prod(space.shape))
        layers: list[nn.Module] = [nn.Flatten()]
        for size in config.hidden_sizes:
            layers += [layer_init(nn.Linear(in_size, size)), nn.Tanh()]
            in_size = size
        self.net = nn.Sequential(*layers)
        self.output_size = in_size

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs.float())


def make_encoder(space: gymnasium.Space, config: NetworkConfig) -> nn.Module:
    """A :class:`GridEncoder` for ``H x W x C`` boxes, an :class:`MLPEncoder` otherwise."""
    if not isinstance(space, gymnasium.spaces.Box):
        raise ValueError(f"observation space {space} is not supported; use a Box space")
    return GridEncoder(space, config) if is_grid_space(space) else MLPEncoder(space, config)


class RecurrentCore(nn.Module):
    """GRU / LSTM cell (or identity) with states reset to zeros at episode starts.

    The state is a tuple of ``[M, core_size]`` tensors: ``(h,)`` for a GRU, ``(h, c)`` for
    an LSTM, ``()`` without a core.
    """

    def __init__(self, input_size: int, config: NetworkConfig):
        super().__init__()
        self.kind = config.core
        self.hidden_size = config.core_size if self.kind != "none" else input_size
        if self.kind == "gru":
            self.cell: nn.Module | None = nn.GRUCell(input_size, config.core_size)
        elif self.kind == "lstm":
            self.cell = nn.LSTMCell(input_size, config.core_size)
        else:
            self.cell = None
        self.output_size = self.hidden_size

    @property
    def recurrent(self) -> bool:
        return self.cell is not None

    def initial_state(self, batch_size: int) -> tuple:
        if self.cell is None:
            return ()
        n = 2 if self.kind == "lstm" else 1
        return tuple(torch.zeros(batch_size, self.hidden_size) for _ in range(n))

    def step(self, x: torch.Tensor, state: tuple) -> tuple[torch.Tensor, tuple]:
        """One step for ``[M, input]`` features."""
        if self.cell is None:
            return x, ()
        if self.kind == "gru":
            h = self.cell(x, state[0])
            return h, (h,)
        h, c = self.cell(x, (state[0], state[1]))
        return h, (h, c)

    def sequence(
        self, x: torch.Tensor, state: tuple, episode_start: torch.Tensor
    ) -> tuple[torch.Tensor, tuple]:
        """Unroll over ``[T, M, input]`` features; state rows are zeroed where
        ``episode_start[t]`` (``bool[T, M]``) before step ``t``."""
        if self.cell is None:
            return x, ()
        outs = []
        for t in range(x.shape[0]):
            keep = (~episode_start[t]).float().unsqueeze(-1)
            state = tuple(s * keep for s in state)
            out, state = self.step(x[t], state)
            outs.append(out)
        return torch.stack(outs), state


class ActorCritic(nn.Module):
    """Encoder -> recurrent core -> categorical policy head and value head.

    With ``critic_space`` given the value head reads its own encoding of a centralised
    input (e.g. every agent's observation of the copy, see
    :func:`training.rollout.joint_critic_obs`) instead of the actor's features.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        critic_space: gymnasium.Space | None = None,
    ):
        super().__init__()
        self.config = config or NetworkConfig()
        self.obs_space = obs_space
        self.num_actions = int(num_actions)
        self.encoder = make_encoder(obs_space, self.config)
        self.core = RecurrentCore(self.encoder.output_size, self.config)
        self.actor = layer_init(nn.Linear(self.core.output_size, self.num_actions), std=0.01)
        self.centralised = critic_space is not None
        if critic_space is not None:
            self.critic_encoder: nn.Module | None = make_encoder(critic_space, self.config)
            critic_in = self.critic_encoder.output_size
        else:
            self.critic_encoder = None
            critic_in = self.core.output_size
        self.critic = layer_init(nn.Linear(critic_in, 1), std=1.0)

    @property
    def recurrent(self) -> bool:
        return self.core.recurrent

    def initial_state(self, batch_size: int) -> tuple:
        return self.core.initial_state(batch_size)

    def _value(self, features: torch.Tensor, critic_obs: torch.Tensor | None) -> torch.Tensor:
        if self.critic_encoder is not None:
            if critic_obs is None:
                raise ValueError("this network has a centralised critic: pass critic_obs")
            features = self.critic_encoder(critic_obs)
        return self.critic(features).squeeze(-1)

    def step(
        self, obs: torch.Tensor, state: tuple, critic_obs: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        """One step: ``(logits [M, A], values [M], next state)``."""
        features, state = self.core.step(self.encoder(obs), state)
        return self.actor(features), self._value(features, critic_obs), state

    def sequence(
        self,
        obs: torch.Tensor,
        state: tuple,
        episode_start: torch.Tensor,
        critic_obs: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``[T, M, A]`` and values ``[T, M]`` of ``[T, M, ...]`` observations."""
        T, M = obs.shape[:2]
        enc = self.encoder(obs.reshape(T * M, *obs.shape[2:])).reshape(T, M, -1)
        features, _ = self.core.sequence(enc, state, episode_start)
        flat = features.reshape(T * M, -1)
        cobs = None if critic_obs is None else critic_obs.reshape(T * M, *critic_obs.shape[2:])
        return self.actor(flat).reshape(T, M, -1), self._value(flat, cobs).reshape(T, M)


class QNetwork(nn.Module):
    """Encoder -> MLP -> one Q value per action (DQN; reusable by any value learner).

    Args:
        obs_space: the single-agent observation space.
        num_actions: size of the action space.
        config: encoder sizes (the core is ignored: Q networks here are feed-forward).
        head_sizes: hidden layers between the encoder and the Q values.
    """

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        head_sizes: tuple[int, ...] = (),
    ):
        super().__init__()
        self.config = config or NetworkConfig()
        self.encoder = make_encoder(obs_space, self.config)
        layers: list[nn.Module] = []
        size = self.encoder.output_size
        for h in head_sizes:
            layers += [layer_init(nn.Linear(size, h)), nn.ReLU()]
            size = h
        layers.append(layer_init(nn.Linear(size, int(num_actions)), std=1.0))
        self.head = nn.Sequential(*layers)
        self.num_actions = int(num_actions)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(obs))
