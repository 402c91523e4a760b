"""Training loop of LASE and the social-preference baselines (:mod:`agents.lase`).

One function, :func:`train_social`, runs any ``method`` of :class:`agents.lase.LASEConfig`
on any env: the shared :class:`training.rollout.RolloutCollector` steps a
:class:`socialenvs.VectorEnv` with the learner's per-seat policies and optional scripted
co-players (:func:`agents.scripted.make_scripted`), and :meth:`SocialLearner.update`
turns each rollout (which records the joint actions) into the method's rewards and an
A2C step. Rollouts are whole episodes by default (``rollout_steps = max_cycles``), as in
the LASE code's episode-wise n-step returns.

Per update the history records the mean gift weights ``[N, N]``, social relationships
(LASE), the cooperation rate of the learner seats (matrix games: share of action 0) and
the episode metrics of the env (collective return, equality, event counts).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import socialenvs
from agents.lase import LASEConfig, SocialLearner
from agents.policy import Policy
from agents.scripted import make_scripted
from socialenvs.core.events import EventKind
from training.rollout import Matchmaker, RolloutCollector


def train_social(
    env_id: str,
    config: LASEConfig | None = None,
    *,
    env_kwargs: dict[str, Any] | None = None,
    coplayers: dict[int, str | Policy] | None = None,
    num_envs: int = 16,
    updates: int = 500,
    rollout_steps: int | None = None,
    seed: int = 0,
    log_every: int = 0,
    callback: Callable[[int, dict], None] | None = None,
) -> tuple[SocialLearner, list[dict[str, Any]]]:
    """Train a :class:`SocialLearner` and return it with its per-update history.

    Args:
        env_id: a registered env, e.g. ``"matrix_game_v0"``.
        config: the method and its settings.
        env_kwargs: env config (e.g. ``{"preset": "lase_dev"}``).
        coplayers: seat -> scripted policy name or :class:`Policy` for seats the learner
            does not control (e.g. ``{1: "always_defect"}``).
        num_envs: env copies ``B`` per rollout.
        updates: number of rollouts / updates.
        rollout_steps: steps per rollout (default: the env's ``max_cycles``).
        seed: seeds the env, the collector and the networks.
        log_every: print a line every ``log_every`` updates (0: silent).
        callback: called as ``callback(update, record)`` after every update.
    """
    config = config or LASEConfig()
    torch.manual_seed(seed)
    venv = socialenvs.make_vec(env_id, num_envs=num_envs, **(env_kwargs or {}))
    N = venv.num_agents
    coplayers = dict(coplayers or {})
    bad = [s for s in coplayers if not 0 <= s < N]
    if bad:
        raise ValueError(f"co-player seats {bad} are not in 0..{N - 1}")
    seats = [s for s in range(N) if s not in coplayers]
    if not seats:
        raise ValueError("every seat has a co-player; leave at least one seat to the learner")
    learner = SocialLearner(
        venv.single_observation_space,
        int(venv.single_action_space.n),
        N,
        seats=seats,
        config=config,
        seed=seed,
    )
    policies: list[Policy] = [learner.policies[s] for s in seats]
    seat_policy = {s: k for k, s in enumerate(seats)}
    for s, p in sorted(coplayers.items()):
        policies.append(make_scripted(p, venv) if isinstance(p, str) else p)
        seat_policy[s] = len(policies) - 1
    collector = RolloutCollector(
        venv,
        policies,
        Matchmaker([seat_policy[s] for s in range(N)]),
        learners=list(range(len(seats))),
        seed=seed,
    )
    T = int(rollout_steps or venv.config.max_cycles)
    history: list[dict[str, Any]] = []
    episodes_per_copy = 0.0
    start = time.time()
    for u in range(updates):
        learner.set_episodes(int(episodes_per_copy))
        ro = collector.collect(T)
        stats = learner.update(ro)
        episodes_per_copy += T / venv.config.max_cycles
        record = _record(u, ro, stats, seats)
        record["time"] = time.time() - start
        history.append(record)
        if callback is not None:
            callback(u, record)
        if log_every and (u % log_every == 0 or u == updates - 1):
            print(_format(record), flush=True)
    return learner, history


def _record(u: int, ro, stats: dict[str, Any], seats: list[int]) -> dict[str, Any]:
    rec: dict[str, Any] = {"update": u}
    rec["cooperation"] = float((ro.actions[..., seats] == 0).mean())
    rec["action_dist"] = (
        np.bincount(ro.actions[..., seats].ravel(), minlength=int(ro.actions.max()) + 1)
        / ro.actions[..., seats].size
    )
    # Who cleaned (Cleanup's CLEAN events; the snowdrift game's drift removals): the
    # division-of-labour measure of the LASE paper.
    N = ro.actions.shape[2]
    clean = [e["actor"][e["kind"] == EventKind.CLEAN] for e in ro.events]
    actors = np.concatenate(clean) if clean else np.zeros(0, np.int64)
    rec["clean_by_agent"] = np.bincount(actors.astype(np.int64), minlength=N).tolist()
    for k, v in stats.items():
        rec[k] = v.tolist() if isinstance(v, np.ndarray) else v
    if ro.episodes:
        keys = ro.episodes[0].keys()
        for k in keys:
            if k in ("step",):
                continue
            vals = np.concatenate(
                [
                    np.asarray(e[k], dtype=np.float64).reshape(len(e["length"]), -1)
                    for e in ro.episodes
                ]
            )
            mean = vals.mean(axis=0)
            rec[f"episode_{k}"] = mean.tolist() if mean.size > 1 else float(mean[0])
    return rec


def _format(rec: dict[str, Any]) -> str:
    parts = [f"update {rec['update']:5d}", f"coop {rec['cooperation']:.3f}"]
    if "episode_collective_return" in rec:
        parts.append(f"collective {rec['episode_collective_return']:.2f}")
    w = np.asarray(rec["gift_weights"])
    off = w[~np.eye(len(w), dtype=bool)]
    parts.append(f"gift(mean off-diag) {off.mean():.3f}")
    parts.append(f"{rec['time']:.0f}s")
    return "  ".join(parts)
