"""Sanctions and norms reproductions (sanctions-norms spec §2, §4, §6, §7).

Four experiments, each training fresh learners with the shared collector and PPO
(:func:`training.cnm.train_cnm`) or the staged DQN agents, and reporting what it
measured, pass or fail:

* ``public_goods_punishment`` -- Fehr & Gächter 2002 (Nature 415:137): 4 players,
  endowment 20, MPCR 0.4, 6 periods; independent PPO learners with and without the 1:3
  punishment stage. Target (an ordering): mean learned contribution with punishment >
  without. Curves: contributions over training, and by period in evaluation.
* ``commons_sanctions`` -- GovSim's commons (Piatti et al. 2024): 5 independent PPO
  learners with no sanction, an institutional fine and peer punishment; survival time,
  efficiency, equality and over-usage of evaluation runs (``metrics.commons_outcomes``).
  The learners use the ``coarse`` action set (harvest 0%, 10%, ..., 100% of the pool) so
  that minutes of training mean something; GovSim's LLM agents have no such budget.
  Target: survival time with sanctions (best of fine / peer) > without.
* ``allelopathic_cnm`` -- Vinitsky et al. 2023: CNM populations vs baseline PPO on
  Allelopathic Harvest (fast tier: the ``small`` preset, 4 players, 10 x 12 torus,
  500-step episodes; full tier: Melting Pot's 16 players, 30 x 29, 2000 steps). Both
  populations train a disapproval classifier on the public sanction stream; only CNM
  agents are paid the pseudo-reward. Targets (orderings, paper §results as summarised
  in the spec, §2.6): collective return and monoculture fraction of CNM > baseline;
  classifier balanced accuracy of CNM agents > 0.5 (better than chance). Curves:
  monoculture fraction over evaluation episodes and over training.
* ``partner_choice_punishment`` -- Dasgupta & Musolesi (arXiv 2301.08278): staged DQN
  populations under no punishment and direct + third-party punishment (the runner of
  ``benchmarks/partner_choice_reproduce.py``). Target: cooperation(tpp_dp) >
  cooperation(none); unjust punishment reported.

Budgets (env steps per condition, or episodes for partner choice) are in ``BUDGET``; the
fast tier is a few minutes on 2 CPU cores, the full tier hours.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from reproduce import Check, Context, Experiment, register

BUDGET = {
    # env steps per condition (public goods: per learner group; punishment periods are
    # 4 steps, so the punishment condition gets 4x the steps for the same periods)
    "public_goods": {"fast": 4000, "full": 100_000},  # episodes (6 periods each)
    "commons": {"fast": 3000, "full": 100_000},  # episodes (12 months each)
    "allelopathic": {"fast": 24_000, "full": 5_000_000},  # env steps
    "partner_choice": {"fast": 60, "full": 2000},  # episodes
}
EVAL_EPISODES = 64


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _play(run, episodes: int, seed: int):
    """One whole evaluation episode per copy: the rollout (all copies start together)."""
    from socialenvs.core.registry import make_vec
    from training.rollout import RolloutCollector

    venv = make_vec(run.env_id, num_envs=episodes, **run.env_kwargs)
    col = RolloutCollector(venv, run.policies, run.matchmaker, learners=[], seed=seed)
    return col.collect(int(venv.sim.max_cycles)), venv


def _smooth(x: np.ndarray, k: int = 5) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if len(x) < k:
        return x
    return np.convolve(x, np.ones(k) / k, mode="valid")


# --------------------------------------------------------------------------- public goods
def _contribution_probe(endowment: float):
    from socialenvs.core.events import EventKind

    def probe(ro, venv) -> dict[str, float]:
        vals = [e["value"][e["kind"] == int(EventKind.CONTRIBUTE)] for e in ro.events]
        pts = [e["value"][e["kind"] == int(EventKind.PUNISH)] for e in ro.events]
        v = np.concatenate(vals)
        p = np.concatenate(pts)
        return {
            "contribution": float(v.mean() / endowment) if v.size else float("nan"),
            "punish_points_per_period": float(p.sum() / max(v.size, 1)),
        }

    return probe


def run_public_goods(ctx: Context) -> dict:
    from agents.ppo import PPOConfig
    from socialenvs import metrics
    from socialenvs.core.events import EventKind
    from socialenvs.norms.sanctions import is_unjust
    from training.cnm import train_cnm

    plt = _plt()
    episodes = BUDGET["public_goods"][ctx.tier]
    out: dict = {}
    curves, by_period = {}, {}
    for punishment in ("none", "linear"):
        kw = {"preset": "fehr_gaechter_2002", "punishment": punishment}
        steps_per_ep = 6 * (4 if punishment == "linear" else 1)
        ppo = PPOConfig(num_steps=48, lr=5e-4)
        run = train_cnm(
            "public_goods_v0",
            kw,
            None,
            ppo=ppo,
            num_envs=16,
            steps=episodes * steps_per_ep,
            seed=ctx.seed,
            on_rollout=_contribution_probe(20.0),
        )
        curves[punishment] = (
            [h["env_steps"] / steps_per_ep for h in run.history],
            [h["contribution"] for h in run.history],
        )
        ro, _ = _play(run, EVAL_EPISODES, 10_000 + ctx.seed)
        per = []
        for e in ro.events:
            c = e["value"][e["kind"] == int(EventKind.CONTRIBUTE)]
            if c.size:
                per.append(c.mean() / 20.0)
        by_period[punishment] = per
        tag = "punish" if punishment == "linear" else "none"
        out[f"contribution_{tag}"] = float(np.mean(per))
        out[f"last_period_contribution_{tag}"] = float(per[-1])
        out[f"earnings_per_period_{tag}"] = float(ro.rewards.sum(axis=0).mean() / 6)
        if punishment == "linear":
            pun = np.concatenate([e[e["kind"] == int(EventKind.PUNISH)] for e in ro.events])
            out["punish_points_per_period"] = float(pun["value"].sum() / (EVAL_EPISODES * 6 * 4))
            out["antisocial_punishment_rate"] = metrics.antisocial_punishment_rate(
                is_unjust(pun), pun["value"]
            )
        out[f"train_seconds_{tag}"] = run.seconds
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for name, (x, y) in curves.items():
        axes[0].plot(x[: len(_smooth(y))], _smooth(y), label=f"punishment={name}")
    axes[0].set_xlabel("episodes (6 periods) trained")
    axes[0].set_ylabel("mean contribution / endowment")
    axes[0].set_title("contributions over training")
    axes[0].legend()
    for name, per in by_period.items():
        axes[1].plot(range(1, len(per) + 1), per, marker="o", label=f"punishment={name}")
    axes[1].set_xlabel("period")
    axes[1].set_title("evaluation: contribution by period")
    axes[1].set_ylim(0, 1)
    axes[1].legend()
    fig.tight_layout()
    png = os.path.join(ctx.out_dir, "contributions.png")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    out["plots"] = [png]
    return out


# --------------------------------------------------------------------------- commons
def _commons_outcomes(ro, venv) -> dict[str, float]:
    """Mean GovSim outcomes over the evaluation copies (one episode each)."""
    from socialenvs import metrics
    from socialenvs.core.events import EventKind

    sim = venv.sim
    c, F, N = sim.config, sim.OBS_FIELDS, sim.num_agents
    T, B = ro.actions.shape[:2]
    harvest_steps = [t for t in range(T) if ro.obs[t, 0, 0, F["stage"]][0] > 0.5]
    f0 = int(c.initial_pool // 2 // N)
    rows = []
    for b in range(B):
        h = np.zeros((len(harvest_steps), N))
        f = np.zeros(len(harvest_steps))
        survived = c.months
        for m, t in enumerate(harvest_steps):
            ev = ro.events[t]
            ev = ev[ev["env"] == b]
            col = ev[ev["kind"] == int(EventKind.COLLECT)]
            h[m, col["actor"]] = col["value"]
            f[m] = round(float(ro.obs[t, b, 0, F["threshold"]][0]) * c.capacity)
            if (ev["kind"] == int(EventKind.DEATH)).any():
                survived = m + 1
                break
        rows.append(metrics.commons_outcomes(h[:survived], f[:survived], survived, c.months, f0))
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def run_commons(ctx: Context) -> dict:
    from agents.ppo import PPOConfig
    from socialenvs.core.events import EventKind
    from training.cnm import train_cnm

    plt = _plt()
    episodes = BUDGET["commons"][ctx.tier]

    def probe(ro, venv) -> dict[str, float]:
        deaths = sum(int((e["kind"] == int(EventKind.DEATH)).sum()) for e in ro.events)
        n = sum(len(e["length"]) for e in ro.episodes)
        return {"collapse_rate": deaths / n if n else float("nan")}

    out: dict = {}
    curves = {}
    for sanction in ("none", "fine", "peer"):
        steps_per_ep = 12 * (2 if sanction == "peer" else 1)
        run = train_cnm(
            "commons_v0",
            {"preset": "coarse", "sanction": sanction},
            None,
            ppo=PPOConfig(num_steps=48, lr=5e-4),
            num_envs=16,
            steps=episodes * steps_per_ep,
            seed=ctx.seed,
            on_rollout=probe,
        )
        curves[sanction] = (
            [h["env_steps"] / steps_per_ep for h in run.history],
            [h["collapse_rate"] for h in run.history],
        )
        ro, venv = _play(run, EVAL_EPISODES, 10_000 + ctx.seed)
        for k, v in _commons_outcomes(ro, venv).items():
            out[f"{k}_{sanction}"] = v
        out[f"train_seconds_{sanction}"] = run.seconds
    out["survival_time_sanctions"] = max(out["survival_time_fine"], out["survival_time_peer"])
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, (x, y) in curves.items():
        ok = np.isfinite(y)
        ax.plot(
            np.asarray(x)[ok][: len(_smooth(np.asarray(y)[ok]))],
            _smooth(np.asarray(y)[ok]),
            label=f"sanction={name}",
        )
    ax.set_xlabel("episodes (12 months) trained")
    ax.set_ylabel("collapse rate of training episodes")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    fig.tight_layout()
    png = os.path.join(ctx.out_dir, "collapse_over_training.png")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    out["plots"] = [png]
    return out


# --------------------------------------------------------------------------- allelopathic
def run_allelopathic(ctx: Context) -> dict:
    from agents.cnm import CNMConfig
    from agents.networks import NetworkConfig
    from agents.ppo import PPOConfig
    from training.cnm import evaluate_norms, train_cnm

    plt = _plt()
    fast = ctx.tier == "fast"
    kw = {"preset": "small"} if fast else {}
    net = NetworkConfig(conv_channels=(8,), feature_size=64) if fast else NetworkConfig()
    ppo = PPOConfig(num_steps=128, lr=5e-4)
    out: dict = {}
    mono_t, mono_train = {}, {}
    for name, shaping in (("baseline", False), ("cnm", True)):
        run = train_cnm(
            "allelopathic_harvest_v0",
            kw,
            CNMConfig(shaping=shaping),
            ppo=ppo,
            network=net,
            num_envs=8 if fast else 16,
            steps=BUDGET["allelopathic"][ctx.tier],
            seed=ctx.seed,
        )
        ev = evaluate_norms(run, episodes=8 if fast else 16, seed=10_000 + ctx.seed)
        for k in (
            "collective_return",
            "equality",
            "monoculture_final",
            "monoculture_mean",
            "zaps",
            "zaps_on_free_riders",
            "classifier_balanced_accuracy",
        ):
            out[f"{k}_{name}"] = float(ev.get(k, float("nan")))
        train_ba = [
            h["classifier_balanced_accuracy"]
            for h in run.history
            if "classifier_balanced_accuracy" in h
        ]
        if train_ba:
            out[f"train_balanced_accuracy_last_{name}"] = float(np.mean(train_ba[-5:]))
        out[f"train_seconds_{name}"] = run.seconds
        mono_t[name] = ev["monoculture_over_time"]
        mono_train[name] = (
            [h["env_steps"] for h in run.history],
            [h["monoculture"] for h in run.history],
        )
        np.savetxt(
            os.path.join(ctx.out_dir, f"zap_colour_matrix_{name}.txt"),
            ev["zap_colour_matrix"],
            fmt="%d",
            header="rows: actor colour, cols: target colour (grey red green blue)",
        )
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for name, m in mono_t.items():
        axes[0].plot(np.arange(1, len(m) + 1), m, label=name)
    axes[0].set_xlabel("step of evaluation episode")
    axes[0].set_ylabel("monoculture fraction")
    axes[0].set_title("evaluation episodes")
    axes[0].legend()
    for name, (x, y) in mono_train.items():
        axes[1].plot(x, y, label=name)
    axes[1].set_xlabel("env steps trained")
    axes[1].set_title("end of each training rollout")
    axes[1].legend()
    fig.tight_layout()
    png = os.path.join(ctx.out_dir, "monoculture.png")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    out["plots"] = [png]
    return out


# --------------------------------------------------------------------------- partner choice
def run_partner_choice(ctx: Context) -> dict:
    import torch

    from training.punishment import train_partner_choice

    torch.set_num_threads(1)
    episodes = BUDGET["partner_choice"][ctx.tier]
    seeds = 1 if ctx.tier == "fast" else 20
    out: dict = {}
    for mech in ("none", "tpp_dp"):
        per_seed = []
        for s in range(seeds):
            h = train_partner_choice(episodes, seed=ctx.seed + s, punishment=mech)
            tail = h[-max(1, episodes // 4) :]
            with warnings.catch_warnings():  # no punishment: the unjust rate is nan
                warnings.simplefilter("ignore", RuntimeWarning)
                per_seed.append({k: float(np.nanmean([e[k] for e in tail])) for k in tail[0]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for k in ("cooperation", "punishments", "unjust_rate", "combined_reward"):
                out[f"{k}_{mech}"] = float(np.nanmean([r[k] for r in per_seed]))
    return out


register(
    Experiment(
        name="public_goods_punishment",
        title="Public goods: contributions with and without punishment (Fehr & Gächter)",
        run=run_public_goods,
        checks=[
            Check(
                "contribution_punish",
                "greater",
                other="contribution_none",
                source="Fehr & Gächter 2002 (Nature 415:137): cooperation rises with "
                "punishment and collapses without",
            ),
        ],
        description=(
            "Four independent PPO learners in `public_goods_v0` (4 players, E 20, MPCR 0.4, "
            "6 periods) without punishment and with the 1:3 punishment stage; mean "
            "contribution (share of the endowment) of 64 evaluation groups. "
            f"Budget: {BUDGET['public_goods']['fast']} episodes per condition (fast), "
            f"{BUDGET['public_goods']['full']} (full)."
        ),
    )
)
register(
    Experiment(
        name="commons_sanctions",
        title="GovSim commons: learned harvesting with and without sanctions",
        run=run_commons,
        checks=[
            Check(
                "survival_time_sanctions",
                "greater",
                other="survival_time_none",
                source="design target (sanctions on over-use, spec §7.4); GovSim has no "
                "sanction condition",
            ),
            Check(
                "survival_time_none",
                "at_most",
                value=12,
                context=True,
                source="Piatti et al. 2024: best LLM survival rate < 54%, 43 of 45 collapse",
            ),
        ],
        description=(
            "Five independent PPO learners in `commons_v0` (coarse actions: 0-100% of the "
            "pool in 10% steps) with sanction none / fine (2 per unit above f) / peer "
            "(1:3 punishment step); GovSim metrics of 64 evaluation runs. "
            f"Budget: {BUDGET['commons']['fast']} episodes per condition (fast), "
            f"{BUDGET['commons']['full']} (full)."
        ),
    )
)
register(
    Experiment(
        name="allelopathic_cnm",
        title="Allelopathic Harvest: CNM populations vs baseline PPO (Vinitsky et al.)",
        run=run_allelopathic,
        checks=[
            Check(
                "collective_return_cnm",
                "greater",
                other="collective_return_baseline",
                source="Vinitsky et al. 2023: CNM raises collective return (spec §2.6)",
            ),
            Check(
                "monoculture_final_cnm",
                "greater",
                other="monoculture_final_baseline",
                source="Vinitsky et al. 2023: CNM populations move further toward "
                "monoculture (spec §2.6)",
            ),
            Check(
                "classifier_balanced_accuracy_cnm",
                "at_least",
                value=0.6,
                source="Vinitsky et al. 2023: the classifier predicts public disapproval "
                "with high balanced accuracy (our threshold: 0.6)",
            ),
        ],
        description=(
            "Independent PPO learners with a disapproval classifier each (trained on the "
            "public OPPORTUNITY events); CNM agents get the pseudo-reward (alpha 0.2, beta "
            "0.4), baseline agents do not. Fast tier: `small` preset (4 players, 10 x 12, "
            f"500 steps), {BUDGET['allelopathic']['fast']:,} env steps per population; full "
            f"tier: Melting Pot's 16-player map, {BUDGET['allelopathic']['full']:,} steps."
        ),
    )
)
register(
    Experiment(
        name="partner_choice_punishment",
        title="Partner choice: cooperation with direct + third-party punishment "
        "(Dasgupta & Musolesi)",
        run=run_partner_choice,
        checks=[
            Check(
                "cooperation_tpp_dp",
                "greater",
                other="cooperation_none",
                source="Dasgupta & Musolesi 2023 (arXiv 2301.08278): DP+TPP reaches the "
                "highest cooperation",
            ),
        ],
        description=(
            "Staged DQN populations (5 agents, IPD, 10 rounds per encounter), means over the "
            f"last quarter of {BUDGET['partner_choice']['fast']} episodes, 1 seed (fast); "
            f"{BUDGET['partner_choice']['full']} episodes x 20 seeds (full). Unjust "
            "punishment is reported as `unjust_rate_tpp_dp`."
        ),
    )
)
