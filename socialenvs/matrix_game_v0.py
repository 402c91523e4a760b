from socialenvs.core.registry import module_api
from socialenvs.dilemmas import matrix_game as _impl

__doc__ = _impl.__doc__
SIM = _impl.MatrixGame
env, parallel_env, raw_env = module_api(SIM)
