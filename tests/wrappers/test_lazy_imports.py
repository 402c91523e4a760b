"""``import socialenvs.wrappers`` never pulls in torch or the optional RL libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "stable_baselines3", "supersuit", "ray", "torchrl", "tensordict")


def test_wrappers_import_without_optional_libraries():
    code = (
        "import sys, socialenvs, socialenvs.wrappers as W\n"
        "W.single_agent('matrix_game_v0'); W.EpisodeStatistics(socialenvs.make('matrix_game_v0'))\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve_and_unknown_names_raise():
    import socialenvs.wrappers as W

    pytest.importorskip("stable_baselines3")
    from socialenvs.wrappers.sb3 import SB3VecEnv

    assert W.SB3VecEnv is SB3VecEnv
    with pytest.raises(AttributeError, match="no_such_wrapper"):
        W.no_such_wrapper  # noqa: B018
