from socialenvs.core.registry import module_api
from socialenvs.dilemmas import commons as _impl

__doc__ = _impl.__doc__
SIM = _impl.Commons
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(sanction="peer", allocation="proportional"),
    dict(preset="coarse", sanction="fine", observe_others=False),
]
