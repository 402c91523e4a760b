"""Stable-Baselines3: our VectorEnv -> VecEnv adapter (B x N slots, parameter sharing)."""

from __future__ import annotations

import numpy as np
import pytest

sb3 = pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")

import socialenvs  # noqa: E402
from socialenvs.wrappers.sb3 import SB3VecEnv, make_sb3_vec_env  # noqa: E402

B, T = 3, 5


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_slots_are_copies_times_agents_and_follow_the_vector_env():
    venv = make_sb3_vec_env("coin_game_v0", num_envs=B, max_cycles=T)
    ref = socialenvs.make_vec("coin_game_v0", num_envs=B, max_cycles=T)
    N = ref.num_agents
    assert venv.num_envs == B * N
    assert venv.observation_space == ref.single_observation_space
    venv.seed(7)
    obs = venv.reset()
    ref_obs, _ = ref.reset(seed=7)
    np.testing.assert_array_equal(obs, ref_obs.reshape(B * N, *ref_obs.shape[2:]))
    rng = np.random.default_rng(0)
    returns = np.zeros(B * N)
    for t in range(1, 2 * T + 1):
        actions = rng.integers(ref.single_action_space.n, size=B * N)
        obs, rewards, dones, infos = venv.step(actions)
        ref_obs, ref_rew, _, _, ref_info = ref.step(actions.reshape(B, N))
        np.testing.assert_array_equal(obs, ref_obs.reshape(B * N, *ref_obs.shape[2:]))
        np.testing.assert_array_equal(rewards, ref_rew.reshape(-1))
        returns += rewards
        assert len(infos) == B * N
        if t % T:
            assert not dones.any() and all(info == {} for info in infos)
            continue
        assert dones.all()
        for s, info in enumerate(infos):
            b, i = divmod(s, N)
            np.testing.assert_array_equal(info["terminal_observation"], ref_info["final_obs"][b, i])
            assert info["TimeLimit.truncated"] is True
            assert info["episode"]["r"] == pytest.approx(returns[s])
            assert info["episode"]["l"] == T
            assert info["episode"]["collective_return"] == pytest.approx(
                returns[b * N : (b + 1) * N].sum()
            )
        returns[:] = 0


def test_seed_then_reset_seeds_copy_b_with_seed_plus_b():
    venv = make_sb3_vec_env("coin_game_v0", num_envs=B, max_cycles=T)
    N = venv.num_agents
    assert venv.seed(10) == [10 + s // N for s in range(B * N)]
    obs = venv.reset()
    for b in range(B):
        par_obs, _ = socialenvs.make("coin_game_v0", max_cycles=T).reset(seed=10 + b)
        for i, agent in enumerate(venv.agent_names):
            np.testing.assert_array_equal(obs[b * N + i], par_obs[agent])
    # The seed is used once: a later reset() starts a new episode, not the same one.
    venv.seed(10)
    first = venv.reset()
    venv.reset()
    venv.seed(10)
    np.testing.assert_array_equal(venv.reset(), first)


def _ppo_params(seed: int, **kwargs) -> tuple[torch.Tensor, object]:
    venv = make_sb3_vec_env("coin_game_v0", num_envs=2, max_cycles=20, **kwargs)
    model = sb3.PPO(
        "MlpPolicy", venv, n_steps=64, batch_size=128, n_epochs=2, seed=seed, device="cpu"
    )
    model.learn(1024)
    return torch.nn.utils.parameters_to_vector(model.policy.parameters()).detach(), model


def test_ppo_seed_makes_runs_identical():
    p1, model = _ppo_params(0, obs_type="rgb")  # image obs: SB3 inserts VecTransposeImage
    p2, _ = _ppo_params(0, obs_type="rgb")
    p3, _ = _ppo_params(1, obs_type="rgb")
    assert torch.equal(p1, p2)
    assert not torch.equal(p1, p3)
    assert isinstance(model.get_env().unwrapped, SB3VecEnv)
    # Episode infos reach SB3's Monitor-style buffer, social metrics included.
    assert len(model.ep_info_buffer) > 0
    ep = model.ep_info_buffer[-1]
    assert {"r", "l", "efficiency", "equality", "sustainability", "peace"} <= set(ep)


def test_ppo_trains_on_matrix_game_for_a_few_thousand_steps():
    venv = make_sb3_vec_env("matrix_game_v0", num_envs=8, max_cycles=16)
    model = sb3.PPO(
        "MlpPolicy", venv, n_steps=128, batch_size=256, n_epochs=2, seed=0, device="cpu"
    )
    model.learn(4096)
    assert model.num_timesteps >= 4096
    assert np.mean([ep["l"] for ep in model.ep_info_buffer]) == 16


@pytest.mark.skipif("harvest_v0" not in socialenvs.list_envs(), reason="harvest_v0 not present")
def test_ppo_trains_on_harvest_rgb_for_a_few_thousand_steps():
    venv = make_sb3_vec_env("harvest_v0", num_envs=4, num_agents=2, max_cycles=50)
    model = sb3.PPO("MlpPolicy", venv, n_steps=64, batch_size=256, n_epochs=2, seed=0, device="cpu")
    model.learn(2048)
    assert model.num_timesteps >= 2048
    ep = model.ep_info_buffer[-1]
    assert ep["l"] == 50 and "apples_eaten" in ep


def test_vec_env_methods():
    venv = make_sb3_vec_env("coin_game_v0", num_envs=2, render_mode="rgb_array", max_cycles=T)
    venv.reset()
    assert venv.get_attr("render_mode") == ["rgb_array"] * venv.num_envs
    assert venv.get_attr("num_envs", indices=[0, 1]) == [2, 2]
    assert venv.env_is_wrapped(object) == [False] * venv.num_envs
    images = venv.get_images()
    assert len(images) == venv.num_envs and images[0].dtype == np.uint8 and images[0].ndim == 3
    np.testing.assert_array_equal(images[0], images[1])  # slots 0, 1 = copy 0's two agents
    assert venv.render().ndim == 3
    venv.set_attr("foo", 3)
    assert venv.get_attr("foo") == [3] * venv.num_envs
    with pytest.raises(RuntimeError, match="step_async"):
        venv.step_wait()


def test_bad_arguments():
    with pytest.raises(ValueError, match="VectorEnv"):
        SB3VecEnv(socialenvs.make("matrix_game_v0"))
    with pytest.raises(ValueError, match="render_mode"):
        make_sb3_vec_env("matrix_game_v0", render_mode="human")
