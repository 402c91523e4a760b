"""Training loop of Sert et al. 2020's segregation agents on ``schelling_v0``.

Sert, Bar-Yam & Morales 2020 (Sci. Rep. 10:11771; official code ``egemensert/
segregation``): one DQN per kind, shared by all agents of that kind (independent DQN
with parameter sharing within a kind), replay, soft target updates (tau = 0.05), and a
fixed number of gradient steps per kind after every iteration (the code runs
``cpu_count // 2`` Hogwild processes; we fix the count, ``gradient_steps``).

It reuses the shared DQN pieces (:class:`agents.dqn.ReplayBuffer`, :class:`agents.dqn.DQN`,
:class:`agents.dqn.QPolicy` with :class:`agents.schelling.SertQNetwork`) and writes its
own loop instead of the rollout collector because a transition here is Sert's, not a
PettingZoo step's: only agents that acted or died this iteration store one, and the
"done" flag is the agent's death (``sim.died``), which is not an episode termination
(dead agents stay in the env until they respawn). An agent that moved and was eaten in
the same iteration stores one transition with the summed reward and done = True (the
code stores two, the second with a random action).

As in the code: MSE TD loss with every gradient element clamped to [-1, 1]
(``loss``, ``grad_clip_value``). Differences from the code, all documented choices: a
replay capacity of ``buffer_size`` (the code: 1e6); epsilon = exp(-n / eps_decay) over
the kind's decisions n, with ``eps_decay`` scaled to the run length (the code: 1e5 for
5000 iterations of ~125 agents per kind, i.e. the same schedule when
``eps_decay_fraction`` = 0.16).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from agents.dqn import DQN, DQNConfig, ReplayBuffer
from agents.schelling import sert_q_policy
from socialenvs import metrics
from socialenvs.core.events import EventKind
from socialenvs.schelling import Schelling


@dataclass
class SertConfig:
    """One training run (one world, one pair of per-kind DQNs)."""

    alpha: float = 1.0
    """Intolerance (weight of losses in the segregation reward)."""
    interdependence_reward: float = 75.0
    """IR, reward for eating the other kind."""
    iterations: int = 5000
    """Env steps (the paper: 5000)."""
    height: int = 50
    width: int = 50
    kind_density: float = 0.05
    view_radius: int = 5
    max_age: int = 100
    env_kwargs: dict = field(default_factory=dict)
    """Further ``schelling_v0`` arguments (beta, gamma, segregation_reward, ...)."""
    gradient_steps: int = 4
    """Gradient steps per kind after every iteration."""
    batch_size: int = 256
    lr: float = 1e-3
    gamma_rl: float = 0.98
    tau: float = 0.05
    buffer_size: int = 200_000
    loss: str = "mse"
    """TD loss; Sert et al.'s code uses MSE with every gradient element clamped to [-1, 1]."""
    grad_clip_value: float | None = 1.0
    """Per-element gradient clamp (``None``: off)."""
    eps_decay_fraction: float = 0.16
    """Decisions over which epsilon falls by 1/e, as a fraction of the run's total."""
    record_every: int = 10
    """Iterations between segregation measurements."""
    snapshot_window: int = 0
    """Iterations averaged per type/age snapshot (0: iterations // 5)."""
    seed: int = 0


@dataclass
class SertResult:
    """What a run measured.

    Attributes:
        times: ``[R]`` iterations at which the metrics were recorded.
        same_fraction: ``[R]`` mean same-kind share of the agents' windows (0.5 = mixed).
        mixedness: ``[R]`` mean window mixedness (1 = even mix, 0 = one kind).
        entropy: ``[R]`` multiscale entropy index, mean over block sizes 2, 5, 10.
        eats: ``[R]`` eating events per iteration since the last record.
        age_mixedness: ``(mean per age bin, count per bin)`` pooled over the last 20%.
        age_bins: the age-bin edges.
        type_snapshots: ``[S, H, W]`` mean kind (-1 A, +1 B) of the agents that occupied
            each cell during each snapshot window (nan if nobody did): the dominant kind.
        age_snapshots: ``[S, H, W]`` mean age of the agents on each cell (nan if empty).
        snapshot_times: ``[S]`` last iteration of each window.
        returns: ``[2]`` mean reward per agent-iteration of each kind.
        seconds: wall-clock time of the run.
    """

    times: np.ndarray
    same_fraction: np.ndarray
    mixedness: np.ndarray
    entropy: np.ndarray
    eats: np.ndarray
    age_mixedness: tuple[np.ndarray, np.ndarray]
    age_bins: np.ndarray
    type_snapshots: np.ndarray
    age_snapshots: np.ndarray
    snapshot_times: np.ndarray
    returns: np.ndarray
    seconds: float


def window_same_fraction(grid: np.ndarray, radius: int, torus: bool = True) -> float:
    """Mean over agents of n_same / (n_same + n_other) in their window (0.5 = mixed)."""
    same, other = metrics.window_composition(grid, radius, torus)
    n = same + other
    keep = (grid != 0) & (n > 0)
    return float((same[keep] / n[keep]).mean()) if keep.any() else float("nan")


def train_sert(cfg: SertConfig) -> SertResult:
    """Train the two per-kind DQNs for ``cfg.iterations`` iterations and measure."""
    import time

    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    env_kwargs = dict(
        mode="learning",
        height=cfg.height,
        width=cfg.width,
        kind_density=cfg.kind_density,
        view_radius=cfg.view_radius,
        max_age=cfg.max_age,
        alpha=cfg.alpha,
        interdependence_reward=cfg.interdependence_reward,
        max_cycles=cfg.iterations,
        stop_after_unchanged=0,
    )
    env_kwargs.update(cfg.env_kwargs)
    sim = Schelling(num_envs=1, **env_kwargs)
    sim.seed(cfg.seed)
    sim.reset()
    N = sim.num_agents
    kinds = [np.arange(N // 2), np.arange(N // 2, N)]
    dqn_cfg = DQNConfig(
        lr=cfg.lr,
        buffer_size=cfg.buffer_size,
        batch_size=cfg.batch_size,
        gamma=cfg.gamma_rl,
        learning_starts=cfg.batch_size,
        gradient_steps=cfg.gradient_steps,
        double=False,  # the code's target: max_a Q_target(s', a)
        target_update="soft",
        tau=cfg.tau,
        head_sizes=(),
        loss=cfg.loss,
        grad_clip_value=cfg.grad_clip_value,
        max_grad_norm=None,  # the code clamps elements, it does not clip the norm
    )
    policies = [sert_q_policy(sim.observation_space, cfg.view_radius, f"kind_{k}") for k in "AB"]
    policies[1].net.load_state_dict(policies[0].net.state_dict())  # identical init
    learners = [DQN(p, dqn_cfg, index=i) for i, p in enumerate(policies)]
    buffers = [ReplayBuffer(cfg.buffer_size, sim.observation_space.shape) for _ in policies]
    eps_decay = max(1.0, cfg.eps_decay_fraction * cfg.iterations * N / 2)
    decisions = [0, 0]

    window = cfg.snapshot_window or max(1, cfg.iterations // 5)
    age_bins = np.array([0, 10, 25, 50, 100, 10_000])
    records: dict[str, list] = {k: [] for k in ("t", "same", "mix", "ent", "eats")}
    type_acc = np.zeros((sim.height, sim.width))
    age_sum = np.zeros((sim.height, sim.width))
    age_n = np.zeros((sim.height, sim.width))
    type_snaps, age_snaps, snap_times = [], [], []
    age_mix_pool: list[tuple[np.ndarray, np.ndarray]] = []
    reward_sum = np.zeros(2)
    reward_n = np.zeros(2)
    eats = 0
    obs = sim.observe()[0]
    for it in range(cfg.iterations):
        actions = np.zeros(N, dtype=np.int64)
        for k, idx in enumerate(kinds):
            alive = sim.alive[0, idx]
            policies[k].epsilon = float(np.exp(-decisions[k] / eps_decay))
            actions[idx] = policies[k].act(obs[idx], rng=rng).actions
            decisions[k] += int(alive.sum())
        rewards, _, _ = sim.step(actions[None])
        next_obs = sim.observe()[0]
        eats += int((sim.last_events["kind"] == EventKind.EAT).sum())
        stored = sim.acted[0] | sim.died[0]
        for k, idx in enumerate(kinds):
            m = idx[stored[idx]]
            if len(m):
                buffers[k].add(obs[m], actions[m], rewards[0, m], next_obs[m], sim.died[0, m])
                reward_sum[k] += rewards[0, m].sum()
                reward_n[k] += len(m)
        for k in range(2):
            if len(buffers[k]) >= cfg.batch_size:
                for _ in range(cfg.gradient_steps):
                    learners[k].learn(buffers[k].sample(cfg.batch_size, rng))
        obs = next_obs

        grid = sim.type_grid()[0]
        type_acc += grid
        ages = sim.age_grid()[0]
        age_sum += np.where(grid != 0, ages, 0)
        age_n += grid != 0
        if (it + 1) % window == 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                type_snaps.append(np.where(age_n > 0, type_acc / age_n, np.nan))
            with np.errstate(invalid="ignore", divide="ignore"):
                age_snaps.append(np.where(age_n > 0, age_sum / age_n, np.nan))
            snap_times.append(it + 1)
            type_acc[:] = 0
            age_sum[:] = 0
            age_n[:] = 0
        if (it + 1) % cfg.record_every == 0 or it == 0:
            records["t"].append(it + 1)
            records["same"].append(window_same_fraction(grid, cfg.view_radius))
            mixed = metrics.window_mixedness(grid, cfg.view_radius)
            finite = np.isfinite(mixed)
            records["mix"].append(float(mixed[finite].mean()) if finite.any() else float("nan"))
            ent = metrics.multiscale_entropy_index(grid, (2, 5, 10))
            records["ent"].append(float(np.nanmean(ent)))
            records["eats"].append(eats / cfg.record_every)
            eats = 0
            if it >= 0.8 * cfg.iterations:
                age_mix_pool.append(metrics.mixedness_by_age(grid, ages, age_bins, cfg.view_radius))
    if age_mix_pool:
        counts = np.sum([c for _, c in age_mix_pool], axis=0)
        totals = np.sum([np.nan_to_num(m) * c for m, c in age_mix_pool], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            age_mix = (totals / counts, counts)
    else:
        age_mix = (np.full(len(age_bins) - 1, np.nan), np.zeros(len(age_bins) - 1))
    return SertResult(
        times=np.asarray(records["t"]),
        same_fraction=np.asarray(records["same"]),
        mixedness=np.asarray(records["mix"]),
        entropy=np.asarray(records["ent"]),
        eats=np.asarray(records["eats"]),
        age_mixedness=age_mix,
        age_bins=age_bins,
        type_snapshots=np.asarray(type_snaps),
        age_snapshots=np.asarray(age_snaps),
        snapshot_times=np.asarray(snap_times),
        returns=reward_sum / np.maximum(reward_n, 1),
        seconds=time.perf_counter() - t0,
    )
