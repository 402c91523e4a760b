"""The one policy interface shared by learned, frozen and scripted agents.

A :class:`Policy` maps a batch of observations ``[M, *obs_shape]`` (numpy, exactly what
``VectorEnv`` returns for M agent slots) plus a recurrent state to actions. Every agent in
``socialenvs`` -- PPO and DQN learners, frozen previous generations, demonstrators and
scripted co-players such as tit-for-tat -- implements it, so the rollout collector
(:mod:`training.rollout`) can step any mix of them without knowing which is which.

Recurrent state
    A state is a tuple of arrays (numpy or torch) whose first dimension is the batch of
    slots ``M``; feed-forward policies use the empty tuple ``()``. ``initial_state(M)``
    gives the state at the start of an episode, and the collector resets the rows of
    finished episodes to it with :func:`reset_state`. Scripted policies use numpy states
    (e.g. grim trigger's "was betrayed" flag); torch policies use tensors.

Outputs
    :meth:`Policy.act` returns a :class:`PolicyStep`: ``actions int64[M]`` (numpy),
    ``log_probs float32[M]`` and ``values float32[M]`` (numpy; zeros for policies without
    a critic) and the next state. Learners that need more (e.g. PPO's re-evaluation of
    stored actions) have their own methods; the collector only needs ``act``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

try:  # the interface itself is torch-free so scripted policies work without torch
    import torch
except ImportError:  # pragma: no cover - torch is part of the train extra
    torch = None  # type: ignore[assignment]

State = tuple
"""A recurrent state: a tuple of arrays/tensors with leading batch dimension (``()`` if none)."""


@dataclass
class PolicyStep:
    """What a policy returns for a batch of ``M`` slots.

    Attributes:
        actions: ``int64[M]`` chosen actions.
        log_probs: ``float32[M]`` log-probability of each chosen action under the policy
            (0 for deterministic scripted policies).
        values: ``float32[M]`` state-value estimates (0 for policies without a critic).
        state: the recurrent state after this step (``()`` for feed-forward policies).
    """

    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    state: State = ()


class Policy:
    """Base class of every policy (learned, frozen or scripted).

    Subclasses implement :meth:`act`; recurrent ones also override
    :meth:`initial_state`. ``num_actions`` is the size of the ``Discrete`` action space.

    Attributes:
        recurrent: whether the policy carries a state between steps.
        name: a short label used in logs and evaluation tables.
    """

    recurrent: bool = False
    name: str = "policy"
    #: Set by policies whose value head needs centralised inputs (``critic_obs=``).
    uses_critic_obs: bool = False

    def initial_state(self, batch_size: int) -> State:
        """The state of ``batch_size`` slots at the start of an episode."""
        return ()

    def act(
        self,
        obs: np.ndarray,
        state: State = (),
        *,
        deterministic: bool = False,
        rng: np.random.Generator | None = None,
    ) -> PolicyStep:
        """Choose actions for a batch of observations.

        Args:
            obs: ``[M, *obs_shape]`` observations of M agent slots.
            state: their recurrent states (``()`` for feed-forward policies).
            deterministic: pick the most likely action instead of sampling.
            rng: numpy generator for policies that sample with numpy (scripted ones);
                torch policies sample with torch's global generator.

        Returns:
            A :class:`PolicyStep`.
        """
        raise NotImplementedError

    def value(
        self, obs: np.ndarray, state: State = (), critic_obs: np.ndarray | None = None
    ) -> np.ndarray:
        """``float32[M]`` value estimates (used to bootstrap truncated episodes).

        Recurrent policies advance a copy of ``state`` by one step to value ``obs``.
        ``critic_obs`` is passed only to policies with ``uses_critic_obs = True``.
        """
        return np.zeros(len(obs), dtype=np.float32)


# --------------------------------------------------------------------------- state helpers
def _where(mask: np.ndarray, a: Any, b: Any) -> Any:
    """Row-wise select: rows of ``a`` where ``mask``, else rows of ``b``."""
    if torch is not None and isinstance(a, torch.Tensor):
        m = torch.as_tensor(mask, device=a.device).reshape(-1, *([1] * (a.dim() - 1)))
        return torch.where(m, a, b)
    m = np.asarray(mask).reshape(-1, *([1] * (np.ndim(a) - 1)))
    return np.where(m, a, b)


def reset_state(policy: Policy, state: State, mask: np.ndarray) -> State:
    """Replace the rows of ``state`` where ``mask`` (``bool[M]``) by the initial state."""
    if not state or not np.any(mask):
        return state
    init = policy.initial_state(len(mask))
    return tuple(_where(mask, i, s) for i, s in zip(init, state))


def select_state(state: State, idx: Any) -> State:
    """Rows ``idx`` of every array in ``state``."""
    if not state:
        return state
    out = []
    for s in state:
        if torch is not None and isinstance(s, torch.Tensor):
            out.append(s[torch.as_tensor(idx, device=s.device)])
        else:
            out.append(s[idx])
    return tuple(out)


def assign_state(state: State, idx: Any, value: State) -> State:
    """Write ``value`` into rows ``idx`` of ``state`` (in place where possible) and return it."""
    if not state:
        return state
    for s, v in zip(state, value):
        if torch is not None and isinstance(s, torch.Tensor):
            s[torch.as_tensor(idx, device=s.device)] = v.detach().to(s.dtype)
        else:
            s[idx] = v
    return state


def clone_state(state: State) -> State:
    """A copy of ``state`` that later in-place writes will not touch."""
    out = []
    for s in state:
        if torch is not None and isinstance(s, torch.Tensor):
            out.append(s.detach().clone())
        else:
            out.append(np.array(s, copy=True))
    return tuple(out)
