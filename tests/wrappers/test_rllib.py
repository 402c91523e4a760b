"""RLlib through ParallelPettingZooEnv; skipped unless the ``rllib`` extra is installed.

Ray pins an exact Gymnasium version, so this runs in its own environment:
``pip install -e ".[rllib,dev]" && pytest tests/wrappers/test_rllib.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.rllib")

from socialenvs.wrappers.rllib import (  # noqa: E402
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


@pytest.mark.slow
def test_ppo_trains_one_iteration_with_a_shared_policy():
    ray.init(num_cpus=1, include_dashboard=False, ignore_reinit_error=True)
    try:
        config = rllib_ppo_config(
            "matrix_game_v0", train_batch_size=200, minibatch_size=100, seed=0, max_cycles=20
        )
        algo = config.build_algo() if hasattr(config, "build_algo") else config.build()
        result = algo.train()
        algo.stop()
    finally:
        ray.shutdown()
    steps = result["env_runners"]["num_env_steps_sampled_lifetime"]
    assert steps >= 200
    assert np.isfinite(result["env_runners"]["episode_return_mean"])
