from socialenvs.core.registry import module_api
from socialenvs.dilemmas import donor_game as _impl

__doc__ = _impl.__doc__
SIM = _impl.DonorGame
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(punishment=True, num_players=6, role_order="b_first"),
    dict(num_players=10, trace_length=1, observe_round=True),
]
