"""Training loop of the staged punishment agents on ``partner_choice_v0``.

Dasgupta & Musolesi (arXiv 2301.08278): a population of independent learners, each with
a select, a play and a punish DQN (:mod:`agents.punishment`), trained online episode
after episode. This loop turns the env's steps into per-stage transitions (see the
module docstring of :mod:`agents.punishment`) and returns per-episode statistics:
cooperation rate, punishments (direct / third-party), unjust-punishment rate and the
combined reward (play + punishment payoffs summed over agents).
"""

from __future__ import annotations

import numpy as np

from agents.punishment import PLAY, PUNISH, SELECT, StagedPunishmentAgents, stage_state
from socialenvs.core.events import EventKind
from socialenvs.core.registry import make_sim
from socialenvs.norms.sanctions import is_third_party, is_unjust

STAGE_CODE = {0: SELECT, 1: PLAY, 2: PUNISH}  # the env's ``stage`` one-hot -> agent stage


def train_partner_choice(episodes: int, seed: int = 0, **env_kwargs) -> list[dict[str, float]]:
    """Train a fresh population for ``episodes`` episodes; one stats dict per episode."""
    sim = make_sim("partner_choice_v0", num_envs=1, **env_kwargs)
    sim.seed(seed)
    N = sim.num_agents
    F = sim.OBS_FIELDS
    agents = StagedPunishmentAgents(
        N, F, sim.action_space.n, sim.config.reputation_in_play_state, seed=seed
    )
    history = []
    for _ in range(episodes):
        sim.reset()
        obs = sim.observe()[0]
        pending: dict[tuple[int, int], list] = {}  # (stage, agent) -> [state, action, reward]
        select_wait: dict[int, list] = {}  # focal -> pending select decision awaiting payoff
        stats = dict(cooperations=0, moves=0, dp=0, tpp=0, unjust=0, punishments=0, reward=0.0)
        done = False
        while not done:
            code = obs[:, F["stage"]].argmax(axis=1)
            stage_of = np.array([STAGE_CODE.get(int(c), -1) for c in code])
            states = {}
            for i in np.flatnonzero(stage_of >= 0):
                s = int(stage_of[i])
                states[i] = stage_state(obs[i], F, s, agents.reputation_in_state)
            actions = agents.act(obs, stage_of)
            rewards, term, trunc = sim.step(actions[None])
            r = rewards[0].astype(np.float64)
            ev = sim.last_events
            pun = ev[ev["kind"] == EventKind.PUNISH]
            victim_loss = np.bincount(pun["target"], weights=pun["value"], minlength=N)
            done = bool(term.all() or trunc.all())
            next_obs = sim.observe()[0]
            # Play rewards include punishment received later in the same round.
            for (s, i), p in pending.items():
                if s == PLAY:
                    p[2] -= victim_loss[i] if stage_of[i] != PLAY else 0.0
            for i, x in states.items():
                s = int(stage_of[i])
                key = (s, i)
                if key in pending:
                    st, a, rew = pending.pop(key)
                    agents.store(s, i, st, a, rew, x, False)
                if s == PLAY:
                    pending[key] = [x, actions[i], r[i]]
                    if i in select_wait:  # the selection pays the first round's payoff
                        st, a = select_wait.pop(i)
                        agents.store(SELECT, i, st, a, r[i], st, True)
                elif s == PUNISH:
                    agents.store(PUNISH, i, x, actions[i], r[i] + victim_loss[i], x, True)
                else:
                    select_wait[i] = (x, actions[i])
            if done:
                for (s, i), (st, a, rew) in pending.items():
                    agents.store(s, i, st, a, rew, st, True)
            agents.learn()
            acts = ev[ev["kind"] == EventKind.ACT]
            stats["cooperations"] += int((acts["context"] == 0).sum())
            stats["moves"] += len(acts)
            stats["punishments"] += len(pun)
            stats["tpp"] += int(is_third_party(pun).sum())
            stats["dp"] += int((~is_third_party(pun)).sum())
            stats["unjust"] += int(is_unjust(pun).sum())
            stats["reward"] += float(r.sum())
            obs = next_obs
        history.append(
            {
                "cooperation": stats["cooperations"] / max(stats["moves"], 1),
                "punishments": float(stats["punishments"]),
                "dp": float(stats["dp"]),
                "tpp": float(stats["tpp"]),
                "unjust_rate": stats["unjust"] / stats["punishments"]
                if stats["punishments"]
                else float("nan"),
                "combined_reward": stats["reward"],
            }
        )
    return history
