"""Independent PPO baselines on Harvest and Cleanup (5 agents, 15x15 RGB views).

What we measure: collective return, equality, sustainability and peace (Perolat et al.
2017 §3) of 1000-step evaluation episodes after training five independent PPO learners
(no parameter sharing), compared with the same five seats playing uniformly at random.
Pass/fail: the trained agents beat random on collective return (an ordering: the
learners learn something). Context only: Jaques et al. 2019 (ICML, "Social influence
as intrinsic motivation", Table 1) report A3C baseline collective returns of about 485
on Harvest and 89 on Cleanup with 5 agents after hundreds of millions of steps; our fast
tier trains for minutes, so the numbers are shown side by side, not compared.

Curves (collective return, equality, sustainability, peace, zaps, apples eaten and, in
Cleanup, waste cleaned over training) come from the run's ``progress.csv``. Under the SSD
rules a beam fines the player it hits but does not remove it, so peace (the mean number
of untagged players) is 5 by construction; the zap count is the aggression measure.

Budgets (:data:`TIERS`): the fast tier trains for 120k env steps (600k agent-steps) with
32 copies and 250-step training episodes, about one CPU-minute per experiment; the full
tier for 5M env steps (25M agent-steps) with 1000-step episodes, about 35 CPU-minutes
per experiment at the same rate (hours of wall-clock time on a shared machine), still far
below the published A3C budgets.
"""

from __future__ import annotations

import os

import numpy as np
from reproduce import Check, Context, Experiment, register

# Per tier: env steps (summed over copies; x5 for agent-steps), env copies, rollout length,
# training-episode length and evaluation-episode length. Measured fast tier (seed 0):
# about 1 CPU-minute per experiment, training and evaluation (~2.4k env steps per
# CPU-second); the full tier is about 35 CPU-minutes per experiment at that rate.
TIERS = {
    "fast": dict(steps=120_000, num_envs=32, num_steps=64, max_cycles=250, eval_cycles=1000),
    "full": dict(steps=5_000_000, num_envs=32, num_steps=128, max_cycles=1000, eval_cycles=1000),
}
BUDGET = {tier: t["steps"] for tier, t in TIERS.items()}
EVAL_EPISODES = 8


def plot_curves(rows: list[dict], env: str, max_cycles: int, png: str) -> None:
    """Training curves from a run's ``progress.csv`` rows (one panel per metric)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        "episode/collective_return",
        "episode/equality",
        "episode/sustainability",
        "episode/peace",
        "episode/zaps",
        "episode/apples_eaten",
    ]
    if any("episode/waste_cleaned" in r for r in rows):
        keys.append("episode/waste_cleaned")
    fig, axes = plt.subplots(2, 4, figsize=(13, 5))
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    for ax, k in zip(axes.flat, keys):
        pts = [(r["env_steps"], r[k]) for r in rows if k in r and np.isfinite(r[k])]
        if pts:
            ax.plot(*zip(*pts))
        ax.set_title(k.split("/")[1], fontsize=10)
        ax.set_xlabel("env steps", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"independent PPO on {env}: mean over the training episodes ({max_cycles} steps) "
        "that ended in each update",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=72)
    plt.close(fig)


def _run(env: str) -> callable:
    def run(ctx: Context) -> dict:
        from agents.scripted import RandomPolicy
        from training.config import make_config
        from training.evaluate import evaluate
        from training.logger import read_csv
        from training.trainer import Trainer

        tier = TIERS[ctx.tier]
        sets = [
            f"out={ctx.out_dir}",
            f"steps={tier['steps']}",
            f"seed={ctx.seed}",
            "sharing=independent",
            f"num_envs={tier['num_envs']}",
            f"ppo.num_steps={tier['num_steps']}",
            f"env_kwargs.max_cycles={tier['max_cycles']}",
            "ppo.lr=5e-4",
        ]
        trainer = Trainer(make_config(env=env, sets=sets), progress=False, tensorboard=True).train()
        cfg = trainer.config
        eval_kwargs = dict(cfg.env_kwargs, max_cycles=tier["eval_cycles"])
        n = int(trainer.venv.single_action_space.n)
        rand = [
            RandomPolicy(n) if k in trainer.learner_idx else p
            for k, p in enumerate(trainer.policies)
        ]
        res = evaluate(env, eval_kwargs, trainer.policies, trainer.matchmaker, EVAL_EPISODES, 123)
        base = evaluate(env, eval_kwargs, rand, trainer.matchmaker, EVAL_EPISODES, 123)
        out = {
            f"{k}": float(np.nanmean(res[k]))
            for k in ("collective_return", "equality", "sustainability", "peace")
        }
        out["collective_return_std"] = float(np.std(res["collective_return"]))
        for k in ("apples_eaten", "waste_cleaned", "zaps"):
            if k in res:
                out[k] = float(np.mean(res[k]))
        out["random_collective_return"] = float(np.mean(base["collective_return"]))
        out["train_env_steps"] = float(trainer.env_steps)
        out["train_agent_steps"] = float(trainer.env_steps * trainer.venv.num_agents)
        out["train_env_steps_per_s"] = float(trainer.steps_per_second)
        png = os.path.join(ctx.out_dir, "curves.png")
        plot_curves(
            read_csv(os.path.join(ctx.out_dir, "progress.csv")),
            env,
            cfg.env_kwargs["max_cycles"],
            png,
        )
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
                f"Five independent PPO learners on `{env}` (fast tier: "
                f"{TIERS['fast']['steps']:,} env steps = {5 * TIERS['fast']['steps']:,} "
                f"agent-steps, {TIERS['fast']['max_cycles']}-step training episodes; full "
                f"tier: {TIERS['full']['steps']:,} env steps, "
                f"{TIERS['full']['max_cycles']}-step episodes), evaluated on "
                f"{EVAL_EPISODES} episodes of 1000 steps against the same seats playing "
                "uniformly at random. The A3C number from the literature is shown as "
                "context only (hundreds of millions of steps). Peace is 5 by construction "
                "under SSD rules (beams fine, they do not remove); zaps measure aggression."
            ),
        )
    )
