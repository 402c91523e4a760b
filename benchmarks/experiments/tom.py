"""Machine theory of mind (Rabinowitz et al. 2018) and ToM-conditioned agents in the suite.

The experiments call the runners of ``benchmarks/tom_reproduce.py`` (runnable on its own,
also for any alpha and e_char width: ``tom_reproduce.py random --alphas 0.1 1 --char-dim 8``).
``tomnet_random_agents`` checks the Sec. 3.1 observer as published (e_char in R^2) on
S(0.01) and S(3); ``tomnet_random_agents_other_alphas`` checks the paper's other species
with an 8-D e_char (``OTHER_ALPHAS_CHAR_DIM`` says why).

Tolerances (the spec leaves them to us, agents §1.10): the ToMnet's mean probability
on the true action must lie within 0.03 of the Bayes-optimal observer (spec §1.8 closed
form) at each ``N_past`` in {0, 1, 5, 10}. Learning to trust a single observation
(``N_past = 1``) takes the longest: the fast tier's 12,000 minibatches of 32 at a decaying
learning rate get there (3000 did not); the full tier uses the paper's budget.
"""

from __future__ import annotations

import os

from reproduce import Check, Context, Experiment, register

SOURCE = "Rabinowitz et al. 2018, Sec. 3.1 Fig. 3; Bayes targets spec agents §1.8"
TOL = 0.03


# The paper's other random species (spec agents §1.3: S(alpha) for alpha in
# {0.01, 0.03, 0.1, 0.3, 1, 3}), beyond the two of the Sec. 3.1 check.
OTHER_ALPHAS = (0.03, 0.1, 0.3, 1.0)
# Their observer's e_char width. The paper's Sec. 3.1 embedding is 2-D, summed over the
# past steps; at alpha 0.1 that sum could not hold the action counts the Bayes observer
# uses (2-D: 0.05-0.06 short at N_past 1 and 5, also with twice the minibatches; 8-D:
# within 0.01; seed 0, docs/tom.md). 8 is the width the paper also uses for e_char
# (Sec. 3.2+, "no substantial difference" from 2; spec agents §1.4).
OTHER_ALPHAS_CHAR_DIM = 8


def _random_runner(alphas, char_dim: int | None = None):
    def run(ctx: Context) -> dict:
        import tom_reproduce

        res = tom_reproduce.run_random(alphas, ctx.tier, ctx.seed, ctx.out_dir, char_dim)
        return _random_metrics(res)

    return run


def _random_metrics(res: dict) -> dict:
    out = {"plots": res["plots"]}
    for a, r in res["alphas"].items():
        for n, v in r["curve"].items():
            out[f"a{a}_n{n}_tomnet"] = v["tomnet"]
            out[f"a{a}_n{n}_bayes"] = v["bayes_closed_form"]
            out[f"a{a}_n{n}_bayes_same_samples"] = v["bayes"]
            out[f"a{a}_n{n}_kl_tomnet"] = v["kl"]
            out[f"a{a}_n{n}_kl_bayes"] = v["kl_bayes"]
    return out


def _goal(ctx: Context) -> dict:
    import tom_reproduce

    res = tom_reproduce.run_goal(ctx.tier, ctx.seed, ctx.out_dir)
    out = {f"consumption_acc_n{n}": v for n, v in res["consumption_accuracy"].items()}
    out["embedding_centroid_accuracy"] = res["embedding_centroid_accuracy"]
    for n, v in res.get("hand_made_vote_accuracy", {}).items():
        out[f"hand_made_vote_acc_n{n}"] = v
    out["plots"] = res["plots"]
    return out


def _false_belief(ctx: Context) -> dict:
    import tom_reproduce

    # one process per observer where there are two cores (same numbers either way)
    jobs = min(2, os.cpu_count() or 1)
    res = tom_reproduce.run_false_belief(ctx.tier, ctx.seed, ctx.out_dir, jobs=jobs)
    out = {"plots": res["plots"]}
    for obs in tom_reproduce.FB_OBSERVERS:
        for key in ("js_inside", "js_outside", "js_sr_inside", "js_sr_outside"):
            out[f"{obs}_{key}"] = res[obs][key]
        for n, acc in res[obs]["consumption_accuracy"].items():
            out[f"{obs}_consumption_acc_n{n}"] = acc
        # how long the consumption-only warm-up took to leave its plateau (reported)
        warm = res[obs]["warmup"]
        out[f"{obs}_warmup_minibatches"] = warm["minibatches"]
        out[f"{obs}_warmup_restarts"] = warm["restarts"]
        out[f"{obs}_warmup_left_plateau"] = float(warm["left_plateau"])
    return out


def _conditioned(what: str):
    """Runner of the ToM-conditioned comparison ``what`` (``pd`` or ``coin``) over the
    tier's seeds, starting at the suite's seed (``benchmarks/tom_conditioned.py``)."""

    def run(ctx: Context) -> dict:
        import tom_conditioned

        n = tom_conditioned.BUDGETS[ctx.tier]["seeds"]
        res = tom_conditioned.run(what, ctx.tier, range(ctx.seed, ctx.seed + n), ctx.out_dir)
        return {**res["summary"], "plots": res["plots"]}

    return run


def _conditioned_checks(chance: float, types: str) -> list[Check]:
    return [
        Check(
            "tom_heldout_return",
            "greater",
            other="ppo_heldout_return",
            source="issue 7: against held-out co-players of known types the ToM-conditioned "
            "agent earns more than the same PPO without the opponent model (mean over seeds)",
        ),
        Check(
            "tom_char_centroid_accuracy",
            "at_least",
            0.6,
            source=f"issue 7: its embeddings identify the co-player type ({types}; chance "
            f"{chance:.2f}); threshold ours: 0.6, fixed for both games",
        ),
        Check("tom_char_probe_accuracy", "at_least", 0.6, context=True, source="linear probe"),
        Check("seeds_tom_beats_ppo", "at_least", 0, context=True, source="per-seed wins"),
    ]


def _bayes_checks(alphas=(0.01, 3.0)) -> list[Check]:
    from socialenvs.tom.species import bayes_expected_true_action_prob

    checks = []
    for a in alphas:
        for n in (0, 1, 5, 10):
            target = float(bayes_expected_true_action_prob(a, n))
            checks.append(
                Check(f"a{a:g}_n{n}_tomnet", "target", target, tolerance=TOL, source=SOURCE)
            )
    if 3.0 not in alphas:
        return checks
    # At alpha = 3 a prior-only observer (0.2 everywhere) is within TOL of every target,
    # so the tolerance check alone cannot tell whether the net uses the past; the Bayes
    # observer gains 0.2200 - 0.2000 from 10 past actions, and so must the ToMnet.
    checks.append(
        Check(
            "a3_n10_tomnet",
            "greater",
            other="a3_n0_tomnet",
            source="Bayes-optimal observer, spec agents §1.8 (alpha 3: 0.2200 at N_past 10 "
            "vs 0.2000 at 0)",
        )
    )
    return checks


register(
    Experiment(
        name="tomnet_random_agents",
        title="ToMnet on random agents approaches the Bayes-optimal observer",
        run=_random_runner([0.01, 3.0]),
        checks=_bayes_checks(),
        description="Sec. 3.1 ToMnet (conv 8 + ConvLSTM character net, e_char in R^2, "
        "2-conv prediction net) trained on S(0.01) and S(3) agents; past episodes are "
        "single (state, action) pairs, N_past ~ U{0..10}. Fast: 12,000 x 32 minibatches, "
        "lr 2e-3 decaying to 1e-4; full: 40k x 16, lr 1e-4.",
    )
)

register(
    Experiment(
        name="tomnet_random_agents_other_alphas",
        title="ToMnet on the paper's other random species approaches the Bayes-optimal observer",
        run=_random_runner(list(OTHER_ALPHAS), OTHER_ALPHAS_CHAR_DIM),
        checks=_bayes_checks(OTHER_ALPHAS),
        description="The same observer and budgets as tomnet_random_agents, one per "
        "alpha in {0.03, 0.1, 0.3, 1} (the paper's species besides 0.01 and 3), with "
        "e_char in R^8 (the paper's 2-D sum loses the action counts at alpha 0.1; "
        "measured, docs/tom.md).",
    )
)

register(
    Experiment(
        name="tomnet_goal_directed",
        title="ToMnet on goal-directed agents: consumption and character embeddings",
        run=_goal,
        checks=[
            Check(
                "consumption_acc_n5",
                "greater",
                other="consumption_acc_n0",
                source="Rabinowitz et al. 2018, Sec. 3.2 (consumption confident after a few "
                "past snapshots)",
            ),
            Check(
                "embedding_centroid_accuracy",
                "at_least",
                0.6,
                source="Sec. 3.2: e_char separates agents by preferred object (chance 0.25)",
            ),
        ],
        description="Value-iteration agents with Dir(0.01) object rewards; ResNet ToMnet "
        "(fast: whole past trajectories, 8 channels, no mental net, 3000 x 16 minibatches, "
        "lr 1e-3 decaying to 1e-4, the first 1200 on the consumption loss alone; full: "
        "single-snapshot pasts, 32 channels with the mental net, 40k x 16).",
    )
)

register(
    Experiment(
        name="tomnet_false_belief",
        title="False belief: predictions react to swaps the agent could see",
        run=_false_belief,
        checks=[
            Check(
                "sighted_js_inside",
                "greater",
                other="sighted_js_outside",
                source="Rabinowitz et al. 2018, Sec. 3.4 (D_JS by swap distance)",
            ),
            Check(
                "full_js_outside",
                "greater",
                other="sighted_js_outside",
                source="Sec. 3.4: fully observing agents react to swaps anywhere",
            ),
            Check(
                "sighted_js_sr_inside",
                "greater",
                other="sighted_js_sr_outside",
                source="Sec. 3.4 (the same test on the predicted successor representation)",
            ),
            Check(
                "full_js_sr_outside",
                "greater",
                other="sighted_js_sr_outside",
                source="Sec. 3.4 (successor representation)",
            ),
        ],
        description="Sighted (5x5 window, belief from what they saw; a swap with a cell in view is "
        "understood, swap_inference) vs fully observing "
        "value-iteration agents whose preferred object swaps with another in the current "
        "episode (p = 0.5, steps 1-4; past episodes swap-free); JS divergence of the "
        "ToMnet's next-action and SR predictions with vs without a swap of the preferred "
        "object at the query step, inside (distance <= 2) vs outside the window. Training "
        "queries: half the swapped episodes at the swap step, the rest anywhere. Fast: "
        "8-channel nets, whole past trajectories, 8000 x 16 minibatches at lr 2e-3 -> 2e-4, "
        "the first 1000 on the consumption loss alone from swap-free episodes; full: 32 "
        "channels, 40k x 16 at lr 1e-4.",
    )
)

register(
    Experiment(
        name="tom_conditioned_pd",
        title="ToM-conditioned PPO vs PPO against held-out co-players (repeated PD)",
        run=_conditioned("pd"),
        checks=_conditioned_checks(0.2, "5 held-out types"),
        description="matrix_game_v0 prisoner's dilemma, matches of 4 games of 5 rounds "
        "with one co-player; training population always-cooperate, always-defect, "
        "tit-for-tat, grim, WSLS, random; held out: the 5 deterministic types trembling "
        "10% of the time. Before each match the learner observes 3 games of the "
        "co-player against a uniformly random partner (Rabinowitz et al. 2018 Sec. 2.1: "
        "the target agent's past trajectories). ToM: character net summed over the "
        "observed and own earlier games + opponent model (with the ToMnet query on the "
        "observed games); PPO: the same network with memory of the current game only, "
        "blind to the observed games. Seeds: fast 3, full 5 "
        "(benchmarks/tom_conditioned.py).",
    )
)

register(
    Experiment(
        name="tom_conditioned_coin",
        title="ToM-conditioned PPO vs PPO against held-out co-players (coin game)",
        run=_conditioned("coin"),
        checks=_conditioned_checks(1 / 3, "3 held-out types"),
        description="coin_game_v0 (3x3), matches of 4 games of 10 steps; co-player types "
        "coin cooperator, greedy, grudger; held out: trembling 10%. 3 observed games per "
        "match, each against a partner drawn from {uniform random, greedy}. Same arms "
        "and seeds as tom_conditioned_pd; PPO gamma 0.9, GAE lambda 0.8 (with 0.99 / 0.95 "
        "neither arm learned at 300k or 800k env steps); fast tier 300k env steps per arm "
        "(benchmarks/tom_conditioned.py).",
    )
)
