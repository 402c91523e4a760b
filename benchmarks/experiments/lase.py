"""LASE (Kong et al. 2024, NeurIPS, arXiv 2410.07863) reproductions in the suite.

The experiments call the runners of ``benchmarks/lase_reproduce.py`` (which can also be
run on its own, with plots and per-seed tables): IPD self-play cooperation, the gift
ordering against fixed co-players, small Cleanup division of labour, and collective
return on the small sequential dilemmas against the baselines. Reference values are
from the agents spec §2.4 ([secondary] summaries of the paper's figures).
"""

from __future__ import annotations

import argparse
import os

from reproduce import Check, Context, Experiment, register

SOURCE = "Kong et al. 2024 (LASE), §5; agents spec §2.4"


def _args(ctx: Context, name: str, **kw) -> argparse.Namespace:
    from lase_reproduce import FAST, FAST_SEEDS

    full = ctx.tier == "full"
    base = dict(
        seeds=[ctx.seed + k for k in range(5 if full else len(FAST_SEEDS[name]))],
        updates=600 if full else FAST["ipd"],
        gift_updates=300 if full else FAST["gifts"],
        dilemma_updates=2000 if full else FAST["dilemmas"],
        cleanup_updates=3000 if full else FAST["cleanup"],
        num_envs=16,
        envs=None,
        methods=[
            "lase",
            "selfish",
            "inequity_aversion",
            "social_influence",
            "fixed_gifting",
            "random_gifting",
        ],
        lr=1e-3,
        out=ctx.out_dir,
    )
    base.update(kw)
    return argparse.Namespace(**base)


def _with_plots(result: dict, ctx: Context) -> list[str]:
    import lase_reproduce

    files = lase_reproduce._plots(result, __import__("pathlib").Path(ctx.out_dir))
    return [os.path.join(ctx.out_dir, f) for f in files]


def run_ipd(ctx: Context) -> dict:
    import lase_reproduce

    res = lase_reproduce.run_ipd(_args(ctx, "ipd"))
    s = res["summary"]
    return {
        "lase_cooperation": s["lase_cooperation"],
        "lase_cooperation_min": s["lase_cooperation_min"],
        "selfish_cooperation": s["selfish_cooperation"],
        "plots": _with_plots(res, ctx),
    }


def run_gifts(ctx: Context) -> dict:
    import lase_reproduce

    res = lase_reproduce.run_gifts(_args(ctx, "gifts"))
    s = res["summary"]
    out = {k: v for k, v in s.items() if k.startswith("gift_to_")}
    out["plots"] = _with_plots(res, ctx)
    return out


def run_cleanup(ctx: Context) -> dict:
    import lase_reproduce

    res = lase_reproduce.run_cleanup(_args(ctx, "cleanup"))
    out = {k: float(v) for k, v in res["summary"].items()}
    out["plots"] = _with_plots(res, ctx)
    return out


def run_dilemmas(ctx: Context) -> dict:
    import lase_reproduce

    res = lase_reproduce.run_dilemmas(_args(ctx, "dilemmas"))
    out = {}
    for env, s in res["summary"].items():
        for method, v in s["collective_return"].items():
            out[f"{env.split('_v')[0]}_{method}"] = v
    out["plots"] = _with_plots(res, ctx)
    return out


register(
    Experiment(
        name="lase_ipd",
        title="LASE self-play in the iterated prisoner's dilemma",
        run=run_ipd,
        checks=[
            Check("lase_cooperation_min", "at_least", value=0.8, source=SOURCE + " (paper ≈ 0.93)"),
            Check("lase_cooperation", "greater", other="selfish_cooperation", source=SOURCE),
            Check("lase_cooperation", "target", value=0.93, source=SOURCE, context=True),
        ],
        description="Two LASE agents vs two selfish A2C agents, matrix_game_v0 preset lase_dev "
        "(R=4, S=0, T=5, P=1, 100 rounds); cooperation rate of the final policies sampled "
        "without exploration.",
    )
)

register(
    Experiment(
        name="lase_gift_ordering",
        title="LASE gift weights toward fixed co-players",
        run=run_gifts,
        checks=[
            Check("gift_to_always_cooperate", "greater", other="gift_to_random", source=SOURCE),
            Check("gift_to_random", "greater", other="gift_to_always_defect", source=SOURCE),
        ],
        description="One LASE agent against always-cooperate, random and always-defect "
        "co-players in the IPD; mean gift weight w_01 over the last fifth of training.",
    )
)

register(
    Experiment(
        name="lase_cleanup_small",
        title="LASE on LIO's small Cleanup (2 agents): division of labour",
        run=run_cleanup,
        tiers=("full",),
        checks=[
            Check(
                "lase_collective_return",
                "greater",
                other="selfish_collective_return",
                source=SOURCE,
            ),
            Check(
                "lase_top_cleaner_gets_most_gifts",
                "at_least",
                value=0.5,
                source=SOURCE,
                context=True,
            ),
        ],
        description="cleanup_v0 preset cleanup_small_sym; equality is 1 - Gini of returns.",
    )
)

register(
    Experiment(
        name="lase_dilemmas",
        title="LASE vs baselines on stag hunt, snowdrift and coin game",
        run=run_dilemmas,
        tiers=("full",),
        checks=[
            Check(f"{env}_lase", "greater", other=f"{env}_selfish", source=SOURCE)
            for env in ("stag_hunt", "snowdrift", "coin_game")
        ],
        description="Collective extrinsic return of LASE, selfish A2C, inequity aversion, "
        "social influence (MOA), fixed and random gifting (presets lase).",
    )
)
