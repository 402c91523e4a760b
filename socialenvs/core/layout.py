"""Named fields of flat vector observations.

Staged population games (public goods, commons, donor game, partner choice) pack several
named parts -- stage one-hots, others' last moves, reputations, an action mask -- into
one float vector. :func:`field_slices` lays the parts out once, so every env and every
agent that reads a field (e.g. ``obs[..., env.OBS_FIELDS["action_mask"]]``) uses the
same offsets.
"""

from __future__ import annotations


def field_slices(sizes: list[tuple[str, int]]) -> tuple[dict[str, slice], int]:
    """Consecutive slices for ``(name, size)`` parts, in order, and the total length."""
    fields: dict[str, slice] = {}
    start = 0
    for name, size in sizes:
        if name in fields:
            raise ValueError(f"observation field {name!r} is listed twice")
        fields[name] = slice(start, start + int(size))
        start += int(size)
    return fields, start
