"""Diagnostics of the goal-directed ToMnet check (Rabinowitz et al. 2018, Sec. 3.2).

Usage::

    python benchmarks/tom_goal_diagnostics.py vote                       # do pasts carry it?
    python benchmarks/tom_goal_diagnostics.py supervised --steps 400     # can the char net?
    python benchmarks/tom_goal_diagnostics.py end_to_end --steps 600     # the check's training
    python benchmarks/tom_goal_diagnostics.py skip --steps 1500          # + linear e_char path
    python benchmarks/tom_goal_diagnostics.py end_to_end --losses c --lr 1e-3 --steps 1300
    python benchmarks/tom_goal_diagnostics.py end_to_end --lr 1e-3 --warmup-c 1300 --steps 4000
    python benchmarks/tom_goal_diagnostics.py end_to_end --lr 1e-3 --losses c --mental \
        --false-belief-data sighted --query-steps 0 31 --steps 1500   # the false-belief data

All on the fast tier's data and net unless told otherwise (whole past trajectories,
8 channels, LSTM 16, no mental net, minibatches of 16 cut from chunks of 8 minibatches,
Adam at a constant ``--lr``; ``--channels 32`` gives the paper's widths (LSTM: twice the
channels), ``--past-mode snapshot`` single-snapshot pasts, ``--batch-size`` the
minibatch, ``--mental`` adds the mental net, ``--query-steps`` the range of query
times, ``--false-belief-data sighted|full`` the false-belief check's swap episodes with
``--swap-prob``):

* ``vote``: accuracy of the hand-made observer
  (:func:`training.tom.past_consumption_vote_accuracy`) on the check's test samples;
* ``supervised``: the character net alone, trained with a linear read-out of e_char
  to the agent's preferred object (cross-entropy): can it extract the preference?
* ``end_to_end``: the ToMnet trained as in the check (``--losses`` picks the terms of
  ``L_action + L_consumption + L_SR``), logging the norm of the gradient of each loss
  term on e_char (``ge_c``, ``ge_a``, ``ge_s``), the spread of e_char over samples
  (``e_std``) and the consumption accuracy on samples with a past (``cacc_past``);
  ``--warmup-c N`` trains the first N minibatches on the consumption loss alone (the
  check's warm-up, ``training.tom.ToMTrainConfig.warmup_steps``);
* ``skip``: as ``end_to_end`` plus a linear map from e_char added to the consumption
  logits (not the paper's net: it tests whether e_char's path through the prediction
  torso is where the learning signal is lost).

Rows are printed every 50 minibatches (means over them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from agents.tomnet import batch_to_tensors  # noqa: E402
from socialenvs.tom.dataset import TomDataset  # noqa: E402
from socialenvs.tom.species import GoalDirectedSpecies  # noqa: E402
from training.tom import model_for, past_consumption_vote_accuracy  # noqa: E402


def _train(args) -> None:
    torch.manual_seed(args.seed)
    extra = {}
    if args.false_belief_data:  # the false-belief check's training data (fast tier)
        extra = dict(
            env_kwargs=dict(
                observability=args.false_belief_data,
                swap_prob=args.swap_prob,
                swap_steps=(1, 4),
                swap_preferred=True,
                window_size=5,
            ),
            query_steps=(1, 6),
        )
    if args.query_steps:
        extra["query_steps"] = tuple(args.query_steps)
    ds = TomDataset(GoalDirectedSpecies(0.01), past_mode=args.past_mode, seed=args.seed, **extra)
    net = model_for(
        ds,
        channels=args.channels,
        char_lstm_size=2 * args.channels,
        mental=args.mental,
        char_dim=args.char_dim,
    )
    if args.char_out_gain != 1.0:  # scale the initial e_char (init-scale diagnostic)
        with torch.no_grad():
            net.character.out.weight.mul_(args.char_out_gain)
    head = torch.nn.Linear(args.char_dim, ds.num_objects)
    params = list(net.parameters())
    if args.what in ("supervised", "skip"):
        params += list(head.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    bs, step, chunk, rows, t0 = args.batch_size, 0, 0, [], time.time()
    while step < args.steps:
        tensors = batch_to_tensors(ds.batch(8 * bs, chunk))
        chunk += 1
        for s in range(0, 8 * bs, bs):
            mb = {k: v[s : s + bs] for k, v in tensors.items()}
            has_past = mb["past_mask"].any(1)
            e = net.character(
                mb["past_states"], mb["past_actions"], mb["past_step_mask"], mb["past_mask"]
            )
            if args.what == "supervised":
                logits = head(e)
                loss = F.cross_entropy(logits, mb["labels"])
                hit = (logits.argmax(1) == mb["labels"])[has_past]
                row = {"loss": float(loss.detach()), "acc_past": float(hit.float().mean())}
            else:
                out = net.predict(mb, e)
                cons = out.consumption_logits + (head(e) if args.what == "skip" else 0.0)
                terms = {
                    "a": F.cross_entropy(out.action_logits, mb["target_action"]),
                    "c": F.binary_cross_entropy_with_logits(
                        cons, mb["target_consumption"], reduction="sum"
                    )
                    / bs,
                    "s": -(mb["target_sr"] * out.sr_log_probs).sum() / bs,
                }
                row = {f"l{k}": float(v.detach()) for k, v in terms.items()}
                for k, v in terms.items():
                    row[f"ge_{k}"] = float(torch.autograd.grad(v, e, retain_graph=True)[0].norm())
                losses = args.losses if step >= args.warmup_c else "c"
                loss = sum(terms[k] for k in losses.split(","))
                target = mb["target_consumption"].argmax(1)
                row["cacc_past"] = float((cons.argmax(1) == target)[has_past].float().mean())
                row["e_std"] = (
                    float(e[has_past].detach().std(0).mean()) if has_past.sum() > 1 else 0
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            rows.append(row)
            step += 1
            if step % 50 == 0:
                mean = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}
                print(step, mean, f"{time.time() - t0:.0f}s", flush=True)
                rows = []
            if step >= args.steps:
                break


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["vote", "supervised", "end_to_end", "skip"])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--char-dim", type=int, default=2)
    p.add_argument("--channels", type=int, default=8, help="ResNet channels (LSTM: twice)")
    p.add_argument(
        "--char-out-gain", type=float, default=1.0, help="scale of e_char's initial weights"
    )
    p.add_argument("--mental", action="store_true", help="with the mental net")
    p.add_argument("--swap-prob", type=float, default=0.5, help="with --false-belief-data: swaps")
    p.add_argument(
        "--query-steps", type=int, nargs=2, default=None, help="draw query times from lo..hi"
    )
    p.add_argument(
        "--false-belief-data",
        choices=["sighted", "full"],
        default=None,
        help="train on the false-belief check's data (swaps, queries at steps 1-6)",
    )
    p.add_argument("--past-mode", choices=["trajectory", "snapshot"], default="trajectory")
    p.add_argument("--losses", default="a,c,s", help="terms trained: a (action), c, s (SR)")
    p.add_argument(
        "--warmup-c",
        type=int,
        default=0,
        help="minibatches trained on the consumption loss alone before --losses apply",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.what == "vote":
        ds = TomDataset(GoalDirectedSpecies(0.01), past_mode="trajectory", seed=args.seed)
        print(past_consumption_vote_accuracy(ds, (0, 1, 5, 10), size=300))
    else:
        _train(args)


if __name__ == "__main__":
    main()
