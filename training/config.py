"""Run configuration: one dataclass tree, settable from CLI flags, ``--set`` and YAML.

:class:`TrainConfig` holds the run (env, agent, steps, seeds, output) and nests
:class:`~agents.ppo.PPOConfig`, :class:`~agents.dqn.DQNConfig` and
:class:`~agents.networks.NetworkConfig`. A YAML file is a mapping with the same keys
(nested sections ``ppo:``, ``dqn:``, ``network:``, ``env_kwargs:``, ``co_players:``);
``--set key=value`` uses dotted keys (``ppo.lr=1e-3``, ``env_kwargs.max_cycles=50``)
with values parsed as YAML scalars. Unknown keys and values of the wrong type raise
``ValueError`` naming the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml

from agents.dqn import DQNConfig
from agents.networks import NetworkConfig
from agents.ppo import PPOConfig
from socialenvs.core.config import check_choice

AGENTS = ("ppo", "dqn")
SHARING = ("shared", "independent")


@dataclass
class TrainConfig:
    """A training run."""

    env: str = "matrix_game_v0"
    """Environment id (``socialenvs list``)."""
    env_kwargs: dict = field(
        default_factory=lambda: {"game": "prisoners_dilemma", "max_cycles": 20}
    )
    """Arguments of the environment's config (``env_kwargs.<field>=value``)."""
    agent: str = "ppo"
    """Learner: ``ppo`` or ``dqn``."""
    sharing: str = "shared"
    """``shared``: one policy for every learning seat; ``independent``: one per seat."""
    co_players: dict = field(default_factory=lambda: {"player_1": "tit_for_tat"})
    """Seats played by fixed scripted policies, ``{agent: policy name}``; not trained."""
    steps: int = 150_000
    """Environment steps to train for (summed over env copies)."""
    num_envs: int = 16
    """Env copies stepped together (``B``)."""
    seed: int = 0
    """Seed of the env, torch and numpy."""
    out: str = ""
    """Run directory (default ``runs/<env>-<agent>-s<seed>``)."""
    threads: int = 1
    """Torch CPU threads. 1 is fastest for the small networks here: intra-op threading
    of tiny matrix products costs more than it gains, badly so on a busy machine."""
    checkpoint_every: int = 10
    """Updates between checkpoints (a final one is always written)."""
    eval_episodes: int = 16
    """Episodes in the final evaluation (run in parallel copies)."""
    eval_deterministic: bool = False
    """Evaluate with the most likely action instead of sampling."""
    gif: bool = True
    """Save an episode GIF after training."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    dqn: DQNConfig = field(default_factory=DQNConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def __post_init__(self) -> None:
        check_choice("agent", self.agent, AGENTS)
        check_choice("sharing", self.sharing, SHARING)
        for name in ("steps", "num_envs", "threads", "checkpoint_every", "eval_episodes"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer")
        if not isinstance(self.env_kwargs, dict):
            raise ValueError(f"env_kwargs={self.env_kwargs!r} must be a mapping")
        if not isinstance(self.co_players, dict):
            raise ValueError(
                f"co_players={self.co_players!r} must be a mapping agent -> policy name"
            )
        if not self.out:
            self.out = f"runs/{self.env}-{self.agent}-s{self.seed}"


def to_dict(config: Any) -> dict:
    """Plain nested dict (YAML-safe: tuples become lists)."""

    def clean(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    return clean(dataclasses.asdict(config))


def _coerce(key: str, value: Any, typ: Any) -> Any:
    """Check/convert ``value`` to the annotated field type ``typ``."""
    origin = typing.get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{key}={value!r} must be true or false")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError(f"{key}={value!r} must be an integer")
    if typ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise ValueError(f"{key}={value!r} must be a number")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"{key}={value!r} must be a string")
    if origin is tuple:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{key}={value!r} must be a list, e.g. [16, 32]")
        return tuple(_coerce(key, v, typing.get_args(typ)[0]) for v in value)
    if typ is dict or origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{key}={value!r} must be a mapping")
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if value is None or value == "null" or len(args) != 1:
            return None if value in (None, "null") else value
        return _coerce(key, value, args[0])  # Optional[X]: X or null
    return value


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def build(cls: type, values: dict, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a nested dict with type checks and clear errors."""
    if not isinstance(values, dict):
        raise ValueError(f"{prefix or 'config'} must be a mapping, got {values!r}")
    types_ = _field_types(cls)
    unknown = sorted(set(values) - set(types_))
    if unknown:
        where = f" in section {prefix.rstrip('.')!r}" if prefix else ""
        raise ValueError(f"unknown config key(s) {unknown}{where}; valid keys: {sorted(types_)}")
    kwargs = {}
    for name, value in values.items():
        typ = types_[name]
        if dataclasses.is_dataclass(typ):
            kwargs[name] = build(typ, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(f"{prefix}{name}", value, typ)
    return cls(**kwargs)


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``"ppo.lr=1e-3"`` -> ``(["ppo", "lr"], 0.001)`` (value parsed as YAML)."""
    if "=" not in text:
        raise ValueError(f"--set {text!r} must look like key=value, e.g. ppo.lr=0.001")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ValueError(f"--set {text!r} has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ValueError(f"--set {text!r}: cannot parse value {raw!r} ({exc})") from None
    return key.split("."), value


def merge(base: dict, path: list[str], value: Any) -> None:
    """Set ``base[path[0]][path[1]]... = value`` creating sections as needed."""
    node = base
    for p in path[:-1]:
        if not isinstance(node.get(p, {}), dict):
            raise ValueError(f"{'.'.join(path)}: {p!r} is not a section")
        node = node.setdefault(p, {})
    node[path[-1]] = value


def load_yaml(path: str) -> dict:
    """Read a YAML config file (a mapping)."""
    try:
        with open(path) as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise ValueError(f"config file {path!r} does not exist") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"config file {path!r} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"config file {path!r} must hold a mapping of keys, got {type(data).__name__}"
        )
    return data


def make_config(
    base: dict | None = None, yaml_path: str | None = None, sets: list[str] = (), **flags: Any
) -> TrainConfig:
    """Layer: defaults < ``base`` < YAML file < ``--set`` < explicit flags (not None).

    When the YAML or flags choose a different ``env`` than the defaults, the default
    ``env_kwargs`` / ``co_players`` (which belong to the default experiment) are dropped.
    """
    values: dict = dict(base or {})
    if yaml_path:
        for k, v in load_yaml(yaml_path).items():
            values[k] = v
    for s in sets:
        path, v = parse_assignment(s)
        merge(values, path, v)
    for k, v in flags.items():
        if v is not None:
            values[k] = v
    if "env" in values and values["env"] != TrainConfig.env and not base:
        values.setdefault("env_kwargs", {})
        values.setdefault("co_players", {})
    return build(TrainConfig, values)


def save_yaml(config: TrainConfig, path: str) -> None:
    with open(path, "w") as f:
        yaml.safe_dump(to_dict(config), f, sort_keys=False)
