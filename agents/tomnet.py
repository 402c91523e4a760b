"""ToMnet: the machine theory-of-mind observer (Rabinowitz et al. 2018, ICML, arXiv 1802.07740).

Three modules (Sec. 2; sizes from the appendix as summarised in spec agents §1.4):

* **character net**: embeds each past episode of an agent and **sums** the embeddings,
  ``e_char = sum_j f(tau_j)``;
* **mental net**: embeds the current episode so far, with ``e_char`` tiled over the grid,
  into a spatial ``e_mental``;
* **prediction net**: from the query state with ``e_char`` (and ``e_mental``) tiled over
  the grid, predicts the next action, which object will be consumed (independent
  Bernoullis) and the successor representation at several discounts (a softmax over
  the cells per discount).

Actions are *spatialised*: the one-hot action is tiled over the grid and concatenated
to the state planes. Two variants (:class:`ToMNetConfig`):

``variant="random"`` (Sec. 3.1, random agents): character net = 1 conv layer with 8
planes + ReLU, a ConvLSTM over the episode's steps (8 planes; its size is not stated, our
choice), average pool, linear to ``e_char`` (R^2); no mental net; prediction net = 2
conv layers of 32 planes + ReLU, average pool, linear to 5 logits.

``variant="resnet"`` (Sec. 3.2-3.5): per step a 5-layer ResNet with 32 channels, ReLU and
batch norm (a 3x3 stem + two residual blocks of two 3x3 convs; how the appendix counts
5 layers is not known to us) → average pool → LSTM with 64 units → linear → ``e_char``
(R^2 or R^8). With ``past_mode="snapshot"`` (single-snapshot pasts, Fig. 5) the LSTM is
dropped: ResNet → pool → linear. Mental net: the same ResNet over the current steps
with ``e_char`` tiled in → ConvLSTM with 32 channels → 1 conv → ``e_mental`` (32 planes).
Prediction torso: 5-layer ResNet with 32 channels; heads: action (conv 32 + ReLU → pool →
linear 5), consumption (conv 32 + ReLU → pool → linear K → sigmoid), SR (conv 32 + ReLU →
1x1 conv to one channel per discount → softmax over cells).

Loss (spec §1.5): ``L = L_action + L_consumption + L_SR`` with the cross-entropy of the
true action, the summed Bernoulli log-loss of the consumed objects and
``sum_gamma sum_s -SR_gamma(s) log SR_hat_gamma(s)``.

Frames that are padding (missing past episodes, steps after an episode ended, the
current episode after the query time) never enter the networks: valid frames are
gathered, embedded, and scattered back, so batch-norm statistics see real frames only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from socialenvs.core.config import check_choice


@dataclass
class ToMNetConfig:
    """Sizes of the ToMnet (spec agents §1.4)."""

    variant: str = "resnet"
    """``random`` (Sec. 3.1 nets) or ``resnet`` (Sec. 3.2+)."""
    state_channels: int = 6
    """Planes of the observer's state (walls, 4 objects, agent[, subgoal])."""
    num_actions: int = 5
    """Actions of the observed agents."""
    num_objects: int = 4
    """Objects (consumption head outputs)."""
    char_dim: int = 2
    """Size of e_char (2 or 8 in the paper)."""
    past_mode: str = "trajectory"
    """``trajectory`` (LSTM over each past episode) or ``snapshot`` (one step each)."""
    random_conv_channels: int = 8
    """Sec. 3.1 character net conv planes (and its ConvLSTM)."""
    channels: int = 32
    """ResNet / torso / head channels."""
    resnet_layers: int = 5
    """Conv layers of each ResNet (odd: stem + residual pairs)."""
    char_lstm_size: int = 64
    """LSTM units of the character net."""
    mental: bool = True
    """Use the mental net (``resnet`` variant)."""
    sr_discounts: int = 3
    """SR head channels (one per discount)."""

    def __post_init__(self) -> None:
        check_choice("variant", self.variant, ("random", "resnet"))
        check_choice("past_mode", self.past_mode, ("trajectory", "snapshot"))
        if self.resnet_layers < 1 or self.resnet_layers % 2 == 0:
            raise ValueError(f"resnet_layers={self.resnet_layers!r} must be odd and >= 1")
        for name in ("state_channels", "num_actions", "num_objects", "char_dim", "channels"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be a positive integer")
        if self.variant == "random":
            self.mental = False


def spatialise(states: torch.Tensor, actions: torch.Tensor, num_actions: int) -> torch.Tensor:
    """``[M, H, W, C]`` uint8 states and ``[M]`` actions -> ``float[M, C + A, H, W]``."""
    M, H, W, _ = states.shape
    onehot = F.one_hot(actions.long(), num_actions).float()
    tiled = onehot[:, :, None, None].expand(M, num_actions, H, W)
    return torch.cat([states.permute(0, 3, 1, 2).float(), tiled], dim=1)


def tile(vector: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """``[M, D]`` -> ``[M, D, H, W]``."""
    return vector[:, :, None, None].expand(-1, -1, H, W)


class ResNet(nn.Module):
    """3x3 conv stem + residual blocks of two 3x3 convs, batch norm and ReLU."""

    def __init__(self, in_channels: int, channels: int, layers: int):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()
        )
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels),
            )
            for _ in range((layers - 1) // 2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = F.relu(x + block(x))
        return x


class ConvLSTMCell(nn.Module):
    """Convolutional LSTM cell (Shi et al. 2015): 3x3 conv gates over ``[x, h]``."""

    def __init__(self, in_channels: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(in_channels + hidden, 4 * hidden, 3, padding=1)

    def forward(self, x, state=None):
        """One step; ``state=None`` is the zero state (the ``h`` half of the gate conv
        and the forget gate are skipped: same result, about half the work)."""
        if state is None:
            w = self.gates.weight[:, : x.shape[1]]
            i, _, o, g = F.conv2d(x, w, self.gates.bias, padding=1).chunk(4, 1)
            c = torch.sigmoid(i) * torch.tanh(g)
        else:
            h, c = state
            i, f, o, g = self.gates(torch.cat([x, h], 1)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


def _embed_valid(frames: torch.Tensor, mask: torch.Tensor, net: nn.Module) -> torch.Tensor:
    """Apply ``net`` to the frames ``[..., C, H, W]`` where ``mask`` and put zeros elsewhere."""
    lead = mask.shape
    flat = frames.reshape(-1, *frames.shape[len(lead) :])
    m = mask.reshape(-1)
    idx = torch.nonzero(m).squeeze(-1)
    if idx.numel() == 0:
        probe = net(flat[:1])
        return torch.zeros(*lead, *probe.shape[1:], dtype=probe.dtype)
    out_valid = net(flat[idx])
    out = torch.zeros(m.shape[0], *out_valid.shape[1:], dtype=out_valid.dtype)
    out = out.index_copy(0, idx, out_valid)
    return out.reshape(*lead, *out_valid.shape[1:])


class CharacterNet(nn.Module):
    """Past episodes -> summed character embedding ``e_char [S, char_dim]``."""

    def __init__(self, cfg: ToMNetConfig):
        super().__init__()
        self.cfg = cfg
        in_ch = cfg.state_channels + cfg.num_actions
        if cfg.variant == "random":
            ch = cfg.random_conv_channels
            self.frame = nn.Sequential(nn.Conv2d(in_ch, ch, 3, padding=1), nn.ReLU())
            self.conv_lstm = ConvLSTMCell(ch, ch)
            self.out = nn.Linear(ch, cfg.char_dim)
        else:
            self.frame = nn.Sequential(
                ResNet(in_ch, cfg.channels, cfg.resnet_layers),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
            )
            if cfg.past_mode == "trajectory":
                self.lstm = nn.LSTMCell(cfg.channels, cfg.char_lstm_size)
                self.out = nn.Linear(cfg.char_lstm_size, cfg.char_dim)
            else:
                self.out = nn.Linear(cfg.channels, cfg.char_dim)

    def forward(self, states, actions, step_mask, past_mask) -> torch.Tensor:
        """``states uint8[S, P, L, H, W, C]``, ``actions [S, P, L]``, masks -> ``[S, D]``."""
        S, P, L, H, W, _ = states.shape
        if P == 0 or not bool(past_mask.any()):
            return torch.zeros(S, self.cfg.char_dim)
        x = spatialise(
            states.reshape(-1, H, W, states.shape[-1]), actions.reshape(-1), self.cfg.num_actions
        ).reshape(S, P, L, -1, H, W)
        feats = _embed_valid(x, step_mask, self.frame)  # [S, P, L, ...]
        mask = step_mask.reshape(S * P, L)
        feats = feats.reshape(S * P, L, *feats.shape[3:])
        if self.cfg.variant == "random":
            ch = self.cfg.random_conv_channels
            h = torch.zeros(S * P, ch, H, W)
            c = torch.zeros_like(h)
            for t in range(L):
                if not bool(mask[:, t].any()):
                    continue
                h2, c2 = self.conv_lstm(feats[:, t], None if t == 0 else (h, c))
                keep = mask[:, t].float()[:, None, None, None]
                h, c = keep * h2 + (1 - keep) * h, keep * c2 + (1 - keep) * c
            e = self.out(h.mean((2, 3)))
        elif self.cfg.past_mode == "trajectory":
            n = self.cfg.char_lstm_size
            h = torch.zeros(S * P, n)
            c = torch.zeros_like(h)
            for t in range(L):
                if not bool(mask[:, t].any()):
                    continue
                h2, c2 = self.lstm(feats[:, t], (h, c))
                keep = mask[:, t].float()[:, None]
                h, c = keep * h2 + (1 - keep) * h, keep * c2 + (1 - keep) * c
            e = self.out(h)
        else:
            e = self.out(feats[:, 0])
        e = e.reshape(S, P, -1) * past_mask.float()[..., None]
        return e.sum(1)


class MentalNet(nn.Module):
    """Current episode prefix + tiled ``e_char`` -> spatial ``e_mental [S, C, H, W]``."""

    def __init__(self, cfg: ToMNetConfig):
        super().__init__()
        self.cfg = cfg
        in_ch = cfg.state_channels + cfg.num_actions + cfg.char_dim
        self.frame = ResNet(in_ch, cfg.channels, cfg.resnet_layers)
        self.conv_lstm = ConvLSTMCell(cfg.channels, cfg.channels)
        self.out = nn.Conv2d(cfg.channels, cfg.channels, 3, padding=1)

    def forward(self, states, actions, mask, e_char) -> torch.Tensor:
        S, T, H, W, C = states.shape
        ch = self.cfg.channels
        h = torch.zeros(S, ch, H, W)
        c = torch.zeros_like(h)
        steps = int(mask.sum(1).max().item()) if T else 0
        if steps:
            states, actions, mask = states[:, :steps], actions[:, :steps], mask[:, :steps]
            x = spatialise(states.reshape(-1, H, W, C), actions.reshape(-1), self.cfg.num_actions)
            x = x.reshape(S, steps, -1, H, W)
            x = torch.cat([x, tile(e_char, H, W)[:, None].expand(-1, steps, -1, -1, -1)], 2)
            feats = _embed_valid(x, mask, self.frame)
            for t in range(steps):
                h2, c2 = self.conv_lstm(feats[:, t], None if t == 0 else (h, c))
                keep = mask[:, t].float()[:, None, None, None]
                h, c = keep * h2 + (1 - keep) * h, keep * c2 + (1 - keep) * c
        return self.out(h)


@dataclass
class ToMNetOutput:
    """Predictions for a batch: action logits ``[S, A]``, consumption logits ``[S, K]``
    (None for the ``random`` variant), SR log-probabilities ``[S, G, H, W]`` (None for
    the ``random`` variant), and the embeddings."""

    action_logits: torch.Tensor
    consumption_logits: torch.Tensor | None
    sr_log_probs: torch.Tensor | None
    e_char: torch.Tensor
    e_mental: torch.Tensor | None


class ToMNet(nn.Module):
    """The observer: character net + mental net + prediction net (module docstring)."""

    def __init__(self, config: ToMNetConfig | None = None):
        super().__init__()
        cfg = self.config = config or ToMNetConfig()
        self.character = CharacterNet(cfg)
        self.mental = MentalNet(cfg) if cfg.mental else None
        self.mental_gate = 1.0
        """Scales ``e_mental`` on its way into the prediction torso (0: the mental net is
        not run and the torso reads zeros). A training device (our choice, see
        ``training.tom.ToMTrainConfig.warmup_mental_off``), not saved; 1 at test time."""
        in_ch = cfg.state_channels + cfg.char_dim + (cfg.channels if cfg.mental else 0)
        ch = cfg.channels
        if cfg.variant == "random":
            self.torso = nn.Sequential(
                nn.Conv2d(in_ch, ch, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(ch, ch, 3, padding=1),
                nn.ReLU(),
            )
            self.action_head = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch, cfg.num_actions)
            )
            self.consumption_head = self.sr_head = None
        else:
            self.torso = ResNet(in_ch, ch, cfg.resnet_layers)

            def pooled(n_out: int) -> nn.Module:
                return nn.Sequential(
                    nn.Conv2d(ch, ch, 3, padding=1),
                    nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1),
                    nn.Flatten(),
                    nn.Linear(ch, n_out),
                )

            self.action_head = pooled(cfg.num_actions)
            self.consumption_head = pooled(cfg.num_objects)
            self.sr_head = nn.Sequential(
                nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, cfg.sr_discounts, 1)
            )

    def forward(self, batch: dict[str, torch.Tensor]) -> ToMNetOutput:
        """``batch``: tensors named as the fields of :class:`socialenvs.tom.dataset.TomBatch`
        (see :func:`batch_to_tensors`)."""
        e_char = self.character(
            batch["past_states"], batch["past_actions"], batch["past_step_mask"], batch["past_mask"]
        )
        return self.predict(batch, e_char)

    def predict(self, batch: dict[str, torch.Tensor], e_char: torch.Tensor) -> ToMNetOutput:
        """Predictions from a given ``e_char`` (used to probe or edit embeddings)."""
        query = batch["query_state"]
        S, H, W, _ = query.shape
        parts = [query.permute(0, 3, 1, 2).float(), tile(e_char, H, W)]
        e_mental = None
        if self.mental is not None:
            if self.mental_gate == 0:
                e_mental = torch.zeros(S, self.config.channels, H, W)
            else:
                e_mental = self.mental(
                    batch["current_states"], batch["current_actions"], batch["current_mask"], e_char
                )
                if self.mental_gate != 1:
                    e_mental = e_mental * self.mental_gate
            parts.append(e_mental)
        z = self.torso(torch.cat(parts, 1))
        cons = sr = None
        if self.consumption_head is not None:
            cons = self.consumption_head(z)
            sr_logits = self.sr_head(z)
            sr = torch.log_softmax(sr_logits.reshape(S, -1, H * W), -1).reshape(S, -1, H, W)
        return ToMNetOutput(self.action_head(z), cons, sr, e_char, e_mental)


TENSOR_FIELDS = (
    "past_states",
    "past_actions",
    "past_step_mask",
    "past_mask",
    "current_states",
    "current_actions",
    "current_mask",
    "query_state",
    "target_action",
    "target_consumption",
    "target_sr",
)


def batch_to_tensors(batch) -> dict[str, torch.Tensor]:
    """The array fields of a :class:`socialenvs.tom.dataset.TomBatch` as torch tensors
    (with ``labels`` when the batch has them: for probes, never read by the ToMnet)."""
    out = {k: torch.from_numpy(np.ascontiguousarray(getattr(batch, k))) for k in TENSOR_FIELDS}
    if getattr(batch, "labels", None) is not None:
        out["labels"] = torch.from_numpy(np.ascontiguousarray(batch.labels))
    return out


LOSS_TERMS = ("action", "consumption", "sr")
"""The terms of the ToMnet loss, in the order of :func:`tomnet_loss`."""


def check_loss_terms(terms, name: str = "loss terms") -> tuple[str, ...]:
    """``terms`` as a tuple; ``ValueError`` if it is empty or names a term not in
    :data:`LOSS_TERMS`."""
    terms = tuple(terms)
    if not terms or any(t not in LOSS_TERMS for t in terms):
        raise ValueError(f"{name}={terms!r} is not allowed; choose from {LOSS_TERMS}")
    return terms


def tomnet_loss(
    out: ToMNetOutput, batch: dict[str, torch.Tensor], terms: tuple[str, ...] | None = None
) -> tuple[torch.Tensor, dict]:
    """``L_action + L_consumption + L_SR`` (spec agents §1.5), averaged over samples.

    ``terms`` picks the terms that are summed into the returned loss (default: every
    term the net predicts; a warm-up may train on a subset,
    :class:`training.tom.ToMTrainConfig`); ``stats`` logs every predicted term whatever
    ``terms`` says. Naming a term the net does not predict (consumption and SR in the
    random-agent variant) is a ``ValueError``.
    """
    if terms is not None:
        terms = check_loss_terms(terms)
    parts = {"action": F.cross_entropy(out.action_logits, batch["target_action"])}
    if out.consumption_logits is not None:
        parts["consumption"] = F.binary_cross_entropy_with_logits(
            out.consumption_logits, batch["target_consumption"], reduction="sum"
        ) / len(out.consumption_logits)
        parts["sr"] = -(batch["target_sr"] * out.sr_log_probs).sum() / len(out.sr_log_probs)
    terms = tuple(parts) if terms is None else terms
    missing = [t for t in terms if t not in parts]
    if missing:
        raise ValueError(f"loss terms {missing} are not predicted by this ToMnet variant")
    loss = sum(parts[t] for t in terms)
    stats = {f"loss_{k}": float(v.detach()) for k, v in parts.items()}
    stats["loss"] = float(loss.detach())
    return loss, stats
