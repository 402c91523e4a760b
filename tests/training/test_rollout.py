import numpy as np
import pytest

import socialenvs
from agents.policy import Policy, PolicyStep
from agents.scripted import TitForTat
from training.rollout import Matchmaker, RolloutCollector, joint_critic_obs


class StepCounter(Policy):
    """Recurrent test policy: its state counts steps since the episode start; it reports
    the count as its log-prob and values observations as 10 * argmax(slot 0)."""

    recurrent = True
    name = "counter"

    def initial_state(self, batch_size):
        return (np.zeros(batch_size, dtype=np.int64),)

    def act(self, obs, state=(), *, deterministic=False, rng=None, **_):
        count = state[0]
        return PolicyStep(
            np.zeros(len(obs), np.int64), count.astype(np.float32), self.value(obs), (count + 1,)
        )

    def value(self, obs, state=(), critic_obs=None):
        return 10.0 * obs[:, :5].argmax(axis=1).astype(np.float32) + 1.0


def test_recurrent_state_resets_at_episode_ends():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=3, max_cycles=4)
    col = RolloutCollector(venv, [StepCounter()], seed=0)
    ro = col.collect(10)
    counts = ro.log_probs[:, 0, 0]
    np.testing.assert_array_equal(counts, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    np.testing.assert_array_equal(ro.episode_start[:, 0, 0], counts == 0)
    assert ro.dones[:, 0, 0].tolist() == [c == 3 for c in counts]


def test_truncation_bootstraps_from_final_obs_and_next_values_follow():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=2, max_cycles=3)
    pol = StepCounter()
    col = RolloutCollector(venv, [pol, TitForTat()], Matchmaker([0, 1]), learners=[0], seed=0)
    ro = col.collect(7)
    for t in range(7):
        if ro.dones[t, 0, 0]:
            # final obs encodes the last joint action (own * 2 + other); V = 10 * code + 1
            code = ro.actions[t, 0, 0] * 2 + ro.actions[t, 0, 1]
            assert ro.next_values[t, 0, 0] == pytest.approx(10 * code + 1)
        elif t < 6:
            assert ro.next_values[t, 0, 0] == ro.values[t + 1, 0, 0]
    # co-player slots are not learners: no values, no bootstraps
    assert not ro.learner_mask[..., 1].any()
    assert np.all(ro.next_values[..., 1] == 0)


def test_population_sampled_per_episode_and_copy():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=64, max_cycles=2)
    pols = [StepCounter(), TitForTat(), TitForTat()]
    mm = Matchmaker([0, [1, 2]], probs=[None, [0.25, 0.75]])
    col = RolloutCollector(venv, pols, mm, learners=[0], seed=3)
    ro = col.collect(40)
    seat1 = ro.policy_ids[..., 1]  # [T, B]
    # constant within an episode (changes only right after an episode start)
    changed = seat1[1:] != seat1[:-1]
    assert not (changed & ~ro.episode_start[1:, :, 1]).any()
    frac = (seat1[ro.episode_start[..., 1]] == 2).mean()
    assert 0.65 < frac < 0.85
    assert np.all(ro.policy_ids[..., 0] == 0)


def test_matchmaker_and_mapping_errors():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=1)
    with pytest.raises(ValueError, match="seats"):
        RolloutCollector(venv, [TitForTat()], Matchmaker([0, 0, 0]))
    with pytest.raises(ValueError, match="policy indices"):
        RolloutCollector(venv, [TitForTat()], Matchmaker([0, 1]))
    with pytest.raises(ValueError, match="probs"):
        Matchmaker([[0, 1]], probs=[[0.5, 0.6]])
    with pytest.raises(ValueError, match="missing"):
        RolloutCollector.from_agents(venv, {"player_0": TitForTat()})


def test_from_agents_shares_one_policy_object():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=2)
    tft = TitForTat()
    col = RolloutCollector.from_agents(venv, {"player_0": tft, "player_1": tft}, learners=[tft])
    assert len(col.policies) == 1
    ro = col.collect(3)
    assert ro.learner_mask.all()
    # two tit-for-tats cooperate forever
    assert (ro.actions == 0).all()


def test_joint_critic_obs_puts_own_first():
    obs = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    j = joint_critic_obs(obs)
    assert j.shape == (2, 3, 12)
    np.testing.assert_array_equal(j[1, 2], np.concatenate([obs[1, 2], obs[1, 0], obs[1, 1]]))
    grid = np.random.default_rng(0).integers(0, 2, (2, 3, 5, 5, 4))
    jg = joint_critic_obs(grid)
    assert jg.shape == (2, 3, 5, 5, 12)
    np.testing.assert_array_equal(jg[0, 1, ..., 4:8], grid[0, 2])
