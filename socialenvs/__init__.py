"""socialenvs: batched, PettingZoo-native environments for social phenomena.

    >>> import socialenvs
    >>> env = socialenvs.make("harvest_v0")          # PettingZoo ParallelEnv
    >>> venv = socialenvs.make_vec("harvest_v0", num_envs=256)   # arrays [B, N, ...]
    >>> socialenvs.list_envs()

Every env is also registered in PettingZoo's registry on import:
``pettingzoo.make("parallel", "socialenvs/harvest-v0")``.
"""

from socialenvs.core.registry import (
    list_envs,
    make,
    make_aec,
    make_sim,
    make_vec,
    register_with_pettingzoo,
)
from socialenvs.core.views import SimParallelEnv, VectorEnv

__version__ = "0.1.0"

__all__ = ["SimParallelEnv", "VectorEnv", "list_envs", "make", "make_aec", "make_sim", "make_vec"]

register_with_pettingzoo()
