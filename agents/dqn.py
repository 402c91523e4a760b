"""Deep Q-learning: replay buffer, epsilon-greedy Q policy, double-DQN learner.

Mnih et al. 2015 (Nature 518, "Human-level control through deep reinforcement
learning"): experience replay and a target network; van Hasselt et al. 2016 (AAAI,
"Deep reinforcement learning with double Q-learning"): the online network picks the next
action, the target network values it. Target updates are hard copies every
``target_update_interval`` learner steps (``tau = 1``) or Polyak averaging
``target <- tau * online + (1 - tau) * target`` (``tau < 1``).

The pieces are separate so other value learners (Schelling movers, punishment agents,
partner selection) can reuse them: :class:`ReplayBuffer` stores any fixed-shape
transitions, :class:`~agents.networks.QNetwork` is any encoder plus Q head,
:class:`QPolicy` acts epsilon-greedily behind the :class:`~agents.policy.Policy`
interface, and :class:`DQN` does one gradient step from a sampled batch.

Bootstrapping uses ``terminated`` only: a truncated transition bootstraps from its final
observation (the collector records ``next_obs = final_obs`` at episode ends).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import gymnasium
import numpy as np
import torch
from torch import nn

from agents.networks import NetworkConfig, QNetwork
from agents.policy import Policy, PolicyStep, State
from socialenvs.core.config import check_choice


@dataclass
class DQNConfig:
    """DQN hyperparameters."""

    lr: float = 5e-4
    """Adam learning rate."""
    buffer_size: int = 50_000
    """Replay capacity in transitions."""
    batch_size: int = 128
    """Transitions per gradient step."""
    gamma: float = 0.99
    """Discount factor."""
    learning_starts: int = 1_000
    """Transitions in the buffer before learning starts."""
    num_steps: int = 4
    """Vector-env steps collected between learning phases."""
    gradient_steps: int = 1
    """Gradient steps per learning phase."""
    double: bool = True
    """Double DQN targets (online argmax, target value)."""
    target_update: str = "hard"
    """``hard`` (copy every ``target_update_interval`` gradient steps) or ``soft`` (Polyak ``tau``)."""
    target_update_interval: int = 250
    """Gradient steps between hard target copies."""
    tau: float = 0.005
    """Polyak coefficient for soft target updates."""
    eps_start: float = 1.0
    """Initial exploration rate."""
    eps_end: float = 0.05
    """Final exploration rate."""
    eps_fraction: float = 0.5
    """Fraction of the run over which epsilon decays linearly."""
    head_sizes: tuple[int, ...] = (64,)
    """Hidden layers of the Q head after the encoder."""
    max_grad_norm: float | None = 10.0
    """Gradient clipping norm (``None``: no norm clipping)."""
    grad_clip_value: float | None = None
    """Clamp every gradient element to ``[-v, v]`` (``None``: off), as Sert et al.'s code does."""
    loss: str = "huber"
    """TD loss: ``huber`` (smooth L1, as in Mnih et al. 2015's clipped error) or ``mse``."""

    def __post_init__(self) -> None:
        check_choice("dqn.target_update", self.target_update, ("hard", "soft"))
        check_choice("dqn.loss", self.loss, ("huber", "mse"))
        for name in ("max_grad_norm", "grad_clip_value"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"dqn.{name}={value!r} must be > 0 or None")
        self.head_sizes = tuple(int(h) for h in self.head_sizes)
        for name in (
            "lr",
            "buffer_size",
            "batch_size",
            "num_steps",
            "gradient_steps",
            "target_update_interval",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"dqn.{name}={getattr(self, name)!r} must be > 0")
        for name in ("gamma", "tau", "eps_start", "eps_end", "eps_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"dqn.{name}={getattr(self, name)!r} must lie in [0, 1]")
        if self.learning_starts < 0:
            raise ValueError(f"dqn.learning_starts={self.learning_starts!r} must be >= 0")


class ReplayBuffer:
    """Circular buffer of transitions ``(obs, action, reward, next_obs, terminated)``.

    Args:
        capacity: maximum number of transitions kept (oldest overwritten first).
        obs_shape: shape of one observation.
        obs_dtype: its dtype (``uint8`` grid views are stored as they are).
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype=np.float32):
        if capacity < 1:
            raise ValueError(f"capacity={capacity!r} must be >= 1")
        self.capacity = int(capacity)
        self.obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((self.capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.pos = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, actions, rewards, next_obs, terminated) -> None:
        """Add a batch of ``M`` transitions (leading dim ``M`` on every argument)."""
        n = len(actions)
        idx = (self.pos + np.arange(n)) % self.capacity
        self.obs[idx] = obs
        self.next_obs[idx] = next_obs
        self.actions[idx] = actions
        self.rewards[idx] = rewards
        self.terminated[idx] = terminated
        self.pos = int((self.pos + n) % self.capacity)
        self.size = int(min(self.size + n, self.capacity))

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A uniform batch (with replacement) as torch tensors."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        return {
            "obs": torch.from_numpy(self.obs[idx]),
            "actions": torch.from_numpy(self.actions[idx]),
            "rewards": torch.from_numpy(self.rewards[idx]),
            "next_obs": torch.from_numpy(self.next_obs[idx]),
            "terminated": torch.from_numpy(self.terminated[idx]),
        }

    def state_dict(self) -> dict:
        return dict(self.__dict__)

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)


class QPolicy(Policy):
    """Epsilon-greedy policy of a :class:`QNetwork`; ``values`` are ``max_a Q``."""

    def __init__(
        self,
        obs_space: gymnasium.Space,
        num_actions: int,
        config: NetworkConfig | None = None,
        head_sizes: tuple[int, ...] = (64,),
        name: str = "dqn",
    ):
        self.net = QNetwork(obs_space, num_actions, config, head_sizes)
        self.num_actions = int(num_actions)
        self.epsilon = 0.0
        self.name = name

    @torch.no_grad()
    def act(
        self,
        obs: np.ndarray,
        state: State = (),
        *,
        deterministic: bool = False,
        rng: np.random.Generator | None = None,
        **_,
    ) -> PolicyStep:
        q = self.net(torch.from_numpy(np.ascontiguousarray(obs))).numpy()
        greedy = q.argmax(axis=1)
        M, A = q.shape
        eps = 0.0 if deterministic else self.epsilon
        if eps > 0:
            rng = rng if rng is not None else np.random.default_rng()
            explore = rng.random(M) < eps
            actions = np.where(explore, rng.integers(0, A, size=M), greedy)
        else:
            actions = greedy
        prob = np.where(actions == greedy, 1 - eps + eps / A, eps / A)
        return PolicyStep(
            actions.astype(np.int64), np.log(prob).astype(np.float32), q.max(axis=1), state
        )

    @torch.no_grad()
    def value(self, obs, state=(), critic_obs=None) -> np.ndarray:
        return self.net(torch.from_numpy(np.ascontiguousarray(obs))).max(dim=1).values.numpy()


class DQN:
    """Double-DQN learner for one :class:`QPolicy`.

    Args:
        policy: the Q policy trained (its ``net`` is the online network).
        config: hyperparameters.
        index: the policy's index in the collector's ``policies``.
    """

    def __init__(self, policy: QPolicy, config: DQNConfig, index: int = 0):
        self.policy = policy
        self.config = config
        self.index = index
        self.target = copy.deepcopy(policy.net)
        for p in self.target.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.Adam(policy.net.parameters(), lr=config.lr)
        self.gradient_steps = 0

    def set_progress(self, fraction_done: float) -> None:
        """Linear epsilon decay over ``eps_fraction`` of the run."""
        cfg = self.config
        frac = min(float(fraction_done) / max(cfg.eps_fraction, 1e-8), 1.0)
        self.policy.epsilon = cfg.eps_start + frac * (cfg.eps_end - cfg.eps_start)

    def td_target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            next_q_target = self.target(batch["next_obs"])
            if self.config.double:
                a_star = self.policy.net(batch["next_obs"]).argmax(dim=1, keepdim=True)
                next_v = next_q_target.gather(1, a_star).squeeze(1)
            else:
                next_v = next_q_target.max(dim=1).values
            return batch["rewards"] + self.config.gamma * (1 - batch["terminated"]) * next_v

    def learn(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One gradient step on a replay batch; updates the target network as configured."""
        q = self.policy.net(batch["obs"]).gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
        target = self.td_target(batch)
        if self.config.loss == "mse":
            loss = nn.functional.mse_loss(q, target)
        else:
            loss = nn.functional.smooth_l1_loss(q, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = self.policy.net.parameters()
        if self.config.grad_clip_value is not None:
            nn.utils.clip_grad_value_(params, self.config.grad_clip_value)
            params = self.policy.net.parameters()
        if self.config.max_grad_norm is not None:
            nn.utils.clip_grad_norm_(params, self.config.max_grad_norm)
        self.optimizer.step()
        self.gradient_steps += 1
        cfg = self.config
        if cfg.target_update == "soft":
            with torch.no_grad():
                for t, o in zip(self.target.parameters(), self.policy.net.parameters()):
                    t.mul_(1 - cfg.tau).add_(o, alpha=cfg.tau)
        elif self.gradient_steps % cfg.target_update_interval == 0:
            self.target.load_state_dict(self.policy.net.state_dict())
        return {"td_loss": loss.item(), "q_mean": q.mean().item(), "epsilon": self.policy.epsilon}

    def state_dict(self) -> dict:
        return {
            "net": self.policy.net.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "gradient_steps": self.gradient_steps,
            "epsilon": self.policy.epsilon,
        }

    def load_state_dict(self, state: dict) -> None:
        self.policy.net.load_state_dict(state["net"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.gradient_steps = int(state["gradient_steps"])
        self.policy.epsilon = float(state["epsilon"])
