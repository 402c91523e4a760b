"""Independent PPO baselines on Harvest and Cleanup (5 agents, 15x15 RGB views).

What we measure: collective return, equality, sustainability and peace (Perolat et al.
2017 §3) of 1000-step evaluation episodes after training five independent PPO learners
(no parameter sharing), compared with the same five seats playing uniformly at random.
Pass/fail: the trained agents beat random on collective return (an ordering: the
learners learn something). Context only: Jaques et al. 2019 (ICML, "Social influence
as intrinsic motivation", Table 1) report A3C baseline collective returns of about 485
on Harvest and 89 on Cleanup with 5 agents after hundreds of millions of steps; our fast
tier trains for minutes, so the numbers are shown side by side, not compared.

Curves (collective return, equality, sustainability, peace over training) come from the
run's ``progress.csv``.
"""

from __future__ import annotations

import os

import numpy as np
from reproduce import Check, Context, Experiment, register

BUDGET = {"fast": 60_000, "full": 5_000_000}
SEEDS_TO_EVAL = 4


def _run(env: str) -> callable:
    def run(ctx: Context) -> dict:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from agents.scripted import RandomPolicy
        from training.config import make_config
        from training.evaluate import evaluate
        from training.logger import read_csv
        from training.trainer import Trainer

        fast = ctx.tier == "fast"
        sets = [
            f"out={ctx.out_dir}",
            f"steps={BUDGET[ctx.tier]}",
            f"seed={ctx.seed}",
            "sharing=independent",
            f"num_envs={8 if fast else 32}",
            f"env_kwargs.max_cycles={250 if fast else 1000}",
            "ppo.lr=5e-4",
        ]
        trainer = Trainer(make_config(env=env, sets=sets), progress=False, tensorboard=True).train()
        cfg = trainer.config
        eval_kwargs = dict(cfg.env_kwargs, max_cycles=1000)
        n = int(trainer.venv.single_action_space.n)
        rand = [
            RandomPolicy(n) if k in trainer.learner_idx else p
            for k, p in enumerate(trainer.policies)
        ]
        res = evaluate(env, eval_kwargs, trainer.policies, trainer.matchmaker, SEEDS_TO_EVAL, 123)
        base = evaluate(env, eval_kwargs, rand, trainer.matchmaker, SEEDS_TO_EVAL, 123)
        out = {
            f"{k}": float(np.nanmean(res[k]))
            for k in ("collective_return", "equality", "sustainability", "peace")
        }
        out["random_collective_return"] = float(np.mean(base["collective_return"]))
        out["train_env_steps"] = float(trainer.env_steps)
        out["train_env_steps_per_s"] = float(trainer.steps_per_second)
        rows = read_csv(os.path.join(ctx.out_dir, "progress.csv"))
        keys = [
            "episode/collective_return",
            "episode/equality",
            "episode/sustainability",
            "episode/peace",
        ]
        fig, axes = plt.subplots(1, 4, figsize=(14, 3))
        for ax, k in zip(axes, keys):
            pts = [(r["env_steps"], r[k]) for r in rows if k in r and np.isfinite(r[k])]
            if pts:
                ax.plot(*zip(*pts))
            ax.set_title(k.split("/")[1])
            ax.set_xlabel("env steps")
        fig.suptitle(
            f"independent PPO on {env} (training episodes of {cfg.env_kwargs['max_cycles']} steps)"
        )
        fig.tight_layout()
        png = os.path.join(ctx.out_dir, "curves.png")
        fig.savefig(png, dpi=90)
        plt.close(fig)
        out["plots"] = [png]
        return out

    return run


for env, a3c, title in (("harvest_v0", 485.0, "Harvest"), ("cleanup_v0", 89.0, "Cleanup")):
    register(
        Experiment(
            name=f"ssd_{env.split('_')[0]}_ppo",
            title=f"Independent PPO on {title} (5 agents)",
            run=_run(env),
            checks=[
                Check(
                    "collective_return",
                    "greater",
                    other="random_collective_return",
                    source="sanity ordering: learners beat random",
                ),
                Check(
                    "collective_return",
                    "target",
                    value=a3c,
                    context=True,
                    source="Jaques et al. 2019 Table 1, A3C baseline (1000-step episodes)",
                ),
            ],
            description=(
                f"Five independent PPO learners on `{env}`, evaluated on 1000-step "
                "episodes; A3C number from the literature shown as context."
            ),
        )
    )
