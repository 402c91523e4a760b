"""The Gymnasium single-agent view: one seat against fixed co-players."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import socialenvs
import socialenvs.wrappers as W
from socialenvs.wrappers import SingleAgentEnv, single_agent

COOPERATE, DEFECT = 0, 1


def _tit_for_tat(obs: np.ndarray) -> np.ndarray:
    # matrix_game_v0, history=1: one-hot of own * 2 + other, slot 4 = no round yet.
    return (obs[:, 1] + obs[:, 3]).astype(np.int64)


class _AlwaysDefect:
    """An object with ``act`` and ``reset`` (counts episodes)."""

    def __init__(self):
        self.resets = 0

    def act(self, obs):
        return np.full(len(obs), DEFECT)

    def reset(self):
        self.resets += 1


class _SB3Like:
    def predict(self, obs, state=None, episode_start=None, deterministic=False):
        return np.full(len(obs), COOPERATE), None


def _episode(env, policy, seed=0):
    obs, _ = env.reset(seed=seed)
    rewards, infos = [], []
    while True:
        obs, r, term, trunc, info = env.step(policy(obs))
        rewards.append(r)
        infos.append(info)
        assert env.observation_space.contains(obs)
        if term or trunc:
            return np.array(rewards), infos, term, trunc


def test_exposed_on_the_wrappers_module():
    assert W.single_agent is single_agent
    assert isinstance(single_agent("matrix_game_v0"), SingleAgentEnv)


@pytest.mark.parametrize("co_players", ["random", _tit_for_tat, _AlwaysDefect()])
def test_passes_gymnasium_env_checker(co_players):
    env = single_agent(
        "matrix_game_v0", co_players=co_players, max_cycles=10, render_mode="rgb_array"
    )
    check_env(env, skip_render_check=False)


@pytest.mark.skipif("harvest_v0" not in socialenvs.list_envs(), reason="harvest_v0 not present")
def test_harvest_view_against_greedy_harvesters():
    scripted = pytest.importorskip("agents.scripted")
    env = single_agent("harvest_v0", num_agents=3, max_cycles=20)
    check_env(env)
    assert env.observation_space.shape == (15, 15, 3)
    harvester = scripted.make_scripted("greedy_harvester", env)  # reads env.sim
    env = single_agent("harvest_v0", co_players=harvester, num_agents=3, max_cycles=60)
    stay = env.sim.actions.names.index("stay")
    rewards, infos, _, _ = _episode(env, lambda obs: stay)
    ep = infos[-1]["episode"]
    assert ep["l"] == 60
    # The learner stays put; the greedy co-players do eat apples.
    assert ep["r"] == pytest.approx(rewards.sum())
    assert ep["apples_eaten"] > 0
    assert ep["returns"]["player_1"] + ep["returns"]["player_2"] > 0


def test_payoffs_against_always_defect_and_reset_hook():
    player = _AlwaysDefect()
    env = single_agent("matrix_game_v0", co_players=player, max_cycles=7)
    rewards, infos, term, trunc = _episode(env, lambda obs: COOPERATE)
    assert np.all(rewards == 0.0)  # sucker's payoff S = 0 every round
    assert not term and trunc and len(rewards) == 7
    rewards, *_ = _episode(env, lambda obs: DEFECT)
    assert np.all(rewards == 1.0)  # mutual defection P = 1
    assert player.resets == 2
    ep = infos[-1]["episode"]
    assert ep["r"] == 0.0 and ep["l"] == 7
    assert ep["returns"] == {"player_0": 0.0, "player_1": 28.0}  # T = 4 for the defector
    assert ep["cooperations"] == 7


def test_tit_for_tat_copies_the_learner_with_a_one_round_lag():
    env = single_agent("matrix_game_v0", co_players=_tit_for_tat, agent="player_1", max_cycles=12)
    learner_moves = np.array([0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1])
    env.reset(seed=0)
    co_moves = []
    for a in learner_moves:
        _, _, _, _, info = env.step(a)
        acts = {e["actor"]: e["context"] for e in info["events"] if e["kind"] == "act"}
        assert acts["player_1"] == a
        co_moves.append(acts["player_0"])
    assert co_moves[0] == COOPERATE
    assert co_moves[1:] == list(learner_moves[:-1])


def test_agents_package_policies_with_recurrent_state():
    scripted = pytest.importorskip("agents.scripted")
    env = single_agent("matrix_game_v0", co_players=scripted.Grim(), max_cycles=6)
    # One defection in round 2 makes grim defect for the rest of the episode ...
    moves = [COOPERATE, DEFECT, COOPERATE, COOPERATE, COOPERATE, COOPERATE]
    env.reset(seed=0)
    rewards = [env.step(m)[1] for m in moves]
    assert rewards == [3.0, 4.0, 0.0, 0.0, 0.0, 0.0]
    # ... and its state is reset with the next episode.
    env.reset(seed=1)
    assert [env.step(COOPERATE)[1] for _ in range(6)] == [3.0] * 6


def test_sequence_dict_and_predict_co_players_in_a_many_agent_env():
    pytest.importorskip("socialenvs.public_goods_v0")
    base = single_agent("public_goods_v0")
    n = base.sim.num_agents
    others = [a for a in base.agent_names if a != "player_1"]
    env_seq = single_agent("public_goods_v0", co_players=[_SB3Like()] * (n - 1), agent=1)
    env_dict = single_agent("public_goods_v0", co_players={a: _SB3Like() for a in others}, agent=1)
    env_one = single_agent("public_goods_v0", co_players=_SB3Like(), agent=1)
    outs = []
    for env in (env_seq, env_dict, env_one):
        env.reset(seed=5)
        env.action_space.seed(0)
        outs.append([env.step(env.action_space.sample())[1] for _ in range(3)])
    assert outs[0] == outs[1] == outs[2]


def test_random_co_players_are_reproducible_from_the_seed():
    env = single_agent("matrix_game_v0", co_players="random", max_cycles=30)

    def co_moves(seed):
        env.reset(seed=seed)
        moves = []
        for _ in range(30):
            info = env.step(COOPERATE)[4]
            moves.append([e["context"] for e in info["events"] if e["actor"] == "player_1"][0])
        return moves

    assert co_moves(4) == co_moves(4)
    assert co_moves(4) != co_moves(5)


def test_matches_the_parallel_env_step_for_step():
    env = single_agent("matrix_game_v0", co_players=_tit_for_tat, max_cycles=9)
    par = socialenvs.make("matrix_game_v0", max_cycles=9)
    obs, _ = env.reset(seed=2)
    pobs, _ = par.reset(seed=2)
    rng = np.random.default_rng(0)
    while par.agents:
        a = int(rng.integers(2))
        co = int(_tit_for_tat(pobs["player_1"][None])[0])
        pobs, prew, *_ = par.step({"player_0": a, "player_1": co})
        obs, r, *_ = env.step(a)
        np.testing.assert_array_equal(obs, pobs["player_0"])
        assert r == prew["player_0"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"agent": 2}, "agent=2"),
        ({"agent": "player_9"}, "player_9"),
        ({"agent": True}, "agent=True"),
        ({"co_players": "tit_for_tat"}, "only named co-player"),
        ({"co_players": [_tit_for_tat, _tit_for_tat]}, "one per other seat"),
        ({"co_players": {"player_0": _tit_for_tat}}, "exactly the keys"),
        ({"co_players": 3}, "not usable"),
        ({"render_mode": "human"}, "human"),
        ({"max_cycles": 0}, "max_cycles"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        single_agent("matrix_game_v0", **kwargs)


def test_bad_co_player_output_and_step_before_reset():
    env = single_agent("matrix_game_v0", co_players=lambda obs: [0, 0, 0])
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="returned 3 actions"):
        env.step(0)
    env = single_agent("matrix_game_v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="out of range"):
        env.step(5)


def test_sb3_ppo_learns_a_best_response_against_always_cooperate():
    """Single-agent SB3 on the view: against a fixed cooperator, defecting pays T > R."""
    sb3 = pytest.importorskip("stable_baselines3")
    import torch

    torch.set_num_threads(1)
    always_cooperate = lambda obs: np.zeros(len(obs), dtype=np.int64)  # noqa: E731
    env = single_agent("matrix_game_v0", co_players=always_cooperate, max_cycles=16)
    model = sb3.PPO(
        "MlpPolicy",
        env,
        n_steps=256,
        batch_size=64,
        n_epochs=4,
        learning_rate=1e-3,
        seed=0,
        device="cpu",
    )
    model.learn(3072)
    obs, _ = env.reset(seed=1)
    defections = 0
    for _ in range(16):
        action, _ = model.predict(obs, deterministic=True)
        obs, *_ = env.step(action)
        defections += int(action) == DEFECT
    assert defections == 16
