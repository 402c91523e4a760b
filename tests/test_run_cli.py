"""``socialenvs run`` / ``socialenvs list``: the torch-free demo command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import socialenvs
from socialenvs.run import default_env, main, parse_value, play, write_gif


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_list_shows_every_env_with_its_description(capsys):
    rc, out, _ = _run(capsys, "list")
    assert rc == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(socialenvs.list_envs())
    for env_id in socialenvs.list_envs():
        line = next(ln for ln in lines if ln.split()[0] == env_id)
        doc_first = socialenvs.core.registry.get_module(env_id).__doc__.strip().splitlines()[0]
        assert doc_first.strip() in line


def test_run_prints_metrics_table(capsys):
    rc, out, _ = _run(capsys, "run", "coin_game_v0", "--episodes", "3", "--quiet")
    assert rc == 0
    assert "over 3 episode(s)" in out
    for row in (
        "efficiency",
        "equality",
        "sustainability",
        "peace",
        "collective_return",
        "own_coins",
        "other_coins",
        "return player_0",
    ):
        assert f"| {row}" in out
    # The printed mean of the collective return is the one play() measures.
    metrics, _ = play("coin_game_v0", episodes=3, seed=0)
    mean = metrics["collective_return"].mean()
    row = next(ln for ln in out.splitlines() if ln.startswith("| collective_return"))
    assert float(row.split("|")[2].split("±")[0]) == pytest.approx(mean, abs=1e-3)


def test_run_is_deterministic_in_its_seed(capsys):
    args = ("run", "coin_game_v0", "--episodes", "4", "--num-envs", "2", "--quiet")
    a = _run(capsys, *args, "--seed", "1")[1]
    b = _run(capsys, *args, "--seed", "1")[1]
    c = _run(capsys, *args, "--seed", "2")[1]
    assert a == b
    assert a != c


def test_play_counts_episodes_across_batches():
    metrics, actions = play("coin_game_v0", episodes=5, num_envs=2, seed=0, max_cycles=7)
    assert metrics["efficiency"].shape == (5,)
    assert metrics["returns"].shape == (5, 2)
    assert np.all(metrics["length"] == 7)
    assert actions.shape == (7, 2)


def test_fixed_action_policy_and_max_cycles(capsys):
    rc, out, _ = _run(
        capsys,
        "run",
        "matrix_game_v0",
        "--policy",
        "action:0",
        "--max-cycles",
        "10",
        "--episodes",
        "1",
        "--quiet",
    )
    assert rc == 0
    # Both always cooperate in the prisoner's dilemma: R = 3 each, 10 rounds.
    assert "| collective_return | 60 ± 0" in out
    assert "| cooperations      | 20 ± 0" in out


def test_set_values_reach_the_env(capsys):
    rc, out, _ = _run(
        capsys,
        "run",
        "coin_game_v0",
        "--set",
        "grid_size=4",
        "--set",
        "twin_coins=true",
        "--set",
        "max_cycles=5",
        "--episodes",
        "1",
        "--quiet",
    )
    assert rc == 0
    assert "grid_size=4" in out and "twin_coins=True" in out
    assert "| length            | 5 ± 0" in out


@pytest.mark.parametrize(
    "text,value",
    [
        ("3", 3),
        ("0.5", 0.5),
        ("True", True),
        ("false", False),
        ("none", None),
        ("(3, 0, 4, 1)", (3, 0, 4, 1)),
        ("rgb", "rgb"),
        ("lase", "lase"),
    ],
)
def test_parse_value(text, value):
    assert parse_value(text) == value


def test_default_run_without_env(capsys):
    rc, out, _ = _run(capsys, "run", "--episodes", "1", "--quiet", "--max-cycles", "20")
    assert rc == 0
    assert "no env given" in out and default_env() in out


@pytest.mark.parametrize(
    "argv,match",
    [
        (("run", "no_such_env"), "unknown environment"),
        (("run", "coin_game_v0", "--set", "no_such_key=1"), "valid arguments"),
        (("run", "coin_game_v0", "--set", "grid_size"), "key=value"),
        (("run", "coin_game_v0", "--set", "grid_size=1"), "grid_size"),
        (("run", "coin_game_v0", "--policy", "clever"), "not allowed"),
        (("run", "coin_game_v0", "--episodes", "0"), "episodes"),
    ],
)
def test_bad_input_exits_2_with_message(capsys, argv, match):
    rc, _, err = _run(capsys, *argv)
    assert rc == 2
    assert match in err
    assert "Traceback" not in err


def test_gif_has_every_frame_of_episode_one(tmp_path, capsys):
    iio = pytest.importorskip("imageio.v3")
    path = tmp_path / "coin.gif"
    rc, out, _ = _run(
        capsys,
        "run",
        "coin_game_v0",
        "--max-cycles",
        "12",
        "--episodes",
        "2",
        "--gif",
        str(path),
        "--quiet",
    )
    assert rc == 0 and path.exists()
    assert "13 frames" in out  # the reset frame plus one per step, final state included
    frames = iio.imread(path, index=None)
    assert frames.ndim == 4 and min(frames.shape[1:3]) >= 256


def test_gif_replays_copy_zero(tmp_path):
    """The replayed episode is the one the VectorEnv played: same final state."""
    pytest.importorskip("imageio")
    _, actions = play("coin_game_v0", episodes=1, num_envs=3, seed=4, max_cycles=9)
    venv = socialenvs.make_vec("coin_game_v0", num_envs=3, max_cycles=9)
    venv.reset(seed=4)
    frames = []
    for joint in actions[:-1]:
        venv.step(np.stack([joint, joint, joint]))
        frames.append(venv.render(0))
    assert write_gif(str(tmp_path / "x.gif"), "coin_game_v0", 4, actions, max_cycles=9) == 10
    env = socialenvs.make("coin_game_v0", render_mode="rgb_array", max_cycles=9)
    env.reset(seed=4)
    for t, joint in enumerate(actions[:-1]):
        env.step({"player_0": int(joint[0]), "player_1": int(joint[1])})
        np.testing.assert_array_equal(env.render(), frames[t])


def test_gif_without_imageio_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio", None)
    monkeypatch.setitem(sys.modules, "imageio.v3", None)
    rc, _, err = _run(
        capsys,
        "run",
        "coin_game_v0",
        "--max-cycles",
        "3",
        "--episodes",
        "1",
        "--gif",
        str(tmp_path / "x.gif"),
        "--quiet",
    )
    assert rc == 2
    assert "socialenvs[viz]" in err


def test_console_entry_point_subprocess():
    cmd = [sys.executable, "-m", "socialenvs.cli"]
    ok = subprocess.run(
        cmd + ["run", "matrix_game_v0", "--episodes", "1", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "efficiency" in ok.stdout
    bad = subprocess.run(cmd + ["run", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "unknown environment" in bad.stderr and "Traceback" not in bad.stderr
