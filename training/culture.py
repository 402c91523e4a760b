"""Generational training for cultural accumulation (Cook et al. 2024).

Three procedures, all on the shared pieces (:class:`training.rollout.RolloutCollector`,
:func:`training.gae.gae` through ``Rollout.compute_gae``, :class:`agents.ppo.PPO`):

* :func:`meta_train` -- in-context meta-training, paper Alg. 1 (RL² plus oracle): one
  recurrent PPO learner whose hidden state persists across the ``K`` trials of an
  episode, with the env's noisy oracles as demonstrators. With ``demonstrators="none"``
  it is the RL² baseline.
* :func:`in_context_generations` -- paper Alg. 2: weights frozen; each generation is one
  episode of ``K`` trials per population member on fixed held-out task instances; the
  previous generation's members, reset to their saved state (the recurrent state entering
  their final trial) at the start of every trial, are the demonstrators. Generation 0 has
  random-like demonstrators (``gen0_kwargs``, as the official code).
* :func:`in_weights_generations` -- paper Alg. 3: each generation a fresh population
  trained with PPO while the previous generation acts, visibility annealed 1 -> 0
  (:func:`socialenvs.culture.annealed_visibility`); selection of the best
  (``select="best"``, Goal Sequence) or all sorted by score (``"all_sorted"``, Memory
  Sequence); plus :func:`single_lifetime` with the same total experience.

Demonstrators of Memory Sequence and TSP enter through the env's demonstrator hook
(:class:`RecurrentDemonstrators`); Goal Sequence's demonstrator is a seat of the 2-agent
env played by a frozen policy through the collector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from agents.actor_critic import ActorCriticPolicy
from agents.networks import NetworkConfig
from agents.policy import Policy, PolicyStep
from agents.ppo import PPO, PPOConfig
from socialenvs.core.registry import make_vec
from socialenvs.culture import annealed_visibility
from training.rollout import Matchmaker, RolloutCollector

DEMO_INPUTS = ("alone", "code")


def culture_network(hidden: int = 128, core: str = "gru") -> NetworkConfig:
    """The port of the notebooks' network (Dense 128 -> Dense 256 -> GRU 256, App. E),
    narrower by default for CPU budgets."""
    return NetworkConfig(hidden_sizes=(hidden, hidden), core=core, core_size=hidden)


def new_policy(venv, hidden: int = 128, name: str = "learner", seed: int | None = None):
    """A fresh recurrent actor-critic for ``venv``'s spaces."""
    if seed is not None:
        torch.manual_seed(seed)
    return ActorCriticPolicy(
        venv.single_observation_space,
        int(venv.single_action_space.n),
        culture_network(hidden),
        name=name,
    )


# ----------------------------------------------------------------------------- PPO loop
@dataclass
class TrainResult:
    """Learning curve of one PPO run: mean learner episode return per iteration."""

    steps: list[int] = field(default_factory=list)
    returns: list[float] = field(default_factory=list)


def train_ppo(
    venv,
    policies: list[Policy],
    ppo: PPOConfig,
    total_steps: int,
    seed: int,
    matchmaker: Matchmaker | None = None,
    learners: tuple[int, ...] = (0,),
    on_progress: Callable[[float], None] | None = None,
    on_iteration: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Collect-and-update loop for ``learners`` among ``policies`` on ``venv``.

    ``on_progress(fraction)`` runs before each rollout (e.g. visibility annealing);
    ``on_iteration(steps, mean_return)`` after each update (e.g. progress logging).
    Returns the learner seat's (seat 0) mean finished-episode return per iteration.
    """
    collector = RolloutCollector(venv, policies, matchmaker, learners=list(learners), seed=seed)
    ppos = [PPO(policies[k], ppo, index=k) for k in learners]
    per_iter = ppo.num_steps * venv.num_envs
    iters = max(1, total_steps // per_iter)
    result = TrainResult()
    for it in range(iters):
        fraction = it / iters
        if on_progress is not None:
            on_progress(fraction)
        for learner in ppos:
            learner.set_progress(fraction)
        rollout = collector.collect(ppo.num_steps)
        rollout.compute_gae(ppo.gamma, ppo.gae_lambda)
        for learner in ppos:
            learner.update(rollout)
        rets = [ep["returns"][:, 0] for ep in rollout.episodes]
        result.steps.append((it + 1) * per_iter)
        result.returns.append(float(np.concatenate(rets).mean()) if rets else float("nan"))
        if on_iteration is not None:
            on_iteration(result.steps[-1], result.returns[-1])
    return result


# ----------------------------------------------------------------------------- in-context
def meta_train(
    env_id: str,
    env_kwargs: dict,
    ppo: PPOConfig,
    total_steps: int,
    num_envs: int = 16,
    hidden: int = 128,
    seed: int = 0,
    on_iteration: Callable[[int, float], None] | None = None,
) -> tuple[ActorCriticPolicy, TrainResult]:
    """Paper Alg. 1 (RL² + oracle; RL² alone with ``demonstrators="none"``).

    ``on_iteration(steps, mean_return)`` runs after each PPO update (see :func:`train_ppo`).
    """
    venv = make_vec(env_id, num_envs=num_envs, **env_kwargs)
    policy = new_policy(venv, hidden, seed=seed)
    result = train_ppo(venv, [policy], ppo, total_steps, seed, on_iteration=on_iteration)
    return policy, result


class RecurrentDemonstrators:
    """Demonstrator hook: previous-generation members reset to saved states each trial.

    Args:
        policy: the frozen network (same weights for every member, paper Alg. 2).
        states: per copy and member, the saved recurrent state ``[B, n, H]`` (GRU ``h``).
        obs: the saved observation entering the final trial ``[B, n, D]``; a member
            acts from it at every trial start.
        trial_slice: the trial one-hot in the obs; it is pinned to the member's own final
            trial so that it keeps believing it is in that trial.
        final_trial: index of that trial.
    """

    def __init__(self, policy: Policy, states, obs, trial_slice: slice | None, final_trial: int):
        self.policy = policy
        self.saved_h = states
        self.saved_obs = obs
        self.h = states.clone()
        self.trial_slice = trial_slice
        self.final_trial = final_trial

    def __call__(self, idx: np.ndarray, demo_obs: np.ndarray, trial_start: np.ndarray):
        b, n, D = demo_obs.shape
        obs = demo_obs.copy()
        if self.trial_slice is not None:
            obs[:, :, self.trial_slice] = 0.0
            obs[:, :, self.trial_slice.start + self.final_trial] = 1.0
        start = np.asarray(trial_start, dtype=bool)
        obs[start] = self.saved_obs[idx[start]]
        t_idx = torch.as_tensor(idx)
        h = self.h[t_idx].clone()
        h[torch.as_tensor(start)] = self.saved_h[t_idx[torch.as_tensor(start)]]
        out = self.policy.act(obs.reshape(b * n, D), (h.reshape(b * n, -1),))
        self.h[t_idx] = out.state[0].reshape(b, n, -1)
        return out.actions.reshape(b, n)


@dataclass
class GenerationsResult:
    """Per-generation, per-trial scores ``[G, K]`` (mean over instances and members)."""

    scores: np.ndarray
    best_last_trial: np.ndarray  # [G] mean over instances of the best member's final trial


def _run_generation(
    policy: ActorCriticPolicy,
    env_id: str,
    env_kwargs: dict,
    pop: int,
    seed: int,
    hook: RecurrentDemonstrators | None,
):
    """One episode of ``pop`` members on one instance; returns per-trial scores
    ``[pop, K]``, and the states/obs entering the final trial."""
    venv = make_vec(env_id, num_envs=pop, **env_kwargs)
    sim = venv.sim
    if hook is not None:
        sim.set_demonstrator(hook)
    obs, _ = venv.reset(seed=seed)
    K = int(sim.config.num_trials)
    state = policy.initial_state(pop)
    saved_h = torch.zeros_like(state[0])
    saved_obs = np.zeros_like(obs[:, 0])
    done = np.zeros(pop, dtype=bool)
    scores = np.zeros((pop, K))
    while not done.all():
        trial_before = sim.trial.copy()
        out: PolicyStep = policy.act(obs[:, 0], state)
        state = out.state
        obs, rewards, terminated, _, infos = venv.step(out.actions[:, None])
        live = ~done
        rows = np.flatnonzero(live)
        scores[rows, np.minimum(trial_before[rows], K - 1)] += np.maximum(rewards[rows, 0], 0)
        entering = live & ~infos["done_envs"] & (sim.trial == K - 1) & (trial_before == K - 2)
        if K == 1:
            entering = np.zeros(pop, dtype=bool)
        if entering.any():
            saved_h[torch.as_tensor(entering)] = state[0][torch.as_tensor(entering)]
            saved_obs[entering] = obs[entering, 0]
        done |= infos["done_envs"]
    return scores, saved_h, saved_obs


def in_context_generations(
    policy: ActorCriticPolicy,
    env_id: str,
    env_kwargs: dict,
    gen0_kwargs: dict,
    num_generations: int,
    pop: int,
    instance_seeds: list[int],
    order: str = "ascending",
    instance_key: str = "sequence_seed",
) -> GenerationsResult:
    """Paper Alg. 2 with all previous-generation members as demonstrators.

    Args:
        policy: the meta-trained learner (frozen).
        env_kwargs: the evaluation env (``demonstrators="external"`` is set here).
        gen0_kwargs: overrides for generation 0's random-like built-in demonstrators.
        pop: population size = number of demonstrators (paper/code: 3).
        instance_seeds: one fixed task instance per seed, the same in every generation.
        order: demonstrators sorted by final-trial score ``"ascending"`` (Memory
            Sequence: best last, like its oracles) or ``"descending"`` (TSP: best first).
        instance_key: the config field that fixes the instance.
    """
    G = num_generations
    all_scores = []
    best_last = np.zeros((G, len(instance_seeds)))
    for i, inst in enumerate(instance_seeds):
        hook = None
        gen_scores = []
        for g in range(G):
            kwargs = dict(env_kwargs, **{instance_key: inst, "num_demonstrators": pop})
            if g == 0:
                kwargs.update(gen0_kwargs, demonstrators="oracle")
            else:
                kwargs["demonstrators"] = "external"
            scores, h, o = _run_generation(policy, env_id, kwargs, pop, 1000 * inst + g, hook)
            gen_scores.append(scores.mean(0))
            last = scores[:, -1]
            best_last[g, i] = last.max()
            rank = np.argsort(last, kind="stable")
            if order == "descending":
                rank = rank[::-1].copy()
            K = scores.shape[1]
            hook = _make_hook(policy, h[rank], o[rank], kwargs, env_id, K)
        all_scores.append(np.stack(gen_scores))
    return GenerationsResult(np.mean(all_scores, axis=0), best_last.mean(1))


def _make_hook(policy, h, o, kwargs, env_id, K) -> RecurrentDemonstrators:
    """A hook in which every copy (population member) sees the same sorted members."""
    probe = make_vec(env_id, num_envs=1, **dict(kwargs, demonstrators="external"))
    trial_slice = probe.sim.slices.get("trial")
    pop = h.shape[0]
    states = h.unsqueeze(0).repeat(pop, 1, 1)  # [B = pop copies, n = pop members, H]
    obs = np.repeat(o[None], pop, axis=0)
    return RecurrentDemonstrators(policy, states, obs, trial_slice, K - 1)


def evaluate_trials(
    policy: Policy | None,
    env_id: str,
    env_kwargs: dict,
    num_envs: int,
    seed: int,
    follow_demonstrator: int | None = None,
) -> np.ndarray:
    """Mean per-trial scores ``[K]`` of ``policy`` over one episode of ``num_envs`` copies.

    With ``follow_demonstrator=i`` the actions are demonstrator ``i``'s proposals instead
    (the noisy-oracle reference line of the paper's figures).
    """
    venv = make_vec(env_id, num_envs=num_envs, **env_kwargs)
    sim = venv.sim
    obs, _ = venv.reset(seed=seed)
    K = int(sim.config.num_trials)
    state = policy.initial_state(num_envs) if policy is not None else ()
    done = np.zeros(num_envs, dtype=bool)
    scores = np.zeros((num_envs, K))
    while not done.all():
        trial_before = sim.trial.copy()
        if follow_demonstrator is not None:
            actions = sim.demo_actions[:, follow_demonstrator].copy()
        else:
            out = policy.act(obs[:, 0], state)
            state, actions = out.state, out.actions
        obs, rewards, _, _, infos = venv.step(actions[:, None])
        rows = np.flatnonzero(~done)
        scores[rows, np.minimum(trial_before[rows], K - 1)] += np.maximum(rewards[rows, 0], 0)
        done |= infos["done_envs"]
    return scores.mean(0)


class KnownPrefixDemonstrators:
    """Diagnostic demonstrators for in-context Memory Sequence: each proposes the correct
    digit while the learner's position is below ``known`` and a uniformly random digit
    from there on, like a previous-generation member that remembers the first ``known``
    digits (not part of the paper; it measures what a learner keeps of what it is shown).

    Args:
        sim: the env's :class:`~socialenvs.culture.memory_sequence.MemorySequence`.
        known: length of the known prefix.
        seed: seed of the random proposals.
    """

    def __init__(self, sim, known: int, seed: int = 0):
        self.sim = sim
        self.known = int(known)
        self.rng = np.random.default_rng(seed)

    def __call__(self, idx: np.ndarray, demo_obs: np.ndarray, trial_start: np.ndarray):
        sim = self.sim
        n = demo_obs.shape[1]
        out = self.rng.integers(sim.num_actions, size=(len(idx), n))
        knows = (sim.position[idx] < self.known)[:, None]
        return np.where(knows, sim.correct_digit(idx)[:, None], out)


def prefix_transfer(
    policy: Policy,
    env_kwargs: dict,
    known: list[int],
    num_envs: int = 256,
    seed: int = 7,
) -> np.ndarray:
    """Per-trial scores ``[len(known), K]`` of ``policy`` on Memory Sequence when its
    demonstrators know the first ``S`` digits (:class:`KnownPrefixDemonstrators`), for
    each ``S`` in ``known``.

    In-context accumulation needs the last trial (demonstrators never visible) to reach
    beyond ``S``; a last-trial score that stays flat as ``S`` grows means the learner
    copies while it sees the demonstrators but does not remember what it copied.
    """
    out = []
    for S in known:
        venv = make_vec(
            "memory_sequence_v0", num_envs=num_envs, **dict(env_kwargs, demonstrators="external")
        )
        sim = venv.sim
        sim.set_demonstrator(KnownPrefixDemonstrators(sim, S, seed))
        obs, _ = venv.reset(seed=seed)
        K = int(sim.config.num_trials)
        state = policy.initial_state(num_envs)
        done = np.zeros(num_envs, dtype=bool)
        scores = np.zeros((num_envs, K))
        while not done.all():
            trial_before = sim.trial.copy()
            step = policy.act(obs[:, 0], state)
            state = step.state
            obs, rewards, _, _, infos = venv.step(step.actions[:, None])
            rows = np.flatnonzero(~done)
            scores[rows, np.minimum(trial_before[rows], K - 1)] += np.maximum(rewards[rows, 0], 0)
            done |= infos["done_envs"]
        out.append(scores.mean(0))
    return np.stack(out)


# ----------------------------------------------------------------------------- in-weights
class OpenLoopDemonstrators:
    """Demonstrator hook for in-weights Memory Sequence: each member acts from the env's
    constant demonstrator input with its state reset each episode (official ``MemSeq``)."""

    def __init__(self, policies: list[Policy], num_envs: int):
        self.policies = policies
        self.states = [p.initial_state(num_envs) for p in policies]

    def __call__(self, idx: np.ndarray, demo_obs: np.ndarray, trial_start: np.ndarray):
        actions = np.zeros((len(idx), len(self.policies)), dtype=np.int64)
        t_idx = torch.as_tensor(idx)
        start = torch.as_tensor(np.asarray(trial_start, dtype=bool))
        for j, p in enumerate(self.policies):
            h = self.states[j][0][t_idx].clone()
            h[start] = 0.0
            out = p.act(demo_obs[:, j], (h,))
            self.states[j][0][t_idx] = out.state[0]
            actions[:, j] = out.actions
        return actions


class TabulatedDemonstrators:
    """Open-loop demonstrators of in-weights Memory Sequence, sampled from a table.

    A member's input is constant (official ``MemSeq``: zeros with the visible flag set)
    and its recurrent state restarts each episode, so its action distribution at step
    ``t`` of an episode is the same in every episode: it is computed once (one network
    pass per step of the horizon) and sampled per step, the same distribution as running
    the network every step (:class:`OpenLoopDemonstrators`) at a fraction of the cost.

    Args:
        policies: the frozen :class:`ActorCriticPolicy` members.
        num_envs: env copies.
        demo_input: ``"alone"``: zeros with the flag 0, the input under which the members
            were scored and selected (independent play, Alg. 3; our default); ``"code"``:
            zeros with the visible flag 1, as the official notebook feeds them.
        seed: seed of the sampling generator.
    """

    def __init__(self, policies, num_envs: int, demo_input: str = "alone", seed: int = 0):
        if demo_input not in DEMO_INPUTS:
            raise ValueError(
                f"demo_input={demo_input!r} is not allowed; choose one of {DEMO_INPUTS}"
            )
        self.policies = policies
        self.demo_input = demo_input
        self.t = np.zeros(num_envs, dtype=np.int64)
        self.cdf: np.ndarray | None = None  # [horizon, n, A]
        self.rng = np.random.default_rng(seed)

    def _tabulate(self, obs: np.ndarray, horizon: int) -> None:
        obs = obs.copy()
        if self.demo_input == "alone":
            obs[:] = 0.0
        tables = []
        for j, p in enumerate(self.policies):
            state = p.initial_state(1)
            x = torch.as_tensor(obs[j : j + 1], dtype=torch.float32)
            rows = []
            with torch.no_grad():
                for _ in range(horizon):
                    logits, _, state = p.net.step(x, state, None)
                    rows.append(torch.softmax(logits, -1)[0].numpy())
            tables.append(np.stack(rows))
        self.cdf = np.cumsum(np.stack(tables, 1), axis=-1)  # [horizon, n, A]

    def probs(self) -> np.ndarray:
        """Per-step action probabilities ``[horizon, n, A]`` (after the first call)."""
        return np.diff(self.cdf, axis=-1, prepend=0.0)

    def __call__(self, idx: np.ndarray, demo_obs: np.ndarray, trial_start: np.ndarray):
        if self.cdf is None:
            self.obs = demo_obs[0].copy()
        if not (demo_obs == self.obs).all():
            raise ValueError(
                "TabulatedDemonstrators needs a constant demonstrator input (in-weights "
                "Memory Sequence, obs_own_feedback=False); use OpenLoopDemonstrators"
            )
        start = np.asarray(trial_start, dtype=bool)
        self.t[idx[start]] = 0
        t = self.t[idx]
        if self.cdf is None or t.max() >= len(self.cdf):
            self._tabulate(self.obs, max(64, 2 * int(t.max()) + 1))
        u = self.rng.random((len(idx), len(self.policies), 1))
        actions = (self.cdf[t] < u).sum(-1)
        self.t[idx] += 1
        return np.minimum(actions, self.cdf.shape[-1] - 1)


@dataclass
class InWeightsResult:
    """Per generation: learning curves of each member, final scores, the selected ones."""

    curves: list[list[TrainResult]]
    final_scores: np.ndarray  # [G, P]
    baseline_curve: TrainResult | None = None
    baseline_score: float = float("nan")


def _demo_hook(demos, num_envs: int, demo_input: str, seed: int):
    """Memory Sequence's in-weights demonstrator hook: tabulated for networks."""
    if all(isinstance(d, ActorCriticPolicy) for d in demos):
        return TabulatedDemonstrators(demos, num_envs, demo_input, seed)
    return OpenLoopDemonstrators(demos, num_envs)


def _final_score(
    policy, env_id, env_kwargs, demos, num_envs, seed, episodes=2, demo_input="alone"
) -> float:
    """Mean return of ``policy`` with the demonstrators hidden (independent play)."""
    venv = make_vec(env_id, num_envs=num_envs, **env_kwargs)
    venv.sim.set_visibility(0.0)
    two_agent = venv.num_agents == 2
    if not two_agent:
        venv.sim.set_demonstrator(_demo_hook(demos, num_envs, demo_input, seed))
    obs, _ = venv.reset(seed=seed)
    states = [policy.initial_state(num_envs)]
    if two_agent:
        states.append(demos[0].initial_state(num_envs))
    total, count, returns = 0.0, 0, np.zeros(num_envs)
    while count < episodes * num_envs:
        out = policy.act(obs[:, 0], states[0])
        states[0] = out.state
        actions = [out.actions]
        if two_agent:
            d = demos[0].act(obs[:, 1], states[1])
            states[1] = d.state
            actions.append(d.actions)
        obs, rewards, _, _, infos = venv.step(np.stack(actions, 1))
        returns += rewards[:, 0]
        ended = infos["done_envs"]
        if ended.any():
            total += returns[ended].sum()
            count += int(ended.sum())
            returns[ended] = 0.0
            m = torch.as_tensor(ended)
            states = [tuple(torch.where(m[:, None], 0.0, s) for s in st) for st in states]
    return total / count


def _train_member(env_id, env_kwargs, demos, ppo, steps, num_envs, hidden, seed, demo_input):
    venv = make_vec(env_id, num_envs=num_envs, **env_kwargs)
    policy = new_policy(venv, hidden, seed=seed)
    total_iters = max(1, steps // (ppo.num_steps * num_envs))

    def anneal(fraction: float) -> None:
        venv.sim.set_visibility(
            float(annealed_visibility(round(fraction * total_iters), total_iters))
        )

    if venv.num_agents == 2:  # Goal Sequence: the demonstrator is a frozen seat
        policies = [policy, demos[0]]
        mm = Matchmaker([0, 1])
    else:
        venv.sim.set_demonstrator(_demo_hook(demos, num_envs, demo_input, seed))
        policies, mm = [policy], None
    curve = train_ppo(venv, policies, ppo, steps, seed, matchmaker=mm, on_progress=anneal)
    return policy, curve


def in_weights_generations(
    env_id: str,
    env_kwargs: dict,
    ppo: PPOConfig,
    steps_per_generation: int,
    num_generations: int,
    pop: int,
    num_demonstrators: int,
    select: str = "all_sorted",
    num_envs: int = 4,
    hidden: int = 64,
    seed: int = 0,
    baseline: bool = True,
    demo_input: str = "alone",
) -> InWeightsResult:
    """Paper Alg. 3 plus the single-lifetime baseline of ``G x T`` steps.

    ``select="all_sorted"``: the next generation's ``num_demonstrators`` demonstrators are
    the members sorted ascending by final score (Memory Sequence: the paper shows all
    members of the previous generation, App. C, so ``pop == num_demonstrators`` there; a
    smaller population fills the slots in ascending order, repeating members);
    ``"best"``: the best member only (Goal Sequence's single demonstrator seat).
    Members are scored and selected by their return with the demonstrators hidden
    (independent play). ``demo_input``: what Memory Sequence's open-loop members see as
    demonstrators (:class:`TabulatedDemonstrators`).
    """
    if select not in ("all_sorted", "best"):
        raise ValueError(f"select={select!r} is not allowed; choose one of ['all_sorted', 'best']")
    if demo_input not in DEMO_INPUTS:
        raise ValueError(f"demo_input={demo_input!r} is not allowed; choose one of {DEMO_INPUTS}")
    probe = make_vec(env_id, num_envs=1, **env_kwargs)
    n_demo = 1 if probe.num_agents == 2 else int(probe.sim.num_demos)
    if probe.num_agents != 2 and num_demonstrators != n_demo:
        raise ValueError(
            f"num_demonstrators={num_demonstrators!r} must equal the env's "
            f"num_demonstrators={n_demo}"
        )
    # Generation 0 learns next to randomly initialised networks (paper Alg. 3; code).
    demos = [
        new_policy(probe, hidden, f"random_{j}", seed=10_000 + seed * 100 + j).frozen()
        for j in range(n_demo)
    ]
    curves, finals = [], []
    for g in range(num_generations):
        members, gen_curves, scores = [], [], []
        for p in range(pop):
            s = seed * 1000 + g * 10 + p
            policy, curve = _train_member(
                env_id,
                env_kwargs,
                demos,
                ppo,
                steps_per_generation,
                num_envs,
                hidden,
                s,
                demo_input,
            )
            members.append(policy)
            gen_curves.append(curve)
            scores.append(
                _final_score(policy, env_id, env_kwargs, demos, 16, 777 + s, 2, demo_input)
            )
        curves.append(gen_curves)
        finals.append(scores)
        ranked = [members[i].frozen(f"gen{g}_{i}") for i in np.argsort(scores, kind="stable")]
        if select == "best" or n_demo == 1:
            demos = [ranked[-1]]
        else:
            # ascending; with fewer members than slots each fills an equal share
            k = len(ranked)
            demos = (
                ranked[-n_demo:]
                if k >= n_demo
                else [ranked[i * k // n_demo] for i in range(n_demo)]
            )
    result = InWeightsResult(curves, np.asarray(finals))
    if baseline:
        random_demos = [
            new_policy(probe, hidden, f"random_{j}", seed=10_000 + seed * 100 + j).frozen()
            for j in range(n_demo)
        ]
        policy, curve = _train_member(
            env_id,
            env_kwargs,
            random_demos,
            ppo,
            steps_per_generation * num_generations,
            num_envs,
            hidden,
            seed * 1000 + 999,
            demo_input,
        )
        result.baseline_curve = curve
        result.baseline_score = _final_score(
            policy, env_id, env_kwargs, random_demos, 16, 777 + seed * 1000 + 999, 2, demo_input
        )
    return result
