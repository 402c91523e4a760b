"""The SuperSuit recipe for Stable-Baselines3 (pettingzoo_env_to_vec_env_v1 + concat_vec_envs_v1)."""

from __future__ import annotations

import numpy as np
import pytest

sb3 = pytest.importorskip("stable_baselines3")
ss = pytest.importorskip("supersuit")
torch = pytest.importorskip("torch")

import socialenvs  # noqa: E402
from socialenvs.wrappers import EpisodeStatistics  # noqa: E402
from socialenvs.wrappers.sb3 import supersuit_vec_env  # noqa: E402

# Small configs keep each run to a few seconds.
RECIPE_ENVS = [pytest.param("matrix_game_v0", {"max_cycles": 16}, "MlpPolicy", id="matrix_game_v0")]
if "harvest_v0" in socialenvs.list_envs():
    RECIPE_ENVS.append(
        pytest.param(
            "harvest_v0", {"num_agents": 2, "max_cycles": 50}, "MlpPolicy", id="harvest_v0"
        )
    )


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("env_id,kwargs,policy", RECIPE_ENVS)
def test_plain_supersuit_recipe_trains_ppo(env_id, kwargs, policy):
    """The recipe exactly as documented: seed through env.reset(seed=), not PPO(seed=)."""
    env = EpisodeStatistics(socialenvs.make(env_id, **kwargs))
    env.reset(seed=0)
    venv = ss.pettingzoo_env_to_vec_env_v1(env)
    venv = ss.concat_vec_envs_v1(venv, 2, num_cpus=1, base_class="stable_baselines3")
    n_slots = 2 * len(env.possible_agents)
    assert venv.num_envs == n_slots
    model = sb3.PPO(policy, venv, n_steps=128, batch_size=128, n_epochs=2, device="cpu")
    model.learn(2048)
    assert model.num_timesteps >= 2048
    # EpisodeStatistics' "r"/"l" reached SB3's episode buffer through SuperSuit.
    assert len(model.ep_info_buffer) > 0
    assert {"r", "l", "efficiency", "equality"} <= set(model.ep_info_buffer[-1])
    assert model.ep_info_buffer[-1]["l"] == kwargs["max_cycles"]
    venv.close()


def test_helper_copies_get_seed_plus_c():
    venv = supersuit_vec_env("coin_game_v0", num_copies=3, seed=4, max_cycles=10)
    obs = venv.reset()
    n = 2
    for c in range(3):
        par_obs, _ = socialenvs.make("coin_game_v0", max_cycles=10).reset(seed=4 + c)
        for i in range(n):
            np.testing.assert_array_equal(obs[c * n + i], par_obs[f"player_{i}"])


def test_helper_makes_ppo_seed_work_and_runs_identical():
    def run(seed):
        venv = supersuit_vec_env("coin_game_v0", num_copies=2, max_cycles=20)
        model = sb3.PPO(
            "MlpPolicy", venv, n_steps=64, batch_size=128, n_epochs=2, seed=seed, device="cpu"
        )
        model.learn(1024)
        return torch.nn.utils.parameters_to_vector(model.policy.parameters()).detach()

    p0 = run(0)
    assert torch.equal(p0, run(0))
    assert not torch.equal(p0, run(1))


def test_helper_rejects_kwargs_with_an_env_object():
    with pytest.raises(ValueError, match="env id"):
        supersuit_vec_env(socialenvs.make("matrix_game_v0"), max_cycles=3)
