"""ToM-conditioned agents vs the same PPO without the opponent model (issue 7, item 4).

    python benchmarks/tom_conditioned.py pd --tier fast --seeds 0 1 2 --out runs/tom_cond
    python benchmarks/tom_conditioned.py coin --tier fast --seeds 0 1 2 --out runs/tom_cond
    python benchmarks/tom_conditioned.py pd --tier full --arms tom tom_no_om ppo ppo_match

A learner (seat 0) meets a co-player drawn per *match* from a population of scripted
types and plays ``games`` short games with it. Before the match it is shown
``observed_pasts`` games of that co-player against a reference partner, a uniformly
random player (:class:`training.tom_agents.ObservedPastMatchEnv`): per step the
co-player's observation, its action and the partner's action. This is the ToMnet's
setting (Rabinowitz et al. 2018, Sec. 2.1 and 3: the character net embeds past
trajectories of the *target agent*, observed from outside, and the embeddings are
summed); against a random partner the types behave differently, so the pasts reveal the
type without the learner having to probe (the previous design, ``--observed-pasts 0``,
showed only the learner's own earlier games of the match, in which a cooperating learner
cannot tell always-cooperate from the reciprocators). Every arm plays the same env, with
the same network body, PPO settings, budget and seeds (``agents.tom_policy.ToMActorCritic``):

* ``tom``: ``e_char`` = summed embeddings of the observed past games (per-step encoder
  and GRU per game) + summed embeddings of the learner's own earlier games of the match
  (the two are added: all are past episodes of the same agent); current-game embedding
  ``e_mental``; opponent-model head trained on the co-player's actions, the policy reads
  the embeddings detached;
* ``ppo``: the same network with memory of the current game only, blind to the observed
  pasts (the block is cut off before any layer: the pasts are exactly what the opponent
  model embeds) and no opponent-model loss: "the same PPO without the opponent model";
* ``tom_no_om`` (ablation): ``tom`` without the opponent-model loss (PPO trains the
  character net end to end);
* ``ppo_match`` (ablation): one GRU state over the whole match, no per-game structure,
  blind to the observed pasts, no opponent-model loss.

Evaluation against *held-out* co-players of known types: the training types with
10 % trembles (a uniformly random action instead of the type's, per step; training
co-players never tremble). Reported per seed: the mean match return against each
held-out type and their mean, the mean return per game index (does the agent do better
once it has met the co-player?), and type identification from the character embedding
at the start of the last game (the observed pasts and ``games - 1`` own games;
``char_game1_*``: at the start of the first game, the observed pasts alone): a nearest-centroid
classifier and a linear probe fitted on matches against the *training* co-players and
tested on matches against the held-out ones. The same from the current-game embedding
at the match's last step (``mental_*``) is given for every arm.

``pd``: ``matrix_game_v0`` prisoner's dilemma (R, S, T, P = 3, 0, 4, 1), games of 5
rounds, 4 games a match; types always-cooperate, always-defect, tit-for-tat, grim,
win-stay-lose-shift, and uniform random (training only;
a trembling random player is the same player). Against cooperators the best reply is
to defect, against reciprocators to cooperate, and always-cooperate, tit-for-tat, grim
and WSLS look the same to a learner that never defects, but not to the random partner
of the observed games.
``coin``: ``coin_game_v0`` (3x3 torus, one coin, 5 actions), games of 10 steps, 4 games
a match; types coin cooperator (own-colour coins only), greedy (every coin) and grudger
(own coins until the learner takes one of its coins, then every coin for the game).
Co-players' memories (grim's, the grudger's) restart every game
(:class:`training.tom_agents.MatchCoPlayer`): the type persists over a match, each game
is a fresh encounter.
Against the cooperator the best reply is to take every coin, against the grudger to
leave its coins alone; the two look the same until someone takes a grudger's coin, which
the random partner of the observed games does now and then.

Budgets: see ``BUDGETS`` (fast: minutes per arm and seed on a quiet 2-core machine;
full: ten times the env steps, 5 seeds, all four arms). Writes
``<what>_results.json`` and PNG plots to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.networks import NetworkConfig  # noqa: E402
from agents.ppo import PPOConfig  # noqa: E402
from agents.scripted import make_scripted  # noqa: E402
from agents.tom_policy import ToMConditionedPolicy  # noqa: E402
from socialenvs.core.registry import make_vec  # noqa: E402
from training.tom_agents import (  # noqa: E402
    MatchVectorEnv,
    ObservedPastMatchEnv,
    TremblingPolicy,
    evaluate_match,
    identification_accuracy,
    train_against_population,
)

SETTINGS = {
    "pd": dict(
        env="matrix_game_v0",
        env_kwargs=dict(game="prisoners_dilemma", max_cycles=5, history=1),
        games=4,
        types=(
            "always_cooperate",
            "always_defect",
            "tit_for_tat",
            "grim",
            "win_stay_lose_shift",
            "random",
        ),
        heldout=(
            "always_cooperate",
            "always_defect",
            "tit_for_tat",
            "grim",
            "win_stay_lose_shift",
        ),
        network=dict(hidden_sizes=(64,)),
        ppo=dict(lr=3e-3, epochs=8, num_steps=40, ent_coef=0.01, gamma=0.99),
        reward_scale=0.25,  # payoffs / T: per-step rewards in [0, 1]
        observed_pasts=3,
        partners=("random",),
    ),
    "coin": dict(
        env="coin_game_v0",
        env_kwargs=dict(max_cycles=10),
        games=4,
        types=("coin_cooperator", "coin_greedy", "coin_grudger"),
        heldout=("coin_cooperator", "coin_greedy", "coin_grudger"),
        network=dict(conv_channels=(32,), feature_size=64, hidden_sizes=(64, 64)),
        # a coin pays at once and the co-player's takes are noise the learner hardly
        # controls: with gamma 0.99 / lambda 0.95 over 40-step matches neither arm learned
        # (300k and 800k env steps); a shorter credit horizon (GAE's bias-variance
        # trade-off, Schulman et al. 2016, arXiv 1506.02438, Sec. 3) learns at 300k
        ppo=dict(lr=3e-3, epochs=8, num_steps=40, ent_coef=0.01, gamma=0.9, gae_lambda=0.8),
        reward_scale=0.5,
        observed_pasts=3,
        # a random partner rarely takes the grudger's coins (it shows itself in 34 % of
        # matches over 3 games); a greedy one always does: each observed game draws one
        partners=("random", "coin_greedy"),
    ),
}
BUDGETS = {
    "fast": {
        "pd": dict(steps=400_000, num_envs=128, episodes=256),
        "coin": dict(steps=300_000, num_envs=128, episodes=256),
        "arms": ("tom", "ppo"),
        "seeds": 3,
    },
    "full": {
        "pd": dict(steps=4_000_000, num_envs=128, episodes=1024),
        "coin": dict(steps=3_000_000, num_envs=128, episodes=1024),
        "arms": ("tom", "ppo", "tom_no_om", "ppo_match"),
        "seeds": 5,
    },
}
ARMS = {
    "tom": dict(past="sum", observed=True, opponent_model=True, detach=True),
    "ppo": dict(past="none", observed=False, opponent_model=False, detach=False),
    "tom_no_om": dict(past="sum", observed=True, opponent_model=False, detach=False),
    "ppo_match": dict(past="carry", observed=False, opponent_model=False, detach=False),
}
WARMUP = 0.1  # fraction of the env steps that train only the opponent model (tom)
TREMBLE = 0.1


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def run_arm(what: str, arm: str, seed: int, budget: dict) -> dict:
    """Train one arm with one seed and evaluate it; returns its numbers and embeddings."""
    cfg = SETTINGS[what]
    env, kw, K = cfg["env"], cfg["env_kwargs"], cfg["games"]
    P = int(cfg.get("observed_pasts", 0))
    venv = make_vec(env, 1, **kw)
    n_actions = int(venv.single_action_space.n)
    co = [make_scripted(n, venv) for n in cfg["types"]]
    partners = [make_scripted(n, venv) for n in cfg.get("partners", ("random",))]
    layout = None
    if P:  # every arm plays the same env; only the observing arms embed the pasts
        penv = ObservedPastMatchEnv(env, kw, 1, K, co, P, partners)
        space, layout = penv.single_observation_space, penv.past_layout
    else:  # the previous design: the learner's own earlier games only
        space = MatchVectorEnv(venv, K).single_observation_space
    torch.manual_seed(seed)
    policy = ToMConditionedPolicy(
        space,
        n_actions,
        NetworkConfig(**cfg["network"]),
        past=ARMS[arm]["past"],
        game_flag=True,
        name=arm,
        detach=ARMS[arm]["detach"],
        past_layout=layout,
        observed_pasts=bool(P) and ARMS[arm]["observed"],
    )
    t0 = time.time()
    rows = train_against_population(
        env,
        kw,
        policy,
        co,
        budget["steps"],
        budget["num_envs"],
        seed,
        PPOConfig(**cfg["ppo"]),
        opponent_model=ARMS[arm]["opponent_model"],
        games=K,
        reward_scale=cfg["reward_scale"],
        warmup_steps=int(WARMUP * budget["steps"]) if ARMS[arm]["opponent_model"] else 0,
        observed_pasts=P,
        partner=partners,
    )
    train_s = time.time() - t0
    out: dict = {"train_seconds": train_s, "final_train_return": rows[-1].get("learner_return")}
    tail = [r["learner_return"] for r in rows[-10:] if "learner_return" in r]
    out["train_return_last10"] = float(np.mean(tail)) if tail else float("nan")
    # learning curve: (env steps, mean match return, policy entropy, approx. KL of the
    # PPO update) every ~5 % of the run
    every = max(1, len(rows) // 20)
    keys = ("learner_return", "entropy", "approx_kl")
    out["train_curve"] = [
        [r["env_steps"], *(r.get(k, float("nan")) for k in keys)] for r in rows[every - 1 :: every]
    ]
    by_type = {n: co[k] for k, n in enumerate(cfg["types"])}
    fit_c, fit_m, fit_y, test_c, test_m, test_y = [], [], [], [], [], []
    fit_c0, test_c0 = [], []  # e_char at the first game: the observed pasts alone
    game_curves, rets = [], []
    for k, name in enumerate(cfg["heldout"]):
        # fit set: the training co-player; test set: its held-out trembling version
        n_ep = budget["episodes"]
        fit = evaluate_match(env, kw, K, policy, by_type[name], n_ep, 20_000 + seed, P, partners)
        held = TremblingPolicy(by_type[name], n_actions, TREMBLE)
        res = evaluate_match(env, kw, K, policy, held, n_ep, 10_000 + seed, P, partners)
        out[f"vs_{name}"] = res["return"]
        out[f"vs_{name}_train_type"] = fit["return"]
        out[f"games_vs_{name}"] = res["game_returns"]
        rets.append(res["return"])
        game_curves.append(res["game_returns"])
        fit_c.append(fit["e_char"][-1])
        test_c.append(res["e_char"][-1])
        fit_c0.append(fit["e_char"][0])
        test_c0.append(res["e_char"][0])
        fit_m.append(fit["e_mental_end"])
        test_m.append(res["e_mental_end"])
        fit_y.append(np.full(budget["episodes"], k))
        test_y.append(np.full(budget["episodes"], k))
    out["heldout_return"] = float(np.mean(rets))
    out["heldout_game_returns"] = np.mean(game_curves, 0).tolist()
    fy, ty = np.concatenate(fit_y), np.concatenate(test_y)
    tc = np.concatenate(test_c)
    if ARMS[arm]["past"] == "sum":
        ident = identification_accuracy(np.concatenate(fit_c), fy, tc, ty)
        out["char_centroid_accuracy"] = ident["centroid"]
        out["char_probe_accuracy"] = ident["probe"]
        if ARMS[arm]["observed"] and cfg.get("observed_pasts"):
            ident = identification_accuracy(np.concatenate(fit_c0), fy, np.concatenate(test_c0), ty)
            out["char_game1_centroid_accuracy"] = ident["centroid"]
            out["char_game1_probe_accuracy"] = ident["probe"]
    ident = identification_accuracy(np.concatenate(fit_m), fy, np.concatenate(test_m), ty)
    out["mental_centroid_accuracy"] = ident["centroid"]
    out["mental_probe_accuracy"] = ident["probe"]
    out["_e_char_test"], out["_labels_test"] = tc, ty
    return out


def _plots(what: str, results: dict, out: str) -> list[str]:
    plt = _plt()
    cfg = SETTINGS[what]
    paths = []
    arms = list(next(iter(results.values())))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for i, arm in enumerate(arms):
        curves = np.array([results[s][arm]["heldout_game_returns"] for s in results])
        x = np.arange(1, curves.shape[1] + 1)
        ax.errorbar(x, curves.mean(0), yerr=curves.std(0), fmt="o-", color=f"C{i}", label=arm)
    ax.set_xlabel("game within the match (same co-player)")
    ax.set_ylabel("learner return per game")
    ax.set_title(f"{what}: held-out co-players, mean over types and seeds", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(out, f"tom_conditioned_{what}_games.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    seeds = [s for s in results if "tom" in results[s]]
    if seeds:
        fig, axes = plt.subplots(1, len(seeds), figsize=(3.2 * len(seeds), 3.2), squeeze=False)
        for ax, s in zip(axes[0], seeds):
            r = results[s]["tom"]
            e, y = r["_e_char_test"], r["_labels_test"]
            e = e - e.mean(0)
            _, _, vt = np.linalg.svd(e, full_matrices=False)
            z = e @ vt[:2].T
            for k, name in enumerate(cfg["heldout"]):
                m = y == k
                ax.scatter(z[m, 0], z[m, 1], s=4, alpha=0.5, label=name)
            ax.set_title(f"seed {s}: e_char after {cfg['games'] - 1} games (PCA)", fontsize=7)
        axes[0][0].legend(fontsize=6, markerscale=3)
        fig.tight_layout()
        path = os.path.join(out, f"tom_conditioned_{what}_embeddings.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def run(what: str, tier: str, seeds, out: str, arms=None, budget: dict | None = None) -> dict:
    """Every arm and seed of ``what`` (``pd`` or ``coin``); summary = means over seeds."""
    budget = budget or BUDGETS[tier][what]
    arms = list(arms or BUDGETS[tier]["arms"])
    for a in arms:
        if a not in ARMS:
            raise ValueError(f"arm {a!r} is not one of {sorted(ARMS)}")
    os.makedirs(out, exist_ok=True)
    results: dict = {}
    for s in seeds:
        results[s] = {}
        for arm in arms:
            results[s][arm] = run_arm(what, arm, int(s), budget)
            r = results[s][arm]
            print(
                f"[{what}] seed {s} {arm}: held-out {r['heldout_return']:.2f} "
                f"games {np.round(r['heldout_game_returns'], 2).tolist()} "
                f"char id {r.get('char_centroid_accuracy', float('nan')):.3f} "
                f"({r['train_seconds']:.0f} s)",
                flush=True,
            )
    plots = _plots(what, results, out)
    per_seed = {
        str(s): {a: {k: v for k, v in r.items() if not k.startswith("_")} for a, r in d.items()}
        for s, d in results.items()
    }
    summary: dict = {}
    for arm in arms:
        for key in ("heldout_return", "char_centroid_accuracy", "char_probe_accuracy"):
            vals = [per_seed[str(s)][arm].get(key) for s in seeds]
            if all(v is not None for v in vals):
                summary[f"{arm}_{key}"] = float(np.mean(vals))
    if "tom" in arms and "ppo" in arms:
        wins = [
            per_seed[str(s)]["tom"]["heldout_return"] > per_seed[str(s)]["ppo"]["heldout_return"]
            for s in seeds
        ]
        summary["seeds_tom_beats_ppo"] = int(sum(wins))
    return {
        "what": what,
        "tier": tier,
        "seeds": [int(s) for s in seeds],
        "budget": budget,
        "per_seed": per_seed,
        "summary": summary,
        "plots": plots,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("what", choices=sorted(SETTINGS))
    p.add_argument("--tier", choices=sorted(BUDGETS), default="fast")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", choices=sorted(ARMS), default=None)
    p.add_argument("--steps", type=int, default=None, help="override the tier's env steps")
    p.add_argument(
        "--ppo-set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override PPO settings of the game (diagnostics), e.g. gamma=0.9 gae_lambda=0.8",
    )
    p.add_argument(
        "--observed-pasts",
        type=int,
        default=None,
        help="observed past games per match (default: the game's setting; 0 = the previous "
        "design, own earlier games only)",
    )
    p.add_argument("--out", default="runs/tom_conditioned")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    budget = dict(BUDGETS[args.tier][args.what])
    if args.steps:
        budget["steps"] = args.steps
    if args.observed_pasts is not None:
        SETTINGS[args.what]["observed_pasts"] = args.observed_pasts
    for item in args.ppo_set:
        key, sep, value = item.partition("=")
        if not sep or key not in PPOConfig.__dataclass_fields__:
            raise ValueError(f"--ppo-set {item!r}: expected KEY=VALUE with a PPOConfig field")
        kind = type(getattr(PPOConfig(), key))  # int, float or bool fields
        cast = (lambda v: v.lower() in ("1", "true")) if kind is bool else kind
        SETTINGS[args.what]["ppo"] = {**SETTINGS[args.what]["ppo"], key: cast(value)}
    res = run(args.what, args.tier, args.seeds, args.out, args.arms, budget)
    res["command"] = " ".join(["python", "benchmarks/tom_conditioned.py", *(argv or sys.argv[1:])])
    with open(os.path.join(args.out, f"{args.what}_results.json"), "w") as f:
        json.dump(res, f, indent=2, default=float)
    print(json.dumps(res["summary"], indent=2))


if __name__ == "__main__":
    main()
