"""Environment configs: dataclasses built from keyword arguments with clear errors."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import numpy as np

C = TypeVar("C")


def build_config(config_class: type[C], kwargs: dict[str, Any], env_name: str = "") -> C:
    """Build ``config_class`` from keyword arguments.

    A ``preset`` keyword selects one of ``config_class.PRESETS`` (a dict name -> overrides);
    the remaining keywords override it. Unknown keywords and presets raise ``ValueError``
    listing what exists; field-level checks live in the dataclass's ``__post_init__``.
    """
    kwargs = dict(kwargs)
    fields = {f.name for f in dataclasses.fields(config_class)}
    presets: dict[str, dict[str, Any]] = getattr(config_class, "PRESETS", {})
    values: dict[str, Any] = {}
    preset = kwargs.pop("preset", None)
    if preset is not None:
        if preset not in presets:
            raise ValueError(
                f"unknown preset {preset!r} for {env_name or config_class.__name__}; "
                f"available presets: {sorted(presets) or 'none'}"
            )
        values.update(presets[preset])
    unknown = sorted(set(kwargs) - fields)
    if unknown:
        raise ValueError(
            f"unknown argument(s) {unknown} for {env_name or config_class.__name__}; "
            f"valid arguments: {sorted(fields) + (['preset'] if presets else [])}"
        )
    values.update(kwargs)
    return config_class(**values)


def check_choice(name: str, value: Any, allowed: tuple | list) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {list(allowed)}")


def check_range(
    name: str, value: float, low: float | None = None, high: float | None = None
) -> None:
    """Raise ``ValueError`` unless ``low <= value <= high`` (either bound optional)."""
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name}={value!r} is out of range; allowed: [{lo}, {hi}]")


def check_int(name: str, value: Any, minimum: int | None = None) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer (not a bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}={value!r} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
