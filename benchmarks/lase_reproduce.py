"""Reproductions of LASE (Kong et al. 2024, arXiv 2410.07863) and its baselines.

Each experiment trains with :func:`training.lase.train_social`, reports what it measured
(seed by seed, pass or fail against the reference) in a markdown table, and saves plots
and the raw histories as JSON.

    python benchmarks/lase_reproduce.py ipd gifts            # fast tier, a few minutes on 2 cores
    python benchmarks/lase_reproduce.py ipd --seeds 0 1 2 --updates 400
    python benchmarks/lase_reproduce.py dilemmas --tier full  # stag hunt, snowdrift, coin game

Experiments:

* ``ipd`` -- two LASE agents in the iterated prisoner's dilemma (``matrix_game_v0``,
  preset ``lase_dev``: R=4, S=0, T=5, P=1, 100 rounds), against two selfish A2C agents.
  Reference: the paper reports a cooperation rate of about 0.93 at convergence
  (agents spec §2.4, [secondary]). We count it reproduced when *every seed's* final LASE
  cooperation rate (policy sampled without epsilon exploration) is >= 0.8 and LASE is
  above selfish A2C.
* ``gifts`` -- one LASE agent against a fixed co-player (always-cooperate, random,
  always-defect). Reference ordering (paper, "fixed co-players"): LASE's gift weight
  toward always-cooperate > random > always-defect.
* ``cleanup`` -- LASE vs selfish A2C on LIO's small Cleanup (``cleanup_v0`` preset
  ``cleanup_small_sym``, 2 agents): collective return, equality, the top cleaner's
  share of all cleaning and whether it receives the largest gifts (the paper's
  division of labour).
* ``dilemmas`` -- collective extrinsic return of LASE vs the baselines (selfish A2C,
  inequity aversion, social influence, fixed gifting, random gifting) on
  ``stag_hunt_v0``, ``snowdrift_v0`` and ``coin_game_v0`` (preset ``lase``), plus equality
  (1 - Gini) of the per-agent returns. Reference: LASE at or near the top (figures only).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from agents.lase import LASEConfig  # noqa: E402
from training.lase import train_social  # noqa: E402

torch.set_num_threads(1)

IPD = {"preset": "lase_dev"}
# Fast-tier updates (rollouts of 16 env copies x one whole episode) per experiment.
FAST = {"ipd": 150, "gifts": 100, "dilemmas": 60, "cleanup": 300}
# Fast-tier seeds: the IPD result is claimed per seed, so it runs three.
FAST_SEEDS = {"ipd": [0, 1, 2], "gifts": [0], "dilemmas": [0], "cleanup": [0]}
# Learning rates for the matrix-game runs: the dev code's 1e-4 / 5e-5 / 3e-5 need tens of
# thousands of episodes; these reach the same regime in a few hundred updates.
IPD_CONFIG = dict(
    lr_policy=1e-3, lr_sr=1e-3, lr_pt=1e-3, entropy_coef=0.001, epsilon_episodes=50, aux_updates=2
)


def _tail(history: list[dict], key: str, frac: float = 0.2) -> float:
    k = max(1, int(len(history) * frac))
    return float(np.mean([np.asarray(r[key], dtype=np.float64) for r in history[-k:]]))


def _eval_cooperation(learner, episodes_envs: int = 32, seed: int = 10_000) -> float:
    """Cooperation rate of the learner's policies sampled without epsilon (IPD self-play)."""
    import socialenvs
    from training.rollout import Matchmaker, RolloutCollector

    venv = socialenvs.make_vec("matrix_game_v0", num_envs=episodes_envs, **IPD)
    saved = {i: p.epsilon for i, p in learner.policies.items()}
    for p in learner.policies.values():
        p.epsilon = 0.0
    seats = learner.seats
    col = RolloutCollector(venv, [learner.policies[s] for s in seats], Matchmaker(seats), seed=seed)
    ro = col.collect(venv.config.max_cycles)
    for i, p in learner.policies.items():
        p.epsilon = saved[i]
    return float((ro.actions == 0).mean())


def run_ipd(args) -> dict:
    rows, curves = [], {}
    for method in ("lase", "selfish"):
        for seed in args.seeds:
            t0 = time.time()
            learner, hist = train_social(
                "matrix_game_v0",
                LASEConfig(method=method, **IPD_CONFIG),
                env_kwargs=IPD,
                num_envs=args.num_envs,
                updates=args.updates,
                seed=seed,
            )
            coop = _eval_cooperation(learner, min(32, 2 * args.num_envs))
            w = np.asarray(hist[-1]["gift_weights"])
            rows.append(
                {
                    "method": method,
                    "seed": seed,
                    "eval_cooperation": coop,
                    "train_cooperation": _tail(hist, "cooperation"),
                    "collective_return": _tail(hist, "episode_collective_return"),
                    "gift_01": _tail(
                        [{"g": np.asarray(r["gift_weights"])[0, 1]} for r in hist], "g"
                    ),
                    "gift_10": float(w[1, 0]),
                    "seconds": time.time() - t0,
                }
            )
            curves[f"{method}/seed{seed}"] = hist
            print(rows[-1], flush=True)
    lase = [r["eval_cooperation"] for r in rows if r["method"] == "lase"]
    selfish = [r["eval_cooperation"] for r in rows if r["method"] == "selfish"]
    for r in rows:
        if r["method"] == "lase":
            r["pass"] = bool(r["eval_cooperation"] >= 0.8)
    # every seed must reach 0.8 on its own: a mean over seeds could hide one-sided runs
    ok = min(lase) >= 0.8 and np.mean(lase) > np.mean(selfish)
    return {
        "name": "ipd",
        "rows": rows,
        "curves": curves,
        "summary": {
            "lase_cooperation": float(np.mean(lase)),
            "lase_cooperation_min": float(min(lase)),
            "lase_seeds_at_least_0.8": f"{sum(c >= 0.8 for c in lase)}/{len(lase)}",
            "selfish_cooperation": float(np.mean(selfish)),
            "target": "every LASE seed >= 0.8 and LASE > selfish (paper: ~0.93)",
            "pass": bool(ok),
        },
    }


def run_gifts(args) -> dict:
    rows, curves = [], {}
    for co in ("always_cooperate", "random", "always_defect"):
        for seed in args.seeds:
            learner, hist = train_social(
                "matrix_game_v0",
                LASEConfig(**IPD_CONFIG),
                env_kwargs=IPD,
                coplayers={1: co},
                num_envs=args.num_envs,
                updates=args.gift_updates,
                seed=seed,
            )
            g = [float(np.asarray(r["gift_weights"])[0, 1]) for r in hist]
            rows.append(
                {
                    "coplayer": co,
                    "seed": seed,
                    "gift_weight": float(np.mean(g[-max(1, len(g) // 5) :])),
                    "lase_cooperation": _tail(hist, "cooperation"),
                }
            )
            curves[f"{co}/seed{seed}"] = hist
            print(rows[-1], flush=True)
    mean = {
        co: float(np.mean([r["gift_weight"] for r in rows if r["coplayer"] == co]))
        for co in ("always_cooperate", "random", "always_defect")
    }
    ok = mean["always_cooperate"] > mean["random"] > mean["always_defect"]
    per_seed = []
    for seed in args.seeds:
        s = {r["coplayer"]: r["gift_weight"] for r in rows if r["seed"] == seed}
        per_seed.append(s["always_cooperate"] > s["random"] > s["always_defect"])
    return {
        "name": "gifts",
        "rows": rows,
        "curves": curves,
        "summary": {
            **{f"gift_to_{k}": v for k, v in mean.items()},
            "ordering_holds_per_seed": per_seed,
            "target": "always_cooperate > random > always_defect",
            "pass": bool(ok),
        },
    }


DILEMMAS = {
    "stag_hunt_v0": {"preset": "lase"},
    "snowdrift_v0": {"preset": "lase"},
    "coin_game_v0": {"preset": "lase"},
}
METHODS = (
    "lase",
    "selfish",
    "inequity_aversion",
    "social_influence",
    "fixed_gifting",
    "random_gifting",
)


def run_dilemmas(args) -> dict:
    rows, curves = [], {}
    envs = args.envs or list(DILEMMAS)
    for env_id in envs:
        for method in args.methods:
            for seed in args.seeds:
                cfg = LASEConfig(
                    method=method,
                    lr_policy=args.lr,
                    lr_sr=args.lr,
                    lr_pt=args.lr,
                    epsilon_episodes=max(1, args.dilemma_updates // 4),
                    entropy_coef=0.01,
                )
                _, hist = train_social(
                    env_id,
                    cfg,
                    env_kwargs=DILEMMAS.get(env_id, {}),
                    num_envs=args.num_envs,
                    updates=args.dilemma_updates,
                    seed=seed,
                )
                rows.append(
                    {
                        "env": env_id,
                        "method": method,
                        "seed": seed,
                        "collective_return": _tail(hist, "episode_collective_return"),
                        "equality": _tail(hist, "episode_equality"),
                    }
                )
                curves[f"{env_id}/{method}/seed{seed}"] = hist
                print(rows[-1], flush=True)
    summary = {}
    for env_id in envs:
        means = {
            m: float(
                np.mean(
                    [
                        r["collective_return"]
                        for r in rows
                        if r["env"] == env_id and r["method"] == m
                    ]
                )
            )
            for m in args.methods
        }
        rank = sorted(means, key=means.get, reverse=True)
        summary[env_id] = {
            "collective_return": means,
            "lase_rank": rank.index("lase") + 1 if "lase" in rank else None,
        }
    return {"name": "dilemmas", "rows": rows, "curves": curves, "summary": summary}


CLEANUP = {"preset": "cleanup_small_sym"}


def run_cleanup(args) -> dict:
    """Small Cleanup (LIO's 7x7, 2 agents): division of labour, return and equality."""
    rows, curves = [], {}
    for method in ("lase", "selfish"):
        for seed in args.seeds:
            cfg = LASEConfig(
                method=method,
                lr_policy=args.lr,
                lr_sr=args.lr,
                lr_pt=args.lr,
                epsilon_episodes=max(1, args.cleanup_updates // 4),
            )
            _, hist = train_social(
                "cleanup_v0",
                cfg,
                env_kwargs=CLEANUP,
                num_envs=args.num_envs,
                updates=args.cleanup_updates,
                seed=seed,
            )
            k = max(1, len(hist) // 5)
            clean = np.sum([r["clean_by_agent"] for r in hist[-k:]], axis=0).astype(float)
            gifts = np.mean([np.asarray(r["gift_weights"]) for r in hist[-k:]], axis=0)
            cleaner = int(np.argmax(clean))
            received = gifts.sum(0) - np.diag(gifts)  # gift weight each agent receives
            rows.append(
                {
                    "method": method,
                    "seed": seed,
                    "collective_return": _tail(hist, "episode_collective_return"),
                    "equality": _tail(hist, "episode_equality"),
                    "top_cleaner_share": float(clean[cleaner] / max(clean.sum(), 1)),
                    "top_cleaner_gets_most_gifts": bool(np.argmax(received) == cleaner)
                    if method == "lase"
                    else None,
                }
            )
            curves[f"cleanup/{method}/seed{seed}"] = hist
            print(rows[-1], flush=True)
    mean = {
        m: float(np.mean([r["collective_return"] for r in rows if r["method"] == m]))
        for m in ("lase", "selfish")
    }
    eq = {
        m: float(np.mean([r["equality"] for r in rows if r["method"] == m]))
        for m in ("lase", "selfish")
    }
    lase_rows = [r for r in rows if r["method"] == "lase"]
    return {
        "name": "cleanup",
        "rows": rows,
        "curves": curves,
        "summary": {
            "lase_collective_return": mean["lase"],
            "selfish_collective_return": mean["selfish"],
            "lase_equality": eq["lase"],
            "selfish_equality": eq["selfish"],
            "lase_top_cleaner_share": float(np.mean([r["top_cleaner_share"] for r in lase_rows])),
            "lase_top_cleaner_gets_most_gifts": float(
                np.mean([r["top_cleaner_gets_most_gifts"] for r in lase_rows])
            ),
        },
    }


# ----------------------------------------------------------------------------- reporting


def _jsonable(o):
    return o.tolist() if hasattr(o, "tolist") else float(o)


def _plots(result: dict, out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    files = []
    name, curves = result["name"], result["curves"]
    if name in ("ipd", "gifts"):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        for key, hist in curves.items():
            axes[0].plot([r["cooperation"] for r in hist], label=key, lw=1)
            axes[1].plot([np.asarray(r["gift_weights"])[0, 1] for r in hist], label=key, lw=1)
        axes[0].set(title="cooperation rate (learner seats)", xlabel="update")
        axes[1].set(title="gift weight w_01 (agent 0 -> 1)", xlabel="update")
        axes[1].legend(fontsize=6)
        fig.tight_layout()
        files.append(f"{name}_cooperation_gifts.png")
        fig.savefig(out / files[-1], dpi=110)
        plt.close(fig)
    if "episode_collective_return" in next(iter(curves.values()))[-1]:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for key, hist in curves.items():
            y = [r.get("episode_collective_return", np.nan) for r in hist]
            ax.plot(y, label=key, lw=1)
        ax.set(title=f"{name}: collective return", xlabel="update")
        ax.legend(fontsize=5)
        fig.tight_layout()
        files.append(f"{name}_collective_return.png")
        fig.savefig(out / files[-1], dpi=110)
        plt.close(fig)
    return files


def _markdown(result: dict, files: list[str]) -> str:
    lines = [f"## {result['name']}", ""]
    rows = result["rows"]
    if rows:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rows:
            lines.append(
                "| "
                + " | ".join(
                    f"{v:.3f}" if isinstance(v, float) else str(v)
                    for v in (r.get(k, "") for k in keys)
                )
                + " |"
            )
    lines += ["", "Summary: `" + json.dumps(result["summary"]) + "`", ""]
    lines += [f"![{f}]({f})" for f in files]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("experiments", nargs="+", choices=["ipd", "gifts", "dilemmas", "cleanup"])
    p.add_argument("--tier", choices=["fast", "full"], default="fast")
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    p.add_argument("--updates", type=int, default=None, help="IPD self-play updates")
    p.add_argument("--gift-updates", type=int, default=None)
    p.add_argument("--dilemma-updates", type=int, default=None)
    p.add_argument("--cleanup-updates", type=int, default=None)
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument("--envs", nargs="+", default=None)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate of the dilemma runs")
    p.add_argument("--out", default="benchmarks/results/lase")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    full = args.tier == "full"
    seeds = args.seeds
    args.updates = args.updates or (600 if full else FAST["ipd"])
    args.gift_updates = args.gift_updates or (300 if full else FAST["gifts"])
    args.dilemma_updates = args.dilemma_updates or (2000 if full else FAST["dilemmas"])
    args.cleanup_updates = args.cleanup_updates or (3000 if full else FAST["cleanup"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = [
        f"# LASE reproductions ({args.tier} tier)\n",
        f"Command: `python benchmarks/lase_reproduce.py {' '.join(argv)}`\n",
    ]
    runners = {"ipd": run_ipd, "gifts": run_gifts, "dilemmas": run_dilemmas, "cleanup": run_cleanup}
    for name in args.experiments:
        t0 = time.time()
        args.seeds = seeds or ([0, 1, 2, 3, 4] if full else FAST_SEEDS[name])
        result = runners[name](args)
        files = _plots(result, out)
        section = _markdown(result, files) + f"\n({time.time() - t0:.0f} s)\n"
        report.append(section)
        # one file per experiment as well, so separate invocations do not overwrite
        (out / f"{name}.md").write_text(report[0] + report[1] + "\n" + section)
        with open(out / f"{name}.json", "w") as f:
            json.dump(
                {
                    "rows": result["rows"],
                    "summary": result["summary"],
                    "curves": {
                        k: [{kk: vv for kk, vv in r.items()} for r in h]
                        for k, h in result["curves"].items()
                    },
                },
                f,
                default=_jsonable,
            )
        print(json.dumps(result["summary"]), flush=True)
    (out / "report.md").write_text("\n".join(report))
    print(f"report: {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
