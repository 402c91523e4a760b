"""Staged punishment agents: stage states and a short training run."""

import numpy as np

from agents.punishment import PLAY, PUNISH, SELECT, StagedPunishmentAgents, stage_state
from socialenvs.core.registry import make_sim
from training.punishment import train_partner_choice


def test_stage_states_follow_the_paper():
    sim = make_sim("partner_choice_v0", punishment="dp")
    sim.seed(0)
    sim.reset()
    F = sim.OBS_FIELDS
    obs = sim.observe()[0]
    assert stage_state(obs[0], F, PLAY).tolist() == [0, 0, 1, 0, 0, 1, 0.5, 0.5]  # unknown
    assert stage_state(obs[0], F, SELECT).shape == (5,)
    p = int(sim.partner[0])
    a = np.zeros((1, 5), dtype=int)
    a[0, p] = 1
    sim.step(a)  # focal cooperates, partner defects
    obs = sim.observe()[0]
    assert stage_state(obs[0], F, PUNISH).tolist() == [0, 1, 1, 0]  # victim D, self C


def test_short_training_run_learns_and_reports():
    agents = StagedPunishmentAgents(3, make_sim("partner_choice_v0", num_players=3).OBS_FIELDS, 2)
    assert agents.policies[PUNISH, 0].epsilon == agents.stages[PUNISH].eps_max
    hist = train_partner_choice(2, seed=1, punishment="tpp_dp", rounds=4, num_players=3)
    assert len(hist) == 2
    assert all(0.0 <= h["cooperation"] <= 1.0 for h in hist)
    assert hist[-1]["punishments"] == hist[-1]["dp"] + hist[-1]["tpp"]
