"""The environment registry: versioned modules, ``make``, ``make_vec``, PettingZoo registration.

Every module ``socialenvs/<name>_v<N>.py`` that defines ``SIM`` (a :class:`Sim` subclass)
is an environment: it is discovered automatically, listed by :func:`list_envs`, built
by :func:`make` / :func:`make_vec`, registered in PettingZoo's registry as
``socialenvs/<name>-v<N>`` (both ``"parallel"`` and ``"aec"``), and picked up by the
conformance suite in ``tests/``. Nothing else needs editing to add an env.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pettingzoo.utils.conversions import parallel_to_aec, parallel_to_aec_wrapper

from socialenvs.core.sim import Sim
from socialenvs.core.views import SimParallelEnv, VectorEnv

_VERSIONED = re.compile(r"^[a-z][a-z0-9_]*_v\d+$")
_MODULES: dict[str, ModuleType] | None = None


def module_api(sim_class: type[Sim]) -> tuple[Callable, Callable, Callable]:
    """The PettingZoo module functions ``env``, ``parallel_env``, ``raw_env`` of a Sim."""

    def parallel_env(render_mode: str | None = None, **kwargs: Any) -> SimParallelEnv:
        return SimParallelEnv(sim_class, render_mode=render_mode, **kwargs)

    def raw_env(render_mode: str | None = None, **kwargs: Any):
        return parallel_to_aec_wrapper(parallel_env(render_mode=render_mode, **kwargs))

    def env(render_mode: str | None = None, **kwargs: Any):
        return parallel_to_aec(parallel_env(render_mode=render_mode, **kwargs))

    for f, what in (
        (parallel_env, "ParallelEnv"),
        (raw_env, "AEC env (unwrapped)"),
        (env, "AEC env"),
    ):
        f.__doc__ = f"Create the {what} of ``{sim_class.name}``; kwargs: its config fields."
        f.__qualname__ = f.__name__
    return env, parallel_env, raw_env


def _modules() -> dict[str, ModuleType]:
    global _MODULES
    if _MODULES is None:
        import socialenvs

        found = {}
        for info in pkgutil.iter_modules(socialenvs.__path__):
            if _VERSIONED.match(info.name):
                mod = importlib.import_module(f"socialenvs.{info.name}")
                if isinstance(getattr(mod, "SIM", None), type):
                    found[info.name] = mod
        _MODULES = dict(sorted(found.items()))
    return _MODULES


def list_envs() -> list[str]:
    """Names of every registered environment, e.g. ``["cleanup_v0", "harvest_v0", ...]``."""
    return list(_modules())


def normalize_id(env_id: str) -> str:
    """Accept ``harvest_v0``, ``harvest-v0`` and ``socialenvs/harvest-v0``."""
    if not isinstance(env_id, str):
        raise ValueError(f"env id must be a string, got {env_id!r}")
    name = env_id.split("/", 1)[1] if env_id.startswith("socialenvs/") else env_id
    name = name.replace("-", "_")
    if name not in _modules():
        raise ValueError(f"unknown environment {env_id!r}; available: {list_envs()}")
    return name


def get_module(env_id: str) -> ModuleType:
    return _modules()[normalize_id(env_id)]


def get_sim_class(env_id: str) -> type[Sim]:
    return get_module(env_id).SIM


def make(env_id: str, render_mode: str | None = None, **kwargs: Any) -> SimParallelEnv:
    """Build the PettingZoo ``ParallelEnv`` of ``env_id`` with config ``kwargs``."""
    return SimParallelEnv(get_sim_class(env_id), render_mode=render_mode, **kwargs)


def make_aec(env_id: str, render_mode: str | None = None, **kwargs: Any):
    """Build the PettingZoo AEC env of ``env_id`` (``parallel_to_aec`` of :func:`make`)."""
    return parallel_to_aec(make(env_id, render_mode=render_mode, **kwargs))


def make_vec(env_id: str, num_envs: int = 1, **kwargs: Any) -> VectorEnv:
    """Build a :class:`VectorEnv` of ``num_envs`` copies of ``env_id``."""
    return VectorEnv(get_sim_class(env_id), num_envs=num_envs, **kwargs)


def make_sim(env_id: str, num_envs: int = 1, **kwargs: Any) -> Sim:
    """Build the raw batched simulator of ``env_id``."""
    return get_sim_class(env_id)(num_envs=num_envs, **kwargs)


def register_with_pettingzoo() -> None:
    """Register every env as ``socialenvs/<name>-v<N>`` for ``pettingzoo.make``."""
    import pettingzoo
    from pettingzoo.env_registry.registration import _get_registry

    for name, mod in _modules().items():
        pz_id = "socialenvs/" + re.sub(r"_v(\d+)$", r"-v\1", name)
        if pz_id in _get_registry("parallel"):
            continue
        pettingzoo.register("parallel", pz_id, entry_point=mod.parallel_env)
        pettingzoo.register("aec", pz_id, entry_point=mod.env)
