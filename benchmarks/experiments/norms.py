"""Sanctions and norms reproductions (sanctions-norms spec §2, §4, §6, §7).

Four experiments, each training fresh learners with the shared collector and PPO
(:func:`training.cnm.train_cnm`) or the staged DQN agents, and reporting what it
measured, pass or fail:

* ``public_goods_punishment`` -- Fehr & Gächter 2002 (Nature 415:137): 4 players,
  endowment 20, MPCR 0.4, 6 periods; independent PPO learners with and without the 1:3
  punishment stage, inequity-averse (Fehr & Schmidt 1999 utility, the learners' reward)
  and selfish (control: punishing is a second-order public good for them), each from
  random initial policies and from policies behaviour-cloned to a Fehr & Gächter
  punishment disposition (contributions still random). Targets: mean learned
  contribution of the inequity-averse learners with the disposition with punishment >
  without, and their threat still aimed at free riders after training. Also reported:
  anti-social punishment rate, punishment received below vs at/above the others' mean
  contribution, earnings per period, the points a learner assigns to a free rider vs a
  contributor, and the Fehr-Schmidt gain of one more point on lower vs higher
  contributors. Rewards are return-scaled (Engstrom et al. 2020). Curves: contributions
  over training, by period in evaluation, punishment vs deviation, per start.
* ``commons_sanctions`` -- GovSim's commons (Piatti et al. 2024): 5 independent PPO
  learners with no sanction, an institutional fine and peer punishment; survival time,
  efficiency, equality and over-usage of evaluation runs (``metrics.commons_outcomes``).
  The learners use the ``coarse`` action set (harvest 0%, 10%, ..., 100% of the pool) so
  that minutes of training mean something; GovSim's LLM agents have no such budget.
  Target: survival time with sanctions (best of fine / peer) > without.
* ``allelopathic_cnm`` -- Vinitsky et al. 2023: CNM populations vs baseline PPO on
  Allelopathic Harvest (fast tier: the ``reduced`` preset, 4 players, 10 x 12 torus,
  500-step episodes, ripening rate scaled by 29 so berries ripen about as often per
  episode as on Melting Pot's map; full tier: Melting Pot's 16 players, 30 x 29, 2000
  steps). Both
  populations train a disapproval classifier on the public sanction stream; only CNM
  agents are paid the pseudo-reward. Targets (orderings, paper §results as summarised
  in the spec, §2.6): collective return and monoculture fraction of CNM > baseline;
  classifier balanced accuracy of CNM agents >= 0.6 on the evaluation episodes'
  sanction opportunities. Also reported: zaps per episode, share of zaps on grey
  (free-rider) vs coloured (planter) targets, the colour x colour zap matrix and the
  classifiers' prequential accuracy during training. Curves: monoculture fraction over
  evaluation episodes and over training.
* ``partner_choice_punishment`` -- Dasgupta & Musolesi (arXiv 2301.08278): staged DQN
  populations under no punishment and direct + third-party punishment (the runner of
  ``benchmarks/partner_choice_reproduce.py``). Target: cooperation(tpp_dp) >
  cooperation(none); unjust punishment reported.

Budgets (env steps per condition, or episodes for partner choice) are in ``BUDGET``; the
fast tier is a few minutes on 2 CPU cores, the full tier hours.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import warnings

import numpy as np
from reproduce import Check, Context, Experiment, register

BUDGET = {
    # env steps per condition (public goods: per learner group; punishment periods are
    # 4 steps, so the punishment condition gets 4x the steps for the same periods)
    "public_goods": {"fast": 4000, "full": 100_000},  # episodes (6 periods each)
    "commons": {"fast": 3000, "full": 100_000},  # episodes (12 months each)
    # env steps per population; "medium": the fast tier's reduced game at 5x its budget
    "allelopathic": {"fast": 600_000, "medium": 3_000_000, "full": 5_000_000},
    "partner_choice": {"fast": 60, "full": 2000},  # episodes
}
EVAL_EPISODES = 64
# Allelopathic Harvest: the fewest evaluation zaps the classifier's balanced accuracy is
# scored on. With 50 zaps the true-positive rate has a standard error of at most 0.071
# and the balanced accuracy (the true-negative rate rests on thousands of non-zaps) about
# 0.035, so a classifier at chance reaches the 0.6 threshold with probability below 0.3%.
EVAL_MIN_ZAPS = 50
ALLELOPATHIC_FAST_COPIES = 32  # env copies per rollout in the allelopathic fast tier
ALLELOPATHIC_FAST_ENV = {"preset": "reduced"}  # the allelopathic fast tier's game


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
# Inequity-averse learners: Fehr & Schmidt (1999, QJE 114:817) utility of each period's
# material payoffs, alpha 5 (envy) and beta 0.05 (guilt) as in Hughes et al. 2018's
# disadvantageous-inequity-aversion setting (the SSD repository's example flags). With
# N = 4 and the 1:3 technology, cooperators who match each other's punishment of a richer
# free rider gain 2 (alpha + beta) / 3 - 1 > 0 per point when alpha + beta > 1.5 [derived].
PG_INEQUITY_AVERSION = {"alpha": 5.0, "beta": 0.05}
PG_MOTIVES = ("selfish", "inequity_averse")
# "scratch": random initial policies; "disposition": cloned to PG_DISPOSITION_DIVISOR first.
PG_STARTS = ("scratch", "disposition")
PG_PERIODS = 6
PG_ENDOWMENT = 20.0
# Rewards of both motives are divided by the running std of the discounted return
# (Engstrom et al. 2020 reward scaling, ``ReturnScaleTransform``). Without it the returns
# (std about 100 for Fehr-Schmidt utilities, 26 for payoffs, at initialisation) make the
# value loss's gradient about 1,900 (300) times the policy loss's in the shared network,
# whose gradient PPO clips to norm 0.5 as a whole: the policies barely moved (measured by
# benchmarks/public_goods_diagnostics.py; docs/norms.md).
PG_RETURN_SCALING = True
PG_PUNISHMENT_ENV = {"preset": "fehr_gaechter_2002", "punishment": "linear"}


def _punishment_probe(policies, env_kwargs: dict, endowment: float) -> dict[str, float]:
    """Expected points each learner assigns to a target that gave 0 and to one that gave
    ``endowment``, when it and the two others gave ``endowment`` (period 3, every
    punishment step, mean over learners and steps): does punishment depend on the
    target's contribution at all?"""
    import torch

    from socialenvs.core.registry import make_vec

    N = len(policies)
    out = {}
    for label, target in (("free_rider", 0.0), ("contributor", endowment)):
        venv = make_vec("public_goods_v0", num_envs=3 * N, **env_kwargs)
        sim = venv.sim
        for s in (1, 2, 3):
            for k in range(N):
                b = (s - 1) * N + k
                c = np.full(N, endowment)
                c[(k + s) % N] = target
                sim.contrib[b] = sim.last_contrib[b] = c
                sim.substep[b], sim.period[b] = s, 2
        obs = sim._observe(np.arange(3 * N))
        points = []
        for s in (1, 2, 3):
            for k, pol in enumerate(policies):
                logits, _, _ = pol.net.step(torch.as_tensor(obs[(s - 1) * N + k, k][None]), ())
                p = torch.softmax(logits, -1)[0].detach().numpy()
                m = sim.config.max_points
                points.append(float((p[1 : m + 1] * np.arange(1, m + 1)).sum()))
        out[f"probe_points_on_{label}"] = float(np.mean(points))
    return out


def _fs_marginal(contrib: np.ndarray, points: np.ndarray, alpha: float, beta: float) -> dict:
    """Fehr-Schmidt utility change of one more point from punisher i to target j, given
    what everyone did (``contrib [B, T, N]``, ``points [B, T, N, N]`` i -> j), averaged
    over pairs where the target gave at least 4 MU less / more than the punisher."""
    from socialenvs.wrappers.rewards import fehr_schmidt_utility

    B, T, N = contrib.shape
    first = PG_ENDOWMENT - contrib + 0.4 * contrib.sum(-1, keepdims=True)  # MPCR 0.4 (preset)

    def utility(p):
        x = first - p.sum(-1) - 3.0 * p.sum(-2)
        return fehr_schmidt_utility(x.reshape(-1, N), alpha, beta).reshape(B, T, N)

    base = utility(points)
    gain, gap = [], []
    for i in range(N):
        for j in range(N):
            if i != j:
                p2 = points.copy()
                p2[:, :, i, j] += 1.0
                gain.append((utility(p2) - base)[:, :, i].reshape(-1))
                gap.append((contrib[:, :, j] - contrib[:, :, i]).reshape(-1))
    gain, gap = np.concatenate(gain), np.concatenate(gap)
    out = {}
    for label, mask in (("lower", gap <= -4), ("higher", gap >= 4)):
        out[f"fs_gain_per_point_on_{label}"] = float(gain[mask].mean()) if mask.any() else np.nan
    return out


# Seeded start (the check's conditions): before training, every learner is behaviour-
# cloned to a Fehr & Gächter punishment disposition -- assign a target
# ``max(own - target contribution, 0) / PG_DISPOSITION_DIVISOR`` points in expectation,
# nothing to those who gave as much or more -- and to uniformly random contributions, the
# networks' own starting point. Fehr & Gächter's subjects bring their punishment
# dispositions with them: free riders are punished from the first period on (2002, Fig. 2;
# 84% of subjects punished at least once), while learners from random starts never build
# one (docs/norms.md, diagnosis 1). With divisor 4 a free rider among three full
# contributors expects 5 points from each; divisor 8 (half) just closes its payoff gap.
PG_DISPOSITION_DIVISOR = 4.0
PG_DISPOSITION_ITERS = 400  # cloning minibatches (of 1024 states)


def pg_disposition_targets(
    sim, uniform_contribution: bool = True, divisor: float = PG_DISPOSITION_DIVISOR
) -> np.ndarray:
    """``[B, N, A]`` action distributions of the scripted disposition in the sims' states:
    contributions uniform (``uniform_contribution``) or the whole endowment; punishment
    points ``max(own - target, 0) / divisor`` in expectation (split between the two
    nearest integers)."""
    B, N, A = sim.num_envs, sim.num_agents, sim.num_actions
    probs = np.zeros((B, N, A))
    contributing = sim.substep == 0
    if uniform_contribution:
        probs[contributing, :, : sim.config.contribution_levels] = (
            1.0 / sim.config.contribution_levels
        )
    else:
        probs[contributing, :, sim.config.contribution_levels - 1] = 1.0
    targets = sim.seat[:, np.maximum(sim.substep, 1)].T
    gap = np.maximum(sim.contrib - np.take_along_axis(sim.contrib, targets, 1), 0.0)
    mean = np.minimum(gap / divisor, sim.config.max_points)
    lo = np.floor(mean).astype(np.int64)
    w = mean - lo
    b = np.flatnonzero(~contributing)[:, None]
    k = np.arange(N)[None, :]
    np.add.at(probs, (b, k, lo[b, k]), 1 - w[b, k])
    np.add.at(probs, (b, k, np.minimum(lo[b, k] + 1, sim.config.max_points)), w[b, k])
    return probs


def clone_pg_disposition(
    policies,
    seed: int,
    uniform_contribution: bool = True,
    divisor: float = PG_DISPOSITION_DIVISOR,
    iters: int = PG_DISPOSITION_ITERS,
) -> None:
    """Fit the policies to :func:`pg_disposition_targets` on random states of the
    punishment game (mostly cooperative groups with 30% deviants): cross-entropy on the
    actor, Adam lr 1e-3, 400 minibatches of 1024 states."""
    import torch

    from socialenvs.core.registry import make_vec

    rng = np.random.default_rng(seed)
    K = 1024
    sim = make_vec("public_goods_v0", num_envs=K, **PG_PUNISHMENT_ENV).sim
    N = sim.num_agents
    levels = np.linspace(0.0, PG_ENDOWMENT, sim.config.contribution_levels)
    opts = [torch.optim.Adam(p.net.parameters(), lr=1e-3) for p in policies]
    for _ in range(iters):
        c = np.repeat(rng.choice(levels[len(levels) // 2 :], size=(K, 1)), N, 1)
        dev = rng.random((K, N)) < 0.3
        c[dev] = rng.choice(levels, size=int(dev.sum()))
        sim.contrib[:] = c
        sim.last_contrib[:] = np.repeat(rng.choice(levels, size=(K, 1)), N, 1)
        sim.substep[:] = rng.integers(0, N, K)
        sim.period[:] = rng.integers(0, 6, K)
        sim.points[:] = 0.0
        sim.punished_last[:] = 0.0
        obs = torch.as_tensor(sim._observe(np.arange(K)))
        target = torch.as_tensor(
            pg_disposition_targets(sim, uniform_contribution, divisor), dtype=torch.float32
        )
        for k, (p, opt) in enumerate(zip(policies, opts)):
            logits, _, _ = p.net.step(obs[:, k], ())
            loss = torch.nn.functional.cross_entropy(logits, target[:, k])
            opt.zero_grad()
            loss.backward()
            opt.step()


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


def _periods(ro, num_agents: int) -> tuple[np.ndarray, np.ndarray]:
    """Contributions and punishment points received, ``[B, periods, N]`` each, from the
    events of whole evaluation episodes (all copies start together)."""
    from socialenvs.core.events import EventKind

    B = ro.rewards.shape[1]
    contrib, received = [], []
    for ev in ro.events:
        con = ev[ev["kind"] == int(EventKind.CONTRIBUTE)]
        if con.size:
            c = np.zeros((B, num_agents))
            c[con["env"], con["actor"]] = con["value"]
            contrib.append(c)
            received.append(np.zeros((B, num_agents)))
        pun = ev[ev["kind"] == int(EventKind.PUNISH)]
        if pun.size:
            np.add.at(received[-1], (pun["env"], pun["target"]), pun["value"])
    return np.stack(contrib, axis=1), np.stack(received, axis=1)


def run_public_goods(ctx: Context) -> dict:
    """Selfish and inequity-averse PPO learners, each without and with punishment, from
    random policies and from a cloned punishment disposition (``PG_STARTS``)."""
    from agents.ppo import PPOConfig
    from socialenvs import metrics
    from socialenvs.core.events import EventKind
    from socialenvs.norms.sanctions import is_unjust
    from socialenvs.wrappers.rewards import FehrSchmidtTransform, ReturnScaleTransform
    from training.cnm import train_cnm

    plt = _plt()
    episodes = BUDGET["public_goods"][ctx.tier]
    E = PG_ENDOWMENT
    out: dict = {}
    curves, by_period, by_dev = {}, {}, {}
    for start, motive, punishment in itertools.product(PG_STARTS, PG_MOTIVES, ("none", "linear")):
        tag = "punish" if punishment == "linear" else "none"
        name = f"{tag}_{'ia' if motive == 'inequity_averse' else 'selfish'}"
        if start == "disposition":
            name += "_disposition"
        kw = {"preset": "fehr_gaechter_2002", "punishment": punishment}
        steps_per_period = 4 if punishment == "linear" else 1
        steps_per_ep = PG_PERIODS * steps_per_period
        transform = None
        if motive == "inequity_averse":
            transform = FehrSchmidtTransform(**PG_INEQUITY_AVERSION, window=steps_per_period)
        if PG_RETURN_SCALING:
            transform = ReturnScaleTransform(transform, gamma=0.99)  # PPOConfig's gamma
        run = train_cnm(
            "public_goods_v0",
            kw,
            None,
            ppo=PPOConfig(num_steps=48, lr=5e-4),
            num_envs=16,
            steps=episodes * steps_per_ep,
            seed=ctx.seed,
            on_rollout=_contribution_probe(E),
            reward_transform=transform,
            pretrain=(
                (lambda pols: clone_pg_disposition(pols, ctx.seed, iters=PG_DISPOSITION_ITERS))
                if start == "disposition"
                else None
            ),
        )
        curves[name] = (
            [h["env_steps"] / steps_per_ep for h in run.history],
            [h["contribution"] for h in run.history],
        )
        # Evaluation: whole episodes, material payoffs (no transform).
        ro, _ = _play(run, EVAL_EPISODES, 10_000 + ctx.seed)
        contrib, received = _periods(ro, 4)
        per = contrib.mean(axis=(0, 2)) / E
        by_period[name] = per
        out[f"contribution_{name}"] = float(per.mean())
        out[f"last_period_contribution_{name}"] = float(per[-1])
        out[f"earnings_per_period_{name}"] = float(ro.rewards.sum(axis=0).mean() / PG_PERIODS)
        if punishment == "linear":
            pun = np.concatenate([e[e["kind"] == int(EventKind.PUNISH)] for e in ro.events])
            # points assigned (= received) per player and period
            out[f"punish_points_per_period_{name}"] = float(received.mean())
            out[f"antisocial_punishment_rate_{name}"] = metrics.antisocial_punishment_rate(
                is_unjust(pun), pun["value"]
            )
            c2, r2 = contrib.reshape(-1, 4), received.reshape(-1, 4)
            dev = c2 - (c2.sum(axis=1, keepdims=True) - c2) / 3
            for side, mask in (("below", dev < 0), ("at_or_above", dev >= 0)):
                out[f"punishment_received_{side}_mean_{name}"] = (
                    float(r2[mask].mean()) if mask.any() else float("nan")
                )
            by_dev[name] = metrics.punishment_by_deviation(c2, r2)
            # Diagnostics: does the learned punishment depend on the target's
            # contribution, and does punishing low contributors pay in utility?
            for k, v in _punishment_probe(run.policies, kw, E).items():
                out[f"{k}_{name}"] = v
            pts = np.zeros((*contrib.shape, 4))
            env_period = np.cumsum(
                [(e["kind"] == int(EventKind.CONTRIBUTE)).any() for e in ro.events]
            )
            for t, e in enumerate(ro.events):
                p = e[e["kind"] == int(EventKind.PUNISH)]
                if p.size:
                    period = env_period[t] - 1
                    np.add.at(pts, (p["env"], period, p["actor"], p["target"]), p["value"])
            ab = PG_INEQUITY_AVERSION if motive == "inequity_averse" else {"alpha": 0, "beta": 0}
            for k, v in _fs_marginal(contrib, pts, ab["alpha"], ab["beta"]).items():
                out[f"{k}_{name}"] = v
        out[f"train_seconds_{name}"] = run.seconds

    fig, grid = plt.subplots(len(PG_STARTS), 3, figsize=(15, 3.4 * len(PG_STARTS)))
    styles = {"none": "--", "punish": "-"}
    colours = {"selfish": "tab:grey", "ia": "tab:blue"}
    centres = np.arange(-18.0, 19.0, 6.0)
    for row, start in enumerate(PG_STARTS):
        axes = grid[row]
        mine = [n for n in curves if n.endswith("_disposition") == (start == "disposition")]
        where = "random start" if start == "scratch" else "cloned disposition"
        for name in mine:
            tag, motive = name.split("_")[:2]
            x, y = curves[name]
            ys = _smooth(y)
            axes[0].plot(x[: len(ys)], ys, styles[tag], color=colours[motive], label=name)
            per = by_period[name]
            axes[1].plot(
                range(1, len(per) + 1),
                per,
                styles[tag],
                color=colours[motive],
                marker="o",
                label=name,
            )
            if name in by_dev:
                mean, count = by_dev[name]
                ok = count > 0
                axes[2].plot(centres[ok], mean[ok], marker="o", color=colours[motive], label=name)
        axes[0].set_xlabel("episodes (6 periods) trained")
        axes[0].set_ylabel("mean contribution / endowment")
        axes[0].set_title(f"{where}: contribution in training")
        axes[1].set_xlabel("period")
        axes[1].set_title(f"{where}: contribution by period (eval.)")
        axes[1].set_ylim(0, 1)
        axes[2].set_xlabel("contribution minus the others' mean (MU)")
        axes[2].set_ylabel("points received per period")
        axes[2].set_title(f"{where}: punishment vs deviation")
        for ax in axes:
            ax.legend(fontsize=8)
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
def run_allelopathic(
    ctx: Context,
    cnm_overrides: dict | None = None,
    populations: tuple[str, ...] = ("baseline", "cnm"),
) -> dict:
    """The experiment's two populations (``populations`` selects; ``cnm_overrides``:
    :class:`~agents.cnm.CNMConfig` fields changed for the CNM population only, for the
    candidates of ``benchmarks/allelopathic_cnm_candidates.py``)."""
    from agents.cnm import CNMConfig
    from agents.networks import NetworkConfig
    from agents.ppo import PPOConfig
    from training.cnm import evaluate_norms, train_cnm

    plt = _plt()
    fast = ctx.tier in ("fast", "medium")  # the reduced game; medium trains it longer
    # Fast tier: the reduced game (env docstring, "Reduced game"): at Melting Pot's
    # ripening rate the small map yields about 2 ripe berries per episode for the whole
    # group, so the only reward is the -10 of removals and nothing is learned.
    kw = dict(ALLELOPATHIC_FAST_ENV) if fast else {}
    net = NetworkConfig(conv_channels=(8,), feature_size=64) if fast else NetworkConfig()
    ppo = PPOConfig(num_steps=128, lr=5e-4)
    # 32 copies per rollout: the per-call cost of the four policies' forward passes is
    # shared by 4x more env steps than with 8 (about 2x the env steps per CPU second).
    num_envs = ALLELOPATHIC_FAST_COPIES if fast else 16
    out: dict = {}
    mono_t, mono_train, zap_train = {}, {}, {}
    for name, shaping in (("baseline", False), ("cnm", True)):
        if name not in populations:
            continue
        cpu0 = time.process_time()
        cfg = CNMConfig(shaping=shaping, **((cnm_overrides or {}) if shaping else {}))
        run = train_cnm(
            "allelopathic_harvest_v0",
            kw,
            cfg,
            ppo=ppo,
            network=net,
            num_envs=num_envs,
            steps=BUDGET["allelopathic"][ctx.tier],
            seed=ctx.seed,
        )
        ev = evaluate_norms(run, episodes=EVAL_EPISODES, seed=10_000 + ctx.seed)
        for k in (
            "collective_return",
            "equality",
            "monoculture_final",
            "monoculture_mean",
            "zaps",
            "zaps_on_free_riders",
            "classifier_balanced_accuracy",
            "opportunities",
        ):
            out[f"{k}_{name}"] = float(ev.get(k, float("nan")))
        out[f"evaluation_zaps_total_{name}"] = float(ev["zaps"]) * EVAL_EPISODES
        out[f"train_zaps_per_agent_step_last_{name}"] = float(
            np.mean([h["zaps_per_agent_step"] for h in run.history[-5:]])
        )
        out[f"cpu_seconds_{name}"] = time.process_time() - cpu0
        train_ba = [
            h["classifier_balanced_accuracy"]
            for h in run.history
            if "classifier_balanced_accuracy" in h
        ]
        if train_ba:
            out[f"train_balanced_accuracy_last_{name}"] = float(np.mean(train_ba[-5:]))
        opened = [h["env_steps"] for h in run.history if h.get("gate_open", 0) > 0]
        if cfg.gate_accuracy > 0:  # env steps when the first learner's gate opened
            out[f"gate_first_open_{name}"] = float(opened[0]) if opened else float("nan")
            out[f"gate_open_final_{name}"] = float(run.history[-1].get("gate_open", 0.0))
        out[f"train_seconds_{name}"] = run.seconds
        mono_t[name] = ev["monoculture_over_time"]
        mono_train[name] = (
            [h["env_steps"] for h in run.history],
            [h["monoculture"] for h in run.history],
        )
        zap_train[name] = [h["zaps_per_agent_step"] for h in run.history]
        keys = (
            "env_steps",
            "zaps_per_agent_step",
            "classifier_balanced_accuracy",
            "pseudo_reward_per_step",
            "gate_open",
            "monoculture",
            "episode_collective_return",
        )
        with open(os.path.join(ctx.out_dir, f"history_{name}.json"), "w") as f:
            json.dump([{k: h[k] for k in keys if k in h} for h in run.history], f)
        np.savetxt(
            os.path.join(ctx.out_dir, f"zap_colour_matrix_{name}.txt"),
            ev["zap_colour_matrix"],
            fmt="%d",
            header="rows: actor colour, cols: target colour (grey red green blue)",
        )
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.2))
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
    for name, (x, _) in mono_train.items():
        axes[2].plot(x, zap_train[name], label=name)
    axes[2].set_xlabel("env steps trained")
    axes[2].set_ylabel("zaps per agent step")
    axes[2].set_title("zapping during training")
    axes[2].legend()
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
                "contribution_punish_ia_disposition",
                "greater",
                other="contribution_none_ia_disposition",
                source="Fehr & Gächter 2002 (Nature 415:137): cooperation is sustained with "
                "punishment and collapses without; Fehr & Schmidt 1999 (QJE 114:817) explain "
                "it with inequity-averse players, as modelled by these learners; the "
                "learners start with a cloned punishment disposition, as the subjects bring "
                "theirs (free riders are punished from period 1)",
            ),
            Check(
                "probe_points_on_free_rider_punish_ia_disposition",
                "greater",
                other="probe_points_on_contributor_punish_ia_disposition",
                source="Fehr & Gächter 2002: punishment falls on those who contribute less "
                "than the others; after training the learners still threaten a free rider, "
                "not a contributor",
            ),
            Check(
                "contribution_punish_ia",
                "greater",
                other="contribution_none_ia",
                context=True,
                source="the same learners from random starts: no punishment disposition "
                "forms before contributions collapse (docs/norms.md, diagnosis), so the "
                "ordering is not expected",
            ),
            Check(
                "contribution_punish_selfish_disposition",
                "greater",
                other="contribution_none_selfish_disposition",
                context=True,
                source="control: selfish learners with the cloned disposition; punishing "
                "only costs them, but a threat never carried out on the path is rarely "
                "trained away",
            ),
            Check(
                "contribution_punish_selfish",
                "greater",
                other="contribution_none_selfish",
                context=True,
                source="control: for selfish players punishing is a second-order public "
                "good (Fehr & Schmidt 1999 §IV), so the ordering is not expected",
            ),
        ],
        description=(
            "Independent PPO learners in `public_goods_v0` (4 players, E 20, MPCR 0.4, "
            "6 periods, fixed group) without punishment and with the 1:3 punishment stage, "
            "for inequity-averse learners (Fehr & Schmidt 1999 utility of each period's "
            f"payoffs, alpha {PG_INEQUITY_AVERSION['alpha']:g}, beta "
            f"{PG_INEQUITY_AVERSION['beta']:g}) and selfish learners (the second-order "
            "free-rider control), each from two starts: random initial policies, and "
            "policies first behaviour-cloned to a Fehr & Gächter punishment disposition "
            f"(assign max(own - target, 0) / {PG_DISPOSITION_DIVISOR:g} points in "
            "expectation; contributions uniformly random, as untrained). The check is on "
            "the inequity-averse learners with the disposition: their contributions are "
            "learned from random. Mean contribution (share of the endowment) of "
            f"{EVAL_EPISODES} evaluation groups, material payoffs. "
            f"Budget: {BUDGET['public_goods']['fast']:,} episodes per condition (fast), "
            f"{BUDGET['public_goods']['full']:,} (full). Rewards of both motives are "
            "divided by the running std of the discounted return (Engstrom et al. 2020 "
            "reward scaling). Also reported: the expected points a learner assigns to a "
            "free rider vs a contributor (probe), punishment received below vs at or above "
            "the others' mean, anti-social punishment, and the Fehr-Schmidt gain of one "
            "more point on lower vs higher contributors. From random starts every "
            "condition ends near zero contribution and punishment (docs/norms.md)."
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
        tiers=("fast", "medium", "full"),
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
            Check(
                "evaluation_zaps_total_cnm",
                "at_least",
                value=EVAL_MIN_ZAPS,
                source="the accuracy is scored on at least "
                f"{EVAL_MIN_ZAPS} zaps of the {EVAL_EPISODES} evaluation episodes (our rule, "
                "added 2026-12-08 after the medium tier's seeds 0-6, where CNM populations "
                "that had stopped sanctioning were scored on 0-3 zaps); Vinitsky et al.'s "
                "CNM populations keep sanctioning, and a classifier of sanctions needs "
                "sanctions to be judged",
            ),
        ],
        description=(
            "Independent PPO learners with a disapproval classifier each (trained on the "
            "public OPPORTUNITY events); CNM agents get the pseudo-reward (alpha 0.2, beta "
            "0.4), baseline agents do not. Fast tier: `reduced` preset (4 players, 10 x 12, "
            "500 steps, ripening rate x 29 so a berry ripens about as often per episode as on "
            f"Melting Pot's map), 32 copies, {BUDGET['allelopathic']['fast']:,} env steps per "
            "population (about 3.5 CPU minutes each); medium tier: the same game for "
            f"{BUDGET['allelopathic']['medium']:,} env steps per population (about 17 CPU "
            "minutes each); full tier: Melting Pot's 16-player map, "
            f"{BUDGET['allelopathic']['full']:,} env steps per population (about 5-6 CPU hours "
            f"each). {EVAL_EPISODES} evaluation episodes per population."
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
