from socialenvs.core.registry import module_api
from socialenvs.dilemmas import coin_game as _impl

__doc__ = _impl.__doc__
SIM = _impl.CoinGame
env, parallel_env, raw_env = module_api(SIM)

# Important configurations for the shared conformance suite.
TEST_CONFIGS = [
    {},
    {"obs_type": "rgb"},
    {"preset": "lase"},
    {"preset": "jaxmarl", "obs_type": "rgb"},
    {"grid_size": 4, "torus": False, "twin_coins": True},
    {"grid_size": 5, "centred_view": True, "obs_type": "rgb"},
]
