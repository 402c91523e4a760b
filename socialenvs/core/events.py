"""The public event record.

Each ``Sim.step`` emits a batch of structured events (who did what to whom, where): the
public signal that sanction-learning agents observe and from which metrics are computed.
In the vector view they are one numpy structured array per step (field ``env`` tells the
copy); in the PettingZoo view they appear as ``infos[agent]["events"]``, a list of dicts.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class EventKind(IntEnum):
    """Kinds of event. Append new kinds at the end: the integer codes are part of saved data."""

    EAT = 0  # actor consumed a resource at (row, col); value = reward
    ZAP = 1  # actor's penalty beam hit target
    CLEAN = 2  # actor's cleaning beam removed waste at (row, col)
    PLANT = 3  # actor planted / recoloured at (row, col); context = colour
    DONATE = 4  # actor gave value to target
    PUNISH = 5  # actor paid to reduce target's payoff by value
    SANCTION = 6  # generic sanction (e.g. graduated zap stage); context = stage
    MOVE = 7  # actor moved (only when an env opts in; costly to record)
    DEATH = 8  # target died / was removed
    RESPAWN = 9  # target re-entered the game
    COLLECT = 10  # actor picked up a coin/item at (row, col); context = owner
    CONTRIBUTE = 11  # actor contributed value to a public pool
    ACT = 12  # actor played a discrete move (matrix games); context = action
    SPAWN = 13  # the environment created a resource at (row, col); context = resource code
    REMOVE = 14  # target was tagged out of the game for a while; value = duration
    SELECT = 15  # actor chose target as its interaction partner
    OPPORTUNITY = 16  # actor could sanction target; value = 1 if it did; context = public context
    SWAP = 17  # the environment moved an object to (row, col) by a swap; context = object


EVENT_DTYPE = np.dtype(
    [
        ("env", np.int32),
        ("kind", np.int8),
        ("actor", np.int16),
        ("target", np.int16),
        ("row", np.int16),
        ("col", np.int16),
        ("context", np.int16),
        ("value", np.float32),
    ]
)

EMPTY_EVENTS = np.zeros(0, dtype=EVENT_DTYPE)


class EventBuffer:
    """Collects the events of one step from vectorised calls, then freezes them."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []

    def clear(self) -> None:
        self._chunks = []

    def add(
        self,
        kind: EventKind,
        env: np.ndarray,
        actor: np.ndarray | int = -1,
        target: np.ndarray | int = -1,
        row: np.ndarray | int = -1,
        col: np.ndarray | int = -1,
        context: np.ndarray | int = 0,
        value: np.ndarray | float = 0.0,
    ) -> None:
        """Add ``len(env)`` events of one kind; other fields broadcast against ``env``."""
        env = np.asarray(env).reshape(-1)
        if env.size == 0:
            return
        chunk = np.zeros(env.size, dtype=EVENT_DTYPE)
        chunk["env"] = env
        chunk["kind"] = int(kind)
        chunk["actor"] = actor
        chunk["target"] = target
        chunk["row"] = row
        chunk["col"] = col
        chunk["context"] = context
        chunk["value"] = value
        self._chunks.append(chunk)

    def freeze(self) -> np.ndarray:
        """All events added since ``clear``, stably sorted by env copy."""
        if not self._chunks:
            return EMPTY_EVENTS
        if len(self._chunks) == 1:
            events = self._chunks[0]
            env = events["env"]
            if env.size < 2 or (env[1:] >= env[:-1]).all():
                return events
            return events[np.argsort(env, kind="stable")]
        events = np.concatenate(self._chunks)
        return events[np.argsort(events["env"], kind="stable")]


def events_for_env(events: np.ndarray, env: int) -> np.ndarray:
    """The events of one copy (a view sorted as emitted)."""
    lo, hi = np.searchsorted(events["env"], [env, env + 1])
    return events[lo:hi]


def to_dicts(events: np.ndarray, agent_names: list[str] | None = None) -> list[dict]:
    """Events as plain dicts with kind names (and agent names when given)."""
    out = []
    for e in events:
        d = {
            "kind": EventKind(int(e["kind"])).name.lower(),
            "actor": int(e["actor"]),
            "target": int(e["target"]),
            "row": int(e["row"]),
            "col": int(e["col"]),
            "context": int(e["context"]),
            "value": float(e["value"]),
        }
        if agent_names is not None:
            for key in ("actor", "target"):
                if d[key] >= 0:
                    d[key] = agent_names[d[key]]
                else:
                    d[key] = None
        out.append(d)
    return out


EventFilter = "EventKind | tuple[EventKind, int]"


def count_kinds(events: np.ndarray, num_envs: int, kinds: list) -> np.ndarray:
    """``[num_envs, len(kinds)]`` counts per copy of each filter in one step's events.

    A filter is an :class:`EventKind`, or ``(kind, context)`` to count only events of
    that kind with that context (e.g. ``(EventKind.ACT, 0)``: cooperative moves), or a
    callable mapping the events array to a bool mask (e.g. coins taken by their owner,
    ``actor == context``).
    """
    out = np.zeros((num_envs, len(kinds)), dtype=np.int64)
    if events.size == 0:
        return out
    for j, k in enumerate(kinds):
        if callable(k):
            mask = k(events)
        elif isinstance(k, tuple):
            mask = (events["kind"] == int(k[0])) & (events["context"] == k[1])
        else:
            mask = events["kind"] == int(k)
        out[:, j] = np.bincount(events["env"][mask], minlength=num_envs)
    return out
