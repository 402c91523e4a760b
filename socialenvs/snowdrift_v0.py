from socialenvs.core.registry import module_api
from socialenvs.dilemmas import snowdrift as _impl

__doc__ = _impl.__doc__
SIM = _impl.Snowdrift
env, parallel_env, raw_env = module_api(SIM)

# Important configurations for the shared conformance suite.
TEST_CONFIGS = [
    {},
    {"obs_type": "rgb"},
    {"preset": "lase_extn"},
    {"num_agents": 2, "grid_size": 3, "num_drifts": 1, "view_radius": 1},
]
