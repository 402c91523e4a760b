"""Training and evaluating the ToMnet observer (Rabinowitz et al. 2018) on generated data.

The ToMnet is a supervised observer: :func:`train_tomnet` draws batches from a
:class:`socialenvs.tom.dataset.TomDataset` (generated in chunks of ``chunk`` samples and
cut into minibatches), minimises :func:`agents.tomnet.tomnet_loss` with Adam, logs to
the shared :class:`training.logger.RunLogger` and checkpoints with
:mod:`training.checkpoint`. Evaluation helpers measure what the paper's figures show:

* :func:`true_action_prob_by_n_past`: mean probability on the agent's true next action
  for fixed ``N_past``, with the Bayes-optimal observer on the same samples when the
  species is :class:`~socialenvs.tom.species.RandomSpecies` (Sec. 3.1, Fig. 3);
* :func:`consumption_accuracy_by_n_past`: how often the most likely consumed object is
  the one consumed (Sec. 3.2);
* :func:`past_consumption_vote_accuracy`: a hand-made reference observer of
  goal-directed agents (the object reached at the end of each past episode, by vote);
* :func:`character_embeddings`: ``e_char`` of agents with their labels (plots);
* :func:`false_belief_divergence`: the JS divergence between predictions with and
  without an object swap, against the swap's distance from the agent (Sec. 3.4).

:func:`load_tomnet` reads back the ``tomnet.pt`` that :func:`train_tomnet` writes.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from agents.tomnet import (
    ToMNet,
    ToMNetConfig,
    batch_to_tensors,
    check_loss_terms,
    tomnet_loss,
)
from socialenvs.tom.dataset import TomBatch, TomDataset
from socialenvs.tom.species import RandomSpecies, bayes_posterior_predictive
from training import checkpoint
from training.logger import RunLogger


@dataclass
class ToMTrainConfig:
    """Optimisation settings (spec agents §1.4: Adam, lr 1e-4, batch 16, 40k minibatches)."""

    steps: int = 40_000
    """Minibatches."""
    batch_size: int = 16
    """Samples per minibatch."""
    lr: float = 1e-4
    """Adam learning rate."""
    lr_end_factor: float = 1.0
    """The learning rate decays linearly to ``lr * lr_end_factor`` over the run (1: constant)."""
    chunk: int = 256
    """Samples generated at once (then cut into minibatches)."""
    seed: int = 0
    """Seeds torch and the data stream."""
    log_every: int = 100
    """Minibatches between log rows."""
    warmup_steps: int = 0
    """The first ``warmup_steps`` minibatches minimise only the ``warmup_terms`` of the
    loss; the rest minimise all of it. Our choice, not the paper's (Sec. 3.2 and App.
    A.2 train on the sum from the start): on goal-directed agents the summed loss pulls
    e_char to one point before the character net finds the preference (the action and
    SR heads learn from the query state alone, and their gradients on an uninformative
    e_char are 10-20 times the consumption term's); a consumption-only start lets it
    find the preference first (``benchmarks/tom_goal_diagnostics.py``, docs/tom.md)."""
    warmup_terms: tuple[str, ...] = ("consumption",)
    """Loss terms trained during the warm-up (of ``agents.tomnet.LOSS_TERMS``)."""
    warmup_exit_loss: float | None = None
    """If set, the warm-up lasts at least ``warmup_steps`` minibatches and then goes on
    until the mean warm-up loss of the last ``warmup_window`` minibatches is below this
    (the learning rate is held at its ``warmup_steps`` value meanwhile). Our choice, for
    nets whose character net leaves the consumption plateau at a time that is a matter
    of chance (docs/tom.md, false belief): e.g. 2.0 against the 2.25 of the prior with
    4 objects, one eaten per episode (4 x H(0.25))."""
    warmup_window: int = 100
    """Minibatches averaged for ``warmup_exit_loss``."""
    warmup_patience: int | None = None
    """With ``warmup_exit_loss``: the most minibatches one warm-up attempt lasts (>=
    ``warmup_steps``; ``None``: no limit). An attempt that reaches it without leaving the
    plateau re-initialises the net (new seed) and the optimiser and starts again, up to
    ``warmup_restarts`` times; after the last, training goes on with the whole loss
    and the rows say so (``warmup_left = 0``)."""
    warmup_restarts: int = 0
    """Re-initialisations allowed by ``warmup_patience``."""
    warmup_mental_off: bool = False
    """The warm-up runs without the mental net (the torso reads zeros for ``e_mental``);
    after it the mental net's share rises linearly from 0 to 1 over
    ``mental_ramp_steps`` minibatches. Our choice (the paper trains the whole net from
    the start): with the mental net on, the false-belief observers' warm-up stayed on
    the consumption plateau in 10 of 10 attempts on seed 2 (docs/tom.md)."""
    mental_ramp_steps: int = 0
    """Minibatches over which ``e_mental`` is faded in after a mental-free warm-up."""

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "chunk", "log_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 1")
        if not 0 <= int(self.warmup_steps) < int(self.steps):
            raise ValueError(
                f"warmup_steps={self.warmup_steps!r} is out of range; allowed: 0 to steps - 1"
            )
        self.warmup_terms = check_loss_terms(self.warmup_terms, "warmup_terms")
        if self.warmup_exit_loss is not None:
            if int(self.warmup_steps) < 1:
                raise ValueError(
                    f"warmup_exit_loss={self.warmup_exit_loss!r} needs warmup_steps >= 1"
                )
            if not 1 <= int(self.warmup_window) <= int(self.warmup_steps):
                raise ValueError(
                    f"warmup_window={self.warmup_window!r} is out of range; allowed: 1 to "
                    f"warmup_steps ({self.warmup_steps})"
                )
            if self.warmup_patience is not None and self.warmup_patience < self.warmup_steps:
                raise ValueError(
                    f"warmup_patience={self.warmup_patience!r} must be >= warmup_steps "
                    f"({self.warmup_steps}) or None"
                )
        if self.warmup_mental_off and int(self.warmup_steps) < 1:
            raise ValueError("warmup_mental_off=True needs warmup_steps >= 1")
        if not 0 <= int(self.mental_ramp_steps) < int(self.steps) - int(self.warmup_steps):
            raise ValueError(
                f"mental_ramp_steps={self.mental_ramp_steps!r} is out of range; allowed: 0 "
                f"to steps - warmup_steps - 1 ({int(self.steps) - int(self.warmup_steps) - 1})"
            )
        if int(self.warmup_restarts) < 0:
            raise ValueError(f"warmup_restarts={self.warmup_restarts!r} must be >= 0")
        if self.warmup_restarts and (self.warmup_exit_loss is None or self.warmup_patience is None):
            raise ValueError(
                f"warmup_restarts={self.warmup_restarts!r} needs warmup_exit_loss and "
                "warmup_patience"
            )
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr!r} must be > 0")
        if not 0 < self.lr_end_factor <= 1:
            raise ValueError(
                f"lr_end_factor={self.lr_end_factor!r} is out of range; allowed: (0, 1]"
            )


def model_for(dataset: TomDataset, **overrides) -> ToMNet:
    """A ToMnet sized for ``dataset`` (state planes, objects, past mode)."""
    kwargs = dict(
        state_channels=dataset.state_channels,
        num_objects=dataset.num_objects,
        past_mode=dataset.past_mode,
        sr_discounts=len(dataset.sr_discounts),
    )
    kwargs.update(overrides)
    return ToMNet(ToMNetConfig(**kwargs))


def _minibatches(batch: TomBatch, size: int):
    tensors = batch_to_tensors(batch)
    n = len(batch)
    for s in range(0, n - size + 1, size):
        yield {k: v[s : s + size] for k, v in tensors.items()}


def _reinitialise(model: torch.nn.Module, seed: int) -> None:
    torch.manual_seed(seed)
    for m in model.modules():
        if m is not model and hasattr(m, "reset_parameters"):
            m.reset_parameters()


def train_tomnet(
    model: ToMNet,
    dataset: TomDataset,
    config: ToMTrainConfig,
    run_dir: str | None = None,
    progress: bool = False,
    warmup_dataset: TomDataset | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on ``dataset``; returns the logged rows (also written to
    ``run_dir/progress.csv`` with a final ``run_dir/tomnet.pt`` when ``run_dir`` is set).

    ``warmup_dataset``: where the minibatches of the loss warm-up
    (``config.warmup_steps``) come from, if not from ``dataset`` (e.g. the same agents
    without swap events, so that the warm-up's consumption targets are what the agents
    prefer).

    Every row has ``step`` (minibatches trained, every attempt counted), ``attempt``
    (warm-up attempts restarted before it), ``warm`` (1 while warming up) and
    ``warmup_left`` (1 once a warm-up with ``warmup_exit_loss`` left the plateau).
    Without ``warmup_exit_loss`` the run is ``config.steps`` minibatches; with it,
    ``config.steps`` plus the warm-up's extension and restarted attempts.
    """

    def fresh_optimiser():
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        schedule = torch.optim.lr_scheduler.LinearLR(
            opt, 1.0, config.lr_end_factor, total_iters=max(config.steps - 1, 1)
        )
        return opt, schedule

    torch.manual_seed(config.seed)
    opt, schedule = fresh_optimiser()
    if run_dir:
        os.makedirs(run_dir, exist_ok=True)
    logger = RunLogger(run_dir, tensorboard=False) if run_dir else None
    rows: list[dict[str, float]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=config.steps, desc="tomnet")
    model.train()
    W, exit_loss = config.warmup_steps, config.warmup_exit_loss
    recent: deque = deque(maxlen=config.warmup_window)
    warm, attempt, left = W > 0, 0, 0
    step = attempt_step = full_steps = 0
    full_total = config.steps - W
    chunk_index, acc, t0 = 0, [], time.time()

    def warm_after_this_step() -> bool:
        """Advance the warm-up's state after a warm minibatch; False when it ends."""
        nonlocal attempt, attempt_step, left, opt, schedule
        if attempt_step < W:
            return True
        if exit_loss is None:
            return False
        if len(recent) == recent.maxlen and float(np.mean(recent)) < exit_loss:
            left = 1
            return False
        if config.warmup_patience is not None and attempt_step >= config.warmup_patience:
            if attempt < config.warmup_restarts:
                attempt += 1
                attempt_step = 0
                recent.clear()
                _reinitialise(model, config.seed + 7919 * attempt)
                opt, schedule = fresh_optimiser()
                return True
            return False
        return True

    nets = [m for m in model.modules() if isinstance(m, ToMNet)]

    def set_mental_gate() -> None:
        if not config.warmup_mental_off:
            return
        gate = 1.0
        if warm:
            gate = 0.0
        elif config.mental_ramp_steps:
            gate = min(1.0, (full_steps + 1) / config.mental_ramp_steps)
        for net in nets:
            net.mental_gate = gate

    while full_steps < full_total:
        source = warmup_dataset if warm and warmup_dataset is not None else dataset
        batch = source.batch(config.chunk, index=chunk_index)
        chunk_index += 1
        was_warm = warm
        for mb in _minibatches(batch, config.batch_size):
            if was_warm and not warm:
                break  # the warm-up ended inside this chunk: draw from `dataset` now
            terms = config.warmup_terms if warm else None
            set_mental_gate()
            loss, stats = tomnet_loss(model(mb), mb, terms)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            attempt_step += 1
            if warm:
                if attempt_step <= W:  # the schedule is held while a warm-up is extended
                    schedule.step()
                recent.append(float(loss.detach()))
            else:
                schedule.step()
                full_steps += 1
            stats = dict(stats, warm=int(warm))  # share of the row's minibatches warm
            acc.append(stats)
            if bar is not None:
                bar.update(1)
            if warm:
                warm = warm_after_this_step()
            if step % config.log_every == 0 or full_steps == full_total:
                row = {k: float(np.mean([a[k] for a in acc])) for k in acc[0]}
                row.update(attempt=attempt, warmup_left=left)
                row.update(step=step, samples=step * config.batch_size, time=time.time() - t0)
                rows.append(row)
                if logger is not None:
                    logger.log(row)
                acc = []
            if full_steps >= full_total:
                break
    if bar is not None:
        bar.close()
    for net in nets:
        net.mental_gate = 1.0
    if logger is not None:
        logger.close()
        checkpoint.save(
            os.path.join(run_dir, "tomnet.pt"),
            {"model": model.state_dict(), "config": vars(model.config), "steps": step},
        )
    model.eval()
    return rows


def load_tomnet(path: str) -> ToMNet:
    """The ToMnet that :func:`train_tomnet` saved to ``path`` (``run_dir/tomnet.pt``), in
    eval mode; ``ValueError`` if the file is missing, corrupt or not a saved ToMnet."""
    payload = checkpoint.load(path, required=("model", "config"))
    try:
        model = ToMNet(ToMNetConfig(**payload["config"]))
        model.load_state_dict(payload["model"])
    except (TypeError, RuntimeError) as exc:
        raise ValueError(f"checkpoint {path!r} does not hold a ToMnet ({exc})") from None
    return model.eval()


@torch.no_grad()
def _predict(model: ToMNet, batch: TomBatch, chunk: int = 256):
    model.eval()
    tensors = batch_to_tensors(batch)
    outs = []
    for s in range(0, len(batch), chunk):
        outs.append(model({k: v[s : s + chunk] for k, v in tensors.items()}))
    return outs


def action_probs(model: ToMNet, batch: TomBatch) -> np.ndarray:
    """``float[S, A]`` predicted next-action distributions."""
    return np.concatenate(
        [torch.softmax(o.action_logits, -1).numpy() for o in _predict(model, batch)]
    )


def true_action_prob_by_n_past(
    model: ToMNet, dataset: TomDataset, n_values, size: int = 1000, index: int = 10**6
) -> dict[int, dict[str, float]]:
    """Mean predicted probability of the true next action at each fixed ``N_past``.

    For random species also ``bayes``: the Bayes-optimal observer's probability on the
    same samples (posterior predictive from the observed past action counts), and
    ``kl``: mean ``KL(pi || pi_hat)`` to the agents' true policies.
    """
    out: dict[int, dict[str, float]] = {}
    for n in n_values:
        batch = dataset.batch(size, index=index, n_past=int(n))
        p = action_probs(model, batch)
        rows = np.arange(len(batch))
        res = {"tomnet": float(p[rows, batch.target_action].mean())}
        if isinstance(dataset.species, RandomSpecies):
            counts = np.zeros((len(batch), p.shape[1]))
            valid = batch.past_step_mask
            np.add.at(
                counts,
                (np.nonzero(valid)[0], batch.past_actions[valid]),
                1.0,
            )
            bayes = bayes_posterior_predictive(dataset.species.alpha, counts)
            res["bayes"] = float(bayes[rows, batch.target_action].mean())
            pi = batch.agents["policy"]
            res["kl"] = float((pi * (np.log(pi + 1e-12) - np.log(p + 1e-12))).sum(1).mean())
            res["kl_bayes"] = float(
                (pi * (np.log(pi + 1e-12) - np.log(bayes + 1e-12))).sum(1).mean()
            )
        out[int(n)] = res
    return out


def consumption_accuracy_by_n_past(
    model: ToMNet, dataset: TomDataset, n_values, size: int = 500, index: int = 10**6
) -> dict[int, float]:
    """How often the most likely consumed object (predicted at the query state) is the
    one the agent consumed, among episodes where it consumed one."""
    out = {}
    for n in n_values:
        batch = dataset.batch(size, index=index, n_past=int(n))
        logits = np.concatenate([o.consumption_logits.numpy() for o in _predict(model, batch)])
        ate = batch.target_consumption.sum(1) > 0
        hit = logits.argmax(1) == batch.target_consumption.argmax(1)
        out[int(n)] = float(hit[ate].mean()) if ate.any() else float("nan")
    return out


def past_consumption_vote_accuracy(
    dataset: TomDataset, n_values, size: int = 500, index: int = 10**6, seed: int = 0
) -> dict[int, float]:
    """A hand-made observer of goal-directed agents, as a reference for
    :func:`consumption_accuracy_by_n_past` (same samples): in each past episode it reads
    the object on the cell the agent moves into at its last recorded step (the consuming
    move), and predicts the current episode's consumed object by majority vote over the
    past episodes (ties, and ``N_past = 0``, broken uniformly at random). It measures
    whether the recorded pasts carry the preference; meant for whole-trajectory pasts."""
    from socialenvs.tom.gridworld import ACTION_DELTAS

    rng = np.random.default_rng(seed)
    K = dataset.num_objects
    out = {}
    for n in n_values:
        batch = dataset.batch(size, index=index, n_past=int(n))
        S, P, L, H, W, _ = batch.past_states.shape
        votes = np.zeros((S, K))
        mask = batch.past_step_mask
        if P and mask.any():
            s_idx, p_idx = np.nonzero(mask.any(-1))
            last = L - 1 - np.argmax(mask[s_idx, p_idx, ::-1], axis=-1)
            frame = batch.past_states[s_idx, p_idx, last]  # [M, H, W, C]
            agent = frame[..., 1 + K].reshape(len(s_idx), -1).argmax(1)
            delta = ACTION_DELTAS[batch.past_actions[s_idx, p_idx, last]]
            r = np.clip(agent // W + delta[:, 0], 0, H - 1)
            c = np.clip(agent % W + delta[:, 1], 0, W - 1)
            objects = frame[np.arange(len(s_idx)), r, c, 1 : 1 + K]  # [M, K]
            np.add.at(votes, s_idx, objects)
        tie_break = rng.random((S, K)) * 1e-3
        guess = (votes + tie_break).argmax(1)
        ate = batch.target_consumption.sum(1) > 0
        hit = guess == batch.target_consumption.argmax(1)
        out[int(n)] = float(hit[ate].mean()) if ate.any() else float("nan")
    return out


def character_embeddings(
    model: ToMNet, dataset: TomDataset, n_past: int, size: int = 500, index: int = 2 * 10**6
) -> tuple[np.ndarray, np.ndarray]:
    """``(e_char [S, D], labels [S])`` for ``size`` agents seen for ``n_past`` episodes."""
    batch = dataset.batch(size, index=index, n_past=int(n_past))
    e = np.concatenate([o.e_char.numpy() for o in _predict(model, batch)])
    return e, batch.labels


def centroid_accuracy(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Held-out nearest-centroid accuracy of ``labels`` from embeddings (half to fit the
    centroids, half to test): how well the embedding separates the labels."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(labels))
    fit, test = perm[: len(perm) // 2], perm[len(perm) // 2 :]
    classes = np.unique(labels[fit])
    centroids = np.stack([embeddings[fit][labels[fit] == c].mean(0) for c in classes])
    d = ((embeddings[test][:, None, :] - centroids[None]) ** 2).sum(-1)
    return float((classes[d.argmin(1)] == labels[test]).mean())


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (nats) between distributions along the last axis
    (computed in float64: float32 rounding alone is of order 1e-8)."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = 0.5 * (p + q)

    def kl(a, b):
        return (a * (np.log(a + 1e-12) - np.log(b + 1e-12))).sum(-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def false_belief_divergence(
    model: ToMNet, dataset: TomDataset, size: int = 1000, index: int = 3 * 10**6, n_past=None
) -> dict[str, np.ndarray]:
    """Predictions with and without a swap of the agent's preferred object (Sec. 3.4).

    For each sample with a preferred object still present at the query (and no swap
    so far), the query state is edited to exchange the preferred object with another
    object (drawn uniformly), everything else kept (past episodes and current prefix).
    Returns per sample: ``distance`` (Chebyshev distance from the agent to the nearer of
    the two swapped cells), ``preferred_distance`` and ``other_distance`` (to the cell the
    preferred object leaves and to the one it moves to), ``js_action`` (JS divergence of
    the next-action predictions) and ``js_sr`` (of the SR at the largest discount, over
    cells).
    """
    batch = dataset.batch(size, index=index, n_past=n_past)
    rng = np.random.default_rng(index)
    K = dataset.num_objects
    q = batch.query_state
    pref = batch.labels
    S = len(batch)
    other = (pref + 1 + rng.integers(0, K - 1, size=S)) % K
    rows = np.arange(S)
    present = q[rows, ..., 1 + pref].reshape(S, -1).any(1) & q[rows, ..., 1 + other].reshape(
        S, -1
    ).any(1)
    keep = present & ~batch.current_swapped
    swapped = q.copy()
    swapped[rows, ..., 1 + pref] = q[rows, ..., 1 + other]
    swapped[rows, ..., 1 + other] = q[rows, ..., 1 + pref]
    agent_ch = 1 + K
    H, W = q.shape[1:3]

    def cell(planes):
        flat = planes.reshape(S, -1).argmax(1)
        return np.stack([flat // W, flat % W], -1)

    agent = cell(q[..., agent_ch])
    a_cell, b_cell = cell(q[rows, ..., 1 + pref]), cell(q[rows, ..., 1 + other])
    d_pref, d_other = np.abs(a_cell - agent).max(1), np.abs(b_cell - agent).max(1)
    dist = np.minimum(d_pref, d_other)
    outs_a = _predict(model, batch)
    edited = TomBatch(**{**vars(batch), "query_state": swapped})
    outs_b = _predict(model, edited)
    pa = np.concatenate([torch.softmax(o.action_logits, -1).numpy() for o in outs_a])
    pb = np.concatenate([torch.softmax(o.action_logits, -1).numpy() for o in outs_b])
    res = {
        "distance": dist[keep],
        "preferred_distance": d_pref[keep],
        "other_distance": d_other[keep],
        "js_action": js_divergence(pa, pb)[keep],
    }
    if outs_a[0].sr_log_probs is not None:
        sa = np.concatenate(
            [o.sr_log_probs[:, -1].exp().reshape(len(o.sr_log_probs), -1).numpy() for o in outs_a]
        )
        sb = np.concatenate(
            [o.sr_log_probs[:, -1].exp().reshape(len(o.sr_log_probs), -1).numpy() for o in outs_b]
        )
        res["js_sr"] = js_divergence(sa, sb)[keep]
    return res
