"""Training loop of classifier-norm-model (CNM) populations and their PPO baselines.

:func:`train_cnm` runs independent PPO learners (one policy per seat, as in Vinitsky et
al. 2023's decentralised setting; ``sharing="shared"`` for one policy) on the shared
:class:`~training.rollout.RolloutCollector`, GAE and :class:`~agents.ppo.PPO`. With a
:class:`~agents.cnm.CNMConfig` each rollout's public sanction stream (the
``OPPORTUNITY`` events the collector recorded) is turned into

1. pseudo-rewards for the zaps, added to the learners' rewards before GAE, and
2. training data for each learner's classifier of group disapproval, scored on the new
   samples before it trains on them (prequential balanced accuracy);

with ``cnm=None`` it is plain independent PPO on the same loop (the baseline, and the
learner of the public-goods and commons reproductions). ``CNMConfig(shaping=False)``
trains the classifiers as observers without shaping any reward: a baseline whose
sanctions can still be scored for predictability.

Per iteration the history records env steps, the env reward per step (never including
pseudo-rewards), pseudo-reward per step, zaps, the classifier's balanced accuracy and
loss, the finished episodes' metrics (collective return, equality, event counts), the
mean monoculture fraction of the copies at the end of the rollout (Allelopathic
Harvest) and anything ``on_rollout(rollout, venv)`` returns.

:func:`evaluate_norms` plays whole evaluation episodes with the trained policies and
measures collective return, monoculture fraction over time, zaps on grey (free-rider)
vs coloured targets, the colour x colour zap matrix and the classifiers' balanced
accuracy on the evaluation episodes' sanction opportunities.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agents.actor_critic import ActorCriticPolicy
from agents.cnm import CNM, CNMConfig, sanction_samples
from agents.networks import NetworkConfig
from agents.ppo import PPO, PPOConfig
from socialenvs import metrics
from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_vec
from socialenvs.wrappers.rewards import RewardTransform, RewardTransformVectorEnv
from training.rollout import Matchmaker, Rollout, RolloutCollector

SHARING = ("independent", "shared")


@dataclass
class NormRun:
    """A trained population: what :func:`evaluate_norms` needs, and the history."""

    env_id: str
    env_kwargs: dict
    policies: list
    matchmaker: Matchmaker
    learners: list
    cnm: CNM | None
    history: list[dict[str, Any]] = field(default_factory=list)
    env_steps: int = 0
    seconds: float = 0.0


class SanctionSignal:
    """A :class:`VectorEnv` whose views carry each learner's classifier verdict
    (``CNMConfig(policy_signal=True)``; the form is described in :mod:`agents.cnm`).

    After every reset and step, the env's :meth:`sanction_opportunities` (the pairs the
    next step will record as opportunities) are judged by the classifier of the policy
    on the actor's seat, and two 0/1 planes are appended to the actor's view: channel
    ``C`` is 1 if some player it could zap is predicted disapproved (P >= 0.5), channel
    ``C + 1`` if some player it could zap is predicted approved. Both are 0 when nobody is
    in zap range. The env's trajectory is unchanged (the opportunities are read from the
    state, with no randomness); only the observations gain two channels.

    Args:
        venv: a vector env whose ``sim`` has ``sanction_opportunities()`` and a symbolic
            (0/1 ``uint8``) grid view.
        norm: the learners' :class:`~agents.cnm.CNM`.
        seat_policy: ``int[N]`` policy index playing each seat (fixed seats).
    """

    def __init__(self, venv: Any, norm: CNM, seat_policy: np.ndarray):
        import gymnasium

        self.venv = venv
        self.norm = norm
        self.seat_policy = np.asarray(seat_policy, dtype=np.int64)
        space = venv.single_observation_space
        if not hasattr(venv.sim, "sanction_opportunities"):
            raise ValueError(
                f"policy_signal needs an env with sanction_opportunities(); "
                f"{type(venv.sim).__name__} has none (use allelopathic_harvest_v0)"
            )
        if len(space.shape) != 3 or space.dtype != np.uint8 or float(np.max(space.high)) > 1:
            raise ValueError(
                f"policy_signal needs a symbolic 0/1 grid view, got {space}; "
                "use obs_type='symbolic'"
            )
        missing = sorted(set(self.seat_policy.tolist()) - set(norm.models))
        if missing:
            raise ValueError(f"seats played by policies {missing}, which have no classifier")
        H, W, C = space.shape
        self.single_observation_space = gymnasium.spaces.Box(0, 1, (H, W, C + 2), np.uint8)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.venv, name)

    def signal(self) -> np.ndarray:
        """``uint8[B, N, 2]``: (some target predicted disapproved, some predicted approved)."""
        opp, ctx = self.venv.sim.sanction_opportunities()
        B, N = opp.shape[:2]
        out = np.zeros((B, N, 2), dtype=np.uint8)
        env, actor, target = np.nonzero(opp)
        if len(env):
            pol = self.seat_policy[actor]
            dis = np.zeros(len(env), dtype=bool)
            for k in np.unique(pol):
                m = pol == k
                dis[m] = (
                    self.norm.models[int(k)].prob_disapprove(ctx[env[m], actor[m], target[m]])
                    >= 0.5
                )
            out[env[dis], actor[dis], 0] = 1
            out[env[~dis], actor[~dis], 1] = 1
        return out

    def _augment(self, obs: np.ndarray) -> np.ndarray:
        sig = self.signal()
        planes = np.broadcast_to(sig[:, :, None, None, :], (*obs.shape[:-1], 2))
        return np.concatenate([obs, planes], axis=-1)

    def reset(self, seed: int | None = None):
        obs, infos = self.venv.reset(seed=seed)
        return self._augment(obs), infos

    def step(self, actions: np.ndarray):
        obs, rewards, terminated, truncated, infos = self.venv.step(actions)
        if "final_obs" in infos:
            # The ended copies' last views: the state behind them is gone (the copies
            # were reset), so they carry no verdict (zero planes).
            final = infos["final_obs"]
            infos = dict(infos)
            infos["final_obs"] = np.concatenate(
                [final, np.zeros((*final.shape[:-1], 2), dtype=final.dtype)], axis=-1
            )
        return self._augment(obs), rewards, terminated, truncated, infos


def _episode_stats(episodes: list[dict[str, Any]]) -> dict[str, float]:
    if not episodes:
        return {}
    out = {}
    for k in episodes[0]:
        if k in ("returns", "policy_ids", "envs", "step"):
            continue
        vals = np.concatenate([np.atleast_1d(e[k]) for e in episodes]).astype(np.float64)
        if np.isfinite(vals).any():
            out[f"episode_{k}"] = float(np.nanmean(vals))
    return out


def _supports(env_id: str, name: str) -> bool:
    from socialenvs.core.registry import get_sim_class

    fields = getattr(get_sim_class(env_id).config_class, "__dataclass_fields__", {})
    return name in fields


def train_cnm(
    env_id: str = "allelopathic_harvest_v0",
    env_kwargs: dict[str, Any] | None = None,
    cnm: CNMConfig | None = None,
    *,
    ppo: PPOConfig | None = None,
    network: NetworkConfig | None = None,
    sharing: str = "independent",
    num_envs: int = 16,
    steps: int = 100_000,
    seed: int = 0,
    threads: int = 1,
    on_rollout: Callable[[Rollout, Any], dict[str, float]] | None = None,
    log_every: int = 0,
    reward_transform: RewardTransform | None = None,
    pretrain: Callable[[list[ActorCriticPolicy]], None] | None = None,
) -> NormRun:
    """Train a population of PPO learners, with CNM motivation when ``cnm`` is given.

    Args:
        env_id: a registered env; CNM needs one that emits ``OPPORTUNITY`` events
            (``allelopathic_harvest_v0``, ``public_goods_v0``; their
            ``record_opportunities`` is switched on).
        env_kwargs: env config (e.g. ``{"preset": "small"}``).
        cnm: CNM settings; ``None`` = plain PPO.
        ppo, network: learner and network settings (defaults of :mod:`agents.ppo`).
        sharing: ``"independent"`` (one policy per seat) or ``"shared"``.
        num_envs: env copies ``B``.
        steps: env steps to train for (summed over copies).
        seed: seeds env, collector, networks and classifiers.
        threads: torch CPU threads.
        on_rollout: extra per-iteration measurements ``f(rollout, venv) -> dict``.
        log_every: print a line every ``log_every`` iterations (0: silent).
        reward_transform: a :class:`~socialenvs.wrappers.rewards.RewardTransform` (e.g.
            Fehr-Schmidt inequity aversion) applied to the env's rewards before the
            learners see them; the history's ``reward_per_step`` is then the transformed
            reward, its ``episode_*`` statistics stay the env's own. CNM pseudo-rewards
            are in the env's reward units: added after the transform and divided by its
            ``reward_scale`` (the running return scale of a
            :class:`~socialenvs.wrappers.rewards.ReturnScaleTransform`, else 1).
        pretrain: called with the freshly built policies before training starts (e.g.
            behaviour cloning to a starting disposition); it may change their weights.
    """
    if sharing not in SHARING:
        raise ValueError(f"sharing={sharing!r}; allowed: {SHARING}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r} must be a positive integer")
    ppo = ppo or PPOConfig()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    env_kwargs = dict(env_kwargs or {})
    if cnm is not None:
        if not _supports(env_id, "record_opportunities"):
            raise ValueError(
                f"env {env_id!r} has no sanction-opportunity stream; CNM needs an env "
                "with record_opportunities (allelopathic_harvest_v0, public_goods_v0)"
            )
        env_kwargs["record_opportunities"] = True
    venv = make_vec(env_id, num_envs=num_envs, **env_kwargs)
    if reward_transform is not None:
        venv = RewardTransformVectorEnv(venv, reward_transform)
    N = venv.num_agents
    n_pol = 1 if sharing == "shared" else N
    seats = [0] * N if n_pol == 1 else list(range(N))
    norm = None
    if cnm is not None:
        norm = CNM(range(n_pol), venv.sim.opportunity_feature_size, cnm, seed=seed)
        if cnm.policy_signal:
            venv = SanctionSignal(venv, norm, np.array(seats))
    obs_space, n_act = venv.single_observation_space, int(venv.single_action_space.n)
    policies = [
        ActorCriticPolicy(obs_space, n_act, network, name=f"{'cnm' if cnm else 'ppo'}_{k}")
        for k in range(n_pol)
    ]
    if pretrain is not None:
        pretrain(policies)
    matchmaker = Matchmaker(seats)
    collector = RolloutCollector(venv, policies, matchmaker, learners=list(range(n_pol)), seed=seed)
    learners = [PPO(p, ppo, k) for k, p in enumerate(policies)]
    run = NormRun(env_id, env_kwargs, policies, matchmaker, learners, norm)
    start = time.perf_counter()
    it = 0
    while collector.env_steps < steps:
        ro = collector.collect(ppo.num_steps)
        env_steps = collector.env_steps
        rec: dict[str, Any] = {
            "iteration": it,
            "env_steps": env_steps,
            "reward_per_step": float(ro.rewards[ro.learner_mask].mean()),
        }
        zaps = sum(int((e["kind"] == int(EventKind.ZAP)).sum()) for e in ro.events)
        rec["zaps_per_agent_step"] = zaps / ro.rewards.size
        if norm is not None:
            samples = sanction_samples(ro.events, venv.sim.opportunity_features)
            shaped = norm.shaping(samples, ro.policy_ids)
            shaped *= ro.learner_mask
            if reward_transform is not None:
                shaped /= reward_transform.reward_scale
            rec["pseudo_reward_per_step"] = float(shaped.mean())
            rec["opportunities"] = len(samples)
            rec["zaps_per_opportunity"] = (
                float(samples.labels.mean()) if len(samples) else float("nan")
            )
            rec.update(norm.observe_and_train(samples, env_steps))
            ro.rewards = ro.rewards + shaped
        ro.compute_gae(ppo.gamma, ppo.gae_lambda)
        for lr in learners:
            lr.set_progress(env_steps / steps)
            stats = lr.update(ro)
            if n_pol == 1:
                rec.update({f"train_{k}": v for k, v in stats.items()})
        rec.update(_episode_stats(ro.episodes))
        if hasattr(venv.sim, "monoculture_fraction"):
            rec["monoculture"] = float(venv.sim.monoculture_fraction().mean())
        if on_rollout is not None:
            rec.update(on_rollout(ro, venv))
        rec["time"] = time.perf_counter() - start
        run.history.append(rec)
        if log_every and it % log_every == 0:
            keys = ("env_steps", "reward_per_step", "episode_collective_return", "monoculture")
            keys += ("classifier_balanced_accuracy", "zaps_per_agent_step")
            print(
                "  ".join(f"{k} {rec[k]:.4g}" for k in keys if k in rec),
                flush=True,
            )
        it += 1
    run.env_steps = collector.env_steps
    run.seconds = time.perf_counter() - start
    return run


def berry_counts_over_time(events: list[np.ndarray], initial: np.ndarray) -> np.ndarray:
    """``int64[T, B, 3]`` berry counts after each step, from ``PLANT`` events (context =
    new colour 1..3, value = old colour 1..3) and the counts ``initial [B, 3]`` before."""
    counts = np.array(initial, dtype=np.int64)
    out = np.empty((len(events), *counts.shape), dtype=np.int64)
    for t, ev in enumerate(events):
        p = ev[ev["kind"] == int(EventKind.PLANT)]
        if p.size:
            env = p["env"].astype(np.int64)
            np.add.at(counts, (env, p["value"].astype(np.int64) - 1), -1)
            np.add.at(counts, (env, p["context"].astype(np.int64) - 1), 1)
        out[t] = counts
    return out


def evaluate_norms(
    run: NormRun, episodes: int = 8, seed: int = 10_000, chunk: int = 100
) -> dict[str, Any]:
    """Play ``episodes`` whole episodes (one per copy, in parallel) with the trained policies.

    Returns means over episodes of ``collective_return``, ``per_capita_return``,
    ``equality``, ``zaps``, and for Allelopathic Harvest ``monoculture_final``,
    ``monoculture_mean``, ``monoculture_over_time`` (``float64[T]``), ``zaps_on_free_riders``
    (share of zaps on grey targets), ``zap_colour_matrix`` (4 x 4, actor x target colour,
    grey/red/green/blue) and ``classifier_balanced_accuracy`` of the run's classifiers on
    the evaluation sanction opportunities.
    """
    from socialenvs.norms.allelopathic_harvest import zap_colours

    venv = make_vec(run.env_id, num_envs=episodes, **run.env_kwargs)
    if run.cnm is not None and run.cnm.config.policy_signal:
        seats = np.array([int(c[0]) for c in run.matchmaker.choices])
        venv = SanctionSignal(venv, run.cnm, seats)
    col = RolloutCollector(venv, run.policies, run.matchmaker, learners=[], seed=seed)
    sim = venv.sim
    is_ah = hasattr(sim, "berry_counts")
    initial = sim.berry_counts() if is_ah else None
    T = int(sim.max_cycles)
    events: list[np.ndarray] = []
    finished: list[dict] = []
    samples_f, samples_y = [], []
    done = 0
    while done < T:
        ro = col.collect(min(chunk, T - done))
        done += ro.num_steps
        events += ro.events
        finished += ro.episodes
        if run.cnm is not None:
            s = sanction_samples(ro.events, sim.opportunity_features)
            samples_f.append(s.features)
            samples_y.append(s.labels)
    out: dict[str, Any] = {}
    ep = {k: np.concatenate([np.atleast_1d(e[k]) for e in finished]) for k in finished[0]}
    for k in ("collective_return", "per_capita_return", "equality"):
        out[k] = float(np.mean(ep[k]))
    zap_ev = np.concatenate([e[e["kind"] == int(EventKind.ZAP)] for e in events])
    out["zaps"] = zap_ev.size / episodes
    if is_ah:
        mono = metrics.monoculture_fraction(berry_counts_over_time(events, initial))  # [T, B]
        out["monoculture_over_time"] = mono.mean(axis=1)
        out["monoculture_final"] = float(mono[-1].mean())
        out["monoculture_mean"] = float(mono.mean())
        a_col, t_col = zap_colours(zap_ev["context"])
        out["zaps_on_free_riders"] = metrics.free_rider_zap_share(t_col)["on_free_riders"]
        out["zap_colour_matrix"] = metrics.zap_matrix(a_col, t_col, 4)
    if run.cnm is not None and samples_f:
        from agents.cnm import SanctionSamples

        f, y = np.concatenate(samples_f), np.concatenate(samples_y)
        z = np.zeros(len(y), dtype=np.int64)
        out["classifier_balanced_accuracy"] = run.cnm.balanced_accuracy(
            SanctionSamples(f, y, z, z, z, z)
        )
        out["opportunities"] = float(len(y)) / episodes
    return out
