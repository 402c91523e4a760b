"""The batched engine: simulators, views, events, seeding, grid worlds."""

from socialenvs.core.events import EVENT_DTYPE, EventKind
from socialenvs.core.sim import Sim
from socialenvs.core.views import SimParallelEnv, VectorEnv

__all__ = ["EVENT_DTYPE", "EventKind", "Sim", "SimParallelEnv", "VectorEnv"]
