from socialenvs.core.registry import module_api
from socialenvs.dilemmas import stag_hunt as _impl

__doc__ = _impl.__doc__
SIM = _impl.StagHunt
env, parallel_env, raw_env = module_api(SIM)

# Important configurations for the shared conformance suite.
TEST_CONFIGS = [
    {},
    {"obs_type": "rgb"},
    {"num_agents": 2, "grid_size": 4, "num_stags": 1, "num_hares": 1, "min_stag_hunters": 2},
]
