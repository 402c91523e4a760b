import numpy as np
import pytest

import socialenvs
from socialenvs.dilemmas.matrix_game import GAMES, SYMMETRIC_GAMES


@pytest.mark.parametrize("game", sorted(SYMMETRIC_GAMES))
def test_symmetric_payoffs(game):
    R, S, T, P = SYMMETRIC_GAMES[game]
    env = socialenvs.make("matrix_game_v0", game=game)
    expected = {(0, 0): (R, R), (0, 1): (S, T), (1, 0): (T, S), (1, 1): (P, P)}
    for (a0, a1), (r0, r1) in expected.items():
        env.reset(seed=0)
        _, rew, *_ = env.step({"player_0": a0, "player_1": a1})
        assert (rew["player_0"], rew["player_1"]) == (r0, r1)


def test_game_orderings():
    R, S, T, P = SYMMETRIC_GAMES["prisoners_dilemma"]
    assert T > R > P > S and 2 * R > T + S
    R, S, T, P = SYMMETRIC_GAMES["stag_hunt"]
    assert R > T >= P > S
    R, S, T, P = SYMMETRIC_GAMES["chicken"]
    assert T > R > S > P
    R, S, T, P = SYMMETRIC_GAMES["harmony"]
    assert R > T and S > P


def test_battle_of_the_sexes_and_custom():
    env = socialenvs.make("matrix_game_v0", game="battle_of_the_sexes")
    env.reset(seed=0)
    assert env.step({"player_0": 1, "player_1": 1})[1] == {"player_0": 1.0, "player_1": 2.0}
    env = socialenvs.make(
        "matrix_game_v0",
        payoffs=[
            [[0, 0], [1, -1], [-1, 1]],
            [[-1, 1], [0, 0], [1, -1]],
            [[1, -1], [-1, 1], [0, 0]],
        ],
    )
    env.reset(seed=0)
    assert env.action_space("player_0").n == 3
    assert env.step({"player_0": 0, "player_1": 1})[1] == {"player_0": 1.0, "player_1": -1.0}
    assert "harmony" in GAMES


def test_observation_is_egocentric_history():
    env = socialenvs.make("matrix_game_v0", history=2)
    obs, _ = env.reset(seed=0)
    start = np.zeros(5)
    start[4] = 1
    np.testing.assert_array_equal(obs["player_0"], np.concatenate([start, start]))
    obs, *_ = env.step({"player_0": 0, "player_1": 1})  # (C, D)
    np.testing.assert_array_equal(obs["player_0"][:5], [0, 1, 0, 0, 0])  # own C, other D
    np.testing.assert_array_equal(obs["player_1"][:5], [0, 0, 1, 0, 0])  # own D, other C
    obs, *_ = env.step({"player_0": 1, "player_1": 1})
    np.testing.assert_array_equal(obs["player_0"][:5], [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(obs["player_0"][5:], [0, 1, 0, 0, 0])  # one round ago


def test_rounds_and_presets():
    env = socialenvs.make("matrix_game_v0", preset="dasgupta_musolesi")
    env.reset(seed=0)
    for _t in range(10):
        *_, trunc, _ = env.step({"player_0": 0, "player_1": 0})
    assert all(trunc.values()) and not env.agents
    env = socialenvs.make("matrix_game_v0", preset="lase_dev")
    env.reset(seed=0)
    assert env.step({"player_0": 1, "player_1": 0})[1] == {"player_0": 5.0, "player_1": 0.0}


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"game": "poker"}, "poker"),
        ({"history": 0}, "history"),
        ({"max_cycles": -1}, "max_cycles"),
        ({"payoffs": [1, 2, 3]}, "payoffs"),
        ({"preset": "nope"}, "preset"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        socialenvs.make("matrix_game_v0", **kwargs)


def test_cooperation_statistics_in_vector_view():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=2, max_cycles=3)
    venv.reset(seed=0)
    for _ in range(3):
        *_, infos = venv.step(np.array([[0, 0], [0, 1]]))
    np.testing.assert_array_equal(infos["episode"]["cooperations"], [6, 3])
