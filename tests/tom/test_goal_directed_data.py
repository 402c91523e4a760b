"""Whole-trajectory pasts of goal-directed agents carry their preference (Rabinowitz et
al. 2018, Sec. 3.2), and the consumption loss reaches the character net: the two
preconditions of the goal-directed ToMnet check, so that a failure there is about
learning, not about data or wiring."""

from __future__ import annotations

import torch

from agents.tomnet import batch_to_tensors
from socialenvs.tom.dataset import TomDataset
from socialenvs.tom.species import GoalDirectedSpecies
from training.tom import model_for, past_consumption_vote_accuracy


def _dataset():
    return TomDataset(GoalDirectedSpecies(0.01), n_past_max=5, past_mode="trajectory", seed=1)


def test_last_step_of_past_episodes_reveals_the_consumed_object():
    # The last recorded step of a past episode is the move onto the consumed object;
    # a vote over past episodes then names the object consumed in the current one.
    acc = past_consumption_vote_accuracy(_dataset(), (0, 1, 5), size=64)
    assert acc[1] >= 0.95 and acc[5] >= 0.95
    assert acc[0] <= 0.5  # nothing to read without a past


def test_consumption_loss_reaches_the_character_net():
    ds = _dataset()
    torch.manual_seed(0)
    net = model_for(ds, channels=4, char_lstm_size=8, mental=False)
    mb = batch_to_tensors(ds.batch(8, 0, n_past=2))
    out = net(mb)
    logits = out.consumption_logits
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, mb["target_consumption"])
    loss.backward()
    grads = [p.grad.abs().sum() for p in net.character.parameters() if p.grad is not None]
    assert len(grads) == len(list(net.character.parameters()))
    assert float(sum(grads)) > 0
