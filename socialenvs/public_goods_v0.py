from socialenvs.core.registry import module_api
from socialenvs.dilemmas import public_goods as _impl

__doc__ = _impl.__doc__
SIM = _impl.PublicGoods
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(punishment="linear"),
    dict(preset="fehr_gaechter_2000", num_players=3),
]
