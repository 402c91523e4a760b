from socialenvs.core.registry import module_api
from socialenvs.dilemmas import harvest as _impl

__doc__ = _impl.__doc__
SIM = _impl.Harvest
env, parallel_env, raw_env = module_api(SIM)

#: kwarg combinations the conformance suite runs over.
TEST_CONFIGS = [
    dict(max_cycles=50),
    dict(max_cycles=50, obs_type="symbolic"),
    dict(max_cycles=50, rules="meltingpot"),
    dict(max_cycles=50, rules="meltingpot", obs_type="symbolic", view="meltingpot"),
    dict(max_cycles=50, action_set="absolute", rotate_view=False, num_agents=3),
]
