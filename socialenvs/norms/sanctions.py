"""The public sanction stream: every zap and punishment as (actor, target, context).

Sanction-learning agents (Vinitsky et al. 2023, *A learning agent that acquires social
norms from public sanctions*, arXiv 2106.09012) assume that the only public signal is the
stream of sanctioning events. In socialenvs every env records its sanctions in the shared
event record (:mod:`socialenvs.core.events`): ``ZAP`` (a penalty beam hit), ``SANCTION``
(a graduated-sanction stage took effect) and ``PUNISH`` (a costly punishment decision).
This module filters that record into the sanction stream and fixes the meaning of the
``context`` field of ``PUNISH`` events, which is shared by every punishment game:

* bit ``JUST`` (1): the target had defected / contributed less than the punisher /
  over-used the resource, so the punishment enforces the game's cooperative norm;
* bit ``UNJUST`` (2): the target had cooperated (anti-social punishment, Herrmann, Thöni
  & Gächter 2008, Science 319:1362; "unjust punishment" in Dasgupta & Musolesi 2023);
* bit ``THIRD_PARTY`` (4): the punisher was not the target's partner in the interaction
  (third-party punishment, Dasgupta & Musolesi 2023 §3).

``ZAP`` events of Allelopathic Harvest carry their own context (see
:mod:`socialenvs.norms.allelopathic_harvest`).
"""

from __future__ import annotations

import numpy as np

from socialenvs.core.events import EventKind

JUST = 1
UNJUST = 2
THIRD_PARTY = 4

SANCTION_KINDS = (EventKind.ZAP, EventKind.SANCTION, EventKind.PUNISH)


def sanction_events(events: np.ndarray) -> np.ndarray:
    """The sanction stream of one step's (or a log's) events: ``ZAP``, ``SANCTION`` and
    ``PUNISH`` records, in emission order."""
    mask = np.isin(events["kind"], [int(k) for k in SANCTION_KINDS])
    return events[mask]


def is_unjust(events: np.ndarray) -> np.ndarray:
    """``bool`` per ``PUNISH`` event: was it anti-social (the target had cooperated)?"""
    return (events["context"] & UNJUST) != 0


def is_third_party(events: np.ndarray) -> np.ndarray:
    """``bool`` per ``PUNISH`` event: was the punisher outside the interaction?"""
    return (events["context"] & THIRD_PARTY) != 0
