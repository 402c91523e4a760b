"""CPU cost per sample of ToMnet data generation and of one training step, per check.

    python benchmarks/tom_profile.py

For each setup of ``benchmarks/tom_reproduce.py`` (fast tier): CPU milliseconds
(``time.process_time``, one torch thread) per generated sample and per trained sample
(forward, backward and Adam step), so the split between numpy data generation and
torch training is visible on any machine, loaded or not.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.tomnet import batch_to_tensors, tomnet_loss  # noqa: E402
from socialenvs.tom.dataset import TomDataset  # noqa: E402
from socialenvs.tom.species import GoalDirectedSpecies, RandomSpecies  # noqa: E402
from training.tom import model_for  # noqa: E402


def profile(ds: TomDataset, net: torch.nn.Module, batch_size: int, chunk: int, reps: int):
    ds.batch(chunk, index=99)  # warm caches
    t = time.process_time()
    batch = ds.batch(chunk, index=0)
    gen = (time.process_time() - t) / chunk
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    mb = {k: v[:batch_size] for k, v in batch_to_tensors(batch).items()}
    for i in range(reps + 1):
        if i == 1:
            t = time.process_time()
        loss, _ = tomnet_loss(net(mb), mb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    train = (time.process_time() - t) / reps / batch_size
    return gen * 1e3, train * 1e3


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    fb_env = dict(observability="sighted", swap_prob=0.5, swap_steps=(1, 4), swap_preferred=True)
    setups = {
        "random agents (Sec. 3.1 net), batch 32": (
            TomDataset(RandomSpecies(0.01), episode_steps=1, seed=0),
            dict(variant="random"),
            32,
        ),
        "goal-directed, past trajectories, batch 16": (
            TomDataset(GoalDirectedSpecies(0.01), past_mode="trajectory", seed=0),
            dict(channels=8, char_lstm_size=16, mental=False),
            16,
        ),
        "goal-directed, past snapshots, batch 16": (
            TomDataset(GoalDirectedSpecies(0.01), past_mode="snapshot", seed=0),
            dict(channels=8, char_lstm_size=16, mental=False),
            16,
        ),
        "false belief (mental net), batch 16": (
            TomDataset(
                GoalDirectedSpecies(0.01),
                env_kwargs=fb_env,
                past_mode="snapshot",
                episode_steps=8,
                query_steps=(1, 6),
                seed=0,
            ),
            dict(channels=8, char_lstm_size=16),
            16,
        ),
    }
    print(f"{'setup':48s} {'gen ms/sample':>14s} {'train ms/sample':>16s}")
    for name, (ds, kw, bs) in setups.items():
        gen, train = profile(ds, model_for(ds, **kw), bs, chunk=64, reps=5)
        print(f"{name:48s} {gen:14.2f} {train:16.2f}", flush=True)


if __name__ == "__main__":
    main()
