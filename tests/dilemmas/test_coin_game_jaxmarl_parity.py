"""Cross-implementation parity: our coin game with ``preset="jaxmarl"`` against JaxMARL's.

Skipped unless ``jaxmarl`` is importable (it is not a dependency). From random states
(players anywhere, two coins on free cells) and random joint actions, one step of both
implementations must give the same rewards, and, when no coin was picked up (JaxMARL
respawns coins at random), the same observations: JaxMARL's absolute observation has
the planes (self, other, own coin, other's coin) with egocentric colours, like ours, and
its ``egocentric=True`` view is our ``centred_view=True``.
"""

from __future__ import annotations

import numpy as np
import pytest

import socialenvs
from socialenvs.dilemmas.coin_game import DOWN, LEFT, RIGHT, STAY, UP

jax = pytest.importorskip("jax")
jaxmarl = pytest.importorskip("jaxmarl")
jnp = jax.numpy

# JaxMARL's action i moves by its MOVES[i] = right, left, +row, -row, stay (v0.2).
TO_JAXMARL = {RIGHT: 0, LEFT: 1, DOWN: 2, UP: 3, STAY: 4}


@pytest.mark.parametrize("centred", [False, True])
def test_one_step_rewards_and_observations_match_jaxmarl(centred):
    theirs = jaxmarl.make("coin_game", cnn=True, egocentric=centred)
    _, base_state = theirs.reset(jax.random.PRNGKey(0))
    step = jax.jit(theirs.step_env)
    ours = socialenvs.make_sim("coin_game_v0", num_envs=1, preset="jaxmarl", centred_view=centred)
    ours.seed(0)
    ours.reset()
    rng = np.random.default_rng(0)
    picked = 0
    for trial in range(300):
        p = rng.integers(3, size=(2, 2))
        free = [(r, c) for r in range(3) for c in range(3) if [r, c] not in p.tolist()]
        coins = np.array([free[i] for i in rng.choice(len(free), size=2, replace=False)])
        a = rng.integers(5, size=2)
        state = base_state.replace(
            red_pos=jnp.array(p[0]),
            blue_pos=jnp.array(p[1]),
            red_coin_pos=jnp.array(coins[0]),
            blue_coin_pos=jnp.array(coins[1]),
        )
        obs_j, _, rew_j, _, _ = step(
            jax.random.PRNGKey(trial),
            state,
            {"0": TO_JAXMARL[int(a[0])], "1": TO_JAXMARL[int(a[1])]},
        )
        ours.pos[0] = p[:, 0] * 3 + p[:, 1]
        ours.coin_pos[0] = coins[:, 0] * 3 + coins[:, 1]
        ours.coin_owner[0] = [0, 1]
        rewards, _, _ = ours.step(a[None])
        np.testing.assert_allclose(rewards[0], [rew_j["0"], rew_j["1"]], err_msg=f"trial {trial}")
        if ours.last_events.size == 0:
            obs = ours.observe()[0]
            np.testing.assert_array_equal(obs[0], np.asarray(obs_j["0"]))
            np.testing.assert_array_equal(obs[1], np.asarray(obs_j["1"]))
        else:
            picked += 1
    assert picked > 30  # the pickup cases were exercised
