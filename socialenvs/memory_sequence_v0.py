from socialenvs.core.registry import module_api
from socialenvs.culture import memory_sequence as _impl

__doc__ = _impl.__doc__
SIM = _impl.MemorySequence
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(preset="in_weights"),
    dict(preset="notebook", num_trials=6),
    dict(demonstrators="external", num_trials=6),
    dict(preset="rl2"),
]
