"""RLlib through ParallelPettingZooEnv; skipped unless the ``rllib`` extra is installed.

Ray pins an exact Gymnasium version, so this runs in its own environment:
``pip install -e ".[rllib,dev]" && pytest tests/wrappers/test_rllib.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs

ray = pytest.importorskip("ray")
pytest.importorskip("ray.rllib")

from socialenvs.wrappers.rllib import (  # noqa: E402
    GRID_CONV_FILTERS,
    make_rllib_env,
    register_rllib_env,
    rllib_ppo_config,
)


def test_multi_agent_env_steps_and_ends_episodes_together():
    env = make_rllib_env("matrix_game_v0", {"max_cycles": 4}, history=2)
    obs, infos = env.reset(seed=0)
    assert set(obs) == {"player_0", "player_1"}
    assert obs["player_0"].shape == (10,)  # config merged: history=2 and env_config
    for _ in range(4):
        obs, rew, term, trunc, infos = env.step({"player_0": 0, "player_1": 1})
        assert rew == {"player_0": 0.0, "player_1": 4.0}
    assert trunc["__all__"] and not term["__all__"]
    assert infos["player_1"]["episode"]["r"] == 16.0


def test_drop_events_and_bad_arguments():
    env = make_rllib_env("matrix_game_v0", {"max_cycles": 2}, drop_events=True)
    env.reset(seed=0)
    _, _, _, _, infos = env.step({"player_0": 0, "player_1": 0})
    assert "events" not in infos["player_0"]
    with pytest.raises(ValueError, match="unknown environment"):
        register_rllib_env("nope_v0")
    with pytest.raises(ValueError, match="policies"):
        rllib_ppo_config("matrix_game_v0", policies="per_team")


HARVEST = "harvest_v0" in socialenvs.list_envs()


@pytest.mark.skipif(not HARVEST, reason="harvest_v0 not present")
def test_grid_observations_become_float_in_unit_interval():
    env = make_rllib_env("harvest_v0", {"num_agents": 2, "max_cycles": 5})
    obs, _ = env.reset(seed=0)
    space = env.observation_space["player_0"]
    assert space.dtype == np.float32 and obs["player_0"].dtype == np.float32
    assert space.contains(obs["player_0"]) and obs["player_0"].max() > 0
    raw, _ = socialenvs.make("harvest_v0", num_agents=2, max_cycles=5).reset(seed=0)
    np.testing.assert_allclose(obs["player_0"] * 255, raw["player_0"], atol=1e-3)
    config = rllib_ppo_config("harvest_v0", num_agents=2, max_cycles=5)
    assert config.model_config["conv_filters"] == GRID_CONV_FILTERS


PPO_CASES = [pytest.param("matrix_game_v0", {"max_cycles": 20}, id="matrix_game_v0")]
if HARVEST:
    PPO_CASES.append(
        pytest.param("harvest_v0", {"num_agents": 2, "max_cycles": 50}, id="harvest_v0")
    )


@pytest.mark.slow
@pytest.mark.parametrize("env_id,kwargs", PPO_CASES)
def test_ppo_trains_one_iteration_with_a_shared_policy(env_id, kwargs):
    ray.init(num_cpus=1, include_dashboard=False, ignore_reinit_error=True)
    try:
        config = rllib_ppo_config(
            env_id, train_batch_size=200, minibatch_size=100, seed=0, **kwargs
        )
        algo = config.build_algo() if hasattr(config, "build_algo") else config.build()
        result = algo.train()
        algo.stop()
    finally:
        ray.shutdown()
    steps = result["env_runners"]["num_env_steps_sampled_lifetime"]
    assert steps >= 200
    assert np.isfinite(result["env_runners"]["episode_return_mean"])
