from socialenvs.core.registry import module_api
from socialenvs.tom import gridworld as _impl

__doc__ = _impl.__doc__
SIM = _impl.TomGridworld
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(observability="sighted", swap_prob=1.0, swap_steps=(1, 3)),
    dict(preset="deep_rl", observability="blind"),
    dict(preset="false_belief", observe_preference=True),
]
