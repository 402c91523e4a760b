"""The classifier norm model (CNM; Vinitsky et al. 2023, *A learning agent that acquires
social norms from public sanctions in decentralized multi-agent settings*, Collective
Intelligence, arXiv 2106.09012).

A CNM agent is an ordinary learner (here the shared PPO, :mod:`agents.ppo`) plus two
pieces (paper abstract; mechanics as summarised in our sanctions-norms spec §2.3-2.4):

1. **A classifier of group disapproval**, trained online with binary cross-entropy on the
   public sanction stream: every *sanction opportunity* (player i could have zapped
   player j) is a sample whose label is 1 if i zapped j (the group disapproved) and 0 if
   not (approved), and whose input is the public *context* of the pair. In
   ``allelopathic_harvest_v0`` (and ``public_goods_v0``'s punishment stage, where a
   sanction is a number of points) these are the ``OPPORTUNITY`` events of the shared
   event record (env flag ``record_opportunities=True``; each env decodes their context
   with its ``opportunity_features``); the rollout collector records them with every
   step, so the classifier learns from exactly what the collector saw.
2. **A motivation to sanction in accord with the group**: a pseudo-reward added to the
   zapper's reward before GAE, for every target it zapped,
   ``r~ = r + alpha * P(disapprove | context) - beta * P(approve | context)``
   (the form of the public PPO-LSTM replication, MarShin/meltingpot-experiments
   ``pettingzoo/ppo_lstm_cnm.py`` [secondary]; alpha 0.2 and beta 0.4 are its defaults,
   the paper's values are not known to us). ``hard=True`` pays exactly ``+alpha`` when
   the classifier predicts disapproval (P >= 0.5) and ``-beta`` otherwise.

Decentralised as in the paper: every learner policy owns its own classifier (own
initialisation, own minibatches) trained on the same public stream; no parameters or
rewards are shared.

Choices where the sources are silent (documented design):

* **Classifier input**: the 13 public context features of the pair
  (:data:`socialenvs.norms.allelopathic_harvest.CONTEXT_FIELDS`: target marking colour,
  target marked, target frozen, actor colour, leading berry colour), not the RGB frame of
  the paper and the replication. It is what every player can see of the pair and it makes
  the classifier small enough to train online on CPU; the policy itself still acts from
  its egocentric view. The classifier output is not fed to the policy (the replication
  concatenates it into its LSTM input); by default the pseudo-reward is the only coupling.
  ``policy_signal=True`` adds that input in our form (:class:`training.cnm.SanctionSignal`):
  before every step each learner's own classifier judges every pair (learner, player it
  could zap now), and the learner's view gets two constant 0/1 planes, "some player I
  could zap is predicted disapproved" (P >= 0.5) and "some player I could zap is predicted
  approved". A policy can then zap where its classifier expects disapproval, which is
  where the motivation pays. Binary planes, not probabilities, keep the symbolic view
  ``uint8`` 0/1; constant planes reach the first conv layer as a per-signal bias, the
  grid encoder's equivalent of concatenating the two numbers into its input.
* **Training**: an MLP (13 -> 64 -> 64 -> 1 logit, tanh), Adam at ``lr`` with its own
  optimiser (the replication adds the classifier loss to the PPO loss with coefficient
  0.01; with separate optimisers that coefficient is only a learning-rate scale). Samples
  go into a ring buffer of the last ``buffer_size`` opportunities; each rollout is
  followed by ``updates_per_rollout`` steps on **class-balanced** minibatches (half zaps,
  half non-zaps, drawn with replacement). Zaps are rare, so an unbalanced classifier would
  predict approval everywhere; balancing makes P(disapprove) the posterior under equal
  priors, and P >= 0.5 the decision rule that balanced accuracy scores. (The paper's
  subsampling, reported second-hand as 32 zap and 1024 no-zap events, is unverified.)
* **Balanced accuracy** is measured *prequentially*: on each new rollout's samples before
  the classifier trains on them, so it is always held-out.
* ``freeze_after`` (env steps; 0 = never) stops classifier training, as the replication's
  classifier-freeze option.
* ``gate_accuracy`` (0 = off, the default; our addition, not in the paper or the
  replication): a learner is paid the pseudo-reward only once its own classifier has
  shown that it can tell the group's sanctions apart, i.e. once the mean of its last
  ``gate_window`` prequential balanced accuracies (rollouts with both zaps and non-zaps)
  reaches ``gate_accuracy``; the gate then stays open. Before that the learner is a
  baseline learner whose classifier watches. Why: a classifier trained on balanced
  minibatches that cannot yet separate contexts answers P(disapprove) = 0.5 everywhere,
  so with beta > alpha the motivation starts as a flat tax of ``(alpha - beta) / 2`` on
  every zap, which removed sanctioning before any pattern could form (docs/norms.md,
  Allelopathic Harvest diagnosis).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from socialenvs.core.events import EventKind


@dataclass
class CNMConfig:
    """Classifier norm model settings (defaults: sanctions-norms spec §2.8)."""

    alpha: float = 0.2
    """Pseudo-reward for zapping a target the group is predicted to disapprove of."""
    beta: float = 0.4
    """Pseudo-penalty for zapping a target the group is predicted to approve of."""
    shaping: bool = True
    """Add the pseudo-reward. ``False``: a baseline learner whose classifier only watches."""
    hard: bool = False
    """Pay exactly +alpha / -beta by thresholding P(disapprove) at 0.5 (else the expectation)."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layers of the classifier MLP."""
    lr: float = 1e-3
    """Adam learning rate of the classifier."""
    buffer_size: int = 50_000
    """Most recent sanction opportunities kept for training."""
    batch_size: int = 256
    """Classifier minibatch (half zaps, half non-zaps)."""
    updates_per_rollout: int = 20
    """Classifier gradient steps after each rollout."""
    freeze_after: int = 0
    """Stop training the classifier after this many env steps (0: never)."""
    gate_accuracy: float = 0.0
    """Pay the pseudo-reward only once the classifier's recent held-out balanced accuracy
    reaches this (0: from the start, as the paper; see the module doc)."""
    gate_window: int = 10
    """Rollouts (with both classes) averaged for ``gate_accuracy``."""
    policy_signal: bool = False
    """Show each learner its own classifier's verdict on the players it could zap now, as
    two 0/1 planes added to its view (see the module doc). Needs a symbolic grid view and
    an env with ``sanction_opportunities()`` (``allelopathic_harvest_v0``)."""

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            if getattr(self, name) < 0:
                raise ValueError(f"cnm.{name}={getattr(self, name)!r} must be >= 0")
        for name in ("lr",):
            if not getattr(self, name) > 0:
                raise ValueError(f"cnm.{name}={getattr(self, name)!r} must be > 0")
        for name in ("buffer_size", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 2:
                raise ValueError(f"cnm.{name}={v!r} must be an integer >= 2")
        if not 0.0 <= self.gate_accuracy <= 1.0:
            raise ValueError(f"cnm.gate_accuracy={self.gate_accuracy!r} must be in [0, 1]")
        if not isinstance(self.gate_window, int) or self.gate_window < 1:
            raise ValueError(f"cnm.gate_window={self.gate_window!r} must be an integer >= 1")
        for name in ("updates_per_rollout", "freeze_after"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                raise ValueError(f"cnm.{name}={v!r} must be an integer >= 0")
        self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ValueError(f"cnm.hidden_sizes={self.hidden_sizes!r} must be positive integers")


@dataclass
class SanctionSamples:
    """Sanction opportunities of a rollout, one row each.

    Attributes:
        features: ``float32[M, F]`` public context of the (actor, target) pair.
        labels: ``bool[M]``: the actor zapped the target (disapproval).
        step: ``int64[M]`` rollout step ``t``.
        env: ``int64[M]`` env copy.
        actor, target: ``int64[M]`` agent seats.
        amount: ``float32[M]`` size of the sanction (1 for a zap, the points assigned in
            ``public_goods_v0``, 0 where the actor did not sanction); ``None``: the labels.
    """

    features: np.ndarray
    labels: np.ndarray
    step: np.ndarray
    env: np.ndarray
    actor: np.ndarray
    target: np.ndarray
    amount: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.amount is None:
            self.amount = np.asarray(self.labels, dtype=np.float32)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _ah_decode(codes: np.ndarray) -> np.ndarray:
    from socialenvs.norms.allelopathic_harvest import unpack_context

    return unpack_context(codes)


def sanction_samples(
    events: Sequence[np.ndarray], decode: Callable[[np.ndarray], np.ndarray] | None = None
) -> SanctionSamples:
    """The ``OPPORTUNITY`` events of a rollout (``rollout.events``, one array per step).

    Args:
        events: per-step event arrays.
        decode: packed ``context`` -> ``float32[M, F]`` features: the env's
            ``opportunity_features`` (default: Allelopathic Harvest's
            :func:`~socialenvs.norms.allelopathic_harvest.unpack_context`).
    """
    decode = decode or _ah_decode
    chunks, steps = [], []
    for t, ev in enumerate(events):
        opp = ev[ev["kind"] == int(EventKind.OPPORTUNITY)]
        if opp.size:
            chunks.append(opp)
            steps.append(np.full(opp.size, t, dtype=np.int64))
    if chunks:
        opp = np.concatenate(chunks)
        step = np.concatenate(steps)
    else:
        from socialenvs.core.events import EMPTY_EVENTS

        opp, step = EMPTY_EVENTS, np.zeros(0, dtype=np.int64)
    feats = decode(opp["context"]) if opp.size else decode(np.zeros(0, dtype=np.int64))
    return SanctionSamples(
        features=np.asarray(feats, dtype=np.float32).reshape(opp.size, -1),
        labels=opp["value"] > 0.5,
        step=step,
        env=opp["env"].astype(np.int64),
        actor=opp["actor"].astype(np.int64),
        target=opp["target"].astype(np.int64),
        amount=opp["value"].astype(np.float32),
    )


def balanced_accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Mean of the true-positive and true-negative rates; ``nan`` unless both classes occur."""
    p = np.asarray(predicted, dtype=bool).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    if not y.any() or y.all():
        return float("nan")
    return float(0.5 * (p[y].mean() + (~p[~y]).mean()))


class NormClassifier(nn.Module):
    """MLP from context features to the logit of P(disapprove)."""

    def __init__(self, num_features: int, hidden_sizes: Sequence[int] = (64, 64)):
        super().__init__()
        layers: list[nn.Module] = []
        size = int(num_features)
        for h in hidden_sizes:
            layers += [nn.Linear(size, int(h)), nn.Tanh()]
            size = int(h)
        layers.append(nn.Linear(size, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features.float()).squeeze(-1)


class NormModel:
    """One agent's classifier of group disapproval, trained online (see module doc).

    Args:
        num_features: size of the context vector.
        config: CNM settings.
        seed: seeds the classifier's initialisation and minibatch draws.
    """

    def __init__(self, num_features: int, config: CNMConfig | None = None, seed: int = 0):
        self.config = config or CNMConfig()
        self.num_features = int(num_features)
        gen = torch.Generator().manual_seed(int(seed))
        with torch.random.fork_rng():
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.classifier = NormClassifier(num_features, self.config.hidden_sizes)
        self.optimizer = torch.optim.Adam(self.classifier.parameters(), lr=self.config.lr)
        self.rng = np.random.default_rng(seed)
        n = self.config.buffer_size
        self._x = np.zeros((n, self.num_features), dtype=np.float32)
        self._y = np.zeros(n, dtype=bool)
        self._next = 0
        self._size = 0
        self.recent_accuracy: deque[float] = deque(maxlen=self.config.gate_window)
        self.gate_open = self.config.gate_accuracy <= 0.0

    def __len__(self) -> int:
        return self._size

    def record_accuracy(self, accuracy: float) -> None:
        """Note a held-out balanced accuracy (``nan``: skipped); opens the gate for good
        once the last ``gate_window`` of them average ``gate_accuracy`` or more."""
        if not np.isfinite(accuracy):
            return
        self.recent_accuracy.append(float(accuracy))
        cfg = self.config
        if (
            not self.gate_open
            and len(self.recent_accuracy) == cfg.gate_window
            and np.mean(self.recent_accuracy) >= cfg.gate_accuracy
        ):
            self.gate_open = True

    def observe(self, features: np.ndarray, labels: np.ndarray) -> None:
        """Add samples to the ring buffer (oldest overwritten first)."""
        x = np.asarray(features, dtype=np.float32).reshape(-1, self.num_features)
        y = np.asarray(labels, dtype=bool).ravel()
        n = self.config.buffer_size
        if len(x) > n:
            x, y = x[-n:], y[-n:]
        idx = (self._next + np.arange(len(x))) % n
        self._x[idx] = x
        self._y[idx] = y
        self._next = int((self._next + len(x)) % n)
        self._size = min(self._size + len(x), n)

    def train(self, steps: int | None = None) -> dict[str, float]:
        """Class-balanced BCE steps on the buffer; nothing until both classes were seen."""
        steps = self.config.updates_per_rollout if steps is None else int(steps)
        y = self._y[: self._size]
        pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
        if steps == 0 or pos.size == 0 or neg.size == 0:
            return {}
        half = max(self.config.batch_size // 2, 1)
        losses = []
        target = torch.cat([torch.ones(half), torch.zeros(half)])
        for _ in range(steps):
            idx = np.concatenate([self.rng.choice(pos, half), self.rng.choice(neg, half)])
            logits = self.classifier(torch.from_numpy(self._x[idx]))
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return {"classifier_loss": float(np.mean(losses))}

    @torch.no_grad()
    def prob_disapprove(self, features: np.ndarray) -> np.ndarray:
        """``float32[M]`` predicted probability that the group disapproves (would zap)."""
        x = np.asarray(features, dtype=np.float32).reshape(-1, self.num_features)
        if len(x) == 0:
            return np.zeros(0, dtype=np.float32)
        return torch.sigmoid(self.classifier(torch.from_numpy(x))).numpy()

    def balanced_accuracy(self, features: np.ndarray, labels: np.ndarray) -> float:
        """Balanced accuracy of the rule P(disapprove) >= 0.5 on the given samples."""
        return balanced_accuracy(self.prob_disapprove(features) >= 0.5, labels)

    def state_dict(self) -> dict:
        return {
            "classifier": self.classifier.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "recent_accuracy": list(self.recent_accuracy),
            "gate_open": self.gate_open,
        }

    def load_state_dict(self, state: dict) -> None:
        self.classifier.load_state_dict(state["classifier"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.recent_accuracy = deque(
            state.get("recent_accuracy", []), maxlen=self.config.gate_window
        )
        self.gate_open = bool(state.get("gate_open", self.config.gate_accuracy <= 0.0))


def pseudo_reward(p_disapprove: np.ndarray, alpha: float, beta: float, hard: bool = False):
    """Pseudo-reward of one zap given P(disapprove): ``alpha p - beta (1 - p)``, or with
    ``hard`` ``+alpha`` when ``p >= 0.5`` and ``-beta`` otherwise."""
    p = np.asarray(p_disapprove, dtype=np.float64)
    if hard:
        return np.where(p >= 0.5, alpha, -beta)
    return alpha * p - beta * (1.0 - p)


class CNM:
    """The norm models of a set of learner policies and the pseudo-rewards they pay.

    Args:
        learners: indices (in the collector's ``policies``) of the CNM learners; each gets
            its own :class:`NormModel`.
        num_features: context size.
        config: CNM settings.
        seed: base seed (learner k's classifier uses ``seed + k``).
    """

    def __init__(
        self,
        learners: Sequence[int],
        num_features: int,
        config: CNMConfig | None = None,
        seed: int = 0,
    ):
        self.config = config or CNMConfig()
        self.learners = [int(k) for k in learners]
        if not self.learners:
            raise ValueError("give at least one learner index")
        self.models = {k: NormModel(num_features, self.config, seed + k) for k in self.learners}

    def shaping(self, samples: SanctionSamples, policy_ids: np.ndarray) -> np.ndarray:
        """``float32[T, B, N]`` pseudo-rewards of a rollout (0 where nobody zapped).

        ``policy_ids`` is the rollout's ``[T, B, N]`` record of which policy played each
        slot; a zap by a slot of learner k is judged by learner k's classifier. The
        pseudo-reward is paid per unit of sanction (``samples.amount``: one zap, or each
        point assigned in the public goods game), and only to learners whose gate is open
        (always, unless ``gate_accuracy`` is set).
        """
        out = np.zeros(policy_ids.shape, dtype=np.float32)
        if not self.config.shaping or len(samples) == 0:
            return out
        z = samples.labels
        t, b, i = samples.step[z], samples.env[z], samples.actor[z]
        amount = samples.amount[z]
        owner = policy_ids[t, b, i]
        cfg = self.config
        for k, model in self.models.items():
            m = owner == k
            if model.gate_open and m.any():
                p = model.prob_disapprove(samples.features[z][m])
                r = pseudo_reward(p, cfg.alpha, cfg.beta, cfg.hard) * amount[m]
                np.add.at(out, (t[m], b[m], i[m]), r.astype(np.float32))
        return out

    def observe_and_train(self, samples: SanctionSamples, env_steps: int) -> dict[str, float]:
        """Score each classifier on the new samples (held out), then train on them.

        Returns the mean prequential balanced accuracy (``classifier_balanced_accuracy``)
        and loss over the learners.
        """
        accs, losses = [], []
        frozen = self.config.freeze_after and env_steps >= self.config.freeze_after
        for model in self.models.values():
            if len(samples):
                accs.append(model.balanced_accuracy(samples.features, samples.labels))
                model.record_accuracy(accs[-1])
                if not frozen:
                    model.observe(samples.features, samples.labels)
            if not frozen:
                st = model.train()
                if st:
                    losses.append(st["classifier_loss"])
        row = {}
        if accs and np.isfinite(accs).any():
            row["classifier_balanced_accuracy"] = float(np.nanmean(accs))
        if losses:
            row["classifier_loss"] = float(np.mean(losses))
        if self.config.gate_accuracy > 0:
            row["gate_open"] = float(np.mean([m.gate_open for m in self.models.values()]))
        return row

    def balanced_accuracy(self, samples: SanctionSamples) -> float:
        """Mean balanced accuracy of the learners' classifiers on ``samples``."""
        accs = [m.balanced_accuracy(samples.features, samples.labels) for m in self.models.values()]
        return float(np.nanmean(accs)) if np.isfinite(accs).any() else float("nan")

    def state_dict(self) -> dict:
        return {k: m.state_dict() for k, m in self.models.items()}

    def load_state_dict(self, state: dict) -> None:
        for k, m in self.models.items():
            m.load_state_dict(state[k])
