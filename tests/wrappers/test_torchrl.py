"""TorchRL: our ParallelEnv through torchrl.envs.PettingZooWrapper."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torchrl_envs = pytest.importorskip("torchrl.envs")
from torchrl.envs.utils import check_env_specs  # noqa: E402

import socialenvs  # noqa: E402
from socialenvs.dilemmas.matrix_game import symmetric_payoff_table  # noqa: E402
from socialenvs.wrappers import EpisodeStatistics  # noqa: E402

CASES = [pytest.param("matrix_game_v0", {"max_cycles": 10}, id="matrix_game_v0")]
if "harvest_v0" in socialenvs.list_envs():
    CASES.append(pytest.param("harvest_v0", {"num_agents": 3, "max_cycles": 10}, id="harvest_v0"))


def _wrap(env):
    with warnings.catch_warnings():
        # TorchRL warns that it is tested against an older PettingZoo.
        warnings.simplefilter("ignore", UserWarning)
        return torchrl_envs.PettingZooWrapper(env=env, seed=0)


@pytest.mark.parametrize("env_id,kwargs", CASES)
def test_pettingzoo_wrapper_specs_and_rollout(env_id, kwargs):
    par = socialenvs.make(env_id, **kwargs)
    n = len(par.possible_agents)
    env = _wrap(EpisodeStatistics(par))
    # Agents are player_0..player_{n-1}: TorchRL groups them by prefix.
    assert env.group_map == {"player": [f"player_{i}" for i in range(n)]}
    check_env_specs(env)
    td = env.rollout(25, break_when_any_done=False)
    obs_shape = par.observation_space("player_0").shape
    assert td["player", "observation"].shape == (25, n, *obs_shape)
    assert td["next", "player", "reward"].shape == (25, n, 1)
    # Episodes of 10 steps end (truncated) at steps 10 and 20, for every agent at once.
    done = td["next", "done"].squeeze(-1).numpy()
    np.testing.assert_array_equal(np.flatnonzero(done), [9, 19])
    assert td["next", "player", "truncated"].squeeze(-1).numpy()[[9, 19]].all()


def test_matrix_game_rewards_come_from_the_payoff_table():
    env = _wrap(socialenvs.make("matrix_game_v0", max_cycles=10))
    td = env.rollout(30, break_when_any_done=False)
    actions = td["player", "action"].numpy()  # [T, 2] categorical actions
    rewards = td["next", "player", "reward"].squeeze(-1).numpy()
    table = symmetric_payoff_table(3.0, 0.0, 4.0, 1.0)  # the prisoner's dilemma preset
    np.testing.assert_array_equal(rewards, table[actions[:, 0], actions[:, 1]])
