"""EpisodeStatistics: social-outcome metrics in infos[agent]["episode"] at episode end."""

from __future__ import annotations

import functools

import gymnasium
import numpy as np
import pytest
from pettingzoo import ParallelEnv
from pettingzoo.test import parallel_api_test

import socialenvs
from socialenvs import metrics
from socialenvs.wrappers import EpisodeStatistics

ENVS_WITH_EVENTS = [("matrix_game_v0", {"max_cycles": 12})]
if "harvest_v0" in socialenvs.list_envs():
    ENVS_WITH_EVENTS.append(("harvest_v0", {"max_cycles": 30}))


def _play(env, seed: int, rng: np.random.Generator):
    """Run one episode with random actions; return per-step rewards [T, N], last infos."""
    env.reset(seed=seed)
    names = list(env.possible_agents)
    rewards, actions, infos_seen = [], [], []
    while env.agents:
        act = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
        _, rew, _, _, infos = env.step(act)
        rewards.append([rew[a] for a in names])
        actions.append([act[a] for a in names])
        infos_seen.append(infos)
    return np.array(rewards), np.array(actions), infos_seen


def test_episode_info_only_at_the_end_and_matches_metrics():
    env = EpisodeStatistics(socialenvs.make("matrix_game_v0", max_cycles=12))
    rewards, actions, infos_seen = _play(env, seed=3, rng=np.random.default_rng(0))
    assert len(infos_seen) == 12
    assert all("episode" not in i[a] for i in infos_seen[:-1] for a in i)
    expected = metrics.episode_metrics(rewards)
    for i, agent in enumerate(env.possible_agents):
        ep = infos_seen[-1][agent]["episode"]
        assert ep["r"] == pytest.approx(rewards[:, i].sum())
        assert ep["l"] == 12
        assert ep["returns"] == {
            a: pytest.approx(rewards[:, j].sum()) for j, a in enumerate(env.possible_agents)
        }
        for key, value in expected.items():
            assert ep[key] == pytest.approx(value, nan_ok=True), key
        # The matrix game counts cooperative moves (action 0) of both players.
        assert ep["cooperations"] == (actions == 0).sum()
        assert "events" in infos_seen[-1][agent]  # the env's own info survives


def test_statistics_restart_each_episode():
    env = EpisodeStatistics(socialenvs.make("matrix_game_v0", max_cycles=5))
    for episode in range(3):
        env.reset(seed=episode)
        while env.agents:
            # everyone defects: P = 1 each round in the prisoner's dilemma
            _, _, _, _, infos = env.step({a: 1 for a in env.agents})
        ep = infos["player_1"]["episode"]
        assert ep["r"] == 5.0 and ep["collective_return"] == 10.0 and ep["efficiency"] == 2.0
        assert ep["cooperations"] == 0


@pytest.mark.parametrize("env_id,kwargs", ENVS_WITH_EVENTS)
def test_parallel_view_reports_what_the_vector_env_reports(env_id, kwargs):
    """Same seed, same actions: the wrapper's episode info equals VectorEnv copy 0's."""
    env = EpisodeStatistics(socialenvs.make(env_id, **kwargs))
    _, actions, infos_seen = _play(env, seed=11, rng=np.random.default_rng(1))
    venv = socialenvs.make_vec(env_id, num_envs=1, **kwargs)
    venv.reset(seed=11)
    for t, joint in enumerate(actions):
        _, _, _, _, vinfo = venv.step(joint[None])
        assert ("episode" in vinfo) == (t == len(actions) - 1)
    vep = vinfo["episode"]
    for i, agent in enumerate(env.possible_agents):
        ep = infos_seen[-1][agent]["episode"]
        assert ep["r"] == pytest.approx(vep["returns"][0, i])
        for key, value in vep.items():
            if key != "returns":
                assert ep[key] == pytest.approx(float(value[0]), nan_ok=True), key


def test_wrapped_env_passes_parallel_api_test():
    parallel_api_test(
        EpisodeStatistics(socialenvs.make("matrix_game_v0", max_cycles=20)), num_cycles=60
    )


class _ToyEnv(ParallelEnv):
    """Not a socialenvs env: reward = own action, 3 steps."""

    metadata = {"name": "toy"}

    def __init__(self):
        self.possible_agents = ["a", "b", "c"]
        self.agents = []

    @functools.cache  # noqa: B019
    def observation_space(self, agent):
        return gymnasium.spaces.Discrete(1)

    @functools.cache  # noqa: B019
    def action_space(self, agent):
        return gymnasium.spaces.Discrete(3)

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        self.t = 0
        return {a: 0 for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions):
        self.t += 1
        done = self.t >= 3
        agents = self.agents
        if done:
            self.agents = []
        return (
            {a: 0 for a in agents},
            {a: float(actions[a]) for a in agents},
            {a: False for a in agents},
            {a: done for a in agents},
            {a: {} for a in agents},
        )


def test_any_parallel_env_gets_reward_metrics():
    env = EpisodeStatistics(_ToyEnv())
    env.reset()
    while env.agents:
        _, _, _, _, infos = env.step({"a": 0, "b": 1, "c": 2})
    ep = infos["c"]["episode"]
    assert ep["r"] == 6.0 and ep["l"] == 3
    assert ep["collective_return"] == 9.0
    assert ep["equality"] == pytest.approx(1 - metrics.gini(np.array([0.0, 3.0, 6.0])))
    assert ep["peace"] == 3.0  # nobody can be tagged out in an env we know nothing about
