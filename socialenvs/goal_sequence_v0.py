from socialenvs.core.registry import module_api
from socialenvs.culture import goal_sequence as _impl

__doc__ = _impl.__doc__
SIM = _impl.GoalSequence
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(demonstrator="oracle", trial_len=8),
    dict(preset="code", trial_len=8),
    dict(preset="in_weights"),
]
