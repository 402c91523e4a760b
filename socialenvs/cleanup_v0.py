from socialenvs.core.registry import module_api
from socialenvs.dilemmas import cleanup as _impl

__doc__ = _impl.__doc__
SIM = _impl.Cleanup
env, parallel_env, raw_env = module_api(SIM)

#: kwarg combinations the conformance suite runs over.
TEST_CONFIGS = [
    dict(max_cycles=50),
    dict(max_cycles=50, obs_type="symbolic"),
    dict(max_cycles=50, rules="meltingpot", zap_cooldown=1, removal_duration=3),
    dict(max_cycles=60, rules="meltingpot", obs_type="symbolic", view="meltingpot"),
    dict(preset="cleanup_small_sym"),
    dict(preset="cleanup_10x10_sym", obs_type="symbolic"),
    dict(preset="lase_small"),
]
