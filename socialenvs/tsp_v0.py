from socialenvs.core.registry import module_api
from socialenvs.culture import tsp as _impl

__doc__ = _impl.__doc__
SIM = _impl.TSP
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(preset="notebook", num_trials=3),
    dict(demonstrators="external", demo_distance_from="current", num_trials=2),
    dict(preset="rl2", layout_seed=420),
]
