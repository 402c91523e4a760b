"""Training ToM-conditioned agents against a population of co-player types.

:func:`train_against_population` trains one learner (seat 0) with the shared
:class:`agents.ppo.PPO` on the shared :class:`training.rollout.RolloutCollector`,
seat 1 drawn per episode from a population of fixed co-players
(:class:`training.rollout.Matchmaker`). For a :class:`agents.tom_policy.ToMConditionedPolicy`
with ``opponent_model=True`` an :class:`agents.tom_policy.OpponentModelLearner` step
follows every PPO update. :func:`evaluate_against` measures the learner's mean episode
return against one co-player, and the character embeddings at the end of each episode
(for type identification).

RL species of the ToM gridworld (Sec. 3.3): :func:`train_rl_species` trains a
goal-conditioned PPO agent (feedforward or LSTM; full, sighted or blind) on
``tom_gridworld_v0`` with the shared collector and PPO, and :class:`PolicySpecies`
turns it into a species for :class:`socialenvs.tom.dataset.TomDataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from agents.policy import Policy, PolicyStep
from agents.ppo import PPO, PPOConfig
from agents.tom_policy import OpponentModelLearner, ToMConditionedPolicy
from socialenvs.core.registry import make_vec
from socialenvs.tom.species import Species
from training.rollout import Matchmaker, RolloutCollector


class TremblingPolicy(Policy):
    """A co-player that plays ``base`` but, with probability ``eps`` per step, a uniformly
    random action instead (held-out variants of known types)."""

    def __init__(self, base: Policy, num_actions: int, eps: float, name: str | None = None):
        if not 0.0 <= eps <= 1.0:
            raise ValueError(f"eps={eps!r} is out of range; allowed: [0, 1]")
        self.base, self.num_actions, self.eps = base, int(num_actions), float(eps)
        self.recurrent = base.recurrent
        self.name = name or f"{base.name}_eps{eps:g}"

    def initial_state(self, batch_size: int):
        return self.base.initial_state(batch_size)

    def act(self, obs, state=(), *, deterministic=False, rng=None, **kw) -> PolicyStep:
        rng = rng if rng is not None else np.random.default_rng()
        out = self.base.act(obs, state, deterministic=deterministic, rng=rng, **kw)
        flip = rng.random(len(obs)) < self.eps
        actions = np.where(flip, rng.integers(0, self.num_actions, len(obs)), out.actions)
        return PolicyStep(actions.astype(np.int64), out.log_probs, out.values, out.state)


def train_against_population(
    env: str,
    env_kwargs: dict[str, Any],
    policy: Policy,
    co_players: Sequence[Policy],
    steps: int,
    num_envs: int = 16,
    seed: int = 0,
    ppo: PPOConfig | None = None,
    opponent_model: bool = True,
) -> list[dict[str, float]]:
    """Train ``policy`` (seat 0) against co-players drawn uniformly per episode (seat 1).

    Returns one row per iteration (learner return, PPO and opponent-model statistics).
    """
    torch.manual_seed(seed)
    ppo = ppo or PPOConfig()
    venv = make_vec(env, num_envs=num_envs, **env_kwargs)
    if venv.num_agents != 2:
        raise ValueError(f"{env} has {venv.num_agents} agents; this loop needs two seats")
    pop = list(range(1, 1 + len(co_players)))
    collector = RolloutCollector(
        venv, [policy, *co_players], Matchmaker([0, pop]), learners=[0], seed=seed
    )
    learner = PPO(policy, ppo, index=0)
    om = None
    if opponent_model and isinstance(policy, ToMConditionedPolicy):
        om = OpponentModelLearner(policy, index=0)
    iters = max(1, steps // (ppo.num_steps * num_envs))
    rows = []
    for it in range(iters):
        ro = collector.collect(ppo.num_steps)
        ro.compute_gae(ppo.gamma, ppo.gae_lambda)
        learner.set_progress(it / iters)
        row = dict(learner.update(ro))
        if om is not None:
            row.update(om.update(ro))
        rets = [e["returns"][:, 0] for e in ro.episodes]
        if rets:
            row["learner_return"] = float(np.concatenate(rets).mean())
        row["env_steps"] = collector.env_steps
        rows.append(row)
    return rows


def evaluate_against(
    env: str,
    env_kwargs: dict[str, Any],
    policy: Policy,
    co_player: Policy,
    episodes: int = 32,
    seed: int = 10_000,
) -> dict[str, Any]:
    """Mean learner return over ``episodes`` episodes against ``co_player`` and, for
    ToM-conditioned policies, ``e_char`` at the last step of each episode."""
    venv = make_vec(env, num_envs=episodes, **env_kwargs)
    collector = RolloutCollector(
        venv, [policy, co_player], Matchmaker([0, 1]), learners=[0], seed=seed
    )
    T = int(venv.sim.max_cycles)
    ro = collector.collect(T)
    out: dict[str, Any] = {"return": float(ro.rewards[:, :, 0].sum(0).mean())}
    if isinstance(policy, ToMConditionedPolicy):
        e = policy.character(ro.obs[:, :, 0], ro.episode_start[:, :, 0])
        out["e_char"] = e[-1]
    return out


# --------------------------------------------------------------------------- RL species
class PolicySpecies(Species):
    """A species of RL-trained agents (Rabinowitz et al. 2018, Sec. 3.3): one trained
    goal-conditioned policy; an *agent* is its preferred object (one-hot rewards), shown
    to the policy in the preference planes (``observe_preference=True``).

    Args:
        policy: a policy trained on ``tom_gridworld_v0`` with ``env_kwargs``.
        env_kwargs: the gridworld it was trained in (``preferences`` becomes external).
        name: species label (e.g. ``"sighted_lstm"``).
    """

    def __init__(self, policy: Policy, env_kwargs: dict[str, Any], name: str = "rl"):
        self.policy = policy
        self.env_kwargs = {**env_kwargs, "preferences": "external"}
        self.name = name

    def sample_agents(self, rng, n):
        return {"preferred": rng.integers(0, 4, size=n)}

    def begin_episode(self, sim, agents):
        sim.set_object_rewards(np.eye(sim.num_objects)[agents["preferred"]])

    def initial_state(self, n):
        return self.policy.initial_state(n)

    @torch.no_grad()
    def act(self, sim, agents, state, rng):
        # sample with the dataset's numpy generator (not torch's) so datasets of RL
        # species are reproducible by seed like the others
        obs = torch.from_numpy(np.ascontiguousarray(sim.observe()[:, 0]))
        logits, _, state = self.policy.net.step(obs, state)
        cdf = torch.softmax(logits, -1).cumsum(-1).numpy()
        actions = (rng.random(len(cdf))[:, None] > cdf).sum(1)
        return np.minimum(actions, cdf.shape[1] - 1).astype(np.int64), state

    def label(self, agents):
        return agents["preferred"]


RL_SPECIES_ENV = dict(preset="deep_rl")


def train_rl_species(
    observability: str = "full",
    core: str = "none",
    steps: int = 200_000,
    num_envs: int = 32,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    ppo: PPOConfig | None = None,
) -> tuple[Policy, list[dict[str, float]]]:
    """Train one RL species with the shared PPO on ``tom_gridworld_v0`` (preset
    ``deep_rl``: subgoal, 51 steps, goal shown in preference planes): ``observability``
    ``full`` / ``sighted`` / ``blind``, ``core`` ``none`` (feedforward) / ``lstm``."""
    from agents.actor_critic import ActorCriticPolicy
    from agents.networks import NetworkConfig

    torch.manual_seed(seed)
    ppo = ppo or PPOConfig(lr=5e-4, num_steps=64, gamma=0.99)
    kwargs = {**RL_SPECIES_ENV, "observability": observability, **(env_kwargs or {})}
    venv = make_vec("tom_gridworld_v0", num_envs=num_envs, **kwargs)
    policy = ActorCriticPolicy(
        venv.single_observation_space,
        5,
        NetworkConfig(conv_channels=(16, 32), feature_size=128, core=core, core_size=128),
        name=f"{observability}_{core}",
    )
    collector = RolloutCollector(venv, [policy], seed=seed)
    learner = PPO(policy, ppo, index=0)
    iters = max(1, steps // (ppo.num_steps * num_envs))
    rows = []
    for it in range(iters):
        ro = collector.collect(ppo.num_steps)
        ro.compute_gae(ppo.gamma, ppo.gae_lambda)
        learner.set_progress(it / iters)
        row = dict(learner.update(ro))
        rets = [e["returns"][:, 0] for e in ro.episodes]
        if rets:
            row["return"] = float(np.concatenate(rets).mean())
        row["env_steps"] = collector.env_steps
        rows.append(row)
    return policy, rows
