"""Evaluation after training: social-outcome metrics, learning curves and episode GIFs.

:func:`evaluate` plays ``episodes`` whole episodes (one per env copy, in parallel) with a
given set of policies and returns the per-episode metrics of
:mod:`socialenvs.metrics` (efficiency, equality, sustainability, peace, collective and
per-capita return) plus the env's event counts. :func:`metrics_table` formats them
side by side for several policy sets (e.g. trained vs random).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.policy import Policy
from socialenvs.core.registry import make_vec
from training.rollout import Matchmaker, RolloutCollector

HEADLINE = (
    "collective_return",
    "per_capita_return",
    "efficiency",
    "equality",
    "sustainability",
    "peace",
)


def evaluate(
    env_id: str,
    env_kwargs: dict,
    policies: Sequence[Policy],
    matchmaker: Matchmaker,
    episodes: int = 16,
    seed: int = 10_000,
    deterministic: bool = False,
) -> dict[str, np.ndarray]:
    """Metrics of ``episodes`` episodes (first episode of each of ``episodes`` copies).

    Returns:
        ``{metric: float64[episodes]}`` for every key of ``VectorEnv``'s
        ``infos["episode"]`` (``returns`` is ``[episodes, N]``).
    """
    venv = make_vec(env_id, num_envs=episodes, **env_kwargs)
    col = RolloutCollector(
        venv, policies, matchmaker, learners=[], seed=seed, deterministic=deterministic
    )
    found: dict[int, dict[str, Any]] = {}
    limit = venv.sim.max_cycles + 1
    for _ in range(limit):
        ro = col.collect(1)
        for ep in ro.episodes:
            for j, b in enumerate(ep["envs"]):
                if int(b) not in found:
                    found[int(b)] = {
                        k: v[j]
                        for k, v in ep.items()
                        if isinstance(v, np.ndarray) and k not in ("envs", "policy_ids")
                    }
        if len(found) == episodes:
            break
    if not found:
        raise RuntimeError(f"no episode of {env_id} finished within {limit} steps")
    keys = found[next(iter(found))].keys()
    return {k: np.stack([found[b][k] for b in sorted(found)]) for k in keys}


def metrics_table(results: dict[str, dict[str, np.ndarray]], title: str = "") -> str:
    """A markdown table: one row per metric, one column per named result (mean +- std)."""
    names = list(results)
    first = results[names[0]]
    metrics = [m for m in HEADLINE if m in first]
    metrics += [m for m in first if m not in metrics and m not in ("returns", "length")]
    lines = []
    if title:
        lines.append(title)
    lines.append("| metric | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for m in metrics:
        cells = []
        for n in names:
            v = np.asarray(results[n].get(m, np.array([np.nan])), dtype=np.float64)
            if np.isfinite(v).any():
                cells.append(f"{np.nanmean(v):.3f} ± {np.nanstd(v):.3f}")
            else:
                cells.append("n/a")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(results: dict[str, np.ndarray]) -> dict[str, float]:
    """Means of a result (for JSON)."""
    out = {}
    for k, v in results.items():
        v = np.asarray(v, dtype=np.float64)
        out[k] = (
            v.mean(axis=0).tolist()
            if v.ndim > 1
            else float(np.nanmean(v))
            if np.isfinite(v).any()
            else None
        )
    return out


def record_gif(
    env_id: str,
    env_kwargs: dict,
    policies: Sequence[Policy],
    matchmaker: Matchmaker,
    path: str,
    seed: int = 0,
    max_frames: int = 300,
    deterministic: bool = False,
) -> str:
    """Render one episode of copy 0 to ``path`` (GIF); at most ``max_frames`` steps."""
    import imageio.v2 as imageio

    venv = make_vec(env_id, num_envs=1, **env_kwargs)
    col = RolloutCollector(
        venv, policies, matchmaker, learners=[], seed=seed, deterministic=deterministic
    )
    frames = [_upscale(venv.render(0))]
    for _ in range(min(max_frames, venv.sim.max_cycles)):
        ro = col.collect(1)
        if ro.dones[0, 0].all():
            break
        frames.append(_upscale(col.venv.render(0)))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    imageio.mimsave(path, frames, duration=1.0 / max(venv.metadata["render_fps"], 1), loop=0)
    return path


def _upscale(frame: np.ndarray, min_size: int = 128) -> np.ndarray:
    h, w = frame.shape[:2]
    k = max(1, int(np.ceil(min_size / max(min(h, w), 1))))
    return np.repeat(np.repeat(frame, k, axis=0), k, axis=1) if k > 1 else frame


def plot_learning_curve(csv_path: str, png_path: str, title: str = "") -> str | None:
    """Plot episode metrics from a progress CSV against env steps; ``None`` if no data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from training.logger import read_csv

    rows = read_csv(csv_path)
    if not rows:
        return None
    wanted = [
        "episode/learner_return",
        "episode/collective_return",
        "train/cooperation_rate",
        "episode/equality",
        "episode/sustainability",
        "episode/peace",
    ]
    keys = [k for k in wanted if any(k in r and np.isfinite(r[k]) for r in rows)]
    if not keys:
        return None
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.0), squeeze=False)
    for ax, k in zip(axes[0], keys):
        xs = [r["env_steps"] for r in rows if k in r and np.isfinite(r[k])]
        ys = [r[k] for r in rows if k in r and np.isfinite(r[k])]
        ax.plot(xs, ys)
        ax.set_title(k.split("/", 1)[1], fontsize=10)
        ax.set_xlabel("env steps")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
