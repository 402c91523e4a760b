"""Training ToM-conditioned agents against a population of co-player types.

:func:`train_against_population` trains one learner (seat 0) with the shared
:class:`agents.ppo.PPO` on the shared :class:`training.rollout.RolloutCollector`,
seat 1 drawn per episode from a population of fixed co-players
(:class:`training.rollout.Matchmaker`). For a :class:`agents.tom_policy.ToMConditionedPolicy`
with ``opponent_model=True`` an :class:`agents.tom_policy.OpponentModelLearner` step
follows every PPO update. :func:`evaluate_against` measures the learner's mean episode
return against one co-player, and the character embeddings at the end of each episode
(for type identification).

Matches (past episodes with the same co-player): :class:`MatchVectorEnv` turns ``K``
consecutive episodes ("games") of a vector env into one episode (a "match"), so the
matchmaker draws the co-player per match and a :class:`agents.tom_policy.ToMConditionedPolicy`
keeps its character embedding of the earlier games; :class:`MatchCoPlayer` lets a
scripted co-player read the plain observations. ``train_against_population(...,
games=K)`` trains on matches and :func:`evaluate_match` measures per-game returns and the
embeddings; :func:`identification_accuracy` scores how well embeddings identify the
co-player type (nearest centroid and a linear probe fitted on one set of matches and
tested on another).

RL species of the ToM gridworld (Sec. 3.3): :func:`train_rl_species` trains a
goal-conditioned PPO agent (feedforward or LSTM; full, sighted or blind) on
``tom_gridworld_v0`` with the shared collector and PPO, and :class:`PolicySpecies`
turns it into a species for :class:`socialenvs.tom.dataset.TomDataset`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
import torch

from agents.policy import Policy, PolicyStep, assign_state, reset_state, select_state
from agents.ppo import PPO, PPOConfig
from agents.tom_policy import OpponentModelLearner, ToMConditionedPolicy
from socialenvs.core.registry import make_vec
from socialenvs.tom.species import Species
from training.rollout import Matchmaker, RolloutCollector


class TremblingPolicy(Policy):
    """A co-player that plays ``base`` but, with probability ``eps`` per step, a uniformly
    random action instead (held-out variants of known types)."""

    def __init__(self, base: Policy, num_actions: int, eps: float, name: str | None = None):
        if not 0.0 <= eps <= 1.0:
            raise ValueError(f"eps={eps!r} is out of range; allowed: [0, 1]")
        self.base, self.num_actions, self.eps = base, int(num_actions), float(eps)
        self.recurrent = base.recurrent
        self.name = name or f"{base.name}_eps{eps:g}"

    def initial_state(self, batch_size: int):
        return self.base.initial_state(batch_size)

    def act(self, obs, state=(), *, deterministic=False, rng=None, **kw) -> PolicyStep:
        rng = rng if rng is not None else np.random.default_rng()
        out = self.base.act(obs, state, deterministic=deterministic, rng=rng, **kw)
        flip = rng.random(len(obs)) < self.eps
        actions = np.where(flip, rng.integers(0, self.num_actions, len(obs)), out.actions)
        return PolicyStep(actions.astype(np.int64), out.log_probs, out.values, out.state)


def train_against_population(
    env: str,
    env_kwargs: dict[str, Any],
    policy: Policy,
    co_players: Sequence[Policy],
    steps: int,
    num_envs: int = 16,
    seed: int = 0,
    ppo: PPOConfig | None = None,
    opponent_model: bool = True,
    games: int | None = None,
    reward_scale: float = 1.0,
    warmup_steps: int = 0,
    observed_pasts: int = 0,
    partner: Policy | Sequence[Policy] | None = None,
) -> list[dict[str, float]]:
    """Train ``policy`` (seat 0) against co-players drawn uniformly per episode (seat 1).

    With ``games=K`` an episode is a match of ``K`` games (:class:`MatchVectorEnv`): the
    co-player is drawn per match and the policy sees the match's extra observation
    features, and rewards are multiplied by ``reward_scale`` for learning. Returns one
    row per iteration (learner return per episode or match, unscaled, PPO and
    opponent-model statistics).

    ``warmup_steps`` (of ``steps``) train only the opponent model, on rollouts of the
    initial policy, before PPO starts: the observer learns to tell co-players apart
    before the policy settles (ToMnet is trained as an observer of behaviour,
    Rabinowitz et al. 2018, Sec. 2); the env-step budget is the same.

    ``observed_pasts=P`` (needs ``games``) plays matches of an
    :class:`ObservedPastMatchEnv`: the env draws the co-player per match and shows ``P``
    of its games against ``partner`` (default uniform random) in the observation; the
    env steps of those observed games are not counted in ``steps`` (they are the
    observer's data, not the learner's experience).
    """
    torch.manual_seed(seed)
    ppo = ppo or PPOConfig()
    if observed_pasts:
        if games is None:
            raise ValueError("observed_pasts needs games (matches); got games=None")
        venv = ObservedPastMatchEnv(
            env, env_kwargs, num_envs, games, co_players, observed_pasts, partner, reward_scale
        )
        co_players = [PopulationCoPlayer(venv)]
    else:
        venv = make_vec(env, num_envs=num_envs, **env_kwargs)
        if venv.num_agents != 2:
            raise ValueError(f"{env} has {venv.num_agents} agents; this loop needs two seats")
        if games is not None:
            venv = MatchVectorEnv(venv, games, reward_scale)
            co_players = [MatchCoPlayer(c, venv) for c in co_players]
    pop = list(range(1, 1 + len(co_players)))
    collector = RolloutCollector(
        venv, [policy, *co_players], Matchmaker([0, pop]), learners=[0], seed=seed
    )
    learner = PPO(policy, ppo, index=0)
    om = None
    if opponent_model and isinstance(policy, ToMConditionedPolicy):
        om = OpponentModelLearner(policy, index=0)
    iters = max(1, steps // (ppo.num_steps * num_envs))
    rows = []
    for it in range(iters):
        ro = collector.collect(ppo.num_steps)
        ro.compute_gae(ppo.gamma, ppo.gae_lambda)
        warm = collector.env_steps <= warmup_steps and om is not None
        learner.set_progress(it / iters)
        row = {} if warm else dict(learner.update(ro))
        if om is not None:
            row.update(om.update(ro))
        rets = [e["returns"][:, 0] for e in ro.episodes]
        if rets:
            row["learner_return"] = float(np.concatenate(rets).mean())
        row["env_steps"] = collector.env_steps
        rows.append(row)
    return rows


def evaluate_against(
    env: str,
    env_kwargs: dict[str, Any],
    policy: Policy,
    co_player: Policy,
    episodes: int = 32,
    seed: int = 10_000,
) -> dict[str, Any]:
    """Mean learner return over ``episodes`` episodes against ``co_player`` and, for
    ToM-conditioned policies, ``e_char`` and ``e_mental`` at the last step of each
    episode (without matches ``e_char`` is 0: there are no past games to sum)."""
    venv = make_vec(env, num_envs=episodes, **env_kwargs)
    collector = RolloutCollector(
        venv, [policy, co_player], Matchmaker([0, 1]), learners=[0], seed=seed
    )
    T = int(venv.sim.max_cycles)
    ro = collector.collect(T)
    out: dict[str, Any] = {"return": float(ro.rewards[:, :, 0].sum(0).mean())}
    if isinstance(policy, ToMConditionedPolicy):
        e_char, e_mental = policy.embeddings(ro.obs[:, :, 0], ro.episode_start[:, :, 0])
        out["e_char"], out["e_mental"] = e_char[-1], e_mental[-1]
    return out


# --------------------------------------------------------------------------- matches
class MatchVectorEnv:
    """``games`` consecutive episodes of a :class:`socialenvs.VectorEnv` as one episode.

    The wrapped env's episodes ("games") keep their own rules and resets; this view only
    reports the end of every ``games``-th one (``done_envs``), so the collector keeps
    co-player assignments and recurrent states over a whole match and GAE runs across
    its games. Each observation gets three extra features at the end (three constant
    planes for grid views, which become ``float32`` scaled to [0, 1]): the step within
    the game over the game length, the game's index over ``games - 1``, and a flag that
    is 1 on the first observation of every game after the first (a new game with the
    same co-player). Step and game indices are common inputs of finite-horizon agents
    (Pardo et al. 2018, *Time limits in reinforcement learning*, ICML, Sec. 2).

    ``infos["episode"]`` of a finished match holds ``returns [k, N]`` (summed over its
    games) and ``game_returns [k, games, N]``; ``infos["game_done_envs"]`` marks the
    copies whose game ended at this step.

    Args:
        venv: the vector env; its sim needs ``max_cycles`` (the game length).
        games: games per match (>= 1).
        reward_scale: factor on the rewards ``step`` returns (for learning; the returns
            in ``infos["episode"]`` stay unscaled).
    """

    EXTRA = 3

    def __init__(self, venv, games: int, reward_scale: float = 1.0):
        if int(games) != games or games < 1:
            raise ValueError(f"games={games!r} must be a positive integer")
        if not reward_scale > 0:
            raise ValueError(f"reward_scale={reward_scale!r} must be > 0")
        self.venv, self.games = venv, int(games)
        self.reward_scale = float(reward_scale)
        self.sim = venv.sim
        self.num_envs, self.num_agents = venv.num_envs, venv.num_agents
        self.possible_agents = venv.possible_agents
        self.single_action_space = venv.single_action_space
        self.metadata = venv.metadata
        self.game_length = int(venv.sim.max_cycles)
        space = venv.single_observation_space
        self.base_space = space
        self.grid = len(space.shape) == 3
        if self.grid:
            self.scale = float(np.max(space.high))
            shape = (*space.shape[:2], space.shape[2] + self.EXTRA)
            self.single_observation_space = gymnasium.spaces.Box(0.0, 1.0, shape, np.float32)
        else:
            if len(space.shape) != 1:
                raise ValueError(f"observations of shape {space.shape} are not supported")
            low = np.concatenate([space.low, np.zeros(self.EXTRA)]).astype(np.float32)
            high = np.concatenate([space.high, np.ones(self.EXTRA)]).astype(np.float32)
            self.single_observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)

    @property
    def config(self):
        return self.venv.config

    def _extras(self, step: np.ndarray, game: np.ndarray, flag: np.ndarray) -> np.ndarray:
        return np.stack(
            [step / self.game_length, game / max(self.games - 1, 1), flag.astype(np.float64)], -1
        ).astype(np.float32)  # [B, 3]

    def _augment(self, obs: np.ndarray, extras: np.ndarray) -> np.ndarray:
        B, N = obs.shape[:2]
        if self.grid:
            H, W = obs.shape[2:4]
            planes = np.broadcast_to(extras[:, None, None, None, :], (B, N, H, W, self.EXTRA))
            return np.concatenate([obs.astype(np.float32) / self.scale, planes], -1)
        return np.concatenate(
            [obs.astype(np.float32), np.broadcast_to(extras[:, None], (B, N, self.EXTRA))], -1
        )

    def strip(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The wrapped env's observations ``[M, ...]`` and the new-game flags ``bool[M]``."""
        if self.grid:
            plain = obs[..., : -self.EXTRA] * self.scale
            return plain.astype(self.base_space.dtype), obs[:, 0, 0, -1] > 0
        return obs[:, : -self.EXTRA].astype(self.base_space.dtype), obs[:, -1] > 0

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        obs, info = self.venv.reset(seed=seed)
        B, N = self.num_envs, self.num_agents
        self.step_in_game = np.zeros(B, dtype=np.int64)
        self.game = np.zeros(B, dtype=np.int64)
        self.game_returns = np.zeros((B, self.games, N), dtype=np.float64)
        zero = np.zeros(B, dtype=bool)
        return self._augment(obs, self._extras(self.step_in_game, self.game, zero)), info

    def step(self, actions: np.ndarray):
        obs, rewards, terminated, truncated, infos = self.venv.step(actions)
        B = self.num_envs
        self.game_returns[np.arange(B), self.game] += rewards
        inner = infos["done_envs"]
        self.step_in_game += 1
        final_extras = self._extras(self.step_in_game, self.game, np.zeros(B, dtype=bool))
        self.game[inner] += 1
        self.step_in_game[inner] = 0
        match = inner & (self.game >= self.games)
        new_game = inner & ~match
        terminated, truncated = terminated.copy(), truncated.copy()
        terminated[new_game] = False
        truncated[new_game] = False
        out = {"events": infos["events"], "done_envs": match, "game_done_envs": inner}
        if match.any():
            idx = np.flatnonzero(match)
            out["episode"] = {
                "returns": self.game_returns[idx].sum(1),
                "game_returns": self.game_returns[idx].copy(),
                "length": np.full(idx.size, self.games * self.game_length),
            }
            out["episode_envs"] = idx
            out["final_obs"] = self._augment(infos["final_obs"], final_extras)
            self.game[idx] = 0
            self.game_returns[idx] = 0.0
        obs = self._augment(obs, self._extras(self.step_in_game, self.game, new_game))
        if self.reward_scale != 1.0:
            rewards = rewards * np.float32(self.reward_scale)
        return obs, rewards, terminated, truncated, out

    def render(self, env: int = 0) -> np.ndarray:
        return self.venv.render(env)

    def close(self) -> None:
        self.venv.close()


class MatchCoPlayer(Policy):
    """A co-player for a :class:`MatchVectorEnv`: ``base`` acts on the wrapped env's plain
    observations, and its recurrent state (grim's or a grudger's memory) restarts at
    every game. A co-player keeps its *type* over a match, and each game is a fresh
    encounter, so earlier games reveal the type without tying the later ones to what
    happened in them."""

    def __init__(self, base: Policy, match_env: MatchVectorEnv):
        self.base, self.match_env = base, match_env
        self.recurrent = base.recurrent
        self.name = base.name

    def initial_state(self, batch_size: int):
        return self.base.initial_state(batch_size)

    def act(self, obs, state=(), *, deterministic=False, rng=None, **kw) -> PolicyStep:
        plain, new_game = self.match_env.strip(obs)
        state = reset_state(self.base, state, new_game)
        return self.base.act(plain, state, deterministic=deterministic, rng=rng)


# --------------------------------------------------------------------------- observed pasts
def act_by_type(
    policies: Sequence[Policy],
    types: np.ndarray,
    obs: np.ndarray,
    states: list,
    rng: np.random.Generator,
) -> np.ndarray:
    """Actions of rows ``obs [M, ...]`` where row ``m`` is played by ``policies[types[m]]``;
    ``states[k]`` (full ``M`` rows, per policy) are updated in place."""
    actions = np.zeros(len(obs), dtype=np.int64)
    for k, p in enumerate(policies):
        rows = np.flatnonzero(types == k)
        if rows.size == 0:
            continue
        out = p.act(obs[rows], select_state(states[k], rows), rng=rng)
        actions[rows] = out.actions
        assign_state(states[k], rows, out.state)
    return actions


class ObservedPastMatchEnv:
    """Matches (:class:`MatchVectorEnv`) whose co-player is drawn by the env, with the
    co-player's **observed past games against a reference partner** shown to the learner.

    Rabinowitz et al. 2018 (Sec. 2.1, 3) give the ToMnet's character net the *target
    agent's* past trajectories, observed from outside, not games the observer took part
    in. Here, at every match start, each copy draws its co-player from ``co_players``
    (uniformly, or by ``probs``) and the env plays ``past_games`` games of it (seat 1)
    against ``partner`` (seat 0; default a uniformly random player) in a separate vector
    env of the same game. Every step of those games is recorded as the co-player's
    observation (flattened, scaled to [0, 1]), the co-player's action and the partner's
    action (one-hot): a block of ``past_games x game_length x F`` numbers
    (``past_layout``), fixed for the match.

    Observations are flat ``float32``: the :class:`MatchVectorEnv` observation (grid views
    flattened), then the past block. The learner (seat 0) gets its co-player's past
    block; seat 1's is zeros (the co-player, :class:`PopulationCoPlayer`, reads only the
    plain observation). A policy that should not see the pasts ignores the block (the
    ``ppo`` arm of ``benchmarks/tom_conditioned.py``).

    The co-player draws and the past games use the env's own generator, seeded by
    ``reset(seed)``: the pasts are reproducible by seed. ``co_type`` (``int[B]``) is the
    current co-player index of each copy. Infos and episode returns as
    :class:`MatchVectorEnv`.

    Args:
        env, env_kwargs: the game (a two-player registered env).
        num_envs: copies.
        games: the learner's games per match.
        co_players: the population (policies on the game's plain observations).
        past_games: observed past games per match (>= 1).
        partner: the reference partner in the observed games (default uniform random),
            or a sequence of partners: each observed game draws its partner uniformly
            from them.
        reward_scale: as :class:`MatchVectorEnv`.
        probs: co-player draw probabilities (default uniform).
    """

    def __init__(
        self,
        env: str,
        env_kwargs: dict[str, Any],
        num_envs: int,
        games: int,
        co_players: Sequence[Policy],
        past_games: int = 3,
        partner: Policy | Sequence[Policy] | None = None,
        reward_scale: float = 1.0,
        probs: Sequence[float] | None = None,
    ):
        from agents.scripted import RandomPolicy

        if int(past_games) != past_games or past_games < 1:
            raise ValueError(f"past_games={past_games!r} must be a positive integer")
        if not co_players:
            raise ValueError("co_players is empty; give at least one co-player policy")
        self.match = MatchVectorEnv(
            make_vec(env, num_envs=num_envs, **env_kwargs), games, reward_scale
        )
        if self.match.num_agents != 2:
            raise ValueError(f"{env} has {self.match.num_agents} agents; observed pasts need two")
        self.co_players = list(co_players)
        if probs is None:
            probs = np.full(len(self.co_players), 1.0 / len(self.co_players))
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (len(self.co_players),) or (probs < 0).any() or probs.sum() <= 0:
            raise ValueError(
                f"probs={probs!r} must be {len(self.co_players)} non-negative weights with a positive sum"
            )
        self.probs = probs / probs.sum()
        self.past_games = int(past_games)
        n_actions = int(self.match.single_action_space.n)
        partner = partner or RandomPolicy(n_actions)
        self.partners = list(partner) if isinstance(partner, (list, tuple)) else [partner]
        if not self.partners:
            raise ValueError("partner is an empty sequence; give at least one partner policy")
        self.past_venv = make_vec(env, num_envs=num_envs * self.past_games, **env_kwargs)
        self.sim, self.games = self.match.sim, self.match.games
        self.num_envs, self.num_agents = self.match.num_envs, self.match.num_agents
        self.possible_agents = self.match.possible_agents
        self.single_action_space = self.match.single_action_space
        self.metadata = self.match.metadata
        self.game_length = self.match.game_length
        self.num_actions = n_actions
        base = self.match.base_space
        self.base_scale = float(np.max(base.high)) or 1.0
        step_features = int(np.prod(base.shape)) + 2 * n_actions
        self.past_layout = (self.past_games, self.game_length, step_features)
        mspace = self.match.single_observation_space
        self.match_shape = mspace.shape
        self.current_size = int(np.prod(mspace.shape))
        past_size = int(np.prod(self.past_layout))
        low = np.concatenate([mspace.low.reshape(-1), np.zeros(past_size)]).astype(np.float32)
        high = np.concatenate([mspace.high.reshape(-1), np.ones(past_size)]).astype(np.float32)
        self.single_observation_space = gymnasium.spaces.Box(low, high, dtype=np.float32)

    @property
    def config(self):
        return self.match.config

    def _draw(self, n: int) -> np.ndarray:
        return self.rng.choice(len(self.co_players), size=n, p=self.probs)

    def simulate_pasts(self, types: np.ndarray) -> np.ndarray:
        """``float32 [B, P * L * F]``: ``P`` fresh games of co-player ``types[b]`` (seat 1)
        against the partner (seat 0) for every copy ``b``."""
        P, L, F = self.past_layout
        n = len(types) * P
        if n != self.past_venv.num_envs:
            raise ValueError(f"types has {len(types)} rows; this env has {self.num_envs} copies")
        reps = np.repeat(types, P)
        obs, _ = self.past_venv.reset(seed=int(self.rng.integers(2**31 - 1)))
        co_states = [p.initial_state(n) for p in self.co_players]
        partner_type = np.zeros(n, dtype=np.int64)
        if len(self.partners) > 1:  # (one partner: no draw, the same stream as before)
            partner_type = self.rng.integers(0, len(self.partners), size=n)
        partner_states = [p.initial_state(n) for p in self.partners]
        eye = np.eye(self.num_actions, dtype=np.float32)
        feats = np.empty((n, L, F), dtype=np.float32)
        for t in range(L):
            co = act_by_type(self.co_players, reps, obs[:, 1], co_states, self.rng)
            pa = act_by_type(self.partners, partner_type, obs[:, 0], partner_states, self.rng)
            view = obs[:, 1].reshape(n, -1).astype(np.float32) / self.base_scale
            feats[:, t] = np.concatenate([view, eye[co], eye[pa]], 1)
            obs, _, _, _, _ = self.past_venv.step(np.stack([pa, co], 1))
        return feats.reshape(len(types), P * L * F)

    def _observe(self, obs: np.ndarray) -> np.ndarray:
        B, N = obs.shape[:2]
        out = np.zeros((B, N, self.single_observation_space.shape[0]), dtype=np.float32)
        out[:, :, : self.current_size] = obs.reshape(B, N, -1)
        out[:, 0, self.current_size :] = self.pasts
        return out

    def strip(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The game's plain observations ``[M, ...]`` and the new-game flags ``bool[M]``."""
        cur = obs[:, : self.current_size].reshape(len(obs), *self.match_shape)
        return self.match.strip(cur)

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        self.rng = np.random.default_rng(seed)
        obs, info = self.match.reset(seed=seed)
        self.co_type = self._draw(self.num_envs)
        self.pasts = self.simulate_pasts(self.co_type)
        return self._observe(obs), info

    def step(self, actions: np.ndarray):
        obs, rewards, terminated, truncated, infos = self.match.step(actions)
        done = infos["done_envs"]
        if done.any():
            infos["final_obs"] = self._observe(infos["final_obs"])  # the finished match's pasts
            idx = np.flatnonzero(done)
            types = self.co_type.copy()
            types[idx] = self._draw(idx.size)
            fresh = self.simulate_pasts(types)
            self.co_type = types
            self.pasts[idx] = fresh[idx]
        return self._observe(obs), rewards, terminated, truncated, infos

    def render(self, env: int = 0) -> np.ndarray:
        return self.match.render(env)

    def close(self) -> None:
        self.match.close()
        self.past_venv.close()


class PopulationCoPlayer(Policy):
    """Seat 1 of an :class:`ObservedPastMatchEnv`: copy ``b`` is played by the env's
    current co-player ``co_players[env.co_type[b]]`` on the plain observations, whose
    memory restarts every game (as :class:`MatchCoPlayer`). It must play seat 1 of every
    copy (rows in copy order), so the matchmaker is fixed: ``Matchmaker([0, 1])``."""

    name = "population"

    def __init__(self, env: ObservedPastMatchEnv):
        self.env = env
        self.recurrent = any(p.recurrent for p in env.co_players)
        self._sizes = [len(p.initial_state(1)) for p in env.co_players]

    def initial_state(self, batch_size: int):
        return tuple(s for p in self.env.co_players for s in p.initial_state(batch_size))

    def _split(self, state) -> list:
        out, a = [], 0
        for n in self._sizes:
            out.append(tuple(state[a : a + n]))
            a += n
        return out

    def act(self, obs, state=(), *, deterministic=False, rng=None, **kw) -> PolicyStep:
        if len(obs) != self.env.num_envs:
            raise ValueError(
                f"got {len(obs)} rows; this co-player plays seat 1 of all {self.env.num_envs} copies"
            )
        rng = rng if rng is not None else np.random.default_rng()
        plain, new_game = self.env.strip(obs)
        states = [
            reset_state(p, s, new_game) for p, s in zip(self.env.co_players, self._split(state))
        ]
        states = [tuple(np.array(x, copy=True) for x in s) for s in states]
        actions = act_by_type(self.env.co_players, self.env.co_type, plain, states, rng)
        zeros = np.zeros(len(obs), dtype=np.float32)
        return PolicyStep(actions, zeros, zeros.copy(), tuple(x for s in states for x in s))


def evaluate_match(
    env: str,
    env_kwargs: dict[str, Any],
    games: int,
    policy: Policy,
    co_player: Policy,
    episodes: int = 64,
    seed: int = 10_000,
    observed_pasts: int = 0,
    partner: Policy | Sequence[Policy] | None = None,
) -> dict[str, Any]:
    """Play ``episodes`` matches of ``games`` games against ``co_player`` (seat 1);
    with ``observed_pasts=P`` each match shows ``P`` of the co-player's games against
    ``partner`` first (:class:`ObservedPastMatchEnv`).

    Returns the learner's mean match ``return``, ``game_returns [games]`` (mean per game
    index), and for a :class:`ToMConditionedPolicy` ``e_char [games, episodes, D]`` (the
    character embedding at the first step of each game: after 0, 1, ... past games) and
    ``e_mental_end [episodes, D]`` (the current-game embedding at the match's last step).
    """
    if observed_pasts:
        venv = ObservedPastMatchEnv(
            env, env_kwargs, episodes, games, [co_player], observed_pasts, partner
        )
        seat1: Policy = PopulationCoPlayer(venv)
    else:
        venv = MatchVectorEnv(make_vec(env, num_envs=episodes, **env_kwargs), games)
        seat1 = MatchCoPlayer(co_player, venv)
    collector = RolloutCollector(venv, [policy, seat1], Matchmaker([0, 1]), learners=[0], seed=seed)
    ro = collector.collect(games * venv.game_length)
    ep = ro.episodes[-1]
    if len(ro.episodes) != 1 or ep["envs"].size != episodes:
        raise RuntimeError("evaluation matches did not end together")  # pragma: no cover
    game_returns = ep["game_returns"][:, :, 0]
    out: dict[str, Any] = {
        "return": float(game_returns.sum(1).mean()),
        "game_returns": game_returns.mean(0).tolist(),
        "cooperation_proxy": float((ro.actions[:, :, 0] == 0).mean()),
    }
    if isinstance(policy, ToMConditionedPolicy):
        e_char, e_mental = policy.embeddings(ro.obs[:, :, 0], ro.episode_start[:, :, 0])
        out["e_char"] = e_char[:: venv.game_length]
        out["e_mental_end"] = e_mental[-1]
    return out


def identification_accuracy(
    fit_x: np.ndarray, fit_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, steps: int = 500
) -> dict[str, float]:
    """How well embeddings identify types: accuracy on ``test_x`` of a nearest-centroid
    classifier and of a linear (softmax) probe, both fitted on ``(fit_x, fit_y)``.
    Features are standardised with the fit set's mean and spread."""
    mu, sd = fit_x.mean(0), fit_x.std(0) + 1e-6
    fx, tx = (fit_x - mu) / sd, (test_x - mu) / sd
    classes = np.unique(fit_y)
    centroids = np.stack([fx[fit_y == c].mean(0) for c in classes])
    d = ((tx[:, None, :] - centroids[None]) ** 2).sum(-1)
    centroid = float((classes[d.argmin(1)] == test_y).mean())
    # zero init and full-batch Adam: deterministic given the data
    w = torch.zeros(fx.shape[1], len(classes), requires_grad=True)
    b = torch.zeros(len(classes), requires_grad=True)
    x = torch.as_tensor(fx, dtype=torch.float32)
    y = torch.as_tensor(np.searchsorted(classes, fit_y))
    opt = torch.optim.Adam([w, b], lr=0.05)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + 1e-3 * (w**2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = (torch.as_tensor(tx, dtype=torch.float32) @ w + b).argmax(1).numpy()
    return {"centroid": centroid, "probe": float((classes[pred] == test_y).mean())}


# --------------------------------------------------------------------------- RL species
class PolicySpecies(Species):
    """A species of RL-trained agents (Rabinowitz et al. 2018, Sec. 3.3): one trained
    goal-conditioned policy; an *agent* is its preferred object (one-hot rewards), shown
    to the policy in the preference planes (``observe_preference=True``).

    Args:
        policy: a policy trained on ``tom_gridworld_v0`` with ``env_kwargs``.
        env_kwargs: the gridworld it was trained in (``preferences`` becomes external).
        name: species label (e.g. ``"sighted_lstm"``).
    """

    def __init__(self, policy: Policy, env_kwargs: dict[str, Any], name: str = "rl"):
        self.policy = policy
        self.env_kwargs = {**env_kwargs, "preferences": "external"}
        self.name = name

    def sample_agents(self, rng, n):
        return {"preferred": rng.integers(0, 4, size=n)}

    def begin_episode(self, sim, agents):
        sim.set_object_rewards(np.eye(sim.num_objects)[agents["preferred"]])

    def initial_state(self, n):
        return self.policy.initial_state(n)

    @torch.no_grad()
    def act(self, sim, agents, state, rng):
        # sample with the dataset's numpy generator (not torch's) so datasets of RL
        # species are reproducible by seed like the others
        obs = torch.from_numpy(np.ascontiguousarray(sim.observe()[:, 0]))
        logits, _, state = self.policy.net.step(obs, state)
        cdf = torch.softmax(logits, -1).cumsum(-1).numpy()
        actions = (rng.random(len(cdf))[:, None] > cdf).sum(1)
        return np.minimum(actions, cdf.shape[1] - 1).astype(np.int64), state

    def label(self, agents):
        return agents["preferred"]


RL_SPECIES_ENV = dict(preset="deep_rl")


def train_rl_species(
    observability: str = "full",
    core: str = "none",
    steps: int = 200_000,
    num_envs: int = 32,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    ppo: PPOConfig | None = None,
) -> tuple[Policy, list[dict[str, float]]]:
    """Train one RL species with the shared PPO on ``tom_gridworld_v0`` (preset
    ``deep_rl``: subgoal, 51 steps, goal shown in preference planes): ``observability``
    ``full`` / ``sighted`` / ``blind``, ``core`` ``none`` (feedforward) / ``lstm``."""
    from agents.actor_critic import ActorCriticPolicy
    from agents.networks import NetworkConfig

    torch.manual_seed(seed)
    ppo = ppo or PPOConfig(lr=5e-4, num_steps=64, gamma=0.99)
    kwargs = {**RL_SPECIES_ENV, "observability": observability, **(env_kwargs or {})}
    venv = make_vec("tom_gridworld_v0", num_envs=num_envs, **kwargs)
    policy = ActorCriticPolicy(
        venv.single_observation_space,
        5,
        NetworkConfig(conv_channels=(16, 32), feature_size=128, core=core, core_size=128),
        name=f"{observability}_{core}",
    )
    collector = RolloutCollector(venv, [policy], seed=seed)
    learner = PPO(policy, ppo, index=0)
    iters = max(1, steps // (ppo.num_steps * num_envs))
    rows = []
    for it in range(iters):
        ro = collector.collect(ppo.num_steps)
        ro.compute_gae(ppo.gamma, ppo.gae_lambda)
        learner.set_progress(it / iters)
        row = dict(learner.update(ro))
        rets = [e["returns"][:, 0] for e in ro.episodes]
        if rets:
            row["return"] = float(np.concatenate(rets).mean())
        row["env_steps"] = collector.env_steps
        rows.append(row)
    return policy, rows
