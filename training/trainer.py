"""The training loop behind ``socialenvs train``: build, collect, learn, log, checkpoint.

:class:`Trainer` turns a :class:`~training.config.TrainConfig` into a vector env, a set of
policies (learners plus scripted co-players), a :class:`~training.rollout.RolloutCollector`
and PPO or DQN learners, then alternates collection and learning until ``steps``
environment steps have been collected. Every ``checkpoint_every`` iterations it writes
an atomic checkpoint from which :meth:`Trainer.resume` continues to exactly the result
of an uninterrupted run (same parameters, same logs): the env copies are pickled
mid-episode with their RNG counters, and torch/numpy RNG states are restored.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch

from agents.actor_critic import ActorCriticPolicy
from agents.dqn import DQN, QPolicy, ReplayBuffer
from agents.policy import Policy
from agents.ppo import PPO
from agents.scripted import make_scripted
from socialenvs.core.registry import make_vec, normalize_id
from training import checkpoint
from training.config import TrainConfig, build, save_yaml, to_dict
from training.logger import RunLogger
from training.rollout import Matchmaker, Rollout, RolloutCollector, joint_critic_space

CHECKPOINT = "checkpoint.pt"
EPISODE_METRICS = (
    "collective_return",
    "efficiency",
    "equality",
    "sustainability",
    "peace",
    "length",
)


def build_policies(config: TrainConfig, venv) -> tuple[list[Policy], list[int], Matchmaker]:
    """Policies, learner indices and seat assignment of a run.

    Learner seats are every agent not listed in ``co_players``; with ``sharing="shared"``
    they all play one policy (index 0), with ``"independent"`` one policy each. Scripted
    co-players follow.
    """
    names = venv.possible_agents
    unknown = sorted(set(config.co_players) - set(names))
    if unknown:
        raise ValueError(f"co_players names unknown agents {unknown}; agents are {names}")
    learner_seats = [a for a in names if a not in config.co_players]
    if not learner_seats:
        raise ValueError("every agent is a scripted co-player: leave at least one seat to learn")
    obs_space = venv.single_observation_space
    num_actions = int(venv.single_action_space.n)
    n_learners = 1 if config.sharing == "shared" else len(learner_seats)
    policies: list[Policy] = []
    for k in range(n_learners):
        label = config.agent if n_learners == 1 else f"{config.agent}_{learner_seats[k]}"
        if config.agent == "ppo":
            critic = (
                joint_critic_space(obs_space, venv.num_agents)
                if config.ppo.centralised_critic
                else None
            )
            policies.append(
                ActorCriticPolicy(obs_space, num_actions, config.network, critic, label)
            )
        else:
            policies.append(
                QPolicy(obs_space, num_actions, config.network, config.dqn.head_sizes, label)
            )
    seats: list[int] = []
    scripted: dict[str, int] = {}
    for a in names:
        if a in config.co_players:
            pname = config.co_players[a]
            if pname not in scripted:
                scripted[pname] = len(policies)
                policies.append(make_scripted(pname, venv))
            seats.append(scripted[pname])
        else:
            seats.append(0 if n_learners == 1 else learner_seats.index(a))
    return policies, list(range(n_learners)), Matchmaker(seats)


def episode_row(episodes: list[dict[str, Any]], learners: list[int]) -> dict[str, float]:
    """Mean episode statistics of the episodes finished in one iteration."""
    if not episodes:
        return {}
    row: dict[str, float] = {}
    keys = [k for k in episodes[0] if k not in ("returns", "policy_ids", "step", "envs")]
    for k in keys:
        vals = np.concatenate([np.atleast_1d(e[k]) for e in episodes]).astype(np.float64)
        if np.isfinite(vals).any():
            row[f"episode/{k}"] = float(np.nanmean(vals))
    returns = np.concatenate([e["returns"] for e in episodes])
    ids = np.concatenate([e["policy_ids"] for e in episodes])
    is_learner = np.isin(ids, learners)
    if is_learner.any():
        row["episode/learner_return"] = float(returns[is_learner].mean())
    row["episode/count"] = float(returns.shape[0])
    return row


class Trainer:
    """One training run (see the module docstring).

    Args:
        config: the run configuration.
        progress: show a tqdm progress bar.
        tensorboard: write TensorBoard events next to the CSV log.
    """

    def __init__(self, config: TrainConfig, progress: bool = True, tensorboard: bool = True):
        self.config = config
        self.config.env = normalize_id(config.env)
        self.progress = progress
        self.tensorboard = tensorboard
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.np_rng = np.random.default_rng(config.seed + 1)
        self.venv = make_vec(config.env, num_envs=config.num_envs, **config.env_kwargs)
        self.policies, self.learner_idx, self.matchmaker = build_policies(config, self.venv)
        is_dqn = config.agent == "dqn"
        self.collector = RolloutCollector(
            self.venv,
            self.policies,
            self.matchmaker,
            learners=self.learner_idx,
            seed=config.seed,
            record_next_obs=is_dqn,
        )
        if is_dqn:
            self.learners = [DQN(self.policies[k], config.dqn, k) for k in self.learner_idx]
            space = self.venv.single_observation_space
            self.buffers = [
                ReplayBuffer(config.dqn.buffer_size, space.shape, space.dtype)
                for _ in self.learner_idx
            ]
            self.rollout_steps = config.dqn.num_steps
        else:
            self.learners = [PPO(self.policies[k], config.ppo, k) for k in self.learner_idx]
            self.buffers = []
            self.rollout_steps = config.ppo.num_steps
        self.iteration = 0
        self.run_dir = config.out
        self.logger: RunLogger | None = None
        self._pending_episodes: list[dict] = []

    @property
    def env_steps(self) -> int:
        return self.collector.env_steps

    @property
    def steps_per_iteration(self) -> int:
        return self.rollout_steps * self.config.num_envs

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        return {
            "config": to_dict(self.config),
            "update": self.iteration,
            "learners": [lr.state_dict() for lr in self.learners],
            "buffers": [b.state_dict() for b in self.buffers],
            "collector": self.collector.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": self.np_rng.bit_generator.state,
            "pending_episodes": self._pending_episodes,
        }

    def save(self, path: str | None = None) -> str:
        path = path or os.path.join(self.run_dir, CHECKPOINT)
        checkpoint.save(path, self.state_dict())
        return path

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            for lr, s in zip(self.learners, state["learners"], strict=True):
                lr.load_state_dict(s)
            for b, s in zip(self.buffers, state.get("buffers", []), strict=True):
                b.load_state_dict(s)
            self.collector.load_state_dict(state["collector"])
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            raise ValueError(f"checkpoint does not match this run's configuration: {exc}") from None
        self.venv = self.collector.venv
        self.iteration = int(state["update"])
        torch.set_rng_state(state["torch_rng"])
        self.np_rng.bit_generator.state = state["numpy_rng"]
        self._pending_episodes = list(state.get("pending_episodes", []))

    @classmethod
    def resume(
        cls, run_dir: str, steps: int | None = None, progress: bool = True, tensorboard: bool = True
    ) -> Trainer:
        """Rebuild a run from ``run_dir/checkpoint.pt`` (optionally extending ``steps``)."""
        state = checkpoint.load(os.path.join(run_dir, CHECKPOINT))
        values = dict(state["config"])
        values["out"] = run_dir
        if steps is not None:
            values["steps"] = steps
        trainer = cls(build(TrainConfig, values), progress=progress, tensorboard=tensorboard)
        trainer.load_state_dict(state)
        return trainer

    # ------------------------------------------------------------------ learning
    def _learn_ppo(self, rollout: Rollout) -> dict[str, float]:
        cfg = self.config.ppo
        rollout.compute_gae(cfg.gamma, cfg.gae_lambda)
        row: dict[str, float] = {}
        for lr in self.learners:
            lr.set_progress(self.env_steps / self.config.steps)
            stats = lr.update(rollout)
            prefix = "train/" if len(self.learners) == 1 else f"train/{lr.policy.name}/"
            row.update({prefix + k: v for k, v in stats.items()})
        return row

    def _learn_dqn(self, rollout: Rollout) -> dict[str, float]:
        cfg = self.config.dqn
        row: dict[str, float] = {}
        for lr, buf in zip(self.learners, self.buffers):
            m = rollout.policy_ids == lr.index
            buf.add(
                rollout.obs[m],
                rollout.actions[m],
                rollout.rewards[m],
                rollout.next_obs[m],
                rollout.terminated[m],
            )
            lr.set_progress(self.env_steps / self.config.steps)
            if len(buf) >= max(cfg.learning_starts, 1):
                for _ in range(cfg.gradient_steps):
                    stats = lr.learn(buf.sample(cfg.batch_size, self.np_rng))
                prefix = "train/" if len(self.learners) == 1 else f"train/{lr.policy.name}/"
                row.update({prefix + k: v for k, v in stats.items()})
        return row

    def _behaviour_row(self, rollout: Rollout) -> dict[str, float]:
        row = {}
        m = rollout.learner_mask
        if self.config.env.startswith("matrix_game") and m.any():
            row["train/cooperation_rate"] = float((rollout.actions[m] == 0).mean())
        row["train/reward_per_step"] = float(rollout.rewards[m].mean()) if m.any() else 0.0
        return row

    def train(self, until: int | None = None) -> Trainer:
        """Collect and learn until ``config.steps`` env steps; checkpoint and log on the way.

        Args:
            until: stop (with a checkpoint) once this many env steps are collected, as if
                the run were killed there; :meth:`resume` then finishes it exactly.
        """
        cfg = self.config
        stop = cfg.steps if until is None else min(int(until), cfg.steps)
        os.makedirs(self.run_dir, exist_ok=True)
        save_yaml(cfg, os.path.join(self.run_dir, "config.yaml"))
        resumed = self.iteration > 0
        self.logger = RunLogger(
            self.run_dir,
            resume_step=self.env_steps if resumed else None,
            tensorboard=self.tensorboard,
        )
        # Log roughly every 2048 env steps for DQN (its iterations are tiny).
        log_every = 1 if cfg.agent == "ppo" else max(1, 2048 // self.steps_per_iteration)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=cfg.steps,
                initial=min(self.env_steps, cfg.steps),
                unit="step",
                desc=f"{cfg.agent} {cfg.env}",
                dynamic_ncols=True,
            )
        t0, s0 = time.perf_counter(), self.env_steps
        try:
            while self.env_steps < stop:
                before = self.env_steps
                rollout = self.collector.collect(self.rollout_steps)
                row = self._learn_ppo(rollout) if cfg.agent == "ppo" else self._learn_dqn(rollout)
                self.iteration += 1
                self._pending_episodes += rollout.episodes
                if self.iteration % log_every == 0 or self.env_steps >= cfg.steps:
                    row.update(self._behaviour_row(rollout))
                    row.update(episode_row(self._pending_episodes, self.learner_idx))
                    self._pending_episodes = []
                    row["env_steps"] = self.env_steps
                    row["iteration"] = self.iteration
                    self.logger.log(row)
                    if bar is not None and "episode/learner_return" in row:
                        bar.set_postfix(learner_return=f"{row['episode/learner_return']:.2f}")
                if bar is not None:
                    bar.update(self.env_steps - before)
                if self.iteration % cfg.checkpoint_every == 0 or self.env_steps >= stop:
                    self.save()
        finally:
            if bar is not None:
                bar.close()
            self.logger.close()
        elapsed = time.perf_counter() - t0
        self.steps_per_second = (self.env_steps - s0) / max(elapsed, 1e-9)
        return self

    def parameters(self) -> list[dict[str, torch.Tensor]]:
        """State dicts of every learner's network (for comparisons in tests)."""
        return [self.policies[k].net.state_dict() for k in self.learner_idx]
