from socialenvs.core.registry import module_api
from socialenvs.schelling import schelling as _impl

__doc__ = _impl.__doc__
SIM = _impl.Schelling
env, parallel_env, raw_env = module_api(SIM)

# Small grids keep the conformance suite fast; one entry per mode and schedule.
TEST_CONFIGS = [
    dict(height=8, width=8),
    dict(height=8, width=8, torus=True, threshold="count", homophily=3, schedule="async"),
    dict(mode="learning", height=10, width=10, kind_density=0.1, view_radius=2, max_age=8),
    dict(
        mode="learning",
        height=10,
        width=10,
        kind_density=0.1,
        view_radius=2,
        torus=False,
        segregation_reward="absolute",
        max_age=8,
    ),
]
