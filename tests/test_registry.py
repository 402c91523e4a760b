import pytest

import socialenvs


def test_list_and_aliases():
    envs = socialenvs.list_envs()
    assert "matrix_game_v0" in envs
    for alias in ("matrix_game_v0", "matrix-game-v0", "socialenvs/matrix_game-v0"):
        assert socialenvs.make(alias).metadata["name"] == "matrix_game_v0"


def test_unknown_id_lists_available():
    with pytest.raises(ValueError, match="available: .*matrix_game_v0"):
        socialenvs.make("harvset_v0")
    with pytest.raises(ValueError, match="available"):
        socialenvs.make_vec("nope", num_envs=2)


def test_bad_num_envs():
    with pytest.raises(ValueError, match="num_envs"):
        socialenvs.make_vec("matrix_game_v0", num_envs=0)


def test_module_api():
    from socialenvs import matrix_game_v0

    par = matrix_game_v0.parallel_env(max_cycles=3)
    aec = matrix_game_v0.env(max_cycles=3)
    raw = matrix_game_v0.raw_env(max_cycles=3)
    assert par.metadata["name"] == "matrix_game_v0"
    aec.reset(seed=0)
    raw.reset(seed=0)
    assert aec.agent_selection == "player_0"
    assert "Arguments" in matrix_game_v0.__doc__


def test_render_mode_validation():
    with pytest.raises(ValueError, match="render_mode"):
        socialenvs.make("matrix_game_v0", render_mode="window")
