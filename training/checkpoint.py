"""Atomic checkpoints.

A checkpoint is one file written with :func:`torch.save` to a temporary name in the same
directory and moved into place with :func:`os.replace`, so a run killed at any moment
leaves either the previous checkpoint or the new one, never a torn file. It holds
everything needed to continue exactly: learner and optimiser states, the collector
(env copies pickled mid-episode, current observations, recurrent states, population
draws), torch and numpy RNG states, counters and the config.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import torch

FORMAT = "socialenvs-checkpoint"
VERSION = 1
REQUIRED = ("format", "version", "config", "update", "learners", "collector", "torch_rng")


def save(path: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temp file + ``os.replace``)."""
    payload = {"format": FORMAT, "version": VERSION, **payload}
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ckpt-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str, required: tuple[str, ...] = REQUIRED) -> dict[str, Any]:
    """Read a checkpoint; raise ``ValueError`` if it is missing, corrupt or foreign.

    ``required``: the payload keys it must hold beyond ``format`` and ``version`` (default:
    a trainer's resumable state; a saved model alone passes e.g. ``("model", "config")``).
    """
    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path!r} does not exist")
    try:
        # Our own files: they hold pickled env simulators and numpy RNG states.
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ValueError(
            f"checkpoint {path!r} is corrupt or not a socialenvs checkpoint "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path!r} is not a socialenvs checkpoint")
    if payload.get("version") != VERSION:
        raise ValueError(
            f"checkpoint {path!r} has format version {payload.get('version')!r}; "
            f"this socialenvs reads version {VERSION}"
        )
    missing = [k for k in ("format", "version", *required) if k not in payload]
    if missing:
        raise ValueError(f"checkpoint {path!r} is incomplete: missing {missing}")
    return payload
