from socialenvs.core.registry import module_api
from socialenvs.dilemmas import partner_choice as _impl

__doc__ = _impl.__doc__
SIM = _impl.PartnerChoice
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(punishment="tpp_dp", partner_selection=True, rounds=3),
    dict(
        punishment="tpp",
        costly_punishment=True,
        reputation="play",
        reputation_in_play_state=False,
        num_players=4,
        rounds=2,
    ),
    dict(punishment="none", num_players=3),
]
