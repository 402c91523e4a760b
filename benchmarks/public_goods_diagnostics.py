"""Measurements behind the public-goods punishment diagnosis (docs/norms.md).

Why do inequity-averse PPO learners (Fehr & Schmidt 1999 utility, alpha 5, beta 0.05) not
keep Fehr & Gächter's ordering (contributions higher with punishment than without)? Three
measurements, each printed as it finishes:

* ``gradient``: the norms of the policy-loss and value-loss gradients of one PPO minibatch
  at initialisation, with the raw Fehr-Schmidt rewards and with return scaling
  (:class:`~socialenvs.wrappers.rewards.ReturnScaleTransform`). PPO clips the whole
  gradient of the shared network to norm 0.5, so the policy's share of each step is about
  ``|g_policy| / (|g_policy| + |g_value|)``.
* ``scratch``: learners trained from random initial policies (the reproduction's
  setting), with snapshots: mean contribution, points per player and period, the expected
  points a learner assigns to a target who gave 0 vs 20 when it and the others gave 20
  (the probe of the experiment), and the Fehr-Schmidt utility change of one more point on
  a target who gave at least 4 MU less / more than the punisher, under the population's
  own behaviour.
* ``seeded``: the same training started from policies behaviour-cloned to a Fehr &
  Gächter norm: contribute 20 (``norm``; ``disposition`` and ``weak``: contribute
  uniformly at random) and assign a target ``max(own - target contribution, 0) / 4``
  points in expectation (``weak``: ``/ 8``, just closing a free rider's payoff gap when
  three punish). Is the cooperative state an attractor of the learning dynamics (does it
  last), and does a punishment disposition alone keep contributions up?
* ``cnm`` (not in the default set): learners from random starts with a classifier norm
  model (:mod:`agents.cnm`) on the punishment stage's public sanction stream, paid
  ``--cnm-alpha`` / ``--cnm-beta`` MU per point on a target the group is predicted to
  disapprove / approve of: does a sanctioning norm form by amplification?

``--envy reciprocal`` gives every measurement the intention-based variant of the
Fehr-Schmidt utility (envy only of those who contributed less; ``FehrSchmidtTransform``).

Usage::

    python benchmarks/public_goods_diagnostics.py                       # all, seed 0, 4,000 episodes
    python benchmarks/public_goods_diagnostics.py --only seeded --episodes 16000 --seed 1
    python benchmarks/public_goods_diagnostics.py --only cnm --cnm-alpha 2 --cnm-beta 2
    python benchmarks/public_goods_diagnostics.py --only scratch,seeded --seeded disposition --envy reciprocal
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import reproduce  # noqa: E402

from agents.actor_critic import ActorCriticPolicy  # noqa: E402
from agents.ppo import PPO, PPOConfig  # noqa: E402
from socialenvs.core.events import EventKind  # noqa: E402
from socialenvs.core.registry import make_vec  # noqa: E402
from socialenvs.wrappers.rewards import (  # noqa: E402
    FEHR_SCHMIDT_ENVY,
    FehrSchmidtTransform,
    ReturnScaleTransform,
    RewardTransformVectorEnv,
)
from training.rollout import Matchmaker, RolloutCollector  # noqa: E402

# The experiment module as the reproduction suite registers it (imported once).
reproduce.discover()
norms = sys.modules["socialenvs_experiments_norms"]
EVAL_EPISODES, PG_ENDOWMENT = norms.EVAL_EPISODES, norms.PG_ENDOWMENT
PG_INEQUITY_AVERSION = norms.PG_INEQUITY_AVERSION
_fs_marginal, _punishment_probe = norms._fs_marginal, norms._punishment_probe
behaviour_clone = norms.clone_pg_disposition

ENV = norms.PG_PUNISHMENT_ENV
N, STEPS_PER_EPISODE = 4, 24
PPO_SETTINGS = {"num_steps": 48, "lr": 5e-4}  # the reproduction's trainer settings
# Seeded starts: (contributions uniformly random instead of 20, divisor of the gap giving
# the expected points). A divisor of 8 is the punishment that just closes a free rider's
# payoff gap when three cooperators punish (the most that Fehr-Schmidt punishers with a
# small beta want to give); 4 punishes twice that.
SEEDED = {"norm": (False, 4.0), "disposition": (True, 4.0), "weak": (True, 8.0)}


# Whom the learners envy (FehrSchmidtTransform's ``envy``; ``--envy``).
ENVY = {"envy": "all"}


def _transform(scaled: bool = True):
    """The learners' reward: Fehr-Schmidt utility of each period, return-scaled."""
    transform = FehrSchmidtTransform(**PG_INEQUITY_AVERSION, window=4, **ENVY)
    return ReturnScaleTransform(transform, gamma=0.99) if scaled else transform


def _venv(num_envs: int, scaled: bool):
    return RewardTransformVectorEnv(
        make_vec("public_goods_v0", num_envs=num_envs, **ENV), _transform(scaled)
    )


def _policies(venv) -> list[ActorCriticPolicy]:
    space, n = venv.single_observation_space, int(venv.single_action_space.n)
    return [ActorCriticPolicy(space, n, name=f"ppo_{k}") for k in range(N)]


def measure_gradient(seed: int) -> dict[str, float]:
    """Print (and return) the policy's share of the clipped step, raw and return-scaled."""
    cfg = PPOConfig(**PPO_SETTINGS)
    shares = {}
    for scaled in (False, True):
        torch.manual_seed(seed)
        venv = _venv(16, scaled)
        pols = _policies(venv)
        col = RolloutCollector(venv, pols, Matchmaker(list(range(N))), seed=seed)
        ro = col.collect(cfg.num_steps)
        ro.compute_gae(cfg.gamma, cfg.gae_lambda)
        m = ro.policy_ids == 0
        net = pols[0].net
        adv = torch.as_tensor(ro.advantages[m])
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        ret = torch.as_tensor(ro.returns[m])
        logits, values, _ = net.step(torch.as_tensor(ro.obs[m]), ())
        logp = torch.log_softmax(logits, -1).gather(-1, torch.as_tensor(ro.actions[m])[:, None])
        losses = {
            "policy": -(adv * logp[:, 0]).mean(),  # the clipped surrogate's gradient at ratio 1
            "value": cfg.vf_coef * 0.5 * ((values.reshape(-1) - ret) ** 2).mean(),
        }
        norms = {}
        for k, loss in losses.items():
            net.zero_grad()
            loss.backward(retain_graph=True)
            grads = [p.grad for p in net.parameters() if p.grad is not None]
            norms[k] = float(sum((g**2).sum() for g in grads) ** 0.5)
        share = norms["policy"] / (norms["policy"] + norms["value"])
        shares["scaled" if scaled else "raw"] = share
        print(
            f"gradient  {'return-scaled' if scaled else 'raw FS rewards'}: return std "
            f"{float(ret.std()):.2f}, |g_policy| {norms['policy']:.3f}, |g_value| "
            f"{norms['value']:.3f}, policy share of the clipped step {share:.4f}",
            flush=True,
        )
    return shares


def _evaluate(pols, seed: int) -> dict[str, float]:
    venv = make_vec("public_goods_v0", num_envs=EVAL_EPISODES, **ENV)
    col = RolloutCollector(venv, pols, Matchmaker(list(range(N))), learners=[], seed=seed)
    ro = col.collect(int(venv.sim.max_cycles))
    B = EVAL_EPISODES
    contrib = np.zeros((B, 6, N))
    points = np.zeros((B, 6, N, N))
    period = -1
    for ev in ro.events:
        con = ev[ev["kind"] == int(EventKind.CONTRIBUTE)]
        if con.size:
            period += 1
            contrib[con["env"], period, con["actor"]] = con["value"]
        pun = ev[ev["kind"] == int(EventKind.PUNISH)]
        if pun.size:
            np.add.at(points, (pun["env"], period, pun["actor"], pun["target"]), pun["value"])
    out = {
        "contribution": float(contrib.mean() / PG_ENDOWMENT),
        "points_per_player_period": float(points.sum(axis=2).mean()),
    }
    out.update(_punishment_probe(pols, ENV, PG_ENDOWMENT))
    out.update(_fs_marginal(contrib, points, **PG_INEQUITY_AVERSION))
    return out


def train(pols, episodes: int, seed: int, snapshots=()) -> list[tuple[int, dict]]:
    """Independent PPO on return-scaled Fehr-Schmidt rewards (the reproduction's loop)."""
    cfg = PPOConfig(**PPO_SETTINGS)
    venv = _venv(16, scaled=True)
    col = RolloutCollector(venv, pols, Matchmaker(list(range(N))), seed=seed)
    learners = [PPO(p, cfg, k) for k, p in enumerate(pols)]
    steps = episodes * STEPS_PER_EPISODE
    pending, out = sorted(snapshots), []
    while col.env_steps < steps:
        ro = col.collect(cfg.num_steps)
        ro.compute_gae(cfg.gamma, cfg.gae_lambda)
        for lr in learners:
            lr.set_progress(col.env_steps / steps)
            lr.update(ro)
        while pending and col.env_steps >= pending[0] * STEPS_PER_EPISODE:
            out.append((pending.pop(0), _evaluate(pols, 10_000 + seed)))
    out.append((episodes, _evaluate(pols, 10_000 + seed)))
    return out


def train_with_cnm(episodes: int, seed: int, alpha: float, beta: float) -> list[tuple[int, dict]]:
    """Inequity-averse learners from random starts, each with a classifier norm model on
    the punishment stage's public sanction opportunities (``record_opportunities``): every
    point assigned earns ``alpha P(disapprove) - beta P(approve)`` MU (return-scaled with
    the rewards). Snapshots every eighth of training: contribution, points per player and
    period, the classifiers' prequential balanced accuracy; at the end the evaluation of
    the other measurements and P(disapprove) of a free rider among contributors."""
    from agents.cnm import CNMConfig
    from training.cnm import train_cnm

    hist = []
    run = train_cnm(
        "public_goods_v0",
        ENV,
        CNMConfig(alpha=alpha, beta=beta),
        ppo=PPOConfig(**PPO_SETTINGS),
        num_envs=16,
        steps=episodes * STEPS_PER_EPISODE,
        seed=seed,
        on_rollout=norms._contribution_probe(PG_ENDOWMENT),
        reward_transform=_transform(),
    )
    for k in range(1, 9):
        h = run.history[k * len(run.history) // 8 - 1]
        hist.append(
            (
                int(h["env_steps"] // STEPS_PER_EPISODE),
                {
                    "contribution": h["contribution"],
                    "points_per_player_period": h["punish_points_per_period"],
                    "balanced_accuracy": h.get("classifier_balanced_accuracy", np.nan),
                },
            )
        )
    final = _evaluate(run.policies, 10_000 + seed)
    free_rider = np.array([[0.0, 1.0, 0.75]], np.float32)  # target 0, punisher and others 20
    final["p_disapprove_free_rider"] = float(
        np.mean([m.prob_disapprove(free_rider)[0] for m in run.cnm.models.values()])
    )
    hist.append((episodes, final))
    return hist


def _print(label: str, rows) -> None:
    for ep, m in rows:
        print(f"{label:<22} episode {ep:>6}: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()))
    sys.stdout.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", default="gradient,scratch,seeded", help="also: cnm")
    p.add_argument("--episodes", type=int, default=4000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeded", default="norm,disposition,weak", help=", ".join(SEEDED))
    p.add_argument(
        "--envy",
        default="all",
        choices=FEHR_SCHMIDT_ENVY,
        help="whom the learners envy: all (Fehr-Schmidt) or reciprocal (those who gave less)",
    )
    p.add_argument(
        "--cnm-alpha", type=float, default=2.0, help="cnm: MU per point on a disapproved target"
    )
    p.add_argument(
        "--cnm-beta", type=float, default=2.0, help="cnm: MU per point on an approved target"
    )
    args = p.parse_args()
    ENVY["envy"] = args.envy
    torch.set_num_threads(1)
    only = set(args.only.split(","))
    if "gradient" in only:
        measure_gradient(args.seed)
    if "scratch" in only:
        torch.manual_seed(args.seed)
        t = time.process_time()
        pols = _policies(_venv(1, True))
        snaps = [k * args.episodes // 8 for k in range(8)]
        _print("scratch", train(pols, args.episodes, args.seed, snaps))
        print(f"scratch: {time.process_time() - t:.0f} CPU s", flush=True)
    if "seeded" in only:
        for label in args.seeded.split(","):
            uniform, divisor = SEEDED[label]
            torch.manual_seed(args.seed)
            pols = _policies(_venv(1, True))
            behaviour_clone(pols, args.seed, uniform, divisor)
            label = f"seeded {label}"
            snaps = [0, args.episodes // 4, args.episodes // 2]
            _print(label, train(pols, args.episodes, args.seed, snaps))
    if "cnm" in only:
        t = time.process_time()
        _print("cnm", train_with_cnm(args.episodes, args.seed, args.cnm_alpha, args.cnm_beta))
        print(f"cnm: {time.process_time() - t:.0f} CPU s", flush=True)


if __name__ == "__main__":
    main()
